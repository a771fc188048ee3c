//! `azs-usage report --database` on SQLite and PostgreSQL: the emulator synced with a rate card
//! that leaves one meter unpriced, then reported from the database; the same usage exported from
//! the database, priced by `azs-usage price` into a FOCUS CSV (with its unpriced side file) and
//! reported from that file. Both reports must show the same exact figures (every `data-exact`
//! value), for the whole data and for a one-day period. Then the stamp synced Daily too: the
//! report refuses to add both granularities, and names Daily's months as out of date.

#[allow(dead_code)]
mod common;

use std::path::{Path, PathBuf};

use azs_usage_tests::db::{Engine, TestDb};
use azs_usage_tests::pg;
use chrono::{DurationRound, Utc};
use common::{Emulator, cli, emulator, iso};

/// The meter the test's rate card leaves out (BlobTransactions), so that there is unpriced usage.
const UNPRICED_METER: &str = "43DAF82B-4618-444A-B994-40C23F7CD438";

/// The sample rate card without [`UNPRICED_METER`].
fn rate_card(dir: &Path) -> PathBuf {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/samples/ratecard.csv");
    let text = std::fs::read_to_string(sample).expect("sample rate card");
    let kept: Vec<&str> = text.lines().filter(|l| !l.to_ascii_uppercase().starts_with(UNPRICED_METER)).collect();
    assert!(kept.len() < text.lines().count(), "the sample card prices {UNPRICED_METER}");
    let path = dir.join("ratecard.csv");
    std::fs::write(&path, kept.join("\n")).unwrap();
    path
}

/// Every `data-exact` value of a page, with what it belongs to, sorted (the two reports name
/// their source differently, and equal figures may be listed in another order).
fn exact_values(html: &Path) -> Vec<String> {
    let page = std::fs::read_to_string(html).unwrap();
    let mut values: Vec<String> = page
        .split("data-exact=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or_default().to_string())
        .collect();
    values.sort();
    values
}

/// The exact value of one headline figure (`billed`, `unpriced`, ...).
fn figure(html: &Path, key: &str) -> String {
    let page = std::fs::read_to_string(html).unwrap();
    let at = page.find(&format!("data-figure=\"{key}\"")).unwrap_or_else(|| panic!("no figure {key}"));
    let rest = &page[at..];
    let start = rest.find("data-exact=\"").unwrap() + "data-exact=\"".len();
    rest[start..].split('"').next().unwrap().to_string()
}

/// Runs `azs-usage` with `db`'s environment; panics with its stderr unless it succeeds.
fn run(db: &TestDb, args: &[&str]) -> String {
    let mut c = cli();
    c.args(args).env_remove("PGPASSWORD");
    for (k, v) in db.env() {
        c.env(k, v);
    }
    let out = c.output().expect("azs-usage runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "azs-usage {args:?} failed: {stderr}");
    stderr
}

/// Writes the directory the sync stored (and priced with) as a directory file, read from the
/// table directly; false when it stored none (the store's directory refresh is still a stub on
/// main, so the sync prices with an empty directory: every subscription its own tenant).
fn stored_directory(db: &TestDb, file: &Path) -> bool {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let rows = runtime.block_on(db.rows(
        "SELECT subscription_id, display_name, owner, tenant_id, offer_id, offer_name, state,
         delegated_provider_subscription_id, provider_subscription_id FROM subscriptions WHERE stamp = 'lab'",
    ));
    if rows.is_empty() {
        return false;
    }
    let mut csv = csv::Writer::from_path(file).unwrap();
    csv.write_record(azs_usage_core::DIRECTORY_FIELDS).unwrap();
    for row in rows {
        csv.write_record(row.iter().map(|c| c.clone().unwrap_or_default())).unwrap();
    }
    csv.flush().unwrap();
    true
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn report_from_database_equals_report_from_focus_file(engine: Engine) {
    let emu: Emulator = emulator(&[]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let card = rate_card(d);
    let db = TestDb::new(engine, &format!("report_db_{}", format!("{engine:?}").to_lowercase()));
    let until = Utc::now().duration_trunc(chrono::Duration::hours(1)).unwrap();
    let since = until - chrono::Duration::days(2);
    run(
        &db,
        &[
            "sync",
            "--database",
            &db.url,
            "--stamp",
            "lab",
            "--since",
            &iso(since),
            "--until",
            &iso(until),
            "--emulator",
            p(&emu.ready),
            "--rate-card",
            p(&card),
        ],
    );

    // The independent path: the stored usage exported, priced by `price` with the same card and the
    // directory the sync priced with (read from its table), reported from the FOCUS file and its
    // unpriced side file.
    let export = d.join("lake");
    run(&db, &["export", "--database", &db.url, "--table", "usage", "--format", "csv", "-o", p(&export)]);
    let mut usage_files = Vec::new();
    for year in std::fs::read_dir(export.join("usage")).unwrap() {
        for month in std::fs::read_dir(year.unwrap().path()).unwrap() {
            for file in std::fs::read_dir(month.unwrap().path()).unwrap() {
                usage_files.push(file.unwrap().path());
            }
        }
    }
    assert!(!usage_files.is_empty());
    let directory = d.join("directory.csv");
    let mut price = vec!["price", "--rate-card", p(&card)];
    if stored_directory(&db, &directory) {
        price.extend(["--directory", p(&directory)]);
    }
    let focus = d.join("focus.csv");
    price.extend(["-o", p(&focus), "--input"]);
    price.extend(usage_files.iter().map(|f| p(f)));
    run(&db, &price);
    assert!(azs_usage_pricing::unpriced_path(&focus).is_file(), "the card leaves {UNPRICED_METER} unpriced");

    let one_day = (since + chrono::Duration::hours(13)).duration_trunc(chrono::Duration::days(1)).unwrap();
    let periods: [Vec<String>; 2] =
        [vec![], vec!["--from".into(), iso(one_day), "--to".into(), iso(one_day + chrono::Duration::days(1))]];
    for period in periods {
        let period: Vec<&str> = period.iter().map(String::as_str).collect();
        let from_db = d.join("from-db.html");
        let mut args = vec!["report", "--database", &db.url, "--tag", "CostCenter", "-o", p(&from_db)];
        args.extend(&period);
        let said = run(&db, &args);
        assert!(!said.contains("warning"), "no month is out of date after a sync with a rate card: {said}");
        let from_file = d.join("from-file.html");
        let mut args = vec!["report", "--input", p(&focus), "--tag", "CostCenter", "-o", p(&from_file)];
        args.extend(&period);
        run(&db, &args);

        let billed = figure(&from_db, "billed");
        assert!(billed.parse::<f64>().unwrap() > 0.0, "{period:?}: something was billed ({billed})");
        let unpriced: u64 = figure(&from_db, "unpriced").parse().unwrap();
        assert!(unpriced > 0, "{period:?}: the usage of {UNPRICED_METER} is unpriced");
        assert_eq!(figure(&from_file, "billed"), billed, "{period:?}: billed total");
        assert_eq!(figure(&from_file, "unpriced"), unpriced.to_string(), "{period:?}: unpriced records");
        let (a, b) = (exact_values(&from_db), exact_values(&from_file));
        if a != b {
            // Kept for a look at what differs.
            let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("report-database-{engine:?}"));
            std::fs::create_dir_all(&keep).unwrap();
            std::fs::copy(&from_db, keep.join("from-db.html")).unwrap();
            std::fs::copy(&from_file, keep.join("from-file.html")).unwrap();
        }
        assert!(a.len() > 50, "{period:?}: the page has its figures ({})", a.len());
        assert_eq!(a, b, "{period:?}: every exact figure of the two reports");
    }

    // The same stamp synced Daily too, without a rate card: the database now holds the same usage
    // twice, so the report refuses to guess; Hourly still gives the same figures, and Daily's
    // months are named as out of date (no cost rows, and its usage not counted as unpriced).
    let day = until.duration_trunc(chrono::Duration::days(1)).unwrap();
    run(
        &db,
        &[
            "sync",
            "--database",
            &db.url,
            "--stamp",
            "lab",
            "--granularity",
            "Daily",
            "--since",
            &iso(day - chrono::Duration::days(2)),
            "--until",
            &iso(day),
            "--emulator",
            p(&emu.ready),
        ],
    );
    let out = d.join("both.html");
    let mut c = cli();
    c.args(["report", "--database", &db.url, "-o", p(&out)]).env_remove("PGPASSWORD");
    for (k, v) in db.env() {
        c.env(k, v);
    }
    let refused = c.output().unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{said}");
    assert!(said.contains("Daily and Hourly") && said.contains("--granularity"), "{said}");
    assert!(!out.exists());
    let hourly = d.join("hourly.html");
    run(&db, &["report", "--database", &db.url, "--granularity", "hourly", "--tag", "CostCenter", "-o", p(&hourly)]);
    let from_file = d.join("all-from-file.html");
    run(&db, &["report", "--input", p(&focus), "--tag", "CostCenter", "-o", p(&from_file)]);
    assert_eq!(exact_values(&hourly), exact_values(&from_file), "Hourly alone, as before");
    let daily = d.join("daily.html");
    let said = run(&db, &["report", "--database", &db.url, "--granularity", "Daily", "-o", p(&daily)]);
    assert!(said.contains("warning: stamp 'lab', Daily, ") && said.contains("out of date"), "{said}");
    assert_eq!(figure(&daily, "billed"), "0");
    assert_eq!(figure(&daily, "unpriced"), "0");

    if engine == Engine::Postgres {
        // A password written in the URL (it works, but shows in process lists) is never shown:
        // not in the report's header, not on stderr.
        let with_password = db.url.replacen("postgres://azs@", &format!("postgres://azs:{}@", pg::PG_PASSWORD), 1);
        assert_ne!(with_password, db.url);
        let page = d.join("password.html");
        let mut c = cli();
        c.args(["report", "--database", &with_password, "--granularity", "hourly", "-o", p(&page)])
            .env_remove("PGPASSWORD");
        let out = c.output().unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{said}");
        assert!(!said.contains(pg::PG_PASSWORD), "{said}");
        let html = std::fs::read_to_string(&page).unwrap();
        assert!(!html.contains(pg::PG_PASSWORD), "the report names the database without its password");
        assert!(html.contains("127.0.0.1"), "the report names the database");
    }
}

#[test]
fn report_from_sqlite_equals_report_from_its_focus_export() {
    report_from_database_equals_report_from_focus_file(Engine::Sqlite);
}

#[test]
fn report_from_postgres_equals_report_from_its_focus_export() {
    if pg::skip_postgres() {
        return;
    }
    report_from_database_equals_report_from_focus_file(Engine::Postgres);
}

#[test]
fn report_input_and_database_are_exclusive_and_a_missing_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.html");
    let both = cli().args(["report", "--input", "x.csv", "--database", "sqlite:x.db", "-o", p(&out)]).output().unwrap();
    assert_eq!(both.status.code(), Some(2), "{}", String::from_utf8_lossy(&both.stderr));
    let missing = dir.path().join("none.db");
    let url = format!("sqlite:{}", missing.display());
    let gone = cli().args(["report", "--database", &url, "-o", p(&out)]).output().unwrap();
    let said = String::from_utf8_lossy(&gone.stderr);
    assert_eq!(gone.status.code(), Some(4), "{said}");
    assert!(said.contains("does not exist") && said.contains("sync"), "{said}");
    assert!(!missing.exists() && !out.exists(), "nothing created");
}
