//! `azs-usage sync` as a process, against an emulator process, into SQLite and PostgreSQL: killed
//! with SIGKILL at named points (mid-transaction included) and at random moments, two runs at
//! once, PostgreSQL restarted mid-run, and bad input. Every case ends with the database's tables,
//! read directly, equal to the emulator's store (`/_emulator/stats`), or unchanged for bad input.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use azs_usage_tests::db::{Engine, TestDb};
use azs_usage_tests::pg;
use chrono::{DateTime, DurationRound, Utc};

mod common;

use common::{BIN, Emulator, cli, emulator, iso};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// The reported range every run of a test covers: fixed when the test starts.
struct Range {
    since: DateTime<Utc>,
    until: DateTime<Utc>,
}

fn range() -> Range {
    let until = Utc::now().duration_trunc(chrono::Duration::hours(1)).expect("hour");
    Range { since: until - chrono::Duration::days(2), until }
}

/// The sync command line for `db` (its password in the environment, never in the URL).
fn sync_command(emu: &Emulator, db: &TestDb, r: &Range, extra: &[&str]) -> StdCommand {
    let mut c = StdCommand::new(BIN);
    c.args(["sync", "--database", &db.url, "--stamp", "lab", "--chunk-hours", "6", "--since", &iso(r.since)])
        .args(["--until", &iso(r.until), "--emulator"])
        .arg(&emu.ready)
        .args(extra)
        .env_remove("AZS_USAGE_FAILPOINT")
        .env_remove("PGPASSWORD");
    for (k, v) in db.env() {
        c.env(k, v);
    }
    c
}

/// Runs a sync to the end; returns (exit code, stderr).
fn run_sync(emu: &Emulator, db: &TestDb, r: &Range, extra: &[&str]) -> (i32, String) {
    let out = sync_command(emu, db, r, extra).stdout(Stdio::null()).output().expect("sync runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).to_string())
}

/// Starts a sync that freezes at `point` and returns it once it got there (with what it printed).
fn sync_frozen_at(emu: &Emulator, db: &TestDb, r: &Range, point: &str) -> (Child, String) {
    let mut child = sync_command(emu, db, r, &["-v"])
        .env("AZS_USAGE_FAILPOINT", point)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sync starts");
    let name = point.split(':').next().unwrap_or(point);
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            seen.push_str(&line);
            seen.push('\n');
            if line.contains("failpoint") && line.contains("reached") {
                let _ = tx.send(Ok(seen.clone()));
            }
        }
        let _ = tx.send(Err(seen));
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(seen)) => {
            assert!(seen.contains(&format!("failpoint {name} reached")), "{seen}");
            (child, seen)
        }
        Ok(Err(seen)) => panic!("the sync ended before failpoint {point}: {seen}"),
        Err(_) => panic!("the sync did not reach failpoint {point}"),
    }
}

fn kill(mut child: Child) {
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("reaped");
    assert!(!status.success());
}

/// The watermark of the test's scope, if any.
fn watermark(rt: &tokio::runtime::Runtime, db: &TestDb) -> Option<DateTime<Utc>> {
    let rows = rt.block_on(db.rows(&format!("SELECT {} FROM sync_state", db.text("watermark"))));
    rows.first().and_then(|r| r[0].clone()).map(|t| {
        let t = t.replace(' ', "T");
        let t = if t.ends_with("+00") { format!("{}:00", t) } else { t };
        DateTime::parse_from_rfc3339(&t).expect("watermark instant").with_timezone(&Utc)
    })
}

/// The database holds exactly the emulator's records reported in `[since, until)`.
fn assert_exact(
    rt: &tokio::runtime::Runtime,
    emu: &Emulator,
    db: &TestDb,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    what: &str,
) -> u64 {
    let (expected, expected_totals) = rt.block_on(azs_usage_tests::store_totals(&emu.info, since, until));
    let (count, totals) = rt.block_on(db.usage_totals(""));
    assert_eq!(count, expected, "{what}: every record once (missing or extra: {})", count as i64 - expected as i64);
    assert_eq!(totals, expected_totals, "{what}: exact sums per subscription and meter");
    let daily = rt.block_on(db.daily_totals());
    assert_eq!(daily, (count, totals), "{what}: usage_daily agrees");
    count
}

fn engines() -> Vec<Engine> {
    if pg::skip_postgres() { vec![Engine::Sqlite] } else { vec![Engine::Sqlite, Engine::Postgres] }
}

#[test]
fn killed_at_every_point_then_rerun_holds_every_record_once() {
    let rt = runtime();
    // Slow pages so that the random kills land inside a run.
    let emu = emulator(&["--faults", "delay=15"]);
    let r = range();
    for engine in engines() {
        let db = TestDb::new(engine, "cli_killed");
        let mut kills = 0;
        for point in [
            "run-started",
            "directory-written",
            "window-begun",
            "window-page",
            "window-before-commit",
            "window-committed",
            "window-page:3",
        ] {
            let (child, _) = sync_frozen_at(&emu, &db, &r, point);
            kill(child);
            kills += 1;
            // Whatever was committed is whole: exactly the records up to the watermark.
            if let Some(wm) = watermark(&rt, &db) {
                assert_exact(&rt, &emu, &db, r.since, wm, &format!("{engine:?}: after a kill at {point}"));
            } else {
                assert_eq!(rt.block_on(db.usage_totals("")).0, 0, "{engine:?}: no window committed yet");
            }
        }
        // Kills at moments nobody chose.
        for delay_ms in [350u64, 700, 1100] {
            let mut child =
                sync_command(&emu, &db, &r, &[]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
            std::thread::sleep(Duration::from_millis(delay_ms));
            let _ = child.kill();
            let _ = child.wait();
            kills += 1;
            if let Some(wm) = watermark(&rt, &db) {
                assert_exact(&rt, &emu, &db, r.since, wm, &format!("{engine:?}: after a kill at {delay_ms} ms"));
            }
        }
        assert!(kills >= 9);
        let (code, err) = run_sync(&emu, &db, &r, &[]);
        assert_eq!(code, 0, "{engine:?}: the run after the kills: {err}");
        let n = assert_exact(&rt, &emu, &db, r.since, r.until, &format!("{engine:?}: after {kills} kills and a rerun"));
        assert!(n > 1000);
        // The killed runs are in the history as interrupted, never as running.
        let statuses = rt.block_on(db.rows("SELECT status FROM sync_runs ORDER BY run_id"));
        assert_eq!(statuses.last().and_then(|r| r[0].clone()).as_deref(), Some("succeeded"));
        assert!(statuses.iter().all(|r| r[0].as_deref() != Some("running")), "{statuses:?}");
        assert!(statuses.iter().filter(|r| r[0].as_deref() == Some("interrupted")).count() >= 7, "{statuses:?}");
        // The directory, refreshed by every run (one killed inside its transaction), once per subscription.
        let directory = rt.block_on(db.count("SELECT count(*) FROM subscriptions"));
        let distinct = rt.block_on(db.count("SELECT count(DISTINCT subscription_id) FROM subscriptions"));
        assert!(directory > 3 && directory == distinct, "{engine:?}: {directory} directory rows, {distinct} distinct");
        // And a second complete run adds nothing.
        let mut resync = StdCommand::new(BIN);
        resync
            .args(["sync", "--database", &db.url, "--stamp", "lab", "--chunk-hours", "6", "--from", &iso(r.since)])
            .args(["--to", &iso(r.until), "--emulator"])
            .arg(&emu.ready)
            .env_remove("AZS_USAGE_FAILPOINT")
            .envs(db.env());
        let out = resync.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_exact(&rt, &emu, &db, r.since, r.until, &format!("{engine:?}: after re-syncing the range"));
    }
}

#[test]
fn two_syncs_at_once_one_waits_or_exits_with_code_5() {
    let rt = runtime();
    let emu = emulator(&[]);
    let r = range();
    for engine in engines() {
        let db = TestDb::new(engine, "cli_two_at_once");
        let (holder, _) = sync_frozen_at(&emu, &db, &r, "window-page");
        let holder_pid = holder.id();
        let (code, err) = run_sync(&emu, &db, &r, &[]);
        assert_eq!(code, 5, "{engine:?}: the second run exits with its own code: {err}");
        assert!(err.contains("another sync is running") && err.contains(&format!("pid {holder_pid}")), "{err}");
        assert!(err.contains("--wait"), "{err}");
        let waiting = sync_command(&emu, &db, &r, &["--wait", "-v"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(800));
        kill(holder);
        let out = waiting.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{engine:?}: the waiting run: {err}");
        assert!(err.contains("waiting for the sync lock"), "{err}");
        assert_exact(&rt, &emu, &db, r.since, r.until, &format!("{engine:?}: after two runs at once"));
    }
}

#[test]
fn postgres_restarted_mid_run_the_run_reconnects_and_completes() {
    if pg::skip_postgres() {
        return;
    }
    let rt = runtime();
    let emu = emulator(&["--faults", "delay=150"]);
    let r = range();
    let cluster = pg::PgCluster::start("restart", true);
    let db = TestDb::in_cluster(&cluster, "cli_restart");
    let mut child = sync_command(&emu, &db, &r, &["-v"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("window 2/") && line.contains("started") {
                let _ = tx.send(None);
            }
            all.push_str(&line);
            all.push('\n');
        }
        let _ = tx.send(Some(all));
    });
    assert!(rx.recv_timeout(Duration::from_secs(60)).expect("the run reached its second window").is_none());
    // Mid-window: the server goes away for two seconds (fast shutdown ends every session).
    cluster.restart(Duration::from_secs(2));
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the run did not finish after the restart");
        std::thread::sleep(Duration::from_millis(100));
    };
    let all = loop {
        if let Ok(Some(all)) = rx.recv_timeout(Duration::from_secs(10)) {
            break all;
        }
    };
    assert!(status.success(), "the run survived the restart: {all}");
    assert!(all.contains("reconnecting"), "it reconnected: {all}");
    assert_exact(&rt, &emu, &db, r.since, r.until, "after PostgreSQL restarted mid-run");
}

#[test]
fn bad_input_is_refused_clearly_and_leaves_the_database_as_it_was() {
    let rt = runtime();
    let emu = emulator(&[]);
    let r = range();
    let dir = tempfile::tempdir().unwrap();
    let (since, until) = (iso(r.since), iso(r.until));
    let run = |database: &str, extra: &[&str], env: &[(&str, &str)]| {
        let mut c = cli();
        c.args(["sync", "--database", database]);
        if !extra.contains(&"--config") {
            c.args(["--stamp", "lab"]);
        }
        c.args(extra);
        c.env_remove("PGPASSWORD");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let sync = |database: &str, extra: &[&str], env: &[(&str, &str)]| {
        run(database, &[&["--since", since.as_str(), "--until", until.as_str()], extra].concat(), env)
    };
    let ready = emu.ready.to_str().unwrap().to_string();
    let with_emu = ["--emulator", ready.as_str()];

    // Malformed URLs.
    for (url, expect) in [
        ("mysql://bob:hunter2@localhost/db", "not a database URL"),
        ("sqlite:", "names no file"),
        ("postgres://bob@localhost:99999/db", "not a URL"),
        ("postgres://bob@localhost/db?sslmode=sometimes", "sslmode 'sometimes'"),
    ] {
        let (code, err) = sync(url, &with_emu, &[]);
        assert_eq!(code, 2, "{url}: {err}");
        assert!(err.contains(expect), "{url}: {err}");
        assert!(!err.contains("hunter2"), "the password is never shown: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // Unreachable: nothing listens there; a missing directory.
    let (code, err) = sync("postgres://azs:hunter2@127.0.0.1:1/db?connect_timeout=3", &with_emu, &[]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("127.0.0.1:1") && err.contains("Connection refused") && !err.contains("hunter2"), "{err}");
    let missing = dir.path().join("no/such/dir/usage.db");
    let (code, err) = sync(&format!("sqlite:{}", missing.display()), &with_emu, &[]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("does not exist") && !missing.exists(), "{err}");

    // A file that is not a database: refused, untouched.
    let not_db = dir.path().join("notes.db");
    std::fs::write(&not_db, "these are my notes, not a database\n".repeat(200)).unwrap();
    let before = std::fs::read(&not_db).unwrap();
    let (code, err) = sync(&format!("sqlite:{}", not_db.display()), &with_emu, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not an SQLite database"), "{err}");
    assert_eq!(std::fs::read(&not_db).unwrap(), before);

    // Read-only databases.
    let short = Range { since: r.since, until: r.since + chrono::Duration::hours(12) };
    let sqlite_db = TestDb::new(Engine::Sqlite, "cli_read_only");
    let (code, err) = run_sync(&emu, &sqlite_db, &short, &[]);
    assert_eq!(code, 0, "{err}");
    let path = sqlite_db.path.clone().unwrap();
    // Root ignores file permissions; the immutable attribute binds root too.
    let immutable = StdCommand::new("chattr").arg("+i").arg(&path).status().is_ok_and(|s| s.success());
    if !immutable {
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(&path, perms).unwrap();
    }
    let before = rt.block_on(sqlite_db.fingerprint());
    let (code, err) = sync(&sqlite_db.url, &with_emu, &[]);
    if immutable {
        let _ = StdCommand::new("chattr").arg("-i").arg(&path).status();
    }
    assert_eq!(code, 2, "read-only SQLite: {err}");
    assert!(err.contains("read-only"), "{err}");
    assert_eq!(rt.block_on(sqlite_db.fingerprint()), before, "the read-only database was left as it was");

    if !pg::skip_postgres() {
        let pg_db = TestDb::new(Engine::Postgres, "cli_read_only");
        let (code, err) = run_sync(&emu, &pg_db, &short, &[]);
        assert_eq!(code, 0, "{err}");
        pg::shared().psql("postgres", "ALTER DATABASE cli_read_only SET default_transaction_read_only = on");
        let before = rt.block_on(pg_db.fingerprint());
        let (code, err) = sync(&pg_db.url, &with_emu, &pg_db.env());
        assert_eq!(code, 2, "read-only PostgreSQL: {err}");
        assert!(err.contains("read-only"), "{err}");
        assert_eq!(rt.block_on(pg_db.fingerprint()), before);
        // A wrong password: refused, and it is never shown.
        let (code, err) = sync(&pg_db.url, &with_emu, &[("PGPASSWORD", "wrong-Secret-42")]);
        assert_eq!(code, 4, "{err}");
        assert!(err.contains("authentication failed") && !err.contains("wrong-Secret-42"), "{err}");
    }

    // Stamps files: a secret written in it; a variable it names that is not set. The database is never created.
    let db_path = dir.path().join("never.db");
    let stamps = dir.path().join("stamps.toml");
    let url = format!("sqlite:{}", db_path.display());
    std::fs::write(
        &stamps,
        "[[stamp]]\nname = \"east\"\nendpoint = \"https://adminmanagement.east.example\"\nclient_id = \"app\"\nclient_secret = \"Sup3r~Secret\"\n",
    )
    .unwrap();
    let (code, err) = sync(&url, &["--config", stamps.to_str().unwrap()], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("stamps.toml:5:") && err.contains("client_secret_env") && !err.contains("Sup3r~Secret"),
        "{err}"
    );
    std::fs::write(
        &stamps,
        "[[stamp]]\nname = \"east\"\nendpoint = \"https://adminmanagement.east.example\"\nclient_id = \"app\"\nclient_secret_env = \"AZS_TEST_UNSET_SECRET\"\n",
    )
    .unwrap();
    let (code, err) = sync(&url, &["--config", stamps.to_str().unwrap()], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("AZS_TEST_UNSET_SECRET") && err.contains("not set"), "{err}");
    assert!(!db_path.exists(), "no database was created for bad input");

    // Times that cannot be synced.
    let later = iso(r.until + chrono::Duration::hours(3));
    let (code, err) = run(&url, &[&with_emu[..], &["--from", until.as_str(), "--to", later.as_str()]].concat(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--to") && err.contains("still being processed"), "{err}");
    assert!(!db_path.exists());
}
