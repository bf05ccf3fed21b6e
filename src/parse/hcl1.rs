//! HCL1 (`*.hcl1`, or `--parser hcl1`) → the document HCL1's decoder gives conftest, with spans.
//!
//! conftest decodes HCL1 with `hashicorp/hcl` (v1) into a Go `interface{}`, which gives the
//! well-known HCL1 shape: the file is an object; an attribute `key = value` is its value; a
//! block or object value is a *list of objects* under its first key, each further label one
//! more level of list-of-objects (`resource "a" "b" { … }` → `"resource": [{"a": [{"b":
//! [{…}]}]}]`), and a key seen again appends to that list; an object written as a value
//! (`metadata = { … }`) is a one-element list too, except directly inside a list, where it is
//! an object. Integers are numbers, floats numbers, `true`/`false` booleans, strings and
//! heredocs strings — `${…}` interpolations stay as written, since HCL1 does not evaluate
//! them.
//!
//! custos's HCL2 parser (`hcl-edit`) reads a different language (templates, expressions,
//! no `key "label" = …` forms), and no maintained crate reads HCL1, so the reader is here:
//! identifiers and quoted keys, `=` or `:` assignments, blocks, objects, lists with trailing
//! commas, numbers (decimal, `0x`, exponents), heredocs (`<<EOF` and `<<-EOF`), and `#`,
//! `//` and `/* */` comments. An unclosed block, list or heredoc, a key without a value, or
//! an unterminated string is an error with its location.

use serde_json::{Map, Value};

use super::cursor::Cursor;
use super::{Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    let mut c = Cursor::new(source);
    let mut spans = SpanMap::new();
    spans.insert(String::new(), Span::new(0, source.len()));
    match object_list(&mut c, None, "", &mut spans, 0, limits) {
        Ok(m) => Parsed {
            docs: vec![ParsedDoc {
                value: Value::Object(m),
                spans,
            }],
            error: None,
        },
        Err(e) => Parsed::failed(e),
    }
}

fn blank(c: &mut Cursor<'_>) {
    c.skip_blank(true, &["#", "//"], true);
}

fn blank_inline(c: &mut Cursor<'_>) {
    c.skip_blank(false, &["#", "//"], true);
}

fn is_ident(ch: char) -> bool {
    ch.is_alphanumeric() || matches!(ch, '_' | '-' | '.' | ':')
}

fn depth_error(c: &Cursor<'_>, limits: &Limits) -> ParseError {
    c.error(format!(
        "nesting deeper than {} levels; refusing to parse",
        limits.max_depth
    ))
}

/// Items up to `}` (consumed, when `open` is set) or the end of input, decoded as a map.
fn object_list(
    c: &mut Cursor<'_>,
    open: Option<usize>,
    pointer: &str,
    spans: &mut SpanMap,
    depth: usize,
    limits: &Limits,
) -> Result<Map<String, Value>, ParseError> {
    if depth > limits.max_depth {
        return Err(depth_error(c, limits));
    }
    let mut map = Map::new();
    loop {
        blank(c);
        match c.peek() {
            None => {
                return match open {
                    Some(o) => Err(c.error_at("block is never closed", o)),
                    None => Ok(map),
                }
            }
            Some('}') if open.is_some() => {
                c.bump();
                return Ok(map);
            }
            Some(',') => {
                c.bump();
                continue;
            }
            _ => {}
        }
        let start = c.pos;
        let mut keys = Vec::new();
        loop {
            blank_inline(c);
            match c.peek() {
                Some('"') => keys.push(c.quoted('"', false)?),
                Some(ch) if is_ident(ch) && ch != ':' => {
                    keys.push(c.take_while(|x| is_ident(x) && x != ':').to_owned());
                }
                _ => break,
            }
        }
        let Some(first) = keys.first().cloned() else {
            return Err(c.error(format!("expected a key, found {}", c.found())));
        };
        blank_inline(c);
        let assigned = keys.len() == 1 && (c.eat("=") || c.eat(":"));
        blank_inline(c);
        let p = push_token(pointer, &first);
        if assigned && c.peek() != Some('{') {
            let v = value(c, &p, spans, depth + 1, limits)?;
            spans.insert(p, Span::new(start, c.pos));
            map.insert(first, v);
            continue;
        }
        let open_at = c.pos;
        if !c.eat("{") {
            return Err(c.error(format!(
                "expected `=` or `{{` after `{first}`, found {}",
                c.found()
            )));
        }
        // The list that this block appends to.
        let list = map
            .entry(first.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if !list.is_array() {
            *list = Value::Array(Vec::new());
        }
        let index = list.as_array().map_or(0, Vec::len);
        let mut elem_pointer = push_token(&p, &index.to_string());
        let mut labels = keys.iter().skip(1);
        // Each further label is one more list-of-objects level.
        let mut label_pointers = Vec::new();
        for l in labels.by_ref() {
            let lp = push_token(&elem_pointer, l);
            label_pointers.push(lp.clone());
            elem_pointer = push_token(&lp, "0");
        }
        let body = object_list(c, Some(open_at), &elem_pointer, spans, depth + 1, limits)?;
        let span = Span::new(start, c.pos);
        let mut v = Value::Object(body);
        for l in keys.iter().skip(1).rev() {
            let mut o = Map::new();
            o.insert(l.clone(), Value::Array(vec![v]));
            v = Value::Object(o);
        }
        spans.insert(elem_pointer, span);
        for lp in label_pointers {
            spans.insert(lp, span);
        }
        spans.insert(push_token(&p, &index.to_string()), span);
        spans.entry(p).or_insert(span);
        if let Some(Value::Array(items)) = map.get_mut(&first) {
            items.push(v);
        }
    }
}

fn value(
    c: &mut Cursor<'_>,
    pointer: &str,
    spans: &mut SpanMap,
    depth: usize,
    limits: &Limits,
) -> Result<Value, ParseError> {
    if depth > limits.max_depth {
        return Err(depth_error(c, limits));
    }
    let start = c.pos;
    match c.peek() {
        Some('"') => Ok(Value::String(c.quoted('"', false)?)),
        Some('<') if c.starts_with("<<") => heredoc(c).map(Value::String),
        Some('[') => {
            c.bump();
            let mut items = Vec::new();
            loop {
                blank(c);
                match c.peek() {
                    None => return Err(c.error_at("list is never closed", start)),
                    Some(']') => {
                        c.bump();
                        return Ok(Value::Array(items));
                    }
                    Some(',') => {
                        c.bump();
                        continue;
                    }
                    _ => {}
                }
                let p = push_token(pointer, &items.len().to_string());
                let at = c.pos;
                // An object directly inside a list is an object, not a one-element list.
                let item = if c.peek() == Some('{') {
                    c.bump();
                    Value::Object(object_list(c, Some(at), &p, spans, depth + 1, limits)?)
                } else {
                    value(c, &p, spans, depth + 1, limits)?
                };
                spans.insert(p, Span::new(at, c.pos));
                items.push(item);
                blank(c);
                if !matches!(c.peek(), Some(',' | ']') | None) {
                    return Err(c.error(format!(
                        "expected `,` or `]` in a list, found {}",
                        c.found()
                    )));
                }
            }
        }
        Some('{') => {
            c.bump();
            let inner = object_list(
                c,
                Some(start),
                &push_token(pointer, "0"),
                spans,
                depth + 1,
                limits,
            )?;
            spans.insert(push_token(pointer, "0"), Span::new(start, c.pos));
            Ok(Value::Array(vec![Value::Object(inner)]))
        }
        Some(ch) if ch.is_ascii_digit() || ch == '-' || ch == '+' || ch == '.' => {
            let tok = c.take_while(|x| x.is_ascii_alphanumeric() || matches!(x, '.' | '-' | '+'));
            number(tok).ok_or_else(|| c.error_at(format!("invalid number {tok:?}"), start))
        }
        Some(ch) if ch.is_alphabetic() || ch == '_' => {
            let w = c.take_while(|x| is_ident(x) && x != ':');
            match w {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(c.error_at(
                    format!("unexpected `{w}`: a value must be a string, number, boolean, list or object"),
                    start,
                )),
            }
        }
        _ => Err(c.error(format!("expected a value, found {}", c.found()))),
    }
}

fn number(tok: &str) -> Option<Value> {
    let (neg, body) = match tok.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, tok.strip_prefix('+').unwrap_or(tok)),
    };
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        let n = i64::from_str_radix(hex, 16).ok()?;
        return Some(Value::Number(if neg { -n } else { n }.into()));
    }
    if body.bytes().all(|b| b.is_ascii_digit()) && !body.is_empty() {
        let n: i64 = body.parse().ok()?;
        return Some(Value::Number(if neg { -n } else { n }.into()));
    }
    if !body.starts_with(|ch: char| ch.is_ascii_digit() || ch == '.') {
        return None;
    }
    let f: f64 = tok.parse().ok()?;
    serde_json::Number::from_f64(f).map(Value::Number)
}

/// `<<EOF … EOF` or `<<-EOF … EOF` (the indented form strips the common indentation).
fn heredoc(c: &mut Cursor<'_>) -> Result<String, ParseError> {
    let start = c.pos;
    c.pos += 2;
    let indented = c.eat("-");
    let marker = c.take_while(|ch| ch.is_alphanumeric() || ch == '_');
    if marker.is_empty() || !c.eat("\n") {
        return Err(c.error_at("a heredoc needs a marker and a newline", start));
    }
    let mut lines = Vec::new();
    loop {
        if c.at_end() {
            return Err(c.error_at(format!("heredoc `{marker}` is never closed"), start));
        }
        let line_start = c.pos;
        c.skip_line();
        let line = c.src.get(line_start..c.pos).unwrap_or_default();
        c.eat("\n");
        if line.trim() == marker && (indented || line == marker) {
            break;
        }
        lines.push(line);
    }
    if indented {
        let indent = lines
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start().len())
            .min()
            .unwrap_or(0);
        let stripped: Vec<&str> = lines
            .iter()
            .map(|l| l.get(indent..).unwrap_or_else(|| l.trim_start()))
            .collect();
        return Ok(with_newlines(&stripped));
    }
    Ok(with_newlines(&lines))
}

fn with_newlines(lines: &[&str]) -> String {
    let mut out = String::new();
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl1_decoder_shape() {
        let src = "provider \"google\" {\n  region = \"europe-west2\"\n}\n\nresource \"google_container_cluster\" \"primary\" {\n  name = \"c\"\n  count = 1\n  ratio = 0.5\n  enabled = true\n  cluster = \"${google_container_cluster.primary.name}\"\n  master_auth {\n    username = \"\"\n  }\n  metadata = {\n    a = \"b\"\n  }\n  scopes = [\"x\", \"y\",]\n  rules = [{ port = 80 }]\n}\nresource \"google_container_node_pool\" \"p\" {}\nbody = <<EOF\nline\nEOF\n";
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        let v = &p.docs[0].value;
        assert_eq!(v["provider"][0]["google"][0]["region"], "europe-west2");
        let cluster = &v["resource"][0]["google_container_cluster"][0]["primary"][0];
        assert_eq!(cluster["count"], 1);
        assert_eq!(cluster["ratio"], 0.5);
        assert_eq!(cluster["enabled"], true);
        assert_eq!(
            cluster["cluster"],
            "${google_container_cluster.primary.name}"
        );
        assert_eq!(cluster["master_auth"][0]["username"], "");
        assert_eq!(cluster["metadata"][0]["a"], "b");
        assert_eq!(cluster["scopes"], serde_json::json!(["x", "y"]));
        assert_eq!(cluster["rules"][0]["port"], 80);
        assert!(v["resource"][1]["google_container_node_pool"][0]["p"][0].is_object());
        assert_eq!(v["body"], "line\n");
        let s = p.docs[0].spans["/resource/0/google_container_cluster/0/primary/0/count"];
        assert_eq!(&src[s.range()], "count = 1");
    }

    #[test]
    fn errors_have_locations() {
        for (src, needle, line) in [
            ("a {\n b = 1\n", "never closed", 1),
            ("a = [1,\n", "never closed", 1),
            ("a = <<EOF\nx\n", "never closed", 1),
            ("a = \"open\n", "unterminated", 1),
            ("a \"b\"\n", "expected `=` or `{`", 1),
            ("a = \n}", "expected a value", 1),
            ("a = foo\n", "unexpected `foo`", 1),
        ] {
            let e = parse(src, &Limits::default()).error.unwrap();
            assert!(e.message.contains(needle), "{src:?}: {}", e.message);
            let at = e.span.unwrap().start;
            assert_eq!(
                src[..at].matches('\n').count() + 1,
                line,
                "{src:?}: {}",
                e.message
            );
        }
    }
}
