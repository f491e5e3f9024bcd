//! The OpenCV backend through `axvs run`, against real OpenCV: a live GStreamer source, a video file made by
//! the ffmpeg CLI, a live UDP stream the ffmpeg CLI sends on loopback, negotiation errors, sources that do
//! not open; and the preview window under Xvfb.

use std::process::{Command, Stdio};
use std::time::Duration;

use axvs_core::decode_counter;
use axvs_tests::{
    axvs, counts_agree, ffprobe_frame_count, read_report, rig_command, run_rig, wait_until, write_rig, ChildGuard,
    Screenshot, Xvfb,
};

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
    assert_eq!(report["cameras"][0]["status"]["state"], "idle");
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
/// MPEG-TS over UDP on loopback at its own pace, then stops. axvs records what came (every frame but
/// those a lost packet on a loaded loopback may cost), notices that the stream stopped (read time-out), and leaves a
/// playable video whose frames match the log.
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
    // One lost UDP packet can cost up to a GOP (10 frames) on a loaded machine.
    assert!(
        (80..=100).contains(&saved[0]),
        "100 frames sent, {saved:?} saved: {report}"
    );
    assert_eq!(report["cameras"][0]["status"]["dropped"]["queue_full"], 0);
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
        (
            format!("pipeline = \"{LIVE}\"\ndisplay_fps = 90\n"),
            "display rate 90 fps is above the camera's 30",
            2,
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
}

#[test]
fn preview_without_a_display_warns_and_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(
        dir.path(),
        "p.toml",
        "[[camera]]\nid = 1\nname = \"s\"\nbackend = \"synthetic\"\nfps = 30\ndisplay_fps = 10\n",
    );
    // No display at all, and a display nobody serves (Qt would abort the process on it).
    for (session, display, warning) in [
        ("nd", None, "preview off: no display"),
        ("gone", Some(":4242"), "preview off: cannot connect to display ':4242'"),
    ] {
        let mut command = axvs();
        command
            .args(["run", "--duration", "0.5", "--session", session, "-o"])
            .arg(dir.path())
            .arg(&rig)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null());
        if let Some(display) = display {
            command.env("DISPLAY", display);
        }
        let out = command.output().expect("run axvs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.contains(warning), "{stderr}");
        assert!(ffprobe_frame_count(&dir.path().join(session).join("001.mp4")) > 0);
    }
}

/// Starts `axvs run` on the rig with Xvfb as its display, until told to stop (q + Enter) or for at most
/// 120 s, however long its windows take to come up on a loaded machine. Returns the report path and the
/// running child.
fn record_on(
    xvfb: &Xvfb,
    dir: &std::path::Path,
    rig: &std::path::Path,
    session: &str,
) -> (std::path::PathBuf, ChildGuard) {
    let (mut command, report_path) = rig_command(dir, rig, session, &["--duration", "120"]);
    let child = command
        .env("DISPLAY", xvfb.display())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start axvs");
    (report_path, ChildGuard::new(child))
}

/// Stops a running `axvs run` as a user would (q + Enter on its stdin) and collects its output.
fn quit(guard: ChildGuard) -> std::process::Output {
    let mut child = guard.take();
    let mut stdin = child.stdin.take().expect("axvs stdin");
    std::io::Write::write_all(&mut stdin, b"q\n").expect("send q");
    drop(stdin);
    child.wait_with_output().expect("axvs run")
}

/// Acquisition rate of a camera from its log: saved frames over the span of their acquisition times.
fn logged_rate(cam: &serde_json::Value) -> f64 {
    let log = axvs_log::read_log(std::path::Path::new(cam["log"].as_str().expect("log path"))).expect("log");
    let times: Vec<u64> = log.entries.iter().filter(|e| e.is_frame()).map(|e| e.time_us).collect();
    let (first, last) = (times.first().copied(), times.last().copied());
    let (Some(first), Some(last)) = (first, last) else {
        panic!("no frames in the log");
    };
    assert!(last > first, "frames span no time");
    (times.len() - 1) as f64 * 1e6 / (last - first) as f64
}

#[test]
fn preview_window_shows_frames_under_xvfb_and_does_not_slow_acquisition() {
    let xvfb = Xvfb::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(
        dir.path(),
        "p.toml",
        "[encoder]\npreset = 1\n[[camera]]\nid = 1\nname = \"previewed\"\nbackend = \"synthetic\"\nwidth = 480\n\
         height = 360\nfps = 60\npixel_format = \"bgr8\"\ndisplay_fps = 20\n",
    );
    let (report_path, mut guard) = record_on(&xvfb, dir.path(), &rig, "pv");
    let title = "axvs 001 previewed";
    xvfb.wait_for_window(title, &mut guard, Duration::from_secs(30));
    let screenshot = dir.path().join("screen.xwd");
    wait_until("image content on screen", Duration::from_secs(30), || {
        xvfb.screenshot(&screenshot) && axvs_tests::xwd_distinct_colours(&screenshot) > 50
    });
    // The window shows the 480x360 frames pixel for pixel, and they change: the frame counter the
    // synthetic camera draws into each frame, read off the screen, advances by 3 s of frames, and the
    // picture is not the one first shown.
    let (left, top, width, height) = xvfb.window_geometry(title).expect("window geometry");
    assert_eq!((width, height), (480, 360), "the window is the frame's size");
    // The synthetic camera's frame counter (its low 16 bits: the preview writes the camera's name over the
    // left part of the band) and the picture, as on screen.
    let shown = || -> (u32, Vec<u8>) {
        assert!(xvfb.screenshot(&screenshot), "screenshot");
        let shot = Screenshot::read(&screenshot).expect("XWD screenshot");
        let picture = shot.luma(left, top, width, height);
        (decode_counter(&picture, width, height) & 0xFFFF, picture)
    };
    let (first_counter, first_picture) = shown();
    let mut last = (first_counter, first_picture.clone());
    wait_until(
        "the counter on screen to advance by 180 frames",
        Duration::from_secs(60),
        || {
            last = shown();
            last.0 >= first_counter + 180
        },
    );
    assert!(last.1 != first_picture, "the picture on screen changed");
    let out = quit(guard);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = read_report(&report_path);
    let cam = &report["cameras"][0];
    let status = &cam["status"];
    // Paced at 60 fps: the queue never overflowed, and the camera (which counts frames whose time passed
    // unread) lost at most 3 % to scheduling on a loaded 2-core machine; the rates below compare on/off.
    assert_eq!(status["dropped"]["queue_full"], 0, "{status}");
    let acquired = status["acquired"].as_u64().expect("acquired");
    assert!(acquired >= 180, "{status}");
    assert!(
        u64::from(last.0) < acquired,
        "frame {} was on screen, but only {acquired} were acquired: the counter was misread",
        last.0
    );
    assert!(
        status["camera_lost"].as_u64().expect("camera_lost") * 100 <= acquired * 3,
        "{status}"
    );
    check_counts(&report);
    let rate_on = logged_rate(cam);

    // The same rig with the preview off acquires at the same rate: the preview costs acquisition nothing.
    let (code, stderr, off) = run_rig(dir.path(), &rig, "off", &["--duration", "4", "--no-preview"]);
    assert_eq!(code, Some(0), "{stderr}");
    let rate_off = logged_rate(&off.expect("report")["cameras"][0]);
    let ratio = rate_on / rate_off;
    assert!(
        (0.97..=1.03).contains(&ratio),
        "preview on {rate_on:.2} fps vs off {rate_off:.2} fps"
    );
}

#[test]
fn closing_the_preview_window_closes_only_the_preview_and_recording_goes_on() {
    let xvfb = Xvfb::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(
        dir.path(),
        "close.toml",
        "[encoder]\npreset = 1\n[[camera]]\nid = 2\nname = \"escaped\"\nbackend = \"synthetic\"\nwidth = 320\n\
         height = 240\nfps = 30\ndisplay_fps = 10\n",
    );
    let (report_path, mut guard) = record_on(&xvfb, dir.path(), &rig, "esc");
    let title = "axvs 002 escaped";
    xvfb.wait_for_window(title, &mut guard, Duration::from_secs(30));
    // Close the window as a user does, through the window manager's close button; asked again until it
    // goes, since a window that is still coming up may miss the first request.
    let asked = std::time::Instant::now();
    while xvfb.close_window(title) && xvfb.has_window(title) {
        if asked.elapsed() > Duration::from_secs(30) {
            guard.fail("the window did not close within 30 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // Recording goes on without the window (60 more frames, 2 s at 30 fps), then stops when told.
    let log = dir.path().join("esc/002.axvslog");
    let logged = || axvs_log::read_log(&log).map(|l| l.entries.len()).unwrap_or(0);
    let closed_at = logged();
    let start = std::time::Instant::now();
    while logged() < closed_at + 60 {
        if guard.child().try_wait().expect("poll axvs").is_some() {
            guard.fail("closing the window stopped the recording");
        }
        if start.elapsed() > Duration::from_secs(60) {
            guard.fail("no frames recorded after the window closed");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = quit(guard);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("camera 2 'escaped': preview closed; recording goes on"),
        "{stderr}"
    );
    let report = read_report(&report_path);
    let cam = &report["cameras"][0];
    assert!(cam["status"]["saved"].as_u64().expect("saved") >= 60, "{cam}");
    counts_agree(cam);
}
