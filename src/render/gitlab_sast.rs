//! `--format gitlab-sast`: a GitLab SAST security report (`artifacts:reports:sast`), schema
//! version [`SCHEMA_VERSION`] (the `15.x` line of GitLab's security report schemas), for the
//! security widget, the pipeline's Security tab and the vulnerability report of GitLab
//! Ultimate.
//!
//! - `scan`: custos as both analyzer and scanner, `type: sast`, `status: success` (the scan
//!   ran; the gate's verdict is the exit code), start and end times in the schema's
//!   `yyyy-mm-ddThh:mm:ss` UTC form (`SOURCE_DATE_EPOCH` is honoured), and one `messages`
//!   entry per note and per unlisted count.
//! - `vulnerabilities`: one per finding — `id` is our fingerprint (unique per report, stable
//!   across line moves), `name` the rule title, `description` the message, `solution` the
//!   remediation, `severity` mapped to GitLab's capitalised names, `location` the file and
//!   lines, and the rule id as the primary identifier (`type: custos_rule_id`), followed by
//!   the rule's compliance controls. Findings counted but not listed become one vulnerability
//!   per file and rule saying how many.
//!
//! Only messages, titles and remediation are written — never source text — so no secret value
//! can reach the report.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Render;
use crate::finding::Severity;
use crate::report::Report;

/// The schema version the report declares.
pub const SCHEMA_VERSION: &str = "15.0.7";
const SCHEMA_URL: &str = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.0.7/dist/sast-report-format.json";
/// The schema's limits on `name` and `solution`.
const NAME_MAX: usize = 255;
const SOLUTION_MAX: usize = 7000;

pub struct GitLabSast;

#[derive(Serialize)]
struct Out<'a> {
    version: &'static str,
    schema: &'static str,
    scan: Scan,
    vulnerabilities: Vec<Vulnerability<'a>>,
}

#[derive(Serialize)]
struct Scan {
    analyzer: Tool,
    scanner: Tool,
    #[serde(rename = "type")]
    kind: &'static str,
    start_time: String,
    end_time: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<Message>,
}

#[derive(Serialize)]
struct Tool {
    id: &'static str,
    name: &'static str,
    version: &'static str,
    vendor: Vendor,
}

#[derive(Serialize)]
struct Vendor {
    name: &'static str,
}

#[derive(Serialize)]
struct Message {
    level: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Vulnerability<'a> {
    id: String,
    name: String,
    description: String,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    solution: Option<String>,
    location: VulnLocation<'a>,
    identifiers: Vec<Identifier>,
}

#[derive(Serialize)]
struct VulnLocation<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<usize>,
}

#[derive(Serialize)]
struct Identifier {
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

/// GitLab's severity for ours.
pub const fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Info => "Info",
        Severity::Low => "Low",
        Severity::Medium => "Medium",
        Severity::High => "High",
        Severity::Critical => "Critical",
    }
}

/// An RFC 3339 UTC time (`2026-01-02T03:04:05Z`) in the schema's form (`2026-01-02T03:04:05`);
/// `fallback` when it is not in that shape.
fn schema_time(rfc3339: &str, fallback: &str) -> String {
    let t = rfc3339.strip_suffix('Z').unwrap_or(rfc3339);
    let ok = t.len() == 19
        && t.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        });
    if ok {
        t.to_owned()
    } else {
        fallback.to_owned()
    }
}

fn unlisted_id(path: &str, rule: &str, severity: Severity) -> String {
    let mut h = Sha256::new();
    for p in ["unlisted", path, rule, severity.as_str()] {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let mut s = String::from("custos-unlisted-");
    for b in h.finalize().iter().take(16) {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn identifiers(report: &Report, rule_id: &str) -> Vec<Identifier> {
    let rule = report.catalog.get(rule_id);
    let mut ids = vec![Identifier {
        kind: "custos_rule_id",
        name: format!("custos {rule_id}"),
        value: rule_id.to_owned(),
        url: rule
            .and_then(|r| r.help_uri.clone())
            .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
    }];
    for c in rule.map_or(&[][..], |r| r.controls.as_slice()) {
        ids.push(Identifier {
            kind: "custos_control",
            name: c.clone(),
            value: c.clone(),
            url: None,
        });
    }
    ids
}

fn build(report: &Report) -> Out<'_> {
    let custos = || Tool {
        id: "custos",
        name: "custos",
        version: env!("CARGO_PKG_VERSION"),
        vendor: Vendor { name: "custos" },
    };
    let end = schema_time(&crate::report::now_rfc3339(), "1970-01-01T00:00:00");
    let start = schema_time(&report.run.started, &end);
    let mut messages: Vec<Message> = report
        .notes
        .iter()
        .map(|n| Message {
            level: "info",
            value: format!("{}: {}", n.path, n.message),
        })
        .collect();
    let mut vulnerabilities = Vec::new();
    for f in &report.findings {
        let loc = report.location(f);
        let rule = report.rule_of(f);
        vulnerabilities.push(Vulnerability {
            id: f.fingerprint.clone(),
            name: super::verdict::clip(report.title_of(f), NAME_MAX),
            description: super::verdict::message(report, f),
            severity: severity(f.severity),
            solution: rule
                .and_then(|r| r.remediation.as_deref())
                .map(|s| super::verdict::clip(s, SOLUTION_MAX)),
            location: VulnLocation {
                file: &f.path,
                start_line: loc.map(|l| l.line),
                end_line: loc.map(|l| l.end_line),
            },
            identifiers: identifiers(report, &f.rule_id),
        });
    }
    for u in &report.unlisted {
        let title = report.catalog.title(&u.rule_id);
        let what = format!(
            "{} more finding{} of {} ({title}) in {}, counted but not listed (listing cap per log file); they count in the totals and the gate",
            u.count,
            if u.count == 1 { "" } else { "s" },
            u.rule_id,
            u.path,
        );
        messages.push(Message {
            level: "warn",
            value: what.clone(),
        });
        vulnerabilities.push(Vulnerability {
            id: unlisted_id(&u.path, &u.rule_id, u.severity),
            name: super::verdict::clip(title, NAME_MAX),
            description: what,
            severity: severity(u.severity),
            solution: report
                .catalog
                .get(&u.rule_id)
                .and_then(|r| r.remediation.as_deref())
                .map(|s| super::verdict::clip(s, SOLUTION_MAX)),
            location: VulnLocation {
                file: &u.path,
                start_line: None,
                end_line: None,
            },
            identifiers: identifiers(report, &u.rule_id),
        });
    }
    Out {
        version: SCHEMA_VERSION,
        schema: SCHEMA_URL,
        scan: Scan {
            analyzer: custos(),
            scanner: custos(),
            kind: "sast",
            start_time: start,
            end_time: end,
            status: "success",
            messages,
        },
        vulnerabilities,
    }
}

impl Render for GitLabSast {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &build(report)).map_err(io::Error::other)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Finding, Level};
    use crate::report::{Note, Unlisted};

    #[test]
    fn times_take_the_schema_form_or_the_fallback() {
        assert_eq!(
            schema_time("2026-12-02T14:00:59Z", "x"),
            "2026-12-02T14:00:59"
        );
        assert_eq!(schema_time("yesterday", "x"), "x");
        assert_eq!(schema_time("2026-12-02 14:00:59", "x"), "x");
    }

    #[test]
    fn unlisted_counts_and_notes_are_reported() {
        let mut r = Report::default();
        let mut f = Finding::new("SEC001", Severity::Critical, "value AKIA…".into(), "a.env");
        f.fingerprint = "abc".into();
        r.findings.push(f);
        r.unlisted.push(Unlisted {
            path: "big.log".into(),
            rule_id: "PII001".into(),
            severity: Severity::Medium,
            level: Level::Failure,
            count: 3,
        });
        r.notes.push(Note {
            path: "x.bin".into(),
            message: "skipped".into(),
        });
        let v = serde_json::to_value(build(&r)).unwrap();
        let vulns = v["vulnerabilities"].as_array().unwrap();
        assert_eq!(vulns.len(), 2);
        assert_eq!(vulns[0]["id"], "abc");
        assert_eq!(vulns[0]["location"]["file"], "a.env");
        assert!(vulns[0]["location"].get("start_line").is_none());
        assert_eq!(vulns[0]["identifiers"][0]["type"], "custos_rule_id");
        assert_eq!(vulns[1]["severity"], "Medium");
        assert!(vulns[1]["description"]
            .as_str()
            .unwrap()
            .starts_with("3 more"));
        let msgs = v["scan"]["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0]["value"], "x.bin: skipped");
    }
}
