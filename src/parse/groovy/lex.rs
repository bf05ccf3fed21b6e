//! The Groovy lexer: one token at a byte offset, on demand.
//!
//! Groovy's tokens depend on where they are: `/` divides after an operand and opens a slashy
//! string where an operand may start, and a double-quoted string holds expressions. So the
//! parser asks for the token at its position and says which of the two it expects (`lex`'s
//! `operand`), and reads double-quoted, slashy and dollar-slashy strings itself, from the
//! pseudo-tokens that open them. Lexing is a pure function of the offset, which makes bounded
//! lookahead (is this a declaration? a closure's parameter list?) a matter of lexing further
//! along without consuming anything.

use crate::parse::cursor::Cursor;
use crate::parse::ParseError;

/// A lexed token: its kind and where it is. `nl` says a newline came before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tok {
    pub(super) kind: &'static str,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) nl: bool,
}

// Pseudo-kinds the lexer returns for what the parser reads itself.
pub(super) const EOF: &str = "EOF";
/// `"` or `"""`: the parser reads the string (it may interpolate).
pub(super) const DQ_START: &str = "DqStart";
/// `/` where an operand is expected.
pub(super) const SLASHY_START: &str = "SlashyStart";
/// `$/` where an operand is expected.
pub(super) const DOLLAR_SLASHY_START: &str = "DollarSlashyStart";

/// Operators and punctuation, longest first.
pub(super) const OPERATORS: &[(&str, &str)] = &[
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
pub(super) const KEYWORDS: &[(&str, &str)] = &[
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

pub(super) fn is_keyword(kind: &str) -> bool {
    kind.starts_with("Kw") || kind == "BooleanLiteral" || kind == "NullLiteral"
}

pub(super) fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

pub(super) fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Skip whitespace, comments, line continuations and a leading shebang from `pos`: where the
/// next token starts, and whether a newline came first.
pub(super) fn skip_trivia(src: &str, pos: usize) -> Result<(usize, bool), ParseError> {
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
pub(super) fn lex(src: &str, pos: usize, operand: bool) -> Result<Tok, ParseError> {
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
pub(super) fn number(c: &mut Cursor<'_>) -> &'static str {
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
