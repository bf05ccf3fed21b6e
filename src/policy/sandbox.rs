//! The bound around untrusted policies: a user's Rego runs in a child process — custos
//! re-executing itself as `custos policy-worker` — with a capped address space and a fixed
//! stack, watched by a deadline. Whatever a policy does, the worst it can do is end its own
//! worker; the scan turns that into a `policy-error` finding and goes on with a fresh worker.
//!
//! # Why a process, and what was measured
//!
//! regorus's execution timer is cooperative: it is checked between expressions, never inside
//! a builtin, and there is no hook for memory. In one process, three things end the whole run
//! and none of them can be caught in Rust: an allocation that fails (`numbers.range(0, 3e9)`
//! asks for 24 GB at once and aborts; a string that doubles in a loop reached 4.6 GB RSS
//! before aborting), a stack overflow (a recursive function), and a builtin that never
//! returns in time. The alternatives were measured against that list:
//!
//! - *Size caps on allocation-heavy builtins* (an extension can shadow a builtin: regorus
//!   looks extensions up first). Each cap is per call; a comprehension that calls a capped
//!   builtin a million times, set union, object construction, `sprintf` over a big array
//!   still grow without bound, so caps cover examples rather than the class.
//! - *regorus's `allocator-memory-limits`* swaps in a C allocator for the whole binary, counts
//!   process-wide (a hostile policy on one thread fails trusted rules on another) and cannot
//!   stop one huge allocation either.
//! - *A bigger stack and a depth counter* bound recursion but not memory or builtins.
//!
//! A child process bounds all of them at once: the kernel refuses allocations past
//! `RLIMIT_AS` (the worker aborts, the parent reads why from its stderr), the evaluation
//! thread's stack is fixed (an overflow aborts the worker, not the scan), and the parent kills
//! a worker that outlives the policy time limit plus [`GRACE`]. Bundled policies are trusted
//! and stay in-process, so a scan without user policies starts no worker and pays nothing.
//! A scan with user policies pays one worker start-up per parallel evaluator (the worker
//! parses the policies once and then serves every document; the first one starts while the
//! scan compiles its own copy, and it compiles the bundled set only when the user's
//! policies can reach it) and a JSON round trip per document: about 5 ms of CPU for a
//! one-file scan, measured in `docs/policy-bounds.md`.
//!
//! Recursion is also rejected before anything runs (see `analysis`), as OPA does: the
//! worker's stack limit is the backstop for what a static check cannot see.
//!
//! # Protocol
//!
//! Newline-delimited JSON over the worker's stdin/stdout. The parent sends one [`Setup`]
//! line; the worker answers [`Reply::Ready`] once the policies are compiled. Then, per
//! document, the parent sends a [`Request`] (the input and the entry rules to evaluate) and
//! the worker answers one [`Reply`] per entry, in order. The worker writes nothing else to
//! stdout; its stderr is read only to recognise how it died, and never copied into a finding
//! (it could hold input values).
//!
//! Limits: on Linux `RLIMIT_AS` is enforced by the kernel; on macOS it is not, so there the
//! time limit is what bounds a growing worker. Every worker is bounded separately: the scan
//! runs up to one worker per evaluation thread.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use regorus::Value;
use serde::{Deserialize, Serialize};

/// The hidden subcommand that runs a worker.
pub const WORKER_COMMAND: &str = "policy-worker";

/// Address space of one worker unless configured (`policy_memory_limit`).
pub const DEFAULT_MEMORY_LIMIT: u64 = 1024 * 1024 * 1024;

/// The smallest memory limit accepted: below this the worker cannot hold the compiled
/// bundled policies and its own stack.
pub const MIN_MEMORY_LIMIT: u64 = 256 * 1024 * 1024;

/// Stack of the worker's evaluation thread. Function recursion is rejected at load time and
/// rule recursion by regorus, so only a long acyclic chain of calls can come near this.
pub const WORKER_STACK: usize = 64 * 1024 * 1024;

/// How long past the policy time limit the parent waits before it kills a worker: the
/// regorus timer is checked between expressions, so a worker inside a long builtin call
/// overruns it a little.
pub const GRACE: Duration = Duration::from_secs(1);

/// How long a worker may take to start and compile the policies.
const STARTUP: Duration = Duration::from_secs(60);

/// Largest reply line the parent reads: a policy that returns more is a `policy-error`, so a
/// worker cannot move its memory into the parent.
pub const MAX_REPLY: u64 = 16 * 1024 * 1024;

/// Most results one untrusted entry rule may return for one document; each becomes a finding
/// in the parent, so this bounds the parent's memory too.
pub const MAX_RESULTS: usize = 10_000;

/// The bounds on evaluating untrusted policies.
#[derive(Debug, Clone)]
pub struct Bounds {
    /// Time limit of one policy on one document (the regorus timer; the worker is killed at
    /// this plus [`GRACE`]).
    pub timeout: Duration,
    /// Address-space limit of one worker process, in bytes.
    pub memory_limit: u64,
    /// Stack of the worker's evaluation thread, in bytes.
    pub stack_size: usize,
    /// The custos binary to run as the worker; `None` is the running executable.
    pub worker_exe: Option<PathBuf>,
    /// `--trace`: workers report each entry rule's evaluation (see [`trace_lines`]).
    pub trace: bool,
}

impl Bounds {
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            memory_limit: DEFAULT_MEMORY_LIMIT,
            stack_size: WORKER_STACK,
            worker_exe: None,
            trace: false,
        }
    }
}

/// What the worker needs to compile exactly the policy set the parent compiled.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Setup {
    pub include_bundled: bool,
    pub include_tests: bool,
    /// The user's policy files (display path, text), in load order.
    pub files: Vec<(String, String)>,
    pub data: serde_json::Value,
    pub timeout_ms: u64,
    pub memory_limit: u64,
    pub stack_size: usize,
    /// `--trace` (absent in a setup from an older parent: off).
    #[serde(default)]
    pub trace: bool,
    /// conftest's `--proto-file-dirs`, for `parse_config*` on text-format files.
    #[serde(default)]
    pub proto_file_dirs: Vec<std::path::PathBuf>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Request {
    /// The document (`null` is a document: an empty YAML file is `null` input to conftest
    /// policies).
    input: Option<serde_json::Value>,
    /// Evaluate without input (metadata): `input` is undefined.
    #[serde(default)]
    no_input: bool,
    entries: Vec<String>,
    /// The file the document comes from, as conftest gives it to policies:
    /// `data.conftest.file.name` (the path as shown) and `data.conftest.file.dir`.
    #[serde(default)]
    file: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Reply {
    Ready,
    /// What the policy printed while evaluating the next entry (sent before its result).
    Printed(Vec<String>),
    Value(Value),
    Undefined,
    Error(String),
}

/// The result of one entry rule evaluated in a worker.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Value(Value),
    /// The policy raised an error (a Rego error, or the regorus time limit): `reason` is one
    /// line; `bound` tells a limit from an ordinary error.
    Error {
        reason: String,
        bound: bool,
    },
}

/// Why a worker is gone, or could not be used.
enum Failure {
    TimedOut,
    Died,
    TooLarge,
}

enum Line {
    Text(String),
    TooLong,
}

/// One running worker process.
pub(crate) struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    replies: Receiver<Line>,
    stderr: Option<JoinHandle<Vec<u8>>>,
}

impl Worker {
    /// Start a worker and wait until it has compiled the policies.
    fn spawn(exe: &Path, setup: &str, bounds: &Bounds) -> Result<Self, String> {
        Self::launch(exe, setup, bounds)?.ready(bounds)
    }

    /// Start a worker and hand it the setup, without waiting for it.
    fn launch(exe: &Path, setup: &str, bounds: &Bounds) -> Result<Self, String> {
        let mut child = Command::new(exe)
            .arg(WORKER_COMMAND)
            // A backtrace would only slow down a worker's death: nobody reads it.
            .env("RUST_BACKTRACE", "0")
            .env("RUST_LIB_BACKTRACE", "0")
            // One malloc arena: glibc reserves 64 MiB of address space per extra arena, and
            // creates one when two threads allocate at once, so under contention a worker
            // could run out of its capped address space (seen at the 256 MiB minimum, on a
            // loaded machine) before the policy used any of it.
            .env("MALLOC_ARENA_MAX", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the policy worker {}: {e}", exe.display()))?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("cannot start the policy worker: no pipes".to_owned());
        };
        let (tx, replies) = mpsc::channel();
        // Reader threads end at the worker's EOF, i.e. when it exits or is killed.
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut buf = Vec::new();
                match (&mut reader)
                    .take(MAX_REPLY + 1)
                    .read_until(b'\n', &mut buf)
                {
                    Ok(0) | Err(_) => break,
                    Ok(_) if buf.last() != Some(&b'\n') => {
                        // Over the limit, or EOF mid-line: either way this worker is done.
                        if buf.len() as u64 > MAX_REPLY {
                            let _ = tx.send(Line::TooLong);
                        }
                        break;
                    }
                    Ok(_) => {
                        let text = String::from_utf8_lossy(&buf).into_owned();
                        if tx.send(Line::Text(text)).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            // Keep the tail: the line that says why a worker aborted is its last.
            let mut tail = Vec::new();
            let mut chunk = [0u8; 4096];
            let mut stderr = stderr;
            while let Ok(n) = stderr.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                tail.extend_from_slice(chunk.get(..n).unwrap_or_default());
                if tail.len() > 16 * 1024 {
                    tail.drain(..tail.len() - 8 * 1024);
                }
            }
            tail
        });
        let mut w = Self {
            stdin: child.stdin.take(),
            child,
            replies,
            stderr: Some(stderr),
        };
        if w.send(setup).is_err() {
            return Err(format!(
                "the policy worker did not start: {}",
                w.death_reason(bounds)
            ));
        }
        Ok(w)
    }

    /// Wait for a launched worker to be ready.
    fn ready(mut self, bounds: &Bounds) -> Result<Self, String> {
        let w = &mut self;
        match w.recv(STARTUP) {
            Ok(Reply::Ready) => Ok(self),
            Ok(Reply::Error(e)) => {
                w.kill();
                Err(format!(
                    "the policy worker could not load the policies: {e}"
                ))
            }
            Ok(_) | Err(Failure::TooLarge) => {
                w.kill();
                Err("the policy worker did not start: unexpected reply".to_owned())
            }
            Err(Failure::TimedOut) => {
                w.kill();
                Err("the policy worker did not start within 60 s".to_owned())
            }
            Err(Failure::Died) => Err(format!(
                "the policy worker did not start: {}",
                w.death_reason(bounds)
            )),
        }
    }

    fn send(&mut self, line: &str) -> std::io::Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| std::io::Error::other("worker stdin closed"))?;
        stdin.write_all(line.as_bytes())?;
        stdin.write_all(b"\n")?;
        stdin.flush()
    }

    fn recv(&mut self, within: Duration) -> Result<Reply, Failure> {
        match self.replies.recv_timeout(within) {
            Ok(Line::Text(t)) => serde_json::from_str(&t).map_err(|_| Failure::Died),
            Ok(Line::TooLong) => Err(Failure::TooLarge),
            Err(RecvTimeoutError::Timeout) => Err(Failure::TimedOut),
            Err(RecvTimeoutError::Disconnected) => Err(Failure::Died),
        }
    }

    fn kill(&mut self) {
        self.stdin = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Wait for a worker whose stdout closed and say why it ended.
    fn death_reason(&mut self, bounds: &Bounds) -> String {
        self.stdin = None;
        let deadline = Instant::now() + Duration::from_secs(5);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                _ => {
                    let _ = self.child.kill();
                    break self.child.wait().ok();
                }
            }
        };
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        classify(status, &String::from_utf8_lossy(&stderr), bounds)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A byte count for people: `1 GiB`, `64 MiB`, `1500 bytes`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if n >= size && n.is_multiple_of(size) {
            return format!("{} {unit}", n / size);
        }
    }
    format!("{n} bytes")
}

/// Turn a dead worker's exit status and stderr into the reason a finding gives. Only lines
/// custos itself recognises are quoted: stderr could carry input values.
fn classify(status: Option<ExitStatus>, stderr: &str, bounds: &Bounds) -> String {
    let mem = bounds.memory_limit;
    let stack = bounds.stack_size;
    if let Some(line) = stderr
        .lines()
        .find(|l| l.starts_with("memory allocation of ") && l.ends_with(" failed"))
    {
        return format!(
            "it exceeded the memory limit of {} ({line})",
            human_bytes(mem)
        );
    }
    if stderr.contains("has overflowed its stack") {
        return format!(
            "it exceeded the stack limit of {} (calls nested too deeply)",
            human_bytes(stack as u64)
        );
    }
    #[cfg(unix)]
    if let Some(sig) = status.and_then(|s| std::os::unix::process::ExitStatusExt::signal(&s)) {
        return match sig {
            9 => "the policy worker was killed (signal 9, most likely out of memory)".to_owned(),
            _ => format!("the policy worker died (signal {sig})"),
        };
    }
    match status.and_then(|s| s.code()) {
        Some(code) => format!("the policy worker exited unexpectedly (exit code {code})"),
        None => "the policy worker died".to_owned(),
    }
}

/// One line a person can act on from a regorus error: where (the first `--> file:line:col`)
/// and what (the `error:` line), with the chain of locations of a recursion.
pub(crate) fn summarise(err: &str, timeout: Duration) -> (String, bool) {
    if err.contains("execution exceeded time limit") {
        return (
            format!("it exceeded the time limit of {} ms", timeout.as_millis()),
            true,
        );
    }
    let locations: Vec<&str> = err
        .lines()
        .filter_map(|l| l.trim().strip_prefix("--> "))
        .collect();
    let message = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .or_else(|| {
            err.lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with("-->") && !l.contains('|'))
        })
        .unwrap_or("evaluation failed")
        .trim_end_matches(':');
    if message.starts_with("recursion detected") {
        // The first location is the rule that was re-entered; the rest is the chain of
        // rules being evaluated when it was, ending with it again.
        let at = |l: &&str| l.rsplit_once(':').map_or(*l, |(a, _)| a).to_owned();
        let rule = locations.first().map_or_else(|| "?".to_owned(), at);
        let file = rule.rsplit_once(':').map_or("", |(f, _)| f).to_owned();
        // Locations in the rule's own file are shortened to their line.
        let chain: Vec<String> = locations
            .iter()
            .skip(1)
            .map(|l| {
                let a = at(l);
                match a.rsplit_once(':') {
                    Some((f, n)) if f == file => format!("line {n}"),
                    _ => a,
                }
            })
            .collect();
        return (
            format!(
                "the rule at {rule} depends on itself ({}); Rego does not allow recursion",
                chain.join(" → ")
            ),
            true,
        );
    }
    match locations.first() {
        Some(at) => (format!("{at}: {message}"), false),
        None => (message.to_owned(), false),
    }
}

/// Workers for untrusted policies, started on demand and reused across documents.
pub(crate) struct Sandbox {
    setup: String,
    exe: PathBuf,
    bounds: Bounds,
    /// A worker launched early and not yet waited for (see [`Sandbox::launch`]).
    pending: Mutex<Option<Result<Worker, String>>>,
    idle: Mutex<Vec<Worker>>,
    /// `print()` output the workers sent, in the order it arrived.
    prints: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("bounds", &self.bounds)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    pub fn new(setup: &Setup, bounds: Bounds) -> Result<Self, String> {
        // The worker is this custos executable, unless told otherwise (`CUSTOS_POLICY_WORKER`
        // names it for embedders and for test harnesses, whose own executable is not custos).
        let exe = match (&bounds.worker_exe, std::env::var_os("CUSTOS_POLICY_WORKER")) {
            (Some(p), _) => p.clone(),
            (None, Some(p)) => PathBuf::from(p),
            (None, None) => std::env::current_exe()
                .map_err(|e| format!("cannot find the custos executable: {e}"))?,
        };
        let setup = serde_json::to_string(setup).map_err(|e| e.to_string())?;
        Ok(Self {
            setup,
            exe,
            bounds,
            pending: Mutex::new(None),
            idle: Mutex::new(Vec::new()),
            prints: Mutex::new(Vec::new()),
        })
    }

    /// Start a worker without waiting for it: it compiles the policies while the scan
    /// compiles its own copy.
    pub fn launch(&self) {
        let w = Worker::launch(&self.exe, &self.setup, &self.bounds);
        if let Ok(mut p) = self.pending.lock() {
            *p = Some(w);
        }
    }

    /// Have one worker ready (the launched one, or a new one) so that a broken installation
    /// is a setup error, not a finding on every document; it serves the first evaluator.
    pub fn warm_up(&self) -> Result<(), String> {
        let pending = self.pending.lock().ok().and_then(|mut p| p.take());
        let w = match pending {
            Some(launched) => launched?.ready(&self.bounds)?,
            None => Worker::spawn(&self.exe, &self.setup, &self.bounds)?,
        };
        self.checkin(w);
        Ok(())
    }

    /// The `print()` output received so far; taking it empties it.
    pub fn take_prints(&self) -> Vec<String> {
        self.prints
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default()
    }

    pub fn checkout(&self) -> Option<Worker> {
        self.idle.lock().ok().and_then(|mut v| v.pop())
    }

    pub fn checkin(&self, w: Worker) {
        if let Ok(mut v) = self.idle.lock() {
            v.push(w);
        }
    }

    /// Evaluate `entries` on `input` in a worker (`slot` holds the caller's worker between
    /// calls); one outcome per entry, in order. A worker that dies or overruns is replaced,
    /// and the entries after the one that ended it are evaluated in the new worker.
    pub fn evaluate(
        &self,
        slot: &mut Option<Worker>,
        input: Option<&serde_json::Value>,
        entries: &[String],
    ) -> Vec<Outcome> {
        self.evaluate_file(slot, input, None, entries)
    }

    /// [`Sandbox::evaluate`] on a document of the file `file` (conftest's
    /// `data.conftest.file`).
    pub fn evaluate_file(
        &self,
        slot: &mut Option<Worker>,
        input: Option<&serde_json::Value>,
        file: Option<&str>,
        entries: &[String],
    ) -> Vec<Outcome> {
        let mut out: Vec<Outcome> = Vec::with_capacity(entries.len());
        let input_json = match input.map(serde_json::to_string).transpose() {
            Ok(j) => j.unwrap_or_else(|| "null".to_owned()),
            Err(e) => {
                let reason = format!("the document could not be handed to the worker: {e}");
                return entries
                    .iter()
                    .map(|_| Outcome::Error {
                        reason: reason.clone(),
                        bound: false,
                    })
                    .collect();
            }
        };
        let deadline = self.bounds.timeout + GRACE;
        while out.len() < entries.len() {
            let remaining = entries.get(out.len()..).unwrap_or_default();
            let mut worker = match slot.take().or_else(|| self.checkout()) {
                Some(w) => w,
                None => match Worker::spawn(&self.exe, &self.setup, &self.bounds) {
                    Ok(w) => w,
                    Err(reason) => {
                        out.extend(remaining.iter().map(|_| Outcome::Error {
                            reason: reason.clone(),
                            bound: true,
                        }));
                        break;
                    }
                },
            };
            let request = format!(
                "{{\"input\":{input_json},\"no_input\":{},\"entries\":{},\"file\":{}}}",
                input.is_none(),
                serde_json::to_string(remaining).unwrap_or_else(|_| "[]".to_owned()),
                serde_json::to_string(&file).unwrap_or_else(|_| "null".to_owned())
            );
            if worker.send(&request).is_err() {
                out.push(Outcome::Error {
                    reason: worker.death_reason(&self.bounds),
                    bound: true,
                });
                continue;
            }
            let mut keep = true;
            for _ in remaining {
                let mut reply = worker.recv(deadline);
                while let Ok(Reply::Printed(lines)) = reply {
                    if let Ok(mut p) = self.prints.lock() {
                        p.extend(lines);
                    }
                    reply = worker.recv(deadline);
                }
                match reply {
                    Ok(Reply::Value(v)) => out.push(Outcome::Value(v)),
                    Ok(Reply::Undefined) => out.push(Outcome::Value(Value::Undefined)),
                    Ok(Reply::Error(e)) => {
                        let (reason, bound) = summarise(&e, self.bounds.timeout);
                        out.push(Outcome::Error { reason, bound });
                    }
                    Ok(Reply::Ready | Reply::Printed(_)) | Err(Failure::Died) => {
                        out.push(Outcome::Error {
                            reason: worker.death_reason(&self.bounds),
                            bound: true,
                        });
                        keep = false;
                        break;
                    }
                    Err(Failure::TimedOut) => {
                        worker.kill();
                        out.push(Outcome::Error {
                            reason: format!(
                                "it exceeded the time limit of {} ms and its worker was stopped",
                                self.bounds.timeout.as_millis()
                            ),
                            bound: true,
                        });
                        keep = false;
                        break;
                    }
                    Err(Failure::TooLarge) => {
                        worker.kill();
                        out.push(Outcome::Error {
                            reason: format!("its result is larger than {}", human_bytes(MAX_REPLY)),
                            bound: true,
                        });
                        keep = false;
                        break;
                    }
                }
            }
            // A worker that was stopped is dropped here; the loop starts a fresh one for
            // the entries still to do.
            if keep {
                *slot = Some(worker);
            }
        }
        out
    }
}

/// Apply the worker's own limits. `setrlimit` on itself needs no `unsafe` and no `pre_exec`.
fn apply_limits(setup: &Setup) {
    #[cfg(unix)]
    {
        // A worker that aborts must not leave a core file of the user's data behind.
        let _ = rlimit::setrlimit(rlimit::Resource::CORE, 0, 0);
        let _ = rlimit::setrlimit(rlimit::Resource::AS, setup.memory_limit, setup.memory_limit);
    }
    #[cfg(not(unix))]
    let _ = setup;
}

/// The worker: read the setup, cap this process, compile the policies on a thread with a
/// fixed stack, then answer requests until stdin closes. Returns the process exit code.
pub fn serve<R, W>(input: R, output: W) -> i32
where
    R: Read + Send + 'static,
    W: Write + Send + 'static,
{
    let mut reader = BufReader::new(input);
    let mut line = String::new();
    if !matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
        return 2;
    }
    let Ok(setup) = serde_json::from_str::<Setup>(&line) else {
        return 2;
    };
    apply_limits(&setup);
    if !setup.proto_file_dirs.is_empty() {
        let _ = crate::parse::textproto_schema::activate(&setup.proto_file_dirs);
    }
    let stack = setup.stack_size;
    let spawned = std::thread::Builder::new()
        .name("policy-worker".to_owned())
        .stack_size(stack)
        .spawn(move || run_worker(&setup, reader, output));
    match spawned {
        Ok(h) => h.join().unwrap_or(2),
        Err(_) => 2,
    }
}

fn write_reply(out: &mut impl Write, reply: &Reply) -> std::io::Result<()> {
    let text = serde_json::to_string(reply).unwrap_or_else(|e| {
        serde_json::to_string(&Reply::Error(format!("result not representable: {e}")))
            .unwrap_or_default()
    });
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

fn run_worker(setup: &Setup, mut input: impl BufRead, output: impl Write) -> i32 {
    let mut output = std::io::BufWriter::new(output);
    let mut engine = match super::compile_untrusted(setup) {
        Ok(e) => e,
        Err(e) => {
            let _ = write_reply(&mut output, &Reply::Error(e.to_string()));
            return 2;
        }
    };
    if write_reply(&mut output, &Reply::Ready).is_err() {
        return 0;
    }
    if setup.trace {
        engine.set_enable_coverage(true);
    }
    let mut line = String::new();
    let mut data_file: Option<String> = None;
    loop {
        line.clear();
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => return 0,
            Ok(_) => {}
        }
        let Ok(req) = decode_request(&line) else {
            return 2;
        };
        if req.file.is_some() && req.file != data_file {
            // conftest's `data.conftest.file`, replaced when the file changes.
            engine.clear_data();
            let data = with_conftest_file(&setup.data, req.file.as_deref().unwrap_or_default());
            if let Err(e) = engine.add_data(Value::from(data)) {
                let _ = write_reply(&mut output, &Reply::Error(format!("data: {e}")));
                return 2;
            }
            data_file.clone_from(&req.file);
        }
        engine.set_input(if req.no_input {
            Value::Undefined
        } else {
            Value::from(req.input.unwrap_or(serde_json::Value::Null))
        });
        for entry in req.entries {
            if setup.trace {
                engine.clear_coverage_data();
            }
            let reply = match engine.eval_rule(entry.clone()) {
                Ok(Value::Undefined) => Reply::Undefined,
                Ok(Value::Set(s)) if s.len() > MAX_RESULTS => Reply::Error(format!(
                    "it returned {} results; at most {MAX_RESULTS} per document are accepted",
                    s.len()
                )),
                Ok(Value::Array(a)) if a.len() > MAX_RESULTS => Reply::Error(format!(
                    "it returned {} results; at most {MAX_RESULTS} per document are accepted",
                    a.len()
                )),
                Ok(v) => Reply::Value(v),
                Err(e) => Reply::Error(e.to_string()),
            };
            let mut printed = engine.take_prints().unwrap_or_default();
            if setup.trace {
                printed.extend(trace_lines(&engine, setup, &entry, &reply));
            }
            if !printed.is_empty() && write_reply(&mut output, &Reply::Printed(printed)).is_err() {
                return 0;
            }
            if write_reply(&mut output, &reply).is_err() {
                return 0;
            }
        }
    }
}

/// A request from the parent. serde_json's default nesting limit (128) is lifted: documents
/// are already bounded by the parsers' depth limit (256 levels of the source; a Groovy tree
/// level is two JSON levels), and the worker runs on a large stack
/// ([`Setup::stack_size`]).
fn decode_request(line: &str) -> serde_json::Result<Request> {
    use serde::Deserialize as _;
    let mut de = serde_json::Deserializer::from_str(line);
    de.disable_recursion_limit();
    let req = Request::deserialize(&mut de)?;
    de.end()?;
    Ok(req)
}

/// `data` with `conftest.file` set to `{name, dir}` for the file at `path`, as conftest gives
/// each file's documents (`dir` is the path's parent, `.` for a bare name).
fn with_conftest_file(data: &serde_json::Value, path: &str) -> serde_json::Value {
    let dir = match std::path::Path::new(path).parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_string_lossy().into_owned(),
        _ => ".".to_owned(),
    };
    let mut data = match data {
        serde_json::Value::Object(_) => data.clone(),
        _ => serde_json::json!({}),
    };
    let file = serde_json::json!({"name": path, "dir": dir});
    if let Some(root) = data.as_object_mut() {
        let conftest = root
            .entry("conftest")
            .or_insert_with(|| serde_json::json!({}));
        match conftest.as_object_mut() {
            Some(c) => {
                c.insert("file".to_owned(), file);
            }
            None => *conftest = serde_json::json!({ "file": file }),
        }
    }
    data
}

/// Marks a printed line as trace output (`show_prints` writes it as `TRAC`).
pub const TRACE_MARK: &str = "\u{1}trace ";

/// `--trace` for one entry rule: `Enter`, each line of the user's policies it evaluated (in
/// file and line order, from regorus's line coverage: regorus exposes no step-by-step trace),
/// then `Exit` with the result, `Fail` when undefined, or `Error`.
fn trace_lines(engine: &regorus::Engine, setup: &Setup, entry: &str, reply: &Reply) -> Vec<String> {
    let mut out = vec![format!("{TRACE_MARK}Enter {entry}")];
    if let Ok(report) = engine.get_coverage_report() {
        let mut files: Vec<_> = report
            .files
            .iter()
            .filter(|f| setup.files.iter().any(|(p, _)| *p == f.path))
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        for f in files {
            let lines: Vec<&str> = f.code.lines().collect();
            let aliases = import_aliases(&f.code);
            for n in &f.covered {
                let text = usize::try_from(*n)
                    .ok()
                    .and_then(|i| lines.get(i.saturating_sub(1)))
                    .map_or("", |l| l.trim());
                let refs = imported_refs(text, &aliases);
                let refs = if refs.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", refs.join(", "))
                };
                out.push(format!("{TRACE_MARK}| Eval {}:{n}: {text}{refs}", f.path));
            }
        }
    }
    out.push(match reply {
        Reply::Undefined => format!("{TRACE_MARK}Fail {entry} (undefined)"),
        Reply::Error(e) => format!("{TRACE_MARK}Error {entry}: {e}"),
        Reply::Value(v) => {
            let mut shown = serde_json::to_string(v).unwrap_or_default();
            if shown.len() > 200 {
                let mut cut = 200;
                while !shown.is_char_boundary(cut) {
                    cut -= 1;
                }
                shown.truncate(cut);
                shown.push('…');
            }
            format!("{TRACE_MARK}Exit {entry} = {shown}")
        }
        Reply::Ready | Reply::Printed(_) => String::new(),
    });
    out
}

/// `alias → data.path` for a policy file's `import data.…` lines (read from its text).
fn import_aliases(code: &str) -> Vec<(String, String)> {
    code.lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("import ")?;
            let mut words = rest.split_whitespace();
            let path = words.next()?;
            if !path.starts_with("data.") {
                return None;
            }
            let alias = match (words.next(), words.next()) {
                (Some("as"), Some(a)) => a.to_owned(),
                _ => path.rsplit('.').next()?.to_owned(),
            };
            Some((alias, path.to_owned()))
        })
        .collect()
}

/// The `data.…` paths that `alias.name` references on a line resolve to (what conftest's
/// trace shows for them).
fn imported_refs(text: &str, aliases: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (alias, path) in aliases {
        let needle = format!("{alias}.");
        let mut from = 0;
        while let Some(i) = text.get(from..).and_then(|t| t.find(&needle)) {
            let at = from + i;
            from = at + needle.len();
            let before_ok = text
                .get(..at)
                .unwrap_or_default()
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'));
            let name: String = text
                .get(from..)
                .unwrap_or_default()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if before_ok && !name.is_empty() {
                let r = format!("{path}.{name}");
                if !out.contains(&r) {
                    out.push(r);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_resolves_imported_references() {
        let code = "package main\nimport data.kubernetes\nimport data.lib.x as y\n";
        let a = import_aliases(code);
        assert_eq!(
            imported_refs("kubernetes.is_service; y.f(1); notkubernetes.z", &a),
            vec!["data.kubernetes.is_service", "data.lib.x.f"]
        );
    }

    #[test]
    fn summarise_keeps_location_and_message_only() {
        let err = "\n--> p.rego:3:1\n  |\n3 | deny contains x if { secret == \"hunter2\" }\n  | ^\nerror: something failed";
        let (r, bound) = summarise(err, Duration::from_secs(5));
        assert_eq!(r, "p.rego:3:1: something failed");
        assert!(!bound);
        assert!(!r.contains("hunter2"));
    }

    #[test]
    fn summarise_names_time_limit_and_rule_cycles() {
        let (r, bound) = summarise(
            "execution exceeded time limit (elapsed=2063995114ns, limit=2000000000ns)",
            Duration::from_secs(2),
        );
        assert_eq!(r, "it exceeded the time limit of 2000 ms");
        assert!(bound);
        let err = "\n--> p.rego:3:1\n  |\n3 | a if b\n  | ^\nerror: recursion detected when evaluating rule:\n--> p.rego:3:1\n  |\n3 | a if b\n  | ^\ndepends on: \n--> p.rego:4:1\n  |\n4 | b if a\n  | ^\ndepends on: cyclic evaluation";
        let (r, bound) = summarise(err, Duration::from_secs(5));
        assert!(bound);
        assert_eq!(
            r,
            "the rule at p.rego:3 depends on itself (line 3 → line 4); Rego does not allow recursion"
        );
    }

    #[test]
    fn classify_recognises_allocation_failure_and_stack_overflow_only() {
        let b = Bounds::new(Duration::from_secs(1));
        let r = classify(None, "memory allocation of 24000000024 bytes failed\n", &b);
        assert_eq!(
            r,
            "it exceeded the memory limit of 1 GiB (memory allocation of 24000000024 bytes failed)"
        );
        let r = classify(
            None,
            "\nthread 'policy-worker' has overflowed its stack\nfatal runtime error: stack overflow\n",
            &b,
        );
        assert_eq!(
            r,
            "it exceeded the stack limit of 64 MiB (calls nested too deeply)"
        );
        // Anything else on stderr is not quoted.
        let r = classify(None, "panicked at 'AKIA2E0A8F3B244C9986'", &b);
        assert!(!r.contains("AKIA"), "{r}");
    }

    #[test]
    fn human_bytes_uses_the_largest_exact_unit() {
        assert_eq!(human_bytes(1 << 30), "1 GiB");
        assert_eq!(human_bytes(64 << 20), "64 MiB");
        assert_eq!(human_bytes(1536), "1536 bytes");
        assert_eq!(human_bytes(3 << 10), "3 KiB");
    }
}
