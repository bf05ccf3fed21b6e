//! `--format junit`: JUnit XML as GitLab (`artifacts:reports:junit`), Jenkins and other CI test
//! report viewers read it (documented in `docs/formats.md`; validated against the Jenkins xunit
//! `junit-10.xsd` by `tests/schemas.rs`).
//!
//! Shape: one `<testsuite>` per rule, so a viewer groups results by rule.
//! - One `<testcase>` per rule × file with findings (`classname` `custos.<rule id>`, `name` the
//!   file). It carries a `<failure>` when any of its findings fails the gate (the same test as
//!   the exit code; without a gate, failures of severity medium and above), listing every
//!   finding of the rule in that file as `file:line:column: severity level: message`, plus the
//!   findings of that rule and file counted but not listed (log files over the listing cap).
//!   A testcase whose findings all pass the gate (warnings, findings below `--fail-on`) passes
//!   and lists them in `<system-out>`.
//! - For a scan, one passing testcase per catalog rule that reported nothing, named after the
//!   scanned root. custos does not keep the list of files each rule looked at, so "rule ×
//!   file" testcases exist only where there is something to say.
//! - A `checks` suite (chain or CloudTrail verification …): a failed check is a `<failure>`, an
//!   inconclusive one `<skipped>`, a passed one a passing testcase with its evidence.
//! - A `not-scanned` suite: one `<skipped>` testcase per file passed over, with the reason.
//!
//! Written by hand rather than with an XML crate: the document is a fixed, shallow shape, and
//! the one thing that needs care — escaping — is [`escape`], which also replaces characters
//! that XML 1.0 does not allow at all (C0 controls other than tab, newline and carriage
//! return, and U+FFFE/U+FFFF) with U+FFFD, since no escape can carry them. Messages are
//! previews already; no source text is written, so no secret reaches this output.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::Render;
use crate::finding::{Finding, Level, Severity};
use crate::report::{Command, Report, Unlisted, Verdict};

pub struct Junit;

/// Is `c` allowed in an XML 1.0 document?
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escape `s` for an XML 1.0 attribute value (double- or single-quoted). Characters XML 1.0
/// cannot carry become U+FFFD; tab, newline and carriage return are written as character
/// references so that attribute-value normalisation keeps them.
pub fn escape(s: &str) -> String {
    escape_with(s, true)
}

/// Escape `s` for element text: markup characters and carriage returns (which XML would turn
/// into newlines) only, so that multi-line failure bodies stay readable.
fn escape_text(s: &str) -> String {
    escape_with(s, false)
}

fn escape_with(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// Does `f` fail (the same rule as the SARIF `error` level and the exit code)?
fn fails(report: &Report, f: &Finding) -> bool {
    super::sarif::result_level(report, f) == "error"
}

fn unlisted_fails(report: &Report, u: &Unlisted) -> bool {
    match report.fail_on {
        Some(t) => (u.level == Level::Failure || report.fail_on_warn) && u.severity >= t,
        None => u.level == Level::Failure && u.severity >= Severity::Medium,
    }
}

fn level_word(l: Level) -> &'static str {
    match l {
        Level::Failure => "failure",
        Level::Warning => "warning",
    }
}

/// One testcase, rendered.
struct Case {
    xml: String,
    failed: bool,
    skipped: bool,
}

fn finding_line(report: &Report, f: &Finding) -> String {
    let at = match report.location(f) {
        Some(l) => format!("{}:{}:{}", f.path, l.line, l.column),
        None => f.path.clone(),
    };
    let mut line = format!(
        "{at}: {} {}: {}",
        f.severity,
        level_word(f.level),
        f.message
    );
    if !f.related.is_empty() {
        let _ = write!(line, " (+{} more in this file)", f.related.len());
    }
    line
}

fn rule_file_case(
    report: &Report,
    rule: &str,
    path: &str,
    findings: &[&Finding],
    unlisted: &[&Unlisted],
) -> Case {
    let mut lines: Vec<String> = findings.iter().map(|f| finding_line(report, f)).collect();
    for u in unlisted {
        lines.push(format!(
            "{}: {} {}: {} more finding{} counted but not listed (over the per-file listing cap)",
            u.path,
            u.severity,
            level_word(u.level),
            u.count,
            if u.count == 1 { "" } else { "s" }
        ));
    }
    let count: usize = findings.len() + unlisted.iter().map(|u| u.count).sum::<usize>();
    let failing: Vec<&&Finding> = findings.iter().filter(|f| fails(report, f)).collect();
    let failed = !failing.is_empty() || unlisted.iter().any(|u| unlisted_fails(report, u));
    let worst = findings
        .iter()
        .map(|f| f.severity)
        .chain(unlisted.iter().map(|u| u.severity))
        .max()
        .unwrap_or(Severity::Info);
    let title = report.catalog.title(rule);
    let mut xml = format!(
        "    <testcase classname=\"custos.{}\" name=\"{}\" time=\"0\">\n",
        escape(rule),
        escape(path)
    );
    let body = escape_text(&lines.join("\n"));
    if failed {
        let _ = writeln!(
            xml,
            "      <failure type=\"{}\" message=\"{}\">{}</failure>",
            worst,
            escape(&format!(
                "{count} finding{} of {rule} ({title})",
                if count == 1 { "" } else { "s" }
            )),
            body
        );
    } else {
        let _ = writeln!(xml, "      <system-out>{body}</system-out>");
    }
    xml.push_str("    </testcase>\n");
    Case {
        xml,
        failed,
        skipped: false,
    }
}

fn suite(name: &str, timestamp: &str, properties: &[(&str, String)], cases: &[Case]) -> String {
    let failures = cases.iter().filter(|c| c.failed).count();
    let skipped = cases.iter().filter(|c| c.skipped).count();
    let mut xml = format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"0\" timestamp=\"{}\">\n",
        escape(name),
        cases.len(),
        escape(timestamp)
    );
    let props: Vec<&(&str, String)> = properties.iter().filter(|(_, v)| !v.is_empty()).collect();
    if !props.is_empty() {
        xml.push_str("    <properties>\n");
        for (k, v) in props {
            let _ = writeln!(
                xml,
                "      <property name=\"{}\" value=\"{}\"/>",
                escape(k),
                escape(v)
            );
        }
        xml.push_str("    </properties>\n");
    }
    for c in cases {
        xml.push_str(&c.xml);
    }
    xml.push_str("  </testsuite>\n");
    xml
}

fn simple_case(classname: &str, name: &str, inner: &str) -> String {
    let open = format!(
        "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
        escape(classname),
        escape(name)
    );
    if inner.is_empty() {
        format!("{open}/>\n")
    } else {
        format!("{open}>\n{inner}    </testcase>\n")
    }
}

impl Render for Junit {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        type Group<'a> = (Vec<&'a Finding>, Vec<&'a Unlisted>);
        // rule → file → (findings, unlisted), in rule-id and path order.
        let mut groups: BTreeMap<&str, BTreeMap<&str, Group>> = BTreeMap::new();
        for f in &report.findings {
            groups
                .entry(f.rule_id.as_str())
                .or_default()
                .entry(f.path.as_str())
                .or_default()
                .0
                .push(f);
        }
        for u in &report.unlisted {
            groups
                .entry(u.rule_id.as_str())
                .or_default()
                .entry(u.path.as_str())
                .or_default()
                .1
                .push(u);
        }
        let ts = report.run.started.as_str();
        let mut suites = Vec::new();
        let mut totals = (0usize, 0usize, 0usize); // tests, failures, skipped
        let mut add = |xml: String, cases: &[Case]| {
            totals.0 += cases.len();
            totals.1 += cases.iter().filter(|c| c.failed).count();
            totals.2 += cases.iter().filter(|c| c.skipped).count();
            suites.push(xml);
        };

        let mut rule_ids: Vec<&str> = groups.keys().copied().collect();
        if report.run.command == Command::Scan {
            rule_ids.extend(report.catalog.iter().map(|r| r.id.as_str()));
            rule_ids.sort_unstable();
            rule_ids.dedup();
        }
        for id in rule_ids {
            let rule = report.catalog.get(id);
            let props = [
                ("title", report.catalog.title(id).to_owned()),
                (
                    "severity",
                    rule.map(|r| r.severity.to_string()).unwrap_or_default(),
                ),
                (
                    "controls",
                    rule.map(|r| r.controls.join(", ")).unwrap_or_default(),
                ),
                (
                    "remediation",
                    rule.and_then(|r| r.remediation.clone()).unwrap_or_default(),
                ),
                (
                    "help",
                    rule.and_then(|r| r.help_uri.clone()).unwrap_or_default(),
                ),
            ];
            let cases: Vec<Case> = match groups.get(id) {
                Some(files) => files
                    .iter()
                    .map(|(path, (f, u))| rule_file_case(report, id, path, f, u))
                    .collect(),
                None => vec![Case {
                    xml: simple_case(&format!("custos.{id}"), &report.run.root, ""),
                    failed: false,
                    skipped: false,
                }],
            };
            add(suite(id, ts, &props, &cases), &cases);
        }

        if !report.checks.is_empty() {
            let cases: Vec<Case> = report
                .checks
                .iter()
                .map(|c| {
                    let mut evidence = c.summary.clone();
                    for (k, v) in &c.evidence {
                        let _ = write!(evidence, "\n{k}: {v}");
                    }
                    let evidence = escape_text(&evidence);
                    let summary = escape(&c.summary);
                    let inner = match c.verdict {
                        Verdict::Fail => format!(
                            "      <failure type=\"{}\" message=\"{summary}\">{evidence}</failure>\n",
                            escape(&c.id)
                        ),
                        Verdict::Inconclusive => {
                            let prefix = if c.summary.to_lowercase().starts_with("inconclusive") {
                                ""
                            } else {
                                "inconclusive: "
                            };
                            format!(
                                "      <skipped message=\"{prefix}{summary}\"/>\n      <system-out>{evidence}</system-out>\n"
                            )
                        }
                        Verdict::Pass => format!("      <system-out>{evidence}</system-out>\n"),
                    };
                    Case {
                        xml: simple_case(&format!("custos.{}", c.id), &c.subject, &inner),
                        failed: c.verdict == Verdict::Fail,
                        skipped: c.verdict == Verdict::Inconclusive,
                    }
                })
                .collect();
            add(suite("checks", ts, &[], &cases), &cases);
        }

        if !report.notes.is_empty() {
            let cases: Vec<Case> = report
                .notes
                .iter()
                .map(|n| Case {
                    xml: simple_case(
                        "custos.not-scanned",
                        &n.path,
                        &format!("      <skipped message=\"{}\"/>\n", escape(&n.message)),
                    ),
                    failed: false,
                    skipped: true,
                })
                .collect();
            add(suite("not-scanned", ts, &[], &cases), &cases);
        }

        writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(
            out,
            "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"0\">",
            escape(&format!("custos {}", report.run.command.as_str())),
            totals.0,
            totals.1
        )?;
        for s in suites {
            out.write_all(s.as_bytes())?;
        }
        writeln!(out, "</testsuites>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_replaces_characters_xml_cannot_carry() {
        assert_eq!(
            escape("a<b>&\"c\"'d'"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;"
        );
        assert_eq!(
            escape("x\u{0}y\u{1b}z\u{FFFE}"),
            "x\u{FFFD}y\u{FFFD}z\u{FFFD}"
        );
        assert_eq!(escape("t\tn\nr\r"), "t&#9;n&#10;r&#13;");
        assert_eq!(escape("ünï 🦀"), "ünï 🦀");
        assert_eq!(escape_text("a\n\"b\"\r<"), "a\n\"b\"&#13;&lt;");
    }
}
