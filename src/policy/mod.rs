//! The policy engine: Rego rules evaluated by `regorus` over documents.
//!
//! Policies are loaded and compiled once into a [`PolicySet`]; each worker clones the loaded
//! engine (cheap: modules are reference-counted) and evaluates documents with it. A package
//! that defines an entry rule — `deny`, `violation`, `warn` or their `deny_<name>` …
//! forms ([`entry_level`]) — is a rule; its `metadata` value (see DESIGN.md) names it.
//! A user package without metadata is a conftest policy and runs with conftest's semantics
//! (docs/conftest-semantics.md): only the packages [`Namespaces`] selects (`main` unless
//! told), exceptions, conftest's counting ([`ConftestTally`]); its id is its package name,
//! failures are high severity, warnings low.
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
pub mod checks;
mod compat;
mod input;
mod parse_cost;
mod prefilter;
mod regex_cache;
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
    (
        "too-large",
        "File named for scanning is over the size limit",
    ),
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

/// The level of an entry rule, by conftest's naming: `deny`, `violation` and their
/// `deny_<name>` / `violation_<name>` forms fail; `warn` and `warn_<name>` warn. Any other name
/// is not an entry rule.
pub fn entry_level(name: &str) -> Option<Level> {
    fn suffix_ok(rest: &str) -> bool {
        rest.is_empty()
            || rest.strip_prefix('_').is_some_and(|r| {
                r.split('_')
                    .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()))
            })
    }
    for (prefix, level) in [
        ("deny", Level::Failure),
        ("violation", Level::Failure),
        ("warn", Level::Warning),
    ] {
        if name.strip_prefix(prefix).is_some_and(suffix_ok) {
            return Some(level);
        }
    }
    None
}

/// The name an `exception` must list to suppress an entry rule: `deny_foo` → `foo`; the bare
/// `deny`, `violation` and `warn` → `""` (conftest's `removeRulePrefix`).
pub fn exception_name(rule: &str) -> &str {
    if matches!(rule, "deny" | "violation" | "warn") {
        return "";
    }
    ["violation_", "deny_", "warn_"]
        .iter()
        .find_map(|p| rule.strip_prefix(p))
        .unwrap_or(rule)
}

/// Which packages of the user's conftest-style policies (packages without `metadata`) are
/// evaluated: conftest's `--namespace` and `--all-namespaces`. Bundled rules and user rules
/// with metadata are always evaluated, in their own packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Namespaces {
    /// Every package.
    All,
    /// Packages matching one of these patterns: a literal name or a glob (`*` matches any run
    /// of characters, dots included; `?` one character; `[...]` a class), as conftest's
    /// `--namespace`. The default is `main`.
    Matching(Vec<String>),
}

impl Default for Namespaces {
    fn default() -> Self {
        Namespaces::Matching(vec!["main".to_owned()])
    }
}

impl Namespaces {
    /// Whether the package `namespace` (without `data.`) is selected.
    pub fn selects(&self, namespace: &str) -> bool {
        match self {
            Namespaces::All => true,
            Namespaces::Matching(patterns) => patterns.iter().any(|p| {
                p == namespace
                    || globset::GlobBuilder::new(p)
                        .literal_separator(false)
                        .build()
                        .is_ok_and(|g| g.compile_matcher().is_match(namespace))
            }),
        }
    }
}

/// What conftest counts for one run: its summary line (`N tests, P passed, W warnings, F
/// failures, E exceptions`), the exceptions that applied, and what policies printed.
#[derive(Debug, Clone, Default)]
pub struct ConftestTally {
    pub tests: usize,
    pub passed: usize,
    pub warnings: usize,
    pub failures: usize,
    pub exceptions: usize,
    /// (document path, namespace, the exception query conftest shows) per exception.
    pub excepted: Vec<(String, String, String)>,
    /// `print()` output, each line prefixed with `file:line: ` of the print call.
    pub prints: Vec<String>,
}

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
    /// The top-level members of the input the rule reads (`metadata.reads`); empty means
    /// anything. A document that is an object with none of them cannot make the rule fire,
    /// and the rule is not evaluated there (as a prefilter: off with the prefilters).
    pub reads: Vec<String>,
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
    /// For a conftest-style package (no metadata): conftest's semantics and counting.
    conftest: Option<Conftest>,
}

/// How a conftest-style package is evaluated: exceptions, and how many rule definitions it
/// has (conftest counts each definition of an entry rule as one test).
#[derive(Debug, Clone)]
struct Conftest {
    /// The package, without `data.`.
    namespace: String,
    /// Definitions of entry rules (two `deny contains` bodies count twice).
    definitions: usize,
    /// `data.<ns>.exception`, when the package defines `exception`.
    exception: Option<String>,
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
    let block = metadata_block(src)?;
    let (id, kinds) = if let Some(meta) = literal_object(block) {
        let id = meta.get("id")?.as_str()?.to_owned();
        let kinds: Vec<String> = meta
            .get("kinds")
            .and_then(serde_json::Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|k| k.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        (id, kinds)
    } else {
        // Metadata with expressions in it: the id and kinds are still literal strings.
        static ID: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r#""id"\s*:\s*"([^"]+)""#).expect("static regex"));
        static KINDS: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r#""kinds"\s*:\s*\[([^\]]*)\]"#).expect("static regex"));
        static NAME: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r#""([^"]+)""#).expect("static regex"));
        let id = ID.captures(block)?.get(1)?.as_str().to_owned();
        let kinds = KINDS
            .captures(block)
            .and_then(|c| c.get(1))
            .map(|list| {
                NAME.captures_iter(list.as_str())
                    .filter_map(|c| c.get(1).map(|m| m.as_str().to_owned()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        (id, kinds)
    };
    let kinds = if kinds.iter().any(|k| k == "*") {
        Vec::new()
    } else {
        kinds
    };
    Some((id, kinds))
}

/// The text of a bundled file's `metadata := {` … `}` block: from a line that starts with
/// `metadata` and an assignment to the first later line that starts with `}` (how every
/// bundled file writes it; a test keeps the reading equal to the compiled metadata). A plain
/// scan rather than a regex: it runs over every bundled file at each start-up.
fn metadata_block(src: &str) -> Option<&str> {
    let mut offset = 0;
    let mut start = None;
    for line in src.split_inclusive('\n') {
        let here = offset;
        offset += line.len();
        match start {
            None => {
                let Some(rest) = line.strip_prefix("metadata") else {
                    continue;
                };
                let rest = rest.trim_start();
                let rest = rest
                    .strip_prefix(":=")
                    .or_else(|| rest.strip_prefix('='))
                    .map(str::trim_start);
                if let Some(brace) = rest.filter(|r| r.starts_with('{')) {
                    start = Some(here + (line.len() - brace.len()));
                }
            }
            Some(from) if line.starts_with('}') => return src.get(from..=here),
            Some(_) => {}
        }
    }
    None
}

/// A metadata block parsed as JSON with trailing commas (Rego's object syntax for strings,
/// lists and booleans); `None` when it is anything else.
fn literal_object(block: &str) -> Option<serde_json::Value> {
    let parsed = crate::parse::json::parse_jsonc(block, &crate::parse::Limits::default());
    if parsed.error.is_some() {
        return None;
    }
    let mut docs = parsed.docs.into_iter();
    let doc = docs.next()?;
    (docs.next().is_none() && doc.value.is_object()).then_some(doc.value)
}

/// The `metadata := {…}` object of a bundled file when it is a JSON literal (JSON with
/// trailing commas: Rego's object syntax for strings, lists and booleans), as the engine would
/// evaluate it; `None` otherwise. A test checks it equals the evaluated metadata of every
/// bundled rule.
pub fn literal_metadata_of(src: &str) -> Option<serde_json::Value> {
    literal_object(metadata_block(src)?)
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
    /// conftest's counts over every evaluation with this set (shared by its evaluators).
    tally: std::sync::Arc<std::sync::Mutex<ConftestTally>>,
    /// `trusted`, prepared for evaluation (the engine's schedule, function and rule tables
    /// built): what each worker clones. Built on the first [`PolicySet::worker`] call, so a
    /// scan prepares the engine once rather than once per worker (rayon starts a worker per
    /// split of the file list), and loading policies that are never evaluated costs nothing.
    prepared: std::sync::Arc<std::sync::OnceLock<(Engine, prefilter::Prefilters)>>,
    /// Skip a bundled rule on a document where its native prefilter proves it cannot fire
    /// (`prefilter`); on unless [`PolicySet::set_prefilters`] turned it off.
    prefilters: bool,
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
    /// Definitions of each entry rule (conftest counts each one as a test).
    definitions: usize,
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
    compat::register(&mut engine).map_err(|e| PolicyError::Engine(e.to_string()))?;
    regex_cache::register(&mut engine).map_err(|e| PolicyError::Engine(e.to_string()))?;
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
        add_policy_as_written(&mut engine, path, &src)?;
    }
    engine
        .add_data(Value::from(setup.data.clone()))
        .map_err(|e| PolicyError::Engine(format!("config [data]: {e}")))?;
    for (path, src) in &setup.files {
        add_policy(&mut engine, path.clone(), src.clone())?;
    }
    // As OPA (and conftest without --show-builtin-errors): a builtin that fails makes its
    // expression undefined instead of failing the whole rule.
    engine.set_strict_builtin_errors(false);
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
        Self::load_selected(sources, &Namespaces::default(), data, bounds)
    }

    /// [`PolicySet::load_bounded`] evaluating the user's conftest-style packages of
    /// `namespaces` only.
    pub fn load_selected(
        sources: &PolicySources,
        namespaces: &Namespaces,
        data: &serde_json::Value,
        bounds: &Bounds,
    ) -> Result<Self, PolicyError> {
        let timeout = bounds.timeout;
        let mut user_files: Vec<(String, String)> = Vec::new();
        for dir in &sources.dirs {
            let files = rego_files(dir)?;
            if files.is_empty() {
                return Err(PolicyError::Read {
                    path: dir.display().to_string(),
                    reason: "no policies found (no .rego file)".to_owned(),
                });
            }
            for path in files {
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
                trace: bounds.trace,
                proto_file_dirs: crate::parse::textproto_schema::active_dirs(),
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
            add_policy_as_written(&mut trusted, path, &src)?;
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
                if i >= n_bundled && module.rego_v1 {
                    if let Some(line) = if_without_contains(rule) {
                        return Err(PolicyError::Compile {
                            path,
                            message: format!(
                                "{path}:{line}: rule is using 'if' keyword without 'contains' keyword \
                                 (conftest refuses it: in Rego v1 `deny[msg] if` builds an object, \
                                 not a set of messages); write `deny contains msg if`",
                                path = module.package.span.source.get_path()
                            ),
                        });
                    }
                }
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
                if entry_level(&name).is_some() && !is_test_file(&path) {
                    pkg.definitions += 1;
                }
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
                // A user package without metadata is a conftest policy: its entry rules are
                // conftest's (`deny_<name>` …), and it is evaluated only when its namespace is
                // selected (conftest's `--namespace`, default `main`). A package with metadata
                // (every bundled rule) has the three plain entry rules only: a helper rule may
                // be called `deny_rules`.
                let conftest_style = pkg.untrusted && !pkg.rules.contains("metadata");
                let entries: Vec<(String, Level)> = pkg
                    .rules
                    .iter()
                    .filter(|r| {
                        conftest_style || matches!(r.as_str(), "deny" | "violation" | "warn")
                    })
                    .filter_map(|r| entry_level(r).map(|l| (format!("{package}.{r}"), l)))
                    .collect();
                let namespace = package.strip_prefix("data.").unwrap_or(&package);
                if conftest_style && !namespaces.selects(namespace) {
                    return None;
                }
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
                    reads: Vec::new(),
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
            let conftest = (!meta.has_metadata && pkg.untrusted).then(|| Conftest {
                namespace: package.strip_prefix("data.").unwrap_or(&package).to_owned(),
                definitions: pkg.definitions,
                exception: pkg
                    .rules
                    .contains("exception")
                    .then(|| format!("{package}.exception")),
            });
            rules.push(RulePackage {
                meta,
                entries,
                trusted: !pkg.untrusted,
                rejected: reject,
                conftest,
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
            tally: std::sync::Arc::default(),
            prepared: std::sync::Arc::default(),
            prefilters: true,
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

    /// Give the set up at the end of a command: policy workers are stopped as on drop, but
    /// the compiled engines are not freed node by node (the process ends right after; freeing
    /// the syntax trees of every rule costs a millisecond of a one-file pre-commit run).
    pub fn release_at_exit(self) {
        let PolicySet {
            engine,
            trusted,
            rules,
            sandbox,
            ..
        } = self;
        drop(sandbox);
        std::mem::forget((engine, trusted, rules));
    }

    /// A copy of the trusted engine for one evaluation thread; untrusted rules go to a
    /// policy worker it checks out on first use and hands back when dropped.
    pub fn worker(&self) -> Evaluator<'_> {
        Evaluator {
            set: self,
            engine: self.prepared().0.clone(),
            worker: None,
            explicit: false,
            conftest_elsewhere: false,
        }
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The trusted engine, prepared once: the engine prepares itself on its first evaluation
    /// and remembers it, so evaluating one literal (a bundled rule's `metadata`) prepares it,
    /// and clones of it start prepared. Every evaluation starts from a clean state (the
    /// engine resets its caches per `eval_rule`), so the preparing evaluation leaves nothing
    /// behind that a document could see.
    /// The prefilters are read from the same engine when it is prepared.
    fn prepared(&self) -> &(Engine, prefilter::Prefilters) {
        self.prepared.get_or_init(|| {
            let mut engine = self.trusted.clone();
            if let Some(rule) = self.rules.iter().find(|r| r.trusted) {
                // The value is not needed; an error here would recur, and be reported, on
                // the documents.
                let _ = engine.eval_rule(format!("{}.metadata", rule.meta.package));
            }
            let prefilters = if self.prefilters {
                prefilter::Prefilters::load(&mut engine)
            } else {
                prefilter::Prefilters::default()
            };
            (engine, prefilters)
        })
    }

    /// Turn the native prefilters of bundled rules off (`false`: every applicable rule is
    /// evaluated on every document) or on, for workers made after the call; for comparing
    /// findings with and without them.
    pub fn set_prefilters(&mut self, on: bool) {
        self.prefilters = on;
        self.prepared = std::sync::Arc::default();
    }

    /// The time limit of one policy on one document.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether any conftest-style package (a user package without metadata) is evaluated.
    pub fn has_conftest_rules(&self) -> bool {
        self.rules.iter().any(|r| r.conftest.is_some())
    }

    /// conftest's counts so far, with the prints of every policy (the worker's and this
    /// process's), in a deterministic order; taking them empties them.
    pub fn take_tally(&self) -> ConftestTally {
        let mut t = self
            .tally
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default();
        if let Some(sb) = &self.sandbox {
            t.prints.extend(sb.take_prints());
        }
        t.excepted.sort();
        t
    }
}

/// Per-thread evaluation state.
pub struct Evaluator<'a> {
    set: &'a PolicySet,
    engine: Engine,
    worker: Option<sandbox::Worker>,
    /// Only rules that name the document's kind apply (log records and aggregates).
    explicit: bool,
    /// conftest-style packages are evaluated elsewhere, on the document in conftest's shape
    /// (HCL2: [`Evaluator::set_conftest_elsewhere`]); `evaluate` leaves them out.
    conftest_elsewhere: bool,
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
    /// The policy set this evaluator evaluates.
    pub fn policies(&self) -> &PolicySet {
        self.set
    }

    /// Evaluate every applicable rule on `doc`; problems evaluating a rule become findings.
    pub fn evaluate(
        &mut self,
        doc: &Document,
        source: &str,
        lines: &LineIndex,
        filter: &dyn RuleFilter,
    ) -> Vec<Finding> {
        self.evaluate_input(doc, None, source, lines, filter, false)
    }

    /// Evaluate only the user's conftest-style packages on `doc` (conftest's `--combine`,
    /// whose input is no one document of a kind the bundled rules know).
    pub fn evaluate_conftest(&mut self, doc: &Document, filter: &dyn RuleFilter) -> Vec<Finding> {
        let lines = LineIndex::new("");
        self.evaluate_input(doc, None, "", &lines, filter, true)
    }

    /// Evaluate only the user's conftest-style packages on `doc`, a document in conftest's
    /// shape of a file whose custos-shaped documents go through [`Evaluator::evaluate`] inside
    /// [`Evaluator::set_conftest_elsewhere`] (HCL2: conftest's policies read hcl2json's
    /// arrays of blocks, the bundled Terraform rules custos's resolved module documents).
    pub fn evaluate_conftest_in(
        &mut self,
        doc: &Document,
        source: &str,
        lines: &LineIndex,
        filter: &dyn RuleFilter,
    ) -> Vec<Finding> {
        self.evaluate_input(doc, None, source, lines, filter, true)
    }

    /// Leave the conftest-style packages out of [`Evaluator::evaluate`] and
    /// [`Evaluator::evaluate_owned`] (`true`: they see the file through
    /// [`Evaluator::evaluate_conftest_in`] instead) or put them back; returns the previous
    /// setting.
    pub fn set_conftest_elsewhere(&mut self, elsewhere: bool) -> bool {
        std::mem::replace(&mut self.conftest_elsewhere, elsewhere)
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
        self.evaluate_input(&doc, Some(input), source, lines, filter, false)
    }

    /// [`Evaluator::evaluate_owned`] with only the rules that name the document's kind in their
    /// `kinds`: log records and log aggregates (docs/logs.md), which rules written for every
    /// structured document were not written for (and a log has millions of records).
    pub fn evaluate_explicit_owned(
        &mut self,
        mut doc: Document,
        filter: &dyn RuleFilter,
    ) -> Vec<Finding> {
        let input = std::mem::take(&mut doc.input);
        self.explicit = true;
        let out = self.evaluate_input(&doc, Some(input), "", &LineIndex::new(""), filter, false);
        self.explicit = false;
        out
    }

    fn evaluate_input(
        &mut self,
        doc: &Document,
        owned: Option<serde_json::Value>,
        source: &str,
        lines: &LineIndex,
        filter: &dyn RuleFilter,
        only_conftest: bool,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        let applicable: Vec<&RulePackage> = self
            .set
            .rules
            .iter()
            .filter(|r| !only_conftest || r.conftest.is_some())
            .filter(|r| only_conftest || !self.conftest_elsewhere || r.conftest.is_none())
            .filter(|r| !self.explicit || r.meta.kinds.contains(&doc.kind))
            .filter(|r| r.meta.kinds.is_empty() || r.meta.kinds.contains(&doc.kind))
            .filter(|r| !filter.is_disabled(&r.meta.id))
            .collect();
        // A bundled rule whose prefilter proves it has no result here is not evaluated (and,
        // when no trusted rule is left, the input is not converted for the engine).
        let prefilters = &self.set.prepared().1;
        let input_json = owned.as_ref().unwrap_or(&doc.input);
        let applicable: Vec<&RulePackage> = applicable
            .into_iter()
            .filter(|r| {
                r.rejected.is_some()
                    || r.conftest.is_some()
                    || !self.set.prefilters
                    || (reads_any(input_json, &r.meta.reads)
                        && (!r.trusted || prefilters.may_fire(&r.meta.package, input_json)))
            })
            .collect();
        if applicable.is_empty() {
            return out;
        }
        // Untrusted rules first, all in one round trip to a worker.
        let remote: Vec<String> = applicable
            .iter()
            .filter(|r| !r.trusted && r.rejected.is_none())
            .flat_map(|r| {
                let exception = r.conftest.as_ref().and_then(|c| c.exception.clone());
                exception
                    .into_iter()
                    .chain(r.entries.iter().map(|(e, _)| e.clone()))
            })
            .collect();
        let mut remote_out = match (&self.set.sandbox, remote.is_empty()) {
            (Some(sb), false) => sb.evaluate_file(
                &mut self.worker,
                Some(owned.as_ref().unwrap_or(&doc.input)),
                Some(&doc.path),
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
            if let Some(c) = &rule.conftest {
                let mut next = || match remote_out.next() {
                    Some(sandbox::Outcome::Value(v)) => Ok(v),
                    Some(sandbox::Outcome::Error { reason, .. }) => Err(reason),
                    None => Err("the policy worker gave no result".to_owned()),
                };
                let exception = match c.exception.as_ref().map(|_| next()).transpose() {
                    Ok(v) => v,
                    Err(reason) => {
                        out.push(policy_error(format!(
                            "rule {named}: its `exception` could not be evaluated on this document: {}",
                            without_values(&reason)
                        )));
                        None
                    }
                };
                let results: Vec<(&str, Level, Result<Value, String>)> = rule
                    .entries
                    .iter()
                    .map(|(e, l)| (e.as_str(), *l, next()))
                    .collect();
                let (findings, tally) = conftest_results(
                    rule,
                    c,
                    exception.as_ref(),
                    results,
                    doc,
                    (source, lines, root_span),
                );
                for mut f in findings {
                    if f.rule_id == "policy-error" {
                        f = policy_error(format!("rule {named}: {}", f.message));
                    } else {
                        f.severity = filter.severity_for(&rule.meta.id, f.severity);
                    }
                    out.push(f);
                }
                if let Ok(mut t) = self.set.tally.lock() {
                    t.tests += tally.tests;
                    t.passed += tally.passed;
                    t.warnings += tally.warnings;
                    t.failures += tally.failures;
                    t.exceptions += tally.exceptions;
                    t.excepted.extend(tally.excepted);
                }
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
                        "rule {named} could not be evaluated on this document: {}",
                        without_values(&reason)
                    ))),
                }
            }
        }
        // Prints are gathered so that they never interleave with report output; the command
        // shows them on stderr.
        if let Ok(prints) = self.engine.take_prints() {
            if !prints.is_empty() {
                if let Ok(mut t) = self.set.tally.lock() {
                    t.prints.extend(prints);
                }
            }
        }
        out
    }
}

/// Whether `input` may hold what a rule declaring `reads` reads: always, unless the rule
/// declares members and the input is an object with none of them.
fn reads_any(input: &serde_json::Value, reads: &[String]) -> bool {
    match input {
        serde_json::Value::Object(m) if !reads.is_empty() => {
            reads.iter().any(|k| m.contains_key(k.as_str()))
        }
        _ => true,
    }
}

/// One conftest package on one document, as conftest's `check` does it: for each entry rule,
/// the exceptions that name it first (an excepted rule's results are not reported); then its
/// results: a string is a message, an object must carry a string `msg`, anything else in the
/// set is ignored; a rule whose value is not a set or array (a bare `deny if …` is `true`)
/// passes. Definitions that produced no result pass too. Returns the findings (a
/// `policy-error` finding's message is the reason only) and the counts.
fn conftest_results(
    rule: &RulePackage,
    c: &Conftest,
    exception: Option<&Value>,
    results: Vec<(&str, Level, Result<Value, String>)>,
    doc: &Document,
    (source, lines, root_span): (&str, &LineIndex, Option<Span>),
) -> (Vec<Finding>, ConftestTally) {
    let mut out = Vec::new();
    let mut t = ConftestTally::default();
    let mut errored = false;
    for (entry, level, result) in results {
        let name = entry.rsplit('.').next().unwrap_or(entry);
        let wanted = exception_name(name);
        let n = exception.map_or(0, |v| count_exceptions(v, wanted));
        if n > 0 {
            t.exceptions += n;
            let query = format!("data.{}.exception[_][_] == {wanted:?}", c.namespace);
            t.excepted.extend(
                std::iter::repeat_with(|| (doc.path.clone(), c.namespace.clone(), query.clone()))
                    .take(n),
            );
            continue;
        }
        let value = match result {
            Ok(v) => v,
            Err(reason) => {
                errored = true;
                out.push(Finding::new(
                    "policy-error",
                    Severity::High,
                    format!(
                        "`{name}` could not be evaluated on this document: {}",
                        without_values(&reason)
                    ),
                    &doc.path,
                ));
                continue;
            }
        };
        let items: Vec<Value> = match &value {
            Value::Undefined => continue,
            Value::Set(s) => s.iter().cloned().collect(),
            Value::Array(a) => a.iter().cloned().collect(),
            _ => {
                t.passed += 1;
                continue;
            }
        };
        if items.is_empty() {
            t.passed += 1;
            continue;
        }
        for item in &items {
            match item {
                Value::String(_) => {}
                Value::Object(o) => {
                    if !matches!(o.get(&Value::from("msg")), Some(Value::String(_))) {
                        errored = true;
                        out.push(Finding::new(
                            "policy-error",
                            Severity::High,
                            format!("a result of `{name}` is an object without a string `msg` field (conftest requires one)"),
                            &doc.path,
                        ));
                        continue;
                    }
                }
                _ => continue,
            }
            match level {
                Level::Failure => t.failures += 1,
                Level::Warning => t.warnings += 1,
            }
            out.push(result_to_finding(
                item, &rule.meta, level, doc, source, lines, root_span,
            ));
        }
    }
    // Definitions that gave no result passed (conftest's count), unless a rule errored:
    // then nothing is known of them.
    let counted = t.failures + t.warnings + t.exceptions + t.passed;
    if counted < c.definitions && !errored {
        t.passed += c.definitions - counted;
    }
    t.tests = t.failures + t.warnings + t.exceptions + t.passed;
    (out, t)
}

/// How many solutions `exception[_][_] == name` has: members of the members of `exception`
/// (a set of sets or arrays; an object's values count as its members) equal to `name`.
fn count_exceptions(exception: &Value, name: &str) -> usize {
    let members = |v: &Value| -> Vec<Value> {
        match v {
            Value::Set(s) => s.iter().cloned().collect(),
            Value::Array(a) => a.iter().cloned().collect(),
            Value::Object(o) => o.values().cloned().collect(),
            _ => Vec::new(),
        }
    };
    members(exception)
        .iter()
        .flat_map(members)
        .filter(|v| matches!(v, Value::String(s) if s.as_ref() == name))
        .count()
}

/// An engine error reason without the values it quotes: regorus writes the offending value
/// after `Got` (`` Got `"xyz"` ``), and that value comes from the input, which may be a secret.
fn without_values(reason: &str) -> String {
    static GOT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"Got `[^`]*`").expect("static regex"));
    GOT.replace_all(reason, "Got a value of another type")
        .into_owned()
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
    let mut elsewhere = None;
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
                    "_loc" => match loc_elsewhere(v, &doc.path) {
                        // conftest reports a result at the file `_loc` names: custos keeps the
                        // finding on the document and says where the policy pointed.
                        Some(at) => elsewhere = Some(at),
                        None if span.is_none() => span = loc_span(v, source, lines),
                        None => {}
                    },
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
            if let Some(at) = elsewhere {
                message = format!("{message} (the policy points at {at})");
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
/// `file:line` of a `_loc` that names another file than the document at `path` (conftest's
/// `_loc.file`); `None` when it names none, or this one (by path or file name).
fn loc_elsewhere(v: &Value, path: &str) -> Option<String> {
    let Value::String(file) = &v["file"] else {
        return None;
    };
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    if file.is_empty() || file.as_ref() == path || file.as_ref() == name {
        return None;
    }
    Some(match &v["line"] {
        Value::Undefined | Value::Null => file.to_string(),
        line => format!("{file}:{line}"),
    })
}

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
            "reads",
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
        reads: list("reads")?,
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

/// The line of an entry rule written `deny[msg] if { … }` in Rego v1 (a partial object whose
/// values are `true`), which conftest refuses to load.
fn if_without_contains(rule: &Rule) -> Option<u32> {
    let Rule::Spec {
        head: RuleHead::Compr {
            refr, assign: None, ..
        },
        span,
        ..
    } = rule
    else {
        return None;
    };
    let regorus::unstable::Expr::RefBrack { refr: inner, .. } = refr.as_ref() else {
        return None;
    };
    let regorus::unstable::Expr::Var { span: name, .. } = inner.as_ref() else {
        return None;
    };
    entry_level(name.text()).map(|_| span.line)
}

/// Add one policy file, as Rego v1 or, failing that, v0. A file that does not parse leaves
/// the engine as it was (the engine parses before it adds), so no copy of the engine is made.
pub(crate) fn add_policy(
    engine: &mut Engine,
    path: String,
    src: String,
) -> Result<(), PolicyError> {
    builtins::note_policy_path(&path);
    if let Err(too_costly) = parse_cost::check(&src) {
        let message = format!("{path}:{too_costly}");
        return Err(PolicyError::Compile { path, message });
    }
    let src = match compat::rewrite(&src) {
        std::borrow::Cow::Borrowed(_) => src,
        std::borrow::Cow::Owned(rewritten) => rewritten,
    };
    add_policy_source(engine, path, src)
}

/// [`add_policy`] with only the rewrites that do not change what the policy calls or imports:
/// for OPA's load-time checks (`--strict` and `--capabilities` judge the policy as written:
/// see `compat`), and for the bundled policies, written for regorus (the compatibility
/// rewrites would only cost start-up time).
pub(crate) fn add_policy_as_written(
    engine: &mut Engine,
    path: String,
    src: &str,
) -> Result<(), PolicyError> {
    let src = compat::rewrite_metadata_calls(src).into_owned();
    add_policy_source(engine, path, src)
}

fn add_policy_source(engine: &mut Engine, path: String, src: String) -> Result<(), PolicyError> {
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
pub(crate) fn rego_files(dir: &Path) -> Result<Vec<PathBuf>, PolicyError> {
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
    fn entry_rules_follow_conftest_s_names() {
        for (name, level) in [
            ("deny", Some(Level::Failure)),
            ("deny_run_as_root", Some(Level::Failure)),
            ("violation_x1", Some(Level::Failure)),
            ("warn", Some(Level::Warning)),
            ("warn_a_b", Some(Level::Warning)),
            ("denylist", None),
            ("deny_", None),
            ("deny__x", None),
            ("warning", None),
            ("exception", None),
        ] {
            assert_eq!(entry_level(name), level, "{name}");
        }
        assert_eq!(exception_name("deny_run_as_root"), "run_as_root");
        assert_eq!(exception_name("warn_tags"), "tags");
        assert_eq!(exception_name("violation"), "");
    }

    #[test]
    fn namespaces_match_literally_or_by_glob() {
        let m = |p: &[&str]| Namespaces::Matching(p.iter().map(|s| (*s).to_owned()).collect());
        assert!(Namespaces::default().selects("main"));
        assert!(!Namespaces::default().selects("main.gke"));
        assert!(m(&["main.gke"]).selects("main.gke"));
        assert!(m(&["ma*"]).selects("main.gke"));
        assert!(m(&["*"]).selects("a.b.c"));
        assert!(!m(&["c*"]).selects("main"));
        assert!(m(&["grou?1"]).selects("group1"));
        assert!(Namespaces::All.selects("anything"));
    }

    #[test]
    fn exceptions_are_counted_per_matching_name() {
        let v = Value::from(serde_json::json!([["a", "b"], ["a"], {"k": "a"}, "a"]));
        assert_eq!(count_exceptions(&v, "a"), 3);
        assert_eq!(count_exceptions(&v, "b"), 1);
        assert_eq!(count_exceptions(&v, ""), 0);
        assert_eq!(count_exceptions(&Value::Undefined, "a"), 0);
    }

    #[test]
    fn engine_reasons_lose_the_values_they_quote() {
        assert_eq!(
            without_values("p.rego:5:20: `some .. in collection` expects array/set/object. Got `\"hunter2\"`"),
            "p.rego:5:20: `some .. in collection` expects array/set/object. Got a value of another type"
        );
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
