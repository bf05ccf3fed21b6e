//! Static evaluation of Terraform expressions.
//!
//! The HCL parser keeps every expression that is not a literal as its source text in `"${…}"`
//! (the hcl2json shape policies are written against). The module context re-reads those strings
//! and evaluates what is static: literals, `var.*` and `local.*` (through attributes and
//! indexes), the iterator of a `dynamic` block, string templates, conditionals, `try`,
//! `coalesce`, `lookup`, a set of pure collection and conversion functions, comparisons and the
//! boolean operators. What is only known at apply time — a resource attribute, a data source,
//! a module output, `each`, `count`, `self`, `path` — is a [`Val::Ref`]: its source text and its
//! *kind*, the reference without indexes or splats (`aws_s3_bucket.this[0].id` →
//! `aws_s3_bucket.this.id`).
//!
//! A conditional whose condition is not static, and a `try` or `coalesce` whose leading
//! candidates are not, resolves only when every value it could take is the same literal, or a
//! reference of the same kind; a `null` or `""` branch beside such references stands for "not
//! set" and is left out (the module idiom `var.create ? aws_s3_bucket.this[0].id : ""`).
//! Anything else is [`Val::Unknown`], and the caller keeps the source text.
//!
//! Every read of a variable that a module call passed in is recorded (see [`Env::take_used`])
//! with its [`Origin`] — the call and argument it came from, followed up through module nesting
//! — so the module context can tell which findings a caller's argument is responsible for.

use std::cell::RefCell;
use std::collections::HashMap;

use hcl_edit::expr::{
    BinaryOperator, Expression, FuncCall, ObjectKey, Traversal, TraversalOperator, UnaryOperator,
};
use hcl_edit::template::{Element, Template};
use hcl_edit::Span as _;
use serde_json::{Map, Number, Value};

/// Guard against runaway recursion (locals that refer to each other, deeply nested expressions).
const MAX_DEPTH: usize = 48;

/// The static value of an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Known(Value),
    /// A value only known at apply time.
    Ref {
        text: String,
        kind: String,
    },
    /// A string of which only some interpolations are known: the text with the others kept.
    Partial(String),
    Unknown,
    /// Evaluating it is certainly an error (an attribute or key a known value lacks); what `try`
    /// skips.
    Error,
}

/// Where a value passed into a module was written: a module call (an index into the module
/// context's call table) and one of its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub call: usize,
    pub arg: String,
}

/// What a variable is bound to in a scope.
#[derive(Debug, Clone)]
pub enum Binding {
    /// `arg`: the module call argument the value came from (none for defaults and tfvars).
    Known {
        value: Value,
        arg: Option<Origin>,
    },
    Unknown,
}

/// Locals once resolved: value and the caller arguments it was computed from.
pub type Resolved = HashMap<String, (Value, Vec<Origin>)>;

enum LocalState {
    Raw(Value),
    Busy,
    Done(Value, Vec<Origin>),
}

enum Locals<'a> {
    Frozen(&'a Resolved),
    Resolving(&'a RefCell<HashMap<String, LocalState>>),
}

/// One `dynamic` block iterator in scope: its name, `{key, value}`, and the caller arguments
/// its `for_each` was computed from.
struct Iter {
    name: String,
    value: Value,
    args: Vec<Origin>,
}

/// An evaluation environment: a scope's variables and locals, iterators in scope, and the
/// caller arguments read so far.
pub struct Env<'a> {
    vars: &'a HashMap<String, Binding>,
    locals: Locals<'a>,
    iters: Vec<Iter>,
    /// Caller arguments read since the last [`Env::take_used`].
    used: Vec<Origin>,
    depth: usize,
}

/// Resolve a module's `locals` (which may refer to variables and to each other, in any order).
pub fn resolve_locals(raw: &Map<String, Value>, vars: &HashMap<String, Binding>) -> Resolved {
    let cell = RefCell::new(
        raw.iter()
            .map(|(k, v)| (k.clone(), LocalState::Raw(v.clone())))
            .collect::<HashMap<_, _>>(),
    );
    for name in raw.keys() {
        let mut env = Env {
            vars,
            locals: Locals::Resolving(&cell),
            iters: Vec::new(),
            used: Vec::new(),
            depth: 0,
        };
        env.local(name);
    }
    cell.into_inner()
        .into_iter()
        .filter_map(|(k, s)| match s {
            LocalState::Done(v, a) => Some((k, (v, a))),
            LocalState::Raw(v) => Some((k, (v, Vec::new()))),
            LocalState::Busy => None,
        })
        .collect()
}

impl<'a> Env<'a> {
    pub fn new(vars: &'a HashMap<String, Binding>, locals: &'a Resolved) -> Self {
        Env {
            vars,
            locals: Locals::Frozen(locals),
            iters: Vec::new(),
            used: Vec::new(),
            depth: 0,
        }
    }

    /// The caller arguments read since the last call, deduplicated in first-read order.
    pub fn take_used(&mut self) -> Vec<Origin> {
        let mut out: Vec<Origin> = Vec::new();
        for a in self.used.drain(..) {
            if !out.contains(&a) {
                out.push(a);
            }
        }
        out
    }

    /// Bring a `dynamic` block iterator into scope (until [`Env::pop_iter`]).
    pub fn push_iter(&mut self, name: &str, key: Value, value: Value, args: Vec<Origin>) {
        let mut m = Map::new();
        m.insert("key".into(), key);
        m.insert("value".into(), value);
        self.iters.push(Iter {
            name: name.to_owned(),
            value: Value::Object(m),
            args,
        });
    }

    pub fn pop_iter(&mut self) {
        self.iters.pop();
    }

    fn local(&mut self, name: &str) -> Option<Value> {
        match self.locals {
            Locals::Frozen(m) => {
                let (v, args) = m.get(name)?;
                self.used.extend(args.iter().cloned());
                Some(v.clone())
            }
            Locals::Resolving(cell) => {
                let raw = {
                    let mut m = cell.borrow_mut();
                    match m.get(name) {
                        None | Some(LocalState::Busy) => return None,
                        Some(LocalState::Done(v, args)) => {
                            let (v, args) = (v.clone(), args.clone());
                            drop(m);
                            self.used.extend(args);
                            return Some(v);
                        }
                        Some(LocalState::Raw(_)) => {}
                    }
                    match m.insert(name.to_owned(), LocalState::Busy) {
                        Some(LocalState::Raw(v)) => v,
                        _ => return None,
                    }
                };
                let mut sub = Env {
                    vars: self.vars,
                    locals: Locals::Resolving(cell),
                    iters: Vec::new(),
                    used: Vec::new(),
                    depth: self.depth + 1,
                };
                let v = sub.resolve(raw);
                let args = sub.take_used();
                cell.borrow_mut()
                    .insert(name.to_owned(), LocalState::Done(v.clone(), args.clone()));
                self.used.extend(args);
                Some(v)
            }
        }
    }

    /// Resolve every string inside `v` as far as it is static (no provenance is kept).
    pub fn resolve(&mut self, v: Value) -> Value {
        match v {
            Value::String(s) if s.contains("${") => substitute(&s, self.eval_str(&s)),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|x| self.resolve(x)).collect())
            }
            Value::Object(map) => {
                Value::Object(map.into_iter().map(|(k, x)| (k, self.resolve(x))).collect())
            }
            other => other,
        }
    }

    /// Evaluate a string as the parser keeps it: literal text, or a template with `${…}`.
    pub fn eval_str(&mut self, s: &str) -> Val {
        if !s.contains("${") {
            return Val::Known(Value::String(s.to_owned()));
        }
        if self.depth > MAX_DEPTH || too_deep(s) {
            return Val::Unknown;
        }
        match hcl_edit::parser::parse_template(s) {
            Ok(t) => {
                self.depth += 1;
                let v = self.eval_template(&t, s);
                self.depth -= 1;
                v
            }
            Err(_) => Val::Unknown,
        }
    }

    fn eval_template(&mut self, t: &Template, src: &str) -> Val {
        let elements: Vec<&Element> = t.iter().collect();
        // A template that is one interpolation is that value, whatever its type.
        if let [Element::Interpolation(i)] = elements.as_slice() {
            return self.eval(&i.expr, src);
        }
        let mut out = String::new();
        let mut partial = false;
        for el in elements {
            match el {
                Element::Literal(s) => out.push_str(s.value()),
                Element::Interpolation(i) => match self.eval(&i.expr, src) {
                    Val::Known(v) if scalar_text(&v).is_some() => {
                        out.push_str(&scalar_text(&v).unwrap_or_default());
                    }
                    Val::Error => return Val::Error,
                    _ => {
                        partial = true;
                        match i.span().and_then(|r| src.get(r)) {
                            Some(text) => out.push_str(text),
                            None => return Val::Unknown,
                        }
                    }
                },
                Element::Directive(_) => return Val::Unknown,
            }
        }
        if partial {
            Val::Partial(out)
        } else {
            Val::Known(Value::String(out))
        }
    }

    fn eval(&mut self, e: &Expression, src: &str) -> Val {
        if self.depth > MAX_DEPTH {
            return Val::Unknown;
        }
        self.depth += 1;
        let v = self.eval_inner(e, src);
        self.depth -= 1;
        v
    }

    fn eval_inner(&mut self, e: &Expression, src: &str) -> Val {
        match e {
            Expression::Null(_) => Val::Known(Value::Null),
            Expression::Bool(b) => Val::Known(Value::Bool(*b.value())),
            Expression::Number(n) => serde_json::from_str::<Number>(&n.value().to_string())
                .map_or(Val::Unknown, |n| Val::Known(Value::Number(n))),
            Expression::String(s) => Val::Known(Value::String(s.value().clone())),
            Expression::Array(a) => {
                let mut out = Vec::new();
                for x in a {
                    match self.eval(x, src) {
                        Val::Known(v) => out.push(v),
                        Val::Error => return Val::Error,
                        _ => return Val::Unknown,
                    }
                }
                Val::Known(Value::Array(out))
            }
            Expression::Object(o) => {
                let mut out = Map::new();
                for (k, v) in o {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_owned(),
                        ObjectKey::Expression(ke) => match self.eval(ke, src) {
                            Val::Known(v) => match scalar_text(&v) {
                                Some(t) => t,
                                None => return Val::Unknown,
                            },
                            _ => return Val::Unknown,
                        },
                    };
                    match self.eval(v.expr(), src) {
                        Val::Known(v) => {
                            out.insert(key, v);
                        }
                        Val::Error => return Val::Error,
                        _ => return Val::Unknown,
                    }
                }
                Val::Known(Value::Object(out))
            }
            Expression::StringTemplate(t) => self.eval_template(t, src),
            Expression::HeredocTemplate(h) => self.eval_template(&h.template, src),
            Expression::Parenthesis(p) => self.eval(p.inner(), src),
            Expression::Variable(v) => {
                let name = v.as_str();
                if let Some(i) = self.iters.iter().rev().find(|i| i.name == name) {
                    let (value, args) = (i.value.clone(), i.args.clone());
                    self.used.extend(args);
                    return Val::Known(value);
                }
                Val::Ref {
                    text: name.to_owned(),
                    kind: name.to_owned(),
                }
            }
            Expression::Traversal(t) => self.eval_traversal(t, src),
            Expression::Conditional(c) => {
                // The value's origin comes first, the condition's after it: a finding about the
                // value is the argument's that supplied it.
                let before = self.used.len();
                let cond = self.eval(&c.cond_expr, src);
                let cond_used = self.used.split_off(before);
                let v = match as_bool(&cond) {
                    Some(true) => self.eval(&c.true_expr, src),
                    Some(false) => self.eval(&c.false_expr, src),
                    None => {
                        let a = self.eval(&c.true_expr, src);
                        let b = self.eval(&c.false_expr, src);
                        merge(vec![a, b])
                    }
                };
                self.used.extend(cond_used);
                v
            }
            Expression::FuncCall(f) => self.eval_call(f, src),
            Expression::UnaryOp(u) => match (u.operator.value(), self.eval(&u.expr, src)) {
                (UnaryOperator::Not, v) => match as_bool(&v) {
                    Some(b) => Val::Known(Value::Bool(!b)),
                    None => unknown_or_error(&v),
                },
                (UnaryOperator::Neg, Val::Known(Value::Number(n))) => {
                    n.as_f64().map_or(Val::Unknown, |f| Val::Known(number(-f)))
                }
                (UnaryOperator::Neg, v) => unknown_or_error(&v),
            },
            Expression::BinaryOp(b) => {
                let l = self.eval(&b.lhs_expr, src);
                let r = self.eval(&b.rhs_expr, src);
                binary(*b.operator.value(), &l, &r)
            }
            Expression::ForExpr(_) => Val::Unknown,
        }
    }

    fn eval_traversal(&mut self, t: &Traversal, src: &str) -> Val {
        let ops: Vec<&TraversalOperator> =
            t.operators.iter().map(hcl_edit::Decorated::value).collect();
        let (base, rest) = match &t.expr {
            Expression::Variable(root) if matches!(root.as_str(), "var" | "local") => {
                let Some((TraversalOperator::GetAttr(name), rest)) = ops.split_first() else {
                    return Val::Unknown;
                };
                let base = if root.as_str() == "var" {
                    match self.vars.get(name.as_str()) {
                        Some(Binding::Known { value, arg }) => {
                            if let Some(a) = arg {
                                self.used.push(a.clone());
                            }
                            Val::Known(value.clone())
                        }
                        _ => return Val::Unknown,
                    }
                } else {
                    match self.local(name.as_str()) {
                        Some(Value::String(s)) if s.contains("${") => self.eval_str(&s),
                        Some(v) => Val::Known(v),
                        None => return Val::Unknown,
                    }
                };
                (base, rest)
            }
            Expression::Variable(root) if !self.iters.iter().any(|i| i.name == root.as_str()) => {
                // A reference to something only known at apply time.
                let Some(text) = t
                    .span()
                    .and_then(|r| src.get(r))
                    .map(|s| s.trim().to_owned())
                else {
                    return Val::Unknown;
                };
                let mut kind = root.as_str().to_owned();
                for op in &ops {
                    if let TraversalOperator::GetAttr(a) = op {
                        kind.push('.');
                        kind.push_str(a.as_str());
                    }
                }
                return Val::Ref { text, kind };
            }
            other => (self.eval(other, src), ops.as_slice()),
        };
        let mut cur = base;
        for op in rest {
            cur = match cur {
                Val::Known(v) => self.step(v, op, src),
                Val::Ref { text, mut kind } => {
                    if let TraversalOperator::GetAttr(a) = op {
                        kind.push('.');
                        kind.push_str(a.as_str());
                    }
                    let text = t
                        .span()
                        .and_then(|r| src.get(r))
                        .map_or(text, |s| s.trim().to_owned());
                    Val::Ref { text, kind }
                }
                other => return unknown_or_error(&other),
            };
        }
        cur
    }

    /// One attribute or index step into a known value.
    fn step(&mut self, v: Value, op: &TraversalOperator, src: &str) -> Val {
        if matches!(&v, Value::String(s) if s.contains("${")) {
            return Val::Unknown;
        }
        match op {
            TraversalOperator::GetAttr(a) => match v {
                Value::Object(mut m) => m.remove(a.as_str()).map_or(Val::Error, Val::Known),
                _ => Val::Error,
            },
            TraversalOperator::LegacyIndex(i) => index(v, &Value::from(*i.value())),
            TraversalOperator::Index(e) => match self.eval(e, src) {
                Val::Known(k) => index(v, &k),
                other => unknown_or_error(&other),
            },
            TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => Val::Unknown,
        }
    }

    fn eval_call(&mut self, f: &FuncCall, src: &str) -> Val {
        if !f.name.namespace.is_empty() {
            return Val::Unknown;
        }
        let args: Vec<&Expression> = f.args.iter().collect();
        if f.args.expand_final() {
            return Val::Unknown;
        }
        match f.name.name.as_str() {
            "try" => {
                let mut cands = Vec::new();
                for a in args {
                    match self.eval(a, src) {
                        Val::Error => {}
                        v @ Val::Known(_) => {
                            cands.push(v);
                            break;
                        }
                        v => cands.push(v),
                    }
                }
                if cands.is_empty() {
                    Val::Error
                } else {
                    merge(cands)
                }
            }
            "coalesce" => {
                let mut cands = Vec::new();
                for a in args {
                    match self.eval(a, src) {
                        Val::Error => return Val::Error,
                        Val::Known(Value::Null) => {}
                        Val::Known(Value::String(s)) if s.is_empty() => {}
                        v @ Val::Known(_) => {
                            cands.push(v);
                            break;
                        }
                        v => cands.push(v),
                    }
                }
                if cands.is_empty() {
                    Val::Error
                } else {
                    merge(cands)
                }
            }
            "can" => match args.as_slice() {
                [a] => match self.eval(a, src) {
                    Val::Known(_) => Val::Known(Value::Bool(true)),
                    Val::Error => Val::Known(Value::Bool(false)),
                    _ => Val::Unknown,
                },
                _ => Val::Unknown,
            },
            // Functions that pass a reference through keep its kind.
            name @ ("one" | "element" | "tostring" | "tolist" | "toset" | "tomap" | "tobool"
            | "tonumber" | "sensitive" | "nonsensitive")
                if !args.is_empty() =>
            {
                let vals: Vec<Val> = args.iter().map(|a| self.eval(a, src)).collect();
                match vals.first() {
                    Some(r @ Val::Ref { .. }) => r.clone(),
                    _ => pure(name, vals),
                }
            }
            name => {
                let vals: Vec<Val> = args.iter().map(|a| self.eval(a, src)).collect();
                pure(name, vals)
            }
        }
    }
}

/// Brackets nested deeper than [`MAX_DEPTH`]: not parsed (the parser recurses on them, and a
/// string that was a literal in the file, `"$${(((…"`, never went through the file's depth check).
fn too_deep(s: &str) -> bool {
    let mut depth = 0usize;
    for b in s.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return true;
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// What replaces a document string after evaluation: a static value, a simplified reference,
/// a partly substituted template, or the original text.
pub fn substitute(original: &str, v: Val) -> Value {
    match v {
        Val::Known(v) => v,
        Val::Ref { text, .. } => Value::String(format!("${{{text}}}")),
        Val::Partial(s) => Value::String(s),
        Val::Unknown | Val::Error => Value::String(original.to_owned()),
    }
}

fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        // Integral and exactly representable: keep it an integer.
        #[allow(clippy::cast_possible_truncation)]
        let i = f as i64;
        Value::from(i)
    } else {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn as_bool(v: &Val) -> Option<bool> {
    match v {
        Val::Known(Value::Bool(b)) => Some(*b),
        Val::Known(Value::String(s)) if s == "true" => Some(true),
        Val::Known(Value::String(s)) if s == "false" => Some(false),
        _ => None,
    }
}

fn unknown_or_error(v: &Val) -> Val {
    if *v == Val::Error {
        Val::Error
    } else {
        Val::Unknown
    }
}

fn index(v: Value, k: &Value) -> Val {
    match (v, k) {
        (Value::Array(items), Value::Number(n)) => n
            .as_u64()
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| items.into_iter().nth(i))
            .map_or(Val::Error, Val::Known),
        (Value::Array(items), Value::String(s)) => s
            .parse::<usize>()
            .ok()
            .and_then(|i| items.into_iter().nth(i))
            .map_or(Val::Error, Val::Known),
        (Value::Object(mut m), key) => scalar_text(key)
            .and_then(|key| m.remove(&key))
            .map_or(Val::Error, Val::Known),
        _ => Val::Error,
    }
}

/// The one value a set of candidates resolves to, if they agree (see the module doc).
fn merge(cands: Vec<Val>) -> Val {
    let mut refs: Vec<(String, String)> = Vec::new();
    let mut known: Vec<Value> = Vec::new();
    for c in cands {
        match c {
            Val::Known(v) => known.push(v),
            Val::Ref { text, kind } => refs.push((text, kind)),
            Val::Partial(_) | Val::Unknown | Val::Error => return Val::Unknown,
        }
    }
    if let Some((text, kind)) = refs.first() {
        let same = refs.iter().all(|(_, k)| k == kind);
        let unset = known.iter().all(|v| v.is_null() || v.as_str() == Some(""));
        if same && unset {
            return Val::Ref {
                text: text.clone(),
                kind: kind.clone(),
            };
        }
        return Val::Unknown;
    }
    match known.split_first() {
        Some((first, rest)) if rest.iter().all(|v| same_value(v, first)) => {
            Val::Known(first.clone())
        }
        _ => Val::Unknown,
    }
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn binary(op: BinaryOperator, l: &Val, r: &Val) -> Val {
    use BinaryOperator as B;
    match op {
        B::And => match (as_bool(l), as_bool(r)) {
            (Some(false), _) | (_, Some(false)) => Val::Known(Value::Bool(false)),
            (Some(true), Some(true)) => Val::Known(Value::Bool(true)),
            _ => Val::Unknown,
        },
        B::Or => match (as_bool(l), as_bool(r)) {
            (Some(true), _) | (_, Some(true)) => Val::Known(Value::Bool(true)),
            (Some(false), Some(false)) => Val::Known(Value::Bool(false)),
            _ => Val::Unknown,
        },
        B::Eq | B::NotEq => match (l, r) {
            (Val::Known(a), Val::Known(b)) => {
                Val::Known(Value::Bool(same_value(a, b) == (op == B::Eq)))
            }
            _ => Val::Unknown,
        },
        _ => {
            let (Val::Known(Value::Number(a)), Val::Known(Value::Number(b))) = (l, r) else {
                return Val::Unknown;
            };
            let (Some(a), Some(b)) = (a.as_f64(), b.as_f64()) else {
                return Val::Unknown;
            };
            match op {
                B::Less => Val::Known(Value::Bool(a < b)),
                B::LessEq => Val::Known(Value::Bool(a <= b)),
                B::Greater => Val::Known(Value::Bool(a > b)),
                B::GreaterEq => Val::Known(Value::Bool(a >= b)),
                B::Plus => Val::Known(number(a + b)),
                B::Minus => Val::Known(number(a - b)),
                B::Mul => Val::Known(number(a * b)),
                B::Div if b != 0.0 => Val::Known(number(a / b)),
                B::Mod if b != 0.0 => Val::Known(number(a % b)),
                _ => Val::Error,
            }
        }
    }
}

fn flatten_into(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.into_iter().for_each(|x| flatten_into(x, out)),
        other => out.push(other),
    }
}

/// Pure functions over known arguments.
fn pure(name: &str, vals: Vec<Val>) -> Val {
    if vals.contains(&Val::Error) {
        return Val::Error;
    }
    let mut known = Vec::with_capacity(vals.len());
    for v in vals {
        match v {
            Val::Known(v) => known.push(v),
            _ => return Val::Unknown,
        }
    }
    let k = known.as_slice();
    let v = match (name, k) {
        ("tostring", [v @ Value::String(_)]) => v.clone(),
        ("tostring", [v]) => scalar_text(v).map_or(Value::Null, Value::String),
        ("tobool", [Value::String(s)]) if s == "true" || s == "false" => Value::Bool(s == "true"),
        ("tonumber", [Value::String(s)]) => match s.parse::<f64>() {
            Ok(f) => number(f),
            Err(_) => return Val::Error,
        },
        (
            "tobool" | "tonumber" | "tolist" | "toset" | "tomap" | "sensitive" | "nonsensitive",
            [v],
        ) => v.clone(),
        ("lower", [Value::String(s)]) => Value::String(s.to_lowercase()),
        ("upper", [Value::String(s)]) => Value::String(s.to_uppercase()),
        ("length", [Value::Array(a)]) => Value::from(a.len()),
        ("length", [Value::Object(m)]) => Value::from(m.len()),
        ("length", [Value::String(s)]) => Value::from(s.chars().count()),
        ("keys", [Value::Object(m)]) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Array(keys.into_iter().map(|k| Value::String(k.clone())).collect())
        }
        ("values", [Value::Object(m)]) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Array(entries.into_iter().map(|(_, v)| v.clone()).collect())
        }
        ("flatten", [v @ Value::Array(_)]) => {
            let mut out = Vec::new();
            flatten_into(v.clone(), &mut out);
            Value::Array(out)
        }
        ("concat", lists) if lists.iter().all(Value::is_array) => Value::Array(
            lists
                .iter()
                .filter_map(Value::as_array)
                .flatten()
                .cloned()
                .collect(),
        ),
        ("compact", [Value::Array(a)]) => Value::Array(
            a.iter()
                .filter(|v| !(v.is_null() || v.as_str() == Some("")))
                .cloned()
                .collect(),
        ),
        ("contains", [Value::Array(a), v]) => Value::Bool(a.iter().any(|x| same_value(x, v))),
        ("one", [Value::Array(a)]) => match a.as_slice() {
            [] => Value::Null,
            [x] => x.clone(),
            _ => return Val::Error,
        },
        ("element", [Value::Array(a), Value::Number(n)]) if !a.is_empty() => {
            let Some(i) = n.as_u64().and_then(|i| usize::try_from(i).ok()) else {
                return Val::Error;
            };
            a.get(i % a.len()).cloned().unwrap_or(Value::Null)
        }
        ("lookup", [Value::Object(m), key, rest @ ..]) if rest.len() <= 1 => {
            match scalar_text(key).and_then(|key| m.get(&key).cloned()) {
                Some(v) => v,
                None => match rest.first() {
                    Some(d) => d.clone(),
                    None => return Val::Error,
                },
            }
        }
        ("merge", maps) if maps.iter().all(|m| m.is_object() || m.is_null()) => {
            let mut out = Map::new();
            for m in maps.iter().filter_map(Value::as_object) {
                out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Value::Object(out)
        }
        ("join", [Value::String(sep), Value::Array(a)]) => {
            let parts: Option<Vec<String>> = a.iter().map(scalar_text).collect();
            match parts {
                Some(p) => Value::String(p.join(sep)),
                None => return Val::Error,
            }
        }
        ("jsonencode", [v]) if !contains_expression(v) => {
            Value::String(serde_json::to_string(v).unwrap_or_default())
        }
        _ => return Val::Unknown,
    };
    Val::Known(v)
}

fn contains_expression(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("${"),
        Value::Array(a) => a.iter().any(contains_expression),
        Value::Object(m) => m.values().any(contains_expression),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval_with(s: &str, vars: &[(&str, Value)], locals: &[(&str, Value)]) -> Val {
        let vars: HashMap<String, Binding> = vars
            .iter()
            .map(|(k, v)| {
                (
                    (*k).to_owned(),
                    Binding::Known {
                        value: v.clone(),
                        arg: None,
                    },
                )
            })
            .collect();
        let raw: Map<String, Value> = locals
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        let locals = resolve_locals(&raw, &vars);
        Env::new(&vars, &locals).eval_str(s)
    }

    fn eval(s: &str) -> Val {
        eval_with(s, &[], &[])
    }

    fn reference(text: &str, kind: &str) -> Val {
        Val::Ref {
            text: text.into(),
            kind: kind.into(),
        }
    }

    #[test]
    fn conditionals_resolve_when_branches_agree() {
        assert_eq!(eval("${var.x ? true : true}"), Val::Known(json!(true)));
        assert_eq!(eval("${var.x ? true : false}"), Val::Unknown);
        assert_eq!(
            eval("${var.create ? aws_s3_bucket.this[0].id : \"\"}"),
            reference("aws_s3_bucket.this[0].id", "aws_s3_bucket.this.id")
        );
        assert_eq!(
            eval("${var.c ? aws_s3_bucket.a.id : aws_s3_bucket.b.id}"),
            Val::Unknown,
            "two different buckets"
        );
        assert_eq!(
            eval_with(
                "${var.create ? \"a\" : \"b\"}",
                &[("create", json!(false))],
                &[]
            ),
            Val::Known(json!("b"))
        );
    }

    #[test]
    fn try_and_coalesce() {
        assert_eq!(
            eval_with("${try(var.s.encrypted, true)}", &[("s", json!({}))], &[]),
            Val::Known(json!(true))
        );
        assert_eq!(
            eval_with(
                "${try(var.s.encrypted, true)}",
                &[("s", json!({"encrypted": false}))],
                &[]
            ),
            Val::Known(json!(false))
        );
        assert_eq!(eval("${try(var.unknown, true)}"), Val::Unknown);
        assert_eq!(
            eval("${try(aws_kms_key.k[0].arn, null)}"),
            reference("aws_kms_key.k[0].arn", "aws_kms_key.k.arn")
        );
        assert_eq!(
            eval("${coalesce(null, \"\", \"x\")}"),
            Val::Known(json!("x"))
        );
    }

    #[test]
    fn locals_in_any_order_and_cycles_terminate() {
        let v = eval_with(
            "${local.b}",
            &[("env", json!("prod"))],
            &[("b", json!("${local.a}-b")), ("a", json!("${var.env}"))],
        );
        assert_eq!(v, Val::Known(json!("prod-b")));
        let c = eval_with(
            "${local.x}",
            &[],
            &[("x", json!("${local.y}")), ("y", json!("${local.x}"))],
        );
        assert_eq!(c, Val::Unknown);
    }

    #[test]
    fn templates_keep_unknown_parts() {
        assert_eq!(
            eval_with("${var.a}-${aws_x.y.id}", &[("a", json!("p"))], &[]),
            Val::Partial("p-${aws_x.y.id}".into())
        );
        assert_eq!(
            eval_with(
                "arn:${var.a}:${var.n}",
                &[("a", json!("aws")), ("n", json!(3))],
                &[]
            ),
            Val::Known(json!("arn:aws:3"))
        );
    }

    #[test]
    fn functions_and_operators() {
        let vars = [("cfg", json!({"rule": {"x": 1}})), ("n", json!(2))];
        assert_eq!(
            eval_with("${length(keys(var.cfg)) > 0 ? 1 : 0}", &vars, &[]),
            Val::Known(json!(1))
        );
        assert_eq!(
            eval_with("${var.n * 2 + 1}", &vars, &[]),
            Val::Known(json!(5))
        );
        assert_eq!(
            eval_with("${lookup(var.cfg, \"missing\", \"d\")}", &vars, &[]),
            Val::Known(json!("d"))
        );
        assert_eq!(
            eval_with("${merge(var.cfg, {a = true})}", &vars, &[]),
            Val::Known(json!({"rule": {"x": 1}, "a": true}))
        );
        assert_eq!(eval("${merge(var.tags, {a = 1})}"), Val::Unknown);
        assert_eq!(eval("${!false && true}"), Val::Known(json!(true)));
        assert_eq!(eval("${[for x in var.l : x]}"), Val::Unknown);
        assert_eq!(eval("${upper(\"a\")}"), Val::Known(json!("A")));
        assert_eq!(
            eval("${one(aws_s3_bucket.this[*].id)}"),
            reference("aws_s3_bucket.this[*].id", "aws_s3_bucket.this.id")
        );
    }

    #[test]
    fn deeply_nested_strings_are_not_parsed() {
        let deep = format!("${{{}1{}}}", "(".repeat(100_000), ")".repeat(100_000));
        assert_eq!(eval(&deep), Val::Unknown);
        assert_eq!(eval("${((1))}"), Val::Known(json!(1)));
    }

    #[test]
    fn not_expressions_stay_unknown() {
        assert_eq!(eval("${aws:username}"), Val::Unknown);
        assert_eq!(eval("${caller: aws_kms_key.k.arn}"), Val::Unknown);
        assert_eq!(eval("plain"), Val::Known(json!("plain")));
    }
}
