//! Sealing a report into an audit chain: one record per audit, carrying the SHA-256 of the
//! bundle and of the rendered reports, appended with the chain's own sealer
//! ([`crate::chain::Sealer`]). Once a checkpoint covers that record, changing the bundle or a
//! report — or removing the record — is detectable by `custos chain verify`.

use std::io::Write as _;
use std::path::Path;

use crate::chain::Sealer;

/// What a seal record says.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SealRecord {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub bundle: String,
    pub bundle_sha256: String,
    /// (file name, SHA-256) of each rendered report.
    pub reports: Vec<(String, String)>,
    pub started: String,
    pub gate: String,
    pub summary: String,
}

/// Append `record` to the chain at `chain` (created when missing); returns its seq. The
/// existing chain must verify, and must end with a newline: a broken or truncated chain is
/// not extended.
pub fn append(chain: &Path, record: &SealRecord) -> Result<u64, String> {
    let line = serde_json::to_string(record).map_err(|e| e.to_string())?;
    let existing = match std::fs::read(chain) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(format!("{}: {e}", chain.display())),
    };
    if !existing.is_empty() && existing.last() != Some(&b'\n') {
        return Err(format!(
            "{} does not end with a newline; its last record may be truncated",
            chain.display()
        ));
    }
    let mut sealer = Sealer::resume(existing.as_slice())
        .map_err(|e| format!("{}: {e}; not sealing into it", chain.display()))?;
    let seq = sealer.next_seq();
    let record_line = sealer
        .seal(&line, 1)
        .map_err(|e| format!("sealing the report: {e}"))?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(chain)
        .map_err(|e| format!("{}: {e}", chain.display()))?;
    f.write_all(format!("{record_line}\n").as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("{}: {e}", chain.display()))?;
    Ok(seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(sha: &str) -> SealRecord {
        SealRecord {
            kind: "custos-audit-report",
            bundle: "bundle.json".into(),
            bundle_sha256: sha.into(),
            reports: vec![("report.md".into(), "00".into())],
            started: "2026-01-01T00:00:00Z".into(),
            gate: "pass".into(),
            summary: "s".into(),
        }
    }

    #[test]
    fn records_append_and_the_chain_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let chain = dir.path().join("audit-chain.jsonl");
        assert_eq!(append(&chain, &record("aa")).unwrap(), 0);
        assert_eq!(append(&chain, &record("bb")).unwrap(), 1);
        let text = std::fs::read(&chain).unwrap();
        let report = crate::chain::verify(text.as_slice(), &[]);
        assert!(report.intact());
        assert_eq!(report.records, 2);
    }

    #[test]
    fn a_tampered_chain_is_not_extended() {
        let dir = tempfile::tempdir().unwrap();
        let chain = dir.path().join("c.jsonl");
        append(&chain, &record("aa")).unwrap();
        let text = std::fs::read_to_string(&chain).unwrap().replace("aa", "ab");
        std::fs::write(&chain, text).unwrap();
        assert!(append(&chain, &record("bb")).is_err());
    }
}
