//! The workspace's build settings that keep the suite's time in budget (`Cargo.toml`'s profiles).

use std::path::Path;
use std::process::Command;

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
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(&root)
        .args(["tree", "--offline", "--workspace", "--edges", "normal,build,dev"])
        .args(["--prefix", "none", "--format", "{p}"])
        .output()
        .expect("run cargo tree");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
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
