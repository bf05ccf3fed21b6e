//! Java `.properties` → `{key: value}` (strings), with a span per value.
//!
//! The shape conftest gives (magiconair/properties `Map()`): a flat object of strings.
//! Syntax: `key=value`, `key: value` or `key value`; `#` and `!` start comment lines; a line
//! ending in an odd number of backslashes continues on the next (whose leading whitespace is
//! dropped); escapes `\t \n \r \f \uXXXX` and `\x` → `x`. `${key}` references are expanded
//! from the file's own keys, as conftest does; a key the file does not define expands to the
//! empty string (conftest would read the process environment there — custos never lets the
//! environment change a document). A reference cycle is an error with its location.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

const MAX_EXPANSION_DEPTH: usize = 64;

pub fn parse(source: &str, _limits: &Limits) -> Parsed {
    let mut entries: Vec<(String, String, Span)> = Vec::new();
    let raw_lines: Vec<(usize, &str)> = {
        let mut off = 0;
        source
            .split_inclusive('\n')
            .map(|l| {
                let s = off;
                off += l.len();
                (s, l.trim_end_matches(['\n', '\r']))
            })
            .collect()
    };
    let mut i = 0;
    while let Some(&(start, line)) = raw_lines.get(i) {
        i += 1;
        let body = line.trim_start_matches([' ', '\t', '\x0c']);
        if body.is_empty() || body.starts_with('#') || body.starts_with('!') {
            continue;
        }
        let lead = line.len() - body.len();
        let mut logical = String::new();
        let mut end = start + line.len();
        let mut part = body;
        loop {
            if ends_with_odd_backslashes(part) {
                logical.push_str(&part[..part.len() - 1]);
                match raw_lines.get(i) {
                    Some(&(s, next)) => {
                        i += 1;
                        end = s + next.len();
                        part = next.trim_start_matches([' ', '\t', '\x0c']);
                    }
                    None => break,
                }
            } else {
                logical.push_str(part);
                break;
            }
        }
        let (key_raw, value_raw, value_off) = split_key_value(&logical);
        let key = match unescape(key_raw) {
            Ok(k) => k,
            Err(m) => return Parsed::failed(ParseError::at(m, start + lead)),
        };
        let value = match unescape(value_raw) {
            Ok(v) => v,
            Err(m) => return Parsed::failed(ParseError::at(m, start + lead + value_off)),
        };
        let vstart = (start + lead + value_off).min(end);
        entries.push((key, value, Span::new(vstart, end)));
    }
    let defined: HashMap<&str, &str> = entries
        .iter()
        .map(|(k, v, _)| (k.as_str(), v.as_str()))
        .collect();
    let mut map = Map::new();
    let mut spans = SpanMap::new();
    for (k, v, span) in &entries {
        let expanded = match expand(v, &defined, &mut vec![k.as_str()]) {
            Ok(e) => e,
            Err(m) => return Parsed::failed(ParseError::at(m, span.start)),
        };
        map.insert(k.clone(), Value::String(expanded));
        spans.insert(push_token("", k), *span);
    }
    spans.insert(String::new(), Span::new(0, source.len()));
    Parsed {
        docs: vec![ParsedDoc {
            value: Value::Object(map),
            spans,
        }],
        error: None,
    }
}

fn ends_with_odd_backslashes(s: &str) -> bool {
    s.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

/// Split a logical line into raw key, raw value and the value's byte offset in the line.
fn split_key_value(line: &str) -> (&str, &str, usize) {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'=' | b':' | b' ' | b'\t' | b'\x0c' => break,
            _ => i += 1,
        }
    }
    let key_end = i.min(bytes.len());
    let mut j = key_end;
    while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\x0c') {
        j += 1;
    }
    if j < bytes.len() && matches!(bytes[j], b'=' | b':') {
        j += 1;
        while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\x0c') {
            j += 1;
        }
    }
    (
        line.get(..key_end).unwrap_or_default(),
        line.get(j..).unwrap_or_default(),
        j,
    )
}

fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let c = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 4)
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("invalid unicode escape \\u{hex}"))?;
                out.push(c);
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

/// Expand `${key}` from the file's keys; `stack` holds the keys being expanded (cycles).
fn expand<'a>(
    value: &'a str,
    defined: &HashMap<&'a str, &'a str>,
    stack: &mut Vec<&'a str>,
) -> Result<String, String> {
    if stack.len() > MAX_EXPANSION_DEPTH {
        return Err(format!(
            "expansion too deep (over {MAX_EXPANSION_DEPTH} levels)"
        ));
    }
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(close) = after.find('}') else {
            return Err(format!(
                "malformed expression `{}`: no closing `}}`",
                truncate(&rest[at..])
            ));
        };
        let key = &after[..close];
        if stack.contains(&key) {
            return Err(format!("circular reference to `{}`", truncate(key)));
        }
        if let Some(v) = defined.get(key) {
            stack.push(key);
            let inner = expand(v, defined, stack)?;
            stack.pop();
            out.push_str(&inner);
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_continuations_escapes_expansion() {
        let src = "# c\n! c\na=1\nb : two\nc three\nlong = one \\\n    two\nu=\\u00e9\\tx\nref=${a}-${nope}\nkey\\ with\\ space=v\n";
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        let d = &p.docs[0];
        assert_eq!(d.value["a"], "1");
        assert_eq!(d.value["b"], "two");
        assert_eq!(d.value["c"], "three");
        assert_eq!(d.value["long"], "one two");
        assert_eq!(d.value["u"], "é\tx");
        assert_eq!(d.value["ref"], "1-");
        assert_eq!(d.value["key with space"], "v");
        assert_eq!(&src[d.spans["/b"].range()], "two");
    }

    #[test]
    fn cycle_is_an_error_with_location() {
        let p = parse("a=${b}\nb=${a}\n", &Limits::default());
        let e = p.error.unwrap();
        assert!(e.message.contains("circular"), "{}", e.message);
        assert_eq!(e.span.unwrap().start, 2);
    }
}
