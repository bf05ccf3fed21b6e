//! Varnish configuration (VCL) → conftest's document, with spans.
//!
//! conftest decodes VCL with `KeisukeYamashita/go-vcl` into a map (read at its current
//! commit): a top-level block `TYPE LABEL { … }` becomes `{TYPE: {LABEL: body}}`; a body
//! with attributes or nested blocks is an object (attribute names lose their leading `.`,
//! `.host = "x";` → `"host": "x"`), a body of bare values (an `acl`'s addresses) is the array
//! of those values. Nested blocks (`.probe = { … }`) are objects under their name, several
//! of one name an array. Values: quoted strings are strings, integers numbers, `true`/`false`
//! booleans, anything else (`60s`, `50%`, identifiers) its text. An address with a mask
//! (`"10.0.0.0"/8`) is `10.0.0.0/8`, a negated one (`! "10.0.0.1"`) keeps its `!`.
//!
//! No Rust crate reads VCL, so this module does. Subroutine bodies (`sub vcl_recv { … }`) are
//! code, which go-vcl does not model usefully either: they are skipped by brace matching and
//! the subroutine's body is an empty array. Statements outside blocks (`vcl 4.1;`,
//! `import std;`, `include "x.vcl";`) are skipped. An unclosed block, a missing `;` or an
//! unterminated string is an error with its location.

use serde_json::{Map, Value};

use super::cursor::Cursor;
use super::{Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    let mut spans = SpanMap::new();
    spans.insert(String::new(), Span::new(0, source.len()));
    match top(&mut Cursor::new(source), &mut spans, limits) {
        Ok(value) => Parsed {
            docs: vec![ParsedDoc { value, spans }],
            error: None,
        },
        Err(e) => Parsed::failed(e),
    }
}

fn blank(c: &mut Cursor<'_>) {
    c.skip_blank(true, &["#", "//"], true);
}

fn ident<'a>(c: &mut Cursor<'a>) -> &'a str {
    c.take_while(|ch| ch.is_alphanumeric() || matches!(ch, '_' | '-' | '.'))
}

fn top(c: &mut Cursor<'_>, spans: &mut SpanMap, limits: &Limits) -> Result<Value, ParseError> {
    let mut root = Map::new();
    loop {
        blank(c);
        if c.at_end() {
            return Ok(Value::Object(root));
        }
        let start = c.pos;
        let kind = ident(c).to_owned();
        if kind.is_empty() {
            return Err(c.error(format!("expected a declaration, found {}", c.found())));
        }
        blank(c);
        let mut labels = Vec::new();
        while c.peek() != Some('{') && c.peek() != Some(';') && !c.at_end() {
            let at = c.pos;
            if c.peek() == Some('"') {
                labels.push(c.quoted('"', false)?);
            } else {
                let l = ident(c);
                if l.is_empty() {
                    return Err(c.error(format!("unexpected {}", c.found())));
                }
                labels.push(l.to_owned());
            }
            let _ = at;
            blank(c);
        }
        if c.eat(";") || c.at_end() {
            // `vcl 4.1;`, `import std;`, `include "x";`: not part of the document.
            continue;
        }
        let open = c.pos;
        c.bump();
        let label = labels.first().cloned().unwrap_or_default();
        let p = push_token(&push_token("", &kind), &label);
        let mut body = if kind == "sub" {
            skip_braces(c, open)?;
            Value::Array(Vec::new())
        } else {
            block_body(c, &p, spans, 1, limits, open)?
        };
        for l in labels.iter().skip(1) {
            let mut m = Map::new();
            m.insert(l.clone(), body);
            body = Value::Object(m);
        }
        spans.insert(push_token("", &kind), Span::new(start, c.pos));
        spans.insert(p, Span::new(start, c.pos));
        if let Value::Object(m) = root
            .entry(kind)
            .or_insert_with(|| Value::Object(Map::new()))
        {
            m.insert(label, body);
        }
    }
}

/// A block's body, the cursor after its `{`, through its `}`.
fn block_body(
    c: &mut Cursor<'_>,
    pointer: &str,
    spans: &mut SpanMap,
    depth: usize,
    limits: &Limits,
    open: usize,
) -> Result<Value, ParseError> {
    if depth > limits.max_depth {
        return Err(c.error(format!(
            "nesting deeper than {} levels; refusing to parse",
            limits.max_depth
        )));
    }
    let mut attrs = Map::new();
    let mut blocks: Vec<(String, Vec<Value>)> = Vec::new();
    let mut flats = Vec::new();
    loop {
        blank(c);
        let at = c.pos;
        match c.peek() {
            None => return Err(c.error_at("block is never closed", open)),
            Some('}') => {
                c.bump();
                break;
            }
            Some(';') => {
                c.bump();
            }
            Some('.') => {
                c.bump();
                let name = ident(c).to_owned();
                blank(c);
                if !c.eat("=") {
                    return Err(c.error(format!("expected `=` after `.{name}`")));
                }
                blank(c);
                let p = push_token(pointer, &name);
                if c.peek() == Some('{') {
                    let o = c.pos;
                    c.bump();
                    let v = block_body(c, &p, spans, depth + 1, limits, o)?;
                    spans.insert(p, Span::new(at, c.pos));
                    if let Some((_, list)) = blocks.iter_mut().find(|(n, _)| *n == name) {
                        list.push(v);
                    } else {
                        blocks.push((name, vec![v]));
                    }
                    blank(c);
                    c.eat(";");
                    continue;
                }
                let vstart = c.pos;
                let v = scalar(c)?;
                spans.insert(p, Span::new(vstart, c.pos));
                attrs.insert(name, v);
                end_statement(c)?;
            }
            Some(_) => {
                let v = scalar(c)?;
                spans.insert(
                    push_token(pointer, &flats.len().to_string()),
                    Span::new(at, c.pos),
                );
                flats.push(v);
                end_statement(c)?;
            }
        }
    }
    if attrs.is_empty() && blocks.is_empty() {
        return Ok(Value::Array(flats));
    }
    for (name, mut list) in blocks {
        let v = if list.len() == 1 {
            list.pop().unwrap_or_default()
        } else {
            Value::Array(list)
        };
        attrs.insert(name, v);
    }
    Ok(Value::Object(attrs))
}

fn end_statement(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    c.skip_blank(false, &["#", "//"], true);
    if c.eat(";") {
        Ok(())
    } else {
        Err(c.error(format!("expected `;`, found {}", c.found())))
    }
}

/// One value: a string (with an optional `/mask`), a negated address, a number, a boolean or
/// a bare word.
fn scalar(c: &mut Cursor<'_>) -> Result<Value, ParseError> {
    if c.eat("!") {
        c.skip_blank(false, &[], false);
        return Ok(match scalar(c)? {
            Value::String(s) => Value::String(format!("!{s}")),
            other => other,
        });
    }
    if c.peek() == Some('"') {
        let mut s = c.quoted('"', false)?;
        c.skip_blank(false, &[], false);
        if c.eat("/") {
            c.skip_blank(false, &[], false);
            let mask = c.take_while(|ch| ch.is_ascii_digit());
            s.push('/');
            s.push_str(mask);
        }
        return Ok(Value::String(s));
    }
    let w = c.take_while(|ch| !ch.is_whitespace() && !matches!(ch, ';' | '{' | '}' | '"'));
    if w.is_empty() {
        return Err(c.error(format!("expected a value, found {}", c.found())));
    }
    Ok(match w {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => w
            .parse::<i64>()
            .map_or_else(|_| Value::String(w.to_owned()), |n| Value::Number(n.into())),
    })
}

fn skip_braces(c: &mut Cursor<'_>, open: usize) -> Result<(), ParseError> {
    c.bump();
    let mut depth = 1usize;
    loop {
        blank(c);
        let Some(ch) = c.peek() else {
            return Err(c.error_at("block is never closed", open));
        };
        match ch {
            '{' => {
                depth += 1;
                c.bump();
            }
            '}' => {
                depth -= 1;
                c.bump();
                if depth == 0 {
                    return Ok(());
                }
            }
            '"' => {
                if c.starts_with("\"\"\"") {
                    c.pos += 3;
                    match c.rest().find("\"\"\"") {
                        Some(i) => c.pos += i + 3,
                        None => return Err(c.error_at("block is never closed", open)),
                    }
                } else {
                    c.quoted('"', true)?;
                }
            }
            _ => {
                c.bump();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_vcl_shape() {
        let src = "vcl 4.1;\nimport std;\nbackend app {\n  .host = \"127.0.0.1\";\n  .port = \"8081\";\n  .max_connections = 800;\n  .first_byte_timeout = 60s;\n  .probe = { .url = \"/\"; }\n}\nacl purge {\n  \"127.0.0.1\";\n  \"10.0.0.0\"/8;\n  ! \"10.0.0.9\";\n}\nsub vcl_recv {\n  if (req.method == \"PURGE\") { return (purge); }\n}\n";
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        let v = &p.docs[0].value;
        assert_eq!(v["backend"]["app"]["port"], "8081");
        assert_eq!(v["backend"]["app"]["max_connections"], 800);
        assert_eq!(v["backend"]["app"]["first_byte_timeout"], "60s");
        assert_eq!(v["backend"]["app"]["probe"]["url"], "/");
        assert_eq!(
            v["acl"]["purge"],
            serde_json::json!(["127.0.0.1", "10.0.0.0/8", "!10.0.0.9"])
        );
        assert_eq!(v["sub"]["vcl_recv"], serde_json::json!([]));
        let s = p.docs[0].spans["/backend/app/port"];
        assert_eq!(&src[s.range()], "\"8081\"");
    }

    #[test]
    fn errors_have_locations() {
        for (src, needle) in [
            ("backend a {\n .host = \"x\";\n", "never closed"),
            ("backend a {\n .host = \"x\"\n}", "expected `;`"),
            ("backend a { .host \"x\"; }", "expected `=`"),
            ("acl a { \"open; }", "unterminated"),
            ("sub a { if (x) {", "never closed"),
            ("{", "expected a declaration"),
        ] {
            let e = parse(src, &Limits::default()).error.unwrap();
            assert!(e.message.contains(needle), "{src:?}: {}", e.message);
        }
    }
}
