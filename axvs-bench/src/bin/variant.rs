//! `axvs-bench-variant`: one variant of `axvs-bench`'s comparison in a fresh process, which `axvs-bench` starts
//! (under callgrind for `--instructions`). It links only what a variant runs.

fn main() -> std::process::ExitCode {
    axvs_bench::variant_main()
}
