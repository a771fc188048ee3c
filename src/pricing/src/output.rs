//! Output files, through the core's `output_file` rules (one place for them): a regular file is
//! written beside its target and renamed into place by [`commit_output`]; a device or FIFO is
//! written directly; a folder or a missing folder is refused. Dropped uncommitted, nothing
//! appears under the final name.
//!
//! This module only maps the core's errors onto this crate's reasons (`OutputPathInvalid`,
//! `OutputWriteFailed`).

use std::path::{Path, PathBuf};

pub use azs_usage_core::{OutputFile, OutputTarget};
use azs_usage_core::{OutputKind, Reason};

use crate::error::{Error, Result};

/// Checks `path` and opens it for writing (see the module documentation).
pub fn create_output(path: &Path) -> Result<OutputFile> {
    let target = OutputTarget::resolve(path).map_err(|e| from_core(path, e))?;
    target.create().map_err(|e| from_core(path, e))
}

/// Completes an output; returns the path written (the file a symbolic link points to).
pub fn commit_output(file: OutputFile) -> Result<PathBuf> {
    let target = file.target().clone();
    let path = target.path().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("-"));
    file.commit().map_err(|e| Error::output_write(&target.to_string(), e.message))?;
    Ok(path)
}

/// True when `path` is written in place (a device, a FIFO, standard output) rather than replaced.
pub fn is_stream(path: &Path) -> bool {
    OutputTarget::resolve(path).is_ok_and(|t| t.kind() != OutputKind::File)
}

fn from_core(path: &Path, e: azs_usage_core::Error) -> Error {
    match e.reason {
        Reason::OutputPathInvalid => Error::output_path(path, e.message),
        _ => Error::output_write(&path.display().to_string(), e.message),
    }
}

/// `target` with `suffix` appended to its file name (`out.csv` -> `out.csv.unpriced.csv`).
pub fn sibling(target: &Path, suffix: &str) -> PathBuf {
    let mut name = target.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(suffix);
    target.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::io::Write;

    use super::*;
    use crate::error::Reason;

    #[test]
    fn appears_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        let mut f = create_output(&target).unwrap();
        f.write_all(b"a,b\n").unwrap();
        assert!(!target.exists(), "not under its name before commit");
        assert_eq!(commit_output(f).unwrap(), target);
        assert_eq!(fs::read_to_string(&target).unwrap(), "a,b\n");

        let mut g = create_output(&dir.path().join("dropped.csv")).unwrap();
        g.write_all(b"x").unwrap();
        drop(g);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "an uncommitted file leaves nothing behind");
    }

    #[test]
    fn rejects_folders_and_missing_folders() {
        let dir = tempfile::tempdir().unwrap();
        let e = create_output(dir.path()).unwrap_err();
        assert_eq!(e.reason(), Reason::OutputPathInvalid);
        assert!(e.to_string().contains("folder"), "{e}");
        let e = create_output(&dir.path().join("nope/out.csv")).unwrap_err();
        assert_eq!(e.reason(), Reason::OutputPathInvalid);
        assert!(e.to_string().contains("does not exist"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn writes_devices_directly() {
        let mut f = create_output(Path::new("/dev/null")).unwrap();
        f.write_all(b"discarded").unwrap();
        commit_output(f).unwrap();
        assert!(is_stream(Path::new("/dev/null")));
    }
}
