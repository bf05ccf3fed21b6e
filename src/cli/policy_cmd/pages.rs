//! Rule documentation as text: the rules tables (`policy list --format markdown`) and rule
//! pages (`policy explain`, for a terminal or as Markdown). Everything here is a pure function
//! of the catalog entries, so the generated documents are deterministic.

use std::fmt::Write as _;

use serde::Serialize;

use super::examples::{self, Example, Excerpt};
use super::{Entry, Family};

/// The command that writes docs/rules.md.
pub const PAGES_COMMAND: &str = "custos policy explain --all --format markdown --no-config";

/// A Markdown table cell: no line breaks, `|` escaped.
fn cell(s: &str) -> String {
    s.replace('\n', " ").replace('|', "\\|")
}

/// One rules table per family, in family order (`### Family` headings).
pub fn table(entries: &[Entry]) -> String {
    let mut s = String::new();
    for family in Family::ALL {
        let rows: Vec<&Entry> = entries.iter().filter(|e| e.family == family).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(s, "### {}\n\n{}\n", family.heading(), family.about());
        s.push_str("| id | severity | title | kinds | controls |\n|---|---|---|---|---|\n");
        for e in rows {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                cell(&e.rule.id),
                e.rule.severity,
                cell(e.rule.display_title()),
                cell(&e.kinds_text()),
                if e.rule.controls.is_empty() {
                    "—".to_owned()
                } else {
                    cell(&e.rule.controls.join(", "))
                }
            );
        }
        s.push('\n');
    }
    s
}

/// One rule's page.
#[derive(Debug, Serialize)]
pub struct Page<'a> {
    #[serde(flatten)]
    pub entry: &'a Entry,
    pub example: Option<Example>,
}

impl<'a> Page<'a> {
    pub fn new(entry: &'a Entry) -> Self {
        Self {
            example: examples::example(&entry.rule.id, entry.sensitive),
            entry,
        }
    }

    fn severity_text(&self) -> String {
        let r = &self.entry.rule;
        if r.severity == self.entry.default_severity {
            r.severity.to_string()
        } else {
            format!(
                "{} (default {}; set in the configuration)",
                r.severity, self.entry.default_severity
            )
        }
    }

    /// custos's own rules are about files, waivers and logs of any kind: no kinds line.
    fn shows_kinds(&self) -> bool {
        self.entry.family != Family::Custos || !self.entry.rule.kinds.is_empty()
    }

    fn origin_text(&self) -> String {
        let what = match self.entry.family {
            Family::Bundled => "bundled Rego policy",
            Family::User => "your Rego policy",
            Family::Secret => "secret detector",
            Family::Pii => "PII detector",
            Family::Custos => "custos",
        };
        if self.entry.sources.is_empty() {
            what.to_owned()
        } else {
            let files: Vec<String> = self
                .entry
                .sources
                .iter()
                .map(|f| format!("`{f}`"))
                .collect();
            format!("{what}, {}", files.join(", "))
        }
    }

    /// The page for a terminal.
    pub fn human(&self) -> String {
        let r = &self.entry.rule;
        let mut s = String::new();
        let _ = writeln!(s, "{}: {}\n", r.id, r.display_title());
        let _ = writeln!(s, "  severity  {}", self.severity_text());
        if self.shows_kinds() {
            let _ = writeln!(s, "  kinds     {}", self.entry.kinds_text());
        }
        if !r.controls.is_empty() {
            let _ = writeln!(s, "  controls  {}", r.controls.join(", "));
        }
        let _ = writeln!(s, "  source    {}", self.origin_text());
        if let Some(d) = &r.description {
            let _ = write!(s, "\nWhat it checks:\n{}", wrap(d, 2));
        }
        match &self.example {
            Some(Example::Fixtures { flagged, accepted }) => {
                let _ = write!(s, "\nFlagged:\n{}", human_excerpt(flagged));
                if let Some(a) = accepted {
                    let _ = write!(s, "\nNot flagged:\n{}", human_excerpt(a));
                }
            }
            Some(Example::Samples { flagged, accepted }) => {
                let _ = writeln!(s, "\nFlagged (secret masked):\n    {flagged}");
                if let Some(a) = accepted {
                    let _ = writeln!(s, "\nNot flagged:\n    {a}");
                }
            }
            Some(Example::Checks { checks }) => {
                let _ = write!(s, "\nWhat counts:\n{}", wrap(checks, 2));
            }
            None => {}
        }
        if let Some(fix) = &r.remediation {
            let _ = write!(s, "\nHow to fix:\n{}", wrap(fix, 2));
        }
        if let Some(u) = &r.help_uri {
            let _ = writeln!(s, "\nRead more: {u}");
        }
        s
    }

    /// The page in Markdown, its heading at `level`.
    pub fn markdown(&self, level: usize) -> String {
        let r = &self.entry.rule;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} {} — {}\n",
            "#".repeat(level),
            r.id,
            r.display_title()
        );
        let _ = writeln!(s, "- **Severity:** {}", self.severity_text());
        if self.shows_kinds() {
            let _ = writeln!(s, "- **Kinds:** {}", self.entry.kinds_text());
        }
        if !r.controls.is_empty() {
            let _ = writeln!(s, "- **Controls:** {}", r.controls.join(", "));
        }
        let _ = writeln!(s, "- **Source:** {}", self.origin_text());
        if let Some(d) = &r.description {
            let _ = writeln!(s, "\n{d}");
        }
        match &self.example {
            Some(Example::Fixtures { flagged, accepted }) => {
                let _ = write!(s, "\nFlagged — {}", markdown_excerpt(flagged));
                if let Some(a) = accepted {
                    let _ = write!(s, "\nNot flagged — {}", markdown_excerpt(a));
                }
            }
            Some(Example::Samples { flagged, accepted }) => {
                let _ = write!(
                    s,
                    "\nFlagged (the secret masked here):\n\n{}",
                    fenced("text", flagged)
                );
                if let Some(a) = accepted {
                    let _ = write!(s, "\nNot flagged:\n\n{}", fenced("text", a));
                }
            }
            Some(Example::Checks { checks }) => {
                let _ = writeln!(s, "\n**What counts:** {checks}");
            }
            None => {}
        }
        if let Some(fix) = &r.remediation {
            let _ = writeln!(s, "\n**How to fix:** {fix}");
        }
        if let Some(u) = &r.help_uri {
            let _ = writeln!(s, "\n**Read more:** <{u}>");
        }
        s
    }
}

/// docs/rules.md: every page, grouped by family.
pub fn document(pages: &[Page]) -> String {
    let mut s = String::from("# Rule reference\n\n");
    let _ = writeln!(
        s,
        "Every rule custos reports, as `custos policy explain ID` shows it. This file is generated \
         by `{PAGES_COMMAND}`; `tests/rule_docs.rs` checks that it is up to date. The rules \
         tables are in the [README](../README.md#bundled-rules).\n"
    );
    for family in Family::ALL {
        let in_family: Vec<&Page> = pages.iter().filter(|p| p.entry.family == family).collect();
        if in_family.is_empty() {
            continue;
        }
        let _ = writeln!(s, "## {}\n\n{}\n", family.heading(), family.about());
        for p in in_family {
            s.push_str(&p.markdown(3));
            s.push('\n');
        }
    }
    s
}

/// A fenced code block whose fence no line of `text` can close.
fn fenced(language: &str, text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!(
        "{fence}{language}\n{}\n{fence}\n",
        text.trim_end_matches('\n')
    )
}

fn lines_text(e: &Excerpt) -> String {
    match e.flagged.as_slice() {
        [] => String::new(),
        [one] => format!(" (line {one})"),
        many => format!(
            " (lines {})",
            many.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn markdown_excerpt(e: &Excerpt) -> String {
    format!(
        "`{}`{}:\n\n{}",
        e.path,
        lines_text(e),
        fenced(e.language, &e.text)
    )
}

fn human_excerpt(e: &Excerpt) -> String {
    let mut s = format!("  {}{}\n", e.path, lines_text(e));
    let last = e.first_line + e.text.lines().count();
    let width = last.to_string().len();
    for (i, line) in e.text.lines().enumerate() {
        let n = e.first_line + i;
        let mark = if e.flagged.contains(&n) { '>' } else { ' ' };
        let _ = writeln!(s, "  {mark} {n:>width$} │ {line}");
    }
    s
}

/// `text` wrapped at 92 columns, each line indented by `indent` spaces.
fn wrap(text: &str, indent: usize) -> String {
    const WIDTH: usize = 92;
    let pad = " ".repeat(indent);
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent + line.chars().count() + 1 + word.chars().count() > WIDTH {
            let _ = writeln!(out, "{pad}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{pad}{line}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }

    #[test]
    fn fences_are_longer_than_any_backtick_run() {
        assert_eq!(fenced("x", "a"), "```x\na\n```\n");
        assert!(fenced("x", "````").starts_with("`````x\n"));
    }

    #[test]
    fn wrapping_keeps_every_word() {
        let text = "word ".repeat(60);
        let w = wrap(&text, 2);
        assert!(w.lines().all(|l| l.len() <= 92 && l.starts_with("  ")));
        assert_eq!(w.split_whitespace().count(), 60);
    }
}
