//! The Groovy parser: statements, declarations and the recursion and depth machinery.
//!
//! A recursive-descent parser over [`super::lex`]'s on-demand tokens, building the tree
//! conftest's `groovy` parser gives (see the module above for its shape). Every node is built
//! through [`Parser::node`], which counts it and checks its height against the depth limit;
//! every recursive rule enters through [`Parser::enter`], so the recursion never goes deeper
//! than the tree may. Expressions, types and strings are in [`super::expr`].

use super::lex::{is_keyword, lex, Tok, DOLLAR_SLASHY_START, DQ_START, EOF, SLASHY_START};
use super::{Node, LOOKAHEAD_TOKENS, MAX_NODES};
use crate::parse::ParseError;

pub(super) const MODIFIERS: &[&str] = &[
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

pub(super) const PRIMITIVES: &[&str] = &[
    "boolean", "byte", "char", "double", "float", "int", "long", "short", "void",
];

/// Where a statement list stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// The end of the file (a `}` is an error).
    Eof,
    /// A `}` (the end of the file is an error).
    Brace,
    /// A `}`, `case` or `default` (inside a `switch`).
    Case,
}

/// The delimiters of an interpolating string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Quote {
    Double,
    TripleDouble,
    Slashy,
    DollarSlashy,
}

pub(super) struct Parser<'a> {
    pub(super) src: &'a str,
    pub(super) pos: usize,
    pub(super) max_depth: usize,
    /// Recursive calls in progress (bounded by `max_depth`).
    pub(super) nesting: usize,
    pub(super) nodes: usize,
    /// Newlines end expressions (false inside parentheses and brackets).
    pub(super) nl_significant: bool,
    /// The last token peeked at a position, where an operator may come and where an
    /// operand may start.
    pub(super) peeked: [Option<(usize, Tok)>; 2],
}

pub(super) type R<T> = Result<T, ParseError>;

impl Parser<'_> {
    // ---- tokens and nodes -------------------------------------------------------------

    pub(super) fn peek_mode(&mut self, operand: bool) -> R<Tok> {
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
    pub(super) fn peek(&mut self) -> R<Tok> {
        self.peek_mode(false)
    }

    /// The next token where an operand may start.
    pub(super) fn peek_operand(&mut self) -> R<Tok> {
        self.peek_mode(true)
    }

    /// The token after `tok` (lookahead; nothing is consumed).
    pub(super) fn after(&self, tok: Tok) -> Option<Tok> {
        lex(self.src, tok.end, false).ok()
    }

    pub(super) fn count(&mut self) -> R<()> {
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

    pub(super) fn depth_error(&self) -> ParseError {
        ParseError::within(
            self.src,
            format!("syntax tree exceeds maximum depth of {}", self.max_depth),
            self.pos,
        )
    }

    pub(super) fn token(&mut self, kind: &'static str, start: usize, end: usize) -> R<Node> {
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
    pub(super) fn take(&mut self, tok: Tok) -> R<Node> {
        self.pos = tok.end;
        self.token(tok.kind, tok.start, tok.end)
    }

    /// Consume `tok` as a token node of another kind (a keyword used as a name).
    pub(super) fn take_as(&mut self, tok: Tok, kind: &'static str) -> R<Node> {
        self.pos = tok.end;
        self.token(kind, tok.start, tok.end)
    }

    pub(super) fn node(&mut self, kind: &'static str, children: Vec<Node>) -> R<Node> {
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
    pub(super) fn enter(&mut self) -> R<()> {
        self.nesting += 1;
        if self.nesting > self.max_depth {
            return Err(self.depth_error());
        }
        Ok(())
    }

    pub(super) fn leave(&mut self) {
        self.nesting = self.nesting.saturating_sub(1);
    }

    pub(super) fn describe(&self, tok: Tok) -> String {
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

    pub(super) fn unexpected(&self, tok: Tok, wanted: &str) -> ParseError {
        ParseError::within(
            self.src,
            format!("expected {wanted}, found {}", self.describe(tok)),
            tok.start,
        )
    }

    /// Consume a token of `kind` or fail naming `what`.
    pub(super) fn expect(&mut self, kind: &str, what: &str) -> R<Node> {
        let tok = self.peek()?;
        if tok.kind == kind {
            self.take(tok)
        } else {
            Err(self.unexpected(tok, what))
        }
    }

    /// Consume a name: an identifier, or a keyword used as one (`params.default`).
    pub(super) fn name(&mut self) -> R<Node> {
        let tok = self.peek()?;
        if tok.kind == "Identifier" {
            self.take(tok)
        } else if is_keyword(tok.kind) {
            self.take_as(tok, "Identifier")
        } else {
            Err(self.unexpected(tok, "a name"))
        }
    }

    pub(super) fn with_nl<T>(
        &mut self,
        significant: bool,
        f: impl FnOnce(&mut Self) -> R<T>,
    ) -> R<T> {
        let saved = self.nl_significant;
        self.nl_significant = significant;
        let r = f(self);
        self.nl_significant = saved;
        r
    }

    // ---- statements -------------------------------------------------------------------

    pub(super) fn file(&mut self) -> R<Node> {
        let mut children = Vec::new();
        self.statements(&mut children, Stop::Eof)?;
        self.node("FileNode", children)
    }

    pub(super) fn statements(&mut self, out: &mut Vec<Node>, stop: Stop) -> R<()> {
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
    pub(super) fn end_statement(&mut self) -> R<()> {
        let tok = self.peek()?;
        if tok.nl || matches!(tok.kind, "Semicolon" | "RBrace" | EOF) {
            Ok(())
        } else {
            Err(self.unexpected(tok, "a new line or `;` after the statement"))
        }
    }

    pub(super) fn statement(&mut self) -> R<Node> {
        self.enter()?;
        let r = self.statement_inner();
        self.leave();
        r
    }

    pub(super) fn statement_inner(&mut self) -> R<Node> {
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
    pub(super) fn starts_declaration(&self, tok: Tok) -> bool {
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
    pub(super) fn type_end(&self, pos: usize) -> Option<usize> {
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
    pub(super) fn type_then_name(&self, pos: usize) -> bool {
        self.type_end(pos)
            .and_then(|end| lex(self.src, end, false).ok())
            .is_some_and(|t| matches!(t.kind, "Identifier" | "Ellipsis"))
    }

    pub(super) fn annotation(&mut self) -> R<Node> {
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
    pub(super) fn qualified_name(&mut self, ch: &mut Vec<Node>) -> R<()> {
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

    pub(super) fn import(&mut self, mut ch: Vec<Node>) -> R<Node> {
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
    pub(super) fn declaration(&mut self, mut ch: Vec<Node>) -> R<Node> {
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
    pub(super) fn declarator(&mut self, name: Node) -> R<Node> {
        let mut ch = vec![name];
        let tok = self.peek()?;
        if tok.kind == "Assign" {
            ch.push(self.take(tok)?);
            ch.push(self.expr(true)?);
        }
        self.node("VarDeclarator", ch)
    }

    /// `def (a, String b) = value`.
    pub(super) fn multi_declaration(&mut self, mut ch: Vec<Node>) -> R<Node> {
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
    pub(super) fn method_rest(&mut self, mut ch: Vec<Node>) -> R<Node> {
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
    pub(super) fn param(&mut self) -> R<Node> {
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

    pub(super) fn class_decl(&mut self, mut ch: Vec<Node>) -> R<Node> {
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

    pub(super) fn class_body(&mut self, is_enum: bool) -> R<Node> {
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
    pub(super) fn member(&mut self) -> R<Node> {
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
    pub(super) fn block_into(&mut self, ch: &mut Vec<Node>) -> R<()> {
        ch.push(self.expect("LBrace", "`{`")?);
        self.with_nl(true, |p| {
            p.statements(ch, Stop::Brace)?;
            ch.push(p.expect("RBrace", "`}`")?);
            Ok(())
        })
    }

    /// The body of `if`/`for`/`while`: a block or one statement.
    pub(super) fn body(&mut self) -> R<Node> {
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
    pub(super) fn condition(&mut self, ch: &mut Vec<Node>) -> R<()> {
        ch.push(self.expect("LParen", "`(`")?);
        self.with_nl(false, |p| {
            ch.push(p.expr(false)?);
            ch.push(p.expect("RParen", "`)`")?);
            Ok(())
        })
    }

    pub(super) fn if_stmt(&mut self, tok: Tok) -> R<Node> {
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
    pub(super) fn for_stmt(&mut self, tok: Tok) -> R<Node> {
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
    pub(super) fn expr_list(&mut self, ch: &mut Vec<Node>) -> R<()> {
        loop {
            ch.push(self.expr(false)?);
            let tok = self.peek()?;
            if tok.kind != "Comma" {
                return Ok(());
            }
            ch.push(self.take(tok)?);
        }
    }

    pub(super) fn try_stmt(&mut self, tok: Tok) -> R<Node> {
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

    pub(super) fn switch_stmt(&mut self, tok: Tok) -> R<Node> {
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
}
