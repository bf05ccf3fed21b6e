//! The commit a scanned tree is at, for the report's run information.
//!
//! Read from the repository's files rather than by running `git`: spawning a process costs
//! milliseconds on every pre-commit run, and a git library (`gix`, `git2`) is a large
//! dependency for one lookup. What is read is git's stable on-disk layout: `.git` (a directory,
//! or a file `gitdir: …` for worktrees and submodules), `HEAD` (a commit id or `ref: NAME`),
//! the loose ref file and `packed-refs`, and `commondir` for a linked worktree's shared refs.
//! Anything unexpected gives `None`, never an error: the commit is information, not input.

use std::path::{Path, PathBuf};

/// Bound on how far up from the scanned root a repository is looked for.
const MAX_ANCESTORS: usize = 64;

/// `HEAD`'s commit id (40 or 64 hex digits) of the git repository `start` is in.
pub fn head_commit(start: &Path) -> Option<String> {
    let start = std::path::absolute(start).ok()?;
    let dir = if start.is_dir() {
        start
    } else {
        start.parent()?.to_path_buf()
    };
    let gitdir = dir
        .ancestors()
        .take(MAX_ANCESTORS)
        .find_map(|d| git_dir(&d.join(".git")))?;
    let head = read_small(&gitdir.join("HEAD"))?;
    let head = head.trim();
    let Some(name) = head.strip_prefix("ref:") else {
        return is_commit_id(head).then(|| head.to_owned());
    };
    let name = name.trim();
    if name.split('/').any(|part| part == ".." || part.is_empty()) {
        return None;
    }
    let common = read_small(&gitdir.join("commondir"))
        .map_or_else(|| gitdir.clone(), |c| gitdir.join(c.trim()));
    for base in [&gitdir, &common] {
        if let Some(id) = read_small(&base.join(name)) {
            let id = id.trim();
            if is_commit_id(id) {
                return Some(id.to_owned());
            }
        }
    }
    let packed = read_small(&common.join("packed-refs"))?;
    packed.lines().find_map(|line| {
        let (id, refname) = line.split_once(' ')?;
        (refname.trim() == name && is_commit_id(id)).then(|| id.to_owned())
    })
}

/// The git directory a `.git` entry stands for.
fn git_dir(dot_git: &Path) -> Option<PathBuf> {
    let meta = std::fs::symlink_metadata(dot_git).ok()?;
    if meta.is_dir() {
        return Some(dot_git.to_path_buf());
    }
    let text = read_small(dot_git)?;
    let target = text.trim().strip_prefix("gitdir:")?.trim();
    let parent = dot_git.parent()?;
    Some(parent.join(target))
}

/// A file of at most 64 KiB as text (`packed-refs` may be larger: then it is not read).
fn read_small(path: &Path) -> Option<String> {
    const LIMIT: u64 = 64 * 1024;
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > LIMIT * 16 {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

fn is_commit_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0123456789abcdef0123456789abcdef01234567";

    fn write(p: &Path, text: &str) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn loose_packed_and_detached_heads() {
        let d = tempfile::tempdir().unwrap();
        let git = d.path().join(".git");
        write(&git.join("HEAD"), "ref: refs/heads/main\n");
        write(&git.join("refs/heads/main"), &format!("{A}\n"));
        std::fs::create_dir_all(d.path().join("sub/deeper")).unwrap();
        assert_eq!(
            head_commit(&d.path().join("sub/deeper")).as_deref(),
            Some(A)
        );
        std::fs::remove_file(git.join("refs/heads/main")).unwrap();
        write(
            &git.join("packed-refs"),
            &format!("# pack-refs\n{A} refs/heads/main\n"),
        );
        assert_eq!(head_commit(d.path()).as_deref(), Some(A));
        write(&git.join("HEAD"), &format!("{A}\n"));
        assert_eq!(head_commit(d.path()).as_deref(), Some(A));
        write(&git.join("HEAD"), "ref: refs/heads/../../x\n");
        assert_eq!(head_commit(d.path()), None);
    }

    #[test]
    fn a_worktree_reads_its_gitdir_and_the_common_refs() {
        let d = tempfile::tempdir().unwrap();
        let main_git = d.path().join("repo/.git");
        write(&main_git.join("refs/heads/feature"), &format!("{A}\n"));
        let wt_git = main_git.join("worktrees/wt");
        write(&wt_git.join("HEAD"), "ref: refs/heads/feature\n");
        write(&wt_git.join("commondir"), "../..\n");
        write(
            &d.path().join("wt/.git"),
            &format!("gitdir: {}\n", wt_git.display()),
        );
        assert_eq!(head_commit(&d.path().join("wt")).as_deref(), Some(A));
    }

    #[test]
    fn no_repository_is_none() {
        let d = tempfile::tempdir().unwrap();
        // The temp dir may itself sit inside a repository; only check there is no panic.
        let _ = head_commit(d.path());
        assert_eq!(
            head_commit(&d.path().join("missing/deeper")),
            head_commit(d.path())
        );
    }

    #[test]
    fn agrees_with_git_on_this_checkout() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let Ok(out) = std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["rev-parse", "HEAD"])
            .output()
        else {
            return;
        };
        if out.status.success() {
            let git = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            assert_eq!(head_commit(root), Some(git));
        }
    }
}
