//! The OpenCV backend through `axvs run`, against real OpenCV: a live GStreamer source, a video file made by
//! the ffmpeg CLI, a live UDP stream the ffmpeg CLI sends on loopback, negotiation errors, sources that do
//! not open. (The live view, which needs no OpenCV, is tested in live_view.rs.)

use std::process::{Command, Stdio};
use std::time::Duration;

use axvs_tests::{counts_agree, read_report, rig_command, run_rig, wait_until, write_rig, ChildGuard};

const LIVE: &str =
    "videotestsrc is-live=true pattern=ball ! video/x-raw,format=BGR,width=320,height=240,framerate=30/1 ! appsink";

/// Checks every camera of a report with [`counts_agree`]; returns the saved counts.
fn check_counts(report: &serde_json::Value) -> Vec<u64> {
    report["cameras"]
        .as_array()
        .expect("cameras")
        .iter()
        .map(counts_agree)
        .collect()
}

#[test]
fn records_a_live_gstreamer_source_in_colour_and_mono() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(
        dir.path(),
        "live.toml",
        &format!(
            "[encoder]\npreset = 1\n[[camera]]\nid = 1\nname = \"colour\"\nbackend = \"opencv\"\npipeline = \"{LIVE}\"\n\
             [[camera]]\nid = 2\nname = \"mono\"\nbackend = \"opencv\"\npipeline = \"{LIVE}\"\npixel_format = \"mono8\"\n\
             [camera.encoder]\npixel_format = \"gray\"\n"
        ),
    );
    let (code, stderr, report) = run_rig(dir.path(), &rig, "live", &["--duration", "2"]);
    assert_eq!(code, Some(0), "{stderr}");
    let report = report.expect("report");
    let saved = check_counts(&report);
    assert!(
        saved.iter().all(|n| *n >= 30),
        "a 30 fps source for 2 s saved {saved:?}"
    );
    for cam in report["cameras"].as_array().expect("cameras") {
        assert_eq!(cam["status"]["dropped"]["queue_full"], 0);
    }
    // The session names the plugin its cameras came through, and OpenCV's and GStreamer's versions as loaded.
    let session = std::fs::read_to_string(dir.path().join("live/data/session.json")).expect("session.json");
    let p: serde_json::Value = serde_json::from_str(&session).expect("json");
    assert!(
        p["libraries"]["OpenCV"].as_str().is_some_and(|v| v.starts_with('4')),
        "{p}"
    );
    assert!(
        p["libraries"]["GStreamer"]
            .as_str()
            .is_some_and(|v| v.starts_with("1.")),
        "{p}"
    );
    let plugins = p["plugins"].as_array().expect("plugins");
    assert!(
        plugins.len() == 1
            && plugins[0]
                .as_str()
                .is_some_and(|s| s.starts_with("opencv ") && s.contains("/libaxvs_plugin_opencv.so")),
        "{p}"
    );
}

/// The libraries `axvs` loaded, as the dynamic loader lists them (`LD_DEBUG=files`), for `args`.
fn loaded_libraries(args: &[&str], dir: &std::path::Path) -> (Option<i32>, Vec<String>) {
    let out = axvs_tests::axvs()
        .args(args)
        .current_dir(dir)
        .env("LD_DEBUG", "files")
        .stdin(Stdio::null())
        .output()
        .expect("run axvs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let files = stderr
        .lines()
        .filter_map(|l| l.split("file=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect();
    (out.status.code(), files)
}

/// OpenCV's libraries (some 240 with what they link: a tenth of a second of every start) are loaded by
/// `axvs` only from the opencv plugin, when a rig has an OpenCV camera.
#[test]
fn opencv_is_loaded_only_for_a_rig_with_an_opencv_camera() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_rig(
        dir.path(),
        "synthetic.toml",
        "[[camera]]\nid = 1\nname = \"s\"\nbackend = \"synthetic\"\n",
    );
    write_rig(
        dir.path(),
        "opencv.toml",
        &format!("[[camera]]\nid = 1\nname = \"c\"\nbackend = \"opencv\"\npipeline = \"{LIVE}\"\n"),
    );
    let opencv = |files: &[String]| files.iter().any(|f| f.contains("libopencv_videoio"));
    let (code, files) = loaded_libraries(&["check", "synthetic.toml"], dir.path());
    assert_eq!(code, Some(0));
    assert!(!files.is_empty(), "LD_DEBUG=files listed nothing");
    assert!(!opencv(&files), "OpenCV loaded for a synthetic rig: {files:?}");
    let (code, files) = loaded_libraries(&["check", "opencv.toml"], dir.path());
    assert_eq!(code, Some(0));
    assert!(
        opencv(&files) && files.iter().any(|f| f.ends_with("/libaxvs_plugin_opencv.so")),
        "{files:?}"
    );
}

/// Where the opencv plugin is missing (an `axvs` copied alone), a rig with an OpenCV camera is refused in
/// one line that names the plugin's file, where it was looked for and how to build it; other rigs record.
#[test]
fn a_missing_opencv_plugin_is_named_with_the_places_looked_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    let alone = bin.join("axvs");
    // A hard link where the filesystem allows (the binary is large), else a copy.
    std::fs::hard_link(axvs_tests::axvs_bin(), &alone)
        .or_else(|_| std::fs::copy(axvs_tests::axvs_bin(), &alone).map(|_| ()))
        .expect("axvs alone");
    let data = dir.path().join("data");
    let rig = write_rig(
        dir.path(),
        "opencv.toml",
        &format!("[[camera]]\nid = 1\nname = \"c\"\nbackend = \"opencv\"\npipeline = \"{LIVE}\"\n"),
    );
    let run = |args: &[&str]| {
        let out = Command::new(&alone)
            .args(args)
            .current_dir(dir.path())
            .env("XDG_DATA_HOME", &data)
            .env_remove("AXVS_PLUGIN_PATH")
            .stdin(Stdio::null())
            .output()
            .expect("run axvs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, _, stderr) = run(&["check", rig.to_str().expect("utf-8")]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    for part in [
        "camera 1 'c'",
        "backend \"opencv\" is a plugin, libaxvs_plugin_opencv.so, found in none of",
        &bin.display().to_string(),
        &data.join("axvs/plugins").display().to_string(),
        "cargo build -p axvs-plugin-opencv",
    ] {
        assert!(stderr.contains(part), "'{part}' missing from: {stderr}");
    }
    // What this machine can record with says the same of OpenCV, and the rest stands.
    let (code, stdout, stderr) = run(&["check", "--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let found: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(found["opencv"]["available"], false, "{found}");
    assert!(
        found["opencv"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("found in none of")),
        "{found}"
    );
    assert!(
        found["encoders"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["available"] == true)),
        "{found}"
    );
    let (code, _, stderr) = run(&["run", "--duration", "1", "--status-interval", "0", "-o", "out"]);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn replays_a_video_file_to_its_end_without_losing_a_frame() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = dir.path().join("source.mkv");
    let made = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=50",
            "-frames:v",
            "75",
        ])
        .args(["-c:v", "ffv1"])
        .arg(&source)
        .status()
        .expect("run ffmpeg");
    assert!(made.success());
    let rig = write_rig(
        dir.path(),
        "file.toml",
        &format!(
            "[encoder]\npreset = 1\n[[camera]]\nid = 3\nname = \"replay\"\nbackend = \"opencv\"\npath = \"{}\"\n",
            source.display()
        ),
    );
    // No duration: the run ends when the file does.
    let (code, stderr, report) = run_rig(dir.path(), &rig, "file", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let report = report.expect("report");
    assert_eq!(check_counts(&report), vec![75]);
    // The report says how the camera ended: at its source's end.
    assert_eq!(report["cameras"][0]["status"]["state"], "ended");
    assert_eq!(report["cameras"][0]["state"], "ended: its source had no more frames");
}

/// Whether a UDP socket is bound to `port` on this machine (`/proc/net/udp`, ports in hex).
fn udp_port_bound(port: u16) -> bool {
    std::fs::read_to_string("/proc/net/udp")
        .map(|table| {
            table.lines().skip(1).any(|line| {
                line.split_whitespace()
                    .nth(1)
                    .is_some_and(|a| a.ends_with(&format!(":{port:04X}")))
            })
        })
        .unwrap_or(false)
}

/// A live network stream by URL: once axvs listens, the ffmpeg CLI sends 100 frames (4 s at 25 fps) of
/// MPEG-TS over UDP on loopback at its own pace, then stops. axvs acquires what came (every frame but
/// those a lost packet on a loaded loopback may cost) and saves all from the moment the rig starts, notices
/// that the stream stopped (read time-out), and leaves a playable video whose frames match the log.
#[test]
fn records_a_network_stream_by_url_and_reports_when_it_stops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free UDP port")
        .port();
    let url = format!("udp://127.0.0.1:{port}");
    let rig = write_rig(
        dir.path(),
        "url.toml",
        &format!("[encoder]\npreset = 1\n[[camera]]\nid = 6\nname = \"net\"\nbackend = \"opencv\"\nurl = \"{url}\"\n"),
    );
    let (mut command, report_path) = rig_command(dir.path(), &rig, "url", &["--duration", "60"]);
    let recorder = ChildGuard::new(
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start axvs"),
    );
    wait_until("axvs to listen on the UDP port", Duration::from_secs(30), || {
        udp_port_bound(port)
    });
    let sender = ChildGuard::new(
        Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-re",
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=320x240:rate=25",
                "-frames:v",
                "100",
            ])
            .args(["-c:v", "mpeg2video", "-g", "10", "-q:v", "4", "-f", "mpegts"])
            .arg(format!("{url}?pkt_size=1316"))
            .stdin(Stdio::null())
            .spawn()
            .expect("run ffmpeg"),
    );
    let sent = sender.take().wait().expect("ffmpeg sender");
    assert!(sent.success(), "the sender failed");
    let out = recorder.take().wait_with_output().expect("axvs run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the stream's end is a camera failure: {stderr}"
    );
    assert!(
        stderr.contains(&format!("url '{url}' stopped delivering frames")),
        "{stderr}"
    );
    let report = read_report(&report_path);
    let saved = check_counts(&report);
    let status = &report["cameras"][0]["status"];
    // Every frame that came was acquired: one lost UDP packet can cost up to a GOP (10 frames) on a loaded
    // machine. Opening the stream reads its first frames (FFmpeg probes it), so the stream runs before the
    // rig starts saving: frames acquired until then are counted as `saving_off` (under load, 20 of 100),
    // and none is lost after.
    let acquired = status["acquired"].as_u64().expect("acquired");
    assert!(
        (80..=100).contains(&acquired),
        "100 frames sent, {acquired} acquired: {report}"
    );
    assert!(
        saved[0] >= 50,
        "saving began late: {saved:?} of {acquired} saved: {report}"
    );
    // The shared accounting (`check_counts`: acquired = saved + dropped by reason) leaves `saving_off` the
    // only reason: every frame after the start was saved.
    for reason in ["queue_full", "encoder_error", "log_error"] {
        assert_eq!(status["dropped"][reason], 0, "{reason}: {report}");
    }
    assert_eq!(status["camera_lost"], 0);
}

#[test]
fn negotiation_and_open_errors_name_what_happened() {
    let dir = tempfile::tempdir().expect("tempdir");
    // What the camera or the source refuses is a failure while working (exit 1); a rig that asks for the
    // impossible is bad input (exit 2).
    let cases = [
        (
            format!("pipeline = \"{LIVE}\"\nwidth = 640\n"),
            "width: 640 was requested, the camera chose 320",
            1,
        ),
        (
            format!("pipeline = \"{LIVE}\"\nfps = 60\n"),
            "fps: 60 was requested, the camera chose 30",
            1,
        ),
        (
            format!("pipeline = \"{LIVE}\"\nheight = 100\n"),
            "height: 100 was requested, the camera chose 240",
            1,
        ),
        (
            "path = \"/nonexistent/video.mp4\"\n".to_string(),
            "path '/nonexistent/video.mp4': no such file",
            1,
        ),
        (
            "pipeline = \"nosuchelement ! appsink\"\n".to_string(),
            "pipeline 'nosuchelement ! appsink'",
            1,
        ),
    ];
    for (i, (selector, expected, exit)) in cases.iter().enumerate() {
        let rig = write_rig(
            dir.path(),
            &format!("bad{i}.toml"),
            &format!("[[camera]]\nid = 1\nname = \"c\"\nbackend = \"opencv\"\n{selector}"),
        );
        let (code, stderr, _) = run_rig(dir.path(), &rig, &format!("bad{i}"), &["--duration", "1"]);
        assert_eq!(code, Some(*exit), "{expected}: exit code; stderr: {stderr}");
        assert!(stderr.contains(expected), "'{expected}' missing from: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
    // A display rate above the camera's is capped at it, with a warning; the run goes on.
    let rig = write_rig(
        dir.path(),
        "capped.toml",
        &format!("[[camera]]\nid = 1\nname = \"c\"\nbackend = \"opencv\"\npipeline = \"{LIVE}\"\ndisplay_fps = 90\n"),
    );
    let (code, stderr, _) = run_rig(dir.path(), &rig, "capped", &["--duration", "1"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("display_fps 90 is above the camera's 30.000 fps; shown at 30.000 fps"),
        "{stderr}"
    );
}
