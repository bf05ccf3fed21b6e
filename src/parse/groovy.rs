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

use serde_json::{Map, Value};

use super::cursor::Cursor;
use super::{Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{LineIndex, Span, SpanMap};

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

/// A lexed token: its kind and where it is. `nl` says a newline came before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tok {
    kind: &'static str,
    start: usize,
    end: usize,
    nl: bool,
}

// Pseudo-kinds the lexer returns for what the parser reads itself.
const EOF: &str = "EOF";
/// `"` or `"""`: the parser reads the string (it may interpolate).
const DQ_START: &str = "DqStart";
/// `/` where an operand is expected.
const SLASHY_START: &str = "SlashyStart";
/// `$/` where an operand is expected.
const DOLLAR_SLASHY_START: &str = "DollarSlashyStart";

/// Operators and punctuation, longest first.
const OPERATORS: &[(&str, &str)] = &[
    ("..<", "RangeExclusive"),
    ("<=>", "Spaceship"),
    ("==~", "RegexMatch"),
    ("**=", "PowerAssign"),
    ("<<=", "ShlAssign"),
    ("...", "Ellipsis"),
    ("?.", "SafeDot"),
    ("*.", "SpreadDot"),
    (".&", "MethodPointer"),
    (".@", "AttrDot"),
    ("?:", "Elvis"),
    ("->", "Arrow"),
    ("..", "Range"),
    ("==", "Eq"),
    ("!=", "NotEq"),
    ("<=", "Le"),
    (">=", "Ge"),
    ("=~", "RegexFind"),
    ("&&", "And"),
    ("||", "Or"),
    ("++", "Inc"),
    ("--", "Dec"),
    ("**", "Power"),
    ("<<", "Shl"),
    ("+=", "PlusAssign"),
    ("-=", "MinusAssign"),
    ("*=", "StarAssign"),
    ("/=", "SlashAssign"),
    ("%=", "PercentAssign"),
    ("&=", "BitAndAssign"),
    ("|=", "BitOrAssign"),
    ("^=", "BitXorAssign"),
    ("=", "Assign"),
    ("<", "Lt"),
    (">", "Gt"),
    ("+", "Plus"),
    ("-", "Minus"),
    ("*", "Star"),
    ("/", "Slash"),
    ("%", "Percent"),
    ("!", "Not"),
    ("~", "BitNot"),
    ("&", "BitAnd"),
    ("|", "BitOr"),
    ("^", "BitXor"),
    ("?", "Question"),
    (":", "Colon"),
    (",", "Comma"),
    (";", "Semicolon"),
    (".", "Dot"),
    ("(", "LParen"),
    (")", "RParen"),
    ("[", "LBracket"),
    ("]", "RBracket"),
    ("{", "LBrace"),
    ("}", "RBrace"),
    ("@", "At"),
];

/// Groovy 2.4's reserved words; `true`/`false`/`null` are literals.
const KEYWORDS: &[(&str, &str)] = &[
    ("abstract", "KwAbstract"),
    ("as", "KwAs"),
    ("assert", "KwAssert"),
    ("break", "KwBreak"),
    ("case", "KwCase"),
    ("catch", "KwCatch"),
    ("class", "KwClass"),
    ("const", "KwConst"),
    ("continue", "KwContinue"),
    ("def", "KwDef"),
    ("default", "KwDefault"),
    ("do", "KwDo"),
    ("else", "KwElse"),
    ("enum", "KwEnum"),
    ("extends", "KwExtends"),
    ("final", "KwFinal"),
    ("finally", "KwFinally"),
    ("for", "KwFor"),
    ("goto", "KwGoto"),
    ("if", "KwIf"),
    ("implements", "KwImplements"),
    ("import", "KwImport"),
    ("in", "KwIn"),
    ("instanceof", "KwInstanceof"),
    ("interface", "KwInterface"),
    ("native", "KwNative"),
    ("new", "KwNew"),
    ("package", "KwPackage"),
    ("private", "KwPrivate"),
    ("protected", "KwProtected"),
    ("public", "KwPublic"),
    ("return", "KwReturn"),
    ("static", "KwStatic"),
    ("strictfp", "KwStrictfp"),
    ("super", "KwSuper"),
    ("switch", "KwSwitch"),
    ("synchronized", "KwSynchronized"),
    ("this", "KwThis"),
    ("throw", "KwThrow"),
    ("throws", "KwThrows"),
    ("trait", "KwTrait"),
    ("transient", "KwTransient"),
    ("try", "KwTry"),
    ("volatile", "KwVolatile"),
    ("while", "KwWhile"),
    ("true", "BooleanLiteral"),
    ("false", "BooleanLiteral"),
    ("null", "NullLiteral"),
];

const MODIFIERS: &[&str] = &[
    "KwAbstract",
    "KwFinal",
    "KwNative",
    "KwPrivate",
    "KwProtected",
    "KwPublic",
    "KwStatic",
    "KwStrictfp",
    "KwSynchronized",
    "KwTransient",
    "KwVolatile",
];

const PRIMITIVES: &[&str] = &[
    "boolean", "byte", "char", "double", "float", "int", "long", "short", "void",
];

fn is_keyword(kind: &str) -> bool {
    kind.starts_with("Kw") || kind == "BooleanLiteral" || kind == "NullLiteral"
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Skip whitespace, comments, line continuations and a leading shebang from `pos`: where the
/// next token starts, and whether a newline came first.
fn skip_trivia(src: &str, pos: usize) -> Result<(usize, bool), ParseError> {
    let mut c = Cursor { src, pos };
    let mut nl = false;
    if pos == 0 && c.starts_with("#!") {
        c.skip_line();
    }
    while let Some(ch) = c.peek() {
        if ch == '\n' {
            nl = true;
            c.bump();
        } else if ch.is_whitespace() {
            c.bump();
        } else if c.starts_with("\\\n") {
            c.pos += 2;
        } else if c.starts_with("\\\r\n") {
            c.pos += 3;
        } else if c.starts_with("//") {
            c.skip_line();
        } else if c.starts_with("/*") {
            let start = c.pos;
            match c.rest().get(2..).and_then(|r| r.find("*/")) {
                Some(i) => {
                    if c.rest().get(..i + 2).is_some_and(|s| s.contains('\n')) {
                        nl = true;
                    }
                    c.pos += i + 4;
                }
                None => return Err(c.error_at("comment is never closed (`*/`)", start)),
            }
        } else {
            break;
        }
    }
    Ok((c.pos, nl))
}

/// The token at `pos` (after trivia). `operand`: an operand may start here, so `/` opens a
/// slashy string and `$/` a dollar-slashy one.
fn lex(src: &str, pos: usize, operand: bool) -> Result<Tok, ParseError> {
    let (start, nl) = skip_trivia(src, pos)?;
    let mut c = Cursor { src, pos: start };
    let tok = |kind, end| {
        Ok(Tok {
            kind,
            start,
            end,
            nl,
        })
    };
    let Some(ch) = c.peek() else {
        return tok(EOF, start);
    };
    if operand && c.starts_with("$/") {
        return tok(DOLLAR_SLASHY_START, start + 2);
    }
    if is_ident_start(ch) {
        let word = c.take_while(is_ident_char);
        let kind = KEYWORDS
            .iter()
            .find(|(w, _)| *w == word)
            .map_or("Identifier", |(_, k)| *k);
        return tok(kind, c.pos);
    }
    if ch.is_ascii_digit() {
        let kind = number(&mut c);
        return tok(kind, c.pos);
    }
    if c.starts_with("'''") {
        c.pos += 3;
        loop {
            if c.eat("'''") {
                return tok("StringLiteral", c.pos);
            }
            match c.bump() {
                None => return Err(c.error_at("string is never closed (`'''`)", start)),
                Some('\\') => {
                    c.bump();
                }
                Some(_) => {}
            }
        }
    }
    if ch == '\'' {
        c.bump();
        loop {
            match c.bump() {
                None | Some('\n') => {
                    return Err(c.error_at("string is never closed (`'`)", start));
                }
                Some('\'') => return tok("StringLiteral", c.pos),
                Some('\\') => {
                    if c.peek() != Some('\n') {
                        c.bump();
                    }
                }
                Some(_) => {}
            }
        }
    }
    if ch == '"' {
        let len = if c.starts_with("\"\"\"") { 3 } else { 1 };
        return tok(DQ_START, start + len);
    }
    if ch == '/' && operand {
        return tok(SLASHY_START, start + 1);
    }
    for (text, kind) in OPERATORS {
        if c.starts_with(text) {
            return tok(kind, start + text.len());
        }
    }
    Err(c.error(format!("unexpected character {ch:?}")))
}

/// A number literal (the cursor on its first digit): `IntegerLiteral` or `FloatLiteral`.
fn number(c: &mut Cursor<'_>) -> &'static str {
    let digit_or_sep = |ch: char| ch.is_ascii_alphanumeric() || ch == '_';
    if c.starts_with("0x") || c.starts_with("0X") || c.starts_with("0b") || c.starts_with("0B") {
        c.pos += 2;
        c.take_while(digit_or_sep);
        return "IntegerLiteral";
    }
    let mut float = false;
    c.take_while(|ch| ch.is_ascii_digit() || ch == '_');
    if c.peek() == Some('.') && c.peek_at(1).is_some_and(|d| d.is_ascii_digit()) {
        float = true;
        c.bump();
        c.take_while(|ch| ch.is_ascii_digit() || ch == '_');
    }
    if matches!(c.peek(), Some('e' | 'E'))
        && (c.peek_at(1).is_some_and(|d| d.is_ascii_digit())
            || (matches!(c.peek_at(1), Some('+' | '-'))
                && c.peek_at(2).is_some_and(|d| d.is_ascii_digit())))
    {
        float = true;
        c.bump();
        c.eat("+");
        c.eat("-");
        c.take_while(|ch| ch.is_ascii_digit());
    }
    match c.peek() {
        Some('d' | 'D' | 'f' | 'F') => {
            c.bump();
            float = true;
        }
        Some('g' | 'G' | 'l' | 'L' | 'i' | 'I') => {
            c.bump();
        }
        _ => {}
    }
    if float {
        "FloatLiteral"
    } else {
        "IntegerLiteral"
    }
}

/// Where a statement list stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// The end of the file (a `}` is an error).
    Eof,
    /// A `}` (the end of the file is an error).
    Brace,
    /// A `}`, `case` or `default` (inside a `switch`).
    Case,
}

/// The delimiters of an interpolating string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    Double,
    TripleDouble,
    Slashy,
    DollarSlashy,
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    max_depth: usize,
    /// Recursive calls in progress (bounded by `max_depth`).
    nesting: usize,
    nodes: usize,
    /// Newlines end expressions (false inside parentheses and brackets).
    nl_significant: bool,
    /// The last token peeked at a position, where an operator may come and where an
    /// operand may start.
    peeked: [Option<(usize, Tok)>; 2],
}

type R<T> = Result<T, ParseError>;

impl Parser<'_> {
    // ---- tokens and nodes -------------------------------------------------------------

    fn peek_mode(&mut self, operand: bool) -> R<Tok> {
        let (this, other) = if operand { (1, 0) } else { (0, 1) };
        if let Some(Some((pos, tok))) = self.peeked.get(this) {
            if *pos == self.pos {
                return Ok(*tok);
            }
        }
        // The two modes lex alike except where a `/` or `$/` starts.
        if let Some(Some((pos, tok))) = self.peeked.get(other) {
            let first = self.src.as_bytes().get(tok.start);
            if *pos == self.pos && !matches!(first, Some(b'/' | b'$')) {
                let tok = *tok;
                self.peeked[this] = Some((self.pos, tok));
                return Ok(tok);
            }
        }
        let tok = lex(self.src, self.pos, operand)?;
        self.peeked[this] = Some((self.pos, tok));
        Ok(tok)
    }

    /// The next token where an operator may come.
    fn peek(&mut self) -> R<Tok> {
        self.peek_mode(false)
    }

    /// The next token where an operand may start.
    fn peek_operand(&mut self) -> R<Tok> {
        self.peek_mode(true)
    }

    /// The token after `tok` (lookahead; nothing is consumed).
    fn after(&self, tok: Tok) -> Option<Tok> {
        lex(self.src, tok.end, false).ok()
    }

    fn count(&mut self) -> R<()> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(ParseError::within(
                self.src,
                format!("syntax tree exceeds maximum node count of {MAX_NODES}"),
                self.pos,
            ));
        }
        Ok(())
    }

    fn depth_error(&self) -> ParseError {
        ParseError::within(
            self.src,
            format!("syntax tree exceeds maximum depth of {}", self.max_depth),
            self.pos,
        )
    }

    fn token(&mut self, kind: &'static str, start: usize, end: usize) -> R<Node> {
        self.count()?;
        Ok(Node {
            kind,
            start,
            end,
            token: true,
            height: 1,
            children: Vec::new(),
        })
    }

    /// Consume `tok` as a token node.
    fn take(&mut self, tok: Tok) -> R<Node> {
        self.pos = tok.end;
        self.token(tok.kind, tok.start, tok.end)
    }

    /// Consume `tok` as a token node of another kind (a keyword used as a name).
    fn take_as(&mut self, tok: Tok, kind: &'static str) -> R<Node> {
        self.pos = tok.end;
        self.token(kind, tok.start, tok.end)
    }

    fn node(&mut self, kind: &'static str, children: Vec<Node>) -> R<Node> {
        self.count()?;
        let height = 1 + children.iter().map(|c| c.height).max().unwrap_or(0);
        if height > self.max_depth {
            return Err(self.depth_error());
        }
        let start = children.first().map_or(0, |c| c.start);
        let end = children.last().map_or(start, |c| c.end);
        Ok(Node {
            kind,
            start,
            end,
            token: false,
            height,
            children,
        })
    }

    /// Enter a recursive rule: every level of recursion is at least one level of the tree,
    /// so recursing past the depth limit means the tree would be too deep.
    fn enter(&mut self) -> R<()> {
        self.nesting += 1;
        if self.nesting > self.max_depth {
            return Err(self.depth_error());
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.nesting = self.nesting.saturating_sub(1);
    }

    fn describe(&self, tok: Tok) -> String {
        match tok.kind {
            EOF => "end of input".to_owned(),
            DQ_START | SLASHY_START | DOLLAR_SLASHY_START | "StringLiteral" => {
                "a string".to_owned()
            }
            _ => {
                let text = self.src.get(tok.start..tok.end).unwrap_or_default();
                if text.chars().count() > 32 {
                    let short: String = text.chars().take(32).collect();
                    format!("`{short}…`")
                } else {
                    format!("`{text}`")
                }
            }
        }
    }

    fn unexpected(&self, tok: Tok, wanted: &str) -> ParseError {
        ParseError::within(
            self.src,
            format!("expected {wanted}, found {}", self.describe(tok)),
            tok.start,
        )
    }

    /// Consume a token of `kind` or fail naming `what`.
    fn expect(&mut self, kind: &str, what: &str) -> R<Node> {
        let tok = self.peek()?;
        if tok.kind == kind {
            self.take(tok)
        } else {
            Err(self.unexpected(tok, what))
        }
    }

    /// Consume a name: an identifier, or a keyword used as one (`params.default`).
    fn name(&mut self) -> R<Node> {
        let tok = self.peek()?;
        if tok.kind == "Identifier" {
            self.take(tok)
        } else if is_keyword(tok.kind) {
            self.take_as(tok, "Identifier")
        } else {
            Err(self.unexpected(tok, "a name"))
        }
    }

    fn with_nl<T>(&mut self, significant: bool, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        let saved = self.nl_significant;
        self.nl_significant = significant;
        let r = f(self);
        self.nl_significant = saved;
        r
    }

    // ---- statements -------------------------------------------------------------------

    fn file(&mut self) -> R<Node> {
        let mut children = Vec::new();
        self.statements(&mut children, Stop::Eof)?;
        self.node("FileNode", children)
    }

    fn statements(&mut self, out: &mut Vec<Node>, stop: Stop) -> R<()> {
        loop {
            let tok = self.peek_operand()?;
            match tok.kind {
                "Semicolon" => out.push(self.take(tok)?),
                EOF if stop == Stop::Eof => return Ok(()),
                EOF => return Err(self.unexpected(tok, "`}`")),
                "RBrace" if stop == Stop::Eof => {
                    return Err(self.unexpected(tok, "a statement"));
                }
                "RBrace" => return Ok(()),
                "KwCase" | "KwDefault" if stop == Stop::Case => return Ok(()),
                _ => {
                    out.push(self.statement()?);
                    self.end_statement()?;
                }
            }
        }
    }

    /// A statement ends at a newline, `;`, `}` or the end of the input.
    fn end_statement(&mut self) -> R<()> {
        let tok = self.peek()?;
        if tok.nl || matches!(tok.kind, "Semicolon" | "RBrace" | EOF) {
            Ok(())
        } else {
            Err(self.unexpected(tok, "a new line or `;` after the statement"))
        }
    }

    fn statement(&mut self) -> R<Node> {
        self.enter()?;
        let r = self.statement_inner();
        self.leave();
        r
    }

    fn statement_inner(&mut self) -> R<Node> {
        let tok = self.peek_operand()?;
        match tok.kind {
            "At" => {
                let mut prefix = Vec::new();
                while self.peek()?.kind == "At" {
                    prefix.push(self.annotation()?);
                }
                let next = self.peek_operand()?;
                if next.kind == "KwImport" {
                    self.import(prefix)
                } else if self.starts_declaration(next) {
                    self.declaration(prefix)
                } else {
                    let e = self.expr(true)?;
                    prefix.push(e);
                    self.node("ExpressionStmt", prefix)
                }
            }
            "KwImport" => self.import(Vec::new()),
            "KwPackage" => {
                let mut ch = vec![self.take(tok)?];
                self.qualified_name(&mut ch)?;
                self.node("PackageDecl", ch)
            }
            "KwIf" => self.if_stmt(tok),
            "KwWhile" => {
                let mut ch = vec![self.take(tok)?];
                self.condition(&mut ch)?;
                ch.push(self.body()?);
                self.node("WhileStmt", ch)
            }
            "KwFor" => self.for_stmt(tok),
            "KwTry" => self.try_stmt(tok),
            "KwSwitch" => self.switch_stmt(tok),
            "KwReturn" | "KwThrow" => {
                let kind = if tok.kind == "KwReturn" {
                    "ReturnStmt"
                } else {
                    "ThrowStmt"
                };
                let mut ch = vec![self.take(tok)?];
                let next = self.peek_operand()?;
                if !(next.nl || matches!(next.kind, "Semicolon" | "RBrace" | EOF)) {
                    ch.push(self.expr(false)?);
                }
                self.node(kind, ch)
            }
            "KwBreak" | "KwContinue" => {
                let kind = if tok.kind == "KwBreak" {
                    "BreakStmt"
                } else {
                    "ContinueStmt"
                };
                let mut ch = vec![self.take(tok)?];
                let next = self.peek()?;
                if !next.nl && next.kind == "Identifier" {
                    ch.push(self.take(next)?);
                }
                self.node(kind, ch)
            }
            "KwAssert" => {
                let mut ch = vec![self.take(tok)?, self.expr(false)?];
                let next = self.peek()?;
                if matches!(next.kind, "Colon" | "Comma") {
                    ch.push(self.take(next)?);
                    ch.push(self.expr(false)?);
                }
                self.node("AssertStmt", ch)
            }
            "Identifier" if self.after(tok).is_some_and(|t| t.kind == "Colon") => {
                let label = self.take(tok)?;
                let colon = self.expect("Colon", "`:`")?;
                let stmt = self.statement()?;
                self.node("LabeledStmt", vec![label, colon, stmt])
            }
            _ if self.starts_declaration(tok) => self.declaration(Vec::new()),
            _ => {
                let e = self.expr(true)?;
                self.node("ExpressionStmt", vec![e])
            }
        }
    }

    /// Whether a declaration starts at `tok`: a modifier, `def`, a class keyword, or a type
    /// (a capitalised or primitive name) followed by the declared name.
    fn starts_declaration(&self, tok: Tok) -> bool {
        if MODIFIERS.contains(&tok.kind)
            || matches!(
                tok.kind,
                "KwDef" | "KwClass" | "KwInterface" | "KwEnum" | "KwTrait"
            )
        {
            return true;
        }
        if tok.kind != "Identifier" {
            return false;
        }
        let text = self.src.get(tok.start..tok.end).unwrap_or_default();
        let typeish =
            text.chars().next().is_some_and(char::is_uppercase) || PRIMITIVES.contains(&text);
        if !typeish {
            return false;
        }
        let Some(end) = self.type_end(tok.start) else {
            return false;
        };
        let Ok(name) = lex(self.src, end, false) else {
            return false;
        };
        if name.kind != "Identifier" || name.nl {
            return false;
        }
        let Some(next) = self.after(name) else {
            return false;
        };
        next.nl
            || matches!(
                next.kind,
                "Assign" | "Semicolon" | "RBrace" | EOF | "Comma" | "LParen"
            )
    }

    /// Where a type starting at `pos` ends (`a.b.C<D, ? extends E>[]`), if one does.
    fn type_end(&self, pos: usize) -> Option<usize> {
        let first = lex(self.src, pos, false).ok()?;
        if first.kind != "Identifier" {
            return None;
        }
        let mut end = first.end;
        let mut depth = 0usize;
        for _ in 0..LOOKAHEAD_TOKENS {
            let t = lex(self.src, end, false).ok()?;
            match t.kind {
                "Dot" => {
                    let id = lex(self.src, t.end, false).ok()?;
                    if id.kind != "Identifier" {
                        break;
                    }
                    end = id.end;
                }
                "Lt" => {
                    depth += 1;
                    end = t.end;
                }
                "Gt" if depth > 0 => {
                    depth -= 1;
                    end = t.end;
                }
                "Comma" | "Question" | "KwExtends" | "KwSuper" | "BitAnd" | "Identifier"
                    if depth > 0 =>
                {
                    end = t.end;
                }
                "LBracket" => {
                    let close = lex(self.src, t.end, false).ok()?;
                    if close.kind != "RBracket" {
                        break;
                    }
                    end = close.end;
                }
                _ => break,
            }
            if depth == 0 && !matches!(t.kind, "Dot" | "Gt" | "LBracket") {
                break;
            }
        }
        (depth == 0).then_some(end)
    }

    /// Whether a type followed by a name (or `...`) starts at `pos`.
    fn type_then_name(&self, pos: usize) -> bool {
        self.type_end(pos)
            .and_then(|end| lex(self.src, end, false).ok())
            .is_some_and(|t| matches!(t.kind, "Identifier" | "Ellipsis"))
    }

    fn annotation(&mut self) -> R<Node> {
        let at = self.expect("At", "`@`")?;
        let mut ch = vec![at];
        self.qualified_name(&mut ch)?;
        let next = self.peek()?;
        if next.kind == "LParen" && !next.nl {
            self.paren_args(&mut ch)?;
        }
        self.node("Annotation", ch)
    }

    /// `a.b.c` as name and dot tokens.
    fn qualified_name(&mut self, ch: &mut Vec<Node>) -> R<()> {
        ch.push(self.name()?);
        loop {
            let dot = self.peek()?;
            if dot.kind != "Dot" {
                return Ok(());
            }
            let Some(next) = self.after(dot) else {
                return Ok(());
            };
            if next.kind == "Star" {
                ch.push(self.take(dot)?);
                ch.push(self.take(next)?);
                return Ok(());
            }
            ch.push(self.take(dot)?);
            ch.push(self.name()?);
        }
    }

    fn import(&mut self, mut ch: Vec<Node>) -> R<Node> {
        ch.push(self.expect("KwImport", "`import`")?);
        let tok = self.peek()?;
        if tok.kind == "KwStatic" {
            ch.push(self.take(tok)?);
        }
        self.qualified_name(&mut ch)?;
        let tok = self.peek()?;
        if tok.kind == "KwAs" && !tok.nl {
            ch.push(self.take(tok)?);
            ch.push(self.name()?);
        }
        self.node("ImportDecl", ch)
    }

    /// A declaration: annotations and modifiers (some already in `ch`), then a class, an
    /// initializer block, a method or variables.
    fn declaration(&mut self, mut ch: Vec<Node>) -> R<Node> {
        loop {
            let tok = self.peek()?;
            if tok.kind == "At" {
                ch.push(self.annotation()?);
            } else if MODIFIERS.contains(&tok.kind) {
                ch.push(self.take(tok)?);
            } else {
                break;
            }
        }
        let tok = self.peek_operand()?;
        match tok.kind {
            "KwClass" | "KwInterface" | "KwEnum" | "KwTrait" => return self.class_decl(ch),
            "LBrace" => {
                // `static { … }`: an initializer block.
                self.block_into(&mut ch)?;
                return self.node("BlockStmt", ch);
            }
            "KwDef" => {
                ch.push(self.take(tok)?);
                let next = self.peek()?;
                if next.kind == "LParen" {
                    return self.multi_declaration(ch);
                }
            }
            _ => {}
        }
        let tok = self.peek()?;
        if tok.kind == "Identifier" && self.type_then_name(tok.start) {
            ch.push(self.type_ref()?);
        }
        // The declared name: an identifier, or a string (a method named by a string).
        let tok = self.peek_operand()?;
        let name = match tok.kind {
            "StringLiteral" => self.take(tok)?,
            DQ_START => self.string(tok)?,
            _ => self.name()?,
        };
        let next = self.peek()?;
        if next.kind == "LParen" && !next.nl {
            ch.push(name);
            return self.method_rest(ch);
        }
        ch.push(self.declarator(name)?);
        loop {
            let comma = self.peek()?;
            if comma.kind != "Comma" {
                break;
            }
            ch.push(self.take(comma)?);
            let name = self.name()?;
            ch.push(self.declarator(name)?);
        }
        self.node("VarDeclStmt", ch)
    }

    /// `name [= value]`.
    fn declarator(&mut self, name: Node) -> R<Node> {
        let mut ch = vec![name];
        let tok = self.peek()?;
        if tok.kind == "Assign" {
            ch.push(self.take(tok)?);
            ch.push(self.expr(true)?);
        }
        self.node("VarDeclarator", ch)
    }

    /// `def (a, String b) = value`.
    fn multi_declaration(&mut self, mut ch: Vec<Node>) -> R<Node> {
        ch.push(self.expect("LParen", "`(`")?);
        loop {
            let tok = self.peek()?;
            if tok.kind == "Identifier" && self.type_then_name(tok.start) {
                ch.push(self.type_ref()?);
            }
            ch.push(self.name()?);
            let tok = self.peek()?;
            if tok.kind != "Comma" {
                break;
            }
            ch.push(self.take(tok)?);
        }
        ch.push(self.expect("RParen", "`)`")?);
        let tok = self.peek()?;
        if tok.kind == "Assign" {
            ch.push(self.take(tok)?);
            ch.push(self.expr(true)?);
        }
        self.node("VarDeclStmt", ch)
    }

    /// A method after its name: parameters, `throws`, body.
    fn method_rest(&mut self, mut ch: Vec<Node>) -> R<Node> {
        ch.push(self.expect("LParen", "`(`")?);
        self.with_nl(false, |p| {
            if p.peek()?.kind != "RParen" {
                loop {
                    ch.push(p.param()?);
                    let tok = p.peek()?;
                    if tok.kind != "Comma" {
                        break;
                    }
                    ch.push(p.take(tok)?);
                }
            }
            ch.push(p.expect("RParen", "`)`")?);
            Ok(())
        })?;
        let tok = self.peek()?;
        if tok.kind == "KwThrows" {
            ch.push(self.take(tok)?);
            loop {
                ch.push(self.type_ref()?);
                let tok = self.peek()?;
                if tok.kind != "Comma" {
                    break;
                }
                ch.push(self.take(tok)?);
            }
        }
        if self.peek()?.kind == "LBrace" {
            let mut body = Vec::new();
            self.block_into(&mut body)?;
            ch.push(self.node("BlockStmt", body)?);
        }
        self.node("MethodDecl", ch)
    }

    /// A method or closure parameter: `[final] [def] [Type] [...] name [= default]`.
    fn param(&mut self) -> R<Node> {
        let mut ch = Vec::new();
        loop {
            let tok = self.peek()?;
            match tok.kind {
                "At" => ch.push(self.annotation()?),
                "KwFinal" | "KwDef" => ch.push(self.take(tok)?),
                _ => break,
            }
        }
        let tok = self.peek()?;
        if tok.kind == "Identifier" && self.type_then_name(tok.start) {
            ch.push(self.type_ref()?);
        }
        let tok = self.peek()?;
        if tok.kind == "Ellipsis" {
            ch.push(self.take(tok)?);
        }
        ch.push(self.name()?);
        let tok = self.peek()?;
        if tok.kind == "Assign" {
            ch.push(self.take(tok)?);
            ch.push(self.expr(false)?);
        }
        self.node("Param", ch)
    }

    fn class_decl(&mut self, mut ch: Vec<Node>) -> R<Node> {
        let kw = self.peek()?;
        let is_enum = kw.kind == "KwEnum";
        ch.push(self.take(kw)?);
        ch.push(self.name()?);
        if self.peek()?.kind == "Lt" {
            self.type_args(&mut ch)?;
        }
        for clause in ["KwExtends", "KwImplements"] {
            let tok = self.peek()?;
            if tok.kind != clause {
                continue;
            }
            ch.push(self.take(tok)?);
            loop {
                ch.push(self.type_ref()?);
                let tok = self.peek()?;
                if tok.kind != "Comma" {
                    break;
                }
                ch.push(self.take(tok)?);
            }
        }
        ch.push(self.class_body(is_enum)?);
        self.node("ClassDecl", ch)
    }

    fn class_body(&mut self, is_enum: bool) -> R<Node> {
        let mut ch = vec![self.expect("LBrace", "`{`")?];
        self.with_nl(true, |p| {
            if is_enum {
                loop {
                    let tok = p.peek()?;
                    if tok.kind != "Identifier" {
                        break;
                    }
                    let mut constant = vec![p.take(tok)?];
                    let next = p.peek()?;
                    if next.kind == "LParen" && !next.nl {
                        p.paren_args(&mut constant)?;
                    }
                    if p.peek()?.kind == "LBrace" {
                        constant.push(p.class_body(false)?);
                    }
                    ch.push(p.node("EnumConstant", constant)?);
                    let comma = p.peek()?;
                    if comma.kind != "Comma" {
                        break;
                    }
                    ch.push(p.take(comma)?);
                }
            }
            loop {
                let tok = p.peek_operand()?;
                match tok.kind {
                    "Semicolon" => ch.push(p.take(tok)?),
                    "RBrace" => break,
                    EOF => return Err(p.unexpected(tok, "`}`")),
                    _ => {
                        ch.push(p.member()?);
                        p.end_statement()?;
                    }
                }
            }
            ch.push(p.expect("RBrace", "`}`")?);
            Ok(())
        })?;
        self.node("ClassBody", ch)
    }

    /// A class member: a constructor (`Name(…) {…}`), a declaration, or any statement.
    fn member(&mut self) -> R<Node> {
        self.enter()?;
        let r = (|| {
            let mut prefix = Vec::new();
            loop {
                let tok = self.peek()?;
                if tok.kind == "At" {
                    prefix.push(self.annotation()?);
                } else if MODIFIERS.contains(&tok.kind) {
                    prefix.push(self.take(tok)?);
                } else {
                    break;
                }
            }
            let tok = self.peek_operand()?;
            if tok.kind == "Identifier"
                && self.after(tok).is_some_and(|t| t.kind == "LParen" && !t.nl)
            {
                prefix.push(self.take(tok)?);
                return self.method_rest(prefix);
            }
            if !prefix.is_empty() || self.starts_declaration(tok) {
                return self.declaration(prefix);
            }
            self.statement()
        })();
        self.leave();
        r
    }

    /// `{ statements }` appended to `ch`.
    fn block_into(&mut self, ch: &mut Vec<Node>) -> R<()> {
        ch.push(self.expect("LBrace", "`{`")?);
        self.with_nl(true, |p| {
            p.statements(ch, Stop::Brace)?;
            ch.push(p.expect("RBrace", "`}`")?);
            Ok(())
        })
    }

    /// The body of `if`/`for`/`while`: a block or one statement.
    fn body(&mut self) -> R<Node> {
        let tok = self.peek_operand()?;
        match tok.kind {
            "LBrace" => {
                let mut ch = Vec::new();
                self.block_into(&mut ch)?;
                self.node("BlockStmt", ch)
            }
            "Semicolon" => self.take(tok),
            _ => self.statement(),
        }
    }

    /// `( expression )` appended to `ch`.
    fn condition(&mut self, ch: &mut Vec<Node>) -> R<()> {
        ch.push(self.expect("LParen", "`(`")?);
        self.with_nl(false, |p| {
            ch.push(p.expr(false)?);
            ch.push(p.expect("RParen", "`)`")?);
            Ok(())
        })
    }

    fn if_stmt(&mut self, tok: Tok) -> R<Node> {
        let mut ch = vec![self.take(tok)?];
        self.condition(&mut ch)?;
        ch.push(self.body()?);
        let next = self.peek()?;
        if next.kind == "KwElse" {
            ch.push(self.take(next)?);
            ch.push(self.body()?);
        }
        self.node("IfStmt", ch)
    }

    /// `for (x in xs)`, `for (Type x : xs)`, `for (init; cond; update)`.
    fn for_stmt(&mut self, tok: Tok) -> R<Node> {
        let mut ch = vec![self.take(tok)?];
        ch.push(self.expect("LParen", "`(`")?);
        self.with_nl(false, |p| {
            let mut typed = false;
            let t = p.peek()?;
            if t.kind == "KwDef" || t.kind == "KwFinal" {
                ch.push(p.take(t)?);
                typed = true;
            }
            let t = p.peek()?;
            if t.kind == "Identifier" && p.type_then_name(t.start) {
                ch.push(p.type_ref()?);
                typed = true;
            }
            let t = p.peek_operand()?;
            let for_in = t.kind == "Identifier"
                && p.after(t)
                    .is_some_and(|n| matches!(n.kind, "KwIn" | "Colon"));
            if for_in {
                ch.push(p.take(t)?);
                let op = p.peek()?;
                ch.push(p.take(op)?);
                ch.push(p.expr(false)?);
            } else {
                if typed {
                    let mut decl: Vec<Node> = ch.drain(2..).collect();
                    let name = p.name()?;
                    decl.push(p.declarator(name)?);
                    ch.push(p.node("VarDeclStmt", decl)?);
                } else if t.kind != "Semicolon" {
                    p.expr_list(&mut ch)?;
                }
                ch.push(p.expect("Semicolon", "`;` or `in`")?);
                if p.peek_operand()?.kind != "Semicolon" {
                    ch.push(p.expr(false)?);
                }
                ch.push(p.expect("Semicolon", "`;`")?);
                if p.peek_operand()?.kind != "RParen" {
                    p.expr_list(&mut ch)?;
                }
            }
            ch.push(p.expect("RParen", "`)`")?);
            Ok(())
        })?;
        ch.push(self.body()?);
        self.node("ForStmt", ch)
    }

    /// `a, b, c` appended to `ch`.
    fn expr_list(&mut self, ch: &mut Vec<Node>) -> R<()> {
        loop {
            ch.push(self.expr(false)?);
            let tok = self.peek()?;
            if tok.kind != "Comma" {
                return Ok(());
            }
            ch.push(self.take(tok)?);
        }
    }

    fn try_stmt(&mut self, tok: Tok) -> R<Node> {
        let mut ch = vec![self.take(tok)?];
        let mut block = Vec::new();
        self.block_into(&mut block)?;
        ch.push(self.node("BlockStmt", block)?);
        loop {
            let tok = self.peek()?;
            match tok.kind {
                "KwCatch" => {
                    let mut clause = vec![self.take(tok)?];
                    clause.push(self.expect("LParen", "`(`")?);
                    self.with_nl(false, |p| {
                        let t = p.peek()?;
                        if t.kind == "KwFinal" {
                            clause.push(p.take(t)?);
                        }
                        loop {
                            let t = p.peek()?;
                            let after = p.type_end(t.start).and_then(|e| lex(p.src, e, false).ok());
                            if t.kind == "Identifier"
                                && after.is_some_and(|a| matches!(a.kind, "Identifier" | "BitOr"))
                            {
                                clause.push(p.type_ref()?);
                                let bar = p.peek()?;
                                if bar.kind == "BitOr" {
                                    clause.push(p.take(bar)?);
                                    continue;
                                }
                            }
                            break;
                        }
                        clause.push(p.name()?);
                        clause.push(p.expect("RParen", "`)`")?);
                        Ok(())
                    })?;
                    let mut block = Vec::new();
                    self.block_into(&mut block)?;
                    clause.push(self.node("BlockStmt", block)?);
                    ch.push(self.node("CatchClause", clause)?);
                }
                "KwFinally" => {
                    let mut clause = vec![self.take(tok)?];
                    let mut block = Vec::new();
                    self.block_into(&mut block)?;
                    clause.push(self.node("BlockStmt", block)?);
                    ch.push(self.node("FinallyClause", clause)?);
                    break;
                }
                _ => break,
            }
        }
        self.node("TryStmt", ch)
    }

    fn switch_stmt(&mut self, tok: Tok) -> R<Node> {
        let mut ch = vec![self.take(tok)?];
        self.condition(&mut ch)?;
        ch.push(self.expect("LBrace", "`{`")?);
        self.with_nl(true, |p| {
            loop {
                let tok = p.peek_operand()?;
                match tok.kind {
                    "KwCase" | "KwDefault" => {
                        let mut clause = vec![p.take(tok)?];
                        if tok.kind == "KwCase" {
                            clause.push(p.expr(false)?);
                        }
                        clause.push(p.expect("Colon", "`:`")?);
                        p.statements(&mut clause, Stop::Case)?;
                        ch.push(p.node("CaseClause", clause)?);
                    }
                    "Semicolon" => ch.push(p.take(tok)?),
                    "RBrace" => break,
                    _ => return Err(p.unexpected(tok, "`case`, `default` or `}`")),
                }
            }
            ch.push(p.expect("RBrace", "`}`")?);
            Ok(())
        })?;
        self.node("SwitchStmt", ch)
    }

    // ---- types ------------------------------------------------------------------------

    /// `a.b.C<D, ? extends E>[]` as a `TypeRef`.
    fn type_ref(&mut self) -> R<Node> {
        self.enter()?;
        let r = (|| {
            let mut ch = Vec::new();
            self.qualified_name(&mut ch)?;
            if self.peek()?.kind == "Lt" {
                self.type_args(&mut ch)?;
            }
            loop {
                let open = self.peek()?;
                if open.kind != "LBracket" || self.after(open).is_none_or(|t| t.kind != "RBracket")
                {
                    break;
                }
                ch.push(self.take(open)?);
                ch.push(self.expect("RBracket", "`]`")?);
            }
            self.node("TypeRef", ch)
        })();
        self.leave();
        r
    }

    /// `<A, ? extends B>` appended to `ch`.
    fn type_args(&mut self, ch: &mut Vec<Node>) -> R<()> {
        ch.push(self.expect("Lt", "`<`")?);
        loop {
            let tok = self.peek()?;
            if tok.kind == "Question" {
                ch.push(self.take(tok)?);
            } else {
                ch.push(self.type_ref()?);
            }
            let tok = self.peek()?;
            if matches!(tok.kind, "KwExtends" | "KwSuper") {
                ch.push(self.take(tok)?);
                ch.push(self.type_ref()?);
                loop {
                    let amp = self.peek()?;
                    if amp.kind != "BitAnd" {
                        break;
                    }
                    ch.push(self.take(amp)?);
                    ch.push(self.type_ref()?);
                }
            }
            let tok = self.peek()?;
            if tok.kind != "Comma" {
                break;
            }
            ch.push(self.take(tok)?);
        }
        ch.push(self.expect("Gt", "`>`")?);
        Ok(())
    }

    // ---- expressions ------------------------------------------------------------------

    /// An expression, with assignment. `cmd`: a command call (`sh 'x'`) may start it.
    fn expr(&mut self, cmd: bool) -> R<Node> {
        self.enter()?;
        let r = self.expr_inner(cmd);
        self.leave();
        r
    }

    fn expr_inner(&mut self, cmd: bool) -> R<Node> {
        let lhs = self.ternary(cmd)?;
        let tok = self.peek()?;
        let tok = self.merged_gt(tok);
        if (tok.nl && self.nl_significant) || !tok.kind.ends_with("Assign") {
            return Ok(lhs);
        }
        let op = self.take(tok)?;
        let rhs = self.expr(true)?;
        self.node("AssignExpr", vec![lhs, op, rhs])
    }

    fn ternary(&mut self, cmd: bool) -> R<Node> {
        let cond = self.binary(1, cmd)?;
        let tok = self.peek()?;
        if tok.nl && self.nl_significant && !matches!(tok.kind, "Question" | "Elvis") {
            return Ok(cond);
        }
        match tok.kind {
            "Question" => {
                let q = self.take(tok)?;
                let yes = self.expr(false)?;
                let colon = self.expect("Colon", "`:` of the conditional")?;
                let no = self.expr(false)?;
                self.node("TernaryExpr", vec![cond, q, yes, colon, no])
            }
            "Elvis" => {
                let op = self.take(tok)?;
                let other = self.expr(false)?;
                self.node("ElvisExpr", vec![cond, op, other])
            }
            _ => Ok(cond),
        }
    }

    /// `>` followed by `>`s or `=` (the lexer keeps `>` alone for generics): the shift or
    /// shift-assignment operator they spell.
    fn merged_gt(&self, tok: Tok) -> Tok {
        if tok.kind != "Gt" {
            return tok;
        }
        let b = self.src.as_bytes();
        let s = tok.end;
        let (kind, end) = match (b.get(s), b.get(s + 1), b.get(s + 2)) {
            (Some(b'>'), Some(b'>'), Some(b'=')) => ("UshrAssign", s + 3),
            (Some(b'>'), Some(b'>'), _) => ("Ushr", s + 2),
            (Some(b'>'), Some(b'='), _) => ("ShrAssign", s + 2),
            (Some(b'>'), _, _) => ("Shr", s + 1),
            _ => return tok,
        };
        Tok { kind, end, ..tok }
    }

    fn precedence(kind: &str) -> Option<u8> {
        Some(match kind {
            "Or" => 1,
            "And" => 2,
            "BitOr" => 3,
            "BitXor" => 4,
            "BitAnd" => 5,
            "Eq" | "NotEq" | "Spaceship" | "RegexFind" | "RegexMatch" => 6,
            "Lt" | "Le" | "Gt" | "Ge" | "KwIn" | "KwInstanceof" | "KwAs" => 7,
            "Shl" | "Shr" | "Ushr" | "Range" | "RangeExclusive" => 8,
            "Plus" | "Minus" => 9,
            "Star" | "Slash" | "Percent" => 10,
            "Power" => 11,
            _ => return None,
        })
    }

    /// Binary operators by precedence climbing; left-associative.
    fn binary(&mut self, min: u8, cmd: bool) -> R<Node> {
        let mut lhs = self.unary(cmd)?;
        loop {
            let tok = self.peek()?;
            let tok = self.merged_gt(tok);
            let Some(prec) = Self::precedence(tok.kind) else {
                break;
            };
            if prec < min {
                break;
            }
            // After a newline, an operator that could also start a statement starts one.
            if tok.nl && self.nl_significant && matches!(tok.kind, "Plus" | "Minus" | "Slash") {
                break;
            }
            let op = self.take(tok)?;
            let (kind, rhs) = match tok.kind {
                "KwAs" => ("CastExpr", self.type_ref()?),
                "KwInstanceof" => ("BinaryExpr", self.type_ref()?),
                _ => ("BinaryExpr", self.binary(prec + 1, false)?),
            };
            lhs = self.node(kind, vec![lhs, op, rhs])?;
        }
        Ok(lhs)
    }

    fn unary(&mut self, cmd: bool) -> R<Node> {
        let tok = self.peek_operand()?;
        match tok.kind {
            "Minus" | "Plus" | "Not" | "BitNot" | "Inc" | "Dec" => {
                self.enter()?;
                let r = (|| {
                    let op = self.take(tok)?;
                    let operand = self.unary(false)?;
                    self.node("UnaryExpr", vec![op, operand])
                })();
                self.leave();
                r
            }
            "LParen" if self.cast_ahead(tok) => {
                self.enter()?;
                let r = (|| {
                    let mut ch = vec![self.take(tok)?, self.type_ref()?];
                    ch.push(self.expect("RParen", "`)`")?);
                    ch.push(self.unary(false)?);
                    self.node("CastExpr", ch)
                })();
                self.leave();
                r
            }
            _ => self.postfix(cmd),
        }
    }

    /// `(Type) operand`: a capitalised or primitive type in parentheses, followed on the same
    /// line by something that starts an operand.
    fn cast_ahead(&self, open: Tok) -> bool {
        let Ok(first) = lex(self.src, open.end, false) else {
            return false;
        };
        let text = self.src.get(first.start..first.end).unwrap_or_default();
        if first.kind != "Identifier"
            || !(text.chars().next().is_some_and(char::is_uppercase) || PRIMITIVES.contains(&text))
        {
            return false;
        }
        let Some(end) = self.type_end(first.start) else {
            return false;
        };
        let Ok(close) = lex(self.src, end, false) else {
            return false;
        };
        if close.kind != "RParen" {
            return false;
        }
        lex(self.src, close.end, true).is_ok_and(|t| {
            !t.nl
                && matches!(
                    t.kind,
                    "Identifier"
                        | "IntegerLiteral"
                        | "FloatLiteral"
                        | "StringLiteral"
                        | "BooleanLiteral"
                        | "NullLiteral"
                        | "LParen"
                        | "LBracket"
                        | "KwNew"
                        | "KwThis"
                        | DQ_START
                        | DOLLAR_SLASHY_START
                )
        })
    }

    fn postfix(&mut self, cmd: bool) -> R<Node> {
        let mut e = self.primary()?;
        loop {
            let tok = self.peek()?;
            match tok.kind {
                "Dot" | "SafeDot" | "SpreadDot" | "AttrDot" | "MethodPointer" => {
                    let op = self.take(tok)?;
                    let next = self.peek_operand()?;
                    let member = match next.kind {
                        "StringLiteral" => {
                            let t = self.take(next)?;
                            self.node("LiteralExpr", vec![t])?
                        }
                        DQ_START => self.string(next)?,
                        _ => self.name()?,
                    };
                    let kind = if tok.kind == "MethodPointer" {
                        "MethodPointerExpr"
                    } else {
                        "PropertyExpr"
                    };
                    e = self.node(kind, vec![e, op, member])?;
                }
                "LParen" if !tok.nl => {
                    let mut ch = vec![e];
                    self.paren_args(&mut ch)?;
                    self.trailing_closures(&mut ch)?;
                    e = self.node("CallExpr", ch)?;
                }
                "LBrace" if !tok.nl && matches!(e.kind, "IdentExpr" | "PropertyExpr") => {
                    let mut ch = vec![e];
                    self.trailing_closures(&mut ch)?;
                    e = self.node("CallExpr", ch)?;
                }
                "LBracket" if !tok.nl => {
                    let mut ch = vec![e, self.take(tok)?];
                    self.with_nl(false, |p| {
                        p.expr_list(&mut ch)?;
                        ch.push(p.expect("RBracket", "`]`")?);
                        Ok(())
                    })?;
                    e = self.node("IndexExpr", ch)?;
                }
                "Inc" | "Dec" if !tok.nl => {
                    let op = self.take(tok)?;
                    e = self.node("PostfixExpr", vec![e, op])?;
                }
                _ => break,
            }
        }
        if cmd && matches!(e.kind, "IdentExpr" | "PropertyExpr") && self.command_arg_follows()? {
            let mut ch = vec![e];
            loop {
                ch.push(self.element("NamedArg")?.0);
                let tok = self.peek()?;
                if tok.kind != "Comma" {
                    break;
                }
                ch.push(self.take(tok)?);
            }
            e = self.node("CallExpr", ch)?;
        }
        Ok(e)
    }

    /// Closures right after a call on the same line (`stage('x') { … }`), appended to `ch`.
    fn trailing_closures(&mut self, ch: &mut Vec<Node>) -> R<()> {
        loop {
            let tok = self.peek()?;
            if tok.kind != "LBrace" || tok.nl {
                return Ok(());
            }
            ch.push(self.closure(tok)?);
        }
    }

    /// Whether the next token, on the same line, starts the first argument of a command
    /// call (`sh 'x'`, `agent any`, `timeout time: 5`).
    fn command_arg_follows(&mut self) -> R<bool> {
        let tok = self.peek_operand()?;
        if tok.nl {
            return Ok(false);
        }
        Ok(match tok.kind {
            "Identifier" | "KwNew" | "KwThis" | "KwSuper" | "StringLiteral" | "IntegerLiteral"
            | "FloatLiteral" | "BooleanLiteral" | "NullLiteral" | DQ_START
            | DOLLAR_SLASHY_START => true,
            // `cmd /regex/` (space before, none after) rather than a division.
            SLASHY_START => {
                tok.start > self.pos
                    && self
                        .src
                        .get(tok.end..)
                        .and_then(|r| r.chars().next())
                        .is_some_and(|c| !c.is_whitespace())
            }
            // A keyword as a named argument (`foo default: 1`).
            k if is_keyword(k) => self.after(tok).is_some_and(|t| t.kind == "Colon"),
            _ => false,
        })
    }

    /// `( args )` appended to `ch`: expressions, named arguments, spreads.
    fn paren_args(&mut self, ch: &mut Vec<Node>) -> R<()> {
        ch.push(self.expect("LParen", "`(`")?);
        self.with_nl(false, |p| {
            loop {
                if p.peek_operand()?.kind == "RParen" {
                    break;
                }
                ch.push(p.element("NamedArg")?.0);
                let tok = p.peek()?;
                if tok.kind != "Comma" {
                    break;
                }
                ch.push(p.take(tok)?);
            }
            ch.push(p.expect("RParen", "`)`")?);
            Ok(())
        })
    }

    /// One list element or argument: `*spread`, `*:map`, `key: value` (as `entry`) or an
    /// expression. The flag says whether it was a `key: value`.
    fn element(&mut self, entry: &'static str) -> R<(Node, bool)> {
        let tok = self.peek_operand()?;
        if tok.kind == "Star" {
            let star = self.take(tok)?;
            let next = self.peek()?;
            if next.kind == "Colon" {
                let colon = self.take(next)?;
                let value = self.expr(false)?;
                return Ok((self.node("SpreadMapEntry", vec![star, colon, value])?, true));
            }
            let value = self.expr(false)?;
            return Ok((self.node("SpreadExpr", vec![star, value])?, false));
        }
        let simple_key = matches!(
            tok.kind,
            "Identifier" | "StringLiteral" | "IntegerLiteral" | "FloatLiteral"
        ) || is_keyword(tok.kind);
        if simple_key && self.after(tok).is_some_and(|t| t.kind == "Colon") {
            let key = match tok.kind {
                "StringLiteral" | "IntegerLiteral" | "FloatLiteral" | "BooleanLiteral"
                | "NullLiteral" => {
                    let t = self.take(tok)?;
                    self.node("LiteralExpr", vec![t])?
                }
                _ => self.take_as(tok, "Identifier")?,
            };
            let colon = self.expect("Colon", "`:`")?;
            let value = self.expr(false)?;
            return Ok((self.node(entry, vec![key, colon, value])?, true));
        }
        let e = self.expr(false)?;
        let next = self.peek()?;
        if next.kind == "Colon" {
            let colon = self.take(next)?;
            let value = self.expr(false)?;
            return Ok((self.node(entry, vec![e, colon, value])?, true));
        }
        Ok((e, false))
    }

    fn primary(&mut self) -> R<Node> {
        let tok = self.peek_operand()?;
        match tok.kind {
            "Identifier" | "KwThis" | "KwSuper" => {
                let t = self.take(tok)?;
                self.node("IdentExpr", vec![t])
            }
            "IntegerLiteral" | "FloatLiteral" | "StringLiteral" | "BooleanLiteral"
            | "NullLiteral" => {
                let t = self.take(tok)?;
                self.node("LiteralExpr", vec![t])
            }
            DQ_START | SLASHY_START | DOLLAR_SLASHY_START => self.string(tok),
            "LParen" => {
                let mut ch = vec![self.take(tok)?];
                self.with_nl(false, |p| {
                    ch.push(p.expr(true)?);
                    ch.push(p.expect("RParen", "`)`")?);
                    Ok(())
                })?;
                self.node("ParenExpr", ch)
            }
            "LBracket" => self.list_or_map(tok),
            "LBrace" => self.closure(tok),
            "KwNew" => self.new_expr(tok),
            _ => Err(self.unexpected(tok, "an expression")),
        }
    }

    fn new_expr(&mut self, tok: Tok) -> R<Node> {
        let mut ch = vec![self.take(tok)?, self.type_ref()?];
        loop {
            let open = self.peek()?;
            if open.kind != "LBracket" || open.nl {
                break;
            }
            ch.push(self.take(open)?);
            self.with_nl(false, |p| {
                if p.peek_operand()?.kind != "RBracket" {
                    ch.push(p.expr(false)?);
                }
                ch.push(p.expect("RBracket", "`]`")?);
                Ok(())
            })?;
        }
        let open = self.peek()?;
        if open.kind == "LParen" && !open.nl {
            self.paren_args(&mut ch)?;
            let body = self.peek()?;
            if body.kind == "LBrace" && !body.nl {
                ch.push(self.class_body(false)?);
            }
        }
        self.node("NewExpr", ch)
    }

    fn list_or_map(&mut self, tok: Tok) -> R<Node> {
        let mut ch = vec![self.take(tok)?];
        let is_map = self.with_nl(false, |p| {
            let next = p.peek_operand()?;
            if next.kind == "Colon" {
                ch.push(p.take(next)?);
                ch.push(p.expect("RBracket", "`]`")?);
                return Ok(true);
            }
            let mut is_map = false;
            let mut first = true;
            loop {
                if p.peek_operand()?.kind == "RBracket" {
                    break;
                }
                let (el, entry) = p.element("MapEntry")?;
                if first {
                    is_map = entry;
                    first = false;
                }
                ch.push(el);
                let comma = p.peek()?;
                if comma.kind != "Comma" {
                    break;
                }
                ch.push(p.take(comma)?);
            }
            ch.push(p.expect("RBracket", "`]`")?);
            Ok(is_map)
        })?;
        self.node(if is_map { "MapExpr" } else { "ListExpr" }, ch)
    }

    /// `{ [params ->] statements }`.
    fn closure(&mut self, tok: Tok) -> R<Node> {
        let mut ch = vec![self.take(tok)?];
        self.with_nl(true, |p| {
            if p.closure_params_ahead() {
                loop {
                    let t = p.peek()?;
                    if t.kind == "Arrow" {
                        ch.push(p.take(t)?);
                        break;
                    }
                    ch.push(p.param()?);
                    let t = p.peek()?;
                    if t.kind == "Comma" {
                        ch.push(p.take(t)?);
                    }
                }
            }
            p.statements(&mut ch, Stop::Brace)?;
            ch.push(p.expect("RBrace", "`}`")?);
            Ok(())
        })?;
        self.node("ClosureExpr", ch)
    }

    /// Whether a parameter list and `->` follow (the cursor after a closure's `{`).
    fn closure_params_ahead(&self) -> bool {
        let mut q = self.pos;
        for i in 0..LOOKAHEAD_TOKENS {
            let Ok(mut t) = lex(self.src, q, false) else {
                return false;
            };
            if t.kind == "Arrow" {
                return i == 0;
            }
            for optional in ["KwFinal", "KwDef"] {
                if t.kind == optional {
                    q = t.end;
                    let Ok(n) = lex(self.src, q, false) else {
                        return false;
                    };
                    t = n;
                }
            }
            if t.kind == "Identifier" && self.type_then_name(t.start) {
                let Some(end) = self.type_end(t.start) else {
                    return false;
                };
                q = end;
                let Ok(n) = lex(self.src, q, false) else {
                    return false;
                };
                t = n;
            }
            if t.kind == "Ellipsis" {
                q = t.end;
                let Ok(n) = lex(self.src, q, false) else {
                    return false;
                };
                t = n;
            }
            if t.kind != "Identifier" {
                return false;
            }
            q = t.end;
            match lex(self.src, q, false) {
                Ok(n) if n.kind == "Comma" => q = n.end,
                Ok(n) if n.kind == "Arrow" => return true,
                Ok(n) if n.kind == "Assign" => match self.skip_default(n.end) {
                    Some((next, true)) => q = next,
                    Some((_, false)) => return true,
                    None => return false,
                },
                _ => return false,
            }
        }
        false
    }

    /// Lookahead over a parameter's default value (from `pos`, after its `=`) to the `,` or
    /// `->` that ends it: the position after that token and whether it was a comma. `None`
    /// when it does not end within the lookahead or holds a string that interpolates.
    fn skip_default(&self, mut pos: usize) -> Option<(usize, bool)> {
        let mut depth = 0usize;
        for _ in 0..LOOKAHEAD_TOKENS {
            let t = lex(self.src, pos, true).ok()?;
            pos = t.end;
            match t.kind {
                "LParen" | "LBracket" | "LBrace" => depth += 1,
                "RParen" | "RBracket" | "RBrace" => depth = depth.checked_sub(1)?,
                "Comma" if depth == 0 => return Some((pos, true)),
                "Arrow" if depth == 0 => return Some((pos, false)),
                DQ_START | SLASHY_START | DOLLAR_SLASHY_START | EOF => return None,
                _ => {}
            }
        }
        None
    }

    // ---- strings ----------------------------------------------------------------------

    /// A string that may interpolate (`tok` is its opening delimiter): one literal token, or a
    /// `GStringExpr` of begin/part/end tokens and the interpolated values.
    fn string(&mut self, tok: Tok) -> R<Node> {
        let start = tok.start;
        let quote = match tok.kind {
            DQ_START if tok.end - tok.start == 3 => Quote::TripleDouble,
            DQ_START => Quote::Double,
            SLASHY_START => Quote::Slashy,
            _ => Quote::DollarSlashy,
        };
        let (close, full) = match quote {
            Quote::Double => ("\"", "GStringFull"),
            Quote::TripleDouble => ("\"\"\"", "GStringFull"),
            Quote::Slashy => ("/", "SlashyStringLit"),
            Quote::DollarSlashy => ("/$", "DollarSlashyStringLit"),
        };
        let mut c = Cursor {
            src: self.src,
            pos: tok.end,
        };
        let mut seg = start;
        let mut parts: Vec<Node> = Vec::new();
        loop {
            if c.at_end() {
                return Err(c.error_at("string is never closed", start));
            }
            if c.starts_with(close) {
                c.pos += close.len();
                self.pos = c.pos;
                if parts.is_empty() {
                    let t = self.token(full, start, c.pos)?;
                    return self.node("LiteralExpr", vec![t]);
                }
                parts.push(self.token("GStringEnd", seg, c.pos)?);
                return self.node("GStringExpr", parts);
            }
            let ch = c.bump().unwrap_or_default();
            match ch {
                '\\' if quote != Quote::DollarSlashy => {
                    c.bump();
                }
                '\n' if quote == Quote::Double => {
                    return Err(c.error_at("string is never closed (newline inside)", start));
                }
                '$' => {
                    let next = c.peek();
                    if quote == Quote::DollarSlashy && matches!(next, Some('$' | '/')) {
                        c.bump();
                        continue;
                    }
                    let kind = if parts.is_empty() {
                        "GStringBegin"
                    } else {
                        "GStringPart"
                    };
                    if next == Some('{') {
                        parts.push(self.token(kind, seg, c.pos)?);
                        self.pos = c.pos;
                        parts.push(self.interpolation()?);
                    } else if next.is_some_and(|n| n.is_alphabetic() || n == '_') {
                        parts.push(self.token(kind, seg, c.pos)?);
                        self.pos = c.pos;
                        parts.push(self.interpolated_path()?);
                    } else if matches!(quote, Quote::Double | Quote::TripleDouble) {
                        return Err(c.error_at(
                            "`$` must be followed by a name or `{…}` (write `\\$` for a dollar sign)",
                            c.pos - 1,
                        ));
                    } else {
                        continue;
                    }
                    c.pos = self.pos;
                    seg = c.pos;
                }
                _ => {}
            }
        }
    }

    /// `{ statements }` inside a string (the cursor on `{`): a `GStringValue` of the braces
    /// and the expressions (an expression statement is given as its expression).
    fn interpolation(&mut self) -> R<Node> {
        self.enter()?;
        let r = (|| {
            let open = self.expect("LBrace", "`{`")?;
            let mut body = Vec::new();
            self.with_nl(true, |p| {
                let arrow = p.peek()?;
                if arrow.kind == "Arrow" {
                    body.push(p.take(arrow)?);
                }
                p.statements(&mut body, Stop::Brace)
            })?;
            let close = self.expect("RBrace", "`}`")?;
            let mut ch = vec![open];
            for stmt in body {
                if stmt.kind == "ExpressionStmt" && stmt.children.len() == 1 {
                    ch.extend(stmt.children);
                } else {
                    ch.push(stmt);
                }
            }
            ch.push(close);
            self.node("GStringValue", ch)
        })();
        self.leave();
        r
    }

    /// `$name.path` inside a string (the cursor after `$`): names and dots, no blanks.
    fn interpolated_path(&mut self) -> R<Node> {
        let mut c = Cursor {
            src: self.src,
            pos: self.pos,
        };
        let word = |c: &mut Cursor<'_>| {
            let s = c.pos;
            c.take_while(|ch| ch.is_alphanumeric() || ch == '_');
            (s, c.pos)
        };
        let (s, e) = word(&mut c);
        let t = self.token("Identifier", s, e)?;
        let mut expr = self.node("IdentExpr", vec![t])?;
        while c.starts_with(".") && c.peek_at(1).is_some_and(|n| n.is_alphabetic() || n == '_') {
            let dot = self.token("Dot", c.pos, c.pos + 1)?;
            c.pos += 1;
            let (s, e) = word(&mut c);
            let name = self.token("Identifier", s, e)?;
            expr = self.node("PropertyExpr", vec![expr, dot, name])?;
        }
        self.pos = c.pos;
        self.node("GStringValue", vec![expr])
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
