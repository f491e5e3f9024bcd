//! Camera plugins, loaded for real: the `rawfile` template plugin is built in this run (with the
//! features that make it a mismatched or a panicking plugin), found through `AXVS_PLUGIN_PATH`, and
//! recorded beside the synthetic camera. Bad files (another ABI version, a truncated library, a shared
//! library that is no plugin, a missing file) are each refused with one line naming the file.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use axvs_core::conformance::{check_camera, Expect};
use axvs_core::{BackendSettings, CameraBackend, DiscoverOptions};
use axvs_plugin::{BundledBackend, Plugin, PluginError};
use axvs_tests::{axvs, counts_agree, decode_raw, doc_blocks, doc_rigs, plugin_build, write_rig};

const WIDTH: usize = 64;
const HEIGHT: usize = 48;

/// A raw clip of `frames` 64x48 mono8 frames, each different, named so that its geometry is known.
fn clip(dir: &Path, frames: usize) -> (PathBuf, Vec<u8>) {
    let data: Vec<u8> = (0..frames * WIDTH * HEIGHT)
        .map(|i| {
            let (frame, pixel) = (i / (WIDTH * HEIGHT), i % (WIDTH * HEIGHT));
            ((pixel % WIDTH) * 2 + (pixel / WIDTH) + frame * 5) as u8
        })
        .collect();
    let path = dir.join("clip_64x48_mono8.raw");
    std::fs::write(&path, &data).expect("write clip");
    (path, data)
}

/// `axvs` with a private home (no user plugins) and this plugin search path.
fn axvs_with(home: &Path, plugin_path: &[&Path]) -> Command {
    let mut command = axvs();
    command.env("HOME", home).env_remove("XDG_DATA_HOME").env(
        "AXVS_PLUGIN_PATH",
        std::env::join_paths(plugin_path).expect("plugin path"),
    );
    command
}

/// The clip's camera writes FFV1 into MOV: exact µs times, so that two frames less than a ms apart (a paced
/// source catching up on a loaded machine) keep distinct PTS, which Matroska's ms would merge.
fn rig_text(out: &Path, raw_settings: &str) -> String {
    format!(
        "output_dir = \"{}\"\n\
         [[camera]]\nid = 1\nname = \"synthetic\"\nbackend = \"synthetic\"\nfps = 60\nframes = 40\npaced = false\n\
         [[camera]]\nid = 2\nname = \"replay\"\nbackend = \"rawfile\"\n{raw_settings}\n\
         [camera.encoder]\ncodec = \"ffv1\"\npixel_format = \"gray\"\ncontainer = \"mov\"\n",
        out.display()
    )
}

/// A rig of a synthetic camera (40 frames) and a 30-frame clip played by the plugin at 60 fps, recording
/// into `dir/out`; returns it and the clip's bytes.
fn mixed_rig(dir: &Path) -> (PathBuf, Vec<u8>) {
    let (clip_path, data) = clip(dir, 30);
    let text = rig_text(
        &dir.join("out"),
        &format!("path = \"{}\"\nfps = 60", clip_path.display()),
    );
    (write_rig(dir, "rig.toml", &text), data)
}

/// Runs `axvs run` on `rig` with `plugins` as the search path; returns the exit code, standard error and
/// report.
fn run_with(dir: &Path, plugins: &[&Path], rig: &Path, session: &str) -> (Option<i32>, String, serde_json::Value) {
    let report = dir.join(format!("{session}.json"));
    let out = axvs_with(dir, plugins)
        .args([
            "run",
            "--session",
            session,
            "--status-interval",
            "0",
            "--duration",
            "60",
            "--report",
        ])
        .arg(&report)
        .arg(rig)
        .stdin(Stdio::null())
        .output()
        .expect("run axvs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(report.exists(), "no report: {stderr}");
    (out.status.code(), stderr, axvs_tests::read_report(&report))
}

#[test]
fn a_rig_mixing_the_plugin_and_the_synthetic_camera_records_every_frame_of_both() {
    let plugin = plugin_build("axvs-plugin-rawfile");
    let dir = tempfile::tempdir().expect("tempdir");
    let (rig, data) = mixed_rig(dir.path());
    let (code, stderr, report) = run_with(dir.path(), &[&plugin], &rig, "mixed");
    assert_eq!(code, Some(0), "{stderr}");
    let cameras = report["cameras"].as_array().expect("cameras");
    assert_eq!(cameras[0]["backend"], "synthetic");
    assert_eq!(cameras[1]["backend"], "rawfile");
    assert_eq!(counts_agree(&cameras[0]), 40, "every synthetic frame");
    assert_eq!(counts_agree(&cameras[1]), 30, "every frame of the clip");
    // Lossless FFV1: the video holds the clip's bytes exactly, frame after frame.
    let video = Path::new(cameras[1]["video"].as_str().expect("video"));
    assert!(
        decode_raw(video, "gray") == data,
        "the recorded frames differ from the clip"
    );
}

#[test]
fn a_plugin_that_panics_in_grab_fails_only_its_camera() {
    let plugin = plugin_build("axvs-plugin-rawfile-panic");
    let dir = tempfile::tempdir().expect("tempdir");
    let (rig, _) = mixed_rig(dir.path());
    let (code, stderr, report) = run_with(dir.path(), &[&plugin], &rig, "panic");
    assert_eq!(code, Some(1), "a failed camera fails the run: {stderr}");
    assert!(stderr.contains("plugin 'rawfile' panicked in grab"), "{stderr}");
    let cameras = report["cameras"].as_array().expect("cameras");
    assert_eq!(counts_agree(&cameras[0]), 40, "the synthetic camera records on");
    assert_eq!(counts_agree(&cameras[1]), 5, "the frames before the panic are kept");
    let errors = cameras[1]["errors"].to_string();
    assert!(
        errors.contains("panicked in grab: rawfile built with panic-in-grab"),
        "{errors}"
    );
    assert_eq!(cameras[0]["errors"].as_array().map(Vec::len), Some(0));
}

/// A shared library of the system's that is certainly no axvs plugin (zlib, which every Debian has).
fn system_library() -> PathBuf {
    ["/lib", "/usr/lib", "/lib64", "/usr/lib64"]
        .iter()
        .flat_map(|root| {
            let multiarch = std::fs::read_dir(root)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path());
            std::iter::once(PathBuf::from(root)).chain(multiarch)
        })
        .map(|dir| dir.join("libz.so.1"))
        .find(|p| p.exists())
        .expect("libz.so.1 on this machine")
}

#[test]
fn bad_plugin_files_are_each_refused_with_one_line_naming_the_file_and_the_reason() {
    let good = plugin_build("axvs-plugin-rawfile");
    let mismatched = plugin_build("axvs-plugin-abi2");
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).expect("folder");
    let bytes = std::fs::read(&good).expect("read plugin");
    // Cut inside the first loadable segment (the debug build's are over a megabyte).
    std::fs::write(bad.join("libtruncated.so"), &bytes[..200_000]).expect("truncated copy");
    std::fs::copy(system_library(), bad.join("libz.so")).expect("copy libz");
    let missing = dir.path().join("libmissing.so");
    let twin_dir = dir.path().join("twin");
    std::fs::create_dir(&twin_dir).expect("folder");
    let twin = twin_dir.join("libaxvs_plugin_rawfile.so");
    std::fs::copy(&good, &twin).expect("second copy");

    // Each file alone, through the loader the binary uses.
    let expectations: [(&Path, &str); 4] = [
        (
            &mismatched,
            "built for axvs plugin ABI 2.0.0, this axvs loads ABI 1.0.0",
        ),
        (
            &bad.join("libtruncated.so"),
            "truncated: 200000 bytes, its loadable segments need ",
        ),
        (
            &bad.join("libz.so"),
            "not an axvs plugin (it exports no abi_stable root module)",
        ),
        (&missing, "no such file"),
    ];
    for (path, reason) in expectations {
        let e = Plugin::load(path).expect_err("refused");
        let line = e.to_string();
        assert!(line.starts_with(&format!("{}: ", path.display())), "{line}");
        assert!(line.contains(reason), "{line}");
        assert_eq!(line.lines().count(), 1, "{line}");
    }
    assert!(matches!(Plugin::load(&mismatched), Err(PluginError::Version { .. })));

    // `axvs plugins` lists the good one and every refusal, one line each.
    let out = axvs_with(dir.path(), &[&good, &mismatched, &bad, &missing, &twin_dir])
        .arg("plugins")
        .output()
        .expect("axvs plugins");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line = |needle: &str| text.lines().filter(|l| l.contains(needle)).collect::<Vec<_>>();
    assert_eq!(
        line(&format!(
            "{}: plugin rawfile {}, ABI 1.0.0, backends: rawfile",
            good.display(),
            env!("CARGO_PKG_VERSION")
        ))
        .len(),
        1,
        "{text}"
    );
    // And OpenCV's, which ships with axvs (beside it in target/), loaded for the listing.
    assert_eq!(line("/libaxvs_plugin_opencv.so: plugin opencv ").len(), 1, "{text}");
    assert!(
        text.contains("backends: opencv (ships with axvs; loaded when a rig uses it)"),
        "{text}"
    );
    let twin_reason = format!(
        "provides backend \"rawfile\", which {} provides already",
        good.display()
    );
    for (path, reason) in expectations.into_iter().chain([(twin.as_path(), twin_reason.as_str())]) {
        let found = line(&format!("refused: {}: ", path.display()));
        assert_eq!(found.len(), 1, "{}: {text}", path.display());
        assert!(found[0].contains(reason), "{}", found[0]);
    }

    // A rig naming the backend that only the mismatched plugin provides: exit 2, one line, versions named.
    let rig = write_rig(
        dir.path(),
        "rig.toml",
        &rig_text(&dir.path().join("out"), "path = \"clip_64x48_mono8.raw\""),
    );
    let out = axvs_with(dir.path(), &[&mismatched])
        .args(["run", "--duration", "1"])
        .arg(&rig)
        .stdin(Stdio::null())
        .output()
        .expect("run axvs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("rig.toml:12:11: unknown backend \"rawfile\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("built for axvs plugin ABI 2.0.0, this axvs loads ABI 1.0.0"),
        "{stderr}"
    );
    assert!(!dir.path().join("out").exists(), "nothing may be recorded");
}

#[test]
fn discover_lists_the_plugins_cameras() {
    let plugin = plugin_build("axvs-plugin-rawfile");
    let dir = tempfile::tempdir().expect("tempdir");
    clip(dir.path(), 2);
    std::fs::write(dir.path().join("notes.raw"), b"no geometry in the name").expect("write");
    let out = axvs_with(dir.path(), &[&plugin])
        .current_dir(dir.path())
        .arg("discover")
        .output()
        .expect("axvs discover");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let raw: Vec<&str> = text.lines().filter(|l| l.starts_with("rawfile ")).collect();
    assert_eq!(raw, ["rawfile path = \"clip_64x48_mono8.raw\" 64x48 mono8"], "{text}");
    assert!(text.lines().any(|l| l.starts_with("synthetic ")), "{text}");
}

/// A plugin named by its bare file name is that file in the current folder: the dynamic loader would take
/// `libz.so.1` for the system's zlib (already loaded by FFmpeg), and any other bare name for a library to
/// search its folders for ("cannot open shared object file").
#[test]
fn a_plugin_named_by_a_bare_file_name_is_the_file_in_the_current_folder() {
    let plugin = plugin_build("axvs-plugin-rawfile");
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["libz.so.1", "my_rawfile_plugin.so"] {
        std::fs::copy(&plugin, dir.path().join(name)).expect("copy the plugin");
        let out = axvs_with(dir.path(), &[Path::new(name)])
            .current_dir(dir.path())
            .arg("plugins")
            .output()
            .expect("axvs plugins");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("{name}: plugin rawfile ")) && l.ends_with("backends: rawfile")),
            "{text}"
        );
    }
}

#[test]
fn the_loaded_plugin_camera_passes_the_backend_conformance_check() {
    let plugin = Plugin::load(&plugin_build("axvs-plugin-rawfile")).expect("load");
    let info = plugin.info();
    assert_eq!(
        (info.name.as_str(), info.abi.as_str()),
        ("rawfile", axvs_plugin::ABI_VERSION)
    );
    let backends = plugin.backends();
    assert_eq!(backends.len(), 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let (clip_path, _) = clip(dir.path(), 4);
    let table: toml::Table = format!("path = \"{}\"\npaced = false", clip_path.display())
        .parse()
        .expect("toml");
    let config = backends[0].configure(&BackendSettings::new(table)).expect("configure");
    assert_eq!(
        config.summary(),
        format!("rawfile '{}' 64x48 30 fps mono8", clip_path.display())
    );
    check_camera(|| config.camera(), Expect { frames: 4, ends: true }).expect("conforms through the ABI");
    // Settings errors keep their key across the boundary.
    let bad: toml::Table = "path = \"x.raw\"\nwidht = 3".parse().expect("toml");
    let e = backends[0]
        .configure(&BackendSettings::new(bad))
        .expect_err("unknown key");
    assert_eq!(e.key(), Some("widht"), "{e}");
    let found = backends[0].discover(&DiscoverOptions::default()).expect("discover");
    assert!(found.iter().all(|c| c.backend == "rawfile"));
}

/// The files the plugin guide gives whole (its code blocks tagged `file=PATH`), as written.
fn guide_files() -> Vec<(String, String)> {
    let guide = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/README.md");
    doc_blocks(&guide)
        .into_iter()
        .filter_map(|b| Some((b.info.split_once(" file=")?.1.to_string(), b.body)))
        .collect()
}

/// The folder outside the workspace where [`a_plugin_from_the_guide_builds_outside_the_workspace_passes_its_harness_test_and_records`]
/// writes the guide's plugin: one per checkout, named by a hash of the checkout's path.
fn outside_folder(workspace: &Path) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let mut hash = std::collections::hash_map::DefaultHasher::new();
    workspace.hash(&mut hash);
    let folder = std::env::temp_dir().join(format!("axvs-outside-plugin-{:016x}", hash.finish()));
    std::fs::create_dir_all(&folder).expect("create the plugin's folder");
    folder
}

/// A new plugin from `plugins/README.md`, copied as written into a folder outside the workspace beside a
/// checkout of axvs (a link to this one), builds with its own lock file, and its own test passes: the
/// harness loads it, checks it through the ABI and records it with this `axvs`. `axvs discover` lists its
/// virtual camera only when simulated devices are asked for, as the guide says.
///
/// Offline: the lock file starts as the workspace's, so every crate it needs is in cargo's cache already. The
/// plugin's folder is one per checkout in the system's temporary folder (cargo's build of a path dependency
/// is keyed by its path: a new folder each run rebuilt it and kept the old build, 4 GB after a few weeks) and
/// its target folder is kept (`target/outside-plugin`): about 40 s of CPU the first time, seconds after.
#[test]
fn a_plugin_from_the_guide_builds_outside_the_workspace_passes_its_harness_test_and_records() {
    let files = guide_files();
    let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        names,
        ["Cargo.toml", "src/lib.rs", "tests/harness.rs"],
        "the guide's whole files"
    );
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace");
    let dir = tempfile::tempdir().expect("tempdir");
    let project = outside_folder(workspace);
    let link = project.join("axvs");
    if std::fs::read_link(&link).ok().as_deref() != Some(workspace) {
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(workspace, &link).expect("link the checkout");
    }
    let plugin = project.join("ramp");
    for (path, body) in &files {
        let file = plugin.join(path);
        std::fs::create_dir_all(file.parent().expect("folder")).expect("create folder");
        // Unchanged files keep their times, so that cargo finds the last build fresh.
        if std::fs::read_to_string(&file).ok().as_deref() != Some(body.as_str()) {
            std::fs::write(&file, body).expect("write guide file");
        }
    }
    std::fs::copy(workspace.join("Cargo.lock"), plugin.join("Cargo.lock")).expect("copy lock file");
    let exe = std::env::current_exe().expect("test executable path");
    let target = exe.ancestors().nth(3).expect("target folder").join("outside-plugin");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(&plugin)
        .args(["test", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", &target)
        .env("AXVS_BIN", axvs_tests::axvs_bin())
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo test");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the guide's plugin: {log}");
    assert!(
        log.contains("test the_plugin_conforms_and_records ... ok") || log.contains("1 passed"),
        "{log}"
    );
    assert!(
        !std::fs::read_to_string(plugin.join("Cargo.toml"))
            .expect("manifest")
            .contains("abi_stable"),
        "no dependency but axvs-plugin"
    );

    // Where `cargo test` leaves the library it built (`cargo build` would copy it one folder up).
    let library = target.join("debug/deps/libaxvs_plugin_ramp.so");
    let discover = |fake: bool| {
        let mut command = axvs_with(dir.path(), &[&library]);
        command.current_dir(dir.path()).arg("discover");
        if fake {
            command.arg("--fake");
        }
        let out = command.output().expect("axvs discover");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("ramp "))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        discover(false),
        Vec::<String>::new(),
        "a virtual camera is not listed by default"
    );
    assert_eq!(discover(true).len(), 1, "and is with --fake");

    // The guide's rigs name the plugin's camera: with it loaded, they check.
    let guide = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/README.md");
    let rigs = doc_rigs(&guide);
    assert!(!rigs.is_empty(), "the guide shows a rig");
    for (line, rig) in rigs {
        let path = write_rig(dir.path(), &format!("guide{line}.toml"), &rig);
        let out = axvs_with(dir.path(), &[&library])
            .arg("check")
            .arg(&path)
            .output()
            .expect("axvs check");
        assert!(
            out.status.success(),
            "the rig at plugins/README.md:{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A backend that ships as a plugin (as OpenCV's does) loads it when first used, from beside the program
/// (here the test's folder, where cargo built the template plugin); what goes wrong is named: no such file
/// (with where it looked and how to build it), a file that provides another backend.
#[test]
fn a_bundled_backend_loads_its_plugin_when_first_used() {
    plugin_build("axvs-plugin-rawfile");
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = dir.path().join("clip_8x4_mono8.raw");
    std::fs::write(&raw, [7u8; 32]).expect("clip");
    let bundled = BundledBackend::new("rawfile", "axvs_plugin_rawfile", "cargo build -p axvs-plugin-rawfile");
    assert_eq!(bundled.file_name(), "libaxvs_plugin_rawfile.so");
    assert!(bundled.loaded().is_none(), "loaded before its first use");
    let mut table = toml::Table::new();
    table.insert("path".into(), raw.display().to_string().into());
    let config = bundled
        .configure(&BackendSettings::new(table))
        .expect("configure through the plugin");
    assert!(config.summary().contains("rawfile"), "{}", config.summary());
    let info = bundled.loaded().expect("loaded by its first use");
    assert_eq!(
        (info.name.as_str(), info.backends.clone()),
        ("rawfile", vec!["rawfile".to_string()])
    );
    let here = std::env::current_exe().expect("exe");
    assert_eq!(info.path.parent(), here.parent(), "found beside the program first");

    let other = BundledBackend::new("opencv", "axvs_plugin_rawfile", "-");
    let e = other
        .load()
        .err()
        .expect("the file provides another backend")
        .to_string();
    assert!(e.contains("provides only [\"rawfile\"]"), "{e}");
    let missing = BundledBackend::new("nothing", "axvs_plugin_nothing_here", "cargo build -p nothing");
    let e = missing.load().err().expect("no such plugin").to_string();
    for part in [
        "backend \"nothing\" is a plugin, libaxvs_plugin_nothing_here.so, found in none of",
        &here.parent().expect("folder").display().to_string(),
        "cargo build -p nothing",
    ] {
        assert!(e.contains(part), "'{part}' missing from: {e}");
    }
    assert!(missing.loaded().is_none());
}
