//! The template's own plugin tests, through the harness every plugin can use (`axvs_plugin::testing`): the
//! library cargo built, loaded as `axvs` loads it; the conformance check through the ABI; a recording.

use axvs_plugin::axvs_core::conformance::Expect;
use axvs_plugin::testing::Harness;

/// A 64x48 mono8 clip of `frames` different frames, named so that its geometry is known.
fn clip(dir: &std::path::Path, frames: usize) -> std::path::PathBuf {
    let data: Vec<u8> = (0..frames * 64 * 48).map(|i| (i % 251 + i / (64 * 48)) as u8).collect();
    let path = dir.join("clip_64x48_mono8.raw");
    std::fs::write(&path, data).expect("write clip");
    path
}

#[test]
fn the_built_plugin_conforms_through_the_abi_and_records_every_frame() {
    let harness = Harness::for_package(env!("CARGO_PKG_NAME")).expect("load the built plugin");
    assert_eq!(harness.info().name, "rawfile");
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = format!("path = \"{}\"\npaced = false", clip(dir.path(), 12).display());
    harness
        .conformance("rawfile", &settings, Expect { frames: 12, ends: true })
        .expect("conforms");
    let recording = harness
        .record(
            "rawfile",
            &format!("{settings}\n[camera.encoder]\ncodec = \"ffv1\"\npixel_format = \"gray\"\ncontainer = \"mov\""),
            &dir.path().join("out"),
        )
        .expect("records");
    assert_eq!((recording.acquired, recording.saved), (12, 12));
    assert!(recording.video.is_file() && recording.archive.is_some_and(|a| a.is_file()));
    // What the harness refuses, it names.
    let e = harness
        .configure("rawfile", "path = \"x.raw\"\nwidht = 3")
        .expect_err("unknown key");
    assert!(e.to_string().contains("widht"), "{e}");
    let Err(e) = harness.backend("nope") else {
        panic!("a backend the plugin does not provide")
    };
    assert!(
        e.to_string().contains("no backend \"nope\" (it provides: rawfile)"),
        "{e}"
    );
}
