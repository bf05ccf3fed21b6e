//! `.proto` schemas for the text format: conftest's `--proto-file-dirs`.
//!
//! conftest loads every `*.proto` file under the directories given, reads each text-format
//! file as the message its `# proto-message: pkg.Type` comment names, and gives policies the
//! message as protojson writes it with the proto field names. This module reads the
//! declarations that decide that document — `syntax`, `package`, messages (nested too),
//! fields with their labels, types and `map<K, V>`, `oneof`, enums — and skips what does not
//! (options, services, `reserved`, `extensions`, `extend`, imports: every file of the
//! directories is loaded, so an imported type is found wherever it is declared).
//!
//! [`Schema::decode`] then turns the schema-less reading of a file
//! ([`super::textproto::parse`]) into protojson's shape:
//!
//! - a `repeated` field is an array even with one element; a field written twice that is not
//!   repeated is an error, as is a field the message does not declare;
//! - 64-bit integers are strings, enums their value names, `bytes` base64;
//! - a `map<K, V>` field, written as repeated `{key: … value: …}` entries, is an object;
//! - a proto3 field without explicit presence (no `optional`) that holds its default value
//!   (`0`, `""`, `false`, the first enum value) is left out, as protojson leaves it out.
//!
//! A file without the comment, or naming a type no loaded file declares, is an error with
//! conftest's wording. Well-known types (`google.protobuf.Timestamp` …) have their own JSON
//! mapping in protojson; a field of one is refused with a message rather than misread.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Map, Value};

use super::cursor::Cursor;
use super::{ParseError, Parsed};
use crate::document::{push_token, SpanMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    /// proto3 without `optional`: the default value is not written.
    Implicit,
    /// proto2 `optional`/`required`, proto3 `optional`, members of a `oneof`.
    Explicit,
    Repeated,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Type {
    Scalar(&'static str),
    /// A message or enum, by the name as written (resolved when decoding).
    Named(String),
    Map(&'static str, Box<Type>),
}

#[derive(Debug, Clone)]
struct Field {
    name: String,
    label: Label,
    ty: Type,
}

#[derive(Debug, Clone, Default)]
struct Message {
    fields: Vec<Field>,
}

/// The messages and enums of every loaded `.proto` file, by full name (`pkg.Outer.Inner`).
#[derive(Debug, Clone, Default)]
pub struct Schema {
    messages: BTreeMap<String, Message>,
    /// Enum full name → (number → value name), and the first value (the default).
    enums: BTreeMap<String, (BTreeMap<i64, String>, String)>,
}

/// How deeply messages may nest in a `.proto` file (a bound on recursion, far above real
/// schemas).
const MAX_NESTING: usize = 64;

const SCALARS: [&str; 15] = [
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32",
    "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
];

impl Schema {
    /// Every `*.proto` file under `dirs` (recursively, in name order), as conftest loads them.
    pub fn load_dirs(dirs: &[PathBuf]) -> Result<Self, String> {
        let mut schema = Self::default();
        let mut found = 0;
        for dir in dirs {
            for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
                let entry =
                    entry.map_err(|e| format!("--proto-file-dirs {}: {e}", dir.display()))?;
                let path = entry.path();
                if !entry.file_type().is_file() || path.extension().is_none_or(|x| x != "proto") {
                    continue;
                }
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                schema
                    .add_file(&text)
                    .map_err(|e| format!("{}: {}", path.display(), located(&text, &e)))?;
                found += 1;
            }
        }
        if found == 0 {
            return Err(format!(
                "--proto-file-dirs {}: no .proto files found",
                dirs.iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(schema)
    }

    /// Add the declarations of one `.proto` file.
    pub fn add_file(&mut self, text: &str) -> Result<(), ParseError> {
        let mut c = Cursor::new(text);
        let mut package = String::new();
        let mut proto3 = false;
        loop {
            let Some(word) = token(&mut c)? else {
                return Ok(());
            };
            match word.as_str() {
                "syntax" | "edition" => {
                    expect(&mut c, "=")?;
                    let v = token(&mut c)?.unwrap_or_default();
                    proto3 = word == "syntax" && v.trim_matches(['"', '\'']) == "proto3";
                    expect(&mut c, ";")?;
                }
                "package" => {
                    package = token(&mut c)?.unwrap_or_default();
                    expect(&mut c, ";")?;
                }
                "message" => self.message(&mut c, &package, proto3, 0)?,
                "enum" => self.enumeration(&mut c, &package)?,
                ";" => {}
                // import, option, service, extend …: to the end of the statement or block.
                _ => skip_statement(&mut c)?,
            }
        }
    }

    fn message(
        &mut self,
        c: &mut Cursor<'_>,
        scope: &str,
        proto3: bool,
        depth: usize,
    ) -> Result<(), ParseError> {
        if depth > MAX_NESTING {
            return Err(c.error(format!(
                "messages nested deeper than {MAX_NESTING} levels; refusing to read"
            )));
        }
        let name = token(c)?.ok_or_else(|| c.error("expected a message name"))?;
        let full = join(scope, &name);
        expect(c, "{")?;
        let mut msg = Message::default();
        self.message_body(c, &full, proto3, &mut msg, false, depth)?;
        self.messages.insert(full, msg);
        Ok(())
    }

    /// Fields and nested declarations up to the closing `}` (consumed).
    fn message_body(
        &mut self,
        c: &mut Cursor<'_>,
        full: &str,
        proto3: bool,
        msg: &mut Message,
        in_oneof: bool,
        depth: usize,
    ) -> Result<(), ParseError> {
        if depth > MAX_NESTING {
            return Err(c.error(format!(
                "messages nested deeper than {MAX_NESTING} levels; refusing to read"
            )));
        }
        loop {
            let at = c.pos;
            let Some(word) = token(c)? else {
                return Err(c.error_at("message is never closed", at));
            };
            match word.as_str() {
                "}" => return Ok(()),
                ";" => {}
                "message" => self.message(c, full, proto3, depth + 1)?,
                "enum" => self.enumeration(c, full)?,
                "oneof" => {
                    let _name = token(c)?;
                    expect(c, "{")?;
                    self.message_body(c, full, proto3, msg, true, depth + 1)?;
                }
                "option" | "reserved" | "extensions" | "extend" => skip_statement(c)?,
                "group" => return Err(c.error_at("proto2 groups are not supported", at)),
                _ => {
                    let (label, ty_word) = match word.as_str() {
                        "repeated" => (Label::Repeated, token(c)?.unwrap_or_default()),
                        "optional" | "required" => (Label::Explicit, token(c)?.unwrap_or_default()),
                        _ if in_oneof || !proto3 => (Label::Explicit, word),
                        _ => (Label::Implicit, word),
                    };
                    let ty = if ty_word == "map" {
                        expect(c, "<")?;
                        let k = token(c)?.unwrap_or_default();
                        expect(c, ",")?;
                        let v = token(c)?.unwrap_or_default();
                        expect(c, ">")?;
                        let key = SCALARS.iter().find(|s| **s == k).ok_or_else(|| {
                            c.error_at(format!("map key type {k} is not a scalar"), at)
                        })?;
                        Type::Map(key, Box::new(type_of(&v)))
                    } else {
                        type_of(&ty_word)
                    };
                    let name = token(c)?.ok_or_else(|| c.error("expected a field name"))?;
                    expect(c, "=")?;
                    let _number = token(c)?;
                    skip_statement(c)?;
                    let label = if matches!(ty, Type::Map(..)) {
                        Label::Repeated
                    } else {
                        label
                    };
                    msg.fields.push(Field { name, label, ty });
                }
            }
        }
    }

    fn enumeration(&mut self, c: &mut Cursor<'_>, scope: &str) -> Result<(), ParseError> {
        let name = token(c)?.ok_or_else(|| c.error("expected an enum name"))?;
        expect(c, "{")?;
        let mut values = BTreeMap::new();
        let mut first = None;
        loop {
            let at = c.pos;
            let Some(word) = token(c)? else {
                return Err(c.error_at("enum is never closed", at));
            };
            match word.as_str() {
                "}" => break,
                ";" => {}
                "option" | "reserved" => skip_statement(c)?,
                _ => {
                    expect(c, "=")?;
                    let mut n = token(c)?.unwrap_or_default();
                    if n == "-" {
                        n = format!("-{}", token(c)?.unwrap_or_default());
                    }
                    let number = parse_int(&n).ok_or_else(|| {
                        c.error_at(format!("enum value {word}: bad number {n}"), at)
                    })?;
                    skip_statement(c)?;
                    first.get_or_insert_with(|| word.clone());
                    values.entry(number).or_insert(word);
                }
            }
        }
        self.enums
            .insert(join(scope, &name), (values, first.unwrap_or_default()));
        Ok(())
    }

    /// The full name `name` (as written in message `scope`) refers to: the innermost scope
    /// that declares it, as protobuf resolves names.
    fn resolve(&self, scope: &str, name: &str) -> Option<String> {
        if let Some(full) = name.strip_prefix('.') {
            return self.declares(full).then(|| full.to_owned());
        }
        let mut scope = scope.to_owned();
        loop {
            let candidate = join(&scope, name);
            if self.declares(&candidate) {
                return Some(candidate);
            }
            if scope.is_empty() {
                return None;
            }
            scope = scope
                .rsplit_once('.')
                .map_or(String::new(), |(s, _)| s.to_owned());
        }
    }

    fn declares(&self, full: &str) -> bool {
        self.messages.contains_key(full) || self.enums.contains_key(full)
    }

    /// A text-format document (read without a schema) as protojson gives it, with the
    /// message type its `# proto-message:` comment names.
    pub fn decode(&self, source: &str, mut parsed: Parsed) -> Parsed {
        if parsed.error.is_some() {
            return parsed;
        }
        let Some(ty) = message_type(source) else {
            return Parsed::failed(ParseError::at(
                "extract proto message type: file does not contain necessary proto-message comment",
                0,
            ));
        };
        if !self.messages.contains_key(&ty) {
            return Parsed::failed(ParseError::at(
                format!("look up message type \"{ty}\": proto: not found"),
                0,
            ));
        }
        let Some(doc) = parsed.docs.first_mut() else {
            return parsed;
        };
        let value = std::mem::take(&mut doc.value);
        match self.message_value(&ty, value, "", &mut doc.spans) {
            Ok(v) => {
                doc.value = v;
                parsed
            }
            Err((message, pointer)) => {
                let at = doc.spans.get(&pointer).map_or(0, |s| s.start);
                Parsed::failed(ParseError::at(
                    format!("unmarshal textproto: {message}"),
                    at,
                ))
            }
        }
    }

    fn message_value(
        &self,
        ty: &str,
        value: Value,
        pointer: &str,
        spans: &mut SpanMap,
    ) -> Result<Value, (String, String)> {
        let Value::Object(fields) = value else {
            return Err((format!("{ty}: expected a message"), pointer.to_owned()));
        };
        let msg = self
            .messages
            .get(ty)
            .ok_or_else(|| (format!("unknown message type {ty}"), pointer.to_owned()))?;
        let mut out = Map::new();
        for (name, v) in fields {
            let p = push_token(pointer, &name);
            let field = msg
                .fields
                .iter()
                .find(|f| f.name == name)
                .ok_or_else(|| (format!("unknown field: {name} (in {ty})"), p.clone()))?;
            let scope = ty;
            let converted = match (&field.ty, field.label) {
                (Type::Map(key, value_ty), _) => {
                    self.map_value(scope, &name, key, value_ty, v, &p, spans)?
                }
                (ty_, Label::Repeated) => {
                    let items = match v {
                        Value::Array(a) => a,
                        one => {
                            // One element: its span is also the first element's.
                            if let Some(s) = spans.get(&p).copied() {
                                spans.insert(push_token(&p, "0"), s);
                            }
                            vec![one]
                        }
                    };
                    let mut out_items = Vec::with_capacity(items.len());
                    for (i, item) in items.into_iter().enumerate() {
                        out_items.push(self.single(
                            scope,
                            ty_,
                            item,
                            &push_token(&p, &i.to_string()),
                            spans,
                        )?);
                    }
                    if out_items.is_empty() {
                        continue;
                    }
                    Value::Array(out_items)
                }
                (_, label) => {
                    if matches!(v, Value::Array(_)) {
                        return Err((format!("non-repeated field \"{name}\" is repeated"), p));
                    }
                    let converted = self.single(scope, &field.ty, v, &p, spans)?;
                    if label == Label::Implicit && self.is_default(scope, &field.ty, &converted) {
                        continue;
                    }
                    converted
                }
            };
            out.insert(name, converted);
        }
        Ok(Value::Object(out))
    }

    /// A `map<K, V>` field: its `{key: … value: …}` entries as one object.
    #[allow(clippy::too_many_arguments)]
    fn map_value(
        &self,
        scope: &str,
        name: &str,
        key_ty: &str,
        value_ty: &Type,
        v: Value,
        pointer: &str,
        spans: &mut SpanMap,
    ) -> Result<Value, (String, String)> {
        let entries = match v {
            Value::Array(a) => a,
            one => vec![one],
        };
        let mut object = Map::new();
        for (i, entry) in entries.into_iter().enumerate() {
            let entry_pointer = push_token(pointer, &i.to_string());
            let Value::Object(mut fields) = entry else {
                return Err((
                    format!("{name}: a map entry must be a message"),
                    entry_pointer,
                ));
            };
            let key = fields.remove("key").unwrap_or(Value::Null);
            let key = match scalar(key_ty, key, &entry_pointer)? {
                Value::String(text) => text,
                other => other.to_string(),
            };
            let value = fields.remove("value").unwrap_or(Value::Null);
            let value = if value.is_null() {
                self.default_of(scope, value_ty)
            } else {
                let value_pointer = push_token(&entry_pointer, "value");
                self.single(scope, value_ty, value, &value_pointer, spans)?
            };
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }

    /// One value of a field of type `ty` declared in message `scope`.
    fn single(
        &self,
        scope: &str,
        ty: &Type,
        v: Value,
        pointer: &str,
        spans: &mut SpanMap,
    ) -> Result<Value, (String, String)> {
        match ty {
            Type::Scalar(s) => scalar(s, v, pointer),
            Type::Map(..) => Err((
                "a map cannot be nested directly".to_owned(),
                pointer.to_owned(),
            )),
            Type::Named(name) => {
                let full = self.resolve(scope, name).ok_or_else(|| {
                    (
                        if name.starts_with("google.protobuf.") {
                            format!("well-known type {name} is not supported")
                        } else {
                            format!("type {name} is not declared in the loaded .proto files")
                        },
                        pointer.to_owned(),
                    )
                })?;
                if let Some((values, _)) = self.enums.get(&full) {
                    return match v {
                        Value::String(s) if values.values().any(|n| *n == s) => {
                            Ok(Value::String(s))
                        }
                        Value::Number(n) => Ok(n
                            .as_i64()
                            .and_then(|i| values.get(&i))
                            .map_or(Value::Number(n), |s| Value::String(s.clone()))),
                        other => Err((
                            format!("invalid value for enum field {full}: {other}"),
                            pointer.to_owned(),
                        )),
                    };
                }
                self.message_value(&full, v, pointer, spans)
            }
        }
    }
}

/// One value of a scalar field of type `ty`, as protojson writes it.
fn scalar(ty: &str, v: Value, pointer: &str) -> Result<Value, (String, String)> {
    let bad = |v: &Value| {
        Err((
            format!("invalid value for {ty} field: {v}"),
            pointer.to_owned(),
        ))
    };
    match ty {
        "string" => match v {
            Value::String(_) => Ok(v),
            other => bad(&other),
        },
        "bytes" => match v {
            Value::String(s) => Ok(Value::String(base64(s.as_bytes()))),
            other => bad(&other),
        },
        "bool" => match v {
            Value::Bool(_) => Ok(v),
            Value::Number(ref n) if n.as_u64() == Some(0) => Ok(Value::Bool(false)),
            Value::Number(ref n) if n.as_u64() == Some(1) => Ok(Value::Bool(true)),
            other => bad(&other),
        },
        "double" | "float" => match v {
            Value::Number(_) => Ok(v),
            Value::String(ref s)
                if ["inf", "infinity", "-inf", "-infinity", "nan"]
                    .contains(&s.to_ascii_lowercase().as_str()) =>
            {
                Ok(Value::String(
                    match s.to_ascii_lowercase().trim_start_matches('-') {
                        "nan" => "NaN",
                        _ if s.starts_with('-') => "-Infinity",
                        _ => "Infinity",
                    }
                    .to_owned(),
                ))
            }
            other => bad(&other),
        },
        _ => {
            let Value::Number(n) = &v else {
                return bad(&v);
            };
            if !(n.is_i64() || n.is_u64()) {
                return bad(&v);
            }
            // protojson writes 64-bit integers as strings.
            if ty.ends_with("64") {
                Ok(Value::String(n.to_string()))
            } else {
                Ok(v)
            }
        }
    }
}

impl Schema {
    fn default_of(&self, scope: &str, ty: &Type) -> Value {
        match ty {
            Type::Scalar("string" | "bytes") => Value::String(String::new()),
            Type::Scalar("bool") => Value::Bool(false),
            Type::Scalar(s) if s.ends_with("64") => Value::String("0".to_owned()),
            Type::Scalar(_) => Value::from(0),
            Type::Map(..) => Value::Object(Map::new()),
            Type::Named(name) => self
                .resolve(scope, name)
                .and_then(|full| self.enums.get(&full).map(|(_, first)| first.clone()))
                .map_or_else(|| Value::Object(Map::new()), Value::String),
        }
    }

    fn is_default(&self, scope: &str, ty: &Type, v: &Value) -> bool {
        match ty {
            // A message field that is set is written, even when empty.
            Type::Named(name)
                if self
                    .resolve(scope, name)
                    .is_some_and(|f| self.messages.contains_key(&f)) =>
            {
                false
            }
            Type::Scalar("double" | "float") => v.as_f64() == Some(0.0),
            _ => *v == self.default_of(scope, ty),
        }
    }
}

fn type_of(word: &str) -> Type {
    SCALARS
        .iter()
        .find(|s| **s == word)
        .map_or_else(|| Type::Named(word.to_owned()), |s| Type::Scalar(s))
}

fn join(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_owned()
    } else {
        format!("{scope}.{name}")
    }
}

fn parse_int(s: &str) -> Option<i64> {
    let (neg, body) = s.strip_prefix('-').map_or((false, s), |b| (true, b));
    let n = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(octal) = body.strip_prefix('0').filter(|o| !o.is_empty()) {
        i64::from_str_radix(octal, 8).ok()?
    } else {
        body.parse().ok()?
    };
    Some(if neg { -n } else { n })
}

/// The type named by the first `# proto-message: pkg.Type` comment, as conftest finds it.
pub fn message_type(source: &str) -> Option<String> {
    source.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix('#')?.trim_start();
        let rest = rest.strip_prefix("proto-message:")?.trim_start();
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        (!name.is_empty()).then_some(name)
    })
}

/// The next token of a `.proto` file: a (dotted) name or number, a quoted string, or one
/// punctuation character; comments (`//`, `/* */`) and blanks skipped.
fn token(c: &mut Cursor<'_>) -> Result<Option<String>, ParseError> {
    loop {
        c.skip_blank(true, &["//"], false);
        if c.starts_with("/*") {
            let at = c.pos;
            let end = c
                .rest()
                .find("*/")
                .ok_or_else(|| c.error_at("comment is never closed", at))?;
            c.pos += end + 2;
            continue;
        }
        break;
    }
    let Some(ch) = c.peek() else {
        return Ok(None);
    };
    if ch == '"' || ch == '\'' {
        let s = c.quoted(ch, false)?;
        return Ok(Some(format!("\"{s}\"")));
    }
    if ch.is_alphanumeric() || ch == '_' || ch == '.' {
        let w = c.take_while(|x| x.is_alphanumeric() || x == '_' || x == '.');
        return Ok(Some(w.to_owned()));
    }
    c.bump();
    Ok(Some(ch.to_string()))
}

fn expect(c: &mut Cursor<'_>, want: &str) -> Result<(), ParseError> {
    let at = c.pos;
    match token(c)? {
        Some(t) if t == want => Ok(()),
        Some(t) => Err(c.error_at(format!("expected `{want}`, found `{t}`"), at)),
        None => Err(c.error_at(format!("expected `{want}`, found the end of the file"), at)),
    }
}

/// Skip to the end of a statement: past its `;`, or past its balanced `{…}` block.
fn skip_statement(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    let at = c.pos;
    let mut depth = 0usize;
    // `[…]` options and `(…)` may hold `;` in strings only; strings are tokens.
    loop {
        let Some(t) = token(c)? else {
            return Err(c.error_at("statement is never ended", at));
        };
        match t.as_str() {
            ";" if depth == 0 => return Ok(()),
            "{" => depth += 1,
            "}" if depth == 0 => return Err(c.error_at("unexpected `}`", c.pos.saturating_sub(1))),
            "}" => {
                depth -= 1;
                if depth == 0 {
                    return Ok(());
                }
            }
            _ => {}
        }
    }
}

fn located(text: &str, e: &ParseError) -> String {
    e.span.map_or_else(
        || e.message.clone(),
        |s| {
            let (line, col) = crate::document::LineIndex::new(text).line_col(text, s.start);
            format!("{line}:{col}: {}", e.message)
        },
    )
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let idx = (n >> (18 - 6 * i)) & 63;
                out.push(char::from(T.get(idx as usize).copied().unwrap_or(b'=')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The schema `--proto-file-dirs` loaded for this run, with the directories it came from
/// (one per process, set by the command before any file is read; policy workers are handed
/// the directories and load them too).
static ACTIVE: std::sync::OnceLock<(Vec<PathBuf>, Schema)> = std::sync::OnceLock::new();

/// Load the `.proto` files of `dirs` as this run's schema.
pub fn activate(dirs: &[PathBuf]) -> Result<(), String> {
    let schema = Schema::load_dirs(dirs)?;
    let dirs = dirs
        .iter()
        .map(|d| std::path::absolute(d).unwrap_or_else(|_| d.clone()))
        .collect();
    ACTIVE
        .set((dirs, schema))
        .map_err(|_| "--proto-file-dirs: a schema is already loaded".to_owned())
}

/// This run's schema, when `--proto-file-dirs` gave one.
pub fn active() -> Option<&'static Schema> {
    ACTIVE.get().map(|(_, s)| s)
}

/// The directories of this run's schema (none without `--proto-file-dirs`).
pub fn active_dirs() -> Vec<PathBuf> {
    ACTIVE.get().map(|(d, _)| d.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Limits;

    const PROTO: &str = r#"
syntax = "proto3";
package demo.v1; // a comment

import "other.proto";
option go_package = "x/y;z";

/* block
   comment */
message Job {
  string name = 1;
  int32 retries = 2 [deprecated = true];
  int64 timeout_ms = 3;
  bool enabled = 4;
  repeated string tags = 5;
  Kind kind = 6;
  optional int32 priority = 7;
  map<string, int32> limits = 8;
  Owner owner = 9;
  bytes blob = 10;
  oneof target { string host = 11; int32 port = 12; }
  message Owner { string team = 1; repeated Owner deputies = 2; }
  reserved 20 to 25;
}

enum Kind { KIND_UNSPECIFIED = 0; BATCH = 1; STREAM = 2; }

service Jobs { rpc Run(Job) returns (Job) { option idempotency_level = NO_SIDE_EFFECTS; } }
"#;

    fn schema() -> Schema {
        let mut s = Schema::default();
        s.add_file(PROTO).unwrap();
        s
    }

    fn decode(text: &str) -> Result<Value, String> {
        let parsed = crate::parse::textproto::parse_schemaless(text, &Limits::default());
        let out = schema().decode(text, parsed);
        match out.error {
            Some(e) => Err(e.message),
            None => Ok(out.docs.into_iter().next().unwrap().value),
        }
    }

    #[test]
    fn documents_take_protojson_s_shape() {
        let v = decode(
            "# proto-message: demo.v1.Job\nname: \"etl\"\nretries: 0\ntimeout_ms: 5000\nenabled: false\ntags: \"a\"\nkind: 2\npriority: 0\nlimits { key: \"cpu\" value: 2 }\nlimits { key: \"mem\" }\nowner { team: \"data\" deputies { team: \"x\" } }\nblob: \"hi\"\nport: 0\n",
        )
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "name": "etl",
                "timeout_ms": "5000",
                "tags": ["a"],
                "kind": "STREAM",
                "priority": 0,
                "limits": {"cpu": 2, "mem": 0},
                "owner": {"team": "data", "deputies": [{"team": "x"}]},
                "blob": "aGk=",
                "port": 0,
            })
        );
    }

    #[test]
    fn what_the_schema_refuses_is_an_error_with_conftest_s_wording() {
        let e = decode("name: \"x\"\n").unwrap_err();
        assert!(e.contains("proto-message comment"), "{e}");
        let e = decode("# proto-message: demo.v1.Nope\nname: \"x\"\n").unwrap_err();
        assert!(e.contains("look up message type \"demo.v1.Nope\""), "{e}");
        let e = decode("# proto-message: demo.v1.Job\nnmae: \"x\"\n").unwrap_err();
        assert!(e.contains("unknown field: nmae"), "{e}");
        let e = decode("# proto-message: demo.v1.Job\nname: \"x\"\nname: \"y\"\n").unwrap_err();
        assert!(e.contains("non-repeated field \"name\" is repeated"), "{e}");
        let e = decode("# proto-message: demo.v1.Job\nretries: \"x\"\n").unwrap_err();
        assert!(e.contains("invalid value for int32"), "{e}");
    }

    #[test]
    fn proto_syntax_errors_have_locations() {
        let e = Schema::default()
            .add_file("syntax = \"proto3\";\nmessage A {\n  string a = 1;\n")
            .unwrap_err();
        assert!(e.message.contains("never closed"), "{}", e.message);
        assert!(e.span.is_some());
    }

    #[test]
    fn base64_matches_the_standard_alphabet_with_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        for text in [
            "message A {".repeat(10_000),
            format!("message A {{{}", "oneof o {".repeat(10_000)),
        ] {
            let e = Schema::default().add_file(&text).unwrap_err();
            assert!(e.message.contains("nested deeper"), "{}", e.message);
        }
    }
}
