//! Evidence items: the files (and, once S3 sources exist, the objects) an audit examined, each
//! with what identifies its exact content — a SHA-256 for a file; bucket, key, version id and
//! ETag for an object. Hashing streams: a large log is never held in memory.

use std::io::Read as _;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Item {
    /// The scope item it belongs to (`scan:repo`, `chain:audit.jsonl` …).
    pub scope: String,
    /// What it is to the audit: `file` (scanned), `chain`, `checkpoint`, `key`,
    /// `cloudtrail-file`.
    pub role: String,
    /// The path as findings name it.
    pub path: String,
    /// SHA-256 of the content; `None` when it could not be read (then `error` says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// For an object read from S3: what identifies its version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Object>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An S3 object's identity. Every field but bucket and key is optional: stores differ in what
/// they return.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct S3Object {
    pub bucket: String,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
    /// Object Lock retention (`COMPLIANCE until 2027-01-01T00:00:00Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<String>,
}

/// SHA-256 and size of a file, streamed.
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    hash_file_keeping(path, 0).map(|(h, s, _)| (h, s))
}

/// [`hash_file`], also returning the file's first `keep` bytes (to classify it).
pub fn hash_file_keeping(path: &Path, keep: usize) -> std::io::Result<(String, u64, Vec<u8>)> {
    let mut head = Vec::new();
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = buf.get(..n).unwrap_or_default();
        h.update(chunk);
        if head.len() < keep {
            let room = keep - head.len();
            head.extend_from_slice(chunk.get(..room.min(n)).unwrap_or_default());
        }
        size += n as u64;
    }
    Ok((super::hex(&h.finalize()), size, head))
}

/// The evidence item of a local file.
pub fn file_item(scope: &str, role: &str, display: &str, path: &Path) -> Item {
    file_item_keeping(scope, role, display, path, 0).0
}

/// [`file_item`], also returning the file's first `keep` bytes.
pub fn file_item_keeping(
    scope: &str,
    role: &str,
    display: &str,
    path: &Path,
    keep: usize,
) -> (Item, Vec<u8>) {
    let (sha256, size, error, head) = match hash_file_keeping(path, keep) {
        Ok((h, s, head)) => (Some(h), Some(s), None, head),
        Err(e) => (None, None, Some(e.to_string()), Vec::new()),
    };
    let item = Item {
        scope: scope.to_owned(),
        role: role.to_owned(),
        path: display.to_owned(),
        sha256,
        size,
        s3: None,
        error,
    };
    (item, head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_stream_and_unreadable_files_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, b"abc").unwrap();
        let item = file_item("scan:x", "file", "a.txt", &p);
        assert_eq!(
            item.sha256.as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(item.size, Some(3));
        let missing = file_item("scan:x", "file", "b.txt", &dir.path().join("b.txt"));
        assert!(missing.sha256.is_none() && missing.error.is_some());
    }
}
