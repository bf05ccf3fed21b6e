//! YAML with spans, built from `saphyr-parser`'s event stream.
//!
//! The event parser gives a start and end marker for every node, which a DOM-producing YAML
//! library would throw away. Building the JSON value ourselves from events also lets us bound
//! what a hostile file can do: nesting is limited, and alias expansion is charged against a
//! node budget so that a "billion laughs" file is an error instead of an out-of-memory kill.
//!
//! Scalars are resolved with the YAML 1.2 core schema. Multi-document streams produce one
//! document per `---`. Merge keys (`<<`) are applied.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};
use serde_json::{Map, Number, Value};

use super::{Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    // Indentation inside a flow collection (`[…]`, `{…}`) carries no meaning. The YAML spec
    // still asks flow lines to be indented past their block parent, and saphyr enforces that
    // (`key: [` … `]` with the `]` at the key's column is an error), while libyaml, and so
    // PyYAML and most tools that write such files, ignores indentation there. saphyr reports
    // exactly that case as a plain "invalid indentation" (in block context it unrolls the
    // indentation first, so the error cannot arise there): the line is shifted right with
    // spaces, which change nothing inside a flow collection, and the text parsed again, with
    // every position mapped back to the original. Bounded: a few retries on small files, and
    // never more than twice as many spaces as the text is long.
    parse_shifted(source, limits).0
}

/// [`parse`], also returning the spaces it inserted.
fn parse_shifted(source: &str, limits: &Limits) -> (Parsed, Shifts) {
    let mut shifts = Shifts::default();
    let mut text = std::borrow::Cow::Borrowed(source);
    loop {
        let (parsed, flow_indent_error) = parse_once(&text, limits, &shifts);
        let Some(at) = flow_indent_error else {
            return (parsed, shifts);
        };
        if shifts.retries >= MAX_FLOW_INDENT_RETRIES || source.len() > MAX_FLOW_INDENT_SOURCE {
            return (parsed, shifts);
        }
        // The error is at the first token of its line; shift the line from its first non-blank.
        let Some(line_start) = text.get(..at).map(|t| t.rfind('\n').map_or(0, |i| i + 1)) else {
            return (parsed, shifts);
        };
        let lead = text[line_start..]
            .bytes()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        let at_modified = line_start + lead;
        let at_original = shifts.original(at_modified);
        // Lines moved further right than the text is long are past every parent's column: more
        // spaces cannot help (doubling them 24 times made a 132-byte file 8 MB of spaces). Each
        // retry at most doubles the total, so the text never grows past three times its size.
        if shifts.total() > source.len() {
            return (parsed, shifts);
        }
        let count = shifts.grow(at_original);
        let mut next = String::with_capacity(text.len() + count);
        next.push_str(&text[..at_modified]);
        next.extend(std::iter::repeat_n(' ', count));
        next.push_str(&text[at_modified..]);
        text = std::borrow::Cow::Owned(next);
    }
}

/// At most this many re-parses for flow-collection indentation per file …
const MAX_FLOW_INDENT_RETRIES: usize = 24;
/// … and only for files up to this size (each retry parses the file again).
const MAX_FLOW_INDENT_SOURCE: usize = 1 << 20;

/// Spaces inserted into the source (for flow-collection indentation), to map positions in the
/// shifted text back to the original.
#[derive(Default)]
struct Shifts {
    /// (original byte offset, spaces inserted there), sorted by offset.
    inserted: Vec<(usize, usize)>,
    retries: usize,
}

impl Shifts {
    /// Insert more spaces at `original` (twice as many as last time there, so that a line far
    /// to the left needs few retries): returns how many to add now.
    fn grow(&mut self, original: usize) -> usize {
        self.retries += 1;
        match self.inserted.binary_search_by_key(&original, |&(o, _)| o) {
            Ok(i) => {
                let add = self.inserted[i].1;
                self.inserted[i].1 += add;
                add
            }
            Err(i) => {
                self.inserted.insert(i, (original, 1));
                1
            }
        }
    }

    /// Spaces inserted in all.
    fn total(&self) -> usize {
        self.inserted.iter().map(|&(_, n)| n).sum()
    }

    /// The original byte offset of byte `modified` of the shifted text (inserted spaces map to
    /// the place they were inserted at).
    fn original(&self, modified: usize) -> usize {
        let mut shift = 0;
        for &(at, n) in &self.inserted {
            if modified < at + shift {
                break;
            }
            if modified < at + shift + n {
                return at;
            }
            shift += n;
        }
        modified - shift
    }
}

/// One parse of `source` (possibly shifted, see [`parse`]): the result with positions mapped
/// back to the original text, and, when it stopped at saphyr's flow-indentation check, where.
fn parse_once(source: &str, limits: &Limits, shifts: &Shifts) -> (Parsed, Option<usize>) {
    let offsets = CharOffsets::new(source);
    let at = |char_index: usize| shifts.original(offsets.byte(char_index));
    let mut builder = Builder {
        limits: *limits,
        stack: Vec::new(),
        anchors: HashMap::new(),
        anchor_pointers: HashMap::new(),
        span_log: Vec::new(),
        pending_origin: None,
        alias_nodes: 0,
        spans: SpanMap::new(),
        root: None,
    };
    let mut out = Parsed::default();
    for item in Parser::new_from_str(source) {
        match item {
            Ok((event, span)) => {
                let start = at(span.start.index());
                let end = at(span.end.index());
                match builder.event(event, Span::new(start, end.max(start))) {
                    Ok(Some(doc)) => out.docs.push(doc),
                    Ok(None) => {}
                    Err(e) => {
                        out.error = Some(e);
                        return (out, None);
                    }
                }
            }
            Err(e) => {
                let flow_indent =
                    (e.info() == "invalid indentation").then(|| offsets.byte(e.marker().index()));
                out.error = Some(ParseError::at(e.info().to_owned(), at(e.marker().index())));
                return (out, flow_indent);
            }
        }
    }
    (out, None)
}

/// saphyr reports positions in characters; documents use bytes.
struct CharOffsets {
    /// Byte offset of each char index; empty when the source is ASCII (index == offset).
    table: Vec<usize>,
    len: usize,
}

impl CharOffsets {
    fn new(source: &str) -> Self {
        let table = if source.is_ascii() {
            Vec::new()
        } else {
            source.char_indices().map(|(i, _)| i).collect()
        };
        Self {
            table,
            len: source.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.table.is_empty() {
            char_index.min(self.len)
        } else {
            self.table.get(char_index).copied().unwrap_or(self.len)
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Value>,
        pointer: String,
        start: usize,
        anchor: usize,
        intrinsic: Option<&'static str>,
        /// `span_log` length when the node started.
        mark: usize,
    },
    Map {
        map: Map<String, Value>,
        pointer: String,
        start: usize,
        anchor: usize,
        key: Option<String>,
        /// Where the pending key starts: a collection value's span starts at its key, so a
        /// finding about an object points at the line that names it.
        key_start: usize,
        intrinsic: Option<&'static str>,
        mark: usize,
        /// Values merged in through `<<`, applied at the end where no explicit key overrides,
        /// each with the anchor it came from (when it was a single alias).
        merges: Vec<(Map<String, Value>, Option<usize>)>,
    },
}

struct Builder {
    limits: Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Value>,
    /// Where each anchored node was defined, when it has a pointer of its own, and the range
    /// of `span_log` that holds its own and its descendants' pointers.
    anchor_pointers: HashMap<usize, (String, usize, usize)>,
    /// Pointers in the order their spans were set: a node's descendants are a contiguous run,
    /// so an alias can copy exactly its anchor's spans without searching the map.
    span_log: Vec<String>,
    /// The anchor of the alias being emitted right now (for `<<: *anchor`).
    pending_origin: Option<usize>,
    alias_nodes: usize,
    spans: SpanMap,
    root: Option<Value>,
}

const MERGE_KEY: &str = "<<";

impl Builder {
    /// Pointer of the node that starts now, or `None` when it is a mapping key.
    fn child_pointer(&self) -> Option<String> {
        match self.stack.last() {
            None => Some(String::new()),
            Some(Frame::Seq { items, pointer, .. }) => {
                Some(push_token(pointer, &items.len().to_string()))
            }
            Some(Frame::Map { key: Some(k), .. }) if k == MERGE_KEY => None,
            Some(Frame::Map {
                key: Some(k),
                pointer,
                ..
            }) => Some(push_token(pointer, k)),
            Some(Frame::Map { key: None, .. }) => None,
        }
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<Option<ParsedDoc>, ParseError> {
        match event {
            Event::DocumentStart(_) => {
                self.spans.clear();
                self.span_log.clear();
                self.anchor_pointers.clear();
                self.root = None;
                self.alias_nodes = 0;
            }
            Event::DocumentEnd => {
                let value = self.root.take().unwrap_or(Value::Null);
                let spans = std::mem::take(&mut self.spans);
                return Ok(Some(ParsedDoc { value, spans }));
            }
            Event::Scalar(text, style, anchor, tag) => {
                let value = resolve_scalar(&text, style, tag.as_deref());
                let value = wrap_intrinsic(value, tag.as_deref().and_then(cfn_intrinsic));
                let pointer = self.child_pointer();
                let mark = self.span_log.len();
                if let Some(p) = &pointer {
                    self.set_span(p.clone(), span);
                }
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
                    if let Some(p) = pointer {
                        self.anchor_pointers
                            .insert(anchor, (p, mark, self.span_log.len()));
                    }
                }
                self.emit(value, span)?;
            }
            Event::Alias(id) => {
                let value = self.anchors.get(&id).cloned().ok_or_else(|| {
                    ParseError::at("alias refers to an unknown anchor", span.start)
                })?;
                self.alias_nodes += count_nodes(&value);
                if self.alias_nodes > self.limits.max_alias_nodes {
                    return Err(ParseError::at(
                        format!(
                            "alias expansion exceeds {} nodes (a YAML alias bomb?); refusing to expand",
                            self.limits.max_alias_nodes
                        ),
                        span.start,
                    ));
                }
                if let Some(p) = self.child_pointer() {
                    self.set_span(p.clone(), span);
                    // What the alias stands for is where it was written: a finding inside
                    // it points at the anchor, so one value reused N times is one finding.
                    self.copy_spans(id, None, &p);
                }
                self.pending_origin = self.anchor_pointers.contains_key(&id).then_some(id);
                let emitted = self.emit(value, span);
                self.pending_origin = None;
                emitted?;
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                let intrinsic = tag.as_deref().and_then(cfn_intrinsic);
                if self.stack.len() >= self.limits.max_depth {
                    return Err(ParseError::at(
                        format!(
                            "nesting deeper than {} levels; refusing to parse",
                            self.limits.max_depth
                        ),
                        span.start,
                    ));
                }
                // A collection used as a mapping key (or merged through `<<`) has no pointer of
                // its own; mark it with a NUL prefix, which no real pointer can start with.
                let pointer = self.child_pointer().unwrap_or_else(|| "\u{0}".to_owned());
                let start = match self.stack.last() {
                    Some(Frame::Map {
                        key: Some(_),
                        key_start,
                        ..
                    }) => (*key_start).min(span.start),
                    _ => span.start,
                };
                let frame = if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        items: Vec::new(),
                        pointer,
                        start,
                        anchor,
                        intrinsic,
                        mark: self.span_log.len(),
                    }
                } else {
                    Frame::Map {
                        map: Map::new(),
                        pointer,
                        start,
                        anchor,
                        key: None,
                        key_start: 0,
                        intrinsic,
                        mark: self.span_log.len(),
                        merges: Vec::new(),
                    }
                };
                self.stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Err(ParseError::at("unbalanced end of collection", span.start));
                };
                let (value, pointer, start, anchor, mark) = match frame {
                    Frame::Seq {
                        items,
                        pointer,
                        start,
                        anchor,
                        intrinsic,
                        mark,
                    } => (
                        wrap_intrinsic(Value::Array(items), intrinsic),
                        pointer,
                        start,
                        anchor,
                        mark,
                    ),
                    Frame::Map {
                        mut map,
                        pointer,
                        start,
                        anchor,
                        merges,
                        intrinsic,
                        mark,
                        ..
                    } => {
                        for (merged, origin) in merges {
                            for (k, v) in merged {
                                if map.contains_key(&k) {
                                    continue;
                                }
                                if let (Some(id), false) = (origin, pointer.starts_with('\u{0}')) {
                                    self.copy_spans(id, Some(&k), &push_token(&pointer, &k));
                                }
                                map.insert(k, v);
                            }
                        }
                        (
                            wrap_intrinsic(Value::Object(map), intrinsic),
                            pointer,
                            start,
                            anchor,
                            mark,
                        )
                    }
                };
                let is_key = pointer.starts_with('\u{0}');
                let whole = Span::new(start, span.end.max(start));
                if !is_key {
                    self.set_span(pointer.clone(), whole);
                }
                if anchor > 0 {
                    self.anchors.insert(anchor, value.clone());
                    if !is_key {
                        self.anchor_pointers
                            .insert(anchor, (pointer, mark, self.span_log.len()));
                    }
                }
                self.emit(value, whole)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(None)
    }

    /// Give every node under pointer `from` (the anchored node) the same span under `to` (where
    /// an alias or merge key repeats it). The work is bounded by the alias-expansion budget.
    /// `member` narrows the copy to one key of an anchored mapping (a `<<` merge).
    fn copy_spans(&mut self, anchor: usize, member: Option<&str>, to: &str) {
        let Some((origin, from, until)) = self.anchor_pointers.get(&anchor) else {
            return;
        };
        let base = member.map_or_else(|| origin.clone(), |m| push_token(origin, m));
        let copies: Vec<(String, Span)> = self
            .span_log
            .get(*from..*until)
            .unwrap_or_default()
            .iter()
            .filter(|k| {
                k.starts_with(base.as_str())
                    && (k.len() == base.len() || k.as_bytes().get(base.len()) == Some(&b'/'))
            })
            .filter_map(|k| Some((format!("{to}{}", &k[base.len()..]), *self.spans.get(k)?)))
            .collect();
        for (k, s) in copies {
            self.set_span(k, s);
        }
    }

    fn set_span(&mut self, pointer: String, span: Span) {
        self.spans.insert(pointer.clone(), span);
        self.span_log.push(pointer);
    }

    /// Hand a finished node to its parent (or make it the document root).
    fn emit(&mut self, value: Value, span: Span) -> Result<(), ParseError> {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map {
                map,
                key,
                key_start,
                merges,
                ..
            }) => match key.take() {
                None => {
                    *key_start = span.start;
                    *key = Some(match value {
                        Value::String(s) => s,
                        Value::Null => "null".to_owned(),
                        other => render_complex_key(&other),
                    });
                }
                Some(k) if k == MERGE_KEY => match value {
                    Value::Object(m) => merges.push((m, self.pending_origin)),
                    Value::Array(items) => {
                        for item in items {
                            match item {
                                Value::Object(m) => merges.push((m, None)),
                                _ => {
                                    return Err(ParseError::at(
                                        "merge key `<<` takes mappings only",
                                        span.start,
                                    ))
                                }
                            }
                        }
                    }
                    _ => {
                        return Err(ParseError::at(
                            "merge key `<<` takes mappings only",
                            span.start,
                        ))
                    }
                },
                Some(k) => {
                    map.insert(k, value);
                }
            },
        }
        Ok(())
    }
}

/// Longest rendering of a complex (collection) mapping key, in bytes.
const MAX_KEY_RENDER: usize = 256;

/// A collection used as a mapping key, rendered as JSON and cut at [`MAX_KEY_RENDER`] bytes.
/// Without the cut, a key nested in a key nested in a key … is escaped again at every level
/// and grows exponentially (a 158-byte file took gigabytes).
fn render_complex_key(value: &Value) -> String {
    let mut s = value.to_string();
    if s.len() > MAX_KEY_RENDER {
        let mut cut = MAX_KEY_RENDER;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// `CloudFormation`'s short-form intrinsic tags and the JSON key each stands for.
const CFN_INTRINSICS: &[(&str, &str)] = &[
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("Base64", "Fn::Base64"),
    ("Cidr", "Fn::Cidr"),
    ("FindInMap", "Fn::FindInMap"),
    ("GetAtt", "Fn::GetAtt"),
    ("GetAZs", "Fn::GetAZs"),
    ("ImportValue", "Fn::ImportValue"),
    ("Join", "Fn::Join"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("Sub", "Fn::Sub"),
    ("Transform", "Fn::Transform"),
    ("And", "Fn::And"),
    ("Equals", "Fn::Equals"),
    ("If", "Fn::If"),
    ("Not", "Fn::Not"),
    ("Or", "Fn::Or"),
    ("ToJsonString", "Fn::ToJsonString"),
    ("Length", "Fn::Length"),
];

fn cfn_intrinsic(tag: &Tag) -> Option<&'static str> {
    if tag.handle != "!" {
        return None;
    }
    CFN_INTRINSICS
        .iter()
        .find(|(short, _)| *short == tag.suffix)
        .map(|(_, long)| *long)
}

/// `!Ref x` → `{"Ref": "x"}`; `!GetAtt a.b` → `{"Fn::GetAtt": ["a", "b"]}` (the JSON template form).
fn wrap_intrinsic(value: Value, intrinsic: Option<&'static str>) -> Value {
    let Some(name) = intrinsic else { return value };
    let value = match (name, value) {
        ("Fn::GetAtt", Value::String(s)) => match s.split_once('.') {
            Some((a, b)) => Value::Array(vec![
                Value::String(a.to_owned()),
                Value::String(b.to_owned()),
            ]),
            None => Value::String(s),
        },
        (_, v) => v,
    };
    let mut m = Map::new();
    m.insert(name.to_owned(), value);
    Value::Object(m)
}

fn count_nodes(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count_nodes).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

/// YAML 1.2 core schema resolution for plain scalars; quoted and block scalars are strings.
fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag {
        if tag.is_yaml_core_schema() || tag.handle == "!!" {
            match tag.suffix.as_str() {
                "str" | "binary" | "timestamp" => return Value::String(text.to_owned()),
                "null" => return Value::Null,
                _ => {}
            }
        }
    }
    if style != ScalarStyle::Plain {
        return Value::String(text.to_owned());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(n) = resolve_int(text) {
        return Value::Number(n);
    }
    if is_float(text) {
        if let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(text.to_owned())
}

fn resolve_int(text: &str) -> Option<Number> {
    let (neg, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, body) = if let Some(h) = digits.strip_prefix("0x") {
        if neg || text.starts_with('+') {
            return None;
        }
        (16, h)
    } else if let Some(o) = digits.strip_prefix("0o") {
        if neg || text.starts_with('+') {
            return None;
        }
        (8, o)
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(body, radix).ok()?;
    if neg {
        let v = i64::try_from(magnitude).ok()?;
        Some(Number::from(-v))
    } else {
        Some(Number::from(magnitude))
    }
}

fn is_float(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let mut parts = mantissa.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => digits(int) && digits(f) && !(int.is_empty() && f.is_empty()),
        None => !int.is_empty() && digits(int),
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exp_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> ParsedDoc {
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        assert_eq!(p.docs.len(), 1);
        p.docs.into_iter().next().unwrap()
    }

    #[test]
    fn scalars_follow_core_schema() {
        let d = one("a: 1\nb: true\nc: ~\nd: '1'\ne: 1.5\nf: yes\ng: 0x1F\nh: -3\ni: 1e3\n");
        let v = &d.value;
        assert_eq!(v["a"], 1);
        assert_eq!(v["b"], true);
        assert!(v["c"].is_null());
        assert_eq!(v["d"], "1");
        assert_eq!(v["e"], 1.5);
        assert_eq!(v["f"], "yes");
        assert_eq!(v["g"], 31);
        assert_eq!(v["h"], -3);
        assert_eq!(v["i"], 1000.0);
    }

    #[test]
    fn spans_are_bytes_even_after_multibyte_text() {
        let src = "name: \"héllo wörld\"\nkey: secret-value\n";
        let d = one(src);
        let s = d.spans["/key"];
        assert_eq!(&src[s.range()], "secret-value");
    }

    #[test]
    fn nested_pointers() {
        let src = "spec:\n  containers:\n    - name: app\n      image: x\n";
        let d = one(src);
        let s = d.spans["/spec/containers/0/image"];
        assert_eq!(&src[s.range()], "x");
        assert!(d.spans.contains_key("/spec/containers/0"));
    }

    #[test]
    fn multi_document_streams() {
        let p = parse("a: 1\n---\nb: 2\n---\n", &Limits::default());
        assert!(p.error.is_none());
        assert_eq!(p.docs.len(), 3);
        assert_eq!(p.docs[1].value["b"], 2);
        let s = p.docs[1].spans["/b"];
        assert_eq!(s.start, 12);
    }

    #[test]
    fn merge_keys_and_aliases() {
        let d = one("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n");
        assert_eq!(d.value["derived"]["x"], 1);
        assert_eq!(d.value["derived"]["y"], 3);
    }

    #[test]
    fn cloudformation_intrinsics_become_json_form() {
        let d = one(
            "A: !Ref Param\nB: !GetAtt Res.Arn\nC: !Sub\n  - '${X}'\n  - {X: 1}\nD: !!str 12\n",
        );
        assert_eq!(d.value["A"]["Ref"], "Param");
        assert_eq!(d.value["B"]["Fn::GetAtt"][1], "Arn");
        assert_eq!(d.value["C"]["Fn::Sub"][0], "${X}");
        assert_eq!(d.value["D"], "12");
    }

    #[test]
    fn alias_bomb_is_refused() {
        use std::fmt::Write as _;
        let mut src = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
        let mut prev = "a";
        for n in names {
            let refs = vec![format!("*{prev}"); 9].join(",");
            let _ = writeln!(src, "{n}: &{n} [{refs}]");
            prev = n;
        }
        let p = parse(&src, &Limits::default());
        let e = p.error.expect("bomb must be refused");
        assert!(e.message.contains("alias expansion"), "{}", e.message);
    }

    #[test]
    fn flow_indentation_retries_insert_at_most_twice_the_text_length() {
        // Found by fuzz/parse_yaml: the retries doubled the spaces before one line 24 times,
        // 8 million spaces for this 132-byte file (1.6 s per parse in the fuzz build).
        let src = "bs: 2}\nsvc:\n    env[: {name\r A, vasiltlu: [*b,<<: *b\n <<:2}\nSvc:\n  <<: *b\n  env[: {name\r A, vasiltlu: [*b, *b]\ntexlti lineulti line\n";
        assert_eq!(src.len(), 132);
        for limits in [
            Limits::default(),
            Limits {
                max_depth: 32,
                max_alias_nodes: 2_000,
                ..Limits::default()
            },
        ] {
            let (parsed, shifts) = parse_shifted(src, &limits);
            assert!(parsed.error.is_some());
            assert!(shifts.retries >= 2, "the shifting path is not exercised");
            assert!(
                shifts.total() <= 2 * src.len(),
                "{} spaces inserted into {} bytes",
                shifts.total(),
                src.len()
            );
        }
    }

    #[test]
    fn flow_collections_ignore_indentation_as_libyaml_does() {
        // A closing bracket at its key's column, and items left of it: PyYAML loads both.
        let src = "tasks:\n  t1:\n    args: [\n      'a',\n    'b',\n    ]\n    env: {\nx: 1,\n    }\n    after: é\n";
        let d = one(src);
        assert_eq!(
            d.value["tasks"]["t1"]["args"],
            serde_json::json!(["a", "b"])
        );
        assert_eq!(d.value["tasks"]["t1"]["env"]["x"], 1);
        // Positions are the original text's.
        for (p, want) in [
            ("/tasks/t1/args/1", "'b'"),
            ("/tasks/t1/env/x", "1"),
            ("/tasks/t1/after", "é"),
        ] {
            assert_eq!(&src[d.spans[p].range()], want, "{p}");
        }
        // Block context keeps its rules: these stay errors.
        for bad in ["a:\n    b: 1\n  c: 2\n", "a: 1\nb: [1, 2\nc: 3\n"] {
            assert!(parse(bad, &Limits::default()).error.is_some(), "{bad}");
        }
    }

    #[test]
    fn syntax_error_has_location() {
        let src = "a: 1\nb: [1, 2\nc: 3\n";
        let p = parse(src, &Limits::default());
        let e = p.error.expect("error");
        assert!(e.span.is_some());
    }
}

#[cfg(test)]
mod complex_key_tests {
    use super::*;

    #[test]
    fn nested_complex_keys_render_in_bounded_space() {
        let mut key = "{x: 1}".to_owned();
        for _ in 0..29 {
            key = format!("{{{key}: 1}}");
        }
        let src = format!("? {key}\n: 1\n");
        let parsed = parse(&src, &Limits::default());
        assert!(parsed.error.is_none(), "{:?}", parsed.error);
        let doc = &parsed.docs[0];
        let map = doc.value.as_object().expect("a mapping");
        let rendered = map.keys().next().expect("one key");
        assert!(
            rendered.len() <= MAX_KEY_RENDER + '…'.len_utf8(),
            "{}",
            rendered.len()
        );
        assert!(rendered.ends_with('…'));
    }
}
