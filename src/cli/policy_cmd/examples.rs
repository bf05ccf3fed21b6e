//! Examples for rule pages (`custos policy explain`, docs/rules.md): for a bundled Rego rule,
//! short excerpts of its fixtures (`fixtures/rules/<ID>/{fail,pass}/`, embedded in the binary)
//! around the lines the fixture marks as flagged; for a secret rule, one of its true-positive
//! samples with the secret masked; for a PII entity, what the detector checks.
//!
//! Nothing shown here contains a full credential: flagged lines of rules whose metadata says
//! `sensitive` have their value masked with [`crate::detect::mask`], every line of every
//! excerpt and sample has what the secret detector finds in it masked too, and samples also
//! every credential-shaped token.

use serde::Serialize;

use crate::detect::{high_entropy_tokens, mask, pii, secrets};

/// One embedded fixture file.
pub struct Fixture {
    /// Path below `fixtures/rules/<ID>/{fail,pass}/`.
    pub path: &'static str,
    pub text: &'static str,
}

/// The fixtures a bundled rule's example is cut from.
pub struct RuleExample {
    pub rule: &'static str,
    pub fail: Fixture,
    /// `expect.txt` of the fail directory, for fixtures that cannot carry a comment (JSON, …).
    pub expect: Option<&'static str>,
    /// A pass fixture and the text of the line to centre its excerpt on.
    pub pass: Option<(Fixture, &'static str)>,
}

macro_rules! fixture {
    ($id:literal, $dir:literal, $file:literal) => {
        Fixture {
            path: $file,
            text: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/fixtures/rules/",
                $id,
                "/",
                $dir,
                "/",
                $file
            )),
        }
    };
}

macro_rules! example {
    ($id:literal, $fail:literal, pass: $pass:literal at $anchor:literal) => {
        RuleExample {
            rule: $id,
            fail: fixture!($id, "fail", $fail),
            expect: None,
            pass: Some((fixture!($id, "pass", $pass), $anchor)),
        }
    };
    ($id:literal, $fail:literal, expect, pass: $pass:literal at $anchor:literal) => {
        RuleExample {
            rule: $id,
            fail: fixture!($id, "fail", $fail),
            expect: Some(include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/fixtures/rules/",
                $id,
                "/fail/expect.txt"
            ))),
            pass: Some((fixture!($id, "pass", $pass), $anchor)),
        }
    };
}

/// The example of every bundled rule (a test checks that each one has one, and that each
/// excerpt shows a flagged line).
pub static RULE_EXAMPLES: &[RuleExample] = &[
    example!("AF001", "warehouse_sync.py", pass: "templated.py" at "default_args"),
    example!("AF002", "conns.py", pass: "conns.py" at "DOCS_EXAMPLE"),
    example!("AF003", "bucket_args.py", pass: "bucket_args.py" at "bucket"),
    example!("AF004", "lookups.py", pass: "lookups.py" at "Variable.get"),
    example!("AFC001", "airflow.cfg", expect, pass: "airflow.cfg" at "[secrets]"),
    example!("BKT001", "pipeline.yaml", pass: "pipeline.yaml" at "bucket"),
    example!("CFG001", "app.yaml", pass: "app.yaml" at "password"),
    example!("CFN001", "stack.yaml", pass: "stack.yaml" at "Type: AWS::S3::Bucket"),
    example!("CI001", ".github/workflows/release.yml", pass: ".github/workflows/release.yml" at "secrets."),
    example!("CI002", ".gitlab-ci.yml", pass: ".gitlab-ci.yml" at "script"),
    example!("K8S001", "scorer.yaml", pass: "scorer.yaml" at "env:"),
    example!("LOG001", "access.jsonl", expect, pass: "access.jsonl" at "\"request_id\""),
    example!("LOG002", "access.jsonl", expect, pass: "access.jsonl" at "\"request_id\""),
    example!("LOG003", "access.jsonl", expect, pass: "access.log" at "HTTP/1.1"),
    example!("LOG004", "access.jsonl", expect, pass: "access.jsonl" at "\"request_id\""),
    example!("LOG005", "access.log", expect, pass: "access.log" at "HTTP/1.1"),
    example!("LOG006", "access.jsonl", expect, pass: "access.jsonl" at "\"request_id\""),
    example!("LOG007", "access.jsonl", expect, pass: "access.jsonl" at "\"request_id\""),
    example!("LOG008", "access.jsonl", expect, pass: "access.jsonl" at "\"request_id\""),
    example!("LOG009", "access.log", expect, pass: "access.jsonl" at "\"request_id\""),
    example!("S3B000", "seaweedfs-bucket.s3-bucket.json", expect, pass: "acme-data.s3-bucket.json" at "\"public_access_block\""),
    example!("S3B001", "plain.s3-bucket.json", expect, pass: "acme-data.s3-bucket.json" at "\"encryption\""),
    example!("S3B002", "sse-s3.s3-bucket.json", expect, pass: "acme-data.s3-bucket.json" at "\"algorithm\""),
    example!("S3B003", "unversioned.s3-bucket.json", expect, pass: "acme-data.s3-bucket.json" at "\"versioning\""),
    example!("S3B004", "unlocked-audit.s3-bucket.json", expect, pass: "locked-audit.s3-bucket.json" at "\"mode\""),
    example!("S3B005", "partial-block.s3-bucket.json", expect, pass: "acme-data.s3-bucket.json" at "\"block_public_policy\""),
    example!("S3B006", "public-read.s3-bucket.json", expect, pass: "acme-data.s3-bucket.json" at "\"public_statements\""),
    example!("S3B007", "no-tls-deny.s3-bucket.json", expect, pass: "acme-data.s3-bucket.json" at "\"tls_only\""),
    example!("S3B008", "no-logging.s3-bucket.json", expect, pass: "acme-data.s3-bucket.json" at "\"logging\""),
    example!("S3L001", "deleted.s3-audit-log.json", expect, pass: "clean.s3-audit-log.json" at "\"delete_markers\""),
    example!("S3L002", "overwritten.s3-audit-log.json", expect, pass: "clean.s3-audit-log.json" at "\"overwritten\""),
    example!("S3L003", "gap.s3-audit-log.json", expect, pass: "clean.s3-audit-log.json" at "\"digest_gaps\""),
    example!("SEC025", "db-secret.yaml", pass: "sealed.yaml" at "apiVersion: bitnami.com"),
    example!("TF001", "providers.tf", pass: "providers.tf" at "provider"),
    example!("TF002", "buckets.tf", pass: "buckets.tf" at "aws_s3_bucket_server_side_encryption_configuration\" \"curated"),
    example!("TF003", "buckets.tf", pass: "buckets.tf" at "aws_s3_bucket_server_side_encryption_configuration\" \"events"),
    example!("TF004", "buckets.tf", pass: "buckets.tf" at "aws_s3_bucket\" \"site"),
    example!("TF005", "buckets.tf", pass: "buckets.tf" at "aws_s3_bucket_versioning\" \"scratch"),
    example!("TF006", "buckets.tf", pass: "buckets.tf" at "aws_s3_bucket_logging"),
    example!("TF007", "buckets.tf", pass: "buckets.tf" at "object_lock"),
    example!("TF008", "trail.tf", pass: "trail.tf" at "aws_cloudtrail"),
    example!("TF009", "databases.tf", pass: "stores.tf" at "encrypted"),
    example!("TF010", "secrets.tf", pass: "secrets.tf" at "password"),
    example!("TF011", "keys.tf", pass: "keys.tf" at "kms_key"),
    example!("TF012", "keys.tf", pass: "keys.tf" at "enable_key_rotation"),
    example!("TF013", "transit.tf", pass: "transit.tf" at "encryption_in_transit"),
];

/// Lines shown before the flagged line at most, and in all.
const MAX_BEFORE: usize = 6;
const MAX_LINES: usize = 12;

/// A few lines of a fixture.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Excerpt {
    /// Repository-relative path of the fixture.
    pub path: String,
    /// Fenced-code language (`hcl`, `yaml`, `python` …).
    pub language: &'static str,
    /// 1-based number of the first line shown.
    pub first_line: usize,
    /// 1-based numbers of the lines the rule flags.
    pub flagged: Vec<usize>,
    /// The lines, marker comments removed, values masked.
    pub text: String,
}

/// A rule's example.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Example {
    /// A bundled rule: a fixture it flags and, when there is one, a fixture it accepts.
    Fixtures {
        flagged: Excerpt,
        accepted: Option<Excerpt>,
    },
    /// A secret rule: a line it flags (the secret masked) and a line it does not.
    Samples {
        flagged: String,
        accepted: Option<String>,
    },
    /// A PII entity: what makes a match count.
    Checks { checks: &'static str },
}

/// The example of rule `id`, when it has one. `sensitive`: the rule's flagged values are
/// secrets (its metadata says so).
pub fn example(id: &str, sensitive: bool) -> Option<Example> {
    if let Some(e) = RULE_EXAMPLES.iter().find(|e| e.rule == id) {
        return Some(fixture_example(e, sensitive));
    }
    if let Some(r) = secrets::rule(id) {
        return secret_example(r);
    }
    pii::ENTITIES
        .iter()
        .find(|e| e.1 == id)
        .map(|e| Example::Checks {
            checks: pii_checks(e.0),
        })
}

fn fixture_example(e: &RuleExample, sensitive: bool) -> Example {
    let lines: Vec<&str> = e.fail.text.lines().collect();
    let flagged = flagged_lines(e, &lines);
    let focus = flagged.first().copied().unwrap_or(0);
    let fail = excerpt(
        &format!("fixtures/rules/{}/fail/{}", e.rule, e.fail.path),
        &lines,
        focus,
        &flagged,
        sensitive,
    );
    let pass = e.pass.as_ref().map(|(f, anchor)| {
        let lines: Vec<&str> = f.text.lines().collect();
        let focus = lines.iter().position(|l| l.contains(anchor)).unwrap_or(0);
        excerpt(
            &format!("fixtures/rules/{}/pass/{}", e.rule, f.path),
            &lines,
            focus,
            &[],
            false,
        )
    });
    Example::Fixtures {
        flagged: fail,
        accepted: pass,
    }
}

/// 0-based lines of the fail fixture marked as flagged by this rule: a `custos-expect: ID`
/// comment on the line, or `file:line ID` in `expect.txt`.
fn flagged_lines(e: &RuleExample, lines: &[&str]) -> Vec<usize> {
    let mut out: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            l.split_once("custos-expect:")
                .is_some_and(|(_, rest)| rest.split(',').any(|r| r.trim() == e.rule))
        })
        .map(|(i, _)| i)
        .collect();
    for line in e.expect.unwrap_or_default().lines() {
        let Some((loc, rule)) = line.split_once(' ') else {
            continue;
        };
        let Some((file, n)) = loc.rsplit_once(':') else {
            continue;
        };
        if rule.trim() == e.rule && file == e.fail.path {
            if let Some(n) = n.parse::<usize>().ok().and_then(|n| n.checked_sub(1)) {
                out.push(n);
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#') || t.starts_with("//")
}

/// A line that only closes brackets (`}`, `)`, `]`, `})` …).
fn is_closing(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.chars().all(|c| matches!(c, '}' | ')' | ']' | ',' | ';'))
}

/// The lines around `focus`: the whole file when it is short; else back to the top-level
/// statement it belongs to (when that is near), forward over what is nested below it and a
/// closing bracket, and over adjacent lines when that leaves fewer than three.
fn window(lines: &[&str], focus: usize) -> (usize, usize) {
    let Some(line) = lines.get(focus) else {
        return (0, 0);
    };
    if lines.len() <= MAX_LINES {
        let end = lines
            .iter()
            .rposition(|l| !l.trim().is_empty())
            .unwrap_or(0);
        return (0, end.max(focus));
    }
    let lowest = focus.saturating_sub(MAX_BEFORE);
    let statement = (lowest..=focus).rev().find(|&i| {
        lines
            .get(i)
            .is_some_and(|l| indent(l) == 0 && !is_blank_or_comment(l))
    });
    let start = statement.unwrap_or_else(|| {
        let mut s = focus.saturating_sub(3);
        while s < focus && lines.get(s).is_some_and(|l| l.trim().is_empty()) {
            s += 1;
        }
        s
    });
    // Inside a top-level statement, show it to its end; else what is nested below the focus.
    let own = if statement.is_some() { 0 } else { indent(line) };
    let mut end = focus;
    for (i, l) in lines.iter().enumerate().skip(focus + 1) {
        if i + 1 - start > MAX_LINES || l.trim().is_empty() {
            break;
        }
        if indent(l) > own {
            end = i;
            continue;
        }
        if is_closing(l) {
            end = i;
        }
        break;
    }
    let (mut start, mut end) = (start, end);
    // Whole top-level statements that follow, while they fit (a bucket and the sibling
    // resources that configure it).
    if statement.is_some() {
        while let Some(next) = (end + 1..lines.len()).find(|&i| !lines[i].trim().is_empty()) {
            if indent(lines[next]) != 0 {
                break;
            }
            let next_end = statement_end(lines, next);
            if next_end + 1 - start > MAX_LINES {
                break;
            }
            end = next_end;
        }
    }
    let filled = |i: usize| lines.get(i).is_some_and(|l| !l.trim().is_empty());
    if end - start < 2 {
        for _ in 0..2 {
            if start > 0 && filled(start - 1) {
                start -= 1;
            }
            if filled(end + 1) {
                end += 1;
            }
        }
    }
    (start, end)
}

/// The last line of the top-level statement that starts at `start`: before a blank line or
/// the next top-level line, or at a top-level closing bracket.
fn statement_end(lines: &[&str], start: usize) -> usize {
    let mut end = start;
    for (i, l) in lines.iter().enumerate().skip(start + 1) {
        if l.trim().is_empty() {
            break;
        }
        if indent(l) > 0 {
            end = i;
            continue;
        }
        if is_closing(l) {
            end = i;
        }
        break;
    }
    end
}

/// Drop a `custos-expect` marker comment from a fixture line.
fn strip_marker(line: &str) -> &str {
    let Some(at) = line.find("custos-expect:") else {
        return line;
    };
    let before = line[..at].trim_end();
    let cut = before
        .strip_suffix('#')
        .or_else(|| before.strip_suffix("//"))
        .unwrap_or(before);
    cut.trim_end()
}

fn excerpt(
    path: &str,
    lines: &[&str],
    focus: usize,
    flagged: &[usize],
    sensitive: bool,
) -> Excerpt {
    let (start, end) = window(lines, focus);
    let mut text = String::new();
    for (i, line) in lines.iter().enumerate().take(end + 1).skip(start) {
        let mut shown = mask_detected(strip_marker(line));
        if sensitive && flagged.contains(&i) {
            shown = mask_value(&shown);
        }
        text.push_str(&shown);
        text.push('\n');
    }
    Excerpt {
        path: path.to_owned(),
        language: language(path),
        first_line: start + 1,
        flagged: flagged
            .iter()
            .filter(|&&i| (start..=end).contains(&i))
            .map(|i| i + 1)
            .collect(),
        text,
    }
}

fn language(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "tf" | "hcl" => "hcl",
        "py" => "python",
        "yaml" | "yml" => "yaml",
        "json" => "json",
        "cfg" | "ini" => "ini",
        _ => "text",
    }
}

/// `line` with every secret the detector finds in it masked ([`mask`] keeps byte lengths, so
/// the ranges stay valid).
fn mask_detected(line: &str) -> String {
    mask_ranges(
        line,
        secrets::scan(line, secrets::Context::Config)
            .into_iter()
            .map(|d| d.start..d.end),
    )
}

/// [`mask_detected`], and every token random enough to be a credential masked too: for
/// detector samples, which are made to look like secrets. (Not for fixture excerpts, where it
/// would mask identifiers such as `bitnami.com/v1alpha1`.)
fn mask_samples(line: &str) -> String {
    mask_ranges(&mask_detected(line), high_entropy_tokens(line).into_iter())
}

fn mask_ranges(line: &str, found: impl Iterator<Item = std::ops::Range<usize>>) -> String {
    let mut out = line.to_owned();
    for r in found {
        if let Some(v) = line.get(r.clone()) {
            out.replace_range(r, &mask(v));
        }
    }
    out
}

/// `line` with the value it sets masked: its last quoted string, or else what follows the
/// first `: ` or `=`.
fn mask_value(line: &str) -> String {
    if let Some((s, e)) = last_quoted(line) {
        let mut out = line.to_owned();
        out.replace_range(s..e, &mask(&line[s..e]));
        return out;
    }
    let at = [
        line.find(": ").map(|i| i + 2),
        line.find('=').map(|i| i + 1),
    ]
    .into_iter()
    .flatten()
    .min();
    let Some(at) = at else {
        return mask(line);
    };
    let value = line[at..].trim();
    if value.is_empty() {
        return line.to_owned();
    }
    let s = at + (line[at..].len() - line[at..].trim_start().len());
    let mut out = line.to_owned();
    out.replace_range(s..s + value.len(), &mask(value));
    out
}

/// Byte range (quotes included) of the last quoted string in `line`.
fn last_quoted(line: &str) -> Option<(usize, usize)> {
    let mut last = None;
    let mut open: Option<(usize, char)> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match open {
            Some((s, q)) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    last = Some((s, i + c.len_utf8()));
                    open = None;
                }
            }
            None if matches!(c, '"' | '\'') => open = Some((i, c)),
            None => {}
        }
    }
    last
}

/// A true-positive sample of a secret rule with what the detector finds masked, and a
/// false-positive sample that has nothing to mask.
fn secret_example(r: &secrets::SecretRule) -> Option<Example> {
    let flagged = r.tps.iter().find_map(|tp| {
        let found = secrets::scan(tp, secrets::Context::Config);
        found
            .iter()
            .any(|d| d.rule == r.id)
            .then(|| mask_samples(tp))
    })?;
    // A line the rule accepts, shown only when it needs no masking (a placeholder, a known
    // example): a masked one would say nothing.
    let accepted = r
        .fps
        .iter()
        .find(|fp| mask_samples(fp) == **fp)
        .map(|fp| (*fp).to_owned());
    Some(Example::Samples { flagged, accepted })
}

/// What the PII detector checks for an entity.
fn pii_checks(e: pii::Entity) -> &'static str {
    use pii::Entity;
    match e {
        Entity::Email => "An address of the form `local@domain.tld`. Addresses at reserved example domains (`example.com`, `.test`, `.invalid`, `.localhost`, `.local`) and SSH users such as `git@host` are not reported.",
        Entity::Phone => "An international number (`+` and a country code, 8–15 digits) or a North American number written `(555) 123-4567`. A bare `555-123-4567` or a national number with a leading zero (`07700 900123`, `030 1234567`) counts only when a word such as phone, tel, mobile, call, fax or contact stands just before it.",
        Entity::CreditCard => "13–19 digits, in groups as cards are printed, that pass the Luhn checksum and start with a known issuer's range (Visa, Mastercard, American Express, Discover, …). Digit runs glued to letters (request ids, hashes) are not cards.",
        Entity::UsSsn => "`AAA-GG-SSSS` (dashes or spaces, the same separator twice) with a valid area (not 000, 666 or 900–999), group (not 00) and serial (not 0000).",
        Entity::Iban => "A country code, two check digits and the account number, with the length that country's IBANs have and a valid mod-97 checksum.",
        Entity::IpAddress => "An IPv4 or IPv6 address (not part of a longer dotted number such as a version). Off by default: enable it with `[pii] entities` for the logs where an address is personal data.",
        Entity::UkNhs => "Ten digits (`943 476 5919`) with a valid mod-11 check digit, reported only when `NHS` or `national health` is written just before them.",
        Entity::CryptoWallet => "A Bitcoin address (base58check or bech32 with valid checksums) or an Ethereum address (mixed case with a valid EIP-55 checksum; all lower case only after a word such as wallet or address).",
        Entity::UsPassport => "Eight or nine digits, optionally after a letter, reported only when `passport` is written just before them.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_masked_on_flagged_lines() {
        assert_eq!(
            mask_value(r#"  "db_password": "Wareh0use!2024","#),
            r#"  "db_password": "War***********","#
        );
        assert_eq!(mask_value("  password: admin"), "  password: a****");
        assert_eq!(
            mask_value("  access_key = AKIA2E0A8F3B244C9986"),
            "  access_key = AKIA****************"
        );
        assert_eq!(
            mask_value(r#"extra='{"api_key": "k-3f9a8b7c6d5e"}')"#),
            r#"extra='{"ap*************************')"#
        );
    }

    #[test]
    fn markers_are_stripped() {
        assert_eq!(
            strip_marker("resource \"a\" \"b\" { # custos-expect: TF002"),
            "resource \"a\" \"b\" {"
        );
        assert_eq!(strip_marker("x = 1 // custos-expect: X"), "x = 1");
        assert_eq!(strip_marker("plain"), "plain");
        assert_eq!(
            strip_marker(r#"args: ["s3a://b/"] # custos-expect: BKT001"#),
            r#"args: ["s3a://b/"]"#
        );
    }

    #[test]
    fn the_window_holds_the_statement_around_the_focus() {
        let mut lines = vec!["a = {", "  b: 1,", "  c: 2,", "}", "", "d = 1", "e = 2"];
        assert_eq!(window(&lines, 2), (0, 6), "a short file is shown whole");
        lines.extend(["", "f = {"]);
        lines.extend(["  x: 1,"; MAX_LINES]);
        lines.extend(["}", "y = 0", "z = 1"]);
        // The statement, and the following ones while they fit.
        assert_eq!(window(&lines, 2), (0, 6));
        assert_eq!(window(&lines, 0), (0, 6));
        assert_eq!(window(&lines, 5), (5, 6));
        // A one-line statement gets its neighbours.
        let last = lines.len() - 1;
        assert_eq!(window(&lines, last), (last - 2, last));
        let deep: Vec<String> = (0..20).map(|i| format!("{}x{i}", " ".repeat(i))).collect();
        let deep: Vec<&str> = deep.iter().map(String::as_str).collect();
        let (s, e) = window(&deep, 15);
        assert!(s < 15 && e >= 15 && e + 1 - s <= MAX_LINES, "{s}..{e}");
    }

    #[test]
    fn every_secret_rule_shows_a_masked_flagged_sample() {
        for r in secrets::RULES {
            let Some(Example::Samples { flagged, .. }) = example(r.id, false) else {
                panic!("{}: no sample", r.id);
            };
            assert!(flagged.contains("***"), "{}: {flagged}", r.id);
            // No value the detector finds in any sample survives in what is shown.
            for tp in r.tps {
                for d in secrets::scan(tp, secrets::Context::Config) {
                    let value = &tp[d.start..d.end];
                    assert!(!flagged.contains(value), "{}: {value:?} shown", r.id);
                }
            }
        }
    }

    #[test]
    fn every_pii_entity_has_its_checks_described() {
        for (_, id, _, _) in pii::ENTITIES {
            assert!(
                matches!(example(id, false), Some(Example::Checks { .. })),
                "{id}"
            );
        }
    }

    #[test]
    fn every_fixture_example_shows_a_flagged_line() {
        for e in RULE_EXAMPLES {
            let Example::Fixtures { flagged, accepted } = example(e.rule, true).unwrap() else {
                panic!("{}", e.rule);
            };
            assert!(
                !flagged.flagged.is_empty(),
                "{}: no flagged line shown",
                e.rule
            );
            assert!(flagged.text.lines().count() <= MAX_LINES, "{}", e.rule);
            assert!(!flagged.text.contains("custos-expect"), "{}", e.rule);
            let (pass, anchor) = e.pass.as_ref().unwrap();
            assert!(
                pass.text.contains(anchor),
                "{}: pass fixture {} has no `{anchor}`",
                e.rule,
                pass.path
            );
            assert!(
                accepted.is_some_and(|a| a.text.contains(anchor)),
                "{}",
                e.rule
            );
        }
    }
}
