//! Terraform module context: what one file cannot see on its own.
//!
//! A Terraform module is a directory. Before policies run on a `.tf` file, this module:
//! - resolves what is static: variable defaults, overridden by the auto-loaded `terraform.tfvars`
//!   and `*.auto.tfvars`, then `locals`, substituted into `"${var.x}"` / `"${local.y}"`
//!   references and into string interpolations;
//! - merges the AWS provider v4+ sibling resources (`aws_s3_bucket_versioning`,
//!   `…_server_side_encryption_configuration`, `…_public_access_block`, `…_logging`,
//!   `…_object_lock_configuration`, `…_acl`, `…_policy`) into the `aws_s3_bucket` they configure,
//!   wherever in the module they are declared, in the shape of the provider v3 inline blocks — so
//!   one rule covers both provider styles.
//!
//! Spans are untouched: a merged value has none of its own, so findings about it point at the
//! bucket. Facts are gathered in one parallel pre-pass over the module's `.tf`/`.tfvars` files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use rayon::prelude::*;
use regex::Regex;
use serde_json::{Map, Value};

use crate::discover::Candidate;
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

static BUCKET_REF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\$\{aws_s3_bucket\.([A-Za-z0-9_\-]+)(?:\[[^\]]*\])?\.(?:id|bucket)\}$")
        .expect("static regex")
});
static REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\{(var|local)\.([A-Za-z0-9_\-]+)\}").expect("static regex"));

#[derive(Debug, Clone)]
enum Target {
    Resource(String),
    Name(String),
}

#[derive(Debug, Clone)]
struct Sibling {
    key: &'static str,
    target: Target,
    body: Value,
}

/// A call of a local module: its directory and the call's arguments.
type ModuleCall = (PathBuf, Map<String, Value>);

/// What a module's files declare, merged.
#[derive(Debug, Default, Clone)]
pub struct Module {
    vars: Map<String, Value>,
    tfvars: Map<String, Value>,
    locals: Map<String, Value>,
    siblings: Vec<Sibling>,
    /// `aws_s3_account_public_access_block`: applies to every bucket of the account.
    account_pab: Option<Value>,
    /// `target_bucket` of every access-logging configuration (reference or name).
    log_targets: Vec<String>,
    /// Calls of local modules: (module directory, the call's arguments).
    calls: Vec<ModuleCall>,
}

/// Modules by directory.
#[derive(Debug, Default)]
pub struct ModuleIndex {
    modules: HashMap<PathBuf, Module>,
}

fn is_tf(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    // Lowercased above; the suffix checks are case-insensitive.
    #[allow(clippy::case_sensitive_file_extension_comparisons)]
    let tf = name.ends_with(".tf") || name.ends_with(".tf.json");
    tf
}

fn is_auto_tfvars(p: &Path) -> bool {
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

fn facts(path: &Path, limits: &Limits) -> Option<(PathBuf, Module)> {
    let source = std::fs::read_to_string(path).ok()?;
    let syntax = if path.to_string_lossy().ends_with(".json") {
        Syntax::Json
    } else {
        Syntax::Hcl
    };
    let parsed = parse::parse(syntax, &source, limits)?;
    let doc = parsed.docs.into_iter().next()?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut m = Module::default();
    if is_auto_tfvars(path) {
        if let Value::Object(vars) = doc.value {
            m.tfvars = vars;
        }
        return Some((dir, m));
    }
    if let Some(vars) = doc.value.get("variable").and_then(Value::as_object) {
        for (name, body) in vars {
            if let Some(default) = each_object(body).first().and_then(|b| b.get("default")) {
                m.vars.insert(name.clone(), default.clone());
            }
        }
    }
    // `module "x" { source = "./modules/x" … }`: remember the call and its arguments.
    if let Some(modules) = doc.value.get("module").and_then(Value::as_object) {
        for body in modules.values().flat_map(each_object) {
            let Some(source) = body.get("source").and_then(Value::as_str) else {
                continue;
            };
            if !(source.starts_with("./") || source.starts_with("../")) {
                continue;
            }
            let mut args = body.clone();
            for meta in [
                "source",
                "version",
                "providers",
                "count",
                "for_each",
                "depends_on",
            ] {
                args.remove(meta);
            }
            m.calls.push((normalize(&dir.join(source)), args));
        }
    }
    if let Some(locals) = doc.value.get("locals") {
        for block in each_object(locals) {
            m.locals.extend(block.clone());
        }
    }
    if let Some(resources) = doc.value.get("resource").and_then(Value::as_object) {
        if let Some(account) = resources
            .get("aws_s3_account_public_access_block")
            .and_then(Value::as_object)
        {
            m.account_pab = account
                .values()
                .flat_map(each_object)
                .next()
                .map(|b| Value::Object(b.clone()));
        }
        if let Some(buckets) = resources.get("aws_s3_bucket").and_then(Value::as_object) {
            for body in buckets.values().flat_map(each_object) {
                for l in body.get("logging").map(each_object).unwrap_or_default() {
                    if let Some(t) = l.get("target_bucket").and_then(Value::as_str) {
                        m.log_targets.push(t.to_owned());
                    }
                }
            }
        }
        if let Some(logging) = resources
            .get("aws_s3_bucket_logging")
            .and_then(Value::as_object)
        {
            for body in logging.values().flat_map(each_object) {
                if let Some(t) = body.get("target_bucket").and_then(Value::as_str) {
                    m.log_targets.push(t.to_owned());
                }
            }
        }
        for (ty, key) in SIBLINGS {
            let Some(instances) = resources.get(*ty).and_then(Value::as_object) else {
                continue;
            };
            for body in instances.values().flat_map(each_object) {
                let Some(bucket) = body.get("bucket").and_then(Value::as_str) else {
                    continue;
                };
                let target = match BUCKET_REF.captures(bucket) {
                    Some(c) => Target::Resource(c[1].to_owned()),
                    None => Target::Name(bucket.to_owned()),
                };
                m.siblings.push(Sibling {
                    key,
                    target,
                    body: Value::Object(body.clone()),
                });
            }
        }
    }
    Some((dir, m))
}

impl ModuleIndex {
    /// Gather facts from every Terraform file among `files`.
    pub fn build(files: &[Candidate], limits: &Limits) -> Self {
        let per_file: Vec<(PathBuf, Module)> = files
            .par_iter()
            .filter(|c| is_tf(&c.fs_path) || is_auto_tfvars(&c.fs_path))
            .filter_map(|c| facts(&c.fs_path, limits))
            .collect();
        let mut modules: HashMap<PathBuf, Module> = HashMap::new();
        for (dir, m) in per_file {
            let e = modules.entry(normalize(&dir)).or_default();
            e.vars.extend(m.vars);
            e.tfvars.extend(m.tfvars);
            e.locals.extend(m.locals);
            e.siblings.extend(m.siblings);
            e.account_pab = e.account_pab.take().or(m.account_pab);
            e.log_targets.extend(m.log_targets);
            e.calls.extend(m.calls);
        }
        // A local module called from exactly one place is evaluated with that call's static
        // arguments, as Terraform would (several callers: its own defaults, as written).
        let mut callers: HashMap<PathBuf, Vec<ModuleCall>> = HashMap::new();
        for (dir, m) in &modules {
            for (target, args) in &m.calls {
                callers
                    .entry(target.clone())
                    .or_default()
                    .push((dir.clone(), args.clone()));
            }
        }
        for (target, calls) in callers {
            let [(caller_dir, args)] = calls.as_slice() else {
                continue;
            };
            let Some(caller) = modules.get(caller_dir).cloned() else {
                continue;
            };
            let Some(module) = modules.get_mut(&target) else {
                continue;
            };
            for (name, value) in args {
                let mut v = value.clone();
                caller.substitute(&mut v, 0);
                if !v.as_str().is_some_and(|s| s.contains("${")) {
                    module.tfvars.insert(name.clone(), v);
                }
            }
        }
        for m in modules.values_mut() {
            m.resolve_locals();
        }
        Self { modules }
    }

    pub fn module_for(&self, file: &Path) -> Option<&Module> {
        self.modules
            .get(&normalize(file.parent().unwrap_or(Path::new(""))))
    }
}

impl Module {
    fn value_of(&self, kind: &str, name: &str) -> Option<&Value> {
        match kind {
            "var" => self.tfvars.get(name).or_else(|| self.vars.get(name)),
            _ => self.locals.get(name),
        }
    }

    /// Locals may refer to variables and to each other: resolve a few rounds.
    fn resolve_locals(&mut self) {
        for _ in 0..4 {
            let mut locals = std::mem::take(&mut self.locals);
            for v in locals.values_mut() {
                self.substitute(v, 0);
            }
            self.locals = locals;
        }
    }

    /// Replace static `${var.x}` / `${local.y}` references inside `v`.
    fn substitute(&self, v: &mut Value, depth: usize) {
        if depth > 64 {
            return;
        }
        match v {
            Value::String(s) if s.contains("${") => {
                // A whole-string reference takes the referenced value, whatever its type.
                if let Some(c) = REF.captures(s) {
                    if c.get(0).map(|m| m.as_str().len()) == Some(s.len()) {
                        if let Some(val) = self.value_of(&c[1], &c[2]) {
                            if !val.as_str().is_some_and(|t| t.contains("${")) {
                                *v = val.clone();
                            }
                        }
                        return;
                    }
                }
                let replaced = REF.replace_all(s, |c: &regex::Captures<'_>| {
                    match self.value_of(&c[1], &c[2]) {
                        Some(Value::String(t)) if !t.contains("${") => t.clone(),
                        Some(Value::Number(n)) => n.to_string(),
                        Some(Value::Bool(b)) => b.to_string(),
                        _ => c[0].to_owned(),
                    }
                });
                *s = replaced.into_owned();
            }
            Value::Array(items) => items.iter_mut().for_each(|x| self.substitute(x, depth + 1)),
            Value::Object(map) => map.values_mut().for_each(|x| self.substitute(x, depth + 1)),
            _ => {}
        }
    }

    /// Resolve references in a document and merge sibling resources into its buckets.
    pub fn enrich(&self, input: &mut Value) {
        self.substitute(input, 0);
        let Some(buckets) = input
            .pointer_mut("/resource/aws_s3_bucket")
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        for (name, body) in buckets.iter_mut() {
            let Value::Object(bucket) = body else {
                continue;
            };
            let literal_name = bucket
                .get("bucket")
                .and_then(Value::as_str)
                .map(str::to_owned);
            for s in &self.siblings {
                let hit = match &s.target {
                    Target::Resource(r) => r == name,
                    Target::Name(n) => {
                        let mut resolved = Value::String(n.clone());
                        self.substitute(&mut resolved, 0);
                        literal_name
                            .as_deref()
                            .is_some_and(|l| resolved.as_str() == Some(l) && !l.contains("${"))
                    }
                };
                if !hit || bucket.contains_key(s.key) {
                    continue;
                }
                let mut merged = merged_value(s);
                self.substitute(&mut merged, 0);
                bucket.insert(s.key.to_owned(), merged);
            }
            if let (Some(pab), false) = (
                &self.account_pab,
                bucket.contains_key("public_access_block"),
            ) {
                bucket.insert("public_access_block".to_owned(), pab.clone());
            }
            // Buckets that receive other buckets' access logs (anywhere in the module).
            let receives_logs = self.log_targets.iter().any(|t| {
                let mut resolved = Value::String(t.clone());
                self.substitute(&mut resolved, 0);
                BUCKET_REF
                    .captures(t)
                    .is_some_and(|c| &c[1] == name.as_str())
                    || (resolved.as_str().is_some() && resolved.as_str() == literal_name.as_deref())
            });
            if receives_logs {
                bucket.insert("custos_log_target".to_owned(), Value::Bool(true));
            }
        }
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

/// A sibling's body in the shape of the v3 inline block it replaces.
fn merged_value(s: &Sibling) -> Value {
    let body = s.body.as_object().cloned().unwrap_or_default();
    match s.key {
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
                .map_or(Value::Null, |st| Value::Bool(st == "Enabled"));
            let mut m = Map::new();
            m.insert("enabled".into(), enabled);
            if let Some(st) = status {
                m.insert("status".into(), st);
            }
            Value::Object(m)
        }
        "acl" => body.get("acl").cloned().unwrap_or(Value::Null),
        "policy" => body.get("policy").cloned().unwrap_or(Value::Null),
        _ => {
            let mut m = body;
            m.remove("bucket");
            Value::Object(m)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(files: &[(&str, &str)]) -> (tempfile::TempDir, ModuleIndex, Vec<Candidate>) {
        let dir = tempfile::tempdir().unwrap();
        let mut cands = Vec::new();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            cands.push(Candidate {
                fs_path: p,
                display: (*name).to_owned(),
                size: text.len() as u64,
            });
        }
        let idx = ModuleIndex::build(&cands, &Limits::default());
        (dir, idx, cands)
    }

    fn enriched(idx: &ModuleIndex, c: &Candidate) -> Value {
        let src = std::fs::read_to_string(&c.fs_path).unwrap();
        let mut v = parse::parse(Syntax::Hcl, &src, &Limits::default())
            .unwrap()
            .docs
            .remove(0)
            .value;
        idx.module_for(&c.fs_path).unwrap().enrich(&mut v);
        v
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
    fn a_local_module_takes_its_single_callers_arguments() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("modules/bucket")).unwrap();
        let files = [
            ("main.tf", "locals { team = \"ml\" }\nmodule \"exports\" {\n  source = \"./modules/bucket\"\n  name   = \"public-${local.team}-exports\"\n}\n"),
            ("modules/bucket/main.tf", "variable \"name\" {}\nresource \"aws_s3_bucket\" \"this\" {\n  bucket = var.name\n}\n"),
        ];
        let mut cands = Vec::new();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            cands.push(Candidate {
                fs_path: p,
                display: name.to_owned(),
                size: text.len() as u64,
            });
        }
        let idx = ModuleIndex::build(&cands, &Limits::default());
        let v = enriched(&idx, &cands[1]);
        assert_eq!(
            v["resource"]["aws_s3_bucket"]["this"]["bucket"],
            "public-ml-exports"
        );
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
