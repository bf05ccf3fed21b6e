//! Parsers: source text → JSON values with a span for every value.
//!
//! The registry is keyed by [`Syntax`], not by [`Kind`](crate::document::Kind): a Kubernetes
//! manifest and a GitHub workflow are both YAML, and `CloudFormation` comes as YAML or JSON.
//! Classification decides both the kind (which policies apply) and the syntax (which parser
//! runs). Adding a format is one module here plus one row in [`PARSERS`].
//!
//! Parsers never throw a file away: a syntax error comes back as a [`ParseError`] with a
//! location, beside whatever documents parsed before it.

pub mod hcl;
pub mod ini;
pub mod json;
pub mod python;
pub mod template;
pub mod yaml;

use crate::document::{Span, SpanMap};

/// The concrete syntax of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syntax {
    Json,
    Yaml,
    Hcl,
    /// Airflow DAG files: Python, modelled as a DAG (tree-sitter).
    Python,
    /// INI-style configuration (`airflow.cfg`, `.dvc/config`).
    Ini,
    /// JSON with comments and trailing commas (`tsconfig.json`, `*.jsonc`).
    Jsonc,
    /// A Helm (Go-template) YAML template: evaluated as far as its static YAML goes.
    HelmTemplate,
    /// No structural parser: the file is only seen by text detectors.
    Text,
}

/// Bounds that keep hostile input from exhausting memory or stack.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Maximum nesting of arrays/objects.
    pub max_depth: usize,
    /// Maximum number of nodes that YAML alias expansion may produce in one file.
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 256,
            max_alias_nodes: 100_000,
        }
    }
}

/// A syntax error, with the byte span where the parser gave up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub span: Option<Span>,
}

impl ParseError {
    pub fn at(message: impl Into<String>, offset: usize) -> Self {
        Self {
            message: message.into(),
            span: Some(Span::new(offset, offset)),
        }
    }

    /// [`ParseError::at`] for an offset reported by a third-party parser, which may point past
    /// the end or into the middle of a character: moved back to the nearest character start.
    pub fn within(source: &str, message: impl Into<String>, offset: usize) -> Self {
        let mut at = offset.min(source.len());
        while !source.is_char_boundary(at) {
            at -= 1;
        }
        Self::at(message, at)
    }
}

/// One parsed document: the value and where each part of it came from.
#[derive(Debug, Clone)]
pub struct ParsedDoc {
    pub value: serde_json::Value,
    pub spans: SpanMap,
}

/// What a parser returns: every document it could build, and the error that stopped it, if any.
#[derive(Debug, Default)]
pub struct Parsed {
    pub docs: Vec<ParsedDoc>,
    pub error: Option<ParseError>,
}

impl Parsed {
    pub fn failed(error: ParseError) -> Self {
        Self {
            docs: Vec::new(),
            error: Some(error),
        }
    }
}

type ParseFn = fn(&str, &Limits) -> Parsed;

/// The parser registry.
pub static PARSERS: &[(Syntax, ParseFn)] = &[
    (Syntax::Json, json::parse),
    (Syntax::Yaml, yaml::parse),
    (Syntax::Hcl, hcl::parse),
    (Syntax::Python, python::parse),
    (Syntax::Ini, ini::parse),
    (Syntax::Jsonc, json::parse_jsonc),
    (Syntax::HelmTemplate, template::parse_helm),
];

/// Parse `source` as `syntax`; `None` for syntaxes without a structural parser.
pub fn parse(syntax: Syntax, source: &str, limits: &Limits) -> Option<Parsed> {
    PARSERS
        .iter()
        .find(|(s, _)| *s == syntax)
        .map(|(_, f)| f(source, limits))
}

/// Reject input nested deeper than `max` before a recursive parser sees it.
/// Brackets inside double-quoted strings are skipped; the check errs towards counting.
pub(crate) fn check_depth(
    source: &str,
    max: usize,
    open: &[u8],
    close: &[u8],
) -> Result<(), ParseError> {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    for (i, b) in source.bytes().enumerate() {
        if in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        if b == b'"' {
            in_str = true;
        } else if open.contains(&b) {
            depth += 1;
            if depth > max {
                return Err(ParseError::at(
                    format!("nesting deeper than {max} levels; refusing to parse"),
                    i,
                ));
            }
        } else if close.contains(&b) {
            depth = depth.saturating_sub(1);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_has_each_structured_syntax_once() {
        for syntax in [
            Syntax::Json,
            Syntax::Yaml,
            Syntax::Hcl,
            Syntax::Python,
            Syntax::Ini,
            Syntax::Jsonc,
            Syntax::HelmTemplate,
        ] {
            assert_eq!(
                PARSERS.iter().filter(|(s, _)| *s == syntax).count(),
                1,
                "{syntax:?}"
            );
        }
        assert!(parse(Syntax::Text, "x", &Limits::default()).is_none());
    }

    #[test]
    fn error_offsets_land_on_char_boundaries() {
        // "é" is two bytes: an offset into its middle moves back to its start.
        let e = ParseError::within("aé", "m", 2);
        assert_eq!(e.span, Some(Span::new(1, 1)));
        assert_eq!(ParseError::within("ab", "m", 9).span, Some(Span::new(2, 2)));
    }

    #[test]
    fn depth_check_ignores_strings() {
        assert!(check_depth(r#"{"a": "[[[[[[["}"#, 2, b"[{", b"]}").is_ok());
        let err = check_depth("[[[[", 3, b"[{", b"]}").unwrap_err();
        assert_eq!(err.span, Some(Span::new(3, 3)));
    }
}
