//! Tamper-evident audit-log chains (DESIGN.md, "Audit-log chain format (v1)").
//!
//! A chain is JSONL; each record carries `seq`, `prev_hash` and `hash`, where `hash` is the
//! SHA-256 of the record's RFC 8785 canonical form without `hash`. Record hashes are the
//! leaves of an RFC 6962 Merkle tree, whose roots are published in signed checkpoints.
//!
//! Everything here streams: sealing and verifying read one line at a time and keep
//! O(log n) state (the Merkle accumulator), so memory does not grow with the chain.
//! Only proof generation holds all leaf hashes (32 bytes per record).

pub mod cloudtrail;
pub mod jcs;
pub mod merkle;
pub mod note;
pub mod proof;

use std::io::{BufRead, Write};

use serde::Serialize;
use sha2::{Digest, Sha256};

use jcs::Json;
use merkle::{from_hex, leaf_hash, to_hex, Accumulator, Hash};
use note::{Checkpoint, Verdict, Verifier};

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

/// Turns plain JSON objects into chain records.
#[derive(Debug, Clone, Default)]
pub struct Sealer {
    next_seq: u64,
    prev: Hash,
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
        Ok(Self {
            next_seq: report.records,
            prev: report.last_hash.unwrap_or([0; 32]),
        })
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Seal one input line (a JSON object without reserved fields) into a record line.
    pub fn seal(&mut self, line: &str, line_no: usize) -> Result<String, SealError> {
        let err = |message: String| SealError::Input {
            line: line_no,
            message,
        };
        let v = jcs::parse(line).map_err(err)?;
        let Json::Obj(mut members) = v else {
            return Err(err("input lines must be JSON objects".into()));
        };
        if let Some((k, _)) = members.iter().find(|(k, _)| RESERVED.contains(&k.as_str())) {
            return Err(err(format!(
                "input already carries the reserved field `{k}`"
            )));
        }
        #[allow(clippy::cast_precision_loss)]
        let seq = self.next_seq as f64;
        if seq > jcs::MAX_SAFE {
            return Err(err("seq would exceed 2^53".into()));
        }
        members.push(("seq".into(), Json::Num(seq)));
        members.push(("prev_hash".into(), Json::Str(to_hex(&self.prev))));
        let mut obj = Json::Obj(members);
        let hash = content_hash(&obj);
        if let Json::Obj(m) = &mut obj {
            m.push(("hash".into(), Json::Str(to_hex(&hash))));
        }
        self.prev = hash;
        self.next_seq += 1;
        Ok(jcs::canonical(&obj))
    }

    /// Seal every non-blank line of `input` to `out`. Returns the number of records written.
    pub fn seal_stream<R: BufRead, W: Write>(
        &mut self,
        input: R,
        out: &mut W,
    ) -> Result<u64, SealError> {
        let mut n = 0;
        for (i, line) in input.lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let rec = self.seal(&line, i + 1)?;
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

/// A checkpoint offered to `verify`: its origin file name and what its signature check said.
#[derive(Debug, Clone)]
pub struct OfferedCheckpoint {
    pub source: String,
    pub checkpoint: Checkpoint,
    pub trusted: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckpointResult {
    pub source: String,
    pub origin: String,
    pub size: u64,
    pub trusted: bool,
    pub matches: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub records: u64,
    pub problems: Vec<Problem>,
    pub problems_not_shown: usize,
    pub checkpoints: Vec<CheckpointResult>,
    /// Largest tree size covered by a trusted checkpoint that matched.
    pub trusted_size: Option<u64>,
    #[serde(skip)]
    pub last_hash: Option<Hash>,
    pub io_error: Option<String>,
}

impl VerifyReport {
    pub fn intact(&self) -> bool {
        self.problems.is_empty() && self.problems_not_shown == 0 && self.io_error.is_none()
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
        match self.trusted_size {
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
    let mut report = VerifyReport::default();
    let mut acc = Accumulator::default();
    let mut expected_seq: u64 = 0;
    let mut prev: Option<Hash> = Some([0; 32]);
    // Trusted checkpoints by size, checked when the accumulator reaches that size.
    let mut pending: Vec<(u64, usize)> = checkpoints
        .iter()
        .enumerate()
        .filter(|(_, c)| c.trusted)
        .map(|(i, c)| (c.checkpoint.size, i))
        .collect();
    pending.sort_unstable();
    let mut results: Vec<Option<bool>> = vec![None; checkpoints.len()];
    let mut next_pending = 0;
    let check_at = |acc: &Accumulator, next: &mut usize, results: &mut Vec<Option<bool>>| {
        while let Some(&(size, i)) = pending.get(*next) {
            if size != acc.size() {
                break;
            }
            results[i] = Some(acc.root() == checkpoints[i].checkpoint.root);
            *next += 1;
        }
    };
    check_at(&acc, &mut next_pending, &mut results);

    let mut line_no = 0usize;
    let mut chain = chain;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match chain.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                report.io_error = Some(format!("line {}: {e}", line_no + 1));
                break;
            }
        }
        line_no += 1;
        let terminated = buf.last() == Some(&b'\n');
        if terminated {
            buf.pop();
        }
        let line = match std::str::from_utf8(&buf) {
            Ok(l) if terminated => l,
            Ok(_) => {
                report.add(
                    line_no,
                    None,
                    ProblemKind::Malformed,
                    "the last line has no terminating newline; the record may be truncated".into(),
                );
                break;
            }
            Err(e) => {
                report.add(
                    line_no,
                    None,
                    ProblemKind::Malformed,
                    format!("not valid UTF-8: {e}"),
                );
                prev = None;
                expected_seq += 1;
                acc.push(leaf_hash(&[]));
                check_at(&acc, &mut next_pending, &mut results);
                continue;
            }
        };
        let rec = match parse_record(line) {
            Ok(r) => r,
            Err(e) => {
                report.add(line_no, None, ProblemKind::Malformed, e);
                // The record still occupies a leaf position, but its hash is unknown:
                // links and roots after it cannot be checked against it.
                prev = None;
                expected_seq += 1;
                acc.push(leaf_hash(&[]));
                check_at(&acc, &mut next_pending, &mut results);
                continue;
            }
        };
        if rec.seq != expected_seq {
            report.add(
                line_no,
                Some(rec.seq),
                ProblemKind::SeqGap,
                format!("seq {} where {} was expected", rec.seq, expected_seq),
            );
        }
        if rec.computed != rec.hash {
            report.add(
                line_no,
                Some(rec.seq),
                ProblemKind::Modified,
                "hash does not match the record's content".into(),
            );
        }
        if let Some(p) = prev {
            if rec.prev_hash != p {
                report.add(
                    line_no,
                    Some(rec.seq),
                    ProblemKind::BrokenLink,
                    "prev_hash does not match the previous record's hash (a record was deleted, inserted or reordered)".into(),
                );
            }
        }
        prev = Some(rec.hash);
        expected_seq = rec.seq.saturating_add(1);
        report.last_hash = Some(rec.hash);
        acc.push(rec.leaf());
        check_at(&acc, &mut next_pending, &mut results);
    }
    report.records = acc.size();

    for (i, c) in checkpoints.iter().enumerate() {
        let cp = &c.checkpoint;
        if c.trusted {
            if cp.size > report.records {
                report.add(
                    0,
                    None,
                    ProblemKind::Truncated,
                    format!(
                        "checkpoint {} covers {} records but the chain has {}",
                        c.source, cp.size, report.records
                    ),
                );
            } else if results[i] == Some(false) {
                let line = usize::try_from(cp.size).unwrap_or(usize::MAX);
                report.add(
                    line,
                    cp.size.checked_sub(1),
                    ProblemKind::Rewritten,
                    format!(
                        "the first {} records do not have the root signed in checkpoint {}",
                        cp.size, c.source
                    ),
                );
            } else if results[i] == Some(true) {
                report.trusted_size = Some(report.trusted_size.map_or(cp.size, |t| t.max(cp.size)));
            }
        }
        report.checkpoints.push(CheckpointResult {
            source: c.source.clone(),
            origin: cp.origin.clone(),
            size: cp.size,
            trusted: c.trusted,
            matches: results[i],
        });
    }
    report
}

/// Open checkpoint notes against verifier keys. A note whose signature fails is a
/// `bad-signature` problem (returned separately) and is not trusted.
pub fn open_checkpoints(
    notes: &[(String, String)],
    keys: &[Verifier],
) -> Result<(Vec<OfferedCheckpoint>, Vec<Problem>), String> {
    let mut offered = Vec::new();
    let mut problems = Vec::new();
    for (source, text) in notes {
        let (body, verdict) = note::open(text, keys).map_err(|e| format!("{source}: {e}"))?;
        let checkpoint = Checkpoint::parse_text(body).map_err(|e| format!("{source}: {e}"))?;
        let trusted = match verdict {
            Verdict::Verified(_) => true,
            Verdict::BadSignature(name) => {
                problems.push(Problem {
                    line: 0,
                    seq: None,
                    kind: ProblemKind::BadSignature,
                    detail: format!("checkpoint {source}: the signature by {name} does not verify"),
                });
                false
            }
            Verdict::Unknown => {
                problems.push(Problem {
                    line: 0,
                    seq: None,
                    kind: ProblemKind::BadSignature,
                    detail: format!("checkpoint {source}: not signed by any of the given keys"),
                });
                false
            }
        };
        offered.push(OfferedCheckpoint {
            source: source.clone(),
            checkpoint,
            trusted,
        });
    }
    Ok((offered, problems))
}

/// Read every record's leaf hash (and check the records parse); for proofs.
pub fn read_leaves<R: BufRead>(chain: R) -> Result<Vec<(Hash, String)>, String> {
    let mut out = Vec::new();
    for (i, line) in chain.lines().enumerate() {
        let line = line.map_err(|e| format!("line {}: {e}", i + 1))?;
        let rec = parse_record(&line).map_err(|e| format!("line {}: {e}", i + 1))?;
        if rec.computed != rec.hash {
            return Err(format!(
                "line {}: hash does not match the record's content",
                i + 1
            ));
        }
        out.push((rec.leaf(), line));
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
