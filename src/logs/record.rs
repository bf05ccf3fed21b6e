//! One log line as a record: the JSON value policies see as `input`, and the logical fields
//! (principal, resource, action, outcome, time, usage) the aggregates are built from.
//!
//! JSONL lines are their own JSON object; nginx lines are split by the source's `log_format`
//! (or the combined and common formats); a plain-text line whose tail is a JSON object
//! (`2026-11-22T06:00:00Z INFO gateway {"user": …}`) is that object, with the prefix's time
//! and level added as `log_time` and `log_level` when the object does not carry them. Lines
//! that are none of these are not records (they are counted, and still scanned for secrets).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::json::Node;

use super::source::Source;
use crate::document::Kind;

/// How a request ended, as far as the record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// An HTTP-like status code.
    Status(u16),
    /// A word meaning success (`ok`, `success`, `allowed`, …).
    Success,
    /// A word meaning failure (`error`, `denied`, `timeout`, …).
    Failure,
}

impl Outcome {
    pub fn is_success(self) -> bool {
        match self {
            Outcome::Status(s) => (200..400).contains(&s),
            Outcome::Success => true,
            Outcome::Failure => false,
        }
    }

    /// The class counted in aggregates: `2xx` … `5xx`, `429`, `success`, `failure`.
    pub fn class(self) -> &'static str {
        match self {
            Outcome::Status(429) => "429",
            Outcome::Status(s) => match s / 100 {
                1 => "1xx",
                2 => "2xx",
                3 => "3xx",
                4 => "4xx",
                5 => "5xx",
                _ => "other",
            },
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }

    fn from_json<'a, N: Node<'a>>(v: N) -> Option<Self> {
        const SUCCESS: [&str; 11] = [
            "ok",
            "success",
            "succeeded",
            "successful",
            "allowed",
            "allow",
            "completed",
            "complete",
            "done",
            "pass",
            "passed",
        ];
        const FAILURE: [&str; 14] = [
            "error",
            "err",
            "failed",
            "failure",
            "fail",
            "denied",
            "deny",
            "forbidden",
            "unauthorized",
            "timeout",
            "timed_out",
            "rejected",
            "rate_limited",
            "throttled",
        ];
        if let Some(n) = v.number() {
            return n
                .as_u64()
                .and_then(|s| u16::try_from(s).ok())
                .filter(|s| (100..600).contains(s))
                .map(Outcome::Status);
        }
        if let Some(b) = v.boolean() {
            return Some(if b {
                Outcome::Success
            } else {
                Outcome::Failure
            });
        }
        let s = v.string()?;
        let t = s.trim();
        if let Ok(code) = t.parse::<u16>() {
            return (100..600).contains(&code).then_some(Outcome::Status(code));
        }
        if SUCCESS.iter().any(|w| w.eq_ignore_ascii_case(t)) {
            Some(Outcome::Success)
        } else if FAILURE.iter().any(|w| w.eq_ignore_ascii_case(t)) {
            Some(Outcome::Failure)
        } else {
            None
        }
    }
}

/// The logical fields of one record; text is borrowed from the line where it can be.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields<'a> {
    pub ts: Option<i64>,
    pub principal: Option<Cow<'a, str>>,
    pub resource: Option<Cow<'a, str>>,
    pub model: Option<Cow<'a, str>>,
    pub action: Option<Cow<'a, str>>,
    pub outcome: Option<Outcome>,
    pub tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    pub max_tokens: Option<u64>,
    pub finish_reason: Option<Cow<'a, str>>,
    /// Cost in millionths (of the record's currency): integer, so sums do not depend on order.
    pub cost_micros: Option<i64>,
    pub bytes: Option<u64>,
    /// Which of [`super::source::FIELDS`] the record carries, by index.
    pub present: [bool; super::source::FIELDS.len()],
    /// The record carries prompt or completion text that is not redacted.
    pub raw_prompt: bool,
}

/// The value at a dotted path (`usage.total_tokens`, `choices.0.finish_reason`).
pub fn lookup<'a, N: Node<'a>>(v: N, path: &[String]) -> Option<N> {
    let mut cur = v;
    for seg in path {
        cur = if cur.is_object() {
            cur.get(seg.as_str())?
        } else {
            cur.index(seg.parse::<usize>().ok()?)?
        };
    }
    (!cur.is_null()).then_some(cur)
}

fn scalar_string<'a, N: Node<'a>>(v: N) -> Option<Cow<'a, str>> {
    if let Some(s) = v.string() {
        return (!s.trim().is_empty() && s != "-").then_some(s);
    }
    v.number().map(|n| Cow::Owned(n.to_string()))
}

/// A string value that is blank or `-` (an absent field, as nginx writes it).
fn blank<'a, N: Node<'a>>(v: N) -> bool {
    v.string().is_some_and(|s| s.trim().is_empty() || s == "-")
}

fn as_u64<'a, N: Node<'a>>(v: N) -> Option<u64> {
    if let Some(n) = v.number() {
        return n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && *f < 1.8e19)
                .map(|f| {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let u = f.round() as u64;
                    u
                })
        });
    }
    v.string()?.trim().parse().ok()
}

fn cost_micros<'a, N: Node<'a>>(v: N) -> Option<i64> {
    let f = if let Some(n) = v.number() {
        n.as_f64()?
    } else {
        v.string()?.trim().trim_start_matches('$').parse().ok()?
    };
    let micros = (f * 1e6).round();
    #[allow(clippy::cast_possible_truncation)]
    (micros.is_finite() && micros.abs() < 9e15).then_some(micros as i64)
}

/// Text that is a redaction marker, a hash or nothing, rather than a prompt.
pub fn looks_redacted(s: &str) -> bool {
    let t = s.trim();
    if t.is_empty() {
        return true;
    }
    let lower = t.to_ascii_lowercase();
    if t.len() <= 64
        && (lower.contains("redacted") || lower.contains("omitted") || lower.contains("removed"))
    {
        return true;
    }
    if t.chars()
        .all(|c| matches!(c, '*' | '#' | 'x' | 'X' | '-' | '_' | ' ' | '.'))
    {
        return true;
    }
    let hex = lower
        .strip_prefix("sha256:")
        .or_else(|| lower.strip_prefix("sha1:"))
        .unwrap_or(&lower);
    hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether a prompt-holding value carries text that is not redacted.
fn has_raw_text<'a, N: Node<'a>>(v: N, depth: usize) -> bool {
    if depth > 6 {
        return false;
    }
    if let Some(s) = v.string() {
        return !looks_redacted(&s);
    }
    if let Some(any) = v.any_item(&mut |i| has_raw_text(i, depth + 1)) {
        return any;
    }
    v.is_object()
        && ["content", "text", "message", "prompt"]
            .iter()
            .filter_map(|k| v.get(k))
            .any(|x| has_raw_text(x, depth + 1))
}

/// A model name that names its version: a date (`-2024-08-06`), a version (`-v3`, `@3`,
/// `:3`, `/versions/3`) or a numeric suffix (`-0613`).
pub fn model_is_versioned(model: &str) -> bool {
    // Compared without case and without a lowered copy: this runs on every record that
    // names its model and no version.
    let b = model.as_bytes();
    if memchr::memchr2(b'@', b':', b).is_some()
        || b.windows(10).any(|w| w.eq_ignore_ascii_case(b"/versions/"))
    {
        return true;
    }
    let tail = model.rsplit(['-', '_']).next().unwrap_or("");
    (tail.len() >= 4 && tail.bytes().all(|b| b.is_ascii_digit()))
        || (tail.starts_with(['v', 'V'])
            && tail.len() > 1
            && tail
                .bytes()
                .skip(1)
                .all(|b| b.is_ascii_digit() || b == b'.'))
        || regex_date(model)
}

fn regex_date(m: &str) -> bool {
    // `yyyy-mm-dd` anywhere.
    let b = m.as_bytes();
    b.windows(10).any(|w| {
        w[4] == b'-'
            && w[7] == b'-'
            && w.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    })
}

/// Extract the logical fields of a record (a parsed value). Each field's candidates are looked
/// up once.
pub fn fields<'a>(record: &'a Value, source: &Source) -> Fields<'a> {
    match record {
        Value::Object(m) => fields_of(
            m.iter().map(|(k, v)| (Cow::Borrowed(k.as_str()), v)),
            source,
        ),
        _ => fields_of(std::iter::empty::<(Cow<'a, str>, &'a Value)>(), source),
    }
}

/// The fields of a JSONL record read in place ([`super::json::Record::parse`] of `line`).
pub fn fields_in_place<'a>(
    record: &super::json::Record,
    line: &'a str,
    source: &Source,
) -> Fields<'a> {
    fields_of(record.members(line), source)
}

/// Extract the logical fields of a record from its top-level members (a later duplicate key
/// replaces an earlier one, as in a parsed object).
fn fields_of<'a, N: Node<'a>>(
    members: impl Iterator<Item = (Cow<'a, str>, N)>,
    source: &Source,
) -> Fields<'a> {
    use super::source::FIELDS;
    let mut out = Fields::default();
    // The first candidate (by rank) of each field that the record has: each of the record's
    // top-level keys is looked up once in the source's index. Members that name a field or a
    // prompt are kept (the last of a duplicated key wins).
    let mut kept: Vec<(&super::source::KeyEntry, N)> = Vec::with_capacity(16);
    for (k, v) in members {
        let Some(entry) = source.by_key.get(k.as_ref()) else {
            continue;
        };
        if let Some(slot) = kept.iter_mut().find(|(x, _)| x.id == entry.id) {
            slot.1 = v;
        } else {
            kept.push((entry, v));
        }
    }
    let mut best: [Option<(usize, N)>; FIELDS.len()] = [None; FIELDS.len()];
    for (entry, v) in &kept {
        // Keys one level down are read in one pass over the member's object (rather than a
        // scan of it per candidate); `None` when there is no such object or too many keys.
        let mut inner: [Option<N>; INNER_MAX] = [None; INNER_MAX];
        let one_pass = entry.inner.len() > 1 && entry.inner.len() <= INNER_MAX && v.is_object();
        if one_pass {
            v.get_many(&entry.inner, &mut inner);
        }
        for c in &entry.cands {
            let Some(slot) = best.get_mut(c.field) else {
                continue;
            };
            if slot.is_some_and(|(r, _)| r <= c.rank) {
                continue;
            }
            let found = match c.inner {
                Some(i) if one_pass => inner.get(i).copied().flatten().filter(|x| !x.is_null()),
                _ => lookup(*v, &c.rest),
            };
            if let Some(x) = found {
                *slot = Some((c.rank, x));
            }
        }
    }
    let found: [Option<N>; FIELDS.len()] = best.map(|b| b.map(|(_, v)| v));
    let get = |i: usize| -> Option<N> { found.get(i).copied().flatten() };
    out.model = get(F_MODEL).and_then(scalar_string);
    for (i, name) in FIELDS.iter().enumerate() {
        let value = found.get(i).copied().flatten();
        let present = match *name {
            "model_version" => {
                value.and_then(scalar_string).is_some()
                    || out.model.as_deref().is_some_and(model_is_versioned)
            }
            "tokens" => value.is_some() || get(F_PROMPT_TOKENS).is_some(),
            _ => value.is_some_and(|x| !blank(x)),
        };
        if let Some(slot) = out.present.get_mut(i) {
            *slot = present;
        }
    }
    out.ts = get(F_TIMESTAMP).and_then(time_of);
    out.principal = get(F_PRINCIPAL).and_then(scalar_string);
    out.resource = get(F_RESOURCE).and_then(scalar_string);
    out.action = get(F_ACTION).and_then(scalar_string);
    out.outcome = get(F_OUTCOME).and_then(Outcome::from_json);
    out.completion_tokens = get(F_COMPLETION_TOKENS).and_then(as_u64);
    out.tokens = get(F_TOKENS).and_then(as_u64).or_else(|| {
        let p = get(F_PROMPT_TOKENS).and_then(as_u64);
        match (p, out.completion_tokens) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
        }
    });
    out.max_tokens = get(F_MAX_TOKENS).and_then(as_u64);
    out.finish_reason = get(F_FINISH_REASON).and_then(scalar_string);
    out.cost_micros = get(F_COST).and_then(cost_micros);
    out.bytes = get(F_BYTES).and_then(as_u64);
    out.raw_prompt = kept.iter().any(|(entry, v)| {
        entry
            .prompts
            .iter()
            .any(|rest| lookup(*v, rest).is_some_and(|x| has_raw_text(x, 0)))
    });
    out
}

/// Keys one level down read in one pass (the defaults name at most a few under `usage`,
/// `request`, `response`, `user`).
const INNER_MAX: usize = 16;

// Positions in [`super::source::FIELDS`] (a test checks them).
const F_TIMESTAMP: usize = 0;
const F_PRINCIPAL: usize = 2;
const F_RESOURCE: usize = 3;
const F_MODEL: usize = 4;
const F_ACTION: usize = 6;
const F_OUTCOME: usize = 7;
const F_TOKENS: usize = 8;
const F_PROMPT_TOKENS: usize = 9;
const F_COMPLETION_TOKENS: usize = 10;
const F_MAX_TOKENS: usize = 11;
const F_FINISH_REASON: usize = 12;
const F_COST: usize = 13;
const F_BYTES: usize = 14;

impl Fields<'_> {
    /// The same fields, owning their text.
    pub fn into_owned(self) -> Fields<'static> {
        let own = |c: Option<Cow<'_, str>>| c.map(|c| Cow::Owned(c.into_owned()));
        Fields {
            ts: self.ts,
            principal: own(self.principal),
            resource: own(self.resource),
            model: own(self.model),
            action: own(self.action),
            outcome: self.outcome,
            tokens: self.tokens,
            completion_tokens: self.completion_tokens,
            max_tokens: self.max_tokens,
            finish_reason: own(self.finish_reason),
            cost_micros: self.cost_micros,
            bytes: self.bytes,
            present: self.present,
            raw_prompt: self.raw_prompt,
        }
    }
}

/// A timestamp in a record's value: a string in any recognised form, or an epoch number.
fn time_of<'a, N: Node<'a>>(v: N) -> Option<i64> {
    if let Some(s) = v.string() {
        return super::time::parse(&s);
    }
    super::time::from_epoch(v.number()?.as_f64()?)
}

const LEVELS: [&str; 9] = [
    "TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL",
];

/// A plain-text line whose tail is a JSON object, with the prefix's time and level.
fn text_payload(line: &str) -> Option<Value> {
    let brace = line.find('{')?;
    let prefix = line.get(..brace)?;
    let payload: Value = serde_json::from_str(line.get(brace..)?.trim_end()).ok()?;
    let Value::Object(mut m) = payload else {
        return None;
    };
    let mut tokens = prefix.split_whitespace();
    let t1 = tokens.next();
    let t2 = tokens.next();
    // `date time` as two tokens first (a date alone also parses, as midnight).
    let ts = t1
        .zip(t2)
        .and_then(|(a, b)| super::time::parse(&format!("{a} {b}")))
        .or_else(|| t1.and_then(super::time::parse));
    if let Some(ms) = ts {
        m.entry("log_time")
            .or_insert_with(|| Value::from(super::time::format_ms(ms)));
    }
    if let Some(level) = prefix
        .split(|c: char| !c.is_ascii_alphabetic())
        .find(|t| LEVELS.iter().any(|l| l.eq_ignore_ascii_case(t)) && t.len() >= 4)
    {
        m.entry("log_level")
            .or_insert_with(|| Value::from(level.to_ascii_uppercase()));
    }
    let p = prefix.trim();
    if !p.is_empty() {
        m.entry("log_prefix").or_insert_with(|| Value::from(p));
    }
    Some(Value::Object(m))
}

/// nginx's combined and common formats, compiled once.
static BUILTIN_NGINX: std::sync::LazyLock<[super::nginx::LogFormat; 2]> =
    std::sync::LazyLock::new(super::nginx::builtin);

/// A line as a record value, or `None` when it is not one.
pub fn parse_line(line: &str, kind: Kind, source: &Source) -> Option<Value> {
    let t = line.trim();
    if t.is_empty() {
        return None;
    }
    match kind {
        Kind::LogJsonl => match serde_json::from_str::<Value>(t) {
            Ok(v @ Value::Object(_)) => Some(v),
            _ => text_payload(t),
        },
        Kind::LogNginx => {
            if let Some(f) = &source.log_format {
                return f.parse(t).map(Value::Object);
            }
            let [combined, common] = &*BUILTIN_NGINX;
            combined
                .parse(t)
                .or_else(|| common.parse(t))
                .map(Value::Object)
        }
        _ => {
            if t.starts_with('{') {
                if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(t) {
                    return Some(v);
                }
            }
            text_payload(t)
        }
    }
}

/// The fields of a line as a record, or `None` when it is not one: what
/// `fields(&parse_line(..)?)` gives, without building the record's value when the line is a
/// JSON object [`super::json::Record`] reads in place.
pub fn read<'a>(
    reader: &mut super::json::Record,
    line: &'a str,
    kind: Kind,
    source: &Source,
) -> Option<Fields<'a>> {
    let t = line.trim();
    if matches!(kind, Kind::LogJsonl | Kind::LogText) && t.starts_with('{') && reader.parse(t) {
        return Some(fields_in_place(reader, t, source));
    }
    if kind == Kind::LogNginx {
        // The members, without the record's map (the same values, see `LogFormat::members`).
        if t.is_empty() {
            return None;
        }
        let members = if let Some(f) = &source.log_format {
            f.members(t)?
        } else {
            let [combined, common] = &*BUILTIN_NGINX;
            combined.members(t).or_else(|| common.members(t))?
        };
        let f = fields_of(members.iter().map(|(k, v)| (Cow::Borrowed(*k), v)), source);
        return Some(f.into_owned());
    }
    let value = parse_line(line, kind, source)?;
    Some(fields(&value, source).into_owned())
}

/// An empty record (for tests and defaults).
pub fn empty() -> Value {
    Value::Object(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn src() -> Source {
        Source::implied("t")
    }

    #[test]
    fn field_positions() {
        use super::super::source::FIELDS;
        for (i, name) in [
            (F_TIMESTAMP, "timestamp"),
            (F_PRINCIPAL, "principal"),
            (F_RESOURCE, "resource"),
            (F_MODEL, "model"),
            (F_ACTION, "action"),
            (F_OUTCOME, "outcome"),
            (F_TOKENS, "tokens"),
            (F_PROMPT_TOKENS, "prompt_tokens"),
            (F_COMPLETION_TOKENS, "completion_tokens"),
            (F_MAX_TOKENS, "max_tokens"),
            (F_FINISH_REASON, "finish_reason"),
            (F_COST, "cost"),
            (F_BYTES, "bytes"),
        ] {
            assert_eq!(FIELDS[i], name);
        }
    }

    #[test]
    fn every_prompt_path_is_indexed_under_its_first_key() {
        let source = src();
        let mut ids = std::collections::BTreeSet::new();
        for (key, entry) in &source.by_key {
            assert!(ids.insert(entry.id), "`{key}` shares its id");
            assert!(
                !entry.cands.is_empty() || !entry.prompts.is_empty(),
                "`{key}`"
            );
        }
        for path in super::super::source::PROMPT_FIELDS {
            let parts: Vec<String> = path.split('.').map(str::to_owned).collect();
            let entry = &source.by_key[&parts[0]];
            assert!(entry.prompts.contains(&parts[1..].to_vec()), "{path}");
        }
        // A key that is both a field's candidate and a prompt's start keeps both.
        let both = source
            .by_key
            .values()
            .filter(|e| !e.cands.is_empty() && !e.prompts.is_empty())
            .count();
        assert!(both > 0);
    }

    /// The members a record reader looks at, and some it must skip.
    const KEYS: &[&str] = &[
        "timestamp",
        "ts",
        "created",
        "request_id",
        "id",
        "principal",
        "user",
        "user_id",
        "resource",
        "model",
        "endpoint",
        "action",
        "method",
        "status",
        "outcome",
        "usage",
        "total_tokens",
        "prompt_tokens",
        "completion_tokens",
        "max_tokens",
        "finish_reason",
        "choices",
        "cost_usd",
        "cost",
        "bytes",
        "prompt",
        "messages",
        "error",
        "request",
        "response",
        "billing",
        "other",
        "é",
    ];

    /// Keys of nested objects: few, so that duplicates are common.
    const INNER_KEYS: &[&str] = &[
        "total_tokens",
        "prompt_tokens",
        "0",
        "content",
        "text",
        "code",
        "status",
        "id",
        "finish_reason",
        "cost",
        "prompt",
    ];

    /// JSON text (duplicate keys included, at any depth), optionally spaced out.
    fn json_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (0u32..3000).prop_map(|n| Value::from(f64::from(n) / 1e5)),
            prop::sample::select(vec![
                200u64,
                429,
                503,
                99,
                700,
                1_795_327_200,
                1_795_327_200_123
            ])
            .prop_map(Value::from),
            prop::sample::select(vec![
                "",
                " ",
                "-",
                "ok",
                "DENIED",
                "200",
                " 503 ",
                "alice",
                "svc-etl",
                "jane.doe@acme-corp.io",
                "gpt-4o-2024-08-06",
                "length",
                "MAX_TOKENS",
                "2026-11-22T06:00:00Z",
                "22/Nov/2026:06:00:00 +0000",
                "1795327200",
                "[REDACTED]",
                "say \"hi\"\n",
                "caf\u{e9} \u{1f600}",
                "tab\there",
                "ctl\u{1}x",
                "$0.25",
                "12.5",
            ])
            .prop_map(Value::from),
        ]
        .prop_map(|v| v.to_string());
        let spaced = |open: &str, parts: Vec<String>, close: &str, sp: bool| {
            let sep = if sp { " ,\t" } else { "," };
            format!(
                "{open}{}{}{close}",
                if sp { " " } else { "" },
                parts.join(sep)
            )
        };
        leaf.prop_recursive(4, 40, 6, move |inner| {
            prop_oneof![
                (prop::collection::vec(inner.clone(), 0..4), any::<bool>())
                    .prop_map(move |(items, sp)| spaced("[", items, "]", sp)),
                (
                    prop::collection::vec((prop::sample::select(INNER_KEYS), inner), 0..6),
                    any::<bool>()
                )
                    .prop_map(move |(members, sp)| {
                        let parts = members
                            .into_iter()
                            .map(|(k, v)| {
                                format!("{}{}:{v}", Value::from(k), if sp { " " } else { "" })
                            })
                            .collect();
                        spaced("{", parts, "}", sp)
                    }),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 512, ..proptest::test_runner::Config::default() })]

        /// A JSON line read in place gives the fields its parsed value gives: same grammar,
        /// same duplicate-key rule, same numbers and strings.
        #[test]
        fn records_read_in_place_are_records_parsed(
            members in proptest::collection::vec((proptest::sample::select(KEYS), json_text()), 0..12),
            spaced in proptest::prelude::any::<bool>(),
        ) {
            // Written by hand so that duplicate keys stay in the line.
            let sep = if spaced { " , " } else { "," };
            let body: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{}:{v}", Value::from(*k)))
                .collect();
            let line = format!("{{{}}}", body.join(sep));
            let source = src();
            let mut reader = super::super::json::Record::default();
            proptest::prop_assert!(reader.parse(&line), "{}", line);
            let parsed = parse_line(&line, Kind::LogJsonl, &source).unwrap();
            let want = fields(&parsed, &source);
            let got = read(&mut reader, &line, Kind::LogJsonl, &source).unwrap();
            proptest::prop_assert_eq!(got, want, "{}", line);
        }
    }

    #[test]
    fn openai_usage_record() {
        let v = json!({"id": "chatcmpl-1", "created": 1_795_327_200, "model": "gpt-4o-2024-08-06",
            "object": "chat.completion", "user": "u-42", "status": 200,
            "usage": {"prompt_tokens": 10, "completion_tokens": 4096, "total_tokens": 4106},
            "max_tokens": 4096, "choices": [{"finish_reason": "length", "message": {"content": "[REDACTED]"}}],
            "cost_usd": 0.0125});
        let f = fields(&v, &src());
        assert_eq!(f.ts, Some(1_795_327_200_000));
        assert_eq!(f.principal.as_deref(), Some("u-42"));
        assert_eq!(f.resource.as_deref(), Some("gpt-4o-2024-08-06"));
        assert_eq!(f.tokens, Some(4106));
        assert_eq!(f.completion_tokens, Some(4096));
        assert_eq!(f.max_tokens, Some(4096));
        assert_eq!(f.finish_reason.as_deref(), Some("length"));
        assert_eq!(f.cost_micros, Some(12_500));
        assert_eq!(f.outcome, Some(Outcome::Status(200)));
        assert!(!f.raw_prompt, "a redacted message is not raw text");
        assert!(f.present.iter().filter(|p| **p).count() >= 10);
    }

    #[test]
    fn raw_prompts_and_versions() {
        let v = json!({"messages": [{"role": "user", "content": "summarise the Q3 report"}]});
        assert!(fields(&v, &src()).raw_prompt);
        let v = json!({"prompt": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"});
        assert!(!fields(&v, &src()).raw_prompt);
        assert!(model_is_versioned("gpt-4o-2024-08-06"));
        assert!(model_is_versioned("fraud-model@3"));
        assert!(model_is_versioned("claude-3-haiku-v2"));
        assert!(!model_is_versioned("gpt-4o"));
        assert!(!model_is_versioned("fraud-model"));
        // Case does not matter, as before the copy was dropped.
        assert!(model_is_versioned("Claude-3-Haiku-V2"));
        assert!(model_is_versioned("projects/p/models/m/VERSIONS/7"));
        assert!(!model_is_versioned("Fraud-Model-Vx"));
        assert!(model_is_versioned("m_20240806"));
    }

    #[test]
    fn text_lines_with_a_json_payload() {
        let line = r#"2026-11-22 06:00:00,250 INFO  [feast] served {"user": "svc-etl", "feature_view": "customer_ltv", "action": "get_online_features", "outcome": "ok"}"#;
        let v = parse_line(line, Kind::LogText, &src()).unwrap();
        assert_eq!(v["log_time"], "2026-11-22T06:00:00.250Z");
        assert_eq!(v["log_level"], "INFO");
        let f = fields(&v, &src());
        assert_eq!(f.ts, Some(1_795_327_200_250));
        assert_eq!(f.resource.as_deref(), Some("customer_ltv"));
        assert_eq!(f.outcome, Some(Outcome::Success));
        assert!(parse_line("plain words only", Kind::LogText, &src()).is_none());
        assert!(parse_line("{not json", Kind::LogJsonl, &src()).is_none());
        assert!(parse_line("[1,2]", Kind::LogJsonl, &src()).is_none());
    }

    #[test]
    fn a_configured_log_format_is_used() {
        #[derive(serde::Deserialize)]
        struct W {
            logs: super::super::source::RawLogs,
        }
        let w: W = toml::from_str(
            r#"
[[logs.source]]
name = "edge"
path = "edge/**"
format = "nginx"
log_format = '$time_iso8601|$remote_user|$request|$status|$request_time|$http_x_request_id'
"#,
        )
        .unwrap();
        let cfg = super::super::source::LogsConfig::from_raw(w.logs).unwrap();
        let source = cfg.source_for(std::path::Path::new("edge/a.log"), "edge/a.log");
        let line =
            "2026-11-22T06:00:00+00:00|svc-etl|GET /v1/datasets/claims HTTP/1.1|200|0.004|abc-1";
        let v = parse_line(line, Kind::LogNginx, &source).unwrap();
        let f = fields(&v, &source);
        assert_eq!(f.principal.as_deref(), Some("svc-etl"));
        assert_eq!(f.resource.as_deref(), Some("/v1/datasets/claims"));
        assert_eq!(f.ts, Some(1_795_327_200_000));
        assert_eq!(f.outcome, Some(Outcome::Status(200)));
        let request_id = super::super::source::FIELDS
            .iter()
            .position(|x| *x == "request_id")
            .unwrap();
        assert!(f.present[request_id]);
        // The combined format does not read this line.
        assert!(parse_line(line, Kind::LogNginx, &src()).is_none());
    }

    #[test]
    fn nginx_records_get_principal_and_resource() {
        let line = r#"203.0.113.7 - - [22/Nov/2026:06:00:00 +0000] "GET /v1/models?x=1 HTTP/1.1" 429 0 "-" "sdk/1.0""#;
        let v = parse_line(line, Kind::LogNginx, &src()).unwrap();
        let f = fields(&v, &src());
        assert_eq!(f.principal.as_deref(), Some("203.0.113.7"));
        assert_eq!(f.resource.as_deref(), Some("/v1/models"));
        assert_eq!(f.action.as_deref(), Some("GET"));
        assert_eq!(f.outcome.map(Outcome::class), Some("429"));
        assert_eq!(f.ts, Some(1_795_327_200_000));
    }

    /// An nginx line read without building its map gives the fields its parsed record gives,
    /// with the built-in formats and a configured one: duplicate variables (two times, a method
    /// from `$request` and `$request_method`), escapes, absent (`-`) values, query parameters,
    /// `key=value` extras, and lines of neither format.
    #[test]
    fn nginx_records_read_without_a_map_are_records_parsed() {
        let fixture = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/logs/gateway.log"),
        )
        .unwrap();
        let mut lines: Vec<String> = fixture.lines().map(str::to_owned).collect();
        assert!(lines.len() >= 100);
        lines.extend(
            [
                r#"203.0.113.7 - - [22/Nov/2026:06:00:00 +0000] "GET /signup?email=jane%40acme.io&next=%2F&next=x HTTP/1.1" 302 0 "-" "curl/8.5""#,
                r#"203.0.113.7 - alice [22/Nov/2026:06:00:01 +0000] "POST /v1/chat HTTP/2.0" 429 17"#,
                r#"10.0.0.1 - svc-etl [22/Nov/2026:06:00:02 +0000] "GET /a\x22b HTTP/1.1" 503 - "https://x/?q=1" "a \"quoted\" agent" rt=0.120 urt="0.118, 0.004" uaddr=10.1.1.1:80 rid=req-9 us=503"#,
                r#"10.0.0.1 - - [22/Nov/2026:06:00:03 +0000] "-" 400 0 "-" "-""#,
                r#"10.0.0.1 - bob [22/Nov/2026:06:00:04 +0000] "get lower HTTP/1.1" 200 12"#,
                "not an access log line at all",
                "",
            ]
            .map(str::to_owned),
        );
        let mut custom = src();
        custom.log_format = Some(
            super::super::nginx::LogFormat::new(
                r#"$remote_addr [$time_iso8601] $request_method $request_uri $status $msec "$http_x_api_key" $request_time"#,
            )
            .unwrap(),
        );
        let custom_lines = [
            r#"10.0.0.2 [2026-11-22T06:00:00+00:00] GET /v1/models?limit=5 200 1795327200.120 "key-7" 0.031"#,
            r#"10.0.0.2 [2026-11-22T06:00:01+00:00] DELETE /v1/files/f-1 404 - "-" -"#,
            r#"10.0.0.2 [bad time] PUT /x 201 1795327201 "key-8" 0.5"#,
        ];
        let mut reader = super::super::json::Record::default();
        let mut records = 0;
        for (source, lines) in [
            (src(), lines.iter().map(String::as_str).collect::<Vec<_>>()),
            (custom, custom_lines.to_vec()),
        ] {
            for line in lines {
                let want = parse_line(line, Kind::LogNginx, &source);
                let got = read(&mut reader, line, Kind::LogNginx, &source);
                assert_eq!(got.is_some(), want.is_some(), "{line}");
                if let (Some(got), Some(want)) = (got, want) {
                    assert_eq!(got, fields(&want, &source), "{line}");
                    records += 1;
                }
            }
        }
        assert!(records >= 150 + 3 + 3, "{records}");
    }
}
