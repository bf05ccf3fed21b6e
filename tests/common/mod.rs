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
