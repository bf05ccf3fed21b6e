//! CUE (`*.cue`) → the JSON value conftest gives policies, with spans.
//!
//! conftest formats the file, compiles it with `cuelang.org/go` and hands policies the
//! value's JSON export. No Rust implementation of CUE exists (no crate evaluates it), so this
//! module reads the data subset of CUE — what a configuration file written in CUE mostly is —
//! and exports it as CUE does:
//!
//! - a `package` clause, `//` comments, fields separated by newlines or commas;
//! - field labels as identifiers or quoted strings, chained (`a: b: c: 1` is `a: {b: {c: 1}}`);
//! - structs, lists, strings (`"…"`, `"""` multi-line, `#"…"#` raw), numbers (with `_`
//!   separators, `0x`/`0o`/`0b` forms and `K`/`M`/`G`/`Ki`/`Mi`/`Gi` multipliers), `true`,
//!   `false`, `null`;
//! - a field declared twice is unified as CUE unifies it: structs merge field by field, equal
//!   values are one value, different concrete values are an error (`conflicting values`);
//! - a default in a disjunction (`*"a" | "b"`) exports as its default;
//! - definitions (`#Name: …`), hidden fields (`_name: …`) and optional fields (`name?: …`)
//!   are not part of the export and are dropped.
//!
//! Anything that needs evaluation — references to other fields, arithmetic, comprehensions,
//! string interpolation, imports, type constraints without a default — is an error naming the
//! construct and its line, rather than a document that silently differs from conftest's.

use serde_json::{Map, Value};

use super::cursor::{json_number, Cursor};
use super::{Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    let mut c = Cursor::new(source);
    let mut spans = SpanMap::new();
    spans.insert(String::new(), Span::new(0, source.len()));
    let result = (|| {
        blank(&mut c);
        if c.starts_with("package") && c.peek_at(7).is_some_and(char::is_whitespace) {
            c.skip_line();
        }
        blank(&mut c);
        if c.starts_with("import")
            && c.peek_at(6)
                .is_some_and(|ch| ch.is_whitespace() || ch == '(')
        {
            return Err(c.error("imports are not supported (custos reads CUE data, not packages)"));
        }
        let mut root = Map::new();
        fields(&mut c, &mut root, "", &mut spans, None, 0, limits)?;
        Ok(Value::Object(root))
    })();
    match result {
        Ok(value) => Parsed {
            docs: vec![ParsedDoc { value, spans }],
            error: None,
        },
        Err(e) => Parsed::failed(e),
    }
}

fn blank(c: &mut Cursor<'_>) {
    c.skip_blank(true, &["//"], false);
}

fn blank_inline(c: &mut Cursor<'_>) {
    c.skip_blank(false, &["//"], false);
}

fn is_ident_start(ch: char) -> bool {
    ch.is_alphabetic() || matches!(ch, '_' | '#' | '$')
}

fn is_ident(ch: char) -> bool {
    ch.is_alphanumeric() || matches!(ch, '_' | '#' | '$')
}

/// Fields up to `close` (consumed) or the end of input when `close` is `None`.
fn fields(
    c: &mut Cursor<'_>,
    into: &mut Map<String, Value>,
    pointer: &str,
    spans: &mut SpanMap,
    close: Option<(char, usize)>,
    depth: usize,
    limits: &Limits,
) -> Result<(), ParseError> {
    loop {
        blank(c);
        match (c.peek(), close) {
            (None, None) => return Ok(()),
            (None, Some((_, open))) => return Err(c.error_at("struct is never closed", open)),
            (Some(ch), Some((want, _))) if ch == want => {
                c.bump();
                return Ok(());
            }
            (Some(','), _) => {
                c.bump();
                continue;
            }
            _ => {}
        }
        field(c, into, pointer, spans, depth, limits)?;
        blank_inline(c);
        match c.peek() {
            Some(',' | '\n') | None => {}
            Some(ch) if close.is_some_and(|(w, _)| w == ch) => {}
            _ => {
                return Err(c.error(format!(
                "expected a newline or `,` after a field, found {} (expressions are not supported)",
                c.found()
            )))
            }
        }
    }
}

/// One field `label: label: value`, unified into `into`.
fn field(
    c: &mut Cursor<'_>,
    into: &mut Map<String, Value>,
    pointer: &str,
    spans: &mut SpanMap,
    depth: usize,
    limits: &Limits,
) -> Result<(), ParseError> {
    if depth > limits.max_depth {
        return Err(c.error(format!(
            "nesting deeper than {} levels; refusing to parse",
            limits.max_depth
        )));
    }
    let start = c.pos;
    let (label, exported) = label(c)?;
    blank_inline(c);
    if !c.eat(":") {
        return Err(c.error(format!(
            "expected `:` after the label `{label}`, found {} (only fields are supported at this level)",
            c.found()
        )));
    }
    blank_inline(c);
    let p = push_token(pointer, &label);
    let vstart = c.pos;
    if !exported {
        // Definitions, hidden and optional fields are not exported: their value may be a
        // schema (types, constraints), which is skipped rather than read as data.
        return skip_value(c);
    }
    let value = if c.peek().is_some_and(is_ident_start) && looks_like_label(c) {
        // A chained label: `a: b: 1` is `a: {b: 1}`.
        let mut inner = Map::new();
        field(c, &mut inner, &p, spans, depth + 1, limits)?;
        Value::Object(inner)
    } else {
        value(c, &p, spans, depth + 1, limits)?
    };
    spans.entry(p.clone()).or_insert(Span::new(vstart, c.pos));
    let _ = start;
    match into.remove(&label) {
        Some(old) => {
            let merged = unify(old, value)
                .map_err(|m| c.error_at(format!("field `{label}`: {m}"), vstart))?;
            into.insert(label, merged);
        }
        None => {
            into.insert(label, value);
        }
    }
    Ok(())
}

/// Whether an identifier here is followed by `:` (a label) rather than being a value.
fn looks_like_label(c: &Cursor<'_>) -> bool {
    let mut probe = c.clone();
    probe.take_while(is_ident);
    probe.eat("?");
    probe.eat("!");
    probe.skip_blank(false, &[], false);
    probe.starts_with(":") && !probe.starts_with("::")
}

/// A label and whether it is exported (not a definition, hidden or optional field).
fn label(c: &mut Cursor<'_>) -> Result<(String, bool), ParseError> {
    let (name, mut exported) = match c.peek() {
        Some('"') => (c.quoted('"', false)?, true),
        Some(ch) if is_ident_start(ch) => {
            let n = c.take_while(is_ident);
            (n.to_owned(), !(n.starts_with('#') || n.starts_with('_')))
        }
        Some('[') => return Err(c.error("pattern constraints (`[…]: …`) are not supported")),
        Some('(') => return Err(c.error("dynamic labels (`(…): …`) are not supported")),
        _ => return Err(c.error(format!("expected a field label, found {}", c.found()))),
    };
    if c.eat("?") {
        exported = false;
    }
    c.eat("!");
    Ok((name, exported))
}

fn value(
    c: &mut Cursor<'_>,
    pointer: &str,
    spans: &mut SpanMap,
    depth: usize,
    limits: &Limits,
) -> Result<Value, ParseError> {
    if depth > limits.max_depth {
        return Err(c.error(format!(
            "nesting deeper than {} levels; refusing to parse",
            limits.max_depth
        )));
    }
    // A disjunction with a default: `*x | y | …` exports as `x`.
    if c.eat("*") {
        blank_inline(c);
        let v = operand(c, pointer, spans, depth + 1, limits)?;
        loop {
            blank_inline(c);
            if !c.eat("|") {
                break;
            }
            blank_inline(c);
            skip_alternative(c)?;
        }
        return Ok(v);
    }
    let v = operand(c, pointer, spans, depth, limits)?;
    blank_inline(c);
    if let Some(op) = ["&", "|", "+", "*", "/", "==", "!=", "=~", "<", ">", "-"]
        .iter()
        .find(|op| c.starts_with(op))
    {
        return Err(c.error(format!(
            "operator `{op}` is not supported (custos reads CUE data without evaluating it)"
        )));
    }
    Ok(v)
}

/// One value without operators.
fn operand(
    c: &mut Cursor<'_>,
    pointer: &str,
    spans: &mut SpanMap,
    depth: usize,
    limits: &Limits,
) -> Result<Value, ParseError> {
    let start = c.pos;
    let v = match c.peek() {
        Some('{') => {
            c.bump();
            let mut m = Map::new();
            fields(
                c,
                &mut m,
                pointer,
                spans,
                Some(('}', start)),
                depth + 1,
                limits,
            )?;
            Value::Object(m)
        }
        Some('[') => {
            c.bump();
            let mut items = Vec::new();
            loop {
                blank(c);
                match c.peek() {
                    None => return Err(c.error_at("list is never closed", start)),
                    Some(']') => {
                        c.bump();
                        break;
                    }
                    Some(',') => {
                        c.bump();
                        continue;
                    }
                    _ => {}
                }
                if c.starts_with("...") {
                    return Err(c.error("open lists (`...`) are not supported"));
                }
                let p = push_token(pointer, &items.len().to_string());
                let at = c.pos;
                let item = value(c, &p, spans, depth + 1, limits)?;
                spans.insert(p, Span::new(at, c.pos));
                items.push(item);
                blank(c);
                if c.at_end() {
                    return Err(c.error_at("list is never closed", start));
                }
                if !matches!(c.peek(), Some(',' | ']')) {
                    return Err(c.error(format!(
                        "expected `,` or `]` in a list, found {}",
                        c.found()
                    )));
                }
            }
            Value::Array(items)
        }
        Some('"') if c.starts_with("\"\"\"") => Value::String(multiline(c)?),
        Some('"') => {
            let s = c.quoted('"', false)?;
            if c.src
                .get(start..c.pos)
                .is_some_and(|raw| raw.contains("\\("))
            {
                return Err(c.error_at("string interpolation is not supported", start));
            }
            Value::String(s)
        }
        Some('#') if c.starts_with("#\"") => {
            c.bump();
            let body_start = c.pos + 1;
            match c.rest().get(1..).and_then(|r| r.find("\"#")) {
                Some(i) => {
                    let s = c
                        .src
                        .get(body_start..body_start + i)
                        .unwrap_or_default()
                        .to_owned();
                    c.pos = body_start + i + 2;
                    Value::String(s)
                }
                None => return Err(c.error_at("unterminated raw string", start)),
            }
        }
        Some(ch) if ch.is_ascii_digit() || ch == '-' || ch == '+' || ch == '.' => number(c)?,
        Some(ch) if is_ident_start(ch) => {
            let w = c.take_while(is_ident);
            match w {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                "string" | "int" | "float" | "number" | "bool" | "bytes" | "_" => {
                    return Err(c.error_at(
                        format!("incomplete value `{w}` (a type, not data: CUE's export fails on it too)"),
                        start,
                    ))
                }
                _ => {
                    return Err(c.error_at(
                        format!("reference `{w}` is not supported (custos reads CUE data without evaluating it)"),
                        start,
                    ))
                }
            }
        }
        _ => return Err(c.error(format!("expected a value, found {}", c.found()))),
    };
    Ok(v)
}

/// Skip a value up to the end of its field (a newline or `,` outside brackets), whatever
/// expression it holds.
fn skip_value(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    let start = c.pos;
    let mut depth = 0usize;
    loop {
        let Some(ch) = c.peek() else {
            return if depth == 0 {
                Ok(())
            } else {
                Err(c.error_at("value is never closed", start))
            };
        };
        match ch {
            '"' => {
                if c.starts_with("\"\"\"") {
                    multiline(c)?;
                } else {
                    c.quoted('"', false)?;
                }
                continue;
            }
            '/' if c.starts_with("//") => {
                c.skip_line();
                continue;
            }
            '{' | '[' | '(' => depth += 1,
            '}' | ']' | ')' => {
                if depth == 0 {
                    return Ok(());
                }
                depth -= 1;
            }
            '\n' | ',' if depth == 0 => return Ok(()),
            _ => {}
        }
        c.bump();
    }
}

/// Skip one non-default alternative of a disjunction (a scalar, type name, or bracketed value).
fn skip_alternative(c: &mut Cursor<'_>) -> Result<(), ParseError> {
    match c.peek() {
        Some('"') => {
            c.quoted('"', false)?;
        }
        Some('{' | '[') => {
            let mut scratch = SpanMap::new();
            value(c, "", &mut scratch, 0, &Limits::default())?;
        }
        _ => {
            let w = c.take_while(|ch| is_ident(ch) || ch == '.' || ch == '-' || ch == '+');
            if w.is_empty() {
                return Err(c.error(format!("expected an alternative, found {}", c.found())));
            }
        }
    }
    Ok(())
}

fn multiline(c: &mut Cursor<'_>) -> Result<String, ParseError> {
    let start = c.pos;
    c.pos += 3;
    let Some(end) = c.rest().find("\"\"\"") else {
        return Err(c.error_at("unterminated multi-line string", start));
    };
    let body = c.rest().get(..end).unwrap_or_default();
    c.pos += end + 3;
    // The closing quotes' indentation is removed from every line; the first newline goes.
    let body = body.strip_prefix('\n').unwrap_or(body);
    let indent = body.rsplit('\n').next().unwrap_or_default();
    let indent = if indent.trim().is_empty() { indent } else { "" };
    let mut lines: Vec<&str> = body.split('\n').collect();
    lines.pop();
    let out: Vec<&str> = lines
        .iter()
        .map(|l| l.strip_prefix(indent).unwrap_or(l))
        .collect();
    Ok(out.join("\n"))
}

fn number(c: &mut Cursor<'_>) -> Result<Value, ParseError> {
    let start = c.pos;
    let tok = c.take_while(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-' | '+'));
    let clean: String = tok.chars().filter(|ch| *ch != '_').collect();
    let (neg, body) = match clean.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    let bad = || c.error_at(format!("invalid number {tok:?}"), start);
    let radix = [("0x", 16), ("0o", 8), ("0b", 2)]
        .iter()
        .find_map(|(p, r)| body.strip_prefix(p).map(|d| (d, *r)));
    let magnitude: f64 = if let Some((digits, r)) = radix {
        #[allow(clippy::cast_precision_loss)]
        let n = i64::from_str_radix(digits, r).map_err(|_| bad())? as f64;
        n
    } else {
        let mults = [
            ("Ki", 1024f64),
            ("Mi", 1_048_576.0),
            ("Gi", 1_073_741_824.0),
            ("Ti", 1_099_511_627_776.0),
            ("K", 1e3),
            ("M", 1e6),
            ("G", 1e9),
            ("T", 1e12),
        ];
        let (digits, mult) = mults
            .iter()
            .find_map(|(s, m)| body.strip_suffix(s).map(|d| (d, *m)))
            .unwrap_or((body, 1.0));
        if !digits.starts_with(|ch: char| ch.is_ascii_digit() || ch == '.') {
            return Err(bad());
        }
        let scaled = body.len() != digits.len();
        if !scaled && !digits.contains(['.', 'e', 'E']) {
            let n: i64 = digits.parse().map_err(|_| bad())?;
            return Ok(Value::Number(if neg { -n } else { n }.into()));
        }
        digits.parse::<f64>().map_err(|_| bad())? * mult
    };
    let f = if neg { -magnitude } else { magnitude };
    json_number(f).map(Value::Number).ok_or_else(bad)
}

/// CUE's unification of two concrete values.
fn unify(a: Value, b: Value) -> Result<Value, String> {
    match (a, b) {
        (Value::Object(mut x), Value::Object(y)) => {
            for (k, v) in y {
                let merged = match x.remove(&k) {
                    Some(old) => unify(old, v).map_err(|m| format!("{k}: {m}"))?,
                    None => v,
                };
                x.insert(k, merged);
            }
            Ok(Value::Object(x))
        }
        (x, y) if x == y => Ok(x),
        (x, y) => Err(format!("conflicting values {x} and {y}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_subset_exports_as_cue_does() {
        let src = "package kube\n\n// c\napiVersion: \"apps/v1\"\nmetadata: name: \"web\"\nspec: {\n\treplicas: 3\n\ttemplate: spec: containers: [{\n\t\tname: \"web\", image: \"nginx:1.2\"\n\t\tports: [{containerPort: 8081}]\n\t}]\n}\nspec: paused: false\nmem: 2Gi\nratio: 0.5\nmode: *\"fast\" | \"slow\"\n#Def: {x: int}\n_hidden: 1\nopt?: 2\nraw: #\"a\\b\"#\ntext: \"\"\"\n\tline one\n\tline two\n\t\"\"\"\n";
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        let v = &p.docs[0].value;
        assert_eq!(v["metadata"]["name"], "web");
        assert_eq!(v["spec"]["replicas"], 3);
        assert_eq!(v["spec"]["paused"], false);
        assert_eq!(
            v["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"],
            8081
        );
        assert_eq!(v["mem"], 2_147_483_648_i64);
        assert_eq!(v["mode"], "fast");
        assert_eq!(v["raw"], "a\\b");
        assert_eq!(v["text"], "line one\nline two");
        assert!(v.get("#Def").is_none() && v.get("_hidden").is_none() && v.get("opt").is_none());
        assert_eq!(&src[p.docs[0].spans["/spec/replicas"].range()], "3");
    }

    #[test]
    fn evaluation_and_syntax_errors_have_locations() {
        for (src, needle, line) in [
            ("a: 1\na: 2\n", "conflicting values", 2),
            ("a: b\n", "reference `b`", 1),
            ("a: 1 + 2\n", "operator `+`", 1),
            ("a: string\n", "incomplete value", 1),
            ("a: {\n b: 1\n", "never closed", 1),
            ("a: [1, 2\n", "never closed", 1),
            ("a: \"x\\(b)\"\n", "interpolation", 1),
            ("import \"strings\"\n", "imports", 1),
            ("a 1\n", "expected `:`", 1),
        ] {
            let e = parse(src, &Limits::default()).error.unwrap();
            assert!(e.message.contains(needle), "{src:?}: {}", e.message);
            let at = e.span.unwrap().start;
            assert_eq!(src[..at].matches('\n').count() + 1, line, "{src:?}");
        }
    }
}
