//! `custos --version` ties a report to a build: the commit and the bundled policy set's hash,
//! recomputed here from the policies in the checkout.

mod common;

use sha2::{Digest, Sha256};

fn policy_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("policies dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            policy_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rego") {
            out.push(p);
        }
    }
}

#[test]
fn version_names_the_commit_and_the_policy_set() {
    let repo = common::repo();
    let mut files = Vec::new();
    policy_files(&repo.join("policies"), &mut files);
    files.sort();
    assert!(files.len() > 10);
    let mut h = Sha256::new();
    for f in &files {
        let rel = f
            .strip_prefix(&repo)
            .expect("inside")
            .to_string_lossy()
            .replace('\\', "/");
        h.update(rel.as_bytes());
        h.update([0]);
        h.update(std::fs::read(f).expect("read"));
        h.update([0]);
    }
    let want = h.finalize().iter().fold(String::new(), |mut s, b| {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
        s
    });

    let o = common::custos(&["--version"], &repo);
    assert_eq!(common::code(&o), 0);
    let v = common::stdout(&o);
    assert!(
        v.starts_with(&format!("custos {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    assert!(
        v.contains(&format!("bundled policies sha256:{want})")),
        "{v}\nwant {want}"
    );

    let (_, report, _) = common::scan_json(&["--no-config", "fixtures/demo"], &repo);
    assert_eq!(report["tool"]["policies_sha256"], want.as_str());
    assert!(report["tool"]["commit"]
        .as_str()
        .is_some_and(|c| !c.is_empty()));
}
