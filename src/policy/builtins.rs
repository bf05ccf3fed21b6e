//! Host functions exposed to Rego.
//!
//! `parse_config(syntax, text)` is conftest's builtin for unit tests (`hcl2`, `yaml`, `json`),
//! backed by custos's own parsers so a test sees exactly the input a scan would produce.
//! The secret and PII detectors register here too as they arrive.

use regorus::{Engine, Value};

use crate::parse::{self, Limits, Syntax};

pub fn register(engine: &mut Engine) -> anyhow::Result<()> {
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
                other => {
                    anyhow::bail!("parse_config: unsupported syntax `{other}` (hcl2, yaml, json)")
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
