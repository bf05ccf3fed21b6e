//! Embeds every `policies/**/*.rego` file into the binary as `(path, source)` pairs, and
//! records what `custos --version` reports so an auditor can tie a report to a build: the git
//! commit the binary was built from (`CUSTOS_GIT_COMMIT`) and the SHA-256 of the bundled policy
//! set (`CUSTOS_POLICY_SHA256`: over each file's path and bytes, in path order).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// `git` output for `args` in `dir`, trimmed; `None` without git or outside a checkout.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The commit (with `-dirty` when tracked files differ), and rebuild when HEAD moves.
fn commit(manifest: &Path) -> String {
    let Some(head) = git(manifest, &["rev-parse", "--short=12", "HEAD"]) else {
        return "unknown".to_owned();
    };
    if let Some(dir) = git(manifest, &["rev-parse", "--absolute-git-dir"]) {
        let dir = PathBuf::from(dir);
        for f in ["HEAD", "packed-refs"] {
            if dir.join(f).exists() {
                println!("cargo:rerun-if-changed={}", dir.join(f).display());
            }
        }
        if let Some(r) = git(manifest, &["symbolic-ref", "-q", "HEAD"]) {
            let p = dir.join(&r);
            if p.exists() {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
    }
    let dirty = git(manifest, &["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{head}-dirty")
    } else {
        head
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rego") {
            out.push(p);
        }
    }
}

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.join("policies");
    println!("cargo:rerun-if-changed=policies");
    // The binary's ~50k relative relocations, packed (DT_RELR), cost the dynamic loader a
    // fraction of the start-up time that plain RELA entries do; start-up is most of a one-file
    // pre-commit run. Linkers that predate the option ignore it with a warning.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu")
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut hash = Sha256::new();
    let mut code = String::from("/// Bundled policies: (path relative to the crate, source).\npub static BUNDLED: &[(&str, &str)] = &[\n");
    for f in &files {
        let rel = f
            .strip_prefix(&manifest)
            .expect("under manifest")
            .to_string_lossy()
            .replace('\\', "/");
        hash.update(rel.as_bytes());
        hash.update([0]);
        hash.update(std::fs::read(f).expect("read policy"));
        hash.update([0]);
        let _ = writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            f.display().to_string()
        );
    }
    code.push_str("];\n");
    let digest = hash.finalize();
    let hex = digest.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    println!("cargo:rustc-env=CUSTOS_POLICY_SHA256={hex}");
    println!("cargo:rustc-env=CUSTOS_GIT_COMMIT={}", commit(&manifest));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("bundled_policies.rs");
    std::fs::write(out, code).expect("write generated file");
}
