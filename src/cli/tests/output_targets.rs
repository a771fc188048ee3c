//! Where `-o` writes, against an emulator process: a character device stays a device, a FIFO's
//! reader gets the whole output, a symbolic link keeps pointing at its file (which gets the new
//! content), a dangling link creates its target, a replaced file keeps its permission bits, `-`
//! is standard output, and a folder is refused before any request. Then `--max-records`: whole
//! pages, said so, and a token that resumes exactly.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, DurationRound, Utc};

mod common;

use common::{Emulator, cli, emulator, iso};

/// A fixed window of the last `hours` (each test pulls the same one every time, so every pull
/// returns the same records).
fn window(hours: i64) -> (DateTime<Utc>, DateTime<Utc>) {
    let end = Utc::now().duration_trunc(chrono::Duration::hours(1)).expect("hour");
    (end - chrono::Duration::hours(hours), end)
}

/// A sequential hourly provider pull over `window` with `-o out` plus `extra`.
fn pull(emu: &Emulator, window: (DateTime<Utc>, DateTime<Utc>), out: &Path, extra: &[&str]) -> std::process::Output {
    cli()
        .args(["subscriber-usage", "--granularity", "hourly", "--concurrency", "1"])
        .args(["--start", &iso(window.0), "--end", &iso(window.1), "--emulator"])
        .arg(&emu.ready)
        .args(["--subscription", &emu.info.provider_subscription_id])
        .args(extra)
        .arg("-o")
        .arg(out)
        .output()
        .expect("runs")
}

fn stderr(run: &std::process::Output) -> String {
    String::from_utf8_lossy(&run.stderr).to_string()
}

fn assert_success(run: &std::process::Output, case: &str) {
    assert!(run.status.success(), "{case}: exit {:?}: {}", run.status.code(), stderr(run));
}

/// Sorted names in `dir`: shows that no temporary or partial file was left beside a target.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

/// CSV rows (header excluded).
fn rows(path: &Path) -> Vec<Vec<String>> {
    csv::Reader::from_path(path)
        .expect("CSV file")
        .records()
        .map(|r| r.expect("row").iter().map(String::from).collect())
        .collect()
}

#[cfg(unix)]
#[test]
fn every_kind_of_target_is_written_by_its_own_rule() {
    use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt, symlink};
    use std::process::Command;

    let emu = emulator(&[]);
    let window = window(12);
    let dir = tempfile::tempdir().expect("dir");
    let reference = dir.path().join("reference.csv");
    assert_success(&pull(&emu, window, &reference, &[]), "regular file");
    let expected = std::fs::read(&reference).expect("reference");
    assert!(rows(&reference).len() > 300, "several pages");
    assert!(expected.len() > 1 << 17, "more than a pipe holds, so the FIFO must stream");

    // A character device: /dev/null's own numbers, in a folder of its own.
    let devices = dir.path().join("devices");
    std::fs::create_dir(&devices).expect("devices");
    let device = devices.join("null");
    let made = Command::new("mknod").arg(&device).args(["c", "1", "3"]).status().expect("mknod runs");
    if made.success() {
        let run = pull(&emu, window, &device, &[]);
        assert_success(&run, "character device");
        assert!(stderr(&run).contains(&format!(" to {} (", device.display())), "{}", stderr(&run));
        let meta = std::fs::symlink_metadata(&device).expect("device");
        assert!(meta.file_type().is_char_device(), "still a character device: {meta:?}");
        assert_eq!(meta.rdev(), std::fs::metadata("/dev/null").expect("/dev/null").rdev());
        assert_eq!(names(&devices), ["null"], "no temporary or partial file beside the device");
    } else {
        let probe = devices.join("probe");
        std::fs::write(&probe, "").expect("probe");
        assert_ne!(std::fs::metadata(&probe).expect("probe").uid(), 0, "mknod failed as root");
        eprintln!("skipped the character device: mknod needs root");
    }

    // A FIFO: the reader on the other end gets exactly what a file would hold.
    let pipes = dir.path().join("pipes");
    std::fs::create_dir(&pipes).expect("pipes");
    let fifo = pipes.join("usage.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs").success());
    let (sender, received) = std::sync::mpsc::channel();
    {
        let fifo = fifo.clone();
        std::thread::spawn(move || sender.send(std::fs::read(&fifo).expect("read the FIFO")));
    }
    let run = pull(&emu, window, &fifo, &[]);
    if !run.status.success() {
        // The CLI may have failed before opening the FIFO: open it so the reader sees an end.
        let fifo = fifo.clone();
        std::thread::spawn(move || drop(std::fs::OpenOptions::new().write(true).open(fifo)));
    }
    // A CLI that replaced the FIFO instead of writing into it leaves the reader waiting forever.
    let got = received.recv_timeout(Duration::from_secs(30)).expect("the FIFO's reader got to the end");
    assert_success(&run, "FIFO");
    assert_eq!(got.len(), expected.len(), "the reader got the whole output");
    assert!(got == expected, "byte for byte");
    assert!(std::fs::symlink_metadata(&fifo).expect("fifo").file_type().is_fifo(), "still a FIFO");
    assert_eq!(names(&pipes), ["usage.fifo"]);

    // A symlink (relative, into another folder) keeps pointing at its file, which is replaced.
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("data");
    std::fs::write(data.join("real.csv"), "old content\n").expect("real");
    let link = dir.path().join("link.csv");
    symlink("data/real.csv", &link).expect("link");
    let run = pull(&emu, window, &link, &[]);
    assert_success(&run, "symlink");
    assert!(std::fs::symlink_metadata(&link).expect("link").file_type().is_symlink(), "still a link");
    assert_eq!(std::fs::read_link(&link).expect("link"), PathBuf::from("data/real.csv"));
    assert!(std::fs::read(data.join("real.csv")).expect("real") == expected, "the link's file holds the new content");
    assert_eq!(names(&data), ["real.csv"], "the temporary file was renamed beside the real file");

    // A dangling symlink creates its target.
    let dangling = dir.path().join("dangling.csv");
    symlink("data/later.csv", &dangling).expect("dangling");
    assert_success(&pull(&emu, window, &dangling, &[]), "dangling symlink");
    assert!(std::fs::symlink_metadata(&dangling).expect("link").file_type().is_symlink());
    assert!(std::fs::read(data.join("later.csv")).expect("created") == expected);

    // A regular file is replaced whole and keeps its permission bits.
    let kept = dir.path().join("kept.csv");
    std::fs::write(&kept, "old\n").expect("kept");
    std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    assert_success(&pull(&emu, window, &kept, &["--format", "csv"]), "existing file");
    assert!(std::fs::read(&kept).expect("kept") == expected);
    assert_eq!(std::fs::metadata(&kept).expect("kept").permissions().mode() & 0o7777, 0o640);

    // `-` is standard output, and no file named `-` appears.
    let run = cli()
        .current_dir(dir.path())
        .args(["subscriber-usage", "--granularity", "hourly", "--concurrency", "1"])
        .args(["--start", &iso(window.0), "--end", &iso(window.1), "--emulator"])
        .arg(&emu.ready)
        .args(["-o", "-"])
        .output()
        .expect("runs");
    assert_success(&run, "-");
    assert!(run.stdout == expected, "standard output holds the records");
    assert!(!dir.path().join("-").exists(), "no file named -");

    // Nothing else appeared anywhere: no temporary file, no partial file.
    assert_eq!(
        names(dir.path()),
        ["dangling.csv", "data", "devices", "kept.csv", "link.csv", "pipes", "reference.csv"]
    );
}

#[test]
fn a_folder_or_a_missing_folder_fails_before_any_request_and_writes_nothing() {
    // A listener standing in for the service counts the connections the CLI makes.
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    let connections = Arc::new(AtomicUsize::new(0));
    {
        let connections = connections.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                connections.fetch_add(1, Ordering::SeqCst);
                drop(stream); // hang up: the CLI fails fast with --max-retries 0
            }
        });
    }
    let dir = tempfile::tempdir().expect("dir");
    let folder = dir.path().join("reports");
    std::fs::create_dir(&folder).expect("folder");
    let run = |out: &Path| {
        cli()
            .args(["usage", "--endpoint", &endpoint, "--token", "t", "--max-retries", "0"])
            .args(["--subscription", "11111111-2222-3333-4444-555555555555", "--granularity", "hourly"])
            .arg("-o")
            .arg(out)
            .output()
            .expect("runs")
    };

    for (out, needle) in [(folder.clone(), "is a folder"), (dir.path().join("missing").join("usage.csv"), "the folder")]
    {
        let failed = run(&out);
        let text = stderr(&failed);
        assert_eq!(failed.status.code(), Some(2), "{}: exit 2: {text}", out.display());
        assert!(text.contains(needle) && text.contains(&out.display().to_string()), "names the path: {text}");
        assert!(text.contains("does not exist") || text.contains("name a file inside it"), "says the fix: {text}");
        assert_eq!(connections.load(Ordering::SeqCst), 0, "no request was made for {}", out.display());
    }
    assert_eq!(names(dir.path()), ["reports"], "nothing written");
    assert!(names(&folder).is_empty(), "nothing written in the folder");

    // The same command with a good path does reach the listener, so the count above can fail.
    let good = dir.path().join("usage.csv");
    let reached = run(&good);
    assert_ne!(reached.status.code(), Some(0), "the listener hangs up");
    assert!(connections.load(Ordering::SeqCst) >= 1, "a good path makes the request");
    assert!(!good.exists(), "a pull that failed before any record leaves no file");
    assert_eq!(names(dir.path()), ["reports"]);
}

#[test]
fn max_records_keeps_whole_pages_says_so_and_its_token_resumes_exactly() {
    let emu = emulator(&[]);
    let window = window(24);
    let dir = tempfile::tempdir().expect("dir");

    let zero = dir.path().join("zero.csv");
    let refused = pull(&emu, window, &zero, &["--max-records", "0"]);
    assert_eq!(refused.status.code(), Some(2), "0 is bad input: {}", stderr(&refused));
    assert!(stderr(&refused).contains("--max-records"), "{}", stderr(&refused));
    assert!(!zero.exists());

    let limited = dir.path().join("limited.csv");
    let run = pull(&emu, window, &limited, &["--max-records", "10"]);
    assert_success(&run, "--max-records 10");
    let text = stderr(&run);
    let first = rows(&limited);
    assert_eq!(first.len(), 100, "one whole page (pages of 100 here)");
    let said = "100 records: the limit of 10 was reached within the first page; continue with --continuation-token '";
    assert!(text.contains(said), "says where it stopped and why: {text}");
    let token = text.split(said).nth(1).and_then(|t| t.split('\'').next()).expect("token").to_string();

    let rest = dir.path().join("rest.csv");
    assert_success(&pull(&emu, window, &rest, &["--continuation-token", &token]), "resumed");
    let full = dir.path().join("full.csv");
    assert_success(&pull(&emu, window, &full, &[]), "full");
    let joined: Vec<Vec<String>> = first.into_iter().chain(rows(&rest)).collect();
    let full = rows(&full);
    assert!(full.len() > 300, "several pages to resume into");
    assert_eq!(joined.len(), full.len(), "nothing lost, nothing repeated");
    assert!(joined == full, "limited + resumed == full pull, record for record and in order");

    // A limit met exactly at a page's end says so.
    let exact = dir.path().join("exact.csv");
    let run = pull(&emu, window, &exact, &["--max-records", "200"]);
    assert_success(&run, "--max-records 200");
    assert_eq!(rows(&exact).len(), 200);
    assert!(
        stderr(&run).contains("200 records: the limit of 200 was reached at the end of page 2;"),
        "{}",
        stderr(&run)
    );
}
