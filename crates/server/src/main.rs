//! `purse-server`: see [`purse_server::cli`].

fn main() -> std::process::ExitCode {
    purse_server::cli::main()
}
