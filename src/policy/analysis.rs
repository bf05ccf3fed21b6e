//! Load-time analysis of user policies.
//!
//! Recursion check: Rego forbids recursion (OPA rejects it at compile time with
//! `rego_recursion_error`), but regorus only notices a cycle of *rules* at run time and does
//! not notice a cycle of *functions* at all — a recursive function recurses until the stack
//! overflows, which aborts the process. This module finds function cycles before anything
//! runs, so the package can be reported (function, file, line) instead of evaluated.
//!
//! Only calls are followed: the callee of a call is resolved exactly as regorus resolves it
//! (an import alias first, then the calling package, then an absolute `data.` path), so the
//! check never reports a cycle regorus would not follow. A cycle that passes through a rule is
//! left to regorus, which reports it as an evaluation error the moment the rule is re-entered.
//! A cycle made at run time with `with f as g` is not visible here; the policy worker's stack
//! limit bounds it (see `sandbox`).

use std::collections::{BTreeMap, BTreeSet};

use regorus::unstable::{Expr, Literal, Module, Query, Rule, RuleHead};

/// One function cycle, reported against the function it starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// `data.…` paths of the packages that define the functions of the cycle.
    pub packages: Vec<String>,
    /// Every function on the cycle, in call order, first one repeated at the end, each with
    /// `file:line` of its (first) definition.
    pub chain: Vec<(String, String)>,
}

impl Cycle {
    /// `f (p.rego:3) → g (p.rego:5) → f`: what a person needs to find the cycle.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for (i, (name, at)) in self.chain.iter().enumerate() {
            if i + 1 == self.chain.len() {
                parts.push(name.clone());
            } else {
                parts.push(format!("{name} ({at})"));
            }
        }
        format!(
            "function {} is recursive: {}; Rego does not allow recursion",
            self.chain.first().map_or("?", |c| c.0.as_str()),
            parts.join(" → ")
        )
    }
}

/// Depth-first search state of a function.
#[derive(Clone, Copy, PartialEq)]
enum Colour {
    White,
    Grey,
    Black,
}

/// A function: its definitions' location and the functions its bodies call.
#[derive(Default)]
struct Node {
    package: String,
    at: String,
    calls: BTreeSet<String>,
}

/// The components of a simple reference (`a.b["c"]`), or `None` for anything dynamic.
pub(crate) fn ref_components(e: &Expr) -> Option<Vec<String>> {
    match e {
        Expr::Var { span, .. } => Some(vec![span.text().to_owned()]),
        Expr::RefDot { refr, field, .. } => {
            let mut c = ref_components(refr)?;
            c.push(field.0.text().to_owned());
            Some(c)
        }
        Expr::RefBrack { refr, index, .. } => {
            let mut c = ref_components(refr)?;
            match index.as_ref() {
                Expr::String { value, .. } | Expr::RawString { value, .. } => {
                    c.push(value.as_string().ok()?.to_string());
                }
                _ => return None,
            }
            Some(c)
        }
        _ => None,
    }
}

pub(crate) fn package_path(module: &Module) -> Option<String> {
    let comps = ref_components(&module.package.refr)?;
    Some(format!("data.{}", comps.join(".")))
}

/// `alias → data.…` for the module's `import data.…` statements.
pub(crate) fn imports(module: &Module) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for import in &module.imports {
        let Some(comps) = ref_components(&import.refr) else {
            continue;
        };
        if comps.first().map(String::as_str) != Some("data") || comps.len() < 2 {
            continue;
        }
        let alias = match &import.r#as {
            Some(span) => span.text().to_owned(),
            None => comps.last().cloned().unwrap_or_default(),
        };
        out.insert(alias, comps.join("."));
    }
    out
}

/// Visit `e` and, while `f` returns `true`, everything under it.
pub(crate) fn walk_expr(e: &Expr, f: &mut dyn FnMut(&Expr) -> bool) {
    if !f(e) {
        return;
    }
    match e {
        Expr::String { .. }
        | Expr::RawString { .. }
        | Expr::Number { .. }
        | Expr::Bool { .. }
        | Expr::Null { .. }
        | Expr::Var { .. } => {}
        Expr::Array { items, .. } | Expr::Set { items, .. } => {
            for i in items {
                walk_expr(i, f);
            }
        }
        Expr::Object { fields, .. } => {
            for (_, k, v) in fields {
                walk_expr(k, f);
                walk_expr(v, f);
            }
        }
        Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
            walk_expr(term, f);
            walk_query(query, f);
        }
        Expr::ObjectCompr {
            key, value, query, ..
        } => {
            walk_expr(key, f);
            walk_expr(value, f);
            walk_query(query, f);
        }
        Expr::Call { fcn, params, .. } => {
            walk_expr(fcn, f);
            for p in params {
                walk_expr(p, f);
            }
        }
        Expr::UnaryExpr { expr, .. } => walk_expr(expr, f),
        Expr::RefDot { refr, .. } => walk_expr(refr, f),
        Expr::RefBrack { refr, index, .. } => {
            walk_expr(refr, f);
            walk_expr(index, f);
        }
        Expr::BinExpr { lhs, rhs, .. }
        | Expr::BoolExpr { lhs, rhs, .. }
        | Expr::ArithExpr { lhs, rhs, .. }
        | Expr::AssignExpr { lhs, rhs, .. } => {
            walk_expr(lhs, f);
            walk_expr(rhs, f);
        }
        Expr::Membership {
            key,
            value,
            collection,
            ..
        } => {
            if let Some(k) = key {
                walk_expr(k, f);
            }
            walk_expr(value, f);
            walk_expr(collection, f);
        }
    }
}

pub(crate) fn walk_query(q: &Query, f: &mut dyn FnMut(&Expr) -> bool) {
    for stmt in &q.stmts {
        match &stmt.literal {
            Literal::SomeVars { .. } => {}
            Literal::SomeIn {
                key,
                value,
                collection,
                ..
            } => {
                if let Some(k) = key {
                    walk_expr(k, f);
                }
                walk_expr(value, f);
                walk_expr(collection, f);
            }
            Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => walk_expr(expr, f),
            Literal::Every { domain, query, .. } => {
                walk_expr(domain, f);
                walk_query(query, f);
            }
        }
        for w in &stmt.with_mods {
            walk_expr(&w.refr, f);
            walk_expr(&w.r#as, f);
        }
    }
}

/// Visit every expression of a rule: head values and arguments, default value, bodies and
/// `else` values (not the rule's own name).
pub(crate) fn walk_rule(rule: &Rule, f: &mut dyn FnMut(&Expr) -> bool) {
    match rule {
        Rule::Spec { head, bodies, .. } => {
            match head {
                RuleHead::Compr { assign, .. } => {
                    if let Some(a) = assign {
                        walk_expr(&a.value, f);
                    }
                }
                RuleHead::Func { args, assign, .. } => {
                    for a in args {
                        walk_expr(a, f);
                    }
                    if let Some(a) = assign {
                        walk_expr(&a.value, f);
                    }
                }
                RuleHead::Set { key, .. } => {
                    if let Some(k) = key {
                        walk_expr(k, f);
                    }
                }
            }
            for body in bodies {
                if let Some(a) = &body.assign {
                    walk_expr(&a.value, f);
                }
                walk_query(&body.query, f);
            }
        }
        Rule::Default { args, value, .. } => {
            for a in args {
                walk_expr(a, f);
            }
            walk_expr(value, f);
        }
    }
}

/// Every call made anywhere in a rule, as the callee's (unresolved) path.
fn calls_in_rule(rule: &Rule) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    walk_rule(rule, &mut |e| {
        if let Expr::Call { fcn, .. } = e {
            if let Some(c) = ref_components(fcn) {
                out.push(c);
            }
        }
        true
    });
    out
}

/// Whether any of `modules` can reach a module under `data.custos` (the bundled policies):
/// a reference or import under `data.custos`, a package there, or `data` used whole or with
/// a computed key. Used to start workers without the bundled policies when the user's
/// policies cannot see them; it errs towards `true`.
pub fn reaches_bundled(modules: &[regorus::unstable::Ref<Module>]) -> bool {
    let mut reaches = false;
    let mut check = |e: &Expr| -> bool {
        match e {
            Expr::RefDot { .. } | Expr::RefBrack { .. } => match ref_components(e) {
                Some(c) if c.first().map(String::as_str) == Some("data") => {
                    if c.get(1).is_none_or(|x| x == "custos") {
                        reaches = true;
                    }
                    false
                }
                _ => true,
            },
            Expr::Var { span, .. } => {
                if span.text() == "data" {
                    reaches = true;
                }
                true
            }
            _ => true,
        }
    };
    for module in modules {
        let package = ref_components(&module.package.refr);
        if package
            .as_ref()
            .is_none_or(|p| p.first().is_none_or(|x| x == "custos"))
        {
            return true;
        }
        for import in &module.imports {
            match ref_components(&import.refr) {
                Some(c) if c.first().map(String::as_str) == Some("data") => {
                    if c.get(1).is_none_or(|x| x == "custos") {
                        return true;
                    }
                }
                Some(_) => {}
                None => return true,
            }
        }
        for rule in &module.policy {
            walk_rule(rule, &mut check);
        }
    }
    reaches
}

/// The full path of the function a rule defines, if it defines one.
fn function_path(rule: &Rule, package: &str) -> Option<String> {
    let (refr, is_fn) = match rule {
        Rule::Spec {
            head: RuleHead::Func { refr, .. },
            ..
        } => (refr, true),
        Rule::Default { refr, args, .. } => (refr, !args.is_empty()),
        Rule::Spec { .. } => return None,
    };
    if !is_fn {
        return None;
    }
    let comps = ref_components(refr)?;
    Some(format!("{package}.{}", comps.join(".")))
}

/// Resolve a callee the way regorus does: import alias, then the calling package, then an
/// absolute `data.` path. `None` for builtins, extensions and anything unknown.
fn resolve(
    callee: &[String],
    package: &str,
    imports: &BTreeMap<String, String>,
    functions: &BTreeMap<String, Node>,
) -> Option<String> {
    let first = callee.first()?;
    let rest = callee.get(1..).unwrap_or_default();
    if first == "data" {
        let p = callee.join(".");
        return functions.contains_key(&p).then_some(p);
    }
    if let Some(target) = imports.get(first) {
        let mut p = target.clone();
        for c in rest {
            p.push('.');
            p.push_str(c);
        }
        if functions.contains_key(&p) {
            return Some(p);
        }
    }
    let p = format!("{package}.{}", callee.join("."));
    functions.contains_key(&p).then_some(p)
}

/// Find every function cycle among `modules`. Deterministic: functions are visited in path
/// order and each cycle is reported once, from its smallest path.
pub fn find_cycles(modules: &[regorus::unstable::Ref<Module>]) -> Vec<Cycle> {
    let mut functions: BTreeMap<String, Node> = BTreeMap::new();
    let mut per_module = Vec::new();
    for module in modules {
        let Some(package) = package_path(module) else {
            continue;
        };
        for rule in &module.policy {
            if let Some(path) = function_path(rule, &package) {
                let span = rule.span();
                let node = functions.entry(path).or_default();
                if node.at.is_empty() {
                    node.package.clone_from(&package);
                    node.at = format!("{}:{}", span.source.get_path(), span.line);
                }
            }
        }
        per_module.push((module, package));
    }
    if functions.is_empty() {
        return Vec::new();
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, package) in per_module {
        let aliases = imports(module);
        for rule in &module.policy {
            let Some(path) = function_path(rule, &package) else {
                continue;
            };
            for callee in calls_in_rule(rule) {
                if let Some(target) = resolve(&callee, &package, &aliases, &functions) {
                    edges.entry(path.clone()).or_default().insert(target);
                }
            }
        }
    }
    for (path, targets) in edges {
        if let Some(node) = functions.get_mut(&path) {
            node.calls = targets;
        }
    }

    // Iterative depth-first search; a grey target is a back edge, i.e. a cycle.
    let names: Vec<&String> = functions.keys().collect();
    let index: BTreeMap<&String, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let succ: Vec<Vec<usize>> = functions
        .values()
        .map(|n| {
            n.calls
                .iter()
                .filter_map(|c| index.get(c).copied())
                .collect()
        })
        .collect();
    let mut colour = vec![Colour::White; names.len()];
    let mut seen: BTreeSet<Vec<usize>> = BTreeSet::new();
    let mut cycles = Vec::new();
    for start in 0..names.len() {
        if colour.get(start) != Some(&Colour::White) {
            continue;
        }
        // (node, next successor to look at)
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        if let Some(c) = colour.get_mut(start) {
            *c = Colour::Grey;
        }
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let Some(&target) = succ.get(node).and_then(|s| s.get(*next)) else {
                if let Some(c) = colour.get_mut(node) {
                    *c = Colour::Black;
                }
                stack.pop();
                continue;
            };
            *next += 1;
            match colour.get(target) {
                Some(Colour::White) => {
                    if let Some(c) = colour.get_mut(target) {
                        *c = Colour::Grey;
                    }
                    stack.push((target, 0));
                }
                Some(Colour::Grey) => {
                    let from = stack.iter().position(|(n, _)| *n == target).unwrap_or(0);
                    let mut members: Vec<usize> = stack
                        .get(from..)
                        .unwrap_or_default()
                        .iter()
                        .map(|(n, _)| *n)
                        .collect();
                    // Report the cycle from its smallest member, once.
                    let min_at = members
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, n)| **n)
                        .map_or(0, |(i, _)| i);
                    members.rotate_left(min_at);
                    if seen.insert(members.clone()) {
                        cycles.push(members);
                    }
                }
                _ => {}
            }
        }
    }
    cycles
        .into_iter()
        .filter_map(|members| {
            let first = *members.first()?;
            let describe = |i: usize| -> Option<(String, String)> {
                let name = *names.get(i)?;
                let node = functions.get(name)?;
                Some((name.clone(), node.at.clone()))
            };
            let mut chain: Vec<(String, String)> =
                members.iter().filter_map(|i| describe(*i)).collect();
            chain.push(describe(first)?);
            let packages: BTreeSet<String> = members
                .iter()
                .filter_map(|i| Some(functions.get(*names.get(*i)?)?.package.clone()))
                .collect();
            Some(Cycle {
                packages: packages.into_iter().collect(),
                chain,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycles(files: &[(&str, &str)]) -> Vec<Cycle> {
        let mut engine = regorus::Engine::new();
        for (path, src) in files {
            engine
                .add_policy((*path).to_owned(), (*src).to_owned())
                .expect("policy compiles");
        }
        find_cycles(&engine.get_modules().clone())
    }

    #[test]
    fn self_recursive_function_is_found_with_its_line() {
        let c = cycles(&[(
            "p.rego",
            "package p\nimport rego.v1\n\nf(n) := x if { x := f(n + 1) }\ndeny contains 1 if f(0)\n",
        )]);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].packages, ["data.p"]);
        assert_eq!(
            c[0].chain,
            vec![
                ("data.p.f".to_owned(), "p.rego:4".to_owned()),
                ("data.p.f".to_owned(), "p.rego:4".to_owned())
            ]
        );
        assert!(c[0].describe().contains("data.p.f (p.rego:4) → data.p.f"));
    }

    #[test]
    fn mutual_recursion_across_packages_and_imports_is_found_once() {
        let c = cycles(&[
            (
                "a.rego",
                "package a\nimport rego.v1\nimport data.b\nf(n) := b.g(n - 1) if n > 0\nf(n) := 0 if n <= 0\n",
            ),
            (
                "b.rego",
                "package b\nimport rego.v1\ng(n) := data.a.f(n)\n",
            ),
        ]);
        assert_eq!(c.len(), 1, "{c:?}");
        let names: Vec<&str> = c[0].chain.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(names, ["data.a.f", "data.b.g", "data.a.f"]);
        assert_eq!(c[0].packages, ["data.a", "data.b"]);
    }

    #[test]
    fn calls_in_comprehensions_every_and_else_are_followed() {
        for body in [
            "f(n) := [y | some y in [n]; f(y)]",
            "f(n) if { every x in [n] { f(x) } }",
            "f(n) := 1 if n > 1\nelse := f(n)",
            "f(n) := {k: v | some k in [n]; v := f(k)}",
        ] {
            let src = format!("package p\nimport rego.v1\n{body}\n");
            assert_eq!(cycles(&[("p.rego", &src)]).len(), 1, "{body}");
        }
    }

    #[test]
    fn no_cycle_when_there_is_none() {
        // Same names in different packages, a builtin and a rule named like a function,
        // and a chain that ends.
        let c = cycles(&[
            (
                "a.rego",
                "package a\nimport rego.v1\nf(n) := g(n)\ng(n) := count([n])\nr := f(1)\n",
            ),
            (
                "b.rego",
                "package b\nimport rego.v1\nimport data.a\nf(n) := a.f(n)\ncount_it(x) := count(x)\n",
            ),
        ]);
        assert!(c.is_empty(), "{c:?}");
    }

    fn reaches(src: &str) -> bool {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("p.rego".to_owned(), src.to_owned())
            .expect("policy compiles");
        reaches_bundled(&engine.get_modules().clone())
    }

    #[test]
    fn only_policies_that_can_see_data_custos_need_the_bundled_set() {
        let head = "package p\nimport rego.v1\n";
        for (body, expected) in [
            (
                "deny contains \"x\" if input.data.metadata == \"data\"",
                false,
            ),
            (
                "deny contains b if { some b in data.prohibited_buckets }",
                false,
            ),
            (
                "deny contains x if x := data.custos.lib.s3.public(input)",
                true,
            ),
            ("deny contains x if x := data[\"custos\"].lib", true),
            ("deny contains k if { some k, _ in data }", true),
            ("deny contains k if { some k; data[k] }", true),
            ("r := x if { walk(data, [_, x]) }", true),
            ("r := 1 if { true with data.custos.x as 1 }", true),
        ] {
            assert_eq!(reaches(&format!("{head}{body}\n")), expected, "{body}");
        }
        assert!(reaches(
            "package p\nimport rego.v1\nimport data.custos.lib.credentials\nr := 1\n"
        ));
        assert!(reaches("package p\nimport rego.v1\nimport data\nr := 1\n"));
        assert!(reaches("package custos.mine\nimport rego.v1\nr := 1\n"));
        assert!(!reaches(
            "package p\nimport rego.v1\nimport data.mine.lib\nr := lib.x\n"
        ));
    }

    #[test]
    fn bundled_policies_have_no_function_cycles() {
        let mut engine = regorus::Engine::new();
        crate::policy::builtins::register(&mut engine).expect("builtins");
        let mut files = Vec::new();
        for (path, src) in crate::policy::BUNDLED {
            files.push(((*path).to_owned(), (*src).to_owned()));
        }
        for (path, src) in files {
            crate::policy::add_policy(&mut engine, path, src).expect("bundled compiles");
        }
        let c = find_cycles(&engine.get_modules().clone());
        assert!(c.is_empty(), "{c:?}");
    }
}
