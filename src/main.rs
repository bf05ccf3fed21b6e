//! The `custos` binary: arguments in, exit code out. Everything else lives in the library.

fn main() {
    std::process::exit(custos::cli::run());
}
