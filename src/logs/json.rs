//! JSON record lines read in place: one validating pass over the line, then only the members
//! the source maps are looked at, borrowed from the line.
//!
//! Parsing every JSONL record into a `serde_json::Value` (an ordered map with an owned key and
//! value per member) cost more than everything else the log scan does per line. The aggregates
//! need a dozen scalars of a record, so [`Record::parse`] checks that the line is one JSON
//! object, as strictly as serde_json does (same grammar, whitespace, escapes, depth and number
//! range), and keeps the byte ranges of its top-level members; [`Node`] then reads values out
//! of the line on demand. Anything this reader is unsure of (a line it does not accept) goes the
//! serde_json way instead, so a record's fields never depend on which reader read it: the two
//! are held to the same results by tests.

use std::borrow::Cow;

use serde_json::{Number, Value};

/// Nesting accepted in place; deeper lines take the serde_json path (which allows 128).
const MAX_DEPTH: usize = 64;

/// The value of a record's member, whatever reader produced it: a `serde_json::Value`, or a
/// validated [`Raw`] slice of the line.
pub trait Node<'a>: Copy {
    /// A string's text (`None` for anything else).
    fn string(self) -> Option<Cow<'a, str>>;
    /// A number, as serde_json would hold it.
    fn number(self) -> Option<Number>;
    fn boolean(self) -> Option<bool>;
    fn is_null(self) -> bool;
    /// An object's member (the last of duplicates, as serde_json keeps); `None` for
    /// anything but an object.
    fn get(self, key: &str) -> Option<Self>;
    /// The members of an object named `keys[i]`, into `out[i]` (the last of duplicates; left
    /// as they are for keys it lacks): what `get` gives for each key, in one pass.
    fn get_many(self, keys: &[String], out: &mut [Option<Self>]) {
        for (k, o) in keys.iter().zip(out.iter_mut()) {
            if let Some(v) = self.get(k) {
                *o = Some(v);
            }
        }
    }
    /// An array's element.
    fn index(self, i: usize) -> Option<Self>;
    /// Whether some element of an array satisfies `f` (`None`: not an array).
    fn any_item(self, f: &mut dyn FnMut(Self) -> bool) -> Option<bool>;
    fn is_object(self) -> bool;
}

impl<'a> Node<'a> for &'a Value {
    fn string(self) -> Option<Cow<'a, str>> {
        self.as_str().map(Cow::Borrowed)
    }
    fn number(self) -> Option<Number> {
        match self {
            Value::Number(n) => Some(n.clone()),
            _ => None,
        }
    }
    fn boolean(self) -> Option<bool> {
        self.as_bool()
    }
    fn is_null(self) -> bool {
        Value::is_null(self)
    }
    fn get(self, key: &str) -> Option<Self> {
        match self {
            Value::Object(m) => m.get(key),
            _ => None,
        }
    }
    fn index(self, i: usize) -> Option<Self> {
        match self {
            Value::Array(a) => a.get(i),
            _ => None,
        }
    }
    fn any_item(self, f: &mut dyn FnMut(Self) -> bool) -> Option<bool> {
        match self {
            Value::Array(a) => Some(a.iter().any(f)),
            _ => None,
        }
    }
    fn is_object(self) -> bool {
        Value::is_object(self)
    }
}

/// The text of one validated JSON value inside a line (no surrounding whitespace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raw<'a>(&'a str);

impl<'a> Raw<'a> {
    fn first(self) -> u8 {
        self.0.as_bytes().first().copied().unwrap_or(b' ')
    }

    /// The members of an object, in order (duplicates included).
    fn members(self) -> Members<'a> {
        Members {
            b: self.0.as_bytes(),
            s: self.0,
            i: 1,
            done: self.first() != b'{',
        }
    }

    /// The elements of an array, in order.
    fn items(self) -> Items<'a> {
        Items {
            b: self.0.as_bytes(),
            s: self.0,
            i: 1,
            done: self.first() != b'[',
        }
    }
}

/// A validated string token's text: the slice between its quotes, or the unescaped text.
fn string_text(token: &str) -> Option<Cow<'_, str>> {
    let inner = token.get(1..token.len().checked_sub(1)?)?;
    if inner.contains('\\') {
        serde_json::from_str::<String>(token).ok().map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(inner))
    }
}

/// Whether a validated key token's text is `key`: compared in place, unescaped only when the
/// token holds an escape (text without one is its own value).
fn key_is(token: &str, key: &str) -> bool {
    let Some(inner) = token.get(1..token.len().saturating_sub(1)) else {
        return false;
    };
    if inner == key && !key.contains('\\') {
        return true;
    }
    inner.contains('\\') && string_text(token).is_some_and(|k| k == key)
}

impl<'a> Node<'a> for Raw<'a> {
    fn string(self) -> Option<Cow<'a, str>> {
        if self.first() == b'"' {
            string_text(self.0)
        } else {
            None
        }
    }
    fn number(self) -> Option<Number> {
        let b = self.0.as_bytes();
        match b.first() {
            Some(b'-' | b'0'..=b'9') => {}
            _ => return None,
        }
        // Plain non-negative integers that fit: what serde_json reads as an unsigned number.
        if b.len() <= 19 && b.iter().all(u8::is_ascii_digit) {
            let mut v = 0u64;
            for c in b {
                v = v * 10 + u64::from(c - b'0');
            }
            return Some(Number::from(v));
        }
        serde_json::from_str::<Number>(self.0).ok()
    }
    fn boolean(self) -> Option<bool> {
        match self.0 {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
    fn is_null(self) -> bool {
        self.0 == "null"
    }
    fn get(self, key: &str) -> Option<Self> {
        let mut found = None;
        for (k, v) in self.members() {
            if key_is(k, key) {
                found = Some(v);
            }
        }
        found
    }
    fn get_many(self, keys: &[String], out: &mut [Option<Self>]) {
        for (k, v) in self.members() {
            for (key, o) in keys.iter().zip(out.iter_mut()) {
                if key_is(k, key) {
                    *o = Some(v);
                }
            }
        }
    }
    fn index(self, i: usize) -> Option<Self> {
        self.items().nth(i)
    }
    fn any_item(self, f: &mut dyn FnMut(Self) -> bool) -> Option<bool> {
        if self.first() != b'[' {
            return None;
        }
        Some(self.items().any(f))
    }
    fn is_object(self) -> bool {
        self.first() == b'{'
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\n' | b'\t' | b'\r')) {
        i += 1;
    }
    i
}

/// The end of the (already validated) value starting at `i`.
fn value_end(b: &[u8], mut i: usize) -> usize {
    match b.get(i) {
        Some(b'"') => string_end(b, i),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            while let Some(&c) = b.get(i) {
                match c {
                    b'"' => {
                        i = string_end(b, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            i
        }
        _ => {
            while b
                .get(i)
                .is_some_and(|c| !matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\t' | b'\r'))
            {
                i += 1;
            }
            i
        }
    }
}

/// The end (after the closing quote) of the validated string starting at `i`.
fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// Members of a validated object: `(key token, value)`.
struct Members<'a> {
    b: &'a [u8],
    s: &'a str,
    i: usize,
    done: bool,
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, Raw<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let b = self.b;
        let i = skip_ws(b, self.i);
        if b.get(i) != Some(&b'"') {
            self.done = true;
            return None;
        }
        let key_end = string_end(b, i);
        let colon = skip_ws(b, key_end);
        let v = skip_ws(b, colon + 1);
        let v_end = value_end(b, v);
        let after = skip_ws(b, v_end);
        self.i = after + 1;
        if b.get(after) != Some(&b',') {
            self.done = true;
        }
        Some((self.s.get(i..key_end)?, Raw(self.s.get(v..v_end)?)))
    }
}

/// Elements of a validated array.
struct Items<'a> {
    b: &'a [u8],
    s: &'a str,
    i: usize,
    done: bool,
}

impl<'a> Iterator for Items<'a> {
    type Item = Raw<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let b = self.b;
        let v = skip_ws(b, self.i);
        if matches!(b.get(v), Some(b']') | None) {
            self.done = true;
            return None;
        }
        let v_end = value_end(b, v);
        let after = skip_ws(b, v_end);
        self.i = after + 1;
        if b.get(after) != Some(&b',') {
            self.done = true;
        }
        Some(Raw(self.s.get(v..v_end)?))
    }
}

/// A strict validating reader (serde_json's grammar). Errors are `None`.
struct Validator<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl Validator<'_> {
    fn ws(&mut self) {
        self.i = skip_ws(self.b, self.i);
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        match *self.b.get(self.i)? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => self.string(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.b.get(self.i..self.i + word.len())? == word {
            self.i += word.len();
            Some(())
        } else {
            None
        }
    }

    fn object(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.i += 1;
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Some(());
        }
        loop {
            if self.b.get(self.i) != Some(&b'"') {
                return None;
            }
            self.string()?;
            self.ws();
            if self.b.get(self.i) != Some(&b':') {
                return None;
            }
            self.i += 1;
            self.ws();
            self.value(depth)?;
            self.ws();
            match self.b.get(self.i)? {
                b',' => {
                    self.i += 1;
                    self.ws();
                }
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.i += 1;
        self.ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            return Some(());
        }
        loop {
            self.value(depth)?;
            self.ws();
            match self.b.get(self.i)? {
                b',' => {
                    self.i += 1;
                    self.ws();
                }
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn string(&mut self) -> Option<()> {
        let start = self.i;
        let mut i = start + 1;
        let mut unicode = false;
        loop {
            // Jump to the next quote, backslash or control character.
            let rest = self.b.get(i..)?;
            let k = rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
            i += k;
            match self.b.get(i)? {
                b'"' => break,
                b'\\' => {
                    match self.b.get(i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => unicode = true,
                        _ => return None,
                    }
                    i += 2;
                }
                _ => return None,
            }
        }
        self.i = i + 1;
        // `\u` escapes (surrogate pairs and all) are judged by serde_json itself.
        if unicode {
            serde_json::from_str::<String>(self.s.get(start..self.i)?).ok()?;
        }
        Some(())
    }

    fn number(&mut self) -> Option<()> {
        let start = self.i;
        let b = self.b;
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let plain_start = i;
        match b.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => return None,
        }
        let mut plain = i - plain_start <= 19 && start == plain_start;
        if b.get(i) == Some(&b'.') {
            plain = false;
            i += 1;
            if !b.get(i)?.is_ascii_digit() {
                return None;
            }
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            plain = false;
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !b.get(i)?.is_ascii_digit() {
                return None;
            }
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        // A digit right after `0` (`01`) is an error for serde_json too: the caller sees it
        // as an unexpected character.
        self.i = i;
        if !plain {
            // Range (`1e400`) and big integers: serde_json decides.
            serde_json::from_str::<Number>(self.s.get(start..i)?).ok()?;
        }
        Some(())
    }
}

/// A JSONL line read in place: its top-level members.
#[derive(Debug, Default)]
pub struct Record {
    /// `(key token start, key token end, value start, value end)` of each top-level member.
    members: Vec<(usize, usize, usize, usize)>,
}

impl Record {
    /// Read `line` (already trimmed) as one JSON object; `false` when it is not one that this
    /// reader accepts (then serde_json decides). The buffer is reused across lines.
    pub fn parse(&mut self, line: &str) -> bool {
        self.members.clear();
        let b = line.as_bytes();
        if b.first() != Some(&b'{') {
            return false;
        }
        let mut v = Validator { s: line, b, i: 1 };
        v.ws();
        if v.b.get(v.i) == Some(&b'}') {
            v.i += 1;
        } else {
            loop {
                if v.b.get(v.i) != Some(&b'"') {
                    return false;
                }
                let key_start = v.i;
                if v.string().is_none() {
                    return false;
                }
                let key_end = v.i;
                v.ws();
                if v.b.get(v.i) != Some(&b':') {
                    return false;
                }
                v.i += 1;
                v.ws();
                let value_start = v.i;
                if v.value(1).is_none() {
                    return false;
                }
                self.members.push((key_start, key_end, value_start, v.i));
                v.ws();
                match v.b.get(v.i) {
                    Some(b',') => {
                        v.i += 1;
                        v.ws();
                    }
                    Some(b'}') => {
                        v.i += 1;
                        break;
                    }
                    _ => return false,
                }
            }
        }
        v.ws();
        v.i == b.len()
    }

    /// The top-level members of the line last parsed: `(key, value)`, duplicates included
    /// (the last one is the member, as in serde_json).
    pub fn members<'s, 'a: 's>(
        &'s self,
        line: &'a str,
    ) -> impl Iterator<Item = (Cow<'a, str>, Raw<'a>)> + 's {
        self.members.iter().filter_map(move |&(ks, ke, vs, ve)| {
            Some((string_text(line.get(ks..ke)?)?, Raw(line.get(vs..ve)?)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(s: &str) -> bool {
        Record::default().parse(s)
    }

    #[test]
    fn accepts_only_what_serde_json_accepts_as_an_object() {
        for s in [
            r"{}",
            r#"{"a":1}"#,
            r#"{ "a" : [1, 2.5, -3e2, true, false, null, "x\"y\\u00e9"] , "b": {"c": {}}}"#,
            r#"{"a":"\ud83d\ude00"}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"n":18446744073709551615,"m":18446744073709551616,"k":-0}"#,
        ] {
            assert!(accepts(s), "{s}");
            assert!(serde_json::from_str::<Value>(s).is_ok(), "{s}");
        }
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        for s in [
            "",
            "{",
            "[1]",
            r#"{"a":1,}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":1e}"#,
            r#"{"a":1e400}"#,
            r#"{"a":+1}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\ud83d"}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":tru}"#,
            r#"{"a":1} x"#,
            r#"{"a" 1}"#,
            r"{a:1}",
            r#"{"a":[1,]}"#,
            r#"{"a":[1 2]}"#,
            deep.as_str(),
        ] {
            assert!(!accepts(s), "accepted {s}");
        }
    }

    #[test]
    fn values_read_in_place_are_what_serde_json_reads() {
        let line = r#"{"s":"plain","e":"a\"b\n\u00e9","n":42,"f":0.000375,"neg":-7,"big":1e3,"t":true,"z":null,"o":{"k":1,"k":2,"in":{"x":[10,{"y":"deep"}]}},"arr":[ 1 , "two" , [3] ]}"#;
        let mut r = Record::default();
        assert!(r.parse(line));
        let value: Value = serde_json::from_str(line).unwrap();
        let members: Vec<(Cow<'_, str>, Raw<'_>)> = r.members(line).collect();
        assert_eq!(members.len(), 10);
        let raw = |k: &str| members.iter().rev().find(|(x, _)| x == k).unwrap().1;
        for k in ["s", "e"] {
            assert_eq!(raw(k).string(), (&value[k]).string());
        }
        for k in ["n", "f", "neg", "big"] {
            assert_eq!(raw(k).number(), (&value[k]).number(), "{k}");
        }
        assert_eq!(raw("t").boolean(), Some(true));
        assert!(raw("z").is_null());
        let o = raw("o");
        assert_eq!(o.get("k").and_then(Node::number), Some(Number::from(2)));
        let y = o
            .get("in")
            .and_then(|v| v.get("x"))
            .and_then(|v| v.index(1))
            .and_then(|v| v.get("y"))
            .and_then(Node::string);
        assert_eq!(y.as_deref(), Some("deep"));
        let arr = raw("arr");
        assert_eq!(arr.index(1).and_then(Node::string).as_deref(), Some("two"));
        assert_eq!(arr.index(3), None);
        let mut n = 0;
        assert_eq!(
            arr.any_item(&mut |_| {
                n += 1;
                false
            }),
            Some(false)
        );
        assert_eq!(n, 3);
        assert_eq!(raw("s").get("x"), None);
    }
}
