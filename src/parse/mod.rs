//! Parsers: source text → JSON values with a span for every value.
//!
//! The registry is keyed by [`Syntax`], not by [`Kind`](crate::document::Kind): a Kubernetes
//! manifest and a GitHub workflow are both YAML, and `CloudFormation` comes as YAML or JSON.
//! Classification decides both the kind (which policies apply) and the syntax (which parser
//! runs). Adding a format is one module here plus one row in [`PARSERS`].
//!
//! Parsers never throw a file away: a syntax error comes back as a [`ParseError`] with a
//! location, beside whatever documents parsed before it.

pub mod cue;
mod cursor;
pub mod cyclonedx;
pub mod dockerfile;
pub mod dotenv;
pub mod edn;
pub mod groovy;
pub mod hcl;
pub mod hcl1;
pub mod hocon;
pub mod ignore;
pub mod ini;
pub mod json;
pub mod jsonnet;
pub mod nginx;
pub mod properties;
pub mod python;
pub mod spdx;
pub mod template;
pub mod textproto;
pub mod textproto_schema;
pub mod toml;
pub mod vcl;
pub mod xml;
pub mod yaml;

use crate::document::{Span, SpanMap};

/// The concrete syntax of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syntax {
    Json,
    Yaml,
    Hcl,
    /// Airflow DAG files: Python, modelled as a DAG (tree-sitter).
    Python,
    /// INI-style configuration (`airflow.cfg`, `.dvc/config`).
    Ini,
    /// JSON with comments and trailing commas (`tsconfig.json`, `*.jsonc`).
    Jsonc,
    /// A Helm (Go-template) YAML template: evaluated as far as its static YAML goes.
    HelmTemplate,
    /// A Dockerfile: conftest's instruction list.
    Dockerfile,
    Toml,
    /// Java `.properties`.
    Properties,
    /// `.env` files as a `{KEY: value}` document.
    Dotenv,
    /// `.gitignore` / `.dockerignore`: conftest's entry list.
    Ignore,
    /// XML in goxml2json's JSON convention (`-attr`, `#content`).
    Xml,
    /// EDN, with conftest's clean-up of keys and scalars.
    Edn,
    /// nginx configuration: conftest's directive tree.
    Nginx,
    /// Varnish configuration (VCL).
    Vcl,
    /// CUE's data subset, exported as JSON.
    Cue,
    /// HOCON, in conftest's (go-akka's) shape.
    Hocon,
    /// HCL1, in HCL1's decoder shape (blocks as lists of objects).
    Hcl1,
    /// Protocol buffer text format, read without a schema.
    Textproto,
    /// SPDX tag-value (or JSON), in SPDX's JSON shape.
    Spdx,
    /// CycloneDX JSON or XML, in CycloneDX's JSON shape.
    CycloneDx,
    /// Jsonnet, evaluated.
    Jsonnet,
    /// Groovy (`Jenkinsfile`, `*.groovy`), as conftest's concrete syntax tree.
    Groovy,
    /// No structural parser: the file is only seen by text detectors.
    Text,
}

/// Bounds that keep hostile input from exhausting memory or stack.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Maximum nesting of arrays/objects.
    pub max_depth: usize,
    /// Maximum number of nodes that YAML alias expansion may produce in one file.
    pub max_alias_nodes: usize,
    /// Longest a parser written elsewhere may take on one file before the file is reported as
    /// not parsed (HCL: `hcl-edit` backtracks exponentially on some malformed expressions).
    pub parse_time_limit: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 256,
            max_alias_nodes: 100_000,
            parse_time_limit: std::time::Duration::from_secs(5),
        }
    }
}

/// A syntax error, with the byte span where the parser gave up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub span: Option<Span>,
}

impl ParseError {
    pub fn at(message: impl Into<String>, offset: usize) -> Self {
        Self {
            message: message.into(),
            span: Some(Span::new(offset, offset)),
        }
    }

    /// [`ParseError::at`] for an offset reported by a third-party parser, which may point past
    /// the end or into the middle of a character: moved back to the nearest character start.
    pub fn within(source: &str, message: impl Into<String>, offset: usize) -> Self {
        let mut at = offset.min(source.len());
        while !source.is_char_boundary(at) {
            at -= 1;
        }
        Self::at(message, at)
    }
}

/// One parsed document: the value and where each part of it came from.
#[derive(Debug, Clone)]
pub struct ParsedDoc {
    pub value: serde_json::Value,
    pub spans: SpanMap,
}

/// What a parser returns: every document it could build, and the error that stopped it, if any.
#[derive(Debug, Default)]
pub struct Parsed {
    pub docs: Vec<ParsedDoc>,
    pub error: Option<ParseError>,
}

impl Parsed {
    pub fn failed(error: ParseError) -> Self {
        Self {
            docs: Vec::new(),
            error: Some(error),
        }
    }
}

type ParseFn = fn(&str, &Limits) -> Parsed;

/// The parser registry.
pub static PARSERS: &[(Syntax, ParseFn)] = &[
    (Syntax::Json, json::parse),
    (Syntax::Yaml, yaml::parse),
    (Syntax::Hcl, hcl::parse),
    (Syntax::Python, python::parse),
    (Syntax::Ini, ini::parse),
    (Syntax::Jsonc, json::parse_jsonc),
    (Syntax::HelmTemplate, template::parse_helm),
    (Syntax::Dockerfile, dockerfile::parse),
    (Syntax::Toml, toml::parse),
    (Syntax::Properties, properties::parse),
    (Syntax::Dotenv, dotenv::parse),
    (Syntax::Ignore, ignore::parse),
    (Syntax::Xml, xml::parse),
    (Syntax::Edn, edn::parse),
    (Syntax::Nginx, nginx::parse),
    (Syntax::Vcl, vcl::parse),
    (Syntax::Cue, cue::parse),
    (Syntax::Hocon, hocon::parse),
    (Syntax::Hcl1, hcl1::parse),
    (Syntax::Textproto, textproto::parse),
    (Syntax::Spdx, spdx::parse),
    (Syntax::CycloneDx, cyclonedx::parse),
    (Syntax::Jsonnet, jsonnet::parse),
    (Syntax::Groovy, groovy::parse),
];

/// conftest's parser names (`--parser`, `parse_config`) and the syntax custos reads each
/// with. conftest's other names, if any, are listed in [`CONFTEST_UNSUPPORTED`].
pub static CONFTEST_PARSERS: &[(&str, Syntax)] = &[
    ("cue", Syntax::Cue),
    ("cyclonedx", Syntax::CycloneDx),
    ("dockerfile", Syntax::Dockerfile),
    ("dotenv", Syntax::Dotenv),
    ("edn", Syntax::Edn),
    ("groovy", Syntax::Groovy),
    ("hcl1", Syntax::Hcl1),
    ("hcl2", Syntax::Hcl),
    ("hocon", Syntax::Hocon),
    ("ignore", Syntax::Ignore),
    ("ini", Syntax::Ini),
    ("json", Syntax::Json),
    ("jsonc", Syntax::Jsonc),
    ("jsonnet", Syntax::Jsonnet),
    ("nginx", Syntax::Nginx),
    ("properties", Syntax::Properties),
    ("spdx", Syntax::Spdx),
    ("textproto", Syntax::Textproto),
    ("toml", Syntax::Toml),
    ("vcl", Syntax::Vcl),
    ("xml", Syntax::Xml),
    ("yaml", Syntax::Yaml),
];

/// conftest parser names custos does not read yet: named so the error can say so, and so a
/// file conftest would read with one is never silently passed (an error when named, a note
/// when discovered). Empty since Groovy is read: every parser of conftest's (commit 6a3fd60)
/// is in [`CONFTEST_PARSERS`]; a parser conftest adds goes here until custos reads it.
pub static CONFTEST_UNSUPPORTED: &[&str] = &[];

/// The syntax for a conftest parser name (also accepting custos's aliases `hcl`, `yml`).
pub fn syntax_for_parser_name(name: &str) -> Result<Syntax, String> {
    let lower = name.to_ascii_lowercase();
    let canonical = match lower.as_str() {
        "hcl" | "tf" | "terraform" => "hcl2",
        "yml" => "yaml",
        "env" => "dotenv",
        "docker" => "dockerfile",
        other => other,
    };
    if let Some((_, s)) = CONFTEST_PARSERS.iter().find(|(n, _)| *n == canonical) {
        return Ok(*s);
    }
    let known: Vec<&str> = CONFTEST_PARSERS.iter().map(|(n, _)| *n).collect();
    if CONFTEST_UNSUPPORTED.contains(&canonical) {
        Err(format!(
            "parser `{name}` is one of conftest's that custos does not support yet (supported: {})",
            known.join(", ")
        ))
    } else {
        Err(format!(
            "unknown parser `{name}` (supported: {})",
            known.join(", ")
        ))
    }
}

/// The syntax conftest picks for a file by its name alone (conftest's `NewFromPath`):
/// `Dockerfile*`/`*.dockerfile`, `*.yml`/`*.yaml`, `*.hcl`/`*.tf`/`*.tfvars`,
/// `*.gitignore`/`*.dockerignore`, `.env*`/`*.env`, `nginx.conf`, `Jenkinsfile*`,
/// `*.textproto`/`*.textpb`, then the extension as a parser name.
// `name` is lowercased once up front, so the suffix comparisons are case-insensitive.
#[allow(clippy::case_sensitive_file_extension_comparisons)]
pub fn syntax_for_conftest_path(path: &std::path::Path) -> Result<Syntax, String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    // Go's `filepath.Ext`: from the last dot, so `.gitignore` has the extension `gitignore`.
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    if name == "dockerfile" || name.starts_with("dockerfile.") || ext == "dockerfile" {
        return Ok(Syntax::Dockerfile);
    }
    match ext {
        "yml" | "yaml" => return Ok(Syntax::Yaml),
        "hcl" | "tf" | "tfvars" => return Ok(Syntax::Hcl),
        "gitignore" | "dockerignore" => return Ok(Syntax::Ignore),
        _ => {}
    }
    if name == ".env" || name.starts_with(".env.") || ext == "env" {
        return Ok(Syntax::Dotenv);
    }
    if let Some(parser) = conftest_special_name(&name) {
        return syntax_for_parser_name(parser).map_err(|_| {
            format!("conftest reads this file with its `{parser}` parser, which custos does not support yet")
        });
    }
    if let Some(format) = conftest_format_unsupported(path) {
        return Err(format!("conftest reads this file with its `{format}` parser, which custos does not support yet"));
    }
    if ext.is_empty() {
        return Err(
            "no parser for a file without an extension (use a known name or --parser)".into(),
        );
    }
    syntax_for_parser_name(ext)
}

/// The parser conftest picks by a (lowercased) file name rather than by its extension.
fn conftest_special_name(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    if name == "nginx.conf" {
        Some("nginx")
    } else if name == "jenkinsfile" || name.starts_with("jenkinsfile.") {
        Some("groovy")
    } else if ext == "textproto" || ext == "textpb" {
        Some("textproto")
    } else {
        None
    }
}

/// The syntax of a file that only conftest's naming rules recognise (`*.edn`, `*.hocon`,
/// `*.cue`, `nginx.conf`, `Jenkinsfile`, …), for discovery: formats whose extension custos
/// reads with one of conftest's extra parsers. `None` for everything else, including the
/// formats classification already knows (YAML, JSON, TOML, …).
pub fn conftest_only_syntax(path: &std::path::Path) -> Option<Syntax> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    let parser = conftest_special_name(&name)
        .or_else(|| CONFTEST_EXTRA.iter().copied().find(|p| *p == ext))?;
    syntax_for_parser_name(parser).ok()
}

/// conftest parser names that are also file extensions custos does not otherwise classify.
const CONFTEST_EXTRA: &[&str] = &[
    "cue",
    "cyclonedx",
    "edn",
    "groovy",
    "hcl1",
    "hocon",
    "jsonnet",
    "nginx",
    "spdx",
    "textproto",
    "vcl",
];

/// The conftest parser a file would be read with, by conftest's naming rules, when custos
/// has no parser for it (one named in [`CONFTEST_UNSUPPORTED`]): such a file must never look
/// checked when it was not.
pub fn conftest_format_unsupported(path: &std::path::Path) -> Option<&'static str> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    conftest_special_name(&name)
        .or_else(|| CONFTEST_UNSUPPORTED.iter().copied().find(|f| *f == ext))
        .filter(|f| CONFTEST_UNSUPPORTED.contains(f))
}

/// The kind a document read with a forced parser (`--parser`) has when classification
/// would have read the file otherwise.
pub fn kind_for_syntax(syntax: Syntax) -> crate::document::Kind {
    use crate::document::Kind;
    match syntax {
        Syntax::Json | Syntax::Jsonc => Kind::Json,
        Syntax::Yaml => Kind::Yaml,
        Syntax::Hcl => Kind::Terraform,
        Syntax::Python => Kind::AirflowDag,
        Syntax::Ini => Kind::Ini,
        Syntax::HelmTemplate => Kind::HelmTemplate,
        Syntax::Dockerfile => Kind::Dockerfile,
        Syntax::Toml => Kind::Toml,
        Syntax::Properties => Kind::Properties,
        Syntax::Dotenv => Kind::Dotenv,
        Syntax::Ignore => Kind::Ignore,
        Syntax::Xml => Kind::Xml,
        Syntax::Edn => Kind::Edn,
        Syntax::Nginx => Kind::Nginx,
        Syntax::Vcl => Kind::Vcl,
        Syntax::Cue => Kind::Cue,
        Syntax::Hocon => Kind::Hocon,
        Syntax::Hcl1 => Kind::Hcl1,
        Syntax::Textproto => Kind::Textproto,
        Syntax::Spdx => Kind::Spdx,
        Syntax::CycloneDx => Kind::CycloneDx,
        Syntax::Jsonnet => Kind::Jsonnet,
        Syntax::Groovy => Kind::Groovy,
        Syntax::Text => Kind::Text,
    }
}

/// The syntax a kind named in `[classify]` is read with, for the kinds that have exactly
/// one (conftest's extra formats); `Text` for the rest.
pub fn syntax_for_kind(kind: crate::document::Kind) -> Syntax {
    use crate::document::Kind;
    match kind {
        Kind::Edn => Syntax::Edn,
        Kind::Nginx => Syntax::Nginx,
        Kind::Vcl => Syntax::Vcl,
        Kind::Cue => Syntax::Cue,
        Kind::Hocon => Syntax::Hocon,
        Kind::Hcl1 => Syntax::Hcl1,
        Kind::Textproto => Syntax::Textproto,
        Kind::Spdx => Syntax::Spdx,
        Kind::CycloneDx => Syntax::CycloneDx,
        Kind::Jsonnet => Syntax::Jsonnet,
        Kind::Groovy => Syntax::Groovy,
        _ => Syntax::Text,
    }
}

/// The value conftest's parser would return for `parsed` (what `parse_config` gives a
/// policy): a Dockerfile's or ignore file's list wrapped in one more array, a multi-document
/// YAML stream as an array of its documents, one document as itself, nothing as `null`.
pub fn conftest_value(syntax: Syntax, parsed: Parsed) -> serde_json::Value {
    let mut docs: Vec<serde_json::Value> = parsed.docs.into_iter().map(|d| d.value).collect();
    if matches!(syntax, Syntax::Dockerfile | Syntax::Ignore) {
        return serde_json::Value::Array(docs);
    }
    match docs.len() {
        0 => serde_json::Value::Null,
        1 => docs.pop().unwrap_or_default(),
        _ => serde_json::Value::Array(docs),
    }
}

/// Parse `source` as `syntax`; `None` for syntaxes without a structural parser.
pub fn parse(syntax: Syntax, source: &str, limits: &Limits) -> Option<Parsed> {
    PARSERS
        .iter()
        .find(|(s, _)| *s == syntax)
        .map(|(_, f)| bound_depth(f(source, limits), source, limits))
}

/// A parsed value nested deeper than about twice `limits.max_depth` is refused, whatever the text looked
/// like: [`check_depth`] counts brackets before a parser runs, but text the counter reads as a
/// string can be structure to the parser (a mutated HCL file with a quote split across lines
/// gave a document about a thousand levels deep from ten), and every later step —
/// conversion for the engine, Rego's `walk`, serialisation to a worker — recurses on the
/// value. The error points at the deepest part the spans locate.
fn bound_depth(mut parsed: Parsed, source: &str, limits: &Limits) -> Parsed {
    // Twice the parsers' nesting limit: a syntax tree in conftest's shape (Groovy's
    // `{kind, children: [...]}`) takes two levels of JSON per node of the tree.
    let max = limits.max_depth.saturating_mul(2).saturating_add(8);
    let Some(i) = parsed
        .docs
        .iter()
        .position(|d| exceeds_depth(&d.value, max))
    else {
        return parsed;
    };
    let doc = parsed.docs.swap_remove(i);
    let offset = deepest_span(&doc, max).map_or(0, |s| s.start);
    // A deep value is dismantled without recursion, as it was built by a parser that could.
    dismantle(doc.value);
    Parsed::failed(ParseError::within(
        source,
        format!("nesting deeper than {max} levels; refusing to evaluate"),
        offset,
    ))
}

/// Whether `v` nests arrays and objects more than `max` deep (checked without recursion).
fn exceeds_depth(v: &serde_json::Value, max: usize) -> bool {
    let mut stack: Vec<(&serde_json::Value, usize)> = vec![(v, 0)];
    while let Some((v, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &serde_json::Value>> = match v {
            serde_json::Value::Array(items) => Box::new(items.iter()),
            serde_json::Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth >= max {
            return true;
        }
        stack.extend(children.map(|c| (c, depth + 1)));
    }
    false
}

/// The span the parser recorded for the deepest pointer on a path nested more than `max` deep.
fn deepest_span(doc: &ParsedDoc, max: usize) -> Option<Span> {
    let mut v = &doc.value;
    let mut pointer = String::new();
    let mut best = doc.spans.get("").copied();
    for level in 0..max {
        // The child through which the value still nests more than `max` levels from the root.
        let below = max - level - 1;
        let next = match v {
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find(|(_, c)| exceeds_depth(c, below))
                .map(|(i, c)| (i.to_string(), c)),
            serde_json::Value::Object(map) => map
                .iter()
                .find(|(_, c)| exceeds_depth(c, below))
                .map(|(k, c)| (k.clone(), c)),
            _ => None,
        };
        let Some((token, child)) = next else { break };
        pointer = crate::document::push_token(&pointer, &token);
        if let Some(span) = doc.spans.get(&pointer) {
            best = Some(*span);
        }
        v = child;
    }
    best
}

/// Drop `v` without recursing into it.
fn dismantle(v: serde_json::Value) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Array(items) => stack.extend(items),
            serde_json::Value::Object(map) => stack.extend(map.into_iter().map(|(_, c)| c)),
            _ => {}
        }
    }
}

/// Parse `source` as conftest's parser for `syntax` would (what `parse_config` returns): as
/// [`parse`], except HCL2, which conftest gives in hcl2json's shape (blocks always arrays of
/// bodies) where custos's Terraform documents nest blocks as objects.
pub fn parse_conftest(syntax: Syntax, source: &str, limits: &Limits) -> Option<Parsed> {
    if syntax == Syntax::Hcl {
        return Some(bound_depth(
            hcl::parse_conftest(source, limits),
            source,
            limits,
        ));
    }
    parse(syntax, source, limits)
}

/// Reject input nested deeper than `max` before a recursive parser sees it.
/// Brackets inside double-quoted strings are skipped; the check errs towards counting.
pub(crate) fn check_depth(
    source: &str,
    max: usize,
    open: &[u8],
    close: &[u8],
) -> Result<(), ParseError> {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    for (i, b) in source.bytes().enumerate() {
        if in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        if b == b'"' {
            in_str = true;
        } else if open.contains(&b) {
            depth += 1;
            if depth > max {
                return Err(ParseError::at(
                    format!("nesting deeper than {max} levels; refusing to parse"),
                    i,
                ));
            }
        } else if close.contains(&b) {
            depth = depth.saturating_sub(1);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_has_each_structured_syntax_once() {
        for syntax in [
            Syntax::Json,
            Syntax::Yaml,
            Syntax::Hcl,
            Syntax::Python,
            Syntax::Ini,
            Syntax::Jsonc,
            Syntax::HelmTemplate,
            Syntax::Dockerfile,
            Syntax::Toml,
            Syntax::Properties,
            Syntax::Dotenv,
            Syntax::Ignore,
            Syntax::Xml,
            Syntax::Edn,
            Syntax::Nginx,
            Syntax::Vcl,
            Syntax::Cue,
            Syntax::Hocon,
            Syntax::Hcl1,
            Syntax::Textproto,
            Syntax::Spdx,
            Syntax::CycloneDx,
            Syntax::Jsonnet,
            Syntax::Groovy,
        ] {
            assert_eq!(
                PARSERS.iter().filter(|(s, _)| *s == syntax).count(),
                1,
                "{syntax:?}"
            );
        }
        assert!(parse(Syntax::Text, "x", &Limits::default()).is_none());
    }

    #[test]
    fn parser_names_resolve_or_explain() {
        assert_eq!(syntax_for_parser_name("Dockerfile"), Ok(Syntax::Dockerfile));
        assert_eq!(syntax_for_parser_name("hcl2"), Ok(Syntax::Hcl));
        assert_eq!(syntax_for_parser_name("groovy"), Ok(Syntax::Groovy));
        assert!(syntax_for_parser_name("nope")
            .unwrap_err()
            .contains("unknown parser"));
        for (name, syntax) in CONFTEST_PARSERS {
            assert!(parse(*syntax, "", &Limits::default()).is_some(), "{name}");
        }
    }

    #[test]
    fn error_offsets_land_on_char_boundaries() {
        // "é" is two bytes: an offset into its middle moves back to its start.
        let e = ParseError::within("aé", "m", 2);
        assert_eq!(e.span, Some(Span::new(1, 1)));
        assert_eq!(ParseError::within("ab", "m", 9).span, Some(Span::new(2, 2)));
    }

    #[test]
    fn depth_check_ignores_strings() {
        assert!(check_depth(r#"{"a": "[[[[[[["}"#, 2, b"[{", b"]}").is_ok());
        let err = check_depth("[[[[", 3, b"[{", b"]}").unwrap_err();
        assert_eq!(err.span, Some(Span::new(3, 3)));
    }
}
