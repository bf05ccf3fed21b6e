#![no_main]
//! Seal generated records, change one byte of one record, verify: the result must never be
//! "intact" unless the changed line still means exactly the same record.
use arbitrary::Arbitrary;
use custos::chain::{self, jcs, Outcome, Sealer};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Val {
    Null,
    Bool(bool),
    Int(i32),
    Float(f64),
    Str(String),
    List(Vec<String>),
}

#[derive(Debug, Arbitrary)]
struct Input {
    records: Vec<Vec<(String, Val)>>,
    record: usize,
    byte: usize,
    new: u8,
}

fn value(v: &Val) -> serde_json::Value {
    match v {
        Val::Null => serde_json::Value::Null,
        Val::Bool(b) => (*b).into(),
        Val::Int(i) => (*i).into(),
        Val::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Val::Str(s) => s.as_str().into(),
        Val::List(l) => l
            .iter()
            .map(|s| serde_json::Value::from(s.as_str()))
            .collect(),
    }
}

fuzz_target!(|input: Input| {
    let mut sealer = Sealer::default();
    let mut lines = Vec::new();
    for (i, fields) in input.records.iter().take(16).enumerate() {
        let obj: serde_json::Map<String, serde_json::Value> =
            fields.iter().map(|(k, v)| (k.clone(), value(v))).collect();
        let line = serde_json::Value::Object(obj).to_string();
        if let Ok(rec) = sealer.seal(&line, i + 1) {
            lines.push(rec);
        }
    }
    if lines.is_empty() {
        return;
    }
    let chain_text = lines.join("\n") + "\n";
    assert_eq!(
        chain::verify(chain_text.as_bytes(), &[]).outcome(),
        Outcome::Intact,
        "fresh seal does not verify"
    );

    let r = input.record % lines.len();
    let original = lines[r].as_bytes();
    let at = input.byte % original.len();
    if original[at] == input.new {
        return;
    }
    let mut changed = original.to_vec();
    changed[at] = input.new;
    let mut bytes = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        bytes.extend_from_slice(if i == r { &changed } else { l.as_bytes() });
        bytes.push(b'\n');
    }
    let report = chain::verify(bytes.as_slice(), &[]);
    if report.outcome() != Outcome::Intact {
        return;
    }
    // Only a change that leaves the same record (same canonical form) may verify.
    let same = std::str::from_utf8(&changed)
        .ok()
        .and_then(|s| jcs::parse(s).ok())
        .is_some_and(|v| jcs::canonical(&v) == lines[r]);
    assert!(
        same,
        "a modified record verified as intact: byte {at} of record {r} -> {:#04x}",
        input.new
    );
});
