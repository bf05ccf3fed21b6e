//! The HTML audit report: one self-contained file, rendered from an evidence bundle alone.
//!
//! Self-contained means no request of any kind when it is opened: the CSS is inline, the charts
//! (control status, findings by severity with the previous bundle beside them, failing findings
//! by control) are inline SVG drawn with presentation attributes, and there is no script. A
//! Content-Security-Policy meta tag enforces it — `default-src 'none'` with the stylesheet
//! allowed by its SHA-256 only — so even a value in the bundle that looked like markup could
//! load nothing (and every value is escaped anyway). Print CSS lays it out for A4 PDF export.
//!
//! The key figures carry `data-metric` attributes so that a test (tests/html_report.rs) and a
//! reader's tooling can find them in the DOM.

use std::fmt::Write as _;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::bundle::{Bundle, ControlResult, Status};
use super::markdown::place;

const CSS: &str = r"
:root { --fail: #b42318; --pass: #067647; --warn: #b54708; --muted: #475467; --line: #d0d5dd; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #101828; margin: 0 auto; max-width: 1120px; padding: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; border-bottom: 2px solid var(--line); padding-bottom: 4px; margin-top: 32px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.verdict { display: inline-block; padding: 6px 14px; border-radius: 6px; font-weight: 700; color: #fff; }
.verdict.fail { background: var(--fail); }
.verdict.pass { background: var(--pass); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 130px; }
.card .n { font-size: 24px; font-weight: 700; display: block; }
.card .l { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; }
.chart { border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
.chart h3 { margin: 4px 6px 8px; }
svg text { font: 12px system-ui, sans-serif; fill: #101828; }
svg text.muted { fill: #475467; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f2f4f7; }
td.num, th.num { text-align: right; }
code, .hash { font: 12px ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; word-break: break-all; }
.st { font-weight: 700; white-space: nowrap; }
.st.fail { color: var(--fail); }
.st.pass { color: var(--pass); }
.st.not-tested { color: var(--warn); }
.st.manual { color: var(--muted); }
.note { background: #fffaeb; border-left: 4px solid var(--warn); padding: 8px 12px; }
dl.run { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.run dt { color: var(--muted); }
dl.run dd { margin: 0; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; }
  h3 { break-after: avoid; }
  tr, .chart, .card { break-inside: avoid; }
  thead { display: table-header-group; }
  .verdict { border: 2px solid #000; color: #000; background: none !important; }
}
";

/// The Content-Security-Policy of the page: nothing may load; only the inline stylesheet,
/// named by its hash, applies.
pub fn content_security_policy() -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(CSS.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'none'; font-src 'none'; connect-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'"
    )
}

/// Escape text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const FAIL: &str = "#b42318";
const PASS: &str = "#067647";
const WARN: &str = "#dc6803";
const GREY: &str = "#98a2b3";

fn severity_colour(name: &str) -> &'static str {
    match name {
        "critical" => "#7a271a",
        "high" => "#b42318",
        "medium" => "#dc6803",
        "low" => "#eaaa08",
        _ => "#98a2b3",
    }
}

pub fn render(b: &Bundle) -> String {
    let mut o = String::new();
    let title = b.run.name.as_deref().unwrap_or("Compliance audit");
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n<meta name=\"referrer\" content=\"no-referrer\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&content_security_policy()),
        esc(title)
    );
    let failed = b.summary.gate == "fail";
    let _ = writeln!(
        o,
        "<header><h1>{}</h1><p class=\"sub\">custos {} · started {} · {}</p><span class=\"verdict {}\" id=\"gate\" data-metric=\"gate\">Gate {}</span></header>",
        esc(title),
        esc(&b.run.version),
        esc(&b.run.started),
        esc(&b.run.shard.map_or_else(|| "whole scope".to_owned(), |s| format!("shard {s}"))),
        if failed { "fail" } else { "pass" },
        if failed { "FAILED" } else { "passed" },
    );
    let _ = writeln!(
        o,
        "<p id=\"summary-line\">{}</p>",
        esc(&super::bundle::summary_line(b))
    );
    for c in b.conflicts.iter().filter(|c| c.field == "shard") {
        let _ = writeln!(
            o,
            "<p class=\"note\"><strong>Incomplete:</strong> {}</p>",
            esc(&c.detail)
        );
    }
    cards(&mut o, b);
    charts(&mut o, b);
    run_section(&mut o, b);
    controls_section(&mut o, b);
    failed_section(&mut o, b);
    checks_section(&mut o, b);
    scope_section(&mut o, b);
    findings_section(&mut o, b);
    evidence_section(&mut o, b);
    inputs_section(&mut o, b);
    o.push_str("</body>\n</html>\n");
    o
}

fn cards(o: &mut String, b: &Bundle) {
    let s = &b.summary;
    let items = [
        ("controls-total", "controls", b.controls.len()),
        ("controls-pass", "pass", s.controls.pass),
        ("controls-fail", "fail", s.controls.fail),
        ("controls-not-tested", "not tested", s.controls.not_tested),
        ("controls-manual", "manual", s.controls.manual),
        ("findings-total", "findings", s.findings.total),
        ("findings-failing", "failing findings", s.failing_findings),
        ("checks-fail", "failed verifications", s.checks.fail),
        ("evidence-items", "evidence items", s.evidence_items),
    ];
    o.push_str("<section class=\"cards\">");
    for (metric, label, n) in items {
        let _ = write!(
            o,
            "<div class=\"card\"><span class=\"n\" data-metric=\"{metric}\">{n}</span><span class=\"l\">{label}</span></div>"
        );
    }
    o.push_str("</section>\n");
}

/// Bar length for `n` of `max` over `width` pixels.
fn bar(n: usize, max: usize, width: f64) -> f64 {
    if max == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let frac = n as f64 / max as f64;
    (frac * width).round()
}

fn charts(o: &mut String, b: &Bundle) {
    o.push_str("<section class=\"charts\">\n");
    status_chart(o, b);
    severity_chart(o, b);
    control_chart(o, b);
    o.push_str("</section>\n");
}

/// One stacked bar: controls by status.
fn status_chart(o: &mut String, b: &Bundle) {
    let counts = &b.summary.controls;
    let total = b.controls.len();
    let parts = [
        ("fail", counts.fail, FAIL),
        ("pass", counts.pass, PASS),
        ("not tested", counts.not_tested, WARN),
        ("manual", counts.manual, GREY),
    ];
    let width = 320.0;
    let _ = write!(
        o,
        "<div class=\"chart\"><h3>Controls by status</h3><svg id=\"chart-status\" role=\"img\" aria-label=\"Controls by status\" width=\"340\" height=\"130\" viewBox=\"0 0 340 130\">"
    );
    let mut left = 10.0;
    for (label, n, colour) in parts {
        let w = bar(n, total, width);
        if w > 0.0 {
            let _ = write!(
                o,
                "<rect x=\"{left}\" y=\"10\" width=\"{w}\" height=\"28\" fill=\"{colour}\"><title>{label}: {n}</title></rect>"
            );
        }
        left += w;
    }
    for (i, (label, n, colour)) in parts.iter().enumerate() {
        let y = 60 + i * 17;
        let _ = write!(
            o,
            "<rect x=\"10\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"28\" y=\"{}\">{label}: {n}</text>",
            y,
            y + 10
        );
    }
    o.push_str("</svg></div>\n");
}

/// Findings by severity, with the previous bundle's beside them when there is one.
fn severity_chart(o: &mut String, b: &Bundle) {
    let now = b.summary.findings.rows();
    let prev = b.trend.as_ref().map(|t| t.previous_findings.rows());
    let max = now
        .iter()
        .chain(prev.iter().flatten())
        .map(|r| r.1)
        .max()
        .unwrap_or(0);
    let height = 120.0;
    let _ = write!(
        o,
        "<div class=\"chart\"><h3>Findings by severity{}</h3><svg id=\"chart-severity\" role=\"img\" aria-label=\"Findings by severity\" width=\"360\" height=\"200\" viewBox=\"0 0 360 200\">",
        if prev.is_some() {
            " (previous in grey)"
        } else {
            ""
        }
    );
    for (i, (name, n)) in now.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let x0 = 14.0 + (i as f64) * 68.0;
        if let Some(p) = prev.as_ref().and_then(|p| p.get(i)) {
            let h = bar(p.1, max, height);
            let _ = write!(
                o,
                "<rect x=\"{x0}\" y=\"{}\" width=\"22\" height=\"{h}\" fill=\"{GREY}\"><title>previous {name}: {}</title></rect><text class=\"muted\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                24.0 + height - h,
                p.1,
                x0 + 11.0,
                20.0 + height - h,
                p.1
            );
        }
        let x = if prev.is_some() { x0 + 26.0 } else { x0 + 10.0 };
        let h = bar(*n, max, height);
        let _ = write!(
            o,
            "<rect x=\"{x}\" y=\"{}\" width=\"26\" height=\"{h}\" fill=\"{}\"><title>{name}: {n}</title></rect><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" data-metric=\"severity-{name}\">{n}</text><text class=\"muted\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{name}</text>",
            24.0 + height - h,
            severity_colour(name),
            x + 13.0,
            20.0 + height - h,
            x0 + 24.0,
            height + 42.0
        );
    }
    o.push_str("</svg></div>\n");
}

/// Failing findings per failed control, most first (at most 15 bars).
fn control_chart(o: &mut String, b: &Bundle) {
    let by_id = b.findings_by_id();
    let weight = |c: &ControlResult| -> usize {
        c.findings
            .iter()
            .filter_map(|id| by_id.get(id.as_str()))
            .map(|f| f.count)
            .sum()
    };
    let mut rows: Vec<(String, usize)> = b
        .controls
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| (format!("{} {}", c.framework, c.id), weight(c)))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let shown = rows.len().min(15);
    let max = rows.first().map_or(0, |r| r.1);
    let svg_height = 30 + shown * 22;
    let _ = write!(
        o,
        "<div class=\"chart\"><h3>Failing findings by control</h3><svg id=\"chart-controls\" role=\"img\" aria-label=\"Failing findings by control\" width=\"420\" height=\"{svg_height}\" viewBox=\"0 0 420 {svg_height}\">"
    );
    if rows.is_empty() {
        o.push_str("<text x=\"10\" y=\"20\">No control fails.</text>");
    }
    for (i, (label, n)) in rows.iter().take(shown).enumerate() {
        let y = 10 + i * 22;
        let w = bar(*n, max, 230.0).max(2.0);
        let _ = write!(
            o,
            "<text x=\"150\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"156\" y=\"{y}\" width=\"{w}\" height=\"16\" fill=\"{FAIL}\"><title>{}: {n}</title></rect><text x=\"{}\" y=\"{}\">{n}</text>",
            y + 12,
            esc(label),
            esc(label),
            160.0 + w,
            y + 12
        );
    }
    if rows.len() > shown {
        let _ = write!(
            o,
            "<text class=\"muted\" x=\"10\" y=\"{}\">… and {} more failed controls</text>",
            10 + shown * 22 + 12,
            rows.len() - shown
        );
    }
    o.push_str("</svg></div>\n");
}

fn run_section(o: &mut String, b: &Bundle) {
    let r = &b.run;
    let mut rows: Vec<(&str, String)> = vec![
        (
            "Tool",
            format!(
                "{} {} (commit {})",
                esc(&r.tool),
                esc(&r.version),
                esc(&r.commit)
            ),
        ),
        (
            "Policy bundle SHA-256",
            format!("<code>{}</code>", esc(&r.policies_sha256)),
        ),
        (
            "Control mappings SHA-256",
            format!("<code>{}</code>", esc(&r.controls_sha256)),
        ),
    ];
    if let Some(h) = &r.config_sha256 {
        rows.push((
            "Configuration",
            format!(
                "{} <code>{}</code>",
                esc(r.config_file.as_deref().unwrap_or("")),
                esc(h)
            ),
        ));
    }
    rows.push((
        "Window",
        r.window.as_ref().map_or_else(
            || "not set".to_owned(),
            |w| format!("{} to {}", esc(&w.start), esc(&w.end)),
        ),
    ));
    rows.push(("Frameworks", esc(&r.frameworks.join(", "))));
    rows.push((
        "Started / finished",
        format!("{} / {}", esc(&r.started), esc(&r.finished)),
    ));
    rows.push((
        "Run by",
        format!(
            "{} on {}",
            esc(r.user.as_deref().unwrap_or("—")),
            esc(r.host.as_deref().unwrap_or("—"))
        ),
    ));
    o.push_str("<section><h2>Run</h2><dl class=\"run\">");
    for (k, v) in rows {
        let _ = write!(o, "<dt>{k}</dt><dd>{v}</dd>");
    }
    o.push_str("</dl><p class=\"sub\">The bundle's own SHA-256 is in <code>bundle.json.sha256</code> beside it.</p></section>\n");
    if let Some(t) = &b.trend {
        let _ = write!(
            o,
            "<section><h2>Trend</h2><p>Against the bundle of {} (SHA-256 <code>{}</code>): failing controls {} → <span data-metric=\"trend-controls-fail\">{}</span>, findings {} → {}.</p>",
            esc(&t.previous_started),
            esc(&t.previous_sha256),
            t.previous_controls.fail,
            b.summary.controls.fail,
            t.previous_findings.total,
            b.summary.findings.total
        );
        for (label, list) in [
            ("Newly failing", &t.newly_failing),
            ("No longer failing", &t.no_longer_failing),
        ] {
            if !list.is_empty() {
                let _ = write!(o, "<p>{label}: {}</p>", esc(&list.join(", ")));
            }
        }
        o.push_str("</section>\n");
    }
}

fn controls_section(o: &mut String, b: &Bundle) {
    o.push_str("<section><h2>Controls</h2>");
    for fw in &b.frameworks {
        let _ = write!(
            o,
            "<h3>{} ({})</h3><table><thead><tr><th>Requirement</th><th>Title</th><th>Status</th><th class=\"num\">Failing findings</th><th class=\"num\">Tested in</th><th>Manual procedure</th></tr></thead><tbody>",
            esc(&fw.name),
            esc(&fw.version)
        );
        for c in b.controls.iter().filter(|c| c.framework == fw.framework) {
            let _ = write!(
                o,
                "<tr id=\"control-{}-{}\"><td>{}</td><td>{}</td><td class=\"st {}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                esc(&c.framework),
                esc(&c.id.replace(' ', "_")),
                esc(&c.id),
                esc(&c.title),
                c.status.as_str(),
                c.status.as_str(),
                c.findings.len(),
                c.tested_in.len(),
                esc(c.procedure.as_deref().unwrap_or(""))
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>\n");
}

fn failed_section(o: &mut String, b: &Bundle) {
    let by_id = b.findings_by_id();
    let failed: Vec<&ControlResult> = b
        .controls
        .iter()
        .filter(|c| c.status == Status::Fail)
        .collect();
    if failed.is_empty() {
        return;
    }
    o.push_str("<section><h2>Failed controls: the evidence</h2>");
    for c in failed {
        let _ = write!(
            o,
            "<h3>{} {} — {}</h3><table><thead><tr><th>Finding</th><th>Rule</th><th>Severity</th><th>Where</th><th>Evidence SHA-256</th></tr></thead><tbody>",
            esc(&c.framework),
            esc(&c.id),
            esc(&c.title)
        );
        for id in &c.findings {
            if let Some(f) = by_id.get(id.as_str()) {
                let _ = write!(
                    o,
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td class=\"hash\">{}</td></tr>",
                    esc(&f.id),
                    esc(&f.rule_id),
                    esc(&f.severity),
                    esc(&place(&f.path, f.line)),
                    esc(f.evidence_sha256.as_deref().unwrap_or("—"))
                );
            }
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>\n");
}

fn checks_section(o: &mut String, b: &Bundle) {
    if b.checks.is_empty() {
        return;
    }
    o.push_str("<section><h2>Verifications</h2>");
    for c in &b.checks {
        let _ = write!(
            o,
            "<h3>{} <code>{}</code>: <span class=\"st {}\">{}</span></h3><p>{}</p><ul>",
            esc(&c.id),
            esc(&c.subject),
            esc(&c.verdict),
            esc(&c.verdict.to_uppercase()),
            esc(&c.summary)
        );
        if let Some(n) = c.records {
            let _ = write!(o, "<li>records: {n}</li>");
        }
        if let Some(r) = &c.merkle_root {
            let _ = write!(o, "<li>Merkle root: <code>{}</code></li>", esc(r));
        }
        if let Some(t) = c.trusted_size {
            let _ = write!(o, "<li>covered by a trusted checkpoint: {t} records</li>");
        }
        o.push_str("</ul>");
        if !c.checkpoints.is_empty() {
            o.push_str("<table><thead><tr><th>Checkpoint</th><th>Origin</th><th class=\"num\">Size</th><th>Root</th><th>Signature</th><th>Root matches</th></tr></thead><tbody>");
            for cp in &c.checkpoints {
                let _ = write!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"hash\">{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&cp.source),
                    esc(&cp.origin),
                    cp.size,
                    esc(&cp.root),
                    esc(&cp.signature),
                    cp.matches.map_or("n/a", |m| if m { "yes" } else { "NO" })
                );
            }
            o.push_str("</tbody></table>");
        }
    }
    o.push_str("</section>\n");
}

fn scope_section(o: &mut String, b: &Bundle) {
    o.push_str("<section><h2>Scope</h2><table><thead><tr><th>Item</th><th>Status</th><th>Git commit</th><th class=\"num\">Files</th><th class=\"num\">Findings</th><th class=\"num\">Failing</th><th class=\"num\">Passed over</th></tr></thead><tbody>");
    for s in &b.scope {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td class=\"hash\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&s.key),
            esc(&s
                .error
                .as_ref()
                .map_or_else(|| s.status.clone(), |e| format!("ERROR: {e}"))),
            esc(s.git_commit.as_deref().unwrap_or("—")),
            s.files_scanned,
            s.findings,
            s.failing,
            s.notes.len()
        );
    }
    o.push_str("</tbody></table></section>\n");
}

fn findings_section(o: &mut String, b: &Bundle) {
    if b.findings.is_empty() {
        return;
    }
    o.push_str("<section><h2>Findings</h2><table><thead><tr><th>Finding</th><th>Rule</th><th>Severity</th><th>Fails</th><th>Where</th><th>Message</th></tr></thead><tbody>");
    for f in &b.findings {
        let _ = write!(
            o,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&f.id),
            esc(&f.rule_id),
            esc(&f.severity),
            if f.failing { "yes" } else { "no" },
            esc(&place(&f.path, f.line)),
            esc(&f.message)
        );
    }
    o.push_str("</tbody></table></section>\n");
}

fn evidence_section(o: &mut String, b: &Bundle) {
    o.push_str("<section><h2>Evidence</h2><table><thead><tr><th>Scope</th><th>Role</th><th>Path</th><th>SHA-256 / object version</th><th class=\"num\">Bytes</th></tr></thead><tbody>");
    for e in &b.evidence {
        let id = match (&e.sha256, &e.s3) {
            (Some(h), _) => h.clone(),
            (None, Some(s)) => format!(
                "version {} ETag {}",
                s.version_id.as_deref().unwrap_or("—"),
                s.etag.as_deref().unwrap_or("—")
            ),
            (None, None) => format!("unreadable: {}", e.error.as_deref().unwrap_or("—")),
        };
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"hash\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&e.scope),
            esc(&e.role),
            esc(&e.path),
            esc(&id),
            e.size.map_or_else(|| "—".into(), |s| s.to_string())
        );
    }
    o.push_str("</tbody></table></section>\n");
}

fn inputs_section(o: &mut String, b: &Bundle) {
    if b.inputs.is_empty() && b.conflicts.is_empty() {
        return;
    }
    o.push_str("<section><h2>Merged inputs</h2><table><thead><tr><th>Bundle</th><th>SHA-256</th><th>Shard</th><th>Started</th><th class=\"num\">Scope items</th></tr></thead><tbody>");
    for i in &b.inputs {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"hash\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            esc(&i.file),
            esc(&i.sha256),
            i.shard.map_or_else(|| "—".into(), |s| s.to_string()),
            esc(&i.started),
            i.scope_items
        );
    }
    o.push_str("</tbody></table>");
    if !b.conflicts.is_empty() {
        o.push_str("<h3>Conflicts</h3><ul>");
        for c in &b.conflicts {
            let _ = write!(o, "<li>{}: {}</li>", esc(&c.field), esc(&c.detail));
        }
        o.push_str("</ul>");
    }
    o.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_attributes() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn the_policy_names_the_stylesheet_by_hash_and_allows_nothing_else() {
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none'; style-src 'sha256-"));
        assert!(!csp.contains("unsafe"));
    }
}
