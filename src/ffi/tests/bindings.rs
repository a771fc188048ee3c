//! Generates the C# bindings and checks that the committed `bindings/Interop.cs` is current.
//!
//! Regenerate after changing an export or a DTO:
//! `AZS_REGENERATE_BINDINGS=1 cargo test -p azs-usage-ffi --test bindings`

use std::path::PathBuf;

use interoptopus_csharp::RustLibrary;
use interoptopus_csharp::config::HeaderConfig;
use interoptopus_csharp::dispatch::Dispatch;

fn generate() -> String {
    let out = RustLibrary::builder(azs_usage_native::inventory())
        .dll_name(azs_usage_native::NATIVE_LIB)
        .dispatch(Dispatch::single_file("AzsUsage.Native"))
        .headers(HeaderConfig { emit_version: false })
        .build()
        .process()
        .expect("bindings generate");
    out.buffer("Interop.cs").expect("Interop.cs buffer").clone()
}

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bindings/Interop.cs")
}

#[test]
fn bindings_are_current() {
    let generated = generate();
    let path = committed_path();
    if std::env::var_os("AZS_REGENERATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).expect("write bindings/Interop.cs");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default().replace("\r\n", "\n");
    assert!(
        committed == generated.replace("\r\n", "\n"),
        "bindings/Interop.cs is stale; regenerate with \
         `AZS_REGENERATE_BINDINGS=1 cargo test -p azs-usage-ffi --test bindings` and commit it"
    );
}
