//! The binary's own surface: help, version, argument errors. (The end-to-end recording tests live in the
//! workspace's `tests/` package; this target also makes `cargo test` build the `axvs` binary they run.)

use std::process::Command;

fn axvs() -> Command {
    Command::new(env!("CARGO_BIN_EXE_axvs"))
}

#[test]
fn help_lists_every_command() {
    let out = axvs().arg("--help").output().expect("run axvs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for command in [
        "run",
        "timestamps",
        "process",
        "stats",
        "export",
        "recover",
        "discover",
        "cti",
        "plugins",
        "genicam",
        "check",
        "mcp",
    ] {
        assert!(
            text.contains(&format!("\n  {command} ")),
            "help lacks {command}: {text}"
        );
    }
    assert!(text.contains("Examples:\n  axvs run "), "{text}");
    assert!(!text.contains("bench"), "the benchmarks are axvs-bench's: {text}");
}

#[test]
fn run_help_names_the_keys_and_gives_examples() {
    let out = axvs().args(["run", "--help"]).output().expect("run axvs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for key in [
        "w      start saving",
        "s      stop saving",
        "1-9    that camera's",
        "q      quit",
    ] {
        assert!(text.contains(key), "run --help lacks '{key}': {text}");
    }
    assert!(text.contains("Examples:\n  axvs run "), "{text}");
}

#[test]
fn bad_arguments_exit_2_with_one_line() {
    let out = axvs().args(["run", "--duration=-3"]).output().expect("run axvs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--duration"), "{err}");

    let out = axvs()
        .args(["timestamps", "/nonexistent/001.axvslog"])
        .output()
        .expect("run axvs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/001.axvslog"), "{err}");
}

#[test]
fn absurd_numbers_are_errors_not_panics() {
    for args in [
        vec!["run", "--duration=1e300"],
        vec!["run", "--duration=0"],
        vec!["run", "--status-interval=-1"],
        vec!["run", "--display-fps=1e-300", "--duration=1"],
    ] {
        let out = axvs().args(&args).output().expect("run axvs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}
