//! HOCON (`*.hocon`, or `--parser hocon` for `application.conf`) → conftest's document, with
//! spans.
//!
//! conftest reads HOCON with `go-akka/configuration` and then rebuilds the document from the
//! configuration's keys: objects stay objects, and every other value is its go-akka string
//! (`HoconValue.String()`), typed by Go's `strconv`: text that `ParseFloat` reads is a number,
//! text that `ParseBool` reads (`true`, `false`, `t`, `F`, …) a boolean, anything else a
//! string. go-akka's string form quotes a string that holds a space or tab (`75 seconds` →
//! `"75 seconds"`, with the quotes), writes the empty string as `""`, and writes an array as
//! `[a,b]` — so a HOCON array reaches policies as that one string. Those are conftest's
//! shapes and they are kept, so its policies run unchanged.
//!
//! The `hocon` crate resolves HOCON into an unordered map without positions and reads
//! environment variables and included files while doing so; custos needs spans, a
//! deterministic document and no reads outside the file, so the reader is here: objects
//! with or without braces, `=`/`:`/`+=`/`key {`, dotted key paths, duplicate keys merged
//! (objects field by field, otherwise the later value wins), quoted, triple-quoted and
//! unquoted strings, value concatenation (`75 seconds`), `#` and `//` comments, and
//! substitutions `${path}` / `${?path}` resolved against the document. Unlike go-akka, which
//! falls back to the process environment, a substitution never reads the environment: an
//! unresolved `${?x}` keeps the field's previous value (or leaves the field out), as the
//! HOCON specification says, and an unresolved `${x}` is an error with its location. `include`
//! is an error (conftest gives go-akka no include callback either).

use std::cell::Cell;
use std::rc::Rc;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::cursor::{go_bool, go_float, Cursor};
use super::{Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

/// A HOCON value before substitutions are resolved.
/// An object's fields in the order written, each key once, looked up by key: a linear search
/// per field made a file of 100,000 keys take 33 s.
type Fields = IndexMap<String, (H, Span)>;

#[derive(Debug, Clone)]
enum H {
    Obj(Fields),
    Arr(Vec<H>),
    /// A simple value or concatenation: parts joined as written.
    Concat(Vec<Part>),
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Subst {
        path: Vec<String>,
        optional: bool,
        at: usize,
        /// The field's value before this assignment (for `${?x}` left unresolved, and for
        /// self-references such as `path = ${path}":/more"`). Shared by every substitution of
        /// the value: a copy per substitution doubled the document at each line of
        /// `x = ${?a} ${?b}` (fuzz/parse_hocon: a 3 KB file took 3.5 GB).
        previous: Option<Rc<H>>,
    },
}

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    let mut c = Cursor::new(source);
    let result = (|| {
        blank(&mut c);
        let root = if c.peek() == Some('{') {
            let open = c.pos;
            c.bump();
            let o = object(&mut c, Some(open), 0, limits)?;
            blank(&mut c);
            if !c.at_end() {
                return Err(c.error("unexpected content after the root object"));
            }
            o
        } else {
            object(&mut c, None, 0, limits)?
        };
        let mut spans = SpanMap::new();
        spans.insert(String::new(), Span::new(0, source.len()));
        let value = convert_root(&root, &root, &mut spans, source)?;
        Ok(ParsedDoc { value, spans })
    })();
    match result {
        Ok(doc) => Parsed {
            docs: vec![doc],
            error: None,
        },
        Err(e) => Parsed::failed(e),
    }
}

fn blank(c: &mut Cursor<'_>) {
    c.skip_blank(true, &["#", "//"], false);
}

fn blank_inline(c: &mut Cursor<'_>) {
    c.skip_blank(false, &["#", "//"], false);
}

const FORBIDDEN: &str = "$\"{}[]:=,+#`^?!@*&\\";

fn unquoted_char(c: &Cursor<'_>) -> bool {
    c.peek()
        .is_some_and(|ch| !ch.is_whitespace() && !FORBIDDEN.contains(ch))
        && !c.starts_with("//")
}

/// Fields up to `}` (when `open` is set) or the end of input.
fn object(
    c: &mut Cursor<'_>,
    open: Option<usize>,
    depth: usize,
    limits: &Limits,
) -> Result<H, ParseError> {
    if depth > limits.max_depth {
        return Err(c.error(format!(
            "nesting deeper than {} levels; refusing to parse",
            limits.max_depth
        )));
    }
    let mut fields = Fields::new();
    loop {
        blank(c);
        match c.peek() {
            None => {
                return match open {
                    Some(o) => Err(c.error_at("object is never closed", o)),
                    None => Ok(H::Obj(fields)),
                }
            }
            Some('}') => {
                if open.is_some() {
                    c.bump();
                    return Ok(H::Obj(fields));
                }
                return Err(c.error("unexpected `}`"));
            }
            Some(',') => {
                c.bump();
                continue;
            }
            _ => {}
        }
        let start = c.pos;
        if c.starts_with("include")
            && !c
                .rest()
                .get(7..)
                .is_some_and(|r| r.starts_with(['=', ':', '.', '{']))
        {
            return Err(c.error("`include` is not supported (custos reads no other file)"));
        }
        let path = key(c)?;
        blank_inline(c);
        let append = c.eat("+=");
        if !append && !c.eat("=") && !c.eat(":") && c.peek() != Some('{') {
            return Err(c.error(format!(
                "expected `=`, `:` or `{{` after a key, found {}",
                c.found()
            )));
        }
        blank_inline(c);
        let v = if append {
            // `a += b` is `a = ${?a} [b]`: `b` is an array element, so an optional
            // substitution in it that stays unresolved adds nothing (it has no previous value
            // of its own). The array is taken out of the field, not copied: a copy per `+=`
            // made n appends to one key cost n² (and, with the element's own copy, 2ⁿ).
            let element = value(c, depth + 1, limits, None)?;
            match take(&mut fields, &path) {
                Some(H::Arr(mut items)) => {
                    items.push(element);
                    H::Arr(items)
                }
                _ => H::Arr(vec![element]),
            }
        } else {
            let previous = lookup(&fields, &path).cloned().map(Rc::new);
            value(c, depth + 1, limits, previous.as_ref())?
        };
        let span = Span::new(start, c.pos);
        insert(&mut fields, &path, v, span);
        blank_inline(c);
        if !matches!(c.peek(), None | Some(',' | '\n' | '}')) {
            return Err(c.error(format!(
                "expected a newline or `,` after a field, found {}",
                c.found()
            )));
        }
    }
}

/// A key path: dot-separated unquoted or quoted elements.
fn key(c: &mut Cursor<'_>) -> Result<Vec<String>, ParseError> {
    let mut path = vec![String::new()];
    loop {
        match c.peek() {
            Some('"') => {
                let s = c.quoted('"', false)?;
                if let Some(last) = path.last_mut() {
                    last.push_str(&s);
                }
            }
            Some('.') => {
                c.bump();
                path.push(String::new());
            }
            _ if unquoted_char(c) => {
                let w =
                    c.take_while(|ch| !ch.is_whitespace() && !FORBIDDEN.contains(ch) && ch != '.');
                if let Some(last) = path.last_mut() {
                    last.push_str(w);
                }
            }
            _ => break,
        }
    }
    if path.iter().any(String::is_empty) {
        return Err(c.error(format!("expected a key, found {}", c.found())));
    }
    Ok(path)
}

fn lookup<'h>(fields: &'h Fields, path: &[String]) -> Option<&'h H> {
    let (first, rest) = path.split_first()?;
    let (v, _) = fields.get(first)?;
    if rest.is_empty() {
        return Some(v);
    }
    match v {
        H::Obj(inner) => lookup(inner, rest),
        _ => None,
    }
}

/// Take the value at `path` out of `fields`, leaving an empty concatenation in its place (the
/// caller assigns the path again at once).
fn take(fields: &mut Fields, path: &[String]) -> Option<H> {
    let (first, rest) = path.split_first()?;
    let (v, _) = fields.get_mut(first)?;
    if rest.is_empty() {
        return Some(std::mem::replace(v, H::Concat(Vec::new())));
    }
    match v {
        H::Obj(inner) => take(inner, rest),
        _ => None,
    }
}

/// Assign `v` at `path`, merging objects with what is already there (the field keeps its
/// place).
fn insert(fields: &mut Fields, path: &[String], v: H, span: Span) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let v = if rest.is_empty() {
        v
    } else {
        let mut inner = Fields::new();
        insert(&mut inner, rest, v, span);
        H::Obj(inner)
    };
    if let Some((old, old_span)) = fields.get_mut(first) {
        let merged = match (std::mem::replace(old, H::Concat(Vec::new())), v) {
            (H::Obj(mut a), H::Obj(b)) => {
                for (k, (bv, bs)) in b {
                    insert(&mut a, std::slice::from_ref(&k), bv, bs);
                }
                H::Obj(a)
            }
            (_, newer) => newer,
        };
        *old = merged;
        *old_span = Span::new(old_span.start.min(span.start), span.end.max(old_span.end));
    } else {
        fields.insert(first.clone(), (v, span));
    }
}

fn value(
    c: &mut Cursor<'_>,
    depth: usize,
    limits: &Limits,
    previous: Option<&Rc<H>>,
) -> Result<H, ParseError> {
    if depth > limits.max_depth {
        return Err(c.error(format!(
            "nesting deeper than {} levels; refusing to parse",
            limits.max_depth
        )));
    }
    match c.peek() {
        Some('{') => {
            let open = c.pos;
            c.bump();
            let o = object(c, Some(open), depth + 1, limits)?;
            // `a = { … }` after `a = { … }` merges (handled by `insert`).
            return Ok(o);
        }
        Some('[') => {
            let open = c.pos;
            c.bump();
            let mut items = Vec::new();
            loop {
                blank(c);
                match c.peek() {
                    None => return Err(c.error_at("array is never closed", open)),
                    Some(']') => {
                        c.bump();
                        return Ok(H::Arr(items));
                    }
                    Some(',') => {
                        c.bump();
                    }
                    _ => items.push(value(c, depth + 1, limits, None)?),
                }
            }
        }
        _ => {}
    }
    let mut parts: Vec<Part> = Vec::new();
    loop {
        // Whitespace between two simple values is part of the concatenation.
        let ws_start = c.pos;
        c.take_while(|ch| ch == ' ' || ch == '\t');
        let ws = c.src.get(ws_start..c.pos).unwrap_or_default();
        let at = c.pos;
        let piece = if c.starts_with("\"\"\"") {
            c.pos += 3;
            let Some(end) = c.rest().find("\"\"\"") else {
                return Err(c.error_at("unterminated multi-line string", at));
            };
            let mut end = end;
            // Extra quotes before the closing three belong to the string.
            while c.rest().get(end + 3..).is_some_and(|r| r.starts_with('"')) {
                end += 1;
            }
            let s = c.rest().get(..end).unwrap_or_default().to_owned();
            c.pos += end + 3;
            Some(Part::Text(s))
        } else if c.peek() == Some('"') {
            Some(Part::Text(c.quoted('"', false)?))
        } else if c.starts_with("${") {
            c.pos += 2;
            let optional = c.eat("?");
            let inner = c.take_while(|ch| ch != '}' && ch != '\n');
            if !c.eat("}") {
                return Err(c.error_at("substitution is never closed", at));
            }
            let path: Vec<String> = inner
                .trim()
                .split('.')
                .map(|s| s.trim().trim_matches('"').to_owned())
                .collect();
            if path.iter().any(String::is_empty) {
                return Err(c.error_at(format!("invalid substitution path {inner:?}"), at));
            }
            Some(Part::Subst {
                path,
                optional,
                at,
                previous: previous.cloned(),
            })
        } else if unquoted_char(c) {
            let w = c.take_while(|ch| !ch.is_whitespace() && !FORBIDDEN.contains(ch));
            // `a//b` is text up to the comment.
            let w = w.find("//").map_or(w, |i| {
                c.pos -= w.len() - i;
                w.get(..i).unwrap_or_default()
            });
            Some(Part::Text(w.to_owned()))
        } else {
            None
        };
        let Some(p) = piece else {
            c.pos = ws_start;
            break;
        };
        if !parts.is_empty() && !ws.is_empty() {
            parts.push(Part::Text(ws.to_owned()));
        }
        parts.push(p);
    }
    if parts.is_empty() {
        return Err(c.error(format!("expected a value, found {}", c.found())));
    }
    Ok(H::Concat(parts))
}

/// A resolved leaf or array, as go-akka's `String()` writes it.
fn go_akka_string(
    h: &H,
    root: &H,
    src: &str,
    guard: usize,
    budget: &Cell<usize>,
) -> Result<Resolved, ParseError> {
    match h {
        H::Obj(_) => Ok(Resolved::Obj(h.clone())),
        H::Arr(items) => {
            let mut strs = Vec::new();
            for i in items {
                // An optional substitution left unresolved adds no element (HOCON spec).
                strs.push(match go_akka_string(i, root, src, guard, budget)? {
                    Resolved::Text(t) => quote_if_needed(&t),
                    Resolved::Array(a) => a,
                    Resolved::Obj(_) => "{…}".to_owned(),
                    Resolved::Missing => continue,
                });
            }
            let joined = format!("[{}]", strs.join(","));
            spend_text(budget, joined.len(), src, 0)?;
            Ok(Resolved::Array(joined))
        }
        H::Concat(parts) => {
            let mut out = String::new();
            for p in parts {
                match p {
                    Part::Text(t) => out.push_str(t),
                    Part::Subst {
                        path,
                        optional,
                        at,
                        previous,
                    } => {
                        if guard > 64 {
                            return Err(ParseError::within(src, "substitution cycle", *at));
                        }
                        budget.set(budget.get().saturating_sub(1));
                        if budget.get() == 0 {
                            return Err(ParseError::within(
                                src,
                                "substitutions expand to too much; refusing to resolve",
                                *at,
                            ));
                        }
                        let target = resolve_path(root, path);
                        let resolved = match target {
                            Some(t) => go_akka_string(t, root, src, guard + 1, budget)?,
                            None => match previous {
                                Some(prev) => go_akka_string(prev, root, src, guard + 1, budget)?,
                                None if *optional => Resolved::Missing,
                                None => {
                                    return Err(ParseError::within(
                                        src,
                                        format!(
                                            "unresolved substitution ${{{}}} (custos does not read environment variables)",
                                            path.join(".")
                                        ),
                                        *at,
                                    ))
                                }
                            },
                        };
                        match resolved {
                            Resolved::Text(t) => {
                                if parts.len() == 1 {
                                    return Ok(Resolved::Text(t));
                                }
                                spend_text(budget, t.len(), src, *at)?;
                                out.push_str(&t);
                            }
                            Resolved::Array(a) if parts.len() == 1 => {
                                return Ok(Resolved::Array(a))
                            }
                            Resolved::Array(a) => {
                                spend_text(budget, a.len(), src, *at)?;
                                out.push_str(&a);
                            }
                            Resolved::Obj(o) if parts.len() == 1 => return Ok(Resolved::Obj(o)),
                            Resolved::Obj(_) => {
                                return Err(ParseError::within(
                                    src,
                                    "an object substitution cannot be concatenated with text",
                                    *at,
                                ))
                            }
                            Resolved::Missing if parts.len() == 1 => return Ok(Resolved::Missing),
                            Resolved::Missing => {}
                        }
                    }
                }
            }
            Ok(Resolved::Text(out))
        }
    }
}

/// Charge the budget for `len` bytes of text built by resolving substitutions (a unit per 32
/// bytes): text that doubles at each substitution (`b = ${a}${a}`, `c = ${b}${b}`, …) grows
/// exponentially while the substitutions themselves stay within the budget (a 2.7 KB file
/// found by fuzz/parse_hocon built 250 MB of text).
fn spend_text(budget: &Cell<usize>, len: usize, src: &str, at: usize) -> Result<(), ParseError> {
    budget.set(budget.get().saturating_sub(len / 32));
    if budget.get() == 0 {
        return Err(ParseError::within(
            src,
            "substitutions expand to too much; refusing to resolve",
            at,
        ));
    }
    Ok(())
}

enum Resolved {
    Text(String),
    /// An array, already in go-akka's `[a,b]` form (never quoted again).
    Array(String),
    Obj(H),
    Missing,
}

fn resolve_path<'h>(root: &'h H, path: &[String]) -> Option<&'h H> {
    match root {
        H::Obj(fields) => lookup(fields, path),
        _ => None,
    }
}

/// go-akka's `quoteIfNeeded`.
fn quote_if_needed(s: &str) -> String {
    if s.is_empty() {
        "\"\"".to_owned()
    } else if s.contains([' ', '\t']) {
        format!("\"{s}\"")
    } else {
        s.to_owned()
    }
}

/// conftest's `convertType`.
fn typed(text: &str) -> Value {
    let s = quote_if_needed(text);
    if let Some(n) = go_float(&s) {
        return Value::Number(n);
    }
    if let Some(b) = go_bool(&s) {
        return Value::Bool(b);
    }
    Value::String(s)
}

fn convert_root(h: &H, root: &H, spans: &mut SpanMap, src: &str) -> Result<Value, ParseError> {
    // One budget for substitutions resolved and for the document built: every field costs
    // a unit plus one per 32 bytes of its JSON pointer. Substitutions of objects that refer
    // to their ancestors copy whole subtrees, each copy one level deeper: a 2.3 KB file
    // (found by fuzz/parse_hocon) built 1.2 GB of pointers before the substitution limit hit.
    // The budget grows with the file, so a large plain file is never refused.
    let budget = Cell::new(100_000_usize.saturating_add(src.len().saturating_mul(4)));
    convert(h, root, spans, src, "", 0, &budget)
}

fn convert(
    h: &H,
    root: &H,
    spans: &mut SpanMap,
    src: &str,
    pointer: &str,
    guard: usize,
    budget: &Cell<usize>,
) -> Result<Value, ParseError> {
    let H::Obj(fields) = h else {
        return Ok(match go_akka_string(h, root, src, guard, budget)? {
            Resolved::Text(t) => typed(&t),
            Resolved::Array(a) => Value::String(a),
            Resolved::Obj(o) => convert(&o, root, spans, src, pointer, guard + 1, budget)?,
            Resolved::Missing => Value::Null,
        });
    };
    let mut m = Map::new();
    for (k, (v, span)) in fields {
        let p = push_token(pointer, k);
        budget.set(budget.get().saturating_sub(1 + p.len() / 32));
        if budget.get() == 0 {
            return Err(ParseError::within(
                src,
                "substitutions expand to too much; refusing to resolve",
                span.start,
            ));
        }
        let value = match v {
            H::Obj(_) => convert(v, root, spans, src, &p, guard, budget)?,
            other => match go_akka_string(other, root, src, guard, budget)? {
                Resolved::Text(t) => typed(&t),
                Resolved::Array(a) => Value::String(a),
                Resolved::Obj(o) => convert(&o, root, spans, src, &p, guard + 1, budget)?,
                Resolved::Missing => continue,
            },
        };
        spans.insert(p, *span);
        m.insert(k.clone(), value);
    }
    Ok(Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::fmt::Write as _;

    #[test]
    fn conftest_shape() {
        let src = "# c\nplay {\n  server {\n    dir = ${?user.dir}\n    http {\n      port = 9001\n      port = ${?PLAY_HTTP_PORT}\n      address = \"0.0.0.0\"\n      idleTimeout = 75 seconds\n    }\n    https.idleTimeout = ${play.server.http.idleTimeout}\n    https.port = ${?x}\n  }\n}\nlist = [a, \"b c\", 3]\nlist += 4\nflag = TRUE\nempty = \"\"\nobj { a: 1 }\nobj { b: 2 }\ncopy = ${obj}\n";
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        let v = &p.docs[0].value;
        let http = &v["play"]["server"]["http"];
        assert_eq!(http["port"], 9001);
        assert_eq!(http["address"], "0.0.0.0");
        assert_eq!(http["idleTimeout"], "\"75 seconds\"");
        assert_eq!(
            v["play"]["server"]["https"]["idleTimeout"],
            "\"75 seconds\""
        );
        assert!(v["play"]["server"].get("dir").is_none());
        assert!(v["play"]["server"]["https"].get("port").is_none());
        assert_eq!(v["list"], "[a,\"b c\",3,4]");
        assert_eq!(v["flag"], true);
        assert_eq!(v["empty"], "\"\"");
        assert_eq!(v["obj"], serde_json::json!({"a": 1, "b": 2}));
        assert_eq!(v["copy"], serde_json::json!({"a": 1, "b": 2}));
        let s = p.docs[0].spans["/play/server/http/address"];
        assert_eq!(&src[s.range()], "address = \"0.0.0.0\"");
    }

    /// fuzz/parse_hocon found this 2.3 KB file: its substitutions copy objects into their own
    /// descendants, and the document built reached 1.2 GB of pointers before the substitution
    /// limit stopped it. The budget now counts what is built, so it stops within a few MB.
    #[test]
    fn substitutions_that_copy_ancestors_stop_at_the_budget() {
        let src = include_str!("../../fixtures/parse/hocon-expansion.hocon");
        let p = parse(src, &Limits::default());
        let err = p.error.expect("refused");
        assert!(err.message.contains("expand to too much"), "{err:?}");
        assert!(p.docs.is_empty());
    }

    /// fuzz/parse_hocon found this 2.7 KB file (after the fix above): substitutions whose text
    /// doubles at each level built 250 MB of strings in ~1.5 s. Text is charged to the budget.
    #[test]
    fn substitutions_whose_text_doubles_stop_at_the_budget() {
        // The fuzz input (its text doubled through `+=` copies, which are now shared, so it
        // ends at its first unresolved substitution instead).
        let src = include_str!("../../fixtures/parse/hocon-text-expansion.hocon");
        let p = parse(src, &Limits::default());
        assert!(p.error.is_some());
        // The same shape written out: each level concatenates the one before twice. 14 levels
        // stay under the substitution count (~65k resolutions) but build ~1.2 MB of text from
        // ~450 bytes, copied again at every level: without charging text this parsed.
        let mut doubling = String::from("l0 = abcdefghijklmnopqrstuvwxyz0123456789\n");
        for i in 1..=14 {
            let _ = writeln!(doubling, "l{i} = ${{l{}}}${{l{}}}", i - 1, i - 1);
        }
        let p = parse(&doubling, &Limits::default());
        let err = p.error.expect("refused");
        assert!(err.message.contains("expand to too much"), "{err:?}");
        // A few levels of it are ordinary configuration.
        let few: String = doubling.lines().take(6).flat_map(|l| [l, "\n"]).collect();
        let p = parse(&few, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
    }

    #[test]
    fn values_that_refer_to_their_previous_value_share_it() {
        // fuzz/parse_hocon: `+=` lines and optional substitutions that each copied the
        // field's previous value doubled the document at every line (3.5 GB from 3 KB).
        let src = include_str!("../../fixtures/parse/hocon-previous-copies.hocon");
        let _ = parse(src, &Limits::default());
        // Two optional substitutions per line, each falling back to the line before: the
        // value is shared, so parsing is linear and resolving stops at the budget.
        let mut both = String::from("x = base\n");
        for _ in 0..60 {
            both.push_str("x = ${?a} ${?b}\n");
        }
        let err = parse(&both, &Limits::default()).error.expect("refused");
        assert!(err.message.contains("expand to too much"), "{err:?}");
        // Appends to one key, thousands of times: one array, each element once.
        let mut appends = String::new();
        for i in 0..5_000 {
            let _ = writeln!(appends, "list += item{i}");
            let _ = writeln!(appends, "port += ${{?PORT}}");
        }
        let p = parse(&appends, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        let list = p.docs[0].value["list"]
            .as_str()
            .expect("go-akka array string");
        assert!(list.starts_with("[item0,item1,") && list.ends_with(",item4999]"));
        assert_eq!(list.matches(',').count(), 4_999);
        // An unresolved optional substitution adds no element.
        assert_eq!(p.docs[0].value["port"], json!("[]"));
    }

    #[test]
    fn many_keys_are_found_by_key_not_by_a_search() {
        // 100,000 keys at the top and 100,000 under one object: with a linear search per
        // field the release build took 33 s and 55 s (a test build far longer).
        let mut flat = String::new();
        let mut nested = String::new();
        for i in 0..100_000 {
            let _ = writeln!(flat, "key{i} = {i}");
            let _ = writeln!(nested, "a.b.key{i} = {i}");
        }
        let p = parse(&flat, &Limits::default());
        let v = &p.docs[0].value;
        assert_eq!(v.as_object().map(Map::len), Some(100_000));
        assert_eq!(v["key99999"], json!(99_999));
        let p = parse(&nested, &Limits::default());
        let v = &p.docs[0].value["a"]["b"];
        assert_eq!(v.as_object().map(Map::len), Some(100_000));
        assert_eq!(v["key0"], json!(0));
    }

    #[test]
    fn a_large_plain_file_stays_within_the_budget() {
        // 30,000 fields four levels deep with long keys: no substitution, never refused.
        let mut src = String::new();
        for i in 0..30_000 {
            let _ = writeln!(
                src,
                "service_{}.component_with_a_long_name.settings.value_{i} = {i}",
                i % 50
            );
        }
        let p = parse(&src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        assert_eq!(
            p.docs[0].value["service_7"]["component_with_a_long_name"]["settings"]["value_7"],
            7
        );
    }

    #[test]
    fn errors_have_locations() {
        for (src, needle, line) in [
            ("a {\n b = 1\n", "never closed", 1),
            ("a = ${missing}\n", "unresolved substitution", 1),
            ("a = 1\nb = [1, 2\n", "never closed", 2),
            ("include \"other.conf\"\n", "include", 1),
            ("a = \"open\n", "unterminated", 1),
            ("a = ${b}\nb = ${a}\n", "cycle", 2),
            ("a = 1 }\n", "unexpected `}`", 1),
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
        // Substitutions that double at each step stop at the budget instead of hanging.
        let mut src = String::from("a0 = x\n");
        for i in 1..40 {
            let prev = i - 1;
            let _ = writeln!(src, "a{i} = ${{a{prev}}} ${{a{prev}}}");
        }
        let e = parse(&src, &Limits::default()).error.unwrap();
        assert!(e.message.contains("too much"), "{}", e.message);
    }
}
