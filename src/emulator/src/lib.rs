//! A local emulator of the Azure Stack Hub usage service.
