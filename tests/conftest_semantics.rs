//! conftest's policy semantics, one case per point, each a policy and an input under
//! `fixtures/conftest/semantics/` with the outcome conftest documents (docs/conftest-semantics.md
//! maps every point to its test here).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{code, custos, repo, stderr, stdout};

fn dir(case: &str) -> PathBuf {
    repo().join("fixtures/conftest/semantics").join(case)
}

/// `custos scan --no-config --no-bundled --format json ARGS` in `cwd`: exit code, report.
fn scan(cwd: &Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut all = vec!["scan", "--no-bundled", "--format", "json"];
    all.extend_from_slice(args);
    let o = custos(&all, cwd);
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    let report = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("json: {e}\n{}\n{err}", stdout(&o)));
    (code(&o), report, err)
}

/// (level, message) of every finding, sorted.
fn results(report: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["level"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn pair(level: &str, message: &str) -> (String, String) {
    (level.to_owned(), message.to_owned())
}

/// conftest's summary line for the run (`N tests, P passed, …`).
fn tally(report: &serde_json::Value) -> String {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "policy-tally")
        .map(|c| c["summary"].as_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn checks<'a>(report: &'a serde_json::Value, id: &str) -> Vec<&'a str> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == id)
        .map(|c| c["summary"].as_str().unwrap())
        .collect()
}

#[test]
fn prefixed_entry_rules_fail_or_warn_and_other_names_are_not_entries() {
    let (rc, report, _) = scan(
        &dir("rules"),
        &["--no-config", "-p", "policy", "flagged.yaml"],
    );
    assert_eq!(rc, 1);
    assert_eq!(
        results(&report),
        [
            pair("failure", "plain deny"),
            pair("failure", "prefixed deny"),
            pair("failure", "prefixed violation"),
            pair("warning", "prefixed warn"),
        ]
    );
    assert_eq!(
        tally(&report),
        "4 tests, 0 passed, 1 warning, 3 failures, 0 exceptions"
    );
    let (rc, report, _) = scan(
        &dir("rules"),
        &["--no-config", "-p", "policy", "clean.yaml"],
    );
    assert_eq!((rc, results(&report)), (0, Vec::new()));
    assert_eq!(
        tally(&report),
        "4 tests, 4 passed, 0 warnings, 0 failures, 0 exceptions"
    );
}

#[test]
fn an_exception_naming_a_rule_suppresses_its_prefixed_form_and_is_reported() {
    let (rc, report, _) = scan(
        &dir("exceptions"),
        &["--no-config", "-p", "policy", "excepted.yaml"],
    );
    assert_eq!(rc, 0, "an exception is not a failure");
    assert_eq!(results(&report), Vec::new());
    assert_eq!(
        checks(&report, "policy-exception"),
        ["EXCP - excepted.yaml - main - data.main.exception[_][_] == \"privileged\""]
    );
    assert_eq!(
        tally(&report),
        "2 tests, 1 passed, 0 warnings, 0 failures, 1 exception"
    );
    // The human report ends with conftest's lines.
    let o = custos(
        &[
            "scan",
            "--no-bundled",
            "--no-config",
            "-p",
            "policy",
            "excepted.yaml",
            "--color",
            "never",
        ],
        &dir("exceptions"),
    );
    let text = stdout(&o);
    assert!(
        text.ends_with(
            "EXCP - excepted.yaml - main - data.main.exception[_][_] == \"privileged\"\n\
             2 tests, 1 passed, 0 warnings, 0 failures, 1 exception\n"
        ),
        "{text}"
    );
    // The same rule on a job the exception does not cover fails.
    let (rc, report, _) = scan(
        &dir("exceptions"),
        &["--no-config", "-p", "policy", "flagged.yaml"],
    );
    assert_eq!(rc, 1);
    assert_eq!(
        results(&report),
        [pair("failure", "job ad-hoc runs privileged")]
    );
    assert!(checks(&report, "policy-exception").is_empty());
}

#[test]
fn only_main_is_evaluated_unless_namespaces_are_named() {
    let run = |extra: &[&str]| {
        let mut args = vec!["--no-config", "-p", "policy", "input.yaml"];
        args.extend_from_slice(extra);
        let (_, report, _) = scan(&dir("namespaces"), &args);
        results(&report)
            .into_iter()
            .map(|(_, m)| m)
            .collect::<Vec<_>>()
    };
    assert_eq!(run(&[]), ["from main"]);
    assert_eq!(run(&["--namespace", "other"]), ["from other"]);
    // (Sorted by level, then message: `other` only warns.)
    assert_eq!(
        run(&["-n", "main", "-n", "other"]),
        ["from main", "from other"]
    );
    // Globs: `*` runs across dots.
    assert_eq!(run(&["--namespace", "stor*"]), ["from storage.buckets"]);
    assert_eq!(
        run(&["--all-namespaces"]),
        ["from main", "from storage.buckets", "from other"]
    );
    assert_eq!(run(&["--namespace", "absent"]), Vec::<String>::new());
}

#[test]
fn a_bare_boolean_deny_passes_as_in_conftest() {
    let (rc, report, _) = scan(&dir("bare"), &["--no-config", "-p", "policy", "input.yaml"]);
    assert_eq!((rc, results(&report)), (0, Vec::new()));
    assert_eq!(
        tally(&report),
        "1 test, 1 passed, 0 warnings, 0 failures, 0 exceptions"
    );
}

#[test]
fn deny_msg_if_without_contains_is_refused_and_the_v0_form_runs() {
    let o = custos(
        &[
            "scan",
            "--no-bundled",
            "--no-config",
            "-p",
            "policy",
            "input.yaml",
        ],
        &dir("ifcontains"),
    );
    assert_eq!(code(&o), 2);
    let err = stderr(&o).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        err.contains("main.rego:5: rule is using 'if' keyword without 'contains' keyword"),
        "{err}"
    );
    let (rc, report, _) = scan(&dir("v0"), &["--no-config", "-p", "policy", "input.yaml"]);
    assert_eq!(rc, 1);
    assert_eq!(
        results(&report),
        [pair("failure", "flag set (Rego v0 partial set)")]
    );
}

#[test]
fn loc_points_at_a_line_of_the_document_or_names_another_file() {
    let (_, report, _) = scan(&dir("loc"), &["--no-config", "-p", "policy", "input.yaml"]);
    let findings = report["findings"].as_array().unwrap();
    let line_of = |m: &str| {
        findings
            .iter()
            .find(|f| f["message"].as_str().unwrap().starts_with(m))
            .map(|f| f["location"]["line"].as_u64().unwrap())
            .unwrap()
    };
    assert_eq!(line_of("line three"), 3);
    assert!(findings
        .iter()
        .any(|f| f["message"] == "elsewhere (the policy points at other.txt:40)"));
}

#[test]
fn an_object_result_without_msg_is_a_policy_error() {
    let (rc, report, _) = scan(
        &dir("nomsg"),
        &["--no-config", "-p", "policy", "input.yaml"],
    );
    assert_eq!(rc, 1);
    let f = &report["findings"][0];
    assert_eq!(f["rule_id"], "policy-error");
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("without a string `msg` field"));
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn combine_evaluates_one_array_of_path_and_contents() {
    let (rc, report, _) = scan(
        &dir("combine"),
        &[
            "--no-config",
            "-p",
            "policy",
            "--combine",
            "teams.yaml",
            "users.yaml",
        ],
    );
    assert_eq!(rc, 1);
    assert_eq!(
        results(&report),
        [pair(
            "failure",
            "team etl: owner bob@example.com is not a user (teams.yaml)"
        )]
    );
    assert_eq!(report["findings"][0]["path"], "Combined");
    assert_eq!(
        tally(&report),
        "2 tests, 1 passed, 0 warnings, 1 failure, 0 exceptions"
    );
    // Without --combine each document is its own input.
    let (_, report, _) = scan(
        &dir("combine"),
        &["--no-config", "-p", "policy", "teams.yaml"],
    );
    assert!(results(&report)
        .iter()
        .all(|(_, m)| m == "input is not combined"));
}

#[test]
fn data_files_and_directories_are_merged_into_data() {
    let (rc, report, _) = scan(
        &dir("data"),
        &["--no-config", "-p", "policy", "-d", "lists", "input.yaml"],
    );
    assert_eq!(rc, 1);
    assert_eq!(
        results(&report),
        [
            pair("failure", "port 22 is blocked"),
            pair("warning", "team web is unknown"),
        ]
    );
    // A file named directly is at the root of `data` too.
    let (_, report, _) = scan(
        &dir("data"),
        &[
            "--no-config",
            "-p",
            "policy",
            "--data",
            "lists/blocked.yaml",
            "input.yaml",
        ],
    );
    assert!(results(&report).contains(&pair("failure", "port 22 is blocked")));
}

#[test]
fn conftest_toml_names_policies_namespace_and_data() {
    let (rc, report, _) = scan(&dir("configfile"), &["input.yaml"]);
    assert_eq!(rc, 1);
    assert_eq!(
        results(&report),
        [pair("failure", "5 retries is more than 3")]
    );
    // Named with --config from elsewhere: its paths are the working directory's, as conftest
    // reads them, so its `data` is not found from here.
    let o = custos(
        &[
            "scan",
            "--no-bundled",
            "-c",
            "configfile/conftest.toml",
            "-p",
            "configfile/checks",
            "configfile/input.yaml",
        ],
        &dir("."),
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--data limits.yaml"), "{}", stderr(&o));
}

#[test]
fn standard_input_is_read_as_yaml_and_reported_as_dash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_custos"))
        .args([
            "scan",
            "--no-bundled",
            "--no-config",
            "--format",
            "json",
            "-p",
            "policy",
            "-",
        ])
        .current_dir(dir("rules"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(&std::fs::read(dir("rules").join("flagged.yaml")).unwrap())
            .unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(results(&report).len(), 4);
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["path"] == "-"));
}

#[test]
fn print_output_goes_to_stderr_with_its_location() {
    let (rc, report, err) = scan(
        &dir("print"),
        &["--no-config", "-p", "policy", "input.yaml"],
    );
    assert_eq!(rc, 1);
    assert_eq!(results(&report), [pair("failure", "bad name")]);
    assert!(
        err.lines()
            .any(|l| l == "PRNT  policy/main.rego:5: checking bad"),
        "{err}"
    );
    assert!(!stdout_has_print(&report));
}

fn stdout_has_print(report: &serde_json::Value) -> bool {
    report.to_string().contains("PRNT")
}

#[test]
fn minus_metadata_and_failing_builtins_behave_as_in_opa() {
    let (rc, report, _) = scan(
        &dir("engine"),
        &["--no-config", "-p", "policy", "input.yaml"],
    );
    assert_eq!(rc, 1);
    assert_eq!(
        results(&report),
        [
            pair("failure", "missing labels: [\"team\"]"),
            pair("failure", "retries 7 over the limit"),
        ]
    );
}

#[test]
fn policy_test_takes_several_policy_dirs_namespaces_and_data() {
    let base = dir("verify");
    let run = |args: &[&str]| {
        let mut all = vec!["policy", "test", "--no-config", "--format", "json"];
        all.extend_from_slice(args);
        let o = custos(&all, &base);
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
        let passed: Vec<String> = report["checks"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|c| c["verdict"] == "pass")
                    .map(|c| c["subject"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        (code(&o), passed, stderr(&o))
    };
    let (rc, passed, _) = run(&["-p", "shared", "-p", "extra", "-d", "max.yaml"]);
    assert_eq!(rc, 0);
    assert_eq!(
        passed,
        [
            "main.test_too_many",
            "main.test_few_is_fine",
            "other.test_other"
        ]
    );
    let (rc, passed, _) = run(&[
        "-p",
        "shared",
        "-p",
        "extra",
        "-d",
        "max.yaml",
        "--namespace",
        "ma*",
    ]);
    assert_eq!((rc, passed.len()), (0, 2));
    // Without the data the test that needs it fails.
    let (rc, _, _) = run(&["-p", "shared", "-p", "extra"]);
    assert_eq!(rc, 1);
    // Policies without tests: nothing to fail (conftest's verify exits 0).
    let (rc, passed, err) = run(&["-p", "nodata"]);
    assert_eq!((rc, passed.len()), (0, 0), "{err}");
    // A policy directory without Rego is an error.
    let (rc, _, err) = run(&["-p", "../combine/teams.yaml"]);
    assert_eq!(rc, 2, "{err}");
}

#[test]
fn a_symlinked_root_directory_is_scanned_without_a_not_followed_note() {
    let tmp = tempfile::tempdir().unwrap();
    let link = tmp.path().join("linked");
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir("rules"), &link).unwrap();
    #[cfg(not(unix))]
    return;
    let link_s = link.to_string_lossy().into_owned();
    let policy = dir("rules").join("policy");
    let (rc, report, _) = scan(
        tmp.path(),
        &["--no-config", "-p", &policy.to_string_lossy(), &link_s],
    );
    assert_eq!(rc, 1);
    assert_eq!(results(&report).len(), 4, "flagged.yaml was scanned");
    assert!(
        report["notes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| !n["message"].as_str().unwrap().contains("not followed")),
        "{}",
        report["notes"]
    );
}

#[test]
fn the_policy_directory_is_the_default_as_in_conftest() {
    let (rc, report, err) = scan(&dir("rules"), &["--no-config", "flagged.yaml"]);
    assert_eq!(rc, 1);
    assert_eq!(results(&report).len(), 4);
    assert!(err.contains("policies from ./policy"), "{err}");
    // A directory without one loads nothing of the user's.
    let (rc, report, err) = scan(&dir("verify"), &["--no-config", "max.yaml"]);
    assert_eq!((rc, results(&report).len()), (0, 0));
    assert!(!err.contains("policies from"), "{err}");
}

/// `--strict`: OPA strict mode's unused assignment / argument / import errors, with file and
/// line, for scan and policy test; the same policies load without it.
#[test]
fn strict_refuses_unused_variables_arguments_and_imports() {
    let d = dir("strict");
    let o = custos(
        &[
            "scan",
            "--no-bundled",
            "--no-config",
            "input.yaml",
            "-p",
            "policy",
            "--strict",
        ],
        &d,
    );
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    let flat = err.split_whitespace().collect::<Vec<_>>().join(" ");
    for want in [
        "policy/lax.rego:5: rego_compile_error: import data.unused_lib unused",
        "policy/lax.rego:10: rego_compile_error: assigned var label unused",
        "policy/lax.rego:14: rego_compile_error: unused argument b",
    ] {
        assert!(flat.contains(want), "{want}\n{err}");
    }
    assert!(!flat.contains("clean.rego"), "{err}");
    let o = custos(&["policy", "test", "-p", "policy", "--strict"], &d);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("unused argument b"));
    let (exit, report, _) = scan(&d, &["--no-config", "input.yaml", "-p", "policy"]);
    assert_eq!(exit, 1);
    assert_eq!(results(&report), vec![pair("failure", "web is denied")]);
}

/// `--capabilities FILE`: a builtin the file does not list is refused (conftest's "undefined
/// function"); the policy's own functions and listed builtins are not.
#[test]
fn capabilities_refuse_builtins_the_file_does_not_list() {
    let d = dir("capabilities");
    let args = [
        "scan",
        "--no-bundled",
        "--no-config",
        "input.yaml",
        "-p",
        "policy",
        "--capabilities",
        "capabilities.json",
    ];
    let o = custos(&args, &d);
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    let flat = err.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("policy/exfil.rego:6: rego_type_error: undefined function http.send"),
        "{err}"
    );
    assert!(!flat.contains("plain.rego"), "{err}");
    let o = custos(
        &[
            "scan",
            "--no-bundled",
            "--no-config",
            "input.yaml",
            "-p",
            "policy/plain.rego",
            "--capabilities",
            "capabilities.json",
        ],
        &d,
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
}

/// `--trace`: each entry rule's evaluation on stderr (`TRAC` lines, with the policy lines it
/// evaluated); stdout's report is unchanged.
#[test]
fn trace_prints_the_evaluation_to_stderr() {
    let d = dir("strict");
    let (exit, report, err) = scan(
        &d,
        &[
            "--no-config",
            "input.yaml",
            "-p",
            "policy/clean.rego",
            "--trace",
        ],
    );
    assert_eq!(exit, 0);
    assert!(results(&report).is_empty());
    assert!(err.contains("TRAC  Enter data.main.warn"), "{err}");
    assert!(
        err.contains("TRAC  | Eval policy/clean.rego:7: name := input.name"),
        "{err}"
    );
    assert!(err.contains("TRAC  Exit data.main.warn = []"), "{err}");
    let (_, _, quiet) = scan(
        &d,
        &["--no-config", "input.yaml", "-p", "policy/clean.rego"],
    );
    assert!(!quiet.contains("TRAC"), "{quiet}");
}

/// An empty YAML file is evaluated as `null` input, as conftest does.
#[test]
fn an_empty_yaml_document_is_evaluated_as_null() {
    let d = dir("empty-yaml");
    let (exit, report, _) = scan(&d, &["--no-config", "empty.yaml", "-p", "policy"]);
    assert_eq!(exit, 1);
    assert_eq!(
        results(&report),
        vec![pair("failure", "the document is empty")]
    );
}
