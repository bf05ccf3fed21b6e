//! The audit's declared scope (`audit.toml`) and how it is split into shards.
//!
//! The scope names what is audited — paths or `s3://` prefixes to scan, chains with their
//! checkpoints and trusted keys, CloudTrail digest locations with their public keys — plus the
//! time window, the frameworks and the output directory. Paths are kept as the strings written
//! in the file (relative ones resolved against the file's directory), so that a location such
//! as `s3://bucket/prefix` reaches the scanner unchanged.
//!
//! Sharding ([`Scope::shard`]) is deterministic and independent of the machine: each item has a
//! stable key (`scan:PATH`, `chain:PATH`, `cloudtrail:PATH`); items are ordered by the SHA-256
//! of their key and dealt round-robin, so shard `i` of `n` holds the items at positions
//! `i, i+n, i+2n …`. Every item lands in exactly one shard, and shards differ in size by at
//! most one item.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::finding::Severity;

/// Largest audit.toml read.
const MAX_SCOPE_FILE: u64 = 1024 * 1024;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    /// A title for the report.
    name: Option<String>,
    /// Output directory (default `audit-out`), relative to the file.
    output: Option<String>,
    #[serde(default)]
    frameworks: Vec<String>,
    fail_on: Option<String>,
    window: Option<RawWindow>,
    #[serde(default)]
    scan: Vec<String>,
    #[serde(default)]
    chain: Vec<RawChain>,
    #[serde(default)]
    cloudtrail: Vec<RawTrail>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    start: String,
    end: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChain {
    path: String,
    #[serde(default)]
    checkpoints: Vec<String>,
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    allow_empty: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrail {
    path: String,
    public_keys: Vec<String>,
}

/// The audit period (RFC 3339 UTC, `YYYY-MM-DDThh:mm:ssZ`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Window {
    pub start: String,
    pub end: String,
}

/// A chain to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainItem {
    pub path: String,
    pub checkpoints: Vec<String>,
    /// Verifier keys (files or `name+id+key` strings).
    pub keys: Vec<String>,
    pub allow_empty: bool,
}

/// A CloudTrail digest location to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailItem {
    pub path: String,
    pub public_keys: Vec<String>,
}

/// One unit of audit work; the unit a shard holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Scan(String),
    Chain(ChainItem),
    Cloudtrail(TrailItem),
}

impl Item {
    /// The stable key that names the item in the bundle and decides its shard.
    pub fn key(&self) -> String {
        match self {
            Item::Scan(p) => format!("scan:{p}"),
            Item::Chain(c) => format!("chain:{}", c.path),
            Item::Cloudtrail(t) => format!("cloudtrail:{}", t.path),
        }
    }
}

/// A parsed `audit.toml` (or a scope given on the command line).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub name: Option<String>,
    pub output: PathBuf,
    pub frameworks: Vec<String>,
    pub fail_on: Option<Severity>,
    pub window: Option<Window>,
    pub items: Vec<Item>,
    /// The file, when the scope came from one.
    pub file: Option<PathBuf>,
    /// SHA-256 of the file's bytes.
    pub file_sha256: Option<String>,
}

/// Resolve a path written in the scope file: URLs (`s3://…`) and absolute paths unchanged,
/// relative paths against the file's directory.
fn resolve(base: &Path, p: &str) -> String {
    if p.contains("://") || Path::new(p).is_absolute() || base.as_os_str().is_empty() {
        return p.to_owned();
    }
    base.join(p).display().to_string()
}

/// Whether `text` is an RFC 3339 UTC time as custos writes them.
fn is_time(text: &str) -> bool {
    crate::chain::cloudtrail::parse_time(text).is_some()
}

impl Scope {
    /// Read and check a scope file.
    pub fn load(file: &Path) -> Result<Self, String> {
        let meta = std::fs::metadata(file).map_err(|e| format!("{}: {e}", file.display()))?;
        if meta.len() > MAX_SCOPE_FILE {
            return Err(format!(
                "{}: larger than {MAX_SCOPE_FILE} bytes",
                file.display()
            ));
        }
        let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let text =
            std::str::from_utf8(&bytes).map_err(|_| format!("{}: not UTF-8", file.display()))?;
        let base = file.parent().unwrap_or(Path::new(""));
        let mut scope = Self::parse(text, base).map_err(|e| format!("{}: {e}", file.display()))?;
        scope.file = Some(file.to_path_buf());
        scope.file_sha256 = Some(crate::audit::hex(&Sha256::digest(&bytes)));
        Ok(scope)
    }

    /// Parse scope text; relative paths are resolved against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Self, String> {
        let raw: RawScope = toml::from_str(text).map_err(|e| e.to_string())?;
        let fail_on = raw
            .fail_on
            .as_deref()
            .map(str::parse::<Severity>)
            .transpose()?;
        if let Some(w) = &raw.window {
            for t in [&w.start, &w.end] {
                if !is_time(t) {
                    return Err(format!(
                        "window: `{t}` is not a time like 2026-01-01T00:00:00Z"
                    ));
                }
            }
            if w.start > w.end {
                return Err("window: start is after end".into());
            }
        }
        let mut items: Vec<Item> = Vec::new();
        items.extend(raw.scan.iter().map(|p| Item::Scan(resolve(base, p))));
        items.extend(raw.chain.into_iter().map(|c| {
            Item::Chain(ChainItem {
                path: resolve(base, &c.path),
                checkpoints: c.checkpoints.iter().map(|p| resolve(base, p)).collect(),
                keys: c
                    .keys
                    .iter()
                    .map(|k| {
                        // A key is a file or an inline `name+id+key`: only files are resolved.
                        if k.contains('+') {
                            k.clone()
                        } else {
                            resolve(base, k)
                        }
                    })
                    .collect(),
                allow_empty: c.allow_empty,
            })
        }));
        items.extend(raw.cloudtrail.into_iter().map(|t| {
            Item::Cloudtrail(TrailItem {
                path: resolve(base, &t.path),
                public_keys: t.public_keys.iter().map(|p| resolve(base, p)).collect(),
            })
        }));
        let mut keys: Vec<String> = items.iter().map(Item::key).collect();
        keys.sort();
        if let Some(w) = keys.windows(2).find(|w| w.first() == w.get(1)) {
            return Err(format!(
                "`{}` is in the scope twice",
                w.first().map_or("", String::as_str)
            ));
        }
        Ok(Self {
            name: raw.name,
            output: PathBuf::from(resolve(base, raw.output.as_deref().unwrap_or("audit-out"))),
            frameworks: raw.frameworks,
            fail_on,
            window: raw.window.map(|w| Window {
                start: w.start,
                end: w.end,
            }),
            items,
            file: None,
            file_sha256: None,
        })
    }

    /// Keep only the items of shard `index` of `count` (see the module documentation).
    pub fn shard(&mut self, shard: Shard) {
        let mut keyed: Vec<([u8; 32], Item)> = std::mem::take(&mut self.items)
            .into_iter()
            .map(|i| (Sha256::digest(i.key().as_bytes()).into(), i))
            .collect();
        keyed.sort_by_key(|k| k.0);
        self.items = keyed
            .into_iter()
            .enumerate()
            .filter(|(pos, _)| pos % shard.count == shard.index)
            .map(|(_, (_, item))| item)
            .collect();
    }
}

/// Shard `index` (0-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("--shard {s}: expected INDEX/COUNT with 0 <= INDEX < COUNT, e.g. 0/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
name = "Q4"
frameworks = ["soc2"]
fail_on = "high"
scan = ["a", "s3://bucket/logs/", "/abs/b"]
[window]
start = "2026-10-01T00:00:00Z"
end = "2026-12-31T23:59:59Z"
[[chain]]
path = "audit.jsonl"
checkpoints = ["cp.txt"]
keys = ["k.pub", "example.com/audit+abcd1234+AAAA"]
[[cloudtrail]]
path = "trail"
public_keys = ["keys.json"]
"#;

    #[test]
    fn paths_resolve_against_the_file_and_urls_stay() {
        let s = Scope::parse(TEXT, Path::new("cfg")).unwrap();
        let keys: Vec<String> = s.items.iter().map(Item::key).collect();
        assert_eq!(
            keys,
            [
                "scan:cfg/a",
                "scan:s3://bucket/logs/",
                "scan:/abs/b",
                "chain:cfg/audit.jsonl",
                "cloudtrail:cfg/trail"
            ]
        );
        let Item::Chain(c) = &s.items[3] else {
            panic!()
        };
        assert_eq!(c.keys[0], "cfg/k.pub");
        assert_eq!(c.keys[1], "example.com/audit+abcd1234+AAAA");
        assert_eq!(s.fail_on, Some(Severity::High));
        assert_eq!(s.output, PathBuf::from("cfg/audit-out"));
    }

    #[test]
    fn bad_windows_unknown_keys_and_duplicates_are_errors() {
        let bad = "[window]\nstart = \"yesterday\"\nend = \"2026-01-01T00:00:00Z\"\n";
        assert!(Scope::parse(bad, Path::new("")).is_err());
        let reversed =
            "[window]\nstart = \"2026-02-01T00:00:00Z\"\nend = \"2026-01-01T00:00:00Z\"\n";
        assert!(Scope::parse(reversed, Path::new(""))
            .unwrap_err()
            .contains("after"));
        assert!(Scope::parse("scan = [\"a\", \"a\"]\n", Path::new("")).is_err());
        assert!(Scope::parse("colour = 1\n", Path::new("")).is_err());
    }

    #[test]
    fn shards_partition_the_scope_deterministically_and_evenly() {
        let text: String = format!(
            "scan = [{}]\n",
            (0..23)
                .map(|i| format!("\"repo-{i}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let full = Scope::parse(&text, Path::new("")).unwrap();
        let mut seen = Vec::new();
        for index in 0..4 {
            let mut s = full.clone();
            s.shard(Shard { index, count: 4 });
            let again = {
                let mut t = full.clone();
                t.shard(Shard { index, count: 4 });
                t.items
            };
            assert_eq!(s.items, again);
            assert!((5..=6).contains(&s.items.len()), "{}", s.items.len());
            seen.extend(s.items.iter().map(Item::key));
        }
        seen.sort();
        let mut all: Vec<String> = full.items.iter().map(Item::key).collect();
        all.sort();
        assert_eq!(seen, all);
    }

    #[test]
    fn shard_syntax() {
        assert_eq!(
            "1/3".parse::<Shard>().unwrap(),
            Shard { index: 1, count: 3 }
        );
        for bad in ["3/3", "0/0", "x/2", "1", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
