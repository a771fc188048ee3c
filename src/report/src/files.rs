//! Writing the pages: the report file and the statements folder. A file appears under its final
//! name only when complete (a temporary file beside it, renamed); a device or FIFO is written
//! directly. (To be replaced by the core's `output_file` module when it lands.)

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::browser::Browser;
use crate::error::{Error, Result};
use crate::{Report, Statement};

/// The files written for one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenStatement {
    /// The tenant.
    pub tenant: String,
    /// The HTML statement.
    pub html: PathBuf,
    /// The PDF, when a browser printed it.
    pub pdf: Option<PathBuf>,
}

/// Checks that `path` can be an output file: not a directory, and its folder exists.
pub(crate) fn check_output_path(path: &Path) -> Result<()> {
    if path.as_os_str().is_empty() {
        return Err(Error::output_path_invalid(path, "the path is empty"));
    }
    if path.is_dir() {
        return Err(Error::output_path_invalid(path, "it is a directory: name a file, e.g. report.html"));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(Error::output_path_invalid(
            path,
            &format!("the folder {} does not exist: create it first", parent.display()),
        ));
    }
    Ok(())
}

/// Writes `bytes` to `path` completely or not at all.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    check_output_path(path)?;
    // A symlink is followed, so the link keeps pointing at the new content.
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    };
    if let Ok(m) = std::fs::metadata(&target)
        && !m.is_file()
    {
        // A device or FIFO: no temporary file, no rename.
        let mut f =
            std::fs::OpenOptions::new().write(true).open(&target).map_err(|e| Error::output_write_failed(path, e))?;
        return f.write_all(bytes).map_err(|e| Error::output_write_failed(path, e));
    }
    let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(|e| Error::output_write_failed(path, e))?;
    tmp.write_all(bytes).and_then(|()| tmp.flush()).map_err(|e| Error::output_write_failed(path, e))?;
    if let Ok(m) = std::fs::metadata(&target) {
        let _ = std::fs::set_permissions(tmp.path(), m.permissions());
    }
    tmp.persist(&target).map_err(|e| Error::output_write_failed(path, e.error))?;
    Ok(())
}

/// Writes the report page to `path`.
pub fn write_report(report: &Report, path: &Path) -> Result<()> {
    write_file(path, report.html.as_bytes())
}

/// Writes every statement into `dir` (created when missing; its parent must exist) as
/// `<stem>.html`, and `<stem>.pdf` when `browser` is given.
pub fn write_statements(report: &Report, dir: &Path, browser: Option<&Browser>) -> Result<Vec<WrittenStatement>> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::output_path_invalid(dir, "it is a file: --statements takes a folder"));
    }
    if !dir.exists() {
        let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if !parent.is_dir() {
            return Err(Error::output_path_invalid(
                dir,
                &format!("the folder {} does not exist: create it first", parent.display()),
            ));
        }
        std::fs::create_dir(dir).map_err(|e| Error::output_write_failed(dir, e))?;
    }
    report.statements.iter().map(|s| write_statement(s, dir, browser)).collect()
}

fn write_statement(statement: &Statement, dir: &Path, browser: Option<&Browser>) -> Result<WrittenStatement> {
    let html = dir.join(format!("{}.html", statement.file_stem));
    write_file(&html, statement.html.as_bytes())?;
    let pdf = match browser {
        Some(b) => {
            let pdf = dir.join(format!("{}.pdf", statement.file_stem));
            b.print_pdf(&html, &pdf)?;
            Some(pdf)
        }
        None => None,
    };
    Ok(WrittenStatement { tenant: statement.tenant.clone(), html, pdf })
}
