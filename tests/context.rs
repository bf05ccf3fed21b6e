//! Path context: demo credentials in tests, docs and examples are warnings; high-confidence
//! keys fail everywhere; `[context]` in config overrides the conventions.

mod common;

use common::scan_json;

const GENERIC: &str = "db_password = \"Zq8vT2mWx9Lk4Rb7\"\n";
const GITHUB: &str = "token = \"ghp_4Nd8cR2xWq7Lm9Zt3Kp6Vb1Hs5Jf0Ga8Ye2Q\"\n";

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, text) in [
        ("app/settings.py", GENERIC),
        ("tests/test_settings.py", GENERIC),
        ("examples/quickstart/settings.py", GENERIC),
        ("docs/setup.md", GITHUB),
        ("vendor/lib/settings.py", GENERIC),
    ] {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

/// (path, level, context) for every finding.
fn levels(report: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["level"].as_str().unwrap_or_default().to_owned(),
                f["context"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn demo_credentials_warn_and_real_keys_fail() {
    let dir = repo();
    let (exit, report, _) = scan_json(&["--no-config", "."], dir.path());
    assert_eq!(exit, 1);
    let got = levels(&report);
    let want = [
        ("app/settings.py", "failure", "source"),
        ("docs/setup.md", "failure", "docs"),
        ("examples/quickstart/settings.py", "warning", "example"),
        ("tests/test_settings.py", "warning", "test"),
        ("vendor/lib/settings.py", "warning", "vendored"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn the_scanned_root_itself_does_not_count_as_context() {
    // Scanning `tests/` directly: its files are judged by their path within it.
    let dir = repo();
    let (_, report, _) = scan_json(&["--no-config", "tests"], dir.path());
    // `test_settings.py` is a test file by its name, whatever the root.
    assert_eq!(levels(&report)[0].2, "test");
    let (_, report, _) = scan_json(&["--no-config", "app"], dir.path());
    assert_eq!(levels(&report)[0].2, "source");
}

#[test]
fn config_overrides_conventions_and_policy() {
    let dir = repo();
    std::fs::write(
        dir.path().join("custos.toml"),
        "[context]\nsource = [\"examples/**\"]\n",
    )
    .expect("config");
    let (_, report, _) = scan_json(&["."], dir.path());
    assert!(levels(&report).contains(&(
        "examples/quickstart/settings.py".into(),
        "failure".into(),
        "source".into()
    )));

    std::fs::write(
        dir.path().join("custos.toml"),
        "[context]\ndemo_credentials = \"failure\"\n",
    )
    .expect("config");
    let (_, report, _) = scan_json(&["."], dir.path());
    assert!(levels(&report)
        .iter()
        .all(|(_, level, _)| level == "failure"));

    std::fs::write(
        dir.path().join("custos.toml"),
        "[context]\ndemo_credentials = \"maybe\"\n",
    )
    .expect("config");
    let o = common::custos(&["scan", "."], dir.path());
    assert_eq!(common::code(&o), 2);
    assert!(common::stderr(&o).contains("demo_credentials"));
}
