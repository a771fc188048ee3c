//! Record writers for CSV, JSON and NDJSON, and the output file discipline: records go to a
//! temporary file beside the target, which is renamed into place only when the pull completed.
//! A failed pull leaves `<output>.partial` holding exactly the records before the resume token.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use azs_usage_core::{FIELD_NAMES, UsageRecord};

use crate::args::Format;
use crate::exit::Failure;

/// Writes records in one format to one sink.
pub struct RecordWriter {
    format: Format,
    encoder: Encoder,
    /// `(temporary file, target)` when writing to a file rather than standard output.
    file: Option<(PathBuf, PathBuf)>,
    written: u64,
    /// The header (CSV) or opening bracket (JSON) is written with the first record, so a pull
    /// that fails before any record leaves nothing on standard output.
    begun: bool,
}

enum Encoder {
    Csv(csv::Writer<Box<dyn Write>>),
    Json(Box<dyn Write>),
}

impl RecordWriter {
    /// Opens the sink: standard output, or a temporary file beside `target`.
    pub fn open(format: Format, target: Option<&Path>) -> io::Result<RecordWriter> {
        let (out, file): (Box<dyn Write>, _) = match target {
            None => (Box::new(BufWriter::with_capacity(1 << 16, io::stdout())), None),
            Some(target) => {
                let temp = sibling(target, ".tmp");
                let handle = File::create(&temp)?;
                (Box::new(BufWriter::with_capacity(1 << 16, handle)), Some((temp, target.to_path_buf())))
            }
        };
        let encoder = match format {
            Format::Csv => Encoder::Csv(csv::WriterBuilder::new().has_headers(false).from_writer(out)),
            Format::Json | Format::Ndjson => Encoder::Json(out),
        };
        Ok(RecordWriter { format, encoder, file, written: 0, begun: false })
    }

    fn begin(&mut self) -> io::Result<()> {
        if !self.begun {
            self.begun = true;
            match &mut self.encoder {
                Encoder::Csv(csv) => csv.write_record(FIELD_NAMES)?,
                Encoder::Json(out) if self.format == Format::Json => out.write_all(b"[")?,
                Encoder::Json(_) => {}
            }
        }
        Ok(())
    }

    /// Writes one record.
    pub fn write(&mut self, record: &UsageRecord) -> io::Result<()> {
        self.begin()?;
        match &mut self.encoder {
            Encoder::Csv(csv) => csv.write_record(record.text_fields())?,
            Encoder::Json(out) => {
                if self.format == Format::Json {
                    out.write_all(if self.written == 0 { b"\n" } else { b",\n" })?;
                }
                serde_json::to_writer(&mut *out, record)?;
                if self.format == Format::Ndjson {
                    out.write_all(b"\n")?;
                }
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Records written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Ends the document and flushes; returns the file paths, if any. A complete pull with no
    /// records still yields a well-formed document (a header line, or `[]`).
    fn close(mut self, complete: bool) -> io::Result<Option<(PathBuf, PathBuf)>> {
        if complete || self.file.is_some() {
            self.begin()?;
        } else if !self.begun {
            return Ok(None);
        }
        match &mut self.encoder {
            Encoder::Csv(csv) => csv.flush()?,
            Encoder::Json(out) => {
                if self.format == Format::Json {
                    out.write_all(b"\n]\n")?;
                }
                out.flush()?;
            }
        }
        drop(self.encoder);
        Ok(self.file)
    }

    /// Completes the output: the file appears under its name only now.
    pub fn finish(self) -> io::Result<Option<PathBuf>> {
        match self.close(true)? {
            None => Ok(None),
            Some((temp, target)) => {
                std::fs::rename(&temp, &target)?;
                Ok(Some(target))
            }
        }
    }

    /// Keeps what was written as `<output>.partial` (a well-formed file ending at a page
    /// boundary) and never touches the target. Returns the partial file's path. A pull that
    /// failed before its first record leaves no file at all.
    pub fn abandon(self) -> io::Result<Option<PathBuf>> {
        if self.written == 0 {
            let temp = self.file.as_ref().map(|(temp, _)| temp.clone());
            drop(self.encoder);
            if let Some(temp) = temp {
                std::fs::remove_file(&temp)?;
            }
            return Ok(None);
        }
        match self.close(false)? {
            None => Ok(None),
            Some((temp, target)) => {
                let partial = sibling(&target, ".partial");
                std::fs::rename(&temp, &partial)?;
                Ok(Some(partial))
            }
        }
    }
}

/// Checks, before any request is made, that `target` can be an output file: not a directory, and in a
/// directory that exists.
pub fn check_target(target: &Path) -> Result<(), Failure> {
    if target.is_dir() {
        return Err(Failure::bad_input(format!(
            "--output {} is a directory; give a file name, e.g. {}",
            target.display(),
            target.join("subscriptions.csv").display()
        )));
    }
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(Failure::bad_input(format!(
            "--output {}: the directory {} does not exist; create it first or choose another path",
            target.display(),
            parent.display()
        )));
    }
    Ok(())
}

/// Writes a whole (small) document: to standard output, or to a temporary file beside `target` that is
/// renamed into place once complete, so `target` never holds a partial document.
pub fn write_whole(target: Option<&Path>, bytes: &[u8]) -> Result<(), Failure> {
    let Some(target) = target else {
        let mut out = io::stdout().lock();
        return out
            .write_all(bytes)
            .and_then(|_| out.flush())
            .map_err(|e| Failure::internal(format!("cannot write to standard output: {e}")));
    };
    check_target(target)?;
    let temp = sibling(target, ".tmp");
    let mut file = File::create(&temp).map_err(|e| {
        Failure::bad_input(format!("cannot create {} (for --output {}): {e}", temp.display(), target.display()))
    })?;
    let written = file.write_all(bytes).and_then(|_| file.sync_all());
    drop(file);
    let done = written.and_then(|_| std::fs::rename(&temp, target));
    done.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        Failure::internal(format!("cannot write {}: {e}; nothing was written", target.display()))
    })
}

fn sibling(target: &Path, suffix: &str) -> PathBuf {
    let mut name = target.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(suffix);
    target.with_file_name(name)
}
