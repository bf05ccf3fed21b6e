//! The Groovy parser's expressions, types and strings: precedence climbing over Groovy's
//! operators, command calls without parentheses (`sh 'x'`), calls with trailing closures,
//! lists, maps, closures, and interpolating strings split into `GStringBegin`/`GStringPart`/
//! `GStringEnd` tokens around each `GStringValue`.

use super::lex::{is_keyword, lex, Tok, DOLLAR_SLASHY_START, DQ_START, EOF, SLASHY_START};
use super::parser::{Parser, Quote, Stop, PRIMITIVES, R};
use super::{Node, LOOKAHEAD_TOKENS};
use crate::parse::cursor::Cursor;

impl Parser<'_> {
    // ---- types ------------------------------------------------------------------------

    /// `a.b.C<D, ? extends E>[]` as a `TypeRef`.
    pub(super) fn type_ref(&mut self) -> R<Node> {
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
    pub(super) fn type_args(&mut self, ch: &mut Vec<Node>) -> R<()> {
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
    pub(super) fn expr(&mut self, cmd: bool) -> R<Node> {
        self.enter()?;
        let r = self.expr_inner(cmd);
        self.leave();
        r
    }

    pub(super) fn expr_inner(&mut self, cmd: bool) -> R<Node> {
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

    pub(super) fn ternary(&mut self, cmd: bool) -> R<Node> {
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
    pub(super) fn merged_gt(&self, tok: Tok) -> Tok {
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

    pub(super) fn precedence(kind: &str) -> Option<u8> {
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
    pub(super) fn binary(&mut self, min: u8, cmd: bool) -> R<Node> {
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

    pub(super) fn unary(&mut self, cmd: bool) -> R<Node> {
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
    pub(super) fn cast_ahead(&self, open: Tok) -> bool {
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

    pub(super) fn postfix(&mut self, cmd: bool) -> R<Node> {
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
    pub(super) fn trailing_closures(&mut self, ch: &mut Vec<Node>) -> R<()> {
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
    pub(super) fn command_arg_follows(&mut self) -> R<bool> {
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
    pub(super) fn paren_args(&mut self, ch: &mut Vec<Node>) -> R<()> {
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
    pub(super) fn element(&mut self, entry: &'static str) -> R<(Node, bool)> {
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

    pub(super) fn primary(&mut self) -> R<Node> {
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

    pub(super) fn new_expr(&mut self, tok: Tok) -> R<Node> {
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

    pub(super) fn list_or_map(&mut self, tok: Tok) -> R<Node> {
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
    pub(super) fn closure(&mut self, tok: Tok) -> R<Node> {
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
    pub(super) fn closure_params_ahead(&self) -> bool {
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
    pub(super) fn skip_default(&self, mut pos: usize) -> Option<(usize, bool)> {
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
    pub(super) fn string(&mut self, tok: Tok) -> R<Node> {
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
    pub(super) fn interpolation(&mut self) -> R<Node> {
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
    pub(super) fn interpolated_path(&mut self) -> R<Node> {
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
