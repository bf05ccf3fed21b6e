//! conftest compatibility, input formats: every format conftest reads that custos reads too
//! gives policies conftest's document shape. For each: a snapshot of the document (value, and
//! the line:column range and source text of every span), a conftest-style policy whose
//! `deny` fires on its fixture (and one that must not), and a bad input that is a clear
//! error with a location. Fixtures: `fixtures/conftest/formats/<format>/`.
//! The table in docs/conftest-compat.md names these tests.

mod common;

use std::fmt::Write as _;
use std::path::Path;

use common::{code, custos, repo, scan_json, stderr};
use custos::document::LineIndex;
use custos::parse::{self, Limits, Syntax};

const FORMATS: &str = "fixtures/conftest/formats";

fn render(path: &str, syntax: Syntax) -> String {
    let src = std::fs::read_to_string(repo().join(FORMATS).join(path)).expect("fixture");
    let parsed = parse::parse(syntax, &src, &Limits::default()).expect("structured syntax");
    assert!(parsed.error.is_none(), "{:?}", parsed.error);
    let lines = LineIndex::new(&src);
    let mut out = String::new();
    for (i, doc) in parsed.docs.iter().enumerate() {
        let _ = writeln!(out, "--- document {i}");
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc.value).expect("json")
        );
        let mut spans: Vec<_> = doc.spans.iter().collect();
        spans.sort_by(|a, b| a.0.cmp(b.0));
        for (pointer, span) in spans {
            let (l1, c1) = lines.line_col(&src, span.start);
            let (l2, c2) = lines.line_col(&src, span.end);
            let text = &src[span.range()];
            let first = text.lines().next().unwrap_or_default();
            let shown = if text.contains('\n') {
                format!("{first}…")
            } else {
                first.to_owned()
            };
            let _ = writeln!(out, "{pointer:<30} {l1}:{c1}-{l2}:{c2}  {shown}");
        }
    }
    out
}

#[test]
fn dockerfile_document() {
    insta::assert_snapshot!(render("dockerfile/Dockerfile", Syntax::Dockerfile));
}

#[test]
fn toml_document() {
    insta::assert_snapshot!(render("toml/pipeline.toml", Syntax::Toml));
}

#[test]
fn properties_document() {
    insta::assert_snapshot!(render("properties/app.properties", Syntax::Properties));
}

#[test]
fn dotenv_document() {
    insta::assert_snapshot!(render("dotenv/.env.production", Syntax::Dotenv));
}

#[test]
fn gitignore_document() {
    insta::assert_snapshot!(render("gitignore/.gitignore", Syntax::Ignore));
}

#[test]
fn dockerignore_document() {
    insta::assert_snapshot!(render("dockerignore/.dockerignore", Syntax::Ignore));
}

#[test]
fn xml_document() {
    insta::assert_snapshot!(render("xml/pom.xml", Syntax::Xml));
}

#[test]
fn hocon_document() {
    insta::assert_snapshot!(render("hocon/service.hocon", Syntax::Hocon));
}

#[test]
fn hcl1_document() {
    insta::assert_snapshot!(render("hcl1/cluster.hcl1", Syntax::Hcl1));
}

#[test]
fn edn_document() {
    insta::assert_snapshot!(render("edn/app.edn", Syntax::Edn));
}

#[test]
fn cue_document() {
    insta::assert_snapshot!(render("cue/deploy.cue", Syntax::Cue));
}

#[test]
fn jsonnet_document() {
    insta::assert_snapshot!(render("jsonnet/service.jsonnet", Syntax::Jsonnet));
}

#[test]
fn textproto_document() {
    insta::assert_snapshot!(render("textproto/job.textproto", Syntax::Textproto));
}

#[test]
fn vcl_document() {
    insta::assert_snapshot!(render("vcl/default.vcl", Syntax::Vcl));
}

#[test]
fn nginx_document() {
    insta::assert_snapshot!(render("nginx/nginx.conf", Syntax::Nginx));
}

#[test]
fn spdx_document() {
    insta::assert_snapshot!(render("spdx/sbom.spdx", Syntax::Spdx));
}

#[test]
fn cyclonedx_xml_document() {
    insta::assert_snapshot!(render("cyclonedx/bom.cyclonedx", Syntax::CycloneDx));
}

#[test]
fn cyclonedx_json_document() {
    insta::assert_snapshot!(render("cyclonedx-json/bom.json", Syntax::CycloneDx));
}

#[test]
fn ini_typed_document() {
    insta::assert_snapshot!(render("ini/grafana-like.ini", Syntax::Ini));
}

/// Scan one format's fixture directory with its policy: the messages of every finding.
fn denials(format: &str) -> (i32, Vec<String>) {
    let dir = format!("{FORMATS}/{format}");
    let policy = format!("{dir}/policy");
    let (exit, report, err) = scan_json(
        &[&dir, "--policy", &policy, "--no-bundled", "--no-config"],
        &repo(),
    );
    let mut msgs: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            assert_eq!(f["rule_id"], "main", "{f}\n{err}");
            f["message"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    msgs.sort();
    (exit, msgs)
}

#[test]
fn dockerfile_policy_denies() {
    assert_eq!(
        denials("dockerfile"),
        (
            1,
            vec![
                "base image gcr.io/distroless/python3:latest uses the latest tag".to_owned(),
                "stage 1 runs as root".to_owned(),
            ]
        )
    );
}

#[test]
fn toml_policy_denies() {
    assert_eq!(
        denials("toml"),
        (
            1,
            vec![
                "bucket s3://acme-raw must be encrypted".to_owned(),
                "step load pins no image version".to_owned(),
            ]
        )
    );
}

#[test]
fn properties_policy_denies() {
    assert_eq!(
        denials("properties"),
        (1, vec!["server.url uses plain http".to_owned()])
    );
}

#[test]
fn dotenv_policy_denies() {
    assert_eq!(
        denials("dotenv"),
        (
            1,
            vec![
                "DEBUG must be off in production".to_owned(),
                "ingest logs at debug level".to_owned(),
            ]
        )
    );
}

#[test]
fn gitignore_policy_denies() {
    assert_eq!(
        denials("gitignore"),
        (1, vec![".env files must be ignored".to_owned()])
    );
}

#[test]
fn dockerignore_policy_denies() {
    assert_eq!(
        denials("dockerignore"),
        (
            1,
            vec![".git must not be sent to the build context".to_owned()]
        )
    );
}

#[test]
fn ini_policy_denies_on_typed_values() {
    assert_eq!(
        denials("ini"),
        (
            1,
            vec![
                "users must not sign themselves up".to_owned(),
                "users must verify their e-mail address".to_owned(),
            ]
        )
    );
}

#[test]
fn xml_policy_denies() {
    assert_eq!(
        denials("xml"),
        (
            1,
            vec![
                "plugin maven-surefire-plugin has no pinned version".to_owned(),
                "repository internal is fetched over plain http".to_owned(),
            ]
        )
    );
}

#[test]
fn hocon_policy_denies() {
    assert_eq!(
        denials("hocon"),
        (
            1,
            vec![
                "service listens on all interfaces on port 8080".to_owned(),
                "service must enable TLS".to_owned(),
            ]
        )
    );
}

#[test]
fn hcl1_policy_denies() {
    assert_eq!(
        denials("hcl1"),
        (
            1,
            vec![
                "cluster primary enables basic auth".to_owned(),
                "cluster primary enables legacy ABAC".to_owned(),
            ]
        )
    );
}

#[test]
fn edn_policy_denies() {
    assert_eq!(
        denials("edn"),
        (
            1,
            vec![
                "database db.internal is reached without TLS".to_owned(),
                "production must log at :error".to_owned(),
            ]
        )
    );
}

#[test]
fn cue_policy_denies() {
    assert_eq!(
        denials("cue"),
        (
            1,
            vec![
                "container ingest uses the latest tag".to_owned(),
                "ingest runs 1 replica(s), want at least 2".to_owned(),
            ]
        )
    );
}

#[test]
fn jsonnet_policy_denies() {
    assert_eq!(
        denials("jsonnet"),
        (
            1,
            vec![
                "public service web-1 has a single replica".to_owned(),
                "web exposes plain http on port 80".to_owned(),
            ]
        )
    );
}

#[test]
fn textproto_policy_denies() {
    assert_eq!(
        denials("textproto"),
        (
            1,
            vec![
                "nightly-export: priority must stay below 9000".to_owned(),
                "step load uses the latest tag".to_owned(),
            ]
        )
    );
}

#[test]
fn vcl_policy_denies() {
    assert_eq!(
        denials("vcl"),
        (
            1,
            vec![
                "backend origin uses port 80, not 443".to_owned(),
                "purge ACL entry 10.0.0.0/8 is too broad".to_owned(),
            ]
        )
    );
}

#[test]
fn nginx_policy_denies() {
    assert_eq!(
        denials("nginx"),
        (
            1,
            vec![
                "TLSv1 is enabled".to_owned(),
                "server listening on 80 neither uses TLS nor redirects".to_owned(),
            ]
        )
    );
}

#[test]
fn spdx_policy_denies() {
    assert_eq!(
        denials("spdx"),
        (
            1,
            vec![
                "package ingest has no concluded licence".to_owned(),
                "package ingest is GPL-3.0-only".to_owned(),
            ]
        )
    );
}

#[test]
fn cyclonedx_policy_denies() {
    assert_eq!(
        denials("cyclonedx"),
        (
            1,
            vec![
                "component left-pad has licence WTFPL".to_owned(),
                "registry.example.com/app is not pinned to a digest".to_owned(),
            ]
        )
    );
}

/// A malformed input of each format is an error with a location, never a panic or a pass.
#[test]
fn bad_inputs_are_errors_with_a_location() {
    let cases: &[(Syntax, &str, &str, usize)] = &[
        (
            Syntax::Dockerfile,
            "FROM a\nFROBNICATE x\n",
            "unknown instruction",
            2,
        ),
        (
            Syntax::Dockerfile,
            "FROM a\nENV novalue\n",
            "ENV must have two arguments",
            2,
        ),
        (
            Syntax::Dockerfile,
            "FROM a\nCMD [\"a\", 1]\n",
            "array of strings",
            2,
        ),
        (
            Syntax::Dockerfile,
            "FROM a\nRUN <<EOF\nx\n",
            "never closed",
            2,
        ),
        (Syntax::Dockerfile, "FROM\n", "one or three", 1),
        (Syntax::Toml, "a = 1\n[t\n", "", 2),
        (Syntax::Toml, "a = 1\na = 2\n", "", 2),
        (Syntax::Properties, "a=\\u12x\n", "unicode escape", 1),
        (Syntax::Properties, "a=${b}\nb=${a}\n", "circular", 1),
        (Syntax::Dotenv, "A=1\nthis is not env\n", "KEY=value", 2),
        (Syntax::Dotenv, "A=\"open\n", "quote", 1),
        (Syntax::Ini, "[s]\nnot a pair\n", "expected", 2),
        (Syntax::Xml, "<a>\n<b></c>\n</a>", "malformed XML", 2),
        (Syntax::Xml, "<a>\n  <b>\n</a>", "", 3),
        (Syntax::Xml, "<a>\n<b>", "never closed", 2),
        (Syntax::Xml, "<a>\n&#xZZ;</a>", "", 2),
        (
            Syntax::Hocon,
            "a {\n b = ${nope}\n}",
            "unresolved substitution",
            2,
        ),
        (Syntax::Hocon, "a {\n b = 1\n", "never closed", 1),
        (Syntax::Hcl1, "a = 1\nb {\n", "never closed", 2),
        (Syntax::Hcl1, "a = 1\nb = foo\n", "unexpected `foo`", 2),
        (Syntax::Edn, "{:a 1\n :b}", "even number", 1),
        (Syntax::Edn, "{:a\n [1 2}", "expected `]`", 2),
        (Syntax::Cue, "a: 1\na: 2\n", "conflicting values", 2),
        (Syntax::Cue, "a: 1\nb: a\n", "reference `a`", 2),
        (Syntax::Jsonnet, "{\n  a: ,\n}", "syntax error", 2),
        (
            Syntax::Jsonnet,
            "{\n  a: import 'x.jsonnet',\n}",
            "imports",
            2,
        ),
        (Syntax::Textproto, "a: 1\nb {\n", "never closed", 2),
        (Syntax::Textproto, "a: 1\nb 2\n", "expected `:`", 2),
        (
            Syntax::Vcl,
            "backend a {\n .host = \"x\"\n}",
            "expected `;`",
            2,
        ),
        (Syntax::Vcl, "acl a {\n \"x\";\n", "never closed", 1),
        (Syntax::Nginx, "http {\n listen 80\n}", "missing its `;`", 2),
        (Syntax::Nginx, "a;\n}\n", "no block open", 2),
        (
            Syntax::Spdx,
            "SPDXVersion: SPDX-2.3\nBogus: x\n",
            "not supported",
            2,
        ),
        (
            Syntax::Spdx,
            "SPDXVersion: SPDX-2.3\nno tag here\n",
            "Tag: value",
            2,
        ),
        (
            Syntax::CycloneDx,
            "<bom>\n<components>\n",
            "never closed",
            2,
        ),
        (Syntax::CycloneDx, "{\n\"a\": }", "", 2),
    ];
    for (syntax, src, needle, line) in cases {
        let parsed = parse::parse(*syntax, src, &Limits::default()).expect("parser");
        let err = parsed
            .error
            .unwrap_or_else(|| panic!("{syntax:?} accepted {src:?}"));
        assert!(err.message.contains(needle), "{syntax:?}: {}", err.message);
        let span = err.span.expect("a location");
        assert_eq!(
            LineIndex::new(src).line_of(span.start),
            *line,
            "{syntax:?} {src:?}: {}",
            err.message
        );
    }
}

/// Through the CLI: a broken Dockerfile is a parse-error finding at its line, and the gate
/// fails — it does not pass unchecked.
#[test]
fn bad_dockerfile_fails_the_scan_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM alpine\nRUN true\nFROBNICATE x\n",
    )
    .expect("write");
    let (exit, report, _) = scan_json(&["Dockerfile", "--no-config"], dir.path());
    assert_eq!(exit, 1);
    let f = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == "parse-error")
        .expect("a parse-error finding");
    assert_eq!(f["location"]["line"], 3);
    assert!(f["message"]
        .as_str()
        .unwrap_or_default()
        .contains("unknown instruction: FROBNICATE"));
}

/// conftest's builtins, for every parser: `parse_config`, `parse_config_file` (relative to
/// the policy) and `parse_combined_config_files`, exercised by Rego unit tests.
#[test]
fn parse_config_builtins_in_policy_tests() {
    let o = custos(&["policy", "test", &format!("{FORMATS}/builtins")], &repo());
    let out = common::stdout(&o);
    assert_eq!(code(&o), 0, "{out}\n{}", stderr(&o));
    assert!(out.contains("16 passed, 0 failed"), "{out}");
}

#[test]
fn parse_config_names_what_it_cannot_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("x_test.rego"),
        "package main\nimport rego.v1\ntest_nope if {\n\tparse_config(\"nope\", \"node {}\")\n}\n",
    )
    .expect("write");
    let o = custos(
        &["policy", "test", &dir.path().display().to_string()],
        &repo(),
    );
    assert_eq!(code(&o), 1);
    let all = format!("{}{}", common::stdout(&o), stderr(&o));
    assert!(all.contains("unknown parser `nope`"), "{all}");
}

/// `--parser` reads every file with the named parser, whatever its name.
#[test]
fn parser_flag_forces_the_parser() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("settings.conf"),
        "[storage]\nencrypt = false\nbucket = \"b\"\n",
    )
    .expect("write");
    let policy = repo().join(FORMATS).join("toml/policy");
    let policy = policy.display().to_string();
    let args = [
        "settings.conf",
        "--policy",
        &policy,
        "--no-bundled",
        "--no-config",
    ];
    let (exit, report, _) = scan_json(&args, dir.path());
    assert_eq!(exit, 0, "without --parser the file is text: {report}");
    let mut forced = args.to_vec();
    forced.extend(["--parser", "toml"]);
    let (exit, report, _) = scan_json(&forced, dir.path());
    assert_eq!(exit, 1);
    assert_eq!(
        report["findings"][0]["message"],
        "bucket b must be encrypted"
    );
    let o = custos(
        &["scan", "settings.conf", "--parser", "nope", "--no-config"],
        dir.path(),
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown parser `nope`"),
        "{}",
        stderr(&o)
    );
}

/// conftest's parsers at the commit the parity figures were measured against (6a3fd60,
/// `parser/parser.go`): custos reads every one of them, so no file conftest would parse is
/// left to the text detectors. (A parser conftest adds goes into `CONFTEST_UNSUPPORTED`
/// until custos reads it: named, such a file is an error; discovered, a note.)
const CONFTEST_PARSER_NAMES: &[&str] = &[
    "cue",
    "cyclonedx",
    "dockerfile",
    "dotenv",
    "edn",
    "groovy",
    "hcl1",
    "hcl2",
    "hocon",
    "ignore",
    "ini",
    "json",
    "jsonc",
    "jsonnet",
    "nginx",
    "properties",
    "spdx",
    "textproto",
    "toml",
    "vcl",
    "xml",
    "yaml",
];

/// Every conftest parser is read, and the formats that once were not (Groovy: a
/// `Jenkinsfile`) are parsed and checked whether named or discovered, without a note.
#[test]
fn every_conftest_parser_is_read_named_or_discovered() {
    for name in CONFTEST_PARSER_NAMES {
        assert!(parse::syntax_for_parser_name(name).is_ok(), "{name}");
    }
    assert!(parse::CONFTEST_UNSUPPORTED.is_empty());
    assert_eq!(
        parse::conftest_format_unsupported(Path::new("Jenkinsfile")),
        None
    );
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("Jenkinsfile"), "node { sh 'make' }\n").expect("write");
    std::fs::create_dir(dir.path().join("policy")).expect("mkdir");
    std::fs::write(
        dir.path().join("policy/deny.rego"),
        "package main\nimport rego.v1\ndeny contains sprintf(\"step %s\", [t.text]) if {\n\twalk(input, [_, t])\n\tt.kind == \"StringLiteral\"\n}\n",
    )
    .expect("write");
    for target in ["Jenkinsfile", "."] {
        let (exit, report, _) = scan_json(
            &[target, "--policy", "policy", "--no-bundled", "--no-config"],
            dir.path(),
        );
        assert_eq!(exit, 1, "{target}: {report}");
        assert_eq!(report["findings"][0]["message"], "step 'make'", "{report}");
        assert_eq!(report["notes"], serde_json::json!([]), "{report}");
    }
}

/// conftest's naming rules pick the new parsers (`NewFromPath`), discovery reads the same
/// files with them, and `--parser NAME` names each.
#[test]
fn conftest_names_pick_the_new_parsers() {
    let cases = [
        ("service.hocon", Syntax::Hocon),
        ("cluster.hcl1", Syntax::Hcl1),
        ("app.edn", Syntax::Edn),
        ("deploy.cue", Syntax::Cue),
        ("service.jsonnet", Syntax::Jsonnet),
        ("job.textproto", Syntax::Textproto),
        ("job.textpb", Syntax::Textproto),
        ("default.vcl", Syntax::Vcl),
        ("nginx.conf", Syntax::Nginx),
        ("sbom.spdx", Syntax::Spdx),
        ("bom.cyclonedx", Syntax::CycloneDx),
    ];
    for (name, syntax) in cases {
        assert_eq!(
            parse::syntax_for_conftest_path(Path::new(name)),
            Ok(syntax),
            "{name}"
        );
        assert_eq!(
            parse::conftest_only_syntax(Path::new(&format!("dir/{name}"))),
            Some(syntax),
            "{name}"
        );
    }
    for name in [
        "hocon",
        "hcl1",
        "edn",
        "cue",
        "jsonnet",
        "textproto",
        "vcl",
        "nginx",
        "spdx",
        "cyclonedx",
    ] {
        assert!(parse::syntax_for_parser_name(name).is_ok(), "{name}");
    }
    // `application.conf` is not HOCON by name (conftest needs `--parser hocon` for it).
    assert_eq!(
        parse::conftest_only_syntax(Path::new("application.conf")),
        None
    );
    // Through the CLI: `--parser hocon` reads a `.conf` file.
    let policy = repo().join(FORMATS).join("hocon/policy");
    let policy = policy.display().to_string();
    let file = repo().join(FORMATS).join("hocon/service.hocon");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(&file, dir.path().join("application.conf")).expect("copy");
    let (exit, report, err) = scan_json(
        &[
            "application.conf",
            "--parser",
            "hocon",
            "--policy",
            &policy,
            "--no-bundled",
            "--no-config",
        ],
        dir.path(),
    );
    assert_eq!(exit, 1, "{report}\n{err}");
    assert_eq!(
        report["findings"].as_array().map(Vec::len),
        Some(2),
        "{report}"
    );
}

#[test]
fn fixtures_exist_for_every_supported_parser() {
    for (name, _) in parse::CONFTEST_PARSERS {
        let covered = [
            "dockerfile",
            "toml",
            "properties",
            "dotenv",
            "ignore",
            "ini",
            "xml",
            "yaml",
            "json",
            "jsonc",
            "hcl2",
            "hcl1",
            "hocon",
            "edn",
            "cue",
            "jsonnet",
            "textproto",
            "vcl",
            "nginx",
            "spdx",
            "cyclonedx",
            "groovy",
        ];
        assert!(covered.contains(name), "{name} has no fixture here");
    }
    assert!(Path::new(&repo().join(FORMATS)).is_dir());
}

/// Hostile input: every truncation of every fixture, and strings built from each format's
/// special characters, parse to a document or an error — never a panic, and an error always
/// carries a location inside the input.
#[test]
fn truncated_and_random_inputs_never_panic() {
    let fixtures: &[(&str, Syntax)] = &[
        ("dockerfile/Dockerfile", Syntax::Dockerfile),
        ("toml/pipeline.toml", Syntax::Toml),
        ("properties/app.properties", Syntax::Properties),
        ("dotenv/.env.production", Syntax::Dotenv),
        ("gitignore/.gitignore", Syntax::Ignore),
        ("ini/grafana-like.ini", Syntax::Ini),
        ("xml/pom.xml", Syntax::Xml),
        ("hocon/service.hocon", Syntax::Hocon),
        ("hcl1/cluster.hcl1", Syntax::Hcl1),
        ("edn/app.edn", Syntax::Edn),
        ("cue/deploy.cue", Syntax::Cue),
        ("textproto/job.textproto", Syntax::Textproto),
        ("vcl/default.vcl", Syntax::Vcl),
        ("nginx/nginx.conf", Syntax::Nginx),
        ("spdx/sbom.spdx", Syntax::Spdx),
        ("cyclonedx/bom.cyclonedx", Syntax::CycloneDx),
    ];
    let check = |syntax: Syntax, src: &str| {
        let parsed = parse::parse(syntax, src, &Limits::default()).expect("parser");
        if let Some(e) = parsed.error {
            let span = e.span.expect("an error has a location");
            assert!(
                span.start <= src.len(),
                "{syntax:?}: {span:?} outside {src:?}"
            );
        }
    };
    for (path, syntax) in fixtures {
        let src = std::fs::read_to_string(repo().join(FORMATS).join(path)).expect("fixture");
        for (i, _) in src.char_indices() {
            check(*syntax, &src[..i]);
            check(*syntax, &src[i..]);
        }
    }
    // A deterministic pseudo-random walk over each format's special characters.
    let alphabet = "\\\n \t\"'`=:#!$[]{}<>/&;-_.,0123456789aZé\r";
    let chars: Vec<char> = alphabet.chars().collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for (_, syntax) in fixtures {
        for _ in 0..400 {
            let mut s = String::new();
            for _ in 0..40 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let idx = usize::try_from(state % chars.len() as u64).unwrap_or(0);
                s.push(chars[idx]);
            }
            check(*syntax, &s);
        }
    }
}

/// A CUE schema or a Jsonnet file that imports a library, met while walking a repository, is
/// a note (no bundled rule reads these formats; failing the gate on each would cry wolf);
/// the same file named on the command line is a parse error that fails the gate.
#[test]
fn unreadable_extra_formats_are_notes_when_discovered_and_errors_when_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::write(
        p.join("schema.cue"),
        "#Def: {\n  name: string\n}\nx: #Def & {name: \"a\"}\n",
    )
    .expect("write");
    std::fs::write(
        p.join("app.jsonnet"),
        "local lib = import \"lib.libsonnet\";\n{ a: lib.x }\n",
    )
    .expect("write");
    let (exit, report, _) = scan_json(&["--no-config", "."], p);
    assert_eq!(exit, 0, "{report:#}");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("schema.cue") && notes.contains("app.jsonnet"),
        "{notes}"
    );
    for named in ["schema.cue", "app.jsonnet"] {
        let (exit, report, _) = scan_json(&["--no-config", named], p);
        assert_eq!(exit, 1, "{named}: {report:#}");
        let rules: Vec<&str> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["rule_id"].as_str())
            .collect();
        assert_eq!(rules, ["parse-error"], "{named}");
    }
}

/// A text-format file that names its message type (`# proto-message:`) is read as that type or
/// not at all, as conftest does ("look up message type"): without `--proto-file-dirs` it is a
/// parse error at the comment's line, even when a directory walk found it and conftest-style
/// policies are loaded (conftest fails on a file it cannot read).
#[test]
fn a_textproto_naming_its_type_without_a_schema_is_a_parse_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).expect("mkdir");
    std::fs::write(
        docs.join("job.textproto"),
        "# a job\n# proto-message: example.Job\nname: \"x\"\n",
    )
    .expect("write");
    let policy = format!("{FORMATS}/textproto/policy");
    let policy = repo().join(policy);
    let (exit, report, err) = scan_json(
        &[
            docs.to_str().expect("utf-8"),
            "--policy",
            policy.to_str().expect("utf-8"),
            "--no-bundled",
            "--no-config",
        ],
        &repo(),
    );
    assert_eq!(exit, 1, "{err}");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["rule_id"], "parse-error");
    assert_eq!(findings[0]["location"]["line"], 2);
    let message = findings[0]["message"].as_str().expect("message");
    assert!(
        message.contains("look up message type \"example.Job\""),
        "{message}"
    );
}
