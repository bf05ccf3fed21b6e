//! The policy engine: Rego rules evaluated by `regorus` over documents.
//!
//! Policies are loaded and compiled once into a [`PolicySet`]; each worker clones the loaded
//! engine (cheap: modules are reference-counted) and evaluates documents with it. A package
//! that defines `deny`, `violation` or `warn` is a rule; its `metadata` value (see DESIGN.md)
//! names it. Packages without metadata are conftest policies and run unchanged: their id is
//! their package name, `deny`/`violation` fail at high severity, `warn` warns.
//!
//! Files are parsed as Rego v1 first and, failing that, as v0, so conftest policies written
//! before OPA 1.0 (`deny[msg] { … }`) load without edits.

mod builtins;
mod input;
pub mod test;

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;
use regorus::unstable::{Parser, Rule, RuleHead};
use regorus::utils::limits::ExecutionTimerConfig;
use regorus::{Engine, Value};
use serde::Serialize;

use crate::document::{push_token, Document, Kind, LineIndex, Span};
use crate::finding::{Finding, Level, Severity};

include!(concat!(env!("OUT_DIR"), "/bundled_policies.rs"));

/// Rule ids the engine itself emits; user and bundled rules may not reuse them.
pub const BUILTIN_RULES: &[(&str, &str)] = &[
    ("parse-error", "File could not be parsed"),
    ("read-error", "File could not be read"),
    ("policy-error", "Policy evaluation failed"),
    ("waiver-expired", "Expired waiver"),
    ("waiver-unused", "Unused waiver"),
];

const ENTRY_RULES: [(&str, Level); 3] = [
    ("deny", Level::Failure),
    ("violation", Level::Failure),
    ("warn", Level::Warning),
];

/// A policy load failure: a setup error (exit code 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PolicyError {
    #[error("cannot read policy {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("policy {path} does not compile:\n{message}")]
    Compile { path: String, message: String },
    #[error("invalid metadata in package {package} ({path}): {message}")]
    Metadata {
        package: String,
        path: String,
        message: String,
    },
    #[error("rule id {id} is defined twice: by {first} and {second}")]
    DuplicateId {
        id: String,
        first: String,
        second: String,
    },
    #[error("policy engine: {0}")]
    Engine(String),
}

/// What a rule is, for reports and `policy list`.
#[derive(Debug, Clone, Serialize)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// Kinds the rule applies to; empty means every structured document.
    pub kinds: Vec<Kind>,
    pub controls: Vec<String>,
    pub remediation: Option<String>,
    /// The location the rule points at is a secret: mask it in snippets.
    pub sensitive: bool,
    /// `data.…` path of the package.
    pub package: String,
    /// File(s) that define the package.
    pub sources: Vec<String>,
    pub bundled: bool,
    /// `false` for conftest-style packages without metadata.
    pub has_metadata: bool,
}

#[derive(Debug, Clone)]
struct RulePackage {
    meta: RuleMeta,
    /// (`data.pkg.deny`, level) for each entry rule the package defines.
    entries: Vec<(String, Level)>,
}

/// Where policies come from.
#[derive(Debug, Clone, Default)]
pub struct PolicySources {
    pub include_bundled: bool,
    pub dirs: Vec<PathBuf>,
    /// Load `*_test.rego` files too (for `policy test`).
    pub include_tests: bool,
}

/// Compiled policies, ready to evaluate.
#[derive(Clone)]
pub struct PolicySet {
    engine: Engine,
    rules: Vec<RulePackage>,
    /// (`data.pkg.test_x`, source path) for every test rule loaded.
    tests: Vec<(String, String)>,
}

impl std::fmt::Debug for PolicySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicySet")
            .field("rules", &self.rules.len())
            .finish_non_exhaustive()
    }
}

/// What one Rego package declares, gathered across the files that make it up.
#[derive(Default)]
struct Pkg {
    sources: Vec<String>,
    rules: std::collections::BTreeSet<String>,
    bundled: bool,
}

fn is_test_file(path: &str) -> bool {
    path.ends_with("_test.rego")
}

static ERR_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r":(\d+):\d+").expect("static regex"));

/// How far into the file a parse error got (for choosing between the v1 and v0 errors).
fn error_line(msg: &str) -> u32 {
    ERR_LINE
        .captures(msg)
        .and_then(|c| c.get(1))
        .and_then(|m| m.as_str().parse().ok())
        .unwrap_or(0)
}

impl PolicySet {
    /// Load, compile and index policies. `data` is handed to policies as `data` (config `[data]`).
    pub fn load(
        sources: &PolicySources,
        data: &serde_json::Value,
        timeout: Duration,
    ) -> Result<Self, PolicyError> {
        let mut engine = Engine::new();
        engine.set_gather_prints(true);
        builtins::register(&mut engine).map_err(|e| PolicyError::Engine(e.to_string()))?;
        let mut files: Vec<(String, String, bool)> = Vec::new();
        if sources.include_bundled {
            for (path, src) in BUNDLED {
                if sources.include_tests || !is_test_file(path) {
                    files.push(((*path).to_owned(), (*src).to_owned(), true));
                }
            }
        }
        for dir in &sources.dirs {
            for path in rego_files(dir)? {
                let display = crate::discover::display_path(&path);
                if !sources.include_tests && is_test_file(&display) {
                    continue;
                }
                let src = std::fs::read_to_string(&path).map_err(|e| PolicyError::Read {
                    path: display.clone(),
                    reason: e.to_string(),
                })?;
                files.push((display, src, false));
            }
        }
        let mut bundled_paths = std::collections::HashSet::new();
        for (path, src, bundled) in files {
            if bundled {
                bundled_paths.insert(path.clone());
            }
            add_policy(&mut engine, path, src)?;
        }
        engine
            .add_data(Value::from(data.clone()))
            .map_err(|e| PolicyError::Engine(format!("config [data]: {e}")))?;

        // Index packages: which entry rules, test rules and metadata each one has.
        let mut pkgs: BTreeMap<String, Pkg> = BTreeMap::new();
        let mut tests = Vec::new();
        let packages = engine
            .get_packages()
            .map_err(|e| PolicyError::Engine(e.to_string()))?;
        let modules = engine.get_modules().clone();
        for (module, package) in modules.iter().zip(packages) {
            let path = module.package.span.source.get_path().clone();
            let pkg = pkgs.entry(package.clone()).or_default();
            pkg.sources.push(path.clone());
            pkg.bundled |= bundled_paths.contains(&path);
            for rule in &module.policy {
                let refr = match rule.as_ref() {
                    Rule::Spec { head, .. } => match head {
                        RuleHead::Compr { refr, .. }
                        | RuleHead::Set { refr, .. }
                        | RuleHead::Func { refr, .. } => refr,
                    },
                    Rule::Default { refr, .. } => refr,
                };
                let Ok(comps) = Parser::get_path_ref_components(refr) else {
                    continue;
                };
                let Some(first) = comps.first() else { continue };
                let name = first.text().to_owned();
                if name.starts_with("test_") && is_test_file(&path) {
                    let full = format!("{package}.{name}");
                    if !tests.iter().any(|(t, _)| t == &full) {
                        tests.push((full, path.clone()));
                    }
                }
                pkg.rules.insert(name);
            }
        }

        let mut rules = Vec::new();
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        for (package, pkg) in pkgs {
            let entries: Vec<(String, Level)> = ENTRY_RULES
                .iter()
                .filter(|(r, _)| pkg.rules.contains(*r))
                .map(|(r, l)| (format!("{package}.{r}"), *l))
                .collect();
            if entries.is_empty() {
                continue;
            }
            let source_list = pkg.sources.join(", ");
            let meta = if pkg.rules.contains("metadata") {
                let v = engine
                    .eval_rule(format!("{package}.metadata"))
                    .map_err(|e| PolicyError::Metadata {
                        package: package.clone(),
                        path: source_list.clone(),
                        message: e.to_string(),
                    })?;
                parse_metadata(&v, &package, &pkg.sources, pkg.bundled).map_err(|message| {
                    PolicyError::Metadata {
                        package: package.clone(),
                        path: source_list.clone(),
                        message,
                    }
                })?
            } else {
                RuleMeta {
                    id: package.strip_prefix("data.").unwrap_or(&package).to_owned(),
                    title: String::new(),
                    severity: Severity::High,
                    kinds: Vec::new(),
                    controls: Vec::new(),
                    remediation: None,
                    sensitive: false,
                    package: package.clone(),
                    sources: pkg.sources.clone(),
                    bundled: pkg.bundled,
                    has_metadata: false,
                }
            };
            if BUILTIN_RULES.iter().any(|(b, _)| *b == meta.id) {
                return Err(PolicyError::Metadata {
                    package,
                    path: source_list,
                    message: format!("rule id `{}` is reserved for custos itself", meta.id),
                });
            }
            if let Some(first) = ids.insert(meta.id.clone(), source_list.clone()) {
                return Err(PolicyError::DuplicateId {
                    id: meta.id,
                    first,
                    second: source_list,
                });
            }
            rules.push(RulePackage { meta, entries });
        }
        rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));

        engine.set_execution_timer_config(ExecutionTimerConfig {
            limit: timeout,
            check_interval: NonZeroU32::new(64).unwrap_or(NonZeroU32::MIN),
        });
        Ok(Self {
            engine,
            rules,
            tests,
        })
    }

    pub fn rules(&self) -> impl Iterator<Item = &RuleMeta> {
        self.rules.iter().map(|r| &r.meta)
    }

    pub fn tests(&self) -> &[(String, String)] {
        &self.tests
    }

    /// A copy of the loaded engine for one worker.
    pub fn worker(&self) -> Evaluator<'_> {
        Evaluator {
            set: self,
            engine: self.engine.clone(),
        }
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }
}

/// Per-worker evaluation state.
pub struct Evaluator<'a> {
    set: &'a PolicySet,
    engine: Engine,
}

/// Per-rule adjustments from configuration.
pub trait RuleFilter {
    fn is_disabled(&self, rule: &str) -> bool;
    fn severity_for(&self, rule: &str, default: Severity) -> Severity;
}

impl RuleFilter for crate::config::Config {
    fn is_disabled(&self, rule: &str) -> bool {
        crate::config::Config::is_disabled(self, rule)
    }
    fn severity_for(&self, rule: &str, default: Severity) -> Severity {
        crate::config::Config::severity_for(self, rule, default)
    }
}

impl Evaluator<'_> {
    /// Evaluate every applicable rule on `doc`; problems evaluating a rule become findings.
    /// The document's input is handed to the engine (not copied: a large DAG model is big).
    pub fn evaluate(
        &mut self,
        mut doc: Document,
        source: &str,
        lines: &LineIndex,
        filter: &dyn RuleFilter,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        let applicable: Vec<&RulePackage> = self
            .set
            .rules
            .iter()
            .filter(|r| r.meta.kinds.is_empty() || r.meta.kinds.contains(&doc.kind))
            .filter(|r| !filter.is_disabled(&r.meta.id))
            .collect();
        if applicable.is_empty() {
            return out;
        }
        self.engine
            .set_input(input::to_rego(std::mem::take(&mut doc.input)));
        let root_span = doc.span_of("").map(|s| Span::new(s.start, s.start));
        for rule in applicable {
            for (entry, level) in &rule.entries {
                match self.engine.eval_rule(entry.clone()) {
                    Ok(v) => {
                        for result in result_items(&v) {
                            let mut f = result_to_finding(
                                &result, &rule.meta, *level, &doc, source, lines, root_span,
                            );
                            f.severity = filter.severity_for(&rule.meta.id, f.severity);
                            out.push(f);
                        }
                    }
                    Err(e) => {
                        let mut f = Finding::new(
                            "policy-error",
                            Severity::High,
                            format!(
                                "rule {} could not be evaluated on this document: {}",
                                rule.meta.id,
                                first_line(&e.to_string())
                            ),
                            &doc.path,
                        );
                        f.title = "Policy evaluation failed".into();
                        f.span = root_span;
                        f.kind = Some(doc.kind);
                        f.severity = filter.severity_for("policy-error", Severity::High);
                        out.push(f);
                    }
                }
            }
        }
        // Prints are gathered so that they never interleave with report output; drop them.
        let _ = self.engine.take_prints();
        out
    }
}

fn first_line(s: &str) -> &str {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or(s)
}

/// The results of an entry rule: members of a set (or array); `true` counts as one result.
fn result_items(v: &Value) -> Vec<Value> {
    match v {
        Value::Set(s) => s.iter().cloned().collect(),
        Value::Array(a) => a.iter().cloned().collect(),
        Value::Bool(true) => vec![Value::from("policy denied this document")],
        _ => Vec::new(),
    }
}

fn result_to_finding(
    result: &Value,
    meta: &RuleMeta,
    level: Level,
    doc: &Document,
    source: &str,
    lines: &LineIndex,
    root_span: Option<Span>,
) -> Finding {
    let mut severity = match (level, meta.has_metadata) {
        (Level::Warning, false) => Severity::Low,
        _ => meta.severity,
    };
    let mut message = String::new();
    let mut pointer = None;
    let mut span = None;
    match result {
        Value::String(s) => message = s.to_string(),
        Value::Object(obj) => {
            for (k, v) in obj.iter() {
                let Value::String(key) = k else { continue };
                match key.as_ref() {
                    "msg" => {
                        message = match v {
                            Value::String(s) => s.to_string(),
                            other => other.to_string(),
                        };
                    }
                    "path" => {
                        if let Some(p) = path_to_pointer(v) {
                            span = doc.span_of(&p);
                            pointer = Some(p);
                        }
                    }
                    "_loc" if span.is_none() => span = loc_span(v, source, lines),
                    "severity" => {
                        if let Ok(s) = v.as_string().map(|s| s.parse::<Severity>()) {
                            severity = s.unwrap_or(severity);
                        }
                    }
                    _ => {}
                }
            }
            if message.is_empty() {
                message = result.to_string();
            }
        }
        other => message = other.to_string(),
    }
    let mut f = Finding::new(&meta.id, severity, message, &doc.path);
    f.title.clone_from(&meta.title);
    f.level = level;
    f.span = span.or(root_span);
    f.kind = Some(doc.kind);
    if doc.index > 0 {
        // Keep pointers unique across the documents of one file.
        pointer = pointer.map(|p| format!("#{}{p}", doc.index));
    }
    f.pointer = pointer;
    f.controls.clone_from(&meta.controls);
    f.remediation.clone_from(&meta.remediation);
    f.sensitive = meta.sensitive;
    f
}

/// `["resource", "aws_s3_bucket", "b"]` (or `"resource.aws_s3_bucket.b"`) → `/resource/aws_s3_bucket/b`.
fn path_to_pointer(v: &Value) -> Option<String> {
    match v {
        Value::Array(items) => {
            let mut p = String::new();
            for item in items.iter() {
                let token = match item {
                    Value::String(s) => s.to_string(),
                    Value::Number(_) => item.to_string(),
                    _ => return None,
                };
                p = push_token(&p, &token);
            }
            Some(p)
        }
        Value::String(s) if s.starts_with('/') => Some(s.to_string()),
        Value::String(s) => Some(s.split('.').fold(String::new(), |p, t| push_token(&p, t))),
        _ => None,
    }
}

/// conftest's manual location: `{"line": N}` (1-based), optionally with `"file"`.
fn loc_span(v: &Value, source: &str, lines: &LineIndex) -> Option<Span> {
    let line = v["line"]
        .as_u64()
        .ok()
        .or_else(|| v["line"].as_i64().ok().and_then(|i| u64::try_from(i).ok()))?;
    lines.line_span(source, usize::try_from(line).ok()?)
}

fn parse_metadata(
    v: &Value,
    package: &str,
    sources: &[String],
    bundled: bool,
) -> Result<RuleMeta, String> {
    let json: serde_json::Value = serde_json::to_value(v).map_err(|e| e.to_string())?;
    let obj = json.as_object().ok_or("`metadata` must be an object")?;
    for key in obj.keys() {
        if ![
            "id",
            "title",
            "severity",
            "kinds",
            "controls",
            "remediation",
            "sensitive",
            "description",
        ]
        .contains(&key.as_str())
        {
            return Err(format!("unknown metadata key `{key}`"));
        }
    }
    let string = |k: &str| obj.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    let id = string("id").ok_or("`metadata.id` (a string) is required")?;
    let severity = string("severity")
        .ok_or("`metadata.severity` is required")?
        .parse::<Severity>()?;
    let list = |k: &str| -> Result<Vec<String>, String> {
        match obj.get(k) {
            None => Ok(Vec::new()),
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_owned)
                        .ok_or(format!("`metadata.{k}` must be a list of strings"))
                })
                .collect(),
            Some(_) => Err(format!("`metadata.{k}` must be a list of strings")),
        }
    };
    let mut kinds = Vec::new();
    for k in list("kinds")? {
        if k == "*" {
            kinds.clear();
            break;
        }
        kinds.push(Kind::parse(&k).ok_or(format!("unknown kind `{k}` in metadata.kinds"))?);
    }
    Ok(RuleMeta {
        id,
        title: string("title").unwrap_or_default(),
        severity,
        kinds,
        controls: list("controls")?,
        remediation: string("remediation"),
        sensitive: obj
            .get("sensitive")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false),
        package: package.to_owned(),
        sources: sources.to_vec(),
        bundled,
        has_metadata: true,
    })
}

/// Add one policy file, as Rego v1 or, failing that, v0.
fn add_policy(engine: &mut Engine, path: String, src: String) -> Result<(), PolicyError> {
    let mut v1 = engine.clone();
    match v1.add_policy(path.clone(), src.clone()) {
        Ok(_) => {
            *engine = v1;
            Ok(())
        }
        Err(e1) => {
            let mut v0 = engine.clone();
            v0.set_rego_v0(true);
            match v0.add_policy(path.clone(), src) {
                Ok(_) => {
                    v0.set_rego_v0(false);
                    *engine = v0;
                    Ok(())
                }
                Err(e0) => {
                    let (m1, m0) = (e1.to_string(), e0.to_string());
                    let message = if error_line(&m0) > error_line(&m1) {
                        m0
                    } else {
                        m1
                    };
                    Err(PolicyError::Compile { path, message })
                }
            }
        }
    }
}

/// Every `.rego` file under `dir` (or `dir` itself), sorted.
fn rego_files(dir: &Path) -> Result<Vec<PathBuf>, PolicyError> {
    let meta = std::fs::metadata(dir).map_err(|e| PolicyError::Read {
        path: dir.display().to_string(),
        reason: e.to_string(),
    })?;
    if meta.is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| PolicyError::Read {
            path: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|x| x == "rego") {
            out.push(entry.path().to_path_buf());
        }
    }
    Ok(out)
}
