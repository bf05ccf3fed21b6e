//! Control mappings: which framework requirements a rule gives evidence for.
//!
//! The mappings are data, one TOML file per framework under `controls/` in the repository
//! (format in docs/audit.md), embedded in the binary at build time so that an audit never
//! depends on files next to the executable. A requirement lists the rule ids that evidence it;
//! a requirement with no rule is assessed manually and says what the auditor checks
//! (`procedure`). This module parses and checks the files; it knows nothing of findings.

use serde::{Deserialize, Serialize};

/// The embedded mapping files: (file name, text).
const FILES: &[(&str, &str)] = &[
    ("soc2.toml", include_str!("../../controls/soc2.toml")),
    (
        "iso27001.toml",
        include_str!("../../controls/iso27001.toml"),
    ),
    ("gdpr.toml", include_str!("../../controls/gdpr.toml")),
    (
        "nist-800-53.toml",
        include_str!("../../controls/nist-800-53.toml"),
    ),
    (
        "nist-ai-rmf.toml",
        include_str!("../../controls/nist-ai-rmf.toml"),
    ),
    (
        "owasp-llm.toml",
        include_str!("../../controls/owasp-llm.toml"),
    ),
];

/// One framework's mapping file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    /// Short name used on the command line (`--framework soc2`).
    pub framework: String,
    pub name: String,
    pub version: String,
    /// The prefix rules use for this framework in their `controls` metadata (`SOC2:CC6.1`).
    pub prefix: String,
    #[serde(rename = "requirement", default)]
    pub requirements: Vec<Requirement>,
}

/// One requirement (a control, criterion, article or risk) of a framework.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub id: String,
    pub title: String,
    /// Rule ids whose findings are evidence against this requirement; empty = manual.
    #[serde(default)]
    pub rules: Vec<String>,
    /// For a manual requirement: what the auditor checks.
    #[serde(default)]
    pub procedure: Option<String>,
}

impl Requirement {
    /// No rule evidences it: an auditor assesses it by hand.
    pub fn is_manual(&self) -> bool {
        self.rules.is_empty()
    }
}

/// Parse one mapping file, checking what the type system cannot: unique ids, a title, and a
/// procedure for every manual requirement.
pub fn parse(name: &str, text: &str) -> Result<Framework, String> {
    let f: Framework = toml::from_str(text).map_err(|e| format!("controls/{name}: {e}"))?;
    let mut ids: Vec<&str> = f.requirements.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w.first() == w.get(1)) {
        return Err(format!(
            "controls/{name}: requirement {} is listed twice",
            w.first().copied().unwrap_or_default()
        ));
    }
    for r in &f.requirements {
        if r.title.trim().is_empty() {
            return Err(format!(
                "controls/{name}: requirement {} has no title",
                r.id
            ));
        }
        if r.is_manual() && r.procedure.as_deref().is_none_or(|p| p.trim().is_empty()) {
            return Err(format!(
                "controls/{name}: requirement {} has no rules and no manual `procedure`",
                r.id
            ));
        }
    }
    Ok(f)
}

/// Every embedded framework, in a fixed order (the order of [`FILES`]).
pub fn all() -> Result<Vec<Framework>, String> {
    FILES.iter().map(|(n, t)| parse(n, t)).collect()
}

/// SHA-256 over every embedded mapping file (name and text): which mappings judged a bundle.
pub fn sha256() -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for (name, text) in FILES {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
        h.update([0]);
    }
    super::hex(&h.finalize())
}

/// Short names of the embedded frameworks.
pub fn names() -> Vec<&'static str> {
    FILES
        .iter()
        .map(|(n, _)| n.strip_suffix(".toml").unwrap_or(n))
        .collect()
}

/// The frameworks named in `wanted` (all when it is empty); an unknown name is an error that
/// lists the known ones.
pub fn select(wanted: &[String]) -> Result<Vec<Framework>, String> {
    let all = all()?;
    if wanted.is_empty() {
        return Ok(all);
    }
    for w in wanted {
        if !all.iter().any(|f| f.framework.eq_ignore_ascii_case(w)) {
            return Err(format!(
                "unknown framework `{w}` (known: {})",
                names().join(", ")
            ));
        }
    }
    Ok(all
        .into_iter()
        .filter(|f| wanted.iter().any(|w| f.framework.eq_ignore_ascii_case(w)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_file_parses_and_names_match_files() {
        let all = all().unwrap();
        assert_eq!(all.len(), FILES.len());
        for (f, name) in all.iter().zip(names()) {
            assert_eq!(f.framework, name);
            assert!(!f.requirements.is_empty());
        }
    }

    #[test]
    fn a_manual_requirement_needs_a_procedure_and_ids_are_unique() {
        let base = "framework = \"x\"\nname = \"X\"\nversion = \"1\"\nprefix = \"X\"\n";
        let manual = format!("{base}[[requirement]]\nid = \"A\"\ntitle = \"t\"\n");
        assert!(parse("x.toml", &manual).unwrap_err().contains("procedure"));
        let twice = format!(
            "{base}[[requirement]]\nid = \"A\"\ntitle = \"t\"\nrules = [\"R\"]\n[[requirement]]\nid = \"A\"\ntitle = \"u\"\nrules = [\"R\"]\n"
        );
        assert!(parse("x.toml", &twice).unwrap_err().contains("twice"));
        let unknown = format!("{base}colour = 1\n");
        assert!(parse("x.toml", &unknown).is_err());
    }

    #[test]
    fn select_filters_and_rejects_unknown_names() {
        let one = select(&["SOC2".to_owned()]).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].framework, "soc2");
        assert!(select(&["pci".to_owned()]).unwrap_err().contains("soc2"));
        assert_eq!(select(&[]).unwrap().len(), FILES.len());
    }
}
