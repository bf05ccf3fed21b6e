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
//!
//! Trust: bundled policies are custos's own code; they are compiled into an engine of their
//! own and evaluated in-process, fast. A package with any file from the user is untrusted:
//! it is checked for recursion when it loads (`analysis`) and evaluated in a bounded worker
//! process (`sandbox`: memory, stack and time), so that whatever it does ends as a
//! `policy-error` finding naming the rule, its files and the reason, and the scan goes on.
//! A user file that extends a bundled package makes that package untrusted as a whole, and
//! bundled rules never see user modules.

mod analysis;
mod builtins;
mod input;
pub mod sandbox;
pub mod test;

pub use sandbox::Bounds;

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
    ("ignore-unknown-rule", "Inline ignore names an unknown rule"),
    ("ignore-unused", "Inline ignore suppresses nothing"),
    (
        "ignore-without-reason",
        "Inline ignore without a required reason",
    ),
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
    /// A paragraph on what the rule checks and why (`metadata.description`).
    pub description: Option<String>,
    /// Where to read more (`metadata.help_uri`).
    pub help_uri: Option<String>,
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
    /// Every file of the package is bundled: evaluated in-process.
    trusted: bool,
    /// Why the package is not evaluated at all (found recursive when it loaded, or its
    /// metadata exceeded a bound): every document it applies to gets a `policy-error`.
    rejected: Option<String>,
}

/// Where policies come from.
#[derive(Debug, Clone, Default)]
pub struct PolicySources {
    pub include_bundled: bool,
    pub dirs: Vec<PathBuf>,
    /// Load `*_test.rego` files too (for `policy test`).
    pub include_tests: bool,
    /// Only the bundled rules that apply to one of these document kinds (see
    /// [`bundled_rule_kinds`]); `None` loads every bundled rule. A one-file scan (pre-commit)
    /// compiles a few rules instead of all of them.
    pub kinds: Option<std::collections::BTreeSet<Kind>>,
}

/// What a bundled file's `metadata` says, read from its text without compiling it: the rule
/// id and kinds (`None` for a library file without metadata; an empty list for `"*"`). A test
/// keeps this equal to the compiled metadata of every bundled rule.
pub fn bundled_rule_kinds(src: &str) -> Option<(String, Vec<String>)> {
    static META: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?ms)^metadata\s*:?=\s*\{(.*?)^\}").expect("static regex"));
    static ID: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#""id"\s*:\s*"([^"]+)""#).expect("static regex"));
    static KINDS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#""kinds"\s*:\s*\[([^\]]*)\]"#).expect("static regex"));
    static NAME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#""([^"]+)""#).expect("static regex"));
    let body = META.captures(src)?.get(1)?.as_str();
    let id = ID.captures(body)?.get(1)?.as_str().to_owned();
    let kinds = KINDS
        .captures(body)
        .and_then(|c| c.get(1))
        .map(|list| {
            NAME.captures_iter(list.as_str())
                .filter_map(|c| c.get(1).map(|m| m.as_str().to_owned()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let kinds = if kinds.iter().any(|k| k == "*") {
        Vec::new()
    } else {
        kinds
    };
    Some((id, kinds))
}

/// The `metadata := {…}` object of a bundled file when it is a JSON literal (JSON with
/// trailing commas: Rego's object syntax for strings, lists and booleans), as the engine would
/// evaluate it; `None` otherwise. A test checks it equals the evaluated metadata of every
/// bundled rule.
pub fn literal_metadata_of(src: &str) -> Option<serde_json::Value> {
    static META: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?ms)^metadata\s*:?=\s*(\{.*?^\})").expect("static regex"));
    let block = META.captures(src)?.get(1)?.as_str();
    let parsed = crate::parse::json::parse_jsonc(block, &crate::parse::Limits::default());
    if parsed.error.is_some() {
        return None;
    }
    let mut docs = parsed.docs.into_iter();
    let doc = docs.next()?;
    (docs.next().is_none() && doc.value.is_object()).then_some(doc.value)
}

/// [`literal_metadata_of`] for a package made of one bundled file and nothing else.
fn literal_metadata(pkg: &Pkg) -> Option<Value> {
    if pkg.untrusted || !pkg.bundled {
        return None;
    }
    let [path] = pkg.sources.as_slice() else {
        return None;
    };
    let src = BUNDLED.iter().find(|(p, _)| *p == path.as_str())?.1;
    literal_metadata_of(src).map(Value::from)
}

/// The ids of every bundled rule, whether loaded or not (configuration and inline ignores may
/// name any of them).
pub fn bundled_rule_ids() -> Vec<String> {
    BUNDLED
        .iter()
        .filter(|(path, _)| !is_test_file(path))
        .filter_map(|(_, src)| bundled_rule_kinds(src).map(|(id, _)| id))
        .collect()
}

/// Whether a bundled file is needed for documents of `kinds`: libraries always, rules when
/// they apply to one of the kinds.
fn bundled_needed(src: &str, kinds: Option<&std::collections::BTreeSet<Kind>>) -> bool {
    let Some(kinds) = kinds else { return true };
    match bundled_rule_kinds(src) {
        None => true,
        Some((_, applies)) => {
            applies.is_empty()
                || applies
                    .iter()
                    .any(|k| Kind::parse(k).is_some_and(|k| kinds.contains(&k)))
        }
    }
}

/// Compiled policies, ready to evaluate.
#[derive(Clone)]
pub struct PolicySet {
    /// Every module loaded (for `policy test`).
    engine: Engine,
    /// The bundled modules only: what evaluates trusted rules in-process.
    trusted: Engine,
    rules: Vec<RulePackage>,
    /// (`data.pkg.test_x`, source path) for every test rule loaded.
    tests: Vec<(String, String)>,
    timeout: Duration,
    /// Workers for untrusted rules; `None` when every rule is bundled.
    sandbox: Option<std::sync::Arc<sandbox::Sandbox>>,
}

impl std::fmt::Debug for PolicySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicySet")
            .field("rules", &self.rules.len())
            .finish_non_exhaustive()
    }
}

/// (`data.pkg.deny`, level) for each entry rule of a package.
type Entries = Vec<(String, Level)>;

/// What one Rego package declares, gathered across the files that make it up.
#[derive(Default)]
struct Pkg {
    sources: Vec<String>,
    rules: std::collections::BTreeSet<String>,
    bundled: bool,
    /// At least one file of the package is the user's.
    untrusted: bool,
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

/// The bundled policy files to load, in order.
fn bundled_files(
    include_bundled: bool,
    include_tests: bool,
    kinds: Option<&std::collections::BTreeSet<Kind>>,
) -> Vec<(String, String)> {
    if !include_bundled {
        return Vec::new();
    }
    BUNDLED
        .iter()
        .filter(|(path, _)| include_tests || !is_test_file(path))
        .filter(|(_, src)| bundled_needed(src, kinds))
        .map(|(path, src)| ((*path).to_owned(), (*src).to_owned()))
        .collect()
}

fn new_engine() -> Result<Engine, PolicyError> {
    let mut engine = Engine::new();
    engine.set_gather_prints(true);
    builtins::register(&mut engine).map_err(|e| PolicyError::Engine(e.to_string()))?;
    Ok(engine)
}

fn set_timer(engine: &mut Engine, timeout: Duration) {
    engine.set_execution_timer_config(ExecutionTimerConfig {
        limit: timeout,
        check_interval: NonZeroU32::new(64).unwrap_or(NonZeroU32::MIN),
    });
}

/// The worker's engine: the same files, in the same order, as the parent's full engine.
pub(crate) fn compile_untrusted(setup: &sandbox::Setup) -> Result<Engine, PolicyError> {
    let mut engine = new_engine()?;
    for (path, src) in bundled_files(setup.include_bundled, setup.include_tests, None) {
        add_policy(&mut engine, path, src)?;
    }
    engine
        .add_data(Value::from(setup.data.clone()))
        .map_err(|e| PolicyError::Engine(format!("config [data]: {e}")))?;
    for (path, src) in &setup.files {
        add_policy(&mut engine, path.clone(), src.clone())?;
    }
    set_timer(&mut engine, Duration::from_millis(setup.timeout_ms));
    Ok(engine)
}

impl PolicySet {
    /// Load, compile and index policies. `data` is handed to policies as `data` (config `[data]`).
    pub fn load(
        sources: &PolicySources,
        data: &serde_json::Value,
        timeout: Duration,
    ) -> Result<Self, PolicyError> {
        Self::load_bounded(sources, data, &Bounds::new(timeout))
    }

    /// [`PolicySet::load`] with explicit bounds for untrusted policies.
    pub fn load_bounded(
        sources: &PolicySources,
        data: &serde_json::Value,
        bounds: &Bounds,
    ) -> Result<Self, PolicyError> {
        let timeout = bounds.timeout;
        let mut user_files: Vec<(String, String)> = Vec::new();
        for dir in &sources.dirs {
            for path in rego_files(dir)? {
                let display = crate::document::display_path(&path);
                if !sources.include_tests && is_test_file(&display) {
                    continue;
                }
                let src = std::fs::read_to_string(&path).map_err(|e| PolicyError::Read {
                    path: display.clone(),
                    reason: e.to_string(),
                })?;
                user_files.push((display, src));
            }
        }
        // User policies run in workers: launch one now, so that it compiles the policies
        // while this process does.
        let mut sandbox = if user_files.is_empty() {
            None
        } else {
            // A worker compiles the bundled policies too only if the user's can reach them
            // (most do not: that halves a worker's start-up).
            let mut scratch = Engine::new();
            for (path, src) in &user_files {
                add_policy(&mut scratch, path.clone(), src.clone())?;
            }
            let setup = sandbox::Setup {
                include_bundled: sources.include_bundled
                    && analysis::reaches_bundled(scratch.get_modules()),
                include_tests: sources.include_tests,
                files: user_files.clone(),
                data: data.clone(),
                timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                memory_limit: bounds.memory_limit,
                stack_size: bounds.stack_size,
            };
            let sb = sandbox::Sandbox::new(&setup, bounds.clone()).map_err(PolicyError::Engine)?;
            sb.launch();
            Some(sb)
        };
        let mut trusted = new_engine()?;
        // With user files, the worker compiles every bundled file the user's may reach:
        // the parent keeps the same set.
        let kinds = sources.kinds.as_ref().filter(|_| user_files.is_empty());
        for (path, src) in bundled_files(sources.include_bundled, sources.include_tests, kinds) {
            add_policy(&mut trusted, path, src)?;
        }
        // Modules are kept in the order they were added: the first ones are the bundled
        // ones. (Trust follows where a file came from, never its path: a user's file may
        // have the same display path as a bundled one.)
        let n_bundled = trusted.get_modules().len();
        trusted
            .add_data(Value::from(data.clone()))
            .map_err(|e| PolicyError::Engine(format!("config [data]: {e}")))?;
        let mut engine = trusted.clone();
        for (path, src) in &user_files {
            add_policy(&mut engine, path.clone(), src.clone())?;
        }
        // Index packages: which entry rules, test rules and metadata each one has.
        let mut pkgs: BTreeMap<String, Pkg> = BTreeMap::new();
        let mut tests = Vec::new();
        let packages = engine
            .get_packages()
            .map_err(|e| PolicyError::Engine(e.to_string()))?;
        let modules = engine.get_modules().clone();
        for (i, (module, package)) in modules.iter().zip(packages).enumerate() {
            let path = module.package.span.source.get_path().clone();
            let pkg = pkgs.entry(package.clone()).or_default();
            pkg.sources.push(path.clone());
            if i < n_bundled {
                pkg.bundled = true;
            } else {
                pkg.untrusted = true;
            }
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

        // Recursion is rejected before anything runs (only user code can bring it).
        let mut rejected: BTreeMap<String, String> = BTreeMap::new();
        if !user_files.is_empty() {
            for cycle in analysis::find_cycles(&modules) {
                for package in &cycle.packages {
                    rejected
                        .entry(package.clone())
                        .or_insert_with(|| cycle.describe());
                }
            }
        }

        let rule_pkgs: Vec<(String, Pkg, Entries)> = pkgs
            .into_iter()
            .filter_map(|(package, pkg)| {
                let entries: Vec<(String, Level)> = ENTRY_RULES
                    .iter()
                    .filter(|(r, _)| pkg.rules.contains(*r))
                    .map(|(r, l)| (format!("{package}.{r}"), *l))
                    .collect();
                (!entries.is_empty()).then_some((package, pkg, entries))
            })
            .collect();

        // Untrusted rules run in workers: start one now, and let it evaluate their metadata.
        // With user files loaded, every test runs in a worker: a bundled test may reach a
        // package the user extended.
        let user_tests = !tests.is_empty() && !user_files.is_empty();
        let needs_worker = user_tests
            || rule_pkgs.iter().any(|(package, p, _)| {
                p.untrusted && (!rejected.contains_key(package) || p.rules.contains("metadata"))
            });
        if needs_worker {
            if let Some(sb) = &sandbox {
                sb.warm_up().map_err(PolicyError::Engine)?;
            }
        } else {
            // Dropping it stops the launched worker.
            sandbox = None;
        }
        let sandbox = sandbox.map(std::sync::Arc::new);
        let untrusted_meta: Vec<String> = rule_pkgs
            .iter()
            .filter(|(_, p, _)| p.untrusted && p.rules.contains("metadata"))
            .map(|(package, _, _)| format!("{package}.metadata"))
            .collect();
        let mut remote_meta: BTreeMap<String, sandbox::Outcome> = BTreeMap::new();
        if let (Some(sb), false) = (&sandbox, untrusted_meta.is_empty()) {
            let mut slot = None;
            let outcomes = sb.evaluate(&mut slot, None, &untrusted_meta);
            if let Some(w) = slot {
                sb.checkin(w);
            }
            remote_meta = untrusted_meta.into_iter().zip(outcomes).collect();
        }
        let mut rules = Vec::new();
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        for (package, pkg, entries) in rule_pkgs {
            let source_list = pkg.sources.join(", ");
            let mut reject = rejected.get(&package).cloned();
            let meta_value = if !pkg.rules.contains("metadata") {
                None
            } else if pkg.untrusted {
                match remote_meta.remove(&format!("{package}.metadata")) {
                    Some(sandbox::Outcome::Value(v)) => Some(v),
                    Some(sandbox::Outcome::Error {
                        reason,
                        bound: false,
                    }) => {
                        return Err(PolicyError::Metadata {
                            package,
                            path: source_list,
                            message: reason,
                        })
                    }
                    Some(sandbox::Outcome::Error {
                        reason,
                        bound: true,
                    }) => {
                        reject.get_or_insert(format!(
                            "its metadata could not be evaluated: {reason}"
                        ));
                        None
                    }
                    None => {
                        reject.get_or_insert("its metadata could not be evaluated".to_owned());
                        None
                    }
                }
            } else if let Some(v) = literal_metadata(&pkg) {
                // A bundled rule's metadata is a literal: read, not evaluated (startup time).
                Some(v)
            } else {
                Some(
                    trusted
                        .eval_rule(format!("{package}.metadata"))
                        .map_err(|e| PolicyError::Metadata {
                            package: package.clone(),
                            path: source_list.clone(),
                            message: e.to_string(),
                        })?,
                )
            };
            let meta = if let Some(v) = meta_value {
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
                    description: None,
                    help_uri: None,
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
            rules.push(RulePackage {
                meta,
                entries,
                trusted: !pkg.untrusted,
                rejected: reject,
            });
        }
        rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));

        set_timer(&mut trusted, timeout);
        set_timer(&mut engine, timeout);
        Ok(Self {
            engine,
            trusted,
            rules,
            tests,
            timeout,
            sandbox,
        })
    }

    pub fn rules(&self) -> impl Iterator<Item = &RuleMeta> {
        self.rules.iter().map(|r| &r.meta)
    }

    /// (`data.pkg.test_x`, source path) for every test rule loaded.
    pub fn tests(&self) -> &[(String, String)] {
        &self.tests
    }

    /// The worker pool for untrusted policies, if any were loaded.
    pub(crate) fn sandbox(&self) -> Option<&sandbox::Sandbox> {
        self.sandbox.as_deref()
    }

    /// A copy of the trusted engine for one evaluation thread; untrusted rules go to a
    /// policy worker it checks out on first use and hands back when dropped.
    pub fn worker(&self) -> Evaluator<'_> {
        Evaluator {
            set: self,
            engine: self.trusted.clone(),
            worker: None,
        }
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }
}

/// Per-thread evaluation state.
pub struct Evaluator<'a> {
    set: &'a PolicySet,
    engine: Engine,
    worker: Option<sandbox::Worker>,
}

impl Drop for Evaluator<'_> {
    fn drop(&mut self) {
        if let (Some(sb), Some(w)) = (&self.set.sandbox, self.worker.take()) {
            sb.checkin(w);
        }
    }
}

/// Per-rule adjustments from configuration.
pub trait RuleFilter {
    fn is_disabled(&self, rule: &str) -> bool;
    fn severity_for(&self, rule: &str, default: Severity) -> Severity;
}

impl Evaluator<'_> {
    /// Evaluate every applicable rule on `doc`; problems evaluating a rule become findings.
    pub fn evaluate(
        &mut self,
        doc: &Document,
        source: &str,
        lines: &LineIndex,
        filter: &dyn RuleFilter,
    ) -> Vec<Finding> {
        self.evaluate_input(doc, None, source, lines, filter)
    }

    /// [`Evaluator::evaluate`] on a document that is not needed afterwards: its input is
    /// handed to the engine without a copy (a generated DAG's model can be tens of MB).
    pub fn evaluate_owned(
        &mut self,
        mut doc: Document,
        source: &str,
        lines: &LineIndex,
        filter: &dyn RuleFilter,
    ) -> Vec<Finding> {
        let input = std::mem::take(&mut doc.input);
        self.evaluate_input(&doc, Some(input), source, lines, filter)
    }

    fn evaluate_input(
        &mut self,
        doc: &Document,
        owned: Option<serde_json::Value>,
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
        // Untrusted rules first, all in one round trip to a worker.
        let remote: Vec<String> = applicable
            .iter()
            .filter(|r| !r.trusted && r.rejected.is_none())
            .flat_map(|r| r.entries.iter().map(|(e, _)| e.clone()))
            .collect();
        let mut remote_out = match (&self.set.sandbox, remote.is_empty()) {
            (Some(sb), false) => sb.evaluate(
                &mut self.worker,
                Some(owned.as_ref().unwrap_or(&doc.input)),
                &remote,
            ),
            _ => Vec::new(),
        }
        .into_iter();
        if applicable.iter().any(|r| r.trusted) {
            self.engine.set_input(match owned {
                Some(v) => input::to_rego_owned(v),
                None => input::to_rego(&doc.input),
            });
        }
        let root_span = doc.span_of("").map(|s| Span::new(s.start, s.start));
        let policy_error = |message: String| {
            let mut f = Finding::new("policy-error", Severity::High, message, &doc.path);
            f.span = root_span;
            f.kind = Some(doc.kind);
            f.severity = filter.severity_for("policy-error", Severity::High);
            f
        };
        for rule in applicable {
            let named = if rule.trusted {
                rule.meta.id.clone()
            } else {
                format!("{} ({})", rule.meta.id, rule.meta.sources.join(", "))
            };
            if let Some(reason) = &rule.rejected {
                out.push(policy_error(format!(
                    "rule {named} was not evaluated: {reason}"
                )));
                continue;
            }
            for (entry, level) in &rule.entries {
                let result = if rule.trusted {
                    self.engine
                        .eval_rule(entry.clone())
                        .map_err(|e| sandbox::summarise(&e.to_string(), self.set.timeout).0)
                } else {
                    match remote_out.next() {
                        Some(sandbox::Outcome::Value(v)) => Ok(v),
                        Some(sandbox::Outcome::Error { reason, .. }) => Err(reason),
                        None => Err("the policy worker gave no result".to_owned()),
                    }
                };
                match result {
                    Ok(v) => {
                        for result in result_items(&v) {
                            let mut f = result_to_finding(
                                &result, &rule.meta, *level, doc, source, lines, root_span,
                            );
                            f.severity = filter.severity_for(&rule.meta.id, f.severity);
                            out.push(f);
                        }
                    }
                    Err(reason) => out.push(policy_error(format!(
                        "rule {named} could not be evaluated on this document: {reason}"
                    ))),
                }
            }
        }
        // Prints are gathered so that they never interleave with report output; drop them.
        let _ = self.engine.take_prints();
        out
    }
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
    f.level = level;
    f.span = span.or(root_span);
    f.kind = Some(doc.kind);
    if doc.index > 0 {
        // Keep pointers unique across the documents of one file.
        pointer = pointer.map(|p| format!("#{}{p}", doc.index));
    }
    f.pointer = pointer;
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
            "help_uri",
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
        description: string("description"),
        help_uri: string("help_uri"),
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

/// Add one policy file, as Rego v1 or, failing that, v0. A file that does not parse leaves
/// the engine as it was (the engine parses before it adds), so no copy of the engine is made.
fn add_policy(engine: &mut Engine, path: String, src: String) -> Result<(), PolicyError> {
    builtins::note_policy_path(&path);
    let Err(e1) = engine.add_policy(path.clone(), src.clone()) else {
        return Ok(());
    };
    engine.set_rego_v0(true);
    let v0 = engine.add_policy(path.clone(), src);
    engine.set_rego_v0(false);
    match v0 {
        Ok(_) => Ok(()),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The metadata read from a bundled file's text (what kind filtering relies on) is the
    /// metadata the engine computes, for every bundled rule.
    #[test]
    fn textual_metadata_matches_the_compiled_metadata() {
        let set = PolicySet::load(
            &PolicySources {
                include_bundled: true,
                dirs: Vec::new(),
                include_tests: false,
                kinds: None,
            },
            &serde_json::json!({}),
            Duration::from_secs(60),
        )
        .unwrap();
        let mut textual: Vec<(String, Vec<String>)> = BUNDLED
            .iter()
            .filter(|(p, _)| !is_test_file(p))
            .filter_map(|(_, src)| bundled_rule_kinds(src))
            .collect();
        textual.sort();
        let mut compiled: Vec<(String, Vec<String>)> = set
            .rules()
            .map(|r| {
                (
                    r.id.clone(),
                    r.kinds.iter().map(|k| k.as_str().to_owned()).collect(),
                )
            })
            .collect();
        compiled.sort();
        assert_eq!(textual, compiled);
        assert_eq!(bundled_rule_ids().len(), compiled.len());
        // The literal reading equals what the engine evaluates, key for key.
        let engine = &set.trusted;
        let mut read = 0;
        for (path, src) in BUNDLED.iter().filter(|(p, _)| !is_test_file(p)) {
            let Some(literal) = literal_metadata_of(src) else {
                continue;
            };
            let package = set
                .rules
                .iter()
                .find(|r| r.meta.sources == [(*path).to_owned()])
                .map(|r| r.meta.package.clone())
                .unwrap();
            let evaluated = engine
                .clone()
                .eval_rule(format!("{package}.metadata"))
                .unwrap();
            assert_eq!(Value::from(literal), evaluated, "{path}");
            read += 1;
        }
        assert_eq!(
            read,
            compiled.len(),
            "every bundled rule's metadata is a literal"
        );
    }

    #[test]
    fn kind_filtering_loads_only_the_rules_of_those_kinds() {
        let load = |kinds: &[Kind]| {
            PolicySet::load(
                &PolicySources {
                    include_bundled: true,
                    dirs: Vec::new(),
                    include_tests: false,
                    kinds: Some(kinds.iter().copied().collect()),
                },
                &serde_json::json!({}),
                Duration::from_secs(60),
            )
            .unwrap()
        };
        let tf = load(&[Kind::Terraform]);
        assert!(tf.rules().any(|r| r.id == "TF002"));
        assert!(tf
            .rules()
            .all(|r| r.kinds.is_empty() || r.kinds.contains(&Kind::Terraform)));
        let none = load(&[Kind::LogText]);
        assert!(none.rules().all(|r| r.kinds.is_empty()));
    }

    #[test]
    fn bundled_policies_alone_are_trusted_and_start_no_worker() {
        let set = PolicySet::load(
            &PolicySources {
                include_bundled: true,
                dirs: Vec::new(),
                include_tests: false,
                kinds: None,
            },
            &serde_json::json!({}),
            Duration::from_secs(5),
        )
        .expect("bundled policies load");
        assert!(set.sandbox.is_none());
        assert!(!set.rules.is_empty());
        assert!(set.rules.iter().all(|r| r.trusted && r.rejected.is_none()));
    }
}
