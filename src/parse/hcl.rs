//! HCL (Terraform `.tf`, `.tfvars`) to JSON with spans, via `hcl-edit` (which keeps byte spans).
//!
//! The JSON shape is the one conftest users already write policies against (hcl2json):
//! `resource "aws_s3_bucket" "b" { … }` becomes `input.resource.aws_s3_bucket.b`, nested blocks
//! become objects under their name, and a block type repeated in one body becomes an array.
//! Expressions that are not literals are kept as their source text in `${…}`, as hcl2json does,
//! so a policy can tell `"${var.key}"` (a reference) from a literal.

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, BlockLabel, Body, Structure};
use hcl_edit::template::{Element, Template};
use hcl_edit::Span as _;
use serde_json::{Map, Number, Value};

use super::{check_depth, Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    convert(source, limits, false)
}

/// HCL2 in conftest's own shape (tmccombs/hcl2json, what conftest's `hcl2` parser gives): as
/// [`parse`], except that a block is always an array of bodies under its last label
/// (`resource.aws_s3_bucket.b[0]`), repeated or not. Used by `parse_config("hcl2", …)` and
/// `parse_config_file`, which return what conftest's parser returns.
pub fn parse_conftest(source: &str, limits: &Limits) -> Parsed {
    convert(source, limits, true)
}

fn convert(source: &str, limits: &Limits, conftest_shape: bool) -> Parsed {
    if let Err(e) = check_depth(source, limits.max_depth, b"[{(", b"]})") {
        return Parsed::failed(e);
    }
    match parse_body_bounded(source, limits) {
        Ok(body) => {
            let mut cx = Converter {
                source,
                spans: SpanMap::new(),
                conftest_shape,
            };
            let value = cx.body(&body, "");
            cx.spans.insert(String::new(), Span::new(0, source.len()));
            Parsed {
                docs: vec![ParsedDoc {
                    value,
                    spans: cx.spans,
                }],
                error: None,
            }
        }
        Err(e) => Parsed::failed(e),
    }
}

/// `hcl_edit::parser::parse_body`, given at most `limits.parse_time_limit` (a twentieth of it
/// for a file up to [`QUICK_SIZE`]; plus a second per MiB) of CPU time in a child process, or
/// of wall time on a thread. The parser backtracks exponentially on some malformed expressions (fuzz/parse_hcl
/// found a 991-byte file that takes 72 s, each further ~100 bytes ten times more), and a
/// library call cannot be interrupted: the parse runs on its own thread, and when the time is
/// up the file is reported as not parsed while that thread is left to finish or to end with
/// the process. A thread per file costs more than parsing a small file (measured: 1.18× the
/// CPU of a scan of small files), so a file runs on its own thread only when its parentheses
/// nest deeper than [`QUICK_PAREN_DEPTH`] (the shape of every backtracking input found so far:
/// a run of unclosed `(`) or when it is larger than [`QUICK_SIZE`]: the parser's objects are
/// vector maps, so one object literal of n keys costs n² (40,000 keys: 11 s; a 5 MiB file
/// holds 400,000). Other files are parsed directly. A file whose parse ran out of time once
/// is not parsed again in the same process (the module index and the scan both parse it).
fn parse_body_bounded(source: &str, limits: &Limits) -> Result<Body, ParseError> {
    use std::hash::{Hash, Hasher};
    // What the bounded path learnt about a text, by its hash: it is not probed again.
    static KNOWN: std::sync::Mutex<Vec<(u64, Known)>> = std::sync::Mutex::new(Vec::new());
    let error =
        |e: hcl_edit::parser::Error| ParseError::within(source, e.message(), e.location().offset());
    if source.len() <= QUICK_SIZE && max_paren_depth(source) <= QUICK_PAREN_DEPTH {
        return hcl_edit::parser::parse_body(source).map_err(error);
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    source.hash(&mut h);
    let key = h.finish();
    // A small file (the backtracking shape) gets a twentieth of the limit: it parses in
    // milliseconds when it parses at all.
    let base = if source.len() <= QUICK_SIZE {
        limits.parse_time_limit / 20
    } else {
        limits.parse_time_limit
    };
    let mib = u64::try_from(source.len() >> 20).unwrap_or(u64::MAX);
    let limit = base.saturating_add(std::time::Duration::from_secs(mib));
    let timed_out = || {
        ParseError::within(
            source,
            format!(
                "the HCL parser did not finish within {} s (it backtracks on deeply nested parentheses and is quadratic in the keys of one object); the file was not parsed",
                limit.as_secs_f32()
            ),
            0,
        )
    };
    let known = KNOWN
        .lock()
        .ok()
        .and_then(|k| k.iter().find(|(h, _)| *h == key).map(|(_, v)| v.clone()));
    let remember = |what: Known| {
        if let Ok(mut k) = KNOWN.lock() {
            k.push((key, what));
        }
    };
    match known {
        Some(Known::TimedOut) => return Err(timed_out()),
        Some(Known::Failed(e)) => return Err(e),
        Some(Known::Parses) => return hcl_edit::parser::parse_body(source).map_err(error),
        None => {}
    }
    if let Some(exe) = PROBE_EXE.get() {
        match probe(exe, source, limit) {
            Probe::Parses => {
                remember(Known::Parses);
                return hcl_edit::parser::parse_body(source).map_err(error);
            }
            Probe::Failed { offset, message } => {
                let e = ParseError::within(source, message, offset);
                remember(Known::Failed(e.clone()));
                return Err(e);
            }
            Probe::TimedOut => {
                remember(Known::TimedOut);
                return Err(timed_out());
            }
            Probe::Crashed(status) => {
                let e = ParseError::within(
                    source,
                    format!(
                        "the HCL parser failed on this file ({status}); the file was not parsed"
                    ),
                    0,
                );
                remember(Known::Failed(e.clone()));
                return Err(e);
            }
            Probe::Unavailable => {}
        }
    }
    // No child process: a thread, left running after the limit (using a core until the
    // process ends).
    let owned = source.to_owned();
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("hcl-parse".into())
        .spawn(move || {
            let _ = tx.send(hcl_edit::parser::parse_body(&owned));
        });
    if spawned.is_err() {
        return hcl_edit::parser::parse_body(source).map_err(error);
    }
    if let Ok(result) = rx.recv_timeout(limit) {
        return result.map_err(error);
    }
    remember(Known::TimedOut);
    Err(timed_out())
}

/// What the bounded path found for a text.
#[derive(Clone)]
enum Known {
    TimedOut,
    Failed(ParseError),
    /// The text parses within the limit (it is parsed again, directly).
    Parses,
}

/// The binary to run [`PROBE_COMMAND`] with, set by the `custos` binary at start-up
/// ([`use_probe_process`]); without it (the library in tests and fuzz targets) a bounded parse
/// runs on a thread.
static PROBE_EXE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// The hidden command of the `custos` binary that parses HCL from standard input in a child
/// process and exits 0 when it parses, 1 when it does not ([`probe_main`]).
pub const PROBE_COMMAND: &str = "hcl-parse-probe";

/// Parse files that may be slow in a child process running `exe` ([`PROBE_COMMAND`]), which is
/// killed at the time limit. A thread cannot be stopped: past the limit it kept a core busy
/// until the end of the run (a scan of this repository, whose fixtures hold two such files,
/// spent three quarters of its CPU in them).
pub fn use_probe_process(exe: std::path::PathBuf) {
    let _ = PROBE_EXE.set(exe);
}

/// [`PROBE_COMMAND`]: read HCL from standard input, parse it, and exit 0 if it parses, 1 (after
/// printing the error's byte offset and message) if it does not, 2 if the input cannot be
/// read. Its address space is capped at [`PROBE_MEMORY`].
pub fn probe_main() -> i32 {
    use std::io::Write as _;
    #[cfg(unix)]
    {
        let _ = rlimit::setrlimit(rlimit::Resource::CORE, 0, 0);
        let _ = rlimit::setrlimit(rlimit::Resource::AS, PROBE_MEMORY, PROBE_MEMORY);
    }
    let mut text = String::new();
    if std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).is_err() {
        return 2;
    }
    match hcl_edit::parser::parse_body(&text) {
        Ok(_) => 0,
        Err(e) => {
            // The syntax error for the parent: its offset, then its message (at most 4 KiB,
            // well under a pipe's buffer, so the parent may read it after the exit).
            let mut message = e.message().to_owned();
            let mut cut = message.len().min(4096);
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            let _ = writeln!(
                std::io::stdout().lock(),
                "{}\n{message}",
                e.location().offset()
            );
            1
        }
    }
}

/// Address space of the probe child. A whole scan holds ~80 times a Terraform file of small
/// attributes (100,000 of them, 1.3 MB: 120 MB; 1,000,000, 14 MB: 1 GB, of which the child's
/// parse needs less than this cap); every file over [`QUICK_SIZE`] is probed first, so a file
/// whose parse alone would need more is a parse error instead of taking the scan's memory.
const PROBE_MEMORY: u64 = 1 << 30;

enum Probe {
    /// The child parsed the file within the limit.
    Parses,
    /// The child found a syntax error within the limit.
    Failed {
        offset: usize,
        message: String,
    },
    TimedOut,
    /// The child ended some other way (a signal, an exit code of its own): what it was.
    Crashed(String),
    /// No child could be run.
    Unavailable,
}

/// Parse `source` in a child process, killed at `limit`.
fn probe(exe: &std::path::Path, source: &str, limit: std::time::Duration) -> Probe {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let start = std::time::Instant::now();
    let Ok(mut child) = Command::new(exe)
        .arg(PROBE_COMMAND)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    else {
        return Probe::Unavailable;
    };
    // The child reads all of its input before parsing, so this write does not wait on it.
    let written = child
        .stdin
        .take()
        .is_some_and(|mut stdin| stdin.write_all(source.as_bytes()).is_ok());
    loop {
        match child.try_wait() {
            Ok(Some(status)) if !written => {
                return if status.success() || status.code() == Some(1) {
                    Probe::Unavailable
                } else {
                    Probe::Crashed(crash_reason(status))
                }
            }
            Ok(Some(status)) => {
                return match status.code() {
                    Some(0) => Probe::Parses,
                    Some(1) => {
                        let mut out = String::new();
                        if let Some(mut stdout) = child.stdout.take() {
                            let _ = std::io::Read::read_to_string(&mut stdout, &mut out);
                        }
                        let (offset, message) = out.split_once('\n').unwrap_or(("0", &out));
                        Probe::Failed {
                            offset: offset.trim().parse().unwrap_or(0),
                            message: message.trim_end().to_owned(),
                        }
                    }
                    _ => Probe::Crashed(crash_reason(status)),
                }
            }
            // The limit is the child's CPU time where the system reports it (so a busy
            // machine does not cut off a file that parses), with its wall time bounded too.
            Ok(None)
                if cpu_time(child.id()).map_or(start.elapsed(), |cpu| cpu) < limit
                    && start.elapsed() < limit.saturating_mul(10) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            waited => {
                let _ = child.kill();
                let _ = child.wait();
                return if waited.is_ok() {
                    Probe::TimedOut
                } else {
                    Probe::Unavailable
                };
            }
        }
    }
}

/// How the probe child ended, in words: an abort is Rust's answer to a failed allocation, i.e.
/// the memory cap.
fn crash_reason(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if status.signal() == Some(6) {
            return format!("it needed more than {} MiB of memory", PROBE_MEMORY >> 20);
        }
    }
    status.to_string()
}

/// CPU time (user + system) of process `pid` so far, from `/proc` (Linux; `None` elsewhere).
fn cpu_time(pid: u32) -> Option<std::time::Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces): state, then utime and stime as
    // the 12th and 13th, in clock ticks of 1/100 s (USER_HZ, fixed for this interface).
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = rest.split_ascii_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(std::time::Duration::from_millis((utime + stime) * 10))
}

/// Size up to which a file is parsed without a time limit: 256 KiB holds at most ~20,000
/// object keys, which parse in well under a second.
const QUICK_SIZE: usize = 256 << 10;

/// Nesting of `(` up to which a file is parsed without a time limit.
const QUICK_PAREN_DEPTH: usize = 8;

/// Deepest nesting of parentheses in `source`, counting `(` and `)` wherever they are.
fn max_paren_depth(source: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in source.bytes() {
        match b {
            b'(' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

struct Converter<'a> {
    source: &'a str,
    spans: SpanMap,
    /// Blocks always as arrays of bodies (conftest's shape), not only when repeated.
    conftest_shape: bool,
}

impl Converter<'_> {
    fn body(&mut self, body: &Body, pointer: &str) -> Value {
        let mut map = Map::new();
        for structure in body {
            match structure {
                Structure::Attribute(attr) => {
                    let key = attr.key.as_str().to_owned();
                    let p = push_token(pointer, &key);
                    let v = self.expr(&attr.value, &p);
                    map.insert(key, v);
                }
                Structure::Block(block) => self.block(block, &mut map, pointer),
            }
        }
        Value::Object(map)
    }

    /// Insert a block at `map[ident][label…]`, turning the slot into an array on repetition.
    fn block(&mut self, block: &Block, map: &mut Map<String, Value>, pointer: &str) {
        let block_span = block.span().map(Span::from);
        let mut path = vec![block.ident.as_str().to_owned()];
        path.extend(block.labels.iter().map(|l| match l {
            BlockLabel::Ident(i) => i.as_str().to_owned(),
            BlockLabel::String(s) => s.value().clone(),
        }));
        let Some((last, parents)) = path.split_last() else {
            return;
        };

        // Walk/create the intermediate objects for ident and leading labels.
        let mut slot = map;
        let mut p = pointer.to_owned();
        for seg in parents {
            p = push_token(&p, seg);
            if let Some(s) = block_span {
                self.spans.entry(p.clone()).or_insert(s);
            }
            let entry = slot
                .entry(seg.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                // A label collides with an attribute of the same name: keep both by nesting
                // the block under the attribute's name is impossible, so replace with an object
                // holding the block (the attribute was invalid Terraform anyway).
                *entry = Value::Object(Map::new());
            }
            let Value::Object(next) = entry else { return };
            slot = next;
        }
        let leaf_pointer = push_token(&p, last);
        match slot.get_mut(last) {
            None if self.conftest_shape => {
                let ip = push_token(&leaf_pointer, "0");
                let v = self.body(&block.body, &ip);
                if let Some(s) = block_span {
                    self.spans.insert(ip, s);
                    self.spans.insert(leaf_pointer, s);
                }
                slot.insert(last.clone(), Value::Array(vec![v]));
            }
            None => {
                let v = self.body(&block.body, &leaf_pointer);
                if let Some(s) = block_span {
                    self.spans.insert(leaf_pointer, s);
                }
                slot.insert(last.clone(), v);
            }
            Some(existing) => {
                if !existing.is_array() {
                    self.rekey(&leaf_pointer, &push_token(&leaf_pointer, "0"));
                    let first = std::mem::take(existing);
                    *existing = Value::Array(vec![first]);
                }
                if let Value::Array(items) = existing {
                    let ip = push_token(&leaf_pointer, &items.len().to_string());
                    let v = self.body(&block.body, &ip);
                    if let Some(s) = block_span {
                        self.spans.insert(ip, s);
                    }
                    items.push(v);
                }
            }
        }
    }

    /// Move every span at or below `from` to the same place below `to`.
    fn rekey(&mut self, from: &str, to: &str) {
        let prefix = format!("{from}/");
        let moved: Vec<(String, Span)> = self
            .spans
            .iter()
            .filter(|(k, _)| k.as_str() == from || k.starts_with(&prefix))
            .map(|(k, s)| (format!("{to}{}", &k[from.len()..]), *s))
            .collect();
        self.spans
            .retain(|k, _| !(k.as_str() == from || k.starts_with(&prefix)));
        let whole = moved.iter().find(|(k, _)| k == to).map(|(_, s)| *s);
        self.spans.extend(moved);
        if let Some(s) = whole {
            self.spans.insert(from.to_owned(), s);
        }
    }

    fn text(&self, span: Option<std::ops::Range<usize>>) -> Option<&str> {
        span.and_then(|r| self.source.get(r))
    }

    fn expr(&mut self, expr: &Expression, pointer: &str) -> Value {
        let span = expr.span();
        if let Some(s) = span.clone() {
            self.spans.insert(pointer.to_owned(), Span::from(s));
        }
        match expr {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(*b.value()),
            Expression::Number(n) => serde_json::from_str::<Number>(&n.value().to_string())
                .map_or_else(|_| Value::String(n.value().to_string()), Value::Number),
            Expression::String(s) => Value::String(s.value().clone()),
            Expression::Array(a) => Value::Array(
                a.iter()
                    .enumerate()
                    .map(|(i, e)| self.expr(e, &push_token(pointer, &i.to_string())))
                    .collect(),
            ),
            Expression::Object(o) => {
                let mut map = Map::new();
                for (k, v) in o {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_owned(),
                        ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                        ObjectKey::Expression(e) => self
                            .text(e.span())
                            .map_or_else(|| e.to_string(), str::to_owned),
                    };
                    let child = self.expr(v.expr(), &push_token(pointer, &key));
                    map.insert(key, child);
                }
                Value::Object(map)
            }
            Expression::StringTemplate(t) => {
                self.template(t, span.map(|r| (r.start + 1)..r.end.saturating_sub(1)))
            }
            Expression::HeredocTemplate(h) => self.template(&h.template, h.template.span()),
            Expression::Parenthesis(p) => self.expr(p.inner(), pointer),
            other => {
                let text = self
                    .text(span)
                    .map_or_else(|| other.to_string(), |t| t.trim().to_owned());
                Value::String(format!("${{{text}}}"))
            }
        }
    }

    /// A template with only literal parts is a plain string; otherwise keep its source text.
    fn template(&self, t: &Template, inner: Option<std::ops::Range<usize>>) -> Value {
        let mut literal = String::new();
        for el in t {
            match el {
                Element::Literal(s) => literal.push_str(s.value()),
                _ => {
                    return Value::String(
                        self.text(inner)
                            .map_or_else(|| t.to_string(), str::to_owned),
                    )
                }
            }
        }
        Value::String(literal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// fuzz/parse_hcl found a 991-byte file that `hcl-edit` takes 72 s to refuse (this is its
    /// first 800 bytes: ~0.8 s in a release build, far more in a test build); each further
    /// ~100 bytes multiplies the time by ten. The parse is bounded: past the limit the file is
    /// a parse error, and the second parse of the same text is refused at once.
    #[test]
    fn a_parse_that_backtracks_is_cut_off_at_the_time_limit() {
        let src = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/parse/hcl-backtracking.tf"
        ))
        .expect("fixture");
        assert!(max_paren_depth(&src) > QUICK_PAREN_DEPTH);
        let limits = Limits {
            parse_time_limit: std::time::Duration::from_millis(50),
            ..Limits::default()
        };
        for _ in 0..2 {
            let p = parse(&src, &limits);
            let err = p.error.expect("cut off");
            assert!(err.message.contains("did not finish within"), "{err:?}");
            assert!(p.docs.is_empty());
        }
        // The probe child's abort (a failed allocation under its cap) is named as such.
        #[cfg(unix)]
        {
            let aborted = std::process::Command::new("sh")
                .args(["-c", "kill -ABRT $$"])
                .status()
                .expect("sh");
            assert!(crash_reason(aborted).contains("more than 1024 MiB of memory"));
            let failed = std::process::Command::new("sh")
                .args(["-c", "exit 3"])
                .status()
                .expect("sh");
            assert!(
                crash_reason(failed).contains('3'),
                "{}",
                crash_reason(failed)
            );
        }
        // Deep parentheses that parse quickly still parse on the bounded path.
        let deep = format!("x = {}1{}\n", "(".repeat(20), ")".repeat(20));
        let p = parse(&deep, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        assert_eq!(p.docs[0].value["x"], 1);
    }

    #[test]
    fn conftest_shape_makes_every_block_an_array() {
        let src = "resource \"aws_s3_bucket\" \"b\" {\n  acl = \"private\"\n  versioning {\n    enabled = true\n  }\n}\nlocals {\n  x = 1\n}\n";
        let p = parse_conftest(src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        let v = &p.docs[0].value;
        assert_eq!(v["resource"]["aws_s3_bucket"]["b"][0]["acl"], "private");
        assert_eq!(
            v["resource"]["aws_s3_bucket"]["b"][0]["versioning"][0]["enabled"],
            true
        );
        assert_eq!(v["locals"][0]["x"], 1);
        let s = p.docs[0].spans["/resource/aws_s3_bucket/b/0/acl"];
        assert_eq!(&src[s.range()], "\"private\"");
        // custos's own shape is unchanged.
        let own = parse(src, &Limits::default());
        assert_eq!(
            own.docs[0].value["resource"]["aws_s3_bucket"]["b"]["acl"],
            "private"
        );
    }

    fn one(src: &str) -> ParsedDoc {
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        p.docs.into_iter().next().unwrap()
    }

    #[test]
    fn conftest_shape_for_resources() {
        let src = r#"
provider "aws" {
  region     = "us-east-1"
  access_key = "AKIA0000000000000000"
}

resource "aws_s3_bucket" "logs" {
  bucket = "acme-logs"
  tags = { Name = "logs" }
  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        sse_algorithm = "aws:kms"
      }
    }
  }
}
"#;
        let d = one(src);
        let v = &d.value;
        assert_eq!(v["provider"]["aws"]["region"], "us-east-1");
        assert_eq!(
            v["resource"]["aws_s3_bucket"]["logs"]["bucket"],
            "acme-logs"
        );
        assert_eq!(
            v["resource"]["aws_s3_bucket"]["logs"]["tags"]["Name"],
            "logs"
        );
        assert_eq!(
            v["resource"]["aws_s3_bucket"]["logs"]["server_side_encryption_configuration"]["rule"]
                ["apply_server_side_encryption_by_default"]["sse_algorithm"],
            "aws:kms"
        );
        let s = d.spans["/provider/aws/access_key"];
        assert_eq!(&src[s.range()], "\"AKIA0000000000000000\"");
        let b = d.spans["/resource/aws_s3_bucket/logs"];
        assert!(src[b.range()].starts_with("resource \"aws_s3_bucket\" \"logs\""));
    }

    #[test]
    fn references_and_templates_keep_source_text() {
        let d =
            one("a = var.x\nb = \"pre-${var.env}\"\nc = \"plain\"\nd = upper(\"x\")\ne = (1)\n");
        assert_eq!(d.value["a"], "${var.x}");
        assert_eq!(d.value["b"], "pre-${var.env}");
        assert_eq!(d.value["c"], "plain");
        assert_eq!(d.value["d"], "${upper(\"x\")}");
        assert_eq!(d.value["e"], 1);
    }

    #[test]
    fn repeated_blocks_become_arrays_with_rekeyed_spans() {
        let src = "resource \"aws_security_group\" \"sg\" {\n  ingress { from_port = 1 }\n  ingress { from_port = 2 }\n}\n";
        let d = one(src);
        let ing = &d.value["resource"]["aws_security_group"]["sg"]["ingress"];
        assert_eq!(ing[0]["from_port"], 1);
        assert_eq!(ing[1]["from_port"], 2);
        let s0 = d.spans["/resource/aws_security_group/sg/ingress/0/from_port"];
        assert_eq!(&src[s0.range()], "1");
        let s1 = d.spans["/resource/aws_security_group/sg/ingress/1/from_port"];
        assert_eq!(&src[s1.range()], "2");
    }

    #[test]
    fn heredoc_literal() {
        let d = one("p = <<EOT\nhello\nEOT\n");
        assert_eq!(d.value["p"], "hello\n");
    }

    #[test]
    fn syntax_error_has_location() {
        let src = "resource \"a\" \"b\" {\n  x = \n}\n";
        let p = parse(src, &Limits::default());
        let e = p.error.expect("error");
        assert!(e.span.unwrap().start > 0);
    }

    #[test]
    fn syntax_error_inside_a_multibyte_character_points_at_its_start() {
        // Found by fuzzing (fuzz/parse_hcl): the parser reported an offset in the middle of
        // the two-byte character, which split it.
        let src = "oura \u{588}";
        let e = parse(src, &Limits::default()).error.expect("error");
        let span = e.span.expect("span");
        assert!(
            src.is_char_boundary(span.start) && span.end <= src.len(),
            "{span:?}"
        );
    }
}
