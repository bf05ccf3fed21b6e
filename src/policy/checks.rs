//! Load-time checks that conftest gets from OPA's compiler and regorus does not run:
//! `--strict` (OPA's strict mode) and `--capabilities FILE` (refuse builtins the file does
//! not list). Both read the user's policies as regorus parses them and report every problem
//! at once, each as `file:line: rego_…_error: …` — OPA's wording, so a conftest user's CI
//! log greps the same.
//!
//! What `--strict` checks here, as OPA's strict mode does: a local variable assigned with
//! `:=` and never used (`assigned var x unused`), a function argument no body uses
//! (`unused argument y`), calls of deprecated builtins (`any`, `all`, `re_match`, `set_diff`,
//! `net.cidr_overlap`, the `cast_*` family), duplicate imports and unused imports. Not
//! checked (documented in docs/conftest-compat.md): unused `some` declarations and the
//! shadowing of `input`/`data` by a local, which need OPA's full variable scoping.
//!
//! `--capabilities` reads OPA's capabilities JSON (`{"builtins": [{"name": …}, …]}`) and
//! refuses a call of any builtin it does not list (`undefined function http.send`). A call
//! of a function the policies define themselves is never a builtin; conftest's own builtins
//! (`parse_config`, `parse_config_file`, `parse_combined_config_files`) are always allowed,
//! as conftest registers them outside the capabilities.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regorus::unstable::{AssignOp, Expr, Module, Rule, RuleHead};
use regorus::Engine;

use super::analysis::{imports, package_path, ref_components, walk_expr, walk_rule};

/// The flags, shared by `scan` and `policy test`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CheckArgs {
    /// OPA's strict mode for your policies: refuse unused local assignments, unused function
    /// arguments, deprecated builtins, duplicate and unused imports (as conftest --strict).
    #[arg(long)]
    pub strict: bool,
    /// An OPA capabilities file (JSON): refuse policies that call a builtin it does not list.
    #[arg(long, value_name = "FILE")]
    pub capabilities: Option<PathBuf>,
    /// Print a trace of the evaluation of your policies to stderr (each entry rule queried,
    /// the policy lines it evaluated, and its result), as far as the Rego engine exposes it.
    #[arg(long)]
    pub trace: bool,
}

/// conftest's builtins, outside any capabilities file.
const CONFTEST_BUILTINS: &[&str] = &[
    "parse_config",
    "parse_config_file",
    "parse_combined_config_files",
];

const DEPRECATED: &[&str] = &[
    "any",
    "all",
    "re_match",
    "set_diff",
    "net.cidr_overlap",
    "cast_array",
    "cast_set",
    "cast_string",
    "cast_boolean",
    "cast_null",
    "cast_object",
];

/// Run the checks `args` asks for over the `.rego` files of `dirs`. `Err` holds every
/// problem, one per line, sorted by file and line.
pub fn enforce(args: &CheckArgs, dirs: &[PathBuf]) -> Result<(), String> {
    if !args.strict && args.capabilities.is_none() {
        return Ok(());
    }
    let allowed = match &args.capabilities {
        Some(path) => Some(load_capabilities(path)?),
        None => None,
    };
    let mut engine = Engine::new();
    for dir in dirs {
        let files = super::rego_files(dir).map_err(|e| e.to_string())?;
        for path in files {
            let display = crate::document::display_path(&path);
            let src = std::fs::read_to_string(&path).map_err(|e| format!("{display}: {e}"))?;
            super::add_policy_as_written(&mut engine, display, &src).map_err(|e| e.to_string())?;
        }
    }
    let problems = check_modules(engine.get_modules(), args.strict, allowed.as_ref());
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// The builtin names a capabilities file lists.
pub fn load_capabilities(path: &Path) -> Result<BTreeSet<String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--capabilities {}: {e}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("--capabilities {}: not JSON: {e}", path.display()))?;
    let builtins = json
        .get("builtins")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| {
            format!(
                "--capabilities {}: no `builtins` list (an OPA capabilities file has one)",
                path.display()
            )
        })?;
    Ok(builtins
        .iter()
        .filter_map(|b| b.get("name").and_then(serde_json::Value::as_str))
        .map(str::to_owned)
        .collect())
}

/// Every problem in `modules`, as `file:line: rego_…_error: …`, sorted.
pub fn check_modules(
    modules: &[regorus::unstable::Ref<Module>],
    strict: bool,
    allowed: Option<&BTreeSet<String>>,
) -> Vec<String> {
    // Every rule and function the policies define, by full path.
    let mut defined: BTreeSet<String> = BTreeSet::new();
    for module in modules {
        let Some(package) = package_path(module) else {
            continue;
        };
        for rule in &module.policy {
            if let Some(name) = rule_name(rule) {
                defined.insert(format!("{package}.{name}"));
            }
        }
    }
    let mut problems: Vec<(String, u32, String)> = Vec::new();
    for module in modules {
        let path = module.package.span.source.get_path().clone();
        let package = package_path(module).unwrap_or_default();
        let aliases = imports(module);
        if strict {
            check_imports(module, &path, &mut problems);
        }
        for rule in &module.policy {
            if strict {
                check_rule_vars(rule, &path, &mut problems);
            }
            walk_rule(rule, &mut |e| {
                if let Expr::Call { fcn, span, .. } = e {
                    if let Some(callee) = ref_components(fcn) {
                        if is_user_function(&callee, &package, &aliases, &defined) {
                            return true;
                        }
                        let name = callee.join(".");
                        if strict && DEPRECATED.contains(&name.as_str()) {
                            problems.push((
                                path.clone(),
                                span.line,
                                format!("rego_type_error: deprecated built-in function calls in expression: {name}"),
                            ));
                        }
                        if let Some(allowed) = allowed {
                            if !allowed.contains(&name)
                                && !CONFTEST_BUILTINS.contains(&name.as_str())
                            {
                                problems.push((
                                    path.clone(),
                                    span.line,
                                    format!("rego_type_error: undefined function {name}"),
                                ));
                            }
                        }
                    }
                }
                true
            });
        }
    }
    problems.sort();
    problems.dedup();
    problems
        .into_iter()
        .map(|(path, line, message)| format!("{path}:{line}: {message}"))
        .collect()
}

fn rule_name(rule: &Rule) -> Option<String> {
    let refr = match rule {
        Rule::Spec { head, .. } => match head {
            RuleHead::Compr { refr, .. }
            | RuleHead::Set { refr, .. }
            | RuleHead::Func { refr, .. } => refr,
        },
        Rule::Default { refr, .. } => refr,
    };
    ref_components(refr).map(|c| c.join("."))
}

fn is_user_function(
    callee: &[String],
    package: &str,
    aliases: &BTreeMap<String, String>,
    defined: &BTreeSet<String>,
) -> bool {
    let Some(first) = callee.first() else {
        return false;
    };
    if first == "data" || aliases.contains_key(first) {
        return true;
    }
    defined.contains(&format!("{package}.{}", callee.join(".")))
}

/// Duplicate and unused imports.
fn check_imports(module: &Module, path: &str, problems: &mut Vec<(String, u32, String)>) {
    let mut used: BTreeSet<String> = BTreeSet::new();
    for rule in &module.policy {
        walk_rule(rule, &mut |e| {
            if let Expr::Var { span, .. } = e {
                used.insert(span.text().to_owned());
            }
            true
        });
    }
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for import in &module.imports {
        let Some(comps) = ref_components(&import.refr) else {
            continue;
        };
        let full = comps.join(".");
        if matches!(comps.first().map(String::as_str), Some("rego" | "future")) {
            continue;
        }
        if !seen.insert(full.clone()) {
            problems.push((
                path.to_owned(),
                import.span.line,
                format!("rego_compile_error: import {full} is a duplicate"),
            ));
            continue;
        }
        let alias = import.r#as.as_ref().map_or_else(
            || comps.last().cloned().unwrap_or_default(),
            |s| s.text().to_owned(),
        );
        if !used.contains(&alias) {
            problems.push((
                path.to_owned(),
                import.span.line,
                format!("rego_compile_error: import {full} unused"),
            ));
        }
    }
}

/// Unused `:=` assignments and unused function arguments in one rule.
fn check_rule_vars(rule: &Rule, path: &str, problems: &mut Vec<(String, u32, String)>) {
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    let mut assigned: Vec<(String, u32)> = Vec::new();
    walk_rule(rule, &mut |e| {
        match e {
            Expr::Var { span, .. } => {
                *uses.entry(span.text().to_owned()).or_default() += 1;
            }
            Expr::AssignExpr {
                op: AssignOp::ColEq,
                lhs,
                ..
            } => {
                walk_expr(lhs, &mut |l| {
                    if let Expr::Var { span, .. } = l {
                        assigned.push((span.text().to_owned(), span.line));
                    }
                    true
                });
            }
            _ => {}
        }
        true
    });
    let mut assignments: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, _) in &assigned {
        *assignments.entry(name.as_str()).or_default() += 1;
    }
    for (name, line) in &assigned {
        if name == "_" || name.starts_with('_') {
            continue;
        }
        let n = uses.get(name).copied().unwrap_or(0);
        if n <= assignments.get(name.as_str()).copied().unwrap_or(0) {
            problems.push((
                path.to_owned(),
                *line,
                format!("rego_compile_error: assigned var {name} unused"),
            ));
        }
    }
    if let Rule::Spec {
        head: RuleHead::Func { args, .. },
        ..
    } = rule
    {
        for a in args {
            if let Expr::Var { span, .. } = a.as_ref() {
                let name = span.text();
                if name != "_" && uses.get(name).copied().unwrap_or(0) <= 1 {
                    problems.push((
                        path.to_owned(),
                        span.line,
                        format!("rego_compile_error: unused argument {name}"),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(src: &str, strict: bool, allowed: Option<&[&str]>) -> Vec<String> {
        let mut engine = Engine::new();
        super::super::add_policy_as_written(&mut engine, "p.rego".into(), src).unwrap();
        let allowed: Option<BTreeSet<String>> =
            allowed.map(|a| a.iter().map(|s| (*s).to_owned()).collect());
        check_modules(engine.get_modules(), strict, allowed.as_ref())
    }

    #[test]
    fn strict_finds_unused_vars_args_imports_and_deprecated_builtins() {
        let src = "package main\nimport rego.v1\nimport data.lib\nimport data.other\n\nallow if {\n\tinput.b == \"foo\"\n\ta := 1\n\tb := 2\n\tx := {\"a\": a}\n}\n\nvalidate(x, y) if {\n\tinput.test == x\n} else := false\n\nused(x, y) if {\n\tinput.t == x\n} else if {\n\tinput.t == y\n}\n\ndeny contains msg if {\n\tvalidate(\"a\", \"b\")\n\tused(\"a\", \"b\")\n\tlib.f(1)\n\tany([true])\n\tmsg := \"m\"\n}\n";
        let got = problems(src, true, None);
        assert_eq!(
            got,
            vec![
                "p.rego:4: rego_compile_error: import data.other unused",
                "p.rego:9: rego_compile_error: assigned var b unused",
                "p.rego:10: rego_compile_error: assigned var x unused",
                "p.rego:13: rego_compile_error: unused argument y",
                "p.rego:27: rego_type_error: deprecated built-in function calls in expression: any",
            ],
            "{got:#?}"
        );
        // Without --strict none of it is reported.
        assert!(problems(src, false, None).is_empty());
    }

    #[test]
    fn capabilities_refuse_unlisted_builtins_only() {
        let src = "package main\nimport rego.v1\n\nhelper(x) := x\n\nattack if {\n\tresp := http.send({\"url\": opa.runtime().env.X})\n\tresp\n\tcount([helper(1)]) > 0\n\tparse_config(\"yaml\", \"a: 1\")\n}\n";
        let got = problems(src, false, Some(&["count", "eq"]));
        assert_eq!(
            got,
            vec![
                "p.rego:7: rego_type_error: undefined function http.send",
                "p.rego:7: rego_type_error: undefined function opa.runtime",
            ]
        );
    }
}
