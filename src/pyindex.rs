//! The project's Python import index: which Python files belong to the Airflow project although
//! they never import `airflow`, and what the project's own DAG factories do with their arguments.
//!
//! Company repositories build most DAGs through a module of their own
//! (`from dags.common.factory import make_dag` … `make_dag("x", bucket="raw-prod")`); such a
//! file imports no `airflow` itself. Before the parallel per-file stage (like the Terraform
//! [`ModuleIndex`](crate::terraform::ModuleIndex)), this pre-pass:
//! - reads the imports of every discovered `.py` file (a cheap logical-line scan, no parser);
//! - maps dotted module names to files: relative imports (`from .common import x`) from the
//!   importing file's package, absolute ones from the `sys.path`-style roots a DAG repository
//!   uses — a `dags/` folder the file lies in, the scan root, its `src/`, `dags/` and `plugins/`
//!   folders, then the file's other enclosing directories, nearest first;
//! - marks the files that import `airflow` directly or through project modules (a
//!   breadth-first search over reversed import edges, so import cycles end);
//! - summarises (tree-sitter) the Airflow-reaching modules that other files import: which
//!   parameters of each module-level function reach which Airflow keyword argument, closed
//!   over calls between functions across modules.
//!
//! A `.py` file marked here is modelled as an `airflow-dag`, and its calls of those functions
//! become `factory` calls in its model (see [`crate::parse::python`]).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::Config;
use crate::discover::{self, Candidate};
use crate::document::Kind;
use crate::parse::python::{self, lines, Callee, Factory, ModuleSummary, Project};
use crate::parse::{self, Limits, Parsed, Syntax};

/// One imported module as written: `from ..a.b import c, d` → level 2, `a.b`, `[c, d]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub level: usize,
    pub module: String,
    pub names: Vec<String>,
}

impl Import {
    fn is_airflow(&self) -> bool {
        self.level == 0 && (self.module == "airflow" || self.module.starts_with("airflow."))
    }
}

/// The import statements of a Python source (at any indentation: imports inside functions and
/// `try` blocks run too).
pub fn imports(src: &str) -> Vec<Import> {
    let texts: Vec<&str> = match lines::logical_lines(src) {
        Some(ls) => ls.iter().filter_map(|l| src.get(l.text..l.end)).collect(),
        // The scanner lost track (a broken file): fall back to physical lines.
        None => src.lines().map(str::trim_start).collect(),
    };
    let mut out = Vec::new();
    for text in texts {
        if !(text.starts_with("import") || text.starts_with("from")) {
            continue;
        }
        // Drop comments and continuations; an import statement has no strings.
        let flat: String = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" ")
            .replace(['\\', '(', ')'], " ");
        for stmt in flat.split(';') {
            parse_import(stmt.trim(), &mut out);
        }
    }
    out
}

fn parse_import(stmt: &str, out: &mut Vec<Import>) {
    let words = |s: &str| -> String { s.split_whitespace().next().unwrap_or_default().to_owned() };
    if let Some(rest) = stmt.strip_prefix("import ") {
        for item in rest.split(',') {
            let module = words(item);
            if !module.is_empty() {
                out.push(Import {
                    level: 0,
                    module,
                    names: Vec::new(),
                });
            }
        }
    } else if let Some(rest) = stmt.strip_prefix("from ") {
        let Some((module, names)) = rest.split_once(" import ") else {
            return;
        };
        let module = module.trim();
        let level = module.chars().take_while(|c| *c == '.').count();
        let names = names
            .split(',')
            .map(words)
            .filter(|n| !n.is_empty() && n != "*")
            .collect();
        out.push(Import {
            level,
            module: module.get(level..).unwrap_or_default().to_owned(),
            names,
        });
    }
}

#[derive(Debug)]
struct File {
    path: PathBuf,
    display: String,
    imports: Vec<Import>,
    direct: bool,
    /// The file's text holds the word `airflow` (otherwise its imports are read only when
    /// some file imports airflow).
    mentions: bool,
}

/// A summarised module: its imports (for re-exports) and its functions.
#[derive(Debug, Default)]
struct Module {
    summary: ModuleSummary,
    factories: HashMap<String, Factory>,
}

/// Python files of the scan, their import graph and their factories.
#[derive(Debug, Default)]
pub struct PyIndex {
    /// Scan roots (directories).
    roots: Vec<PathBuf>,
    files: Vec<File>,
    by_path: HashMap<PathBuf, usize>,
    /// Every directory name and module name (file stem) on the indexed files' paths: an
    /// import whose first part is none of them names no file here (`os`, `typing`, …), so it
    /// is not looked up under every root. Without this, looking up the standard library's
    /// imports was a third of a scan of a Python package tree.
    names: HashSet<String>,
    /// Per file: imports `airflow`, directly or through project modules.
    airflow: Vec<bool>,
    modules: HashMap<usize, Module>,
}

fn is_py(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("py"))
}

impl PyIndex {
    /// Index the Python files among `files` (found under `roots`).
    pub fn build(files: &[Candidate], roots: &[PathBuf], limits: &Limits) -> Self {
        // A file without the word `airflow` imports no airflow itself; its imports matter
        // only when some file does (then they are the edges towards it), so they are read in
        // a second pass, and only then. Most trees have no Airflow import at all.
        let mut read: Vec<File> = files
            .par_iter()
            .filter(|c| is_py(&c.fs_path) && !discover::is_log_name(&c.fs_path))
            .filter_map(|c| {
                let bytes = std::fs::read(&c.fs_path).ok()?;
                if discover::looks_binary(&bytes) {
                    return None;
                }
                let mentions = memchr::memmem::find(&bytes, b"airflow").is_some();
                let imports = if mentions {
                    imports(&String::from_utf8_lossy(&bytes))
                } else {
                    Vec::new()
                };
                Some(File {
                    path: c.fs_path.clone(),
                    display: c.display.clone(),
                    direct: imports.iter().any(Import::is_airflow),
                    imports,
                    mentions,
                })
            })
            .collect();
        if read.iter().any(|f| f.direct) {
            read.par_iter_mut().filter(|f| !f.mentions).for_each(|f| {
                if let Ok(bytes) = std::fs::read(&f.path) {
                    f.imports = imports(&String::from_utf8_lossy(&bytes));
                }
            });
        }
        let mut index = PyIndex {
            roots: roots
                .iter()
                .map(|r| {
                    if r.is_file() {
                        r.parent().map(Path::to_path_buf).unwrap_or_default()
                    } else {
                        r.clone()
                    }
                })
                .collect(),
            by_path: read
                .iter()
                .enumerate()
                .map(|(i, f)| (f.path.clone(), i))
                .collect(),
            names: read
                .iter()
                .flat_map(|f| {
                    f.path
                        .components()
                        .filter_map(|c| match c {
                            std::path::Component::Normal(n) => Some(n),
                            _ => None,
                        })
                        .chain(f.path.file_stem())
                        .map(|n| n.to_string_lossy().into_owned())
                })
                .collect(),
            airflow: vec![false; read.len()],
            files: read,
            modules: HashMap::new(),
        };
        // Import edges, then the files that reach airflow (reverse breadth-first search).
        let edges: Vec<Vec<usize>> = (0..index.files.len())
            .into_par_iter()
            .map(|i| index.edges(i))
            .collect();
        let mut importers: Vec<Vec<usize>> = vec![Vec::new(); index.files.len()];
        for (i, targets) in edges.iter().enumerate() {
            for &t in targets {
                if let Some(list) = importers.get_mut(t) {
                    list.push(i);
                }
            }
        }
        let mut queue: VecDeque<usize> = VecDeque::new();
        for (i, f) in index.files.iter().enumerate() {
            if f.direct {
                queue.push_back(i);
            }
        }
        while let Some(i) = queue.pop_front() {
            match index.airflow.get_mut(i) {
                Some(seen) if !*seen => *seen = true,
                _ => continue,
            }
            if let Some(list) = importers.get(i) {
                queue.extend(list.iter().copied());
            }
        }
        // Summarise the Airflow-reaching modules that some file imports.
        let mut wanted: Vec<usize> = edges
            .iter()
            .flatten()
            .copied()
            .filter(|&t| index.airflow.get(t).copied().unwrap_or(false))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let summaries: Vec<(usize, ModuleSummary)> = wanted
            .par_iter()
            .filter_map(|&i| {
                let f = index.files.get(i)?;
                let bytes = std::fs::read(&f.path).ok()?;
                Some((
                    i,
                    python::summarize(&String::from_utf8_lossy(&bytes), limits),
                ))
            })
            .collect();
        index.modules = summaries
            .into_iter()
            .map(|(i, summary)| {
                (
                    i,
                    Module {
                        summary,
                        factories: HashMap::new(),
                    },
                )
            })
            .collect();
        index.close();
        index
    }

    /// Close parameter flows across the summarised modules and keep them as factories.
    fn close(&mut self) {
        let mut functions: BTreeMap<(usize, String), python::FunctionSummary> = BTreeMap::new();
        for (&i, m) in &self.modules {
            for (name, f) in &m.summary.functions {
                functions.insert((i, name.clone()), f.clone());
            }
        }
        {
            let this = &*self;
            python::close_flows(&mut functions, |(file, _), callee| {
                this.resolve_function(*file, callee, 0)
                    .map(|(i, n)| Callee::<(usize, String)>::Node((i, n)))
            });
        }
        for ((i, name), f) in functions {
            let display = self.files.get(i).map(|f| f.display.clone());
            if let Some(m) = self.modules.get_mut(&i) {
                m.factories.insert(name, f.factory(display));
            }
        }
    }

    /// The files `file`'s imports name (modules, their packages, imported submodules).
    fn edges(&self, file: usize) -> Vec<usize> {
        let Some(f) = self.files.get(file) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut roots = None;
        for imp in &f.imports {
            if imp.is_airflow() {
                continue;
            }
            out.extend(self.module_files(file, imp.level, &imp.module, &mut roots));
            for name in &imp.names {
                let sub = if imp.module.is_empty() {
                    name.clone()
                } else {
                    format!("{}.{name}", imp.module)
                };
                if let Some(i) = self.module_file_in(file, imp.level, &sub, &mut roots) {
                    out.push(i);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out.retain(|&i| i != file);
        out
    }

    /// Where absolute imports are looked up from, for a file: see the module docs.
    fn roots_for(&self, file: &Path) -> Vec<PathBuf> {
        let root = self
            .roots
            .iter()
            .filter(|r| file.starts_with(r))
            .max_by_key(|r| r.components().count());
        let ancestors: Vec<&Path> = file
            .ancestors()
            .skip(1)
            .take_while(|a| root.is_none_or(|r| a.starts_with(r)))
            .collect();
        let mut out: Vec<PathBuf> = Vec::new();
        let mut push = |p: PathBuf| {
            if !out.contains(&p) {
                out.push(p);
            }
        };
        for a in &ancestors {
            if a.file_name().is_some_and(|n| n == "dags") {
                push(a.to_path_buf());
            }
        }
        if let Some(r) = root {
            push(r.clone());
            for sub in ["src", "dags", "plugins"] {
                push(r.join(sub));
            }
        }
        for a in ancestors {
            push(a.to_path_buf());
        }
        out
    }

    fn lookup(&self, base: &Path, parts: &[&str]) -> Option<usize> {
        let mut p = base.to_path_buf();
        for part in parts {
            p.push(part);
        }
        if parts.is_empty() {
            return self.by_path.get(&p.join("__init__.py")).copied();
        }
        let file = p.with_extension("py");
        self.by_path
            .get(&file)
            .or_else(|| self.by_path.get(&p.join("__init__.py")))
            .copied()
    }

    /// The directory a relative import of `level` dots starts from.
    fn relative_base(&self, file: usize, level: usize) -> Option<PathBuf> {
        let mut base = self.files.get(file)?.path.parent()?.to_path_buf();
        for _ in 1..level {
            base = base.parent()?.to_path_buf();
        }
        Some(base)
    }

    /// The file of module `module` imported from `file` (`level` leading dots).
    fn module_file(&self, file: usize, level: usize, module: &str) -> Option<usize> {
        self.module_file_in(file, level, module, &mut None)
    }

    /// [`PyIndex::module_file`], with `file`'s roots ([`PyIndex::roots_for`]) computed once
    /// into `roots` for all of a file's imports.
    fn module_file_in(
        &self,
        file: usize,
        level: usize,
        module: &str,
        roots: &mut Option<Vec<PathBuf>>,
    ) -> Option<usize> {
        let parts: Vec<&str> = module.split('.').filter(|p| !p.is_empty()).collect();
        if parts
            .first()
            .is_some_and(|first| !self.names.contains(*first))
        {
            return None;
        }
        if level > 0 {
            return self.lookup(&self.relative_base(file, level)?, &parts);
        }
        if parts.is_empty() {
            return None;
        }
        let path = &self.files.get(file)?.path;
        roots
            .get_or_insert_with(|| self.roots_for(path))
            .iter()
            .find_map(|r| self.lookup(r, &parts))
    }

    /// The module's file and the package `__init__.py` files on the way to it (importing
    /// `a.b.c` runs `a/__init__.py` and `a/b/__init__.py` too).
    fn module_files(
        &self,
        file: usize,
        level: usize,
        module: &str,
        roots: &mut Option<Vec<PathBuf>>,
    ) -> Vec<usize> {
        let Some(target) = self.module_file_in(file, level, module, roots) else {
            return Vec::new();
        };
        let mut out = vec![target];
        let parts: Vec<&str> = module.split('.').filter(|p| !p.is_empty()).collect();
        for k in 1..parts.len() {
            let prefix = parts.get(..k).unwrap_or_default().join(".");
            if let Some(pkg) = self
                .module_file_in(file, level, &prefix, roots)
                .filter(|&p| {
                    self.files
                        .get(p)
                        .is_some_and(|f| f.path.ends_with("__init__.py"))
                })
            {
                out.push(pkg);
            }
        }
        out
    }

    /// The summarised function a dotted name used in `file` refers to, following re-exports.
    fn resolve_function(&self, file: usize, dotted: &str, depth: usize) -> Option<(usize, String)> {
        if depth > 8 {
            return None;
        }
        let level = dotted.chars().take_while(|c| *c == '.').count();
        let rest = dotted.get(level..)?;
        let (module, name) = rest.rsplit_once('.').unwrap_or(("", rest));
        if level == 0 && module.is_empty() {
            // A bare name: a function of this very module (forwards inside a module).
            let m = self.modules.get(&file)?;
            return m
                .summary
                .functions
                .contains_key(name)
                .then(|| (file, name.to_owned()));
        }
        let target = self.module_file(file, level, module)?;
        let m = self.modules.get(&target)?;
        if m.summary.functions.contains_key(name) {
            return Some((target, name.to_owned()));
        }
        let alias = m.summary.aliases.get(name)?;
        self.resolve_function(target, alias, depth + 1)
    }

    fn factory(&self, file: usize, dotted: &str) -> Option<&Factory> {
        // Bare names are this file's own functions, which the model reads itself.
        if !dotted.contains('.') {
            return None;
        }
        let (m, name) = self.resolve_function(file, dotted, 0)?;
        self.modules.get(&m)?.factories.get(&name)
    }

    /// Does this file import airflow, directly or through project modules?
    pub fn reaches_airflow(&self, path: &Path) -> bool {
        self.by_path
            .get(path)
            .and_then(|&i| self.airflow.get(i))
            .copied()
            .unwrap_or(false)
    }

    /// Classification hook: a Python file that reaches airflow through project modules is an
    /// Airflow DAG file too (unless `[classify]` in the config says what it is).
    pub fn classify(
        &self,
        path: &Path,
        rel: &Path,
        (kind, syntax): (Kind, Syntax),
        config: &Config,
    ) -> (Kind, Syntax) {
        let overridden = config.classify.iter().any(|(g, _)| g.is_match(rel));
        if kind == Kind::Python && !overridden && self.reaches_airflow(path) {
            (Kind::AirflowDag, Syntax::Python)
        } else {
            (kind, syntax)
        }
    }

    /// Parse hook: Airflow DAG files are modelled with the project's factories.
    pub fn parse(
        &self,
        path: &Path,
        syntax: Syntax,
        source: &str,
        limits: &Limits,
    ) -> Option<Parsed> {
        if syntax != Syntax::Python {
            return parse::parse(syntax, source, limits);
        }
        let ctx = FileContext {
            index: self,
            file: self.by_path.get(path).copied(),
        };
        Some(python::parse_with(source, limits, &ctx))
    }
}

/// The project as one file sees it.
struct FileContext<'a> {
    index: &'a PyIndex,
    file: Option<usize>,
}

impl Project for FileContext<'_> {
    fn factory(&self, dotted: &str) -> Option<&Factory> {
        self.index.factory(self.file?, dotted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imp(level: usize, module: &str, names: &[&str]) -> Import {
        Import {
            level,
            module: module.to_owned(),
            names: names.iter().map(|n| (*n).to_owned()).collect(),
        }
    }

    #[test]
    fn imports_are_read_from_logical_lines() {
        let src = "import os, dags.common.factory as f\nfrom .common import (\n    make_dag,  # the factory\n    s3_task as s3,\n)\nfrom .. import util\nfrom x import *\ndef f():\n    from airflow.models import Variable\ns = \"\"\"\nimport not_an_import\n\"\"\"\n";
        assert_eq!(
            imports(src),
            vec![
                imp(0, "os", &[]),
                imp(0, "dags.common.factory", &[]),
                imp(1, "common", &["make_dag", "s3_task"]),
                imp(2, "", &["util"]),
                imp(0, "x", &[]),
                imp(0, "airflow.models", &["Variable"]),
            ]
        );
        assert!(imports("import airflow\n")[0].is_airflow());
        assert!(!imports("import airflow_utils\n")[0].is_airflow());
    }

    fn fixture_index() -> (PathBuf, PyIndex) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/airflow/factory_repo");
        let config = Config::defaults(root.clone());
        let found = discover::discover(std::slice::from_ref(&root), &config).expect("fixture");
        let index = PyIndex::build(
            &found.files,
            std::slice::from_ref(&root),
            &Limits::default(),
        );
        (root, index)
    }

    #[test]
    fn files_reaching_airflow_through_project_modules() {
        let (root, index) = fixture_index();
        for (file, reaches) in [
            ("dags/common/factory.py", true),
            ("dags/common/__init__.py", true),
            ("dags/sales_daily.py", true),
            ("dags/team/ops.py", true),
            ("dags/cycle_a.py", true),
            ("dags/cycle_b.py", true),
            ("src/acme/hooks.py", true),
            ("tests/test_hooks.py", true),
            ("dags/utils_only.py", false),
            ("dags/shared/defaults.py", false),
            ("dags/__init__.py", false),
            ("src/acme/__init__.py", false),
        ] {
            assert_eq!(index.reaches_airflow(&root.join(file)), reaches, "{file}");
        }
    }

    #[test]
    fn factories_resolve_through_imports_re_exports_and_helpers() {
        let (root, index) = fixture_index();
        let file = |p: &str| index.by_path.get(&root.join(p)).copied().expect("indexed");
        let flows = |f: &Factory, p: &str| -> Vec<String> {
            f.flows
                .get(p)
                .map(|t| t.iter().cloned().collect())
                .unwrap_or_default()
        };
        let sales = file("dags/sales_daily.py");
        let make_dag = index
            .factory(sales, "dags.common.factory.make_dag")
            .expect("make_dag");
        assert_eq!(
            make_dag.params,
            ["dag_id", "owner", "db_password", "bucket", "schedule"]
        );
        assert_eq!(
            make_dag.module.as_deref(),
            Some(
                root.join("dags/common/factory.py")
                    .to_string_lossy()
                    .as_ref()
            )
        );
        // Through the `_default_args` helper into a `default_args` dict key.
        assert_eq!(flows(make_dag, "db_password"), ["db_password"]);
        assert_eq!(flows(make_dag, "bucket"), ["s3_bucket"]);
        let sql_task = index
            .factory(sales, "dags.common.factory.sql_task")
            .expect("sql_task");
        assert_eq!(flows(sql_task, "pw"), ["password"]);
        // A relative import of the package, which re-exports the factory.
        let ops = file("dags/team/ops.py");
        let s3_task = index.factory(ops, "..common.s3_task").expect("s3_task");
        assert_eq!(flows(s3_task, "target"), ["s3_bucket"]);
        // Not factories: names the file defines itself, unknown modules, non-airflow modules.
        assert!(index.factory(sales, "make_dag").is_none());
        assert!(index.factory(sales, "pandas.read_csv").is_none());
        let utils = file("dags/utils_only.py");
        assert!(index
            .factory(utils, "dags.shared.defaults.retry_policy")
            .is_none());
    }
}
