//! Where regorus 0.14 and OPA differ on policies that conftest users run, and custos can
//! close the gap without changing the engine (docs/rego-compatibility.md lists every gap,
//! closed or not, with a reproducer):
//!
//! - `minus(a, b)`, the deprecated builtin policy packs still call (set difference, or
//!   subtraction of numbers), is provided as an extension.
//! - `rego.metadata.rule()` is not a regorus builtin: each call is rewritten, before the file
//!   is compiled, into the object literal of the `# METADATA` block above the rule (YAML, as
//!   OPA reads it, with `scope: rule`), or `{}` for a rule without one. The rewrite keeps
//!   every line where it was, so locations in errors and coverage are unchanged.

use regorus::{Engine, Value};

/// Register the compatibility builtins.
pub fn register(engine: &mut Engine) -> anyhow::Result<()> {
    engine.add_extension(
        "minus".to_owned(),
        2,
        Box::new(|args: Vec<Value>| {
            let (Some(a), Some(b)) = (args.first(), args.get(1)) else {
                anyhow::bail!("minus(a, b) takes two arguments");
            };
            match (a, b) {
                (Value::Set(x), Value::Set(y)) => Ok(x.difference(y).into_value()),
                (Value::Number(x), Value::Number(y)) => Ok(Value::Number(
                    x.sub(y).map_err(|e| anyhow::anyhow!("minus: {e}"))?,
                )),
                _ => anyhow::bail!("minus(a, b): both must be sets, or both numbers"),
            }
        }),
    )
}

const CALL: &str = "rego.metadata.rule()";

/// `src` with every `rego.metadata.rule()` replaced by the metadata of its rule; `src` itself
/// when it has none.
pub fn rewrite_metadata_calls(src: &str) -> std::borrow::Cow<'_, str> {
    if !src.contains(CALL) {
        return std::borrow::Cow::Borrowed(src);
    }
    let mut out = String::with_capacity(src.len());
    // The metadata of the rule being read, as a Rego literal.
    let mut current = "{}".to_owned();
    let mut block: Option<Vec<String>> = None;
    // Whether the rule the current metadata belongs to has started (its head was seen).
    let mut in_rule = false;
    for line in src.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(yaml) = block.as_mut() {
            if let Some(comment) = trimmed.strip_prefix('#') {
                yaml.push(comment.strip_prefix(' ').unwrap_or(comment).to_owned());
                out.push_str(line);
                continue;
            }
            current = metadata_literal(&yaml.join("\n"));
            block = None;
            in_rule = false;
        } else if trimmed.trim_end() == "# METADATA" {
            block = Some(Vec::new());
            out.push_str(line);
            continue;
        }
        // A new top-level rule after the annotated one ends that one's metadata.
        let top_level = line.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
        if top_level && !line.starts_with("import ") && !line.starts_with("package ") {
            if in_rule {
                "{}".clone_into(&mut current);
            }
            in_rule = true;
        }
        out.push_str(&line.replace(CALL, &current));
    }
    std::borrow::Cow::Owned(out)
}

/// The Rego literal of one `# METADATA` block (YAML): a one-line JSON object.
fn metadata_literal(yaml: &str) -> String {
    let parsed = crate::parse::parse(
        crate::parse::Syntax::Yaml,
        yaml,
        &crate::parse::Limits::default(),
    );
    let mut value = parsed
        .filter(|p| p.error.is_none())
        .and_then(|p| p.docs.into_iter().next())
        .map(|d| d.value)
        .filter(serde_json::Value::is_object)
        .unwrap_or_else(|| serde_json::json!({}));
    if let Some(obj) = value.as_object_mut() {
        obj.entry("scope")
            .or_insert_with(|| serde_json::Value::from("rule"));
    }
    serde_json::to_string(&value).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_calls_become_the_rule_s_annotations_on_the_same_lines() {
        let src = "package p\n\n# METADATA\n# title: T\n# custom:\n#   template: 'x %v'\ndeny contains m if {\n\tmd := rego.metadata.rule()\n\tm := md.title\n}\n\nwarn contains m if {\n\tm := rego.metadata.rule()\n}\n";
        let out = rewrite_metadata_calls(src);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), src.lines().count());
        assert_eq!(
            lines[7],
            "\tmd := {\"title\":\"T\",\"custom\":{\"template\":\"x %v\"},\"scope\":\"rule\"}"
        );
        assert_eq!(lines[12], "\tm := {}");
        assert!(matches!(
            rewrite_metadata_calls("package p\n"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
