//! Airflow DAG files (Python, via tree-sitter) → a model of the DAG, every element with its span.
//!
//! The document is not a Python AST: it is what an Airflow engineer reads off the file —
//! imports with their aliases (so `H(...)` resolves to `…hooks.s3.S3Hook`), module-level names
//! bound to literals (so `bucket_name=BUCKET` resolves to `"acme-raw"`), DAG definitions in
//! all three styles with their `default_args` resolved, operator/sensor/hook/`Connection`
//! calls with their keyword arguments, methods called on hooks, `@task` functions,
//! `os.environ[...]` assignments, `Variable.get`/`get_connection` lookups (and whether they run
//! at module top level, i.e. at every DAG parse), and every string literal.
//!
//! Values: literals become JSON (strings, numbers, dicts, lists; `"a" + NAME` folds when both
//! sides are literal); f-strings become `{"fstring": text, "parts": [literal parts]}`;
//! anything else becomes `{"expr": source}` — so a policy can tell a literal from a reference.
//! tree-sitter recovers from syntax errors: the first error is reported with its location and
//! the rest of the file is still modelled.

use std::collections::HashMap;

use serde_json::{json, Map, Value};
use tree_sitter::{Node, Parser};

use super::{Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    let mut parser = Parser::new();
    if parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .is_err()
    {
        return Parsed::failed(ParseError {
            message: "tree-sitter-python grammar could not be loaded".into(),
            span: None,
        });
    }
    let Some(tree) = parser.parse(source, None) else {
        return Parsed::failed(ParseError {
            message: "the Python parser gave up".into(),
            span: None,
        });
    };
    let root = tree.root_node();
    let mut m = Model::new(source, limits.max_depth);
    m.collect_imports_and_constants(root);
    m.walk(root, 0, false);
    let error = root.has_error().then(|| first_error(root)).flatten();
    let value = m.finish();
    Parsed {
        docs: vec![ParsedDoc {
            value,
            spans: m.spans,
        }],
        error,
    }
}

fn first_error(node: Node<'_>) -> Option<ParseError> {
    if node.is_error() || node.is_missing() {
        let what = if node.is_missing() {
            format!("missing `{}`", node.kind())
        } else {
            "invalid syntax".to_owned()
        };
        return Some(ParseError {
            message: format!("Python syntax error: {what}"),
            span: Some(Span::new(node.start_byte(), node.end_byte())),
        });
    }
    let mut cursor = node.walk();
    let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
    children
        .into_iter()
        .filter(|c| c.has_error() || c.is_error() || c.is_missing())
        .find_map(first_error)
}

/// Airflow classes that define DAGs, read variables and connections.
const DAG_CLASSES: &[&str] = &[
    "airflow.DAG",
    "airflow.models.DAG",
    "airflow.models.dag.DAG",
    "airflow.sdk.DAG",
];
const DAG_DECORATORS: &[&str] = &["airflow.decorators.dag", "airflow.sdk.dag", "airflow.dag"];
const TASK_DECORATORS: &[&str] = &["airflow.decorators.task", "airflow.sdk.task"];
const LOOKUPS: &[(&str, &str)] = &[
    ("Variable", "get"),
    ("BaseHook", "get_connection"),
    ("Connection", "get_connection_from_secrets"),
    ("BaseHook", "get_hook"),
];

struct Model<'s> {
    src: &'s str,
    max_depth: usize,
    /// Local name → dotted path it was imported as.
    aliases: HashMap<String, String>,
    /// Module-level names bound to literal values.
    constants: Map<String, Value>,
    /// Variables bound to hook instances: name → class path.
    hook_vars: HashMap<String, String>,
    imports: Vec<Value>,
    dags: Vec<Value>,
    calls: Vec<Value>,
    tasks: Vec<Value>,
    env: Vec<Value>,
    lookups: Vec<Value>,
    strings: Vec<Value>,
    /// Start bytes of `DAG(...)` calls that head a `with` block.
    pending_with: Vec<usize>,
    /// Pointers whose value was resolved from a module constant (reported at the constant).
    refs: Vec<Value>,
    spans: SpanMap,
}

fn is_airflow(path: &str) -> bool {
    path == "airflow" || path.starts_with("airflow.")
}

/// What a class path is, for policies.
fn category(path: &str) -> &'static str {
    let class = path.rsplit('.').next().unwrap_or(path);
    if path.starts_with("boto3.") || path == "boto3" {
        "client"
    } else if DAG_CLASSES.contains(&path) || class == "DAG" {
        "dag"
    } else if class == "Connection" {
        "connection"
    } else if path.contains(".sensors.")
        || class.ends_with("Sensor")
        || class.ends_with("SensorAsync")
    {
        "sensor"
    } else if path.contains(".operators.")
        || path.contains(".transfers.")
        || class.ends_with("Operator")
    {
        "operator"
    } else if path.contains(".hooks.") || class.ends_with("Hook") {
        "hook"
    } else {
        "other"
    }
}

impl<'s> Model<'s> {
    fn new(src: &'s str, max_depth: usize) -> Self {
        Self {
            src,
            max_depth,
            aliases: HashMap::new(),
            constants: Map::new(),
            hook_vars: HashMap::new(),
            imports: Vec::new(),
            dags: Vec::new(),
            calls: Vec::new(),
            tasks: Vec::new(),
            env: Vec::new(),
            lookups: Vec::new(),
            strings: Vec::new(),
            pending_with: Vec::new(),
            refs: Vec::new(),
            spans: SpanMap::new(),
        }
    }

    fn text(&self, n: Node<'_>) -> &'s str {
        self.src
            .get(n.start_byte()..n.end_byte())
            .unwrap_or_default()
    }

    fn span(&mut self, pointer: &str, n: Node<'_>) {
        self.spans
            .insert(pointer.to_owned(), Span::new(n.start_byte(), n.end_byte()));
    }

    fn line(n: Node<'_>) -> usize {
        n.start_position().row + 1
    }

    // ----- imports and constants (module level only) -------------------------------------

    fn collect_imports_and_constants(&mut self, root: Node<'_>) {
        let mut cursor = root.walk();
        for stmt in root.named_children(&mut cursor) {
            match stmt.kind() {
                "import_statement" => {
                    let mut c = stmt.walk();
                    for name in stmt.children_by_field_name("name", &mut c) {
                        let (path, alias) = self.import_name(name);
                        // `import a.b` binds `a`; `import a.b as c` binds `c` to `a.b`.
                        let local = alias
                            .clone()
                            .unwrap_or_else(|| path.split('.').next().unwrap_or(&path).to_owned());
                        let target = if alias.is_some() {
                            path.clone()
                        } else {
                            local.clone()
                        };
                        self.add_import(name, &path, &local, &target);
                    }
                }
                "import_from_statement" => {
                    let module = stmt
                        .child_by_field_name("module_name")
                        .map(|m| self.text(m).to_owned())
                        .unwrap_or_default();
                    let mut c = stmt.walk();
                    for name in stmt.children_by_field_name("name", &mut c) {
                        let (item, alias) = self.import_name(name);
                        let path = format!("{module}.{item}");
                        let local = alias.unwrap_or(item);
                        self.add_import(name, &path, &local, &path);
                    }
                }
                "expression_statement" => {
                    if let Some(assign) = stmt.named_child(0).filter(|a| a.kind() == "assignment") {
                        self.constant(assign);
                    }
                }
                _ => {}
            }
        }
    }

    fn import_name(&self, n: Node<'_>) -> (String, Option<String>) {
        if n.kind() == "aliased_import" {
            let name = n
                .child_by_field_name("name")
                .map(|x| self.text(x).to_owned())
                .unwrap_or_default();
            let alias = n
                .child_by_field_name("alias")
                .map(|x| self.text(x).to_owned());
            (name, alias)
        } else {
            (self.text(n).to_owned(), None)
        }
    }

    fn add_import(&mut self, n: Node<'_>, path: &str, local: &str, target: &str) {
        let p = push_token("/imports", &self.imports.len().to_string());
        self.span(&p, n);
        self.imports.push(json!({"path": path, "name": local}));
        self.aliases.insert(local.to_owned(), target.to_owned());
    }

    fn constant(&mut self, assign: Node<'_>) {
        let (Some(left), Some(right)) = (
            assign.child_by_field_name("left"),
            assign.child_by_field_name("right"),
        ) else {
            return;
        };
        if left.kind() != "identifier" {
            return;
        }
        let name = self.text(left).to_owned();
        let pointer = push_token("/constants", &name);
        let v = self.value(right, &pointer, 0);
        let literal = !matches!(&v, Value::Object(o) if o.contains_key("expr"));
        if literal {
            self.constants.insert(name, v);
        }
    }

    // ----- names ---------------------------------------------------------------------------

    /// `H` → `airflow.providers….S3Hook`; `mod.Class` → resolved module + `.Class`.
    fn resolve(&self, n: Node<'_>) -> Option<String> {
        match n.kind() {
            "identifier" => Some(
                self.aliases
                    .get(self.text(n))
                    .cloned()
                    .unwrap_or_else(|| self.text(n).to_owned()),
            ),
            "attribute" => {
                let object = n.child_by_field_name("object")?;
                let attr = n.child_by_field_name("attribute")?;
                Some(format!("{}.{}", self.resolve(object)?, self.text(attr)))
            }
            _ => None,
        }
    }

    // ----- values --------------------------------------------------------------------------

    #[allow(clippy::many_single_char_names)] // n, l, r, k, v: node, left, right, key, value
    fn value(&mut self, n: Node<'_>, pointer: &str, depth: usize) -> Value {
        self.span(pointer, n);
        if depth > self.max_depth {
            return json!({"expr": self.text(n)});
        }
        match n.kind() {
            "string" | "concatenated_string" => self.string(n),
            "integer" => self
                .text(n)
                .replace('_', "")
                .parse::<i64>()
                .map_or_else(|_| json!({"expr": self.text(n)}), Value::from),
            "float" => self
                .text(n)
                .replace('_', "")
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| json!({"expr": self.text(n)}), Value::Number),
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "none" => Value::Null,
            "parenthesized_expression" => match n.named_child(0) {
                Some(inner) => self.value(inner, pointer, depth + 1),
                None => Value::Null,
            },
            "dictionary" => {
                let mut map = Map::new();
                let mut c = n.walk();
                for pair in n
                    .named_children(&mut c)
                    .filter(|p| p.kind() == "pair")
                    .collect::<Vec<_>>()
                {
                    let (Some(k), Some(v)) = (
                        pair.child_by_field_name("key"),
                        pair.child_by_field_name("value"),
                    ) else {
                        continue;
                    };
                    let key = match self.string_literal(k) {
                        Some(s) => s,
                        None => self.text(k).to_owned(),
                    };
                    let child = self.value(v, &push_token(pointer, &key), depth + 1);
                    map.insert(key, child);
                }
                Value::Object(map)
            }
            "list" | "tuple" | "set" => {
                let mut c = n.walk();
                let items: Vec<Node<'_>> = n.named_children(&mut c).collect();
                Value::Array(
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(i, x)| {
                            self.value(x, &push_token(pointer, &i.to_string()), depth + 1)
                        })
                        .collect(),
                )
            }
            "identifier" => match self.constants.get(self.text(n)) {
                Some(v) => {
                    // As a Rego path: array indices are numbers (kwarg names never are).
                    let path: Vec<Value> = pointer
                        .split('/')
                        .skip(1)
                        .map(|t| {
                            t.parse::<u64>().map_or_else(
                                |_| Value::String(t.replace("~1", "/").replace("~0", "~")),
                                Value::from,
                            )
                        })
                        .collect();
                    self.refs
                        .push(json!({"path": path, "constant": self.text(n)}));
                    v.clone()
                }
                None => json!({"expr": self.text(n)}),
            },
            "binary_operator" => {
                let op = n.child_by_field_name("operator").map(|o| self.text(o));
                let (Some(l), Some(r)) = (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ) else {
                    return json!({"expr": self.text(n)});
                };
                if op == Some("+") {
                    let lv = self.value(l, &format!("{pointer}/~l"), depth + 1);
                    let rv = self.value(r, &format!("{pointer}/~r"), depth + 1);
                    self.spans.remove(&format!("{pointer}/~l"));
                    self.spans.remove(&format!("{pointer}/~r"));
                    if let (Value::String(a), Value::String(b)) = (&lv, &rv) {
                        return Value::String(format!("{a}{b}"));
                    }
                }
                json!({"expr": self.text(n)})
            }
            _ => json!({"expr": self.text(n)}),
        }
    }

    /// The value of a string node without interpolations, else `None`.
    fn string_literal(&self, n: Node<'_>) -> Option<String> {
        match self.string_parts(n) {
            (parts, false) => Some(parts.concat()),
            _ => None,
        }
    }

    /// Literal parts of a string or concatenated string, and whether it interpolates.
    fn string_parts(&self, n: Node<'_>) -> (Vec<String>, bool) {
        let mut parts = Vec::new();
        let mut interpolated = false;
        let mut strings = Vec::new();
        if n.kind() == "concatenated_string" {
            let mut c = n.walk();
            strings.extend(n.named_children(&mut c).filter(|s| s.kind() == "string"));
        } else if n.kind() == "string" {
            strings.push(n);
        }
        for s in strings {
            let raw = s
                .child(0)
                .is_some_and(|start| self.text(start).to_ascii_lowercase().contains('r'));
            let mut c = s.walk();
            for child in s.named_children(&mut c) {
                match child.kind() {
                    "string_content" => parts.push(if raw {
                        self.text(child).to_owned()
                    } else {
                        unescape(self.text(child))
                    }),
                    "interpolation" => interpolated = true,
                    "escape_interpolation" => {
                        parts.push(self.text(child).chars().take(1).collect());
                    }
                    _ => {}
                }
            }
        }
        (parts, interpolated)
    }

    fn string(&mut self, n: Node<'_>) -> Value {
        let (parts, interpolated) = self.string_parts(n);
        if interpolated {
            json!({"fstring": self.text(n), "parts": parts})
        } else {
            Value::String(parts.concat())
        }
    }

    // ----- the walk ------------------------------------------------------------------------

    fn walk(&mut self, n: Node<'_>, depth: usize, in_function: bool) {
        self.walk_in(n, depth, in_function, false);
    }

    /// `in_call`: inside the arguments of a call recorded in `calls` (whose values policies
    /// already see through `kwargs`/`args`).
    fn walk_in(&mut self, n: Node<'_>, depth: usize, in_function: bool, in_call: bool) {
        if depth > self.max_depth * 4 {
            return;
        }
        let mut in_call = in_call;
        match n.kind() {
            "call" => in_call |= self.call(n, in_function),
            "string" | "concatenated_string" => {
                let p = push_token("/strings", &self.strings.len().to_string());
                let v = self.value(n, &format!("{p}/value"), 0);
                let literal = v.is_string();
                self.span(&p, n);
                self.strings.push(json!({"value": v, "literal": literal, "in_call": in_call, "line": Self::line(n)}));
                return; // strings inside a concatenation are part of it
            }
            "assignment" => self.assignment(n),
            "with_item" => self.with_item(n),
            "decorated_definition" => self.decorated(n),
            _ => {}
        }
        let inside = in_function || matches!(n.kind(), "function_definition" | "lambda");
        let mut cursor = n.walk();
        let children: Vec<Node<'_>> = n.named_children(&mut cursor).collect();
        for child in children {
            self.walk_in(child, depth + 1, inside, in_call);
        }
    }

    fn arguments(&mut self, call: Node<'_>, pointer: &str) -> (Vec<Value>, Map<String, Value>) {
        let mut args = Vec::new();
        let mut kwargs = Map::new();
        let Some(list) = call.child_by_field_name("arguments") else {
            return (args, kwargs);
        };
        let mut c = list.walk();
        let items: Vec<Node<'_>> = list.named_children(&mut c).collect();
        for a in items {
            if a.kind() == "keyword_argument" {
                let (Some(k), Some(v)) = (
                    a.child_by_field_name("name"),
                    a.child_by_field_name("value"),
                ) else {
                    continue;
                };
                let key = self.text(k).to_owned();
                let val = self.value(v, &push_token(&format!("{pointer}/kwargs"), &key), 0);
                kwargs.insert(key, val);
            } else if a.kind() != "comment" {
                let val = self.value(
                    a,
                    &push_token(&format!("{pointer}/args"), &args.len().to_string()),
                    0,
                );
                args.push(val);
            }
        }
        (args, kwargs)
    }

    /// Record a call if it matters to policies; returns whether it was recorded.
    fn call(&mut self, n: Node<'_>, in_function: bool) -> bool {
        let Some(func) = n.child_by_field_name("function") else {
            return false;
        };
        // Method calls: `S3Hook(...).load_file(...)`, `hook.copy_object(...)`, `Variable.get(...)`.
        let (resolved, method, receiver) = if func.kind() == "attribute" {
            let object = func.child_by_field_name("object");
            let method = func
                .child_by_field_name("attribute")
                .map(|a| self.text(a).to_owned());
            let receiver = match object {
                Some(o) if o.kind() == "call" => o
                    .child_by_field_name("function")
                    .and_then(|f| self.resolve(f)),
                Some(o) if o.kind() == "identifier" => self
                    .hook_vars
                    .get(self.text(o))
                    .cloned()
                    .or_else(|| self.resolve(o)),
                Some(o) => self.resolve(o),
                None => None,
            };
            (self.resolve(func), method, receiver)
        } else {
            (self.resolve(func), None, None)
        };
        let resolved = resolved.unwrap_or_else(|| self.text(func).to_owned());

        // Variable.get / BaseHook.get_connection and friends.
        if let (Some(m), Some(r)) = (&method, &receiver) {
            let class = r.rsplit('.').next().unwrap_or(r);
            if is_airflow(r) && LOOKUPS.iter().any(|(c, mm)| c == &class && mm == m) {
                let p = push_token("/lookups", &self.lookups.len().to_string());
                self.span(&p, n);
                let (args, _) = self.arguments(n, &p);
                self.lookups.push(json!({"callee": format!("{class}.{m}"), "top_level": !in_function, "args": args, "line": Self::line(n)}));
                return true;
            }
        }
        let receiver_category = receiver.as_deref().map(category);
        let relevant = is_airflow(&resolved)
            || matches!(receiver_category, Some("hook" | "client"))
            || resolved.starts_with("os.environ");
        if !relevant {
            return false;
        }
        let hook_method = method.is_some() && matches!(receiver_category, Some("hook" | "client"));
        let cat = if hook_method {
            "hook-method"
        } else {
            category(&resolved)
        };
        // A hook method is named by its receiver's class: `S3Hook.load_file`.
        let resolved = match (&receiver, &method) {
            (Some(r), Some(m)) if hook_method => format!("{r}.{m}"),
            _ => resolved,
        };
        let p = push_token("/calls", &self.calls.len().to_string());
        self.span(&p, n);
        let (args, kwargs) = self.arguments(n, &p);
        let class = if hook_method {
            receiver
                .as_deref()
                .and_then(|r| r.rsplit('.').next())
                .unwrap_or_default()
                .to_owned()
        } else {
            resolved.rsplit('.').next().unwrap_or(&resolved).to_owned()
        };
        let entry = json!({
            "callee": self.text(func),
            "resolved": resolved,
            "class": class,
            "category": cat,
            "method": method,
            "receiver": receiver,
            "top_level": !in_function,
            "args": args,
            "kwargs": kwargs,
            "line": Self::line(n),
        });
        if cat == "dag" {
            self.add_dag("call", &entry, n);
        }
        if matches!(cat, "operator" | "sensor") {
            let tp = push_token("/tasks", &self.tasks.len().to_string());
            self.span(&tp, n);
            self.tasks.push(json!({"style": "operator", "class": entry["class"], "resolved": entry["resolved"], "call": self.calls.len(), "task_id": entry["kwargs"]["task_id"], "line": Self::line(n)}));
        }
        self.calls.push(entry);
        true
    }

    fn add_dag(&mut self, style: &str, call: &Value, n: Node<'_>) {
        let p = push_token("/dags", &self.dags.len().to_string());
        self.span(&p, n);
        let kwargs = call.get("kwargs").cloned().unwrap_or(Value::Null);
        let dag_id = kwargs
            .get("dag_id")
            .cloned()
            .or_else(|| call.get("args").and_then(|a| a.get(0)).cloned())
            .unwrap_or(Value::Null);
        let default_args = kwargs.get("default_args").cloned().unwrap_or(Value::Null);
        self.dags.push(json!({"style": style, "dag_id": dag_id, "default_args": default_args, "kwargs": kwargs, "line": Self::line(n)}));
    }

    fn assignment(&mut self, n: Node<'_>) {
        let (Some(left), Some(right)) = (
            n.child_by_field_name("left"),
            n.child_by_field_name("right"),
        ) else {
            return;
        };
        // `hook = S3Hook(...)`, `s3 = boto3.client("s3")`, `client = hook.get_conn()`:
        // remember the variable's class for later method calls.
        if left.kind() == "identifier" && right.kind() == "call" {
            let func = right.child_by_field_name("function");
            let mut class = func
                .and_then(|f| self.resolve(f))
                .filter(|p| matches!(category(p), "hook" | "client"));
            if class.is_none() {
                // A client obtained from a hook: `hook.get_conn()`, `S3Hook(...).get_client_type("s3")`.
                if let Some(f) = func.filter(|f| f.kind() == "attribute") {
                    let method = f.child_by_field_name("attribute").map(|a| self.text(a));
                    let receiver = match f.child_by_field_name("object") {
                        Some(o) if o.kind() == "identifier" => {
                            self.hook_vars.get(self.text(o)).cloned()
                        }
                        Some(o) if o.kind() == "call" => o
                            .child_by_field_name("function")
                            .and_then(|x| self.resolve(x)),
                        _ => None,
                    };
                    let from_hook = receiver.is_some_and(|r| category(&r) == "hook");
                    if from_hook
                        && matches!(
                            method,
                            Some("get_conn" | "get_client_type" | "get_resource_type")
                        )
                    {
                        class = Some("boto3.client".to_owned());
                    }
                }
            }
            if let Some(path) = class {
                self.hook_vars.insert(self.text(left).to_owned(), path);
            }
        }
        // `os.environ["KEY"] = value`.
        if left.kind() == "subscript" {
            let target = left
                .child_by_field_name("value")
                .and_then(|v| self.resolve(v));
            if target.as_deref() == Some("os.environ") {
                let key = left
                    .child_by_field_name("subscript")
                    .and_then(|k| self.string_literal(k))
                    .unwrap_or_default();
                let p = push_token("/env", &self.env.len().to_string());
                self.span(&p, n);
                let value = self.value(right, &format!("{p}/value"), 0);
                self.env
                    .push(json!({"name": key, "value": value, "line": Self::line(n)}));
            }
        }
    }

    fn with_item(&mut self, n: Node<'_>) {
        // `with DAG(...) as dag:` — the call is recorded by the walk; mark its style.
        let Some(value) = n.child_by_field_name("value") else {
            return;
        };
        let call = if value.kind() == "as_pattern" {
            value.named_child(0)
        } else {
            Some(value)
        };
        let Some(call) = call.filter(|c| c.kind() == "call") else {
            return;
        };
        let is_dag = call
            .child_by_field_name("function")
            .and_then(|f| self.resolve(f))
            .is_some_and(|p| category(&p) == "dag");
        if is_dag {
            let start = call.start_byte();
            self.pending_with.push(start);
        }
    }

    fn decorated(&mut self, n: Node<'_>) {
        let Some(def) = n
            .child_by_field_name("definition")
            .filter(|d| d.kind() == "function_definition")
        else {
            return;
        };
        let name = def
            .child_by_field_name("name")
            .map(|x| self.text(x).to_owned())
            .unwrap_or_default();
        let mut c = n.walk();
        let decorators: Vec<Node<'_>> = n
            .named_children(&mut c)
            .filter(|d| d.kind() == "decorator")
            .collect();
        for d in decorators {
            let Some(expr) = d.named_child(0) else {
                continue;
            };
            let (target, call) = if expr.kind() == "call" {
                (expr.child_by_field_name("function"), Some(expr))
            } else {
                (Some(expr), None)
            };
            let Some(path) = target.and_then(|t| self.resolve(t)) else {
                continue;
            };
            let kwargs = match call {
                Some(cl) => {
                    let p = format!("/decorators/{name}");
                    self.arguments(cl, &p).1
                }
                None => Map::new(),
            };
            if DAG_DECORATORS.contains(&path.as_str()) {
                let entry =
                    json!({"kwargs": Value::Object(kwargs.clone()), "args": [], "name": name});
                self.add_dag("decorator", &entry, n);
                if let Some(last) = self.dags.last_mut() {
                    if last["dag_id"].is_null() {
                        last["dag_id"] = Value::String(name.clone());
                    }
                }
            } else if TASK_DECORATORS
                .iter()
                .any(|t| path == *t || path.starts_with(&format!("{t}.")))
            {
                let tp = push_token("/tasks", &self.tasks.len().to_string());
                self.span(&tp, n);
                self.tasks.push(json!({"style": "taskflow", "function": name, "decorator": path, "kwargs": kwargs, "line": Self::line(n)}));
            }
        }
    }

    fn finish(&mut self) -> Value {
        // DAG(...) calls that head a `with` block are that style, not plain calls.
        let starts = std::mem::take(&mut self.pending_with);
        for (i, d) in self.dags.iter_mut().enumerate() {
            let ptr = push_token("/dags", &i.to_string());
            if let Some(span) = self.spans.get(&ptr) {
                if starts.contains(&span.start) {
                    d["style"] = Value::String("with".into());
                }
            }
        }
        self.spans
            .insert(String::new(), Span::new(0, self.src.len()));
        json!({
            "imports": std::mem::take(&mut self.imports),
            "constants": std::mem::take(&mut self.constants),
            "dags": std::mem::take(&mut self.dags),
            "tasks": std::mem::take(&mut self.tasks),
            "calls": std::mem::take(&mut self.calls),
            "env": std::mem::take(&mut self.env),
            "lookups": std::mem::take(&mut self.lookups),
            "strings": std::mem::take(&mut self.strings),
            "refs": std::mem::take(&mut self.refs),
        })
    }
}

/// Python string escapes that matter for matching (the rest are kept as written).
fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(q @ ('\'' | '"' | '\\')) => out.push(q),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}
