//! The live view under Xvfb, read back from screenshots: one window with a tile per camera showing recent
//! frames, keys in the window and in a terminal, a window per camera on request, and a display that dies
//! mid-run ending the view alone.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axvs_core::decode_counter;
use axvs_tests::{
    axvs, counts_agree, probe, read_report, rig_command, run_rig, wait_until, write_rig, ChildGuard, Screenshot, Xvfb,
};
use axvs_view::layout::{grid, status_height, Rect};

/// A synthetic camera table.
fn camera(id: u8, name: &str, (width, height): (u32, u32), format: &str, display_fps: f64) -> String {
    format!(
        "[[camera]]\nid = {id}\nname = \"{name}\"\nbackend = \"synthetic\"\nwidth = {width}\nheight = {height}\n\
         fps = 30\npixel_format = \"{format}\"\ndisplay_fps = {display_fps:?}\n"
    )
}

/// Starts `axvs run` on the rig with Xvfb as its display, until told to stop or for at most 120 s.
fn record_on(xvfb: &Xvfb, dir: &Path, rig: &Path, session: &str, extra: &[&str]) -> (PathBuf, ChildGuard) {
    let mut args = vec!["--duration", "120"];
    args.extend_from_slice(extra);
    let (mut command, report_path) = rig_command(dir, rig, session, &args);
    let child = command
        .env("DISPLAY", xvfb.display())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start axvs");
    (report_path, ChildGuard::new(child))
}

/// Waits for `axvs run` to end by itself (within `timeout`) and collects its output.
fn wait_end(guard: ChildGuard, timeout: Duration) -> std::process::Output {
    let mut guard = guard;
    let start = Instant::now();
    while guard.child().try_wait().expect("poll axvs").is_none() {
        if start.elapsed() > timeout {
            guard.fail(&format!("still running after {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    guard.take().wait_with_output().expect("axvs output")
}

/// Stops a running `axvs run` with q + Enter on its stdin and collects its output.
fn quit(guard: ChildGuard) -> std::process::Output {
    let mut child = guard.take();
    let mut stdin = child.stdin.take().expect("axvs stdin");
    stdin.write_all(b"q\n").expect("send q");
    drop(stdin);
    child.wait_with_output().expect("axvs run")
}

/// The frame times (µs) a camera's log holds so far.
fn logged_frames(log: &Path) -> Vec<u64> {
    axvs_log::read_log(log)
        .map(|l| l.entries.iter().filter(|e| e.is_frame()).map(|e| e.time_us).collect())
        .unwrap_or_default()
}

/// The frame counter the synthetic camera drew into the frame shown in `picture` on the screenshot: the
/// picture is scaled back to the frame's size (nearest pixel) and read as the camera wrote it.
fn counter_in(shot: &Screenshot, picture: Rect, (width, height): (u32, u32)) -> u32 {
    let shown = shot.luma(
        picture.x as usize,
        picture.y as usize,
        picture.width as usize,
        picture.height as usize,
    );
    let frame: Vec<u8> = (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .map(|(x, y)| {
            let sx = (u64::from(x) * u64::from(picture.width) / u64::from(width)) as usize;
            let sy = (u64::from(y) * u64::from(picture.height) / u64::from(height)) as usize;
            shown[sy * picture.width as usize + sx]
        })
        .collect();
    decode_counter(&frame, width as usize, height as usize)
}

/// Where each camera's picture is in the window titled `title`, as the view lays it out.
fn pictures(xvfb: &Xvfb, title: &str, frames: &[(u32, u32)]) -> Vec<Rect> {
    let (left, top, width, height) = xvfb.window_geometry(title).expect("window geometry");
    let (width, height) = (width as u32, height as u32);
    grid(width, height - status_height(width), frames)
        .into_iter()
        .map(|t| Rect {
            x: t.picture.x + left as u32,
            y: t.picture.y + top as u32,
            ..t.picture
        })
        .collect()
}

/// Frames acquired (not lost on the way) by each camera of a report, and the rate of its saved frames.
fn loss_and_rate(report: &serde_json::Value) -> Vec<(u64, u64, f64)> {
    report["cameras"]
        .as_array()
        .expect("cameras")
        .iter()
        .map(|cam| {
            counts_agree(cam);
            let status = &cam["status"];
            let lost = status["dropped"]["queue_full"].as_u64().expect("queue_full")
                + status["camera_lost"].as_u64().expect("camera_lost");
            let times = logged_frames(Path::new(cam["log"].as_str().expect("log")));
            let span = (times.last().copied().unwrap_or(0) - times.first().copied().unwrap_or(0)) as f64;
            let rate = (times.len().saturating_sub(1)) as f64 * 1e6 / span.max(1.0);
            (status["acquired"].as_u64().expect("acquired"), lost, rate)
        })
        .collect()
}

#[test]
fn four_cameras_show_in_one_window_with_recent_frames_and_lose_nothing_to_it() {
    let xvfb = Xvfb::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let sizes = [(640, 480), (1280, 720), (640, 480), (1280, 720)];
    let formats = ["mono8", "bgr8", "mono16", "bayer_rg8"];
    let mut text = "[encoder]\npreset = 1\n".to_string();
    for (i, (size, format)) in sizes.iter().zip(formats).enumerate() {
        text += &camera(i as u8 + 1, &format!("cam{}", i + 1), *size, format, 15.0);
    }
    // The video encoders take the mono16 and Bayer frames as their own formats.
    let rig = write_rig(dir.path(), "four.toml", &text);
    let (report_path, mut guard) = record_on(&xvfb, dir.path(), &rig, "four", &[]);
    let title = "axvs four";
    xvfb.wait_for_window(title, &mut guard, Duration::from_secs(30));
    let axvs_windows: Vec<String> = xvfb
        .window_titles()
        .into_iter()
        .filter(|t| t.starts_with("axvs"))
        .collect();
    assert_eq!(axvs_windows, [title], "one window for the whole rig");

    // Every tile shows its camera's latest frames: the counter read off each tile, against the frames the
    // camera had logged just before the screenshot, is at most 4 display periods (8 frames at 30 fps shown
    // at 15) behind. (Logging trails acquisition, so this is a lower bound on how fresh the picture is.)
    let tiles = pictures(&xvfb, title, &sizes);
    let logs: Vec<PathBuf> = (1..=4)
        .map(|id| dir.path().join(format!("four/data/{id:03}.axvslog")))
        .collect();
    let shot_path = dir.path().join("four.xwd");
    let mut seen = Vec::new();
    wait_until("4 tiles with recent frames", Duration::from_secs(60), || {
        let before: Vec<u64> = logs.iter().map(|l| logged_frames(l).len() as u64).collect();
        if !xvfb.screenshot(&shot_path) {
            return false;
        }
        let Some(shot) = Screenshot::read(&shot_path) else {
            return false;
        };
        seen = tiles
            .iter()
            .zip(&sizes)
            .map(|(picture, size)| u64::from(counter_in(&shot, *picture, *size)))
            .collect();
        eprintln!("shown {seen:?}, logged before {before:?}");
        before.iter().all(|&n| n > 30) && seen.iter().zip(&before).all(|(&shown, &n)| shown + 1 + 8 >= n)
    });
    let out = quit(guard);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The free-space estimate depends on the machine's disk, not on the view.
    let warnings: Vec<_> = stderr
        .lines()
        .filter(|line| line.contains("warning") && !line.contains("s of recording at the rig's estimated"))
        .collect();
    assert!(warnings.is_empty(), "no warnings on a normal run: {stderr}");
    let on = loss_and_rate(&read_report(&report_path));
    for ((acquired, _, _), shown) in on.iter().zip(&seen) {
        assert!(
            shown < acquired,
            "frame {shown} was on screen, but {acquired} were acquired: misread"
        );
    }

    // The same rig without the view: the view costs acquisition nothing. Two seconds (30 frames a camera)
    // give its rates to well within the 3 % compared: this test runs alone, so its time is the suite's.
    let (code, stderr, off) = run_rig(dir.path(), &rig, "off", &["--duration", "2", "--no-preview"]);
    assert_eq!(code, Some(0), "{stderr}");
    let off = loss_and_rate(&off.expect("report"));
    for (i, ((acquired, lost_on, rate_on), (acquired_off, lost_off, rate_off))) in on.iter().zip(&off).enumerate() {
        assert!(
            *lost_on * 100 <= acquired * 2 || lost_on * acquired_off <= (lost_off + 1) * acquired,
            "camera {}: view on lost {lost_on} of {acquired}, off {lost_off} of {acquired_off}",
            i + 1
        );
        assert!(
            (0.97..=1.03).contains(&(rate_on / rate_off)),
            "camera {}: {rate_on:.2} fps with the view, {rate_off:.2} without",
            i + 1
        );
    }
}

#[test]
fn killing_the_display_ends_only_the_view_and_the_recording_finishes() {
    let mut xvfb = Xvfb::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "[encoder]\npreset = 1\n{}{}",
        camera(1, "left", (320, 240), "mono8", 10.0),
        camera(2, "right", (320, 240), "bgr8", 10.0)
    );
    let rig = write_rig(dir.path(), "kill.toml", &text);
    // A run of a fixed length, so that it ends by itself, as planned, after the display died.
    let (mut command, report_path) = rig_command(dir.path(), &rig, "kill", &["--duration", "8"]);
    let child = command
        .env("DISPLAY", xvfb.display())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start axvs");
    let mut guard = ChildGuard::new(child);
    xvfb.wait_for_window("axvs kill", &mut guard, Duration::from_secs(30));
    let shot = dir.path().join("kill.xwd");
    wait_until("pictures on screen", Duration::from_secs(30), || {
        xvfb.screenshot(&shot) && axvs_tests::xwd_distinct_colours(&shot) > 50
    });
    xvfb.kill();
    let killed_at = logged_frames(&dir.path().join("kill/data/001.axvslog")).len() as u64;
    let out = wait_end(guard, Duration::from_secs(120));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("live view ended: the display connection was lost") && stderr.contains("recording goes on"),
        "{stderr}"
    );
    // To the end: 8 s at 30 fps, less what a loaded machine's start takes, every frame in its file.
    let report = read_report(&report_path);
    for cam in report["cameras"].as_array().expect("cameras") {
        // Every saved frame in its file (counts_agree probes it).
        let saved = counts_agree(cam);
        assert!(saved > killed_at && saved >= 8 * 30 * 8 / 10, "{cam}");
        let times = logged_frames(Path::new(cam["log"].as_str().expect("log")));
        let span = times.last().expect("frames") - times.first().expect("frames");
        assert!(span >= 7_000_000, "frames saved to the end of the run: {span} µs");
    }
}

#[test]
fn a_frozen_display_does_not_hold_up_the_end_of_the_recording() {
    // A display that stops reading (a hung X server, a stalled remote session) without closing the
    // connection: the view's writes block, and the recording must still stop and finish its files.
    let xvfb = Xvfb::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "[encoder]\npreset = 1\n{}",
        camera(1, "frozen", (1280, 720), "bgr8", 30.0)
    );
    let rig = write_rig(dir.path(), "frozen.toml", &text);
    let (report_path, mut guard) = record_on(&xvfb, dir.path(), &rig, "frozen", &[]);
    xvfb.wait_for_window("axvs frozen", &mut guard, Duration::from_secs(30));
    xvfb.signal("STOP");
    let log = dir.path().join("frozen/data/001.axvslog");
    let frozen_at = logged_frames(&log).len();
    // Two seconds of tiles the server does not read fill its socket and block the view.
    wait_until("frames while the display is frozen", Duration::from_secs(60), || {
        logged_frames(&log).len() >= frozen_at + 60
    });
    let asked = Instant::now();
    let out = quit(guard);
    let took = asked.elapsed();
    xvfb.signal("CONT");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(took < Duration::from_secs(30), "the stop took {took:?}");
    let report = read_report(&report_path);
    let saved = counts_agree(&report["cameras"][0]);
    assert!(saved >= frozen_at as u64 + 60, "{report}");
}

/// The largest gap (µs) between neighbouring saved frames.
fn largest_gap(times: &[u64]) -> u64 {
    times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0)
}

#[test]
fn keys_in_the_window_switch_saving_and_quit() {
    let xvfb = Xvfb::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "[encoder]\npreset = 1\n{}{}",
        camera(1, "left", (320, 240), "mono8", 10.0),
        camera(2, "right", (320, 240), "mono8", 10.0)
    );
    let rig = write_rig(dir.path(), "keys.toml", &text);
    let (report_path, mut guard) = record_on(&xvfb, dir.path(), &rig, "keys", &[]);
    let title = "axvs keys";
    xvfb.wait_for_window(title, &mut guard, Duration::from_secs(30));
    let log = |id: u8| dir.path().join(format!("keys/data/{id:03}.axvslog"));
    let count = |id| logged_frames(&log(id)).len();
    wait_until("frames saved", Duration::from_secs(30), || count(1) >= 15);
    // s: saving off for a second (the cameras go on acquiring), then w: on again.
    xvfb.type_keys(title, &["s"]);
    wait_until("saving off", Duration::from_secs(30), || {
        let n = count(1);
        std::thread::sleep(Duration::from_millis(300));
        count(1) == n
    });
    std::thread::sleep(Duration::from_secs(1));
    xvfb.type_keys(title, &["w"]);
    let resumed = count(1);
    wait_until("saving on again", Duration::from_secs(30), || count(1) >= resumed + 15);
    // 2: camera 2 alone stops saving; camera 1 goes on.
    xvfb.type_keys(title, &["2"]);
    let (first, second) = (count(1), count(2));
    wait_until("camera 2 off, camera 1 on", Duration::from_secs(30), || {
        count(1) >= first + 60 && count(2) < second + 10
    });
    // q in the window ends the recording.
    xvfb.type_keys(title, &["q"]);
    let out = wait_end(guard, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report = read_report(&report_path);
    let not_saved = |i: usize| {
        report["cameras"][i]["status"]["dropped"]["saving_off"]
            .as_u64()
            .expect("saving_off")
    };
    assert!(
        not_saved(0) >= 25,
        "camera 1 skipped its frames while saving was off: {report}"
    );
    assert!(
        largest_gap(&logged_frames(&log(1))) >= 900_000,
        "camera 1's saved frames have the gap"
    );
    let (one, two) = (logged_frames(&log(1)), logged_frames(&log(2)));
    assert!(
        one.last().expect("frames") - two.last().expect("frames") >= 1_000_000,
        "camera 2 stopped saving well before camera 1"
    );
}

#[test]
fn a_window_per_camera_when_asked_each_where_its_tile_would_be() {
    let xvfb = Xvfb::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "live_view = \"windows\"\n[encoder]\npreset = 1\n{}{}{}",
        camera(1, "a", (320, 240), "mono8", 10.0),
        camera(2, "b", (320, 240), "mono8", 10.0),
        camera(3, "c", (320, 240), "bgr8", 10.0)
    );
    let rig = write_rig(dir.path(), "windows.toml", &text);
    let (report_path, mut guard) = record_on(&xvfb, dir.path(), &rig, "windows", &[]);
    let titles = ["axvs 001 a", "axvs 002 b", "axvs 003 c"];
    for title in titles {
        xvfb.wait_for_window(title, &mut guard, Duration::from_secs(30));
    }
    assert!(!xvfb.has_window("axvs windows"), "no grid window");
    let places: Vec<(usize, usize)> = titles
        .iter()
        .map(|t| {
            let (x, y, _, _) = xvfb.window_geometry(t).expect("geometry");
            (x, y)
        })
        .collect();
    for (i, a) in places.iter().enumerate() {
        assert!(!places[i + 1..].contains(a), "windows on top of each other: {places:?}");
    }
    // Closing one camera's window closes only its view.
    assert!(xvfb.close_window("axvs 002 b"));
    wait_until("window b closed", Duration::from_secs(30), || {
        !xvfb.has_window("axvs 002 b")
    });
    assert!(xvfb.has_window("axvs 001 a") && xvfb.has_window("axvs 003 c"));
    // Destroyed by another client (a window manager's kill, xdotool): the same, without a refused request
    // ending the whole view.
    let destroyed = Command::new("xdotool")
        .args(["search", "--name", "axvs 003 c", "windowclose"])
        .env("DISPLAY", xvfb.display())
        .status()
        .expect("run xdotool");
    assert!(destroyed.success());
    assert!(xvfb.has_window("axvs 001 a"));
    // Recording goes on (half a second more, a few of the session's status polls) before the quit.
    let log = dir.path().join("windows/data/001.axvslog");
    let closed_at = logged_frames(&log).len();
    wait_until("frames after the close", Duration::from_secs(30), || {
        logged_frames(&log).len() >= closed_at + 15
    });
    let out = quit(guard);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("camera 2 'b': preview closed; recording goes on")
            && stderr.contains("camera 3 'c': preview closed; recording goes on"),
        "{stderr}"
    );
    assert!(!stderr.contains("live view ended"), "{stderr}");
    for cam in read_report(&report_path)["cameras"].as_array().expect("cameras") {
        counts_agree(cam);
    }
}

#[test]
fn terminal_keys_act_without_enter() {
    // `script` gives axvs a terminal as its standard input; what is written to script's stdin is typed
    // on that terminal, one key at a time, with no Enter.
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(
        dir.path(),
        "tty.toml",
        &camera(1, "t", (320, 240), "mono8", 1.0).replace("display_fps = 1.0\n", ""),
    );
    let (command, _) = rig_command(dir.path(), &rig, "tty", &["--duration", "120"]);
    let line = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| format!("'{}'", a.to_string_lossy().replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let mut child = ChildGuard::new(
        Command::new("script")
            .args(["-qfec", &line, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run script (package bsdutils)"),
    );
    let log = dir.path().join("tty/data/001.axvslog");
    let count = || logged_frames(&log).len();
    wait_until("frames saved", Duration::from_secs(30), || count() >= 15);
    let mut stdin = child.child().stdin.take().expect("stdin");
    stdin.write_all(b"s").expect("type s");
    stdin.flush().expect("flush");
    wait_until("saving off without Enter", Duration::from_secs(30), || {
        let n = count();
        std::thread::sleep(Duration::from_millis(300));
        count() == n
    });
    std::thread::sleep(Duration::from_secs(1));
    stdin.write_all(b"w").expect("type w");
    stdin.flush().expect("flush");
    let resumed = count();
    wait_until("saving on again", Duration::from_secs(30), || count() >= resumed + 15);
    stdin.write_all(b"q").expect("type q");
    stdin.flush().expect("flush");
    // q without Enter ends the run.
    let out = wait_end(child, Duration::from_secs(60));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("keys: w = start saving"), "{said}");
    assert!(!said.contains("+ Enter"), "single keys on a terminal: {said}");
    assert!(
        largest_gap(&logged_frames(&log)) >= 900_000,
        "the saved frames have the gap"
    );
}

#[test]
fn no_display_or_a_dead_one_warns_and_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "p.toml", &camera(1, "s", (320, 240), "mono8", 10.0));
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
        assert!(probe(&dir.path().join(session).join("data/001.mp4")).frame_count() > 0);
    }
}
