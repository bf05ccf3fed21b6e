//! The document model every parser produces and every policy reads.
//!
//! A [`Document`] is the parsed form of one file (or one document of a multi-document YAML
//! stream): the JSON value handed to Rego as `input`, plus a map from JSON pointer to the byte
//! range that produced each value. Positions stay byte ranges all the way through the pipeline;
//! line and column are computed by [`LineIndex`] only when something is rendered.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

/// A path as reports show it: `/` separators, no leading `./`.
pub fn display_path(p: &std::path::Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map_or(s.clone(), str::to_owned)
}

/// A byte range into a file's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Self {
        Self::new(r.start, r.end)
    }
}

/// What a file is. Classification picks one per file; parsers and policies are keyed by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    AirflowDag,
    Python,
    Terraform,
    CloudFormation,
    Kubernetes,
    HelmTemplate,
    GithubActions,
    GitlabCi,
    DockerCompose,
    Dotenv,
    Ini,
    /// A Dockerfile, as conftest's instruction list.
    Dockerfile,
    Toml,
    /// Java `.properties`.
    Properties,
    /// `.gitignore` / `.dockerignore`, as conftest's entry list.
    Ignore,
    /// XML, in conftest's JSON convention.
    Xml,
    /// HOCON (`*.hocon`, or `--parser hocon`), in conftest's shape.
    Hocon,
    /// HCL1 (`*.hcl1`, or `--parser hcl1`), as HCL1's decoder gives it.
    Hcl1,
    /// EDN, in conftest's shape.
    Edn,
    /// CUE, evaluated to its JSON value.
    Cue,
    /// Jsonnet, evaluated to its JSON value.
    Jsonnet,
    /// Protocol buffer text format.
    Textproto,
    /// Varnish configuration.
    Vcl,
    /// Groovy (`Jenkinsfile`), as conftest's syntax tree.
    Groovy,
    /// nginx configuration, as conftest's directive tree.
    Nginx,
    /// SPDX SBOM (tag-value or JSON), in SPDX's JSON shape.
    Spdx,
    /// CycloneDX SBOM (JSON or XML), in CycloneDX's JSON shape.
    CycloneDx,
    Yaml,
    Json,
    LogJsonl,
    LogNginx,
    LogText,
    /// The aggregates of one log source (docs/logs.md): one document per source.
    LogAggregate,
    Text,
    /// An S3 bucket's posture (src/s3/posture.rs), path `s3://bucket`.
    S3Bucket,
    /// Object versions under an S3 audit-log prefix (src/s3/versions.rs).
    S3AuditLog,
}

impl Kind {
    /// Every kind, in a fixed order (used by `policy list` and config validation).
    pub const ALL: [Kind; 36] = [
        Kind::AirflowDag,
        Kind::Python,
        Kind::Terraform,
        Kind::CloudFormation,
        Kind::Kubernetes,
        Kind::HelmTemplate,
        Kind::GithubActions,
        Kind::GitlabCi,
        Kind::DockerCompose,
        Kind::Dotenv,
        Kind::Ini,
        Kind::Dockerfile,
        Kind::Toml,
        Kind::Properties,
        Kind::Ignore,
        Kind::Xml,
        Kind::Hocon,
        Kind::Hcl1,
        Kind::Edn,
        Kind::Cue,
        Kind::Jsonnet,
        Kind::Textproto,
        Kind::Vcl,
        Kind::Groovy,
        Kind::Nginx,
        Kind::Spdx,
        Kind::CycloneDx,
        Kind::Yaml,
        Kind::Json,
        Kind::LogJsonl,
        Kind::LogNginx,
        Kind::LogText,
        Kind::LogAggregate,
        Kind::Text,
        Kind::S3Bucket,
        Kind::S3AuditLog,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::AirflowDag => "airflow-dag",
            Kind::Python => "python",
            Kind::Terraform => "terraform",
            Kind::CloudFormation => "cloudformation",
            Kind::Kubernetes => "kubernetes",
            Kind::HelmTemplate => "helm-template",
            Kind::GithubActions => "github-actions",
            Kind::GitlabCi => "gitlab-ci",
            Kind::DockerCompose => "docker-compose",
            Kind::Dotenv => "dotenv",
            Kind::Ini => "ini",
            Kind::Dockerfile => "dockerfile",
            Kind::Toml => "toml",
            Kind::Properties => "properties",
            Kind::Ignore => "ignore",
            Kind::Xml => "xml",
            Kind::Hocon => "hocon",
            Kind::Hcl1 => "hcl1",
            Kind::Edn => "edn",
            Kind::Cue => "cue",
            Kind::Jsonnet => "jsonnet",
            Kind::Textproto => "textproto",
            Kind::Vcl => "vcl",
            Kind::Groovy => "groovy",
            Kind::Nginx => "nginx",
            Kind::Spdx => "spdx",
            Kind::CycloneDx => "cyclonedx",
            Kind::Yaml => "yaml",
            Kind::Json => "json",
            Kind::LogJsonl => "log-jsonl",
            Kind::LogNginx => "log-nginx",
            Kind::LogText => "log-text",
            Kind::LogAggregate => "log-aggregate",
            Kind::Text => "text",
            Kind::S3Bucket => "s3-bucket",
            Kind::S3AuditLog => "s3-audit-log",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Comment syntax of the file's language, for inline `custos:ignore` comments.
    pub const fn comment_prefixes(self) -> &'static [&'static str] {
        match self {
            Kind::Terraform | Kind::Hcl1 | Kind::Hocon | Kind::Vcl => &["#", "//"],
            Kind::Cue | Kind::Jsonnet | Kind::Groovy => &["//"],
            Kind::Edn => &[";"],
            Kind::Json
            | Kind::Xml
            | Kind::CycloneDx
            | Kind::LogJsonl
            | Kind::LogNginx
            | Kind::LogText
            | Kind::LogAggregate => &[],
            Kind::Ini => &["#", ";"],
            Kind::Properties => &["#", "!"],
            _ => &["#"],
        }
    }
}

impl serde::Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// JSON pointer → byte range of the value at that pointer.
pub type SpanMap = HashMap<String, Span>;

/// One parsed unit handed to policies.
#[derive(Debug, Clone)]
pub struct Document {
    /// Path as the user named it (repo-relative when scanning a repository).
    pub path: String,
    pub kind: Kind,
    /// Index of this document within a multi-document file (YAML `---`), 0 otherwise.
    pub index: usize,
    pub input: serde_json::Value,
    pub spans: SpanMap,
}

impl Document {
    /// The span of the value at `pointer`, or of its nearest ancestor that has one.
    pub fn span_of(&self, pointer: &str) -> Option<Span> {
        let mut p = pointer;
        loop {
            if let Some(s) = self.spans.get(p) {
                return Some(*s);
            }
            if p.is_empty() {
                return None;
            }
            p = p.rfind('/').map_or("", |i| &p[..i]);
        }
    }
}

/// Escape one JSON-pointer reference token (RFC 6901).
pub fn escape_token(token: &str) -> String {
    if token.contains(['~', '/']) {
        token.replace('~', "~0").replace('/', "~1")
    } else {
        token.to_owned()
    }
}

/// Append a reference token to a pointer.
pub fn push_token(pointer: &str, token: &str) -> String {
    let mut s = String::with_capacity(pointer.len() + token.len() + 1);
    s.push_str(pointer);
    s.push('/');
    s.push_str(&escape_token(token));
    s
}

/// Line starts of a source, for turning byte offsets into 1-based line and column.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(source: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', source.as_bytes()).map(|i| i + 1));
        Self { starts }
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    pub fn line_col(&self, source: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(source.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let col = source
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        (line, col)
    }

    /// The 1-based line a byte offset is on.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1)
    }

    /// Byte range of the 1-based line `line` (without its newline).
    pub fn line_span(&self, source: &str, line: usize) -> Option<Span> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let end = self
            .starts
            .get(line)
            .map_or(source.len(), |&next| next.saturating_sub(1));
        Some(Span::new(start, end.max(start)))
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let src = "ab\ncdé\nx";
        let idx = LineIndex::new(src);
        assert_eq!(idx.line_col(src, 0), (1, 1));
        assert_eq!(idx.line_col(src, 3), (2, 1));
        // 'x' is after a two-byte char; column counts characters.
        assert_eq!(idx.line_col(src, src.len() - 1), (3, 1));
        assert_eq!(idx.line_col(src, 5), (2, 3));
        assert_eq!(idx.line_span(src, 2), Some(Span::new(3, 7)));
        assert_eq!(idx.line_span(src, 4), None);
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(push_token("/a", "b/c~d"), "/a/b~1c~0d");
    }

    #[test]
    fn span_of_falls_back_to_ancestor() {
        let mut spans = SpanMap::new();
        spans.insert(String::new(), Span::new(0, 10));
        spans.insert("/a".into(), Span::new(2, 5));
        let doc = Document {
            path: "x".into(),
            kind: Kind::Json,
            index: 0,
            input: serde_json::Value::Null,
            spans,
        };
        assert_eq!(doc.span_of("/a/b/c"), Some(Span::new(2, 5)));
        assert_eq!(doc.span_of("/z"), Some(Span::new(0, 10)));
    }
}
