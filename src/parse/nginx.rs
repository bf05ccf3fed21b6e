//! nginx configuration (`nginx.conf`) → conftest's directive tree, with spans.
//!
//! conftest reads nginx configuration with `tufanbarisyildirim/gonginx` and gives policies
//! `{"directives": [{"name", "parameters", "block": {"directives": […]}}]}`: every directive
//! in file order, `parameters` its words as written (quoted ones keep their quotes, as
//! gonginx's round-tripping parser keeps them) and absent when there are none, `block`
//! present only for a directive with a `{ … }` body. Comments are dropped.
//!
//! No Rust crate parses nginx configuration into this shape, and the grammar is small
//! (words, `'…'`/`"…"` strings, `;`, `{`, `}`, `#` comments), so it is read here. A
//! `*_by_lua_block` body is Lua, not nginx syntax: it is skipped by brace matching and the
//! directive gets an empty block. An unclosed block, a stray `}` or a directive without its
//! `;` is an error with its location.

use serde_json::{json, Map, Value};

use super::cursor::Cursor;
use super::{Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    let mut c = Cursor::new(source);
    let mut spans = SpanMap::new();
    spans.insert(String::new(), Span::new(0, source.len()));
    match directives(&mut c, "/directives", &mut spans, 0, limits) {
        Ok(list) => {
            if !c.at_end() {
                return Parsed::failed(c.error("unexpected `}` with no block open"));
            }
            let mut m = Map::new();
            m.insert("directives".into(), Value::Array(list));
            Parsed {
                docs: vec![ParsedDoc {
                    value: Value::Object(m),
                    spans,
                }],
                error: None,
            }
        }
        Err(e) => Parsed::failed(e),
    }
}

fn blank(c: &mut Cursor<'_>) {
    c.skip_blank(true, &["#"], false);
}

/// Directives up to a `}` (left unconsumed) or the end of input.
fn directives(
    c: &mut Cursor<'_>,
    pointer: &str,
    spans: &mut SpanMap,
    depth: usize,
    limits: &Limits,
) -> Result<Vec<Value>, ParseError> {
    if depth > limits.max_depth {
        return Err(c.error(format!(
            "nesting deeper than {} levels; refusing to parse",
            limits.max_depth
        )));
    }
    let mut out = Vec::new();
    loop {
        blank(c);
        match c.peek() {
            None | Some('}') => return Ok(out),
            Some(';') => {
                c.bump();
                continue;
            }
            _ => {}
        }
        let start = c.pos;
        let p = push_token(pointer, &out.len().to_string());
        let mut words: Vec<(String, Span)> = Vec::new();
        let mut block = None;
        loop {
            blank(c);
            let at = c.pos;
            match c.peek() {
                None | Some('}') => {
                    return Err(c.error_at("directive is missing its `;`", start));
                }
                Some(';') => {
                    c.bump();
                    break;
                }
                Some('{') => {
                    c.bump();
                    let name = words.first().map_or("", |(w, _)| w.as_str());
                    let inner = if name.ends_with("_by_lua_block") {
                        skip_braces(c, at)?;
                        Vec::new()
                    } else {
                        let d = directives(
                            c,
                            &push_token(&push_token(&p, "block"), "directives"),
                            spans,
                            depth + 1,
                            limits,
                        )?;
                        if !c.eat("}") {
                            return Err(c.error_at("block is never closed", at));
                        }
                        d
                    };
                    block = Some(inner);
                    break;
                }
                Some(q @ ('"' | '\'')) => {
                    let s = c.quoted(q, true)?;
                    let _ = s;
                    let raw = c.src.get(at..c.pos).unwrap_or_default().to_owned();
                    words.push((raw, Span::new(at, c.pos)));
                }
                Some(_) => {
                    let w = word(c);
                    words.push((w.to_owned(), Span::new(at, c.pos)));
                }
            }
        }
        let mut words = words.into_iter();
        let Some((name, name_span)) = words.next() else {
            return Err(c.error_at("a block needs a directive name", start));
        };
        spans.insert(p.clone(), Span::new(start, c.pos));
        spans.insert(push_token(&p, "name"), name_span);
        let mut m = Map::new();
        m.insert("name".into(), Value::String(name));
        let params: Vec<Value> = words
            .enumerate()
            .map(|(i, (w, s))| {
                spans.insert(push_token(&push_token(&p, "parameters"), &i.to_string()), s);
                Value::String(w)
            })
            .collect();
        if !params.is_empty() {
            m.insert("parameters".into(), Value::Array(params));
        }
        if let Some(d) = block {
            m.insert("block".into(), json!({ "directives": d }));
        }
        out.push(Value::Object(m));
    }
}

/// An unquoted word: up to whitespace, `;`, `{`, `}` or a quote; `${…}` stays one word.
fn word<'a>(c: &mut Cursor<'a>) -> &'a str {
    let start = c.pos;
    while let Some(ch) = c.peek() {
        if ch == '$' && c.peek_at(1) == Some('{') {
            c.take_while(|x| x != '}');
            c.bump();
            continue;
        }
        if ch.is_whitespace() || matches!(ch, ';' | '{' | '}' | '"' | '\'') {
            break;
        }
        c.bump();
    }
    c.src.get(start..c.pos).unwrap_or_default()
}

/// Skip a Lua block body (the cursor after its `{`), through its matching `}`.
fn skip_braces(c: &mut Cursor<'_>, open: usize) -> Result<(), ParseError> {
    let mut depth = 1usize;
    while let Some(ch) = c.bump() {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(());
                }
            }
            '"' | '\'' => {
                c.take_while(|x| x != ch && x != '\n');
                c.bump();
            }
            _ => {}
        }
    }
    Err(c.error_at("block is never closed", open))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directive_tree() {
        let src = "worker_processes 1;\nhttp {\n  server {\n    listen 443 ssl; # c\n    add_header X \"a b\";\n    location / { root /srv; }\n  }\n}\n";
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        let v = &p.docs[0].value;
        assert_eq!(v["directives"][0]["name"], "worker_processes");
        assert_eq!(v["directives"][0]["parameters"][0], "1");
        assert!(v["directives"][1].get("parameters").is_none());
        let server = &v["directives"][1]["block"]["directives"][0];
        assert_eq!(server["block"]["directives"][0]["parameters"][1], "ssl");
        assert_eq!(server["block"]["directives"][1]["parameters"][1], "\"a b\"");
        let s = p.docs[0].spans["/directives/1/block/directives/0/block/directives/0"];
        assert_eq!(&src[s.range()], "listen 443 ssl;");
    }

    #[test]
    fn errors_have_locations() {
        for (src, needle) in [
            ("http {\n listen 80;\n", "never closed"),
            ("listen 80\n", "missing its `;`"),
            ("a;\n}\n", "no block open"),
            ("{ a; }", "directive name"),
            ("a \"open;\n", "unterminated"),
        ] {
            let e = parse(src, &Limits::default()).error.unwrap();
            assert!(e.message.contains(needle), "{src:?}: {}", e.message);
            assert!(e.span.is_some());
        }
    }

    #[test]
    fn lua_blocks_are_skipped() {
        let src = "content_by_lua_block { ngx.say(\"}\") if x then y end }\nlisten 80;";
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        assert_eq!(p.docs[0].value["directives"][1]["name"], "listen");
    }
}
