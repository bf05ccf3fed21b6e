//! Protocol buffer text format (`*.textproto`, `*.textpb`) → JSON, with spans.
//!
//! conftest decodes text format against a message type loaded from `.proto` files
//! (`--proto-file-dirs`, with the type named by a `# proto-message: pkg.Type` comment) and
//! gives policies protojson's output with the proto field names. custos does the same when
//! `--proto-file-dirs` is given ([`super::textproto_schema`] turns the reading below into
//! protojson's shape). Without the schema conftest refuses the file, and so does custos when
//! the file names its type (`# proto-message:`); a file that names no type is read without a
//! schema, which gives the same document for the common case and differs where only the
//! schema can tell:
//!
//! - a field written once is a single value, a field written several times (or with the
//!   `[a, b]` list syntax) an array — protojson makes a `repeated` field an array even with
//!   one element;
//! - numbers are JSON numbers as written — protojson writes 64-bit integers as strings;
//! - enum values are their names (as protojson writes them), `true`/`false` (and `True`, `t`,
//!   `f`, …) booleans, strings strings (adjacent strings concatenated, octal and hex escapes
//!   decoded);
//! - a field set to its default value stays in the document — protojson leaves proto3
//!   defaults out.
//!
//! The `protobuf` crate's text-format parser needs the compiled message type, which is not
//! available here, so the reader is here. Nested messages use `{…}` or `<…>`; the `:` before
//! a message is optional; `,` and `;` separators and `#` comments are allowed; extension and
//! `Any` field names (`[pkg.ext]`) are keys as written. Errors (an unclosed message, a field
//! without a value, an unterminated string) carry their location.

use serde_json::{Map, Number, Value};

use super::cursor::Cursor;
use super::{Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

/// The document of a text-format file: with the `.proto` schema `--proto-file-dirs` loaded,
/// as conftest reads it ([`super::textproto_schema`]); without one, as read without a schema.
pub fn parse(source: &str, limits: &Limits) -> Parsed {
    let schema = super::textproto_schema::active();
    if schema.is_none() {
        // A file that names its message type is read as that type or not at all, as conftest
        // does: without the `.proto` files its fields cannot be typed.
        if let Some(ty) = super::textproto_schema::message_type(source) {
            let at = source.find("proto-message:").unwrap_or(0);
            let line_start = source[..at].rfind('\n').map_or(0, |i| i + 1);
            return Parsed::failed(ParseError::at(
                format!(
                    "look up message type \"{ty}\": no .proto schema loaded (give the directories \
                     of its .proto files with --proto-file-dirs)"
                ),
                line_start,
            ));
        }
    }
    let parsed = parse_schemaless(source, limits);
    match schema {
        Some(schema) => schema.decode(source, parsed),
        None => parsed,
    }
}

/// The document of a text-format file read without a schema (see the module docs).
pub fn parse_schemaless(source: &str, limits: &Limits) -> Parsed {
    let mut c = Cursor::new(source);
    let mut spans = SpanMap::new();
    spans.insert(String::new(), Span::new(0, source.len()));
    match message(&mut c, None, "", &mut spans, 0, limits) {
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
    c.skip_blank(true, &["#"], false);
}

/// Fields up to `close` (consumed) or the end of input.
fn message(
    c: &mut Cursor<'_>,
    close: Option<(char, usize)>,
    pointer: &str,
    spans: &mut SpanMap,
    depth: usize,
    limits: &Limits,
) -> Result<Map<String, Value>, ParseError> {
    if depth > limits.max_depth {
        return Err(c.error(format!(
            "nesting deeper than {} levels; refusing to parse",
            limits.max_depth
        )));
    }
    let mut fields = Map::new();
    loop {
        blank(c);
        match (c.peek(), close) {
            (None, None) => return Ok(fields),
            (None, Some((_, open))) => return Err(c.error_at("message is never closed", open)),
            (Some(ch), Some((want, _))) if ch == want => {
                c.bump();
                return Ok(fields);
            }
            (Some(',' | ';'), _) => {
                c.bump();
                continue;
            }
            _ => {}
        }
        let start = c.pos;
        let name = if c.peek() == Some('[') {
            let n = c.take_while(|ch| ch != ']' && ch != '\n');
            if !c.eat("]") {
                return Err(c.error_at("extension name is never closed", start));
            }
            format!("{n}]")
        } else {
            let n = c.take_while(|ch| ch.is_alphanumeric() || ch == '_');
            if n.is_empty() {
                return Err(c.error(format!("expected a field name, found {}", c.found())));
            }
            n.to_owned()
        };
        blank(c);
        let colon = c.eat(":");
        blank(c);
        let index = match fields.get(&name) {
            Some(Value::Array(a)) => a.len(),
            Some(_) => 1,
            None => 0,
        };
        let p = push_token(pointer, &name);
        let item_pointer = if index == 0 {
            p.clone()
        } else {
            push_token(&p, &index.to_string())
        };
        let v = match c.peek() {
            Some(open @ ('{' | '<')) => {
                let at = c.pos;
                c.bump();
                let close = if open == '{' { '}' } else { '>' };
                Value::Object(message(
                    c,
                    Some((close, at)),
                    &item_pointer,
                    spans,
                    depth + 1,
                    limits,
                )?)
            }
            Some('[') if colon => {
                let at = c.pos;
                c.bump();
                let mut items = Vec::new();
                loop {
                    blank(c);
                    match c.peek() {
                        None => return Err(c.error_at("list is never closed", at)),
                        Some(']') => {
                            c.bump();
                            break;
                        }
                        Some(',') => {
                            c.bump();
                        }
                        Some(open @ ('{' | '<')) => {
                            let o = c.pos;
                            c.bump();
                            let close = if open == '{' { '}' } else { '>' };
                            let ip = push_token(&p, &(index + items.len()).to_string());
                            items.push(Value::Object(message(
                                c,
                                Some((close, o)),
                                &ip,
                                spans,
                                depth + 1,
                                limits,
                            )?));
                        }
                        _ => items.push(scalar(c)?),
                    }
                }
                let mut all = match fields.remove(&name) {
                    Some(Value::Array(a)) => a,
                    Some(other) => vec![other],
                    None => Vec::new(),
                };
                all.extend(items);
                spans.entry(p.clone()).or_insert(Span::new(start, c.pos));
                fields.insert(name, Value::Array(all));
                continue;
            }
            _ if !colon => {
                return Err(c.error(format!(
                    "expected `:` or a message after field `{name}`, found {}",
                    c.found()
                )))
            }
            _ => scalar(c)?,
        };
        spans.insert(item_pointer, Span::new(start, c.pos));
        spans.entry(p).or_insert(Span::new(start, c.pos));
        match fields.remove(&name) {
            Some(Value::Array(mut a)) if index > 0 => {
                a.push(v);
                fields.insert(name, Value::Array(a));
            }
            Some(first) => {
                fields.insert(name, Value::Array(vec![first, v]));
            }
            None => {
                fields.insert(name, v);
            }
        }
    }
}

fn scalar(c: &mut Cursor<'_>) -> Result<Value, ParseError> {
    let start = c.pos;
    match c.peek() {
        Some(q @ ('"' | '\'')) => {
            let mut s = string(c, q)?;
            // Adjacent strings concatenate.
            loop {
                let save = c.pos;
                blank(c);
                if let Some(q2 @ ('"' | '\'')) = c.peek() {
                    s.push_str(&string(c, q2)?);
                } else {
                    c.pos = save;
                    break;
                }
            }
            Ok(Value::String(s))
        }
        Some(_) => {
            let tok =
                c.take_while(|ch| ch.is_alphanumeric() || matches!(ch, '_' | '.' | '-' | '+'));
            if tok.is_empty() {
                return Err(c.error(format!("expected a value, found {}", c.found())));
            }
            Ok(word(tok))
        }
        None => Err(c.error_at("expected a value, found end of input", start)),
    }
}

/// A number, boolean or enum name.
fn word(tok: &str) -> Value {
    match tok {
        "true" | "True" | "t" => return Value::Bool(true),
        "false" | "False" | "f" => return Value::Bool(false),
        _ => {}
    }
    let (neg, body) = match tok.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, tok),
    };
    let int = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()
    } else if body.len() > 1 && body.starts_with('0') && body.bytes().all(|b| b.is_ascii_digit()) {
        i64::from_str_radix(body, 8).ok()
    } else {
        body.parse::<i64>().ok()
    };
    if let Some(n) = int {
        return Value::Number(if neg { -n } else { n }.into());
    }
    if body.parse::<u64>().is_ok() && !neg {
        return body
            .parse::<u64>()
            .map_or(Value::Null, |n| Value::Number(n.into()));
    }
    let float_body = body.strip_suffix(['f', 'F']).unwrap_or(body);
    if float_body.starts_with(|ch: char| ch.is_ascii_digit() || ch == '.') {
        if let Some(n) = float_body.parse::<f64>().ok().and_then(Number::from_f64) {
            let f = n.as_f64().unwrap_or_default();
            return Number::from_f64(if neg { -f } else { f }).map_or(Value::Null, Value::Number);
        }
    }
    // Enum names (and `inf`/`nan`, which JSON cannot hold) as their text.
    Value::String(tok.to_owned())
}

/// A quoted string with C escapes (`\n`, `\t`, octal `\101`, hex `\x41`, `\u00e9`).
fn string(c: &mut Cursor<'_>, quote: char) -> Result<String, ParseError> {
    let start = c.pos;
    c.bump();
    let mut bytes: Vec<u8> = Vec::new();
    loop {
        let Some(ch) = c.bump() else {
            return Err(c.error_at("unterminated string", start));
        };
        if ch == quote {
            break;
        }
        if ch == '\n' {
            return Err(c.error_at("unterminated string (newline inside)", start));
        }
        if ch != '\\' {
            let mut buf = [0u8; 4];
            bytes.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let Some(e) = c.bump() else {
            return Err(c.error_at("unterminated string", start));
        };
        match e {
            'n' => bytes.push(b'\n'),
            't' => bytes.push(b'\t'),
            'r' => bytes.push(b'\r'),
            'a' => bytes.push(7),
            'b' => bytes.push(8),
            'f' => bytes.push(12),
            'v' => bytes.push(11),
            'x' | 'X' => {
                let h = c.take_while(|x| x.is_ascii_hexdigit());
                let h = h.get(..2).unwrap_or(h);
                let b = u8::from_str_radix(h, 16)
                    .map_err(|_| c.error_at("invalid hex escape", start))?;
                bytes.push(b);
            }
            '0'..='7' => {
                let mut n = u32::from(e) - u32::from('0');
                for _ in 0..2 {
                    match c.peek() {
                        Some(d @ '0'..='7') => {
                            c.bump();
                            n = n * 8 + (u32::from(d) - u32::from('0'));
                        }
                        _ => break,
                    }
                }
                bytes.push(u8::try_from(n).map_err(|_| c.error_at("invalid octal escape", start))?);
            }
            'u' => {
                let h = c.rest().get(..4).unwrap_or_default();
                let ch = u32::from_str_radix(h, 16)
                    .ok()
                    .filter(|_| h.len() == 4)
                    .and_then(char::from_u32)
                    .ok_or_else(|| c.error_at("invalid unicode escape", start))?;
                c.pos += 4;
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
            other => {
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemaless_shape() {
        let src = "# proto-message: conftest.testing.TestMessage\n\nname: \"fail\" 'ed'\nnumber: 9000\nratio: 0.5f\nkind: ENUM_A\nok: true\nitem { id: 1 }\nitem < id: 2 >\ntags: [\"a\", \"b\"]\nbytes: \"\\101\\x42\"\n[ext.field]: 3;\n";
        // Naming its type, the file is refused without the schema, as conftest does …
        let refused = parse(src, &Limits::default());
        let err = refused.error.expect("refused without a schema");
        assert!(err
            .message
            .contains("look up message type \"conftest.testing.TestMessage\""));
        assert_eq!(err.span, Some(Span::new(0, 0)));
        // … and read without one when it names none.
        let src = src.replacen("# proto-message:", "# message:", 1);
        let p = parse(&src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        let v = &p.docs[0].value;
        assert_eq!(v["name"], "failed");
        assert_eq!(v["number"], 9000);
        assert_eq!(v["ratio"], 0.5);
        assert_eq!(v["kind"], "ENUM_A");
        assert_eq!(v["ok"], true);
        assert_eq!(v["item"][1]["id"], 2);
        assert_eq!(v["tags"], serde_json::json!(["a", "b"]));
        assert_eq!(v["bytes"], "AB");
        assert_eq!(v["[ext.field]"], 3);
        assert_eq!(&src[p.docs[0].spans["/number"].range()], "number: 9000");
        assert_eq!(&src[p.docs[0].spans["/item/1"].range()], "item < id: 2 >");
    }

    #[test]
    fn errors_have_locations() {
        for (src, needle, line) in [
            ("a {\n b: 1\n", "never closed", 1),
            ("a: [1,\n", "never closed", 1),
            ("a: \"open\n", "unterminated", 1),
            ("a 1\n", "expected `:`", 1),
            ("a:\n", "end of input", 2),
            ("}", "field name", 1),
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
