//! `purse-server`: see [`purse_server::cli`].

/// glibc's allocator cost ~10% of the CPU of `POST /transfers` under load (profiled with perf:
/// `_int_malloc`, `_int_free`, `malloc_consolidate` across the worker threads).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    purse_server::cli::main()
}
