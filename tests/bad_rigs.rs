//! Bad rig files: each gives one clear error line naming the file, line and column (where there is one),
//! exit code 2, no panic, and records nothing.

use std::process::Stdio;

use axvs_tests::{axvs, write_rig};

const CAMERA: &str = "[[camera]]\nid = 1\nname = \"a\"\nbackend = \"synthetic\"\n";

/// (what, rig text, text the error must contain, expected `line:column` or "" when the error has no place)
fn cases() -> Vec<(&'static str, String, &'static str, &'static str)> {
    vec![
        ("toml syntax", "output_dir = \n".into(), "string", ":1:"),
        (
            "unknown top-level key",
            format!("outptu_dir = \"x\"\n{CAMERA}"),
            "unknown field `outptu_dir`",
            ":1:1",
        ),
        (
            "unknown camera key",
            format!("{CAMERA}widht = 3\n"),
            "unknown field `widht`",
            ":5:1",
        ),
        (
            "duplicate id",
            format!("{CAMERA}[[camera]]\nid = 1\nname = \"b\"\nbackend = \"synthetic\"\n"),
            "camera id 1 is used twice",
            ":6:6",
        ),
        (
            "id out of range",
            "[[camera]]\nid = 300\nname = \"a\"\nbackend = \"synthetic\"\n".into(),
            "camera id 300 is out of range (allowed: 0 to 255)",
            ":2:6",
        ),
        (
            "negative id",
            "[[camera]]\nid = -1\nname = \"a\"\nbackend = \"synthetic\"\n".into(),
            "-1",
            ":2:6",
        ),
        (
            "missing id",
            "[[camera]]\nname = \"a\"\nbackend = \"synthetic\"\n".into(),
            "missing field `id`",
            ":1:1",
        ),
        (
            "unknown backend",
            "[[camera]]\nid = 1\nname = \"a\"\nbackend = \"webcam\"\n".into(),
            "unknown backend \"webcam\" (available: synthetic, opencv, genicam)",
            ":4:11",
        ),
        (
            "a missing plugin folder",
            "plugin_dirs = [\"no/such/dir\"]\n[[camera]]\nid = 1\nname = \"a\"\nbackend = \"vendorcam\"\n".into(),
            "/no/such/dir: no such file)",
            ":5:11",
        ),
        (
            "another backend's key",
            format!("{CAMERA}pipeline = \"videotestsrc ! appsink\"\n"),
            "unknown field `pipeline` (keys here: `width`",
            ":5:1",
        ),
        (
            "two opencv sources",
            "[[camera]]\nid = 1\nname = \"a\"\nbackend = \"opencv\"\nindex = 0\nurl = \"rtsp://x\"\n".into(),
            "needs exactly one of index, path, url, pipeline (given: index, url)",
            ":1:1",
        ),
        (
            "unknown pixel format",
            format!("{CAMERA}pixel_format = \"rgb24\"\n"),
            "unknown pixel format 'rgb24'",
            ":5:16",
        ),
        (
            "zero width",
            format!("{CAMERA}width = 0\n"),
            "0 is not a valid size",
            ":5:9",
        ),
        (
            "negative fps",
            format!("{CAMERA}fps = -5\n"),
            "must be a number from 0.001 to 100000",
            ":5:7",
        ),
        (
            "qp too high",
            format!("[encoder]\nqp = 60\n{CAMERA}"),
            "invalid qp '60'",
            ":2:6",
        ),
        (
            "preset zero",
            format!("{CAMERA}[camera.encoder]\npreset = 0\n"),
            "invalid preset '0'",
            ":6:10",
        ),
        (
            "unknown codec",
            format!("[encoder]\ncodec = \"mpeg2\"\n{CAMERA}"),
            "invalid codec 'mpeg2' (allowed: h264, h265, av1, ffv1)",
            ":2:9",
        ),
        (
            "bad overflow policy",
            format!("overflow = \"grow\"\n{CAMERA}"),
            "unknown overflow policy 'grow' (allowed: drop_newest, block)",
            ":1:12",
        ),
        (
            "zero queue depth",
            format!("queue_depth = 0\n{CAMERA}"),
            "queue depth 0",
            ":1:15",
        ),
        ("no cameras", "output_dir = \"x\"\n".into(), "no cameras", ":1:1"),
        (
            "empty name",
            "[[camera]]\nid = 1\nname = \"  \"\nbackend = \"synthetic\"\n".into(),
            "name must not be empty",
            ":3:8",
        ),
        (
            "duplicate name",
            format!("{CAMERA}[[camera]]\nid = 2\nname = \"a\"\nbackend = \"synthetic\"\n"),
            "name 'a' is used twice",
            ":7:8",
        ),
        (
            "wrong type",
            format!("{CAMERA}height = \"tall\"\n"),
            "invalid type",
            ":5:10",
        ),
        (
            "ffv1 in mp4",
            format!("[encoder]\ncodec = \"ffv1\"\ncontainer = \"mp4\"\n{CAMERA}"),
            "FFV1 cannot be stored in MP4",
            ":4:1",
        ),
        (
            "av1 in gray",
            format!("[encoder]\ncodec = \"av1\"\npixel_format = \"gray\"\n{CAMERA}"),
            "libsvtav1 cannot write pixel format gray",
            ":4:1",
        ),
        (
            "too small for synthetic",
            format!("{CAMERA}width = 16\n"),
            "at least 64x32",
            ":1:1",
        ),
        (
            "unknown pixel format",
            format!("{CAMERA}pixel_format = \"mono12\"\n"),
            "mono12",
            ":5:16",
        ),
        (
            "gpu index out of range",
            format!("[encoder]\ngpu = 500\n{CAMERA}"),
            "gpu index 500",
            ":2:7",
        ),
        (
            "encoder missing from this FFmpeg",
            format!("[encoder]\ncodec = \"av1\"\ngpu = 0\n{CAMERA}"),
            "encoder av1_nvenc is not available in this machine's FFmpeg (available: libx264",
            ":4:1",
        ),
        (
            "camera table not an array",
            "[camera]\nid = 1\n".into(),
            "invalid type",
            ":1:1",
        ),
        (
            "a word where a rate belongs",
            format!("{CAMERA}fps = \"fast\"\n"),
            "invalid type: string \"fast\", expected a number; in `fps`",
            ":5:7",
        ),
        (
            "a table where a policy name belongs",
            format!("{CAMERA}overflow = {{ qp = 1 }}\n"),
            "invalid type: map, expected a string",
            ":5:12",
        ),
        (
            "a table where a codec name belongs",
            format!("[encoder]\ncodec = {{ qp = 1 }}\n{CAMERA}"),
            "invalid type: map, expected a string",
            ":2:9",
        ),
        (
            "yuv420p with an odd width (caught before recording, by check as by run)",
            "[[camera]]\nid = 1\nname = \"a\"\nbackend = \"synthetic\"\nwidth = 321\n".into(),
            "camera 1 'a': yuv420p needs an even width and height, the camera gives 321x480",
            ":1:1",
        ),
    ]
}

/// Whether the FFmpeg on this machine (the CLI, from the same packages as the libraries axvs links) has
/// an encoder of this name.
fn ffmpeg_has_encoder(name: &str) -> bool {
    let out = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-encoders"])
        .output()
        .expect("run ffmpeg");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.split_whitespace().nth(1) == Some(name))
}

#[test]
fn every_bad_rig_gives_a_located_one_line_error_and_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cases = cases();
    // Each case is its own: no two share a rig text or a name.
    let mut texts: Vec<&String> = cases.iter().map(|c| &c.1).collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), cases.len(), "two cases share a rig text");
    // The missing-encoder case needs an FFmpeg without av1_nvenc (FFmpeg 5.1, Debian 12's, has none);
    // where the linked FFmpeg has it, that rig is not bad input and the case cannot be made here.
    if ffmpeg_has_encoder("av1_nvenc") {
        eprintln!("this FFmpeg has av1_nvenc: the missing-encoder case does not apply");
        cases.retain(|c| c.0 != "encoder missing from this FFmpeg");
    }
    for (i, (what, text, expected, place)) in cases.into_iter().enumerate() {
        let rig = write_rig(dir.path(), &format!("bad{i}.toml"), &text);
        let out = axvs()
            .args(["run", "--duration", "0.2", "-o"])
            .arg(dir.path().join("out"))
            .arg(&rig)
            .stdin(Stdio::null())
            .output()
            .expect("run axvs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: exit code; stderr: {err}");
        assert!(!err.contains("panicked"), "{what}: panic: {err}");
        let lines: Vec<&str> = err.trim().lines().collect();
        assert_eq!(lines.len(), 1, "{what}: one line expected: {err}");
        let line = lines[0];
        assert!(line.starts_with("axvs: error: "), "{what}: {line}");
        assert!(
            line.contains(&format!("bad{i}.toml{place}")),
            "{what}: place {place} missing: {line}"
        );
        assert!(line.contains(expected), "{what}: '{expected}' missing: {line}");
        for internal in ["untagged enum", "unknown variant"] {
            assert!(!line.contains(internal), "{what}: serde's wording leaks: {line}");
        }
        assert!(!dir.path().join("out").exists(), "{what}: nothing may be recorded");
    }
}

#[test]
fn a_missing_rig_file_is_named() {
    let out = axvs()
        .args(["run", "/nonexistent/rig.toml"])
        .output()
        .expect("run axvs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot read rig file /nonexistent/rig.toml"), "{err}");
}

/// A site's default threshold comes from `AXVS_MIN_FREE_SPACE` for rigs that set none; a bad value is
/// refused by the variable's name, and a rig's own `min_free_space` wins over it.
#[test]
fn a_bad_site_default_for_free_space_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rigs/demo.toml");
    let out = axvs()
        .env("AXVS_MIN_FREE_SPACE", "lots")
        .arg("check")
        .arg(&demo)
        .output()
        .expect("run axvs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("environment variable AXVS_MIN_FREE_SPACE: min_free_space 'lots': give a share of the disk"),
        "{err}"
    );
    let own = write_rig(
        dir.path(),
        "own.toml",
        "min_free_space = \"1MB\"\n[[camera]]\nid = 1\nname = \"a\"\nbackend = \"synthetic\"\n",
    );
    let out = axvs()
        .env("AXVS_MIN_FREE_SPACE", "lots")
        .arg("check")
        .arg(&own)
        .output()
        .expect("run axvs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_device_or_directory_given_as_a_rig_is_refused_at_once() {
    for path in ["/dev/zero", "/"] {
        let out = axvs().args(["check", path]).output().expect("run axvs");
        assert_eq!(out.status.code(), Some(2), "{path}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("{path}: not a regular file")), "{path}: {err}");
    }
}

#[test]
fn a_rig_whose_frame_buffers_do_not_fit_in_memory_is_refused_by_check_and_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(
        dir.path(),
        "huge.toml",
        "queue_depth = 100000\n[[camera]]\nid = 1\nname = \"uhd\"\nbackend = \"synthetic\"\nwidth = 3840\n\
         height = 2160\npixel_format = \"bgr8\"\n",
    );
    for command in ["check", "run"] {
        let out = axvs()
            .arg(command)
            .args(if command == "run" { &["-o"][..] } else { &[][..] })
            .args(if command == "run" {
                vec![dir.path().join("out")]
            } else {
                vec![]
            })
            .arg(&rig)
            .stdin(Stdio::null())
            .output()
            .expect("run axvs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {err}");
        assert!(
            err.contains("the rig's frame buffers need up to 2488.42 GB (camera 1 'uhd': 100004 buffers x 24.9 MB)")
                && err.contains("available")
                && err.contains("lower queue_depth"),
            "{command}: {err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{command}: {err}");
    }
    assert!(!dir.path().join("out").exists(), "nothing recorded");
}

#[test]
fn check_accepts_the_demo_rig() {
    let rig = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rigs/demo.toml");
    let out = axvs().arg("check").arg(&rig).output().expect("run axvs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("mono_camera") && text.contains("colour_camera"), "{text}");
}

/// `check` is `run` without recording: over a corpus of rigs (frames an encoder refuses, on a built-in and
/// on a plugin camera; queues that do not fit in memory; output and log folders that cannot hold files; a
/// display rate above the camera's, which both cap; good rigs), `check` passes exactly the rigs `run`
/// records, and a refused run writes nothing.
#[test]
fn check_and_run_agree_on_a_corpus_of_rigs() {
    let plugin = axvs_tests::plugin_build("axvs-plugin-rawfile");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").expect("write");
    // Two frames of 321x240 mono8: an odd width, which yuv420p cannot hold.
    let odd = dir.path().join("clip_321x240_mono8.raw");
    std::fs::write(&odd, vec![7u8; 2 * 321 * 240]).expect("write clip");
    let even = dir.path().join("clip_64x48_mono8.raw");
    std::fs::write(&even, vec![9u8; 20 * 64 * 48]).expect("write clip");
    let synthetic = |extra: &str| {
        format!(
            "output_dir = \"{}\"\n{CAMERA}width = 64\nheight = 64\nframes = 10\n{extra}",
            out.display()
        )
    };
    let top = |top: &str| format!("{top}\n{CAMERA}frames = 10\n");
    let rawfile = |path: &std::path::Path, extra: &str| {
        format!(
            "output_dir = \"{}\"\n[[camera]]\nid = 2\nname = \"replay\"\nbackend = \"rawfile\"\npath = \"{}\"\n{extra}",
            out.display(),
            path.display()
        )
    };
    let av1 = if ffmpeg_has_encoder("libsvtav1") {
        Some(synthetic("height = 32\n[camera.encoder]\ncodec = \"av1\"\n"))
    } else {
        None
    };
    let corpus: Vec<(&str, Option<String>, bool)> = vec![
        ("a good rig", Some(synthetic("")), true),
        (
            "display_fps above the camera's rate (capped)",
            Some(synthetic("fps = 30\ndisplay_fps = 90\n")),
            true,
        ),
        ("a plugin camera", Some(rawfile(&even, "")), true),
        ("AV1 at 64x32", av1, false),
        ("yuv420p at an odd width", Some(synthetic("width = 65\n")), false),
        ("a plugin camera at 321x240 in yuv420p", Some(rawfile(&odd, "")), false),
        (
            "a plugin queue of 54 TB",
            Some(rawfile(&odd, "width = 60000\nheight = 60000\nqueue_depth = 15000\n")),
            false,
        ),
        (
            "a synthetic queue beyond memory",
            Some(synthetic("width = 8000\nheight = 8000\nqueue_depth = 100000\n")),
            false,
        ),
        (
            "output_dir is a file",
            Some(top(&format!("output_dir = \"{}\"", file.display()))),
            false,
        ),
        (
            "output_dir below a file",
            Some(top(&format!("output_dir = \"{}/sub\"", file.display()))),
            false,
        ),
        (
            "output_dir is /dev/null",
            Some(top("output_dir = \"/dev/null\"")),
            false,
        ),
        ("output_dir in /proc", Some(top("output_dir = \"/proc/axvs\"")), false),
        (
            "log_dir is a file",
            Some(top(&format!(
                "output_dir = \"{}\"\nlog_dir = \"{}\"",
                out.display(),
                file.display()
            ))),
            false,
        ),
    ];
    let home = dir.path().join("home");
    std::fs::create_dir(&home).expect("home");
    let with_plugin = |command: &mut std::process::Command| {
        command
            .env("HOME", &home)
            .env_remove("XDG_DATA_HOME")
            .env_remove("DISPLAY")
            .env("AXVS_PLUGIN_PATH", &plugin)
            .stdin(Stdio::null());
    };
    for (n, (what, rig, records)) in corpus.into_iter().enumerate() {
        let Some(rig) = rig else { continue };
        let rig = write_rig(dir.path(), &format!("rig{n}.toml"), &rig);
        let mut check = axvs();
        check.arg("check").arg(&rig);
        with_plugin(&mut check);
        let checked = check.output().expect("axvs check");
        let session = format!("s{n}");
        let mut run = axvs();
        run.args([
            "run",
            "--duration",
            "0.5",
            "--status-interval",
            "0",
            "--session",
            &session,
        ])
        .arg(&rig);
        with_plugin(&mut run);
        let ran = run.output().expect("axvs run");
        let said = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(
            (checked.status.success(), ran.status.success()),
            (records, records),
            "{what}: check {:?} {}, run {:?} {}",
            checked.status.code(),
            said(&checked),
            ran.status.code(),
            said(&ran)
        );
        if !records {
            assert!(!out.join(&session).exists(), "{what}: a refused run wrote {session}");
            assert!(
                !said(&checked).contains("panicked") && !said(&ran).contains("panicked"),
                "{what}"
            );
        }
    }
}

/// `axvs check` prints its report, not the encoders' own banners (SVT-AV1 prints 17 lines when it opens).
#[test]
fn check_prints_no_encoder_banner() {
    if !ffmpeg_has_encoder("libsvtav1") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(
        dir.path(),
        "av1.toml",
        &format!("[encoder]\ncodec = \"av1\"\n{CAMERA}width = 64\nheight = 64\n"),
    );
    let out = axvs().arg("check").arg(&rig).output().expect("axvs check");
    let said = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(!said.contains("Svt["), "{said}");
    assert_eq!(said.lines().count(), 2, "the rig and its camera: {said}");
}
