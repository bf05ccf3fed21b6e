//! `.env` files → `{KEY: value}` (strings), with a span per value.
//!
//! The shape and syntax are those of conftest's dotenv parser (subosito/gotenv's strict
//! parse, read at d24eb16): `KEY=value`, `export KEY=value`, `KEY: value`; `#` comment lines
//! and trailing ` # comments` on unquoted values; single quotes literal; double quotes with
//! `\n`/`\r` and backslash escapes, spanning lines until the closing quote; `$VAR`/`${VAR}`
//! (upper-case names) expanded outside single quotes, `\$` kept literal. A variable is
//! looked up among the keys defined earlier in the file and expands to the empty string
//! otherwise — gotenv would consult the process environment, which custos never lets change
//! a document. A line that fits none of this is an error with its location, as in conftest.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use super::{Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

static LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\A\s*(?:export\s+)?([0-9A-Za-z_.]+)(?:\s*=\s*|:\s+?)('(?:'|[^'])*'|"(?:"|[^"])*"|[^#\n]+)?\s*(?:\s*#.*)?\z"#,
    )
    .expect("static regex")
});
static UNESCAPE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\\([^$])").expect("static regex"));
static VAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\\)?(\$)(\{?([A-Z0-9_]+)?\}?)").expect("static regex"));

/// Physical lines split on `\r\n`, `\r` or `\n`: (text, byte offset, offset after the break).
fn physical_lines(source: &str) -> Vec<(&str, usize)> {
    let mut out = Vec::new();
    let bytes = source.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                out.push((&source[start..i], start));
                i += 1;
                start = i;
            }
            b'\r' => {
                out.push((&source[start..i], start));
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        out.push((&source[start..], start));
    }
    out
}

pub fn parse(source: &str, _limits: &Limits) -> Parsed {
    let lines = physical_lines(source);
    let mut env = Map::new();
    let mut spans = SpanMap::new();
    let mut i = 0;
    while let Some(&(raw, start)) = lines.get(i) {
        i += 1;
        let mut line = raw.trim().to_owned();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let lead = raw.len() - raw.trim_start().len();
        let line_start = start + lead;
        let mut end = start + raw.len();
        // A quoted value may run over several lines.
        let mut quote: Option<char> = None;
        let eq = line.find('=').or_else(|| line.find(':'));
        if let Some(idx) = eq.filter(|&i| i > 0 && i + 1 < line.len()) {
            let val = line[idx + 1..].trim();
            if let Some(q) = val.chars().next().filter(|c| *c == '"' || *c == '\'') {
                quote = Some(q);
                let after = val[1..].trim();
                if let Some(last) = after.rfind(q) {
                    // gotenv checks the character before the closing quote in `val`.
                    if val.as_bytes().get(last) != Some(&b'\\') {
                        quote = None;
                    }
                }
            }
        }
        while let Some(q) = quote {
            let Some(&(l, s)) = lines.get(i) else { break };
            i += 1;
            line.push('\n');
            line.push_str(l);
            end = s + l.len();
            match l.rfind(q) {
                Some(idx) if idx > 0 && l.as_bytes().get(idx - 1) == Some(&b'\\') => {}
                Some(_) => quote = None,
                None => {}
            }
        }
        if quote.is_some() {
            return Parsed::failed(ParseError::at("missing closing quote", line_start));
        }
        let Some(caps) = LINE.captures(&line) else {
            let first = line.lines().next().unwrap_or_default();
            let message = if first.starts_with("export") {
                format!(
                    "`{}` exports a variable this file does not set",
                    truncate(first)
                )
            } else {
                format!(
                    "line `{}` doesn't match the KEY=value format",
                    truncate(first)
                )
            };
            return Parsed::failed(ParseError::at(message, line_start));
        };
        let key = caps.get(1).map_or("", |m| m.as_str()).trim().to_owned();
        let (val, vspan) = caps.get(2).map_or(("", Span::new(end, end)), |m| {
            let trimmed = m.as_str().trim_end().len();
            let s = (line_start + m.start()).min(end);
            let e = (line_start + m.start() + trimmed).min(end);
            (m.as_str(), Span::new(s, e))
        });
        let mut val = val.trim().to_owned();
        let (mut single, mut double) = (false, false);
        if val.len() >= 2 {
            double = val.starts_with('"') && val.ends_with('"');
            single = val.starts_with('\'') && val.ends_with('\'');
            if single || double {
                val = val[1..val.len() - 1].to_string();
            }
        }
        if double {
            val = val.replace("\\n", "\n").replace("\\r", "\r");
            val = UNESCAPE.replace_all(&val, "$1").into_owned();
        }
        if !single {
            val = VAR
                .replace_all(&val, |c: &regex::Captures<'_>| {
                    let whole = c.get(0).map_or("", |m| m.as_str());
                    if let Some(rest) = whole.strip_prefix('\\') {
                        return rest.to_owned();
                    }
                    match c.get(4) {
                        Some(name) => env
                            .get(name.as_str())
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        None => whole.to_owned(),
                    }
                })
                .into_owned();
        }
        spans.insert(push_token("", &key), vspan);
        env.insert(key, Value::String(val));
    }
    spans.insert(String::new(), Span::new(0, source.len()));
    Parsed {
        docs: vec![ParsedDoc {
            value: Value::Object(env),
            spans,
        }],
        error: None,
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_quotes_expansion() {
        let src = "# c\nA=1\nexport B=\"x\\ny\"\nC: c # note\nD='$A lit'\nE=${A}-$B-$NOPE\nF=\"multi\nline\"\nG=\\$A\n";
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        let d = &p.docs[0];
        assert_eq!(d.value["A"], "1");
        assert_eq!(d.value["B"], "x\ny");
        assert_eq!(d.value["C"], "c");
        assert_eq!(d.value["D"], "$A lit");
        assert_eq!(d.value["E"], "1-x\ny-");
        assert_eq!(d.value["F"], "multi\nline");
        assert_eq!(d.value["G"], "$A");
        assert_eq!(&src[d.spans["/A"].range()], "1");
    }

    #[test]
    fn bad_line_is_an_error_with_location() {
        let p = parse("A=1\nnot a pair\n", &Limits::default());
        let e = p.error.unwrap();
        assert_eq!(e.span.unwrap().start, 4);
        let p = parse("A=\"open\n", &Limits::default());
        assert!(p.error.unwrap().message.contains("quote"));
    }
}
