//! Where regorus 0.14 and OPA differ on policies that conftest users run, and custos can
//! close the gap without changing the engine (docs/rego-compatibility.md lists every gap,
//! closed or not, with a reproducer):
//!
//! - `minus(a, b)`, the deprecated builtin policy packs still call (set difference, or
//!   subtraction of numbers), is provided as an extension.
//! - `sprintf` with more arguments than the format has verbs: OPA formats with Go's
//!   `fmt.Sprintf`, which appends `%!(EXTRA type=value, …)`; regorus 0.14 fails the call, so
//!   the message (and the result that carries it) is lost. `sprintf` is registered as an
//!   extension (extensions are looked up before builtins) that calls regorus's own builtin
//!   and, only when it refuses extra arguments, formats the arguments the verbs take and
//!   appends Go's suffix.
//! - `rego.metadata.rule()` is not a regorus builtin: each call is rewritten, before the file
//!   is compiled, into the object literal of the `# METADATA` block above the rule (YAML, as
//!   OPA reads it, with `scope: rule`), or `{}` for a rule without one. The rewrite keeps
//!   every line where it was, so locations in errors and coverage are unchanged.
//! - A reference through an import alias (`import data.lib.k8s` then `k8s.pods`) makes
//!   regorus 0.14 evaluate the whole imported package before it takes the field, so a test
//!   in the package that imports itself (`package docker` with `import data.docker`) is
//!   reported as recursion, and one failing rule anywhere in the imported package fails every
//!   reference into it. OPA resolves the reference to the one rule. Each `alias.x` /
//!   `alias[…]` is rewritten to the imported path (`data.lib.k8s.pods`), which regorus
//!   resolves to the rule alone. An alias also used bare in the file (a local variable of
//!   that name, or the package as a value) is left alone.
//! - `x = ref[x]` (and `ref[x] = x`), the unification the Kubernetes libraries use to
//!   iterate a set, is refused by regorus 0.14 (`var x is unsafe`); it is rewritten to
//!   `ref[x] == x`, which means the same whether or not `x` is bound.
//! - A call inside a negated expression (`not object.get(o, k, "N") == "N"`): OPA's
//!   compiler evaluates the call before the negation (it is hoisted into its own
//!   expression), so when the call is undefined or fails (`object.get(null, …)`) the body
//!   fails; regorus negates the whole expression, so `not` holds. konstraint's `has_field`
//!   idiom depends on OPA's reading. The call is hoisted as OPA does:
//!   `__custos_not_1 := object.get(o, k, "N"); not __custos_not_1 == "N"` (only in a body
//!   between braces or a comprehension, and not when the expression has `with` modifiers).
//! - `some x in c` where `c` is a string, number, boolean or null: OPA iterates nothing (the
//!   body is undefined); regorus 0.14 stops the rule with an error. The collection is
//!   wrapped in an extension that passes arrays, sets and objects through and gives an
//!   empty array for anything else: `some x in __custos_collection(c)`.
//! - A partial set rule without a body whose element iterates (`volumes contains
//!   pod.spec.volumes[_]`, v0 `volumes[pod.spec.volumes[_]]`, konstraint's `lib.pods`):
//!   regorus 0.14 stops the rule with `item cannot be indexed` when the collection is
//!   undefined (a pod without volumes); OPA's set is empty. The element moves into a body:
//!   `volumes contains __custos_item if { __custos_item := pod.spec.volumes[_] }`.
//! - A comprehension that declares (`:=`, `some`) a variable the rule declared before it
//!   (conftest's `combine` example: `name := …` outside, then `[name | …; x == name;
//!   name := …]`): OPA reads a use before the declaration as the outer variable and the
//!   declaration as a new local of the comprehension (its term included); regorus 0.14
//!   refuses the rule (`var name used before definition below`, `duplicated definition`).
//!   The comprehension's own variable is renamed (`__custos_local_1`) from its declaration
//!   on, and in the comprehension's term.
//! - `some i` in a rule body whose `i` is used only inside comprehensions (conftest's
//!   `combine` example): OPA gives each comprehension its own `i` (the outer one is never
//!   bound); regorus 0.14 fails with `duplicated definition of local variable i` once the
//!   body is evaluated a second time (after an earlier iteration). The declaration is
//!   replaced by `true`.
//!
//! The rewrites apply to the user's policies ([`rewrite`]; the bundled ones are written for
//! regorus). Every rewrite keeps each line where it was (locations in errors name the same
//! line; the column can move on a rewritten line) and leaves strings and comments
//! untouched. The AST-based ones share one parse of the file while none changes it.

use regorus::{Engine, Value};

/// Register the compatibility builtins.
pub fn register(engine: &mut Engine) -> anyhow::Result<()> {
    engine.add_extension("sprintf".to_owned(), 2, Box::new(sprintf))?;
    engine.add_extension(
        COLLECTION_GUARD.to_owned(),
        1,
        Box::new(|args: Vec<Value>| {
            Ok(match args.into_iter().next() {
                Some(
                    v @ (Value::Array(_) | Value::Set(_) | Value::Object(_) | Value::Undefined),
                ) => v,
                _ => Value::new_array(),
            })
        }),
    )?;
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

/// `src` with every rewrite of this module applied; `src` itself when none applies.
pub fn rewrite(src: &str) -> std::borrow::Cow<'_, str> {
    let mut out = rewrite_metadata_calls(src);
    if let std::borrow::Cow::Owned(s) = iterating_heads_into_bodies(&out) {
        out = std::borrow::Cow::Owned(s);
    }
    if let std::borrow::Cow::Owned(s) = drop_declarations_used_only_in_comprehensions(&out) {
        out = std::borrow::Cow::Owned(s);
    }
    if let std::borrow::Cow::Owned(s) = rename_comprehension_redeclarations(&out) {
        out = std::borrow::Cow::Owned(s);
    }
    if let std::borrow::Cow::Owned(s) = guard_some_in_collections(&out) {
        out = std::borrow::Cow::Owned(s);
    }
    if let std::borrow::Cow::Owned(s) = hoist_calls_out_of_not(&out) {
        out = std::borrow::Cow::Owned(s);
    }
    if let std::borrow::Cow::Owned(s) = rewrite_import_refs(&out) {
        out = std::borrow::Cow::Owned(s);
    }
    if let std::borrow::Cow::Owned(s) = rewrite_self_index_unification(&out) {
        out = std::borrow::Cow::Owned(s);
    }
    out
}

/// The parameters regorus's builtins are handed with the values: a span and an expression
/// per argument, used only in their error messages.
struct CallSite {
    span: regorus::unstable::Span,
    params: Vec<regorus::unstable::Ref<regorus::unstable::Expr>>,
}

fn call_site() -> Option<&'static CallSite> {
    static SITE: std::sync::LazyLock<Option<CallSite>> = std::sync::LazyLock::new(|| {
        let source = regorus::Source::from_contents(
            "sprintf".to_owned(),
            "package custos_compat\nx := sprintf(format, values)\n".to_owned(),
        )
        .ok()?;
        let module = regorus::unstable::Parser::new(&source).ok()?.parse().ok()?;
        let mut site = None;
        for rule in &module.policy {
            super::analysis::walk_rule(rule, &mut |e| {
                if let regorus::unstable::Expr::Call { span, params, .. } = e {
                    site.get_or_insert_with(|| CallSite {
                        span: span.clone(),
                        params: params.clone(),
                    });
                }
                true
            });
        }
        site
    });
    SITE.as_ref()
}

/// `sprintf(format, values)` as OPA gives it (see the module docs).
fn sprintf(args: Vec<Value>) -> anyhow::Result<Value> {
    let Some(site) = call_site() else {
        anyhow::bail!("sprintf: internal error: no call site");
    };
    let Some((builtin, _)) = regorus::unstable::BUILTINS.get("sprintf") else {
        anyhow::bail!("sprintf: internal error: no builtin");
    };
    let mut args = args;
    if let Some(Value::String(format)) = args.first() {
        if let Some(go) = go_float_defaults(format) {
            if let Some(slot) = args.get_mut(0) {
                *slot = Value::from(go);
            }
        }
    }
    let first = builtin(&site.span, &site.params, &args, false);
    let err = match first {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    // The builtin's message: "extra arguments (M) specified for N format verbs."
    let text = err.to_string();
    let verbs = text
        .split("specified for ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<usize>().ok());
    let (Some(verbs), Some(Value::Array(values))) = (verbs, args.get(1)) else {
        let reason = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("error: "))
            .unwrap_or(&text)
            .to_owned();
        anyhow::bail!("sprintf: {reason}");
    };
    let all: Vec<Value> = values.iter().cloned().collect();
    let (used, extra) = all.split_at(verbs.min(all.len()));
    let mut head_args = args.clone();
    if let Some(slot) = head_args.get_mut(1) {
        *slot = Value::from(used.to_vec());
    }
    let head = builtin(&site.span, &site.params, &head_args, false)?;
    let Value::String(head) = head else {
        anyhow::bail!("sprintf: internal error: not a string");
    };
    let extra: Vec<String> = extra.iter().map(go_extra).collect();
    Ok(Value::from(format!("{head}%!(EXTRA {})", extra.join(", "))))
}

/// `format` with each bare `%f` given Go's default precision (`%.6f`: Go prints `%f` with six
/// decimals, regorus with all of them); `None` when it has none.
fn go_float_defaults(format: &str) -> Option<String> {
    if !format.contains("%f") {
        return None;
    }
    let mut out = String::with_capacity(format.len() + 4);
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '%' {
            continue;
        }
        match chars.peek() {
            Some('%') => {
                out.push('%');
                chars.next();
            }
            Some('f') => out.push_str(".6"),
            _ => {}
        }
    }
    Some(out)
}

/// One extra argument as Go prints it in `%!(EXTRA …)`: OPA hands strings over as `string`,
/// integers as `int`, other numbers as `float64`, and anything else as its Rego text, a
/// `string`.
fn go_extra(v: &Value) -> String {
    match v {
        Value::String(s) => format!("string={s}"),
        Value::Number(n) => {
            let text = v.to_string();
            if n.is_integer() {
                format!("int={text}")
            } else {
                format!("float64={text}")
            }
        }
        other => format!("string={}", rego_text(other)),
    }
}

/// A value written as Rego prints a term (`{"a": 1}`, `["x", 2]`, `{1, 2}`).
fn rego_text(v: &Value) -> String {
    match v {
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(rego_text).collect::<Vec<_>>().join(", ")
        ),
        Value::Set(items) if items.is_empty() => "set()".to_owned(),
        Value::Set(items) => format!(
            "{{{}}}",
            items.iter().map(rego_text).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(k, v)| format!("{}: {}", rego_text(k), rego_text(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Undefined => "undefined".to_owned(),
        other => other.to_string(),
    }
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

/// The parsed module of `src`, as Rego v1 or else v0 (`None` when neither parses: the
/// engine then reports the error).
fn parse_module(src: &str) -> Option<regorus::unstable::Ref<regorus::unstable::Module>> {
    parse_module_with_version(src).map(|(m, _)| m)
}

type ParsedModule = Option<(regorus::unstable::Ref<regorus::unstable::Module>, bool)>;

thread_local! {
    /// The last text parsed and its module: the rewrites run one after another over the
    /// same text, and most change nothing, so a file is parsed once, not once per rewrite.
    static LAST_PARSE: std::cell::RefCell<Option<(String, ParsedModule)>> =
        const { std::cell::RefCell::new(None) };
}

/// [`parse_module`], and whether the module is Rego v1.
fn parse_module_with_version(src: &str) -> ParsedModule {
    let cached = LAST_PARSE.with(|last| {
        last.borrow()
            .as_ref()
            .filter(|(text, _)| text == src)
            .map(|(_, parsed)| parsed.clone())
    });
    if let Some(parsed) = cached {
        return parsed;
    }
    let parsed = parse_uncached(src);
    LAST_PARSE.with(|last| *last.borrow_mut() = Some((src.to_owned(), parsed.clone())));
    parsed
}

fn parse_uncached(src: &str) -> ParsedModule {
    let source = regorus::Source::from_contents("policy.rego".to_owned(), src.to_owned()).ok()?;
    let v1 = regorus::unstable::Parser::new(&source)
        .ok()
        .and_then(|mut p| {
            p.enable_rego_v1().ok()?;
            p.parse().ok()
        });
    match v1 {
        Some(m) => Some((regorus::unstable::Ref::new(m), true)),
        None => regorus::unstable::Parser::new(&source)
            .ok()?
            .parse()
            .ok()
            .map(|m| (regorus::unstable::Ref::new(m), false)),
    }
}

/// Every query of a rule (bodies, comprehensions, `every`), outermost first.
fn rule_queries(
    rule: &regorus::unstable::Rule,
) -> Vec<regorus::unstable::Ref<regorus::unstable::Query>> {
    use regorus::unstable::{Expr, Literal, Query, Ref, Rule};
    fn nested(q: &Ref<Query>, out: &mut Vec<Ref<Query>>) {
        out.push(q.clone());
        for stmt in &q.stmts {
            if let Literal::Every { query, .. } = &stmt.literal {
                nested(query, out);
            }
        }
    }
    let mut out = Vec::new();
    if let Rule::Spec { bodies, .. } = rule {
        for b in bodies {
            nested(&b.query, &mut out);
        }
    }
    super::analysis::walk_rule(rule, &mut |e| {
        if let Expr::ArrayCompr { query, .. }
        | Expr::SetCompr { query, .. }
        | Expr::ObjectCompr { query, .. } = e
        {
            nested(query, &mut out);
        }
        true
    });
    out
}

/// `src` with the iterating element of body-less partial set rules moved into a body (see
/// the module docs).
pub fn iterating_heads_into_bodies(src: &str) -> std::borrow::Cow<'_, str> {
    use regorus::unstable::{Expr, Rule, RuleHead};
    if !src.contains("[_]") {
        return std::borrow::Cow::Borrowed(src);
    }
    let Some((module, v1)) = parse_module_with_version(src) else {
        return std::borrow::Cow::Borrowed(src);
    };
    // `if` and `contains` are keywords in Rego v1 and where they are imported; a v0 set rule
    // can do without both. (`p[x] if { … }` is an object rule in v1: the set keeps
    // `contains`.)
    let keyword = |k: &str| {
        v1 || module.imports.iter().any(|i| {
            let path = i.refr.span().text();
            path == "rego.v1" || path == "future.keywords" || path == format!("future.keywords.{k}")
        })
    };
    let (keyword_if, keyword_contains) = (keyword("if"), keyword("contains"));
    let range = |s: &regorus::unstable::Span| {
        usize::try_from(s.start)
            .ok()
            .zip(usize::try_from(s.end).ok())
    };
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for rule in &module.policy {
        let Rule::Spec {
            span,
            head:
                RuleHead::Set {
                    refr,
                    key: Some(key),
                    ..
                },
            bodies,
        } = rule.as_ref()
        else {
            continue;
        };
        if !bodies.is_empty() {
            continue;
        }
        let mut iterates = false;
        super::analysis::walk_expr(key, &mut |e| {
            if let Expr::RefBrack { index, .. } = e {
                if matches!(index.as_ref(), Expr::Var { span, .. } if span.text() == "_") {
                    iterates = true;
                }
            }
            true
        });
        let (Some((rule_start, rule_end)), Some((key_start, key_end))) =
            (range(span), range(key.span()))
        else {
            continue;
        };
        if !(iterates && rule_start <= key_start && key_end <= rule_end) {
            continue;
        }
        let Some(element) = src.get(key_start..key_end) else {
            continue;
        };
        let name = refr.span().text();
        let head = if keyword_contains {
            format!("{name} contains __custos_item")
        } else {
            format!("{name}[__custos_item]")
        };
        let kw = if keyword_if { " if" } else { "" };
        edits.push((
            rule_start,
            rule_end,
            format!("{head}{kw} {{ __custos_item := {element} }}"),
        ));
    }
    if edits.is_empty() {
        return std::borrow::Cow::Borrowed(src);
    }
    let mut out = String::with_capacity(src.len() + edits.len() * 48);
    let mut last = 0;
    for (start, end, replacement) in edits {
        if start < last {
            continue;
        }
        out.push_str(src.get(last..start).unwrap_or_default());
        out.push_str(&replacement);
        last = end;
    }
    out.push_str(src.get(last..).unwrap_or_default());
    std::borrow::Cow::Owned(out)
}

/// Every expression of one statement, nested ones included, visited by `f`.
fn walk_stmt(
    stmt: &regorus::unstable::LiteralStmt,
    f: &mut dyn FnMut(&regorus::unstable::Expr) -> bool,
) {
    use regorus::unstable::Literal;
    match &stmt.literal {
        Literal::SomeVars { .. } => {}
        Literal::SomeIn {
            key,
            value,
            collection,
            ..
        } => {
            if let Some(k) = key {
                super::analysis::walk_expr(k, f);
            }
            super::analysis::walk_expr(value, f);
            super::analysis::walk_expr(collection, f);
        }
        Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => {
            super::analysis::walk_expr(expr, f);
        }
        Literal::Every { domain, query, .. } => {
            super::analysis::walk_expr(domain, f);
            super::analysis::walk_query(query, f);
        }
    }
    for w in &stmt.with_mods {
        super::analysis::walk_expr(&w.refr, f);
        super::analysis::walk_expr(&w.r#as, f);
    }
}

/// The variables a statement binds: `x := …`, `x = …`, `some x`, `some k, v in …`.
fn bound_by(stmt: &regorus::unstable::LiteralStmt) -> Vec<String> {
    use regorus::unstable::{Expr, Literal};
    let var = |e: &Expr| match e {
        Expr::Var { span, .. } => Some(span.text().to_owned()),
        _ => None,
    };
    match &stmt.literal {
        Literal::SomeVars { vars, .. } => vars.iter().map(|v| v.text().to_owned()).collect(),
        Literal::SomeIn { key, value, .. } => key
            .iter()
            .chain(std::iter::once(value))
            .filter_map(|e| var(e))
            .collect(),
        Literal::Expr { expr, .. } => match expr.as_ref() {
            Expr::AssignExpr { lhs, .. } => var(lhs).into_iter().collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// `src` with `some x` declarations whose variables only comprehensions use replaced by
/// `true` (see the module docs).
pub fn drop_declarations_used_only_in_comprehensions(src: &str) -> std::borrow::Cow<'_, str> {
    use regorus::unstable::{Expr, Literal};
    if !src.contains("some ") {
        return std::borrow::Cow::Borrowed(src);
    }
    let Some(module) = parse_module(src) else {
        return std::borrow::Cow::Borrowed(src);
    };
    let mut edits: Vec<(usize, usize)> = Vec::new();
    for rule in &module.policy {
        for query in rule_queries(rule) {
            for (i, stmt) in query.stmts.iter().enumerate() {
                let Literal::SomeVars { span, vars } = &stmt.literal else {
                    continue;
                };
                let names: Vec<&str> = vars.iter().map(regorus::unstable::Span::text).collect();
                let mut outside = false;
                let mut inside = false;
                for (j, other) in query.stmts.iter().enumerate() {
                    if j == i {
                        continue;
                    }
                    // Occurrences outside comprehensions, and inside them.
                    walk_stmt(other, &mut |e| match e {
                        Expr::ArrayCompr { .. }
                        | Expr::SetCompr { .. }
                        | Expr::ObjectCompr { .. } => {
                            super::analysis::walk_expr(e, &mut |inner| {
                                if let Expr::Var { span, .. } = inner {
                                    inside |= names.contains(&span.text());
                                }
                                true
                            });
                            false
                        }
                        Expr::Var { span, .. } => {
                            outside |= names.contains(&span.text());
                            true
                        }
                        _ => true,
                    });
                }
                if inside && !outside {
                    if let (Ok(a), Ok(b)) = (usize::try_from(span.start), usize::try_from(span.end))
                    {
                        edits.push((a, b));
                    }
                }
            }
        }
    }
    if edits.is_empty() {
        return std::borrow::Cow::Borrowed(src);
    }
    edits.sort_unstable();
    edits.dedup();
    let mut out = String::with_capacity(src.len());
    let mut last = 0;
    for (start, end) in edits {
        if start < last || src.get(start..end).is_none_or(|t| !t.starts_with("some")) {
            continue;
        }
        out.push_str(src.get(last..start).unwrap_or_default());
        out.push_str("true");
        last = end;
    }
    out.push_str(src.get(last..).unwrap_or_default());
    std::borrow::Cow::Owned(out)
}

/// `src` with a comprehension's redeclared variable renamed (see the module docs).
pub fn rename_comprehension_redeclarations(src: &str) -> std::borrow::Cow<'_, str> {
    use regorus::unstable::{AssignOp, Expr, Literal};
    if !src.contains('|') || !src.contains(":=") {
        return std::borrow::Cow::Borrowed(src);
    }
    let Some(module) = parse_module(src) else {
        return std::borrow::Cow::Borrowed(src);
    };
    // (start, end, new name) of each variable occurrence to rename.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut n = 0usize;
    for rule in &module.policy {
        for query in rule_queries(rule) {
            let mut outer: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
            for stmt in &query.stmts {
                // Comprehensions directly in this statement, against what the rule bound
                // before it.
                walk_stmt(stmt, &mut |e| {
                    let (terms, cq): (Vec<&regorus::unstable::Ref<Expr>>, _) = match e {
                        Expr::ArrayCompr { term, query, .. }
                        | Expr::SetCompr { term, query, .. } => (vec![term], query),
                        Expr::ObjectCompr {
                            key, value, query, ..
                        } => (vec![key, value], query),
                        _ => return true,
                    };
                    for (i, cstmt) in cq.stmts.iter().enumerate() {
                        // A declaration (`:=`, `some`) of a variable the rule declared
                        // outside: OPA makes it a new local of the comprehension.
                        let declared: Vec<String> = match &cstmt.literal {
                            Literal::Expr { expr, .. } => match expr.as_ref() {
                                Expr::AssignExpr {
                                    op: AssignOp::ColEq,
                                    ..
                                } => bound_by(cstmt),
                                _ => Vec::new(),
                            },
                            Literal::SomeVars { .. } | Literal::SomeIn { .. } => bound_by(cstmt),
                            _ => Vec::new(),
                        };
                        for name in declared
                            .into_iter()
                            .filter(|d| outer.contains(d) && d != "_")
                        {
                            n += 1;
                            let renamed = format!("__custos_local_{n}");
                            // `some x` names x by a span of its own, not an expression.
                            if let Literal::SomeVars { vars, .. } = &cstmt.literal {
                                for v in vars.iter().filter(|v| v.text() == name) {
                                    if let (Ok(a), Ok(b)) =
                                        (usize::try_from(v.start), usize::try_from(v.end))
                                    {
                                        edits.push((a, b, renamed.clone()));
                                    }
                                }
                            }
                            let mut rename = |e: &Expr| {
                                if let Expr::Var { span, .. } = e {
                                    if span.text() == name {
                                        if let (Ok(a), Ok(b)) =
                                            (usize::try_from(span.start), usize::try_from(span.end))
                                        {
                                            edits.push((a, b, renamed.clone()));
                                        }
                                    }
                                }
                                true
                            };
                            for later in cq.stmts.iter().skip(i) {
                                walk_stmt(later, &mut rename);
                            }
                            for t in &terms {
                                super::analysis::walk_expr(t, &mut rename);
                            }
                        }
                    }
                    // Nested comprehensions are reached by this walk too; they are judged
                    // against the same outer variables.
                    true
                });
                outer.extend(bound_by(stmt));
            }
        }
    }
    if edits.is_empty() {
        return std::borrow::Cow::Borrowed(src);
    }
    edits.sort_unstable_by_key(|e| e.0);
    edits.dedup_by_key(|e| e.0);
    let mut out = String::with_capacity(src.len() + edits.len() * 16);
    let mut last = 0;
    for (start, end, replacement) in edits {
        if start < last {
            continue;
        }
        out.push_str(src.get(last..start).unwrap_or_default());
        out.push_str(&replacement);
        last = end;
    }
    out.push_str(src.get(last..).unwrap_or_default());
    std::borrow::Cow::Owned(out)
}

/// The extension `some … in` collections are wrapped in (see the module docs).
const COLLECTION_GUARD: &str = "__custos_collection";

/// `src` with the collection of every `some … in` wrapped in [`COLLECTION_GUARD`].
pub fn guard_some_in_collections(src: &str) -> std::borrow::Cow<'_, str> {
    use regorus::unstable::Literal;
    if !src.contains(" in ") {
        return std::borrow::Cow::Borrowed(src);
    }
    let Some(module) = parse_module(src) else {
        return std::borrow::Cow::Borrowed(src);
    };
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for rule in &module.policy {
        for query in rule_queries(rule) {
            for stmt in &query.stmts {
                if let Literal::SomeIn { collection, .. } = &stmt.literal {
                    let s = collection.span();
                    if let (Ok(a), Ok(b)) = (usize::try_from(s.start), usize::try_from(s.end)) {
                        ranges.push((a, b));
                    }
                }
            }
        }
    }
    if ranges.is_empty() {
        return std::borrow::Cow::Borrowed(src);
    }
    ranges.sort_unstable();
    ranges.dedup();
    let mut out = String::with_capacity(src.len() + ranges.len() * (COLLECTION_GUARD.len() + 2));
    let mut last = 0;
    for (start, end) in ranges {
        if start < last || src.get(start..end).is_none() {
            continue;
        }
        out.push_str(src.get(last..start).unwrap_or_default());
        out.push_str(COLLECTION_GUARD);
        out.push('(');
        out.push_str(src.get(start..end).unwrap_or_default());
        out.push(')');
        last = end;
    }
    out.push_str(src.get(last..).unwrap_or_default());
    std::borrow::Cow::Owned(out)
}

/// `src` with calls in negated expressions hoisted before the negation (see the module docs).
pub fn hoist_calls_out_of_not(src: &str) -> std::borrow::Cow<'_, str> {
    use regorus::unstable::{Expr, Literal};
    if !src.contains("not ") {
        return std::borrow::Cow::Borrowed(src);
    }
    let Some(module) = parse_module(src) else {
        return std::borrow::Cow::Borrowed(src);
    };
    let span_range = |s: &regorus::unstable::Span| {
        usize::try_from(s.start)
            .ok()
            .zip(usize::try_from(s.end).ok())
    };
    // (literal start, literal end, replacement)
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut n = 0usize;
    for rule in &module.policy {
        for query in rule_queries(rule) {
            for stmt in &query.stmts {
                let Literal::NotExpr { span, expr } = &stmt.literal else {
                    continue;
                };
                if !stmt.with_mods.is_empty() {
                    continue;
                }
                let Some((start, end)) = span_range(span) else {
                    continue;
                };
                // The operands OPA evaluates before negating: calls that are operands of a
                // comparison, or arguments of the negated call.
                let operands: Vec<&Expr> = match expr.as_ref() {
                    Expr::BoolExpr { lhs, rhs, .. } => vec![lhs.as_ref(), rhs.as_ref()],
                    Expr::Call { params, .. } => params.iter().map(AsRef::as_ref).collect(),
                    _ => continue,
                };
                let calls: Vec<(usize, usize)> = operands
                    .into_iter()
                    .filter(|e| matches!(e, Expr::Call { .. }))
                    .filter_map(|e| span_range(e.span()))
                    .filter(|&(s, e)| start <= s && e <= end)
                    .collect();
                if calls.is_empty() {
                    continue;
                }
                // A body written after `if` without braces cannot take a second literal.
                let before = src.get(..start).unwrap_or_default().trim_end();
                let after_if = before.ends_with("if")
                    && !before
                        .get(..before.len() - 2)
                        .and_then(|b| b.chars().next_back())
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
                if after_if || before.ends_with(":=") || before.ends_with('=') {
                    continue;
                }
                let mut hoisted = String::new();
                let mut negated = String::new();
                let mut last = start;
                for (cs, ce) in calls {
                    n += 1;
                    let var = format!("__custos_not_{n}");
                    hoisted.push_str(&var);
                    hoisted.push_str(" := ");
                    hoisted.push_str(src.get(cs..ce).unwrap_or_default());
                    hoisted.push_str("; ");
                    negated.push_str(src.get(last..cs).unwrap_or_default());
                    negated.push_str(&var);
                    last = ce;
                }
                negated.push_str(src.get(last..end).unwrap_or_default());
                edits.push((start, end, format!("{hoisted}{negated}")));
            }
        }
    }
    if edits.is_empty() {
        return std::borrow::Cow::Borrowed(src);
    }
    edits.sort_unstable_by_key(|e| e.0);
    let mut out = String::with_capacity(src.len() + edits.len() * 32);
    let mut last = 0;
    for (start, end, replacement) in edits {
        if start < last {
            continue;
        }
        out.push_str(src.get(last..start).unwrap_or_default());
        out.push_str(&replacement);
        last = end;
    }
    out.push_str(src.get(last..).unwrap_or_default());
    std::borrow::Cow::Owned(out)
}

/// The byte ranges of `src` that are code: strings (`"…"` with escapes, raw `` `…` ``) and
/// comments (`#` to the end of the line) are left out.
fn code_ranges(src: &str) -> Vec<std::ops::Range<usize>> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let end = match b {
            b'"' => {
                let mut j = i + 1;
                while let Some(&c) = bytes.get(j) {
                    match c {
                        b'\\' => j += 2,
                        b'"' | b'\n' => break,
                        _ => j += 1,
                    }
                }
                Some(j + 1)
            }
            b'`' => Some(
                bytes
                    .get(i + 1..)
                    .and_then(|rest| rest.iter().position(|&c| c == b'`'))
                    .map_or(bytes.len(), |p| i + 1 + p + 1),
            ),
            b'#' => Some(
                bytes
                    .get(i..)
                    .and_then(|rest| rest.iter().position(|&c| c == b'\n'))
                    .map_or(bytes.len(), |p| i + p),
            ),
            _ => None,
        };
        match end {
            Some(end) => {
                if start < i {
                    out.push(start..i);
                }
                i = end.min(bytes.len());
                start = i;
            }
            None => i += 1,
        }
    }
    if start < bytes.len() {
        out.push(start..bytes.len());
    }
    out
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Identifiers in the code of `src`: (byte offset, text).
fn identifiers(src: &str) -> Vec<(usize, &str)> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    for range in code_ranges(src) {
        let mut i = range.start;
        while i < range.end {
            let b = bytes.get(i).copied().unwrap_or_default();
            if is_ident_byte(b) {
                let start = i;
                while i < range.end && bytes.get(i).copied().is_some_and(is_ident_byte) {
                    i += 1;
                }
                // Numbers are not identifiers.
                if !b.is_ascii_digit() {
                    if let Some(word) = src.get(start..i) {
                        out.push((start, word));
                    }
                }
            } else {
                i += 1;
            }
        }
    }
    out
}

/// The `import data.…` lines of a module: (alias, imported path as written).
fn data_imports(src: &str) -> Vec<(String, String)> {
    static IMPORT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#"(?m)^[ \t]*import[ \t]+(data(?:\.[A-Za-z_][A-Za-z0-9_]*|\["[^"\n]*"\])+)(?:[ \t]+as[ \t]+([A-Za-z_][A-Za-z0-9_]*))?[ \t]*(?:#.*)?\r?$"#,
        )
        .expect("static regex")
    });
    IMPORT
        .captures_iter(src)
        .filter_map(|c| {
            let path = c.get(1)?.as_str().to_owned();
            let alias = if let Some(a) = c.get(2) {
                a.as_str().to_owned()
            } else {
                let last = path.rsplit('.').next()?;
                if last.contains('[') {
                    return None;
                }
                last.to_owned()
            };
            Some((alias, path))
        })
        .collect()
}

/// `src` with references through `import data.…` aliases spelled out (see the module docs).
pub fn rewrite_import_refs(src: &str) -> std::borrow::Cow<'_, str> {
    let imports = data_imports(src);
    if imports.is_empty() {
        return std::borrow::Cow::Borrowed(src);
    }
    let bytes = src.as_bytes();
    let idents = identifiers(src);
    // Lines that are `import` or `package` statements are not rewritten.
    let statement_line = |at: usize| {
        let line_start = src
            .get(..at)
            .and_then(|s| s.rfind('\n'))
            .map_or(0, |p| p + 1);
        let line = src.get(line_start..).unwrap_or_default().trim_start();
        line.starts_with("import ") || line.starts_with("package ")
    };
    let mut edits: Vec<(usize, usize, &str)> = Vec::new();
    for (alias, path) in &imports {
        let mut uses = Vec::new();
        let mut bare = false;
        for &(at, word) in &idents {
            if word != alias || statement_line(at) {
                continue;
            }
            let before = at.checked_sub(1).and_then(|p| bytes.get(p)).copied();
            if before == Some(b'.') {
                // A field of something else (`x.alias`).
                continue;
            }
            match bytes.get(at + word.len()) {
                Some(b'.' | b'[') => uses.push(at),
                _ => bare = true,
            }
        }
        if !bare {
            edits.extend(uses.into_iter().map(|at| (at, alias.len(), path.as_str())));
        }
    }
    if edits.is_empty() {
        return std::borrow::Cow::Borrowed(src);
    }
    edits.sort_unstable_by_key(|e| e.0);
    let mut out = String::with_capacity(src.len() + edits.len() * 16);
    let mut last = 0;
    for (at, len, path) in edits {
        out.push_str(src.get(last..at).unwrap_or_default());
        out.push_str(path);
        last = at + len;
    }
    out.push_str(src.get(last..).unwrap_or_default());
    std::borrow::Cow::Owned(out)
}

/// `src` with `x = ref[x]` and `ref[x] = x` written `ref[x] == x` (see the module docs).
pub fn rewrite_self_index_unification(src: &str) -> std::borrow::Cow<'_, str> {
    static VAR_FIRST: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*([A-Za-z_][A-Za-z0-9_.]*)\[([A-Za-z_][A-Za-z0-9_]*)\]",
        )
        .expect("static regex")
    });
    static REF_FIRST: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"([A-Za-z_][A-Za-z0-9_.]*)\[([A-Za-z_][A-Za-z0-9_]*)\][ \t]*=[ \t]*([A-Za-z_][A-Za-z0-9_]*)",
        )
        .expect("static regex")
    });
    if !src.contains('=') {
        return std::borrow::Cow::Borrowed(src);
    }
    let bytes = src.as_bytes();
    // (start, end, replacement)
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for range in code_ranges(src) {
        let Some(code) = src.get(range.clone()) else {
            continue;
        };
        let at = |i: usize| bytes.get(range.start + i).copied();
        // The match stands alone: not preceded by a name, `.`, or an operator that
        // would make its `=` part of `==`, `:=`, `!=`, `<=`, `>=`; not followed by more of
        // a reference or an operator.
        // A match at the start of a line is a rule head (`p[x] = x { … }`), not a statement.
        let standalone = |start: usize, end: usize, eq: usize| {
            let line_start = src
                .get(..range.start + start)
                .and_then(|s| s.rfind('\n'))
                .map_or(0, |p| p + 1);
            if line_start == range.start + start {
                return false;
            }
            let prev = start.checked_sub(1).and_then(at);
            let next = at(end);
            !prev.is_some_and(|b| is_ident_byte(b) || b == b'.' || b == b'[')
                && !matches!(at(eq + 1), Some(b'='))
                && !eq
                    .checked_sub(1)
                    .and_then(at)
                    .is_some_and(|b| b":!<>=".contains(&b))
                && !next.is_some_and(|b| is_ident_byte(b) || b"[.(=".contains(&b))
        };
        for c in VAR_FIRST.captures_iter(code) {
            let (Some(m), Some(var), Some(refr), Some(idx)) =
                (c.get(0), c.get(1), c.get(2), c.get(3))
            else {
                continue;
            };
            let eq = var.end() + code.get(var.end()..).and_then(|s| s.find('=')).unwrap_or(0);
            if var.as_str() == idx.as_str() && standalone(m.start(), m.end(), eq) {
                edits.push((
                    range.start + m.start(),
                    range.start + m.end(),
                    format!("{}[{}] == {}", refr.as_str(), idx.as_str(), var.as_str()),
                ));
            }
        }
        for c in REF_FIRST.captures_iter(code) {
            let (Some(m), Some(refr), Some(idx), Some(var)) =
                (c.get(0), c.get(1), c.get(2), c.get(3))
            else {
                continue;
            };
            let eq = idx.end() + code.get(idx.end()..).and_then(|s| s.find('=')).unwrap_or(0);
            if var.as_str() == idx.as_str()
                && refr.as_str() != "data"
                && standalone(m.start(), m.end(), eq)
            {
                edits.push((
                    range.start + m.start(),
                    range.start + m.end(),
                    format!("{}[{}] == {}", refr.as_str(), idx.as_str(), var.as_str()),
                ));
            }
        }
    }
    if edits.is_empty() {
        return std::borrow::Cow::Borrowed(src);
    }
    edits.sort_unstable_by_key(|e| e.0);
    let mut out = String::with_capacity(src.len() + edits.len());
    let mut last = 0;
    for (start, end, replacement) in edits {
        if start < last {
            continue;
        }
        out.push_str(src.get(last..start).unwrap_or_default());
        out.push_str(&replacement);
        last = end;
    }
    out.push_str(src.get(last..).unwrap_or_default());
    std::borrow::Cow::Owned(out)
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

    #[test]
    fn import_aliases_are_spelled_out_outside_strings_comments_and_fields() {
        let src = "package p\nimport data.lib.k8s\nimport data.other as o\n\nx if {\n\tk8s.pods[_]\n\to.f(1) # k8s.pods\n\tinput.k8s.y == \"k8s.pods\"\n}\n";
        let out = rewrite_import_refs(src);
        assert_eq!(
            out,
            "package p\nimport data.lib.k8s\nimport data.other as o\n\nx if {\n\tdata.lib.k8s.pods[_]\n\tdata.other.f(1) # k8s.pods\n\tinput.k8s.y == \"k8s.pods\"\n}\n"
        );
        assert_eq!(out.lines().count(), src.lines().count());
    }

    #[test]
    fn an_alias_also_used_bare_is_left_alone() {
        // A local of the same name (or the package used as a value) could be meant.
        let src = "package p\nimport data.lib\nx if {\n\tlib := {\"a\": 1}\n\tlib.a == 1\n}\n";
        assert!(matches!(
            rewrite_import_refs(src),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn self_index_unification_becomes_a_comparison_in_bodies_only() {
        let src = "package p\nys[y] { y = xs[y] }\nzs[z] {\n\tlib.xs[z] = z\n}\np[x] = x { x := 1 }\nq { a := b[a] }\nr { a == b[a] }\n";
        assert_eq!(
            rewrite_self_index_unification(src),
            "package p\nys[y] { xs[y] == y }\nzs[z] {\n\tlib.xs[z] == z\n}\np[x] = x { x := 1 }\nq { a := b[a] }\nr { a == b[a] }\n"
        );
    }

    #[test]
    fn calls_are_hoisted_out_of_negations_in_braced_bodies() {
        let src = "package p\nimport rego.v1\n\nf(o) if {\n\tnot object.get(o, \"k\", \"N\") == \"N\"\n}\n\ng(o) if not object.get(o, \"k\", \"N\") == \"N\"\n\nh(o) if {\n\tnot object.get(o, \"k\", \"N\") == \"N\" with input as {}\n}\n";
        let out = hoist_calls_out_of_not(src);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), src.lines().count());
        assert_eq!(
            lines[4],
            "\t__custos_not_1 := object.get(o, \"k\", \"N\"); not __custos_not_1 == \"N\""
        );
        // After `if` without braces, and with a `with` modifier: as written.
        assert_eq!(lines[7], "g(o) if not object.get(o, \"k\", \"N\") == \"N\"");
        assert_eq!(
            lines[10],
            "\tnot object.get(o, \"k\", \"N\") == \"N\" with input as {}"
        );
    }

    #[test]
    fn some_in_collections_are_guarded() {
        let src = "package p\nimport rego.v1\nx contains v if {\n\tsome v in input.a\n\tsome k, w in input.b\n}\n";
        assert_eq!(
            guard_some_in_collections(src),
            "package p\nimport rego.v1\nx contains v if {\n\tsome v in __custos_collection(input.a)\n\tsome k, w in __custos_collection(input.b)\n}\n"
        );
    }

    #[test]
    fn go_float_precision_is_added_to_bare_percent_f_only() {
        assert_eq!(
            go_float_defaults("%f %.2f %%f %5f").as_deref(),
            Some("%.6f %.2f %%f %5f")
        );
        assert_eq!(go_float_defaults("%s"), None);
    }

    #[test]
    fn iterating_set_heads_get_a_body() {
        let v1 = "package p\nimport rego.v1\n\nvolumes contains pod.spec.volumes[_]\nother contains x if { x := 1 }\n";
        assert_eq!(
            iterating_heads_into_bodies(v1),
            "package p\nimport rego.v1\n\nvolumes contains __custos_item if { __custos_item := pod.spec.volumes[_] }\nother contains x if { x := 1 }\n"
        );
        // Parsed as v1 (regorus reads this head in v1 too): the set keeps `contains`.
        let v0 = "package p\n\nports[input.spec.ports[_].port]\n";
        let old_v0 = "package p\n\nports[input.spec.ports[_].port] = true\nq[x] { x := input[_] }\nr[input[_]]\n";
        assert_eq!(
            iterating_heads_into_bodies(old_v0),
            "package p\n\nports[input.spec.ports[_].port] = true\nq[x] { x := input[_] }\nr[__custos_item] { __custos_item := input[_] }\n"
        );
        assert_eq!(
            iterating_heads_into_bodies(v0),
            "package p\n\nports contains __custos_item if { __custos_item := input.spec.ports[_].port }\n"
        );
    }

    #[test]
    fn comprehension_redeclarations_are_renamed_from_the_declaration_on() {
        let src = "package p\nimport rego.v1\nx contains n if {\n\tn := input[_].a\n\tids := [n | some i; input[i].a == n; n := input[i].b]\n\tcount(ids) > 1\n}\n";
        assert_eq!(
            rename_comprehension_redeclarations(src),
            "package p\nimport rego.v1\nx contains n if {\n\tn := input[_].a\n\tids := [__custos_local_1 | some i; input[i].a == n; __custos_local_1 := input[i].b]\n\tcount(ids) > 1\n}\n"
        );
        // Not declared outside: left alone.
        let alone = "package p\nimport rego.v1\nx := [n | some n in input]\n";
        assert!(matches!(
            rename_comprehension_redeclarations(alone),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn some_declarations_only_comprehensions_use_become_true() {
        let src = "package p\nimport rego.v1\nx contains f if {\n\tk := input[_]\n\tsome i\n\tf := [o | input[i] == k; o := i]\n}\ny contains i if {\n\tsome i\n\tinput[i]\n}\n";
        assert_eq!(
            drop_declarations_used_only_in_comprehensions(src),
            "package p\nimport rego.v1\nx contains f if {\n\tk := input[_]\n\ttrue\n\tf := [o | input[i] == k; o := i]\n}\ny contains i if {\n\tsome i\n\tinput[i]\n}\n"
        );
    }
}
