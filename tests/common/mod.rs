//! Helpers shared by the integration tests: run the built binary and read its JSON output.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn custos(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_custos"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run custos")
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally, not by a signal")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Run `custos scan … --format json` and parse the report.
pub fn scan_json(args: &[&str], cwd: &Path) -> (i32, serde_json::Value, String) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let o = custos(&all, cwd);
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "custos panicked: {err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("json output: {e}\nstdout: {}\nstderr: {err}", stdout(&o)));
    (code(&o), v, err)
}

/// (path, line, rule) for every finding in a JSON report.
pub fn triples(report: &serde_json::Value) -> Vec<(String, u64, String)> {
    let mut v: Vec<(String, u64, String)> = report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["location"]["line"].as_u64().unwrap_or(0),
                f["rule_id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

pub fn rule_ids(report: &serde_json::Value) -> Vec<String> {
    triples(report).into_iter().map(|t| t.2).collect()
}

/// Secrets planted in the fixtures; none may appear in any output, in full.
pub const PLANTED: &[&str] = &[
    "AKIA2E0A8F3B244C9986",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCY3EXAMPLEKEY",
    "FwoGZXIvYXdzEJr//////////wEaDNotARealToken",
    "Qx8Q~notAReal.Secret-Value_123",
    "Pr0d-etl-2024!",
    "mlf_7c1e9a0b3d5f42e8a6c4",
    "fs-9f8e7d6c5b4a3210",
    "4815162342",
    "9c2b7f1e4d8a6b3c",
    "feat-2024-Summer!",
    "Feat-Wh-2024!",
    // fixtures/labelled: secrets and PII in code, configs and logs.
    "Wareh0use-2024!",
    "Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0",
    "AKIA4QW2ZK7NB3XT9PLM",
    "Etl-Pr0d-77",
    "dapi4c2e8a6b0d1f3e5c7a9b2d4f6e8a0c1b",
    "sk_live_51Hq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Ga8Ye",
    "letmein123",
    "Xq7Lm2Zw9Kt3Rp6Vb1Hs5Jf0Ga8Ye2Qn4Mc7Ud1Wo3T=",
    "Airfl0w-Db-Pass",
    "ana.lopez@globex-mail.com",
    "5555 5555 5555 4444",
    "536-22-8741",
    "GB82 WEST 1234 5698 7654 32",
    "+44 20 7946 0958",
    "943 476 5919",
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
    "Rk8Lm2Xw9Kt3Rp6Vb1Hs",
    "maria.rossi",
    "Depl0y-S3cret",
    "ghs_Zx9Lm2Qw8Er4Ty6Ui1Op3As5Df7Gh0Jk2Lz4X",
    "415-555-0132",
];
