//! `axvs-bench`: the benchmarks (the library's `main`).

fn main() -> std::process::ExitCode {
    axvs_bench::main()
}
