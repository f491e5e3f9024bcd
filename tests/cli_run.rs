//! `axvs run` end to end: counts agree across status, video and log; the .npz archive is what numpy and the
//! original's readers expect; timestamps extract; a SIGKILLed recording leaves a playable file and a
//! consistent log.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use axvs_encode::FLUSH_INTERVAL;
use axvs_log::{npz, read_log, timestamps, MAX_FLUSH_DELAY};
use axvs_tests::{
    assert_pts_are_logged, assert_pts_equal_logged, axvs, counts_agree, decode_luma, ffprobe_keyframe_packets, probe,
    python_numpy, read_report, rig_command, run_rig, us_in_time_base, wait_until, write_rig,
};

const RIG: &str = r#"
output_dir = "unused"
queue_depth = 32
[encoder]
codec = "h264"
preset = 1
qp = 23
[[camera]]
id = 101
name = "left_camera"
backend = "synthetic"
width = 320
height = 240
fps = 50
pixel_format = "mono8"
[camera.encoder]
pixel_format = "gray"
[[camera]]
id = 7
name = "right_camera"
backend = "synthetic"
width = 256
height = 192
fps = 40
pixel_format = "bgr8"
"#;

#[test]
fn run_counts_agree_and_archives_are_numpy_compatible() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "rig.toml", RIG);
    let (code, stderr, report) = run_rig(dir.path(), &rig, "s1", &["--duration", "1.5"]);
    assert_eq!(code, Some(0), "axvs run failed: {stderr}");
    let session = dir.path().join("s1/data");
    let report = report.expect("report");
    let cameras = report["cameras"].as_array().expect("cameras");
    assert_eq!(cameras.len(), 2);
    for cam in cameras {
        let id = cam["status"]["id"].as_u64().expect("id");
        let saved = counts_agree(cam);
        assert!(saved > 20, "camera {id} saved only {saved}");
        assert_eq!(cam["status"]["dropped"]["queue_full"], 0);
        let video = session.join(format!("{id:03}.mp4"));
        let log = read_log(&session.join(format!("{id:03}.axvslog"))).expect("log");

        // The archive holds the same entries, in the original's layout.
        let archive = session.join(format!("{id}_log.npz"));
        assert_eq!(npz::read_archive(&archive).expect("archive"), log.entries);
        check_archive_layout(&archive, id as u8, log.entries.len());
        let script = r#"
import sys, numpy as np
a = np.load(sys.argv[1])
keys = list(a.keys())
sid = int(sys.argv[2])
assert keys == sorted(keys), "keys not chronological"
onset = a[keys[0]]
assert onset.dtype == np.uint8 and onset.shape == (17,), (onset.dtype, onset.shape)
assert onset[0] == sid and int.from_bytes(onset[1:9].tobytes(), "little") == 0
assert keys[0] == f"{sid:03d}_{0:020d}"
epoch = int.from_bytes(onset[9:17].tobytes(), "little")
frames = [a[k] for k in keys[1:]]
assert all(f.shape == (9,) and f[0] == sid for f in frames)
times = [int.from_bytes(f[1:9].tobytes(), "little") for f in frames]
assert keys[1:] == [f"{sid:03d}_{t:020d}" for t in times]
print(len(frames), epoch)
"#;
        let printed = python_numpy(script, &[&archive, Path::new(&id.to_string())]);
        let numbers: Vec<u64> = printed.split_whitespace().map(|v| v.parse().expect("number")).collect();
        let [count, epoch] = numbers[..] else {
            panic!("count and onset from numpy: {printed}")
        };
        assert_eq!(count, saved);

        // axvs timestamps: CSV and npy, from the archive and from the raw log, all equal to the onset
        // (as numpy read it) plus each frame's PTS (as ffprobe read it).
        let times: Vec<u64> = probe(&video).pts().into_iter().map(|p| epoch + p as u64).collect();
        assert_eq!(times.len() as u64, saved);
        let csv = dir.path().join(format!("{id}.csv"));
        let npy = dir.path().join(format!("{id}.npy"));
        for (input, output) in [(&archive, &csv), (&session.join(format!("{id:03}.axvslog")), &npy)] {
            let out = axvs()
                .arg("timestamps")
                .arg(input)
                .arg("-o")
                .arg(output)
                .output()
                .expect("axvs timestamps");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        let from_csv: Vec<u64> = std::fs::read_to_string(&csv)
            .expect("csv")
            .lines()
            .skip(1)
            .map(|l| l.parse().expect("number"))
            .collect();
        assert_eq!(from_csv, times);
        let from_npy = python_numpy(
            "import sys, numpy as np\na = np.load(sys.argv[1])\nassert a.dtype == np.uint64\nprint(' '.join(map(str, a)))",
            &[&npy],
        );
        let from_npy: Vec<u64> = from_npy
            .split_whitespace()
            .map(|v| v.parse().expect("number"))
            .collect();
        assert_eq!(from_npy, times);
    }
    let manifest = std::fs::read_to_string(session.join("camera_manifest.yaml")).expect("manifest");
    assert!(manifest.contains("id: 101\n  name: left_camera") && manifest.contains("id: 7\n  name: right_camera"));

    // A second run into the same session is refused; the first run's files are untouched.
    let files = |dir: &Path| -> Vec<(std::ffi::OsString, Vec<u8>)> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("session")
            .map(|e| {
                let e = e.expect("entry");
                (e.file_name(), std::fs::read(e.path()).expect("file"))
            })
            .collect();
        files.sort();
        files
    };
    let before = files(&session);
    let out = axvs()
        .args(["run", "--duration", "0.2", "--session", "s1", "-o"])
        .arg(dir.path())
        .arg(&rig)
        .output()
        .expect("run axvs");
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let after = files(&session);
    assert_eq!(before.len(), after.len(), "no file added or removed");
    assert!(
        before == after,
        "every file of the first run is byte for byte as it was"
    );
}

#[test]
fn status_lines_come_at_the_interval_asked_with_the_queue_and_its_peak() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "rig.toml", RIG);
    let out = axvs()
        .args(["run", "--duration", "1.5", "--status-interval", "0.05", "-o"])
        .arg(dir.path())
        .arg(&rig)
        .stdin(Stdio::null())
        .output()
        .expect("run axvs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // 1.5 s at 0.05 s is 30 lines a camera (the terminal's refresh, 0.2 s, would allow 8 at most); two
    // thirds of them on a loaded machine, and never more than asked.
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("101 left_camera")).collect();
    assert!(
        (20..=31).contains(&lines.len()),
        "{} status lines for camera 101:\n{stderr}",
        lines.len()
    );
    for line in &lines {
        let (_, rest) = line
            .split_once(" queue ")
            .unwrap_or_else(|| panic!("no queue in '{line}'"));
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let (depth, capacity) = fields[0].split_once('/').expect("queue depth/capacity");
        let depth: u64 = depth.parse().expect("depth");
        assert_eq!(capacity, "32", "{line}");
        assert_eq!(fields[1], "peak", "{line}");
        let peak: u64 = fields[2].parse().expect("peak");
        assert!(depth <= peak && peak <= 32, "{line}");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut table = stdout.lines();
    let header = table.next().unwrap_or_default();
    assert!(header.contains("queue peak"), "{stdout}");
    // Every heading ends where its column's values end (right-aligned), the losses' three numbers too.
    let ends = |line: &str| -> Vec<usize> {
        let mut ends = Vec::new();
        let bytes = line.as_bytes();
        for i in 0..bytes.len() {
            if bytes[i] != b' ' && bytes.get(i + 1).is_none_or(|b| *b == b' ') {
                ends.push(i);
            }
        }
        ends
    };
    let row = table.next().unwrap_or_default();
    let (header_ends, row_ends) = (ends(header), ends(row));
    let lost = header.find("lost q/enc/log").expect("the losses' heading") + "lost q/enc/log".len() - 1;
    assert!(
        row_ends.contains(&lost),
        "the losses sit under their heading:\n{header}\n{row}"
    );
    for column in ["acquired", "saved", "not saved", "cam lost", "queue peak"] {
        let end = header.find(column).expect("a heading") + column.len() - 1;
        assert!(
            header_ends.contains(&end) && row_ends.contains(&end),
            "{column}:\n{header}\n{row}"
        );
    }
}

/// Byte-level checks of the archive: stored members, names, the exact numpy 1.0 header.
fn check_archive_layout(path: &Path, id: u8, entries: usize) {
    let bytes = std::fs::read(path).expect("archive bytes");
    // Local file headers: signature, then compression method at offset 8 (0 = stored).
    let mut names = Vec::new();
    let mut pos = 0;
    while pos + 30 <= bytes.len() && bytes[pos..pos + 4] == [0x50, 0x4b, 0x03, 0x04] {
        let method = u16::from_le_bytes([bytes[pos + 8], bytes[pos + 9]]);
        assert_eq!(method, 0, "members must be stored, not compressed");
        let size = u32::from_le_bytes(bytes[pos + 18..pos + 22].try_into().expect("4 bytes")) as usize;
        let name_len = u16::from_le_bytes([bytes[pos + 26], bytes[pos + 27]]) as usize;
        let extra_len = u16::from_le_bytes([bytes[pos + 28], bytes[pos + 29]]) as usize;
        let name = String::from_utf8(bytes[pos + 30..pos + 30 + name_len].to_vec()).expect("name");
        let data = &bytes[pos + 30 + name_len + extra_len..pos + 30 + name_len + extra_len + size];
        let payload_len = data.len() - 128;
        let mut expected = b"\x93NUMPY\x01\x00\x76\x00".to_vec();
        let dict = format!("{{'descr': '|u1', 'fortran_order': False, 'shape': ({payload_len},), }}");
        expected.extend_from_slice(dict.as_bytes());
        expected.resize(127, b' ');
        expected.push(b'\n');
        assert_eq!(&data[..128], &expected[..], "npy header of {name}");
        names.push(name);
        pos += 30 + name_len + extra_len + size;
    }
    assert_eq!(names.len(), entries);
    assert_eq!(names[0], format!("{id:03}_{:020}.npy", 0));
}

/// A rig of two cameras for the kill tests: 50 fps gray and 40 fps colour, both written with `codec` into
/// `container`, with keyframes where the encoder puts them (x264: 250 frames apart, so the kills below
/// fall inside the first GOP, in fragments that start with no keyframe), or every `keyframes` seconds.
fn kill_rig(codec: &str, container: &str, keyframes: Option<f64>) -> String {
    let keyframes = keyframes
        .map(|k| format!("keyframe_interval = {k:?}\n"))
        .unwrap_or_default();
    format!(
        "queue_depth = 32\n[encoder]\ncodec = \"{codec}\"\ncontainer = \"{container}\"\npreset = 1\nqp = 23\n\
         {keyframes}\
         [[camera]]\nid = 101\nname = \"left_camera\"\nbackend = \"synthetic\"\nwidth = 320\nheight = 240\nfps = 50\n\
         pixel_format = \"mono8\"\n[camera.encoder]\npixel_format = \"gray\"\n\
         [[camera]]\nid = 7\nname = \"right_camera\"\nbackend = \"synthetic\"\nwidth = 256\nheight = 192\nfps = 40\n\
         pixel_format = \"bgr8\"\n"
    )
}

/// What FFmpeg's readers say of a file whose last fragment a kill tore (inside its write): Matroska's and
/// MP4's demuxers of the cut-off data; FFV1 of its cut-off frame (a keyframe's slice sizes, at its end, are
/// gone: no slice found; another frame's chain of slices breaks); H.264's parser and decoder of its cut-off
/// NAL unit (and "no frame!" of an access unit left with 3 bytes and no slice: seen once, in CI's replay).
const TORN_TAIL: [&str; 8] = [
    "File ended prematurely",
    "partial file",
    "slice count 0 is invalid",
    "Slice pointer chain broken",
    "Invalid NAL unit size",
    "missing picture in access unit",
    "Error splitting the input into NAL units",
    "no frame!",
];

/// Frames an encoder may hold when the process dies, at preset 1 (veryfast), as the book states them
/// (docs/src/introduction.md).
/// x264 delays output by its lookahead (10 frames), its B-frames (3), its frame threads (1.5 per core,
/// x264's default) and their sync lookahead (up to 4); x265 by its lookahead (15), its B-frames (4), its
/// frame threads (2 below 4 cores, 3 below 8, then more) and its lookahead's own queue (up to 8). FFV1
/// holds none. Queued frames are not logged yet, so they do not count.
fn encoder_delay_frames(codec: &str) -> u64 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    match codec {
        "h264" => 10 + 3 + (cores * 3).div_ceil(2) + 4,
        "h265" => {
            15 + 4
                + [(32, 6), (16, 5), (8, 4), (4, 3), (0, 2)]
                    .iter()
                    .find(|(c, _)| cores >= *c)
                    .map_or(2, |t| t.1)
                + 8
        }
        _ => 0,
    }
}

/// Records `rig` into `<dir>/k` and SIGKILLs the run once camera 101 has logged `entries` entries; returns
/// the session. The run must not have panicked.
fn record_then_kill(dir: &Path, rig: &Path, entries: usize) -> std::path::PathBuf {
    record_then_kill_when(dir, rig, &format!("{entries} log entries"), |session| {
        read_log(&session.join("101.axvslog"))
            .map(|l| l.entries.len() >= entries)
            .unwrap_or(false)
    })
}

/// [`record_then_kill`], killing once `ready` (given the session folder) says `what` holds.
fn record_then_kill_when(dir: &Path, rig: &Path, what: &str, ready: impl Fn(&Path) -> bool) -> std::path::PathBuf {
    let (mut command, _report) = rig_command(dir, rig, "k", &["--duration", "120"]);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start axvs");
    let session = dir.join("k/data");
    wait_until(what, Duration::from_secs(60), || ready(&session));
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    session
}

/// Starts a recording of `rig`, SIGKILLs it once camera 101 has logged `entries` entries, and checks every
/// camera: the video is empty (killed before its encoder put out a frame) or decodes cleanly, each of its
/// frames is the next logged frame (PTS == logged time), and no more is lost than the frames muxed in the
/// last FLUSH_INTERVAL plus the encoder's delay. `axvs recover` then writes archives that hold exactly the
/// video's frames.
fn kill_and_check(codec: &str, rig: &str, extension: &str, entries: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "rig.toml", rig);
    let session = record_then_kill(dir.path(), &rig, entries);

    let mut in_video = Vec::new();
    for (id, fps) in [(101u8, 50.0), (7, 40.0)] {
        let what = format!("camera {id} ({extension}, killed after {entries} entries)");
        let video = session.join(format!("{id:03}.{extension}"));
        let log_path = session.join(format!("{id:03}.axvslog"));
        // Cameras start one after the other: a kill may come before this one logged its onset (no log yet,
        // or only its magic), and then it saved no frame.
        let logged: Vec<u64> = if log_path.exists() {
            let log = read_log(&log_path).unwrap_or_else(|e| panic!("{what}: log of a killed recording: {e}"));
            log.entries.iter().filter(|e| e.is_frame()).map(|e| e.time_us).collect()
        } else {
            Vec::new()
        };
        let flush_frames = (fps * FLUSH_INTERVAL.as_secs_f64()).ceil() as u64 + 1;
        let delay = encoder_delay_frames(codec);
        let bound = flush_frames + delay;
        // No file yet (killed before this camera's encoder made it, on a loaded machine) holds no frame.
        // Once made, the file is valid: its header is written when the encoder opens.
        let probed = video.exists().then(|| probe(&video));
        let frames = if let Some(probed) = &probed {
            assert_ne!(
                std::fs::metadata(&video).map(|m| m.len()).ok(),
                Some(0),
                "{what}: an empty file"
            );
            let errors = probed.decode_errors();
            if extension == "mkv" && errors.contains("End of file") {
                // Matroska's header closes with its first cluster.
                0
            } else {
                // A kill inside the write of the last fragment (cluster) tears it: readers keep every
                // frame before it (counted, and checked against the log, below). Nothing else may fail.
                assert!(
                    errors
                        .lines()
                        .all(|line| TORN_TAIL.iter().any(|torn| line.contains(torn))),
                    "{what}: the video must decode cleanly up to a torn last fragment: {errors}"
                );
                probed.frame_count()
            }
        } else {
            0
        };
        if frames == 0 {
            // The first frames reach the file as soon as the encoder puts them out: only an encoder's
            // delay (and the two packets that close the first fragments) may pass before.
            assert!(
                logged.len() as u64 <= delay + 3,
                "{what}: {} frames logged, but the video holds none",
                logged.len()
            );
        }
        // Every frame in the file has its entry, but for the last ones whose entries were still on their
        // way to the log when the process died (the log writer hands entries to the OS within
        // MAX_FLUSH_DELAY): `recover` gives those entries at their PTS. Fragments close in decode order, so
        // the file may end before a B-frame whose successor in time it holds: its frames are logged
        // frames, in order.
        let (pts, time_base) = match &probed {
            Some(probed) if frames > 0 => (probed.pts(), probed.time_base()),
            _ => (Vec::new(), (1, 1_000_000)),
        };
        let last_logged = logged.last().map(|&t| us_in_time_base(t, time_base));
        let unlogged = pts.iter().filter(|&&p| last_logged.is_none_or(|l| p > l)).count() as u64;
        let log_lag = (fps * MAX_FLUSH_DELAY.as_secs_f64()).ceil() as u64 + 1;
        assert!(
            unlogged <= log_lag,
            "{what}: {unlogged} frames of the video are past the last logged one (at most {log_lag} may be)"
        );
        assert_pts_are_logged(&pts[..pts.len() - unlogged as usize], time_base, &logged, &what);
        let lost = logged.len() as u64 - (frames - unlogged);
        assert!(
            lost <= bound,
            "{what}: {lost} logged frames are not in the video (at most {bound} may be: {flush_frames} muxed \
             in the last {FLUSH_INTERVAL:?}, and the encoder's delay)"
        );
        in_video.push((id, probed, frames, log_path));
    }

    // Reconciled: each archive holds exactly its video's frames, at their PTS.
    let out = axvs().arg("recover").arg(&session).output().expect("axvs recover");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    for (id, probed, frames, log_path) in in_video {
        let what = format!("camera {id} ({extension}, killed after {entries} entries), recovered");
        let started = log_path.exists() && read_log(&log_path).is_ok_and(|l| !l.entries.is_empty());
        if !started {
            assert_eq!(frames, 0, "{what}: a video with frames but no onset logged");
            if log_path.exists() {
                assert!(said.contains("never logged its onset"), "{what}: {said}");
            }
            continue;
        }
        let archive = npz::read_archive(&session.join(format!("{id}_log.npz"))).expect("npz");
        let archived: Vec<u64> = archive.iter().filter(|e| e.is_frame()).map(|e| e.time_us).collect();
        assert_eq!(archived.len() as u64, frames, "{what}: archive frames vs video frames");
        assert_eq!(
            timestamps::frame_times(&archive).expect("times").len() as u64,
            frames,
            "{what}"
        );
        if let Some(probed) = probed.filter(|_| frames > 0) {
            assert_pts_equal_logged(&probed, &archived, &what);
        }
    }
    // A second recover changes nothing.
    let again = axvs().arg("recover").arg(&session).output().expect("axvs recover");
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already has its archive"));
}

#[test]
fn a_killed_mp4_recording_loses_at_most_its_last_flush_interval_and_the_encoders_delay() {
    // Before the encoder has put out a frame, around the first fragments, and well into the recording.
    for entries in [3, 10, 20, 35, 60, 90, 160] {
        kill_and_check("h264", &kill_rig("h264", "mp4", None), "mp4", entries);
    }
    // With a keyframe every second, as axvs wrote before the GOP was the encoder's: the same bound.
    for entries in [60, 160] {
        kill_and_check("h264", &kill_rig("h264", "mp4", Some(1.0)), "mp4", entries);
    }
}

/// After a crash the raw log may name frames its video never got: `timestamps`, `stats` and `process` refuse
/// it, naming `axvs recover`; once recovered they read the archive, one row per frame of the video.
#[test]
fn readers_refuse_a_killed_runs_log_until_recovered_then_read_what_the_video_holds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "rig.toml", &kill_rig("h264", "mp4", None));
    let session = record_then_kill(dir.path(), &rig, 120);
    let log = session.join("101.axvslog");
    let logged = read_log(&log)
        .expect("log")
        .entries
        .iter()
        .filter(|e| e.is_frame())
        .count() as u64;
    let frames = probe(&session.join("101.mp4")).frame_count();
    assert!(
        logged > frames,
        "the crash lost logged frames ({logged} logged, {frames} in the video)"
    );

    let csv = dir.path().join("t.csv");
    let readers: [Vec<&std::ffi::OsStr>; 3] = [
        vec!["timestamps".as_ref(), log.as_os_str(), "-o".as_ref(), csv.as_os_str()],
        vec!["stats".as_ref(), "--json".as_ref(), session.as_os_str()],
        vec!["process".as_ref(), session.as_os_str()],
    ];
    for args in &readers {
        let out = axvs().args(args).output().expect("run a reader");
        // `process` says why each job failed on standard output, beside its summary.
        let stderr = String::from_utf8_lossy(&out.stderr) + String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{args:?} read an unreconciled log");
        assert!(
            stderr.contains(".axvslog: not read:") && stderr.contains("axvs recover"),
            "{args:?}: {stderr}"
        );
    }
    assert!(!csv.exists());

    let out = axvs().arg("recover").arg(&session).output().expect("axvs recover");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = axvs().args(&readers[0]).output().expect("timestamps");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = std::fs::read_to_string(&csv).expect("csv").lines().count() as u64 - 1;
    assert_eq!(rows, frames, "timestamps: one row per frame of the video");
    let out = axvs().args(&readers[1]).output().expect("stats");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stats JSON");
    let text = stats.to_string();
    assert!(
        text.contains(&format!("\"total_frames\":{frames}")),
        "stats: {frames} frames for camera 101: {text}"
    );
    let out = axvs().args(&readers[2]).output().expect("process");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Beside the sealed session's data/, not in it.
    let feather = session.join("../camera_timestamps/camera_101_timestamps.feather");
    let table = axvs_log::feather::read_timestamps(&feather).expect("feather");
    assert_eq!(
        table.frame_time_us.len() as u64,
        frames,
        "process: one row per frame of the video"
    );
}

/// x265 holds about a second of frames before its first packet: a kill then leaves a valid MP4 without
/// frames (its header is written when the encoder opens), and later no more than x265's delay is lost.
#[test]
fn a_killed_h265_recording_leaves_a_valid_file_from_its_first_moment() {
    for entries in [2, 8, 20, 45] {
        kill_and_check("h265", &kill_rig("h265", "mp4", None), "mp4", entries);
    }
}

/// Every session carries its provenance (`session.json`): the demo rig, as `./dev demo` records it, with
/// metadata from its `[session]` table and the command line; each field checked against its source.
#[test]
fn a_session_carries_its_provenance() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let rig = root.join("rigs/demo.toml");
    // The demo rig sets no min_free_space: the site's default (the environment) is the one recorded.
    let out = axvs()
        .env("AXVS_MIN_FREE_SPACE", "250MB")
        .arg("run")
        .arg(&rig)
        .arg("--output-dir")
        .arg(dir.path())
        .args(["--session", "s", "--duration", "1", "--no-preview"])
        .args(["--meta", "subject=m12", "--meta", "experimenter=A. Lab"])
        .stdin(Stdio::null())
        .output()
        .expect("axvs run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let session = dir.path().join("s/data");
    let p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(session.join("session.json")).expect("session.json"))
            .expect("json");
    let field = |name: &str| p[name].as_str().unwrap_or_else(|| panic!("{name}: {p}")).to_string();
    assert_eq!(field("axvs_version"), env!("CARGO_PKG_VERSION"));
    assert!(
        p["git_revision"].is_null()
            || p["git_revision"]
                .as_str()
                .is_some_and(|r| r.len() == 40 && r.chars().all(|c| c.is_ascii_hexdigit())),
        "{p}"
    );
    // The rig as given, and as resolved.
    assert_eq!(p["rig"]["source"], rig.display().to_string());
    assert_eq!(p["rig"]["text"], std::fs::read_to_string(&rig).expect("rig"));
    let resolved = &p["resolved"];
    assert_eq!(resolved["session_dir"], session.display().to_string());
    assert_eq!(resolved["log_dir"], session.display().to_string());
    assert_eq!(resolved["min_free_space"], "250.0 MB");
    let cameras = resolved["cameras"].as_array().expect("cameras");
    assert_eq!(cameras.len(), 2);
    for (cam, (id, name, format, out)) in cameras.iter().zip([
        (1, "mono_camera", "mono8", "gray"),
        (2, "colour_camera", "bgr8", "yuv420p"),
    ]) {
        assert_eq!(
            (cam["id"].as_u64(), cam["name"].as_str()),
            (Some(id), Some(name)),
            "{cam}"
        );
        assert_eq!(cam["backend"], "synthetic");
        assert_eq!(cam["settings"], format!("synthetic 640x480 30 fps {format}"));
        // Defaults the rig does not name are filled in: the synthetic camera is paced and endless.
        let resolved = cam["settings_resolved"].as_str().expect("resolved");
        assert!(
            resolved.contains("paced: true") && resolved.contains("frame_limit: None"),
            "{resolved}"
        );
        assert_eq!(
            (cam["queue_depth"].as_u64(), cam["overflow"].as_str()),
            (Some(64), Some("drop_newest"))
        );
        let encoder = &cam["encoder"];
        assert_eq!(
            (
                encoder["codec"].as_str(),
                encoder["preset"].as_u64(),
                encoder["qp"].as_u64()
            ),
            (Some("h264"), Some(1), Some(20)),
            "{encoder}"
        );
        assert_eq!(
            (encoder["pixel_format"].as_str(), encoder["timing"].as_str()),
            (Some(out), Some("exact"))
        );
    }
    // The libraries, as FFmpeg's own command line reports the same system libraries.
    let ffmpeg = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .expect("ffmpeg -version");
    let versions = String::from_utf8_lossy(&ffmpeg.stdout).replace(' ', "");
    for lib in ["libavcodec", "libavformat", "libavutil", "libswscale"] {
        let version = p["libraries"][lib].as_str().unwrap_or_else(|| panic!("{lib}: {p}"));
        assert!(
            versions.contains(&format!("{lib}{version}")),
            "{lib} {version}: {versions}"
        );
    }
    // OpenCV's plugin was not loaded: no OpenCV camera (tests/opencv.rs has a session that names it).
    assert!(p["libraries"].get("OpenCV").is_none(), "{p}");
    // Aravis as pkg-config knows the installed library.
    let aravis = Command::new("pkg-config")
        .args(["--modversion", "aravis-0.8"])
        .output()
        .expect("pkg-config");
    assert_eq!(
        p["libraries"]["Aravis"],
        String::from_utf8_lossy(&aravis.stdout).trim(),
        "{p}"
    );
    assert_eq!(p["plugins"], serde_json::json!([]), "the demo loads no plugin");
    // The host.
    let read = |path: &str| std::fs::read_to_string(path).expect(path);
    assert_eq!(p["host"]["name"], read("/proc/sys/kernel/hostname").trim());
    assert_eq!(p["host"]["kernel"], read("/proc/sys/kernel/osrelease").trim());
    assert!(read("/etc/os-release").contains(&field_of(&p["host"], "os")), "{p}");
    assert!(read("/proc/cpuinfo").contains(&field_of(&p["host"], "cpu")), "{p}");
    assert_eq!(
        p["host"]["cores"].as_u64(),
        std::thread::available_parallelism().ok().map(|n| n.get() as u64)
    );
    let clock = &p["clock"];
    assert!(
        clock["synchronised"].is_boolean() && clock["max_error_us"].as_i64() >= Some(0),
        "{clock}"
    );
    // The metadata: the rig's [session] table, then the command line's.
    assert_eq!(
        p["metadata"],
        serde_json::json!({"session_description": "axvs demo: two synthetic cameras", "subject": "m12",
                           "experimenter": "A. Lab"})
    );
    // When, and how it ended.
    let (started, stopped) = (field("started_utc"), field("stopped_utc"));
    assert!(
        started.ends_with('Z') && started.contains('T') && started < stopped,
        "{started} {stopped}"
    );
    assert_eq!(field("exit"), "stopped");
}

/// A quick run without a rig file, as the original's `run -i mock -w 640 -h 480 -f 30`: each `--camera`
/// becomes a camera of the rig kept in session.json; a bad one is refused before anything is written.
#[test]
fn a_quick_run_records_cameras_given_on_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |specs: &[&str], session: &str| {
        let mut command = axvs();
        command.arg("run");
        for spec in specs {
            command.args(["--camera", spec]);
        }
        command
            .arg("-o")
            .arg(dir.path())
            .args(["--session", session, "--duration", "1", "--no-preview"])
            .stdin(Stdio::null())
            .output()
            .expect("axvs run")
    };
    let out = run(&["synthetic:320x240@30", "synthetic:160x120@15"], "s");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let session = dir.path().join("s/data");
    let report = read_report(&session.join("axvs_report.json"));
    for (i, (name, fps)) in [("synthetic_1", 30.0), ("synthetic_2", 15.0)].into_iter().enumerate() {
        let cam = &report["cameras"][i];
        assert_eq!(cam["status"]["name"], name, "{report}");
        assert!(counts_agree(cam) > 5, "{cam}");
        let times = axvs_tests::logged_frame_times(cam);
        let measured = (times.len() - 1) as f64 / ((times[times.len() - 1] - times[0]) as f64 / 1e6);
        assert!((measured / fps - 1.0).abs() < 0.2, "{name}: {measured} fps");
    }
    assert_eq!(probe(&session.join("002.mp4")).size(), "160,120");
    let provenance: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(session.join("session.json")).expect("session.json"))
            .expect("json");
    assert_eq!(
        provenance["rig"]["source"],
        "<--camera synthetic:320x240@30 --camera synthetic:160x120@15>"
    );
    let rig: toml::Table = toml::from_str(provenance["rig"]["text"].as_str().expect("text")).expect("the rig used");
    assert_eq!(rig["camera"][1]["width"].as_integer(), Some(160), "{rig}");
    for (spec, says) in [
        ("synthetic:cam", "takes no camera selector"),
        ("synthetic@0", "must be positive"),
        ("nosuch", "unknown backend \"nosuch\""),
    ] {
        let out = run(&[spec], "bad");
        assert_eq!(out.status.code(), Some(2), "{spec}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{spec}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!dir.path().join("bad").exists(), "{spec}: nothing written");
    }
}

/// `axvs discover --rig` writes a rig of what it found that checks and records: Aravis' Fake camera (with
/// `--fake`), or with nothing found the synthetic camera.
#[test]
fn discover_writes_a_rig_that_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (flags, backend) in [(&["--rig", "--fake"][..], "genicam"), (&["--rig"][..], "synthetic")] {
        let out = axvs().arg("discover").args(flags).output().expect("axvs discover");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let rig: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let cameras = rig["camera"].as_array().expect("cameras");
        // This machine has no webcam or GigE camera: the Fake camera (with --fake), else the synthetic one.
        assert_eq!(cameras.len(), 1, "{text}");
        assert_eq!(cameras[0]["backend"].as_str(), Some(backend), "{text}");
        let path = write_rig(
            dir.path(),
            &format!("{backend}.toml"),
            &format!("output_dir = \"out\"\nmin_free_space = \"0\"\n{text}"),
        );
        let check = axvs().arg("check").arg(&path).output().expect("axvs check");
        assert!(
            check.status.success(),
            "{text}\n{}",
            String::from_utf8_lossy(&check.stderr)
        );
        let (code, stderr, report) = run_rig(dir.path(), &path, backend, &["--duration", "1"]);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(counts_agree(&report.expect("report")["cameras"][0]) > 0, "{backend}");
    }
}

fn field_of(value: &serde_json::Value, name: &str) -> String {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: {value}"))
        .to_string()
}

/// A nominally timed recording (frame k of a run shown at k / fps, its time only in the log) killed while
/// recording is recovered by index: each frame the video holds gets the log's entry of the same index (the
/// synthetic camera's counter, drawn in the frame, is its device frame id, which the device sidecar ties to
/// the frame's place in the log, whatever was dropped before), and frames a torn fragment lost are left out.
#[test]
fn a_killed_nominal_recording_is_recovered_frame_by_index() {
    for (codec, container) in [("h264", "mp4"), ("h265", "mkv")] {
        let dir = tempfile::tempdir().expect("tempdir");
        let rig = kill_rig(codec, container, None).replace("[encoder]\n", "[encoder]\ntiming = \"nominal\"\n");
        let rig = write_rig(dir.path(), "rig.toml", &rig);
        // Killed once camera 101 logged 70 entries and both videos hold frames to check: the encoders' delay
        // grows with the machine's load (H.265 in Matroska had put out one frame at 70 entries).
        let ready = |session: &Path| {
            read_log(&session.join("101.axvslog")).is_ok_and(|l| l.entries.len() >= 70)
                && [101u8, 7].iter().all(|id| {
                    axvs_encode::video_frame_times(&session.join(format!("{id:03}.{container}")))
                        .is_ok_and(|v| v.times_us.len() > 20)
                })
        };
        let session = record_then_kill_when(dir.path(), &rig, "70 entries, 20 frames in each video", ready);
        let out = axvs().arg("recover").arg(&session).output().expect("axvs recover");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        // The provenance of the killed session says how it ended.
        let provenance: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(session.join("session.json")).expect("session.json"))
                .expect("json");
        assert!(provenance["stopped_utc"].is_null(), "{provenance}");
        assert!(
            provenance["exit"]
                .as_str()
                .is_some_and(|e| e.starts_with("ended without stopping")),
            "{provenance}"
        );
        for (id, width, height) in [(101u8, 320, 240), (7, 256, 192)] {
            let what = format!("camera {id} ({codec}, {container})");
            let video = session.join(format!("{id:03}.{container}"));
            let log = read_log(&session.join(format!("{id:03}.axvslog"))).expect("log");
            let logged = timestamps::frame_times(&log.entries).expect("logged");
            let archive = npz::read_archive(&session.join(format!("{id}_log.npz"))).expect("archive");
            let archived = timestamps::frame_times(&archive).expect("archived");
            // Each frame's counter is the camera's frame id; the sidecar says which saved frame (its place
            // in the log) had that id, so drops under load do not matter.
            let sidecar = axvs_log::device::read_sidecar(&session.join(format!("{id:03}.axvsdev"))).expect("sidecar");
            let place: std::collections::HashMap<u64, u64> = sidecar
                .iter()
                .filter_map(|r| Some((r.device_frame_id?, r.frame_index)))
                .collect();
            let counters: Vec<u64> = decode_luma(&video, width, height)
                .iter()
                .map(|luma| u64::from(axvs_core::decode_counter(luma, width, height)))
                .collect();
            assert!(counters.len() > 10, "{what}: {} frames in the video", counters.len());
            assert!(counters.windows(2).all(|w| w[0] < w[1]), "{what}: {counters:?}");
            assert_eq!(
                archived.len(),
                counters.len(),
                "{what}: one entry per frame of the video"
            );
            let mut checked = 0;
            for (k, counter) in counters.iter().enumerate() {
                // The last frames' sidecar records and log entries may not have reached the disk.
                let Some(&index) = place.get(counter) else { continue };
                let Some(&time) = logged.get(index as usize) else {
                    continue;
                };
                assert_eq!(
                    archived[k], time,
                    "{what}: frame {k} of the video is saved frame {index}"
                );
                checked += 1;
            }
            assert!(checked > 10, "{what}: {checked} frames checked");
        }
    }
}

/// A rig starts together: every camera streams first, then saving begins on all at one instant, so their
/// first saved frames are within a frame period of each other (plus the scheduler's slack), as `axvs stats
/// --sync` reports. Four 1080p cameras take about 250 ms to start one after another (their frame pools), which
/// was the spread before.
#[test]
fn a_rigs_cameras_start_saving_within_a_frame_period() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rig = String::from("min_free_space = \"0\"\n[encoder]\npreset = 1\npixel_format = \"gray\"\n");
    for id in 1..=4 {
        rig += &format!(
            "[[camera]]\nid = {id}\nname = \"c{id}\"\nbackend = \"synthetic\"\nwidth = 1920\nheight = 1080\nfps = 30\n\
             pixel_format = \"mono8\"\n"
        );
    }
    let rig = write_rig(dir.path(), "rig.toml", &rig);
    let (code, stderr, _) = run_rig(dir.path(), &rig, "s", &["--duration", "1"]);
    assert_eq!(code, Some(0), "{stderr}");
    let out = axvs()
        .args(["stats", "--sync", "--json"])
        .arg(dir.path().join("s"))
        .output()
        .expect("axvs stats");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let report = &stats["sync"][0]["report"];
    let spread = report["start_spread_us"].as_u64().expect("spread");
    let period_us = 1e6 / 30.0;
    assert!(
        (spread as f64) < period_us + 10_000.0,
        "first saved frames {spread} µs apart: {report}"
    );
}

#[test]
fn a_killed_mov_recording_loses_at_most_its_last_flush_interval_and_the_encoders_delay() {
    // Just after the first camera's onset, while the second may not have logged its own: no log, or one
    // without entries, and no frame in its video.
    for entries in [1, 3, 60] {
        kill_and_check("ffv1", &kill_rig("ffv1", "mov", None), "mov", entries);
    }
}

/// An unpaced camera delivers frames less than a millisecond apart. MP4 and QuickTime keep every logged
/// time exactly (µs); Matroska keeps each rounded to the millisecond (FFmpeg's Matroska muxer has no finer
/// scale), so neighbours may share one: still one frame per entry, in order.
#[test]
fn a_fast_cameras_times_are_exact_in_mp4_and_mov_and_rounded_to_the_ms_in_mkv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rig = String::from("queue_depth = 256\noverflow = \"block\"\n");
    for (id, codec, container) in [(1, "h264", "mp4"), (2, "ffv1", "mov"), (3, "ffv1", "mkv")] {
        rig += &format!(
            "[[camera]]\nid = {id}\nname = \"{container}\"\nbackend = \"synthetic\"\nwidth = 64\nheight = 32\n\
             pixel_format = \"mono8\"\npaced = false\nframes = 3000\n[camera.encoder]\ncodec = \"{codec}\"\n\
             container = \"{container}\"\npixel_format = \"gray\"\npreset = 1\n"
        );
    }
    let rig = write_rig(dir.path(), "fast.toml", &rig);
    let (code, stderr, report) = run_rig(dir.path(), &rig, "fast", &["--duration", "60"]);
    assert_eq!(code, Some(0), "{stderr}");
    let report = report.expect("report");
    for cam in report["cameras"].as_array().expect("cameras") {
        let id = cam["status"]["id"].as_u64().expect("id");
        let video = Path::new(cam["video"].as_str().expect("video"));
        let log = read_log(Path::new(cam["log"].as_str().expect("log"))).expect("log");
        let logged: Vec<u64> = log.entries.iter().filter(|e| e.is_frame()).map(|e| e.time_us).collect();
        assert_eq!(logged.len(), 3000, "camera {id}: every frame saved");
        let sub_ms = logged.windows(2).filter(|w| w[1] - w[0] < 1000).count();
        assert!(
            sub_ms > 100,
            "camera {id}: the test needs frames less than a ms apart ({sub_ms})"
        );
        if id == 3 {
            let pts = probe(video).pts();
            let expected: Vec<i64> = logged.iter().map(|&t| us_in_time_base(t, (1, 1000))).collect();
            assert_eq!(
                pts, expected,
                "camera {id}: Matroska PTS are the logged times rounded to the ms"
            );
            assert!(pts.windows(2).all(|w| w[0] <= w[1]), "camera {id}: in order");
        } else {
            // Exact, distinct and increasing: the shared invariant check.
            counts_agree(cam);
        }
    }
}

#[test]
fn a_killed_mkv_recording_loses_at_most_its_last_flush_interval_and_the_encoders_delay() {
    for entries in [3, 20, 60, 90, 160] {
        kill_and_check("h264", &kill_rig("h264", "mkv", None), "mkv", entries);
    }
    kill_and_check("ffv1", &kill_rig("ffv1", "mkv", None), "mkv", 60);
}

#[test]
fn keys_from_a_pipe_and_ctrl_c_stop_cleanly() {
    use std::io::Write;

    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "rig.toml", RIG);
    // Saving off at start; `w` turns it on, `q` quits.
    let (mut command, _report) = rig_command(dir.path(), &rig, "keys", &["--no-save"]);
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start axvs");
    let log = dir.path().join("keys/data/101.axvslog");
    let onset_utc_us = || {
        read_log(&log)
            .ok()
            .and_then(|l| l.entries.first().and_then(|e| e.onset_utc_us()))
    };
    wait_until("the onset entry", Duration::from_secs(30), || onset_utc_us().is_some());
    // Half a second of acquisition (25 frames at 50 fps) with saving off, then 'w'.
    let onset = onset_utc_us().expect("onset");
    let now_utc_us = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_micros() as u64
    };
    wait_until("0.5 s of acquisition", Duration::from_secs(30), || {
        now_utc_us() >= onset + 500_000
    });
    let mut stdin = child.stdin.take().expect("stdin");
    let w_sent = now_utc_us();
    writeln!(stdin, "w").expect("send w");
    wait_until("saved frames after 'w'", Duration::from_secs(30), || {
        read_log(&log).map(|l| l.entries.len() > 20).unwrap_or(false)
    });
    // A key that stands for nothing is said through the status display (one warning line), and changes
    // nothing.
    writeln!(stdin, "zz").expect("send zz");
    writeln!(stdin, "q").expect("send q");
    let out = child.wait_with_output().expect("axvs run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stderr
            .matches("axvs: warning: unknown key 'zz' (keys: w = start saving")
            .count(),
        1,
        "{stderr}"
    );
    assert!(
        dir.path().join("keys/data/101_log.npz").exists(),
        "'q' finishes the run: archives exported"
    );
    // Nothing was saved before 'w': every frame each camera acquired before it counts as not saved, and
    // each camera's first saved frame was acquired after 'w' was sent (its own onset + its logged time;
    // 20 ms allowed between the two clocks that stamp them).
    let report = read_report(&dir.path().join("keys.json"));
    for cam in report["cameras"].as_array().expect("cameras") {
        let saved = counts_agree(cam);
        let status = &cam["status"];
        assert!(saved > 0, "{status}");
        let log = read_log(Path::new(cam["log"].as_str().expect("log"))).expect("log");
        let onset = log.entries[0].onset_utc_us().expect("onset first");
        let first = onset
            + log
                .entries
                .iter()
                .find(|e| e.is_frame())
                .expect("a saved frame")
                .time_us;
        assert!(
            first + 20_000 >= w_sent && first <= w_sent + 1_000_000,
            "the first saved frame was acquired {} ms after 'w': {status}",
            (first as i64 - w_sent as i64) / 1000
        );
        let period_us = if status["id"] == 101 { 20_000 } else { 25_000 };
        let before_w = w_sent.saturating_sub(onset) / period_us;
        let off = status["dropped"]["saving_off"].as_u64().expect("saving_off");
        assert!(
            off + 2 >= before_w,
            "{before_w} frames were acquired before 'w', {off} counted as not saved: {status}"
        );
    }

    // SIGINT (Ctrl-C): the same clean stop.
    let (mut command, _report) = rig_command(dir.path(), &rig, "int", &[]);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start axvs");
    let log = dir.path().join("int/data/101.axvslog");
    wait_until("saved frames", Duration::from_secs(30), || {
        read_log(&log).map(|l| l.entries.len() > 20).unwrap_or(false)
    });
    assert!(axvs_tests::send_signal(child.id(), "INT"));
    let status = child.wait().expect("axvs run");
    assert!(status.success(), "Ctrl-C must stop cleanly: {status}");
    let archive = dir.path().join("int/data/101_log.npz");
    let frames = probe(&dir.path().join("int/data/101.mp4")).frame_count();
    let logged = timestamps::frame_times(&npz::read_archive(&archive).expect("archive")).expect("times");
    assert_eq!(
        logged.len() as u64,
        frames,
        "after Ctrl-C every saved frame is in the file and the archive"
    );
}

/// A standard error nobody reads (a pipe whose reader never reads, as `subprocess.Popen(stderr=PIPE)`
/// without reading) never holds the run up: `--duration` ends it on time with every frame saved, and
/// SIGTERM stops it within a second or two, files finished.
#[test]
fn an_unread_standard_error_never_holds_up_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "rig.toml", RIG);
    for (session, duration) in [("timed", Some("3")), ("term", None)] {
        let (reader, writer) = std::io::pipe().expect("pipe");
        let report = dir.path().join(format!("{session}.json"));
        let mut command = axvs();
        command
            .args(["run", "--session", session, "--status-interval", "0.01", "-o"])
            .arg(dir.path())
            .arg("--report")
            .arg(&report)
            .args(duration.map(|d| ["--duration", d]).iter().flatten())
            .arg(&rig);
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(writer)
            .spawn()
            .expect("start axvs");
        if duration.is_none() {
            let log = dir.path().join(session).join("data/101.axvslog");
            // Status lines every 10 ms fill a 64 KiB pipe within seconds: wait well past that.
            wait_until("4 s of frames", Duration::from_secs(60), || {
                read_log(&log).map(|l| l.entries.len() > 200).unwrap_or(false)
            });
            assert!(axvs_tests::send_signal(child.id(), "TERM"));
        }
        let signalled = std::time::Instant::now();
        let mut waited = None;
        wait_until("axvs to exit", Duration::from_secs(30), || {
            waited = child.try_wait().expect("try_wait");
            waited.is_some()
        });
        let took = signalled.elapsed();
        drop(reader);
        let status = waited.expect("exited");
        assert!(status.success(), "{session}: {status}");
        if duration.is_some() {
            // 3 s, the start, and up to 2 s waiting for a reader that takes nothing.
            assert!(took < Duration::from_secs(9), "{session}: {took:?}");
        } else {
            assert!(took < Duration::from_secs(3), "{session}: SIGTERM acted after {took:?}");
        }
        let report = read_report(&report);
        for cam in report["cameras"].as_array().expect("cameras") {
            let saved = counts_agree(cam);
            let fps = if cam["status"]["id"] == 101 { 50 } else { 40 };
            // The whole duration recorded (4 s before SIGTERM), nothing lost while stderr was full.
            assert!(saved >= 3 * fps * 8 / 10, "{session}: {cam}");
            assert_eq!(cam["status"]["dropped"]["queue_full"], 0, "{session}: {cam}");
        }
    }
}

/// A run whose saving was never on leaves no empty video, log or archive: the session holds its report and
/// manifest, and the report counts every frame acquired as not saved.
#[test]
fn a_run_that_never_saved_leaves_no_empty_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "rig.toml", RIG);
    let (code, stderr, report) = run_rig(dir.path(), &rig, "idle", &["--duration", "1", "--no-save"]);
    assert_eq!(code, Some(0), "{stderr}");
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("idle/data"))
        .expect("session")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["axvs_report.json", "camera_manifest.yaml", "session.json"]);
    let report = report.expect("report");
    for cam in report["cameras"].as_array().expect("cameras") {
        assert_eq!(counts_agree(cam), 0, "{cam}");
        let status = &cam["status"];
        assert!(status["acquired"].as_u64() > Some(10), "{status}");
        assert_eq!(status["dropped"]["saving_off"], status["acquired"], "{status}");
        for key in ["video", "log", "archive"] {
            assert!(cam[key].is_null(), "{key}: {cam}");
        }
    }
}

#[test]
fn reads_archives_written_by_numpy_like_the_original() {
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("101_log.npz");
    // What ataraxis' assemble_log_archives writes: numpy.savez, one uint8 array per entry, keys by time.
    let script = r#"
import sys, numpy as np
onset = 1_700_000_000_000_000
entries = {f"101_{0:020d}": np.frombuffer(bytes([101]) + (0).to_bytes(8, "little") + onset.to_bytes(8, "little"), np.uint8)}
for t in (1000, 34333, 67666):
    entries[f"101_{t:020d}"] = np.frombuffer(bytes([101]) + t.to_bytes(8, "little"), np.uint8)
entries[f"101_{50000:020d}"] = np.frombuffer(bytes([101]) + (50000).to_bytes(8, "little") + b"data", np.uint8)
np.savez(sys.argv[1], **dict(sorted(entries.items())))
"#;
    python_numpy(script, &[&archive]);
    let csv = dir.path().join("t.csv");
    let out = axvs()
        .arg("timestamps")
        .arg(&archive)
        .arg("-o")
        .arg(&csv)
        .output()
        .expect("axvs timestamps");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&csv).expect("csv");
    assert_eq!(
        text, "frame_time_us\n1700000000001000\n1700000000034333\n1700000000067666\n",
        "frames only (the data entry is skipped), absolute, in order"
    );
}

/// The `.npy` files axvs writes are the bytes numpy itself writes for the same arrays: the `uint64` times
/// of `axvs timestamps` and the `uint8` entry arrays inside `.npz` archives (header, padding, data).
#[test]
fn npy_files_are_what_numpy_writes_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let times = [0u64, 1, 1_700_000_000_033_333, u64::MAX];
    let ours = dir.path().join("ours.npy");
    timestamps::write_npy(&times, &ours).expect("write npy");
    let numpy_times = dir.path().join("numpy_times.npy");
    let numpy_entry = dir.path().join("numpy_entry.npy");
    python_numpy(
        "import sys, numpy as np\n\
         np.save(sys.argv[1], np.array([0, 1, 1_700_000_000_033_333, 2**64 - 1], dtype=np.uint64))\n\
         np.save(sys.argv[2], np.frombuffer(bytes(range(9)), dtype=np.uint8))",
        &[&numpy_times, &numpy_entry],
    );
    assert_eq!(
        std::fs::read(&ours).expect("ours"),
        std::fs::read(&numpy_times).expect("numpy's"),
        "uint64 .npy"
    );
    let mut entry = axvs_log::npy::header("|u1", 9);
    entry.extend(0u8..9);
    assert_eq!(entry, std::fs::read(&numpy_entry).expect("numpy's"), "uint8 .npy");
}

/// `segment = "1s"`: the video continues in a new file every second, each starting with a keyframe, with one
/// continuous log; the report lists the files, `axvs timestamps` gives each file's frames, and a kill in a
/// later file is recovered over all of them.
#[test]
fn segments_split_the_video_and_keep_one_continuous_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(
        dir.path(),
        "seg.toml",
        "[encoder]\npreset = 1\nsegment = \"1s\"\n[[camera]]\nid = 4\nname = \"seg\"\nbackend = \"synthetic\"\n\
         width = 160\nheight = 120\nfps = 30\n",
    );
    let (code, stderr, report) = run_rig(dir.path(), &rig, "seg", &["--duration", "3.5"]);
    assert_eq!(code, Some(0), "{stderr}");
    let report = report.expect("report");
    let cam = &report["cameras"][0];
    let saved = counts_agree(cam);
    let files = axvs_tests::video_files(cam);
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    assert!(names.len() >= 3, "{names:?}");
    assert_eq!(names[..3], ["004.mp4", "004_002.mp4", "004_003.mp4"], "named in order");
    let per_file: Vec<u64> = files.iter().map(|f| probe(f).frame_count()).collect();
    for (file, frames) in files.iter().zip(&per_file).take(files.len() - 1) {
        assert!(
            (27..=33).contains(frames),
            "{}: {frames} frames in about 1 s",
            file.display()
        );
    }

    // One output per file, each holding that file's frames at their absolute times.
    let session = dir.path().join("seg/data");
    let out = axvs()
        .arg("timestamps")
        .arg(session.join("004.axvslog"))
        .output()
        .expect("timestamps");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let log = read_log(&session.join("004.axvslog")).expect("log");
    let times = timestamps::frame_times(&log.entries).expect("times");
    assert_eq!(times.len() as u64, saved);
    let mut next = 0;
    for (k, frames) in per_file.iter().enumerate() {
        let name = match k {
            0 => "004_timestamps.csv".to_string(),
            k => format!("004_{:03}_timestamps.csv", k + 1),
        };
        // Beside the sealed session's data/, not in it.
        let csv = std::fs::read_to_string(dir.path().join("seg").join(&name)).expect(&name);
        let values: Vec<u64> = csv.lines().skip(1).map(|l| l.parse().expect("time")).collect();
        assert_eq!(values, times[next..next + *frames as usize], "{name}");
        next += *frames as usize;
    }

    // `export` writes the one archive of the original's format and names each file's frames.
    let out = axvs()
        .arg("export")
        .arg(session.join("004.axvslog"))
        .arg("--out-dir")
        .arg(dir.path().join("exported"))
        .output()
        .expect("export");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = String::from_utf8_lossy(&out.stdout);
    let second_first = per_file[0];
    let second_last = per_file[0] + per_file[1] - 1;
    assert!(
        listed.contains(&format!("004_002.mp4: frames {second_first} to {second_last}")),
        "{listed}"
    );

    // Killed while writing a later file: recover matches the log with all the files.
    let (mut command, _) = rig_command(dir.path(), &rig, "killed", &["--duration", "60"]);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start axvs");
    let killed = dir.path().join("killed/data");
    wait_until("a third file", Duration::from_secs(30), || {
        killed.join("004_003.mp4").exists()
    });
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    let out = axvs().arg("recover").arg(&killed).output().expect("recover");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let files = axvs_encode::segment_files(&killed.join("004.mp4"));
    let in_files: u64 = files
        .iter()
        .map(|f| axvs_encode::video_frame_times(f).expect("times").times_us.len() as u64)
        .sum();
    let archive = npz::read_archive(&killed.join("4_log.npz")).expect("archive");
    assert_eq!(archive.iter().filter(|e| e.is_frame()).count() as u64, in_files);
}

/// A kill inside the write of the last fragment (cluster) tears it, which the kill tests meet only when the
/// kill lands there: made here on purpose, by cutting a killed recording's video inside its last fragment's
/// last whole frame (FFV1 in QuickTime inside its last keyframe, whose fragment it starts). Readers say only what
/// [`TORN_TAIL`] lists, every frame whose packet lies before the tear reads as it did, and `axvs recover`
/// writes an archive of exactly the frames a reader gets, at their PTS.
#[test]
fn a_torn_last_fragment_costs_only_its_own_frames() {
    for (codec, container, in_keyframe) in [("h264", "mp4", false), ("ffv1", "mov", true), ("ffv1", "mkv", false)] {
        let what = format!("{codec} in {container}");
        let dir = tempfile::tempdir().expect("tempdir");
        let rig = write_rig(dir.path(), "rig.toml", &kill_rig(codec, container, None));
        let session = record_then_kill(dir.path(), &rig, 60);
        let video = session.join(format!("101.{container}"));
        let whole_copy = dir.path().join(format!("whole.{container}"));
        std::fs::copy(&video, &whole_copy).expect("copy");
        let whole = decode_luma(&whole_copy, 320, 240);
        let whole_packets = probe(&whole_copy).packet_ends();
        assert_eq!(
            whole_packets.len(),
            whole.len(),
            "{what}: ffprobe and ffmpeg decode alike"
        );
        let size = std::fs::metadata(&video).expect("video").len();
        let cut = if in_keyframe {
            let (pos, len) = *ffprobe_keyframe_packets(&whole_copy).last().expect("a keyframe");
            pos + len / 2
        } else {
            // Inside the last frame the file holds whole: the kill may have torn the block after it already
            // (seen: FFV1 in Matroska, 17.8 kB of a frame after the last whole one, which 300 bytes off the
            // end left as it was).
            let last_end = whole_packets.iter().map(|&(_, end)| end).max().expect("frames");
            last_end.min(size) - 300
        };
        let file = std::fs::OpenOptions::new().write(true).open(&video).expect("open");
        file.set_len(cut).expect("tear the last fragment");
        drop(file);
        let probed = probe(&video);
        let errors = probed.decode_errors();
        assert!(
            errors
                .lines()
                .all(|line| TORN_TAIL.iter().any(|torn| line.contains(torn))),
            "{what}: a reader said what a torn last fragment does not explain: {errors:?}"
        );
        let torn = decode_luma(&video, 320, 240);
        let torn_packets = probed.packet_ends();
        assert_eq!(
            torn_packets.len(),
            torn.len(),
            "{what}: ffprobe and ffmpeg decode alike"
        );
        // A frame whose packet lies before the cut, and so every frame it refers to (earlier in decoding
        // order, so earlier in the file), reads as it did. With B-frames the frames after the cut are not
        // only the last ones shown: a B-frame after the cut shows before a P-frame before it.
        // Where a frame's packet ends is read in the whole file: a torn file's last packet is what the
        // demuxer salvaged of it, not where it ended.
        let before: std::collections::HashMap<i64, (u64, &Vec<u8>)> = whole_packets
            .iter()
            .zip(&whole)
            .map(|(&(pts, end), picture)| (pts, (end, picture)))
            .collect();
        let whole_before_cut = whole_packets.iter().filter(|(_, end)| *end <= cut).count();
        let mut kept = 0;
        for ((pts, _), picture) in torn_packets.iter().zip(&torn) {
            let Some(&(end, whole_picture)) = before.get(pts) else {
                panic!("{what}: a frame at {pts} that the whole file did not have");
            };
            if end <= cut {
                assert!(
                    whole_picture == picture,
                    "{what}: the frame at {pts}, before the cut, changed (cut at {cut}, the frame's packet ends at {end})"
                );
                kept += 1;
            }
        }
        assert!(
            kept == whole_before_cut && kept > 0,
            "{what}: {kept} of the {whole_before_cut} frames before the cut read after the tear ({} frames of {})",
            torn.len(),
            whole.len()
        );
        assert!(
            torn.len() < whole.len() || torn != whole,
            "{what}: the cut tore no frame (cut at {cut} of {size} bytes, {whole_before_cut} of {} frames before it)",
            whole.len()
        );
        let out = axvs().arg("recover").arg(&session).output().expect("axvs recover");
        assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
        let archive = npz::read_archive(&session.join("101_log.npz")).expect("npz");
        let archived: Vec<u64> = archive.iter().filter(|e| e.is_frame()).map(|e| e.time_us).collect();
        assert_eq!(
            (archived.len() as u64, archived.len()),
            (probed.frame_count(), torn.len()),
            "{what}: archive frames vs the frames ffprobe counts and ffmpeg decodes"
        );
        assert_pts_are_logged(&probed.pts(), probed.time_base(), &archived, &what);
    }
}
