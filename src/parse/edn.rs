//! EDN (`*.edn`) → conftest's document, with spans.
//!
//! conftest decodes EDN with `olympos.io/encoding/edn` into Go values and then turns every
//! map key and every scalar that is not a string into its Go `%v` text. Policies therefore
//! see: maps as objects keyed by that text (`:env` → `":env"`, `1` → `"1"`), vectors and
//! lists as arrays, strings as strings, and every other scalar as a string — keywords with
//! their colon (`":production"`), integers and floats as Go prints them (`"5432"`, `"1.5"`,
//! `"1e+21"`), `true`/`false`, `nil` as `"<nil>"`, symbols by name, a character as its code
//! point (`\a` → `"97"`, Go's rune). A set is not a map to that clean-up, so it becomes Go's
//! `%v` of a `map[…]bool`: `#{:b :a}` → `"map[:a:true :b:true]"`. `#inst "…"` is a time
//! (`"2032-01-01 12:20:50.52 +0000 UTC"`), any other tag Go's struct text (`#duration "20m"`
//! → `"{duration 20m}"`). `#_` discards the next form. Those are conftest's shapes, kept so
//! its policies run unchanged.
//!
//! The `edn-rs` crate parses EDN but keeps neither source positions nor the distinctions
//! above (it has no tagged-literal passthrough and folds keywords into its own string form),
//! so the reader is here: about 300 lines, fuzzed (`fuzz/fuzz_targets/parse_edn.rs`). One top-level
//! form per file; trailing content is an error, as is an unclosed collection, an odd number
//! of map forms, or an unterminated string — each with its location.

use serde_json::{Map, Value};

use super::cursor::Cursor;
use super::{Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

/// An EDN value before conftest's clean-up.
#[derive(Debug, Clone)]
enum Edn {
    Nil,
    Bool(bool),
    Str(String),
    /// An integer or float, as Go would print it.
    Num(String),
    Char(char),
    Keyword(String),
    Symbol(String),
    List(Vec<(Edn, Span)>),
    Map(Vec<((Edn, Span), (Edn, Span))>),
    Set(Vec<Edn>),
    Tagged(String, Box<Edn>),
}

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    let mut c = Cursor::new(source);
    let result = (|| {
        blank(&mut c, 0, limits)?;
        if c.at_end() {
            return Ok(None);
        }
        let v = form(&mut c, 0, limits)?;
        blank(&mut c, 0, limits)?;
        if !c.at_end() {
            return Err(c.error("unexpected content after the top-level form"));
        }
        Ok(Some(v))
    })();
    match result {
        Ok(v) => {
            let mut spans = SpanMap::new();
            let value = v.map_or(Value::Null, |(e, s)| clean(&e, s, "", &mut spans));
            spans.insert(String::new(), Span::new(0, source.len()));
            Parsed {
                docs: vec![ParsedDoc { value, spans }],
                error: None,
            }
        }
        Err(e) => Parsed::failed(e),
    }
}

/// Whitespace, commas, `;` comments and `#_`-discarded forms (counted, not recursed, so a
/// run of `#_` cannot exhaust the stack).
fn blank(c: &mut Cursor<'_>, depth: usize, limits: &Limits) -> Result<(), ParseError> {
    let mut pending = 0usize;
    loop {
        c.take_while(|ch| ch.is_whitespace() || ch == ',');
        if c.starts_with(";") {
            c.skip_line();
            continue;
        }
        if c.eat("#_") {
            pending += 1;
            continue;
        }
        if pending > 0 {
            if c.at_end() || matches!(c.peek(), Some(')' | ']' | '}')) {
                return Err(c.error("`#_` discards nothing"));
            }
            form(c, depth + 1, limits)?;
            pending -= 1;
            continue;
        }
        return Ok(());
    }
}

fn is_delim(ch: char) -> bool {
    ch.is_whitespace() || matches!(ch, ',' | '(' | ')' | '[' | ']' | '{' | '}' | '"' | ';')
}

fn form(c: &mut Cursor<'_>, depth: usize, limits: &Limits) -> Result<(Edn, Span), ParseError> {
    if depth > limits.max_depth {
        return Err(c.error(format!(
            "nesting deeper than {} levels; refusing to parse",
            limits.max_depth
        )));
    }
    let start = c.pos;
    let v = match c.peek() {
        None => return Err(c.error("expected a form, found end of input")),
        Some('(') => Edn::List(seq(c, ')', depth, limits)?),
        Some('[') => Edn::List(seq(c, ']', depth, limits)?),
        Some('{') => {
            let items = seq(c, '}', depth, limits)?;
            if items.len() % 2 == 1 {
                return Err(c.error_at("a map needs an even number of forms", start));
            }
            let mut it = items.into_iter();
            let mut pairs = Vec::new();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                pairs.push((k, v));
            }
            Edn::Map(pairs)
        }
        Some('#') if c.starts_with("#{") => {
            c.bump();
            Edn::Set(
                seq(c, '}', depth, limits)?
                    .into_iter()
                    .map(|(e, _)| e)
                    .collect(),
            )
        }
        Some('#') => {
            c.bump();
            let tag = c.take_while(|ch| !is_delim(ch)).to_owned();
            if tag.is_empty() {
                return Err(c.error("a `#` tag needs a name"));
            }
            blank(c, depth, limits)?;
            let (inner, _) = form(c, depth + 1, limits)?;
            Edn::Tagged(tag, Box::new(inner))
        }
        Some('"') => Edn::Str(c.quoted('"', true)?),
        Some('\\') => {
            c.bump();
            let first = c
                .bump()
                .ok_or_else(|| c.error("a character literal needs a character"))?;
            let more = c.take_while(|ch| !is_delim(ch));
            let name = format!("{first}{more}");
            let ch = match name.as_str() {
                "newline" => '\n',
                "space" => ' ',
                "tab" => '\t',
                "return" => '\r',
                "formfeed" => '\u{c}',
                "backspace" => '\u{8}',
                _ if name.chars().count() == 1 => first,
                _ if first == 'u' && more.len() == 4 => u32::from_str_radix(more, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| c.error_at("invalid unicode character", start))?,
                _ => return Err(c.error_at(format!("unknown character literal \\{name}"), start)),
            };
            Edn::Char(ch)
        }
        Some(')' | ']' | '}') => return Err(c.error(format!("unmatched {}", c.found()))),
        Some(_) => {
            let tok = c.take_while(|ch| !is_delim(ch));
            atom(tok).ok_or_else(|| c.error_at(format!("invalid token {tok:?}"), start))?
        }
    };
    Ok((v, Span::new(start, c.pos)))
}

fn seq(
    c: &mut Cursor<'_>,
    close: char,
    depth: usize,
    limits: &Limits,
) -> Result<Vec<(Edn, Span)>, ParseError> {
    let open = c.pos;
    c.bump();
    let mut out = Vec::new();
    loop {
        blank(c, depth, limits)?;
        match c.peek() {
            None => {
                return Err(c.error_at(
                    format!("collection is never closed (expected `{close}`)"),
                    open,
                ))
            }
            Some(ch) if ch == close => {
                c.bump();
                return Ok(out);
            }
            Some(')' | ']' | '}') => {
                return Err(c.error(format!("expected `{close}`, found {}", c.found())))
            }
            Some(_) => out.push(form(c, depth + 1, limits)?),
        }
    }
}

fn atom(tok: &str) -> Option<Edn> {
    match tok {
        "nil" => return Some(Edn::Nil),
        "true" => return Some(Edn::Bool(true)),
        "false" => return Some(Edn::Bool(false)),
        _ => {}
    }
    if let Some(k) = tok.strip_prefix(':') {
        return (!k.is_empty()).then(|| Edn::Keyword(k.to_owned()));
    }
    let body = tok.strip_prefix(['+', '-']).unwrap_or(tok);
    if body.starts_with(|ch: char| ch.is_ascii_digit()) {
        return number(tok).map(Edn::Num);
    }
    Some(Edn::Symbol(tok.to_owned()))
}

/// A number's Go `%v` text: integers (an `N` suffix dropped) as decimal digits, floats
/// (an `M` suffix dropped) in Go's shortest form.
fn number(tok: &str) -> Option<String> {
    let t = tok.strip_suffix('N').unwrap_or(tok);
    if t.strip_prefix(['+', '-'])
        .unwrap_or(t)
        .bytes()
        .all(|b| b.is_ascii_digit())
    {
        let neg = t.starts_with('-');
        let digits = t.trim_start_matches(['+', '-']).trim_start_matches('0');
        let digits = if digits.is_empty() { "0" } else { digits };
        return Some(if neg && digits != "0" {
            format!("-{digits}")
        } else {
            digits.to_owned()
        });
    }
    let f: f64 = tok.strip_suffix('M').unwrap_or(tok).parse().ok()?;
    Some(go_float_text(f))
}

/// Go's `%v` for a float64: shortest digits, exponent form below 1e-4 or from 1e21.
fn go_float_text(f: f64) -> String {
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let a = f.abs();
    if a != 0.0 && !(1e-4..1e21).contains(&a) {
        let s = format!("{f:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
        let digits = if digits.len() < 2 {
            format!("0{digits}")
        } else {
            digits.to_owned()
        };
        return format!("{mant}e{sign}{digits}");
    }
    format!("{f}")
}

/// Go's `%v` of a decoded value (what conftest's clean-up does to a non-string scalar, and
/// to a map key).
fn go_text(e: &Edn) -> String {
    match e {
        Edn::Nil => "<nil>".into(),
        Edn::Bool(b) => b.to_string(),
        Edn::Str(s) | Edn::Num(s) | Edn::Symbol(s) => s.clone(),
        Edn::Char(ch) => u32::from(*ch).to_string(),
        Edn::Keyword(k) => format!(":{k}"),
        Edn::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|(i, _)| go_text(i))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Edn::Map(pairs) => {
            let mut kv: Vec<(String, String)> = pairs
                .iter()
                .map(|((k, _), (v, _))| (go_text(k), go_text(v)))
                .collect();
            kv.sort();
            let inner: Vec<String> = kv.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
            format!("map[{}]", inner.join(" "))
        }
        Edn::Set(items) => {
            let mut keys: Vec<String> = items.iter().map(go_text).collect();
            keys.sort();
            keys.dedup();
            let inner: Vec<String> = keys.into_iter().map(|k| format!("{k}:true")).collect();
            format!("map[{}]", inner.join(" "))
        }
        Edn::Tagged(tag, inner) => {
            if tag == "inst" {
                if let Edn::Str(s) = inner.as_ref() {
                    if let Some(t) = go_time(s) {
                        return t;
                    }
                }
            }
            format!("{{{tag} {}}}", go_text(inner))
        }
    }
}

/// Go's `time.Time` `%v` for an RFC 3339 instant: `2032-01-01 12:20:50.52 +0000 UTC`.
fn go_time(s: &str) -> Option<String> {
    let (date, rest) = s.split_once('T')?;
    let zone_at = rest.find(['Z', 'z', '+', '-'])?;
    let (clock, zone) = rest.split_at(zone_at);
    let clock = match clock.split_once('.') {
        Some((hms, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                hms.to_owned()
            } else {
                format!("{hms}.{frac}")
            }
        }
        None => clock.to_owned(),
    };
    let zone = if zone.eq_ignore_ascii_case("z") {
        "+0000 UTC".to_owned()
    } else {
        let z = zone.replace(':', "");
        format!("{z} {z}")
    };
    Some(format!("{date} {clock} {zone}"))
}

/// conftest's clean-up, with the spans of what is left.
fn clean(e: &Edn, span: Span, pointer: &str, spans: &mut SpanMap) -> Value {
    spans.insert(pointer.to_owned(), span);
    match e {
        Edn::Str(s) => Value::String(s.clone()),
        Edn::List(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, (v, s))| clean(v, *s, &push_token(pointer, &i.to_string()), spans))
                .collect(),
        ),
        Edn::Map(pairs) => {
            let mut m = Map::new();
            for ((k, _), (v, s)) in pairs {
                let key = go_text(k);
                let value = clean(v, *s, &push_token(pointer, &key), spans);
                m.insert(key, value);
            }
            Value::Object(m)
        }
        other => Value::String(go_text(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conftest_clean_up() {
        let src = ";; c\n{:db {:port 5432 :user \"u\" :ratio 1.5 :big 1e21}\n :features #{:b :a} #_:all\n :when #inst \"2032-01-01T12:20:50.520Z\"\n :wait #duration \"20m\"\n :keys [\"k1\" nil true \\a sym]\n 1 (:x)\n :env :production}";
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        let v = &p.docs[0].value;
        assert_eq!(v[":db"][":port"], "5432");
        assert_eq!(v[":db"][":user"], "u");
        assert_eq!(v[":db"][":ratio"], "1.5");
        assert_eq!(v[":db"][":big"], "1e+21");
        assert_eq!(v[":features"], "map[:a:true :b:true]");
        assert_eq!(v[":when"], "2032-01-01 12:20:50.52 +0000 UTC");
        assert_eq!(v[":wait"], "{duration 20m}");
        assert_eq!(
            v[":keys"],
            serde_json::json!(["k1", "<nil>", "true", "97", "sym"])
        );
        assert_eq!(v["1"], serde_json::json!([":x"]));
        assert_eq!(v[":env"], ":production");
        assert_eq!(&src[p.docs[0].spans["/:db/:port"].range()], "5432");
    }

    #[test]
    fn errors_have_locations() {
        for (src, needle) in [
            ("{:a 1\n", "never closed"),
            ("{:a}", "even number"),
            ("[1 2)", "expected `]`"),
            ("\"open", "unterminated"),
            ("{} {}", "after the top-level"),
            ("]", "unmatched"),
            ("#_", "discards nothing"),
            ("\\nope", "unknown character"),
        ] {
            let e = parse(src, &Limits::default()).error.unwrap();
            assert!(e.message.contains(needle), "{src:?}: {}", e.message);
            assert!(e.span.is_some());
        }
        assert_eq!(parse("", &Limits::default()).docs[0].value, Value::Null);
    }
}
