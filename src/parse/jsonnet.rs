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
//!   error rather than a crash, and evaluation runs on its own thread with a wall-clock limit
//!   ([`TIME_LIMIT`]): a program that runs longer is an error ("was not checked") and its
//!   thread is left to finish in the background. Memory is not bounded: a program building a
//!   huge value can still exhaust it, as under conftest.
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

/// Wall-clock limit of one evaluation. Jsonnet is Turing-complete: a file that loops is
/// reported as an error after this long instead of stalling the scan.
const TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Stack of the evaluation thread (jrsonnet recurses per nested expression).
const EVAL_STACK: usize = 64 * 1024 * 1024;

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    // Evaluate on a thread of its own so that a runaway program can be given up on. The
    // thread is detached when it overruns (a thread cannot be stopped from outside); it ends
    // when the evaluation does or with the process.
    let (tx, rx) = std::sync::mpsc::channel();
    let text = source.to_owned();
    let spawned = std::thread::Builder::new()
        .name("jsonnet".to_owned())
        .stack_size(EVAL_STACK)
        .spawn(move || {
            let _ = tx.send(evaluate(&text));
        });
    if let Err(e) = spawned {
        return Parsed::failed(ParseError::at(
            format!("could not start the jsonnet evaluation: {e}"),
            0,
        ));
    }
    let Ok(result) = rx.recv_timeout(TIME_LIMIT) else {
        return Parsed::failed(ParseError::at(
            format!(
                "jsonnet evaluation did not finish within {} seconds; the file was not checked",
                TIME_LIMIT.as_secs()
            ),
            0,
        ));
    };
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
        Err((message, offset)) => Parsed::failed(ParseError::within(source, message, offset)),
    }
}

/// Evaluate and manifest as JSON; an error as (message, source offset).
fn evaluate(source: &str) -> Result<String, (String, usize)> {
    let mut builder = State::builder();
    builder.context_initializer(jrsonnet_stdlib::ContextInitializer::new(
        PathResolver::FileName,
    ));
    let state = builder.build();
    let _depth = jrsonnet_evaluator::stack::limit_stack_depth(STACK_DEPTH);
    state
        .evaluate_snippet("<input>", source)
        .and_then(|v| v.manifest(JsonFormat::minify()))
        .map_err(|e| match e.error() {
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
        })
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
