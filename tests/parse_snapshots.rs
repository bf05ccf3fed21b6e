//! Snapshots of parser output: the JSON value and, for every JSON pointer, the line:column
//! range and the source text it maps to. A change in spans shows up as a snapshot diff.

use std::fmt::Write as _;

use custos::document::LineIndex;
use custos::parse::{self, Limits, Syntax};

fn render(path: &str, syntax: Syntax) -> String {
    let src = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .expect("fixture");
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
            let _ = writeln!(out, "{pointer:<45} {l1}:{c1}-{l2}:{c2}  {shown}");
        }
    }
    out
}

#[test]
fn terraform_spans() {
    insta::assert_snapshot!(render("fixtures/parse/main.tf", Syntax::Hcl));
}

#[test]
fn yaml_spans() {
    insta::assert_snapshot!(render("fixtures/parse/multi.yaml", Syntax::Yaml));
}

#[test]
fn airflow_dag_model_spans() {
    insta::assert_snapshot!(render(
        "fixtures/rules/AF001/fail/warehouse_sync.py",
        Syntax::Python
    ));
}

#[test]
fn json_spans() {
    insta::assert_snapshot!(render("fixtures/parse/settings.json", Syntax::Json));
}

/// Every span of every value maps back to source text that parses to that same value
/// (for scalars), across all fixture files.
#[test]
fn scalar_spans_round_trip() {
    for (path, syntax) in [
        ("fixtures/parse/settings.json", Syntax::Json),
        ("fixtures/parse/multi.yaml", Syntax::Yaml),
    ] {
        let src =
            std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
                .unwrap();
        let parsed = parse::parse(syntax, &src, &Limits::default()).unwrap();
        for doc in &parsed.docs {
            for (pointer, span) in &doc.spans {
                let Some(v) = doc.value.pointer(pointer) else {
                    continue;
                };
                let text = src[span.range()].trim_matches('"');
                match v {
                    serde_json::Value::String(s) if !pointer.contains("<<") => {
                        assert_eq!(text, s.as_str(), "{path} {pointer}");
                    }
                    serde_json::Value::Number(n) => {
                        assert_eq!(text.parse::<f64>().ok(), n.as_f64(), "{path} {pointer}");
                    }
                    _ => {}
                }
            }
        }
    }
}
