//! The Markdown audit report, rendered from an evidence bundle alone (so a merged or archived
//! bundle renders the same report). Sections follow what an auditor reads in order: verdict,
//! run identity, control status per framework, the findings and evidence hashes behind every
//! failed control, verifications, scope, and the full evidence inventory.

use std::fmt::Write as _;

use super::bundle::{Bundle, Status};

/// A table cell: one line; pipes, backticks, brackets and angle brackets neutralised, so a
/// value from a scanned file can neither break the table nor become a link or markup.
fn cell(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
        .replace('|', "\\|")
        .replace('`', "'")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn or_dash(s: Option<&str>) -> String {
    s.map_or_else(|| "—".to_owned(), cell)
}

/// `path:line` of a finding.
pub fn place(path: &str, line: Option<usize>) -> String {
    match line {
        Some(l) => format!("{path}:{l}"),
        None => path.to_owned(),
    }
}

pub fn render(b: &Bundle) -> String {
    let mut o = String::new();
    let title = b.run.name.as_deref().unwrap_or("Compliance audit");
    let _ = writeln!(o, "# {}\n", cell(title));
    let _ = writeln!(
        o,
        "**Gate: {}** — {}\n",
        if b.summary.gate == "fail" {
            "FAILED"
        } else {
            "passed"
        },
        cell(&super::bundle::summary_line(b))
    );
    run_section(&mut o, b);
    summary_section(&mut o, b);
    for c in &b.conflicts {
        if c.field == "shard" {
            let _ = writeln!(o, "> **Incomplete:** {}\n", cell(&c.detail));
        }
    }
    controls_section(&mut o, b);
    failed_section(&mut o, b);
    manual_section(&mut o, b);
    checks_section(&mut o, b);
    scope_section(&mut o, b);
    findings_section(&mut o, b);
    evidence_section(&mut o, b);
    inputs_section(&mut o, b);
    o
}

fn run_section(o: &mut String, b: &Bundle) {
    let run = &b.run;
    let _ = writeln!(o, "## Run\n\n| | |\n|---|---|");
    let rows: Vec<(&str, String)> = vec![
        ("Command", cell(&run.command)),
        (
            "Tool",
            format!(
                "{} {} (commit {})",
                run.tool,
                cell(&run.version),
                cell(&run.commit)
            ),
        ),
        (
            "Policy bundle SHA-256",
            format!("`{}`", run.policies_sha256),
        ),
        (
            "Control mappings SHA-256",
            format!("`{}`", run.controls_sha256),
        ),
        (
            "Configuration",
            match (&run.config_file, &run.config_sha256) {
                (Some(f), Some(h)) => format!("{} (SHA-256 `{h}`)", cell(f)),
                (None, Some(h)) => format!("SHA-256 `{h}`"),
                _ => "—".into(),
            },
        ),
        (
            "Window",
            run.window.as_ref().map_or_else(
                || "not set".to_owned(),
                |w| format!("{} to {}", cell(&w.start), cell(&w.end)),
            ),
        ),
        ("Frameworks", cell(&run.frameworks.join(", "))),
        ("Started", cell(&run.started)),
        ("Finished", cell(&run.finished)),
        (
            "Run by",
            format!(
                "{} on {}",
                or_dash(run.user.as_deref()),
                or_dash(run.host.as_deref())
            ),
        ),
        (
            "Shard",
            run.shard
                .map_or_else(|| "whole scope".to_owned(), |s| s.to_string()),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(o, "| {k} | {v} |");
    }
    let _ = writeln!(
        o,
        "\nThe bundle's own SHA-256 is in `bundle.json.sha256` beside it (`sha256sum -c`).\n"
    );
}

fn summary_section(o: &mut String, b: &Bundle) {
    let s = &b.summary;
    let _ = writeln!(o, "## Summary\n");
    let _ = writeln!(
        o,
        "| Controls | pass | fail | not tested | manual |\n|---|---:|---:|---:|---:|\n| {} | {} | {} | {} | {} |\n",
        b.controls.len(),
        s.controls.pass,
        s.controls.fail,
        s.controls.not_tested,
        s.controls.manual
    );
    let _ = writeln!(o, "| Severity | findings | previous |\n|---|---:|---:|");
    for (i, (name, n)) in s.findings.rows().iter().enumerate() {
        let prev = b
            .trend
            .as_ref()
            .and_then(|t| t.previous_findings.rows().get(i).map(|r| r.1.to_string()))
            .unwrap_or_else(|| "—".into());
        let _ = writeln!(o, "| {name} | {n} | {prev} |");
    }
    let _ = writeln!(
        o,
        "| **total** | **{}** | {} |\n",
        s.findings.total,
        b.trend
            .as_ref()
            .map_or_else(|| "—".into(), |t| t.previous_findings.total.to_string())
    );
    let _ = writeln!(
        o,
        "{} failing finding{}; {} verification{} ({} pass, {} fail, {} inconclusive); {} evidence item{}.\n",
        s.failing_findings,
        if s.failing_findings == 1 { "" } else { "s" },
        b.checks.len(),
        if b.checks.len() == 1 { "" } else { "s" },
        s.checks.pass,
        s.checks.fail,
        s.checks.inconclusive,
        s.evidence_items,
        if s.evidence_items == 1 { "" } else { "s" },
    );
    if let Some(t) = &b.trend {
        let _ = writeln!(
            o,
            "### Trend\n\nAgainst the bundle of {} (SHA-256 `{}`): controls failing {} → {}.\n",
            cell(&t.previous_started),
            t.previous_sha256,
            t.previous_controls.fail,
            s.controls.fail
        );
        for (label, list) in [
            ("Newly failing", &t.newly_failing),
            ("No longer failing", &t.no_longer_failing),
        ] {
            if !list.is_empty() {
                let _ = writeln!(o, "- {label}: {}", cell(&list.join(", ")));
            }
        }
        o.push('\n');
    }
}

fn controls_section(o: &mut String, b: &Bundle) {
    let _ = writeln!(o, "## Controls\n");
    for fw in &b.frameworks {
        let _ = writeln!(
            o,
            "### {} ({})\n\n| Requirement | Title | Status | Failing findings | Tested in |\n|---|---|---|---:|---:|",
            cell(&fw.name),
            cell(&fw.version)
        );
        for c in b.controls.iter().filter(|c| c.framework == fw.framework) {
            let status = match c.status {
                Status::Fail => "**FAIL**",
                Status::Pass => "pass",
                Status::NotTested => "not tested",
                Status::Manual => "manual",
            };
            let _ = writeln!(
                o,
                "| {} | {} | {status} | {} | {} |",
                cell(&c.id),
                cell(&c.title),
                c.findings.len(),
                c.tested_in.len()
            );
        }
        o.push('\n');
    }
}

fn failed_section(o: &mut String, b: &Bundle) {
    let by_id = b.findings_by_id();
    let failed: Vec<_> = b
        .controls
        .iter()
        .filter(|c| c.status == Status::Fail)
        .collect();
    if failed.is_empty() {
        return;
    }
    let _ = writeln!(o, "## Failed controls: the evidence\n");
    for c in failed {
        let _ = writeln!(
            o,
            "### {} {} — {}\n\n| Finding | Rule | Severity | Where | Evidence SHA-256 |\n|---|---|---|---|---|",
            cell(&c.framework),
            cell(&c.id),
            cell(&c.title)
        );
        for id in &c.findings {
            if let Some(f) = by_id.get(id.as_str()) {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} |",
                    f.id,
                    cell(&f.rule_id),
                    f.severity,
                    cell(&place(&f.path, f.line)),
                    f.evidence_sha256
                        .as_deref()
                        .map_or_else(|| "—".into(), |h| format!("`{h}`"))
                );
            }
        }
        o.push('\n');
    }
}

fn manual_section(o: &mut String, b: &Bundle) {
    let manual: Vec<_> = b
        .controls
        .iter()
        .filter(|c| c.status == Status::Manual)
        .collect();
    if manual.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "## Manual controls\n\n| Framework | Requirement | Procedure |\n|---|---|---|"
    );
    for c in manual {
        let _ = writeln!(
            o,
            "| {} | {} {} | {} |",
            cell(&c.framework),
            cell(&c.id),
            cell(&c.title),
            or_dash(c.procedure.as_deref())
        );
    }
    o.push('\n');
}

fn checks_section(o: &mut String, b: &Bundle) {
    if b.checks.is_empty() {
        return;
    }
    let _ = writeln!(o, "## Verifications\n");
    for c in &b.checks {
        let _ = writeln!(
            o,
            "### {} `{}`: {}\n\n{}\n",
            cell(&c.id),
            cell(&c.subject),
            c.verdict.to_uppercase(),
            cell(&c.summary)
        );
        if let Some(n) = c.records {
            let _ = writeln!(o, "- records: {n}");
        }
        if let Some(r) = &c.merkle_root {
            let _ = writeln!(o, "- Merkle root: `{}`", cell(r));
        }
        if let Some(t) = c.trusted_size {
            let _ = writeln!(o, "- covered by a trusted checkpoint: {t} records");
        }
        if !c.checkpoints.is_empty() {
            let _ = writeln!(
                o,
                "\n| Checkpoint | Origin | Size | Root | Signature | Root matches | File SHA-256 |\n|---|---|---:|---|---|---|---|"
            );
            for cp in &c.checkpoints {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | `{}` | {} | {} | {} |",
                    cell(&cp.source),
                    cell(&cp.origin),
                    cp.size,
                    cell(&cp.root),
                    cell(&cp.signature),
                    cp.matches.map_or("n/a", |m| if m { "yes" } else { "NO" }),
                    cp.sha256
                        .as_deref()
                        .map_or_else(|| "—".into(), |h| format!("`{h}`"))
                );
            }
        }
        o.push('\n');
    }
}

fn scope_section(o: &mut String, b: &Bundle) {
    let _ = writeln!(
        o,
        "## Scope\n\n| Item | Status | Git commit | Files | Findings | Failing | Passed over |\n|---|---|---|---:|---:|---:|---:|"
    );
    for s in &b.scope {
        let status = match &s.error {
            Some(e) => format!("ERROR: {}", cell(e)),
            None => s.status.clone(),
        };
        let _ = writeln!(
            o,
            "| {} | {status} | {} | {} | {} | {} | {} |",
            cell(&s.key),
            s.git_commit
                .as_deref()
                .map_or_else(|| "—".into(), |c| format!("`{}`", cell(c))),
            s.files_scanned,
            s.findings,
            s.failing,
            s.notes.len()
        );
    }
    o.push('\n');
}

fn findings_section(o: &mut String, b: &Bundle) {
    if b.findings.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "## Findings\n\n| Finding | Scope | Rule | Severity | Fails | Where | Message |\n|---|---|---|---|---|---|---|"
    );
    for f in &b.findings {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} |",
            f.id,
            cell(&f.scope),
            cell(&f.rule_id),
            f.severity,
            if f.failing { "yes" } else { "no" },
            cell(&place(&f.path, f.line)),
            cell(&f.message)
        );
    }
    o.push('\n');
}

fn evidence_section(o: &mut String, b: &Bundle) {
    let _ = writeln!(
        o,
        "## Evidence\n\n| Scope | Role | Path | SHA-256 | Bytes |\n|---|---|---|---|---:|"
    );
    for e in &b.evidence {
        let id = match (&e.sha256, &e.s3) {
            (Some(h), _) => format!("`{h}`"),
            (None, Some(s)) => format!(
                "version {} ETag {}",
                or_dash(s.version_id.as_deref()),
                or_dash(s.etag.as_deref())
            ),
            (None, None) => format!("unreadable: {}", or_dash(e.error.as_deref())),
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {id} | {} |",
            cell(&e.scope),
            cell(&e.role),
            cell(&e.path),
            e.size.map_or_else(|| "—".into(), |s| s.to_string())
        );
    }
    o.push('\n');
}

fn inputs_section(o: &mut String, b: &Bundle) {
    if b.inputs.is_empty() && b.conflicts.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "## Merged inputs\n\n| Bundle | SHA-256 | Shard | Started | Scope items |\n|---|---|---|---|---:|"
    );
    for i in &b.inputs {
        let _ = writeln!(
            o,
            "| {} | `{}` | {} | {} | {} |",
            cell(&i.file),
            i.sha256,
            i.shard.map_or_else(|| "—".into(), |s| s.to_string()),
            cell(&i.started),
            i.scope_items
        );
    }
    if !b.conflicts.is_empty() {
        let _ = writeln!(o, "\n### Conflicts\n");
        for c in &b.conflicts {
            let _ = writeln!(o, "- {}: {}", cell(&c.field), cell(&c.detail));
        }
    }
    o.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_cannot_break_the_table_or_link_anywhere() {
        assert_eq!(
            cell("a|b\n[x](http://e) <img> `c`"),
            "a\\|b \\[x\\](http://e) &lt;img&gt; 'c'"
        );
    }
}
