//! CycloneDX SBOMs (`--parser cyclonedx`, or `*.cyclonedx`) → CycloneDX's JSON shape, with
//! spans.
//!
//! conftest's `cyclonedx` parser takes JSON or XML (it tries JSON first). JSON is given to
//! policies as written. XML is decoded into `CycloneDX/cyclonedx-go`'s BOM model and then
//! encoded as that model's JSON — the CycloneDX JSON format — so a policy reads
//! `input.metadata.component.version` whichever the file was.
//!
//! XML is converted here (with `quick-xml`, as the XML parser does) by the rules that take
//! CycloneDX XML to CycloneDX JSON: attributes become fields (`bom-ref`, `type`, `ref`,
//! `alg`, …); a container element of a repeated child (`components`/`component`,
//! `hashes`/`hash`, `tools`/`tool`, `licenses`/`license`, `externalReferences`/`reference`,
//! `properties`/`property`, `dependencies`/`dependency`, …) becomes an array, empty when the
//! element is empty; a leaf element is its text; an element with attributes and text keeps
//! the text under `content` (`<hash alg="SHA-256">…</hash>` → `{"alg", "content"}`), except
//! a `property`, whose text is its `value`; nested `<dependency ref=…/>` elements are the
//! `dependsOn` list of references; the root's `version` is a number, and `bomFormat` is
//! `CycloneDX` with `specVersion` read from the namespace (`…/schema/bom/1.4` → `1.4`).
//! A malformed document is an error with its location.
//!
//! The `cyclonedx-bom` crate validates and models BOMs but needs the exact spec version's
//! model and does not keep positions; conftest does not validate either (cyclonedx-go
//! decodes leniently), so the generic conversion is kept.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{Map, Value};

use super::{json as json_parser, Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    let trimmed = source.trim_start_matches('\u{feff}').trim_start();
    if !trimmed.starts_with('<') {
        return json_parser::parse(source, limits);
    }
    match xml(source, limits) {
        Ok(doc) => Parsed {
            docs: vec![doc],
            error: None,
        },
        Err(e) => Parsed::failed(e),
    }
}

/// Container element → the name of its repeated child.
const ARRAYS: &[(&str, &str)] = &[
    ("components", "component"),
    ("hashes", "hash"),
    ("tools", "tool"),
    ("licenses", "license"),
    ("externalReferences", "reference"),
    ("properties", "property"),
    ("dependencies", "dependency"),
    ("services", "service"),
    ("vulnerabilities", "vulnerability"),
    ("authors", "author"),
    ("endpoints", "endpoint"),
    ("data", "classification"),
    ("ratings", "rating"),
    ("cwes", "cwe"),
    ("affects", "target"),
    ("versions", "version"),
    ("advisories", "advisory"),
    ("references", "reference"),
    ("commits", "commit"),
    ("patches", "patch"),
    ("annotations", "annotation"),
    ("lifecycles", "lifecycle"),
];

/// One element being built.
#[derive(Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
    text: String,
    span: Span,
}

fn offset(pos: u64) -> usize {
    usize::try_from(pos).unwrap_or(usize::MAX)
}

fn xml(source: &str, limits: &Limits) -> Result<ParsedDoc, ParseError> {
    let mut reader = Reader::from_str(source);
    reader.config_mut().trim_text(false);
    // The reader skips a byte-order mark and counts positions from after it.
    let base = if source.starts_with('\u{feff}') { 3 } else { 0 };
    let offset = |pos: u64| offset(pos).saturating_add(base);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        let before = offset(reader.buffer_position());
        let event = reader.read_event().map_err(|e| {
            ParseError::within(
                source,
                format!("malformed XML: {e}"),
                offset(reader.error_position()),
            )
        })?;
        let after = offset(reader.buffer_position()).min(source.len());
        match event {
            Event::Start(e) | Event::Empty(e) if stack.len() > limits.max_depth => {
                let _ = e;
                return Err(ParseError::within(
                    source,
                    format!(
                        "nesting deeper than {} levels; refusing to parse",
                        limits.max_depth
                    ),
                    before,
                ));
            }
            Event::Start(e) => stack.push(open(&e, Span::new(before, after), source)?),
            Event::Empty(e) => {
                let node = open(&e, Span::new(before, after), source)?;
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(node);
                }
            }
            Event::End(_) if stack.len() > 1 => {
                if let Some(mut node) = stack.pop() {
                    node.span.end = after;
                    if let Some(parent) = stack.last_mut() {
                        parent.children.push(node);
                    }
                }
            }
            Event::Text(t) => {
                let text = t
                    .decode()
                    .map_err(|e| ParseError::within(source, e.to_string(), before))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = if let Ok(Some(ch)) = r.resolve_char_ref() {
                    ch.to_string()
                } else {
                    let name = r
                        .decode()
                        .map(std::borrow::Cow::into_owned)
                        .unwrap_or_default();
                    quick_xml::escape::resolve_predefined_entity(&name)
                        .map_or_else(|| format!("&{name};"), str::to_owned)
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&resolved);
                }
            }
            Event::CData(t) => {
                let text = t
                    .decode()
                    .map_err(|e| ParseError::within(source, e.to_string(), before))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() > 1 {
        let node = stack.pop().unwrap_or_default();
        return Err(ParseError::within(
            source,
            format!("element <{}> is never closed", node.name),
            node.span.start,
        ));
    }
    let mut document = stack.pop().unwrap_or_default();
    let Some(root) = document.children.pop() else {
        return Err(ParseError::at("no root element", 0));
    };
    if root.name != "bom" {
        return Err(ParseError::within(
            source,
            format!("the root element is <{}>, not a CycloneDX <bom>", root.name),
            root.span.start,
        ));
    }
    let mut spans = SpanMap::new();
    let spec = root
        .attrs
        .iter()
        .find(|(k, _)| k == "xmlns")
        .and_then(|(_, ns)| ns.rsplit('/').next())
        .map(str::to_owned);
    let mut value = convert(&root, "", &mut spans);
    if let Value::Object(m) = &mut value {
        m.remove("xmlns");
        m.insert("bomFormat".into(), Value::String("CycloneDX".into()));
        if let Some(spec) = spec {
            m.insert("specVersion".into(), Value::String(spec));
        }
        if let Some(v) = m.get_mut("version") {
            if let Some(n) = v.as_str().and_then(|s| s.parse::<i64>().ok()) {
                *v = Value::Number(n.into());
            }
        }
    }
    spans.insert(String::new(), Span::new(0, source.len()));
    Ok(ParsedDoc { value, spans })
}

fn open(e: &BytesStart<'_>, span: Span, source: &str) -> Result<Node, ParseError> {
    let mut node = Node {
        name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
        span,
        ..Node::default()
    };
    for attr in e.attributes() {
        let attr = attr.map_err(|err| {
            ParseError::within(source, format!("malformed attribute: {err}"), span.start)
        })?;
        let key = attr.key.as_ref();
        // Namespace declarations other than the default one carry no data.
        if key.starts_with(b"xmlns:") || key.starts_with(b"xsi:") {
            continue;
        }
        let name = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
        let value = attr
            .unescape_value()
            .map_err(|err| {
                ParseError::within(source, format!("attribute `{name}`: {err}"), span.start)
            })?
            .into_owned();
        node.attrs.push((name, value));
    }
    Ok(node)
}

fn convert(node: &Node, pointer: &str, spans: &mut SpanMap) -> Value {
    spans.insert(pointer.to_owned(), node.span);
    let text = node.text.trim();
    if let Some((_, child)) = ARRAYS.iter().find(|(c, _)| *c == node.name) {
        if node.attrs.is_empty()
            && node
                .children
                .iter()
                .all(|c| c.name == *child || (node.name == "licenses" && c.name == "expression"))
        {
            return Value::Array(
                node.children
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let p = push_token(pointer, &i.to_string());
                        if node.name == "licenses" {
                            // `{"license": {…}}` or `{"expression": "…"}`.
                            let mut m = Map::new();
                            let name = c.name.clone();
                            m.insert(name.clone(), convert(c, &push_token(&p, &name), spans));
                            spans.insert(p, c.span);
                            Value::Object(m)
                        } else {
                            convert(c, &p, spans)
                        }
                    })
                    .collect(),
            );
        }
    }
    if node.attrs.is_empty() && node.children.is_empty() {
        return Value::String(text.to_owned());
    }
    let mut m = Map::new();
    for (k, v) in &node.attrs {
        spans.insert(push_token(pointer, k), node.span);
        m.insert(k.clone(), Value::String(v.clone()));
    }
    if node.name == "dependency" && !node.children.is_empty() {
        let refs: Vec<Value> = node
            .children
            .iter()
            .filter_map(|c| c.attrs.iter().find(|(k, _)| k == "ref"))
            .map(|(_, r)| Value::String(r.clone()))
            .collect();
        m.insert("dependsOn".into(), Value::Array(refs));
        return Value::Object(m);
    }
    let mut seen: Vec<(String, Vec<&Node>)> = Vec::new();
    for c in &node.children {
        match seen.iter_mut().find(|(n, _)| *n == c.name) {
            Some((_, v)) => v.push(c),
            None => seen.push((c.name.clone(), vec![c])),
        }
    }
    for (name, nodes) in seen {
        let p = push_token(pointer, &name);
        let v = if let [one] = nodes.as_slice() {
            convert(one, &p, spans)
        } else {
            Value::Array(
                nodes
                    .iter()
                    .enumerate()
                    .map(|(i, n)| convert(n, &push_token(&p, &i.to_string()), spans))
                    .collect(),
            )
        };
        m.insert(name, v);
    }
    if !text.is_empty() {
        let key = if node.name == "property" {
            "value"
        } else {
            "content"
        };
        m.insert(key.into(), Value::String(text.to_owned()));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_to_cyclonedx_json() {
        let src = "\u{feff}<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\" serialNumber=\"urn:uuid:x\" version=\"1\">\n  <metadata>\n    <tools><tool><vendor>anchore</vendor><name>syft</name><hashes /></tool></tools>\n    <component type=\"container\" bom-ref=\"c1\"><name>busybox</name><version>sha256:abc</version></component>\n  </metadata>\n  <components>\n    <component type=\"library\"><name>a</name>\n      <hashes><hash alg=\"SHA-256\">00ff</hash></hashes>\n      <licenses><license><id>MIT</id></license><expression>MIT OR Apache-2.0</expression></licenses>\n      <properties><property name=\"k\">v</property></properties>\n    </component>\n  </components>\n  <dependencies><dependency ref=\"c1\"><dependency ref=\"a\"/></dependency></dependencies>\n</bom>\n";
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        let v = &p.docs[0].value;
        assert_eq!(v["bomFormat"], "CycloneDX");
        assert_eq!(v["specVersion"], "1.4");
        assert_eq!(v["version"], 1);
        assert_eq!(v["metadata"]["component"]["version"], "sha256:abc");
        assert_eq!(v["metadata"]["component"]["bom-ref"], "c1");
        assert_eq!(v["metadata"]["tools"][0]["hashes"], serde_json::json!([]));
        let c = &v["components"][0];
        assert_eq!(
            c["hashes"][0],
            serde_json::json!({"alg": "SHA-256", "content": "00ff"})
        );
        assert_eq!(c["licenses"][0]["license"]["id"], "MIT");
        assert_eq!(c["licenses"][1]["expression"], "MIT OR Apache-2.0");
        assert_eq!(
            c["properties"][0],
            serde_json::json!({"name": "k", "value": "v"})
        );
        assert_eq!(v["dependencies"][0]["dependsOn"], serde_json::json!(["a"]));
        let s = p.docs[0].spans["/metadata/component/version"];
        assert_eq!(&src[s.range()], "<version>sha256:abc</version>");
    }

    #[test]
    fn json_as_is_and_errors() {
        let p = parse("{\"bomFormat\": \"CycloneDX\"}", &Limits::default());
        assert_eq!(p.docs[0].value["bomFormat"], "CycloneDX");
        assert!(parse("<bom><components>", &Limits::default())
            .error
            .unwrap()
            .message
            .contains("never closed"));
        assert!(parse("<project/>", &Limits::default())
            .error
            .unwrap()
            .message
            .contains("not a CycloneDX"));
        assert!(parse("{\"a\": }", &Limits::default()).error.is_some());
    }
}
