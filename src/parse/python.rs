//! Airflow DAG files (Python, via tree-sitter) → a model of the DAG, every element with its span.
//!
//! The document is not a Python AST: it is what an Airflow engineer reads off the file —
//! imports with their aliases (so `H(...)` resolves to `…hooks.s3.S3Hook`), module-level names
//! bound to literals (so `bucket_name=BUCKET` resolves to `"acme-raw"`), DAG definitions in
//! all three styles with their `default_args` resolved, operator/sensor/hook/`Connection`
//! calls with their keyword arguments (operator and sensor calls are the DAG's classic tasks),
//! methods called on hooks, calls of the project's own DAG factories (functions that pass their
//! parameters on to Airflow), `@task` functions (`tasks`),
//! `os.environ[...]` assignments, `Variable.get`/`get_connection` lookups (and whether they run
//! at module top level, i.e. at every DAG parse), and the string literals no call holds.
//!
//! Values: literals become JSON (strings, numbers, dicts, lists; `"a" + NAME` folds when both
//! sides are literal); f-strings become `{"fstring": text, "parts": [literal parts]}`;
//! anything else becomes `{"expr": source}` — so a policy can tell a literal from a reference.
//! tree-sitter recovers from syntax errors: the first error is reported with its location and
//! the rest of the file is still modelled.
//!
//! Size: every value appears once in the document (a string held by a call is in that call's
//! `kwargs`, not again in `strings`; an operator task is its call, not a copy in `tasks`), and
//! spans are kept only for what a finding can point at. A file larger than [`CHUNK`] is parsed in statement groups
//! ([`lines::segments`]), so the tree-sitter tree — about 20× the source — never exists whole.
//!
//! Factories: [`summarize`] reads which parameters of a module's functions reach an Airflow
//! call (`password` → `PostgresOperator(password=...)`, `bucket` → `S3Hook.load_file(bucket_name=...)`,
//! a dict key under `default_args`), directly or through other functions ([`close_flows`]).
//! A call of such a function — defined in this file or, through a [`Project`], in a module of
//! the scanned repository — is a `factory` call whose `kwargs` (positional arguments mapped to
//! parameter names) policies check like an operator's, with `flows` naming where each goes.

pub mod lines;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::LazyLock;

use serde_json::{json, Map, Value};
use tree_sitter::{Language, Node, Parser, Point, Tree, TreeCursor};

use super::{Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

/// Files larger than this are parsed in parts of about this size.
pub const CHUNK: usize = 64 * 1024;

/// What the model needs from the rest of the repository: the factory function (a function of a
/// project module that reaches Airflow) a dotted name, as this file imports it, refers to.
pub trait Project {
    fn factory(&self, dotted: &str) -> Option<&Factory>;
}

/// No project context (a single file, a policy unit test).
pub struct NoProject;

impl Project for NoProject {
    fn factory(&self, _: &str) -> Option<&Factory> {
        None
    }
}

/// A function whose parameters reach Airflow calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Factory {
    /// The module that defines it (display path), when not the file being modelled.
    pub module: Option<String>,
    /// Positional parameters, in order (for mapping positional arguments to names).
    pub params: Vec<String>,
    /// Parameter → the Airflow keyword arguments / dict keys its value ends up under.
    pub flows: BTreeMap<String, BTreeSet<String>>,
}

/// Where a function passes a parameter to another (not Airflow) function.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Forward {
    pub param: String,
    /// The callee as resolved in the defining module (`helper`, `dags.common.make_task`).
    pub callee: String,
    pub arg: Arg,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Arg {
    Keyword(String),
    Position(usize),
}

/// One module-level function: its parameters and where they go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunctionSummary {
    pub params: Vec<String>,
    /// Every parameter name, keyword-only ones included.
    pub names: BTreeSet<String>,
    pub flows: BTreeMap<String, BTreeSet<String>>,
    pub forwards: BTreeSet<Forward>,
}

impl FunctionSummary {
    fn merge(&mut self, other: FunctionSummary) {
        if self.params.is_empty() {
            self.params = other.params;
        }
        self.names.extend(other.names);
        for (p, t) in other.flows {
            self.flows.entry(p).or_default().extend(t);
        }
        self.forwards.extend(other.forwards);
    }

    pub fn factory(&self, module: Option<String>) -> Factory {
        Factory {
            module,
            params: self.params.clone(),
            flows: self.flows.clone(),
        }
    }
}

/// What a module offers to the files that import it.
#[derive(Debug, Clone, Default)]
pub struct ModuleSummary {
    /// Local name → dotted path it was imported as (re-exports: `from .factory import make_dag`).
    pub aliases: HashMap<String, String>,
    pub functions: BTreeMap<String, FunctionSummary>,
}

/// The function a forwarded call reaches.
pub enum Callee<'a, K> {
    /// One of the functions being closed.
    Node(K),
    /// A function already summarised elsewhere.
    Known(&'a Factory),
}

/// Close each function's flows over the calls it forwards parameters to. A fixpoint over
/// growing sets, so recursion and import cycles end; bounded by the number of functions.
pub fn close_flows<'a, K: Ord + Clone>(
    functions: &mut BTreeMap<K, FunctionSummary>,
    callee: impl Fn(&K, &str) -> Option<Callee<'a, K>>,
) {
    let keys: Vec<K> = functions
        .iter()
        .filter(|(_, f)| !f.forwards.is_empty())
        .map(|(k, _)| k.clone())
        .collect();
    for _ in 0..=functions.len().min(64) {
        let mut changed = false;
        for k in &keys {
            let Some(forwards) = functions.get(k).map(|f| f.forwards.clone()) else {
                continue;
            };
            for f in forwards {
                let (params, flows) = match callee(k, &f.callee) {
                    Some(Callee::Node(k2)) => match functions.get(&k2) {
                        Some(g) => (g.params.clone(), g.flows.clone()),
                        None => continue,
                    },
                    Some(Callee::Known(fac)) => (fac.params.clone(), fac.flows.clone()),
                    None => continue,
                };
                let name = match &f.arg {
                    Arg::Keyword(n) => Some(n.clone()),
                    Arg::Position(i) => params.get(*i).cloned(),
                };
                let Some(targets) = name.and_then(|n| flows.get(&n).cloned()) else {
                    continue;
                };
                if let Some(me) = functions.get_mut(k) {
                    let set = me.flows.entry(f.param.clone()).or_default();
                    let before = set.len();
                    set.extend(targets);
                    changed |= set.len() != before;
                }
            }
        }
        if !changed {
            break;
        }
    }
}

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    parse_with(source, limits, &NoProject)
}

/// Model `source`, resolving calls of project factories through `project`.
pub fn parse_with(source: &str, limits: &Limits, project: &dyn Project) -> Parsed {
    parse_chunked(source, limits, project, CHUNK)
}

fn parse_chunked(source: &str, limits: &Limits, project: &dyn Project, chunk: usize) -> Parsed {
    let Some(mut parser) = new_parser() else {
        return Parsed::failed(ParseError {
            message: "tree-sitter-python grammar could not be loaded".into(),
            span: None,
        });
    };
    if source.len() > chunk {
        if let Some(parsed) = lines::logical_lines(source).and_then(|ls| {
            let segments = lines::segments(source, &ls, chunk)?;
            parse_segments(&mut parser, source, limits, project, &ls, &segments, chunk)
        }) {
            return parsed;
        }
        // A part did not parse cleanly: parse the whole file to report the right error.
        let _ = parser.set_included_ranges(&[]);
    }
    let Some(tree) = parser.parse(source, None) else {
        return Parsed::failed(ParseError {
            message: "the Python parser gave up".into(),
            span: None,
        });
    };
    let root = tree.root_node();
    let mut m = Model::new(source, limits.max_depth, project);
    m.collect(root);
    m.close_local();
    m.walk(root, 0, false);
    let error = root.has_error().then(|| first_error(root)).flatten();
    let value = m.finish();
    Parsed {
        docs: vec![ParsedDoc {
            value,
            spans: m.spans,
        }],
        error,
    }
}

fn new_parser() -> Option<Parser> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .ok()?;
    Some(parser)
}

/// Parse and model a large file part by part, each byte once: first the small module-level
/// statements that define names (imports, constants, functions), then every part in order —
/// parsed on a second thread one part ahead of the model, so a very large file is not parsed
/// and modelled one after the other. `None` when a part has a syntax error.
fn parse_segments(
    parser: &mut Parser,
    source: &str,
    limits: &Limits,
    project: &dyn Project,
    lines: &[lines::Line],
    segments: &[lines::Segment],
    chunk: usize,
) -> Option<Parsed> {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(source.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut m = Model::new(source, limits.max_depth, project);
    let definitions = lines::definitions(source, lines, chunk);
    if !definitions.is_empty() {
        let tree = parse_ranges(parser, source, &starts, &definitions)?;
        m.collect(tree.root_node());
        m.summarized = definitions.iter().map(|r| r.start).collect();
    }
    m.close_local();
    let model_part = |m: &mut Model<'_, '_>, seg: &lines::Segment, tree: &Tree| {
        let root = tree.root_node();
        // Functions too large for the first pass are read as their parts go by.
        if m.collect_large_functions(root) {
            m.close_local();
        }
        m.replay_until = seg.replay_until;
        m.walk(root, 0, false);
    };
    let clean = std::thread::scope(|scope| {
        // One parsed part waits for the model: memory stays at three parts' trees.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Option<Tree>>(1);
        let starts = &starts;
        let spawned = std::thread::Builder::new()
            .name("custos-parse".into())
            .spawn_scoped(scope, move || {
                let Some(mut parser) = new_parser() else {
                    let _ = tx.send(None);
                    return;
                };
                for seg in segments {
                    let tree = parse_ranges(&mut parser, source, starts, &seg.ranges);
                    let ok = tree.is_some();
                    if tx.send(tree).is_err() || !ok {
                        return;
                    }
                }
            });
        if spawned.is_err() {
            // No second thread: parse each part here, just before modelling it.
            for seg in segments {
                let Some(tree) = parse_ranges(parser, source, starts, &seg.ranges) else {
                    return false;
                };
                model_part(&mut m, seg, &tree);
            }
            return true;
        }
        for seg in segments {
            let Ok(Some(tree)) = rx.recv() else {
                return false;
            };
            model_part(&mut m, seg, &tree);
        }
        true
    });
    if !clean {
        return None;
    }
    m.replay_until = 0;
    let value = m.finish();
    Some(Parsed {
        docs: vec![ParsedDoc {
            value,
            spans: m.spans,
        }],
        error: None,
    })
}

/// Parse the byte `ranges` of `source` as one document; `None` on a syntax error.
fn parse_ranges(
    parser: &mut Parser,
    source: &str,
    starts: &[usize],
    ranges: &[std::ops::Range<usize>],
) -> Option<Tree> {
    let point = |byte: usize| {
        let row = starts.partition_point(|&s| s <= byte).saturating_sub(1);
        Point::new(row, byte - starts.get(row).copied().unwrap_or(0))
    };
    let ranges: Vec<tree_sitter::Range> = ranges
        .iter()
        .map(|r| tree_sitter::Range {
            start_byte: r.start,
            end_byte: r.end,
            start_point: point(r.start),
            end_point: point(r.end),
        })
        .collect();
    parser.set_included_ranges(&ranges).ok()?;
    let tree = parser.parse(source, None)?;
    (!tree.root_node().has_error()).then_some(tree)
}

/// What a module offers to importers: its imports and its functions' parameter flows (direct
/// ones and forwards; the caller closes them across modules).
pub fn summarize(source: &str, limits: &Limits) -> ModuleSummary {
    let Some(mut parser) = new_parser() else {
        return ModuleSummary::default();
    };
    let Some(tree) = parser.parse(source, None) else {
        return ModuleSummary::default();
    };
    let mut m = Model::new(source, limits.max_depth, &NoProject);
    m.collect(tree.root_node());
    ModuleSummary {
        aliases: m.aliases,
        functions: m.functions,
    }
}

fn first_error(root: Node<'_>) -> Option<ParseError> {
    // Depth first in source order, without recursion: error recovery can nest ERROR nodes
    // thousands deep (a mutated `import A- - - …` overflowed the stack of a scan thread).
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            let what = if node.is_missing() {
                format!("missing `{}`", kind(node))
            } else {
                "invalid syntax".to_owned()
            };
            return Some(ParseError {
                message: format!("Python syntax error: {what}"),
                span: Some(Span::new(node.start_byte(), node.end_byte())),
            });
        }
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node
            .children(&mut cursor)
            .filter(|c| c.has_error() || c.is_error() || c.is_missing())
            .collect();
        stack.extend(children.into_iter().rev());
    }
    None
}

/// Field ids of the Python grammar, looked up once (by name, a lookup scans all field names).
struct Fields {
    alias: u16,
    arguments: u16,
    attribute: u16,
    body: u16,
    definition: u16,
    function: u16,
    key: u16,
    left: u16,
    module_name: u16,
    name: u16,
    object: u16,
    operator: u16,
    parameters: u16,
    right: u16,
    subscript: u16,
    value: u16,
}

static F: LazyLock<Fields> = LazyLock::new(|| {
    let lang: Language = tree_sitter_python::LANGUAGE.into();
    let id = |name: &str| lang.field_id_for_name(name).map_or(0, u16::from);
    Fields {
        alias: id("alias"),
        arguments: id("arguments"),
        attribute: id("attribute"),
        body: id("body"),
        definition: id("definition"),
        function: id("function"),
        key: id("key"),
        left: id("left"),
        module_name: id("module_name"),
        name: id("name"),
        object: id("object"),
        operator: id("operator"),
        parameters: id("parameters"),
        right: id("right"),
        subscript: id("subscript"),
        value: id("value"),
    }
});

/// Node kind names by kind id (`Node::kind` measures and validates the C string every time).
static KINDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let lang: Language = tree_sitter_python::LANGUAGE.into();
    (0..lang.node_kind_count())
        .map(|i| {
            u16::try_from(i)
                .ok()
                .and_then(|id| lang.node_kind_for_id(id))
                .unwrap_or("")
        })
        .collect()
});

fn kind(n: Node<'_>) -> &'static str {
    KINDS.get(usize::from(n.kind_id())).copied().unwrap_or("")
}

/// Hashes byte offsets with one multiplication: the keys are the distinct start offsets of one
/// call's strings, not names a file chooses, so SipHash's collision resistance buys nothing.
#[derive(Default)]
struct OffsetHasher(u64);

impl std::hash::Hasher for OffsetHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = u64::try_from(n)
            .unwrap_or(u64::MAX)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Offsets = HashSet<usize, std::hash::BuildHasherDefault<OffsetHasher>>;

/// Airflow classes that define DAGs, read variables and connections.
const DAG_CLASSES: &[&str] = &[
    "airflow.DAG",
    "airflow.models.DAG",
    "airflow.models.dag.DAG",
    "airflow.sdk.DAG",
];
const DAG_DECORATORS: &[&str] = &["airflow.decorators.dag", "airflow.sdk.dag", "airflow.dag"];
const TASK_DECORATORS: &[&str] = &["airflow.decorators.task", "airflow.sdk.task"];
const LOOKUPS: &[(&str, &str)] = &[
    ("Variable", "get"),
    ("BaseHook", "get_connection"),
    ("Connection", "get_connection_from_secrets"),
    ("BaseHook", "get_hook"),
];

/// A JSON object from key/value pairs (cheaper than `json!`, which goes through serde).
fn obj<const N: usize>(entries: [(&str, Value); N]) -> Value {
    let mut m = Map::with_capacity(N);
    for (k, v) in entries {
        m.insert(k.to_owned(), v);
    }
    Value::Object(m)
}

struct Model<'s, 'p> {
    src: &'s str,
    max_depth: usize,
    project: &'p dyn Project,
    /// Local name → dotted path it was imported as.
    aliases: HashMap<String, String>,
    /// Module-level names bound to literal values.
    constants: Map<String, Value>,
    /// Module-level functions of this file, as read (flows not yet closed).
    functions: BTreeMap<String, FunctionSummary>,
    /// This file's functions whose parameters reach Airflow, flows closed.
    local: HashMap<String, Factory>,
    /// Project factories already looked up, by dotted name.
    looked_up: HashMap<String, Option<Factory>>,
    /// Variables bound to hook instances: name → class path.
    hook_vars: HashMap<String, String>,
    imports: Vec<Value>,
    dags: Vec<Value>,
    /// Start byte of each DAG's call (to mark the `with` style).
    dag_starts: Vec<usize>,
    calls: Vec<Value>,
    /// Index of `calls`: keyword names used, `[call, keyword]` of dict/list values, factories.
    kwarg_names: BTreeSet<String>,
    nested: Vec<Value>,
    factory_calls: Vec<Value>,
    tasks: Vec<Value>,
    env: Vec<Value>,
    lookups: Vec<Value>,
    strings: Vec<Value>,
    /// Start bytes of string literals whose value the recorded call being walked holds
    /// (cleared when the walk leaves the call).
    held: Offsets,
    /// Inside the arguments of a recorded call (strings read there are held by it).
    holding: bool,
    /// Recorded calls the walk is inside of.
    in_recorded: usize,
    /// Start bytes of `DAG(...)` calls that head a `with` block.
    pending_with: Vec<usize>,
    /// Pointers whose value was resolved from a module constant (reported at the constant).
    refs: Vec<Value>,
    /// Nodes starting before this byte were modelled with an earlier part of the file.
    replay_until: usize,
    /// Start bytes of the module-level statements read before the walk (split files).
    summarized: HashSet<usize>,
    spans: SpanMap,
}

fn is_airflow(path: &str) -> bool {
    path == "airflow" || path.starts_with("airflow.")
}

/// What a class path is, for policies.
fn category(path: &str) -> &'static str {
    let class = path.rsplit('.').next().unwrap_or(path);
    if path.starts_with("boto3.") || path == "boto3" {
        "client"
    } else if DAG_CLASSES.contains(&path) || class == "DAG" {
        "dag"
    } else if class == "Connection" {
        "connection"
    } else if path.contains(".sensors.")
        || class.ends_with("Sensor")
        || class.ends_with("SensorAsync")
    {
        "sensor"
    } else if path.contains(".operators.")
        || path.contains(".transfers.")
        || class.ends_with("Operator")
    {
        "operator"
    } else if path.contains(".hooks.") || class.ends_with("Hook") {
        "hook"
    } else {
        "other"
    }
}

/// Node kinds a parameter's value passes through unchanged (`x`, `(x)`, `x or d`, `x if c else d`).
fn passes_through(kind: &str) -> bool {
    matches!(
        kind,
        "parenthesized_expression" | "boolean_operator" | "conditional_expression"
    )
}

impl<'s, 'p> Model<'s, 'p> {
    fn new(src: &'s str, max_depth: usize, project: &'p dyn Project) -> Self {
        Self {
            src,
            max_depth,
            project,
            aliases: HashMap::new(),
            constants: Map::new(),
            functions: BTreeMap::new(),
            local: HashMap::new(),
            looked_up: HashMap::new(),
            hook_vars: HashMap::new(),
            imports: Vec::new(),
            dags: Vec::new(),
            dag_starts: Vec::new(),
            calls: Vec::new(),
            kwarg_names: BTreeSet::new(),
            nested: Vec::new(),
            factory_calls: Vec::new(),
            tasks: Vec::new(),
            env: Vec::new(),
            lookups: Vec::new(),
            strings: Vec::new(),
            held: Offsets::default(),
            holding: false,
            in_recorded: 0,
            pending_with: Vec::new(),
            refs: Vec::new(),
            replay_until: 0,
            summarized: HashSet::new(),
            spans: SpanMap::new(),
        }
    }

    fn text(&self, n: Node<'_>) -> &'s str {
        self.src
            .get(n.start_byte()..n.end_byte())
            .unwrap_or_default()
    }

    fn span(&mut self, pointer: String, n: Node<'_>) {
        self.spans
            .insert(pointer, Span::new(n.start_byte(), n.end_byte()));
    }

    fn line(n: Node<'_>) -> Value {
        Value::from(n.start_position().row + 1)
    }

    /// Modelled already, with an earlier part of a split file.
    fn replayed(&self, n: Node<'_>) -> bool {
        n.start_byte() < self.replay_until
    }

    // ----- module level: imports, constants, functions -----------------------------------

    fn collect(&mut self, root: Node<'_>) {
        let mut cursor = root.walk();
        for stmt in root.named_children(&mut cursor) {
            match kind(stmt) {
                "import_statement" => {
                    let mut c = stmt.walk();
                    for name in stmt.children_by_field_name("name", &mut c) {
                        let (path, alias) = self.import_name(name);
                        // `import a.b` binds `a`; `import a.b as c` binds `c` to `a.b`.
                        let local = alias
                            .clone()
                            .unwrap_or_else(|| path.split('.').next().unwrap_or(&path).to_owned());
                        let target = if alias.is_some() {
                            path.clone()
                        } else {
                            local.clone()
                        };
                        self.add_import(name, &path, &local, &target);
                    }
                }
                "import_from_statement" => {
                    let module = stmt
                        .child_by_field_id(F.module_name)
                        .map(|m| self.text(m).to_owned())
                        .unwrap_or_default();
                    let mut c = stmt.walk();
                    for name in stmt.children_by_field_name("name", &mut c) {
                        let (item, alias) = self.import_name(name);
                        // `from . import x` is `.x`; `from .a import x` is `.a.x`.
                        let path = if module.ends_with('.') {
                            format!("{module}{item}")
                        } else {
                            format!("{module}.{item}")
                        };
                        let local = alias.unwrap_or(item);
                        self.add_import(name, &path, &local, &path);
                    }
                }
                "expression_statement" => {
                    if let Some(assign) = stmt.named_child(0).filter(|a| kind(*a) == "assignment") {
                        self.constant(assign);
                    }
                }
                "function_definition" => self.function(stmt),
                "decorated_definition" => {
                    if let Some(def) = stmt
                        .child_by_field_id(F.definition)
                        .filter(|d| kind(*d) == "function_definition")
                    {
                        self.function(def);
                    }
                }
                _ => {}
            }
        }
    }

    /// Read the parts of module-level functions not read before the walk; whether there were any.
    fn collect_large_functions(&mut self, root: Node<'_>) -> bool {
        let mut any = false;
        let mut cursor = root.walk();
        for stmt in root.named_children(&mut cursor) {
            if self.summarized.contains(&stmt.start_byte()) {
                continue;
            }
            let def = match kind(stmt) {
                "function_definition" => Some(stmt),
                "decorated_definition" => stmt
                    .child_by_field_id(F.definition)
                    .filter(|d| kind(*d) == "function_definition"),
                _ => None,
            };
            if let Some(def) = def {
                self.function(def);
                any = true;
            }
        }
        any
    }

    fn import_name(&self, n: Node<'_>) -> (String, Option<String>) {
        if kind(n) == "aliased_import" {
            let name = n
                .child_by_field_id(F.name)
                .map(|x| self.text(x).to_owned())
                .unwrap_or_default();
            let alias = n
                .child_by_field_id(F.alias)
                .map(|x| self.text(x).to_owned());
            (name, alias)
        } else {
            (self.text(n).to_owned(), None)
        }
    }

    fn add_import(&mut self, n: Node<'_>, path: &str, local: &str, target: &str) {
        let p = push_token("/imports", &self.imports.len().to_string());
        self.span(p, n);
        self.imports.push(obj([
            ("path", Value::from(path)),
            ("name", Value::from(local)),
        ]));
        self.aliases.insert(local.to_owned(), target.to_owned());
    }

    fn constant(&mut self, assign: Node<'_>) {
        let (Some(left), Some(right)) = (
            assign.child_by_field_id(F.left),
            assign.child_by_field_id(F.right),
        ) else {
            return;
        };
        if kind(left) != "identifier" {
            return;
        }
        let name = self.text(left).to_owned();
        let pointer = push_token("/constants", &name);
        let v = self.value(right, &pointer, 0);
        let literal = !matches!(&v, Value::Object(o) if o.contains_key("expr"));
        if literal {
            self.constants.insert(name, v);
        } else {
            self.spans.remove(&pointer);
        }
    }

    // ----- functions: where their parameters go ------------------------------------------

    fn function(&mut self, def: Node<'_>) {
        let Some(name) = def
            .child_by_field_id(F.name)
            .map(|n| self.text(n).to_owned())
        else {
            return;
        };
        let mut summary = FunctionSummary::default();
        if let Some(params) = def.child_by_field_id(F.parameters) {
            let mut keyword_only = false;
            let mut c = params.walk();
            for p in params.named_children(&mut c) {
                let ident = match kind(p) {
                    "identifier" => Some(p),
                    "typed_parameter" => p.named_child(0).filter(|x| kind(*x) == "identifier"),
                    "default_parameter" | "typed_default_parameter" => p.child_by_field_id(F.name),
                    "list_splat_pattern" | "keyword_separator" => {
                        keyword_only = true;
                        None
                    }
                    _ => None,
                };
                if let Some(id) = ident {
                    let n = self.text(id).to_owned();
                    if !keyword_only {
                        summary.params.push(n.clone());
                    }
                    summary.names.insert(n);
                }
            }
        }
        if let Some(body) = def.child_by_field_id(F.body) {
            let mut locals: HashMap<&'s str, Vec<Node<'_>>> = HashMap::new();
            self.locals(body, &mut locals, 0);
            self.flows(body, &summary.names.clone(), &locals, &mut summary, 0);
        }
        self.functions.entry(name).or_default().merge(summary);
    }

    /// Local variables of a function body bound by plain assignment: name → right-hand sides.
    fn locals<'t>(&self, n: Node<'t>, out: &mut HashMap<&'s str, Vec<Node<'t>>>, depth: usize) {
        if depth > self.max_depth * 4 {
            return;
        }
        if kind(n) == "assignment" {
            if let (Some(l), Some(r)) = (n.child_by_field_id(F.left), n.child_by_field_id(F.right))
            {
                if kind(l) == "identifier" {
                    out.entry(self.text(l)).or_default().push(r);
                }
            }
        }
        let mut c = n.walk();
        for child in n.named_children(&mut c) {
            self.locals(child, out, depth + 1);
        }
    }

    /// The parameters whose value `n` is (through locals, parentheses, `or`, `if … else`).
    fn param_values(
        &self,
        n: Node<'_>,
        params: &BTreeSet<String>,
        locals: &HashMap<&'s str, Vec<Node<'_>>>,
        depth: usize,
        out: &mut BTreeSet<String>,
    ) {
        if depth > 8 {
            return;
        }
        match kind(n) {
            "identifier" => {
                let name = self.text(n);
                if params.contains(name) {
                    out.insert(name.to_owned());
                } else if let Some(rhs) = locals.get(name) {
                    for r in rhs {
                        self.param_values(*r, params, locals, depth + 1, out);
                    }
                }
            }
            k if passes_through(k) => {
                let mut c = n.walk();
                for (i, child) in n.named_children(&mut c).enumerate() {
                    // The condition of `a if cond else b` is not the value.
                    if k == "conditional_expression" && i == 1 {
                        continue;
                    }
                    self.param_values(child, params, locals, depth + 1, out);
                }
            }
            _ => {}
        }
    }

    fn flows(
        &self,
        n: Node<'_>,
        params: &BTreeSet<String>,
        locals: &HashMap<&'s str, Vec<Node<'_>>>,
        summary: &mut FunctionSummary,
        depth: usize,
    ) {
        if depth > self.max_depth * 4 || params.is_empty() {
            return;
        }
        let mut found = BTreeSet::new();
        match kind(n) {
            // `{"db_password": password}` anywhere: the key names what the value is.
            "pair" => {
                if let (Some(k), Some(v)) =
                    (n.child_by_field_id(F.key), n.child_by_field_id(F.value))
                {
                    if let Some(key) = self.string_literal(k) {
                        self.param_values(v, params, locals, 0, &mut found);
                        for p in std::mem::take(&mut found) {
                            summary.flows.entry(p).or_default().insert(key.clone());
                        }
                    }
                }
            }
            // `os.environ["AWS_SECRET_ACCESS_KEY"] = secret`.
            "assignment" => {
                if let (Some(l), Some(r)) =
                    (n.child_by_field_id(F.left), n.child_by_field_id(F.right))
                {
                    let env = kind(l) == "subscript"
                        && l.child_by_field_id(F.value)
                            .and_then(|v| self.resolve(v))
                            .as_deref()
                            == Some("os.environ");
                    if let Some(key) = l
                        .child_by_field_id(F.subscript)
                        .and_then(|k| self.string_literal(k))
                        .filter(|_| env)
                    {
                        self.param_values(r, params, locals, 0, &mut found);
                        for p in std::mem::take(&mut found) {
                            summary.flows.entry(p).or_default().insert(key.clone());
                        }
                    }
                }
            }
            "call" => self.call_flows(n, params, locals, summary),
            _ => {}
        }
        let mut c = n.walk();
        for child in n.named_children(&mut c) {
            self.flows(child, params, locals, summary, depth + 1);
        }
    }

    fn call_flows(
        &self,
        n: Node<'_>,
        params: &BTreeSet<String>,
        locals: &HashMap<&'s str, Vec<Node<'_>>>,
        summary: &mut FunctionSummary,
    ) {
        let (Some(func), Some(list)) = (
            n.child_by_field_id(F.function),
            n.child_by_field_id(F.arguments),
        ) else {
            return;
        };
        let Some(resolved) = self.resolve_in_function(func, locals) else {
            return;
        };
        // An Airflow class, or a method of a hook or client (`S3Hook(...).load_file`).
        let receiver = resolved.rsplit_once('.').map_or("", |(r, _)| r);
        let airflow = is_airflow(&resolved)
            || matches!(category(&resolved), "hook" | "client")
            || matches!(category(receiver), "hook" | "client");
        let mut c = list.walk();
        let mut position = 0usize;
        for a in list.named_children(&mut c) {
            let mut found = BTreeSet::new();
            let arg = match kind(a) {
                "keyword_argument" => {
                    let (Some(k), Some(v)) =
                        (a.child_by_field_id(F.name), a.child_by_field_id(F.value))
                    else {
                        continue;
                    };
                    self.param_values(v, params, locals, 0, &mut found);
                    Arg::Keyword(self.text(k).to_owned())
                }
                "list_splat" | "dictionary_splat" | "comment" => continue,
                _ => {
                    self.param_values(a, params, locals, 0, &mut found);
                    position += 1;
                    Arg::Position(position - 1)
                }
            };
            for p in found {
                match (&arg, airflow) {
                    (Arg::Keyword(k), true) => {
                        summary.flows.entry(p).or_default().insert(k.clone());
                    }
                    (_, false) => {
                        summary.forwards.insert(Forward {
                            param: p,
                            callee: resolved.clone(),
                            arg: arg.clone(),
                        });
                    }
                    (Arg::Position(_), true) => {}
                }
            }
        }
    }

    /// A callee inside a function body: through the receiver's constructor for a method of an
    /// object made on the spot or bound to a local (`S3Hook(...).load_file`, `hook.load_file`
    /// after `hook = S3Hook(...)`).
    fn resolve_in_function(
        &self,
        func: Node<'_>,
        locals: &HashMap<&'s str, Vec<Node<'_>>>,
    ) -> Option<String> {
        if kind(func) == "attribute" {
            let object = func.child_by_field_id(F.object)?;
            let attr = self.text(func.child_by_field_id(F.attribute)?);
            let made_by = match kind(object) {
                "call" => Some(object),
                "identifier" => locals
                    .get(self.text(object))
                    .and_then(|rhs| rhs.iter().copied().find(|r| kind(*r) == "call")),
                _ => None,
            };
            if let Some(class) = made_by
                .and_then(|c| c.child_by_field_id(F.function))
                .and_then(|f| self.resolve(f))
            {
                return Some(format!("{class}.{attr}"));
            }
        }
        self.resolve(func)
    }

    /// Close this file's function flows; keep the functions that have parameters.
    fn close_local(&mut self) {
        let mut functions = std::mem::take(&mut self.functions);
        let project = self.project;
        let aliases = &self.aliases;
        let names: HashSet<String> = functions.keys().cloned().collect();
        close_flows(&mut functions, |_, callee| {
            if names.contains(callee) && !aliases.contains_key(callee) {
                Some(Callee::Node(callee.to_owned()))
            } else {
                project.factory(callee).map(Callee::Known)
            }
        });
        self.local = functions
            .iter()
            .filter(|(_, f)| !f.names.is_empty())
            .map(|(n, f)| (n.clone(), f.factory(None)))
            .collect();
        self.functions = functions;
    }

    // ----- names ---------------------------------------------------------------------------

    /// `H` → `airflow.providers….S3Hook`; `mod.Class` → resolved module + `.Class`.
    fn resolve(&self, n: Node<'_>) -> Option<String> {
        match kind(n) {
            "identifier" => Some(
                self.aliases
                    .get(self.text(n))
                    .cloned()
                    .unwrap_or_else(|| self.text(n).to_owned()),
            ),
            "attribute" => {
                let object = n.child_by_field_id(F.object)?;
                let attr = n.child_by_field_id(F.attribute)?;
                Some(format!("{}.{}", self.resolve(object)?, self.text(attr)))
            }
            _ => None,
        }
    }

    // ----- values --------------------------------------------------------------------------

    #[allow(clippy::many_single_char_names)] // n, l, r, k, v: node, left, right, key, value
    fn value(&mut self, n: Node<'_>, pointer: &str, depth: usize) -> Value {
        self.span(pointer.to_owned(), n);
        if depth > self.max_depth {
            return json!({"expr": self.text(n)});
        }
        match kind(n) {
            "string" | "concatenated_string" => {
                if self.holding {
                    self.held.insert(n.start_byte());
                }
                self.string(n)
            }
            "integer" => self
                .text(n)
                .replace('_', "")
                .parse::<i64>()
                .map_or_else(|_| json!({"expr": self.text(n)}), Value::from),
            "float" => self
                .text(n)
                .replace('_', "")
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| json!({"expr": self.text(n)}), Value::Number),
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "none" => Value::Null,
            "parenthesized_expression" => match n.named_child(0) {
                Some(inner) => self.value(inner, pointer, depth + 1),
                None => Value::Null,
            },
            "dictionary" => {
                let mut c = n.walk();
                let pairs: Vec<Node<'_>> = n
                    .named_children(&mut c)
                    .filter(|p| kind(*p) == "pair")
                    .collect();
                let mut map = Map::with_capacity(pairs.len());
                for pair in pairs {
                    let (Some(k), Some(v)) = (
                        pair.child_by_field_id(F.key),
                        pair.child_by_field_id(F.value),
                    ) else {
                        continue;
                    };
                    let key = match self.string_literal(k) {
                        Some(s) => {
                            if self.holding {
                                self.held.insert(k.start_byte());
                            }
                            s
                        }
                        None => self.text(k).to_owned(),
                    };
                    let child = self.value(v, &push_token(pointer, &key), depth + 1);
                    map.insert(key, child);
                }
                Value::Object(map)
            }
            "list" | "tuple" | "set" => {
                let mut c = n.walk();
                let items: Vec<Node<'_>> = n.named_children(&mut c).collect();
                Value::Array(
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(i, x)| {
                            self.value(x, &push_token(pointer, &i.to_string()), depth + 1)
                        })
                        .collect(),
                )
            }
            "identifier" => match self.constants.get(self.text(n)) {
                Some(v) => {
                    // As a Rego path: array indices are numbers (kwarg names never are).
                    let path: Vec<Value> = pointer
                        .split('/')
                        .skip(1)
                        .map(|t| {
                            t.parse::<u64>().map_or_else(
                                |_| Value::String(t.replace("~1", "/").replace("~0", "~")),
                                Value::from,
                            )
                        })
                        .collect();
                    let v = v.clone();
                    self.refs.push(obj([
                        ("path", Value::Array(path)),
                        ("constant", Value::from(self.text(n))),
                    ]));
                    v
                }
                None => json!({"expr": self.text(n)}),
            },
            "binary_operator" => {
                let op = n.child_by_field_id(F.operator).map(|o| self.text(o));
                let (Some(l), Some(r)) =
                    (n.child_by_field_id(F.left), n.child_by_field_id(F.right))
                else {
                    return json!({"expr": self.text(n)});
                };
                if op == Some("+") {
                    let lv = self.value(l, &format!("{pointer}/~l"), depth + 1);
                    let rv = self.value(r, &format!("{pointer}/~r"), depth + 1);
                    self.spans.remove(&format!("{pointer}/~l"));
                    self.spans.remove(&format!("{pointer}/~r"));
                    if let (Value::String(a), Value::String(b)) = (&lv, &rv) {
                        return Value::String(format!("{a}{b}"));
                    }
                }
                json!({"expr": self.text(n)})
            }
            _ => json!({"expr": self.text(n)}),
        }
    }

    /// Would `n` become a literal value (not `{"expr": …}`)? Decided without recording it.
    fn is_literal(&self, n: Node<'_>) -> bool {
        match kind(n) {
            "string"
            | "concatenated_string"
            | "integer"
            | "float"
            | "true"
            | "false"
            | "dictionary"
            | "list"
            | "tuple"
            | "set"
            | "binary_operator" => true,
            "parenthesized_expression" => n.named_child(0).is_some_and(|x| self.is_literal(x)),
            "identifier" => self.constants.contains_key(self.text(n)),
            _ => false,
        }
    }

    /// The value of a string node without interpolations, else `None`.
    fn string_literal(&self, n: Node<'_>) -> Option<String> {
        match self.string_parts(n) {
            (parts, false) => Some(parts.concat()),
            _ => None,
        }
    }

    /// Literal parts of a string or concatenated string, and whether it interpolates.
    fn string_parts(&self, n: Node<'_>) -> (Vec<String>, bool) {
        let mut parts = Vec::new();
        let mut interpolated = false;
        let mut strings = Vec::new();
        if kind(n) == "concatenated_string" {
            let mut c = n.walk();
            strings.extend(n.named_children(&mut c).filter(|s| kind(*s) == "string"));
        } else if kind(n) == "string" {
            strings.push(n);
        } else {
            return (parts, true);
        }
        for s in strings {
            let raw = s
                .child(0)
                .is_some_and(|start| self.text(start).bytes().any(|b| b == b'r' || b == b'R'));
            let mut c = s.walk();
            for child in s.named_children(&mut c) {
                match kind(child) {
                    "string_content" => parts.push(if raw {
                        self.text(child).to_owned()
                    } else {
                        unescape(self.text(child))
                    }),
                    "interpolation" => interpolated = true,
                    "escape_interpolation" => {
                        parts.push(self.text(child).chars().take(1).collect());
                    }
                    _ => {}
                }
            }
        }
        (parts, interpolated)
    }

    fn string(&mut self, n: Node<'_>) -> Value {
        let (mut parts, interpolated) = self.string_parts(n);
        if interpolated {
            json!({"fstring": self.text(n), "parts": parts})
        } else if parts.len() == 1 {
            Value::String(parts.pop().unwrap_or_default())
        } else {
            Value::String(parts.concat())
        }
    }

    // ----- the walk ------------------------------------------------------------------------

    fn walk(&mut self, n: Node<'_>, depth: usize, in_function: bool) {
        // One cursor for the whole walk: a cursor per node costs an allocation each.
        let mut cursor = n.walk();
        self.walk_at(&mut cursor, depth, in_function);
    }

    /// Walk the node under `cursor` and its named descendants; the cursor ends where it began.
    fn walk_at(&mut self, cursor: &mut TreeCursor<'_>, depth: usize, in_function: bool) {
        let n = cursor.node();
        if depth > self.max_depth * 4 {
            return;
        }
        // Fully inside a header modelled with an earlier part of the file.
        if n.end_byte() <= self.replay_until {
            return;
        }
        let mut recorded = false;
        if !self.replayed(n) {
            match kind(n) {
                "call" => recorded = self.call(n, in_function),
                "string" | "concatenated_string" => {
                    if !self.held.contains(&n.start_byte()) {
                        let p = push_token("/strings", &self.strings.len().to_string());
                        let v = self.value(n, &p, 0);
                        self.strings
                            .push(obj([("value", v), ("line", Self::line(n))]));
                    }
                    return; // strings inside a concatenation are part of it
                }
                "assignment" => self.assignment(n),
                "with_item" => self.with_item(n),
                "decorated_definition" => self.decorated(n),
                _ => {}
            }
        }
        let inside = in_function || matches!(kind(n), "function_definition" | "lambda");
        self.in_recorded += usize::from(recorded);
        if cursor.goto_first_child() {
            loop {
                if cursor.node().is_named() {
                    self.walk_at(cursor, depth + 1, inside);
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
            cursor.goto_parent();
        }
        if recorded {
            self.in_recorded -= 1;
            // The strings a call holds lie inside it: forget them once it is walked.
            if self.in_recorded == 0 {
                self.held.clear();
            }
        }
    }

    /// Positional and keyword arguments of a call; with `names`, positional arguments become
    /// keyword arguments of those names (a factory's parameters). `hold`: the strings read are
    /// held by a recorded call (and so not listed again in `strings`).
    fn arguments(
        &mut self,
        call: Node<'_>,
        pointer: &str,
        names: &[String],
        hold: bool,
    ) -> (Vec<Value>, Map<String, Value>) {
        let mut args = Vec::new();
        let Some(list) = call.child_by_field_id(F.arguments) else {
            return (args, Map::new());
        };
        let mut c = list.walk();
        let items: Vec<Node<'_>> = list.named_children(&mut c).collect();
        let mut kwargs = Map::with_capacity(items.len());
        let holding = std::mem::replace(&mut self.holding, hold);
        let kw_pointer = format!("{pointer}/kwargs");
        let mut position = 0usize;
        for a in items {
            if kind(a) == "keyword_argument" {
                let (Some(k), Some(v)) =
                    (a.child_by_field_id(F.name), a.child_by_field_id(F.value))
                else {
                    continue;
                };
                let key = self.text(k).to_owned();
                let val = self.value(v, &push_token(&kw_pointer, &key), 0);
                kwargs.insert(key, val);
            } else if kind(a) != "comment" {
                if let Some(name) = names.get(position).filter(|_| {
                    !matches!(
                        kind(a),
                        "list_splat" | "dictionary_splat" | "parenthesized_list_splat"
                    )
                }) {
                    let val = self.value(a, &push_token(&kw_pointer, name), 0);
                    kwargs.insert(name.clone(), val);
                } else {
                    let val = self.value(
                        a,
                        &push_token(&format!("{pointer}/args"), &args.len().to_string()),
                        0,
                    );
                    args.push(val);
                }
                position += 1;
            }
        }
        self.holding = holding;
        (args, kwargs)
    }

    /// Record a call if it matters to policies; returns whether it was recorded.
    fn call(&mut self, n: Node<'_>, in_function: bool) -> bool {
        let Some(func) = n.child_by_field_id(F.function) else {
            return false;
        };
        // Method calls: `S3Hook(...).load_file(...)`, `hook.copy_object(...)`, `Variable.get(...)`.
        let (resolved, method, receiver) = if kind(func) == "attribute" {
            let object = func.child_by_field_id(F.object);
            let method = func
                .child_by_field_id(F.attribute)
                .map(|a| self.text(a).to_owned());
            let receiver = match object {
                Some(o) if kind(o) == "call" => o
                    .child_by_field_id(F.function)
                    .and_then(|f| self.resolve(f)),
                Some(o) if kind(o) == "identifier" => self
                    .hook_vars
                    .get(self.text(o))
                    .cloned()
                    .or_else(|| self.resolve(o)),
                Some(o) => self.resolve(o),
                None => None,
            };
            (self.resolve(func), method, receiver)
        } else {
            (self.resolve(func), None, None)
        };
        let resolved = resolved.unwrap_or_else(|| self.text(func).to_owned());

        // Variable.get / BaseHook.get_connection and friends.
        if let (Some(m), Some(r)) = (&method, &receiver) {
            let class = r.rsplit('.').next().unwrap_or(r);
            if is_airflow(r) && LOOKUPS.iter().any(|(c, mm)| c == &class && mm == m) {
                let p = push_token("/lookups", &self.lookups.len().to_string());
                self.span(p.clone(), n);
                let (args, _) = self.arguments(n, &p, &[], true);
                self.lookups.push(obj([
                    ("callee", Value::from(format!("{class}.{m}"))),
                    ("top_level", Value::Bool(!in_function)),
                    ("args", Value::Array(args)),
                    ("line", Self::line(n)),
                ]));
                return true;
            }
        }
        let receiver_category = receiver.as_deref().map(category);
        let relevant = is_airflow(&resolved)
            || matches!(receiver_category, Some("hook" | "client"))
            || resolved.starts_with("os.environ");
        if !relevant {
            return self.factory_call(n, func, &resolved, in_function);
        }
        let hook_method = method.is_some() && matches!(receiver_category, Some("hook" | "client"));
        let cat = if hook_method {
            "hook-method"
        } else {
            category(&resolved)
        };
        // A hook method is named by its receiver's class: `S3Hook.load_file`.
        let resolved = match (&receiver, &method) {
            (Some(r), Some(m)) if hook_method => format!("{r}.{m}"),
            _ => resolved,
        };
        let index = self.calls.len();
        let p = push_token("/calls", &index.to_string());
        self.span(p.clone(), n);
        let (args, kwargs) = self.arguments(n, &p, &[], true);
        self.index_call(index, &kwargs, false);
        if cat == "dag" {
            self.add_dag("call", &args, &kwargs, Some(index), n);
        }
        // Only what is known: no `method`/`receiver` on plain calls, no empty `args`, and
        // `in_function` only on calls inside a function (the others run at every DAG parse);
        // the class name is the last part of `resolved` (of `receiver` for a hook method).
        let mut entry = Map::with_capacity(
            3 + usize::from(in_function)
                + usize::from(method.is_some())
                + usize::from(receiver.is_some())
                + usize::from(!args.is_empty()),
        );
        entry.insert("resolved".into(), Value::String(resolved));
        entry.insert("category".into(), Value::from(cat));
        if let Some(m) = method {
            entry.insert("method".into(), Value::String(m));
        }
        if let Some(r) = receiver {
            entry.insert("receiver".into(), Value::String(r));
        }
        if in_function {
            entry.insert("in_function".into(), Value::Bool(true));
        }
        if !args.is_empty() {
            entry.insert("args".into(), Value::Array(args));
        }
        entry.insert("kwargs".into(), Value::Object(kwargs));
        self.calls.push(Value::Object(entry));
        true
    }

    /// Keep the document's index of calls up to date (see [`Model::finish`]).
    fn index_call(&mut self, index: usize, kwargs: &Map<String, Value>, factory: bool) {
        for (k, v) in kwargs {
            if !self.kwarg_names.contains(k.as_str()) {
                self.kwarg_names.insert(k.clone());
            }
            let compound = match v {
                Value::Array(a) => !a.is_empty(),
                Value::Object(o) => !(o.contains_key("expr") || o.contains_key("fstring")),
                _ => false,
            };
            if compound {
                self.nested.push(Value::Array(vec![
                    Value::from(index),
                    Value::from(k.as_str()),
                ]));
            }
        }
        if factory {
            self.factory_calls.push(Value::from(index));
        }
    }

    fn factory(&mut self, func: Node<'_>, resolved: &str) -> Option<Factory> {
        if kind(func) == "identifier" && !self.aliases.contains_key(self.text(func)) {
            if let Some(f) = self.local.get(self.text(func)) {
                return Some(f.clone());
            }
        }
        if let Some(f) = self.looked_up.get(resolved) {
            return f.clone();
        }
        let f = self.project.factory(resolved).cloned();
        self.looked_up.insert(resolved.to_owned(), f.clone());
        f
    }

    /// A call of a project function given at least one literal argument: its arguments by
    /// parameter name, and where each parameter goes.
    fn factory_call(
        &mut self,
        n: Node<'_>,
        func: Node<'_>,
        resolved: &str,
        in_function: bool,
    ) -> bool {
        let Some(list) = n.child_by_field_id(F.arguments) else {
            return false;
        };
        let literal = {
            let mut c = list.walk();
            let any = list.named_children(&mut c).any(|a| {
                let v = if kind(a) == "keyword_argument" {
                    a.child_by_field_id(F.value)
                } else {
                    Some(a)
                };
                v.is_some_and(|v| self.is_literal(v))
            });
            any
        };
        if !literal {
            return false;
        }
        let Some(factory) = self.factory(func, resolved) else {
            return false;
        };
        let index = self.calls.len();
        let p = push_token("/calls", &index.to_string());
        self.span(p.clone(), n);
        let (args, kwargs) = self.arguments(n, &p, &factory.params, true);
        self.index_call(index, &kwargs, true);
        let flows: Map<String, Value> = kwargs
            .keys()
            .filter_map(|k| {
                factory.flows.get(k).map(|t| {
                    (
                        k.clone(),
                        Value::Array(t.iter().map(|x| Value::from(x.as_str())).collect()),
                    )
                })
            })
            .collect();
        let mut entry = Map::with_capacity(
            4 + usize::from(in_function)
                + usize::from(factory.module.is_some())
                + usize::from(!args.is_empty()),
        );
        entry.insert("resolved".into(), Value::from(resolved));
        entry.insert("category".into(), Value::from("factory"));
        if let Some(m) = factory.module {
            entry.insert("module".into(), Value::String(m));
        }
        if in_function {
            entry.insert("in_function".into(), Value::Bool(true));
        }
        if !args.is_empty() {
            entry.insert("args".into(), Value::Array(args));
        }
        entry.insert("kwargs".into(), Value::Object(kwargs));
        entry.insert("flows".into(), Value::Object(flows));
        self.calls.push(Value::Object(entry));
        true
    }

    fn add_dag(
        &mut self,
        style: &str,
        args: &[Value],
        kwargs: &Map<String, Value>,
        call: Option<usize>,
        n: Node<'_>,
    ) {
        let p = push_token("/dags", &self.dags.len().to_string());
        self.span(p, n);
        self.dag_starts.push(n.start_byte());
        let dag_id = kwargs
            .get("dag_id")
            .or_else(|| args.first())
            .cloned()
            .unwrap_or(Value::Null);
        let default_args = kwargs.get("default_args").cloned().unwrap_or(Value::Null);
        let mut d = Map::with_capacity(6);
        d.insert("style".into(), Value::from(style));
        d.insert("dag_id".into(), dag_id);
        d.insert("default_args".into(), default_args);
        // A DAG defined by a call is that call (`calls[call]`); a decorator's arguments are here.
        match call {
            Some(i) => d.insert("call".into(), Value::from(i)),
            None => d.insert("kwargs".into(), Value::Object(kwargs.clone())),
        };
        d.insert("line".into(), Self::line(n));
        self.dags.push(Value::Object(d));
    }

    fn assignment(&mut self, n: Node<'_>) {
        let (Some(left), Some(right)) = (n.child_by_field_id(F.left), n.child_by_field_id(F.right))
        else {
            return;
        };
        // `hook = S3Hook(...)`, `s3 = boto3.client("s3")`, `client = hook.get_conn()`:
        // remember the variable's class for later method calls.
        if kind(left) == "identifier" && kind(right) == "call" {
            let func = right.child_by_field_id(F.function);
            let mut class = func
                .and_then(|f| self.resolve(f))
                .filter(|p| matches!(category(p), "hook" | "client"));
            if class.is_none() {
                // A client obtained from a hook: `hook.get_conn()`, `S3Hook(...).get_client_type("s3")`.
                if let Some(f) = func.filter(|f| kind(*f) == "attribute") {
                    let method = f.child_by_field_id(F.attribute).map(|a| self.text(a));
                    let receiver = match f.child_by_field_id(F.object) {
                        Some(o) if kind(o) == "identifier" => {
                            self.hook_vars.get(self.text(o)).cloned()
                        }
                        Some(o) if kind(o) == "call" => o
                            .child_by_field_id(F.function)
                            .and_then(|x| self.resolve(x)),
                        _ => None,
                    };
                    let from_hook = receiver.is_some_and(|r| category(&r) == "hook");
                    if from_hook
                        && matches!(
                            method,
                            Some("get_conn" | "get_client_type" | "get_resource_type")
                        )
                    {
                        class = Some("boto3.client".to_owned());
                    }
                }
            }
            if let Some(path) = class {
                self.hook_vars.insert(self.text(left).to_owned(), path);
            }
        }
        // `os.environ["KEY"] = value`.
        if kind(left) == "subscript" {
            let target = left
                .child_by_field_id(F.value)
                .and_then(|v| self.resolve(v));
            if target.as_deref() == Some("os.environ") {
                let key = left
                    .child_by_field_id(F.subscript)
                    .and_then(|k| self.string_literal(k))
                    .unwrap_or_default();
                let p = push_token("/env", &self.env.len().to_string());
                self.span(p.clone(), n);
                let value = self.value(right, &format!("{p}/value"), 0);
                self.env.push(obj([
                    ("name", Value::String(key)),
                    ("value", value),
                    ("line", Self::line(n)),
                ]));
            }
        }
    }

    fn with_item(&mut self, n: Node<'_>) {
        // `with DAG(...) as dag:` — the call is recorded by the walk; mark its style.
        let Some(value) = n.child_by_field_id(F.value) else {
            return;
        };
        let call = if kind(value) == "as_pattern" {
            value.named_child(0)
        } else {
            Some(value)
        };
        let Some(call) = call.filter(|c| kind(*c) == "call") else {
            return;
        };
        let is_dag = call
            .child_by_field_id(F.function)
            .and_then(|f| self.resolve(f))
            .is_some_and(|p| category(&p) == "dag");
        if is_dag {
            let start = call.start_byte();
            self.pending_with.push(start);
        }
    }

    fn decorated(&mut self, n: Node<'_>) {
        let Some(def) = n
            .child_by_field_id(F.definition)
            .filter(|d| kind(*d) == "function_definition")
        else {
            return;
        };
        let name = def
            .child_by_field_id(F.name)
            .map(|x| self.text(x).to_owned())
            .unwrap_or_default();
        let mut c = n.walk();
        let decorators: Vec<Node<'_>> = n
            .named_children(&mut c)
            .filter(|d| kind(*d) == "decorator")
            .collect();
        for d in decorators {
            let Some(expr) = d.named_child(0) else {
                continue;
            };
            let (target, call) = if kind(expr) == "call" {
                (expr.child_by_field_id(F.function), Some(expr))
            } else {
                (Some(expr), None)
            };
            let Some(path) = target.and_then(|t| self.resolve(t)) else {
                continue;
            };
            let kwargs = match call {
                Some(cl) => {
                    let p = format!("/decorators/{name}");
                    self.arguments(cl, &p, &[], false).1
                }
                None => Map::new(),
            };
            if DAG_DECORATORS.contains(&path.as_str()) {
                self.add_dag("decorator", &[], &kwargs, None, n);
                if let Some(last) = self.dags.last_mut() {
                    if last["dag_id"].is_null() {
                        last["dag_id"] = Value::String(name.clone());
                    }
                }
            } else if TASK_DECORATORS
                .iter()
                .any(|t| path == *t || path.starts_with(&format!("{t}.")))
            {
                self.tasks.push(obj([
                    ("style", Value::from("taskflow")),
                    ("function", Value::from(name.as_str())),
                    ("decorator", Value::String(path)),
                    ("kwargs", Value::Object(kwargs)),
                    ("line", Self::line(n)),
                ]));
            }
        }
    }

    fn finish(&mut self) -> Value {
        // DAG(...) calls that head a `with` block are that style, not plain calls.
        let starts = std::mem::take(&mut self.pending_with);
        for (d, start) in self.dags.iter_mut().zip(&self.dag_starts) {
            if starts.contains(start) {
                d["style"] = Value::String("with".into());
            }
        }
        self.spans
            .insert(String::new(), Span::new(0, self.src.len()));
        let mut doc = Map::with_capacity(10);
        doc.insert(
            "imports".into(),
            Value::Array(std::mem::take(&mut self.imports)),
        );
        doc.insert(
            "constants".into(),
            Value::Object(std::mem::take(&mut self.constants)),
        );
        doc.insert("dags".into(), Value::Array(std::mem::take(&mut self.dags)));
        doc.insert(
            "tasks".into(),
            Value::Array(std::mem::take(&mut self.tasks)),
        );
        let mut calls = std::mem::take(&mut self.calls);
        calls.shrink_to_fit();
        doc.insert("calls".into(), Value::Array(calls));
        doc.insert("env".into(), Value::Array(std::mem::take(&mut self.env)));
        doc.insert(
            "lookups".into(),
            Value::Array(std::mem::take(&mut self.lookups)),
        );
        doc.insert(
            "strings".into(),
            Value::Array(std::mem::take(&mut self.strings)),
        );
        doc.insert("refs".into(), Value::Array(std::mem::take(&mut self.refs)));
        // So that rules need not scan every call to learn these (a generated DAG has tens of
        // thousands): the keyword names calls use, where the dict and list arguments are, and
        // which calls are factory calls.
        doc.insert(
            "index".into(),
            obj([
                (
                    "kwargs",
                    Value::Array(
                        std::mem::take(&mut self.kwarg_names)
                            .into_iter()
                            .map(Value::String)
                            .collect(),
                    ),
                ),
                ("nested", Value::Array(std::mem::take(&mut self.nested))),
                (
                    "factories",
                    Value::Array(std::mem::take(&mut self.factory_calls)),
                ),
            ]),
        );
        Value::Object(doc)
    }
}

/// Python string escapes that matter for matching (the rest are kept as written).
fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(q @ ('\'' | '"' | '\\')) => out.push(q),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    fn read(path: &str) -> String {
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
            .expect("fixture")
    }

    fn sorted(spans: &SpanMap) -> Vec<(String, Span)> {
        let mut v: Vec<(String, Span)> = spans.iter().map(|(k, s)| (k.clone(), *s)).collect();
        v.sort();
        v
    }

    /// A file parsed in small parts is modelled exactly as when parsed whole.
    #[test]
    fn split_parsing_models_the_same_document() {
        let mut src = read("fixtures/rules/AF001/fail/warehouse_sync.py");
        src.push_str("\n@dag(schedule=None)\ndef big(bucket=\"b\"):\n");
        for i in 0..40 {
            let _ = writeln!(
                src,
                "    t{i} = BashOperator(task_id=\"t{i}\", bash_command=\"echo {i}\")"
            );
        }
        src.push_str("    load(bucket=bucket)\n\nbig()\nLATE = \"s3://late/x\"\n");
        let limits = Limits::default();
        let whole = parse_chunked(&src, &limits, &NoProject, usize::MAX);
        let parts = parse_chunked(&src, &limits, &NoProject, 300);
        assert!(whole.error.is_none() && parts.error.is_none());
        let (w, p) = (&whole.docs[0], &parts.docs[0]);
        assert_eq!(w.value, p.value);
        assert_eq!(sorted(&w.spans), sorted(&p.spans));
        assert_eq!(w.value["calls"].as_array().map(Vec::len), Some(48));
    }

    #[test]
    fn a_syntax_error_in_a_part_is_reported_from_the_whole_file() {
        let mut src = String::from("from airflow import DAG\nfrom airflow.operators.bash import BashOperator as Op\nwith DAG(\"d\") as d:\n");
        for i in 0..40 {
            let _ = writeln!(src, "    t{i} = Op(task_id=\"t{i}\")");
        }
        src.push_str("    x = = 1\n");
        let parsed = parse_chunked(&src, &Limits::default(), &NoProject, 300);
        let err = parsed.error.expect("syntax error");
        assert_eq!(
            src.get(err.span.expect("span").range()).map(str::trim),
            Some("=")
        );
        assert_eq!(
            parsed.docs[0].value["calls"].as_array().map(Vec::len),
            Some(41)
        );
    }
}
