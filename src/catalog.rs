//! The rule catalog, built once: every rule a run can report, from the one place each is
//! defined — Rego `metadata` for policy rules, the secret table ([`crate::detect::secrets`]),
//! the PII entity table ([`crate::detect::pii`]) and custos's own rules ([`BUILTIN_RULES`],
//! [`CHAIN_RULES`]). Findings carry only a rule id; titles, remediation and controls come from
//! here for every output (`scan`, `policy list`, `policy explain`, SARIF rules …), so they
//! cannot disagree.

use sha2::{Digest, Sha256};

use crate::detect::{self, pii, secrets};
use crate::document::Kind;
use crate::finding::Severity;
use crate::policy::{RuleMeta, BUILTIN_RULES};
use crate::report::{Catalog, Origin, RuleInfo};

/// Rules of audit-log verification (`chain verify`, `cloudtrail verify`): id, title, severity.
pub const CHAIN_RULES: &[(&str, &str, Severity)] = &[
    (
        "chain-tampered",
        "Audit log does not match its seal",
        Severity::Critical,
    ),
    (
        "chain-unverifiable",
        "Audit log cannot be verified",
        Severity::High,
    ),
];

const BUILTIN_DESCRIPTIONS: &[(&str, &str, &str)] = &[
    (
        "parse-error",
        "The file could not be parsed, so no rule could check it. A file custos cannot read is never passed silently.",
        "Fix the syntax error at the reported position, or exclude the file in custos.toml if it is not meant to be valid.",
    ),
    (
        "read-error",
        "The file could not be read (permissions, an I/O error, or it changed while being read).",
        "Make the file readable by the user running custos, or exclude it in custos.toml.",
    ),
    (
        "too-large",
        "A file named on the command line was not scanned because it is over the size limit (`max_file_size`, or `max_log_size` for logs), so no rule checked it. A file found by walking a directory gets a note instead.",
        "Raise the limit in custos.toml if the file is meant to be checked, or stop naming it.",
    ),
    (
        "policy-error",
        "A policy failed while evaluating this document (an error in the Rego, or it exceeded its time or memory bound), so the document is not known to comply.",
        "Fix the policy (run `custos policy test`), or raise `policy_timeout_ms` / `policy_memory_limit` in custos.toml if the document is legitimately large.",
    ),
    (
        "waiver-expired",
        "A waiver in custos.toml has passed its expiry date; the findings it covered are reported again.",
        "Fix the findings, or renew the waiver with a new `expires` date and a reason.",
    ),
    (
        "waiver-unused",
        "A waiver in custos.toml matches no finding: the problem was fixed or the waiver's path or rule is wrong.",
        "Remove the waiver, or correct its rule id or path.",
    ),
    (
        "ignore-unknown-rule",
        "An inline `custos:ignore` comment names a rule id custos does not know, so it suppresses nothing.",
        "Correct the rule id (see `custos policy list`), or remove the comment.",
    ),
    (
        "ignore-unused",
        "An inline `custos:ignore` comment suppresses nothing: the rule it names has no finding on the line it covers (the problem was fixed, or the comment is on the wrong line).",
        "Remove the comment, or move it onto the finding's line (or the line above it).",
    ),
    (
        "ignore-without-reason",
        "An inline `custos:ignore` comment gives no `-- reason` while custos.toml requires one (`[suppression] require_reason = true`), so it suppresses nothing.",
        "Add the reason after `--` (`# custos:ignore TF002 -- bucket holds public assets only`).",
    ),
    (
        "chain-tampered",
        "A sealed audit log no longer matches its seal: a record was changed, removed, inserted or reordered, or the seal itself was altered.",
        "Treat the log as compromised: restore it from a trusted copy, investigate who could write it, and keep the verification output as evidence.",
    ),
    (
        "chain-unverifiable",
        "A sealed audit log could not be verified (no seal or digest to check against, a missing key, an unreadable file), so it is neither known intact nor known tampered.",
        "Provide the seal, digest files or public key the log was sealed with, and verify again.",
    ),
];

const LOG_KINDS: [Kind; 3] = [Kind::LogJsonl, Kind::LogNginx, Kind::LogText];

/// The catalog of every Rego rule in `rules` (`PolicySet::rules`) and the detectors, plus
/// custos's own rules.
pub fn build<'a>(rules: impl Iterator<Item = &'a RuleMeta>) -> Catalog {
    let mut c = Catalog::default();
    for m in rules {
        let mut tags: Vec<String> = vec!["security".into(), "compliance".into()];
        tags.extend(m.kinds.iter().map(|k| k.as_str().to_owned()));
        c.insert(RuleInfo {
            id: m.id.clone(),
            title: m.title.clone(),
            severity: m.severity,
            description: m.description.clone(),
            remediation: m.remediation.clone(),
            controls: m.controls.clone(),
            kinds: m.kinds.clone(),
            tags,
            origin: if m.bundled {
                Origin::Bundled
            } else {
                Origin::User
            },
            help_uri: m.help_uri.clone(),
        });
    }
    for r in secrets::RULES {
        let mut info = RuleInfo::new(r.id, r.title, r.severity, Origin::Detector);
        info.description = Some(format!(
            "A hardcoded credential: {} ({}), in any scanned file or log. Values that are placeholders, references to a secret store or known examples are not reported.",
            r.title, r.name
        ));
        info.remediation = Some(detect::SECRET_REMEDIATION.to_owned());
        info.controls = strings(detect::SECRET_CONTROLS);
        info.tags = vec!["security".into(), "secret".into(), r.name.to_owned()];
        c.insert(info);
    }
    for (_, id, name, severity) in pii::ENTITIES {
        let title = detect::title(id);
        let mut info = RuleInfo::new(id, &title, *severity, Origin::Detector);
        info.description = Some(format!(
            "Personal data ({name}) written to a log in clear. Logs are kept long and read widely; personal data in them breaks data minimisation."
        ));
        info.remediation = Some(detect::PII_REMEDIATION.to_owned());
        info.controls = strings(detect::PII_CONTROLS);
        info.kinds = LOG_KINDS.to_vec();
        info.tags = vec![
            "security".into(),
            "privacy".into(),
            "pii".into(),
            name.to_ascii_lowercase(),
        ];
        c.insert(info);
    }
    let builtin = BUILTIN_RULES
        .iter()
        .map(|(id, title)| (*id, *title, builtin_severity(id)))
        .chain(CHAIN_RULES.iter().copied());
    for (id, title, severity) in builtin {
        let mut info = RuleInfo::new(id, title, severity, Origin::Builtin);
        if let Some((_, description, remediation)) =
            BUILTIN_DESCRIPTIONS.iter().find(|(i, _, _)| *i == id)
        {
            info.description = Some((*description).to_owned());
            info.remediation = Some((*remediation).to_owned());
        }
        info.tags = vec!["custos".into()];
        c.insert(info);
    }
    c
}

/// The catalog of custos's own rules only (for reports of commands that load no policies).
pub fn builtin_only() -> Catalog {
    let mut c = Catalog::default();
    for info in build(std::iter::empty()).iter() {
        if info.origin == Origin::Builtin {
            c.insert(info.clone());
        }
    }
    c
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Hex SHA-256 of a file's bytes, `None` when it cannot be read.
pub fn file_sha256(path: &std::path::Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    Some(
        Sha256::digest(&bytes)
            .iter()
            .fold(String::new(), |mut s, b| {
                use std::fmt::Write as _;
                let _ = write!(s, "{b:02x}");
                s
            }),
    )
}

/// The severity custos's own rules are reported at by default (`parse-error` and `read-error`
/// take `parse_error_severity`, High unless configured; see `src/suppress.rs` for the others).
pub fn builtin_severity(id: &str) -> Severity {
    match id {
        "waiver-expired" => Severity::Medium,
        "waiver-unused" | "ignore-unknown-rule" => Severity::Low,
        _ => Severity::High,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_rule_has_a_description_and_remediation() {
        let c = builtin_only();
        for (id, _) in BUILTIN_RULES {
            let r = c.get(id).unwrap();
            assert!(r.description.is_some(), "{id}");
            assert!(r.remediation.is_some(), "{id}");
        }
        for (id, _, _) in CHAIN_RULES {
            assert!(c.get(id).unwrap().description.is_some(), "{id}");
        }
    }

    #[test]
    fn detectors_carry_their_controls() {
        let c = build(std::iter::empty());
        let pii = c.get("PII001").unwrap();
        assert_eq!(pii.controls.len(), detect::PII_CONTROLS.len());
        let sec = c.get("SEC001").unwrap();
        assert_eq!(sec.controls.len(), detect::SECRET_CONTROLS.len());
        assert_eq!(sec.origin, Origin::Detector);
    }
}
