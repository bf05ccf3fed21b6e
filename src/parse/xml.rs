//! XML → JSON in conftest's shape, with a span per element.
//!
//! conftest converts XML with `basgys/goxml2json` (read at its current commit): the document
//! is `{root_name: …}`; an element with neither attributes nor children is its text (a
//! string); otherwise an object whose attributes are `-name` keys, whose children are keyed
//! by name (one child → its value, several of the same name → an array, in document order),
//! and whose text, when not empty, is `#content`. Every value is a string (no type
//! conversion), names lose their namespace prefix, text is trimmed, and an element's text is
//! its *last* run of character data (text after the last child wins, as in goxml2json; a
//! CDATA section is a run of its own). An empty file is `""`.
//!
//! Unlike goxml2json, which stops silently at the first malformed token, a malformed
//! document here is an error with its location: a file must never look checked when it was
//! only half read.

use indexmap::IndexMap;
use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::{Map, Value};

use super::{Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

/// One element being built: attributes and children in document order, by name (looked up
/// by name: a linear search per child made 100,000 differently named siblings take 24 s).
#[derive(Default)]
struct Node {
    children: IndexMap<String, Vec<Node>>,
    data: String,
    span: Span,
}

impl Node {
    fn add_child(&mut self, label: String, child: Node) {
        self.children.entry(label).or_default().push(child);
    }

    fn into_json(self, pointer: &str, spans: &mut SpanMap) -> Value {
        spans.insert(pointer.to_owned(), self.span);
        if self.children.is_empty() {
            return Value::String(self.data);
        }
        let mut m = Map::new();
        if !self.data.is_empty() {
            spans.insert(push_token(pointer, "#content"), self.span);
            m.insert("#content".to_owned(), Value::String(self.data));
        }
        for (label, mut nodes) in self.children {
            let p = push_token(pointer, &label);
            let value = if nodes.len() == 1 {
                nodes.pop().map_or(Value::Null, |n| n.into_json(&p, spans))
            } else {
                let first = nodes.first().map_or_else(Span::default, |n| n.span);
                let last = nodes.last().map_or_else(Span::default, |n| n.span);
                spans.insert(p.clone(), Span::new(first.start, last.end));
                Value::Array(
                    nodes
                        .into_iter()
                        .enumerate()
                        .map(|(i, n)| n.into_json(&push_token(&p, &i.to_string()), spans))
                        .collect(),
                )
            };
            m.insert(label, value);
        }
        Value::Object(m)
    }
}

/// goxml2json's trim: leading and trailing spaces and non-graphic characters go.
fn trim(s: &str) -> String {
    s.trim_matches(|c: char| c.is_whitespace() || c.is_control())
        .to_owned()
}

fn offset(pos: u64) -> usize {
    usize::try_from(pos).unwrap_or(usize::MAX)
}

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    let mut reader = Reader::from_str(source);
    reader.config_mut().trim_text(false);
    // The reader skips a byte-order mark and counts positions from after it.
    let base = if source.starts_with('\u{feff}') { 3 } else { 0 };
    let offset = |pos: u64| offset(pos).saturating_add(base);
    // (label, node, start offset); the bottom entry is the document itself.
    let mut stack: Vec<(String, Node)> = vec![(String::new(), Node::default())];
    // The current run of character data (entity references included).
    let mut run: Option<String> = None;
    loop {
        let before = offset(reader.buffer_position());
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                return Parsed::failed(ParseError::at(
                    format!("malformed XML: {e}"),
                    offset(reader.error_position()).min(source.len()),
                ))
            }
        };
        let after = offset(reader.buffer_position()).min(source.len());
        let text_piece: Option<Result<String, String>> = match &event {
            Event::Text(t) => Some(
                t.decode()
                    .map(std::borrow::Cow::into_owned)
                    .map_err(|e| e.to_string()),
            ),
            Event::GeneralRef(r) => Some(resolve_ref(r)),
            _ => None,
        };
        if let Some(piece) = text_piece {
            match piece {
                Ok(p) => run.get_or_insert_with(String::new).push_str(&p),
                Err(m) => return Parsed::failed(ParseError::at(m, before)),
            }
            continue;
        }
        if let Some(text) = run.take() {
            if let Some((_, top)) = stack.last_mut() {
                top.data = trim(&text);
            }
        }
        match event {
            // A CDATA section is a run of its own (Go's decoder gives it its own token).
            Event::CData(t) => match t.decode() {
                Ok(text) => {
                    if let Some((_, top)) = stack.last_mut() {
                        top.data = trim(&text);
                    }
                }
                Err(e) => return Parsed::failed(ParseError::at(e.to_string(), before)),
            },
            Event::Start(e) | Event::Empty(e) if stack.len() > limits.max_depth => {
                let _ = e;
                return Parsed::failed(ParseError::at(
                    format!(
                        "nesting deeper than {} levels; refusing to parse",
                        limits.max_depth
                    ),
                    before,
                ));
            }
            Event::Start(e) => {
                let (label, node) = match open(&e, Span::new(before, after)) {
                    Ok(x) => x,
                    Err(m) => return Parsed::failed(ParseError::at(m, before)),
                };
                stack.push((label, node));
            }
            Event::Empty(e) => {
                let (label, node) = match open(&e, Span::new(before, after)) {
                    Ok(x) => x,
                    Err(m) => return Parsed::failed(ParseError::at(m, before)),
                };
                if let Some((_, parent)) = stack.last_mut() {
                    parent.add_child(label, node);
                }
            }
            Event::End(_) if stack.len() > 1 => {
                if let Some((label, mut node)) = stack.pop() {
                    node.span.end = after;
                    if let Some((_, parent)) = stack.last_mut() {
                        parent.add_child(label, node);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() > 1 {
        let (label, node) = stack.pop().unwrap_or_default();
        return Parsed::failed(ParseError::at(
            format!("element <{label}> is never closed"),
            node.span.start,
        ));
    }
    let (_, mut root) = stack.pop().unwrap_or_default();
    root.span = Span::new(0, source.len());
    let mut spans = SpanMap::new();
    let value = root.into_json("", &mut spans);
    Parsed {
        docs: vec![ParsedDoc { value, spans }],
        error: None,
    }
}

/// An element's name (without namespace prefix) and its attributes as `-name` children.
fn open(e: &quick_xml::events::BytesStart<'_>, span: Span) -> Result<(String, Node), String> {
    let label = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
    let mut node = Node {
        span,
        ..Node::default()
    };
    for attr in e.attributes() {
        let attr = attr.map_err(|err| format!("malformed attribute: {err}"))?;
        let name = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
        let value = attr
            .unescape_value()
            .map_err(|err| format!("attribute `{name}`: {err}"))?
            .into_owned();
        node.add_child(
            format!("-{name}"),
            Node {
                data: value,
                span,
                ..Node::default()
            },
        );
    }
    Ok((label, node))
}

/// `&amp;`-style and `&#…;` references. An entity XML does not predefine (one a DOCTYPE
/// declares, such as `&nbsp;`) is kept as written: custos does not read DTDs, and a valid
/// document must not become a parse error.
fn resolve_ref(r: &quick_xml::events::BytesRef<'_>) -> Result<String, String> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
        return Ok(c.to_string());
    }
    let name = r.decode().map_err(|e| e.to_string())?;
    Ok(quick_xml::escape::resolve_predefined_entity(&name)
        .map_or_else(|| format!("&{name};"), str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goxml2json_shape() {
        let src = r#"<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" version="2">
  <name>demo &amp; co</name>
  <dep id="a"/>
  <dep id="b">x</dep>
  <empty/>
  <mixed>text<b>1</b></mixed>
  <tail>text<b/>  </tail>
</project>
"#;
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        let v = &p.docs[0].value;
        assert_eq!(v["project"]["-version"], "2");
        assert_eq!(v["project"]["-xmlns"], "http://maven.apache.org/POM/4.0.0");
        assert_eq!(v["project"]["name"], "demo & co");
        assert_eq!(v["project"]["dep"][0]["-id"], "a");
        assert_eq!(v["project"]["dep"][1]["#content"], "x");
        assert_eq!(v["project"]["empty"], "");
        assert_eq!(v["project"]["mixed"]["#content"], "text");
        // The last run of text wins: the text before <b/> is replaced by the blank run after.
        assert!(v["project"]["tail"].get("#content").is_none());
        let s = p.docs[0].spans["/project/name"];
        assert_eq!(&src[s.range()], "<name>demo &amp; co</name>");
    }

    #[test]
    fn many_differently_named_siblings_are_grouped_by_name() {
        use std::fmt::Write as _;
        // 100,000 siblings, each name new, then a repeated one: a linear search per child
        // took 24 s in a release build.
        let mut src = String::from("<r>");
        for i in 0..100_000 {
            let _ = write!(src, "<k{i}>{i}</k{i}>");
        }
        src.push_str("<k7>again</k7></r>");
        let p = parse(&src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        let r = &p.docs[0].value["r"];
        assert_eq!(r.as_object().map(Map::len), Some(100_000));
        assert_eq!(r["k99999"], "99999");
        assert_eq!(r["k7"], serde_json::json!(["7", "again"]));
    }

    #[test]
    fn malformed_is_an_error_with_location() {
        let p = parse("<a>\n<b></c>\n</a>", &Limits::default());
        assert!(p.error.is_some());
        let p = parse("<a><b>", &Limits::default());
        assert!(p.error.unwrap().message.contains("never closed"));
        let p = parse("<a>&nbsp;&#65;</a>", &Limits::default());
        assert_eq!(p.docs[0].value["a"], "&nbsp;A");
        let p = parse("<a>&#xZZ;</a>", &Limits::default());
        assert!(p.error.is_some());
        assert_eq!(parse("", &Limits::default()).docs[0].value, "");
    }
}
