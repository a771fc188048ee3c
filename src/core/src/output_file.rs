//! The one set of rules for every file the project writes: the CLI's record files and their
//! `.partial` siblings, FOCUS and Parquet files, reports, statements, exports, and the cmdlets
//! that write files. Resolve the target first ([`OutputTarget::resolve`], before any request, so
//! a bad path costs nothing), [`create`](OutputTarget::create) an [`OutputFile`], write to it,
//! then [`commit`](OutputFile::commit) it (or [`keep_partial`](OutputFile::keep_partial) /
//! [`abandon`](OutputFile::abandon) it).
//!
//! | target | how it is written |
//! |---|---|
//! | `-` | standard output, streamed |
//! | an existing regular file | a temporary file beside it, renamed over it on commit; the replaced file's permission bits are kept |
//! | a new path in an existing folder | the same temporary file and rename; the new file gets the usual permissions (umask) |
//! | a symbolic link (or a chain of them) | resolved first, the temporary file goes beside the file it points to, so the link keeps pointing at the new content; a dangling link creates its target when the target's folder exists |
//! | an existing device, FIFO or socket (on Windows also `NUL`, `CON`, `COM1`, … and `\\.\…`) | opened and written directly, streaming: no temporary file, no rename |
//! | a folder, or a path whose folder does not exist | an error from `resolve` |
//!
//! Nothing half-written ever appears under the final name: the temporary file
//! (`.<name>.tmp-<pid>-<random>`, unique per writer, so concurrent writers never collide) is
//! renamed into place only by `commit`, and removed when the [`OutputFile`] is abandoned or
//! dropped. A device or a pipe cannot be replaced, so its reader sees the bytes as they are
//! written: that is what writing to `/dev/null`, a FIFO or a terminal means.

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind};

/// Symbolic links followed before giving up (the same bound as Linux's `ELOOP`).
const MAX_LINKS: usize = 40;

/// Bytes buffered before a write reaches the file, so callers need no `BufWriter` of their own.
const BUFFER: usize = 1 << 16;

/// Where output goes, checked and resolved; see the [module](self) for the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputTarget {
    /// The path as the caller gave it: what messages show.
    given: PathBuf,
    place: Place,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    Stdout,
    /// An existing non-regular file, opened and written as is.
    Stream(PathBuf),
    /// A regular file, existing or not (symbolic links resolved), replaced by rename.
    Replace(PathBuf),
}

/// How a resolved [`OutputTarget`] is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputKind {
    /// Standard output (`-`), streamed.
    Stdout,
    /// An existing device, FIFO or socket, written directly as the bytes come.
    Stream,
    /// A regular file, existing or new: written beside it and renamed into place on commit.
    File,
}

impl OutputTarget {
    /// Checks `path` and decides how it will be written, without creating or changing anything.
    /// `-` means standard output. Fails with [`ErrorKind::InvalidInput`] and a message naming
    /// the path and the fix when `path` is a folder, when its folder does not exist, or when a
    /// symbolic link leads to such a place.
    pub fn resolve(path: impl AsRef<Path>) -> Result<OutputTarget, Error> {
        let given = path.as_ref();
        if given.as_os_str() == "-" {
            return Ok(OutputTarget::stdout());
        }
        let target = |place| Ok(OutputTarget { given: given.to_path_buf(), place });
        if given.as_os_str().is_empty() {
            return Err(path_invalid(given, "is empty", "name a file, or - for standard output"));
        }
        if is_windows_device(given) {
            return target(Place::Stream(given.to_path_buf()));
        }
        if ends_with_separator(given) {
            return Err(path_invalid(given, "ends with a path separator, so it names a folder", "name a file"));
        }
        let resolved = follow_links(given)?;
        // Messages name the link and where it leads, since the problem is at the end of the chain.
        let shown = if resolved == given {
            given.display().to_string()
        } else {
            format!("{} (a link to {})", given.display(), resolved.display())
        };
        match fs::metadata(&resolved) {
            Ok(meta) if meta.is_dir() => Err(path_invalid_at(
                &shown,
                "is a folder",
                &format!("name a file inside it, e.g. {}", resolved.join("usage.csv").display()),
            )),
            Ok(meta) if meta.is_file() => target(Place::Replace(resolved)),
            Ok(_) => target(Place::Stream(resolved)),
            // ENOTDIR: a component of the path is a file; the folder check below says which.
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {
                let folder = folder_of(&resolved);
                match fs::metadata(folder) {
                    Ok(meta) if meta.is_dir() => target(Place::Replace(resolved)),
                    Ok(_) => Err(path_invalid_at(
                        &shown,
                        &format!("cannot be created: {} is not a folder", folder.display()),
                        "choose a path inside a folder",
                    )),
                    Err(_) => Err(path_invalid_at(
                        &shown,
                        &format!("cannot be created: the folder {} does not exist", folder.display()),
                        "create the folder first, or choose a path in an existing one",
                    )),
                }
            }
            Err(e) => {
                Err(path_invalid_at(&shown, &format!("cannot be examined ({e})"), "check the path and its permissions"))
            }
        }
    }

    /// Standard output.
    pub fn stdout() -> OutputTarget {
        OutputTarget { given: PathBuf::from("-"), place: Place::Stdout }
    }

    /// How this target is written.
    pub fn kind(&self) -> OutputKind {
        match self.place {
            Place::Stdout => OutputKind::Stdout,
            Place::Stream(_) => OutputKind::Stream,
            Place::Replace(_) => OutputKind::File,
        }
    }

    /// The path actually written (the file a symbolic link points to); `None` for standard output.
    pub fn path(&self) -> Option<&Path> {
        match &self.place {
            Place::Stdout => None,
            Place::Stream(path) | Place::Replace(path) => Some(path),
        }
    }

    /// Opens the target for writing: standard output, the device or FIFO itself (opening a FIFO
    /// waits for its reader), or a new temporary file beside the final file. Fails with
    /// [`ErrorKind::Internal`] when that cannot be done (no permission, no space, a socket).
    pub fn create(&self) -> Result<OutputFile, Error> {
        let sink = match &self.place {
            Place::Stdout => Sink::Stdout(io::stdout()),
            Place::Stream(path) => {
                // Never `create` or `truncate`: if the device vanished since `resolve`, fail
                // rather than leave a regular file in its place.
                let file = OpenOptions::new().write(true).open(path).map_err(|e| write_failed(self, "open", e))?;
                Sink::Stream(file)
            }
            Place::Replace(path) => Sink::Temp(temporary_beside(path).map_err(|e| {
                write_failed(self, &format!("create a temporary file in {} for", folder_of(path).display()), e)
            })?),
        };
        Ok(OutputFile { target: self.clone(), sink: BufWriter::with_capacity(BUFFER, sink) })
    }

    /// An [`ErrorKind::Internal`] error for an I/O failure while writing this target, naming it:
    /// for callers whose encoders report plain `io::Error`s.
    pub fn write_error(&self, err: io::Error) -> Error {
        write_failed(self, "write", err)
    }
}

/// Shows the path as given, or "standard output".
impl fmt::Display for OutputTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.place {
            Place::Stdout => f.write_str("standard output"),
            _ => write!(f, "{}", self.given.display()),
        }
    }
}

/// An output being written: `Write + Send`, buffered, so any encoder (CSV, JSON, Parquet's
/// `ArrowWriter`, which takes it by value and gives it back from `into_inner`) can write to it.
/// Dropping it without [`commit`](Self::commit) is [`abandon`](Self::abandon) without the error.
#[derive(Debug)]
pub struct OutputFile {
    target: OutputTarget,
    sink: BufWriter<Sink>,
}

#[derive(Debug)]
enum Sink {
    Stdout(io::Stdout),
    Stream(File),
    Temp(tempfile::NamedTempFile),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stdout(out) => out.write(buf),
            Sink::Stream(file) => file.write(buf),
            Sink::Temp(temp) => temp.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(out) => out.flush(),
            Sink::Stream(file) => file.flush(),
            Sink::Temp(temp) => temp.flush(),
        }
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sink.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.sink.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.sink.flush()
    }
}

impl OutputFile {
    /// The target this output goes to.
    pub fn target(&self) -> &OutputTarget {
        &self.target
    }

    /// The file underneath, after flushing the buffer, for writers that need a [`File`] (to
    /// seek, sync or set its length); `None` for standard output. On a regular file it is the
    /// temporary file, which only [`commit`](Self::commit) puts in place.
    pub fn file_mut(&mut self) -> Result<Option<&mut File>, Error> {
        self.sink.flush().map_err(|e| write_failed(&self.target, "write", e))?;
        Ok(match self.sink.get_mut() {
            Sink::Stdout(_) => None,
            Sink::Stream(file) => Some(file),
            Sink::Temp(temp) => Some(temp.as_file_mut()),
        })
    }

    /// Completes the output. A regular file is flushed to disk, given the permission bits of the
    /// file it replaces (if any), and renamed over the final name in one step, so readers see
    /// the old content or the new, never a mix. A stream or standard output is flushed.
    pub fn commit(self) -> Result<(), Error> {
        let OutputFile { target, sink } = self;
        let sink = sink.into_inner().map_err(|e| write_failed(&target, "write", e.into_error()))?;
        match sink {
            Sink::Stdout(mut out) => out.flush().map_err(|e| write_failed(&target, "write", e)),
            Sink::Stream(mut file) => file.flush().map_err(|e| write_failed(&target, "write", e)),
            Sink::Temp(temp) => {
                let Place::Replace(path) = &target.place else { unreachable!("a temporary file replaces a file") };
                temp.as_file().sync_all().map_err(|e| write_failed(&target, "write", e))?;
                // Read now, not at resolve: the file may have been created or changed meanwhile.
                if let Some(existing) = fs::symlink_metadata(path).ok().filter(fs::Metadata::is_file) {
                    temp.as_file()
                        .set_permissions(existing.permissions())
                        .map_err(|e| write_failed(&target, "keep the permissions of", e))?;
                }
                temp.persist(path).map_err(|failed| {
                    // The output is complete: keep it under its temporary name rather than lose it.
                    let mut error = write_failed(&target, "rename the temporary file onto", failed.error);
                    if let Ok((_, kept)) = failed.file.keep() {
                        error.message.push_str(&format!("; the complete output is kept in {}", kept.display()));
                    }
                    error
                })?;
                Ok(())
            }
        }
    }

    /// Keeps what was written, for an output that could not be completed: a regular file's
    /// temporary file is renamed to the final path plus `suffix` (e.g. `.partial`, replacing an
    /// older one) and that path returned; the final name is never touched. A stream or standard
    /// output already has the bytes: it is flushed and `None` returned.
    pub fn keep_partial(self, suffix: &str) -> Result<Option<PathBuf>, Error> {
        let OutputFile { target, sink } = self;
        let sink = sink.into_inner().map_err(|e| write_failed(&target, "write", e.into_error()))?;
        match sink {
            Sink::Stdout(mut out) => out.flush().map(|()| None).map_err(|e| write_failed(&target, "write", e)),
            Sink::Stream(mut file) => file.flush().map(|()| None).map_err(|e| write_failed(&target, "write", e)),
            Sink::Temp(temp) => {
                let Place::Replace(path) = &target.place else { unreachable!("a temporary file replaces a file") };
                let partial = with_suffix(path, suffix);
                temp.persist(&partial)
                    .map_err(|e| write_failed(&target, &format!("keep {} for", partial.display()), e.error))?;
                Ok(Some(partial))
            }
        }
    }

    /// Gives the output up: a regular file's temporary file is removed and the final name left
    /// as it was; a stream or standard output is flushed (its reader already has the bytes).
    pub fn abandon(self) -> Result<(), Error> {
        let OutputFile { target, sink } = self;
        match sink.into_parts() {
            (Sink::Temp(temp), _) => temp.close().map_err(|e| write_failed(&target, "remove the temporary file of", e)),
            (mut stream, Ok(unwritten)) => stream
                .write_all(&unwritten)
                .and_then(|()| stream.flush())
                .map_err(|e| write_failed(&target, "write", e)),
            // The buffer's owner panicked mid-write: its bytes are not trustworthy.
            (mut stream, Err(_)) => stream.flush().map_err(|e| write_failed(&target, "write", e)),
        }
    }
}

// reason: OutputPathInvalid
/// A bad output path, found by [`OutputTarget::resolve`]: what is wrong with `path`, and the fix.
fn path_invalid(path: &Path, problem: &str, fix: &str) -> Error {
    path_invalid_at(&path.display().to_string(), problem, fix)
}

// reason: OutputPathInvalid
fn path_invalid_at(shown: &str, problem: &str, fix: &str) -> Error {
    Error::new(ErrorKind::InvalidInput, format!("output {shown} {problem}; {fix}"))
}

// reason: OutputWriteFailed
/// An I/O failure while writing `target`, keeping the `io::Error`'s text.
fn write_failed(target: &OutputTarget, action: &str, err: io::Error) -> Error {
    Error::new(ErrorKind::Internal, format!("cannot {action} {target}: {err}"))
}

/// Follows `given` while it is a symbolic link; the result is not a link (it may not exist).
fn follow_links(given: &Path) -> Result<PathBuf, Error> {
    let mut path = given.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let points_to = fs::read_link(&path).map_err(|e| {
                    path_invalid(&path, &format!("is a link that cannot be read ({e})"), "check its permissions")
                })?;
                // A relative link is relative to the folder holding the link.
                path = folder_of(&path).join(points_to);
            }
            _ => return Ok(path),
        }
    }
    Err(path_invalid(
        given,
        &format!("is a chain of more than {MAX_LINKS} symbolic links (a loop?)"),
        "point it at a file",
    ))
}

/// The folder holding `path`: its parent, or `.` for a bare file name.
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

fn ends_with_separator(path: &Path) -> bool {
    let text = path.as_os_str().to_string_lossy();
    text.ends_with('/') || (cfg!(windows) && text.ends_with('\\'))
}

/// `path` with `suffix` appended to its file name (`usage.csv` + `.partial`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name: OsString = path.file_name().map(OsString::from).unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// A new, uniquely named, empty file beside `path`: `.<name>.tmp-<pid>-<random>`, created with
/// the permissions a plain `File::create` would give (tempfile's default is owner-only).
fn temporary_beside(path: &Path) -> io::Result<tempfile::NamedTempFile> {
    let mut prefix = OsString::from(".");
    prefix.push(path.file_name().unwrap_or_default());
    prefix.push(format!(".tmp-{}-", std::process::id()));
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).rand_bytes(8);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(folder_of(path))
}

/// Windows' device names (`NUL`, `CON`, `COM1`, `LPT1`, …, with any extension on older
/// versions) and `\\.\` device paths, which `metadata` cannot describe but which are written as
/// streams like any device.
#[cfg(windows)]
fn is_windows_device(path: &Path) -> bool {
    let text = path.as_os_str().to_string_lossy();
    if text.starts_with(r"\\.\") || text.starts_with("//./") {
        return true;
    }
    let Some(stem) = path.file_stem().map(|s| s.to_string_lossy().trim_end_matches(':').to_ascii_uppercase()) else {
        return false;
    };
    matches!(stem.as_str(), "NUL" | "CON" | "PRN" | "AUX" | "CONIN$" | "CONOUT$")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit()
            && stem.as_bytes()[3] != b'0')
}

#[cfg(not(windows))]
fn is_windows_device(_path: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// Writes `content` to `target` and commits.
    fn write_and_commit(target: &OutputTarget, content: &[u8]) {
        let mut out = target.create().expect("create");
        out.write_all(content).expect("write");
        out.commit().expect("commit");
    }

    /// Names in `dir`, sorted, so a test can see that no temporary file was left behind.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).expect("dir").map(|e| e.expect("entry").file_name().to_string_lossy().into()).collect();
        names.sort();
        names
    }

    #[test]
    fn a_new_file_appears_only_on_commit_with_the_usual_permissions() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("usage.csv");
        let target = OutputTarget::resolve(&path).expect("resolve");
        assert_eq!(target.kind(), OutputKind::File);
        let mut out = target.create().expect("create");
        out.write_all(b"a,b\n1,2\n").expect("write");
        out.flush().expect("flush");
        assert!(!path.exists(), "nothing under the final name before commit");
        let temps = names(dir.path());
        assert_eq!(temps.len(), 1);
        assert!(temps[0].starts_with(&format!(".usage.csv.tmp-{}-", std::process::id())), "{temps:?}");
        out.commit().expect("commit");
        assert_eq!(fs::read(&path).expect("read"), b"a,b\n1,2\n");
        assert_eq!(names(dir.path()), ["usage.csv"], "the temporary file became the file");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let plain = dir.path().join("plain");
            File::create(&plain).expect("plain file");
            let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o7777;
            assert_eq!(mode(&path), mode(&plain), "the same mode as File::create (umask), not owner-only");
        }
    }

    #[test]
    fn an_existing_file_is_replaced_whole_and_keeps_its_permission_bits() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("report.json");
        fs::write(&path, "old content").expect("old");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).expect("chmod");
        }
        let target = OutputTarget::resolve(&path).expect("resolve");
        let mut out = target.create().expect("create");
        out.write_all(b"new").expect("write");
        out.flush().expect("flush");
        assert_eq!(fs::read_to_string(&path).expect("read"), "old content", "the old file stays until commit");
        out.commit().expect("commit");
        assert_eq!(fs::read_to_string(&path).expect("read"), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).expect("meta").permissions().mode() & 0o7777, 0o640);
        }
        assert_eq!(names(dir.path()), ["report.json"]);
    }

    #[test]
    fn abandon_drop_and_keep_partial_never_touch_the_final_name() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("out.csv");
        fs::write(&path, "previous").expect("previous");
        let target = OutputTarget::resolve(&path).expect("resolve");

        let mut out = target.create().expect("create");
        out.write_all(b"half").expect("write");
        out.abandon().expect("abandon");
        let mut out = target.create().expect("create");
        out.write_all(b"half").expect("write");
        drop(out);
        assert_eq!(names(dir.path()), ["out.csv"], "abandoned and dropped outputs leave no temporary file");

        let mut out = target.create().expect("create");
        out.write_all(b"first page").expect("write");
        let partial = out.keep_partial(".partial").expect("keep").expect("a file");
        assert_eq!(partial, dir.path().join("out.csv.partial"));
        assert_eq!(fs::read_to_string(&partial).expect("partial"), "first page");
        assert_eq!(fs::read_to_string(&path).expect("read"), "previous");
        assert_eq!(names(dir.path()), ["out.csv", "out.csv.partial"]);
    }

    #[test]
    fn a_failed_rename_keeps_the_complete_output_and_says_where() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("late.csv");
        let target = OutputTarget::resolve(&path).expect("resolve");
        let mut out = target.create().expect("create");
        out.write_all(b"every record").expect("write");
        // Something else takes the name meanwhile: a folder that is not empty cannot be replaced.
        fs::create_dir(&path).expect("folder");
        fs::write(path.join("inside"), "x").expect("inside");
        let e = out.commit().expect_err("rename onto a folder");
        assert_eq!(e.kind, ErrorKind::Internal);
        let kept = e.message.split("kept in ").nth(1).expect(&e.message);
        assert!(kept.contains(".late.csv.tmp-"), "{}", e.message);
        assert_eq!(fs::read(kept).expect("kept"), b"every record");
    }

    #[test]
    fn concurrent_writers_of_one_target_never_collide() {
        let dir = tempfile::tempdir().expect("dir");
        let target = OutputTarget::resolve(dir.path().join("same.csv")).expect("resolve");
        let (mut a, mut b) = (target.create().expect("a"), target.create().expect("b"));
        a.write_all(&[b'a'; 100_000]).expect("a");
        b.write_all(&[b'b'; 100_000]).expect("b");
        a.commit().expect("a commits");
        b.commit().expect("b commits");
        assert_eq!(fs::read(dir.path().join("same.csv")).expect("read"), vec![b'b'; 100_000], "the last commit, whole");
        assert_eq!(names(dir.path()), ["same.csv"]);
    }

    #[test]
    fn a_folder_or_a_missing_folder_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().expect("dir");
        let e = OutputTarget::resolve(dir.path()).expect_err("a folder");
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert!(e.message.contains("is a folder") && e.message.contains("usage.csv"), "{}", e.message);
        let missing = dir.path().join("no-such-folder").join("x.csv");
        let e = OutputTarget::resolve(&missing).expect_err("missing folder");
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert!(e.message.contains("no-such-folder") && e.message.contains("does not exist"), "{}", e.message);
        let file = dir.path().join("file");
        fs::write(&file, "x").expect("file");
        let e = OutputTarget::resolve(file.join("x.csv")).expect_err("file as folder");
        assert!(e.message.contains("is not a folder"), "{}", e.message);
        let e = OutputTarget::resolve(format!("{}/", dir.path().join("new").display())).expect_err("trailing /");
        assert!(e.message.contains("names a folder"), "{}", e.message);
        assert!(OutputTarget::resolve("").expect_err("empty").message.contains("is empty"));
        assert_eq!(names(dir.path()), ["file"], "nothing created");
    }

    #[test]
    fn a_bare_file_name_is_in_the_current_folder() {
        let target = OutputTarget::resolve("surely-not-here.csv").expect("resolve");
        assert_eq!(target.kind(), OutputKind::File);
        assert_eq!(target.to_string(), "surely-not-here.csv");
        assert_eq!(folder_of(target.path().expect("path")), Path::new("."));
    }

    #[test]
    fn dash_is_standard_output_and_commits_by_flushing() {
        let target = OutputTarget::resolve("-").expect("resolve");
        assert_eq!(target.kind(), OutputKind::Stdout);
        assert_eq!(target.path(), None);
        assert_eq!(target.to_string(), "standard output");
        let mut out = target.create().expect("create");
        assert!(out.file_mut().expect("flush").is_none());
        out.commit().expect("commit");
        assert!(!Path::new("-").exists(), "no file named -");
    }

    #[test]
    fn output_file_is_write_and_send() {
        fn takes<W: Write + Send + 'static>(_: &W) {}
        let out = OutputTarget::stdout().create().expect("create");
        takes(&out);
    }

    #[cfg(unix)]
    mod unix {
        use std::os::unix::fs::{FileTypeExt, MetadataExt, symlink};
        use std::process::Command;

        use super::*;

        #[test]
        fn a_symlink_keeps_pointing_at_its_file_which_gets_the_new_content() {
            let dir = tempfile::tempdir().expect("dir");
            fs::create_dir(dir.path().join("data")).expect("data");
            let real = dir.path().join("data").join("real.csv");
            fs::write(&real, "old").expect("real");
            let link = dir.path().join("link.csv");
            symlink("data/real.csv", &link).expect("relative link");
            let chain = dir.path().join("chain.csv");
            symlink(&link, &chain).expect("link to the link");

            let target = OutputTarget::resolve(&chain).expect("resolve");
            assert_eq!(target.path(), Some(dir.path().join("data/real.csv").as_path()));
            write_and_commit(&target, b"new");
            for l in [&link, &chain] {
                assert!(
                    fs::symlink_metadata(l).expect("meta").file_type().is_symlink(),
                    "{} is still a link",
                    l.display()
                );
            }
            assert_eq!(fs::read_link(&link).expect("link"), Path::new("data/real.csv"), "the link is unchanged");
            assert_eq!(fs::read_to_string(&real).expect("real"), "new");
            assert_eq!(fs::read_to_string(&chain).expect("through the links"), "new");
            assert_eq!(names(&dir.path().join("data")), ["real.csv"], "the temporary file went beside the target");

            // A partial file goes beside the real file too, and never replaces it.
            let mut out = target.create().expect("create");
            out.write_all(b"part").expect("write");
            let partial = out.keep_partial(".partial").expect("keep").expect("file");
            assert_eq!(partial, dir.path().join("data/real.csv.partial"));
            assert_eq!(fs::read_to_string(&real).expect("real"), "new");
        }

        #[test]
        fn a_dangling_symlink_creates_its_target_or_fails_clearly() {
            let dir = tempfile::tempdir().expect("dir");
            let link = dir.path().join("dangling.csv");
            symlink("made-later.csv", &link).expect("link");
            let target = OutputTarget::resolve(&link).expect("resolve");
            assert_eq!(target.kind(), OutputKind::File);
            write_and_commit(&target, b"created");
            assert!(fs::symlink_metadata(&link).expect("meta").file_type().is_symlink());
            assert_eq!(fs::read_to_string(dir.path().join("made-later.csv")).expect("target"), "created");

            let nowhere = dir.path().join("nowhere.csv");
            symlink("missing-folder/x.csv", &nowhere).expect("link");
            let e = OutputTarget::resolve(&nowhere).expect_err("no folder");
            assert_eq!(e.kind, ErrorKind::InvalidInput);
            assert!(e.message.contains("a link to") && e.message.contains("missing-folder"), "{}", e.message);

            let to_dir = dir.path().join("to-dir");
            symlink(dir.path(), &to_dir).expect("link");
            assert!(OutputTarget::resolve(&to_dir).expect_err("folder").message.contains("is a folder"));

            let (a, b) = (dir.path().join("loop-a"), dir.path().join("loop-b"));
            symlink(&b, &a).expect("a");
            symlink(&a, &b).expect("b");
            assert!(OutputTarget::resolve(&a).expect_err("loop").message.contains("loop"));
        }

        #[test]
        fn a_character_device_is_written_directly_and_stays_a_device() {
            let dir = tempfile::tempdir().expect("dir");
            let device = dir.path().join("null");
            // 1,3 is /dev/null's device number on Linux; mknod needs root, which CI has.
            let made = Command::new("mknod").arg(&device).args(["c", "1", "3"]).status().expect("mknod runs");
            if !made.success() {
                assert!(!running_as_root(dir.path()), "mknod failed as root");
                eprintln!("skipped: mknod needs root");
                return;
            }
            let target = OutputTarget::resolve(&device).expect("resolve");
            assert_eq!(target.kind(), OutputKind::Stream);
            write_and_commit(&target, &[b'x'; 300_000]);
            let meta = fs::symlink_metadata(&device).expect("meta");
            assert!(meta.file_type().is_char_device(), "still a character device");
            assert_eq!(meta.rdev(), fs::metadata("/dev/null").expect("/dev/null").rdev());
            assert_eq!(names(dir.path()), ["null"], "no temporary file beside it");
            let mut out = target.create().expect("create");
            out.write_all(b"partial").expect("write");
            assert_eq!(out.keep_partial(".partial").expect("keep"), None, "a device keeps no partial file");
            assert!(fs::symlink_metadata(&device).expect("meta").file_type().is_char_device());
            assert_eq!(names(dir.path()), ["null"]);
        }

        #[test]
        fn a_fifo_reader_gets_the_whole_output_as_it_is_written() {
            let dir = tempfile::tempdir().expect("dir");
            let fifo = dir.path().join("pipe");
            assert!(Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs").success());
            let target = OutputTarget::resolve(&fifo).expect("resolve");
            assert_eq!(target.kind(), OutputKind::Stream);
            let (sender, received) = std::sync::mpsc::channel();
            {
                let fifo = fifo.clone();
                std::thread::spawn(move || {
                    let mut got = Vec::new();
                    File::open(&fifo).expect("open for reading").read_to_end(&mut got).expect("read");
                    sender.send(got)
                });
            }
            // More than a pipe's buffer (64 KiB), so the writer must stream to the reader.
            let content: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
            write_and_commit(&target, &content);
            // Were the FIFO replaced rather than written, its reader would wait forever.
            let got = received.recv_timeout(std::time::Duration::from_secs(30)).expect("the reader got to the end");
            assert_eq!(got.len(), content.len());
            assert!(got == content, "the reader got every byte in order");
            assert!(fs::symlink_metadata(&fifo).expect("meta").file_type().is_fifo(), "still a FIFO");
            assert_eq!(names(dir.path()), ["pipe"]);
        }

        /// Whether this process runs as root: a file it creates is owned by uid 0.
        fn running_as_root(dir: &Path) -> bool {
            let probe = dir.join("owner-probe");
            fs::write(&probe, "").expect("probe");
            let root = fs::metadata(&probe).expect("probe").uid() == 0;
            fs::remove_file(&probe).expect("probe removed");
            root
        }
    }
}
