//! `.gitignore` / `.dockerignore` → conftest's entry list, with a span per line.
//!
//! conftest (via `shteou/go-ignore`) gives one entry per line, split on `\n` (so a final
//! newline yields a last empty entry): `{Kind, Value, Original}` with `Kind` one of `Empty`,
//! `Comment`, `NegatedPath`, `Path`. Trailing spaces are trimmed unless escaped, a comment's
//! value is its trimmed text after `#`, and paths are unescaped (`\\` → `\`, any other
//! backslash dropped). Every line parses, so this parser has no errors.

use serde_json::{Map, Value};

use super::{Limits, Parsed, ParsedDoc};
use crate::document::{Span, SpanMap};

pub fn parse(source: &str, _limits: &Limits) -> Parsed {
    let mut entries = Vec::new();
    let mut spans = SpanMap::new();
    let mut offset = 0usize;
    for (i, line) in source.split('\n').enumerate() {
        spans.insert(format!("/{i}"), Span::new(offset, offset + line.len()));
        offset += line.len() + 1;
        let stripped = trim_right_space(line);
        let (kind, value) = if stripped.is_empty() {
            ("Empty", line.to_owned())
        } else if line.starts_with('#') {
            (
                "Comment",
                stripped.get(1..).unwrap_or_default().trim().to_owned(),
            )
        } else if line.starts_with('!') {
            (
                "NegatedPath",
                unescape(stripped.get(1..).unwrap_or_default()),
            )
        } else {
            ("Path", unescape(stripped))
        };
        let mut m = Map::new();
        m.insert("Kind".into(), kind.into());
        m.insert("Value".into(), value.into());
        m.insert("Original".into(), line.into());
        entries.push(Value::Object(m));
    }
    spans.insert(String::new(), Span::new(0, source.len()));
    Parsed {
        docs: vec![ParsedDoc {
            value: Value::Array(entries),
            spans,
        }],
        error: None,
    }
}

/// Trailing spaces go, unless the last one is escaped with a backslash.
fn trim_right_space(s: &str) -> &str {
    let t = s.trim_end_matches(' ');
    if t.ends_with('\\') && t.len() < s.len() {
        &s[..=t.len()]
    } else {
        t
    }
}

/// `\\` is a backslash; any other backslash is dropped.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
        } else if chars.peek() == Some(&'\\') {
            out.push('\\');
            chars.next();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_values_and_trailing_entry() {
        let src = "foo\n!bar\n\n# Baz\nqux\\ \nsp\\\\x  \n";
        let p = parse(src, &Limits::default());
        let v = &p.docs[0].value;
        let kinds: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["Kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "Path",
                "NegatedPath",
                "Empty",
                "Comment",
                "Path",
                "Path",
                "Empty"
            ]
        );
        assert_eq!(v[1]["Value"], "bar");
        assert_eq!(v[3]["Value"], "Baz");
        assert_eq!(v[4]["Value"], "qux ");
        assert_eq!(v[5]["Value"], "sp\\x");
        assert_eq!(v[5]["Original"], "sp\\\\x  ");
        assert_eq!(&src[p.docs[0].spans["/4"].range()], "qux\\ ");
    }
}
