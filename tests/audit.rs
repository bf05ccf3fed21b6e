//! `custos audit` and `custos report merge` end to end through the binary, over local
//! fixtures built in a temporary directory: control status from findings (fail, pass, not
//! tested, manual), traceability from every failed control to findings with evidence hashes
//! that match the files, chain verification (intact and tampered) with checkpoint sizes and
//! roots, the bundle's own hash, sealing, framework filtering, errors, no secret in any output,
//! and shard/merge determinism.

// `d` (the audit's directory) and `o` (a run's output) read best short here.
#![allow(clippy::many_single_char_names)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use sha2::{Digest, Sha256};

use common::{code, stderr, stdout};

/// Run custos in `dir` with a fixed clock and identity, so outputs are byte-comparable.
fn run(args: &[&str], dir: &Path) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_custos"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env("USER", "auditor")
        .env("HOSTNAME", "ci-runner")
        .output()
        .expect("run custos");
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    o
}

fn sha256(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn bundle(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn control<'a>(b: &'a Value, framework: &str, id: &str) -> &'a Value {
    b["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["framework"] == framework && c["id"] == id)
        .unwrap_or_else(|| panic!("no control {framework} {id}"))
}

const UNENCRYPTED: &str = "resource \"aws_s3_bucket\" \"data\" {\n  bucket = \"acme-data\"\n}\n";

/// A sealed chain `good.jsonl` with a signed checkpoint, its key, and `bad.jsonl`: the same
/// chain with one record changed.
fn chains(dir: &Path) {
    std::fs::write(
        dir.join("plain.jsonl"),
        "{\"e\":\"login\"}\n{\"e\":\"export\"}\n{\"e\":\"logout\"}\n",
    )
    .unwrap();
    for args in [
        &["chain", "seal", "plain.jsonl", "-o", "good.jsonl"][..],
        &["chain", "keygen", "example.com/audit"][..],
        &[
            "chain",
            "checkpoint",
            "good.jsonl",
            "--key",
            "example.com_audit.key",
            "--origin",
            "example.com/audit",
            "-o",
            "good.cp",
        ][..],
    ] {
        let o = run(args, dir);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let good = std::fs::read_to_string(dir.join("good.jsonl")).unwrap();
    std::fs::write(
        dir.join("bad.jsonl"),
        good.replace("\"export\"", "\"nothing\""),
    )
    .unwrap();
}

fn chain_table(path: &str) -> String {
    format!(
        "[[chain]]\npath = \"{path}\"\ncheckpoints = [\"good.cp\"]\nkeys = [\"example.com_audit.pub\"]\n"
    )
}

fn git_repo(dir: &Path) -> String {
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .expect("git");
        assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
        stdout(&o).trim().to_owned()
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "fixture"]);
    git(&["rev-parse", "HEAD"])
}

#[test]
fn an_audit_traces_every_failed_control_to_findings_with_evidence_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("repo")).unwrap();
    std::fs::write(d.join("repo/main.tf"), UNENCRYPTED).unwrap();
    let head = git_repo(&d.join("repo"));
    chains(d);
    let scope = format!(
        "name = \"Q1 audit\"\nscan = [\"repo\"]\n[window]\nstart = \"2026-01-01T00:00:00Z\"\nend = \"2026-03-31T23:59:59Z\"\n{}{}",
        chain_table("good.jsonl"),
        chain_table("bad.jsonl")
    );
    std::fs::write(d.join("audit.toml"), &scope).unwrap();
    let o = run(&["audit"], d);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    let b = bundle(&d.join("audit-out/bundle.json"));
    assert_eq!(b["schema"], "custos-audit-bundle");
    assert_eq!(b["version"], 1);

    // The bundle's own hash: printed, written beside it in sha256sum's format, and right.
    let bytes = std::fs::read(d.join("audit-out/bundle.json")).unwrap();
    let sha = sha256(&bytes);
    assert!(out.contains(&format!("sha256: {sha}")), "{out}");
    assert_eq!(
        std::fs::read_to_string(d.join("audit-out/bundle.json.sha256")).unwrap(),
        format!("{sha}  bundle.json\n")
    );
    assert!(
        out.lines().last().unwrap().starts_with("compliance: "),
        "{out}"
    );
    assert!(out.contains("gate FAILED"), "{out}");

    // Run metadata.
    let r = &b["run"];
    assert_eq!(r["command"], "audit");
    assert_eq!(r["name"], "Q1 audit");
    assert_eq!(r["policies_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(r["config_sha256"], sha256(scope.as_bytes()).as_str());
    assert_eq!(r["window"]["start"], "2026-01-01T00:00:00Z");
    assert_eq!(r["user"], "auditor");
    assert_eq!(r["host"], "ci-runner");
    assert_eq!(r["started"], "2026-01-01T00:00:00Z");
    let repo = b["scope"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "scan:repo")
        .unwrap();
    assert_eq!(repo["git_commit"], head.as_str());
    assert_eq!(repo["kinds"], serde_json::json!(["terraform"]));

    // Controls: a finding fails its controls; rules in effect with no finding pass; rules
    // that had nothing to examine leave their control not tested; no rule = manual.
    assert_eq!(control(&b, "soc2", "CC6.1")["status"], "fail");
    assert_eq!(control(&b, "soc2", "CC7.2")["status"], "fail"); // the tampered chain
    assert_eq!(control(&b, "soc2", "CC6.7")["status"], "pass"); // TF013: no finding
    assert_eq!(control(&b, "soc2", "P4.1")["status"], "not-tested"); // no log in scope
    assert_eq!(control(&b, "soc2", "CC1.1")["status"], "manual");
    assert!(control(&b, "soc2", "CC1.1")["procedure"].is_string());

    // Traceability: every failed control lists findings, each with the SHA-256 of the file
    // as it is on disk, and that file is in the evidence list.
    let findings = b["findings"].as_array().unwrap();
    let evidence = b["evidence"].as_array().unwrap();
    let failed: Vec<&Value> = b["controls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .collect();
    assert!(!failed.is_empty());
    for c in failed {
        let ids = c["findings"].as_array().unwrap();
        assert!(
            !ids.is_empty(),
            "{} {} fails with no finding",
            c["framework"],
            c["id"]
        );
        for id in ids {
            let f = findings.iter().find(|f| f["id"] == *id).unwrap();
            assert_eq!(f["failing"], true);
            let hash = f["evidence_sha256"]
                .as_str()
                .unwrap_or_else(|| panic!("finding without evidence hash: {f}"));
            let path = f["path"].as_str().unwrap();
            assert_eq!(
                hash,
                sha256(&std::fs::read(d.join(path)).unwrap()),
                "{path}"
            );
            assert!(evidence
                .iter()
                .any(|e| e["path"] == path && e["sha256"] == hash && e["scope"] == f["scope"]));
        }
    }
    let tf = findings.iter().find(|f| f["rule_id"] == "TF002").unwrap();
    assert_eq!(tf["path"], "repo/main.tf");
    assert_eq!(tf["line"], 1);

    // Verifications, with the checkpoint's size and root.
    let checks = b["checks"].as_array().unwrap();
    let check = |subject: &str| checks.iter().find(|c| c["subject"] == subject).unwrap();
    assert_eq!(check("good.jsonl")["verdict"], "pass");
    assert_eq!(check("good.jsonl")["records"], 3);
    assert_eq!(check("bad.jsonl")["verdict"], "fail");
    let cp = &check("good.jsonl")["checkpoints"][0];
    assert_eq!(cp["size"], 3);
    assert_eq!(cp["signature"], "verified");
    assert_eq!(cp["matches"], true);
    assert_eq!(cp["root"], check("good.jsonl")["merkle_root"]);
    // The record was edited in place: its stored hash (the Merkle leaf) no longer matches
    // its content, found at its line.
    let tampered = findings
        .iter()
        .find(|f| f["rule_id"] == "chain-tampered")
        .unwrap();
    assert_eq!(tampered["path"], "bad.jsonl");
    assert_eq!(tampered["line"], 2);
    assert!(control(&b, "soc2", "CC7.2")["findings"]
        .as_array()
        .unwrap()
        .contains(&tampered["id"]));
    assert_eq!(
        cp["sha256"],
        sha256(&std::fs::read(d.join("good.cp")).unwrap()).as_str()
    );

    // The Markdown report says the same, with the hashes.
    let md = std::fs::read_to_string(d.join("audit-out/report.md")).unwrap();
    assert!(md.contains("**Gate: FAILED**"));
    assert!(md.contains("## Failed controls: the evidence"));
    assert!(md.contains(tf["evidence_sha256"].as_str().unwrap()));
    assert!(md.contains("chain-verify `bad.jsonl`: FAIL"));
    assert!(md.contains(&head));
    let html = std::fs::read_to_string(d.join("audit-out/report.html")).unwrap();
    assert!(html.contains("Content-Security-Policy"));
    assert!(!html.contains("<script"));
    assert!(!html.contains("http://") && !html.contains("https://"));
}

#[test]
fn a_clean_scope_passes_and_frameworks_filter() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("repo")).unwrap();
    std::fs::write(d.join("repo/values.yaml"), "replicas: 2\nimage: app:1.0\n").unwrap();
    chains(d);
    std::fs::write(
        d.join("audit.toml"),
        format!("scan = [\"repo\"]\n{}", chain_table("good.jsonl")),
    )
    .unwrap();
    let o = run(&["audit", "--framework", "soc2,iso27001", "-o", "out"], d);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let b = bundle(&d.join("out/bundle.json"));
    assert_eq!(b["summary"]["gate"], "pass");
    assert_eq!(b["summary"]["controls"]["fail"], 0);
    assert_eq!(
        b["run"]["frameworks"],
        serde_json::json!(["soc2", "iso27001"])
    );
    assert!(b["controls"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["framework"] == "soc2" || c["framework"] == "iso27001"));
    assert_eq!(control(&b, "soc2", "CC7.2")["status"], "pass"); // intact chain
    let o = run(&["audit", "--framework", "pci"], d);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("unknown framework `pci`"));
}

#[test]
fn a_scope_item_that_cannot_be_read_is_an_error_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("audit.toml"), "scan = [\"missing-repo\"]\n").unwrap();
    let o = run(&["audit"], d);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let b = bundle(&d.join("audit-out/bundle.json"));
    assert_eq!(b["scope"][0]["status"], "error");
    assert!(b["scope"][0]["error"]
        .as_str()
        .unwrap()
        .contains("does not exist"));
    assert_eq!(b["summary"]["scope_errors"], 1);
    // Nothing examined: automated controls are not tested, never passed.
    assert_eq!(b["summary"]["controls"]["pass"], 0);
    // A chain that is a FIFO is refused, not waited on.
    let fifo = Command::new("mkfifo")
        .arg(d.join("audit.fifo"))
        .status()
        .unwrap();
    assert!(fifo.success());
    std::fs::write(d.join("audit.toml"), "[[chain]]\npath = \"audit.fifo\"\n").unwrap();
    let o = run(&["audit"], d);
    assert_eq!(code(&o), 2);
    let b = bundle(&d.join("audit-out/bundle.json"));
    assert!(b["scope"][0]["error"]
        .as_str()
        .unwrap()
        .contains("not a regular file"));
}

#[test]
fn no_secret_reaches_the_bundle_or_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("repo")).unwrap();
    let token = "ghp_R8s2Lq7Vx1Nc4Tb9Mz6Kd3Wf0Hy5Pj2Ae8Gu";
    std::fs::write(
        d.join("repo/deploy.env"),
        format!("GITHUB_TOKEN={token}\nREGION=eu-west-1\n"),
    )
    .unwrap();
    let o = run(&["audit", "repo"], d);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let b = bundle(&d.join("audit-out/bundle.json"));
    assert!(
        b["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "SEC003"),
        "the token was not found: {}",
        b["findings"]
    );
    for f in ["bundle.json", "report.md", "report.html"] {
        let text = std::fs::read_to_string(d.join("audit-out").join(f)).unwrap();
        assert!(!text.contains(token), "{f} holds the full token");
    }
    assert!(!stdout(&o).contains(token) && !stderr(&o).contains(token));
}

#[test]
fn seal_appends_the_report_digest_to_an_audit_chain() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("repo")).unwrap();
    std::fs::write(d.join("repo/main.tf"), UNENCRYPTED).unwrap();
    for _ in 0..2 {
        let o = run(&["audit", "repo", "--seal", "reports.chain"], d);
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        assert!(stdout(&o).contains("sealed: record seq"), "{}", stdout(&o));
    }
    let o = run(&["chain", "verify", "reports.chain"], d);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let chain = std::fs::read_to_string(d.join("reports.chain")).unwrap();
    let last: Value = serde_json::from_str(chain.lines().last().unwrap()).unwrap();
    assert_eq!(last["seq"], 1);
    assert_eq!(last["type"], "custos-audit-report");
    let bytes = std::fs::read(d.join("audit-out/bundle.json")).unwrap();
    assert_eq!(last["bundle_sha256"], sha256(&bytes).as_str());
    let html = std::fs::read(d.join("audit-out/report.html")).unwrap();
    assert_eq!(last["reports"][1][1], sha256(&html).as_str());
    // Editing the sealed record is caught by the chain.
    std::fs::write(
        d.join("reports.chain"),
        chain.replace(&sha256(&bytes), &"0".repeat(64)),
    )
    .unwrap();
    assert_eq!(code(&run(&["chain", "verify", "reports.chain"], d)), 1);
    // And a broken chain is not extended.
    let o = run(&["audit", "repo", "--seal", "reports.chain"], d);
    assert_eq!(code(&o), 2);
}

/// A scope of several repositories and chains.
fn wide_scope(d: &Path) {
    for i in 0..7 {
        let r = d.join(format!("repo-{i}"));
        std::fs::create_dir_all(&r).unwrap();
        if i % 2 == 0 {
            std::fs::write(
                r.join("main.tf"),
                UNENCRYPTED.replace("data", &format!("d{i}")),
            )
            .unwrap();
        } else {
            std::fs::write(r.join("app.yaml"), format!("name: app-{i}\n")).unwrap();
        }
    }
    chains(d);
    let scan: Vec<String> = (0..7).map(|i| format!("\"repo-{i}\"")).collect();
    std::fs::write(
        d.join("audit.toml"),
        format!(
            "scan = [{}]\n{}{}",
            scan.join(", "),
            chain_table("good.jsonl"),
            chain_table("bad.jsonl")
        ),
    )
    .unwrap();
}

#[test]
fn shards_merged_give_the_whole_audit_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    wide_scope(d);
    let o = run(&["audit", "-o", "whole"], d);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let mut sizes = Vec::new();
    for i in 0..3 {
        let out = format!("shard-{i}");
        let o = run(&["audit", "--shard", &format!("{i}/3"), "-o", &out], d);
        assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
        let s = bundle(&d.join(&out).join("bundle.json"));
        assert_eq!(s["run"]["shard"]["index"], i);
        sizes.push(s["scope"].as_array().unwrap().len());
        // The same shard again: the same bytes.
        let o = run(&["audit", "--shard", &format!("{i}/3"), "-o", "again"], d);
        assert!(matches!(code(&o), 0 | 1));
        assert_eq!(
            std::fs::read(d.join(&out).join("bundle.json")).unwrap(),
            std::fs::read(d.join("again/bundle.json")).unwrap()
        );
    }
    assert_eq!(sizes.iter().sum::<usize>(), 9);
    // `--list` names exactly the shard's items.
    let listed = stdout(&run(&["audit", "--shard", "1/3", "--list"], d));
    let s1 = bundle(&d.join("shard-1/bundle.json"));
    let keys: Vec<&str> = s1["scope"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    let mut listed: Vec<&str> = listed.lines().collect();
    listed.sort_unstable();
    assert_eq!(listed, keys);
    assert!(sizes.iter().all(|n| (3..=3).contains(n)), "{sizes:?}");
    let o = run(
        &[
            "report",
            "merge",
            "shard-2/bundle.json",
            "shard-0/bundle.json",
            "shard-1/bundle.json",
            "-o",
            "merged",
        ],
        d,
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let o2 = run(
        &[
            "report",
            "merge",
            "shard-1/bundle.json",
            "shard-2/bundle.json",
            "shard-0/bundle.json",
            "-o",
            "merged2",
        ],
        d,
    );
    assert_eq!(code(&o2), 1);
    let m = bundle(&d.join("merged/bundle.json"));
    let m2 = bundle(&d.join("merged2/bundle.json"));
    // Input order does not matter (only the file names it records differ).
    for k in [
        "controls", "findings", "checks", "evidence", "scope", "summary",
    ] {
        assert_eq!(m[k], m2[k], "{k}");
    }
    // The merge is the whole audit.
    let w = bundle(&d.join("whole/bundle.json"));
    for k in [
        "controls", "findings", "checks", "evidence", "scope", "summary", "rules",
    ] {
        assert_eq!(
            m[k], w[k],
            "{k} differs between the merge and the whole audit"
        );
    }
    assert_eq!(m["run"]["command"], "report merge");
    assert!(m["conflicts"].is_null(), "{}", m["conflicts"]);
    let inputs = m["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 3);
    for inp in inputs {
        let f = inp["file"].as_str().unwrap();
        assert_eq!(
            inp["sha256"],
            sha256(&std::fs::read(d.join(f)).unwrap()).as_str()
        );
    }
    assert_eq!(inputs[0]["shard"]["index"], 0);

    // A missing shard is said, not hidden.
    let o = run(
        &[
            "report",
            "merge",
            "shard-0/bundle.json",
            "shard-2/bundle.json",
            "-o",
            "partial",
        ],
        d,
    );
    assert!(
        stderr(&o).contains("shard 1/3 is missing"),
        "{}",
        stderr(&o)
    );
    assert_eq!(code(&o), 2, "an incomplete merge is not a verdict");
    let p = bundle(&d.join("partial/bundle.json"));
    assert!(p["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["detail"].as_str().unwrap().contains("1/3 is missing")));
    let md = std::fs::read_to_string(d.join("partial/report.md")).unwrap();
    assert!(md.contains("**Incomplete:**"));
    // The same shard twice: its scope items are kept once and the repeat is a conflict.
    std::fs::copy(d.join("shard-0/bundle.json"), d.join("copy.json")).unwrap();
    let o = run(
        &[
            "report",
            "merge",
            "shard-0/bundle.json",
            "copy.json",
            "-o",
            "dup",
        ],
        d,
    );
    assert_eq!(code(&o), 2);
    let dup = bundle(&d.join("dup/bundle.json"));
    assert!(dup["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["field"].as_str().unwrap().starts_with("scope ")));
    assert!(stderr(&o).contains("shard 0/3 is given 2 times"));
    // Not a bundle: a clear error.
    std::fs::write(d.join("x.json"), "{\"schema\":\"other\"}").unwrap();
    let o = run(&["report", "merge", "x.json", "-o", "bad"], d);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("not a custos evidence bundle"));
}

#[test]
fn the_trend_compares_with_a_previous_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("repo")).unwrap();
    std::fs::write(d.join("repo/values.yaml"), "a: 1\n").unwrap();
    assert_eq!(code(&run(&["audit", "repo", "-o", "before"], d)), 0);
    std::fs::write(d.join("repo/main.tf"), UNENCRYPTED).unwrap();
    let o = run(
        &[
            "audit",
            "repo",
            "-o",
            "after",
            "--previous",
            "before/bundle.json",
        ],
        d,
    );
    assert_eq!(code(&o), 1);
    let b = bundle(&d.join("after/bundle.json"));
    let t = &b["trend"];
    assert_eq!(
        t["previous_sha256"],
        sha256(&std::fs::read(d.join("before/bundle.json")).unwrap()).as_str()
    );
    assert_eq!(t["previous_findings"]["total"], 0);
    assert!(t["newly_failing"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "soc2 CC6.1"));
    let md = std::fs::read_to_string(d.join("after/report.md")).unwrap();
    assert!(md.contains("### Trend") && md.contains("Newly failing: "));
}

#[test]
fn a_cloudtrail_location_without_digests_is_inconclusive_and_fails_its_controls() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("trail/AWSLogs")).unwrap();
    std::fs::write(d.join("trail/AWSLogs/readme.txt"), "no digests here\n").unwrap();
    std::fs::copy(
        common::repo().join("fixtures/cloudtrail/list-public-keys.json"),
        d.join("keys.json"),
    )
    .unwrap();
    std::fs::write(
        d.join("audit.toml"),
        "[window]\nstart = \"2026-01-01T00:00:00Z\"\nend = \"2026-01-31T23:59:59Z\"\n[[cloudtrail]]\npath = \"trail\"\npublic_keys = [\"keys.json\"]\n",
    )
    .unwrap();
    let o = run(&["audit", "--framework", "soc2"], d);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let b = bundle(&d.join("audit-out/bundle.json"));
    assert_eq!(b["checks"][0]["id"], "cloudtrail-verify");
    assert_eq!(b["checks"][0]["verdict"], "inconclusive");
    assert_eq!(control(&b, "soc2", "CC7.2")["status"], "fail");
    let f = &b["findings"][0];
    assert_eq!(f["rule_id"], "chain-unverifiable");
    assert!(b["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["role"] == "key" && e["path"] == "keys.json"));
    assert!(b["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["role"] == "cloudtrail-file"));
    // Without keys the item cannot run: an error, exit 2.
    std::fs::write(
        d.join("audit.toml"),
        "[[cloudtrail]]\npath = \"trail\"\npublic_keys = [\"missing.json\"]\n",
    )
    .unwrap();
    assert_eq!(code(&run(&["audit"], d)), 2);
}
