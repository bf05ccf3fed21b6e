//! Terraform module context: what one file cannot see on its own.
//!
//! A Terraform module is a directory. Before policies run on a `.tf` file, this module
//! *enriches* its document in a **scope** — a module's variables bound to values, and its
//! `locals` resolved in them:
//! - every `"${…}"` expression string that is static is evaluated (see [`expr`]): variables,
//!   locals, conditionals, `try`/`coalesce`/`lookup` and pure functions; references to what is
//!   only known at apply time stay as their text;
//! - a resource whose `count` or `for_each` is statically zero/empty is removed (it does not
//!   exist); a `dynamic "x"` block becomes `x` blocks, one per static `for_each` element with its
//!   iterator bound (one block with unknown values when `for_each` is not static), and the
//!   `dynamic` key is removed;
//! - the AWS provider v4+ sibling resources (`aws_s3_bucket_versioning`,
//!   `…_server_side_encryption_configuration`, `…_public_access_block`, `…_logging`,
//!   `…_object_lock_configuration`, `…_acl`, `…_policy`) are merged into the `aws_s3_bucket` they
//!   configure, wherever in the module they are declared, in the shape of the provider v3 inline
//!   blocks (one rule covers both provider styles); the account-level public access block goes
//!   to every bucket, and buckets that receive access logs are marked `custos_log_target`.
//!   Siblings are indexed once per scope by the bucket they name — a reference
//!   (`aws_s3_bucket.x.id`, indexed `x[0]`, splat, or through a conditional/`try`) or a resolved
//!   literal name — so merging is linear in the number of resources.
//!
//! **Scopes and instances.** A module's own scope binds each variable to `terraform.tfvars` /
//! `*.auto.tfvars`, else its default, else leaves it unknown. A local module (`source = "./…"`
//! or `"../…"`) called from elsewhere in the scan is instead evaluated per **instance**: per
//! chain of calls that reaches it from a root module (a module nobody in the scan calls), e.g.
//! `examples/complete` → `module.db` (the wrapper at `../../`) → `module.db_instance`. An
//! instance's scope binds each variable to the call's argument evaluated in the calling
//! instance's scope (a non-static argument leaves the variable unknown; a static object argument
//! keeps its static parts, and its non-static leaves become opaque `"${caller: …}"` strings),
//! else to the variable's default. A value bound from an argument carries its **origin**: the
//! call and argument where it was written — the outermost one when a wrapper passes its own
//! variable on (`storage_encrypted = var.storage_encrypted`), so the origin is where the value
//! was chosen; a conditional's origin is its value's, not its condition's. Every substitution
//! that reads such a value is recorded with the JSON pointer where it landed (its
//! **provenance**). Nesting is followed 6 calls deep, for at most 4,096 instances; modules
//! reachable only through a cycle are evaluated in their own scope.
//!
//! **Per-instance evaluation.** Each file of a called module is evaluated once per instance (the
//! result is computed by whichever file's scan needs it first and shared), and each finding is
//! split by its pointer:
//! - a finding whose pointer is at or below a substitution that read an argument is that
//!   argument's: it is reported in the **file that wrote the argument**, at its span (the rest of
//!   the pointer is followed into the argument's value when it has spans, e.g. a key of a
//!   `tags` map), with the message prefixed by the instance's address from that call down and
//!   the module file (`module.db.module.db_instance (modules/db_instance/main.tf): …`). Three
//!   callers passing `storage_encrypted = false` are three findings, each at its own argument;
//! - a finding that no argument produced but that only some instances have (a resource or
//!   block that exists, or a default that applies, because of what a call passes or leaves out)
//!   is reported at the `module "<name>"` block of the call that creates the instance;
//! - a finding that every instance has, with no argument involved, is the module's own: it is
//!   reported once, in the module's file.
//!
//! Rules help this by pointing at the attribute that is wrong when it is set (e.g.
//! `storage_encrypted`), and at the resource when something is missing. A module that nobody in
//! the scan calls is evaluated in its own scope. Facts are gathered in one parallel pre-pass
//! over the module's `.tf`/`.tf.json`/`.tfvars` files.

mod expr;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rayon::prelude::*;
use serde_json::{Map, Value};

use self::expr::{Binding, Env, Origin, Resolved, Val};
use crate::discover::Candidate;
use crate::document::{push_token, Document, Kind, LineIndex, SpanMap};
use crate::finding::Finding;
use crate::parse::{self, Limits, Syntax};

/// Sibling resource type → the inline (v3) key it stands for on the bucket.
const SIBLINGS: &[(&str, &str)] = &[
    (
        "aws_s3_bucket_server_side_encryption_configuration",
        "server_side_encryption_configuration",
    ),
    ("aws_s3_bucket_versioning", "versioning"),
    ("aws_s3_bucket_public_access_block", "public_access_block"),
    ("aws_s3_bucket_logging", "logging"),
    (
        "aws_s3_bucket_object_lock_configuration",
        "object_lock_configuration",
    ),
    ("aws_s3_bucket_acl", "acl"),
    ("aws_s3_bucket_policy", "policy"),
];

/// A `dynamic` block expands to at most this many blocks, and a document's `dynamic` blocks to
/// this many in all (nested ones multiply); past that, a block stands for its unknown instances.
const MAX_DYNAMIC: usize = 64;
const MAX_DYNAMIC_PER_DOCUMENT: usize = 1_024;

/// Module nesting followed from a root module (calls of calls of …), and module instances in all.
const MAX_NESTING: usize = 6;
const MAX_INSTANCES: usize = 4_096;

/// Arguments of a `module` block that are not the module's variables.
const META_ARGS: &[&str] = &[
    "source",
    "version",
    "providers",
    "count",
    "for_each",
    "depends_on",
];

/// A sibling resource as written: the bucket it names and its body.
#[derive(Debug, Clone)]
struct RawSibling {
    key: &'static str,
    body: Map<String, Value>,
}

/// A call of a local module, as written.
#[derive(Debug, Clone)]
struct Call {
    /// Directory of the called module.
    target: PathBuf,
    /// The calling file and its module directory.
    file: PathBuf,
    dir: PathBuf,
    /// The `module` block's label and its JSON pointer in the caller's document.
    name: String,
    pointer: String,
    /// The call's arguments (meta-arguments removed) and its `count` / `for_each`.
    args: Map<String, Value>,
    count: Option<Value>,
    for_each: Option<Value>,
}

/// What a module's files declare, as written.
#[derive(Debug, Default, Clone)]
struct Decls {
    defaults: Map<String, Value>,
    tfvars: Map<String, Value>,
    locals: Map<String, Value>,
    siblings: Vec<RawSibling>,
    /// `aws_s3_account_public_access_block`: applies to every bucket of the account.
    account_pab: Option<Map<String, Value>>,
    /// `target_bucket` of every access-logging configuration.
    log_targets: Vec<Value>,
    calls: Vec<Call>,
}

impl Decls {
    fn extend(&mut self, other: Decls) {
        self.defaults.extend(other.defaults);
        self.tfvars.extend(other.tfvars);
        self.locals.extend(other.locals);
        self.siblings.extend(other.siblings);
        self.account_pab = self.account_pab.take().or(other.account_pab);
        self.log_targets.extend(other.log_targets);
        self.calls.extend(other.calls);
    }
}

/// Where argument values landed in a document: (JSON pointer, the argument).
type Provenance = Vec<(String, Origin)>;

/// A value merged into a bucket, with where argument values landed in it.
#[derive(Debug, Clone)]
struct Merged {
    key: &'static str,
    value: Value,
    provenance: Provenance,
}

/// A module's declarations resolved in one scope.
#[derive(Debug, Default)]
pub struct Scope {
    vars: HashMap<String, Binding>,
    locals: Resolved,
    /// Sibling values by the bucket they configure: resource name, or literal bucket name.
    by_resource: HashMap<String, Vec<Merged>>,
    by_name: HashMap<String, Vec<Merged>>,
    account_pab: Option<Merged>,
    log_target_resources: HashSet<String>,
    log_target_names: HashSet<String>,
}

/// A file of a called module, kept for evaluation per call.
#[derive(Debug)]
struct ModuleFile {
    fs_path: PathBuf,
    display: String,
    source: String,
    lines: LineIndex,
    value: Value,
    spans: SpanMap,
}

/// One module: its declarations, its own scope, and its instances when other modules call it.
#[derive(Debug, Default)]
pub struct Module {
    decls: Decls,
    own: Scope,
    /// Indexes into [`ModuleIndex::instances`]: one per chain of calls that reaches the module.
    instances: Vec<usize>,
    files: Vec<ModuleFile>,
    /// Per file: the findings not attributed to an argument in *every* instance (computed once).
    common: Vec<OnceLock<HashSet<FindingKey>>>,
}

/// A module as one chain of calls instantiates it (outermost call first), with its scope.
#[derive(Debug)]
struct Instance {
    module: PathBuf,
    chain: Vec<usize>,
    scope: Scope,
}

/// What identifies a finding across evaluations of one file: rule, pointer, message.
type FindingKey = (String, Option<String>, String);

fn key_of(f: &Finding) -> FindingKey {
    (f.rule_id.clone(), f.pointer.clone(), f.message.clone())
}

/// A module file evaluated in one instance's scope: its findings, and for each the argument it
/// is attributed to (with the rest of the pointer below the substitution).
#[derive(Debug, Default)]
struct Evaluated {
    findings: Vec<(Finding, Option<(Origin, String)>)>,
}

/// Modules by directory, the local module calls between them, their instances, and the
/// evaluations per instance.
#[derive(Debug, Default)]
pub struct ModuleIndex {
    modules: HashMap<PathBuf, Module>,
    calls: Vec<Call>,
    instances: Vec<Instance>,
    /// Calling file → the instances whose chain has a call written in it.
    instances_by_file: HashMap<PathBuf, Vec<usize>>,
    /// (instance, file index in its module) → evaluation, computed once.
    evaluated: HashMap<(usize, usize), OnceLock<Evaluated>>,
}

/// Evaluates one document with the policies (the scan's evaluator for this worker).
pub type EvalFn<'a> = dyn FnMut(&Document, &str, &LineIndex) -> Vec<Finding> + 'a;

pub(crate) fn is_tf(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    // Lowercased above; the suffix checks are case-insensitive.
    #[allow(clippy::case_sensitive_file_extension_comparisons)]
    let tf = name.ends_with(".tf") || name.ends_with(".tf.json");
    tf
}

pub(crate) fn is_auto_tfvars(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name == "terraform.tfvars" || name.ends_with(".auto.tfvars")
}

/// Blocks that may be one object or an array of objects (repeated blocks).
fn each_object(v: &Value) -> Vec<&Map<String, Value>> {
    match v {
        Value::Object(m) => vec![m],
        Value::Array(items) => items.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    }
}

/// Like [`each_object`], with each block's pointer suffix (`""` or `"/<i>"`).
fn each_object_at(v: &Value) -> Vec<(String, &Map<String, Value>)> {
    match v {
        Value::Object(m) => vec![(String::new(), m)],
        Value::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, x)| x.as_object().map(|m| (format!("/{i}"), m)))
            .collect(),
        _ => Vec::new(),
    }
}

/// A file read and parsed for the module index: its source and its one document.
fn parsed_file(c: &Candidate, limits: &Limits) -> Option<(String, crate::parse::ParsedDoc)> {
    let path = &c.fs_path;
    let source = std::fs::read_to_string(path).ok()?;
    let syntax = if path.to_string_lossy().ends_with(".json") {
        Syntax::Json
    } else {
        Syntax::Hcl
    };
    let parsed = parse::parse(syntax, &source, limits)?;
    if parsed.error.is_some() {
        return None;
    }
    let doc = parsed.docs.into_iter().next()?;
    Some((source, doc))
}

/// A Terraform file of a called module, kept for its evaluation per call.
fn module_file(c: &Candidate, limits: &Limits) -> Option<ModuleFile> {
    let (source, doc) = parsed_file(c, limits)?;
    Some(ModuleFile {
        fs_path: c.fs_path.clone(),
        display: c.display.clone(),
        lines: LineIndex::new(&source),
        source,
        value: doc.value,
        spans: doc.spans,
    })
}

/// The facts one file contributes to its module, and its path when it is Terraform (not
/// `.tfvars`): such a file is kept ([`module_file`]) when its module turns out to be called.
fn facts(c: &Candidate, limits: &Limits) -> Option<(PathBuf, Option<PathBuf>, Decls)> {
    let path = &c.fs_path;
    let (_, doc) = parsed_file(c, limits)?;
    let dir = normalize(path.parent().unwrap_or(Path::new("")));
    let mut m = Decls::default();
    if is_auto_tfvars(path) {
        if let Value::Object(vars) = doc.value {
            m.tfvars = vars;
        }
        return Some((dir, None, m));
    }
    let root = &doc.value;
    if let Some(vars) = root.get("variable").and_then(Value::as_object) {
        for (name, body) in vars {
            if let Some(default) = each_object(body).first().and_then(|b| b.get("default")) {
                m.defaults.insert(name.clone(), default.clone());
            }
        }
    }
    // `module "x" { source = "./modules/x" … }`: remember the call and its arguments.
    if let Some(modules) = root.get("module").and_then(Value::as_object) {
        for (name, blocks) in modules {
            for (suffix, body) in each_object_at(blocks) {
                let Some(source) = body.get("source").and_then(Value::as_str) else {
                    continue;
                };
                if !(source.starts_with("./") || source.starts_with("../")) {
                    continue;
                }
                let mut args = body.clone();
                for meta in META_ARGS {
                    args.remove(*meta);
                }
                m.calls.push(Call {
                    target: normalize(&dir.join(source)),
                    file: path.clone(),
                    dir: dir.clone(),
                    name: name.clone(),
                    pointer: format!("{}{suffix}", push_token(&push_token("", "module"), name)),
                    args,
                    count: body.get("count").cloned(),
                    for_each: body.get("for_each").cloned(),
                });
            }
        }
    }
    if let Some(locals) = root.get("locals") {
        for block in each_object(locals) {
            m.locals.extend(block.clone());
        }
    }
    if let Some(resources) = root.get("resource").and_then(Value::as_object) {
        if let Some(account) = resources
            .get("aws_s3_account_public_access_block")
            .and_then(Value::as_object)
        {
            m.account_pab = account.values().flat_map(each_object).next().cloned();
        }
        if let Some(buckets) = resources.get("aws_s3_bucket").and_then(Value::as_object) {
            for body in buckets.values().flat_map(each_object) {
                for l in body.get("logging").map(each_object).unwrap_or_default() {
                    if let Some(t) = l.get("target_bucket") {
                        m.log_targets.push(t.clone());
                    }
                }
            }
        }
        for (ty, key) in SIBLINGS {
            let Some(instances) = resources.get(*ty).and_then(Value::as_object) else {
                continue;
            };
            for body in instances.values().flat_map(each_object) {
                if *key == "logging" {
                    if let Some(t) = body.get("target_bucket") {
                        m.log_targets.push(t.clone());
                    }
                }
                m.siblings.push(RawSibling {
                    key,
                    body: body.clone(),
                });
            }
        }
    }
    Some((dir, Some(path.clone()), m))
}

/// The bucket resource a reference kind names: `aws_s3_bucket.<name>.id` / `.bucket`.
fn bucket_of_kind(kind: &str) -> Option<&str> {
    let rest = kind.strip_prefix("aws_s3_bucket.")?;
    let (name, attr) = rest.split_once('.')?;
    matches!(attr, "id" | "bucket").then_some(name)
}

/// Which bucket a `bucket` / `target_bucket` value names in `scope`.
enum BucketRef {
    Resource(String),
    Name(String),
}

fn bucket_ref(v: &Value, env: &mut Env<'_>) -> Option<BucketRef> {
    let val = match v {
        Value::String(s) => env.eval_str(s),
        other => Val::Known(other.clone()),
    };
    env.take_used();
    match val {
        Val::Known(Value::String(s)) if !s.is_empty() => Some(BucketRef::Name(s)),
        Val::Ref { kind, .. } => bucket_of_kind(&kind).map(|n| BucketRef::Resource(n.to_owned())),
        _ => None,
    }
}

/// A resource exists unless its `count`/`for_each` is statically zero or empty.
fn exists(body: &Map<String, Value>) -> bool {
    let zero = |v: Option<&Value>| match v {
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        Some(Value::String(s)) => s == "0",
        _ => false,
    };
    let empty = |v: Option<&Value>| match v {
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(m)) => m.is_empty(),
        _ => false,
    };
    !(zero(body.get("count")) || empty(body.get("for_each")))
}

impl Scope {
    fn build(decls: &Decls, vars: HashMap<String, Binding>) -> Scope {
        let locals = expr::resolve_locals(&decls.locals, &vars);
        let mut scope = Scope {
            vars,
            locals,
            ..Scope::default()
        };
        let mut by_resource: HashMap<String, Vec<Merged>> = HashMap::new();
        let mut by_name: HashMap<String, Vec<Merged>> = HashMap::new();
        let mut targets = Vec::new();
        let mut account_pab = None;
        {
            let mut w = Walker::new(&scope);
            for s in &decls.siblings {
                let mut body = Value::Object(s.body.clone());
                w.provenance.clear();
                w.walk(&mut body, &mut String::new());
                let Value::Object(body) = body else { continue };
                if !exists(&body) {
                    continue;
                }
                let Some(target) = body.get("bucket").and_then(|b| bucket_ref(b, &mut w.env))
                else {
                    continue;
                };
                let merged = merged_value(s.key, body, std::mem::take(&mut w.provenance));
                match target {
                    BucketRef::Resource(r) => by_resource.entry(r).or_default().push(merged),
                    BucketRef::Name(n) => by_name.entry(n).or_default().push(merged),
                }
            }
            for t in &decls.log_targets {
                if let Some(r) = bucket_ref(t, &mut w.env) {
                    targets.push(r);
                }
            }
            if let Some(pab) = &decls.account_pab {
                let mut body = Value::Object(pab.clone());
                w.provenance.clear();
                w.walk(&mut body, &mut String::new());
                account_pab = Some(Merged {
                    key: "public_access_block",
                    value: body,
                    provenance: std::mem::take(&mut w.provenance),
                });
            }
        }
        scope.by_resource = by_resource;
        scope.by_name = by_name;
        scope.account_pab = account_pab;
        for t in targets {
            match t {
                BucketRef::Resource(r) => scope.log_target_resources.insert(r),
                BucketRef::Name(n) => scope.log_target_names.insert(n),
            };
        }
        scope
    }

    /// Resolve references in a document, expand `dynamic` blocks, drop resources that do not
    /// exist, and merge sibling resources into its buckets. Returns the provenance: pointers
    /// where a value passed by a module call landed, with the argument's name.
    pub fn enrich(&self, input: &mut Value) -> Provenance {
        let mut w = Walker::new(self);
        w.walk(input, &mut String::new());
        let mut provenance = std::mem::take(&mut w.provenance);
        drop(w);
        if let Some(resources) = input.get_mut("resource").and_then(Value::as_object_mut) {
            for instances in resources.values_mut() {
                if let Value::Object(by_name) = instances {
                    by_name.retain(|_, body| body.as_object().is_none_or(exists));
                }
            }
        }
        let Some(buckets) = input
            .pointer_mut("/resource/aws_s3_bucket")
            .and_then(Value::as_object_mut)
        else {
            return provenance;
        };
        // A body is one object, or (JSON syntax, or a name declared twice) a list of them.
        let instances = buckets.iter_mut().flat_map(|(name, body)| {
            let bodies: Vec<(String, &mut Map<String, Value>)> = match body {
                Value::Object(m) => vec![(String::new(), m)],
                Value::Array(items) => items
                    .iter_mut()
                    .enumerate()
                    .filter_map(|(i, x)| x.as_object_mut().map(|m| (format!("/{i}"), m)))
                    .collect(),
                _ => Vec::new(),
            };
            bodies.into_iter().map(move |(suffix, m)| (name, suffix, m))
        });
        for (name, suffix, bucket) in instances {
            let base = format!(
                "{}{suffix}",
                push_token(&push_token("/resource", "aws_s3_bucket"), name)
            );
            let literal = bucket
                .get("bucket")
                .and_then(Value::as_str)
                .filter(|s| !s.contains("${"))
                .map(str::to_owned);
            let by_name = literal
                .as_deref()
                .and_then(|l| self.by_name.get(l))
                .into_iter()
                .flatten();
            let hits = self
                .by_resource
                .get(name)
                .into_iter()
                .flatten()
                .chain(by_name)
                .chain(self.account_pab.iter());
            for m in hits {
                if bucket.contains_key(m.key) {
                    continue;
                }
                bucket.insert(m.key.to_owned(), m.value.clone());
                let at = push_token(&base, m.key);
                provenance.extend(
                    m.provenance
                        .iter()
                        .map(|(p, a)| (format!("{at}{p}"), a.clone())),
                );
            }
            // Buckets that receive other buckets' access logs (anywhere in the module).
            if self.log_target_resources.contains(name)
                || literal
                    .as_deref()
                    .is_some_and(|l| self.log_target_names.contains(l))
            {
                bucket.insert("custos_log_target".to_owned(), Value::Bool(true));
            }
        }
        provenance
    }
}

/// Walks a document, substituting what is static and recording provenance.
struct Walker<'a> {
    env: Env<'a>,
    provenance: Provenance,
    /// `dynamic` blocks this walk may still expand.
    dynamic_budget: usize,
}

impl<'a> Walker<'a> {
    fn new(scope: &'a Scope) -> Self {
        Walker {
            env: Env::new(&scope.vars, &scope.locals),
            provenance: Vec::new(),
            dynamic_budget: MAX_DYNAMIC_PER_DOCUMENT,
        }
    }

    fn walk(&mut self, v: &mut Value, ptr: &mut String) {
        match v {
            Value::String(s) if s.contains("${") => {
                let val = self.env.eval_str(s);
                let used = self.env.take_used();
                let new = expr::substitute(s, val);
                if new != *v {
                    if let Some(arg) = used.into_iter().next() {
                        self.provenance.push((ptr.clone(), arg));
                    }
                    *v = new;
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter_mut().enumerate() {
                    let len = ptr.len();
                    ptr.push('/');
                    ptr.push_str(&i.to_string());
                    self.walk(x, ptr);
                    ptr.truncate(len);
                }
            }
            Value::Object(map) => {
                let dynamic = map.remove("dynamic");
                for (k, x) in map.iter_mut() {
                    let len = ptr.len();
                    *ptr = push_token(ptr, k);
                    self.walk(x, ptr);
                    ptr.truncate(len);
                }
                if let Some(d) = dynamic {
                    self.expand_dynamic(map, d, ptr);
                }
            }
            _ => {}
        }
    }

    /// `dynamic "x" { for_each = …, iterator = …, content { … } }` → `x` blocks in `map`.
    fn expand_dynamic(&mut self, map: &mut Map<String, Value>, dynamic: Value, ptr: &str) {
        let Value::Object(blocks) = dynamic else {
            return;
        };
        for (name, specs) in blocks {
            let specs = match specs {
                Value::Array(items) => items,
                other => vec![other],
            };
            for spec in specs {
                let Value::Object(mut spec) = spec else {
                    continue;
                };
                let iterator = spec.get("iterator").and_then(Value::as_str).map_or_else(
                    || name.clone(),
                    |s| {
                        s.trim_start_matches("${")
                            .trim_end_matches('}')
                            .trim()
                            .to_owned()
                    },
                );
                let content = match spec.remove("content") {
                    Some(Value::Object(c)) => Value::Object(c),
                    Some(Value::Array(items)) => items.into_iter().next().unwrap_or_default(),
                    _ => Value::Object(Map::new()),
                };
                let for_each = spec.remove("for_each").unwrap_or(Value::Null);
                let (val, args) = match &for_each {
                    Value::String(s) => {
                        let v = self.env.eval_str(s);
                        (v, self.env.take_used())
                    }
                    other => (Val::Known(other.clone()), Vec::new()),
                };
                let instances: Option<Vec<(Value, Value)>> = match val {
                    Val::Known(Value::Array(items)) => Some(
                        items
                            .into_iter()
                            .enumerate()
                            .map(|(i, x)| (Value::from(i), x))
                            .collect(),
                    ),
                    Val::Known(Value::Object(m)) => {
                        Some(m.into_iter().map(|(k, x)| (Value::String(k), x)).collect())
                    }
                    Val::Known(Value::Null) => Some(Vec::new()),
                    _ => None,
                };
                let instances =
                    instances.filter(|l| l.len().min(MAX_DYNAMIC) <= self.dynamic_budget);
                match instances {
                    Some(list) => {
                        self.dynamic_budget -= list.len().min(MAX_DYNAMIC);
                        for (key, value) in list.into_iter().take(MAX_DYNAMIC) {
                            self.env.push_iter(&iterator, key, value, args.clone());
                            self.insert_block(map, &name, content.clone(), ptr);
                            self.env.pop_iter();
                        }
                    }
                    None => self.insert_block(map, &name, content.clone(), ptr),
                }
            }
        }
    }

    /// Walk `block` where it will land under `map[name]`, then put it there.
    fn insert_block(
        &mut self,
        map: &mut Map<String, Value>,
        name: &str,
        mut block: Value,
        ptr: &str,
    ) {
        let at = push_token(ptr, name);
        let mut dest = match map.get(name) {
            None => at.clone(),
            Some(Value::Array(items)) => format!("{at}/{}", items.len()),
            Some(_) => {
                // The existing block becomes element 0: move its provenance along.
                for (p, _) in &mut self.provenance {
                    if *p == at || p.starts_with(&format!("{at}/")) {
                        *p = format!("{at}/0{}", &p[at.len()..]);
                    }
                }
                format!("{at}/1")
            }
        };
        self.walk(&mut block, &mut dest);
        match map.get_mut(name) {
            None => {
                map.insert(name.to_owned(), block);
            }
            Some(Value::Array(items)) => items.push(block),
            Some(existing) => {
                let first = std::mem::take(existing);
                *existing = Value::Array(vec![first, block]);
            }
        }
    }
}

impl ModuleIndex {
    /// Gather facts from every Terraform file among `files` and build every scope.
    pub fn build(files: &[Candidate], limits: &Limits) -> Self {
        let mut per_file: Vec<(PathBuf, Option<PathBuf>, Decls)> = files
            .par_iter()
            .filter(|c| is_tf(&c.fs_path) || is_auto_tfvars(&c.fs_path))
            .filter_map(|c| facts(c, limits))
            .collect();
        per_file.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        // Only a module that another module of the scan calls is evaluated per call, from its
        // files as parsed here: only those files are kept (read again), so the index does
        // not hold every Terraform file of a large scan at once.
        let called: HashSet<&PathBuf> = per_file
            .iter()
            .flat_map(|(_, _, d)| d.calls.iter().map(|c| &c.target))
            .collect();
        let kept: HashSet<&PathBuf> = per_file
            .iter()
            .filter(|(dir, path, _)| path.is_some() && called.contains(dir))
            .filter_map(|(_, path, _)| path.as_ref())
            .collect();
        let mut kept_files: HashMap<PathBuf, ModuleFile> = files
            .par_iter()
            .filter(|c| kept.contains(&c.fs_path))
            .filter_map(|c| module_file(c, limits).map(|f| (c.fs_path.clone(), f)))
            .collect();
        let mut modules: HashMap<PathBuf, Module> = HashMap::new();
        for (dir, path, decls) in per_file {
            let e = modules.entry(dir).or_default();
            e.decls.extend(decls);
            e.files.extend(path.and_then(|p| kept_files.remove(&p)));
        }
        // Each module's own scope: tfvars, else defaults.
        modules.par_iter_mut().for_each(|(_, m)| {
            let mut vars: HashMap<String, Binding> = HashMap::new();
            for (k, v) in m.decls.defaults.iter().chain(&m.decls.tfvars) {
                vars.insert(
                    k.clone(),
                    Binding::Known {
                        value: v.clone(),
                        arg: None,
                    },
                );
            }
            m.own = Scope::build(&m.decls, vars);
        });
        // Calls between modules of the scan, in a stable order.
        let mut calls: Vec<Call> = modules
            .values()
            .flat_map(|m| m.decls.calls.iter().cloned())
            .filter(|c| modules.contains_key(&c.target))
            .collect();
        calls.sort_by(|a, b| (&a.file, &a.pointer).cmp(&(&b.file, &b.pointer)));
        let instances = instantiate(&modules, &calls);
        let mut evaluated = HashMap::new();
        let mut instances_by_file: HashMap<PathBuf, Vec<usize>> = HashMap::new();
        for (i, inst) in instances.iter().enumerate() {
            if let Some(m) = modules.get_mut(&inst.module) {
                m.instances.push(i);
                for f in 0..m.files.len() {
                    evaluated.insert((i, f), OnceLock::new());
                }
            }
            let mut files: Vec<&PathBuf> = inst
                .chain
                .iter()
                .filter_map(|c| calls.get(*c).map(|c| &c.file))
                .collect();
            files.dedup();
            for f in files {
                instances_by_file.entry(f.clone()).or_default().push(i);
            }
        }
        for m in modules.values_mut() {
            if m.instances.is_empty() {
                m.files.clear();
            } else {
                m.common = (0..m.files.len()).map(|_| OnceLock::new()).collect();
            }
            // The scopes are built: of the declarations only the calls are read from here on
            // (`call_targets`), and the rest is as large as the module's resources.
            m.decls = Decls {
                calls: std::mem::take(&mut m.decls.calls),
                ..Decls::default()
            };
        }
        for v in instances_by_file.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        Self {
            modules,
            calls,
            instances,
            instances_by_file,
            evaluated,
        }
    }

    /// Directories of the local modules that the indexed files call (whether indexed or not):
    /// what a scan of single files adds to the index so that call sites see their modules.
    pub fn call_targets(&self) -> Vec<PathBuf> {
        let mut t: Vec<PathBuf> = self
            .modules
            .values()
            .flat_map(|m| m.decls.calls.iter().map(|c| c.target.clone()))
            .collect();
        t.sort();
        t.dedup();
        t
    }

    /// The module a file belongs to.
    pub fn module_for(&self, file: &Path) -> Option<&Module> {
        self.modules
            .get(&normalize(file.parent().unwrap_or(Path::new(""))))
    }

    /// Evaluate one Terraform document in its module context: its own findings (per instance of
    /// its module when other modules call it), and the findings of the module instances this
    /// file's calls create that are this file's to report.
    pub fn evaluate(
        &self,
        fs_path: &Path,
        mut doc: Document,
        source: &str,
        lines: &LineIndex,
        eval: &mut EvalFn<'_>,
    ) -> Vec<Finding> {
        let dir = normalize(fs_path.parent().unwrap_or(Path::new("")));
        let Some(module) = self.modules.get(&dir) else {
            return eval(&doc, source, lines);
        };
        let mut out = Vec::new();
        let file = module.files.iter().position(|f| f.fs_path == fs_path);
        match file {
            Some(fi) if doc.index == 0 && !module.instances.is_empty() => {
                // The module's own findings: in every instance, whatever its arguments.
                let common = self.common(module, fi, eval);
                if let Some(ev) = module
                    .instances
                    .first()
                    .and_then(|i| self.evaluated_in(*i, fi, eval))
                {
                    out.extend(
                        ev.findings
                            .iter()
                            .filter(|(f, a)| a.is_none() && common.contains(&key_of(f)))
                            .map(|(f, _)| f.clone()),
                    );
                }
            }
            _ => {
                let mut input = std::mem::take(&mut doc.input);
                module.own.enrich(&mut input);
                doc.input = input;
                out.extend(eval(&doc, source, lines));
            }
        }
        if doc.index != 0 {
            return out;
        }
        let mine: HashSet<usize> = self
            .calls
            .iter()
            .enumerate()
            .filter(|(_, c)| c.file == fs_path)
            .map(|(i, _)| i)
            .collect();
        let mut seen = HashSet::new();
        for &ii in self.instances_by_file.get(fs_path).into_iter().flatten() {
            let Some(inst) = self.instances.get(ii) else {
                continue;
            };
            let Some(target) = self.modules.get(&inst.module) else {
                continue;
            };
            for fi in 0..target.files.len() {
                let Some(ev) = self.evaluated_in(ii, fi, eval) else {
                    continue;
                };
                let common = self.common(target, fi, eval);
                for (f, attributed) in &ev.findings {
                    // Caused by an argument written here: at the argument. Present in some
                    // instances only, with no argument involved: at the call that creates this
                    // instance, when it is written here. Otherwise: not this file's.
                    let (call, pointer) = match attributed {
                        Some((origin, rest)) if mine.contains(&origin.call) => {
                            let Some(c) = self.calls.get(origin.call) else {
                                continue;
                            };
                            (
                                origin.call,
                                format!("{}{rest}", push_token(&c.pointer, &origin.arg)),
                            )
                        }
                        None => match inst.chain.last() {
                            Some(&last) if mine.contains(&last) && !common.contains(&key_of(f)) => {
                                let Some(c) = self.calls.get(last) else {
                                    continue;
                                };
                                (last, c.pointer.clone())
                            }
                            _ => continue,
                        },
                        Some(_) => continue,
                    };
                    let address = self.address(&inst.chain, call);
                    let message = format!("{address} ({}): {}", f.path, f.message);
                    if !seen.insert((f.rule_id.clone(), pointer.clone(), message.clone())) {
                        continue;
                    }
                    let mut g = f.clone();
                    g.message = message;
                    g.path.clone_from(&doc.path);
                    g.span = doc.span_of(&pointer);
                    g.pointer = Some(pointer);
                    out.push(g);
                }
            }
        }
        out
    }

    /// `module.a.module.b`: the chain of module calls from `from` to the end.
    fn address(&self, chain: &[usize], from: usize) -> String {
        let start = chain.iter().position(|c| *c == from).unwrap_or(0);
        chain
            .get(start..)
            .unwrap_or_default()
            .iter()
            .filter_map(|c| self.calls.get(*c))
            .map(|c| format!("module.{}", c.name))
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The unattributed findings file `fi` of `module` has in every instance of the module.
    fn common<'s>(
        &'s self,
        module: &'s Module,
        fi: usize,
        eval: &mut EvalFn<'_>,
    ) -> &'s HashSet<FindingKey> {
        static EMPTY: OnceLock<HashSet<FindingKey>> = OnceLock::new();
        let Some(slot) = module.common.get(fi) else {
            return EMPTY.get_or_init(HashSet::new);
        };
        if let Some(c) = slot.get() {
            return c;
        }
        let mut common: Option<HashSet<FindingKey>> = None;
        for &ii in &module.instances {
            let keys: HashSet<FindingKey> = self
                .evaluated_in(ii, fi, eval)
                .map(|ev| {
                    ev.findings
                        .iter()
                        .filter(|(_, a)| a.is_none())
                        .map(|(f, _)| key_of(f))
                        .collect()
                })
                .unwrap_or_default();
            common = Some(match common {
                None => keys,
                Some(c) => c.intersection(&keys).cloned().collect(),
            });
        }
        slot.get_or_init(|| common.unwrap_or_default())
    }

    /// File `fi` of instance `ii`'s module, evaluated in the instance's scope (once).
    fn evaluated_in(&self, ii: usize, fi: usize, eval: &mut EvalFn<'_>) -> Option<&Evaluated> {
        let slot = self.evaluated.get(&(ii, fi))?;
        let inst = self.instances.get(ii)?;
        let file = self.modules.get(&inst.module)?.files.get(fi)?;
        Some(slot.get_or_init(|| {
            let mut input = file.value.clone();
            let provenance = inst.scope.enrich(&mut input);
            let doc = Document {
                path: file.display.clone(),
                kind: Kind::Terraform,
                index: 0,
                input,
                spans: file.spans.clone(),
            };
            let findings = eval(&doc, &file.source, &file.lines)
                .into_iter()
                .map(|f| {
                    let a = f.pointer.as_deref().and_then(|p| attribute(p, &provenance));
                    (f, a)
                })
                .collect();
            Evaluated { findings }
        }))
    }
}

/// Every instance of every called module: from each root module (one nobody in the scan calls),
/// follow its calls, evaluating each call's arguments in the calling instance's scope.
fn instantiate(modules: &HashMap<PathBuf, Module>, calls: &[Call]) -> Vec<Instance> {
    let called: HashSet<&PathBuf> = calls.iter().map(|c| &c.target).collect();
    let mut roots: Vec<&PathBuf> = modules.keys().filter(|d| !called.contains(d)).collect();
    roots.sort();
    let mut by_caller: HashMap<&PathBuf, Vec<usize>> = HashMap::new();
    for (i, c) in calls.iter().enumerate() {
        by_caller.entry(&c.dir).or_default().push(i);
    }
    let mut instances: Vec<Instance> = Vec::new();
    // (module, chain, scope) of the instances whose calls are followed next; roots use their
    // own scope.
    let mut frontier: Vec<(PathBuf, Vec<usize>, Option<usize>)> = roots
        .into_iter()
        .map(|d| (d.clone(), Vec::new(), None))
        .collect();
    for _ in 0..MAX_NESTING {
        let next: Vec<Instance> = frontier
            .par_iter()
            .flat_map_iter(|(dir, chain, inst)| {
                let caller_scope = match inst {
                    Some(i) => instances.get(*i).map(|x| &x.scope),
                    None => modules.get(dir).map(|m| &m.own),
                };
                let found: Vec<Instance> = caller_scope
                    .map(|scope| {
                        by_caller
                            .get(dir)
                            .into_iter()
                            .flatten()
                            .filter(|c| !chain.contains(c))
                            .filter_map(|&ci| {
                                let call = calls.get(ci)?;
                                let target = modules.get(&call.target)?;
                                let scope = call_scope(ci, call, scope, target)?;
                                let mut chain = chain.clone();
                                chain.push(ci);
                                Some(Instance {
                                    module: call.target.clone(),
                                    chain,
                                    scope,
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                found
            })
            .collect();
        if next.is_empty() {
            break;
        }
        frontier.clear();
        for inst in next {
            if instances.len() >= MAX_INSTANCES {
                break;
            }
            frontier.push((
                inst.module.clone(),
                inst.chain.clone(),
                Some(instances.len()),
            ));
            instances.push(inst);
        }
    }
    instances
}

/// The argument responsible for the value at `pointer`: the deepest recorded substitution at or
/// above it, and the rest of the pointer below that substitution.
fn attribute(pointer: &str, provenance: &[(String, Origin)]) -> Option<(Origin, String)> {
    provenance
        .iter()
        .filter(|(p, _)| {
            pointer == p || (pointer.starts_with(p.as_str()) && pointer[p.len()..].starts_with('/'))
        })
        .max_by_key(|(p, _)| p.len())
        .map(|(p, a)| (a.clone(), pointer[p.len()..].to_owned()))
}

/// The scope of a module for call `ci`: its arguments evaluated in the calling instance's
/// scope. A value that came from an argument of an outer call keeps that outer origin.
fn call_scope(ci: usize, call: &Call, caller: &Scope, target: &Module) -> Option<Scope> {
    let mut env = Env::new(&caller.vars, &caller.locals);
    // A call that creates no instance evaluates nothing.
    for (key, meta) in [("count", &call.count), ("for_each", &call.for_each)] {
        if let Some(v) = meta {
            let mut body = Map::new();
            body.insert(key.to_owned(), env.resolve(v.clone()));
            env.take_used();
            if !exists(&body) {
                return None;
            }
        }
    }
    let mut vars: HashMap<String, Binding> = target
        .decls
        .defaults
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                Binding::Known {
                    value: v.clone(),
                    arg: None,
                },
            )
        })
        .collect();
    for (name, raw) in &call.args {
        let v = env.resolve(raw.clone());
        let origin = env.take_used().into_iter().next().unwrap_or(Origin {
            call: ci,
            arg: name.clone(),
        });
        let binding = match v {
            Value::String(s) if s.contains("${") => Binding::Unknown,
            v => Binding::Known {
                value: opaque_leaves(v),
                arg: Some(origin),
            },
        };
        vars.insert(name.clone(), binding);
    }
    Some(Scope::build(&target.decls, vars))
}

/// Strings of the caller's scope that stayed expressions cannot be read in the callee's.
fn opaque_leaves(v: Value) -> Value {
    match v {
        Value::String(s) if s.contains("${") => {
            let inner = s.replace("${", "").replace('}', "");
            Value::String(format!("${{caller: {inner}}}"))
        }
        Value::Array(a) => Value::Array(a.into_iter().map(opaque_leaves).collect()),
        Value::Object(m) => {
            Value::Object(m.into_iter().map(|(k, x)| (k, opaque_leaves(x))).collect())
        }
        other => other,
    }
}

/// `a/./b/../c` → `a/c`, lexically (module sources are relative paths).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A sibling's body in the shape of the v3 inline block it replaces, with its provenance
/// moved to match.
fn merged_value(key: &'static str, mut body: Map<String, Value>, provenance: Provenance) -> Merged {
    let (value, provenance) = match key {
        "versioning" => {
            let status = body.get("versioning_configuration").and_then(|v| {
                each_object(v)
                    .first()
                    .and_then(|c| c.get("status"))
                    .cloned()
            });
            let enabled = status
                .as_ref()
                .and_then(Value::as_str)
                .filter(|s| !s.contains("${"))
                .map_or_else(
                    || status.clone().unwrap_or(Value::Null),
                    |st| Value::Bool(st == "Enabled"),
                );
            let mut m = Map::new();
            m.insert("enabled".into(), enabled);
            if let Some(st) = status {
                m.insert("status".into(), st);
            }
            let moved = provenance
                .into_iter()
                .filter(|(p, _)| p.starts_with("/versioning_configuration"))
                .flat_map(|(_, a)| {
                    [
                        ("/enabled".to_owned(), a.clone()),
                        ("/status".to_owned(), a),
                    ]
                })
                .collect();
            (Value::Object(m), moved)
        }
        "acl" | "policy" => {
            let prefix = format!("/{key}");
            let moved = provenance
                .into_iter()
                .filter(|(p, _)| p.starts_with(&prefix))
                .map(|(p, a)| (p[prefix.len()..].to_owned(), a))
                .collect();
            (body.remove(key).unwrap_or(Value::Null), moved)
        }
        _ => {
            body.remove("bucket");
            let moved = provenance
                .into_iter()
                .filter(|(p, _)| !p.starts_with("/bucket"))
                .collect();
            (Value::Object(body), moved)
        }
    };
    Merged {
        key,
        value,
        provenance,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<Candidate>) {
        let dir = tempfile::tempdir().unwrap();
        let mut cands = Vec::new();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            cands.push(Candidate {
                fs_path: p,
                display: (*name).to_owned(),
                size: text.len() as u64,
                named: false,
            });
        }
        (dir, cands)
    }

    fn module(files: &[(&str, &str)]) -> (tempfile::TempDir, ModuleIndex, Vec<Candidate>) {
        let (d, cands) = write(files);
        let idx = ModuleIndex::build(&cands, &Limits::default());
        (d, idx, cands)
    }

    fn parsed(c: &Candidate) -> parse::ParsedDoc {
        let src = std::fs::read_to_string(&c.fs_path).unwrap();
        parse::parse(Syntax::Hcl, &src, &Limits::default())
            .unwrap()
            .docs
            .remove(0)
    }

    fn enriched(idx: &ModuleIndex, c: &Candidate) -> Value {
        let mut v = parsed(c).value;
        idx.module_for(&c.fs_path).unwrap().own.enrich(&mut v);
        v
    }

    /// The "policies" here: one finding per `storage_encrypted` that is known and not true (at
    /// the attribute), and one per cluster (at the resource).
    fn fake_eval(doc: &Document, _src: &str, _l: &LineIndex) -> Vec<Finding> {
        let mut out = Vec::new();
        if let Some(dbs) = doc
            .input
            .pointer("/resource/aws_rds_cluster")
            .and_then(Value::as_object)
        {
            for (name, db) in dbs {
                let v = db.get("storage_encrypted");
                let unknown = v.and_then(Value::as_str).is_some_and(|s| s.contains("${"));
                if v != Some(&Value::Bool(true)) && !unknown {
                    let mut f = Finding::new(
                        "T1",
                        crate::finding::Severity::High,
                        format!("{name} unencrypted"),
                        &doc.path,
                    );
                    let p = format!("/resource/aws_rds_cluster/{name}/storage_encrypted");
                    f.span = doc.span_of(&p);
                    f.pointer = Some(p);
                    out.push(f);
                }
                let mut g = Finding::new(
                    "T2",
                    crate::finding::Severity::Low,
                    format!("{name} exists"),
                    &doc.path,
                );
                g.pointer = Some(format!("/resource/aws_rds_cluster/{name}"));
                out.push(g);
            }
        }
        out
    }

    fn evaluate(idx: &ModuleIndex, c: &Candidate) -> Vec<Finding> {
        let src = std::fs::read_to_string(&c.fs_path).unwrap();
        let d = parsed(c);
        let doc = Document {
            path: c.display.clone(),
            kind: Kind::Terraform,
            index: 0,
            input: d.value,
            spans: d.spans,
        };
        idx.evaluate(&c.fs_path, doc, &src, &LineIndex::new(&src), &mut fake_eval)
    }

    #[test]
    fn siblings_in_other_files_are_merged() {
        let (_d, idx, c) = module(&[
            ("buckets.tf", "resource \"aws_s3_bucket\" \"raw\" {\n  bucket = \"${var.prefix}-raw\"\n}\n"),
            (
                "encryption.tf",
                "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"raw\" {\n  bucket = aws_s3_bucket.raw.id\n  rule {\n    apply_server_side_encryption_by_default {\n      sse_algorithm = \"aws:kms\"\n      kms_master_key_id = var.kms_key\n    }\n  }\n}\n\
                 resource \"aws_s3_bucket_versioning\" \"raw\" {\n  bucket = aws_s3_bucket.raw.id\n  versioning_configuration { status = \"Enabled\" }\n}\n",
            ),
            ("variables.tf", "variable \"prefix\" { default = \"acme\" }\nvariable \"kms_key\" { default = \"arn:aws:kms:eu-west-1:1:key/x\" }\n"),
            ("terraform.tfvars", "prefix = \"globex\"\n"),
        ]);
        let v = enriched(&idx, &c[0]);
        let b = &v["resource"]["aws_s3_bucket"]["raw"];
        assert_eq!(
            b["bucket"], "globex-raw",
            "tfvars override variable defaults"
        );
        assert_eq!(
            b["server_side_encryption_configuration"]["rule"]
                ["apply_server_side_encryption_by_default"]["sse_algorithm"],
            "aws:kms"
        );
        assert_eq!(
            b["server_side_encryption_configuration"]["rule"]
                ["apply_server_side_encryption_by_default"]["kms_master_key_id"],
            "arn:aws:kms:eu-west-1:1:key/x"
        );
        assert_eq!(b["versioning"]["enabled"], true);
    }

    #[test]
    fn literal_bucket_names_and_locals_link_too() {
        let (_d, idx, c) = module(&[
            ("main.tf", "locals {\n  name = \"${var.team}-logs\"\n}\nvariable \"team\" { default = \"data\" }\nresource \"aws_s3_bucket\" \"logs\" {\n  bucket = local.name\n}\n"),
            ("pab.tf", "resource \"aws_s3_bucket_public_access_block\" \"logs\" {\n  bucket = \"data-logs\"\n  block_public_acls = true\n}\n"),
        ]);
        let v = enriched(&idx, &c[0]);
        let b = &v["resource"]["aws_s3_bucket"]["logs"];
        assert_eq!(b["bucket"], "data-logs");
        assert_eq!(b["public_access_block"]["block_public_acls"], true);
    }

    #[test]
    fn conditional_and_indexed_bucket_references_link() {
        let (_d, idx, c) = module(&[(
            "main.tf",
            "variable \"create\" {}\n\
             resource \"aws_s3_bucket\" \"this\" {\n  count  = var.create ? 1 : 0\n  bucket = \"acme\"\n}\n\
             resource \"aws_s3_bucket_server_side_encryption_configuration\" \"this\" {\n  bucket = var.create ? aws_s3_bucket.this[0].id : \"\"\n  rule {\n    apply_server_side_encryption_by_default { sse_algorithm = \"AES256\" }\n  }\n}\n\
             resource \"aws_s3_bucket_versioning\" \"this\" {\n  bucket = try(aws_s3_bucket.this[0].bucket, null)\n  versioning_configuration { status = \"Enabled\" }\n}\n\
             resource \"aws_s3_bucket_logging\" \"this\" {\n  bucket = one(aws_s3_bucket.this[*].id)\n  target_bucket = \"logs\"\n}\n",
        )]);
        let v = enriched(&idx, &c[0]);
        let b = &v["resource"]["aws_s3_bucket"]["this"];
        assert!(b["server_side_encryption_configuration"].is_object(), "{b}");
        assert_eq!(b["versioning"]["enabled"], true);
        assert_eq!(b["logging"]["target_bucket"], "logs");
    }

    #[test]
    fn resources_that_do_not_exist_are_dropped_and_dynamic_blocks_expand() {
        let (_d, idx, c) = module(&[(
            "main.tf",
            "variable \"enabled\" { default = false }\n\
             variable \"rules\" {\n  default = [{ alg = \"aws:kms\" }, { alg = \"AES256\" }]\n}\n\
             resource \"aws_kms_key\" \"k\" {\n  count = var.enabled ? 1 : 0\n}\n\
             resource \"aws_thing\" \"t\" {\n  dynamic \"rule\" {\n    for_each = var.rules\n    content {\n      algorithm = rule.value.alg\n    }\n  }\n  dynamic \"unknown\" {\n    for_each = aws_x.y.list\n    iterator = it\n    content {\n      v = it.value\n    }\n  }\n  dynamic \"none\" {\n    for_each = []\n    content {}\n  }\n}\n",
        )]);
        let v = enriched(&idx, &c[0]);
        assert!(v["resource"]["aws_kms_key"].get("k").is_none());
        let t = &v["resource"]["aws_thing"]["t"];
        assert_eq!(t["rule"][0]["algorithm"], "aws:kms");
        assert_eq!(t["rule"][1]["algorithm"], "AES256");
        assert_eq!(t["unknown"]["v"], "${it.value}");
        assert!(t.get("none").is_none() && t.get("dynamic").is_none(), "{t}");
    }

    #[test]
    fn nested_dynamic_blocks_expand_within_a_budget() {
        // 64 × 64 × 64 nested instances would be 262,144 blocks: the budget stops it.
        let list: Vec<String> = (0..64).map(|i| i.to_string()).collect();
        let list = format!("[{}]", list.join(", "));
        let text = format!(
            "variable \"l\" {{ default = {list} }}\n\
             resource \"t\" \"x\" {{\n  dynamic \"a\" {{\n    for_each = var.l\n    content {{\n      dynamic \"b\" {{\n        for_each = var.l\n        content {{\n          dynamic \"c\" {{\n            for_each = var.l\n            content {{ v = c.value }}\n          }}\n        }}\n      }}\n    }}\n  }}\n}}\n"
        );
        let (_d, idx, c) = module(&[("main.tf", &text)]);
        let v = enriched(&idx, &c[0]);
        let blocks = v.to_string().matches("\"v\"").count();
        assert!(blocks <= MAX_DYNAMIC_PER_DOCUMENT, "{blocks} blocks");
        assert!(v["resource"]["t"]["x"]["a"].is_array());
    }

    #[test]
    fn null_defaults_and_unresolved_expressions_are_kept_as_such() {
        let (_d, idx, c) = module(&[(
            "main.tf",
            "variable \"bucket\" { default = null }\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = var.bucket\n  tags   = merge(var.tags, { Name = \"x\" })\n}\n",
        )]);
        let v = enriched(&idx, &c[0]);
        let b = &v["resource"]["aws_s3_bucket"]["b"];
        assert_eq!(b["bucket"], Value::Null);
        assert_eq!(b["tags"], "${merge(var.tags, { Name = \"x\" })}");
    }

    #[test]
    fn a_local_module_is_evaluated_per_call_site_with_findings_at_the_callers_argument() {
        let (_d, idx, c) = module(&[
            (
                "main.tf",
                "module \"a\" {\n  source            = \"./modules/db\"\n  storage_encrypted = false\n}\n\
                 module \"b\" {\n  source = \"./modules/db\"\n}\n\
                 module \"c\" {\n  source            = \"./modules/db\"\n  storage_encrypted = var.enc\n}\n\
                 module \"d\" {\n  source            = \"./modules/db\"\n  storage_encrypted = local.off\n}\n\
                 module \"e\" {\n  source            = \"./modules/db\"\n  count             = 0\n  storage_encrypted = false\n}\n\
                 locals {\n  off = false\n}\n",
            ),
            (
                "modules/db/main.tf",
                "variable \"storage_encrypted\" { default = true }\nresource \"aws_rds_cluster\" \"this\" {\n  storage_encrypted = var.storage_encrypted\n}\n",
            ),
        ]);
        let caller = evaluate(&idx, &c[0]);
        let lines: Vec<(String, String)> = caller
            .iter()
            .map(|f| {
                let s = f.span.unwrap();
                let src = std::fs::read_to_string(&c[0].fs_path).unwrap();
                (f.message.clone(), src[s.range()].to_owned())
            })
            .collect();
        assert_eq!(
            lines,
            vec![
                (
                    "module.a (modules/db/main.tf): this unencrypted".to_owned(),
                    "false".to_owned()
                ),
                (
                    "module.d (modules/db/main.tf): this unencrypted".to_owned(),
                    "local.off".to_owned()
                ),
            ],
            "one finding per call passing false, at its argument; the unknown var.enc is not one"
        );
        assert!(caller.iter().all(|f| f.path == "main.tf"));
        // The module's own file: the finding that does not depend on arguments, once.
        let own = evaluate(&idx, &c[1]);
        let msgs: Vec<&str> = own.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(msgs, vec!["this exists"]);
    }

    #[test]
    fn a_finding_only_some_calls_have_is_reported_at_those_calls() {
        let (_d, idx, c) = module(&[
            (
                "main.tf",
                "module \"on\" {\n  source  = \"./db\"\n  encrypt = true\n}\n\
                 module \"default\" {\n  source = \"./db\"\n}\n",
            ),
            (
                "db/main.tf",
                "variable \"encrypt\" { default = false }\nresource \"aws_rds_cluster\" \"this\" {\n  storage_encrypted = var.encrypt\n}\n",
            ),
        ]);
        let src = std::fs::read_to_string(&c[0].fs_path).unwrap();
        let caller = evaluate(&idx, &c[0]);
        let at: Vec<(String, usize)> = caller
            .iter()
            .map(|f| {
                let s = f.span.unwrap();
                (f.message.clone(), src[..s.start].lines().count() + 1)
            })
            .collect();
        assert_eq!(
            at,
            vec![(
                "module.default (db/main.tf): this unencrypted".to_owned(),
                5
            )],
            "the default applies to the call that passes nothing: at its module block"
        );
        let own: Vec<String> = evaluate(&idx, &c[1])
            .into_iter()
            .map(|f| f.message)
            .collect();
        assert_eq!(own, vec!["this exists"]);
    }

    #[test]
    fn arguments_flow_through_nested_modules_to_the_outermost_caller() {
        // example → wrapper module → inner module: the finding is the example's argument's.
        let (_d, idx, c) = module(&[
            (
                "examples/complete/main.tf",
                "module \"db\" {\n  source            = \"../../\"\n  storage_encrypted = false\n}\n\
                 module \"db_default\" {\n  source = \"../../\"\n}\n",
            ),
            (
                "main.tf",
                "variable \"storage_encrypted\" { default = true }\n\
                 module \"db_instance\" {\n  source            = \"./modules/db_instance\"\n  storage_encrypted = var.storage_encrypted\n}\n",
            ),
            (
                "modules/db_instance/main.tf",
                "variable \"storage_encrypted\" { default = true }\nresource \"aws_rds_cluster\" \"this\" {\n  storage_encrypted = var.storage_encrypted\n}\n",
            ),
        ]);
        let src = std::fs::read_to_string(&c[0].fs_path).unwrap();
        let example = evaluate(&idx, &c[0]);
        let at: Vec<(String, String)> = example
            .iter()
            .map(|f| (f.message.clone(), src[f.span.unwrap().range()].to_owned()))
            .collect();
        assert_eq!(
            at,
            vec![(
                "module.db.module.db_instance (modules/db_instance/main.tf): this unencrypted"
                    .to_owned(),
                "false".to_owned()
            )]
        );
        // Nothing is the wrapper's to report, and the inner module's own finding is reported once.
        assert!(evaluate(&idx, &c[1]).is_empty());
        let inner: Vec<String> = evaluate(&idx, &c[2])
            .into_iter()
            .map(|f| f.message)
            .collect();
        assert_eq!(inner, vec!["this exists"]);
    }

    #[test]
    fn bodies_in_a_list_are_merged_too() {
        let (_d, idx, c) = module(&[(
            "main.tf",
            "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"one\"\n}\n\
             resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"two\"\n}\n\
             resource \"aws_s3_bucket_versioning\" \"b\" {\n  bucket = aws_s3_bucket.b.id\n  versioning_configuration { status = \"Enabled\" }\n}\n",
        )]);
        let v = enriched(&idx, &c[0]);
        let b = &v["resource"]["aws_s3_bucket"]["b"];
        assert_eq!(b[0]["versioning"]["enabled"], true);
        assert_eq!(b[1]["versioning"]["enabled"], true);
    }

    #[test]
    fn attribution_takes_the_deepest_substitution_and_keeps_the_rest() {
        let o = |arg: &str| Origin {
            call: 0,
            arg: arg.to_owned(),
        };
        let prov = vec![
            ("/resource/t/x/tags".to_owned(), o("tags")),
            ("/resource/t/x/tags/Name".to_owned(), o("name")),
            ("/resource/t/x/size".to_owned(), o("size")),
        ];
        assert_eq!(
            attribute("/resource/t/x/tags/Owner", &prov),
            Some((o("tags"), "/Owner".to_owned()))
        );
        assert_eq!(
            attribute("/resource/t/x/tags/Name", &prov),
            Some((o("name"), String::new()))
        );
        assert_eq!(attribute("/resource/t/x/sizes", &prov), None);
        assert_eq!(attribute("/resource/t/x", &prov), None);
    }

    #[test]
    fn inline_blocks_win_and_unknown_references_stay() {
        let (_d, idx, c) = module(&[(
            "main.tf",
            "resource \"aws_s3_bucket\" \"b\" {\n  bucket = var.unknown\n  versioning { enabled = false }\n}\n\
             resource \"aws_s3_bucket_versioning\" \"b\" {\n  bucket = aws_s3_bucket.b.id\n  versioning_configuration { status = \"Enabled\" }\n}\n",
        )]);
        let v = enriched(&idx, &c[0]);
        let b = &v["resource"]["aws_s3_bucket"]["b"];
        assert_eq!(b["bucket"], "${var.unknown}");
        assert_eq!(b["versioning"]["enabled"], false);
    }
}
