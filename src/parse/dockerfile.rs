//! Dockerfiles → conftest's instruction list, with a span per instruction.
//!
//! conftest hands a Dockerfile to policies as an array of commands, each
//! `{Cmd, SubCmd, JSON, Flags, Value, Stage}` (key order as conftest emits them): `Cmd` is the
//! lowercased instruction, `Flags` the leading `--flag=value` words as written, `Value` the
//! arguments split the way BuildKit's parser splits them for that instruction (JSON or shell
//! form, whitespace-split lists, `ENV`/`LABEL` as key, value, separator triples), `Stage` the
//! index of the `FROM` the command belongs to, and comments become `{"Cmd": "comment"}`
//! entries before the instruction they precede. The shapes follow BuildKit's line parsers
//! (moby/buildkit `frontend/dockerfile/parser`), which conftest uses; this module is written
//! from that behaviour, not from its code.
//!
//! Supported: line continuations (with the `# escape=` directive), comments inside
//! continuations, heredocs on `RUN`/`COPY`/`ADD` (their bodies are skipped, as in conftest's
//! output), `ONBUILD` sub-commands. An unknown instruction or a malformed `ENV`/`LABEL`/JSON
//! array is an error with its location, as conftest reports one.

use serde_json::{Map, Value};

use super::{Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{Span, SpanMap};

const INSTRUCTIONS: &[&str] = &[
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
];

/// One physical line: its text without the newline, and its byte offset.
struct Line<'a> {
    text: &'a str,
    start: usize,
}

fn lines(source: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut offset = 0;
    for raw in source.split_inclusive('\n') {
        let text = raw.trim_end_matches(['\n', '\r']);
        out.push(Line {
            text,
            start: offset,
        });
        offset += raw.len();
    }
    out
}

fn is_comment(text: &str) -> bool {
    text.trim_start().starts_with('#')
}

/// Strip a trailing escape character (and the whitespace after it): `(line, continues)`.
fn trim_continuation(text: &str, escape: char) -> (&str, bool) {
    let t = text.trim_end_matches([' ', '\t']);
    match t.strip_suffix(escape) {
        Some(rest) => (rest, true),
        None => (text, false),
    }
}

/// The instruction being built, before its values are split.
struct Logical {
    text: String,
    start: usize,
    end: usize,
    /// Index of the next physical line to read.
    next: usize,
}

pub fn parse(source: &str, _limits: &Limits) -> Parsed {
    let lines = lines(source);
    let mut escape = '\\';
    let mut commands: Vec<Value> = Vec::new();
    let mut spans = SpanMap::new();
    let mut comments: Vec<(String, Span)> = Vec::new();
    let mut stages = 0usize;
    let mut directives_open = true;
    let mut i = 0;
    while let Some(line) = lines.get(i) {
        let text = line.text;
        if is_comment(text) {
            let body = text.trim_start();
            let comment = body.get(1..).unwrap_or_default().trim();
            if directives_open {
                if let Some((k, v)) = comment.split_once('=') {
                    if k.trim().eq_ignore_ascii_case("escape") {
                        escape = match v.trim() {
                            "`" => '`',
                            "\\" => '\\',
                            other => {
                                return Parsed::failed(ParseError::at(
                                    format!("invalid escape token `{other}`: it must be ` or \\"),
                                    line.start,
                                ))
                            }
                        };
                    }
                } else {
                    directives_open = false;
                }
            }
            if comment.is_empty() {
                comments.clear();
            } else {
                let start = line.start + (text.len() - body.len());
                comments.push((
                    comment.to_owned(),
                    Span::new(start, line.start + text.len()),
                ));
            }
            i += 1;
            continue;
        }
        if text.trim().is_empty() {
            i += 1;
            continue;
        }
        directives_open = false;
        let logical = join_continuations(&lines, i, escape);
        i = logical.next;
        let node = match node_from_line(&logical.text, escape) {
            Ok(n) => n,
            Err(message) => return Parsed::failed(ParseError::at(message, logical.start)),
        };
        if node.cmd == "from" {
            stages += 1;
        }
        let stage = stages.saturating_sub(1);
        for (comment, span) in comments.drain(..) {
            spans.insert(format!("/{}", commands.len()), span);
            let mut m = Map::new();
            m.insert("Cmd".into(), "comment".into());
            m.insert("SubCmd".into(), "".into());
            m.insert("JSON".into(), false.into());
            m.insert("Flags".into(), Value::Null);
            m.insert("Value".into(), Value::Array(vec![comment.into()]));
            m.insert("Stage".into(), stage.into());
            commands.push(Value::Object(m));
        }
        // Heredoc bodies follow the instruction line; they are not part of its value.
        let mut end = logical.end;
        if matches!(node.cmd.as_str(), "run" | "copy" | "add") && !node.json {
            for (name, strip_tabs) in heredocs(&logical.text, escape) {
                loop {
                    let Some(l) = lines.get(i) else {
                        return Parsed::failed(ParseError::at(
                            format!("heredoc `{name}` is never closed"),
                            logical.start,
                        ));
                    };
                    i += 1;
                    end = l.start + l.text.len();
                    let body = if strip_tabs {
                        l.text.trim_start_matches('\t')
                    } else {
                        l.text
                    };
                    if body == name {
                        break;
                    }
                }
            }
        }
        spans.insert(
            format!("/{}", commands.len()),
            Span::new(logical.start, end),
        );
        let mut m = Map::new();
        m.insert("Cmd".into(), node.cmd.into());
        m.insert("SubCmd".into(), node.sub_cmd.into());
        m.insert("JSON".into(), node.json.into());
        m.insert(
            "Flags".into(),
            Value::Array(node.flags.into_iter().map(Value::String).collect()),
        );
        m.insert(
            "Value".into(),
            if node.values.is_empty() {
                Value::Null
            } else {
                Value::Array(node.values.into_iter().map(Value::String).collect())
            },
        );
        m.insert("Stage".into(), stage.into());
        commands.push(Value::Object(m));
    }
    spans.insert(String::new(), Span::new(0, source.len()));
    Parsed {
        docs: vec![ParsedDoc {
            value: Value::Array(commands),
            spans,
        }],
        error: None,
    }
}

/// Join a line and its continuations. Comment lines and blank lines inside a continuation
/// are skipped; only the first line loses its leading whitespace (as BuildKit does).
fn join_continuations(lines: &[Line<'_>], first: usize, escape: char) -> Logical {
    let Some(line) = lines.get(first) else {
        return Logical {
            text: String::new(),
            start: 0,
            end: 0,
            next: first + 1,
        };
    };
    let lead = line.text.len() - line.text.trim_start().len();
    let (body, mut continues) = trim_continuation(line.text.trim_start(), escape);
    let mut text = body.to_owned();
    let start = line.start + lead;
    let mut end = line.start + line.text.len();
    let mut next = first + 1;
    while continues {
        let Some(l) = lines.get(next) else { break };
        next += 1;
        end = l.start + l.text.len();
        if is_comment(l.text) || l.text.trim().is_empty() {
            continue;
        }
        let (body, more) = trim_continuation(l.text, escape);
        text.push_str(body);
        continues = more;
    }
    Logical {
        text,
        start,
        end,
        next,
    }
}

struct Node {
    cmd: String,
    sub_cmd: String,
    json: bool,
    flags: Vec<String>,
    values: Vec<String>,
}

fn node_from_line(line: &str, escape: char) -> Result<Node, String> {
    let line = line.trim();
    let (word, rest) = match line.split_once(char::is_whitespace) {
        Some((w, r)) => (w, r.trim_start()),
        None => (line, ""),
    };
    let cmd = word.to_lowercase();
    if !INSTRUCTIONS.contains(&cmd.as_str()) {
        return Err(format!("unknown instruction: {}", word.to_uppercase()));
    }
    let (flags, rest) = builder_flags(rest);
    let mut node = Node {
        cmd,
        sub_cmd: String::new(),
        json: false,
        flags,
        values: Vec::new(),
    };
    match node.cmd.as_str() {
        "from" | "expose" => node.values = whitespace_split(rest),
        "maintainer" | "stopsignal" | "user" | "workdir" if !rest.is_empty() => {
            node.values = vec![rest.to_owned()];
        }
        "cmd" | "entrypoint" | "run" | "shell" => {
            (node.values, node.json) = maybe_json(rest)?;
        }
        "add" | "copy" | "volume" => match json_array(rest)? {
            Some(values) => {
                node.values = values;
                node.json = true;
            }
            None => node.values = whitespace_split(rest),
        },
        "env" | "label" => node.values = name_val(rest, &node.cmd, escape)?,
        "arg" => node.values = words(rest, escape),
        "healthcheck" => {
            if let Some((typ, cmd)) = rest
                .split_once(char::is_whitespace)
                .map(|(t, c)| (t, c.trim_start()))
                .or((!rest.is_empty()).then_some((rest, "")))
            {
                let (values, json) = maybe_json(cmd)?;
                node.values = std::iter::once(typ.to_owned()).chain(values).collect();
                node.json = json;
            }
        }
        "onbuild" => {
            let sub = node_from_line(rest, escape)?;
            if matches!(sub.cmd.as_str(), "onbuild" | "from" | "maintainer") {
                return Err(format!(
                    "{} isn't allowed as an ONBUILD trigger",
                    sub.cmd.to_uppercase()
                ));
            }
            node.sub_cmd = sub.cmd;
            node.json = sub.json;
            node.values = sub.values;
        }
        _ => {}
    }
    match node.cmd.as_str() {
        "from" if !(node.values.len() == 1 || node.values.len() == 3) => {
            return Err("FROM requires either one or three arguments".into())
        }
        "from"
            if node.values.len() == 3
                && !node
                    .values
                    .get(1)
                    .is_some_and(|w| w.eq_ignore_ascii_case("as")) =>
        {
            return Err("FROM: expected `AS <name>` after the image".into())
        }
        "copy" | "add" if node.values.len() < 2 => {
            return Err(format!(
                "{} requires at least two arguments",
                node.cmd.to_uppercase()
            ))
        }
        _ => {}
    }
    Ok(node)
}

/// Leading `--name[=value]` words; `--` alone ends them. Returns the flags and the rest.
fn builder_flags(rest: &str) -> (Vec<String>, &str) {
    let mut flags = Vec::new();
    let mut r = rest;
    loop {
        let t = r.trim_start();
        if !t.starts_with("--") {
            return (flags, t);
        }
        let end = t.find(char::is_whitespace).unwrap_or(t.len());
        let (word, after) = t.split_at(end);
        if word == "--" {
            return (flags, after.trim_start());
        }
        flags.push(word.to_owned());
        r = after;
    }
}

fn whitespace_split(rest: &str) -> Vec<String> {
    rest.split_whitespace().map(str::to_owned).collect()
}

/// A JSON array of strings (`Some`), not JSON at all (`None`), or a JSON array with a
/// non-string element (an error, as BuildKit reports it).
fn json_array(rest: &str) -> Result<Option<Vec<String>>, String> {
    if !rest.starts_with('[') {
        return Ok(None);
    }
    let Ok(items) = serde_json::from_str::<Vec<Value>>(rest) else {
        return Ok(None);
    };
    items
        .into_iter()
        .map(|v| match v {
            Value::String(s) => Ok(s),
            _ => Err("the JSON form of an instruction must be an array of strings".to_owned()),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn maybe_json(rest: &str) -> Result<(Vec<String>, bool), String> {
    if rest.is_empty() {
        return Ok((Vec::new(), false));
    }
    Ok(match json_array(rest)? {
        Some(v) => (v, true),
        None => (vec![rest.to_owned()], false),
    })
}

/// Words separated by whitespace outside quotes; quotes and escapes are kept as written.
fn words(rest: &str, escape: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        if c == escape {
            word.push(c);
            if let Some(n) = chars.next() {
                word.push(n);
            }
            continue;
        }
        match quote {
            Some(q) if c == q => {
                quote = None;
                word.push(c);
            }
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                word.push(c);
            }
            None if c.is_whitespace() => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            Some(_) | None => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// `ENV`/`LABEL`: `key value` (old form) or `k=v ...`, as (key, value, separator) triples.
fn name_val(rest: &str, cmd: &str, escape: char) -> Result<Vec<String>, String> {
    let ws = words(rest, escape);
    let Some(first) = ws.first() else {
        return Err(format!(
            "{} requires at least one argument",
            cmd.to_uppercase()
        ));
    };
    if !first.contains('=') {
        let Some((k, v)) = rest.split_once(char::is_whitespace) else {
            return Err(format!("{} must have two arguments", cmd.to_uppercase()));
        };
        return Ok(vec![k.to_owned(), v.trim_start().to_owned(), String::new()]);
    }
    let mut out = Vec::new();
    for w in ws {
        let Some((k, v)) = w.split_once('=') else {
            return Err(format!(
                "syntax error - can't find = in {w:?}; must be of the form name=value"
            ));
        };
        out.extend([k.to_owned(), v.to_owned(), "=".to_owned()]);
    }
    Ok(out)
}

/// Heredoc markers (`<<EOF`, `<<-EOF`, `<<"EOF"`) in a shell-form line: (name, strip tabs).
fn heredocs(line: &str, escape: char) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for w in words(line, escape) {
        let w = w.trim_start_matches(|c: char| c.is_ascii_digit());
        let Some(rest) = w.strip_prefix("<<") else {
            continue;
        };
        let (strip, name) = match rest.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, rest),
        };
        let name = name.trim_matches(['"', '\'']);
        if !name.is_empty() && !name.contains('<') {
            out.push((name.to_owned(), strip));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds(src: &str) -> Vec<Value> {
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        p.docs[0].value.as_array().unwrap().clone()
    }

    #[test]
    fn forms_and_stages() {
        let c = cmds("FROM golang:1.22 AS build\nRUN --mount=type=cache,target=/x go build \\\n    -o /app\nCMD [\"/app\", \"-v\"]\nFROM scratch\nCOPY --from=build /app /app\nENV A=1 B=\"two words\"\nENV OLD value with spaces\n");
        assert_eq!(
            c[0]["Value"],
            serde_json::json!(["golang:1.22", "AS", "build"])
        );
        assert_eq!(
            c[1]["Flags"],
            serde_json::json!(["--mount=type=cache,target=/x"])
        );
        assert_eq!(c[1]["Value"], serde_json::json!(["go build     -o /app"]));
        assert_eq!(c[2]["JSON"], true);
        assert_eq!(c[2]["Value"], serde_json::json!(["/app", "-v"]));
        assert_eq!(c[2]["Stage"], 0);
        assert_eq!(c[3]["Stage"], 1);
        assert_eq!(
            c[5]["Value"],
            serde_json::json!(["A", "1", "=", "B", "\"two words\"", "="])
        );
        assert_eq!(
            c[6]["Value"],
            serde_json::json!(["OLD", "value with spaces", ""])
        );
    }

    #[test]
    fn comments_heredocs_and_spans() {
        let src = "# syntax=docker/dockerfile:1.4\nFROM alpine\nRUN <<EOF\napk add curl\nEOF\n# trailing note\nUSER app\n";
        let p = parse(src, &Limits::default());
        let d = &p.docs[0];
        let c = d.value.as_array().unwrap();
        assert_eq!(c[0]["Cmd"], "comment");
        assert_eq!(
            c[0]["Value"],
            serde_json::json!(["syntax=docker/dockerfile:1.4"])
        );
        assert_eq!(c[2]["Value"], serde_json::json!(["<<EOF"]));
        assert_eq!(&src[d.spans["/2"].range()], "RUN <<EOF\napk add curl\nEOF");
        assert_eq!(c[3]["Cmd"], "comment");
        assert_eq!(c[4]["Cmd"], "user");
    }

    #[test]
    fn errors_have_locations() {
        let p = parse("FROM alpine\nFOO bar\n", &Limits::default());
        let e = p.error.unwrap();
        assert!(e.message.contains("unknown instruction: FOO"));
        assert_eq!(e.span.unwrap().start, 12);
        let p = parse("FROM alpine\nCMD [1, 2]\n", &Limits::default());
        assert!(p.error.is_some());
        let p = parse("FROM a\nRUN <<EOF\nnever closed\n", &Limits::default());
        assert!(p.error.unwrap().message.contains("never closed"));
    }
}
