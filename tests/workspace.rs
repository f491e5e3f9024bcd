//! The workspace's build settings that keep the suite's time in budget (`Cargo.toml`'s profiles).

use std::path::Path;

/// Every proc macro compiles unoptimized in test builds. The dependencies' `opt-level = 2`
/// (`[profile.dev.package."*"]`) reaches the macros too (a package override outranks `build-override`), and
/// optimized, syn and the derive crates cost a build from an empty `target/` some 250 s of CPU more than they
/// save in expanding. A macro crate that a new dependency brings is named here until `Cargo.toml` lists it.
#[test]
fn every_proc_macro_compiles_unoptimized_in_test_builds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let manifest: toml::Table = std::fs::read_to_string(root.join("Cargo.toml"))
        .expect("Cargo.toml")
        .parse()
        .expect("Cargo.toml is TOML");
    let overrides = manifest["profile"]["dev"]["package"]
        .as_table()
        .expect("[profile.dev.package]");
    let text = axvs_tests::workspace_cargo(&[
        "tree",
        "--offline",
        "--workspace",
        "--edges",
        "normal,build,dev",
        "--prefix",
        "none",
        "--format",
        "{p}",
    ]);
    let macros: std::collections::BTreeSet<&str> = text
        .lines()
        .filter(|l| l.contains(" (proc-macro)"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(macros.contains("serde_derive"), "no proc macros found in:\n{text}");
    let optimized: Vec<&str> = macros
        .into_iter()
        .filter(|name| {
            overrides
                .get(*name)
                .and_then(|p| p.get("opt-level"))
                .and_then(toml::Value::as_integer)
                != Some(0)
        })
        .collect();
    assert!(
        optimized.is_empty(),
        "add these proc macros to [profile.dev.package] in Cargo.toml as `name = {{ opt-level = 0 }}`: {optimized:?}"
    );
}

/// The source files of the module tree rooted at `root` (`mod name;` declarations followed to `name.rs` or
/// `name/mod.rs`).
fn module_files(root: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(file) = pending.pop() {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let dir = match stem {
            "lib" | "main" | "mod" => file.parent().map(Path::to_path_buf),
            _ => file.parent().map(|p| p.join(stem)),
        }
        .expect("a source file has a folder");
        for line in text.lines() {
            let line = line.trim_start();
            let line = line
                .strip_prefix("pub ")
                .or_else(|| line.strip_prefix("pub(crate) "))
                .unwrap_or(line);
            if let Some(name) = line.strip_prefix("mod ").and_then(|rest| rest.strip_suffix(';')) {
                let flat = dir.join(format!("{}.rs", name.trim()));
                pending.push(if flat.exists() {
                    flat
                } else {
                    dir.join(name.trim()).join("mod.rs")
                });
            }
        }
        files.push(file);
    }
    files
}

/// A library or binary built without its unit-test harness (`test = false`, which saves compiling and
/// linking an empty test binary in every build) has no unit tests, unless another target tests the same
/// sources: a `#[test]` added there later would otherwise never run.
#[test]
fn targets_without_a_test_harness_have_no_unit_tests() {
    let metadata = axvs_tests::workspace_cargo(&["metadata", "--offline", "--no-deps", "--format-version", "1"]);
    let metadata: serde_json::Value = serde_json::from_str(&metadata).expect("cargo metadata is JSON");
    let targets: Vec<(String, std::path::PathBuf, bool)> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .flat_map(|p| p["targets"].as_array().expect("targets").iter())
        .filter(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|k| !k.iter().any(|k| k == "test" || k == "bench"))
        })
        .map(|t| {
            let path = Path::new(t["src_path"].as_str().expect("src_path"));
            let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
            (t["name"].as_str().expect("name").to_string(), path, t["test"] != false)
        })
        .collect();
    let without: Vec<_> = targets.iter().filter(|(_, _, tested)| !tested).collect();
    assert!(
        without.iter().any(|(name, ..)| name == "axvs"),
        "no target without a harness: {targets:?}"
    );
    for (name, path, _) in without {
        if targets.iter().any(|(_, other, tested)| *tested && other == path) {
            continue;
        }
        for file in module_files(path) {
            let text = std::fs::read_to_string(&file).expect("read source");
            assert!(
                !text.contains("#[test]") && !text.contains("#[cfg(test)]"),
                "{} has unit tests, but its target {name} has `test = false` in its Cargo.toml: they never run",
                file.display()
            );
        }
    }
}

/// Every test that `.config/nextest.toml` names (`test(=module::name)`, `test(/^module::/)`) is one of this
/// binary's: a test renamed or moved would otherwise silently leave its group (and run beside tests that
/// must run alone, or at the wrong time), as nextest does not complain of a name that matches nothing.
#[test]
fn the_tests_nextest_names_exist() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = std::fs::read_to_string(tests.join("../.config/nextest.toml")).expect("read .config/nextest.toml");
    let source = |module: &str| {
        std::fs::read_to_string(tests.join(format!("{module}.rs")))
            .unwrap_or_else(|e| panic!(".config/nextest.toml names tests/{module}.rs: {e}"))
    };
    let mut named = 0;
    for (_, rest) in config.match_indices("test(=").map(|(i, _)| config.split_at(i + 6)) {
        let name = rest.split(')').next().expect("a closing parenthesis");
        let (module, function) = name
            .split_once("::")
            .unwrap_or_else(|| panic!(".config/nextest.toml: test(={name}) names no module (module::name)"));
        assert!(
            source(module).contains(&format!("fn {function}(")),
            ".config/nextest.toml names {name}, which tests/{module}.rs does not have"
        );
        named += 1;
    }
    for (_, rest) in config.match_indices("test(/^").map(|(i, _)| config.split_at(i + 7)) {
        let module = rest.split("::").next().expect("a module");
        source(module);
        named += 1;
    }
    assert!(named > 10, "found {named} names in .config/nextest.toml");
}
