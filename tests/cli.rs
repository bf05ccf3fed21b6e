//! CLI behaviour: exit codes, output formats, configuration and policy errors, conftest
//! compatibility, and that nothing a scan prints contains a planted secret.

mod common;

use std::fs;

use common::{code, custos, repo, rule_ids, scan_json, stderr, stdout, PLANTED};

#[test]
fn demo_scan_fails_with_real_findings_and_json_schema() {
    let (code, report, _) = scan_json(&["fixtures/demo"], &repo());
    assert_eq!(code, 1);
    assert_eq!(report["version"], 1);
    assert_eq!(report["tool"]["name"], "custos");
    let ids = rule_ids(&report);
    for id in [
        "TF001",
        "TF002",
        "BKT001",
        "CFG001",
        "AF001",
        "AF003",
        "AF004",
        "parse-error",
    ] {
        assert!(ids.iter().any(|i| i == id), "{id} missing from {ids:?}");
    }
    // The demo's custos.toml raises CFG001 to critical and sets fail_on = medium.
    let cfg001 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "CFG001")
        .unwrap();
    assert_eq!(cfg001["severity"], "critical");
    assert_eq!(report["summary"]["fail_on"], "medium");
    let f = &report["findings"][0];
    for key in [
        "rule_id",
        "title",
        "severity",
        "level",
        "message",
        "path",
        "location",
        "kind",
        "fingerprint",
        "controls",
        "remediation",
    ] {
        assert!(f.get(key).is_some(), "finding lacks `{key}`");
    }
    assert!(f["location"]["line"].as_u64().unwrap() >= 1);
}

#[test]
fn human_output_snapshot() {
    let o = custos(&["scan", "fixtures/demo", "--color", "never"], &repo());
    assert_eq!(code(&o), 1);
    insta::assert_snapshot!("demo_human", stdout(&o));
}

#[test]
fn fail_on_threshold_and_clean_exit() {
    // Demo's worst findings are critical: fail-on critical still fails…
    let o = custos(&["scan", "fixtures/demo", "--fail-on", "critical"], &repo());
    assert_eq!(code(&o), 1);
    // …while the TF002 fixture only has high findings.
    let o = custos(
        &[
            "scan",
            "fixtures/rules/TF002/fail",
            "--fail-on",
            "critical",
            "--config",
            "fixtures/rules/custos.toml",
        ],
        &repo(),
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("passed (fail-on critical)"));
    let o = custos(&["scan", "fixtures/rules/TF002/pass"], &repo());
    assert_eq!(code(&o), 0);
}

/// Regression: `custos scan FILE` with a bare file name must still find ./custos.toml.
#[test]
fn config_is_found_when_scanning_a_bare_file_name() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("custos.toml"),
        "[data]\nprohibited_buckets = [\"public-*\"]\n",
    )
    .unwrap();
    fs::write(dir.path().join("job.yaml"), "output: s3://public-dump/x\n").unwrap();
    let (code, report, _) = scan_json(&["job.yaml"], dir.path());
    assert_eq!(rule_ids(&report), ["BKT001"]);
    assert_eq!(code, 1);
}

#[test]
fn missing_root_is_exit_2() {
    let o = custos(&["scan", "no/such/dir"], &repo());
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no/such/dir"), "{}", stderr(&o));
}

#[test]
fn unknown_config_key_is_exit_2_pointing_at_the_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("custos.toml"),
        "fail_on = \"high\"\n[policies]\ndirz = [\"p\"]\n",
    )
    .unwrap();
    fs::write(dir.path().join("a.yaml"), "a: 1\n").unwrap();
    let o = custos(&["scan", "."], dir.path());
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("dirz"), "{err}");
    assert!(err.contains("custos.toml:3:"), "{err}");
}

#[test]
fn rego_syntax_error_is_exit_2_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("bad.rego"),
        "package x\nimport rego.v1\n\ndeny contains msg if {\n  msg := \n}\n",
    )
    .unwrap();
    fs::write(dir.path().join("a.yaml"), "a: 1\n").unwrap();
    let o = custos(&["scan", "a.yaml", "--policy", "bad.rego"], dir.path());
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("bad.rego"), "{err}");
    assert!(err.contains(":5:") || err.contains(":6:"), "{err}");
}

#[test]
fn conftest_policies_run_unchanged() {
    let (exit, report, _) = scan_json(
        &[
            "fixtures/conftest",
            "--policy",
            "fixtures/conftest/policy",
            "--no-bundled",
            "--no-config",
        ],
        &repo(),
    );
    assert_eq!(exit, 1);
    let findings = report["findings"].as_array().unwrap();
    let msgs: Vec<(&str, &str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f["message"].as_str().unwrap(),
                f["level"].as_str().unwrap(),
                f["rule_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        msgs.contains(&("Deployment web must set runAsNonRoot", "failure", "main")),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(&("container web uses the latest tag", "warning", "main")),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(&("Deployment needs at least 2 replicas", "failure", "main")),
        "{msgs:?}"
    );
    let alb = findings
        .iter()
        .find(|f| f["message"] == "ALB listener uses HTTP")
        .expect("_loc result");
    assert_eq!(alb["location"]["line"], 2);
    // Warnings never fail the gate on their own.
    let o = custos(
        &[
            "scan",
            "fixtures/conftest/deployment.yaml",
            "--policy",
            "fixtures/conftest/policy/base.rego",
            "--no-bundled",
            "--no-config",
        ],
        &repo(),
    );
    assert_eq!(code(&o), 1);
}

#[test]
fn terraform_reaches_conftest_policies_in_conftest_shape_and_bundled_rules_in_custos_shape() {
    // One module of two files: `main.tf` has an unencrypted bucket whose encryption lives in
    // the sibling `encryption.tf` (custos's module context: no TF002 finding), and an HTTP
    // listener. A conftest policy (`package main`, no metadata) reads conftest's hcl2 shape,
    // where every block is an array of bodies; a custos-style user rule (with metadata) reads
    // custos's Terraform shape; each runs once per file.
    let dir = tempfile::tempdir().unwrap();
    let tf = dir.path().join("infra");
    fs::create_dir_all(&tf).unwrap();
    fs::write(
        tf.join("main.tf"),
        "resource \"aws_s3_bucket\" \"data\" {\n  bucket = \"acme-data\"\n}\n\n\
         resource \"aws_alb_listener\" \"front\" {\n  port     = 80\n  protocol = \"HTTP\"\n}\n",
    )
    .unwrap();
    fs::write(
        tf.join("encryption.tf"),
        "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"data\" {\n  \
         bucket = aws_s3_bucket.data.id\n  rule {\n    apply_server_side_encryption_by_default {\n      \
         sse_algorithm = \"aws:kms\"\n    }\n  }\n}\n",
    )
    .unwrap();
    let policy = dir.path().join("policy");
    fs::create_dir_all(&policy).unwrap();
    fs::write(
        policy.join("conftest.rego"),
        "package main\nimport rego.v1\n\n\
         deny contains msg if {\n  some name\n  some lb in input.resource.aws_alb_listener[name]\n  \
         lb.protocol == \"HTTP\"\n  msg := sprintf(\"ALB `%v` is using HTTP rather than HTTPS\", [name])\n}\n\n\
         deny contains msg if {\n  some name\n  some rule in input.resource.aws_s3_bucket_server_side_encryption_configuration[name]\n  \
         some r in rule.rule\n  some d in r.apply_server_side_encryption_by_default\n  \
         d.sse_algorithm == \"aws:kms\"\n  msg := sprintf(\"bucket encryption `%v` seen in conftest's shape\", [name])\n}\n",
    )
    .unwrap();
    fs::write(
        policy.join("custos_style.rego"),
        "package user.listeners\nimport rego.v1\n\nmetadata := {\"id\": \"USR010\", \"title\": \"HTTP listener\", \
         \"severity\": \"medium\", \"kinds\": [\"terraform\"]}\n\n\
         deny contains {\"msg\": sprintf(\"listener %s speaks HTTP\", [name])} if {\n  \
         some name, l in input.resource.aws_alb_listener\n  l.protocol == \"HTTP\"\n}\n",
    )
    .unwrap();
    let (exit, report, _) = scan_json(&["infra", "--policy", "policy", "--no-config"], dir.path());
    assert_eq!(exit, 1, "{report:#}");
    let findings = report["findings"].as_array().unwrap();
    let with = |msg: &str| {
        findings
            .iter()
            .filter(|f| f["message"].as_str() == Some(msg))
            .collect::<Vec<_>>()
    };
    let alb = with("ALB `front` is using HTTP rather than HTTPS");
    assert_eq!(alb.len(), 1, "{findings:#?}");
    assert_eq!(alb[0]["path"], "infra/main.tf");
    let enc = with("bucket encryption `data` seen in conftest's shape");
    assert_eq!(enc.len(), 1, "{findings:#?}");
    assert_eq!(enc[0]["path"], "infra/encryption.tf");
    assert_eq!(with("listener front speaks HTTP").len(), 1, "{findings:#?}");
    // The bundled rules still see the module: the sibling's encryption counts.
    let ids = rule_ids(&report);
    assert!(!ids.iter().any(|i| i == "TF002"), "{ids:?}");
}

#[test]
fn conftest_policies_see_the_file_name_and_dir_in_data() {
    // conftest gives each file's documents `data.conftest.file.name` and `.dir`; a policy
    // that reports them (as conftest's Jenkins example does in `_loc.file`) sees each file's.
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("cfg/sub")).unwrap();
    fs::write(dir.path().join("cfg/a.yaml"), "x: 1\n").unwrap();
    fs::write(dir.path().join("cfg/sub/b.yaml"), "x: 2\n").unwrap();
    fs::write(
        dir.path().join("p.rego"),
        "package main\nimport rego.v1\n\ndeny contains msg if {\n  input.x > 0\n  \
         msg := sprintf(\"%s in %s\", [data.conftest.file.name, data.conftest.file.dir])\n}\n",
    )
    .unwrap();
    let (exit, report, _) = scan_json(
        &["cfg", "--policy", "p.rego", "--no-bundled", "--no-config"],
        dir.path(),
    );
    assert_eq!(exit, 1, "{report:#}");
    let mut msgs: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    msgs.sort_unstable();
    assert_eq!(msgs, ["cfg/a.yaml in cfg", "cfg/sub/b.yaml in cfg/sub"]);
}

#[test]
fn warnings_alone_pass_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("p.rego"),
        "package main\nwarn[msg] { input.a == 1; msg := \"a is 1\" }\n",
    )
    .unwrap();
    fs::write(dir.path().join("a.yaml"), "a: 1\n").unwrap();
    let (code, report, _) = scan_json(
        &["a.yaml", "--policy", "p.rego", "--no-bundled"],
        dir.path(),
    );
    assert_eq!(rule_ids(&report), ["main"]);
    assert_eq!(code, 0);
}

#[test]
fn result_path_resolves_to_the_span() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("p.rego"),
        "package custom\nimport rego.v1\nmetadata := {\"id\": \"X1\", \"severity\": \"medium\", \"kinds\": [\"yaml\"]}\n\
         deny contains {\"msg\": \"bad image\", \"path\": [\"spec\", \"containers\", 1, \"image\"]} if input.spec\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("a.yaml"),
        "spec:\n  containers:\n    - image: ok\n    - name: x\n      image: bad\n",
    )
    .unwrap();
    let (_, report, _) = scan_json(
        &["a.yaml", "--policy", "p.rego", "--no-bundled"],
        dir.path(),
    );
    let f = &report["findings"][0];
    assert_eq!(f["rule_id"], "X1");
    assert_eq!(f["severity"], "medium");
    assert_eq!(f["location"]["line"], 5);
    assert_eq!(f["location"]["column"], 14);
    assert_eq!(f["pointer"], "/spec/containers/1/image");
}

#[test]
fn slow_policy_times_out_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    // Slow in Rego itself (a large comprehension), so the execution timer can stop it.
    fs::write(
        dir.path().join("slow.rego"),
        "package slow\nimport rego.v1\ndeny contains \"never\" if {\n  count([x | some x in numbers.range(1, 50000000); x < 0]) > 0\n}\n",
    )
    .unwrap();
    fs::write(dir.path().join("a.yaml"), "a: 1\n").unwrap();
    fs::write(dir.path().join("b.yaml"), "password: hunter2-real\n").unwrap();
    let (code, report, _) = scan_json(
        &[
            ".",
            "--policy",
            "slow.rego",
            "--policy-timeout-ms",
            "1000",
            "--all-namespaces",
        ],
        dir.path(),
    );
    let findings = report["findings"].as_array().unwrap();
    let slow_errors = findings
        .iter()
        .filter(|f| {
            f["rule_id"] == "policy-error"
                && f["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("rule slow")
        })
        .count();
    assert_eq!(slow_errors, 2, "{findings:#?}");
    let ids = rule_ids(&report);
    assert!(
        ids.contains(&"CFG001".to_owned()),
        "other rules still ran: {ids:?}"
    );
    assert_eq!(code, 1);
}

#[test]
fn policy_list_shows_rules_and_controls() {
    let o = custos(&["policy", "list", "--no-config"], &repo());
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    for needle in [
        "TF001",
        "TF002",
        "BKT001",
        "CFG001",
        "GDPR:Art.32",
        "terraform",
        "parse-error",
    ] {
        assert!(out.contains(needle), "{needle} missing:\n{out}");
    }
}

#[test]
fn policy_test_reports_failures_and_coverage() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("p.rego"),
        "package p\nimport rego.v1\ndeny contains \"x\" if input.x\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("p_test.rego"),
        "package p_test\nimport rego.v1\nimport data.p\n\
         test_found if { count(p.deny) == 1 with input as {\"x\": true} }\n\
         test_wrong if { count(p.deny) == 2 with input as {\"x\": true} }\n",
    )
    .unwrap();
    let o = custos(&["policy", "test", ".", "--coverage"], dir.path());
    let out = stdout(&o);
    assert_eq!(code(&o), 1, "{out}");
    assert!(out.contains("PASS  p_test.test_found"), "{out}");
    assert!(out.contains("FAIL  p_test.test_wrong"), "{out}");
    assert!(out.contains("1 passed, 1 failed"), "{out}");
    assert!(
        out.contains("p.rego"),
        "coverage lists the policy file: {out}"
    );
}

#[test]
fn no_output_contains_a_planted_secret() {
    let cfg = "fixtures/rules/custos.toml";
    for args in [
        vec![
            "scan",
            "fixtures/rules",
            "--config",
            cfg,
            "--color",
            "never",
        ],
        vec![
            "scan",
            "fixtures/rules",
            "--config",
            cfg,
            "--color",
            "always",
        ],
        vec![
            "scan",
            "fixtures/rules",
            "--config",
            cfg,
            "--format",
            "json",
        ],
        vec!["scan", "fixtures/demo"],
        vec!["scan", "fixtures/demo", "--format", "json"],
        vec![
            "scan",
            "fixtures/labelled",
            "--no-config",
            "--color",
            "never",
        ],
        vec![
            "scan",
            "fixtures/labelled",
            "--no-config",
            "--color",
            "always",
        ],
        vec![
            "scan",
            "fixtures/labelled",
            "--no-config",
            "--format",
            "json",
        ],
    ] {
        let o = custos(&args, &repo());
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(
            all.contains("CFG001") || all.contains("TF001") || all.contains("PII001"),
            "scan found nothing: {args:?}"
        );
        for s in PLANTED {
            assert!(!all.contains(s), "{args:?} printed the secret {s}");
        }
    }
}

#[test]
fn fingerprints_survive_unrelated_line_moves() {
    let dir = tempfile::tempdir().unwrap();
    let body = "resource \"aws_s3_bucket\" \"a\" {\n  bucket = \"x\"\n}\n";
    fs::write(dir.path().join("main.tf"), body).unwrap();
    let (_, r1, _) = scan_json(&["main.tf"], dir.path());
    fs::write(
        dir.path().join("main.tf"),
        format!("# header\n\nlocals {{ a = 1 }}\n{body}"),
    )
    .unwrap();
    let (_, r2, _) = scan_json(&["main.tf"], dir.path());
    assert_eq!(
        r1["findings"][0]["fingerprint"],
        r2["findings"][0]["fingerprint"]
    );
    assert_ne!(
        r1["findings"][0]["location"]["line"],
        r2["findings"][0]["location"]["line"]
    );
}

#[test]
fn inline_ignore_and_waivers() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("main.tf"),
        "# custos:ignore TF002 -- scratch bucket, deleted nightly\nresource \"aws_s3_bucket\" \"a\" {\n  bucket = \"x\"\n}\n\
         resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"y\"\n}\n",
    )
    .unwrap();
    fs::create_dir(dir.path().join("legacy")).unwrap();
    fs::write(
        dir.path().join("legacy/old.tf"),
        "resource \"aws_s3_bucket\" \"c\" {\n  bucket = \"z\"\n}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("custos.toml"),
        "[[waivers]]\nrule = \"TF002\"\npath = \"legacy/**\"\nreason = \"migration\"\nexpires = \"2999-01-01\"\n\n\
         [[waivers]]\nrule = \"TF001\"\nreason = \"gone\"\nexpires = \"2001-01-01\"\n\n\
         [policies]\ndisabled = [\"TF004\", \"TF005\", \"TF006\"]\n",
    )
    .unwrap();
    let (_, report, _) = scan_json(&["."], dir.path());
    let t = common::triples(&report);
    let got: Vec<(&str, u64, &str)> = t
        .iter()
        .map(|(p, l, r)| (p.as_str(), *l, r.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("custos.toml", 8, "waiver-expired"),
            ("main.tf", 5, "TF002")
        ]
    );
    assert_eq!(report["summary"]["suppressed_inline"], 1);
    assert_eq!(report["summary"]["waived"], 1);
}

/// A secret repeated elsewhere in its file (a comment, another line shown for another
/// finding) is masked there too: no snippet shows it.
#[test]
fn a_repeated_secret_is_masked_in_every_snippet() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("b.yaml"),
        "db:\n  password: Wq7-Lm2x-Kt3R-p6Vb\n  # old: Wq7-Lm2x-Kt3R-p6Vb\n  api_key: Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Gx  # Wq7-Lm2x-Kt3R-p6Vb\n",
    )
    .unwrap();
    let o = custos(
        &["scan", "--no-config", "--color", "never", "."],
        dir.path(),
    );
    let out = stdout(&o);
    assert_eq!(code(&o), 1, "{out}");
    assert!(
        out.contains("api_key"),
        "the second finding's line is shown: {out}"
    );
    assert!(!out.contains("Wq7-Lm2x-Kt3R-p6Vb"), "{out}");
    assert!(!out.contains("Zq8Lm2Xw9Kt3Rp6Vb1Hs5Jf0Gx"), "{out}");
}
