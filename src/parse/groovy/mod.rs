//! Groovy (`Jenkinsfile`, `Jenkinsfile.*`, `*.groovy`) → conftest's concrete syntax tree,
//! with spans.
//!
//! conftest reads Groovy with the Go library `groovy-parser-go` (Groovy 2.4, the syntax of
//! Jenkins Pipeline CPS) and gives policies its concrete syntax tree as nested nodes
//! `{kind, text?, line, column, children?}`: a token carries its raw source `text` (string
//! tokens keep their quotes) and its own 1-based line and column; an interior node has no
//! text and takes the line and column of its first child. Comments, whitespace, newlines,
//! end-of-file markers and zero-width tokens are not in the tree. conftest refuses a tree
//! deeper than 256 levels or larger than 100,000 nodes, and reports the first syntax error
//! as `parse groovy at LINE:COL: message`; here the error carries its span and custos
//! renders the location.
//!
//! No Rust crate parses Groovy, and the Go library's source was not available to read, so
//! this module is a hand-written lexer and recursive-descent parser for the Groovy 2.4 that
//! Jenkinsfiles and shared libraries use: statements separated by newlines or `;`, command
//! calls without parentheses (`sh 'make'`, `agent any`, `timeout time: 5, unit: 'MINUTES'`),
//! calls with parentheses and trailing closures, named arguments, lists and maps, closures
//! with parameters, `def` and typed declarations, methods and classes, property chains with
//! `?.`/`*.`/`.&`, the operators with Groovy's precedence, `if`/`for`/`while`/`switch`/
//! `try`, `return`/`throw`/`assert`, imports and annotations (`@Library('x') _`), and every
//! string form: `'…'`, `'''…'''`, `"…"`, `"""…"""`, `/slashy/` and `$/dollar-slashy/$`,
//! the last four interpolating `${…}` and `$name.path`.
//!
//! The kinds conftest's tests and example policy name are kept exactly (`FileNode`,
//! `ExpressionStmt`, `CallExpr`, `IdentExpr`, `LiteralExpr`, `ClosureExpr`, `GStringExpr`,
//! `Identifier`, `StringLiteral`, `GStringBegin`/`GStringPart`/`GStringEnd`/`GStringFull`,
//! `SlashyStringLit`, `DollarSlashyStringLit`); the others are chosen in the same style and
//! listed in docs/conftest-compat.md. An interpolated string is a `GStringExpr` of
//! `GStringBegin` (opening delimiter and text through the `$`), a `GStringValue` per
//! interpolation, `GStringPart` between two of them and `GStringEnd` (text and closing
//! delimiter), so the static text of a string is the concatenation of its tokens; a
//! double-quoted string without interpolation is one `GStringFull` token.
//!
//! The parser recurses, so nesting is bounded twice: every node's height is checked as it is
//! built (so no tree deeper than the limit ever exists, even for left-nested chains such as
//! `a.b.c…` that are built in a loop), and every recursive call counts against the same
//! limit before it goes deeper. Spans are recorded for every node while their pointers stay
//! within a budget proportional to the input (a hostile file of deep nodes would otherwise
//! need gigabytes of pointers); past it, a node's location falls back to its ancestors'.
//!
//! `lex` gives one token at an offset on demand (Groovy's tokens depend on whether an
//! operand may start there); `parser` holds the statements, declarations and the limits;
//! `expr` the expressions, types and strings; this module turns the finished tree into the
//! JSON value and its spans.

mod expr;
mod lex;
mod parser;

use serde_json::{Map, Value};

use super::{Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{LineIndex, Span, SpanMap};
use parser::Parser;

/// conftest's bound on the number of nodes in one tree.
const MAX_NODES: usize = 100_000;

/// Bytes of span pointers recorded per byte of input (plus a fixed allowance).
const POINTER_BUDGET_PER_BYTE: usize = 64;
const POINTER_BUDGET_BASE: usize = 1 << 20;

/// Lookahead never scans further than this many tokens.
const LOOKAHEAD_TOKENS: usize = 256;

/// Stack for each level of nesting the parser may recurse through (an unoptimised build
/// needs about 64 KiB for the deepest path, a string interpolating a closure).
const STACK_PER_LEVEL: usize = 128 * 1024;
const MIN_STACK: usize = 8 * 1024 * 1024;
const MAX_STACK: usize = 512 * 1024 * 1024;

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    // The parser recurses once per level of nesting, up to the depth limit: it runs on a
    // thread whose stack is sized for that, whatever thread the caller is on.
    let stack = STACK_PER_LEVEL
        .saturating_mul(limits.max_depth.max(1))
        .clamp(MIN_STACK, MAX_STACK);
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("groovy".to_owned())
            .stack_size(stack)
            .spawn_scoped(scope, || parse_here(source, limits));
        match spawned {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Parsed::failed(ParseError::at("the Groovy parser stopped unexpectedly", 0))
            }),
            Err(e) => Parsed::failed(ParseError::at(
                format!("could not start the Groovy parser: {e}"),
                0,
            )),
        }
    })
}

fn parse_here(source: &str, limits: &Limits) -> Parsed {
    let mut parser = Parser {
        src: source,
        pos: 0,
        max_depth: limits.max_depth.max(1),
        nesting: 0,
        nodes: 0,
        nl_significant: true,
        peeked: [None, None],
    };
    match parser.file() {
        Ok(root) => {
            let lines = LineIndex::new(source);
            let mut spans = SpanMap::new();
            spans.insert(String::new(), Span::new(0, source.len()));
            let mut out = Output {
                src: source,
                lines: &lines,
                spans: &mut spans,
                budget: source
                    .len()
                    .saturating_mul(POINTER_BUDGET_PER_BYTE)
                    .saturating_add(POINTER_BUDGET_BASE),
                at: (0, 1, 1),
            };
            let value = out.value(&root, &mut String::new());
            Parsed {
                docs: vec![ParsedDoc { value, spans }],
                error: None,
            }
        }
        Err(e) => Parsed::failed(e),
    }
}

/// A node of the tree: a token (a span of source) or an interior node with children.
#[derive(Debug)]
struct Node {
    kind: &'static str,
    start: usize,
    end: usize,
    token: bool,
    /// Levels in this subtree (a token is 1).
    height: usize,
    children: Vec<Node>,
}

/// Builds the JSON value and the span map from a finished tree.
struct Output<'a> {
    src: &'a str,
    lines: &'a LineIndex,
    spans: &'a mut SpanMap,
    budget: usize,
    /// The last position located, as (offset, line, column): nodes are visited in source
    /// order, so each is located from the previous one (a long line is not recounted from
    /// its start for every node on it).
    at: (usize, usize, usize),
}

impl Output<'_> {
    /// 1-based line and column (in characters) of `offset`.
    fn line_col(&mut self, offset: usize) -> (usize, usize) {
        let (from, mut line, mut col) = self.at;
        let Some(between) = self.src.get(from..offset) else {
            return self.lines.line_col(self.src, offset);
        };
        for ch in between.chars() {
            if ch == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
        }
        self.at = (offset, line, col);
        (line, col)
    }
}

impl Output<'_> {
    /// The node's JSON (`pointer` is its JSON pointer; the recursion is bounded by the
    /// tree's depth, which the parser keeps within the limit).
    fn value(&mut self, node: &Node, pointer: &mut String) -> Value {
        let mut m = Map::new();
        m.insert("kind".into(), Value::from(node.kind));
        if node.token {
            let text = self.src.get(node.start..node.end).unwrap_or_default();
            m.insert("text".into(), Value::from(text));
        }
        let (line, column) = self.line_col(node.start);
        m.insert("line".into(), Value::from(line));
        m.insert("column".into(), Value::from(column));
        if !node.children.is_empty() {
            let mut items = Vec::with_capacity(node.children.len());
            for (i, child) in node.children.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str("/children/");
                pointer.push_str(&i.to_string());
                if pointer.len() <= self.budget {
                    self.budget -= pointer.len();
                    self.spans
                        .insert(pointer.clone(), Span::new(child.start, child.end));
                }
                items.push(self.value(child, pointer));
                pointer.truncate(len);
            }
            m.insert("children".into(), Value::Array(items));
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(src: &str) -> Value {
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none(), "{src:?}: {:?}", p.error);
        p.docs
            .into_iter()
            .next()
            .map(|d| d.value)
            .unwrap_or_default()
    }

    fn error(src: &str) -> (String, usize, usize) {
        let p = parse(src, &Limits::default());
        let e = p.error.unwrap_or_else(|| panic!("{src:?} parsed"));
        let at = e.span.map_or(0, |s| s.start);
        let (line, col) = LineIndex::new(src).line_col(src, at);
        (e.message, line, col)
    }

    /// Every `(kind, text)` token in pre-order.
    fn tokens(v: &Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut stack = vec![v];
        while let Some(n) = stack.pop() {
            if let Some(t) = n["text"].as_str() {
                out.push((
                    n["kind"].as_str().unwrap_or_default().to_owned(),
                    t.to_owned(),
                ));
            }
            if let Some(ch) = n["children"].as_array() {
                stack.extend(ch.iter().rev());
            }
        }
        out
    }

    fn kinds(v: &Value) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![v];
        while let Some(n) = stack.pop() {
            out.push(n["kind"].as_str().unwrap_or_default().to_owned());
            if let Some(ch) = n["children"].as_array() {
                stack.extend(ch.iter().rev());
            }
        }
        out
    }

    #[test]
    fn conftest_json_contract() {
        let v = tree("sh 'echo ok'");
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"kind":"FileNode","line":1,"column":1,"children":[{"kind":"ExpressionStmt","line":1,"column":1,"children":[{"kind":"CallExpr","line":1,"column":1,"children":[{"kind":"IdentExpr","line":1,"column":1,"children":[{"kind":"Identifier","text":"sh","line":1,"column":1}]},{"kind":"LiteralExpr","line":1,"column":4,"children":[{"kind":"StringLiteral","text":"'echo ok'","line":1,"column":4}]}]}]}]}"#
        );
    }

    #[test]
    fn declarative_pipeline_positions() {
        let src = "pipeline {\n  agent any\n  stages {\n    stage('Build') {\n      steps {\n        sh 'make build'\n      }\n    }\n  }\n}";
        let v = tree(src);
        let find = |text: &str| {
            let mut stack = vec![&v];
            while let Some(n) = stack.pop() {
                if n["text"] == text {
                    return (n["line"].as_u64(), n["column"].as_u64());
                }
                if let Some(ch) = n["children"].as_array() {
                    stack.extend(ch.iter());
                }
            }
            (None, None)
        };
        assert_eq!(find("pipeline"), (Some(1), Some(1)));
        assert_eq!(find("sh"), (Some(6), Some(9)));
        assert!(kinds(&v).contains(&"ClosureExpr".to_owned()));
        assert!(tokens(&v).contains(&("StringLiteral".into(), "'make build'".into())));
    }

    #[test]
    fn crlf_and_line_continuations() {
        let v = tree("node {\r\n  sh 'x' + \\\r\n    'y'\r\n}\r\n");
        let toks = tokens(&v);
        assert!(
            toks.contains(&("StringLiteral".into(), "'y'".into())),
            "{toks:?}"
        );
        assert_eq!(
            v["children"][0]["children"][0]["children"][1]["children"][1]["line"],
            2
        );
    }

    #[test]
    fn trivia_is_left_out() {
        let v = tree("#!/usr/bin/env groovy\n// comment\npipeline { agent any } /* c */\n");
        let text = serde_json::to_string(&v).unwrap();
        for absent in ["comment", "EOF", r#""text":"""#, "groovy", "/*"] {
            assert!(!text.contains(absent), "{absent}: {text}");
        }
    }

    #[test]
    fn gstrings_split_at_interpolations() {
        let v = tree("node {\n  def target = \"${env.BRANCH_NAME}\"\n  sh \"make deploy TARGET=${target} x=$a.b\"\n}");
        assert!(kinds(&v).contains(&"GStringExpr".to_owned()));
        let toks = tokens(&v);
        let strings: Vec<&str> = toks
            .iter()
            .filter(|(k, _)| k.starts_with("GString"))
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(
            strings,
            ["\"$", "\"", "\"make deploy TARGET=$", " x=$", "\""]
        );
        assert!(toks.contains(&("Identifier".into(), "BRANCH_NAME".into())));
        assert!(toks.contains(&("Identifier".into(), "b".into())));
    }

    #[test]
    fn string_forms() {
        let toks = tokens(&tree(
            "a = 'x'\nb = \"y\"\nc = '''z'''\nd = \"\"\"w\"\"\"\ne = /r\\/e/\nf = $/d$/s$$/$\ng = /x${1}y/\nh = $/p$q/$\n",
        ));
        let strings: Vec<(&str, &str)> = toks
            .iter()
            .filter(|(k, _)| k != "Identifier" && k != "Assign" && k != "IntegerLiteral")
            .map(|(k, t)| (k.as_str(), t.as_str()))
            .collect();
        assert_eq!(
            strings,
            [
                ("StringLiteral", "'x'"),
                ("GStringFull", "\"y\""),
                ("StringLiteral", "'''z'''"),
                ("GStringFull", "\"\"\"w\"\"\""),
                ("SlashyStringLit", "/r\\/e/"),
                ("DollarSlashyStringLit", "$/d$/s$$/$"),
                ("GStringBegin", "/x$"),
                ("LBrace", "{"),
                ("RBrace", "}"),
                ("GStringEnd", "y/"),
                ("GStringBegin", "$/p$"),
                ("GStringEnd", "/$"),
            ]
        );
    }

    #[test]
    fn commands_calls_and_closures() {
        let v = tree(
            "timeout time: 5, unit: 'MINUTES'\nretry(3) { echo 'x' }\nlist.each { a, b = [1, 2] -> println a }\nx = sh script: 'ls', returnStdout: true\nthis.sh 'y'\n",
        );
        let k = kinds(&v);
        for want in ["NamedArg", "Param", "Arrow", "AssignExpr", "PropertyExpr"] {
            assert!(k.contains(&want.to_owned()), "{want}: {k:?}");
        }
        assert_eq!(k.iter().filter(|k| *k == "CallExpr").count(), 7, "{k:?}");
    }

    #[test]
    fn declarations_and_control_flow() {
        let src = "@Library('lib@1') _\nimport groovy.transform.Field\n@Field String name = 'a'\ndef (x, y) = [1, 2]\nList<Map<String, Integer>> m = [:]\nint n = 0\ndef call(Map config = [:], String... rest) {\n  if (config.a?.b ?: false) { return 1 } else if (!x) return 2\n  for (int i = 0; i < 3; i++) { n += i }\n  for (e in m) {}\n  for (String s : rest) {}\n  while (n > 0) n--\n  try { sh 'x' } catch (IOException | RuntimeException e) { throw e } finally { echo 'd' }\n  switch (x) {\n    case 1: break\n    case ~/a/: n = 1; break\n    default: n = x as int\n  }\n  assert n >= 0 : 'neg'\n  def r = n >> 1 >>> 2\n  return x instanceof String ? x : \"${x}\"\n}\nclass Foo extends Bar implements Baz {\n  private static final int X = 1\n  Foo(a) { super(a) }\n  void run() throws Exception { println((String) x) }\n}\nenum Color { RED, GREEN }\n";
        let k = kinds(&tree(src));
        for want in [
            "Annotation",
            "ImportDecl",
            "VarDeclStmt",
            "MethodDecl",
            "IfStmt",
            "ForStmt",
            "WhileStmt",
            "TryStmt",
            "CatchClause",
            "FinallyClause",
            "SwitchStmt",
            "CaseClause",
            "AssertStmt",
            "ReturnStmt",
            "ThrowStmt",
            "TernaryExpr",
            "ElvisExpr",
            "CastExpr",
            "ClassDecl",
            "EnumConstant",
            "MapExpr",
            "TypeRef",
            "Shr",
            "Ushr",
        ] {
            assert!(k.contains(&want.to_owned()), "{want}");
        }
    }

    #[test]
    fn errors_have_locations() {
        assert_eq!(error("pipeline {").1, 1);
        assert_eq!(error("pipeline {").2, 11);
        for (src, needle, line) in [
            ("sh 'open", "never closed", 1),
            ("a = 1\nb = \"x$ y\"", "`$` must be followed", 2),
            ("x = (1 + \n", "expected an expression", 2),
            ("a b c", "new line", 1),
            ("}", "expected a statement", 1),
            ("/* open", "comment is never closed", 1),
            ("a = #", "unexpected character", 1),
        ] {
            let (message, l, _) = error(src);
            assert!(message.contains(needle), "{src:?}: {message}");
            assert_eq!(l, line, "{src:?}: {message}");
        }
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!("{}1{}", "(".repeat(256), ")".repeat(256));
        assert!(error(&deep)
            .0
            .contains("syntax tree exceeds maximum depth of 256"));
        let chain = format!("a{}", ".b".repeat(300));
        assert!(error(&chain).0.contains("maximum depth"));
        let sum = format!("1{}", "+1".repeat(300));
        assert!(error(&sum).0.contains("maximum depth"));
        // Within the limit it parses (FileNode > ExpressionStmt > ParenExpr… > LiteralExpr > token).
        let ok = format!("{}1{}", "(".repeat(250), ")".repeat(250));
        let _ = tree(&ok);
    }

    #[test]
    fn node_count_is_bounded() {
        let many = "a\n".repeat(40_000);
        assert!(error(&many).0.contains("maximum node count of 100000"));
    }

    #[test]
    fn spans_match_text() {
        let src = "node {\n  sh \"a ${b}\" // é\n}\n";
        let p = parse(src, &Limits::default());
        let doc = &p.docs[0];
        for (pointer, span) in &doc.spans {
            let v = doc.value.pointer(pointer).unwrap();
            if let Some(t) = v["text"].as_str() {
                assert_eq!(&src[span.range()], t, "{pointer}");
            }
        }
    }
}
