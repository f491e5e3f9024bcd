//! The GenICam backend against Aravis' own simulators: the fake GigE Vision camera on 127.0.0.1 (real
//! protocol) and the built-in Fake interface (no network).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use axvs_log::read_log;
use axvs_tests::{
    axvs, counts_agree, decode_luma, decode_raw, read_report, rig_command, run_rig, wait_until, write_rig, FakeGvCamera,
};

fn rig_text(serial: &str) -> String {
    format!(
        "[encoder]\npreset = 1\n[[camera]]\nid = 5\nname = \"gige\"\nbackend = \"genicam\"\nserial = \"{serial}\"\n\
         width = 320\nheight = 240\nfps = 30\n[camera.encoder]\npixel_format = \"gray\"\n\
         [[camera]]\nid = 6\nname = \"synth\"\nbackend = \"synthetic\"\nwidth = 160\nheight = 120\n"
    )
}

/// `axvs run` for `seconds`; asserts it succeeded and returns its report.
fn run(dir: &Path, rig: &Path, session: &str, seconds: &str) -> serde_json::Value {
    let (code, stderr, report) = run_rig(dir, rig, session, &["--duration", seconds]);
    assert_eq!(code, Some(0), "{stderr}");
    report.expect("report")
}

#[test]
fn discovers_and_records_the_fake_gige_camera() {
    let _port = FakeGvCamera::serialize();
    let _camera = FakeGvCamera::start("AXVSGV1", 0);
    let listing = axvs().arg("discover").output().expect("axvs discover");
    let text = String::from_utf8_lossy(&listing.stdout);
    assert!(
        text.lines()
            .any(|l| l
                == "genicam device_id = \"Aravis-Fake-AXVSGV1\" (GigEVision 127.0.0.1) Aravis Fake serial AXVSGV1"),
        "id, protocol, address, vendor, model, serial: {text}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "gv.toml", &rig_text("AXVSGV1"));
    let report = run(dir.path(), &rig, "gv", "2");
    let cameras = report["cameras"].as_array().expect("cameras");
    let gige = &cameras[0];
    let saved = counts_agree(gige);
    assert!(saved >= 40, "{gige}");
    assert_eq!(gige["status"]["camera_lost"], 0);
    // The fake GigE camera stamps each frame (GVSP leader, 1 GHz ticks): every saved frame is mapped onto
    // the host clock, and its clock (the machine's own, read by another process) runs with the host's.
    let clock = &gige["device_clock"];
    assert_eq!(
        (clock["frames"].as_u64(), clock["mapped"].as_u64()),
        (Some(saved), Some(saved)),
        "{clock}"
    );
    assert!(clock["problem"].is_null() && clock["restarts"] == 0, "{clock}");
    // Two seconds of a loaded machine's jitter say little about the drift: within the fit's plausible range.
    assert!(
        clock["drift_ppm"].as_f64().is_some_and(|d| d.abs() < 10_000.0),
        "{clock}"
    );
    counts_agree(&cameras[1]);

    // A camera that is not there is named, with what was found instead.
    let missing = write_rig(dir.path(), "missing.toml", &rig_text("NOSUCH"));
    let (code, err, _) = run_rig(dir.path(), &missing, "missing", &["--duration", "1"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("serial 'NOSUCH'") && err.contains("serial AXVSGV1"),
        "{err}"
    );
}

/// Frames the fake camera lost to dropped packets are counted as camera-side losses, and the count is the
/// real one: the fake camera draws `(x + y + frame id) % 255` (at its default exposure and gain), so the
/// top-left pixel of each losslessly recorded frame is its frame id (mod 255), and the gaps between
/// consecutive ids are the frames that never arrived.
#[test]
fn lost_packets_count_as_camera_side_losses_and_counts_still_agree() {
    let _port = FakeGvCamera::serialize();
    let _camera = FakeGvCamera::start("AXVSLOSSY", 5);
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(
        dir.path(),
        "gv.toml",
        "[encoder]\ncodec = \"ffv1\"\npixel_format = \"gray\"\n[[camera]]\nid = 5\nname = \"gige\"\n\
         backend = \"genicam\"\nserial = \"AXVSLOSSY\"\nwidth = 320\nheight = 240\nfps = 30\n",
    );
    let report = run(dir.path(), &rig, "lossy", "3");
    let gige = &report["cameras"][0];
    let saved = counts_agree(gige);
    let lost = gige["status"]["camera_lost"].as_u64().expect("camera_lost");
    assert!(lost > 0, "0.5% packet loss must cost some frames: {gige}");
    assert!(saved > 0, "{gige}");
    // Camera-side losses are not host-side drops.
    assert_eq!(gige["status"]["dropped"]["queue_full"], 0);

    let ids: Vec<u64> = decode_luma(&dir.path().join("lossy/data/005.mkv"), 320, 240)
        .iter()
        .map(|frame| u64::from(frame[0]))
        .collect();
    assert_eq!(ids.len() as u64, saved);
    let gaps: u64 = ids
        .windows(2)
        .map(|w| {
            let step = (w[1] + 255 - w[0]) % 255;
            assert!(step > 0, "frame id {} twice in a row: {ids:?}", w[0]);
            step - 1
        })
        .sum();
    // Frames lost before the first saved frame or after the last one leave no gap in the video; at most
    // as many as fit, at 30 fps, between the onset and the first frame and between the last frame and
    // the end of the 3 s run (plus 0.5 s for the stop to reach the camera).
    let log = read_log(&dir.path().join("lossy/data/005.axvslog")).expect("log");
    let times: Vec<u64> = log.entries.iter().filter(|e| e.is_frame()).map(|e| e.time_us).collect();
    let (first, last) = (times[0], times[times.len() - 1]);
    let period_us = 1e6 / 30.0;
    let edges =
        (first as f64 / period_us).ceil() as u64 + (3.5e6 - last as f64).max(0.0).div_euclid(period_us) as u64 + 1;
    assert!(
        (gaps..=gaps + edges).contains(&lost),
        "camera_lost {lost} vs {gaps} frames missing between saved frame ids (+ at most {edges} at the edges): {ids:?}"
    );
}

#[test]
fn a_camera_killed_mid_recording_is_reported_and_the_rest_of_the_rig_goes_on() {
    let _port = FakeGvCamera::serialize();
    let mut camera = FakeGvCamera::start("AXVSKILL", 0);
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "gv.toml", &rig_text("AXVSKILL"));
    let (mut command, report_path) = rig_command(dir.path(), &rig, "kill", &["--duration", "7"]);
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start axvs");
    let log = dir.path().join("kill/data/005.axvslog");
    wait_until("frames from the GigE camera", Duration::from_secs(30), || {
        read_log(&log).map(|l| l.entries.len() > 30).unwrap_or(false)
    });
    // Standard error read as it comes, each line with the moment it came.
    let mut child = child;
    let stderr_pipe = child.stderr.take().expect("stderr");
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
            let _ = lines_tx.send((std::time::Instant::now(), line));
        }
    });
    camera.kill();
    let killed = std::time::Instant::now();
    let mut said = Vec::new();
    let mut reported = None;
    while let Ok((at, line)) = lines_rx.recv_timeout(Duration::from_secs(20)) {
        if reported.is_none() && line.contains("disconnected") {
            reported = Some(at.duration_since(killed));
        }
        said.push(line);
        if reported.is_some() {
            break;
        }
    }
    // At 30 fps, 20 frame periods are 0.67 s: the camera is declared lost after 2 s without a frame (its
    // last frame came before the kill), and the session tells it at its next look (within 0.2 s).
    let delay = reported.unwrap_or_else(|| panic!("no disconnection reported: {said:?}"));
    assert!(
        delay >= Duration::from_millis(1900) && delay <= Duration::from_millis(3500),
        "reported {delay:?} after the kill (the rig reference: after max(2 s, 20 frame periods))"
    );
    let status = child.wait().expect("axvs run");
    let _ = reader.join();
    said.extend(lines_rx.try_iter().map(|(_, l)| l));
    let stderr = said.join("\n");
    let out_code = status.code();
    assert_eq!(out_code, Some(1), "the lost camera is a failure: {stderr}");
    assert!(
        stderr.contains("camera 5 'gige'") && stderr.contains("disconnected"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report = read_report(&report_path);
    let cameras = report["cameras"].as_array().expect("cameras");
    assert!(cameras[0]["errors"][0]
        .as_str()
        .expect("error")
        .contains("disconnected"));
    assert_eq!(cameras[0]["status"]["state"], "failed", "{report}");
    assert_eq!(cameras[1]["status"]["state"], "idle", "{report}");
    counts_agree(&cameras[0]);
    // The synthetic camera recorded the whole 7 s at 30 fps.
    let synth = counts_agree(&cameras[1]);
    assert!(synth >= 190, "the other camera stopped early: {synth} frames");
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
    let (code, stderr, report) = run_rig(dir.path(), &rig, "fake", &["--duration", "1.5"]);
    assert_eq!(code, Some(0), "{stderr}");
    let camera = &report.expect("report")["cameras"][0];
    assert!(counts_agree(camera) >= 20);
    // Aravis' Fake interface stamps buffers with the host's clock as they are filled: not the device's.
    // That is said, and no host time is recorded as a device time.
    assert!(
        stderr.contains("no device timestamps (Aravis gives the host's receive time in their place)"),
        "{stderr}"
    );
    let clock = &camera["device_clock"];
    assert_eq!(clock["frames"], 0, "{clock}");
    assert_eq!(clock["problem"], "the camera gave no device timestamps");
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
    let (code, err, _) = run_rig(dir.path(), &rig, "bad", &["--duration", "1"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("pixel format 'YUV422_8' is not supported") && err.contains("Mono12"),
        "{err}"
    );
}

fn genicam(serial: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = axvs()
        .args(["genicam", "--serial", serial])
        .args(args)
        .output()
        .expect("axvs genicam");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// The camera's Width, as `axvs genicam read Width` reports it.
fn width(serial: &str) -> u64 {
    let (code, out, err) = genicam(serial, &["read", "Width"]);
    assert_eq!(code, Some(0), "{err}");
    out.lines()
        .find_map(|l| l.trim().strip_prefix("Value: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Width value in {out}"))
}

/// Writes Width and checks that the camera took it.
fn set_width(serial: &str, value: u64) {
    let (code, out, err) = genicam(serial, &["write", "Width", &value.to_string()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains(&format!("reads back '{value}'")), "{out}");
    assert_eq!(width(serial), value, "Width after writing {value}");
}

#[test]
fn node_read_write_dump_load_round_trip_on_the_fake_gige_camera() {
    let _port = FakeGvCamera::serialize();
    let _camera = FakeGvCamera::start("AXVSNODES", 0);
    let dir = tempfile::tempdir().expect("tempdir");

    let (code, out, err) = genicam("AXVSNODES", &["read"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("writable GenICam nodes") && out.contains("Width = "),
        "{out}"
    );
    let (code, out, _) = genicam("AXVSNODES", &["read", "Width"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("Type: Integer") && out.contains("Max: "), "{out}");

    let (code, out, err) = genicam("AXVSNODES", &["write", "Width", "320"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("reads back '320'"), "{out}");

    let file = dir.path().join("camera.yaml");
    let (code, out, err) = genicam("AXVSNODES", &["dump", file.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("Configuration saved"), "{out}");
    let yaml = std::fs::read_to_string(&file).expect("dump file");
    assert!(
        yaml.starts_with("---\ncamera_model: Fake\ncamera_serial_number: AXVSNODES\n"),
        "{yaml}"
    );
    assert!(yaml.contains("- name: Width\n  value: \"320\""), "{yaml}");
    assert!(!yaml.contains("TestPattern"), "blacklisted nodes are not dumped");

    // Change the camera (and see that it changed), load the file, and the dumped value is back: every
    // entry applied, none failed.
    set_width("AXVSNODES", 512);
    let (code, out, err) = genicam("AXVSNODES", &["load", file.to_str().expect("utf-8"), "--strict"]);
    assert_eq!(code, Some(0), "{err}");
    let summary = out
        .lines()
        .find(|l| l.starts_with("Configuration applied to Fake serial AXVSNODES: "))
        .unwrap_or_else(|| panic!("no summary line: {out}"));
    let counts: Vec<usize> = summary
        .split([':', ','])
        .skip(1)
        .map(|part| {
            part.split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .expect("a count")
        })
        .collect();
    let entries = yaml.matches("- name: ").count();
    assert_eq!(counts, [entries, 0, 0], "applied, skipped, failed: {summary}");
    assert_eq!(width("AXVSNODES"), 320, "the load put the dumped Width back");

    // A file from another camera: an error with --strict, a warning without.
    let other = dir.path().join("other.yaml");
    std::fs::write(&other, yaml.replace("AXVSNODES", "SOMEONEELSE")).expect("write");
    let (code, _, err) = genicam("AXVSNODES", &["load", other.to_str().expect("utf-8"), "--strict"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("configuration is for Fake serial SOMEONEELSE"), "{err}");
    let (code, _, err) = genicam("AXVSNODES", &["load", other.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("warning"), "{err}");

    // An entry the camera refuses: listed as failed; with --strict the load fails (exit 1) naming it.
    let refused = dir.path().join("refused.yaml");
    let width_entry = yaml.find("- name: Width").expect("a Width entry");
    let value_at = width_entry + yaml[width_entry..].find("value: ").expect("its value") + "value: ".len();
    let value_end = value_at + yaml[value_at..].find('\n').expect("end of line");
    std::fs::write(&refused, format!("{}wide{}", &yaml[..value_at], &yaml[value_end..])).expect("write");
    let (code, out, err) = genicam("AXVSNODES", &["load", refused.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("failed: Width"), "{out}");
    let (code, _, err) = genicam("AXVSNODES", &["load", refused.to_str().expect("utf-8"), "--strict"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("could not be applied (--strict), the first Width"),
        "{err}"
    );
    // An empty (null) value: one line naming the file and the place, no Rust types.
    let null = dir.path().join("null.yaml");
    std::fs::write(&null, format!("{}null{}", &yaml[..value_at], &yaml[value_end..])).expect("write");
    let (code, _, err) = genicam("AXVSNODES", &["load", null.to_str().expect("utf-8")]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("null.yaml: line") && !err.contains("Option<"), "{err}");

    // Bad input: a node that does not exist, a value the camera refuses, a file that is not YAML.
    let (code, _, err) = genicam("AXVSNODES", &["write", "NoSuchNode", "1"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("node 'NoSuchNode' does not exist"), "{err}");
    let (code, _, err) = genicam("AXVSNODES", &["write", "Width", "wide"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("node 'Width'"), "{err}");
    let (code, _, err) = genicam(
        "AXVSNODES",
        &["dump", dir.path().join("x.txt").to_str().expect("utf-8")],
    );
    assert_eq!(code, Some(1));
    assert!(err.contains(".yaml or .yml"), "{err}");

    // A rig camera applies the file before recording.
    let rig = write_rig(
        dir.path(),
        "cfg.toml",
        &format!(
            "[encoder]\npreset = 1\n[[camera]]\nid = 5\nname = \"gige\"\nbackend = \"genicam\"\nserial = \"AXVSNODES\"\n\
             genicam_config = \"{}\"\n",
            file.display()
        ),
    );
    set_width("AXVSNODES", 512);
    let report = run(dir.path(), &rig, "cfg", "1");
    let video = dir.path().join("cfg/data/005.mp4");
    let probe = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=width", "-of", "csv=p=0"])
        .arg(&video)
        .output()
        .expect("ffprobe");
    assert_eq!(
        String::from_utf8_lossy(&probe.stdout).trim(),
        "320",
        "the rig applied the file's Width"
    );
    counts_agree(&report["cameras"][0]);
}

/// Every pixel of every frame of a lossless gray16 recording of the fake camera in Mono16 is what the
/// camera drew: the ramp `(256 (x + y + frame id)) % 65535` times the camera's exposure scale `1 + gain +
/// log10(exposure / 10 ms)` (gain 0), truncated, as Aravis' fake camera computes it. The camera keeps the
/// exposure in its own units (4000 µs comes back as about 3999.8), so the scale is not known to the last
/// digit: each frame must be drawn by one frame id and one scale within 0.01 % of the nominal one.
fn check_fake_mono16_pattern(video: &Path, width: usize, height: usize, exposure_us: u32) {
    let decoded = decode_raw(video, "gray16le");
    let nominal = 1.0 + (f64::from(exposure_us) / 10_000.0).log10();
    let ramp = |x: usize, y: usize, id: usize| ((256 * (x + id + y)) % 65535) as f64;
    // The scales that draw `pixels` (index, value) for this frame id: [low, high), empty if none.
    let scales = |pixels: &mut dyn Iterator<Item = (usize, u16)>, id: usize| -> (f64, f64) {
        pixels.fold((0.0f64, f64::MAX), |(low, high), (i, value)| {
            let r = ramp(i % width, i / width, id);
            if r == 0.0 {
                return if value == 0 { (low, high) } else { (1.0, 0.0) };
            }
            let v = f64::from(value);
            (low.max(v / r), high.min((v + 1.0) / r))
        })
    };
    let frames: Vec<Vec<u16>> = decoded
        .chunks_exact(width * height * 2)
        .map(|f| f.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect())
        .collect();
    assert!(!frames.is_empty(), "no frames decoded");
    for (n, frame) in frames.iter().enumerate() {
        let first_row = |id| scales(&mut frame[..width].iter().copied().enumerate(), id);
        // The first pixel is about 256 id (mod 65535) times the scale, and 256 is its own inverse mod
        // 65535: a few candidates around it.
        let first = (f64::from(frame[0]) / nominal).round() as i64;
        let id = (first - 3..=first + 3)
            .map(|ramp0| ((ramp0.rem_euclid(65535) * 256) % 65535) as usize)
            .find(|&id| {
                let (low, high) = first_row(id);
                low < high && (low - nominal).abs() < 1e-4 * nominal
            })
            .unwrap_or_else(|| panic!("frame {n}: no frame id draws the first row {:?}", &frame[..8]));
        let (low, high) = scales(&mut frame.iter().copied().enumerate(), id);
        assert!(
            low < high,
            "frame {n} (id {id}): no single scale draws every pixel: the pixels are not the camera's"
        );
    }
}

#[test]
fn rig_settings_apply_in_order_and_every_pixel_format_records() {
    let _port = FakeGvCamera::serialize();
    let _camera = FakeGvCamera::start("AXVSFMT", 0);
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "Mono8",
            "codec = \"h265\"\npreset = 1\npixel_format = \"gray\"",
            "mp4",
            "gray",
        ),
        (
            "Mono16",
            "codec = \"ffv1\"\npixel_format = \"gray16\"",
            "mkv",
            "gray16le",
        ),
        ("RGB8", "preset = 1", "mp4", "yuvj420p"),
        ("BayerGR8", "preset = 1", "mp4", "yuvj420p"),
        ("BayerRG8", "preset = 1", "mp4", "yuvj420p"),
        ("BayerGB8", "preset = 1", "mp4", "yuvj420p"),
        ("BayerBG8", "preset = 1", "mp4", "yuvj420p"),
    ];
    for (i, (format, encoder, ext, pix_fmt)) in cases.iter().enumerate() {
        let rig = write_rig(
            dir.path(),
            &format!("f{i}.toml"),
            &format!(
                "[encoder]\n{encoder}\n[[camera]]\nid = 5\nname = \"gige\"\nbackend = \"genicam\"\nserial = \"AXVSFMT\"\n\
                 width = 256\nheight = 200\noffset_x = 16\noffset_y = 8\nfps = 20\npixel_format = \"{format}\"\n\
                 exposure_us = 4000\ntrigger = \"{}\"\n",
                if i % 2 == 0 { "free_run" } else { "software" }
            ),
        );
        let session = format!("f{i}");
        let report = run(dir.path(), &rig, &session, "1.5");
        let saved = counts_agree(&report["cameras"][0]);
        let video = dir.path().join(&session).join("data").join(format!("005.{ext}"));
        assert_eq!(
            report["cameras"][0]["video"],
            video.to_str().expect("utf-8"),
            "{format}"
        );
        assert!(saved >= 15, "{format}: {saved} frames at 20 fps in 1.5 s");
        let probe = std::process::Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "stream=width,height,pix_fmt",
                "-of",
                "csv=p=0",
            ])
            .arg(&video)
            .output()
            .expect("ffprobe");
        assert_eq!(
            String::from_utf8_lossy(&probe.stdout).trim(),
            format!("256,200,{pix_fmt}"),
            "{format}"
        );
        if *format == "Mono16" {
            check_fake_mono16_pattern(&video, 256, 200, 4000);
        }
    }
    for (node, value) in [
        ("OffsetX", "16"),
        ("OffsetY", "8"),
        ("ExposureTimeAbs", "4000"),
        ("Width", "256"),
    ] {
        let (_, out, _) = genicam("AXVSFMT", &["read", node]);
        assert!(out.contains(&format!("Value: {value}")), "{node}: {out}");
    }
}
