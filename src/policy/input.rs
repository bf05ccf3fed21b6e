//! The document a policy sees as `input`: the parser's JSON value converted into the engine's
//! values, read in place (the parser's value is not copied first), with object keys and short
//! strings shared. A generated DAG repeats the same few keys and class paths tens of
//! thousands of times; the engine's strings are reference-counted, so each needs one allocation
//! (regorus shares keys only when it parses JSON text itself).

use std::collections::{BTreeMap, HashSet};

use regorus::{Rc, Value};

/// Strings longer than this are not shared: long values rarely repeat.
const SHARED_MAX: usize = 96;

/// Convert `v` for the engine, reading it in place.
pub fn to_rego(v: &serde_json::Value) -> Value {
    let mut shared = HashSet::new();
    convert(In::Ref(v), &mut shared)
}

/// Convert `v` for the engine, consuming it as it is converted: each part of the parser's
/// value is freed once converted, so a large document never exists twice in full.
pub fn to_rego_owned(v: serde_json::Value) -> Value {
    let mut shared = HashSet::new();
    convert(In::Own(v), &mut shared)
}

enum In<'a> {
    Ref(&'a serde_json::Value),
    Own(serde_json::Value),
}

fn shared_str(s: &str, shared: &mut HashSet<Rc<str>>) -> Rc<str> {
    if s.len() > SHARED_MAX {
        return Rc::from(s);
    }
    if let Some(rc) = shared.get(s) {
        return Rc::clone(rc);
    }
    let rc: Rc<str> = Rc::from(s);
    shared.insert(Rc::clone(&rc));
    rc
}

fn scalar(v: &serde_json::Value, shared: &mut HashSet<Rc<str>>) -> Value {
    match v {
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Value::from(u)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                // serde_json numbers are finite.
                n.as_f64().map_or(Value::Null, Value::from)
            }
        }
        serde_json::Value::String(s) => Value::String(shared_str(s, shared)),
        serde_json::Value::Null | serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
            Value::Null
        }
    }
}

fn convert(v: In<'_>, shared: &mut HashSet<Rc<str>>) -> Value {
    match v {
        In::Ref(serde_json::Value::Array(items)) => Value::from(
            items
                .iter()
                .map(|x| convert(In::Ref(x), shared))
                .collect::<Vec<_>>(),
        ),
        In::Ref(serde_json::Value::Object(map)) => Value::from(
            map.iter()
                .map(|(k, x)| {
                    (
                        Value::String(shared_str(k, shared)),
                        convert(In::Ref(x), shared),
                    )
                })
                .collect::<BTreeMap<_, _>>(),
        ),
        In::Own(serde_json::Value::Array(items)) => Value::from(
            items
                .into_iter()
                .map(|x| convert(In::Own(x), shared))
                .collect::<Vec<_>>(),
        ),
        In::Own(serde_json::Value::Object(map)) => Value::from(
            map.into_iter()
                .map(|(k, x)| {
                    (
                        Value::String(shared_str(&k, shared)),
                        convert(In::Own(x), shared),
                    )
                })
                .collect::<BTreeMap<_, _>>(),
        ),
        In::Ref(other) => scalar(other, shared),
        In::Own(other) => scalar(&other, shared),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same values as the engine's own conversion, with repeated strings shared.
    #[test]
    fn converts_like_the_engine_and_shares_strings() {
        let doc = serde_json::json!({
            "calls": [
                {"class": "BashOperator", "kwargs": {"task_id": "a", "retries": 2, "x": -1, "f": 1.5}},
                {"class": "BashOperator", "kwargs": {"task_id": "b", "on": true, "n": null, "e": {}, "l": []}},
            ],
        });
        let ours = to_rego(&doc);
        assert_eq!(ours, Value::from(doc.clone()));
        assert_eq!(to_rego_owned(doc.clone()), ours);
        let class = |i: usize| match &ours["calls"][i]["class"] {
            Value::String(s) => s.clone(),
            other => panic!("{other:?}"),
        };
        assert!(Rc::ptr_eq(&class(0), &class(1)));
    }
}
