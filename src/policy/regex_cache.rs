//! `regex.match` with compiled patterns kept per thread.
//!
//! The engine's own `regex.match` finds the compiled pattern in a global cache, but hands out a
//! clone of it, and a cloned `regex::Regex` starts with an empty match cache: every call then
//! rebuilds the lazy DFA's state tables. Rules such as CFG001 call `regex.match` for every key
//! of a document, so on a 20,000-object JSON array the rebuilding was two thirds of the
//! regex time and the rule ran out of its time limit. This override (the engine consults
//! extensions before builtins) keeps one compiled `Regex` per pattern per worker thread, so
//! its match cache is reused from call to call.
//!
//! Semantics are the engine's in its default (non-strict) mode: a non-string argument or an
//! invalid pattern makes the call undefined; a pattern whose compiled program exceeds the
//! same 100 KiB size limit is an error, as a resource-limit violation is there.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::{Regex, RegexBuilder};
use regorus::{Engine, Value};

/// The engine's bound on one compiled pattern (`REGEX_SIZE_LIMIT` in regorus).
const SIZE_LIMIT: usize = 100 * 1024;

/// Patterns kept per thread before the cache is emptied; policies use a few dozen.
const CAPACITY: usize = 512;

/// A compiled pattern, or why it is not one.
#[derive(Clone)]
enum Compiled {
    Ok(Regex),
    Invalid,
    TooBig,
}

thread_local! {
    static CACHE: RefCell<HashMap<String, Compiled>> = RefCell::new(HashMap::new());
}

fn compile(pattern: &str) -> Compiled {
    match RegexBuilder::new(pattern).size_limit(SIZE_LIMIT).build() {
        Ok(re) => Compiled::Ok(re),
        Err(regex::Error::CompiledTooBig(_)) => Compiled::TooBig,
        Err(_) => Compiled::Invalid,
    }
}

/// `pattern` compiled as `regex.match` compiles it, for host code that must match exactly as
/// a rule does (the prefilters); `None` when `regex.match` would not match with it.
pub(crate) fn compiled(pattern: &str) -> Option<Regex> {
    match compile(pattern) {
        Compiled::Ok(re) => Some(re),
        Compiled::Invalid | Compiled::TooBig => None,
    }
}

/// Does `value` match `pattern`? `None` when the pattern is invalid (undefined in Rego).
fn is_match(pattern: &str, value: &str) -> anyhow::Result<Option<bool>> {
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if !cache.contains_key(pattern) {
            if cache.len() >= CAPACITY {
                cache.clear();
            }
            cache.insert(pattern.to_owned(), compile(pattern));
        }
        match cache.get(pattern) {
            Some(Compiled::Ok(re)) => Ok(Some(re.is_match(value))),
            Some(Compiled::TooBig) => anyhow::bail!(
                "regex.match: the pattern compiles to more than {SIZE_LIMIT} bytes (resource limit)"
            ),
            Some(Compiled::Invalid) | None => Ok(None),
        }
    })
}

pub fn register(engine: &mut Engine) -> anyhow::Result<()> {
    engine.add_extension(
        "regex.match".to_owned(),
        2,
        Box::new(|args: Vec<Value>| {
            let (Some(Value::String(pattern)), Some(Value::String(value))) =
                (args.first(), args.get(1))
            else {
                return Ok(Value::Undefined);
            };
            Ok(match is_match(pattern, value)? {
                Some(m) => Value::Bool(m),
                None => Value::Undefined,
            })
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(query: &str) -> Value {
        let mut engine = Engine::new();
        register(&mut engine).expect("register");
        engine
            .add_policy(
                "t.rego".into(),
                format!("package t\nimport rego.v1\nr := x if {{ x := {query} }}\n"),
            )
            .expect("policy");
        engine.eval_rule("data.t.r".into()).expect("evaluates")
    }

    #[test]
    fn matches_like_the_builtin() {
        assert_eq!(eval(r#"regex.match(`^a+b$`, "aaab")"#), Value::Bool(true));
        assert_eq!(eval(r#"regex.match(`^a+b$`, "aaac")"#), Value::Bool(false));
        // Unanchored, as in OPA.
        assert_eq!(eval(r#"regex.match("b", "abc")"#), Value::Bool(true));
        // The same pattern again comes from the cache.
        assert_eq!(eval(r#"regex.match(`^a+b$`, "ab")"#), Value::Bool(true));
    }

    #[test]
    fn invalid_patterns_and_non_strings_are_undefined() {
        assert_eq!(eval(r#"regex.match("(", "abc")"#), Value::Undefined);
        assert_eq!(eval(r#"regex.match("a", 1)"#), Value::Undefined);
    }

    #[test]
    fn a_huge_pattern_is_an_error_not_a_hang() {
        let mut engine = Engine::new();
        register(&mut engine).expect("register");
        engine
            .add_policy(
                "t.rego".into(),
                "package t\nimport rego.v1\nr := regex.match(`(\\w{50}){50}`, \"x\")\n".into(),
            )
            .expect("policy");
        let err = engine.eval_rule("data.t.r".into()).expect_err("too big");
        assert!(err.to_string().contains("resource limit"), "{err}");
    }
}
