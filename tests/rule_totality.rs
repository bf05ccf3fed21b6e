//! Every bundled rule is total: on any valid document of its kinds it returns its results and
//! never a `policy-error`.
//!
//! regorus raises an error — where OPA would be undefined — when a builtin gets the wrong type
//! or `some x in v` iterates a scalar, and an error drops every result of the rule on that
//! document: one GitLab job whose `script:` is a string used to hide an `echo $API_TOKEN` in
//! another job. Real files take every shape their format allows, so this test generates them:
//! every structured fixture in the checkout is parsed and classified as a scan would, then
//! mutated deterministically (seeded) — nodes replaced by null, strings where lists or maps are
//! expected, lists and maps where scalars are, empty maps and lists, unresolved `${…}` / `{{ }}`
//! strings, numbers, booleans, deep nesting, odd keys — and every bundled rule of the document's
//! kind evaluates every mutant. Airflow DAG models are mutated through their source (string
//! literals replaced by other Python expressions), so every model is one the parser can produce;
//! INI documents only get string values, as the INI parser only produces strings; a Terraform
//! document's root stays an object.
//!
//! Rules owned by others that still fail are listed in [`KNOWN_FAILING`] with the shapes that
//! break them; their failures are printed, not asserted, until they are fixed and the entry is
//! removed. Set `CUSTOS_TOTALITY_SEED` / `CUSTOS_TOTALITY_MUTANTS` to explore further, and
//! `CUSTOS_TOTALITY_VERBOSE` to print every tolerated failure.

// The tolerated failures of other owners' rules are reported on stderr, not asserted.
#![allow(clippy::print_stderr)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use custos::config::Config;
use custos::document::{Document, Kind, LineIndex};
use custos::finding::Severity;
use custos::parse::{self, Limits, Syntax};
use custos::policy::{PolicySet, PolicySources, RuleFilter};
use serde_json::{json, Map, Value};

const DEFAULT_SEED: u64 = 0x5eed_c057_0570_7a11;
const DEFAULT_MUTANTS: usize = 12;

/// Bundled rules owned by other engineers that still raise errors on some generated shapes:
/// `(rule id, what breaks it)`. Their failures are reported but tolerated. Remove an entry as
/// soon as the rule is fixed (the test prints a note when an entry no longer fails); the list is
/// meant to be empty.
const KNOWN_FAILING: &[(&str, &str)] = &[];

/// Config `[data]` that takes every data-dependent branch of the bundled rules.
fn policy_data() -> Value {
    json!({
        "prohibited_buckets": ["public-*", "**.shared", "tmp-*"],
        "approved_buckets": ["acme-*"],
        "audit_buckets": ["acme-audit"],
        "require_gcs_cmek": true,
    })
}

/// `SplitMix64`: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct AllRules;

impl RuleFilter for AllRules {
    fn is_disabled(&self, _rule: &str) -> bool {
        false
    }
    fn severity_for(&self, _rule: &str, default: Severity) -> Severity {
        default
    }
}

/// One step into a JSON value.
#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Index(usize),
}

fn describe(path: &[Seg]) -> String {
    if path.is_empty() {
        return "/".into();
    }
    path.iter()
        .map(|s| match s {
            Seg::Key(k) => format!("/{k}"),
            Seg::Index(i) => format!("/{i}"),
        })
        .collect()
}

/// Every node's path, in document order.
fn node_paths(v: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                prefix.push(Seg::Key(k.clone()));
                node_paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                prefix.push(Seg::Index(i));
                node_paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn node_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    let Some((first, rest)) = path.split_first() else {
        return Some(v);
    };
    let child = match (first, v) {
        (Seg::Key(k), Value::Object(m)) => m.get_mut(k)?,
        (Seg::Index(i), Value::Array(a)) => a.get_mut(*i)?,
        _ => return None,
    };
    node_mut(child, rest)
}

/// Strings that stand for something unresolved or are not what a rule expects.
const ODD_STRINGS: &[&str] = &[
    "",
    " ",
    "x",
    "${var.unresolved}",
    "${{ secrets.TOKEN }}",
    "{{ .Values.password }}",
    "$(VAR)",
    "%(x)s",
    "<placeholder>",
    "s3://",
    "true",
    "123",
    "a\nb\n",
    "ENC[x]",
    "==",
];

/// A replacement for `orig`, and a name for the shape (for failure reports).
fn mutate_value(rng: &mut Rng, orig: &Value, strings_only: bool) -> (Value, String) {
    if strings_only {
        let s = (*rng.pick(ODD_STRINGS)).to_owned();
        return (Value::String(s.clone()), format!("string {s:?}"));
    }
    match rng.below(16) {
        0 => (Value::Null, "null".into()),
        1 => {
            let s = (*rng.pick(ODD_STRINGS)).to_owned();
            (Value::String(s.clone()), format!("string {s:?}"))
        }
        2 => {
            let n = rng
                .pick(&[json!(0), json!(-1), json!(7), json!(123_456), json!(2.5)])
                .clone();
            (n.clone(), format!("number {n}"))
        }
        3 => (Value::Bool(rng.below(2) == 0), "bool".into()),
        4 => (json!({}), "empty map".into()),
        5 => (json!([]), "empty list".into()),
        6 => (json!([orig]), "wrapped in a list".into()),
        7 => (json!({ "value": orig }), "wrapped in a map".into()),
        8 => match orig {
            // A list or map where a scalar is expected, and the reverse.
            Value::Array(a) => (
                a.first().cloned().unwrap_or(Value::Null),
                "list unwrapped".into(),
            ),
            Value::Object(m) => (
                m.values().next().cloned().unwrap_or(Value::Null),
                "map unwrapped".into(),
            ),
            Value::String(s) => (json!([s, s]), "string as a list".into()),
            other => (json!({ "k": other }), "scalar as a map".into()),
        },
        9 => match orig {
            Value::Array(a) => {
                let joined: Vec<String> = a
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect();
                (Value::String(joined.join("\n")), "list as a string".into())
            }
            Value::Object(_) => (Value::String("x".into()), "map as a string".into()),
            Value::String(s) => (json!(s.len()), "string as a number".into()),
            other => (
                Value::String(other.to_string()),
                "scalar as a string".into(),
            ),
        },
        10 => {
            let mut v = orig.clone();
            for i in 0..40 {
                v = if i % 2 == 0 {
                    json!([v])
                } else {
                    json!({ "a": v })
                };
            }
            (v, "deep nesting".into())
        }
        11 => (
            json!([null, 1, "s", {}, [], true, {"name": 5, "value": [1]}]),
            "mixed list".into(),
        ),
        12 => {
            // Odd keys beside the original entries.
            let mut m = match orig {
                Value::Object(m) => m.clone(),
                _ => Map::new(),
            };
            for k in ["", "<<", "${x}", "0", "a/b~c", "value", "name"] {
                m.entry(k.to_owned()).or_insert(Value::Null);
            }
            (Value::Object(m), "odd keys".into())
        }
        13 => match orig {
            // Every member of a collection replaced by the same odd value.
            Value::Array(a) => (
                Value::Array(vec![Value::Null; a.len().max(1)]),
                "list of nulls".into(),
            ),
            Value::Object(m) => (
                Value::Object(
                    m.keys()
                        .map(|k| (k.clone(), json!(["x", 1])))
                        .collect::<Map<String, Value>>(),
                ),
                "map of lists".into(),
            ),
            _ => (json!(["x", 1]), "short list".into()),
        },
        14 => (
            json!({"name": {"a": 1}, "value": null, "valueFrom": "x", "kind": 3, "Type": []}),
            "odd known-keys map".into(),
        ),
        _ => (
            Value::String("x".repeat(1 + rng.below(300))),
            "long string".into(),
        ),
    }
}

/// Python expressions that may stand where a string literal was.
const PY_EXPRESSIONS: &[&str] = &[
    "None",
    "42",
    "-1.5",
    "True",
    "[]",
    "{}",
    "()",
    "[\"a\", None, 1, {\"k\": None}]",
    "{\"password\": 123, None: [], \"extra\": {\"x\": None}}",
    "f\"{value}-suffix\"",
    "some_name",
    "os.environ[\"X\"]",
    "Variable.get(\"x\")",
    "\"${var.unresolved}\"",
    "\"{{ var.value.x }}\"",
    "\"\"",
    "b\"bytes\"",
    "lambda: 1",
    "[[[[[[[[[[1]]]]]]]]]]",
    "\"s3://\" + BUCKET",
    "\"postgres://\" + 5",
    "call(1, x=None)",
];

/// Mutants of a Python (Airflow DAG) source: string literals replaced by other expressions.
fn python_mutants(source: &str, rng: &mut Rng, n: usize) -> Vec<(String, String)> {
    let re = regex::Regex::new(r#""[^"\\\n]*"|'[^'\\\n]*'"#).expect("static regex");
    let literals: Vec<(usize, usize)> =
        re.find_iter(source).map(|m| (m.start(), m.end())).collect();
    let mut out = Vec::new();
    if literals.is_empty() {
        return out;
    }
    for _ in 0..n {
        let k = 1 + rng.below(4);
        let mut chosen: BTreeSet<usize> = BTreeSet::new();
        for _ in 0..k {
            chosen.insert(rng.below(literals.len()));
        }
        let mut text = String::with_capacity(source.len());
        let mut last = 0;
        let mut what = Vec::new();
        for i in &chosen {
            let (s, e) = literals[*i];
            let expr = *rng.pick(PY_EXPRESSIONS);
            text.push_str(&source[last..s]);
            text.push_str(expr);
            last = e;
            what.push(format!("literal at byte {s} -> {expr}"));
        }
        text.push_str(&source[last..]);
        out.push((text, what.join("; ")));
    }
    out
}

/// A parsed document of the corpus.
struct Base {
    path: String,
    kind: Kind,
    source: String,
    value: Value,
    spans: custos::document::SpanMap,
}

/// Every structured document in `fixtures/`, parsed and classified as a scan would.
fn corpus(root: &Path) -> Vec<Base> {
    let config = Config::defaults(root.to_path_buf());
    let limits = Limits::default();
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(root.join("fixtures")).sort_by_file_name() {
        let entry = entry.expect("walk fixtures");
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(source) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let rel = entry.path().strip_prefix(root).expect("in repo");
        let (kind, syntax) = custos::discover::classify(rel, &source, &config);
        if syntax == Syntax::Text {
            continue;
        }
        let Some(parsed) = parse::parse(syntax, &source, &limits) else {
            continue;
        };
        for d in parsed.docs {
            if d.value.is_null() {
                continue;
            }
            out.push(Base {
                path: rel.display().to_string(),
                kind,
                source: source.clone(),
                value: d.value,
                spans: d.spans,
            });
        }
    }
    out.extend(log_aggregates(root));
    out
}

/// The aggregate document (docs/logs.md) of each log fixture of the LOG rules.
fn log_aggregates(root: &Path) -> Vec<Base> {
    use custos::logs::{aggregate::Display, audit::aggregate_files, source};
    let cfg = source::LogsConfig::default();
    let display = Display::new(&cfg, custos::detect::pii::Entity::defaults());
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(root.join("fixtures/rules")).sort_by_file_name() {
        let entry = entry.expect("walk fixtures");
        let rel = entry.path().strip_prefix(root).expect("in repo");
        let kind = match rel.extension().and_then(|e| e.to_str()) {
            Some("jsonl") => Kind::LogJsonl,
            Some("log") => Kind::LogNginx,
            _ => continue,
        };
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let path = rel.display().to_string();
        let files = [(path.clone(), text)];
        let value = aggregate_files(
            &files,
            kind,
            &source::Source::implied(&path),
            &cfg,
            &display,
        );
        out.push(Base {
            path,
            kind: Kind::LogAggregate,
            source: String::new(),
            value,
            spans: custos::document::SpanMap::new(),
        });
    }
    out
}

/// `(mutated value, description)` for each mutant of a JSON document.
fn json_mutants(base: &Base, rng: &mut Rng, n: usize) -> Vec<(Value, String)> {
    let mut paths = Vec::new();
    node_paths(&base.value, &mut Vec::new(), &mut paths);
    let strings_only = base.kind == Kind::Ini;
    if strings_only {
        // INI: values are strings and sections are maps of strings.
        paths.retain(|p| p.len() == 2);
    }
    if base.kind == Kind::Terraform {
        paths.retain(|p| !p.is_empty());
    }
    let mut out = Vec::new();
    if paths.is_empty() {
        return out;
    }
    // The whole document in other shapes (a YAML document may be any value).
    if !strings_only && base.kind != Kind::Terraform {
        for v in [
            json!(null),
            json!("x"),
            json!(1),
            json!([]),
            json!({}),
            json!([base.value]),
        ] {
            out.push((v.clone(), format!("document replaced by {v}")));
        }
    }
    for _ in 0..n {
        let mut v = base.value.clone();
        let mut what = Vec::new();
        for _ in 0..=rng.below(3) {
            let path = rng.pick(&paths).clone();
            let Some(node) = node_mut(&mut v, &path) else {
                continue;
            };
            let (replacement, shape) = mutate_value(rng, node, strings_only);
            *node = replacement;
            what.push(format!("{} -> {shape}", describe(&path)));
        }
        out.push((v, what.join("; ")));
    }
    out
}

/// `rule id -> (evaluations, failures as "file: mutation: error")`.
type Outcomes = BTreeMap<String, (usize, Vec<String>)>;

fn run(set: &PolicySet, docs: &[Base], seed: u64, mutants: usize) -> Outcomes {
    let mut rng = Rng(seed);
    let mut ev = set.worker();
    let limits = Limits::default();
    let mut outcomes: Outcomes = BTreeMap::new();
    let applicable = |kind: Kind| -> Vec<String> {
        set.rules()
            .filter(|r| r.kinds.is_empty() || r.kinds.contains(&kind))
            .map(|r| r.id.clone())
            .collect()
    };
    for base in docs {
        let rules = applicable(base.kind);
        if rules.is_empty() {
            continue;
        }
        let mut inputs: Vec<(Value, custos::document::SpanMap, String)> = Vec::new();
        if base.kind == Kind::AirflowDag {
            for (src, what) in python_mutants(&base.source, &mut rng, mutants) {
                let Some(parsed) = parse::parse(Syntax::Python, &src, &limits) else {
                    continue;
                };
                for d in parsed.docs {
                    inputs.push((d.value, d.spans, what.clone()));
                }
            }
        } else {
            for (v, what) in json_mutants(base, &mut rng, mutants) {
                inputs.push((v, base.spans.clone(), what));
            }
        }
        let lines = LineIndex::new(&base.source);
        for (input, spans, what) in inputs {
            let doc = Document {
                path: base.path.clone(),
                kind: base.kind,
                index: 0,
                input,
                spans,
            };
            let findings = ev.evaluate(&doc, &base.source, &lines, &AllRules);
            for id in &rules {
                outcomes.entry(id.clone()).or_default().0 += 1;
            }
            for f in findings.iter().filter(|f| f.rule_id == "policy-error") {
                let id = f
                    .message
                    .strip_prefix("rule ")
                    .and_then(|m| m.split_whitespace().next())
                    .unwrap_or("?")
                    .to_owned();
                outcomes.entry(id).or_default().1.push(format!(
                    "{} [{}]: {what}: {}",
                    base.path, base.kind, f.message
                ));
            }
        }
    }
    outcomes
}

fn load(extra: Option<&Path>) -> PolicySet {
    // User policies are evaluated in a custos worker process; this harness is not custos.
    std::env::set_var("CUSTOS_POLICY_WORKER", env!("CARGO_BIN_EXE_custos"));
    let sources = PolicySources {
        include_bundled: true,
        dirs: extra.map(Path::to_path_buf).into_iter().collect(),
        include_tests: false,
        kinds: None,
    };
    // Generous: this test is about errors, not speed, and the debug build on a busy machine is slow.
    let mut set =
        PolicySet::load(&sources, &policy_data(), Duration::from_secs(300)).expect("policies load");
    // The rules themselves must be total: a prefilter would keep most mutants from them.
    set.set_prefilters(false);
    set
}

#[test]
fn no_bundled_rule_errors_on_any_shape_of_its_documents() {
    let seed = env_or("CUSTOS_TOTALITY_SEED", DEFAULT_SEED);
    let mutants = env_or("CUSTOS_TOTALITY_MUTANTS", DEFAULT_MUTANTS);
    let set = load(None);
    let docs = corpus(&common::repo());
    let outcomes = run(&set, &docs, seed, mutants);

    let known: BTreeMap<&str, &str> = KNOWN_FAILING.iter().copied().collect();
    for id in known.keys() {
        assert!(
            set.rules().any(|r| r.bundled && r.id == *id),
            "KNOWN_FAILING names {id}, which is not a bundled rule"
        );
    }
    let mut unexpected = Vec::new();
    for rule in set.rules().filter(|r| r.bundled) {
        let (evaluated, failures) = outcomes.get(&rule.id).cloned().unwrap_or_default();
        assert!(
            evaluated >= 10,
            "{}: only {evaluated} generated documents of its kinds were evaluated",
            rule.id
        );
        match (failures.is_empty(), known.get(rule.id.as_str())) {
            (true, Some(_)) => eprintln!(
                "note: {} no longer fails (seed {seed:#x}); remove it from KNOWN_FAILING",
                rule.id
            ),
            (false, Some(why)) => {
                eprintln!(
                    "known failing (tolerated): {} — {why}; {} of {evaluated} documents errored, e.g.:",
                    rule.id,
                    failures.len()
                );
                let shown = if std::env::var_os("CUSTOS_TOTALITY_VERBOSE").is_some() {
                    failures.len()
                } else {
                    3
                };
                for f in failures.iter().take(shown) {
                    eprintln!("    {f}");
                }
            }
            (false, None) => unexpected.push(format!(
                "{}: {} of {evaluated} generated documents errored, e.g.:\n    {}",
                rule.id,
                failures.len(),
                failures
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n    ")
            )),
            (true, None) => {}
        }
    }
    assert!(
        unexpected.is_empty(),
        "rules raised policy-error on valid documents (seed {seed:#x}):\n{}",
        unexpected.join("\n")
    );
}

/// The generator reaches shapes that break a partial rule: without this, a generator that
/// never strays from the fixtures' shapes would pass every rule.
#[test]
fn the_generator_breaks_a_partial_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("partial.rego"),
        r#"package canary.partial
import rego.v1
metadata := {"id": "CANARY", "title": "partial", "severity": "low", "kinds": ["gitlab-ci", "kubernetes", "github-actions"]}
# Assumes every job's script and every container's env is a list: anything else reaches
# arithmetic (iterating a string or a number is undefined in Rego, as in OPA, not an error).
deny contains msg if {
	some _, job in input
	job.script
	not is_array(job.script)
	n := job.script + 1
	msg := sprintf("%v", [n])
}
deny contains msg if {
	some c in input.spec.template.spec.containers
	c.env
	not is_array(c.env)
	n := c.env + 1
	msg := sprintf("%v", [n])
}
deny contains name if {
	some name, job in input.jobs
	some step in job.steps
	startswith(step.uses, "actions/checkout")
}
"#,
    )
    .expect("write canary");
    let set = load(Some(dir.path()));
    let docs: Vec<Base> = corpus(&common::repo())
        .into_iter()
        .filter(|b| {
            matches!(
                b.kind,
                Kind::GitlabCi | Kind::Kubernetes | Kind::GithubActions
            )
        })
        .collect();
    let outcomes = run(&set, &docs, DEFAULT_SEED, DEFAULT_MUTANTS);
    let (evaluated, failures) = outcomes.get("CANARY").cloned().unwrap_or_default();
    assert!(evaluated > 0);
    assert!(
        failures.len() * 20 >= evaluated,
        "the partial canary rule failed on only {} of {evaluated} generated documents",
        failures.len()
    );
}
