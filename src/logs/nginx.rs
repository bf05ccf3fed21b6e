//! nginx (and Apache) access-log lines parsed into fields, by a `log_format` string.
//!
//! A format is a sequence of literal text and `$variables`; a variable's value runs up to the
//! literal text that follows it in the format (the last one to the end of the line, or to the
//! first space when `key=value` extras may follow). Common and combined formats are built in;
//! any other `log_format` can be configured per source. Values are kept under the variable's
//! name (`remote_addr`, `status`, …; `-` means absent), and derived fields are added: `method`,
//! `path`, `query` (percent-decoded parameters), `protocol` from `$request`; numbers for
//! `status`, byte counts and times; `timestamp` (RFC 3339) from `$time_local`, `$time_iso8601`
//! or `$msec`. `key=value` pairs after the format (`rt=0.120 urt="0.118" uaddr=…`, a common
//! extension) are kept too, under their own names, with the usual short names expanded.

use std::borrow::Cow;

use serde_json::{Map, Value};

/// nginx's predefined `combined` format.
pub const COMBINED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;
/// The Common Log Format.
pub const COMMON: &str =
    r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent"#;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    Var(String),
}

/// A compiled `log_format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFormat {
    parts: Vec<Part>,
}

impl LogFormat {
    /// Compile a `log_format` string; an error names what is wrong with it.
    pub fn new(format: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '$' {
                lit.push(c);
                continue;
            }
            let braced = chars.peek() == Some(&'{');
            if braced {
                chars.next();
            }
            let mut name = String::new();
            while let Some(&n) = chars.peek() {
                if n.is_ascii_alphanumeric() || n == '_' {
                    name.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            if braced && chars.next() != Some('}') {
                return Err(format!("unclosed `${{{name}` in log_format"));
            }
            if name.is_empty() {
                lit.push('$');
                continue;
            }
            if !lit.is_empty() {
                parts.push(Part::Lit(std::mem::take(&mut lit)));
            } else if matches!(parts.last(), Some(Part::Var(_))) {
                return Err(format!(
                    "`${name}` follows another variable with nothing between them: their values cannot be told apart"
                ));
            }
            parts.push(Part::Var(name));
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        if !parts.iter().any(|p| matches!(p, Part::Var(_))) {
            return Err("log_format has no $variable".to_owned());
        }
        Ok(Self { parts })
    }

    /// The raw `(variable, value)` pairs of a line, or `None` when the line does not have this
    /// format.
    pub fn split<'a>(&'a self, line: &'a str) -> Option<Vec<(&'a str, &'a str)>> {
        let mut out = Vec::with_capacity(self.parts.len());
        let mut rest = line;
        let mut i = 0;
        while let Some(part) = self.parts.get(i) {
            match part {
                Part::Lit(l) => rest = rest.strip_prefix(l.as_str())?,
                Part::Var(name) => {
                    let value = if let Some(Part::Lit(next)) = self.parts.get(i + 1) {
                        let end = find_unescaped(rest, next)?;
                        let v = &rest[..end];
                        rest = &rest[end..];
                        v
                    } else {
                        // The last variable: to the end, or to a space if extras follow.
                        let end = if value_may_have_spaces(name) {
                            rest.len()
                        } else {
                            rest.find(' ').unwrap_or(rest.len())
                        };
                        let v = &rest[..end];
                        rest = &rest[end..];
                        v
                    };
                    out.push((name.as_str(), value));
                }
            }
            i += 1;
        }
        for (k, v) in extras(rest) {
            out.push((k, v));
        }
        Some(out)
    }

    /// A line as a record (see the module docs), or `None` when it does not match.
    pub fn parse(&self, line: &str) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        for (k, v) in self.members(line)? {
            m.insert(k.to_owned(), v.to_value());
        }
        Some(m)
    }

    /// The members of the record [`LogFormat::parse`] makes of a line, in the order it inserts
    /// them (a later duplicate replaces an earlier one's value), with names and text borrowed
    /// from the line where they can be: what the aggregates read, without building the
    /// record's map or a JSON value per field.
    pub fn members<'a>(&'a self, line: &'a str) -> Option<Vec<(&'a str, Field<'a>)>> {
        let pairs = self.split(line)?;
        let mut m: Vec<(&'a str, Field<'a>)> = Vec::with_capacity(pairs.len() + 4);
        for (name, raw) in pairs {
            let name = expand_short(name);
            if raw == "-" || raw.is_empty() {
                continue;
            }
            let value = unescape(raw);
            // The line's own text, when nothing was unescaped: parts of it are borrowed.
            let whole = match &value {
                Cow::Borrowed(w) => Some(*w),
                Cow::Owned(_) => None,
            };
            match name {
                "request" => {
                    let mut it = value.splitn(3, ' ');
                    if let (Some(method), Some(target)) = (it.next(), it.next()) {
                        if !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase()) {
                            m.push(("method", Field::text(method, whole)));
                            insert_target(&mut m, target, whole);
                            if let Some(p) = it.next() {
                                m.push(("protocol", Field::text(p, whole)));
                            }
                        }
                    }
                }
                "request_uri" => insert_target(&mut m, &value, whole),
                "request_method" => {
                    m.push(("method", Field::Text(value.clone())));
                }
                "time_local" | "time_iso8601" | "msec" => {
                    if let Some(t) = timestamp_of(&value) {
                        m.push(("timestamp", Field::Text(Cow::Owned(t))));
                    }
                }
                _ => {}
            }
            let typed = if is_integer_var(name) {
                value.parse::<u64>().map_or(Field::Text(value), Field::Int)
            } else if is_seconds_var(name) {
                // `0.120`, or `0.118, 0.004` when several upstreams answered: the sum.
                let sum = value.split([',', ':']).try_fold(0.0f64, |acc, p| {
                    p.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .map(|x| acc + x)
                });
                match sum.and_then(serde_json::Number::from_f64) {
                    Some(n) => Field::Number(n),
                    None => Field::Text(value),
                }
            } else {
                Field::Text(value)
            };
            m.push((name, typed));
        }
        Some(m)
    }
}

/// The value of one member of an nginx record: text (borrowed from the line unless unescaped
/// or decoded), a number, or the query's parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Field<'a> {
    Text(Cow<'a, str>),
    Int(u64),
    Number(serde_json::Number),
    /// Decoded `(name, value)` pairs, the first of a repeated name only.
    Query(Vec<(Cow<'a, str>, Field<'a>)>),
}

impl<'a> Field<'a> {
    /// `part` of a value, borrowed from `whole` (the value's text in the line, when it is
    /// the line's own) or else copied.
    fn text(part: &str, whole: Option<&'a str>) -> Self {
        match whole {
            Some(w) => {
                let start = (part.as_ptr() as usize).checked_sub(w.as_ptr() as usize);
                match start.and_then(|s| w.get(s..s + part.len())) {
                    Some(x) if x.as_ptr() == part.as_ptr() => Field::Text(Cow::Borrowed(x)),
                    _ => Field::Text(Cow::Owned(part.to_owned())),
                }
            }
            None => Field::Text(Cow::Owned(part.to_owned())),
        }
    }

    /// The member's JSON value, as the record document holds it.
    pub fn to_value(&self) -> Value {
        match self {
            Field::Text(t) => Value::from(t.as_ref()),
            Field::Int(n) => Value::from(*n),
            Field::Number(n) => Value::Number(n.clone()),
            Field::Query(q) => Value::Object(
                q.iter()
                    .map(|(k, v)| (k.clone().into_owned(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

impl<'b> super::json::Node<'b> for &'b Field<'_> {
    fn string(self) -> Option<Cow<'b, str>> {
        match self {
            Field::Text(t) => Some(Cow::Borrowed(t.as_ref())),
            _ => None,
        }
    }
    fn number(self) -> Option<serde_json::Number> {
        match self {
            Field::Int(n) => Some(serde_json::Number::from(*n)),
            Field::Number(n) => Some(n.clone()),
            _ => None,
        }
    }
    fn boolean(self) -> Option<bool> {
        None
    }
    fn is_null(self) -> bool {
        false
    }
    fn get(self, key: &str) -> Option<Self> {
        match self {
            Field::Query(q) => q.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn index(self, _: usize) -> Option<Self> {
        None
    }
    fn any_item(self, _: &mut dyn FnMut(Self) -> bool) -> Option<bool> {
        None
    }
    fn is_object(self) -> bool {
        matches!(self, Field::Query(_))
    }
}

thread_local! {
    /// The last time field read on this thread and its RFC 3339 form: consecutive lines of an
    /// access log mostly share their second, and parsing and formatting the time was a tenth
    /// of the work per line.
    static LAST_TIME: std::cell::RefCell<(String, Option<String>)> =
        const { std::cell::RefCell::new((String::new(), None)) };
}

/// A time field of a line as RFC 3339 (`None` when it is not a time).
fn timestamp_of(raw: &str) -> Option<String> {
    LAST_TIME.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != raw {
            last.0.clear();
            last.0.push_str(raw);
            last.1 = super::time::parse(raw).map(super::time::format_ms);
        }
        last.1.clone()
    })
}

fn value_may_have_spaces(name: &str) -> bool {
    matches!(
        name,
        "request" | "http_user_agent" | "http_referer" | "time_local"
    )
}

/// Short names of the `key=value` extension fields nginx users commonly log.
fn expand_short(name: &str) -> &str {
    match name {
        "rt" => "request_time",
        "urt" => "upstream_response_time",
        "uct" => "upstream_connect_time",
        "uht" => "upstream_header_time",
        "us" => "upstream_status",
        "ua" | "uaddr" => "upstream_addr",
        "cs" => "upstream_cache_status",
        "rid" | "reqid" => "request_id",
        other => other,
    }
}

fn is_integer_var(name: &str) -> bool {
    matches!(
        name,
        "status"
            | "body_bytes_sent"
            | "bytes_sent"
            | "request_length"
            | "connection"
            | "pipe_requests"
    ) || name == "upstream_status"
}

fn is_seconds_var(name: &str) -> bool {
    name == "request_time" || name.starts_with("upstream_") && name.ends_with("_time")
}

/// `path?query` into `path` and `query` (percent-decoded; a repeated parameter keeps its
/// first value). `target` is a slice of `whole`.
fn insert_target<'a>(m: &mut Vec<(&'a str, Field<'a>)>, target: &str, whole: Option<&'a str>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    m.push(("path", decoded(path, whole, false)));
    if query.is_empty() {
        return;
    }
    let mut q: Vec<(Cow<'a, str>, Field<'a>)> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let Field::Text(k) = decoded(k, whole, true) else {
            continue;
        };
        if !q.iter().any(|(x, _)| *x == k) {
            q.push((k, decoded(v, whole, true)));
        }
    }
    m.push(("query", Field::Query(q)));
}

/// A percent-decoded part of `whole` (in a query, `+` is a space); borrowed when nothing
/// needs decoding.
fn decoded<'a>(part: &str, whole: Option<&'a str>, query: bool) -> Field<'a> {
    let b = part.as_bytes();
    if memchr::memchr(b'%', b).is_none() && !(query && memchr::memchr(b'+', b).is_some()) {
        return Field::text(part, whole);
    }
    Field::Text(Cow::Owned(super::percent_decode(part).unwrap_or_else(
        || {
            if query {
                part.replace('+', " ")
            } else {
                part.to_owned()
            }
        },
    )))
}

/// The first occurrence of `lit` in `s` not preceded by a backslash (nginx escapes `"` as
/// `\x22`, Apache as `\"`).
fn find_unescaped(s: &str, lit: &str) -> Option<usize> {
    let Some(&first) = lit.as_bytes().first() else {
        return Some(0);
    };
    let b = s.as_bytes();
    let quote = first == b'"';
    // Candidates by the literal's first byte (a lead byte: a match starts a character).
    memchr::memchr_iter(first, b).find(|&at| {
        b.get(at..).is_some_and(|t| t.starts_with(lit.as_bytes()))
            && !(quote && at > 0 && b.get(at - 1) == Some(&b'\\'))
    })
}

/// nginx's `\xHH` escapes and Apache's `\"` undone.
fn unescape(v: &str) -> Cow<'_, str> {
    if memchr::memchr(b'\\', v.as_bytes()).is_none() {
        return Cow::Borrowed(v);
    }
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'\\' {
            if b.get(i + 1) == Some(&b'x') {
                if let Some(h) = b
                    .get(i + 2..i + 4)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    out.push(h);
                    i += 4;
                    continue;
                }
            } else if let Some(&n @ (b'"' | b'\\')) = b.get(i + 1) {
                out.push(n);
                i += 2;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// `key=value` / `key="value"` pairs after the format's text.
fn extras(rest: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut s = rest.trim_start();
    while !s.is_empty() {
        let Some(eq) = s.find('=') else { break };
        let key = &s[..eq];
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            // Not a pair: skip this token.
            s = s.find(' ').map_or("", |sp| s[sp..].trim_start());
            continue;
        }
        let after = &s[eq + 1..];
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            match find_unescaped(q, "\"") {
                Some(end) => (&q[..end], &q[end + 1..]),
                None => (q, ""),
            }
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        out.push((key, value));
        s = next.trim_start();
    }
    out
}

/// The built-in formats tried when a source names none: combined, then common.
pub fn builtin() -> [LogFormat; 2] {
    [
        LogFormat::new(COMBINED).unwrap_or(LogFormat { parts: Vec::new() }),
        LogFormat::new(COMMON).unwrap_or(LogFormat { parts: Vec::new() }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_line_with_extras() {
        let f = LogFormat::new(COMBINED).unwrap();
        let line = r#"203.0.113.7 - alice [22/Nov/2026:06:00:00 +0000] "GET /v1/datasets/claims?limit=100&q=a%20b HTTP/1.1" 200 5120 "https://ref.example/" "curl/8.5 (x)" rt=0.120 urt="0.118, 0.004" ua="10.0.0.5:8080" us=200"#;
        let m = f.parse(line).unwrap();
        assert_eq!(m["remote_addr"], "203.0.113.7");
        assert_eq!(m["remote_user"], "alice");
        assert_eq!(m["method"], "GET");
        assert_eq!(m["path"], "/v1/datasets/claims");
        assert_eq!(m["query"]["limit"], "100");
        assert_eq!(m["query"]["q"], "a b");
        assert_eq!(m["status"], 200);
        assert_eq!(m["body_bytes_sent"], 5120);
        assert_eq!(m["http_user_agent"], "curl/8.5 (x)");
        assert_eq!(m["timestamp"], "2026-11-22T06:00:00Z");
        assert_eq!(m["request_time"], 0.12);
        assert!((m["upstream_response_time"].as_f64().unwrap() - 0.122).abs() < 1e-9);
        assert_eq!(m["upstream_addr"], "10.0.0.5:8080");
        assert_eq!(m["upstream_status"], 200);
    }

    #[test]
    fn common_and_custom_formats() {
        let [combined, common] = builtin();
        let line = r#"10.1.2.3 - - [22/Nov/2026:06:00:01 +0100] "POST /login HTTP/1.1" 401 12"#;
        assert!(combined.parse(line).is_none());
        let m = common.parse(line).unwrap();
        assert!(m.get("remote_user").is_none(), "`-` is absent");
        assert_eq!(m["timestamp"], "2026-11-22T05:00:01Z");
        let custom = LogFormat::new(
            r#"$time_iso8601 $request_id $remote_addr "$request" $status $request_time"#,
        )
        .unwrap();
        let m = custom
            .parse(r#"2026-11-22T06:00:00+00:00 abc123 10.0.0.9 "GET /x HTTP/2.0" 503 1.5"#)
            .unwrap();
        assert_eq!(m["request_id"], "abc123");
        assert_eq!(m["status"], 503);
        assert_eq!(m["request_time"], 1.5);
        assert_eq!(m["timestamp"], "2026-11-22T06:00:00Z");
    }

    #[test]
    fn escapes_and_bad_formats() {
        let f = LogFormat::new(COMBINED).unwrap();
        let line = r#"1.2.3.4 - - [22/Nov/2026:06:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-" "say \x22hi\x22""#;
        assert_eq!(f.parse(line).unwrap()["http_user_agent"], "say \"hi\"");
        assert!(LogFormat::new("$a$b").is_err());
        assert!(LogFormat::new("no variables").is_err());
        assert!(LogFormat::new("${oops").is_err());
        assert!(f.parse("garbage").is_none());
        assert!(f.parse("").is_none());
    }

    /// Text is borrowed from the line unless it had to be unescaped or decoded; decoding
    /// follows the record's rules (`+` is a space in a query only; undecodable text is kept).
    #[test]
    fn members_borrow_what_needs_no_decoding() {
        let f = LogFormat::new(COMBINED).unwrap();
        let line = r#"1.2.3.4 - bob [22/Nov/2026:06:00:00 +0000] "GET /a+b/%41?x=1+2&y=%zz&x=3&z=%C3%A9 HTTP/1.1" 200 1 "-" "a \x22b\x22" rt=0.1,0.2"#;
        let m = f.members(line).unwrap();
        let get = |k: &str| &m.iter().rev().find(|(n, _)| *n == k).unwrap().1;
        let within = |t: &str| {
            let (p, l) = (t.as_ptr() as usize, line.as_ptr() as usize);
            p >= l && p + t.len() <= l + line.len()
        };
        let text = |k: &str| match get(k) {
            Field::Text(t) => t.clone(),
            other => panic!("{k}: {other:?}"),
        };
        for k in [
            "remote_addr",
            "remote_user",
            "method",
            "protocol",
            "request",
        ] {
            assert!(matches!(text(k), Cow::Borrowed(t) if within(t)), "{k}");
        }
        assert_eq!(text("path"), "/a b/A");
        assert!(matches!(text("http_user_agent"), Cow::Owned(t) if t == "a \"b\""));
        let Field::Query(q) = get("query") else {
            panic!("query")
        };
        let q: Vec<(&str, &Field)> = q.iter().map(|(k, v)| (k.as_ref(), v)).collect();
        assert_eq!(
            q,
            [
                ("x", &Field::Text(Cow::Borrowed("1 2"))),
                ("y", &Field::Text(Cow::Borrowed("%zz"))),
                ("z", &Field::Text(Cow::Borrowed("é"))),
            ]
        );
        assert_eq!(get("status"), &Field::Int(200));
        assert!(
            matches!(get("request_time"), Field::Number(n) if (n.as_f64().unwrap() - 0.3).abs() < 1e-9)
        );
        // A path with `+` and nothing encoded is kept as written.
        let plain = r#"1.2.3.4 - - [22/Nov/2026:06:00:00 +0000] "GET /a+b HTTP/1.1" 200 1"#;
        let common = LogFormat::new(COMMON).unwrap();
        let m = common.members(plain).unwrap();
        assert!(m
            .iter()
            .any(|(k, v)| *k == "path" && *v == Field::Text(Cow::Borrowed("/a+b"))));
        assert_eq!(common.parse(plain).unwrap()["path"], "/a+b");
    }
}
