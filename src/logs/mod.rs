//! Log samples: JSONL (including LLM prompt/response logs), nginx access logs and plain text,
//! read as a stream so memory stays bounded whatever the size of the file.
//!
//! Every line goes through the secret detector and the PII detector. Findings keep their own
//! masked copy of the line ([`Excerpt`]) because the file's text is not kept. nginx lines also
//! have their request URI and referrer percent-decoded and scanned again, so that an email or a
//! key hidden as `%40` is still found (reported on the whole field). With `--log-sample N`, a
//! deterministic, evenly spaced sample of N lines is scanned instead of every line.
//!
//! The same pass reads every line as a record of its source for the access-log audit
//! ([`audit`]): records become policy documents and feed per-source aggregates
//! ([`aggregate`]), see docs/logs.md.

pub mod aggregate;
pub mod audit;
pub mod json;
pub mod nginx;
pub mod record;
pub mod source;
pub mod time;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::detect::{self, pii, secrets, Detection};
use crate::document::Kind;
use crate::finding::{Excerpt, Finding, Severity};

/// Longest line kept whole in an excerpt; longer lines are cut around the match.
const EXCERPT_MAX: usize = 240;
/// Findings *listed* per log file. Beyond this they are still counted (per rule and severity,
/// see [`LogScan::unlisted`]) and still decide the exit code; the listed ones are the most
/// severe, earliest first.
pub const MAX_FINDINGS_PER_LOG: usize = 1_000;

static NGINX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^(?P<addr>\S+) \S+ (?P<user>\S+) \[[^\]]+\] "(?P<method>[A-Z]+) (?P<uri>\S+)[^"]*" \d{3} \S+(?: "(?P<referrer>[^"]*)" "(?P<agent>[^"]*)")?"#)
        .expect("static regex")
});

/// Is this line an nginx common/combined log line?
pub fn is_nginx_line(line: &str) -> bool {
    NGINX.is_match(line)
}

/// What a log scan produced.
#[derive(Debug, Default)]
pub struct LogScan {
    /// The listed findings: at most [`MAX_FINDINGS_PER_LOG`], the most severe first chosen.
    pub findings: Vec<Finding>,
    pub lines: usize,
    pub lines_scanned: usize,
    pub bytes: u64,
    /// Findings over the listing cap, counted per (rule, severity): never dropped from the
    /// totals or the gate.
    pub unlisted: std::collections::BTreeMap<(String, Severity), usize>,
}

impl LogScan {
    /// How many findings were found but not listed.
    pub fn unlisted_total(&self) -> usize {
        self.unlisted.values().sum()
    }

    /// Keep the `cap` most severe findings (earliest first among equals); count the rest.
    fn shed(&mut self, cap: usize) {
        if self.findings.len() <= cap {
            return;
        }
        // Stable: among equal severities the earlier line stays listed.
        self.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        for f in self.findings.drain(cap..) {
            *self.unlisted.entry((f.rule_id, f.severity)).or_default() += 1;
        }
        self.findings.sort_by_key(|f| f.span.map_or(0, |s| s.start));
    }
}

/// How a rule's finding is rated in this run: `None` when the rule is disabled, otherwise its
/// (possibly overridden) severity. Applied before the listing cap, so the cap keeps what the
/// configuration makes most severe.
pub type Rate<'a> = &'a dyn Fn(&str, Severity) -> Option<Severity>;

/// Settings for log scanning.
#[derive(Debug, Clone)]
pub struct LogOptions {
    pub entities: Vec<pii::Entity>,
    /// Scan an evenly spaced sample of at most this many lines.
    pub sample: Option<usize>,
}

pub(crate) fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return None;
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) =
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Detections on one line: secrets, PII, and (for nginx) the decoded URI and referrer.
pub fn detect_line(line: &str, kind: Kind, entities: &[pii::Entity]) -> Vec<Detection> {
    // One keyword pass over the line finds the secret rules' keywords and the PII context words.
    let (mut found, words) = secrets::scan_with_context_words(line, secrets::Context::Config);
    for d in pii::scan_with_words(line, entities, words) {
        if !found.iter().any(|f| f.start < d.end && d.start < f.end) {
            found.push(d);
        }
    }
    // Only a `%` in the line can make a decoded field differ from the raw one.
    if kind == Kind::LogNginx && memchr::memchr(b'%', line.as_bytes()).is_some() {
        if let Some(c) = NGINX.captures(line) {
            for field in ["uri", "referrer"] {
                let Some(m) = c.name(field) else { continue };
                let Some(decoded) = percent_decode(m.as_str()) else {
                    continue;
                };
                let mut inner = secrets::scan(&decoded, secrets::Context::Config);
                inner.extend(pii::scan(&decoded, entities));
                for d in inner {
                    // Report on the whole field, unless the raw line already showed this rule there.
                    if !found
                        .iter()
                        .any(|f| f.rule == d.rule && f.start < m.end() && m.start() < f.end)
                    {
                        found.push(Detection {
                            rule: d.rule,
                            start: m.start(),
                            end: m.end(),
                        });
                    }
                }
            }
        }
    }
    found.sort_by_key(|d| (d.start, d.rule));
    found
}

/// Severity and message for a detection (the value only as a short preview); the title is
/// the catalog's.
pub fn describe(d: &Detection, value: &str) -> (Severity, String) {
    (severity(d), format!("value {}", detect::preview(value)))
}

/// The catalog severity of a detection's rule.
fn severity(d: &Detection) -> Severity {
    secrets::rule(d.rule).map_or_else(
        || {
            pii::ENTITIES
                .iter()
                .find(|e| e.1 == d.rule)
                .map_or(Severity::Medium, |e| e.3)
        },
        |rule| rule.severity,
    )
}

/// Up to this many detected values on a line are searched for one by one in [`masked_line`].
const FEW_VALUES: usize = 8;

/// `line` with every detection masked, and whatever no detector recognised but looks like a
/// credential masked too: an excerpt must never carry a key a rule does not know. The same
/// byte length as `line`, so spans stay valid. Computed once per line, whatever the number of
/// findings on it.
pub(crate) fn masked_line(line: &str, dets: &[Detection]) -> String {
    let mut masked = line.to_owned();
    for d in dets {
        if let Some(v) = line.get(d.start..d.end) {
            masked.replace_range(d.start..d.end, &crate::detect::mask(v));
        }
    }
    // A detected value written a second time where no rule recognised it (`password=v … v`)
    // is the same secret: every occurrence on the line is masked. A few values are searched
    // one by one (a substring search each); more go through one automaton per line, which keeps
    // this linear in the line whatever the number of findings on it. The automaton is the
    // non-contiguous NFA: building a DFA for every line cost more than the whole rest of a
    // scan of a log with PII on every line.
    let values: Vec<&str> = dets
        .iter()
        .filter_map(|d| line.get(d.start..d.end))
        .filter(|v| v.len() >= 4)
        .collect();
    let mut found: Vec<std::ops::Range<usize>> = Vec::new();
    if values.len() <= FEW_VALUES {
        for v in &values {
            found.extend(line.match_indices(v).map(|(at, _)| at..at + v.len()));
        }
        found.sort_unstable_by_key(|r| r.start);
    } else if let Ok(ac) = aho_corasick::AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostLongest)
        .kind(Some(aho_corasick::AhoCorasickKind::NoncontiguousNFA))
        .build(&values)
    {
        found.extend(ac.find_iter(line).map(|m| m.range()));
    }
    // Overlapping occurrences are masked as one range: masking them one after the other would
    // write the first characters of a later one over the masked middle of an earlier one.
    let mut merged: Vec<std::ops::Range<usize>> = Vec::with_capacity(found.len());
    for r in found {
        match merged.last_mut() {
            Some(last) if r.start < last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    for r in merged {
        if let Some(v) = line.get(r.clone()) {
            masked.replace_range(r, &crate::detect::mask(v));
        }
    }
    // Detections are sorted by start: a token overlaps one only if it overlaps one of the
    // detections that start before the token ends.
    let mut max_end = Vec::with_capacity(dets.len());
    let mut running = 0;
    for d in dets {
        running = running.max(d.end);
        max_end.push(running);
    }
    for r in crate::detect::tokens::high_entropy_tokens(line) {
        let before = dets.partition_point(|d| d.start < r.end);
        if before > 0 && max_end[before - 1] > r.start {
            continue;
        }
        if let Some(v) = line.get(r.clone()) {
            masked.replace_range(r, &crate::detect::mask(v));
        }
    }
    masked
}

/// 1-based character columns of byte offsets in one line, counted on from the previous
/// offset: the findings of a line come in order, so a long line is counted once, not once per
/// finding.
#[derive(Debug, Default)]
struct Columns {
    byte: usize,
    chars: usize,
}

impl Columns {
    fn at(&mut self, line: &str, offset: usize) -> usize {
        if offset < self.byte {
            *self = Self::default();
        }
        let Some(part) = line.get(self.byte..offset) else {
            return 1;
        };
        self.chars += part.chars().count();
        self.byte = offset;
        self.chars + 1
    }
}

/// The excerpt of a finding: `masked` (see [`masked_line`]) cut to a window around `focus`.
fn excerpt(
    line: &str,
    masked: &str,
    focus: &Detection,
    columns: &mut Columns,
    line_no: usize,
    line_start: usize,
) -> Excerpt {
    let (mut from, mut to) = (0, masked.len());
    if masked.len() > EXCERPT_MAX {
        from = focus.start.saturating_sub(EXCERPT_MAX / 3);
        to = (focus.end + EXCERPT_MAX / 3).min(masked.len());
        while !masked.is_char_boundary(from) {
            from -= 1;
        }
        while !masked.is_char_boundary(to) {
            to += 1;
        }
    }
    Excerpt {
        line: line_no,
        line_start: line_start + from,
        column: columns.at(line, focus.start),
        text: masked[from..to].to_owned(),
        start: focus.start - from,
        end: focus.end.min(to) - from,
    }
}

fn count_lines(path: &Path) -> std::io::Result<usize> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 16];
    let (mut n, mut last) = (0usize, b'\n');
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        n += memchr::memchr_iter(b'\n', &buf[..k]).count();
        last = buf[k - 1];
    }
    Ok(n + usize::from(last != b'\n'))
}

/// Scan a log file as a stream.
pub fn scan_file(
    path: &Path,
    display: &str,
    kind: Kind,
    opts: &LogOptions,
    rate: Rate<'_>,
) -> std::io::Result<LogScan> {
    scan_file_with(path, display, kind, opts, rate, &mut |_, _, _, _| {})
}

/// What [`scan_file_with`] calls for every line: the line (without its end of line), its
/// 1-based number, the byte offset of its start, and whether it is in the sample.
pub type OnLine<'a> = &'a mut dyn FnMut(&str, usize, usize, bool);

/// [`scan_file`], handing every line to `on_line` as well (the access-log audit reads
/// records in the same pass).
pub fn scan_file_with(
    path: &Path,
    display: &str,
    kind: Kind,
    opts: &LogOptions,
    rate: Rate<'_>,
    on_line: OnLine<'_>,
) -> std::io::Result<LogScan> {
    let stride = match opts.sample {
        Some(n) if n > 0 => {
            let total = count_lines(path)?;
            total.div_ceil(n).max(1)
        }
        _ => 1,
    };
    let mut out = LogScan::default();
    let mut reader = BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    let mut buf = Vec::new();
    let mut offset = 0usize;
    // Once the listing is full (after a shed), the least severe listed finding: a later finding
    // no more severe would be shed (the earlier line stays listed among equals), so it is only
    // counted, without building its message and excerpt or masking its line.
    let mut floor: Option<Severity> = None;
    let mut counted: Vec<(&'static str, Severity, usize)> = Vec::new();
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        out.lines += 1;
        out.bytes += n as u64;
        let line_start = offset;
        offset += n;
        let sampled = (out.lines - 1) % stride == 0;
        let text = text_of(&buf);
        let line = text.trim_end_matches(['\n', '\r']);
        on_line(line, out.lines, line_start, sampled);
        if !sampled {
            continue;
        }
        out.lines_scanned += 1;
        let dets = detect_line(line, kind, &opts.entities);
        let mut masked: Option<String> = None;
        let mut columns = Columns::default();
        for d in &dets {
            let Some(severity) = rate(d.rule, severity(d)) else {
                continue;
            };
            if floor.is_some_and(|least| severity <= least) {
                match counted
                    .iter_mut()
                    .find(|(r, s, _)| *r == d.rule && *s == severity)
                {
                    Some((_, _, n)) => *n += 1,
                    None => counted.push((d.rule, severity, 1)),
                }
                continue;
            }
            let value = line.get(d.start..d.end).unwrap_or_default();
            let message = format!("value {}", detect::preview(value));
            let masked = masked.get_or_insert_with(|| masked_line(line, &dets));
            let mut f = Finding::new(d.rule, severity, message, display);
            f.kind = Some(kind);
            f.sensitive = true;
            f.span = Some(crate::document::Span::new(
                line_start + d.start,
                line_start + d.end,
            ));
            f.excerpt = Some(excerpt(
                line,
                masked,
                d,
                &mut columns,
                out.lines,
                line_start,
            ));
            out.findings.push(f);
        }
        // Memory stays bounded: never hold more than twice the cap before shedding.
        if out.findings.len() >= 2 * MAX_FINDINGS_PER_LOG {
            out.shed(MAX_FINDINGS_PER_LOG);
            floor = out.findings.iter().map(|f| f.severity).min();
        }
    }
    out.shed(MAX_FINDINGS_PER_LOG);
    for (rule, severity, n) in counted {
        *out.unlisted.entry((rule.to_owned(), severity)).or_default() += n;
    }
    Ok(out)
}

/// A line as text, each byte of an invalid UTF-8 sequence replaced by `?`: unlike
/// `from_utf8_lossy` (three bytes per replacement), byte offsets in the text stay byte offsets
/// in the file, so spans and excerpts point where the value really is.
fn text_of(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(std::iter::repeat_n('?', chunk.invalid().len()));
    }
    std::borrow::Cow::Owned(out)
}

/// Classify a `.log` file from its first non-empty line.
pub fn sniff(first_line: &str) -> Kind {
    let t = first_line.trim_start();
    if t.starts_with('{') && serde_json::from_str::<serde_json::Value>(t.trim_end()).is_ok() {
        Kind::LogJsonl
    } else if is_nginx_line(t) {
        Kind::LogNginx
    } else {
        Kind::LogText
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    #[test]
    fn nginx_lines_and_decoding() {
        let line = r#"203.0.113.7 - - [22/Nov/2026:06:00:00 +0000] "GET /signup?email=jane.doe%40acme-corp.io&next=%2F HTTP/1.1" 302 0 "-" "curl/8.5""#;
        assert!(is_nginx_line(line));
        assert_eq!(sniff(line), Kind::LogNginx);
        let d = detect_line(line, Kind::LogNginx, &pii::Entity::defaults());
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].rule, "PII001");
        assert!(line[d[0].start..d[0].end].starts_with("/signup"));
        assert_eq!(percent_decode("a%40b").as_deref(), Some("a@b"));
    }

    #[test]
    fn spans_after_invalid_utf8_are_file_offsets() {
        // Found by review while fuzzing: lossy decoding made each invalid byte three bytes
        // long, so spans after it pointed past the value (and past the end of the file).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let bytes = b"ok\n\xff\xfe\xff\xc3 user jane.doe@acme-corp.io\n";
        std::fs::write(&path, bytes).unwrap();
        let opts = LogOptions {
            entities: pii::Entity::defaults(),
            sample: None,
        };
        let found = scan_file(&path, "a.log", Kind::LogText, &opts, &|_, s| Some(s)).unwrap();
        assert_eq!(found.findings.len(), 1, "{:?}", found.findings);
        let span = found.findings[0].span.unwrap();
        assert_eq!(&bytes[span.start..span.end], b"jane.doe@acme-corp.io");
        let e = found.findings[0].excerpt.as_ref().unwrap();
        assert_eq!(e.start, span.start - 3);
        assert!(e.text.starts_with("???? user "), "{}", e.text);
        assert_eq!(text_of(b"a\xe2\x82"), "a??");
    }

    #[test]
    fn a_detected_value_repeated_where_no_rule_sees_it_is_masked_too() {
        let line = "login password=Zq8vT2mWx9Lk retry with Zq8vT2mWx9Lk ok";
        let dets = detect_line(line, Kind::LogText, &[]);
        assert_eq!(dets.len(), 1, "{dets:?}");
        let masked = masked_line(line, &dets);
        assert!(!masked.contains("Zq8vT2mWx9Lk"), "{masked}");
        assert_eq!(
            masked,
            "login password=Zq8********* retry with Zq8********* ok"
        );
    }

    #[test]
    fn repeated_values_are_masked_with_few_and_with_many_detections() {
        // Below and above FEW_VALUES detections on the line (searched one by one, or through
        // one automaton), each value written again later in the line.
        for n in [1, FEW_VALUES, FEW_VALUES + 3] {
            let values: Vec<String> = (0..n).map(|i| format!("Zq8vT2mWx9L{i:02}k")).collect();
            let mut line = String::new();
            for v in &values {
                let _ = write!(line, "password={v} ");
            }
            line.push_str("retry with");
            for v in &values {
                let _ = write!(line, " {v}");
            }
            let dets = detect_line(&line, Kind::LogText, &[]);
            assert_eq!(dets.len(), n, "{dets:?}");
            let masked = masked_line(&line, &dets);
            assert_eq!(masked.len(), line.len());
            for v in &values {
                assert!(!masked.contains(v.as_str()), "{n}: {masked}");
            }
            assert_eq!(masked.matches("Zq8*********").count(), 2 * n, "{masked}");
        }
    }

    #[test]
    fn columns_count_characters_incrementally() {
        let line = "é a é b";
        let mut c = Columns::default();
        assert_eq!(c.at(line, 0), 1);
        assert_eq!(c.at(line, 3), 3);
        assert_eq!(c.at(line, 8), 7);
        // Going back starts over; an offset inside a character is column 1.
        assert_eq!(c.at(line, 2), 2);
        assert_eq!(c.at(line, 1), 1);
    }

    #[test]
    fn excerpts_on_a_line_with_thousands_of_findings_are_masked_and_placed() {
        // Found while measuring memory: every finding copied, masked and re-tokenised the
        // whole line, quadratic in a long line's findings (over 10 minutes for a 1.6 MB line
        // with 5,000 emails).
        let mut line = String::new();
        for i in 0..3_000 {
            let _ = write!(line, "user{i}@acme-corp.io pad{} ", "x".repeat(100));
        }
        let dets = detect_line(&line, Kind::LogText, &pii::Entity::defaults());
        assert_eq!(dets.len(), 3_000);
        let masked = masked_line(&line, &dets);
        let mut columns = Columns::default();
        for d in &dets {
            let e = excerpt(&line, &masked, d, &mut columns, 1, 0);
            assert!(!e.text.contains(&line[d.start..d.end]), "{}", e.text);
            assert_eq!(e.column, d.start + 1, "ASCII: columns are byte offsets + 1");
        }
    }

    #[test]
    fn excerpts_are_masked_and_cut() {
        let line = format!(
            "{} token=ghp_4Nd8cR2xWq7Lm9Zt3Kp6Vb1Hs5Jf0Ga8Ye2Q {}",
            "x".repeat(400),
            "y".repeat(400)
        );
        let dets = detect_line(&line, Kind::LogText, &[]);
        assert_eq!(dets.len(), 1);
        let e = excerpt(
            &line,
            &masked_line(&line, &dets),
            &dets[0],
            &mut Columns::default(),
            7,
            1000,
        );
        assert!(e.text.len() <= EXCERPT_MAX + 8);
        assert!(!e.text.contains("4Nd8cR2xWq7Lm9Zt3Kp6"));
        assert_eq!(&e.text[e.start..e.start + 4], "ghp_");
        assert_eq!(e.line, 7);
    }

    #[test]
    fn excerpts_mask_credential_shaped_tokens_no_rule_knows() {
        // An email (a finding) beside a random 32-character token that no rule matches.
        let token = "q7Zt3Kp6Vb1Hs5Jf0Ga8Ye2QwX9mL4nR";
        let line = format!("user jane.doe@acme-corp.io session {token} ok");
        let dets = detect_line(&line, Kind::LogText, &pii::Entity::defaults());
        assert!(!dets.is_empty());
        let e = excerpt(
            &line,
            &masked_line(&line, &dets),
            &dets[0],
            &mut Columns::default(),
            1,
            0,
        );
        assert!(!e.text.contains(token), "{}", e.text);
        assert!(!e.text.contains(&token[8..]), "{}", e.text);
        assert!(
            e.text.contains("session "),
            "ordinary words stay: {}",
            e.text
        );
        assert_eq!(e.text.len(), line.len());
    }

    #[test]
    fn an_llm_prompt_with_an_aws_key_pair_leaks_neither_half() {
        let secret = "wJa9rXUtnFEMI7K7MDENGbPxRfiCYzq4HkT2mQ8v";
        let line = format!(
            r#"{{"role":"user","prompt":"deploy with AKIA2E0A8F3B244C9986 and secret {secret} please"}}"#
        );
        let dets = detect_line(&line, Kind::LogJsonl, &pii::Entity::defaults());
        for d in &dets {
            let e = excerpt(
                &line,
                &masked_line(&line, &dets),
                d,
                &mut Columns::default(),
                1,
                0,
            );
            assert!(!e.text.contains(secret), "{}", e.text);
            assert!(!e.text.contains(&secret[6..]), "{}", e.text);
            assert!(!e.text.contains("2E0A8F3B244C9986"), "{}", e.text);
        }
        assert!(!dets.is_empty());
    }

    /// One keyword pass over a line (the secret rules' keywords and the PII context words
    /// together) gives the detections of the two separate passes: on every line of the log
    /// fixtures, and on lines with each context-dependent entity with and without its word,
    /// near it or far from it, beside secrets.
    #[test]
    fn one_keyword_pass_gives_the_detections_of_two() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut lines: Vec<String> = Vec::new();
        let mut dirs = vec![root.join("logs"), root.join("rules")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "jsonl" || e == "log") {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    lines.extend(text.lines().map(str::to_owned));
                }
            }
        }
        assert!(lines.len() > 1_000, "{}", lines.len());
        let values = [
            "943 476 5919",
            "912803456",
            "415-555-0132",
            "020 7946 0958",
            "+44 20 7946 0958",
            "(415) 555-0132",
        ];
        let words = [
            "NHS number:",
            "passport no.",
            "phone:",
            "Tel",
            "call me on",
            "order",
            "",
        ];
        for v in values {
            for w in words {
                lines.push(format!("{w} {v}"));
                lines.push(format!(
                    r#"{{"note":"{w}","pad":"{}","v":"{v}"}}"#,
                    "x".repeat(60)
                ));
                lines.push(format!(
                    "user jane.doe@acme-corp.io {w} {v} token=Zq8vT2mWx9Lk3Rp6"
                ));
            }
        }
        let all: Vec<pii::Entity> = pii::ENTITIES.iter().map(|e| e.0).collect();
        let mut context_found = 0;
        for line in &lines {
            let (secrets_found, words) =
                secrets::scan_with_context_words(line, secrets::Context::Config);
            assert_eq!(
                secrets_found,
                secrets::scan(line, secrets::Context::Config),
                "{line}"
            );
            for entities in [&all, &pii::Entity::defaults()] {
                let one = pii::scan_with_words(line, entities, words);
                assert_eq!(one, pii::scan(line, entities), "{line}");
                context_found += one
                    .iter()
                    .filter(|d| ["PII002", "PII007", "PII009"].contains(&d.rule))
                    .count();
            }
        }
        assert!(context_found > 20, "{context_found}");
    }
}
