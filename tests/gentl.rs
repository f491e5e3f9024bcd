//! The GenTL plugin end to end: EMVA's simulated producer (`viky.cti`), the `gentl` plugin built in this
//! run and loaded through `AXVS_PLUGIN_PATH`, recorded beside the synthetic camera by `axvs run`.

use std::path::Path;
use std::process::{Command, Stdio};

use axvs_tests::{axvs, counts_agree, logged_frame_times, plugin_build, probe, viky_producer, write_rig};

/// `axvs` with a private home (no stored producer, no user plugins), the gentl plugin and `cti` set.
fn axvs_gentl(home: &Path, cti: Option<&Path>) -> Command {
    let mut command = axvs();
    command
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("GENICAM_GENTL64_PATH")
        .env("AXVS_PLUGIN_PATH", plugin_build("axvs-plugin-gentl"));
    match cti {
        Some(path) => command.env("AXVS_CTI_PATH", path),
        None => command.env_remove("AXVS_CTI_PATH"),
    };
    command
}

/// `axvs run` of `rig` with viky.cti for `seconds` into `dir/out`; asserts it succeeded and returns the
/// report.
fn record(dir: &Path, rig: &Path, seconds: &str) -> serde_json::Value {
    let report = dir.join("report.json");
    let out = axvs_gentl(dir, Some(&viky_producer()))
        .args([
            "run",
            "--duration",
            seconds,
            "--status-interval",
            "0",
            "--session",
            "s",
            "-o",
        ])
        .arg(dir.join("out"))
        .arg("--report")
        .arg(&report)
        .arg(rig)
        .stdin(Stdio::null())
        .output()
        .expect("run axvs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    axvs_tests::read_report(&report)
}

#[test]
fn two_simulated_devices_and_a_synthetic_camera_record_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(
        dir.path(),
        "rig.toml",
        "[encoder]\npreset = 1\n\
         [[camera]]\nid = 1\nname = \"red\"\nbackend = \"gentl\"\ndevice_id = \"VikyTL_DEV_red\"\nwidth = 640\nheight = 480\n\
         [[camera]]\nid = 2\nname = \"green\"\nbackend = \"gentl\"\nserial = \"1\"\nwidth = 320\nheight = 240\n\
         [[camera]]\nid = 3\nname = \"synthetic\"\nbackend = \"synthetic\"\nfps = 20\n",
    );
    let report = record(dir.path(), &rig, "3");
    let cameras = report["cameras"].as_array().expect("cameras");
    for (cam, size) in cameras.iter().zip(["640,480", "320,240"]) {
        assert_eq!(cam["backend"], "gentl");
        let saved = counts_agree(cam);
        let video = Path::new(cam["video"].as_str().expect("video"));
        assert_eq!(probe(video).size(), size, "the size asked for");
        // Viky runs at 20 fps: about 60 frames in 3 s (start-up and the end take some), and never more than
        // 20 a second over the time they span (a loaded machine may stop the run a little after its 3 s).
        assert!(saved >= 35, "{saved} frames in 3 s at 20 fps");
        let times = logged_frame_times(cam);
        let span = (times[times.len() - 1] - times[0]) as f64 / 1e6;
        assert!(
            saved as f64 <= span * 20.0 * 1.1 + 1.0,
            "{saved} frames in {span:.3} s at 20 fps"
        );
        let fps = cam["status"]["fps"].as_f64().unwrap_or(0.0);
        assert!((15.0..=25.0).contains(&fps), "measured {fps} fps");
        assert_eq!(cam["status"]["camera_lost"], 0, "frame ids without gaps");
        // Viky numbers its frames but stamps none: said, and nothing mapped.
        assert_eq!(
            cam["device_clock"]["problem"], "the camera gave no device timestamps",
            "{cam}"
        );
    }
    counts_agree(&cameras[2]);
}

#[test]
fn discover_lists_the_three_simulated_devices() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = axvs_gentl(dir.path(), Some(&viky_producer()))
        .arg("discover")
        .output()
        .expect("axvs discover");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let gentl: Vec<&str> = text.lines().filter(|l| l.starts_with("gentl ")).collect();
    assert_eq!(gentl.len(), 3, "{text}");
    for (line, (colour, serial)) in gentl.iter().zip([("red", 0), ("green", 1), ("blue", 2)]) {
        assert_eq!(
            *line,
            format!(
                "gentl device_id = \"VikyTL_DEV_{colour}\" (Custom, available (read/write)) \
                 Machine Vision Games Ltd. Viky serial {serial}"
            )
        );
    }
    // Without a producer, discovery says how to set one.
    let out = axvs_gentl(dir.path(), None)
        .arg("discover")
        .output()
        .expect("axvs discover");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("gentl: discovery failed: camera error: no GenTL producer: set one with `axvs cti set PATH`"),
        "{text}"
    );
}

#[test]
fn cti_set_stores_the_producer_and_check_reports_where_it_came_from() {
    let home = tempfile::tempdir().expect("tempdir");
    let viky = viky_producer();
    let run = |args: &[&str], cti: Option<&Path>, gentl_path: Option<&Path>| {
        let mut command = axvs_gentl(home.path(), cti);
        if let Some(dir) = gentl_path {
            command.env("GENICAM_GENTL64_PATH", dir);
        }
        let out = command.args(args).output().expect("axvs cti");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        )
    };
    // Nothing chosen yet: one line saying how to choose.
    let (code, _, err) = run(&["cti", "check"], None, None);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.starts_with("axvs: error: no GenTL producer: set one with `axvs cti set PATH`"),
        "{err}"
    );
    // The standard's search path is used when nothing is set.
    let (code, out, err) = run(&["cti", "check"], None, viky.parent());
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("(found on GENICAM_GENTL64_PATH)"), "{out}");
    // A file that is no producer is refused, and nothing is stored.
    let libz = home.path().join("libz.cti");
    std::fs::write(&libz, b"not a library").expect("write");
    let (code, _, err) = run(&["cti", "set", libz.to_str().expect("utf-8")], None, None);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("GenTL producer {}: cannot be loaded", libz.display())),
        "{err}"
    );
    // Set, then check: the stored file, and what the producer says of itself.
    let (code, out, err) = run(&["cti", "set", viky.to_str().expect("utf-8")], None, None);
    assert_eq!(code, Some(0), "{err}");
    let stored = home.path().join(".config/axvs/gentl-producer");
    assert!(out.contains(&format!("stored in {}", stored.display())), "{out}");
    let (code, out, err) = run(&["cti", "check"], None, None);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains(&format!("(stored in {})", stored.display())), "{out}");
    assert!(out.contains("loads: Machine Vision Games Ltd. Viky version"), "{out}");
    assert!(out.contains("3 device(s)"), "{out}");
    // A bare file name is the file in the current folder (the dynamic loader alone would search its own
    // folders for a library of that name), and is stored as an absolute path.
    let folder = viky.parent().expect("producer folder");
    let bare = axvs_gentl(home.path(), None)
        .current_dir(folder)
        .args(["cti", "set", "viky.cti"])
        .output()
        .expect("axvs cti set");
    assert!(bare.status.success(), "{}", String::from_utf8_lossy(&bare.stderr));
    let stored_path = std::fs::read_to_string(&stored).expect("stored producer");
    assert_eq!(
        Path::new(stored_path.trim()),
        viky.canonicalize().expect("producer path")
    );
    // AXVS_CTI_PATH overrides the stored choice for one run.
    let missing = home.path().join("other.cti");
    let (code, out, err) = run(&["cti", "check"], Some(&missing), None);
    assert_eq!(code, Some(1), "{err}");
    assert!(out.contains("(from AXVS_CTI_PATH)"), "{out}");
    assert!(err.contains("other.cti: no such file"), "{err}");
}

#[test]
fn genicam_dump_and_load_round_trip_a_simulated_devices_nodes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let viky = viky_producer();
    let genicam = |args: &[&str]| {
        let out = axvs_gentl(dir.path(), Some(&viky))
            .args(["genicam", "--gentl", "--device-id", "VikyTL_DEV_blue"])
            .args(args)
            .output()
            .expect("axvs genicam");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{args:?}: {}{text}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };
    let file = dir.path().join("blue.yaml");
    let saved = genicam(&["dump", file.to_str().expect("utf-8")]);
    assert!(saved.contains("nodes of Viky serial 2"), "{saved}");
    let yaml = std::fs::read_to_string(&file).expect("dump");
    for node in ["Width", "Height", "PixelFormat", "AcquisitionFrameRate"] {
        assert!(yaml.contains(&format!("- name: {node}\n")), "{node} missing: {yaml}");
    }
    // Every entry dumped can be written back: strict load applies them all.
    let applied = genicam(&["load", "--strict", file.to_str().expect("utf-8")]);
    assert!(applied.contains(" 0 failed"), "{applied}");
    let entries = yaml.matches("- name: ").count();
    assert!(applied.contains(&format!(": {entries} entries applied")), "{applied}");
    // Writes read back, and a node's metadata names its entries.
    assert!(genicam(&["write", "Width", "320"]).contains("the camera reads back '320'"));
    let described = genicam(&["read", "PixelFormat"]);
    assert!(
        described.contains("Type: Enumeration") && described.contains("Entries: RGBa8"),
        "{described}"
    );
}

#[test]
fn a_rig_applies_a_genicam_config_file_to_a_gentl_camera() {
    let dir = tempfile::tempdir().expect("tempdir");
    let viky = viky_producer();
    let file = dir.path().join("red.yaml");
    let out = axvs_gentl(dir.path(), Some(&viky))
        .args(["genicam", "--gentl", "--device-id", "VikyTL_DEV_red", "dump"])
        .arg(&file)
        .output()
        .expect("axvs genicam dump");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The file, edited by hand as users do: a smaller region.
    let yaml = std::fs::read_to_string(&file).expect("dump");
    let edited = yaml
        .replace("- name: Width\n  value: \"400\"", "- name: Width\n  value: '256'")
        .replace("- name: Height\n  value: \"400\"", "- name: Height\n  value: '192'");
    assert_ne!(edited, yaml, "the dump holds Width and Height of 400: {yaml}");
    std::fs::write(&file, edited).expect("edit");
    let rig = write_rig(
        dir.path(),
        "rig.toml",
        &format!(
            "[encoder]\npreset = 1\n[[camera]]\nid = 4\nname = \"red\"\nbackend = \"gentl\"\n\
             device_id = \"VikyTL_DEV_red\"\ngenicam_config = \"{}\"\n",
            file.display()
        ),
    );
    let report = record(dir.path(), &rig, "1.5");
    let cam = &report["cameras"][0];
    counts_agree(cam);
    let video = Path::new(cam["video"].as_str().expect("video"));
    assert_eq!(probe(video).size(), "256,192");
}

#[test]
fn a_trigger_the_device_cannot_do_is_refused_before_recording() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(
        dir.path(),
        "rig.toml",
        "[[camera]]\nid = 1\nname = \"red\"\nbackend = \"gentl\"\ndevice_id = \"VikyTL_DEV_red\"\ntrigger = \"software\"\n",
    );
    let out = axvs_gentl(dir.path(), Some(&viky_producer()))
        .args(["run", "--duration", "1", "-o"])
        .arg(dir.path().join("out"))
        .arg(&rig)
        .stdin(Stdio::null())
        .output()
        .expect("run axvs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("camera 1 'red': camera setting trigger: the camera has no node TriggerMode"),
        "{stderr}"
    );
    assert!(!dir.path().join("out").exists(), "nothing is recorded");
}
