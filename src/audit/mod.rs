//! `custos audit`: a scheduled compliance audit whose output goes to an auditor.
//!
//! This module owns everything an auditor reads and nothing that finds problems: the scan, the
//! chain and the CloudTrail verifications run through the same library functions as `custos
//! scan` and `custos chain verify`, each producing a [`crate::report::Report`]; this module
//! turns those reports into one evidence bundle and renders it.
//!
//! - [`scope`]: the declared scope (`audit.toml`) and its deterministic sharding;
//! - [`controls`]: the control mappings (`controls/*.toml`, embedded), framework requirement →
//!   rule ids, manual requirements with their procedure;
//! - [`bundle`]: the evidence bundle (versioned JSON, docs/audit.md): facts (scope results,
//!   findings, checks, evidence items with hashes) and what is derived from them (control
//!   status, summary, trend), and the merge of shard bundles;
//! - [`evidence`]: hashing the files behind the findings and the verifications;
//! - [`markdown`], [`html`]: the two human reports, rendered from a bundle alone;
//! - [`seal`]: appending a report's digests to an audit chain.

pub mod bundle;
pub mod controls;
pub mod evidence;
pub mod html;
pub mod markdown;
pub mod scope;
pub mod seal;

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex(&sha2::Sha256::digest(bytes))
}
