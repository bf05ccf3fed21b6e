//! Output formats. Every format implements [`Render`] over the same [`Report`]; the registry
//! [`FORMATS`] is the one table that lists them (adding a format = one module + one row), and
//! the CLI takes its list of format names from it.
//!
//! Renderers never see the policy engine, the parsers or the detectors: they read the report
//! model only. Lines and columns come from [`Report::location`] (one line index per file), rule
//! titles and remediation from the report's catalog. Sensitive values are masked with
//! [`crate::detect::mask`] wherever a renderer shows source text.

mod github;
mod gitlab;
mod gitlab_sast;
mod human;
mod json;
mod junit;
mod markdown;
mod sarif;
mod table;
mod tap;
mod verdict;

use std::io::{self, Write};

use crate::report::Report;

/// One output format.
pub trait Render: Sync {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()>;
}

/// Options shared by renderers.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub color: bool,
}

type MakeRenderer = fn(RenderOptions) -> Box<dyn Render>;

/// One row of the registry.
pub struct Format {
    pub name: &'static str,
    /// One line for `--help`.
    pub about: &'static str,
    make: MakeRenderer,
}

/// The format registry.
pub static FORMATS: &[Format] = &[
    Format {
        name: "human",
        about: "diagnostics with source snippets, for a terminal (default)",
        make: |o| Box::new(human::Human { options: o }),
    },
    Format {
        name: "json",
        about: "custos's versioned JSON schema (docs/json-output.md)",
        make: |_| Box::new(json::Json),
    },
    Format {
        name: "sarif",
        about: "SARIF 2.1.0 for GitHub code scanning (docs/formats.md)",
        make: |_| Box::new(sarif::Sarif),
    },
    Format {
        name: "junit",
        about: "JUnit XML, one testcase per rule and file (docs/formats.md)",
        make: |_| Box::new(junit::Junit),
    },
    Format {
        name: "gitlab",
        about: "GitLab Code Quality report (artifacts:reports:codequality)",
        make: |_| Box::new(gitlab::GitLab),
    },
    Format {
        name: "gitlab-sast",
        about: "GitLab SAST security report, schema 15.x (artifacts:reports:sast)",
        make: |_| Box::new(gitlab_sast::GitLabSast),
    },
    Format {
        name: "github",
        about: "GitHub Actions workflow commands: one annotation per finding",
        make: |_| Box::new(github::GitHub),
    },
    Format {
        name: "markdown",
        about: "summary for a pull request comment or $GITHUB_STEP_SUMMARY",
        make: |_| Box::new(markdown::Markdown),
    },
    Format {
        name: "tap",
        about: "Test Anything Protocol version 14, one test point per finding",
        make: |_| Box::new(tap::Tap),
    },
    Format {
        name: "table",
        about: "compact plain-text table for a terminal",
        make: |o| Box::new(table::Table { options: o }),
    },
];

/// Every format name, in registry order.
pub fn names() -> Vec<&'static str> {
    FORMATS.iter().map(|f| f.name).collect()
}

/// Look up a format by name.
pub fn renderer(name: &str, options: RenderOptions) -> Option<Box<dyn Render>> {
    FORMATS
        .iter()
        .find(|f| f.name == name)
        .map(|f| (f.make)(options))
}

pub use human::summary_line;
pub use json::SCHEMA_VERSION;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_registry_is_complete_and_unique() {
        let mut names = names();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FORMATS.len());
        for n in names {
            assert!(renderer(n, RenderOptions::default()).is_some());
        }
    }
}
