//! Path context: what part of a repository a file belongs to — product source, tests, docs,
//! examples, notebooks or vendored third-party code — decided by path conventions and
//! overridable in config (`[context]`).
//!
//! Why it exists: a `password = "testpass"` in a pytest fixture or a README is a correct
//! detection that most teams do not want to gate on, while a provider-issued key pasted into the
//! same README is a real leak. So the context never hides anything: it is shown on every
//! finding, and it turns only *generic* credential findings (a value under a credential-named
//! key, which cannot be told apart from a demo value) in test, docs, example and vendored files
//! into warnings. High-confidence formats (keys with fixed prefixes or checksums, private keys)
//! stay failures everywhere.
//!
//! The context is decided from the path *within the scanned root* (so scanning
//! `fixtures/demo` does not make every file a test fixture), with the config's globs first.

use std::path::Path;

use serde::Serialize;

/// Where a file sits in the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PathContext {
    Source,
    Test,
    Docs,
    Example,
    Notebook,
    Vendored,
}

impl PathContext {
    pub const ALL: [PathContext; 6] = [
        PathContext::Source,
        PathContext::Test,
        PathContext::Docs,
        PathContext::Example,
        PathContext::Notebook,
        PathContext::Vendored,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            PathContext::Source => "source",
            PathContext::Test => "test",
            PathContext::Docs => "docs",
            PathContext::Example => "example",
            PathContext::Notebook => "notebook",
            PathContext::Vendored => "vendored",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Contexts where a generic credential is, by default, a demo value (a warning).
    pub const fn holds_demo_values(self) -> bool {
        matches!(
            self,
            PathContext::Test | PathContext::Docs | PathContext::Example | PathContext::Vendored
        )
    }
}

/// Folder names, each deciding a context when it appears anywhere in the path. Vendored wins
/// over everything (a test inside `node_modules` is still someone else's code), then tests,
/// examples and docs, in the order of this table.
const DIRS: &[(PathContext, &[&str])] = &[
    (
        PathContext::Vendored,
        &[
            "vendor",
            "vendored",
            "third_party",
            "third-party",
            "thirdparty",
            "node_modules",
            "site-packages",
            "bower_components",
            ".venv",
            "venv",
        ],
    ),
    (
        PathContext::Test,
        &[
            "test",
            "tests",
            "testing",
            "__tests__",
            "testdata",
            "test_data",
            "test-data",
            "fixtures",
            "fixture",
            "spec",
            "specs",
            "e2e",
            "integration_tests",
            "unit_tests",
            "mocks",
            "__mocks__",
        ],
    ),
    (
        PathContext::Example,
        &[
            "example",
            "examples",
            "example_dags",
            "sample",
            "samples",
            "demo",
            "demos",
            "quickstart",
            "quickstarts",
            "tutorial",
            "tutorials",
            "playground",
            "sandbox",
        ],
    ),
    (
        PathContext::Docs,
        &["docs", "doc", "documentation", "website", "site-docs"],
    ),
];

/// The context of a file from its path within the scanned root, by convention.
pub fn by_convention(within: &Path) -> PathContext {
    let parts: Vec<String> = within
        .iter()
        .map(|p| p.to_string_lossy().to_ascii_lowercase())
        .collect();
    let Some((name, dirs)) = parts.split_last() else {
        return PathContext::Source;
    };
    for (ctx, names) in DIRS {
        if dirs.iter().any(|d| names.contains(&d.as_str())) {
            return *ctx;
        }
    }
    // `parts` are lowercased already, so extensions compare as written here.
    let ext = Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    if is_test_file(name, &ext) {
        return PathContext::Test;
    }
    if ext == "ipynb" {
        return PathContext::Notebook;
    }
    let doc_ext = ["md", "markdown", "rst", "adoc", "asciidoc", "txt"];
    if doc_ext.contains(&ext.as_str()) && !is_requirements(name) {
        return PathContext::Docs;
    }
    if name.starts_with("example") || name.contains(".example") || name.contains(".sample") {
        return PathContext::Example;
    }
    PathContext::Source
}

fn is_requirements(name: &str) -> bool {
    name.starts_with("requirements") || name.starts_with("constraints")
}

/// Test files by the naming conventions of the languages our users write.
fn is_test_file(name: &str, ext: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name);
    name == "conftest.py"
        || (stem.starts_with("test_") && ext == "py")
        || stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem.ends_with("_spec")
        || name.contains(".test.")
        || name.contains(".spec.")
        || ((stem.ends_with("test") || stem.ends_with("tests")) && ext == "java")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(p: &str) -> PathContext {
        by_convention(Path::new(p))
    }

    #[test]
    fn conventions() {
        assert_eq!(ctx("dags/etl.py"), PathContext::Source);
        assert_eq!(ctx("infra/main.tf"), PathContext::Source);
        assert_eq!(ctx("tests/test_etl.py"), PathContext::Test);
        assert_eq!(ctx("dags/test_etl.py"), PathContext::Test);
        assert_eq!(ctx("pkg/store_test.go"), PathContext::Test);
        assert_eq!(ctx("ui/src/app.spec.ts"), PathContext::Test);
        assert_eq!(ctx("src/conftest.py"), PathContext::Test);
        assert_eq!(ctx("java/src/FooTest.java"), PathContext::Test);
        assert_eq!(ctx("README.md"), PathContext::Docs);
        assert_eq!(ctx("docs/setup/install.yaml"), PathContext::Docs);
        assert_eq!(ctx("examples/complete/main.tf"), PathContext::Example);
        assert_eq!(ctx("airflow/example_dags/x.py"), PathContext::Example);
        assert_eq!(ctx(".env.example"), PathContext::Example);
        assert_eq!(ctx("notebooks/train.ipynb"), PathContext::Notebook);
        assert_eq!(ctx("vendor/lib/tests/x.go"), PathContext::Vendored);
        assert_eq!(ctx("requirements.txt"), PathContext::Source);
        // Names that merely contain a convention word are not that context.
        assert_eq!(ctx("contest/latest.py"), PathContext::Source);
        assert_eq!(ctx("testimonials/page.py"), PathContext::Source);
    }

    #[test]
    fn names_round_trip() {
        for c in PathContext::ALL {
            assert_eq!(PathContext::parse(c.as_str()), Some(c));
        }
        assert!(PathContext::ALL
            .iter()
            .filter(|c| c.holds_demo_values())
            .all(|c| *c != PathContext::Source && *c != PathContext::Notebook));
    }
}
