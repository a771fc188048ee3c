//! The one error type of the pricing crate. Every constructor names a [`Reason`], so the switch to
//! the core's `Reason` enum (error contract, `docs/errors.md`) is a rename of the enum.
//!
//! File problems carry the file, line and column. Validating a rate card collects every problem
//! of the file before failing, so one run shows the user everything to fix.

use std::fmt;
use std::path::Path;

/// Why a pricing operation failed (the subset of the error contract's reasons this crate uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Reason {
    /// A rate card that cannot be read or has a bad value (decimal, currency, date, scope, tier).
    RateCardInvalid,
    /// Rows of a rate card that contradict each other: two currencies, overlapping effective
    /// ranges, duplicate tiers, tier rows that disagree on block size or included quantity.
    RateCardConflict,
    /// A usage file (CSV, NDJSON, JSON, Export-Csv) that cannot be read as usage records.
    UsageFileInvalid,
    /// A directory file (`azs-usage subscriptions` CSV) that cannot be read.
    DirectoryFileInvalid,
    /// Strict mode: usage without an effective price.
    UnpricedUsage,
    /// The output path cannot be written: a directory, a missing parent.
    OutputPathInvalid,
    /// Writing the output failed (disk full, permissions, a value the format cannot hold).
    OutputWriteFailed,
    /// A FOCUS file that cannot be read back.
    FocusFileInvalid,
}

impl Reason {
    /// The reason's name, as in the error contract (`RateCardInvalid`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::RateCardInvalid => "RateCardInvalid",
            Reason::RateCardConflict => "RateCardConflict",
            Reason::UsageFileInvalid => "UsageFileInvalid",
            Reason::DirectoryFileInvalid => "DirectoryFileInvalid",
            Reason::UnpricedUsage => "UnpricedUsage",
            Reason::OutputPathInvalid => "OutputPathInvalid",
            Reason::OutputWriteFailed => "OutputWriteFailed",
            Reason::FocusFileInvalid => "FocusFileInvalid",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in an input file: where it is and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Why this problem makes the file unusable.
    pub reason: Reason,
    /// A stable, machine-readable name of the rule broken (e.g. `NegativePrice`, `TwoCurrencies`);
    /// the module's ErrorIds derive from it.
    pub code: &'static str,
    /// The file, as given.
    pub file: String,
    /// 1-based line, when the problem has one.
    pub line: Option<u64>,
    /// The column (a CSV header name, or a JSON path such as `Meters[3].MeterRates."0"`).
    pub column: Option<String>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Problem {
    pub(crate) fn new(
        reason: Reason,
        code: &'static str,
        file: &str,
        line: Option<u64>,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            reason,
            code,
            file: file.to_string(),
            line,
            column: column.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column {column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A pricing error: a reason, a message, and for input files every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    reason: Reason,
    message: String,
    problems: Vec<Problem>,
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl std::error::Error for Error {}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

impl Error {
    /// Why it failed.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// The summary line (without the problem list; `Display` shows both).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Every problem found, in file order (empty for errors that are not about a file's content).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// A rate card with problems: `RateCardInvalid` when any problem is a bad value, else
    /// `RateCardConflict` (rows that contradict each other).
    pub(crate) fn rate_card(file: &str, mut problems: Vec<Problem>) -> Error {
        problems.sort_by_key(|p| p.line);
        let reason = if problems.iter().any(|p| p.reason == Reason::RateCardInvalid) {
            Reason::RateCardInvalid
        } else {
            Reason::RateCardConflict
        };
        let n = problems.len();
        let message = format!(
            "rate card {file} has {n} problem{}; fix {} and run again",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" }
        );
        Error { reason, message, problems }
    }

    /// A rate card that cannot be read at all (missing, not UTF-8, not CSV or JSON).
    pub(crate) fn rate_card_unreadable(file: &str, message: impl fmt::Display) -> Error {
        Error { reason: Reason::RateCardInvalid, message: format!("rate card {file}: {message}"), problems: vec![] }
    }

    /// A usage file that cannot be read as records.
    pub(crate) fn usage_file(file: &str, line: Option<u64>, column: Option<&str>, message: impl Into<String>) -> Error {
        let p = Problem::new(Reason::UsageFileInvalid, "UsageFileInvalid", file, line, column, message);
        Error { reason: Reason::UsageFileInvalid, message: p.to_string(), problems: vec![] }
    }

    /// A directory file that cannot be read.
    pub(crate) fn directory_file(
        file: &str,
        line: Option<u64>,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Error {
        let p = Problem::new(Reason::DirectoryFileInvalid, "DirectoryFileInvalid", file, line, column, message);
        Error { reason: Reason::DirectoryFileInvalid, message: format!("directory file {p}"), problems: vec![] }
    }

    /// Strict mode found usage without an effective price.
    pub(crate) fn unpriced(message: impl Into<String>) -> Error {
        Error { reason: Reason::UnpricedUsage, message: message.into(), problems: vec![] }
    }

    /// The output path cannot be used.
    pub(crate) fn output_path(path: &Path, message: impl fmt::Display) -> Error {
        Error {
            reason: Reason::OutputPathInvalid,
            message: format!("cannot write {}: {message}", path.display()),
            problems: vec![],
        }
    }

    /// Writing the output failed.
    pub(crate) fn output_write(target: &str, message: impl fmt::Display) -> Error {
        Error {
            reason: Reason::OutputWriteFailed,
            message: format!("writing {target} failed: {message}"),
            problems: vec![],
        }
    }

    /// A FOCUS file that cannot be read back.
    pub(crate) fn focus_file(file: &str, line: Option<u64>, column: Option<&str>, message: impl Into<String>) -> Error {
        let p = Problem::new(Reason::FocusFileInvalid, "FocusFileInvalid", file, line, column, message);
        Error { reason: Reason::FocusFileInvalid, message: format!("FOCUS file {p}"), problems: vec![] }
    }
}

/// Shows a path the way the user gave it.
pub(crate) fn shown(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_card_error_lists_every_problem_and_picks_the_reason() {
        let p1 = Problem::new(Reason::RateCardConflict, "TwoCurrencies", "c.csv", Some(3), Some("Currency"), "EUR");
        let p2 = Problem::new(Reason::RateCardInvalid, "BadDecimal", "c.csv", Some(2), Some("UnitPrice"), "x");
        let e = Error::rate_card("c.csv", vec![p1.clone(), p2]);
        assert_eq!(e.reason(), Reason::RateCardInvalid);
        assert_eq!(e.problems()[0].line, Some(2), "sorted by line");
        let text = e.to_string();
        assert!(text.contains("2 problems") && text.contains("c.csv, line 3, column Currency: EUR"), "{text}");
        assert_eq!(Error::rate_card("c.csv", vec![p1]).reason(), Reason::RateCardConflict);
    }
}
