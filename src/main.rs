//! The `custos` binary: arguments in, exit code out. Everything else lives in the library.

fn main() {
    // The policy engine's parser builds (and discards) `anyhow` errors while it backtracks;
    // with `RUST_BACKTRACE=1` in the environment each would capture a backtrace, which made
    // loading the policies several times slower. custos never shows those backtraces, so
    // library backtraces are off unless asked for explicitly (`RUST_LIB_BACKTRACE=1`); panics
    // still honour `RUST_BACKTRACE`. Set before any thread starts.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    // Scan threads get the main thread's stack size (8 MiB) rather than the 2 MiB default of
    // spawned threads: parsers and converters bound their depth, and this keeps a margin
    // where a bound is approximate (a thread's stack is address space, touched only as used).
    // Not in a policy worker: it uses no scan threads, and building the pool starts them at
    // once, each with its own malloc arena reserved in the worker's capped address space.
    // A child process that parses one HCL file under a time limit (src/parse/hcl.rs).
    if std::env::args_os().nth(1).as_deref() == Some(custos::parse::hcl::PROBE_COMMAND.as_ref()) {
        std::process::exit(custos::parse::hcl::probe_main());
    }
    if let Ok(exe) = std::env::current_exe() {
        custos::parse::hcl::use_probe_process(exe);
    }
    if std::env::args_os().nth(1).as_deref()
        != Some(custos::policy::sandbox::WORKER_COMMAND.as_ref())
    {
        let _ = rayon::ThreadPoolBuilder::new()
            .stack_size(8 << 20)
            .build_global();
    }
    std::process::exit(custos::cli::run());
}
