//! Per-source aggregates of log records, built while streaming and handed to policies as one
//! `log-aggregate` document per source.
//!
//! Each file yields a [`Partial`]; partials of one source merge ([`Partial::merge`]) in any
//! order and any grouping with the same result, so the aggregate does not depend on how the
//! records were split into files (a property test checks it). Everything is a sum, a minimum or
//! a maximum: costs are summed as integer millionths, not floats, so that even they are exact.
//! Medians, MADs and baselines are computed once, at the end ([`Partial::into_document`]).
//!
//! Memory is bounded by principals × windows, not by the log's size (docs/logs.md): at most
//! `max_principals` principals (the records of any further principal are counted, not kept),
//! one entry per (principal, window length, window) with activity, at most
//! [`MAP_CAP`] keys in each per-window breakdown and `max_resources` first-seen resources per
//! principal. Beyond a cap, which keys are kept depends on the order records arrive; the caps
//! are reported in the document.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::record::{Fields, Outcome};
use super::source::{LogsConfig, Source, FIELDS};
use super::time::format_ms;

/// Keys kept in each per-window breakdown (actions, resources, statuses); the rest count
/// under `(other)`.
pub const MAP_CAP: usize = 32;
/// New resources listed per principal.
const NEW_RESOURCES_LISTED: usize = 20;
const OTHER: &str = "(other)";

/// Where a record is: the evidence a finding points at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Loc {
    /// The file's display path, shared by every location in it.
    pub file: std::sync::Arc<str>,
    /// 1-based line.
    pub line: usize,
    /// Byte offset of the line's start.
    pub offset: usize,
}

impl Loc {
    fn json(&self) -> Value {
        json!({"file": &*self.file, "line": self.line, "offset": self.offset})
    }
}

/// The first location of a partial's records (they come in line order, see
/// [`Partial::add`]): set once.
fn first_loc(a: &mut Option<Loc>, b: &Loc) {
    if a.is_none() {
        *a = Some(b.clone());
    }
}

fn min_loc(a: &mut Option<Loc>, b: Option<Loc>) {
    if let Some(b) = b {
        if a.as_ref().is_none_or(|x| b < *x) {
            *a = Some(b);
        }
    }
}

/// The breakdown keys (actions, resources, outcome classes) of one partial, each stored once:
/// a record looks its action and resource up once, and breakdowns count under small ids
/// instead of searching string-keyed maps. A key is interned only when a breakdown or a
/// first-seen list admits it under its cap, so the interner is bounded by the same caps.
#[derive(Debug, Clone)]
struct Keys {
    ids: std::collections::HashMap<std::sync::Arc<str>, usize, super::source::KeyHash>,
    names: Vec<std::sync::Arc<str>>,
}

/// The id of [`OTHER`] in every [`Keys`].
const OTHER_ID: usize = 0;

impl Default for Keys {
    fn default() -> Self {
        let mut k = Keys {
            ids: std::collections::HashMap::default(),
            names: Vec::new(),
        };
        k.intern(OTHER);
        k
    }
}

impl Keys {
    fn get(&self, name: &str) -> Option<usize> {
        self.ids.get(name).copied()
    }

    fn intern(&mut self, name: &str) -> usize {
        if let Some(id) = self.get(name) {
            return id;
        }
        let id = self.names.len();
        let shared: std::sync::Arc<str> = name.into();
        self.names.push(shared.clone());
        self.ids.insert(shared, id);
        id
    }

    fn name(&self, id: usize) -> &str {
        self.names.get(id).map_or(OTHER, |n| n)
    }
}

/// A key of one record, looked up once and interned on first admission.
struct Key<'a> {
    name: &'a str,
    id: Option<usize>,
}

impl<'a> Key<'a> {
    fn new(name: &'a str, keys: &Keys) -> Self {
        Key {
            name,
            id: keys.get(name),
        }
    }

    fn intern(&mut self, keys: &mut Keys) -> usize {
        *self.id.get_or_insert_with(|| keys.intern(self.name))
    }
}

/// A capped breakdown: (key id, count) in the order keys arrived, at most [`MAP_CAP`] keys,
/// the rest counted under [`OTHER`]. Breakdowns hold a handful of keys, so a linear search
/// over ids beats any map.
#[derive(Debug, Clone, Default, PartialEq)]
struct Counts(Vec<(usize, u64)>);

impl Counts {
    fn add(&mut self, key: &mut Key<'_>, keys: &mut Keys, n: u64) {
        if let Some(id) = key.id {
            if let Some(e) = self.0.iter_mut().find(|e| e.0 == id) {
                e.1 += n;
                return;
            }
        }
        if self.0.len() < MAP_CAP {
            let id = key.intern(keys);
            self.0.push((id, n));
        } else if let Some(e) = self.0.iter_mut().find(|e| e.0 == OTHER_ID) {
            e.1 += n;
        } else {
            self.0.push((OTHER_ID, n));
        }
    }

    /// Add another partial's breakdown, its keys in name order (as a name-keyed map would
    /// hand them over: near the cap, which keys are kept must not depend on arrival order).
    fn merge(&mut self, from: Counts, keys: &mut Keys, from_keys: &Keys) {
        let mut entries = from.0;
        entries.sort_by(|a, b| from_keys.name(a.0).cmp(from_keys.name(b.0)));
        for (id, n) in entries {
            let mut key = Key::new(from_keys.name(id), keys);
            self.add(&mut key, keys, n);
        }
    }

    /// The same entries under the ids of `keys` (for a principal new to the merged partial).
    fn rekey(&mut self, keys: &mut Keys, from_keys: &Keys) {
        for e in &mut self.0 {
            e.0 = keys.intern(from_keys.name(e.0));
        }
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    /// (name, count) in name order.
    fn named<'k>(&self, keys: &'k Keys) -> Vec<(&'k str, u64)> {
        let mut v: Vec<(&str, u64)> = self.0.iter().map(|(id, n)| (keys.name(*id), *n)).collect();
        v.sort_unstable_by(|a, b| a.0.cmp(b.0));
        v
    }
}

/// One principal's activity in one window.
#[derive(Debug, Clone, Default, PartialEq)]
struct Win {
    requests: u64,
    reads: u64,
    bytes: u64,
    tokens: u64,
    cost: i64,
    at_limit: u64,
    errors_429: u64,
    errors_5xx: u64,
    by_action: Counts,
    by_resource: Counts,
    by_outcome: Counts,
    errors_by_resource: Counts,
    first: i64,
    last: i64,
    /// The earliest record (by time, then place).
    at: Option<(i64, Loc)>,
}

impl Win {
    fn merge(&mut self, o: Win, keys: &mut Keys, from: &Keys) {
        if self.requests == 0 {
            self.first = o.first;
            self.last = o.last;
        } else {
            self.first = self.first.min(o.first);
            self.last = self.last.max(o.last);
        }
        self.requests += o.requests;
        self.reads += o.reads;
        self.bytes += o.bytes;
        self.tokens += o.tokens;
        self.cost += o.cost;
        self.at_limit += o.at_limit;
        self.errors_429 += o.errors_429;
        self.errors_5xx += o.errors_5xx;
        self.by_action.merge(o.by_action, keys, from);
        self.by_resource.merge(o.by_resource, keys, from);
        self.by_outcome.merge(o.by_outcome, keys, from);
        self.errors_by_resource
            .merge(o.errors_by_resource, keys, from);
        if let Some(b) = o.at {
            if self.at.as_ref().is_none_or(|a| b < *a) {
                self.at = Some(b);
            }
        }
    }
}

/// One principal's activity over the whole source.
#[derive(Debug, Clone, Default)]
struct Principal {
    requests: u64,
    reads: u64,
    bytes: u64,
    tokens: u64,
    cost: i64,
    /// Requests that carried a cost / a token count (for per-request averages).
    costed: u64,
    tokened: u64,
    at_limit: u64,
    first: Option<i64>,
    last: Option<i64>,
    hours: [u64; 24],
    limit_hours: [u64; 24],
    /// Per window length (as configured), window start (seconds) → activity.
    windows: Vec<BTreeMap<i64, Win>>,
    /// Resource (id in the partial's [`Keys`]) → (first time seen, where).
    resources: std::collections::HashMap<usize, (i64, Loc), super::source::KeyHash>,
    resources_capped: bool,
    at: Option<Loc>,
}

/// Counts of one logical field over the records.
#[derive(Debug, Clone, Default, PartialEq)]
struct FieldCount {
    present: u64,
    missing_at: Option<Loc>,
}

/// What a set of records of one source add up to; merge partials of the same source.
#[derive(Debug, Clone)]
pub struct Partial {
    pub source: String,
    pub kind: String,
    files: BTreeSet<String>,
    pub lines: u64,
    pub records: u64,
    unparsed: u64,
    unattributed: u64,
    untimed: u64,
    outcomes: BTreeMap<String, u64>,
    successes: u64,
    failures: u64,
    fields: Vec<FieldCount>,
    raw_prompts: u64,
    raw_prompt_at: Option<Loc>,
    /// The names of the breakdowns' and first-seen lists' keys.
    keys: Keys,
    /// Hashed for speed (one lookup per record); sorted when the document is built.
    principals: std::collections::HashMap<String, Principal, super::source::KeyHash>,
    principals_dropped: u64,
    first: Option<i64>,
    last: Option<i64>,
    at: Option<Loc>,
    windows: Vec<i64>,
}

impl Partial {
    pub fn new(source: &str, kind: &str, windows: &[i64]) -> Self {
        Self {
            source: source.to_owned(),
            kind: kind.to_owned(),
            files: BTreeSet::new(),
            lines: 0,
            records: 0,
            unparsed: 0,
            unattributed: 0,
            untimed: 0,
            outcomes: BTreeMap::new(),
            successes: 0,
            failures: 0,
            fields: vec![FieldCount::default(); FIELDS.len()],
            raw_prompts: 0,
            raw_prompt_at: None,
            keys: Keys::default(),
            principals: std::collections::HashMap::default(),
            principals_dropped: 0,
            first: None,
            last: None,
            at: None,
            windows: windows.to_vec(),
        }
    }

    /// A file of this source was read (even an empty one).
    pub fn add_file(&mut self, display: &str) {
        self.files.insert(display.to_owned());
    }

    /// A line that is not a record.
    pub fn add_unparsed(&mut self) {
        self.lines += 1;
        self.unparsed += 1;
    }

    /// Add one record. Records of one partial come in the order of their lines (`loc`
    /// ascending), so the first location seen is the smallest and is kept without comparing.
    pub fn add(&mut self, f: &Fields<'_>, loc: &Loc, cfg: &LogsConfig) {
        self.lines += 1;
        self.records += 1;
        first_loc(&mut self.at, loc);
        for (i, c) in self.fields.iter_mut().enumerate() {
            if f.present.get(i).copied().unwrap_or(false) {
                c.present += 1;
            } else {
                first_loc(&mut c.missing_at, loc);
            }
        }
        if f.raw_prompt {
            self.raw_prompts += 1;
            first_loc(&mut self.raw_prompt_at, loc);
        }
        if let Some(o) = f.outcome {
            if let Some(n) = self.outcomes.get_mut(o.class()) {
                *n += 1;
            } else {
                self.outcomes.insert(o.class().to_owned(), 1);
            }
            if o.is_success() {
                self.successes += 1;
            } else {
                self.failures += 1;
            }
        }
        if let Some(ts) = f.ts {
            self.first = Some(self.first.map_or(ts, |x| x.min(ts)));
            self.last = Some(self.last.map_or(ts, |x| x.max(ts)));
        } else {
            self.untimed += 1;
        }
        let Some(who) = f.principal.as_deref() else {
            self.unattributed += 1;
            return;
        };
        let n_windows = self.windows.len();
        // One lookup for a known principal (the common case), a second only for a new one.
        let p = if let Some(p) = self.principals.get_mut(who) {
            p
        } else {
            if self.principals.len() >= cfg.max_principals {
                self.principals_dropped += 1;
                return;
            }
            self.principals.entry(who.to_owned()).or_default()
        };
        if p.windows.len() != n_windows {
            p.windows = vec![BTreeMap::new(); n_windows];
        }
        let read = f.action.as_deref().is_some_and(|a| cfg.is_read(a));
        let at_limit = at_limit(f, cfg);
        let is_429 = f.outcome == Some(Outcome::Status(429));
        let is_5xx = matches!(f.outcome, Some(Outcome::Status(s)) if s >= 500);
        p.requests += 1;
        p.reads += u64::from(read);
        p.bytes += f.bytes.unwrap_or(0);
        p.tokens += f.tokens.unwrap_or(0);
        p.cost += f.cost_micros.unwrap_or(0);
        p.costed += u64::from(f.cost_micros.is_some());
        p.tokened += u64::from(f.tokens.is_some());
        p.at_limit += u64::from(at_limit);
        first_loc(&mut p.at, loc);
        let keys = &mut self.keys;
        let mut resource = f.resource.as_deref().map(|r| Key::new(r, keys));
        let mut action = f.action.as_deref().map(|a| Key::new(a, keys));
        let mut class = f.outcome.map(|o| Key::new(o.class(), keys));
        if let Some(r) = &mut resource {
            let ts = f.ts.unwrap_or(i64::MAX);
            if let Some(e) = r.id.and_then(|id| p.resources.get_mut(&id)) {
                // Same time: the earlier line, already kept.
                if ts < e.0 {
                    *e = (ts, loc.clone());
                }
            } else if p.resources.len() < cfg.max_resources {
                p.resources.insert(r.intern(keys), (ts, loc.clone()));
            } else {
                p.resources_capped = true;
            }
        }
        let Some(ts) = f.ts else { return };
        p.first = Some(p.first.map_or(ts, |x| x.min(ts)));
        p.last = Some(p.last.map_or(ts, |x| x.max(ts)));
        let hour = hour_of_day(ts, cfg.utc_offset_minutes);
        if let Some(h) = p.hours.get_mut(hour) {
            *h += 1;
        }
        if at_limit {
            if let Some(h) = p.limit_hours.get_mut(hour) {
                *h += 1;
            }
        }
        let secs = ts.div_euclid(1000);
        for (i, len) in self.windows.iter().enumerate() {
            let start = secs - secs.rem_euclid(*len);
            let Some(series) = p.windows.get_mut(i) else {
                continue;
            };
            let w = series.entry(start).or_default();
            if w.requests == 0 {
                w.first = ts;
                w.last = ts;
            } else {
                w.first = w.first.min(ts);
                w.last = w.last.max(ts);
            }
            w.requests += 1;
            w.reads += u64::from(read);
            w.bytes += f.bytes.unwrap_or(0);
            w.tokens += f.tokens.unwrap_or(0);
            w.cost += f.cost_micros.unwrap_or(0);
            w.at_limit += u64::from(at_limit);
            w.errors_429 += u64::from(is_429);
            w.errors_5xx += u64::from(is_5xx);
            if let Some(a) = &mut action {
                w.by_action.add(a, keys, 1);
            }
            if let Some(r) = &mut resource {
                w.by_resource.add(r, keys, 1);
                if is_429 || is_5xx {
                    w.errors_by_resource.add(r, keys, 1);
                }
            }
            if let Some(c) = &mut class {
                w.by_outcome.add(c, keys, 1);
            }
            if w.at.as_ref().is_none_or(|(t, _)| ts < *t) {
                w.at = Some((ts, loc.clone()));
            }
        }
    }

    /// How many entries this partial holds: files, principals, their windows, the keys of every
    /// breakdown and the first-seen resources. Its memory is proportional to this (each entry
    /// is a fixed-size record plus a short key), and this depends on the principals, the
    /// windows with activity and the distinct keys (each capped), never on how many records
    /// were added.
    pub fn entries(&self) -> usize {
        let windows: usize = self
            .principals
            .values()
            .flat_map(|p| &p.windows)
            .flat_map(BTreeMap::values)
            .map(|w| {
                1 + w.by_action.len()
                    + w.by_resource.len()
                    + w.by_outcome.len()
                    + w.errors_by_resource.len()
            })
            .sum();
        let resources: usize = self.principals.values().map(|p| p.resources.len()).sum();
        self.files.len()
            + self.outcomes.len()
            + self.principals.len()
            + windows
            + resources
            + self.keys.names.len()
    }

    /// Merge another partial of the same source.
    pub fn merge(&mut self, o: Partial, cfg: &LogsConfig) {
        self.files.extend(o.files);
        self.lines += o.lines;
        self.records += o.records;
        self.unparsed += o.unparsed;
        self.unattributed += o.unattributed;
        self.untimed += o.untimed;
        for (k, v) in o.outcomes {
            *self.outcomes.entry(k).or_default() += v;
        }
        self.successes += o.successes;
        self.failures += o.failures;
        for (a, b) in self.fields.iter_mut().zip(o.fields) {
            a.present += b.present;
            min_loc(&mut a.missing_at, b.missing_at);
        }
        self.raw_prompts += o.raw_prompts;
        min_loc(&mut self.raw_prompt_at, o.raw_prompt_at);
        self.principals_dropped += o.principals_dropped;
        self.first = min_opt(self.first, o.first);
        self.last = max_opt(self.last, o.last);
        min_loc(&mut self.at, o.at);
        // Near the cap, which principals are kept must not depend on hash order.
        let mut incoming: Vec<(String, Principal)> = o.principals.into_iter().collect();
        if self.principals.len() + incoming.len() > cfg.max_principals {
            incoming.sort_by(|a, b| a.0.cmp(&b.0));
        }
        let from = &o.keys;
        for (who, mut p) in incoming {
            if let Some(mine) = self.principals.get_mut(&who) {
                merge_principal(mine, p, cfg, &mut self.keys, from);
            } else if self.principals.len() < cfg.max_principals {
                rekey_principal(&mut p, &mut self.keys, from);
                self.principals.insert(who, p);
            } else {
                self.principals_dropped += p.requests;
            }
        }
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// A principal of another partial, its keys re-interned in `keys` (nothing is merged, so
/// every entry stays).
fn rekey_principal(p: &mut Principal, keys: &mut Keys, from: &Keys) {
    for w in p.windows.iter_mut().flat_map(BTreeMap::values_mut) {
        w.by_action.rekey(keys, from);
        w.by_resource.rekey(keys, from);
        w.by_outcome.rekey(keys, from);
        w.errors_by_resource.rekey(keys, from);
    }
    p.resources = std::mem::take(&mut p.resources)
        .into_iter()
        .map(|(id, seen)| (keys.intern(from.name(id)), seen))
        .collect();
}

fn merge_principal(
    a: &mut Principal,
    b: Principal,
    cfg: &LogsConfig,
    keys: &mut Keys,
    from: &Keys,
) {
    a.requests += b.requests;
    a.reads += b.reads;
    a.bytes += b.bytes;
    a.tokens += b.tokens;
    a.cost += b.cost;
    a.costed += b.costed;
    a.tokened += b.tokened;
    a.at_limit += b.at_limit;
    a.first = min_opt(a.first, b.first);
    a.last = max_opt(a.last, b.last);
    for (x, y) in a.hours.iter_mut().zip(b.hours) {
        *x += y;
    }
    for (x, y) in a.limit_hours.iter_mut().zip(b.limit_hours) {
        *x += y;
    }
    if a.windows.len() < b.windows.len() {
        a.windows.resize(b.windows.len(), BTreeMap::new());
    }
    for (series, other) in a.windows.iter_mut().zip(b.windows) {
        for (start, w) in other {
            series.entry(start).or_default().merge(w, keys, from);
        }
    }
    // In name order, as a name-keyed map would hand them over (which are kept at the cap).
    let mut resources: Vec<(usize, (i64, Loc))> = b.resources.into_iter().collect();
    resources.sort_by(|x, y| from.name(x.0).cmp(from.name(y.0)));
    for (r, seen) in resources {
        let mut key = Key::new(from.name(r), keys);
        if let Some(e) = key.id.and_then(|id| a.resources.get_mut(&id)) {
            if seen < *e {
                *e = seen;
            }
        } else if a.resources.len() < cfg.max_resources {
            a.resources.insert(key.intern(keys), seen);
        } else {
            a.resources_capped = true;
        }
    }
    a.resources_capped |= b.resources_capped;
    min_loc(&mut a.at, b.at);
}

/// The record ended at the model's output limit: `finish_reason` says so, or the completion
/// used every token the request allowed, or as many as the model's configured limit.
fn at_limit(f: &Fields<'_>, cfg: &LogsConfig) -> bool {
    if f.finish_reason.as_deref().is_some_and(|r| {
        ["length", "max_tokens", "max_output_tokens"]
            .iter()
            .any(|w| w.eq_ignore_ascii_case(r))
    }) {
        return true;
    }
    let Some(done) = f.completion_tokens else {
        return false;
    };
    if f.max_tokens.is_some_and(|m| m > 0 && done >= m) {
        return true;
    }
    f.model
        .as_deref()
        .and_then(|m| cfg.model_limits.get(m))
        .is_some_and(|limit| done >= *limit)
}

fn hour_of_day(ts_ms: i64, offset_minutes: i32) -> usize {
    let local = ts_ms.div_euclid(1000) + i64::from(offset_minutes) * 60;
    usize::try_from(local.rem_euclid(86_400) / 3600).unwrap_or(0)
}

/// Is the hour `h` off-hours for `[start, end)` (wrapping past midnight when start > end)?
pub fn is_off_hour(h: u32, off: [u32; 2]) -> bool {
    let [s, e] = off;
    match s.cmp(&e) {
        std::cmp::Ordering::Equal => false,
        std::cmp::Ordering::Less => (s..e).contains(&h),
        std::cmp::Ordering::Greater => h >= s || h < e,
    }
}

/// Median of a sorted slice.
fn median_sorted(v: &[f64]) -> Option<f64> {
    let n = v.len();
    if n == 0 {
        return None;
    }
    let mid = n / 2;
    Some(if n % 2 == 1 {
        *v.get(mid)?
    } else {
        (v.get(mid - 1)? + v.get(mid)?) / 2.0
    })
}

/// Median and median absolute deviation.
pub fn median_mad(values: &[f64]) -> Option<(f64, f64)> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let m = median_sorted(&v)?;
    let mut dev: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    dev.sort_by(f64::total_cmp);
    Some((m, median_sorted(&dev)?))
}

/// A number for the document: rounded to 6 decimals so the output does not depend on float
/// noise.
fn num(x: f64) -> Value {
    let r = (x * 1e6).round() / 1e6;
    serde_json::Number::from_f64(r).map_or(Value::Null, Value::Number)
}

#[allow(clippy::cast_precision_loss)]
fn money(micros: i64) -> Value {
    num(micros as f64 / 1e6)
}

fn stat(values: &[f64], min: u32) -> Value {
    if values.len() < min as usize {
        return Value::Null;
    }
    match median_mad(values) {
        Some((m, d)) => json!({"median": num(m), "mad": num(d), "windows": values.len()}),
        None => Value::Null,
    }
}

/// How log-derived strings are shown: PII and secrets masked, or pseudonymised under a key.
pub struct Display {
    redactor: crate::redact::Redactor,
    pseudonyms: bool,
}

impl Display {
    pub fn new(cfg: &LogsConfig, entities: Vec<crate::detect::pii::Entity>) -> Self {
        let mode = match &cfg.pseudonym_key {
            Some(k) => crate::redact::Mode::Pseudonym(k.clone()),
            None => crate::redact::Mode::Mask,
        };
        Self {
            pseudonyms: cfg.pseudonym_key.is_some(),
            redactor: crate::redact::Redactor {
                mode,
                entities,
                secrets: true,
            },
        }
    }

    /// `s` with PII and secrets replaced; `disambiguate` is appended (`#n`) when something was
    /// masked, so distinct values stay distinct.
    pub fn show(&self, s: &str, disambiguate: usize) -> String {
        let (text, n) = self.redactor.text(s);
        if n > 0 && !self.pseudonyms {
            format!("{text}#{disambiguate}")
        } else {
            text
        }
    }
}

#[allow(clippy::cast_precision_loss)]
fn ratio(a: u64, b: u64) -> Value {
    if b == 0 {
        Value::Null
    } else {
        num(a as f64 / b as f64)
    }
}

impl Partial {
    /// The settings rules read, as they appear in the document.
    fn settings(cfg: &LogsConfig, source: &Source) -> Value {
        json!({
            "windows": cfg.windows,
            "baseline_s": cfg.baseline,
            "min_baseline": cfg.min_baseline,
            "spike_factor": num(cfg.spike_factor),
            "spike_window": cfg.spike_window,
            "spike_min": cfg.spike_min,
            "off_hours": cfg.off_hours,
            "utc_offset_minutes": cfg.utc_offset_minutes,
            "bulk_reads": cfg.bulk_reads,
            "learning_s": cfg.learning,
            "outlier_z": num(cfg.outlier_z),
            "outlier_ratio": num(cfg.outlier_ratio),
            "outlier_min_requests": cfg.outlier_min_requests,
            "limit_share": num(cfg.limit_share),
            "limit_min": cfg.limit_min,
            "limit_hours": cfg.limit_hours,
            "burst_min": cfg.burst_min,
            "burst_share": num(cfg.burst_share),
            "failures_min": cfg.failures_min,
            "failures_success_share": num(cfg.failures_success_share),
            "required": source.required,
            "required_explicit": source.required_explicit,
            "redacted": source.redacted,
            "max_principals": cfg.max_principals,
            "max_resources": cfg.max_resources,
            "map_cap": MAP_CAP,
        })
    }

    /// The `log-aggregate` document of this source.
    #[allow(clippy::cast_precision_loss)]
    pub fn into_document(self, cfg: &LogsConfig, source: &Source, display: &Display) -> Value {
        let mut fields = Map::new();
        for (name, c) in FIELDS.iter().zip(&self.fields) {
            let mut o = json!({
                "present": c.present,
                "missing": self.records - c.present,
                "required": source.required.iter().any(|r| r == name),
            });
            if let (Some(at), Value::Object(m)) = (&c.missing_at, &mut o) {
                if c.present < self.records {
                    m.insert("at".into(), at.json());
                }
            }
            fields.insert((*name).to_owned(), o);
        }
        // Per-request cost and tokens of every principal with enough requests.
        let per = |p: &Principal, total: f64, n: u64| -> Option<f64> {
            (n > 0 && p.requests >= cfg.outlier_min_requests).then(|| total / n as f64)
        };
        let costs: Vec<f64> = self
            .principals
            .values()
            .filter_map(|p| per(p, p.cost as f64 / 1e6, p.costed))
            .collect();
        let tokens: Vec<f64> = self
            .principals
            .values()
            .filter_map(|p| per(p, p.tokens as f64, p.tokened))
            .collect();
        let population = |v: &[f64]| match median_mad(v) {
            Some((m, d)) => json!({"median": num(m), "mad": num(d), "principals": v.len()}),
            None => Value::Null,
        };
        let mut principals = Vec::with_capacity(self.principals.len());
        let mut sorted: Vec<(String, Principal)> = self.principals.into_iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for (rank, (who, p)) in sorted.into_iter().enumerate() {
            principals.push(principal_doc(&who, &p, rank, cfg, display, &self.keys));
        }
        let mut doc = json!({
            "source": self.source,
            "preset": source.preset,
            "format": self.kind,
            "redacted": source.redacted,
            "files": self.files,
            "lines": self.lines,
            "records": self.records,
            "unparsed": self.unparsed,
            "unattributed": self.unattributed,
            "untimed": self.untimed,
            "principals_dropped": self.principals_dropped,
            "first": self.first.map(format_ms),
            "last": self.last.map(format_ms),
            "settings": Self::settings(cfg, source),
            "outcomes": self.outcomes,
            "with_outcome": self.successes + self.failures,
            "successes": self.successes,
            "failures": self.failures,
            // Large values are placed after the macro (it would copy them by serialising).
            "fields": null,
            "raw_prompts": {"records": self.raw_prompts},
            "population": {
                "cost_per_request": population(&costs),
                "tokens_per_request": population(&tokens),
            },
            "principals": null,
        });
        if let Some(m) = doc.as_object_mut() {
            // Same position: the map keeps a key's place when its value is replaced.
            m.insert("fields".into(), Value::Object(fields));
            m.insert("principals".into(), Value::Array(principals));
        }
        if let (Some(at), Some(m)) = (&self.raw_prompt_at, doc["raw_prompts"].as_object_mut()) {
            m.insert("at".into(), at.json());
        }
        if let (Some(at), Some(m)) = (&self.at, doc.as_object_mut()) {
            m.insert("at".into(), at.json());
        }
        doc
    }
}

/// A breakdown as an object, keys in name order (masked where they carry PII).
fn show_map(m: &[(&str, u64)], display: &Display) -> Value {
    let mut out = Map::new();
    for (i, (k, v)) in m.iter().enumerate() {
        out.insert(display.show(k, i), Value::from(*v));
    }
    Value::Object(out)
}

/// The top key of a breakdown (most counted, then first by name).
fn top<'k>(m: &[(&'k str, u64)]) -> Option<(&'k str, u64)> {
    m.iter()
        .filter(|(k, _)| *k != OTHER)
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .copied()
}

#[allow(clippy::cast_precision_loss)]
fn principal_doc(
    who: &str,
    p: &Principal,
    rank: usize,
    cfg: &LogsConfig,
    display: &Display,
    keys: &Keys,
) -> Value {
    let mut windows = Map::new();
    let mut gaps = Vec::new();
    for (len, series) in cfg.windows.iter().zip(&p.windows) {
        let entries: Vec<(&i64, &Win)> = series.iter().collect();
        let mut list = Vec::with_capacity(entries.len());
        for (i, (start, w)) in entries.iter().enumerate() {
            // Trailing baseline: the same principal's previous active windows of this length
            // that started within `baseline` seconds before this one.
            let from = **start - cfg.baseline;
            // Windows are in time order: the trailing span is one slice, found by bisection.
            let earlier = entries.get(..i).unwrap_or_default();
            let in_span = earlier
                .get(earlier.partition_point(|(s, _)| **s < from)..)
                .unwrap_or_default();
            let prev: Vec<&Win> = in_span.iter().map(|(_, w)| *w).collect();
            let reads: Vec<f64> = prev.iter().map(|w| w.reads as f64).collect();
            let requests: Vec<f64> = prev.iter().map(|w| w.requests as f64).collect();
            let errors: Vec<f64> = prev
                .iter()
                .map(|w| (w.errors_429 + w.errors_5xx) as f64)
                .collect();
            let hour =
                u32::try_from(hour_of_day(**start * 1000, cfg.utc_offset_minutes)).unwrap_or(0);
            let hours_in = u32::try_from((*len / 3600).max(1)).unwrap_or(1);
            let off = (0..hours_in).all(|k| is_off_hour((hour + k) % 24, cfg.off_hours));
            // The principal's habits before this window: how many of its previous windows (in
            // the baseline span) were off hours, and what share of its requests fell in them.
            let (mut prior_off, mut off_requests) = (0u64, 0u64);
            for (s, pw) in in_span {
                let h = u32::try_from(hour_of_day(**s * 1000, cfg.utc_offset_minutes)).unwrap_or(0);
                if is_off_hour(h, cfg.off_hours) {
                    prior_off += 1;
                    off_requests += pw.requests;
                }
            }
            let prior_requests: u64 = prev.iter().map(|w| w.requests).sum();
            let mean_gap = if w.requests > 1 {
                num((w.last - w.first) as f64 / 1000.0 / (w.requests - 1) as f64)
            } else {
                Value::Null
            };
            if let Some(g) = mean_gap.as_f64() {
                if *len == cfg.windows.first().copied().unwrap_or(*len) {
                    gaps.push(g);
                }
            }
            let by_resource = w.by_resource.named(keys);
            let errors_by_resource = w.errors_by_resource.named(keys);
            let by_outcome: Map<String, Value> = w
                .by_outcome
                .named(keys)
                .into_iter()
                .map(|(k, n)| (k.to_owned(), Value::from(n)))
                .collect();
            let top_resource =
                top(&by_resource).map(|(k, n)| json!({"resource": display.show(k, 0), "count": n}));
            let top_error = top(&errors_by_resource)
                .map(|(k, n)| json!({"resource": display.show(k, 0), "count": n}));
            let mut o = json!({
                "start": format_ms(**start * 1000),
                "end": format_ms((**start + len) * 1000),
                "start_s": **start,
                "requests": w.requests,
                "reads": w.reads,
                "bytes": w.bytes,
                "tokens": w.tokens,
                "cost": money(w.cost),
                "at_limit": w.at_limit,
                "errors_429": w.errors_429,
                "errors_5xx": w.errors_5xx,
                "by_action": null,
                "by_resource": null,
                "by_outcome": null,
                "errors_by_resource": null,
                "top_resource": top_resource,
                "top_error_resource": top_error,
                "mean_gap_s": mean_gap,
                "off_hours": off,
                "prior_windows": prev.len(),
                "prior_off_hours_windows": prior_off,
                "prior_off_hours_share": ratio(off_requests, prior_requests),
                "baseline": {
                    "reads": stat(&reads, cfg.min_baseline),
                    "requests": stat(&requests, cfg.min_baseline),
                    "errors": stat(&errors, cfg.min_baseline),
                },
            });
            if let Some(m) = o.as_object_mut() {
                m.insert(
                    "by_action".into(),
                    show_map(&w.by_action.named(keys), display),
                );
                m.insert("by_resource".into(), show_map(&by_resource, display));
                m.insert("by_outcome".into(), Value::Object(by_outcome));
                m.insert(
                    "errors_by_resource".into(),
                    show_map(&errors_by_resource, display),
                );
            }
            if let (Some((_, at)), Some(m)) = (&w.at, o.as_object_mut()) {
                m.insert("at".into(), at.json());
            }
            list.push(o);
        }
        windows.insert(len.to_string(), Value::Array(list));
    }
    gaps.sort_by(f64::total_cmp);
    let mean_gap = match (p.first, p.last) {
        (Some(a), Some(b)) if p.requests > 1 => {
            num((b - a) as f64 / 1000.0 / (p.requests - 1) as f64)
        }
        _ => Value::Null,
    };
    // Resources first seen after the learning period that follows the principal's first
    // record.
    let mut new: Vec<(&i64, &Loc, &str)> = match p.first {
        Some(first) => p
            .resources
            .iter()
            .filter(|(_, (seen, _))| *seen != i64::MAX && *seen >= first + cfg.learning * 1000)
            .map(|(r, (seen, at))| (seen, at, keys.name(*r)))
            .collect(),
        None => Vec::new(),
    };
    new.sort();
    let new_count = new.len();
    let new_list: Vec<Value> = new
        .into_iter()
        .take(NEW_RESOURCES_LISTED)
        .enumerate()
        .map(|(i, (seen, at, r))| {
            json!({"resource": display.show(r, i), "first_seen": format_ms(*seen), "at": at.json()})
        })
        .collect();
    let limit_hours = p.limit_hours.iter().filter(|n| **n > 0).count();
    let timed: u64 = p.hours.iter().sum();
    let off: u64 = (0u32..24)
        .zip(p.hours)
        .filter(|(h, _)| is_off_hour(*h, cfg.off_hours))
        .map(|(_, n)| n)
        .sum();
    let mut o = json!({
        "principal": display.show(who, rank),
        "service_account": cfg.is_service_account(who),
        "requests": p.requests,
        "reads": p.reads,
        "bytes": p.bytes,
        "tokens": p.tokens,
        "cost": money(p.cost),
        "cost_per_request": if p.costed > 0 { num(p.cost as f64 / 1e6 / p.costed as f64) } else { Value::Null },
        "tokens_per_request": if p.tokened > 0 { num(p.tokens as f64 / p.tokened as f64) } else { Value::Null },
        "at_limit": p.at_limit,
        "at_limit_share": ratio(p.at_limit, p.requests),
        "at_limit_hours": limit_hours,
        "first": p.first.map(format_ms),
        "last": p.last.map(format_ms),
        "hours": p.hours,
        "off_hours_share": ratio(off, timed),
        "interarrival": {
            "mean_s": mean_gap,
            "median_window_mean_s": median_sorted(&gaps).map_or(Value::Null, num),
        },
        "distinct_resources": p.resources.len(),
        "resources_capped": p.resources_capped,
        "new_resources_count": new_count,
        "new_resources": null,
        "windows": null,
    });
    if let Some(m) = o.as_object_mut() {
        m.insert("new_resources".into(), Value::Array(new_list));
        m.insert("windows".into(), Value::Object(windows));
    }
    if let (Some(at), Some(m)) = (&p.at, o.as_object_mut()) {
        m.insert("at".into(), at.json());
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mad() {
        assert_eq!(median_mad(&[1.0, 2.0, 3.0, 4.0, 100.0]), Some((3.0, 1.0)));
        assert_eq!(median_mad(&[2.0, 4.0]), Some((3.0, 1.0)));
        assert_eq!(median_mad(&[]), None);
    }

    /// Aggregate state is bounded by principals × windows: ten times the records of the same
    /// principals over the same period take exactly the same entries (not a timing: a count).
    #[test]
    fn state_does_not_grow_with_the_number_of_records() {
        let cfg = LogsConfig::default();
        let source = Source::implied("t");
        let mut reader = super::super::json::Record::default();
        let file: std::sync::Arc<str> = "a.jsonl".into();
        let state = |records: usize, reader: &mut super::super::json::Record| {
            let mut p = Partial::new("t", "log-jsonl", &cfg.windows);
            p.add_file("a.jsonl");
            // 50 principals, 6 resources, one day: the record count is all that changes.
            for n in 0..records {
                let t = 1_795_305_600_000 + i64::try_from(n * 86_400_000 / records).unwrap_or(0);
                let line = format!(
                    r#"{{"timestamp":"{}","principal":"user-{}","action":"GET","resource":"ds-{}","status":{},"bytes":{}}}"#,
                    format_ms(t),
                    n % 50,
                    n % 6,
                    if n % 10 == 0 { 503 } else { 200 },
                    n % 9000
                );
                let f = super::super::record::read(
                    reader,
                    &line,
                    crate::document::Kind::LogJsonl,
                    &source,
                )
                .unwrap();
                let loc = Loc {
                    file: file.clone(),
                    line: n + 1,
                    offset: n * 100,
                };
                p.add(&f, &loc, &cfg);
            }
            p.entries()
        };
        let small = state(5_000, &mut reader);
        let large = state(50_000, &mut reader);
        assert_eq!(small, large);
        // 50 principals × (24 one-hour + 12 two-hour windows), with their breakdowns.
        assert!(small > 50 * 36, "{small}");
    }

    #[test]
    fn off_hours_wrap_midnight() {
        assert!(is_off_hour(22, [20, 6]));
        assert!(is_off_hour(3, [20, 6]));
        assert!(!is_off_hour(12, [20, 6]));
        assert!(is_off_hour(13, [12, 14]));
        assert!(!is_off_hour(13, [5, 5]));
    }
}
