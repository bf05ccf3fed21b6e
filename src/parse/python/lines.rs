//! Python source as logical lines, without a parser: where each statement line starts and ends
//! and how far it is indented (brackets, strings, triple-quoted strings, comments and backslash
//! continuations are followed; `f"{x["k"]}"`-style nested quotes are not).
//!
//! Two users: the DAG model splits very large files into statement groups that tree-sitter
//! parses one at a time (a full tree costs ~20× the source), and the project import index
//! ([`crate::pyindex`]) reads every Python file's imports in one cheap pass.

use std::ops::Range;

/// One logical line: a simple statement, or the header of a compound statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// Start of the physical line the statement begins on (its indentation included).
    pub start: usize,
    /// First byte of the statement's text.
    pub text: usize,
    /// End of the logical line, after its newline (or the end of the source).
    pub end: usize,
}

impl Line {
    pub fn indent(&self) -> usize {
        self.text - self.start
    }
}

/// The logical lines of `src`; `None` when a string or bracket is still open at the end (the
/// scanner lost track, or the file is broken: callers fall back to a full parse).
pub fn logical_lines(src: &str) -> Option<Vec<Line>> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut line_start = 0usize;
    // Start of the current logical line and of its text, once it has any.
    let mut current: Option<(usize, usize)> = None;
    let mut i = 0usize;
    while i < b.len() {
        let c = b.get(i).copied().unwrap_or(b'\n');
        match c {
            b'#' => {
                while i < b.len() && b.get(i) != Some(&b'\n') {
                    i += 1;
                }
                continue;
            }
            b'"' | b'\'' => {
                current.get_or_insert((line_start, i));
                i = skip_string(b, i)?;
                continue;
            }
            b'\\' if b.get(i + 1) == Some(&b'\n') => {
                i += 2;
                line_start = i;
                continue;
            }
            b'\\' if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') => {
                i += 3;
                line_start = i;
                continue;
            }
            b'\n' => {
                i += 1;
                if depth == 0 {
                    if let Some((start, text)) = current.take() {
                        out.push(Line {
                            start,
                            text,
                            end: i,
                        });
                    }
                }
                line_start = i;
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if !matches!(c, b' ' | b'\t' | b'\r' | b'\x0c') {
            current.get_or_insert((line_start, i));
        }
        i += 1;
    }
    if depth > 0 {
        return None;
    }
    if let Some((start, text)) = current {
        out.push(Line {
            start,
            text,
            end: b.len(),
        });
    }
    Some(out)
}

/// Index just past the string literal whose opening quote is at `start`.
fn skip_string(bytes: &[u8], start: usize) -> Option<usize> {
    let quote = *bytes.get(start)?;
    let triple = bytes.get(start + 1) == Some(&quote) && bytes.get(start + 2) == Some(&quote);
    let mut at = if triple { start + 3 } else { start + 1 };
    while at < bytes.len() {
        match bytes.get(at).copied()? {
            b'\\' => at += 2,
            ch if ch == quote => {
                if !triple {
                    return Some(at + 1);
                }
                if bytes.get(at + 1) == Some(&quote) && bytes.get(at + 2) == Some(&quote) {
                    return Some(at + 3);
                }
                at += 1;
            }
            b'\n' if !triple => return None,
            _ => at += 1,
        }
    }
    None
}

/// A statement at one indentation level: its logical lines (`first..=last`).
#[derive(Debug, Clone, Copy)]
pub struct Stmt {
    pub first: usize,
    pub last: usize,
    /// Index of the first line of its body, when it is a compound statement with an indented body.
    pub body: Option<usize>,
    /// It has more than one clause (`elif`/`else`/`except`/`finally`) at its own level.
    pub clauses: bool,
}

const CLAUSES: &[&str] = &["elif", "else", "except", "finally"];

fn starts_with_word(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| {
        text.strip_prefix(w)
            .is_some_and(|rest| rest.starts_with([':', ' ', '\t', '(', '*']))
    })
}

/// The statements formed by `lines[range]`, whose first line sets the level.
pub fn statements(src: &str, lines: &[Line], range: Range<usize>) -> Vec<Stmt> {
    let mut out = Vec::new();
    let Some(level) = lines.get(range.start).map(Line::indent) else {
        return out;
    };
    let text = |l: &Line| src.get(l.text..l.end).unwrap_or_default();
    let mut i = range.start;
    while i < range.end {
        let first = i;
        // Decorators belong to the definition that follows them.
        while i + 1 < range.end
            && lines
                .get(i)
                .is_some_and(|l| l.indent() == level && text(l).starts_with('@'))
        {
            i += 1;
        }
        let header = i;
        let mut clauses = false;
        i += 1;
        while i < range.end {
            let Some(l) = lines.get(i) else { break };
            if l.indent() > level {
                i += 1;
            } else if l.indent() == level && starts_with_word(text(l), CLAUSES) {
                clauses = true;
                i += 1;
            } else {
                break;
            }
        }
        let body = (header + 1 < i).then_some(header + 1);
        out.push(Stmt {
            first,
            last: i - 1,
            body,
            clauses,
        });
    }
    out
}

/// One part of a split source: the byte ranges tree-sitter reads (the headers of the compound
/// statements it lies in, then the part itself), and the end of the headers already modelled
/// by an earlier part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub ranges: Vec<Range<usize>>,
    pub replay_until: usize,
}

/// Split `src` (its logical `lines`) into segments of about `chunk` bytes at statement
/// boundaries, descending into the body of a compound statement (a `with DAG(...)` block, a
/// `@dag` function) that is larger on its own. `None` when one segment would do.
pub fn segments(src: &str, lines: &[Line], chunk: usize) -> Option<Vec<Segment>> {
    if src.len() <= chunk {
        return None;
    }
    let mut out = Vec::new();
    split(src, lines, 0..lines.len(), src.len(), &[], chunk, &mut out);
    // Headers are modelled in the first segment that contains them.
    let mut seen: Vec<usize> = Vec::new();
    for seg in &mut out {
        let headers = seg.ranges.len().saturating_sub(1);
        for h in seg.ranges.iter().take(headers) {
            if seen.contains(&h.start) {
                seg.replay_until = h.end;
            } else {
                seen.push(h.start);
            }
        }
    }
    (out.len() > 1).then_some(out)
}

fn split(
    src: &str,
    lines: &[Line],
    range: Range<usize>,
    end: usize,
    headers: &[Range<usize>],
    chunk: usize,
    out: &mut Vec<Segment>,
) {
    let stmts = statements(src, lines, range);
    let start_of = |k: usize| -> usize {
        stmts
            .get(k)
            .and_then(|s| lines.get(s.first))
            .map_or(end, |l| l.start)
    };
    let flush = |from: usize, to: usize, out: &mut Vec<Segment>| {
        if from < to {
            let mut ranges = headers.to_vec();
            ranges.push(from..to);
            out.push(Segment {
                ranges,
                replay_until: 0,
            });
        }
    };
    let mut group: Option<usize> = None;
    for (k, s) in stmts.iter().enumerate() {
        let (s_start, s_end) = (start_of(k), start_of(k + 1));
        match s.body {
            Some(body) if s_end - s_start > chunk && !s.clauses => {
                if let Some(g) = group.take() {
                    flush(g, s_start, out);
                }
                let body_start = lines.get(body).map_or(s_end, |l| l.start);
                let mut inner = headers.to_vec();
                inner.push(s_start..body_start);
                split(src, lines, body..s.last + 1, s_end, &inner, chunk, out);
            }
            _ => {
                if let Some(g) = group {
                    if s_end - g > chunk && g < s_start {
                        flush(g, s_start, out);
                        group = Some(s_start);
                    }
                }
                group.get_or_insert(s_start);
            }
        }
    }
    if let Some(g) = group {
        flush(g, end, out);
    }
}

/// The small module-level statements that can define names a DAG file's model resolves —
/// imports, assignments of something other than a call result, function definitions (up to
/// `max` bytes) — as byte ranges: a large file's module-level names are read from these alone.
pub fn definitions(src: &str, lines: &[Line], max: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let stmts = statements(src, lines, 0..lines.len());
    for (k, s) in stmts.iter().enumerate() {
        let (Some(first), Some(last)) = (lines.get(s.first), lines.get(s.last)) else {
            continue;
        };
        if first.indent() != 0 {
            continue;
        }
        let end = stmts
            .get(k + 1)
            .and_then(|n| lines.get(n.first))
            .map_or(last.end, |l| l.start);
        let text = src.get(first.text..first.end).unwrap_or_default();
        let wanted = if starts_with_word(text, &["import", "from"]) {
            true
        } else if text.starts_with('@') || starts_with_word(text, &["def", "async"]) {
            end - first.start <= max
        } else {
            is_value_assignment(text)
        };
        if wanted {
            out.push(first.start..end);
        }
    }
    out
}

/// `NAME = value` / `NAME: T = value` where the value is not a call (`t = Op(...)`).
fn is_value_assignment(text: &str) -> bool {
    let name_len = text
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    if name_len == 0 || text.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let rest = text.get(name_len..).unwrap_or_default().trim_start();
    let rest = match rest.strip_prefix(':') {
        // An annotation: the value follows the first `=`.
        Some(r) => match r.split_once('=') {
            Some((_, v)) => v,
            None => return false,
        },
        None => match rest.strip_prefix('=') {
            Some(v) if !v.starts_with('=') => v,
            _ => return false,
        },
    }
    .trim_start();
    let callee = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
        .count();
    !(callee > 0
        && rest
            .get(callee..)
            .is_some_and(|r| r.trim_start().starts_with('(')))
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    fn texts<'a>(src: &'a str, lines: &[Line]) -> Vec<&'a str> {
        lines
            .iter()
            .map(|l| src[l.text..l.end].trim_end())
            .collect()
    }

    #[test]
    fn brackets_strings_comments_and_continuations() {
        let src = "import a  # x (\nx = (1,\n  2)\ns = '''a\n(b\n'''\n# only a comment\nif x: \\\n  y\n    z = \"#(\"\n";
        let lines = logical_lines(src).unwrap();
        assert_eq!(
            texts(src, &lines),
            vec![
                "import a  # x (",
                "x = (1,\n  2)",
                "s = '''a\n(b\n'''",
                "if x: \\\n  y",
                "z = \"#(\""
            ]
        );
        assert_eq!(lines[4].indent(), 4);
        assert!(logical_lines("x = (1,\n").is_none());
        assert!(logical_lines("s = 'open\n").is_none());
    }

    #[test]
    fn statements_group_bodies_clauses_and_decorators() {
        let src =
            "@dag()\ndef f():\n    a = 1\n    b = 2\nif x:\n    pass\nelse:\n    pass\nc = 3\n";
        let lines = logical_lines(src).unwrap();
        let s = statements(src, &lines, 0..lines.len());
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].first, s[0].last, s[0].body), (0, 3, Some(2)));
        assert!(s[1].clauses && !s[0].clauses);
        assert_eq!((s[2].first, s[2].body), (8, None));
    }

    #[test]
    fn definitions_are_imports_values_and_small_functions() {
        let src = "import os\nB = \"acme\"\nA: dict = {\"k\": 1}\nt = Op(task_id=\"t\")\nx == 1\ndef f(a):\n    return a\n@dag\ndef big():\n    pass\n    pass\nwith DAG('d'):\n    C = 1\n";
        let lines = logical_lines(src).unwrap();
        let got: Vec<&str> = definitions(src, &lines, 30)
            .into_iter()
            .map(|r| src[r].trim_end())
            .collect();
        assert_eq!(
            got,
            vec![
                "import os",
                "B = \"acme\"",
                "A: dict = {\"k\": 1}",
                "def f(a):\n    return a"
            ]
        );
    }

    #[test]
    fn large_blocks_are_split_inside_with_their_header() {
        let mut src = String::from("import os\nwith DAG('d') as dag:\n");
        for i in 0..50 {
            let _ = writeln!(src, "    t{i} = Op(task_id='t{i}')");
        }
        src.push_str("x = 1\n");
        let lines = logical_lines(&src).unwrap();
        let segs = segments(&src, &lines, 200).unwrap();
        let header = src.find("with").unwrap()..src.find("    t0").unwrap();
        assert!(segs.len() > 3);
        // Top-level statements, then body parts under the header, then the rest.
        assert_eq!(segs[0].ranges, vec![0..header.start]);
        assert_eq!(segs[1].ranges[0], header);
        assert_eq!(segs[1].replay_until, 0);
        assert!(segs[2..segs.len() - 1]
            .iter()
            .all(|s| s.ranges[0] == header && s.replay_until == header.end));
        assert_eq!(segs.last().unwrap().ranges.len(), 1);
        // Every byte of the bodies is in exactly one segment.
        let covered: usize = segs.iter().map(|s| s.ranges.last().unwrap().len()).sum();
        assert_eq!(covered, src.len() - header.len());
        assert!(segments(&src, &lines, src.len()).is_none());
    }
}
