//! Record writers for CSV, JSON and NDJSON over the core's [`OutputFile`], which owns the file
//! rules (temporary file and rename for regular files, direct writes to devices and FIFOs,
//! symlinks resolved). A failed pull leaves `<output>.partial` holding exactly the records
//! before the resume token.

use std::io::{self, Write};
use std::path::PathBuf;

use azs_usage_core::{Error, FIELD_NAMES, OutputFile, OutputTarget, UsageRecord};

use crate::args::Format;

/// Writes records in one format to one output.
pub struct RecordWriter {
    format: Format,
    encoder: Encoder,
    written: u64,
    /// The header (CSV) or opening bracket (JSON) is written with the first record, so a pull
    /// that fails before any record leaves nothing on standard output or a stream.
    begun: bool,
}

enum Encoder {
    Csv(Box<csv::Writer<OutputFile>>),
    Json(OutputFile),
}

impl RecordWriter {
    /// Writes `format` to `output` (already created, so a bad target failed before any request).
    pub fn new(format: Format, output: OutputFile) -> RecordWriter {
        let encoder = match format {
            Format::Csv => Encoder::Csv(Box::new(csv::WriterBuilder::new().has_headers(false).from_writer(output))),
            Format::Json | Format::Ndjson => Encoder::Json(output),
        };
        RecordWriter { format, encoder, written: 0, begun: false }
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

    /// Where the records go.
    pub fn target(&self) -> &OutputTarget {
        match &self.encoder {
            Encoder::Csv(csv) => csv.get_ref().target(),
            Encoder::Json(out) => out.target(),
        }
    }

    /// Records written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Ends the document (a complete pull with no records still yields a well-formed one: a
    /// header line, or `[]`) and hands back the output, everything written to it.
    fn close(mut self, complete: bool) -> Result<OutputFile, Error> {
        let target = self.target().clone();
        self.end_document(complete).map_err(|e| target.write_error(e))?;
        match self.encoder {
            Encoder::Csv(csv) => csv.into_inner().map_err(|e| target.write_error(e.into_error())),
            Encoder::Json(out) => Ok(out),
        }
    }

    fn end_document(&mut self, complete: bool) -> io::Result<()> {
        if complete {
            self.begin()?;
        }
        if self.begun
            && self.format == Format::Json
            && let Encoder::Json(out) = &mut self.encoder
        {
            out.write_all(b"\n]\n")?;
        }
        Ok(())
    }

    /// Completes the output: a file appears under its name only now.
    pub fn finish(self) -> Result<(), Error> {
        self.close(true)?.commit()
    }

    /// Keeps what was written as `<output>.partial` (a well-formed file ending at a page
    /// boundary) and never touches the target; returns the partial file's path. A pull that
    /// failed before its first record leaves no file at all; a stream or standard output keeps
    /// what it was sent.
    pub fn abandon(self) -> Result<Option<PathBuf>, Error> {
        if self.written == 0 {
            return self.close(false)?.abandon().map(|()| None);
        }
        self.close(false)?.keep_partial(".partial")
    }
}
