//! Writing the pages: the report file and the statements folder, through the core's output rules.

use std::io::Write;
use std::path::{Path, PathBuf};

use azs_usage_core::output_file::OutputTarget;

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

/// Writes `bytes` to `path` by the core's output rules (`azs_usage_core::output_file`): complete
/// or not at all under the final name; devices and FIFOs written directly; links followed.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let target = resolve(path)?;
    let failed = |e: azs_usage_core::Error| Error::output_write_failed_text(e.message.clone()).with_source(e);
    let mut file = target.create().map_err(failed)?;
    file.write_all(bytes).map_err(|e| failed(target.write_error(e)))?;
    file.commit().map_err(failed)
}

/// Checks `path` as an output file before anything is rendered or written.
pub fn check_output(path: &Path) -> Result<()> {
    resolve(path).map(|_| ())
}

fn resolve(path: &Path) -> Result<OutputTarget> {
    OutputTarget::resolve(path).map_err(|e| Error::output_path_invalid_text(e.message.clone()).with_source(e))
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
