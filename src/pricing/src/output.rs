//! Output files that appear under their final name only when complete: written to a temporary
//! file beside the target and renamed by [`OutputFile::commit`]; dropped uncommitted, the
//! temporary file is removed. Devices and FIFOs (`/dev/stdout`) are written directly.
//!
//! Stand-in for the core's `output_file` module (coming from the `outfiles` branch): every file
//! this crate writes is opened by [`create_output`], so switching over is one line.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result, shown};

/// A file being written; see the module documentation.
#[derive(Debug)]
pub struct OutputFile {
    out: BufWriter<File>,
    /// `(temporary, target)` for a regular file; `None` when writing a device or FIFO directly.
    rename: Option<(PathBuf, PathBuf)>,
    target: PathBuf,
}

/// Opens `path` for writing: checks it can become a file (not a directory, parent exists) and
/// creates the temporary file beside it.
pub fn create_output(path: &Path) -> Result<OutputFile> {
    if path.as_os_str().is_empty() {
        return Err(Error::output_path(path, "the output path is empty"));
    }
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => return Err(Error::output_path(path, "it is a directory; name a file inside it")),
        Ok(m) if !m.is_file() => {
            // A device or a FIFO: there is nothing to rename, write it as is.
            let file = fs::OpenOptions::new().write(true).open(path).map_err(|e| Error::output_path(path, e))?;
            return Ok(OutputFile { out: BufWriter::with_capacity(1 << 16, file), rename: None, target: path.into() });
        }
        _ => {}
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(Error::output_path(path, format!("the folder {} does not exist", parent.display())));
    }
    let temp = sibling(path, ".tmp");
    let file = File::create(&temp).map_err(|e| Error::output_path(path, e))?;
    Ok(OutputFile {
        out: BufWriter::with_capacity(1 << 16, file),
        rename: Some((temp, path.to_path_buf())),
        target: path.to_path_buf(),
    })
}

impl OutputFile {
    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes and renames the temporary file into place; returns the final path.
    pub fn commit(mut self) -> Result<PathBuf> {
        let target = shown(&self.target);
        self.out.flush().map_err(|e| Error::output_write(&target, e))?;
        self.out.get_ref().sync_all().or_else(ignore_unsupported).map_err(|e| Error::output_write(&target, e))?;
        if let Some((temp, final_path)) = self.rename.take() {
            fs::rename(&temp, &final_path).map_err(|e| {
                let _ = fs::remove_file(&temp);
                Error::output_write(&target, e)
            })?;
        }
        Ok(self.target.clone())
    }
}

/// Devices such as `/dev/null` cannot be synced; that is not a failure.
fn ignore_unsupported(e: io::Error) -> io::Result<()> {
    if matches!(e.kind(), io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported) { Ok(()) } else { Err(e) }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if let Some((temp, _)) = self.rename.take() {
            let _ = fs::remove_file(temp);
        }
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
    use super::*;
    use crate::error::Reason;

    #[test]
    fn appears_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        let mut f = create_output(&target).unwrap();
        f.write_all(b"a,b\n").unwrap();
        assert!(!target.exists(), "not under its name before commit");
        assert_eq!(f.commit().unwrap(), target);
        assert_eq!(fs::read_to_string(&target).unwrap(), "a,b\n");

        let mut g = create_output(&dir.path().join("dropped.csv")).unwrap();
        g.write_all(b"x").unwrap();
        drop(g);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "an uncommitted file leaves nothing behind");
    }

    #[test]
    fn rejects_directories_and_missing_parents() {
        let dir = tempfile::tempdir().unwrap();
        let e = create_output(dir.path()).unwrap_err();
        assert_eq!(e.reason(), Reason::OutputPathInvalid);
        assert!(e.to_string().contains("directory"), "{e}");
        let e = create_output(&dir.path().join("nope/out.csv")).unwrap_err();
        assert_eq!(e.reason(), Reason::OutputPathInvalid);
        assert!(e.to_string().contains("does not exist"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn writes_devices_directly() {
        let mut f = create_output(Path::new("/dev/null")).unwrap();
        f.write_all(b"discarded").unwrap();
        f.commit().unwrap();
    }
}
