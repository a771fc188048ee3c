//! `emulator`: runs the local usage service until Ctrl+C.

use crate::args::EmulatorArgs;
use crate::exit::Failure;

pub async fn run(_args: EmulatorArgs) -> Result<(), Failure> {
    Err(Failure::internal("the emulator is not wired yet"))
}
