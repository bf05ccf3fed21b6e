//! INI-style configuration (`airflow.cfg`, DVC's `.dvc/config`, `setup.cfg`, …) → JSON with spans.
//!
//! Shape: `{section: {key: value}}`; keys before any section go under `""`. DVC's quoted
//! section names (`['remote "storage"']`) become `remote "storage"`. Values are typed the way
//! conftest types them (go-ini's strings, then `strconv.ParseFloat`/`ParseBool`): a value that
//! reads as a finite number is a number, `true`/`false`/`t`/`f` (any of Go's spellings) a
//! boolean, anything else a string — see [`typed`]. `;` and `#` start comments at the
//! beginning of a line; indented lines continue the previous value. A line that is neither is
//! a syntax error with its location.

use serde_json::{Map, Value};

use super::{Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

pub fn parse(source: &str, _limits: &Limits) -> Parsed {
    let mut root = Map::new();
    let mut spans = SpanMap::new();
    let mut section = String::new();
    let mut last: Option<(String, String)> = None;
    let mut offset = 0usize;
    for line in source.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim();
        if trimmed.is_empty() || trimmed.starts_with(';') || trimmed.starts_with('#') {
            continue;
        }
        let indent = body.len() - body.trim_start().len();
        if indent > 0 {
            if let Some((sec, key)) = &last {
                // A continuation line: append to the previous value.
                if let Some(Value::String(v)) = root.get_mut(sec).and_then(|s| s.get_mut(key)) {
                    v.push('\n');
                    v.push_str(trimmed);
                    let p = push_token(&push_token("", sec), key);
                    if let Some(s) = spans.get_mut(&p) {
                        s.end = start + body.len();
                    }
                    continue;
                }
            }
        }
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            let name = trimmed[1..trimmed.len() - 1].trim();
            let name = name
                .strip_prefix('\'')
                .and_then(|n| n.strip_suffix('\''))
                .unwrap_or(name);
            name.clone_into(&mut section);
            let p = push_token("", &section);
            spans
                .entry(p)
                .or_insert(Span::new(start, start + body.len()));
            root.entry(section.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            last = None;
            continue;
        }
        let Some(eq) = body.find(['=', ':']) else {
            return Parsed {
                docs: Vec::new(),
                error: Some(ParseError::at(
                    format!(
                        "expected `key = value` or `[section]`, found {:?}",
                        truncate(trimmed)
                    ),
                    start + indent,
                )),
            };
        };
        let key = body[..eq].trim().to_owned();
        let raw = &body[eq + 1..];
        let value = raw.trim();
        let value_start = start + eq + 1 + (raw.len() - raw.trim_start().len());
        let sec = root
            .entry(section.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = sec {
            m.insert(key.clone(), Value::String(value.to_owned()));
        }
        let p = push_token(&push_token("", &section), &key);
        spans.insert(p, Span::new(value_start, value_start + value.len()));
        last = Some((section.clone(), key));
    }
    spans.insert(String::new(), Span::new(0, source.len()));
    for section in root.values_mut() {
        if let Value::Object(keys) = section {
            for v in keys.values_mut() {
                if let Value::String(s) = v {
                    *v = typed(s);
                }
            }
        }
    }
    Parsed {
        docs: vec![ParsedDoc {
            value: Value::Object(root),
            spans,
        }],
        error: None,
    }
}

/// conftest's typing of an INI value: Go's `ParseFloat` first (a finite number), then
/// `ParseBool` (`1 t T TRUE true True 0 f F FALSE false False`, the digits already numbers),
/// else the string. Integral values become JSON integers, which Rego compares equal to the
/// float conftest produces.
pub fn typed(s: &str) -> Value {
    let t = s.trim();
    let number_like = !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && t.bytes().any(|b| b.is_ascii_digit());
    if number_like && t == s {
        if let Ok(f) = t.parse::<f64>() {
            if f.is_finite() {
                #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    return Value::Number((f as i64).into());
                }
                if let Some(n) = serde_json::Number::from_f64(f) {
                    return Value::Number(n);
                }
            }
        }
    }
    match s {
        "t" | "T" | "TRUE" | "true" | "True" => Value::Bool(true),
        "f" | "F" | "FALSE" | "false" | "False" => Value::Bool(false),
        _ => Value::String(s.to_owned()),
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keys_continuations_and_spans() {
        let src = "[core]\nexecutor = CeleryExecutor\nfernet_key=abc\n# comment\n['remote \"storage\"']\n    url = s3://acme-dvc/store\n[logging]\nformat = %(asctime)s\n  %(message)s\nlevel = 3\nratio = .5\non = True\noff = f\nword = yes\ninf = inf\n";
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none());
        let d = &p.docs[0];
        assert_eq!(d.value["core"]["executor"], "CeleryExecutor");
        assert_eq!(d.value["remote \"storage\""]["url"], "s3://acme-dvc/store");
        assert_eq!(d.value["logging"]["format"], "%(asctime)s\n%(message)s");
        assert_eq!(d.value["logging"]["level"], 3);
        assert_eq!(d.value["logging"]["ratio"], 0.5);
        assert_eq!(d.value["logging"]["on"], true);
        assert_eq!(d.value["logging"]["off"], false);
        assert_eq!(d.value["logging"]["word"], "yes");
        assert_eq!(d.value["logging"]["inf"], "inf");
        let s = d.spans["/core/fernet_key"];
        assert_eq!(&src[s.range()], "abc");
    }

    #[test]
    fn garbage_is_an_error_with_location() {
        let p = parse("[core]\nthis is not ini\n", &Limits::default());
        assert_eq!(p.error.unwrap().span.unwrap().start, 7);
    }
}
