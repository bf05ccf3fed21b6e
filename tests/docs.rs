//! Every relative link in the README and the docs resolves inside the checkout: a newcomer
//! following them never lands on a missing file.

mod common;

use std::path::Path;

/// Targets of Markdown links `[text](target)` that are not URLs or in-page anchors.
fn relative_links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        let after = &rest[i + 2..];
        let Some(end) = after.find(')') else { break };
        let target = after[..end].trim();
        let is_external = target.contains("://") || target.starts_with("mailto:");
        if !target.is_empty() && !is_external && !target.starts_with('#') {
            out.push(target.split('#').next().unwrap_or(target).to_owned());
        }
        rest = &after[end..];
    }
    out
}

#[test]
fn readme_and_docs_links_resolve() {
    let repo = common::repo();
    let mut docs = vec![repo.join("README.md")];
    for e in std::fs::read_dir(repo.join("docs"))
        .expect("docs/")
        .flatten()
    {
        if e.path().extension().is_some_and(|x| x == "md") {
            docs.push(e.path());
        }
    }
    let mut checked = 0;
    for doc in &docs {
        let text = std::fs::read_to_string(doc).expect("read");
        let base = doc.parent().unwrap_or(Path::new("."));
        for link in relative_links(&text) {
            let target = base.join(&link);
            assert!(
                target.exists(),
                "{}: link to `{link}` does not resolve",
                doc.display()
            );
            assert!(
                target
                    .canonicalize()
                    .expect("exists")
                    .starts_with(repo.canonicalize().expect("repo")),
                "{}: link to `{link}` leaves the repository",
                doc.display()
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 3,
        "only {checked} links found: is the extractor broken?"
    );
}

#[test]
fn the_link_extractor_sees_what_it_must() {
    let links = relative_links("a [x](docs/a.md#s) [y](https://e.org) [z](#top) [w](custos.toml)");
    assert_eq!(links, ["docs/a.md", "custos.toml"]);
}
