//! Jsonnet (`*.jsonnet`) → its evaluated JSON value, as conftest gives it to policies.
//!
//! conftest evaluates the file with `google/go-jsonnet` and parses the resulting JSON. custos
//! evaluates with `jrsonnet-evaluator` (a Rust implementation of the same language, with the
//! standard library from `jrsonnet-stdlib`) and parses the manifested JSON the same way.
//! Differences from conftest, on purpose:
//!
//! - `import`/`importstr` are refused: conftest resolves them beside the file; custos's
//!   parsers see only the file's text and read nothing else, so a scan never depends on files
//!   outside what was named. The error names the import.
//! - `std.extVar` has no external variables (conftest sets none either).
//! - Evaluation depth is capped (jrsonnet's stack limit), so deeply recursive input is an
//!   error rather than a crash. A program that loops without recursing is not bounded in
//!   time; that is the cost of evaluating a Turing-complete format, as conftest does.
//!
//! The document has one span, the whole file: values computed by evaluation have no single
//! place in the source. A syntax or evaluation error carries the location jrsonnet reports.

use jrsonnet_evaluator::error::ErrorKind;
use jrsonnet_evaluator::manifest::JsonFormat;
use jrsonnet_evaluator::trace::PathResolver;
use jrsonnet_evaluator::State;

use super::{json as json_parser, Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{Span, SpanMap};

/// jrsonnet's evaluation depth limit (its own default is 200 frames).
const STACK_DEPTH: usize = 200;

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    let mut builder = State::builder();
    builder.context_initializer(jrsonnet_stdlib::ContextInitializer::new(
        PathResolver::FileName,
    ));
    let state = builder.build();
    let _depth = jrsonnet_evaluator::stack::limit_stack_depth(STACK_DEPTH);
    let result = state
        .evaluate_snippet("<input>", source)
        .and_then(|v| v.manifest(JsonFormat::minify()));
    match result {
        Ok(json) => {
            let parsed = json_parser::parse(&json, limits);
            match (parsed.error, parsed.docs.into_iter().next()) {
                (None, Some(doc)) => {
                    let mut spans = SpanMap::new();
                    spans.insert(String::new(), Span::new(0, source.len()));
                    Parsed {
                        docs: vec![ParsedDoc {
                            value: doc.value,
                            spans,
                        }],
                        error: None,
                    }
                }
                (Some(e), _) => Parsed::failed(ParseError::at(
                    format!("the evaluated document is not JSON: {}", e.message),
                    0,
                )),
                (None, None) => Parsed::failed(ParseError::at("evaluation gave no value", 0)),
            }
        }
        Err(e) => {
            let (message, offset) = match e.error() {
                ErrorKind::ImportSyntaxError { error, .. } => (
                    format!("jsonnet syntax error: expected {}", error.expected),
                    error.location.offset,
                ),
                ErrorKind::ImportNotSupported(..) | ErrorKind::ImportFileNotFound(..) => (
                    format!(
                        "{} (custos does not follow jsonnet imports: it reads only the named file)",
                        e.error()
                    ),
                    // jrsonnet reports no frame for a refused import: point at the first one.
                    first_location(&e)
                        .or_else(|| source.find("import"))
                        .unwrap_or(0),
                ),
                other => (
                    format!("jsonnet evaluation failed: {other}"),
                    first_location(&e).unwrap_or(0),
                ),
            };
            Parsed::failed(ParseError::within(source, message, offset))
        }
    }
}

/// The innermost frame's source offset.
fn first_location(e: &jrsonnet_evaluator::Error) -> Option<usize> {
    e.trace()
        .0
        .iter()
        .find_map(|frame| frame.location.as_ref())
        .and_then(|span| usize::try_from(span.1).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_to_json() {
        let src = "// c\n{\n  concat_array: [1, 2, 3] + [4],\n  obj_member: 'foo' in { foo: 1 },\n  ex1: 1 + 2 * 3 / (4 + 5),\n  ex2: self.ex1 | 3,\n  str: 'v=%g' % self.ex2,\n  local x = 2,\n  y: std.length([x, x]),\n}\n";
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        let v = &p.docs[0].value;
        assert_eq!(v["concat_array"], serde_json::json!([1, 2, 3, 4]));
        assert_eq!(v["obj_member"], true);
        assert_eq!(v["ex2"], 3);
        assert_eq!(v["str"], "v=3");
        assert_eq!(v["y"], 2);
    }

    #[test]
    fn errors_have_locations() {
        let src = "{\n  a: 1,\n  b: ,\n}\n";
        let e = parse(src, &Limits::default()).error.unwrap();
        assert!(e.message.contains("syntax error"), "{}", e.message);
        assert_eq!(src[..e.span.unwrap().start].matches('\n').count() + 1, 3);

        let src = "{\n  a: error 'boom',\n}\n";
        let e = parse(src, &Limits::default()).error.unwrap();
        assert!(e.message.contains("boom"), "{}", e.message);

        let e = parse("import 'other.jsonnet'", &Limits::default())
            .error
            .unwrap();
        assert!(e.message.contains("imports"), "{}", e.message);

        let e = parse("local f(n) = f(n + 1); f(0)", &Limits::default())
            .error
            .unwrap();
        assert!(e.message.contains("evaluation failed"), "{}", e.message);
    }
}
