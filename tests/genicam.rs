//! The GenICam backend against Aravis' own simulators: the fake GigE Vision camera on 127.0.0.1 (real
//! protocol) and the built-in Fake interface (no network).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use axvs_log::read_log;
use axvs_tests::{axvs, decode_errors, ffprobe_frame_count, wait_until, write_rig, FakeGvCamera};

fn report(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("report")).expect("json")
}

fn rig_text(serial: &str) -> String {
    format!(
        "[encoder]\npreset = 1\n[[camera]]\nid = 5\nname = \"gige\"\nbackend = \"genicam\"\nserial = \"{serial}\"\n\
         width = 320\nheight = 240\nfps = 30\n[camera.encoder]\npixel_format = \"gray\"\n\
         [[camera]]\nid = 6\nname = \"synth\"\nbackend = \"synthetic\"\nwidth = 160\nheight = 120\n"
    )
}

/// Video frames == log entries == saved, for one camera of a run.
fn counts_agree(session: &Path, cam: &serde_json::Value) -> u64 {
    let id = cam["status"]["id"].as_u64().expect("id");
    let saved = cam["status"]["saved"].as_u64().expect("saved");
    let video = session.join(format!("{id:03}.mp4"));
    assert_eq!(
        decode_errors(&video),
        "",
        "camera {id}: the video must decode cleanly"
    );
    assert_eq!(
        ffprobe_frame_count(&video),
        saved,
        "camera {id}: video frames vs saved"
    );
    let log = read_log(&session.join(format!("{id:03}.axvslog"))).expect("log");
    assert_eq!(
        log.entries.iter().filter(|e| e.is_frame()).count() as u64,
        saved,
        "camera {id}: log vs saved"
    );
    saved
}

fn run(
    dir: &Path,
    rig: &Path,
    session: &str,
    seconds: &str,
) -> (std::process::Output, serde_json::Value) {
    let report_path = dir.join(format!("{session}.json"));
    let out = axvs()
        .args([
            "run",
            "--duration",
            seconds,
            "--session",
            session,
            "--status-interval",
            "0",
            "-o",
        ])
        .arg(dir)
        .arg("--report")
        .arg(&report_path)
        .arg(rig)
        .stdin(Stdio::null())
        .output()
        .expect("run axvs");
    let json = report(&report_path);
    (out, json)
}

#[test]
fn discovers_and_records_the_fake_gige_camera() {
    let _port = FakeGvCamera::serialize();
    let _camera = FakeGvCamera::start("AXVSGV1", 0);
    let listing = axvs().arg("discover").output().expect("axvs discover");
    let text = String::from_utf8_lossy(&listing.stdout);
    assert!(
        text.contains("Aravis Fake serial AXVSGV1 (GigEVision 127.0.0.1)"),
        "vendor, model, serial, protocol, address: {text}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "gv.toml", &rig_text("AXVSGV1"));
    let (out, report) = run(dir.path(), &rig, "gv", "2");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cameras = report["cameras"].as_array().expect("cameras");
    let gige = &cameras[0];
    assert!(counts_agree(&dir.path().join("gv"), gige) >= 40, "{gige}");
    assert_eq!(gige["status"]["camera_lost"], 0);
    counts_agree(&dir.path().join("gv"), &cameras[1]);

    // A camera that is not there is named, with what was found instead.
    let missing = write_rig(dir.path(), "missing.toml", &rig_text("NOSUCH"));
    let out = axvs()
        .args(["run", "--duration", "1", "-o"])
        .arg(dir.path())
        .arg(&missing)
        .output()
        .expect("axvs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("serial 'NOSUCH'") && err.contains("serial AXVSGV1"),
        "{err}"
    );
}

#[test]
fn lost_packets_count_as_camera_side_losses_and_counts_still_agree() {
    let _port = FakeGvCamera::serialize();
    let _camera = FakeGvCamera::start("AXVSLOSSY", 5);
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "gv.toml", &rig_text("AXVSLOSSY"));
    let (out, report) = run(dir.path(), &rig, "lossy", "3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let gige = &report["cameras"][0];
    let saved = counts_agree(&dir.path().join("lossy"), gige);
    let lost = gige["status"]["camera_lost"].as_u64().expect("camera_lost");
    assert!(lost > 0, "0.5% packet loss must cost some frames: {gige}");
    assert!(saved > 0, "{gige}");
    // Camera-side losses are not host-side drops.
    assert_eq!(gige["status"]["dropped"]["queue_full"], 0);
}

#[test]
fn a_camera_killed_mid_recording_is_reported_and_the_rest_of_the_rig_goes_on() {
    let _port = FakeGvCamera::serialize();
    let mut camera = FakeGvCamera::start("AXVSKILL", 0);
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "gv.toml", &rig_text("AXVSKILL"));
    let report_path = dir.path().join("kill.json");
    let child = axvs()
        .args([
            "run",
            "--duration",
            "7",
            "--session",
            "kill",
            "--status-interval",
            "0",
            "-o",
        ])
        .arg(dir.path())
        .arg("--report")
        .arg(&report_path)
        .arg(&rig)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start axvs");
    let log = dir.path().join("kill/005.axvslog");
    wait_until(
        "frames from the GigE camera",
        Duration::from_secs(30),
        || {
            read_log(&log)
                .map(|l| l.entries.len() > 30)
                .unwrap_or(false)
        },
    );
    camera.kill();
    let out = child.wait_with_output().expect("axvs run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the lost camera is a failure: {stderr}"
    );
    assert!(
        stderr.contains("camera 5 'gige'") && stderr.contains("disconnected"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report = report(&report_path);
    let cameras = report["cameras"].as_array().expect("cameras");
    assert!(cameras[0]["errors"][0]
        .as_str()
        .expect("error")
        .contains("disconnected"));
    counts_agree(&dir.path().join("kill"), &cameras[0]);
    // The synthetic camera recorded the whole 7 s at 30 fps.
    let synth = counts_agree(&dir.path().join("kill"), &cameras[1]);
    assert!(
        synth >= 190,
        "the other camera stopped early: {synth} frames"
    );
}

#[test]
fn records_from_the_builtin_fake_interface_without_network() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(
        dir.path(),
        "fake.toml",
        "[encoder]\npreset = 1\n[[camera]]\nid = 9\nname = \"fake\"\nbackend = \"genicam\"\ndevice_id = \"Fake_1\"\n\
         fake_interface = true\nwidth = 256\nheight = 192\nfps = 20\n",
    );
    let (out, report) = run(dir.path(), &rig, "fake", "1.5");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(counts_agree(&dir.path().join("fake"), &report["cameras"][0]) >= 20);
}

#[test]
fn unsupported_pixel_formats_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(
        dir.path(),
        "bad.toml",
        "[[camera]]\nid = 9\nname = \"fake\"\nbackend = \"genicam\"\ndevice_id = \"Fake_1\"\nfake_interface = true\n\
         pixel_format = \"YUV422_8\"\n",
    );
    let out = axvs()
        .args(["run", "--duration", "1", "-o"])
        .arg(dir.path())
        .arg(&rig)
        .output()
        .expect("axvs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("pixel format 'YUV422_8' is not supported") && err.contains("Mono12"),
        "{err}"
    );
}
