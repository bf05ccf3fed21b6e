//! Discovery and classification: which files a scan reads, and what each one is.
//!
//! The walk is `walkdir` in sorted order with symlinks never followed blindly: a symlinked
//! file inside the root is read, a symlink that leaves the root or points at a directory is
//! noted and skipped, so loops cannot hang a scan. A root named on the command line that is
//! itself a symlink to a directory is walked: it was asked for. `.gitignore` and `.custosignore` files are
//! honoured with git's hierarchy (a stack of matchers, innermost first); `.git` is never read.
//!
//! Files are only *listed* here; reading, the binary check and content sniffing happen in
//! the parallel per-file stage ([`classify`] is called from there).

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;
use regex::Regex;

use crate::config::Config;
use crate::document::Kind;
use crate::parse::Syntax;

/// A file selected for scanning.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Where to read it.
    pub fs_path: PathBuf,
    /// How to name it in output.
    pub display: String,
    pub size: u64,
    /// Named on the command line (as pre-commit and CI pass files), not found by a walk.
    pub named: bool,
}

pub use crate::report::Note;

#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<Candidate>,
    pub notes: Vec<Note>,
    /// Files named on the command line that will not be scanned (over a size limit). A file
    /// the user asked for by name must not pass the gate unread, so the scan reports each as
    /// a `too-large` finding; a file found by walking a directory gets a note instead.
    pub refused: Vec<Note>,
}

/// A root that could not be scanned at all (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("cannot scan `{path}`: {reason}")]
pub struct RootError {
    pub path: String,
    pub reason: String,
}

const IGNORE_FILES: [&str; 2] = [".gitignore", ".custosignore"];

/// List the files under `roots` that the config selects.
pub fn discover(roots: &[PathBuf], config: &Config) -> Result<Discovered, RootError> {
    let mut out = Discovered::default();
    for root in roots {
        let meta = std::fs::metadata(root).map_err(|e| RootError {
            path: root.display().to_string(),
            reason: e.to_string(),
        })?;
        if !meta.is_file() && !meta.is_dir() {
            return Err(RootError {
                path: root.display().to_string(),
                reason: format!(
                    "not a regular file or directory ({}); not scanned",
                    special_kind(meta.file_type())
                ),
            });
        }
        if meta.is_file() {
            let display = display_path(root);
            if config.selects(&rel_to(&config.root, root)) {
                push_sized(&mut out, root.clone(), display, meta.len(), config, true);
            }
            continue;
        }
        walk_dir(root, config, &mut out)?;
    }
    out.notes.sort();
    out.notes.dedup();
    Ok(out)
}

fn walk_dir(root: &Path, config: &Config, out: &mut Discovered) -> Result<(), RootError> {
    let canon_root = root.canonicalize().map_err(|e| RootError {
        path: root.display().to_string(),
        reason: e.to_string(),
    })?;
    std::fs::read_dir(root).map_err(|e| RootError {
        path: root.display().to_string(),
        reason: e.to_string(),
    })?;
    let mut stack: Vec<(usize, Gitignore)> = Vec::new();
    let mut it = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by(|a, b| sort_name(a.path()).cmp(sort_name(b.path())))
        .into_iter();
    while let Some(entry) = it.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map_or_else(|| root.display().to_string(), display_path);
                out.notes.push(Note {
                    path,
                    message: format!("not read: {e}"),
                });
                continue;
            }
        };
        let depth = entry.depth();
        while stack.last().is_some_and(|(d, _)| *d >= depth) {
            stack.pop();
        }
        let path = entry.path();
        let ft = entry.file_type();
        // A root named on the command line that is a symlink to a directory was asked for:
        // walkdir follows it, and so does the scan (as conftest does). Symlinks met below a
        // root are still never followed.
        let is_dir = ft.is_dir() || (depth == 0 && ft.is_symlink() && path.is_dir());
        if depth > 0 {
            if is_dir && entry.file_name() == ".git" {
                it.skip_current_dir();
                continue;
            }
            if is_ignored(&stack, path, is_dir) {
                if is_dir {
                    it.skip_current_dir();
                }
                continue;
            }
        }
        if is_dir {
            if let Some(gi) = load_ignores(path, out) {
                stack.push((depth, gi));
            }
            continue;
        }
        let rel = rel_to(&config.root, path);
        if !config.selects(&rel) {
            continue;
        }
        let display = display_path(path);
        if ft.is_symlink() {
            match path.canonicalize() {
                Err(e) => out.notes.push(Note {
                    path: display,
                    message: format!("broken symlink not followed: {e}"),
                }),
                Ok(target) if !target.starts_with(&canon_root) => out.notes.push(Note {
                    path: display,
                    message: "symlink points outside the scanned root; not followed".into(),
                }),
                Ok(target) if target.is_dir() => out.notes.push(Note {
                    path: display,
                    message: "symlinked directory not followed".into(),
                }),
                Ok(target) if !target.is_file() => out.notes.push(Note {
                    path: display,
                    message: "skipped: symlink to a special file (not a regular file)".into(),
                }),
                Ok(target) => {
                    let size = std::fs::metadata(&target).map_or(0, |m| m.len());
                    push_sized(out, path.to_path_buf(), display, size, config, false);
                }
            }
            continue;
        }
        if !ft.is_file() {
            // Opening a FIFO blocks until a writer appears, and a device can be endless: such
            // files are never opened.
            out.notes.push(Note {
                path: display,
                message: format!("skipped: {} (not a regular file)", special_kind(ft)),
            });
            continue;
        }
        let size = entry.metadata().map_or(0, |m| m.len());
        push_sized(out, path.to_path_buf(), display, size, config, false);
    }
    Ok(())
}

/// What kind of special file this is, in words.
fn special_kind(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if ft.is_fifo() {
            return "FIFO";
        }
        if ft.is_socket() {
            return "socket";
        }
        if ft.is_block_device() || ft.is_char_device() {
            return "device";
        }
    }
    let _ = ft;
    "special file"
}

/// Open `path` for reading only if it is a regular file (or a symlink to one). Opening a FIFO
/// blocks until a writer appears and reading a device such as `/dev/zero` never ends, so
/// commands that read named inputs (chains, checkpoints, keys, proofs) refuse them up front
/// with the kind of file in the error; stdin (`-`) is the way to stream.
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(std::io::Error::other("is a directory, not a file"));
    }
    if !meta.is_file() {
        return Err(std::io::Error::other(format!(
            "is a {}, not a regular file; pipe it to stdin (`-`) to stream it",
            special_kind(meta.file_type())
        )));
    }
    std::fs::File::open(path)
}

/// [`open_regular`], read whole.
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut out = Vec::new();
    open_regular(path)?.read_to_end(&mut out)?;
    Ok(out)
}

/// [`read_regular`] as UTF-8 text.
pub fn read_regular_string(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read_regular(path)?)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()))
}

/// Is `path` (still) a regular file, or a symlink to one? Checked right before a file is
/// opened, since it may have been replaced by a FIFO after it was listed.
pub fn is_regular_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// Log files are streamed, not read whole, so they have their own (larger) size limit.
pub fn is_log_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    [".log", ".jsonl", ".ndjson"]
        .iter()
        .any(|e| name.ends_with(e))
}

fn push_sized(
    out: &mut Discovered,
    fs_path: PathBuf,
    display: String,
    size: u64,
    config: &Config,
    named: bool,
) {
    // Logs are streamed, so they have their own (larger) limit.
    let (limit, what, key) = if is_log_name(&fs_path) {
        (config.max_log_size, "log size limit", "max_log_size")
    } else {
        (config.max_file_size, "size limit", "max_file_size")
    };
    if size > limit {
        let note = Note {
            path: display,
            message: format!("skipped: {size} bytes is over the {what} of {limit} bytes ({key})"),
        };
        if named {
            out.refused.push(note);
        } else {
            out.notes.push(note);
        }
    } else {
        out.files.push(Candidate {
            fs_path,
            display,
            size,
            named,
        });
    }
}

fn is_ignored(stack: &[(usize, Gitignore)], path: &Path, is_dir: bool) -> bool {
    for (_, gi) in stack.iter().rev() {
        match gi.matched(path, is_dir) {
            Match::Ignore(_) => return true,
            Match::Whitelist(_) => return false,
            Match::None => {}
        }
    }
    false
}

fn load_ignores(dir: &Path, out: &mut Discovered) -> Option<Gitignore> {
    let mut builder = GitignoreBuilder::new(dir);
    let mut any = false;
    for name in IGNORE_FILES {
        let f = dir.join(name);
        if f.is_file() {
            any = true;
            if let Some(e) = builder.add(&f) {
                out.notes.push(Note {
                    path: display_path(&f),
                    message: format!("ignore file partly unreadable: {e}"),
                });
            }
        }
    }
    if !any {
        return None;
    }
    match builder.build() {
        Ok(gi) => Some(gi),
        Err(e) => {
            out.notes.push(Note {
                path: display_path(dir),
                message: format!("ignore rules not usable: {e}"),
            });
            None
        }
    }
}

/// `path` relative to `base` when it lies below it (lexically or after canonicalising).
pub fn rel_to(base: &Path, path: &Path) -> PathBuf {
    let strip = |p: &Path| {
        p.strip_prefix("./")
            .map_or_else(|_| p.to_path_buf(), Path::to_path_buf)
    };
    let (b, p) = (strip(base), strip(path));
    if (b.as_os_str() == "." || b.as_os_str().is_empty()) && p.is_relative() {
        return p;
    }
    if let Ok(r) = p.strip_prefix(&b) {
        return r.to_path_buf();
    }
    if let (Ok(cb), Ok(cp)) = (base.canonicalize(), path.canonicalize()) {
        if let Ok(r) = cp.strip_prefix(&cb) {
            return r.to_path_buf();
        }
    }
    p
}

/// The bytes `walkdir` sorts a directory's entries by: the file name, as `sort_by_file_name`
/// compares it. `Path::file_name` parses the path's components from the end on every call,
/// which was a twentieth of a scan of a tree with directories of thousands of files (sorting
/// compares each name ~2 log n times); an entry's path is its parent joined with its name, so
/// the name is what follows the last separator.
fn sort_name(p: &Path) -> &[u8] {
    #[cfg(unix)]
    {
        let b = p.as_os_str().as_encoded_bytes();
        memchr::memrchr(b'/', b).map_or(b, |i| &b[i + 1..])
    }
    #[cfg(not(unix))]
    {
        p.file_name().unwrap_or(p.as_os_str()).as_encoded_bytes()
    }
}

/// The path as shown to users: as given, without a leading `./`, with `/` separators.
pub use crate::document::display_path;

// The word boundaries below are ASCII ones (`(?-u:\b)`): a Unicode boundary makes the regex
// engine leave its DFA for a much slower one on any file with a non-ASCII byte (a tenth of a
// whole-checkout scan's CPU went there), and the words bounded are ASCII.
static AIRFLOW_IMPORT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^\s*(from|import)\s+airflow(?-u:\b)").expect("static regex"));
/// A Go-template action as Helm charts write them (not Jinja/Ansible `{{ var }}`, which leaves
/// the YAML valid and is read as a placeholder value).
static HELM_ACTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\{\{-?\s*(?:\.|\$|/\*|(?:if|else|end|range|with|include|template|define|toYaml|tpl|printf|quote|default|required|nindent|indent)(?-u:\b))")
        .expect("static regex")
});
static K8S: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^apiVersion:\s*\S+").expect("static regex"));
static K8S_KIND: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^kind:\s*\S+").expect("static regex"));
static CFN_YAML: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^AWSTemplateFormatVersion\s*:|^\s+Type:\s*['"]?AWS::"#).expect("static regex")
});
static CFN_JSON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""AWSTemplateFormatVersion"\s*:|"Type"\s*:\s*"AWS::"#).expect("static regex")
});

/// Decide what a file is, from `--parser`, config overrides, its path, then its content.
pub fn classify(rel: &Path, content: &str, config: &Config) -> (Kind, Syntax) {
    let classified = classify_by_name_and_content(rel, content, config);
    match config.parser {
        // `--parser`: every file is read with it; a file already of that syntax keeps its
        // kind (so a Kubernetes manifest read as YAML is still one).
        Some(forced) if forced != classified.1 => (crate::parse::kind_for_syntax(forced), forced),
        _ => classified,
    }
}

/// Why a file that classification leaves to the text detectors is not a document: conftest
/// would parse it with a parser custos does not have (see
/// [`crate::parse::conftest_format_unsupported`]). `None` for every other file.
pub fn unparsed_format_note(rel: &Path, syntax: Syntax) -> Option<String> {
    if syntax != Syntax::Text {
        return None;
    }
    crate::parse::conftest_format_unsupported(rel).map(|f| {
        format!("not parsed: conftest reads this file as `{f}`, which custos does not support yet; only the secret and PII detectors saw it")
    })
}

/// The first file among `paths` (as named on the command line) that conftest would parse
/// but custos cannot, with the reason: named explicitly for user policies, it must be an
/// error rather than a silent pass.
pub fn unparsed_named_file(paths: &[PathBuf], config: &Config) -> Option<(String, String)> {
    paths.iter().filter(|p| p.is_file()).find_map(|p| {
        let rel = rel_to(&config.root, p);
        let head = std::fs::File::open(p).ok().and_then(|f| {
            use std::io::Read as _;
            let mut buf = Vec::new();
            f.take(64 * 1024).read_to_end(&mut buf).ok()?;
            Some(String::from_utf8_lossy(&buf).into_owned())
        });
        let (_, syntax) = classify(&rel, head.as_deref().unwrap_or_default(), config);
        unparsed_format_note(&rel, syntax).map(|n| (display_path(p), n))
    })
}

// `name` is lowercased once up front, so the suffix comparisons are case-insensitive.
#[allow(clippy::case_sensitive_file_extension_comparisons)]
fn classify_by_name_and_content(rel: &Path, content: &str, config: &Config) -> (Kind, Syntax) {
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let rel_s = rel.to_string_lossy().replace('\\', "/");
    let syntax_for_name = || -> Syntax {
        if name.ends_with(".json") {
            Syntax::Json
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            Syntax::Yaml
        } else if name.ends_with(".tf") || name.ends_with(".tfvars") || name.ends_with(".hcl") {
            Syntax::Hcl
        } else {
            Syntax::Text
        }
    };
    for (glob, kind) in &config.classify {
        if glob.is_match(rel) {
            let syntax = match kind {
                Kind::Json | Kind::S3Bucket | Kind::S3AuditLog => Syntax::Json,
                Kind::Yaml
                | Kind::Kubernetes
                | Kind::GithubActions
                | Kind::GitlabCi
                | Kind::DockerCompose => Syntax::Yaml,
                Kind::Terraform | Kind::CloudFormation => syntax_for_name(),
                Kind::Ini => Syntax::Ini,
                Kind::HelmTemplate => Syntax::HelmTemplate,
                Kind::Dockerfile => Syntax::Dockerfile,
                Kind::Toml => Syntax::Toml,
                Kind::Properties => Syntax::Properties,
                Kind::Dotenv => Syntax::Dotenv,
                Kind::Ignore => Syntax::Ignore,
                Kind::Xml => Syntax::Xml,
                other => crate::parse::syntax_for_kind(*other),
            };
            return (*kind, syntax);
        }
    }
    let ext_is = |exts: &[&str]| exts.iter().any(|e| name.ends_with(e));
    // conftest's names: `Dockerfile`, `Dockerfile.*`, `*.dockerfile`.
    if name == "dockerfile" || name.starts_with("dockerfile.") || name.ends_with(".dockerfile") {
        return (Kind::Dockerfile, Syntax::Dockerfile);
    }
    if ext_is(&[".gitignore", ".dockerignore"]) {
        return (Kind::Ignore, Syntax::Ignore);
    }
    if ext_is(&[".tf.json", ".tfvars.json"]) {
        return (Kind::Terraform, Syntax::Json);
    }
    // Saved S3 posture and audit-log documents (docs/s3.md), evaluated offline.
    if ext_is(&[".s3-bucket.json"]) {
        return (Kind::S3Bucket, Syntax::Json);
    }
    if ext_is(&[".s3-audit-log.json"]) {
        return (Kind::S3AuditLog, Syntax::Json);
    }
    if ext_is(&[".tf", ".tfvars"]) {
        return (Kind::Terraform, Syntax::Hcl);
    }
    // Templates are not their target format until rendered.
    if ext_is(&[".yaml", ".yml", ".tpl"]) && HELM_ACTION.is_match(content) {
        return (Kind::HelmTemplate, Syntax::HelmTemplate);
    }
    if name.contains(".j2")
        || ext_is(&[
            ".jinja",
            ".jinja2",
            ".tmpl",
            ".tpl",
            ".mustache",
            ".hbs",
            ".njk",
        ])
    {
        return (Kind::Text, Syntax::Text);
    }
    if ext_is(&[".jsonc"])
        || (name.ends_with(".json")
            && (name.starts_with("tsconfig")
                || name.starts_with("jsconfig")
                || name == "devcontainer.json"
                || name == ".devcontainer.json"
                || rel_s.contains(".vscode/")
                || rel_s.contains(".devcontainer/")))
    {
        return (Kind::Json, Syntax::Jsonc);
    }
    if ext_is(&[".yaml", ".yml"]) {
        let kind = if rel_s.contains(".github/workflows/") {
            Kind::GithubActions
        } else if name == ".gitlab-ci.yml" || name == ".gitlab-ci.yaml" {
            Kind::GitlabCi
        } else if name.starts_with("docker-compose") || name.starts_with("compose.") {
            Kind::DockerCompose
        } else if CFN_YAML.is_match(content) {
            Kind::CloudFormation
        } else if K8S.is_match(content) && K8S_KIND.is_match(content) {
            Kind::Kubernetes
        } else {
            Kind::Yaml
        };
        return (kind, Syntax::Yaml);
    }
    if ext_is(&[".jsonl", ".ndjson"]) {
        return (Kind::LogJsonl, Syntax::Text);
    }
    if ext_is(&[".json", ".template"]) && (name.ends_with(".json") || CFN_JSON.is_match(content)) {
        let kind = if CFN_JSON.is_match(content) {
            Kind::CloudFormation
        } else {
            Kind::Json
        };
        return (kind, Syntax::Json);
    }
    if ext_is(&[".py"]) {
        // Most Python files never name airflow: a substring search rules them out first.
        if memchr::memmem::find(content.as_bytes(), b"airflow").is_some()
            && AIRFLOW_IMPORT.is_match(content)
        {
            return (Kind::AirflowDag, Syntax::Python);
        }
        return (Kind::Python, Syntax::Text);
    }
    if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") {
        return (Kind::Dotenv, Syntax::Dotenv);
    }
    if ext_is(&[".toml"]) {
        return (Kind::Toml, Syntax::Toml);
    }
    if ext_is(&[".properties"]) {
        return (Kind::Properties, Syntax::Properties);
    }
    if ext_is(&[".xml"]) {
        return (Kind::Xml, Syntax::Xml);
    }
    // DVC keeps its remotes in `.dvc/config` (and `config.local`), INI syntax.
    if ext_is(&[".cfg", ".ini"])
        || (rel_s.contains(".dvc/") && (name == "config" || name == "config.local"))
    {
        return (Kind::Ini, Syntax::Ini);
    }
    if ext_is(&[".log"]) {
        return (Kind::LogText, Syntax::Text);
    }
    // conftest's other formats (`*.edn`, `*.hocon`, `nginx.conf`, `Jenkinsfile`, …).
    if let Some(syntax) = crate::parse::conftest_only_syntax(rel) {
        return (crate::parse::kind_for_syntax(syntax), syntax);
    }
    (Kind::Text, Syntax::Text)
}

/// A file is binary if its first 8 KiB hold a NUL byte and are dense in control bytes.
pub fn looks_binary(bytes: &[u8]) -> bool {
    let head = bytes.get(..8192).unwrap_or(bytes);
    if !head.contains(&0) {
        return false;
    }
    // A stray NUL (a log line written by a crashed process, a padded record) does not make a
    // text file binary: skipping it would let what else it holds pass unread. Binary data is
    // dense in control bytes (about 12 % of random bytes are NUL or C0 controls other than
    // whitespace and ESC); text is not. Short files are judged against a 64-byte floor.
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    control * 20 > head.len().max(64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> Config {
        Config::defaults(PathBuf::from("."))
    }

    #[test]
    fn entries_sort_by_their_names() {
        for (a, b) in [
            ("x/a", "x/a.txt"),
            ("x/B", "x/a"),
            ("dir/a-b", "dir/a.b"),
            ("./z/é", "./z/ê"),
            ("/r/s/t", "/r/s/tt"),
            ("name", "x/other"),
        ] {
            let (pa, pb) = (Path::new(a), Path::new(b));
            let want = pa
                .file_name()
                .unwrap_or(pa.as_os_str())
                .cmp(pb.file_name().unwrap_or(pb.as_os_str()));
            assert_eq!(sort_name(pa).cmp(sort_name(pb)), want, "{a} {b}");
            assert_eq!(
                sort_name(pa),
                pa.file_name()
                    .map(std::ffi::OsStr::as_encoded_bytes)
                    .unwrap_or_default(),
                "{a}"
            );
        }
    }

    #[test]
    fn classification_by_path_and_content() {
        let c = cfg();
        let k = |p: &str, content: &str| classify(Path::new(p), content, &c);
        assert_eq!(k("main.tf", ""), (Kind::Terraform, Syntax::Hcl));
        assert_eq!(k("x.tf.json", "{}"), (Kind::Terraform, Syntax::Json));
        assert_eq!(
            k(".github/workflows/ci.yml", "on: push"),
            (Kind::GithubActions, Syntax::Yaml)
        );
        assert_eq!(
            k("deploy/app.yaml", "apiVersion: v1\nkind: Pod\n"),
            (Kind::Kubernetes, Syntax::Yaml)
        );
        assert_eq!(
            k("stack.yaml", "AWSTemplateFormatVersion: '2010-09-09'\n"),
            (Kind::CloudFormation, Syntax::Yaml)
        );
        assert_eq!(k("conf.yaml", "a: 1"), (Kind::Yaml, Syntax::Yaml));
        assert_eq!(
            k("dags/etl.py", "from airflow import DAG\n"),
            (Kind::AirflowDag, Syntax::Python)
        );
        assert_eq!(k("lib/x.py", "import os\n"), (Kind::Python, Syntax::Text));
        // Non-ASCII text around the import, and the words it must not match.
        for (content, kind) in [
            ("# café ☕\n  import airflow.models\n", Kind::AirflowDag),
            (
                "\"\"\"Ünïcode\"\"\"\nfrom airflow.operators.bash import X\n",
                Kind::AirflowDag,
            ),
            ("import airflowish\n", Kind::Python),
            ("name = 'airflow'  # é\n", Kind::Python),
            ("# import airflow\n", Kind::Python),
        ] {
            assert_eq!(k("dags/x.py", content).0, kind, "{content}");
        }
        for (content, helm) in [
            ("name: café\nimage: {{ .Values.image }}\n", true),
            ("é: {{- include \"x\" . }}\n", true),
            ("é: {{ endpoint }}\n", false),
            ("é: {{ var }}\n", false),
        ] {
            assert_eq!(
                k("templates/x.yaml", content).0 == Kind::HelmTemplate,
                helm,
                "{content}"
            );
        }
        assert_eq!(
            k("docker-compose.yml", ""),
            (Kind::DockerCompose, Syntax::Yaml)
        );
        assert_eq!(k(".env", ""), (Kind::Dotenv, Syntax::Dotenv));
        assert_eq!(k("prod.env", ""), (Kind::Dotenv, Syntax::Dotenv));
        assert_eq!(k("Dockerfile", ""), (Kind::Dockerfile, Syntax::Dockerfile));
        assert_eq!(
            k("build/Dockerfile.dev", ""),
            (Kind::Dockerfile, Syntax::Dockerfile)
        );
        assert_eq!(
            k("api.dockerfile", ""),
            (Kind::Dockerfile, Syntax::Dockerfile)
        );
        assert_eq!(k("Dockerfile-notes.md", ""), (Kind::Text, Syntax::Text));
        assert_eq!(k(".gitignore", ""), (Kind::Ignore, Syntax::Ignore));
        assert_eq!(k("app/.dockerignore", ""), (Kind::Ignore, Syntax::Ignore));
        assert_eq!(k("traefik.toml", ""), (Kind::Toml, Syntax::Toml));
        assert_eq!(k("pom.xml", ""), (Kind::Xml, Syntax::Xml));
        assert_eq!(
            k("app.properties", ""),
            (Kind::Properties, Syntax::Properties)
        );
        assert_eq!(k("README.md", ""), (Kind::Text, Syntax::Text));
    }

    #[test]
    fn config_overrides_classification() {
        let c = Config::from_str(
            "[classify]\n\"manifests/*.yml\" = \"kubernetes\"\n",
            "custos.toml",
            Path::new("."),
        )
        .expect("valid");
        assert_eq!(
            classify(Path::new("manifests/a.yml"), "", &c).0,
            Kind::Kubernetes
        );
    }

    #[test]
    fn binary_sniff() {
        assert!(looks_binary(
            b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0"
        ));
        assert!(!looks_binary("héllo".as_bytes()));
        // A stray NUL in a line of text does not hide the rest of the file.
        assert!(!looks_binary(
            b"2026-01-01 boot\0 user jane.doe@example.com logged in from 10.0.0.1\n"
        ));
        let random: Vec<u8> = (0u32..4096)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0])
            .collect();
        assert!(looks_binary(&random));
    }
}
