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
    std::process::exit(custos::cli::run());
}
