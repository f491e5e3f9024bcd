//! The Python package (`axvs-py`): its pytest suites (`tests/python/`), run with the package the workspace
//! built on `PYTHONPATH`, in the tests' Python environment (pytest, numpy: `./dev` installs them), and the
//! original (ataraxis-video-system) in its own (`target/original`, which `./dev` makes too); and the video
//! readers Python users run, against axvs' videos (`test_readers.py`).

use std::path::Path;
use std::process::Command;

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
        .env("AXVS_TEST_CTI", axvs_tests::viky_producer())
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

/// The readers labs use (the `ffmpeg` command line, imageio with its ffmpeg and pyav plugins,
/// imageio-ffmpeg, PyAV, OpenCV, decord) return exactly the saved frames, with each timing.
///
/// About 31 s alone (45 s while ffmpeg wrote PNGs), 60-90 s beside the other tests (five or six at a time): it
/// records four sessions (two containers, two timings) of four cameras, then seven readers decode each of
/// the 16 videos whole, and some seek. It starts first (.config/nextest.toml), so that it runs beside the rest.
#[test]
fn every_common_reader_returns_exactly_the_saved_frames() {
    pytest("test_readers.py");
}

/// Each package's feature sets, as `cargo tree` resolves them for `args` (a package built for the host, as a
/// macro or for a build script, and for the target can have two): `name version` to its sets.
fn resolved_features(args: &[&str]) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let tree = axvs_tests::workspace_cargo(
        &[
            &["tree", "--offline", "--prefix", "none", "--format", "{p} [{f}]"],
            args,
        ]
        .concat(),
    );
    let mut packages = std::collections::BTreeMap::<String, std::collections::BTreeSet<String>>::new();
    for line in tree.lines() {
        let line = line.trim_end_matches(" (*)").replace(" (proc-macro)", "");
        let Some((package, features)) = line.split_once(" [") else {
            continue;
        };
        packages
            .entry(package.to_string())
            .or_default()
            .insert(features.trim_end_matches(']').to_string());
    }
    packages
}

/// maturin builds `axvs-py` alone, and cargo resolves one package's features apart from the workspace's:
/// where a crate's differ (serde's `rc`, which the MCP server asks for, under everything; syn's `fold`, under
/// the macros), it and all above it compiled again for the wheel: 240-290 s on an empty `target/`, holding
/// the build folder's lock that the plugin tests' builds wait for. `axvs-py`'s manifest asks for the
/// workspace's features of those crates; this names one it misses.
#[test]
fn the_wheels_build_resolves_the_dependencies_as_the_workspace_does() {
    let workspace = resolved_features(&["--workspace", "--edges", "normal,build,dev"]);
    let wheel = resolved_features(&["--package", "axvs-py", "--edges", "normal,build"]);
    let differ: Vec<String> = wheel
        .iter()
        .filter_map(|(package, sets)| {
            let all = workspace.get(package)?;
            let missing: Vec<&String> = sets.difference(all).collect();
            (!missing.is_empty()).then(|| format!("{package}: the wheel's {missing:?}, the workspace's {all:?}"))
        })
        .collect();
    assert!(
        differ.is_empty(),
        "axvs-py/Cargo.toml must ask these packages for the workspace's features:\n{}",
        differ.join("\n")
    );
}

/// The wheel maturin builds installs with pip into a clean virtual environment (no system packages, no
/// network: numpy from `./dev`'s wheelhouse), and the README's Python example runs there as written.
///
/// About 25 s beside the other tests (10 s alone): maturin's build of the one package finds everything the
/// workspace compiled (axvs-py asks for the workspace's features: the test above; and pyo3 reads the
/// configuration file `.cargo/config.toml` names in every build, which maturin then leaves as it is: 5 s of
/// CPU, against 21 s when it compiled pyo3, numpy and axvs-py again), then the virtual environment and pip
/// take the rest. The wheel's tag and the README's example, run in that environment, check the file. It
/// starts first (.config/nextest.toml), so that it runs beside the rest.
#[test]
fn the_wheel_installs_in_a_clean_environment_and_runs_the_readme_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().expect("tempdir");
    let wheels = dir.path().join("wheels");
    // The debug profile: the workspace's build of the module, reused (the release wheel is `./dev wheel`).
    let maturin = root.join("target/python/bin/maturin");
    // The workspace's own target folder (CARGO_TARGET_DIR, relative to the checkout, would be read from
    // tests/): maturin then rebuilds only what its one-package feature resolution changes.
    let exe = std::env::current_exe().expect("test executable");
    let target = exe.ancestors().nth(3).expect("the target folder above <profile>/deps/");
    let turn = axvs_tests::python_module_lock();
    let built = Command::new(&maturin)
        .env("CARGO_TARGET_DIR", target)
        .args([
            "build",
            "--profile",
            "dev",
            "--compatibility",
            "linux",
            "--manifest-path",
        ])
        .arg(root.join("axvs-py/Cargo.toml"))
        .arg("--out")
        .arg(&wheels)
        .output()
        .expect("run maturin (./dev installs it in target/python)");
    drop(turn);
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let wheel = std::fs::read_dir(&wheels)
        .expect("wheels")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .expect("a wheel");
    let name = wheel.file_name().and_then(|n| n.to_str()).expect("name").to_string();
    assert!(
        name.contains("-cp310-abi3-"),
        "one wheel for CPython 3.10 and later: {name}"
    );

    let base = axvs_tests::python3()
        .args(["-c", "import sys; print(sys._base_executable)"])
        .output()
        .expect("python");
    let base = String::from_utf8_lossy(&base.stdout).trim().to_string();
    let venv = dir.path().join("clean");
    let made = Command::new(&base)
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .expect("venv");
    assert!(made.success());
    let python = venv.join("bin/python");
    let installed = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-index",
            "--find-links",
        ])
        .arg(root.join("target/wheelhouse"))
        .arg(&wheel)
        .output()
        .expect("pip");
    assert!(
        installed.status.success(),
        "{}",
        String::from_utf8_lossy(&installed.stderr)
    );

    let readme = root.join("README.md");
    let example = axvs_tests::doc_blocks(&readme)
        .into_iter()
        .find(|b| b.info == "python")
        .expect("the README's Python example");
    let script = dir.path().join("example.py");
    std::fs::write(&script, &example.body).expect("write");
    let ran = Command::new(&python)
        .arg(&script)
        .current_dir(dir.path())
        .env_remove("PYTHONPATH")
        .output()
        .expect("run the example");
    let stdout = String::from_utf8_lossy(&ran.stdout);
    assert!(
        ran.status.success(),
        "README.md:{}: {stdout}{}",
        example.line,
        String::from_utf8_lossy(&ran.stderr)
    );
    assert!(stdout.contains("CameraStatus(id=1, name='pattern'"), "{stdout}");
    assert!(stdout.contains("frames saved in"), "{stdout}");
    let site = Command::new(&python)
        .args(["-c", "import axvs, axvs._axvs as n; print(n.__file__)"])
        .current_dir(dir.path())
        .output()
        .expect("python");
    let module = String::from_utf8_lossy(&site.stdout);
    assert!(
        module.contains("clean/lib/") && module.contains("site-packages/axvs/_axvs"),
        "{module}"
    );
}
