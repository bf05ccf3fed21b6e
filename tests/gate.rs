//! The gate cannot be bypassed by volume: a listing cap limits what is *listed*, never what is
//! counted or what decides the exit code, and what is listed is the most severe.

mod common;

use common::{code, custos, scan_json, stdout};

/// A log where every line holds a medium finding (an email) before three critical ones
/// (AWS access key ids): in file order, the first 1,000 findings are all medium... and then some.
fn volume_log(dir: &std::path::Path, lines: usize) -> std::path::PathBuf {
    use std::fmt::Write as _;
    let mut text = String::new();
    for i in 0..lines {
        let _ = writeln!(
            text,
            "user jane.doe{i}@acme-corp.io uploaded keys AKIA2E0A8F3B244C{:04} ASIAY34FZKBOKMUT{:04} AKIAQ7ZP3LM2XK9D{:04}",
            i % 10_000,
            (i + 1) % 10_000,
            (i + 2) % 10_000
        );
    }
    let p = dir.join("app.log");
    std::fs::write(&p, text).expect("write log");
    p
}

#[test]
fn volume_cannot_bypass_the_gate() {
    let dir = tempfile::tempdir().expect("tempdir");
    volume_log(dir.path(), 5_000);
    let (exit, report, _) = scan_json(
        &["--no-config", "--fail-on", "critical", "app.log"],
        dir.path(),
    );
    assert_eq!(
        exit, 1,
        "critical findings beyond the listing cap must fail the gate"
    );
    let summary = &report["summary"];
    assert_eq!(summary["failed"], true);
    // Every finding is counted: 5,000 emails + 15,000 key ids.
    assert_eq!(summary["findings"], 20_000, "{summary}");
    assert_eq!(summary["by_severity"]["critical"], 15_000, "{summary}");
    assert_eq!(summary["by_severity"]["medium"], 5_000, "{summary}");
    assert_eq!(summary["listed"], 1_000);
    let listed = report["findings"].as_array().expect("findings");
    assert_eq!(listed.len(), 1_000);
    // The listed ones are the most severe.
    assert!(listed.iter().all(|f| f["severity"] == "critical"));
    // The rest are counted per rule in the machine-readable output.
    let unlisted = report["unlisted"].as_array().expect("unlisted");
    let total: u64 = unlisted
        .iter()
        .map(|u| u["count"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(total, 19_000);
    assert!(unlisted
        .iter()
        .any(|u| u["rule_id"] == "PII001" && u["count"] == 5_000));
}

/// Once the listing is full of medium findings, later ones of the same severity are only
/// counted, but a more severe finding further down is still listed, in place of the latest
/// medium ones.
#[test]
fn a_severe_finding_after_the_listing_fills_is_still_listed() {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::new();
    for i in 0..3_000 {
        let _ = writeln!(text, "user jane.doe{i}@acme-corp.io signed in");
    }
    for i in 0..10 {
        let _ = writeln!(text, "uploaded key AKIA2E0A8F3B244C{i:04}");
    }
    std::fs::write(dir.path().join("app.log"), text).expect("write log");
    let (exit, report, _) = scan_json(
        &["--no-config", "--fail-on", "critical", "app.log"],
        dir.path(),
    );
    assert_eq!(exit, 1);
    assert_eq!(
        report["summary"]["findings"], 3_010,
        "{}",
        report["summary"]
    );
    let listed = report["findings"].as_array().expect("findings");
    assert_eq!(listed.len(), 1_000);
    let lines = |sev: &str| -> Vec<u64> {
        listed
            .iter()
            .filter(|f| f["severity"] == sev)
            .map(|f| f["location"]["line"].as_u64().unwrap_or(0))
            .collect()
    };
    assert_eq!(lines("critical"), (3_001..=3_010).collect::<Vec<u64>>());
    // Among equals the earliest stay listed.
    assert_eq!(lines("medium"), (1..=990).collect::<Vec<u64>>());
    let unlisted = report["unlisted"].as_array().expect("unlisted");
    assert_eq!(unlisted.len(), 1, "{unlisted:?}");
    assert_eq!(unlisted[0]["rule_id"], "PII001");
    assert_eq!(unlisted[0]["count"], 2_010);
}

#[test]
fn human_output_counts_what_it_does_not_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    volume_log(dir.path(), 2_000);
    let o = custos(
        &["scan", "--no-config", "--fail-on", "critical", "app.log"],
        dir.path(),
    );
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(out.contains("counted but not listed:"), "{out}");
    assert!(out.contains("PII001 medium"), "{out}");
    let last = out.lines().last().unwrap_or_default();
    assert!(last.starts_with("custos: 8000 findings"), "{last}");
    assert!(last.contains("FAILED: 6000 at or above critical"), "{last}");
}

#[test]
fn disabled_rules_are_neither_listed_nor_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    volume_log(dir.path(), 1_500);
    std::fs::write(
        dir.path().join("custos.toml"),
        "[policies]\ndisabled = [\"SEC001\"]\n",
    )
    .expect("config");
    let (exit, report, _) = scan_json(&["--fail-on", "critical", "."], dir.path());
    // ASIA… keys are SEC001 too: with the rule disabled only emails remain.
    assert_eq!(exit, 0, "{}", report["summary"]);
    assert_eq!(report["summary"]["by_severity"]["critical"], 0);
    assert_eq!(report["summary"]["findings"], 1_500);
}
