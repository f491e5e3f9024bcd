//! The book and the README: every rig they show passes `axvs check` (with the plugins they name loaded),
//! so that a rig copied from the documentation starts.

use std::path::{Path, PathBuf};

use axvs_tests::{axvs, doc_rigs, plugin_build, viky_producer};

/// The README and every chapter of the book.
fn documents() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace");
    let mut files = vec![root.join("README.md")];
    let mut chapters: Vec<PathBuf> = std::fs::read_dir(root.join("docs/src"))
        .expect("docs/src")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    chapters.sort();
    files.extend(chapters);
    files
}

#[test]
fn every_rig_in_the_readme_and_the_book_passes_axvs_check() {
    let plugins = [plugin_build("axvs-plugin-rawfile"), plugin_build("axvs-plugin-gentl")];
    let dir = tempfile::tempdir().expect("tempdir");
    let mut checked = 0;
    for file in documents() {
        for (line, rig) in doc_rigs(&file) {
            let what = format!("{}:{line}", file.display());
            let path = dir.path().join(format!("rig{checked}.toml"));
            // A rig across PCs names hosts that are not here: each is pointed at a closed port on this
            // machine, given its token file, and must be the only thing check finds wrong.
            let hosts: Vec<&str> = rig
                .lines()
                .filter_map(|l| l.strip_prefix("name = \"")?.strip_suffix('"'))
                .filter(|name| rig.contains(&format!("host = \"{name}\"")))
                .collect();
            let rig = if hosts.is_empty() {
                rig.clone()
            } else {
                for token in rig.lines().filter_map(|l| l.strip_prefix("token_file = \"")) {
                    let file = token.split('"').next().expect("token file");
                    std::fs::write(dir.path().join(file), "doc-token-0123456789").expect("token");
                }
                rig.lines()
                    .map(|l| {
                        if l.starts_with("address = ") {
                            "address = \"127.0.0.1:9\""
                        } else {
                            l
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            std::fs::write(&path, &rig).expect("write rig");
            let out = axvs()
                .arg("check")
                .arg(&path)
                .env("HOME", dir.path())
                // The rig reference's GenTL camera needs a producer, as it says: EMVA's simulated one.
                .env("AXVS_CTI_PATH", viky_producer())
                .env("AXVS_PLUGIN_PATH", std::env::join_paths(&plugins).expect("plugin path"))
                .output()
                .expect("axvs check");
            let (stdout, stderr) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            if hosts.is_empty() {
                assert!(
                    out.status.success(),
                    "the rig at {what} fails axvs check: {stdout}{stderr}"
                );
            } else {
                for host in &hosts {
                    let line = format!("host '{host}' (http://127.0.0.1:9/mcp): unreachable");
                    assert!(stdout.contains(&line), "the rig at {what}: {stdout}{stderr}");
                }
                assert_eq!(out.status.code(), Some(1), "the rig at {what}: {stdout}{stderr}");
            }
            checked += 1;
        }
    }
    // The rig reference, the first rig (in the book and the README), at the least.
    assert!(checked >= 3, "only {checked} rigs found");
}
