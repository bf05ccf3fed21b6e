//! Tamper-evident audit-log chains (DESIGN.md, "Audit-log chain format (v1)").
//!
//! A chain is JSONL; each record carries `seq`, `prev_hash` and `hash`, where `hash` is the
//! SHA-256 of the record's RFC 8785 canonical form without `hash`. Record hashes are the
//! leaves of an RFC 6962 Merkle tree, whose roots are published in signed checkpoints.
//!
//! Everything here streams: sealing and verifying read one line at a time and keep
//! O(log n) state (the Merkle accumulator), so memory does not grow with the chain.
//! Only proof generation holds all leaf hashes (32 bytes per record). One record is at most
//! [`lines::MAX_RECORD_BYTES`] (16 MiB); a longer line is `malformed` and is not read into
//! memory.
//!
//! Verification ends in one [`Outcome`], from which both the human and the JSON output are
//! rendered ([`VerifyReport::summary`]), so the two can never disagree.

pub mod cloudtrail;
pub mod fast;
pub mod jcs;
pub mod lines;
pub mod merkle;
pub mod note;
pub mod proof;
pub mod report;

use std::io::{BufRead, Write};

use serde::Serialize;
use sha2::{Digest, Sha256};

use jcs::Json;
use lines::{Line, LineReader, MAX_RECORD_BYTES};
use merkle::{from_hex, leaf_hash, to_hex, Accumulator, Hash};
use note::{Checkpoint, Verdict, Verifier};

/// `1 record`, `2 records`: a count with its noun in the right number (regular plurals only).
pub fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

pub const ZERO_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const RESERVED: [&str; 3] = ["seq", "prev_hash", "hash"];
/// Problems kept in a report; the rest are counted.
const MAX_PROBLEMS: usize = 10_000;

/// A record as read from a chain line.
#[derive(Debug, Clone)]
pub struct Record {
    pub seq: u64,
    pub prev_hash: Hash,
    pub hash: Hash,
    /// SHA-256 of the canonical form without `hash`: what `hash` should be.
    pub computed: Hash,
}

impl Record {
    /// The Merkle leaf of this record: its stored hash as 32 raw bytes.
    pub fn leaf(&self) -> Hash {
        leaf_hash(&self.hash)
    }
}

/// Hash of a record's content (the object without its `hash` member).
pub fn content_hash(obj: &Json) -> Hash {
    let mut h = Sha256::new();
    jcs::write_canonical(obj, &mut h, Some("hash"));
    h.finalize().into()
}

/// Parse one chain line into a record, or say why it is malformed.
pub fn parse_record(line: &str) -> Result<Record, String> {
    // Records as `chain seal` writes them are canonical already (src/chain/fast.rs).
    if let Some(rec) = fast::parse_canonical(line) {
        return Ok(rec);
    }
    let v = jcs::parse(line)?;
    if !matches!(v, Json::Obj(_)) {
        return Err("a record must be a JSON object".into());
    }
    let seq = match v.get("seq") {
        Some(Json::Num(n)) if n.fract() == 0.0 && *n >= 0.0 => {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let s = *n as u64;
            s
        }
        Some(_) => return Err("`seq` must be a non-negative integer".into()),
        None => return Err("missing `seq`".into()),
    };
    let hex = |k: &str| -> Result<Hash, String> {
        let s = v
            .get(k)
            .ok_or_else(|| format!("missing `{k}`"))?
            .as_str()
            .ok_or_else(|| format!("`{k}` must be a string"))?;
        from_hex(s).ok_or_else(|| format!("`{k}` must be 64 lowercase hex digits"))
    };
    let prev_hash = hex("prev_hash")?;
    let hash = hex("hash")?;
    Ok(Record {
        seq,
        prev_hash,
        hash,
        computed: content_hash(&v),
    })
}

// ---------------------------------------------------------------------------------------------
// Sealing

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("line {line}: {message}")]
    Input { line: usize, message: String },
    #[error("the chain to append to is not intact: {0}")]
    Broken(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Write the sealed record of an input line whose members' values are canonical already
/// ([`fast::seal_members`]) into `record`, and return its hash. The members that sort before
/// `hash` are written into `record`, those after it into `tail`; the two are hashed as they
/// lie, and the `hash` member and `tail` are then appended to `record`.
fn fast_record(
    members: &[fast::Member<'_>],
    seq: u64,
    prev: &Hash,
    record: &mut String,
    tail: &mut String,
) -> Hash {
    /// The reserved members after `hash`, in canonical order.
    const AFTER_HASH: [fast::Member<'static>; 2] =
        [fast::Member::named("prev_hash"), fast::Member::named("seq")];
    let before = members.partition_point(|m| m.cmp_key(&fast::Member::named("hash")).is_lt());
    record.reserve(
        members
            .iter()
            .map(|m| m.key.len() + m.value.len() + 4)
            .sum::<usize>()
            + 170,
    );
    // Every member is followed by a comma; the last comma becomes the closing brace.
    let push = |out: &mut String, m: &fast::Member<'_>| {
        out.push('"');
        out.push_str(m.key);
        out.push_str("\":");
        out.push_str(m.value);
        out.push(',');
    };
    record.push('{');
    for m in &members[..before] {
        push(record, m);
    }
    tail.clear();
    let mut next = 0;
    let mut reserved_before = |tail: &mut String, m: Option<&fast::Member<'_>>| {
        while next < AFTER_HASH.len() && m.is_none_or(|m| AFTER_HASH[next].cmp_key(m).is_lt()) {
            if next == 0 {
                tail.push_str("\"prev_hash\":\"");
                merkle::push_hex(tail, prev);
                tail.push_str("\",");
            } else {
                tail.push_str("\"seq\":");
                // Below 2^53 (`seal_into` checks), so exact.
                #[allow(clippy::cast_precision_loss)]
                jcs::write_number_to(seq as f64, tail);
                tail.push(',');
            }
            next += 1;
        }
    };
    for m in &members[before..] {
        reserved_before(tail, Some(m));
        push(tail, m);
    }
    reserved_before(tail, None);
    // `prev_hash` and `seq` follow `hash`, so the tail is never empty.
    tail.pop();
    tail.push('}');
    let hash: Hash = Sha256::new()
        .chain_update(record.as_bytes())
        .chain_update(tail.as_bytes())
        .finalize()
        .into();
    record.push_str("\"hash\":\"");
    merkle::push_hex(record, &hash);
    record.push_str("\",");
    record.push_str(tail);
    hash
}

/// [`fast_record`] for any input line, through a parsed tree.
fn general_record(line: &str, seq: f64, prev: &Hash, record: &mut String) -> Result<Hash, String> {
    let (content, at, before) = general_content(line, seq, to_hex(prev))?;
    let hash: Hash = Sha256::digest(content.as_bytes()).into();
    let after = at + 1 < content.len();
    record.reserve(content.len() + 76);
    record.push_str(&content[..at]);
    if before && !after {
        record.push(',');
    }
    record.push_str("\"hash\":\"");
    merkle::push_hex(record, &hash);
    record.push('"');
    if after {
        record.push(',');
    }
    record.push_str(&content[at..]);
    Ok(hash)
}

/// A record's content (canonical, without `hash`) from any input line, through a parsed tree,
/// with the offset where the `hash` member belongs and whether members precede it there.
fn general_content(line: &str, seq: f64, prev: String) -> Result<(String, usize, bool), String> {
    let v = jcs::parse(line)?;
    let Json::Obj(mut members) = v else {
        return Err("input lines must be JSON objects".into());
    };
    if let Some((k, _)) = members.iter().find(|(k, _)| RESERVED.contains(&k.as_str())) {
        return Err(format!("input already carries the reserved field `{k}`"));
    }
    members.push(("seq".into(), Json::Num(seq)));
    members.push(("prev_hash".into(), Json::Str(prev)));
    Ok(jcs::canonical_object_with_slot(&members, "hash"))
}

/// Turns plain JSON objects into chain records.
#[derive(Debug, Clone, Default)]
pub struct Sealer {
    next_seq: u64,
    prev: Hash,
    /// Scratch buffer of the fast path: the part of a record after its `hash` member.
    tail: String,
}

impl Sealer {
    /// Continue after an existing chain, which must verify without problems.
    pub fn resume<R: BufRead>(chain: R) -> Result<Self, SealError> {
        let report = verify(chain, &[]);
        if let Some(p) = report.problems.first() {
            return Err(SealError::Broken(format!(
                "line {}: {} ({})",
                p.line,
                p.kind.as_str(),
                p.detail
            )));
        }
        if let Some(e) = report.io_error {
            return Err(SealError::Broken(e));
        }
        if let Some(line) = report.trailing_empty_line {
            return Err(SealError::Broken(format!(
                "line {line} is an empty line after the last record; remove it first, or the appended records would follow a line that is not a record"
            )));
        }
        Ok(Self {
            next_seq: report.records,
            prev: report.last_hash.unwrap_or([0; 32]),
            tail: String::new(),
        })
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Seal one input line (a JSON object without reserved fields) into a record line.
    pub fn seal(&mut self, line: &str, line_no: usize) -> Result<String, SealError> {
        let mut record = String::new();
        self.seal_into(line, line_no, &mut record)?;
        Ok(record)
    }

    /// [`Sealer::seal`] into `record` (cleared first), so a stream reuses one buffer.
    pub fn seal_into(
        &mut self,
        line: &str,
        line_no: usize,
        record: &mut String,
    ) -> Result<(), SealError> {
        let err = |message: String| SealError::Input {
            line: line_no,
            message,
        };
        #[allow(clippy::cast_precision_loss)]
        let seq = self.next_seq as f64;
        if seq > jcs::MAX_SAFE {
            return Err(err("seq would exceed 2^53".into()));
        }
        record.clear();
        let hash = match fast::seal_members(line) {
            Some(members) => {
                fast_record(&members, self.next_seq, &self.prev, record, &mut self.tail)
            }
            None => general_record(line, seq, &self.prev, record).map_err(err)?,
        };
        if record.len() > MAX_RECORD_BYTES {
            return Err(err(format!(
                "the sealed record would be {} bytes, over the limit of {MAX_RECORD_BYTES} bytes (16 MiB) per record",
                record.len()
            )));
        }
        self.prev = hash;
        self.next_seq += 1;
        Ok(())
    }

    /// Seal every non-blank line of `input` to `out`. Returns the number of records written.
    pub fn seal_stream<R: BufRead, W: Write>(
        &mut self,
        input: R,
        out: &mut W,
    ) -> Result<u64, SealError> {
        let mut n = 0;
        let mut lines = LineReader::new(input, MAX_RECORD_BYTES);
        let mut buf = Vec::new();
        let mut rec = String::new();
        let mut line_no = 0;
        while let Some(kind) = lines.next_line(&mut buf)? {
            line_no += 1;
            if let Line::TooLong { len, .. } = kind {
                return Err(SealError::Input {
                    line: line_no,
                    message: format!(
                        "the line is {len} bytes, over the limit of {MAX_RECORD_BYTES} bytes (16 MiB) per record"
                    ),
                });
            }
            let line = std::str::from_utf8(&buf).map_err(|e| SealError::Input {
                line: line_no,
                message: format!("not valid UTF-8: {e}"),
            })?;
            if line.trim().is_empty() {
                continue;
            }
            self.seal_into(line, line_no, &mut rec)?;
            out.write_all(rec.as_bytes())?;
            out.write_all(b"\n")?;
            n += 1;
        }
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------------
// Verification

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    Modified,
    BrokenLink,
    SeqGap,
    Malformed,
    Truncated,
    Rewritten,
    BadSignature,
}

impl ProblemKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Modified => "modified",
            ProblemKind::BrokenLink => "broken-link",
            ProblemKind::SeqGap => "seq-gap",
            ProblemKind::Malformed => "malformed",
            ProblemKind::Truncated => "truncated",
            ProblemKind::Rewritten => "rewritten",
            ProblemKind::BadSignature => "bad-signature",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// 1-based line in the chain file (0 for problems of a checkpoint as a whole).
    pub line: usize,
    pub seq: Option<u64>,
    pub kind: ProblemKind,
    pub detail: String,
}

/// The one verdict of a verification, from which every rendering is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Records present, no problem found, every offered checkpoint usable.
    Intact,
    /// At least one problem: evidence of tampering (or of damage) in the chain or a
    /// checkpoint signed by a trusted key.
    Tampered,
    /// No problem found, but something needed for a conclusion could not be used: a
    /// checkpoint no trusted key signed (so what it would anchor was not verified), or for
    /// CloudTrail no digest files, or digests signed by a key that was not supplied.
    CannotVerify,
    /// No problem found and no records: nothing was verified.
    Empty,
}

impl Outcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Intact => "intact",
            Outcome::Tampered => "tampered",
            Outcome::CannotVerify => "cannot-verify",
            Outcome::Empty => "empty",
        }
    }
}

/// How a checkpoint's signature fared against the trusted keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureCheck {
    /// Signed by a trusted key, and the signature verifies.
    Verified,
    /// Signed by a trusted key (name and key id), and the signature does not verify.
    Bad,
    /// Not signed by any trusted key.
    NotTrusted,
}

/// A checkpoint offered to `verify`: its origin file name and what its signature check said.
#[derive(Debug, Clone)]
pub struct OfferedCheckpoint {
    pub source: String,
    pub checkpoint: Checkpoint,
    pub signature: SignatureCheck,
    /// Why it is not used, when its signature is not `Verified`.
    pub not_used: Option<String>,
}

impl OfferedCheckpoint {
    /// A checkpoint whose signature by a trusted key verified.
    pub fn trusted(source: &str, checkpoint: Checkpoint) -> Self {
        Self {
            source: source.to_owned(),
            checkpoint,
            signature: SignatureCheck::Verified,
            not_used: None,
        }
    }

    pub fn is_trusted(&self) -> bool {
        self.signature == SignatureCheck::Verified
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckpointResult {
    pub source: String,
    pub origin: String,
    pub size: u64,
    pub trusted: bool,
    pub signature: SignatureCheck,
    /// Why the checkpoint was not used, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_used: Option<String>,
    pub matches: Option<bool>,
}

/// Options of `verify_with`.
#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions {
    /// Reject a trailing empty line after the last record (otherwise it is ignored).
    pub strict: bool,
    /// Longest line checked as a record; longer ones are `malformed`.
    pub max_record_bytes: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            strict: false,
            max_record_bytes: MAX_RECORD_BYTES,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub records: u64,
    pub problems: Vec<Problem>,
    pub problems_not_shown: usize,
    pub checkpoints: Vec<CheckpointResult>,
    /// Largest tree size covered by a trusted checkpoint that matched.
    pub trusted_size: Option<u64>,
    /// A single empty line after the last record, ignored (not a record); its line number.
    pub trailing_empty_line: Option<usize>,
    #[serde(skip)]
    pub last_hash: Option<Hash>,
    /// Merkle root over every record position read.
    #[serde(skip)]
    pub root: Hash,
    pub io_error: Option<String>,
}

impl VerifyReport {
    /// No problem was found in the chain or a trusted checkpoint. This alone is not a clean
    /// verdict: see [`VerifyReport::outcome`].
    pub fn intact(&self) -> bool {
        self.problems.is_empty() && self.problems_not_shown == 0 && self.io_error.is_none()
    }

    /// Problems found, shown or not.
    pub fn problem_count(&self) -> u64 {
        (self.problems.len() + self.problems_not_shown) as u64
    }

    /// Checkpoints offered but not signed by a trusted key.
    pub fn untrusted_checkpoints(&self) -> impl Iterator<Item = &CheckpointResult> {
        self.checkpoints
            .iter()
            .filter(|c| c.signature == SignatureCheck::NotTrusted)
    }

    /// The verdict. Problems win over everything (they are evidence whatever else is true);
    /// then an unusable checkpoint; then an empty chain.
    pub fn outcome(&self) -> Outcome {
        if !self.intact() {
            Outcome::Tampered
        } else if self.untrusted_checkpoints().next().is_some() {
            Outcome::CannotVerify
        } else if self.records == 0 {
            Outcome::Empty
        } else {
            Outcome::Intact
        }
    }

    /// The verdict line, the same in every output format.
    pub fn summary(&self) -> String {
        match self.outcome() {
            Outcome::Tampered => format!("TAMPERED: {}", counted(self.problem_count(), "problem")),
            Outcome::CannotVerify => {
                let untrusted: Vec<&CheckpointResult> = self.untrusted_checkpoints().collect();
                match untrusted.as_slice() {
                    [one] => format!(
                        "CANNOT VERIFY: checkpoint {} {}",
                        one.source,
                        one.not_used
                            .as_deref()
                            .unwrap_or("not signed by a trusted key")
                    ),
                    many => format!(
                        "CANNOT VERIFY: {} not signed by a trusted key ({})",
                        counted(many.len() as u64, "checkpoint"),
                        many.iter()
                            .map(|c| c.source.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            }
            Outcome::Empty => "EMPTY: no records".into(),
            Outcome::Intact => {
                let records = counted(self.records, "record");
                match self.trusted_size {
                    Some(n) if n > 0 && n == self.records && n == 1 => {
                        format!("INTACT: {records}, anchored by a trusted checkpoint")
                    }
                    Some(n) if n > 0 && n == self.records => {
                        format!("INTACT: {records}, all anchored by a trusted checkpoint")
                    }
                    Some(n) if n > 0 => format!(
                        "INTACT: {records}, the first {} anchored by a trusted checkpoint",
                        if n == 1 {
                            "one".to_owned()
                        } else {
                            n.to_string()
                        }
                    ),
                    _ => format!("INTACT: {records}, hash-linked"),
                }
            }
        }
    }

    fn add(&mut self, line: usize, seq: Option<u64>, kind: ProblemKind, detail: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem {
                line,
                seq,
                kind,
                detail,
            });
        } else {
            self.problems_not_shown += 1;
        }
    }

    /// What an auditor must know about what this verification can and cannot show.
    pub fn caveat(&self) -> Option<String> {
        let trusted_offered = self
            .checkpoints
            .iter()
            .any(|c| c.signature == SignatureCheck::Verified);
        match self.trusted_size {
            // A trusted checkpoint that does not match is already a `truncated` or `rewritten`
            // problem; saying "no trusted checkpoint" beside it would be wrong.
            None if trusted_offered => None,
            None => Some(
                "no trusted checkpoint: truncation of the end of the log and wholesale rewrites (with recomputed hashes) cannot be ruled out".into(),
            ),
            Some(n) if n < self.records => Some(format!(
                "records after the last trusted checkpoint (size {n}) are only linked by hashes: their truncation or rewrite cannot be ruled out"
            )),
            Some(_) => None,
        }
    }
}

/// Verify a chain, streaming, against offered checkpoints (signature checks done by the caller).
pub fn verify<R: BufRead>(chain: R, checkpoints: &[OfferedCheckpoint]) -> VerifyReport {
    verify_with(chain, checkpoints, VerifyOptions::default())
}

/// Follows the chain's hash links and the Merkle tree over its records, line by line.
struct Walk<'a> {
    report: VerifyReport,
    acc: Accumulator,
    expected_seq: u64,
    /// Hash the next record's `prev_hash` must equal; `None` after a record whose hash is unknown.
    prev: Option<Hash>,
    checkpoints: &'a [OfferedCheckpoint],
    /// Trusted checkpoints by size, checked when the accumulator reaches that size.
    pending: Vec<(u64, usize)>,
    next_pending: usize,
    results: Vec<Option<bool>>,
}

impl Walk<'_> {
    fn check_pending(&mut self) {
        while let Some(&(size, i)) = self.pending.get(self.next_pending) {
            if size != self.acc.size() {
                break;
            }
            if let (Some(slot), Some(c)) = (self.results.get_mut(i), self.checkpoints.get(i)) {
                *slot = Some(self.acc.root() == c.checkpoint.root);
            }
            self.next_pending += 1;
        }
    }

    /// A line in a record's position whose content could not be checked: it still occupies a
    /// leaf, but links and roots after it cannot be checked against it.
    fn unreadable(&mut self, line: usize, detail: String) {
        self.report.add(line, None, ProblemKind::Malformed, detail);
        self.prev = None;
        self.expected_seq = self.expected_seq.saturating_add(1);
        self.acc.push(leaf_hash(&[]));
        self.check_pending();
    }

    fn record(&mut self, line_no: usize, rec: &Record) {
        if rec.seq != self.expected_seq {
            self.report.add(
                line_no,
                Some(rec.seq),
                ProblemKind::SeqGap,
                format!("seq {} where {} was expected", rec.seq, self.expected_seq),
            );
        }
        if rec.computed != rec.hash {
            self.report.add(
                line_no,
                Some(rec.seq),
                ProblemKind::Modified,
                "hash does not match the record's content".into(),
            );
        }
        if let Some(p) = self.prev {
            if rec.prev_hash != p {
                self.report.add(
                    line_no,
                    Some(rec.seq),
                    ProblemKind::BrokenLink,
                    "prev_hash does not match the previous record's hash (a record was deleted, inserted or reordered)".into(),
                );
            }
        }
        self.prev = Some(rec.hash);
        self.expected_seq = rec.seq.saturating_add(1);
        self.report.last_hash = Some(rec.hash);
        self.acc.push(rec.leaf());
        self.check_pending();
    }
}

/// [`verify`] with options.
///
/// An empty line is not a record: a single one after the last record is ignored (reported in
/// `trailing_empty_line`; `strict` makes it `malformed`), and one anywhere else is `malformed`
/// without taking a record's place, so the hash links around it are still checked.
pub fn verify_with<R: BufRead>(
    chain: R,
    checkpoints: &[OfferedCheckpoint],
    opts: VerifyOptions,
) -> VerifyReport {
    let mut pending: Vec<(u64, usize)> = checkpoints
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_trusted())
        .map(|(i, c)| (c.checkpoint.size, i))
        .collect();
    pending.sort_unstable();
    let mut w = Walk {
        report: VerifyReport::default(),
        acc: Accumulator::default(),
        expected_seq: 0,
        prev: Some([0; 32]),
        checkpoints,
        pending,
        next_pending: 0,
        results: vec![None; checkpoints.len()],
    };
    w.check_pending();

    let mut lines = LineReader::new(chain, opts.max_record_bytes);
    let mut line_no = 0usize;
    let mut buf = Vec::new();
    // An empty line not yet known to be the last line.
    let mut empty_line: Option<usize> = None;
    loop {
        let kind = match lines.next_line(&mut buf) {
            Ok(Some(k)) => k,
            Ok(None) => break,
            Err(e) => {
                w.report.io_error = Some(format!("line {}: {e}", line_no + 1));
                break;
            }
        };
        line_no += 1;
        if let Some(at) = empty_line.take() {
            w.report.add(
                at,
                None,
                ProblemKind::Malformed,
                "empty line between records (an empty line is not a record)".into(),
            );
        }
        let line = match kind {
            Line::TooLong { len, terminated } => {
                let detail = format!(
                    "the line is {len} bytes, over the limit of {} bytes per record; not checked",
                    opts.max_record_bytes
                );
                if terminated {
                    w.unreadable(line_no, detail);
                } else {
                    w.report.add(
                        line_no,
                        None,
                        ProblemKind::Malformed,
                        format!(
                            "{detail}; it is also the last line and has no terminating newline"
                        ),
                    );
                }
                continue;
            }
            Line::Complete if buf.is_empty() => {
                empty_line = Some(line_no);
                continue;
            }
            Line::Unterminated => {
                w.report.add(
                    line_no,
                    None,
                    ProblemKind::Malformed,
                    "the last line has no terminating newline; the record may be truncated".into(),
                );
                break;
            }
            Line::Complete => match std::str::from_utf8(&buf) {
                Ok(l) => l,
                Err(e) => {
                    w.unreadable(line_no, format!("not valid UTF-8: {e}"));
                    continue;
                }
            },
        };
        match parse_record(line) {
            Ok(rec) => w.record(line_no, &rec),
            Err(e) => w.unreadable(line_no, e),
        }
    }
    if let Some(at) = empty_line {
        if opts.strict {
            w.report.add(
                at,
                None,
                ProblemKind::Malformed,
                "empty line after the last record (strict mode allows none)".into(),
            );
        } else {
            w.report.trailing_empty_line = Some(at);
        }
    }

    let Walk {
        mut report,
        acc,
        results,
        ..
    } = w;
    report.records = acc.size();
    report.root = acc.root();
    for (c, result) in checkpoints.iter().zip(results) {
        let cp = &c.checkpoint;
        if c.is_trusted() {
            if cp.size > report.records {
                report.add(
                    0,
                    None,
                    ProblemKind::Truncated,
                    format!(
                        "checkpoint {} covers {} but the chain has {}",
                        c.source,
                        counted(cp.size, "record"),
                        report.records
                    ),
                );
            } else if result == Some(false) {
                let line = usize::try_from(cp.size).unwrap_or(usize::MAX);
                report.add(
                    line,
                    cp.size.checked_sub(1),
                    ProblemKind::Rewritten,
                    format!(
                        "the first {} do not have the root signed in checkpoint {}",
                        counted(cp.size, "record"),
                        c.source
                    ),
                );
            } else if result == Some(true) {
                report.trusted_size = Some(report.trusted_size.map_or(cp.size, |t| t.max(cp.size)));
            }
        }
        report.checkpoints.push(CheckpointResult {
            source: c.source.clone(),
            origin: cp.origin.clone(),
            size: cp.size,
            trusted: c.is_trusted(),
            signature: c.signature,
            not_used: c.not_used.clone(),
            matches: result,
        });
    }
    report
}

/// Open checkpoint notes against verifier keys. A note whose signature by a trusted key fails
/// is a `bad-signature` problem (returned separately: it is tampering) and is not used; a note
/// that no trusted key signed is not used either, and says why (it proves nothing either way,
/// which makes the verification's outcome `cannot-verify`).
pub fn open_checkpoints(
    notes: &[(String, String)],
    keys: &[Verifier],
) -> Result<(Vec<OfferedCheckpoint>, Vec<Problem>), String> {
    let mut offered = Vec::new();
    let mut problems = Vec::new();
    for (source, text) in notes {
        let (body, verdict) = note::open(text, keys).map_err(|e| format!("{source}: {e}"))?;
        let checkpoint = Checkpoint::parse_text(body).map_err(|e| format!("{source}: {e}"))?;
        let (signature, not_used) = match verdict {
            Verdict::Verified(_) => (SignatureCheck::Verified, None),
            Verdict::BadSignature(key) => {
                let why = format!("the signature by {key} does not verify");
                problems.push(Problem {
                    line: 0,
                    seq: None,
                    kind: ProblemKind::BadSignature,
                    detail: format!("checkpoint {source}: {why}"),
                });
                (SignatureCheck::Bad, Some(why))
            }
            Verdict::NotTrusted(signers) => (
                SignatureCheck::NotTrusted,
                Some(note::not_trusted_reason(&signers, keys)),
            ),
        };
        offered.push(OfferedCheckpoint {
            source: source.clone(),
            checkpoint,
            signature,
            not_used,
        });
    }
    Ok((offered, problems))
}

/// Read every record's leaf hash (and check the records parse); for proofs. A single empty
/// line after the last record is ignored, as `verify` does.
pub fn read_leaves<R: BufRead>(chain: R) -> Result<Vec<(Hash, String)>, String> {
    let mut out = Vec::new();
    let mut lines = LineReader::new(chain, MAX_RECORD_BYTES);
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    let mut empty_line: Option<usize> = None;
    while let Some(kind) = lines
        .next_line(&mut buf)
        .map_err(|e| format!("line {}: {e}", line_no + 1))?
    {
        line_no += 1;
        if let Some(at) = empty_line.take() {
            return Err(format!("line {at}: empty line between records"));
        }
        match kind {
            Line::TooLong { len, .. } => {
                return Err(format!(
                    "line {line_no}: the line is {len} bytes, over the limit of {MAX_RECORD_BYTES} bytes per record"
                ))
            }
            Line::Unterminated => {
                return Err(format!(
                    "line {line_no}: the last line has no terminating newline; the record may be truncated"
                ))
            }
            Line::Complete if buf.is_empty() => {
                empty_line = Some(line_no);
                continue;
            }
            Line::Complete => {}
        }
        let line = std::str::from_utf8(&buf)
            .map_err(|e| format!("line {line_no}: not valid UTF-8: {e}"))?;
        let rec = parse_record(line).map_err(|e| format!("line {line_no}: {e}"))?;
        if rec.computed != rec.hash {
            return Err(format!(
                "line {line_no}: hash does not match the record's content"
            ));
        }
        out.push((rec.leaf(), line.to_owned()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(n: usize) -> Vec<String> {
        let mut s = Sealer::default();
        (0..n)
            .map(|i| {
                s.seal(
                    &format!(r#"{{"event":"predict","i":{i},"model":"m1"}}"#),
                    i + 1,
                )
                .unwrap()
            })
            .collect()
    }

    fn check(lines: &[String]) -> VerifyReport {
        let text = lines.iter().fold(String::new(), |mut t, l| {
            t.push_str(l);
            t.push('\n');
            t
        });
        verify(text.as_bytes(), &[])
    }

    #[test]
    fn sealed_chain_verifies() {
        let lines = sealed(10);
        assert!(lines[0].contains(&format!("\"prev_hash\":\"{ZERO_HASH}\"")));
        let r = check(&lines);
        assert!(r.intact(), "{:?}", r.problems);
        assert_eq!(r.records, 10);
        assert!(r.caveat().is_some());
    }

    #[test]
    fn seal_refuses_reserved_fields_and_non_objects() {
        let mut s = Sealer::default();
        assert!(s.seal(r#"{"seq": 1}"#, 1).is_err());
        assert!(s.seal(r#"{"hash": "x"}"#, 1).is_err());
        assert!(s.seal("[1]", 1).is_err());
        assert!(s.seal(r#"{"n": 9007199254740993}"#, 1).is_err());
        assert!(s.seal(r#"{"a": 1, "a": 2}"#, 1).is_err());
        assert_eq!(s.next_seq(), 0);
    }

    #[test]
    fn seal_errors_name_the_cause_on_both_paths() {
        let mut s = Sealer::default();
        let msg = |r: Result<String, SealError>| r.unwrap_err().to_string();
        // Blank-separated members, as `json.dumps` writes them (the fast path's shape).
        assert!(msg(s.seal(r#"{"a": 1, "seq": 2}"#, 3)).contains("reserved field `seq`"));
        assert!(msg(s.seal(r#"{"a": 1, "a": 2}"#, 3)).contains("duplicate key"));
        assert!(msg(s.seal(r#"{"a": 1} x"#, 3)).starts_with("line 3:"));
        assert_eq!(s.next_seq(), 0);
    }

    /// The content the fast path writes for a line equals the general path's; `fast`: whether
    /// the line must take the fast path.
    fn both_paths(line: &str, fast: bool) {
        match fast::seal_members(line) {
            Some(members) => {
                assert!(fast, "fast path took {line}");
                let (fast, general) = records(&members, line, 42);
                let general = general.unwrap_or_else(|e| {
                    panic!("fast path took a line the general path refuses ({e}): {line}")
                });
                assert_eq!(fast, general, "{line}");
            }
            None => assert!(!fast, "fast path declined {line}"),
        }
    }

    type Sealed = (String, Hash);

    /// The record and hash of both paths for `line`, sealed after a record whose hash is
    /// all 7s.
    fn records(
        members: &[fast::Member<'_>],
        line: &str,
        seq: u64,
    ) -> (Sealed, Result<Sealed, String>) {
        let prev = [7; 32];
        let mut fast = String::new();
        let fast_hash = fast_record(members, seq, &prev, &mut fast, &mut String::new());
        let mut general = String::new();
        #[allow(clippy::cast_precision_loss)]
        let general_hash = general_record(line, seq as f64, &prev, &mut general);
        ((fast, fast_hash), general_hash.map(|h| (general, h)))
    }

    #[test]
    fn seal_fast_path_agrees_with_the_general_path() {
        for (line, fast) in [
            ("{}", true),
            (" { } ", true),
            (r#"{"b": 1, "a": "x\n", "z": [1,2]}"#, true),
            (r#"{"b":1,"a":"x","z":[1,2]}"#, true),
            (
                r#"{"hashes": 1, "h": 2, "has": 3, "prev": 4, "seqs": 5, "zzz": null}"#,
                true,
            ),
            (
                r#"{"nested": {"b":1}, "é": "ü", "x": 0.5, "y": -3, "t": true}"#,
                true,
            ),
            // Blanks inside a nested value, a key with an escape or a supplementary-plane
            // character, a non-canonical number or string: the general path's work.
            (r#"{"z": [1, 2]}"#, false),
            (r#"{"😀": 1}"#, false),
            (r#"{"a\u0062": 1}"#, false),
            (r#"{"x": 1.0}"#, false),
            (r#"{"x": "\/"}"#, false),
            (r#"{"a": 1, "a": 2}"#, false),
            (r#"{"seq": 1}"#, false),
        ] {
            both_paths(line, fast);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        #[test]
        fn seal_paths_agree(
            members in proptest::collection::vec(("[a-z_é😀\\\\\"]{0,6}", 0u8..6, -1e6f64..1e6, "[ -~é]{0,8}"), 0..8),
            blank in "[ \t]{0,2}",
            seq in 0u64..1_000_000,
        ) {
            let parts: Vec<String> = members
                .iter()
                .map(|(k, kind, x, text)| {
                    let text = serde_json::to_string(text).unwrap_or_default();
                    let value = match kind {
                        0 => text,
                        1 => serde_json::to_string(x).unwrap_or_default(),
                        2 => format!("{}", x.trunc()),
                        3 => format!("[{text},{{\"k\":{x}}}]"),
                        4 => format!("[{text}, {x}]"),
                        _ => format!("{x:e}"),
                    };
                    let key = serde_json::to_string(k).unwrap_or_default();
                    format!("{key}{blank}:{blank}{value}")
                })
                .collect();
            let line = format!("{{{blank}{}{blank}}}", parts.join(&format!(",{blank}")));
            if let Some(m) = fast::seal_members(&line) {
                let (fast, general) = records(&m, &line, seq);
                proptest::prop_assert_eq!(Ok(fast), general, "{}", line);
            }
        }
    }

    #[test]
    fn resume_continues_seq_and_link() {
        let lines = sealed(3);
        let text = lines.iter().fold(String::new(), |mut t, l| {
            t.push_str(l);
            t.push('\n');
            t
        });
        let mut s = Sealer::resume(text.as_bytes()).unwrap();
        let more = s.seal(r#"{"x":1}"#, 1).unwrap();
        let mut all = lines.clone();
        all.push(more);
        assert!(check(&all).intact());
    }
}
