//! PDF statements through a headless Chromium (or Chrome, or Edge, which take the same flags).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How long one page may take to print before the browser is stopped.
const PRINT_TIMEOUT: Duration = Duration::from_secs(120);

/// A Chromium-family browser used to print HTML pages to PDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Browser {
    path: PathBuf,
}

impl Browser {
    /// The browser at `explicit` (an error when it is not an executable file), else the first
    /// found of `AZS_USAGE_BROWSER`, `/usr/bin/chromium`, `chromium`, `chromium-browser`,
    /// `google-chrome`, `chrome`, `msedge` on the `PATH` and the usual Windows install folders.
    /// `Ok(None)` when none is found: statements are then written as HTML only.
    pub fn find(explicit: Option<&Path>) -> Result<Option<Browser>> {
        if let Some(path) = explicit {
            return Browser::at(path).map(Some);
        }
        if let Some(path) = std::env::var_os("AZS_USAGE_BROWSER").filter(|p| !p.is_empty()) {
            return Browser::at(Path::new(&path)).map(Some);
        }
        let mut candidates: Vec<PathBuf> = vec![PathBuf::from("/usr/bin/chromium")];
        for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "msedge"] {
            if let Ok(found) = which::which(name) {
                candidates.push(found);
            }
        }
        for (var, tail) in [
            ("ProgramFiles(x86)", r"Microsoft\Edge\Application\msedge.exe"),
            ("ProgramFiles", r"Microsoft\Edge\Application\msedge.exe"),
            ("ProgramFiles", r"Google\Chrome\Application\chrome.exe"),
            ("LOCALAPPDATA", r"Google\Chrome\Application\chrome.exe"),
        ] {
            if let Some(dir) = std::env::var_os(var) {
                candidates.push(Path::new(&dir).join(tail));
            }
        }
        Ok(candidates.into_iter().find(|p| p.is_file()).map(|path| Browser { path }))
    }

    fn at(path: &Path) -> Result<Browser> {
        let resolved = if path.components().count() == 1 { which::which(path).ok() } else { None };
        let path = resolved.unwrap_or_else(|| path.to_path_buf());
        if path.is_file() {
            Ok(Browser { path })
        } else {
            Err(Error::browser_unavailable(format!(
                "no browser at {}: give --browser the path of a Chromium, Chrome or Edge executable \
                 (on Debian: apt-get install chromium)",
                path.display()
            )))
        }
    }

    /// The executable.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Prints the HTML file `html` to `pdf` (written under a temporary name beside it, renamed
    /// when the browser has finished; an existing `pdf` is replaced only then).
    ///
    /// The flags keep Chromium off the network (no background requests, updates or sync) and
    /// in a fresh profile; `--no-sandbox` lets it run as root in containers and CI, and the page
    /// it opens is our own file, with no scripts.
    pub fn print_pdf(&self, html: &Path, pdf: &Path) -> Result<()> {
        let html = std::path::absolute(html).map_err(|e| Error::output_write_failed(html, e))?;
        let url = url::Url::from_file_path(&html)
            .map_err(|()| Error::report_failed(format!("{} cannot be named as a file URL", html.display())))?;
        let dir = pdf.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let profile = tempfile::Builder::new()
            .prefix(".azs-usage-browser-")
            .tempdir_in(dir)
            .map_err(|e| Error::output_write_failed(dir, e))?;
        let partial = profile.path().join("print.pdf");
        let log = profile.path().join("browser.log");
        let log_file = std::fs::File::create(&log).map_err(|e| Error::output_write_failed(&log, e))?;
        let mut child = Command::new(&self.path)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--no-pdf-header-footer",
            ])
            .arg(format!("--user-data-dir={}", profile.path().join("profile").display()))
            .arg(format!("--print-to-pdf={}", partial.display()))
            .arg(url.as_str())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| {
                Error::browser_unavailable(format!("cannot start the browser {}: {e}", self.path.display()))
                    .with_source(e)
            })?;
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() > PRINT_TIMEOUT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(Error::browser_unavailable(format!(
                        "the browser {} did not print {} within {} s",
                        self.path.display(),
                        html.display(),
                        PRINT_TIMEOUT.as_secs()
                    )));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                Err(e) => return Err(Error::browser_unavailable(format!("waiting for the browser failed: {e}"))),
            }
        };
        let printed = std::fs::read(&partial).map(|b| b.starts_with(b"%PDF")).unwrap_or(false);
        if !status.success() || !printed {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            return Err(Error::browser_unavailable(format!(
                "the browser {} failed to print {} ({status}){}",
                self.path.display(),
                html.display(),
                if tail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", tail.into_iter().rev().collect::<Vec<_>>().join(" | "))
                }
            )));
        }
        std::fs::rename(&partial, pdf).map_err(|e| Error::output_write_failed(pdf, e))
    }
}
