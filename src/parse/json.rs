//! Strict JSON with spans, via `jsonc-parser`'s AST (every node carries its byte range).
//! All JSON5/JSONC leniencies are switched off: a `.json` file that other tools would reject
//! is a parse error here too. JSON-with-comments files (`tsconfig.json`, `.vscode/*.json`,
//! `devcontainer.json`, `*.jsonc` — classification decides) go through [`parse_jsonc`], which
//! allows exactly what their tools allow: comments and trailing commas.

use jsonc_parser::ast;
use jsonc_parser::{CollectOptions, ParseOptions};
use serde_json::{Map, Number, Value};

use super::{check_depth, Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    parse_with(source, limits, false)
}

/// JSON with comments and trailing commas (JSONC).
pub fn parse_jsonc(source: &str, limits: &Limits) -> Parsed {
    parse_with(source, limits, true)
}

fn parse_with(source: &str, limits: &Limits, jsonc: bool) -> Parsed {
    if let Err(e) = check_depth(source, limits.max_depth, b"[{", b"]}") {
        return Parsed::failed(e);
    }
    let opts = ParseOptions {
        allow_comments: jsonc,
        allow_loose_object_property_names: false,
        allow_trailing_commas: jsonc,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    match jsonc_parser::parse_to_ast(source, &CollectOptions::default(), &opts) {
        Ok(res) => {
            let Some(root) = res.value else {
                // Empty (or whitespace-only) file: nothing to evaluate, nothing wrong.
                return Parsed::default();
            };
            let mut spans = SpanMap::new();
            let value = convert(&root, String::new(), &mut spans);
            Parsed {
                docs: vec![ParsedDoc { value, spans }],
                error: None,
            }
        }
        Err(e) => {
            let r = e.range();
            Parsed::failed(ParseError {
                message: e.kind().to_string(),
                span: Some(Span::new(r.start, r.end)),
            })
        }
    }
}

fn convert(node: &ast::Value<'_>, pointer: String, spans: &mut SpanMap) -> Value {
    let (range, value) = match node {
        ast::Value::StringLit(s) => (s.range, Value::String(s.value.to_string())),
        ast::Value::NumberLit(n) => (
            n.range,
            serde_json::from_str::<Number>(n.value)
                .map_or_else(|_| Value::String(n.value.to_owned()), Value::Number),
        ),
        ast::Value::BooleanLit(b) => (b.range, Value::Bool(b.value)),
        ast::Value::NullKeyword(n) => (n.range, Value::Null),
        ast::Value::Array(a) => {
            let items = a
                .elements
                .iter()
                .enumerate()
                .map(|(i, el)| convert(el, push_token(&pointer, &i.to_string()), spans))
                .collect();
            (a.range, Value::Array(items))
        }
        ast::Value::Object(o) => {
            let mut map = Map::new();
            for prop in &o.properties {
                let key = prop.name.as_str().to_owned();
                let child = convert(&prop.value, push_token(&pointer, &key), spans);
                map.insert(key, child);
            }
            (o.range, Value::Object(map))
        }
    };
    spans.insert(pointer, Span::new(range.start, range.end));
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_values() {
        let src = r#"{"a": {"b": [1, "x"]}, "c": null}"#;
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none());
        let doc = &p.docs[0];
        let at = |ptr: &str| {
            let s = doc.spans[ptr];
            &src[s.start..s.end]
        };
        assert_eq!(at("/a/b/1"), "\"x\"");
        assert_eq!(at("/a/b/0"), "1");
        assert_eq!(at("/c"), "null");
        assert_eq!(at(""), src);
        assert_eq!(doc.value["a"]["b"][1], "x");
    }

    #[test]
    fn lenient_syntax_is_an_error_with_location() {
        let src = "{\n  \"a\": 1,\n}";
        let p = parse(src, &Limits::default());
        let e = p.error.expect("trailing comma must fail");
        assert!(e.span.is_some());
        assert!(p.docs.is_empty());
    }

    #[test]
    fn non_ascii_ranges_are_bytes() {
        let src = r#"{"é": "ü", "k": 1}"#;
        let p = parse(src, &Limits::default());
        let s = p.docs[0].spans["/k"];
        assert_eq!(&src[s.start..s.end], "1");
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let src = "[".repeat(100_000);
        let p = parse(&src, &Limits::default());
        assert!(p.error.unwrap().message.contains("nesting"));
    }
}
