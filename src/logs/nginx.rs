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
            m.insert(k.to_owned(), v);
        }
        Some(m)
    }

    /// The members of the record [`LogFormat::parse`] makes of a line, in the order it inserts
    /// them (a later duplicate replaces an earlier one's value), with the names borrowed: what
    /// the aggregates read, without building the record's map.
    pub fn members<'a>(&'a self, line: &'a str) -> Option<Vec<(&'a str, Value)>> {
        let pairs = self.split(line)?;
        let mut m: Vec<(&'a str, Value)> = Vec::with_capacity(pairs.len() + 4);
        for (name, raw) in pairs {
            let name = expand_short(name);
            if raw == "-" || raw.is_empty() {
                continue;
            }
            let value = unescape(raw);
            match name {
                "request" => {
                    let mut it = value.splitn(3, ' ');
                    if let (Some(method), Some(target)) = (it.next(), it.next()) {
                        if !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase()) {
                            m.push(("method", Value::from(method)));
                            insert_target(&mut m, target);
                            if let Some(p) = it.next() {
                                m.push(("protocol", Value::from(p)));
                            }
                        }
                    }
                }
                "request_uri" => insert_target(&mut m, &value),
                "request_method" => {
                    m.push(("method", Value::from(value.as_str())));
                }
                "time_local" | "time_iso8601" | "msec" => {
                    if let Some(t) = timestamp_of(&value) {
                        m.push(("timestamp", Value::from(t)));
                    }
                }
                _ => {}
            }
            let typed = if is_integer_var(name) {
                value
                    .parse::<u64>()
                    .map_or(Value::from(value.as_str()), Value::from)
            } else if is_seconds_var(name) {
                // `0.120`, or `0.118, 0.004` when several upstreams answered: the sum.
                let parts: Option<Vec<f64>> = value
                    .split([',', ':'])
                    .map(|p| p.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
                    .collect();
                parts
                    .and_then(|p| serde_json::Number::from_f64(p.iter().sum()))
                    .map_or(Value::from(value.as_str()), Value::Number)
            } else {
                Value::from(value)
            };
            m.push((name, typed));
        }
        Some(m)
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
/// first value).
fn insert_target(m: &mut Vec<(&str, Value)>, target: &str) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let path = super::percent_decode(path).unwrap_or_else(|| path.to_owned());
    m.push(("path", Value::from(path)));
    if query.is_empty() {
        return;
    }
    let mut q = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = super::percent_decode(k).unwrap_or_else(|| k.replace('+', " "));
        let v = super::percent_decode(v).unwrap_or_else(|| v.replace('+', " "));
        q.entry(k).or_insert(Value::from(v));
    }
    m.push(("query", Value::Object(q)));
}

/// The first occurrence of `lit` in `s` not preceded by a backslash (nginx escapes `"` as
/// `\x22`, Apache as `\"`).
fn find_unescaped(s: &str, lit: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s.get(from..)?.find(lit) {
        let at = from + i;
        if at > 0 && s.as_bytes().get(at - 1) == Some(&b'\\') && lit.starts_with('"') {
            from = at + 1;
            continue;
        }
        return Some(at);
    }
    None
}

/// nginx's `\xHH` escapes and Apache's `\"` undone.
fn unescape(v: &str) -> String {
    if !v.contains('\\') {
        return v.to_owned();
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
    String::from_utf8_lossy(&out).into_owned()
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
}
