//! Host functions exposed to Rego.
//!
//! `parse_config(syntax, text)` is conftest's builtin for unit tests (`hcl2`, `yaml`, `json`),
//! backed by custos's own parsers so a test sees exactly the input a scan would produce.
//! The secret and PII detectors register here too as they arrive.

use regorus::{Engine, Value};

use crate::parse::{self, Limits, Syntax};

/// Detections as Rego values: rule, position and a short preview; never the value itself.
fn detections(text: &str, found: Vec<crate::detect::Detection>) -> Value {
    let items: Vec<Value> = found
        .into_iter()
        .map(|d| {
            let value = text.get(d.start..d.end).unwrap_or_default();
            let (severity, _) = crate::logs::describe(&d, value);
            let title = crate::detect::title(d.rule);
            let mut m = std::collections::BTreeMap::new();
            m.insert(Value::from("rule"), Value::from(d.rule));
            m.insert(Value::from("title"), Value::from(title));
            m.insert(Value::from("severity"), Value::from(severity.as_str()));
            m.insert(Value::from("start"), Value::from(d.start as u64));
            m.insert(Value::from("end"), Value::from(d.end as u64));
            m.insert(
                Value::from("preview"),
                Value::from(crate::detect::preview(value)),
            );
            Value::from(m)
        })
        .collect();
    Value::from(items)
}

pub fn register(engine: &mut Engine) -> anyhow::Result<()> {
    engine.add_extension(
        "custos.secrets".to_owned(),
        1,
        Box::new(|args: Vec<Value>| {
            let Some(Value::String(s)) = args.first() else {
                anyhow::bail!("custos.secrets(text) takes a string");
            };
            Ok(detections(
                s,
                crate::detect::secrets::scan(s, crate::detect::secrets::Context::Config),
            ))
        }),
    )?;
    engine.add_extension(
        "custos.pii".to_owned(),
        1,
        Box::new(|args: Vec<Value>| {
            let Some(Value::String(s)) = args.first() else {
                anyhow::bail!("custos.pii(text) takes a string");
            };
            Ok(detections(
                s,
                crate::detect::pii::scan(s, &crate::detect::pii::Entity::defaults()),
            ))
        }),
    )?;
    engine.add_extension(
        "parse_config".to_owned(),
        2,
        Box::new(|args: Vec<Value>| {
            let (Some(Value::String(syntax)), Some(Value::String(text))) =
                (args.first(), args.get(1))
            else {
                anyhow::bail!("parse_config(syntax, text) takes two strings");
            };
            let syntax = match syntax.as_ref() {
                "hcl" | "hcl2" | "tf" | "terraform" => Syntax::Hcl,
                "yaml" | "yml" => Syntax::Yaml,
                "json" => Syntax::Json,
                "python" | "airflow" => Syntax::Python,
                other => {
                    anyhow::bail!(
                        "parse_config: unsupported syntax `{other}` (hcl2, yaml, json, python)"
                    )
                }
            };
            let parsed = parse::parse(syntax, text, &Limits::default())
                .ok_or_else(|| anyhow::anyhow!("no parser"))?;
            if let Some(e) = parsed.error {
                anyhow::bail!("parse_config: {}", e.message);
            }
            Ok(parsed
                .docs
                .into_iter()
                .next()
                .map_or(Value::Null, |d| Value::from(d.value)))
        }),
    )
}
