//! TOML → JSON with spans, via the `toml` crate's spanned document (`toml::de::DeTable`).
//!
//! The shape is the one conftest produces (BurntSushi/toml decoded into Go values): tables are
//! objects, arrays arrays, integers and floats numbers, booleans booleans, and datetimes
//! strings in their TOML (RFC 3339) spelling. A float that JSON cannot hold (`inf`, `nan`)
//! stays a string rather than being lost.

use serde_json::{Map, Number, Value};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::{check_depth, Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    if let Err(e) = check_depth(source, limits.max_depth, b"[{", b"]}") {
        return Parsed::failed(e);
    }
    match DeTable::parse(source) {
        Ok(table) => {
            let mut spans = SpanMap::new();
            let value = table_to_json(table.get_ref(), "", &mut spans);
            spans.insert(String::new(), Span::new(0, source.len()));
            Parsed {
                docs: vec![ParsedDoc { value, spans }],
                error: None,
            }
        }
        Err(e) => Parsed::failed(ParseError {
            message: e.message().to_owned(),
            span: e.span().map(Span::from),
        }),
    }
}

fn table_to_json(table: &DeTable<'_>, pointer: &str, spans: &mut SpanMap) -> Value {
    let mut map = Map::new();
    for (k, v) in table {
        let key: &str = k.get_ref();
        let p = push_token(pointer, key);
        map.insert(key.to_owned(), to_json(v, &p, spans));
    }
    Value::Object(map)
}

fn to_json(v: &Spanned<DeValue<'_>>, pointer: &str, spans: &mut SpanMap) -> Value {
    spans.insert(pointer.to_owned(), Span::from(v.span()));
    match v.get_ref() {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).map_or_else(
            |_| Value::String(i.as_str().to_owned()),
            |n| Value::Number(n.into()),
        ),
        DeValue::Float(f) => f
            .as_str()
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or_else(|| Value::String(f.as_str().to_owned()), Value::Number),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(a) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, e)| to_json(e, &push_token(pointer, &i.to_string()), spans))
                .collect(),
        ),
        DeValue::Table(t) => table_to_json(t, pointer, spans),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_types_and_spans() {
        let src = "title = \"x\"\n[server]\nport = 0x1F90\nratio = 0.5\nup = true\nwhen = 1979-05-27T07:32:00Z\n[[rule]]\nname = \"a\"\n";
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none());
        let d = &p.docs[0];
        assert_eq!(d.value["server"]["port"], 8080);
        assert_eq!(d.value["server"]["when"], "1979-05-27T07:32:00Z");
        assert_eq!(d.value["rule"][0]["name"], "a");
        assert_eq!(&src[d.spans["/server/port"].range()], "0x1F90");
    }

    #[test]
    fn error_has_location() {
        let p = parse("a = 1\nb = = 2\n", &Limits::default());
        let e = p.error.unwrap();
        assert!(e.span.unwrap().start >= 6);
    }
}
