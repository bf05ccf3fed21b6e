//! Native prefilters: cheap Rust checks that prove a bundled rule cannot fire on a document,
//! so that the engine is not asked to evaluate it there.
//!
//! Rego evaluation is most of a scan's CPU (docs/performance.md), and some bundled rules look
//! at every node of every document for something most documents do not have: CFG001 walks
//! the whole input for a credential-named key set to a literal. A prefilter answers "may this
//! rule fire on this document?" from the parser's value, in one pass and without the
//! engine. It must never answer "no" where the rule would fire: it checks a condition every
//! finding of the rule needs (a strict superset of the rule's condition), and when in doubt it
//! answers "yes" and the rule is evaluated as usual.
//!
//! The patterns are not copies: they are read from the loaded policies (the rule's own
//! `credential_key_lower` … values, evaluated once when the engine is prepared) and compiled
//! by the same code as the `regex.match` the rules call ([`super::regex_cache`]). If a pattern
//! is missing or does not compile, the prefilter is off and the rule always runs. What is a
//! copy is the *shape* of the rule's condition (which key, which value); a test compares the
//! Rust judgement of keys and values with the Rego functions over every key and string of
//! the fixtures, and another runs scans with and without prefilters and compares findings.
//!
//! The bucket rules (BKT001, AF003) report only when config data names prohibited or approved
//! buckets (`lib.buckets.configured`, which reads data only): that is evaluated once when the
//! engine is prepared, and without such config the rules are not evaluated on any document
//! (before, each JSON and YAML document cost a walk of its whole tree for nothing).
//!
//! The same switch covers a rule's `metadata.reads` (the top-level input members it reads,
//! checked where the applicable rules are chosen in [`super::Evaluator`]): a rule is not
//! evaluated on an object document with none of them. That is the rule's declaration, not a
//! derivation; `tests/prefilter.rs` holds every bundled rule that declares it to the same
//! findings on the fixtures with only the declared members left.

use regex::Regex;
use regorus::{Engine, Value};

use super::regex_cache;

/// The package of CFG001 (literal credentials in configuration).
const LITERAL_CREDENTIALS: &str = "data.custos.config.literal_credentials";
/// The shared judgement of credential names and values CFG001 calls.
const CREDENTIALS_LIB: &str = "data.custos.lib.credentials";

/// The bucket rules (BKT001, AF003): every one of their results needs
/// `data.custos.lib.buckets.configured` (a test holds each `deny` body to start with it).
const BUCKET_RULES: [&str; 2] = [
    "data.custos.any.prohibited_buckets",
    "data.custos.airflow.prohibited_buckets",
];
/// Whether config data names prohibited or approved buckets: it reads data only, so one
/// evaluation when the engine is prepared answers for every document.
const BUCKETS_CONFIGURED: &str = "data.custos.lib.buckets.configured";

/// Every prefilter of the loaded bundled rules, by package.
#[derive(Debug, Default)]
pub(crate) struct Prefilters {
    credentials: Option<Box<Credentials>>,
    /// `configured` of the bucket library (`None`: the library is not loaded, off).
    buckets_configured: Option<bool>,
}

impl Prefilters {
    /// Read what each prefilter needs from `engine` (the trusted engine: bundled modules
    /// only). A prefilter whose rule is not loaded, or whose patterns cannot be read, is off.
    pub(crate) fn load(engine: &mut Engine) -> Self {
        Prefilters {
            credentials: Credentials::load(engine).map(Box::new),
            buckets_configured: match engine.eval_rule(BUCKETS_CONFIGURED.to_owned()) {
                Ok(Value::Bool(b)) => Some(b),
                Ok(Value::Undefined) => Some(false),
                _ => None,
            },
        }
    }

    /// `false` only when the rule of `package` provably has no result on `input`.
    pub(crate) fn may_fire(&self, package: &str, input: &serde_json::Value) -> bool {
        match package {
            LITERAL_CREDENTIALS => self.credentials.as_ref().is_none_or(|c| c.may_fire(input)),
            p if BUCKET_RULES.contains(&p) => self.buckets_configured != Some(false),
            _ => true,
        }
    }

    /// Whether the prefilter of `package` is loaded (tests: a prefilter that silently turned
    /// itself off would make every comparison pass).
    #[cfg(test)]
    pub(crate) fn is_active(&self, package: &str) -> bool {
        match package {
            LITERAL_CREDENTIALS => self.credentials.is_some(),
            p if BUCKET_RULES.contains(&p) => self.buckets_configured.is_some(),
            _ => false,
        }
    }
}

/// CFG001's condition, loosened to what can be checked without the engine.
///
/// Every result of the rule is a (name, value) pair with `credentials.literal_credential(name,
/// value)`, which requires `credentials.key(name)` (a string matching a credential pattern and
/// no exception pattern) and `credentials.literal_for(name, value)` (a number, or a string that
/// is not empty after `trim_space` and not a placeholder). The pairs come from three shapes:
///
/// 1. a mapping entry `name: value`;
/// 2. an object with a `value` member, named by its own key or by its `name` member;
/// 3. a `NAME=value` string in an array under one of `env_list_keys` (checked on the name only).
///
/// So a document where no pair of these shapes passes `key` and the literal test cannot make
/// the rule fire. The remaining exceptions of the rule (skipped ancestors, SOPS ciphertext,
/// skipped documents, the rest of `placeholder`, `prose`, …) only remove results, and are
/// left to the rule.
#[derive(Debug)]
pub(crate) struct Credentials {
    key_lower: Regex,
    key_camel: Regex,
    not_key_lower: Regex,
    not_key_camel: Regex,
    not_secret_exact: Regex,
    not_secret_lower: Regex,
    env_assignment: Regex,
    env_list_keys: Vec<String>,
}

fn string_rule(engine: &mut Engine, path: &str) -> Option<Regex> {
    match engine.eval_rule(path.to_owned()) {
        Ok(Value::String(s)) => regex_cache::compiled(&s),
        _ => None,
    }
}

impl Credentials {
    fn load(engine: &mut Engine) -> Option<Self> {
        let lib = |name: &str| format!("{CREDENTIALS_LIB}.{name}");
        let rule = |name: &str| format!("{LITERAL_CREDENTIALS}.{name}");
        // The rule itself must be loaded (one-file runs compile only the rules they need).
        if !matches!(engine.eval_rule(rule("metadata")), Ok(Value::Object(_))) {
            return None;
        }
        let env_list_keys = match engine.eval_rule(rule("env_list_keys")) {
            Ok(Value::Set(keys)) => keys
                .iter()
                .map(|k| match k {
                    Value::String(s) => Some(s.to_string()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?,
            _ => return None,
        };
        Some(Credentials {
            key_lower: string_rule(engine, &lib("credential_key_lower"))?,
            key_camel: string_rule(engine, &lib("credential_key_camel"))?,
            not_key_lower: string_rule(engine, &lib("not_credential_key_lower"))?,
            not_key_camel: string_rule(engine, &lib("not_credential_key_camel"))?,
            not_secret_exact: string_rule(engine, &lib("not_secret_exact"))?,
            not_secret_lower: string_rule(engine, &lib("not_secret_lower"))?,
            env_assignment: string_rule(engine, &rule("env_assignment"))?,
            env_list_keys,
        })
    }

    /// `credentials.key(k)`: a credential name that no exception pattern matches.
    pub(crate) fn is_key(&self, k: &str) -> bool {
        let lower = k.to_lowercase();
        (self.key_lower.is_match(&lower) || self.key_camel.is_match(k))
            && !self.not_key_lower.is_match(&lower)
            && !self.not_key_camel.is_match(k)
    }

    /// Whether `v` may pass `credentials.literal_for(k, v)` for some credential key `k`: a
    /// number, or a string that is not empty after trimming and that neither placeholder
    /// pattern matches. (`false` is exact; `true` may still be a placeholder for the rule.)
    pub(crate) fn may_be_literal(&self, v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Number(_) => true,
            serde_json::Value::String(s) => {
                // `trim_space` in the engine is `str::trim`.
                let s = s.trim();
                !s.is_empty()
                    && !self.not_secret_exact.is_match(s)
                    && !self.not_secret_lower.is_match(&s.to_lowercase())
            }
            _ => false,
        }
    }

    /// Is there a (name, value) pair in `input` of one of the rule's shapes with
    /// `is_key(name)` and `may_be_literal(value)`? Iterative: documents may nest deeply.
    fn may_fire(&self, input: &serde_json::Value) -> bool {
        // (node, the key it is found under; `None` at the root and for array items, which
        // are found under an index).
        let mut stack: Vec<(&serde_json::Value, Option<&str>)> = vec![(input, None)];
        while let Some((v, parent)) = stack.pop() {
            match v {
                serde_json::Value::Object(map) => {
                    if let Some(value) = map.get("value") {
                        // Shape 2: `NAME: {value: x}` and `{name: NAME, value: x}`.
                        let named = map
                            .get("name")
                            .and_then(serde_json::Value::as_str)
                            .is_some_and(|n| self.is_key(n));
                        if (named || parent.is_some_and(|p| self.is_key(p)))
                            && self.may_be_literal(value)
                        {
                            return true;
                        }
                    }
                    for (k, x) in map {
                        // Shape 1.
                        if (x.is_string() || x.is_number())
                            && self.is_key(k)
                            && self.may_be_literal(x)
                        {
                            return true;
                        }
                        if x.is_object() || x.is_array() {
                            stack.push((x, Some(k)));
                        }
                    }
                }
                serde_json::Value::Array(items) => {
                    // Shape 3.
                    if parent.is_some_and(|p| self.env_list_keys.iter().any(|k| k == p))
                        && items.iter().any(|item| {
                            item.as_str()
                                .and_then(|s| self.env_assignment.captures(s))
                                .and_then(|c| c.get(1))
                                .is_some_and(|name| self.is_key(name.as_str()))
                        })
                    {
                        return true;
                    }
                    stack.extend(
                        items
                            .iter()
                            .filter(|x| x.is_object() || x.is_array())
                            .map(|x| (x, None)),
                    );
                }
                _ => {}
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::Duration;

    use super::*;
    use crate::policy::{PolicySet, PolicySources};

    fn bundled() -> PolicySet {
        let sources = PolicySources {
            include_bundled: true,
            dirs: vec![],
            include_tests: false,
            kinds: None,
        };
        PolicySet::load(&sources, &serde_json::json!({}), Duration::from_secs(300))
            .expect("bundled policies load")
    }

    /// Every object key and string value of the structured fixtures, and strings around the
    /// edges of the patterns.
    fn samples() -> (BTreeSet<String>, BTreeSet<String>) {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let config = crate::config::Config::defaults(root.clone());
        let limits = crate::parse::Limits::default();
        let (mut keys, mut values) = (BTreeSet::new(), BTreeSet::new());
        for entry in walkdir::WalkDir::new(root.join("fixtures")).sort_by_file_name() {
            let Ok(entry) = entry else { continue };
            let Ok(source) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            let rel = entry.path().strip_prefix(&root).unwrap_or(entry.path());
            let (_, syntax) = crate::discover::classify(rel, &source, &config);
            if syntax == crate::parse::Syntax::Text {
                continue;
            }
            let Some(parsed) = crate::parse::parse(syntax, &source, &limits) else {
                continue;
            };
            let mut stack: Vec<serde_json::Value> =
                parsed.docs.into_iter().map(|d| d.value).collect();
            while let Some(v) = stack.pop() {
                match v {
                    serde_json::Value::Object(map) => {
                        for (k, x) in map {
                            keys.insert(k);
                            stack.push(x);
                        }
                    }
                    serde_json::Value::Array(items) => stack.extend(items),
                    serde_json::Value::String(s) => {
                        values.insert(s);
                    }
                    _ => {}
                }
            }
        }
        for edge in [
            "password",
            "dbPass",
            "next_page_token",
            "allowEmptyPassword",
            "existingSecret",
            "Passport",
            "bypass",
            "İpassword",
            "ПАРОЛЬ_password",
            "",
        ] {
            keys.insert(edge.to_owned());
        }
        for edge in [
            "",
            " ",
            "\u{a0}",
            "\u{85}",
            "\u{2028}x",
            " ${X} ",
            "changeme",
            "CHANGEME",
            "x",
            "hunter2-Literal",
            "<your-token>",
            "ENC[x]",
            "İ",
        ] {
            values.insert(edge.to_owned());
        }
        (keys, values)
    }

    /// The Rust judgement of names is the Rego one, and its judgement of values never calls
    /// a literal what the rule would not: checked against the Rego functions themselves, so a
    /// change to `lib/credentials.rego` that the prefilter does not follow fails here.
    #[test]
    fn judges_keys_and_values_as_the_rego_library_does() {
        let set = bundled();
        let (engine, prefilters) = set.prepared();
        let c = prefilters
            .credentials
            .as_ref()
            .expect("the CFG001 prefilter is loaded");
        assert!(prefilters.is_active(LITERAL_CREDENTIALS));
        let (keys, values) = samples();
        assert!(
            keys.len() > 500 && values.len() > 500,
            "{} keys, {} values",
            keys.len(),
            values.len()
        );
        let mut engine = engine.clone();
        engine
            .add_policy(
                "prefilter_check.rego".to_owned(),
                "package prefilter_check\nimport rego.v1\nimport data.custos.lib.credentials\n\
                 keys := {k | some k in input.keys; credentials.key(k)}\n\
                 literals := {v | some v in input.values; credentials.literal(v)}\n"
                    .to_owned(),
            )
            .expect("check module compiles");
        engine.set_input(Value::from(
            serde_json::json!({"keys": keys, "values": values}),
        ));
        let set_of = |v: Value| -> BTreeSet<String> {
            match v {
                Value::Set(s) => s
                    .iter()
                    .filter_map(|x| match x {
                        Value::String(s) => Some(s.to_string()),
                        _ => None,
                    })
                    .collect(),
                other => panic!("not a set: {other:?}"),
            }
        };
        let rego_keys = set_of(
            engine
                .eval_rule("data.prefilter_check.keys".to_owned())
                .expect("keys"),
        );
        let rego_literals = set_of(
            engine
                .eval_rule("data.prefilter_check.literals".to_owned())
                .expect("literals"),
        );
        let rust_keys: BTreeSet<String> = keys.iter().filter(|k| c.is_key(k)).cloned().collect();
        assert_eq!(rust_keys, rego_keys);
        let missed: Vec<&String> = rego_literals
            .iter()
            .filter(|v| !c.may_be_literal(&serde_json::Value::String((*v).clone())))
            .collect();
        assert!(
            missed.is_empty(),
            "literals the prefilter would skip: {missed:?}"
        );
        // Both answers occur: the check is not vacuous.
        assert!(rust_keys.len() > 20, "{rust_keys:?}");
        let rejected = values
            .iter()
            .filter(|v| !c.may_be_literal(&serde_json::Value::String((*v).clone())))
            .count();
        assert!(rejected > 20, "only {rejected} values rejected");
    }

    /// The bucket prefilter relies on every result of the bucket rules needing `configured`.
    #[test]
    fn every_bucket_rule_body_starts_with_configured() {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        for package in BUCKET_RULES {
            let rel = package
                .strip_prefix("data.custos.")
                .expect("a bundled package")
                .replace('.', "/");
            let path = root.join("policies").join(format!("{rel}.rego"));
            let text = std::fs::read_to_string(&path).expect("the rule's file");
            let lines: Vec<&str> = text.lines().collect();
            let mut bodies = 0;
            for (i, line) in lines.iter().enumerate() {
                let head = line.split_whitespace().next().unwrap_or_default();
                if matches!(head, "deny" | "warn" | "violation" | "deny[" | "deny[msg]") {
                    bodies += 1;
                    assert!(
                        line.trim_end().ends_with("if {"),
                        "{package}: a result rule without a body: {line}"
                    );
                    assert_eq!(
                        lines.get(i + 1).map(|l| l.trim()),
                        Some("configured"),
                        "{package}: {line}"
                    );
                }
            }
            assert!(bodies > 0, "{package}: no deny rule found");
        }
    }

    #[test]
    fn bucket_rules_run_only_when_config_names_buckets() {
        let any = BUCKET_RULES[0];
        let doc = serde_json::json!({"bucket": "x", "uri": "s3://x/y"});
        let set = bundled();
        assert!(set.prepared().1.is_active(any));
        assert!(!set.prepared().1.may_fire(any, &doc));
        for data in [
            serde_json::json!({"prohibited_buckets": ["x"]}),
            serde_json::json!({"approved_buckets": ["y"]}),
        ] {
            let set = PolicySet::load(
                &PolicySources {
                    include_bundled: true,
                    dirs: vec![],
                    include_tests: false,
                    kinds: None,
                },
                &data,
                Duration::from_secs(300),
            )
            .expect("bundled policies load");
            assert!(set.prepared().1.may_fire(any, &doc), "{data}");
            assert!(set.prepared().1.may_fire(BUCKET_RULES[1], &doc), "{data}");
        }
    }

    #[test]
    fn is_off_without_its_rule_and_when_turned_off() {
        let sources = PolicySources {
            include_bundled: true,
            dirs: vec![],
            include_tests: false,
            kinds: Some([crate::document::Kind::Terraform].into_iter().collect()),
        };
        let set = PolicySet::load(&sources, &serde_json::json!({}), Duration::from_secs(300))
            .expect("policies load");
        assert!(!set.prepared().1.is_active(LITERAL_CREDENTIALS));
        let mut set = bundled();
        set.set_prefilters(false);
        assert!(!set.prepared().1.is_active(LITERAL_CREDENTIALS));
        // With no prefilter, every document may fire.
        assert!(set
            .prepared()
            .1
            .may_fire(LITERAL_CREDENTIALS, &serde_json::json!({"a": 1})));
    }
}
