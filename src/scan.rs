//! The scan pipeline: discover → classify → parse → evaluate → suppress → (report).
//!
//! Files are processed in parallel (rayon), each worker holding its own clone of the
//! compiled policy engine. Every per-file problem becomes a finding or a note in the report;
//! only a root that cannot be read at all is an error. The [`Report`] keeps the source text of
//! files that have findings, so renderers can show snippets without reading files again.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::Config;
use crate::detect::secrets;
use crate::discover::{self, Candidate, Note, RootError};
use crate::document::{Document, Kind, LineIndex, Span};
use crate::finding::{self, Finding, Level, Severity};
use crate::logs;
use crate::parse::{self, Limits};
use crate::policy::{Evaluator, PolicySet};
use crate::report::{Command, Report, SourceEncoding, SourceFile, Unlisted};
use crate::suppress;

struct FileResult {
    findings: Vec<Finding>,
    unlisted: Vec<Unlisted>,
    notes: Vec<Note>,
    documents: usize,
    bytes: u64,
    suppressed: usize,
    source: Option<String>,
    /// How the file's bytes became `source`, so reported byte offsets count file bytes.
    encoding: SourceEncoding,
    scanned: bool,
    /// A log file's share of its source's aggregate (docs/logs.md); boxed, as every file's
    /// result is held until the scan ends and few files are logs.
    log_partial: Option<Box<logs::aggregate::Partial>>,
}

/// Run a scan over `roots`.
pub fn run(
    roots: &[PathBuf],
    config: &Config,
    policies: &PolicySet,
    limits: &Limits,
) -> Result<Report, RootError> {
    run_with_progress(roots, config, policies, limits, &NoProgress)
}

/// Told how a scan advances (the CLI draws a progress bar from it on a terminal).
pub trait Progress: Sync {
    /// The files have been listed: `total` will be scanned (and `bytes` read).
    fn start(&self, total: u64, bytes: u64);
    /// One file is done.
    fn file_done(&self, bytes: u64);
    fn finish(&self);
}

/// No progress reporting.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: u64, _: u64) {}
    fn file_done(&self, _: u64) {}
    fn finish(&self) {}
}

/// The document kinds scanning `paths` can produce, when every path is a file (a pre-commit
/// run, file arguments): what policies must be compiled for them. `None` when a path is a
/// directory or cannot be read — then every rule is loaded.
///
/// Each file is classified as the scan will classify it, then widened by what the scan may
/// turn it into: a Python file into a DAG (through the project index), a Helm template's
/// documents into Kubernetes manifests.
pub fn kinds_of_files(
    paths: &[PathBuf],
    config: &Config,
) -> Option<std::collections::BTreeSet<Kind>> {
    if paths.is_empty() {
        return None;
    }
    let mut kinds = std::collections::BTreeSet::new();
    for p in paths {
        if !std::fs::metadata(p).ok()?.is_file() {
            return None;
        }
        let bytes = std::fs::read(p).ok()?;
        let text = String::from_utf8_lossy(&bytes);
        let rel = discover::rel_to(&config.root, p);
        let (kind, _) = discover::classify(&rel, &text, config);
        kinds.insert(kind);
        match kind {
            Kind::Python => {
                kinds.insert(Kind::AirflowDag);
            }
            Kind::HelmTemplate | Kind::Yaml => {
                kinds.insert(Kind::Kubernetes);
            }
            Kind::LogJsonl | Kind::LogNginx | Kind::LogText => {
                kinds.insert(Kind::LogAggregate);
            }
            _ => {}
        }
    }
    Some(kinds)
}

/// [`run`], reporting progress as files are done.
pub fn run_with_progress(
    roots: &[PathBuf],
    config: &Config,
    policies: &PolicySet,
    limits: &Limits,
    progress: &dyn Progress,
) -> Result<Report, RootError> {
    run_excluding(roots, config, policies, limits, progress, &[])
}

/// [`run_with_progress`], never scanning custos's own data files: `own` (a baseline named on
/// the command line) and any file named [`crate::baseline::DEFAULT_FILE`]. A baseline is a
/// list of fingerprints, not configuration or code, and scanning it would only cost time.
pub fn run_excluding(
    roots: &[PathBuf],
    config: &Config,
    policies: &PolicySet,
    limits: &Limits,
    progress: &dyn Progress,
    own: &[PathBuf],
) -> Result<Report, RootError> {
    let found = discover::discover(roots, config)?;
    Ok(run_discovered(
        found, roots, config, policies, limits, progress, own,
    ))
}

/// [`run_excluding`] over files already listed: the local files of `roots`, and files that
/// stand in for objects of another store (`crate::s3::source` lists S3 objects, spools them
/// into a private mirror and names each candidate `s3://bucket/key`).
pub fn run_discovered(
    mut found: discover::Discovered,
    roots: &[PathBuf],
    config: &Config,
    policies: &PolicySet,
    limits: &Limits,
    progress: &dyn Progress,
    own: &[PathBuf],
) -> Report {
    let own: Vec<(std::ffi::OsString, PathBuf)> = own
        .iter()
        .filter_map(|p| Some((p.file_name()?.to_owned(), p.canonicalize().ok()?)))
        .collect();
    found.files.retain(|c| {
        let Some(name) = c.fs_path.file_name() else {
            return true;
        };
        if name == crate::baseline::DEFAULT_FILE {
            return false;
        }
        !own.iter()
            .any(|(n, canon)| n == name && c.fs_path.canonicalize().is_ok_and(|cp| &cp == canon))
    });
    progress.start(
        found.files.len() as u64,
        found.files.iter().map(|c| c.size).sum(),
    );
    let (modules, pyindex) = indexes(roots, &found.files, config, limits);
    let log_sources = logs::audit::Sources::new(&config.logs);
    let results: Vec<FileResult> = found
        .files
        .par_iter()
        .map_init(
            || policies.worker(),
            |ev, c| {
                let mut r = scan_file(ev, c, config, limits, &modules, &pyindex);
                let rel = discover::rel_to(&config.root, &c.fs_path);
                let ctx = config.context_of(&rel, &within_root(roots, &c.fs_path));
                apply_context(&mut r.findings, ctx, config, r.source.as_deref());
                if let Some(p) = r.log_partial.take() {
                    log_sources.add(*p);
                }
                progress.file_done(c.size);
                r
            },
        )
        .collect();
    progress.finish();
    let (log_findings, log_documents) = log_sources.evaluate(policies, config);

    let mut report = Report::new(Command::Scan, &discover::display_path(&config.root));
    report.notes = found.notes;
    let refused_files = found.refused.len();
    for refused in found.refused {
        let mut f = Finding::new(
            "too-large",
            config.severity_for("too-large", config.parse_error_severity),
            refused.message,
            &refused.path,
        );
        f.compute_fingerprint(None);
        report.findings.push(f);
    }
    report.fail_on = Some(config.fail_on);
    report.catalog = crate::catalog::build(policies.rules());
    report.run.config_sha256 = config.file.as_deref().and_then(crate::catalog::file_sha256);
    report.run.git_commit = crate::gitinfo::head_commit(&config.root);
    report.stats.rules = policies.rules().count();
    report.stats.documents += log_documents;
    report.findings.extend(log_findings);
    for r in results {
        report.stats.files_scanned += usize::from(r.scanned);
        report.stats.documents += r.documents;
        report.stats.bytes += r.bytes;
        report.stats.suppressed_inline += r.suppressed;
        report.notes.extend(r.notes);
        if let Some(src) = r.source {
            if let Some(f) = r.findings.first() {
                report
                    .sources
                    .insert(f.path.clone(), SourceFile::new(src).encoded(r.encoding));
            }
        }
        report.findings.extend(r.findings);
        report.unlisted.extend(r.unlisted);
    }
    report.stats.waived =
        suppress::apply_waivers(&mut report.findings, config, &crate::config::today());
    if let Some(cfg_file) = &config.file {
        if report
            .findings
            .iter()
            .any(|f| f.rule_id.starts_with("waiver-"))
        {
            if let Ok(src) = std::fs::read_to_string(cfg_file) {
                report
                    .sources
                    .insert(discover::display_path(cfg_file), SourceFile::new(src));
            }
        }
    }
    finding::sort_findings(&mut report.findings);
    report
        .unlisted
        .sort_by(|a, b| (&a.path, &a.rule_id, b.severity).cmp(&(&b.path, &b.rule_id, a.severity)));
    finding::disambiguate_fingerprints(&mut report.findings);
    report.notes.sort();
    report.stats.not_scanned = report
        .notes
        .iter()
        .filter(|n| n.message.starts_with("skipped"))
        .count()
        + refused_files;
    report
}

/// The Terraform module index and the Python project index the scanned files are judged in.
///
/// Terraform modules are directories and Python DAG files reach airflow through project
/// modules, so a file scanned on its own (a root that is a file, as pre-commit and
/// `--changed-since` pass them) is judged with its whole context, though only its own findings
/// are reported: every `.tf` / `.tfvars` file of its module directory and of the local modules
/// those call (transitively), and every Python file of its project (the git work tree, else the
/// configuration's directory). Directory roots bring their own context, as before.
fn indexes(
    roots: &[PathBuf],
    files: &[Candidate],
    config: &Config,
    limits: &Limits,
) -> (crate::terraform::ModuleIndex, crate::pyindex::PyIndex) {
    use crate::terraform::{is_auto_tfvars, is_tf, ModuleIndex};
    let file_roots: Vec<&PathBuf> = roots.iter().filter(|r| r.is_file()).collect();
    let is_module_file = |p: &Path| is_tf(p) || is_auto_tfvars(p);
    // Terraform: module directories of single files, then the modules they call, to a fixpoint.
    let mut tf: Vec<Candidate> = files.to_vec();
    let mut seen: std::collections::HashSet<PathBuf> =
        tf.iter().map(|c| lexical(&c.fs_path)).collect();
    let mut visited = std::collections::HashSet::new();
    let mut pending: Vec<PathBuf> = file_roots
        .iter()
        .filter(|r| is_module_file(r))
        .map(|r| r.parent().map(Path::to_path_buf).unwrap_or_default())
        .collect();
    let mut modules = ModuleIndex::build(&tf, limits);
    // Bounded: a chain of module calls deeper than this is not followed further.
    for _ in 0..32 {
        pending.retain(|d| visited.insert(d.clone()));
        if pending.is_empty() {
            break;
        }
        for dir in std::mem::take(&mut pending) {
            tf.extend(
                sibling_files(&dir, config, &is_module_file)
                    .into_iter()
                    .filter(|c| seen.insert(lexical(&c.fs_path))),
            );
        }
        modules = ModuleIndex::build(&tf, limits);
        pending = modules
            .call_targets()
            .into_iter()
            .filter(|t| !visited.contains(t))
            .collect();
    }
    // Python: the project's files, when a single Python file is scanned.
    let py_root = file_roots
        .iter()
        .find(|r| r.extension().is_some_and(|e| e.eq_ignore_ascii_case("py")))
        .map(|r| project_root(r, config));
    let pyindex = match py_root {
        Some(root) => {
            let mut py: Vec<Candidate> = files.to_vec();
            let known: std::collections::HashSet<PathBuf> =
                py.iter().map(|c| lexical(&c.fs_path)).collect();
            let walk_at = if root.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                root.clone()
            };
            if let Ok(all) = discover::discover(std::slice::from_ref(&walk_at), config) {
                py.extend(all.files.into_iter().filter_map(|mut c| {
                    if root.as_os_str().is_empty() {
                        // Spelled as the scanned files are: `a/b.py`, not `./a/b.py`.
                        c.fs_path = c.fs_path.strip_prefix(".").map(Path::to_path_buf).ok()?;
                    }
                    (!known.contains(&lexical(&c.fs_path))).then_some(c)
                }));
            }
            // The project root replaces the scanned files' directories as the import root.
            let mut py_roots: Vec<PathBuf> =
                roots.iter().filter(|r| !r.is_file()).cloned().collect();
            py_roots.push(root);
            crate::pyindex::PyIndex::build(&py, &py_roots, limits)
        }
        None => crate::pyindex::PyIndex::build(files, roots, limits),
    };
    (modules, pyindex)
}

/// The files of `dir` that `keep` selects (no recursion, no ignore files: Terraform reads every
/// `.tf` file of a module directory), named as `dir` is.
fn sibling_files(dir: &Path, config: &Config, keep: &dyn Fn(&Path) -> bool) -> Vec<Candidate> {
    let read_at = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(read_at) else {
        return Vec::new();
    };
    let mut out: Vec<Candidate> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let fs_path = dir.join(e.file_name());
            let meta = std::fs::metadata(&fs_path).ok()?;
            (meta.is_file() && meta.len() <= config.max_file_size && keep(&fs_path)).then(|| {
                Candidate {
                    named: false,
                    display: discover::display_path(&fs_path),
                    fs_path,
                    size: meta.len(),
                }
            })
        })
        .collect();
    out.sort_by(|a, b| a.fs_path.cmp(&b.fs_path));
    out
}

/// The project a single file belongs to, spelled the way `file` is (`dags/a.py` → ``,
/// `./dags/a.py` → `.`, absolute stays absolute): the git work tree it is in, else the
/// configuration file's directory, else its own directory.
fn project_root(file: &Path, config: &Config) -> PathBuf {
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let run_in = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir.as_path()
    };
    let up = std::process::Command::new("git")
        .arg("-C")
        .arg(run_in)
        .args(["rev-parse", "--show-cdup"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok());
    match up {
        Some(up) => clean(&dir.join(up.trim())),
        None if config.file.is_some() => config.root.clone(),
        None => dir,
    }
}

/// `path` without `.` components (`./a/./b` → `a/b`; `.` → `.`): one spelling per file.
fn lexical(path: &Path) -> PathBuf {
    let out: PathBuf = path
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// `a/b/..` → `a`, lexically; a leading `./` is kept (`./a/..` → `.`), so the result is
/// spelled as the input was.
fn clean(path: &Path) -> PathBuf {
    use std::path::Component;
    let dotted = path.components().next() == Some(Component::CurDir);
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    let p: PathBuf = out.iter().collect();
    if dotted && p.as_os_str().is_empty() {
        PathBuf::from(".")
    } else if dotted {
        Path::new(".").join(p)
    } else {
        p
    }
}

/// The path of `path` inside the scanned root it was found under (the file name for a root
/// that is a file): path conventions are judged on this, not on where the root itself sits.
fn within_root(roots: &[PathBuf], path: &std::path::Path) -> PathBuf {
    for r in roots {
        if r.as_path() == path {
            return path.file_name().map(PathBuf::from).unwrap_or_default();
        }
        if let Ok(rest) = path.strip_prefix(r) {
            return rest.to_path_buf();
        }
    }
    path.to_path_buf()
}

/// Rules whose findings cannot tell a real credential from a demo one by its form: a value
/// under a credential-named key, a password in a URI, a JWT. In test, docs, example and
/// vendored files they are warnings unless the value is also a high-confidence format.
pub const DEMO_PRONE_RULES: &[&str] = &[
    "SEC019", "SEC020", "SEC021", "SEC022", "SEC024", "AF001", "AF002", "CFG001", "K8S001",
    "SEC025", "TF001", "TF010",
];

/// Label every finding with its file's context, and turn demo-prone credential findings in
/// demo contexts into warnings (see [`crate::context`]).
fn apply_context(
    findings: &mut [Finding],
    ctx: crate::context::PathContext,
    config: &Config,
    source: Option<&str>,
) {
    for f in findings.iter_mut() {
        f.context = ctx;
        if !(ctx.holds_demo_values()
            && config.demote_demo_credentials
            && f.level == Level::Failure
            && DEMO_PRONE_RULES.contains(&f.rule_id.as_str()))
        {
            continue;
        }
        // A provider-issued key or a private key stays a failure wherever it is.
        let text = source.zip(f.span).and_then(|(s, sp)| s.get(sp.range()));
        let high_confidence = text.is_some_and(|t| {
            secrets::scan(t, secrets::Context::Config)
                .iter()
                .any(|d| !DEMO_PRONE_RULES.contains(&d.rule))
        });
        if !high_confidence {
            f.level = Level::Warning;
        }
    }
}

fn scan_file(
    ev: &mut Evaluator<'_>,
    c: &Candidate,
    config: &Config,
    limits: &Limits,
    modules: &crate::terraform::ModuleIndex,
    pyindex: &crate::pyindex::PyIndex,
) -> FileResult {
    let mut res = FileResult {
        findings: Vec::new(),
        unlisted: Vec::new(),
        notes: Vec::new(),
        documents: 0,
        bytes: 0,
        suppressed: 0,
        source: None,
        encoding: SourceEncoding::Utf8,
        scanned: false,
        log_partial: None,
    };
    if !discover::is_regular_file(&c.fs_path) {
        res.notes.push(Note {
            path: c.display.clone(),
            message: "skipped: no longer a regular file when it was opened".into(),
        });
        return res;
    }
    if discover::is_log_name(&c.fs_path) {
        return scan_log(res, c, config, ev);
    }
    let bytes = match std::fs::read(&c.fs_path) {
        Ok(b) => b,
        Err(e) => {
            let mut f = file_problem("read-error", format!("could not read file: {e}"), c, config);
            f.compute_fingerprint(None);
            res.findings.push(f);
            return res;
        }
    };
    // UTF-16 text (with a BOM) is text, not binary: decode it before the NUL-byte check.
    let bytes = match decode_utf16(&bytes) {
        Some(Ok(text)) => {
            res.encoding = SourceEncoding::Utf16;
            text.into_bytes()
        }
        Some(Err(at)) => {
            let mut f = file_problem(
                "parse-error",
                format!("file starts with a UTF-16 byte-order mark but is not valid UTF-16 (at byte {at}); it was not checked"),
                c,
                config,
            );
            f.compute_fingerprint(None);
            res.findings.push(f);
            return res;
        }
        None => bytes,
    };
    if discover::looks_binary(&bytes) {
        res.notes.push(Note {
            path: c.display.clone(),
            message: "skipped: binary file (NUL and control bytes in its first 8 KiB)".into(),
        });
        return res;
    }
    // A UTF-8 byte-order mark is not content: classify and parse as without it. (Reported
    // byte offsets add the mark back; lines are unchanged.)
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => {
            res.encoding = SourceEncoding::Utf8Bom;
            rest.to_vec()
        }
        None => bytes,
    };
    // Re-check the size: the file may have grown since it was listed.
    if bytes.len() as u64 > config.max_file_size {
        res.notes.push(Note {
            path: c.display.clone(),
            message: format!(
                "skipped: over the size limit of {} bytes",
                config.max_file_size
            ),
        });
        return res;
    }
    res.scanned = true;
    res.bytes = bytes.len() as u64;
    let rel = discover::rel_to(&config.root, &c.fs_path);
    let (source, utf8_error) = match String::from_utf8(bytes) {
        Ok(s) => (s, None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            (String::from_utf8_lossy(e.as_bytes()).into_owned(), Some(at))
        }
    };
    let (kind, syntax) = pyindex.classify(
        &c.fs_path,
        &rel,
        discover::classify(&rel, &source, config),
        config,
    );
    let lines = LineIndex::new(&source);
    if let Some(message) = discover::unparsed_format_note(&rel, syntax) {
        res.notes.push(Note {
            path: c.display.clone(),
            message,
        });
    }

    let mut findings = Vec::new();
    if let Some(at) = utf8_error {
        if syntax != parse::Syntax::Text {
            let mut f = file_problem(
                "parse-error",
                format!("file is not valid UTF-8 (first invalid byte at offset {at}); it was not checked"),
                c,
                config,
            );
            f.kind = Some(kind);
            f.span = Some(Span::new(at.min(source.len()), at.min(source.len())));
            findings.push(f);
            return finish(res, findings, source, kind, &lines, c, config);
        }
    }
    let mut ciphertext: Vec<Span> = Vec::new();
    if let Some(mut parsed) = pyindex.parse(&c.fs_path, syntax, &source, limits) {
        // conftest evaluates an empty YAML file as one `null` document (formats hook).
        if syntax == parse::Syntax::Yaml && parsed.docs.is_empty() && parsed.error.is_none() {
            parsed.docs.push(parse::ParsedDoc {
                value: serde_json::Value::Null,
                spans: crate::document::SpanMap::new(),
            });
        }
        let parse_failed = parsed.error.as_ref().map(|e| e.span);
        // With conftest-style (user) policies loaded the run is conftest's, and conftest fails
        // on a file it cannot read: then a parse error, as for a named file.
        let unread_extra_format = !c.named
            && crate::parse::conftest_only_syntax(&c.fs_path).is_some()
            && !ev.policies().has_conftest_rules();
        if let (Some(err), true) = (&parsed.error, unread_extra_format) {
            // A file in one of conftest's extra formats (CUE, Jsonnet, nginx, HOCON …) that a
            // directory walk came across and that custos cannot evaluate (a CUE schema with
            // references, Jsonnet that imports a library, a templated nginx.conf) is a note:
            // no bundled rule reads these formats, and failing the gate on every such file in
            // a repository would cry wolf. Named on the command line, it is a parse error.
            res.notes.push(Note {
                path: c.display.clone(),
                message: format!("not checked: {} could not be read: {}", kind, err.message),
            });
        } else if let Some(err) = parsed.error {
            let mut f = file_problem(
                "parse-error",
                format!(
                    "{} ({kind} could not be parsed; it was not fully checked)",
                    err.message
                ),
                c,
                config,
            );
            f.kind = Some(kind);
            f.span = err.span;
            findings.push(f);
        }
        // Terraform's JSON syntax is an object at the top level; anything else is not
        // Terraform, and no rule would ever look at it.
        if kind == Kind::Terraform && syntax == parse::Syntax::Json {
            if let Some(d) = parsed.docs.iter().find(|d| !d.value.is_object()) {
                let found = match &d.value {
                    serde_json::Value::Array(_) => "an array",
                    serde_json::Value::String(_) => "a string",
                    serde_json::Value::Number(_) => "a number",
                    serde_json::Value::Bool(_) => "a boolean",
                    _ => "null",
                };
                let mut f = file_problem(
                    "parse-error",
                    format!("Terraform JSON must be an object at the top level, found {found}; it was not checked"),
                    c,
                    config,
                );
                f.kind = Some(kind);
                f.span = d.spans.get("").copied();
                findings.push(f);
                return finish(res, findings, source, kind, &lines, c, config);
            }
        }
        // HCL2 reaches conftest-style (user) policies in conftest's own shape (hcl2json:
        // every block an array of bodies), file by file as conftest reads it; bundled and
        // custos-style rules read custos's resolved Terraform documents below.
        let conftest_hcl = syntax == parse::Syntax::Hcl
            && parse_failed.is_none()
            && ev.policies().has_conftest_rules();
        if conftest_hcl {
            if let Some(shaped) = parse::parse_conftest(syntax, &source, limits) {
                for (index, d) in shaped.docs.into_iter().enumerate() {
                    let doc = Document {
                        path: c.display.clone(),
                        kind,
                        index,
                        input: d.value,
                        spans: d.spans,
                    };
                    findings.extend(ev.evaluate_conftest_in(&doc, &source, &lines, config));
                }
            }
        }
        let conftest_before = ev.set_conftest_elsewhere(conftest_hcl);
        for (index, d) in parsed.docs.into_iter().enumerate() {
            if d.value.is_null() {
                // An empty YAML document is still input to conftest (user) policies, as
                // `null`; bundled rules have nothing to check in it (formats hook).
                if syntax == parse::Syntax::Yaml {
                    let doc = Document {
                        path: c.display.clone(),
                        kind,
                        index,
                        input: serde_json::Value::Null,
                        spans: d.spans,
                    };
                    res.documents += 1;
                    findings.extend(ev.evaluate_conftest(&doc, config));
                }
                continue;
            }
            // Ciphertext committed on purpose (SealedSecret `encryptedData`) is not a secret.
            ciphertext.extend(
                d.spans
                    .iter()
                    .filter(|(p, _)| p.contains("/encryptedData/"))
                    .map(|(_, s)| *s),
            );
            // A Helm template's static YAML is a manifest: the Kubernetes rules apply to it.
            let doc_kind = if kind == Kind::HelmTemplate
                && d.value.get("apiVersion").is_some()
                && d.value.get("kind").is_some()
            {
                Kind::Kubernetes
            } else {
                kind
            };
            let doc = Document {
                path: c.display.clone(),
                kind: doc_kind,
                index,
                input: d.value,
                spans: d.spans,
            };
            res.documents += 1;
            if kind == Kind::Terraform {
                // Module context: resolution, sibling merging, per-call-site module evaluation.
                let eval = &mut |d: &Document, s: &str, l: &LineIndex| ev.evaluate(d, s, l, config);
                findings.extend(modules.evaluate(&c.fs_path, doc, &source, &lines, eval));
                continue;
            }
            findings.extend(
                ev.evaluate_owned(doc, &source, &lines, config)
                    .into_iter()
                    .map(|mut f| {
                        // Findings name the file's kind (a Helm template stays one).
                        if f.kind.is_some() {
                            f.kind = Some(kind);
                        }
                        f
                    }),
            );
        }
        ev.set_conftest_elsewhere(conftest_before);
    }
    let detected = detector_findings(
        &source,
        kind,
        &c.display,
        &mut findings,
        &ciphertext,
        config,
    );
    findings.extend(detected);
    finish(res, findings, source, kind, &lines, c, config)
}

/// Secret-detector findings for a whole file; none where a policy already flagged the value —
/// except that a specific format (an Airflow Fernet key, a provider-issued token) replaces the
/// generic "credential-named key" config finding (CFG001) on the same value: one finding, the
/// most precise title, severity and remediation.
fn detector_findings(
    source: &str,
    kind: Kind,
    path: &str,
    existing: &mut Vec<Finding>,
    ciphertext: &[Span],
    config: &Config,
) -> Vec<Finding> {
    let ctx = secrets::Context::for_file(path, kind);
    let mut out = Vec::new();
    for d in secrets::scan(source, ctx) {
        if config.is_disabled(d.rule) {
            continue;
        }
        let inside = |f: &Finding| {
            f.sensitive && f.span.is_some_and(|s| s.start <= d.start && d.end <= s.end)
        };
        // Only the format-blind config rule yields; Terraform/Airflow/Kubernetes rules say
        // more than a detector can (where the credential should come from instead).
        if !DEMO_PRONE_RULES.contains(&d.rule) {
            existing.retain(|f| !(inside(f) && f.rule_id == "CFG001"));
        }
        let covered = existing.iter().any(inside);
        if covered
            || ciphertext
                .iter()
                .any(|s| s.start <= d.start && d.end <= s.end)
        {
            continue;
        }
        let value = source.get(d.start..d.end).unwrap_or_default();
        let (severity, message) = logs::describe(&d, value);
        let mut f = Finding::new(d.rule, config.severity_for(d.rule, severity), message, path);
        f.kind = Some(kind);
        f.span = Some(Span::new(d.start, d.end));
        f.sensitive = true;
        out.push(f);
    }
    out
}

/// A log file, streamed: secret and PII findings, each with its own masked excerpt.
fn scan_log(
    mut res: FileResult,
    c: &Candidate,
    config: &Config,
    ev: &mut Evaluator<'_>,
) -> FileResult {
    let mut head = Vec::with_capacity(8192);
    let opened = std::fs::File::open(&c.fs_path).and_then(|f| {
        use std::io::Read as _;
        f.take(8192).read_to_end(&mut head)
    });
    if let Err(e) = opened {
        let mut f = file_problem("read-error", format!("could not read file: {e}"), c, config);
        f.compute_fingerprint(None);
        res.findings.push(f);
        return res;
    }
    if discover::looks_binary(&head) {
        res.notes.push(Note {
            path: c.display.clone(),
            message: "skipped: binary file".into(),
        });
        return res;
    }
    let rel = discover::rel_to(&config.root, &c.fs_path);
    let first_line = String::from_utf8_lossy(&head);
    let first_line = first_line
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    // A [classify] override wins; otherwise the first line tells JSONL, nginx and plain text apart.
    let overridden = config
        .classify
        .iter()
        .find(|(g, _)| g.is_match(&rel))
        .map(|(_, k)| *k);
    let kind = match overridden {
        Some(k @ (Kind::LogJsonl | Kind::LogNginx | Kind::LogText)) => k,
        _ => logs::sniff(first_line),
    };
    let opts = logs::LogOptions {
        entities: config.pii_entities_for(&rel),
        sample: config.log_sample,
    };
    let rate = |rule: &str, severity: Severity| {
        (!config.is_disabled(rule)).then(|| config.severity_for(rule, severity))
    };
    // Access-log audit: every line is also a record of the file's source.
    let source = config.logs.source_for(&rel, &c.display);
    let evaluate = logs::audit::rules_name(ev.policies(), source.kind.unwrap_or(kind));
    let mut audit = logs::audit::FileAudit::new(&config.logs, source, kind, &c.display, evaluate);
    let scanned = logs::scan_file_with(
        &c.fs_path,
        &c.display,
        kind,
        &opts,
        &rate,
        &mut |line, n, start, sampled| audit.line(line, n, start, sampled, ev, config),
    );
    let audited = audit.finish();
    res.documents += audited.documents;
    res.findings.extend(audited.findings);
    for ((rule_id, severity), count) in audited.unlisted {
        res.unlisted.push(Unlisted {
            path: c.display.clone(),
            rule_id,
            severity,
            level: Level::Failure,
            count,
        });
    }
    res.log_partial = Some(Box::new(audited.partial));
    match scanned {
        Ok(scan) => {
            let unlisted = scan.unlisted_total();
            res.scanned = true;
            res.bytes = scan.bytes;
            res.documents += 1;
            for mut f in scan.findings {
                let line_text = f
                    .excerpt
                    .as_ref()
                    .map(|e| e.text.clone())
                    .unwrap_or_default();
                // Fingerprint on the (masked) line, not its position in the file.
                let file_span = f.span;
                f.span = f.excerpt.as_ref().map(|e| Span::new(e.start, e.end));
                f.compute_fingerprint(Some(&line_text));
                f.span = file_span;
                res.findings.push(f);
            }
            if scan.lines_scanned < scan.lines {
                res.notes.push(Note {
                    path: c.display.clone(),
                    message: format!(
                        "sampled: scanned {} of {} lines (log_sample)",
                        scan.lines_scanned, scan.lines
                    ),
                });
            }
            if unlisted > 0 {
                res.notes.push(Note {
                    path: c.display.clone(),
                    message: format!(
                        "{unlisted} more finding{} counted but not listed (at most {} listed per log file, most severe first); they count in the totals and the exit code",
                        if unlisted == 1 { "" } else { "s" },
                        logs::MAX_FINDINGS_PER_LOG
                    ),
                });
            }
            for ((rule_id, severity), count) in scan.unlisted {
                res.unlisted.push(Unlisted {
                    path: c.display.clone(),
                    rule_id,
                    severity,
                    level: Level::Failure,
                    count,
                });
            }
        }
        Err(e) => {
            let mut f = file_problem("read-error", format!("could not read file: {e}"), c, config);
            f.compute_fingerprint(None);
            res.findings.push(f);
        }
    }
    res
}

/// Decode a UTF-16 file that starts with a byte-order mark: `None` when it has none,
/// `Err(offset)` when it is not valid UTF-16.
fn decode_utf16(bytes: &[u8]) -> Option<Result<String, usize>> {
    let (le, body) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => return None,
    };
    if body.len() % 2 != 0 {
        return Some(Err(bytes.len() - 1));
    }
    let units = body.chunks_exact(2).map(|p| {
        let pair = [p[0], p[1]];
        if le {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    });
    let mut out = String::with_capacity(body.len() / 2);
    for (i, ch) in char::decode_utf16(units).enumerate() {
        match ch {
            Ok(c) => out.push(c),
            Err(_) => return Some(Err(2 + 2 * i)),
        }
    }
    Some(Ok(out))
}

/// A finding about the file itself (it could not be read or parsed), at the configured severity.
fn file_problem(rule: &str, message: String, c: &Candidate, config: &Config) -> Finding {
    Finding::new(
        rule,
        config.severity_for(rule, config.parse_error_severity),
        message,
        &c.display,
    )
}

fn finish(
    mut res: FileResult,
    mut findings: Vec<Finding>,
    source: String,
    kind: Kind,
    lines: &LineIndex,
    c: &Candidate,
    config: &Config,
) -> FileResult {
    res.suppressed = suppress::apply_inline(
        &mut findings,
        &source,
        kind,
        lines,
        &c.display,
        suppress::InlineOptions {
            known: &config.known_rules,
            require_reason: config.require_reason,
        },
    );
    finding::fold_duplicates(&mut findings, &source);
    for f in &mut findings {
        f.compute_fingerprint(Some(&source));
    }
    if !findings.is_empty() {
        res.source = Some(source);
    }
    res.findings = findings;
    res
}
