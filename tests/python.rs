//! The Python package (`axvs-py`): its pytest suites (`tests/python/`), run with the package the workspace
//! built on `PYTHONPATH`, in the tests' Python environment (pytest, numpy: `./dev` installs them), and the
//! original (ataraxis-video-system) in its own (`target/original`, which `./dev` makes too).

use std::path::Path;

/// Runs one pytest file; panics with pytest's report when a test fails.
fn pytest(file: &str) {
    let package = axvs_tests::python_package();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tests = root.join("tests/python");
    let path = std::env::join_paths([package.path(), tests.as_path()]).expect("PYTHONPATH");
    let out = axvs_tests::python3()
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "error::pytest.PytestUnraisableExceptionWarning",
        ])
        .arg(tests.join(file))
        .env("PYTHONPATH", path)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("AXVS_BIN", axvs_tests::axvs_bin())
        .env("AXVS_ORIGINAL_PYTHON", root.join("target/original/bin/python3"))
        .output()
        .expect("run pytest (./dev installs it in target/python)");
    assert!(
        out.status.success(),
        "pytest {file}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn python_sessions_record_with_typed_status_and_reports() {
    pytest("test_session.py");
}

#[test]
fn python_errors_carry_the_cli_messages() {
    pytest("test_errors.py");
}

#[test]
fn python_runs_scripts_written_for_the_original_and_matches_its_extractor() {
    pytest("test_original.py");
}

#[test]
fn python_sessions_stop_cleanly_on_ctrl_c() {
    pytest("test_interrupt.py");
}
