//! Proof files: an RFC 9162 inclusion proof for one record, or a consistency proof between
//! two checkpoints, each carrying the signed checkpoint notes it is anchored to, so that
//! `verify-proof` needs nothing but the proof file and the verifier key.

use serde::{Deserialize, Serialize};

use super::merkle::{self, from_hex, to_hex, Hash};
use super::note::{self, Checkpoint, Verdict, Verifier};

pub const PROOF_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ProofFile {
    Inclusion {
        version: u32,
        checkpoint: String,
        tree_size: u64,
        root: String,
        seq: u64,
        /// The record exactly as it stands in the chain.
        record: String,
        proof: Vec<String>,
    },
    Consistency {
        version: u32,
        old_checkpoint: String,
        new_checkpoint: String,
        old_size: u64,
        new_size: u64,
        old_root: String,
        new_root: String,
        proof: Vec<String>,
    },
}

fn hashes(v: &[String]) -> Result<Vec<Hash>, String> {
    v.iter()
        .map(|h| {
            from_hex(h).ok_or_else(|| format!("proof hash {h:?} is not 64 lowercase hex digits"))
        })
        .collect()
}

/// Why a proof was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofFailure {
    /// The proof, its record or a trusted checkpoint signature is wrong: evidence of tampering
    /// or forgery.
    Invalid(String),
    /// A checkpoint in the proof is not signed by any of the given keys, so nothing can be
    /// concluded from it either way.
    CannotVerify(String),
}

impl From<String> for ProofFailure {
    fn from(s: String) -> Self {
        ProofFailure::Invalid(s)
    }
}

impl From<&str> for ProofFailure {
    fn from(s: &str) -> Self {
        ProofFailure::Invalid(s.to_owned())
    }
}

fn anchored(
    note_text: &str,
    keys: &[Verifier],
    size: u64,
    root: &Hash,
) -> Result<Checkpoint, ProofFailure> {
    let (body, verdict) = note::open(note_text, keys).map_err(|e| e.to_string())?;
    match verdict {
        Verdict::Verified(_) => {}
        Verdict::BadSignature(k) => {
            return Err(format!("checkpoint signature by {k} does not verify").into())
        }
        Verdict::NotTrusted(signers) => {
            return Err(ProofFailure::CannotVerify(format!(
                "checkpoint {}",
                note::not_trusted_reason(&signers, keys)
            )))
        }
    }
    let cp = Checkpoint::parse_text(body).map_err(|e| e.to_string())?;
    if cp.size != size || cp.root != *root {
        return Err(format!(
            "checkpoint (size {}) does not match the proof's tree (size {size})",
            cp.size
        )
        .into());
    }
    Ok(cp)
}

/// Check a proof file completely: checkpoint signatures, the record's own hash, and the path.
/// Returns a one-line description of what was proven.
pub fn verify(p: &ProofFile, keys: &[Verifier]) -> Result<String, ProofFailure> {
    match p {
        ProofFile::Inclusion {
            version,
            checkpoint,
            tree_size,
            root,
            seq,
            record,
            proof,
        } => {
            if *version != PROOF_VERSION {
                return Err(format!("unsupported proof version {version}").into());
            }
            let root = from_hex(root).ok_or("root is not 64 lowercase hex digits")?;
            let cp = anchored(checkpoint, keys, *tree_size, &root)?;
            let rec = super::parse_record(record).map_err(|e| format!("record: {e}"))?;
            if rec.computed != rec.hash {
                return Err("the record's content does not match its hash".into());
            }
            if rec.seq != *seq {
                return Err(
                    format!("the record has seq {}, the proof claims {seq}", rec.seq).into(),
                );
            }
            if !merkle::verify_inclusion(&rec.leaf(), *seq, *tree_size, &hashes(proof)?, &root) {
                return Err("the inclusion proof does not verify".into());
            }
            Ok(format!(
                "record seq {seq} (hash {}) is included in {} at tree size {tree_size}",
                to_hex(&rec.hash),
                cp.origin
            ))
        }
        ProofFile::Consistency {
            version,
            old_checkpoint,
            new_checkpoint,
            old_size,
            new_size,
            old_root,
            new_root,
            proof,
        } => {
            if *version != PROOF_VERSION {
                return Err(format!("unsupported proof version {version}").into());
            }
            let old_root = from_hex(old_root).ok_or("old_root is not 64 lowercase hex digits")?;
            let new_root = from_hex(new_root).ok_or("new_root is not 64 lowercase hex digits")?;
            let old = anchored(old_checkpoint, keys, *old_size, &old_root)?;
            let new = anchored(new_checkpoint, keys, *new_size, &new_root)?;
            if old.origin != new.origin {
                return Err(format!(
                    "checkpoints are for different logs ({} and {})",
                    old.origin, new.origin
                )
                .into());
            }
            if !merkle::verify_consistency(
                *old_size,
                *new_size,
                &old_root,
                &new_root,
                &hashes(proof)?,
            ) {
                return Err("the consistency proof does not verify".into());
            }
            Ok(format!(
                "{}: the tree at size {new_size} extends the tree at size {old_size}",
                new.origin
            ))
        }
    }
}
