//! Host functions exposed to Rego.
//!
//! conftest's builtins `parse_config(parser, text)`, `parse_config_file(path)` and
//! `parse_combined_config_files(paths)`, for every parser custos has (see
//! [`crate::parse::CONFTEST_PARSERS`]), backed by custos's own parsers so a test sees exactly
//! the input a scan would produce, in the value shape conftest's parser returns
//! ([`crate::parse::conftest_value`]).
//! The secret and PII detectors register here too as they arrive.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use regorus::{Engine, Value};

use crate::document::LineIndex;
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
                anyhow::bail!("parse_config(parser, text) takes two strings");
            };
            // `terraform`: HCL in custos's own Terraform document shape (what bundled rules
            // read; the bundled rules' tests build their inputs with it), where `hcl2` gives
            // conftest's hcl2json shape.
            let (syntax, conftest_shape) = match syntax.as_ref() {
                "python" | "airflow" => (Syntax::Python, true),
                "terraform" => (Syntax::Hcl, false),
                name => (
                    parse::syntax_for_parser_name(name)
                        .map_err(|e| anyhow::anyhow!("parse_config: {e}"))?,
                    true,
                ),
            };
            Ok(Value::from(parse_text(
                syntax,
                text,
                "parse_config",
                "<text>",
                conftest_shape,
            )?))
        }),
    )?;
    engine.add_extension(
        "parse_config_file".to_owned(),
        1,
        Box::new(|args: Vec<Value>| {
            let Some(Value::String(path)) = args.first() else {
                anyhow::bail!("parse_config_file(path) takes a string");
            };
            let (_, value) = parse_file(path, "parse_config_file")?;
            Ok(Value::from(value))
        }),
    )?;
    engine.add_extension(
        "parse_combined_config_files".to_owned(),
        1,
        Box::new(|args: Vec<Value>| {
            let Some(Value::Array(paths)) = args.first() else {
                anyhow::bail!("parse_combined_config_files(paths) takes an array of strings");
            };
            let mut combined: Vec<(String, serde_json::Value)> = Vec::new();
            for p in paths.iter() {
                let Value::String(p) = p else {
                    anyhow::bail!("parse_combined_config_files: every path must be a string");
                };
                let (shown, value) = parse_file(p, "parse_combined_config_files")?;
                // As conftest combines: a file holding several documents gives one entry each.
                match value {
                    serde_json::Value::Array(items) => {
                        combined.extend(items.into_iter().map(|v| (shown.clone(), v)));
                    }
                    other => combined.push((shown, other)),
                }
            }
            combined.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(Value::from(serde_json::Value::Array(
                combined
                    .into_iter()
                    .map(|(path, contents)| serde_json::json!({"path": path, "contents": contents}))
                    .collect(),
            )))
        }),
    )
}

/// Parse `text` as `syntax` into the value conftest's parser would return; a syntax error
/// names where (`what` is the builtin, `origin` the file or `<text>`).
fn parse_text(
    syntax: Syntax,
    text: &str,
    what: &str,
    origin: &str,
    conftest_shape: bool,
) -> anyhow::Result<serde_json::Value> {
    let parsed = if conftest_shape {
        parse::parse_conftest(syntax, text, &Limits::default())
    } else {
        parse::parse(syntax, text, &Limits::default())
    }
    .ok_or_else(|| anyhow::anyhow!("{what}: no parser for {syntax:?}"))?;
    if let Some(e) = &parsed.error {
        let at = e.span.map_or_else(String::new, |s| {
            let (line, col) = LineIndex::new(text).line_col(text, s.start);
            format!(":{line}:{col}")
        });
        anyhow::bail!("{what}: {origin}{at}: {}", e.message);
    }
    Ok(parse::conftest_value(syntax, parsed))
}

/// Directories of the user policy files loaded in this process: `parse_config_file` paths
/// are relative to the policy that names them (as in conftest); the engine does not tell an
/// extension which policy called it, so each loaded policy's directory is tried in turn.
static POLICY_DIRS: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// Record the directory of a policy file being loaded (a no-op for a path that is not on disk).
pub fn note_policy_path(path: &str) {
    let Some(dir) = Path::new(path).parent() else {
        return;
    };
    if Path::new(path).is_file() {
        if let Ok(mut dirs) = POLICY_DIRS.lock() {
            dirs.insert(dir.to_path_buf());
        }
    }
}

/// Where a builtin's relative path points: beside a loaded policy that has it, else as given.
fn resolve(path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        return p.to_path_buf();
    }
    let dirs = POLICY_DIRS.lock().map(|d| d.clone()).unwrap_or_default();
    dirs.iter()
        .map(|d| d.join(p))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| p.to_path_buf())
}

/// Read and parse a file by conftest's naming rules: (path as shown, value).
fn parse_file(path: &str, what: &str) -> anyhow::Result<(String, serde_json::Value)> {
    let resolved = resolve(path);
    let shown = crate::document::display_path(&resolved);
    let syntax = parse::syntax_for_conftest_path(&resolved)
        .map_err(|e| anyhow::anyhow!("{what}: {shown}: {e}"))?;
    let meta = std::fs::metadata(&resolved)
        .map_err(|e| anyhow::anyhow!("{what}: cannot read {shown}: {e}"))?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        anyhow::bail!("{what}: {shown} is not a regular file under {MAX_FILE_BYTES} bytes");
    }
    let text = std::fs::read_to_string(&resolved)
        .map_err(|e| anyhow::anyhow!("{what}: cannot read {shown}: {e}"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    Ok((shown.clone(), parse_text(syntax, text, what, &shown, true)?))
}

/// Files a policy may parse through the builtins are bounded like scanned files.
const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
