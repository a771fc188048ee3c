//! `azs_export_report` with bad input: every case comes back as an error with its reason (the
//! module's ErrorId), never a panic, and nothing is written under the report's name.

use azs_usage_native::{ErrorReason, ReportOutcome, ReportRequestDto, azs_export_report};
use interoptopus::ffi;
use interoptopus::wire::Wire;

fn request(report_path: &str) -> ReportRequestDto {
    ReportRequestDto {
        report_path: report_path.to_string(),
        focus_file: String::new(),
        unpriced: String::new(),
        database_password: String::new(),
        database: String::new(),
        database_ca_file: String::new(),
        granularity: String::new(),
        month: String::new(),
        period_start: String::new(),
        period_end: String::new(),
        tag: String::new(),
        culture: String::new(),
        statements: String::new(),
        browser: String::new(),
        no_pdf: 0,
        provider_name: String::new(),
        title: String::new(),
        meters_file: String::new(),
    }
}

fn export(r: ReportRequestDto) -> ReportOutcome {
    match azs_export_report(Wire::from(r)) {
        ffi::Ok(mut w) => w.unwire(),
        ffi::Err(e) => panic!("Err({e:?})"),
        ffi::Result::Panic => panic!("the export panicked"),
        ffi::Result::Null => panic!("Null"),
    }
}

#[test]
fn bad_report_input_is_an_error_with_its_reason_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("report.html");
    let out_s = out.to_str().unwrap();
    let garbage = d.join("garbage.csv");
    std::fs::write(&garbage, b"\xff\xfe not, a, focus\nfile\x00\x01").unwrap();
    let missing = d.join("missing.csv").to_str().unwrap().to_string();
    let with = |f: &dyn Fn(&mut ReportRequestDto)| {
        let mut r = request(out_s);
        r.focus_file = missing.clone();
        f(&mut r);
        r
    };
    let cases: Vec<(&str, ReportRequestDto, ErrorReason)> = vec![
        ("a missing FOCUS file", with(&|_| {}), ErrorReason::FocusFileInvalid),
        (
            "a file that is not FOCUS",
            with(&|r| r.focus_file = garbage.display().to_string()),
            ErrorReason::FocusFileInvalid,
        ),
        (
            "an output that is a folder",
            with(&|r| r.report_path = d.display().to_string()),
            ErrorReason::OutputPathInvalid,
        ),
        (
            "an output in a missing folder",
            with(&|r| r.report_path = d.join("no/such/r.html").display().to_string()),
            ErrorReason::OutputPathInvalid,
        ),
        ("an empty output", with(&|r| r.report_path = " ".into()), ErrorReason::OutputPathInvalid),
        ("a bad month", with(&|r| r.month = "2026-13".into()), ErrorReason::InvalidTimeRange),
        ("a start without an end", with(&|r| r.period_start = "2026-11-01".into()), ErrorReason::InvalidTimeRange),
        (
            "an empty period",
            with(&|r| {
                r.period_start = "2026-11-02".into();
                r.period_end = "2026-11-01".into();
            }),
            ErrorReason::InvalidTimeRange,
        ),
        (
            "a bad time",
            with(&|r| {
                r.period_start = "yesterday".into();
                r.period_end = "2026-11-01".into();
            }),
            ErrorReason::InvalidTimeRange,
        ),
        (
            "a month and a range",
            with(&|r| {
                r.month = "2026-11".into();
                r.period_start = "2026-11-01".into();
            }),
            ErrorReason::InvalidArgument,
        ),
        ("an unknown culture", with(&|r| r.culture = "xx-YY".into()), ErrorReason::InvalidArgument),
        ("a file and a database", with(&|r| r.database = "sqlite:x.db".into()), ErrorReason::InvalidArgument),
        ("no source", with(&|r| r.focus_file.clear()), ErrorReason::InvalidArgument),
        (
            "an unknown database engine",
            with(&|r| {
                r.focus_file.clear();
                r.database = "mysql://u@h/db".into();
            }),
            ErrorReason::DatabaseUrlInvalid,
        ),
        (
            "a missing SQLite database",
            with(&|r| {
                r.focus_file.clear();
                r.database = format!("sqlite:{}", d.join("none.db").display());
            }),
            ErrorReason::DatabaseUnavailable,
        ),
        (
            "a bad granularity",
            with(&|r| {
                r.focus_file.clear();
                r.database = "sqlite:x.db".into();
                r.granularity = "Weekly".into();
            }),
            ErrorReason::InvalidGranularity,
        ),
        (
            "a browser that is not there",
            with(&|r| {
                r.statements = d.join("st").display().to_string();
                r.browser = d.join("no-chromium").display().to_string();
            }),
            ErrorReason::BrowserUnavailable,
        ),
        ("a missing meter file", with(&|r| r.meters_file = missing.clone()), ErrorReason::MeterFileInvalid),
    ];
    for (what, r, reason) in cases {
        let outcome = export(r);
        assert_eq!(outcome.error.len(), 1, "{what}: one error");
        let e = &outcome.error[0];
        assert_eq!(e.reason, reason, "{what}: {}", e.message);
        assert!(!e.message.is_empty(), "{what}: a message");
        assert!(outcome.path.is_empty(), "{what}: no report");
        assert!(!out.exists(), "{what}: nothing written");
        assert!(!d.join("none.db").exists() && !d.join("st").exists(), "{what}: nothing created");
    }
}
