//! `axvs process` and `axvs stats` against independent readers: pyarrow reads the `.feather` outputs,
//! Python's xxhash computes the job ids, PyYAML reads the trackers, numpy reads the archives, and the
//! original package (ataraxis-video-system 5.2, from PyPI) computes the same statistics.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use axvs_core::{FrameMeta, LogSink, PixelFormat};
use axvs_log::{npz, FileLogSink};
use axvs_tests::{axvs, original_python, python, run_rig, wait_until, write_rig, ChildGuard};
use serde_json::Value;

const ONSET: u64 = 1_700_000_000_000_000;

/// Frame `i`'s time (µs since the onset) in camera `id` of recording `r`: 60 fps with a little jitter.
fn frame_time(r: usize, id: u8, i: u64) -> u64 {
    i * 16_667 + (r as u64 * 7 + u64::from(id) * 13 + i * 31) % 100 + 1
}

/// How a test recording keeps its logs.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Only `.npz` archives, as the original leaves them.
    Archives,
    /// Only raw logs, with device metadata for every frame.
    Logs,
}

/// Writes recording `r` (4 cameras, `frames` frames each, a data entry among them) into `dir`.
fn write_recording(dir: &Path, r: usize, frames: u64, kind: Kind) {
    let sink = FileLogSink::create(dir).expect("sink");
    for id in 1..=4u8 {
        sink.log(id, 0, &(ONSET + r as u64 * 1_000_000_000).to_le_bytes())
            .expect("onset");
        for i in 0..frames {
            if i == frames / 2 {
                sink.log(id, frame_time(r, id, i) - 1, b"data").expect("data");
            }
            let meta = FrameMeta {
                sequence: i,
                device_frame_id: Some(1000 + i),
                device_timestamp_ns: (i % 2 == 0).then_some(i * 16_666_667),
                time_us: frame_time(r, id, i),
                width: 8,
                height: 8,
                pixel_format: PixelFormat::Mono8,
            };
            match kind {
                Kind::Logs => sink.log_frame(id, &meta).expect("frame"),
                Kind::Archives => sink.log(id, meta.time_us, &[]).expect("frame"),
            }
        }
    }
    let logs = sink.close().expect("close");
    for (log, id) in logs.iter().zip(1u8..) {
        axvs_log::manifest::register(dir, id, &format!("cam{id}")).expect("manifest");
        if kind == Kind::Archives {
            npz::export_log(log, dir).expect("archive");
            std::fs::remove_file(log).expect("keep only the archive");
        }
    }
    if kind == Kind::Logs {
        // Raw logs are read once their run finished cleanly (`axvs_log::truth`): the report a run leaves.
        let cameras: Vec<String> = (1..=4)
            .map(|id| format!(r#"{{"status":{{"id":{id},"unlogged":0}},"errors":[]}}"#))
            .collect();
        std::fs::write(
            dir.join("axvs_report.json"),
            format!(r#"{{"cameras":[{}]}}"#, cameras.join(",")),
        )
        .expect("report");
    }
}

/// Reads every output under `out` with pyarrow, every tracker with PyYAML, and the job ids with xxhash.
const READ_OUTPUTS: &str = r#"
import json, sys, glob, os
import pyarrow.feather as feather
import xxhash, yaml
out = sys.argv[1]
files = {}
for path in sorted(glob.glob(os.path.join(out, "**", "*.feather"), recursive=True)):
    table = feather.read_table(path)
    times = table.column("frame_time_us").to_pylist()
    files[os.path.relpath(path, out)] = {
        "schema": [(f.name, str(f.type)) for f in table.schema],
        "rows": table.num_rows,
        "first": times[0] if times else None,
        "last": times[-1] if times else None,
        "increasing": all(b > a for a, b in zip(times, times[1:])),
        "device_ids": table.column("device_frame_id").to_pylist() if "device_frame_id" in table.column_names else None,
        "device_ts_nulls": table.column("device_timestamp_ns").null_count if "device_timestamp_ns" in table.column_names else None,
    }
trackers = {}
for path in sorted(glob.glob(os.path.join(out, "**", "camera_processing_tracker.yaml"), recursive=True)):
    with open(path) as f:
        trackers[os.path.relpath(path, out)] = yaml.safe_load(f)["jobs"]
ids = {str(i): xxhash.xxh64(f"camera_timestamp_extraction:{i}".encode()).hexdigest() for i in range(1, 5)}
print(json.dumps({"files": files, "trackers": trackers, "ids": ids}))
"#;

fn read_outputs(out: &Path) -> Value {
    let printed = python(READ_OUTPUTS, &[out], "pyarrow");
    serde_json::from_str(printed.lines().last().unwrap_or_default()).expect("outputs as JSON")
}

fn process(args: &[&str]) -> (Option<i32>, String) {
    let out = axvs()
        .arg("process")
        .args(args)
        .arg("--no-progress")
        .output()
        .expect("run axvs process");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// Every `.feather` under `dir` with its inode (a rewrite renames a new file into place: a new inode).
fn inodes(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            all.extend(inodes(&path));
        } else if path.extension().is_some_and(|e| e == "feather") {
            all.push((path.clone(), std::fs::metadata(&path).expect("meta").ino()));
        }
    }
    all.sort();
    all
}

/// 20 recordings of 4 cameras, half as archives and half as logs, one archive corrupt: every good job
/// succeeds with exactly its frames, the bad one is FAILED with its reason; a rerun redoes nothing that
/// succeeded; --force redoes everything; --source and --job-id select.
#[test]
fn a_batch_of_20_recordings_with_one_corrupt_archive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("sessions");
    let frames = 300;
    for r in 0..20 {
        let kind = if r % 2 == 0 { Kind::Archives } else { Kind::Logs };
        write_recording(&root.join(format!("day{}/rec{r:02}", r / 10)), r, frames, kind);
    }
    let corrupt = root.join("day0/rec04/3_log.npz");
    let bytes = std::fs::read(&corrupt).expect("archive");
    std::fs::write(&corrupt, &bytes[..bytes.len() / 2]).expect("cut the archive");
    let out = dir.path().join("out");
    let root_s = root.to_str().expect("utf-8");
    let out_s = out.to_str().expect("utf-8");

    let (code, text) = process(&[root_s, "-o", out_s, "--jobs", "2"]);
    assert_eq!(code, Some(1), "a failed job fails the command: {text}");
    assert!(
        text.contains("80 jobs in 20 recordings: 79 succeeded, 1 failed"),
        "{text}"
    );
    assert!(
        text.contains("FAILED") && text.contains("3_log.npz") && text.contains("not a readable .npz archive"),
        "the failure names the file and the reason: {text}"
    );

    let outputs = read_outputs(&out);
    let files = outputs["files"].as_object().expect("files");
    assert_eq!(files.len(), 79, "every good job wrote its file, the bad one none");
    for r in 0..20 {
        for id in 1..=4u8 {
            let key = format!(
                "day{}/rec{r:02}/camera_timestamps/camera_{id}_timestamps.feather",
                r / 10
            );
            if r == 4 && id == 3 {
                assert!(files.get(&key).is_none());
                continue;
            }
            let f = &files[&key];
            let onset = ONSET + r as u64 * 1_000_000_000;
            assert_eq!(f["rows"], frames, "{key}: one row per frame, the data entry skipped");
            assert_eq!(f["first"], onset + frame_time(r, id, 0), "{key}");
            assert_eq!(f["last"], onset + frame_time(r, id, frames - 1), "{key}");
            assert_eq!(f["increasing"], true, "{key}");
            assert_eq!(
                f["schema"],
                serde_json::json!([
                    ["frame_time_us", "uint64"],
                    ["device_frame_id", "uint64"],
                    ["device_timestamp_ns", "uint64"],
                    ["mapped_time_us", "uint64"]
                ]),
                "{key}"
            );
            let ids = f["device_ids"].as_array().expect("ids");
            if r % 2 == 1 {
                let expected: Vec<Value> = (0..frames).map(|i| Value::from(1000 + i)).collect();
                assert_eq!(ids, &expected, "{key}: device ids from the sidecar");
                assert_eq!(f["device_ts_nulls"], frames / 2, "{key}: odd frames had no device time");
            } else {
                assert!(
                    ids.iter().all(Value::is_null),
                    "{key}: archives alone carry no device metadata"
                );
            }
        }
    }
    let ids = &outputs["ids"];
    for (path, jobs) in outputs["trackers"].as_object().expect("trackers") {
        let jobs = jobs.as_object().expect("jobs");
        assert_eq!(jobs.len(), 4, "{path}: one job per camera");
        for id in 1..=4 {
            let job = &jobs[ids[id.to_string()].as_str().expect("id")];
            assert_eq!(job["job_name"], "camera_timestamp_extraction", "{path}");
            assert_eq!(job["specifier"], id.to_string(), "{path}");
            let failed = path.starts_with("day0/rec04/") && id == 3;
            assert_eq!(job["status"], if failed { 3 } else { 2 }, "{path} camera {id}");
            assert!(job["started_at"].as_u64().is_some() && job["completed_at"].as_u64().is_some());
            if failed {
                let reason = job["error_message"].as_str().expect("reason");
                assert!(reason.contains("not a readable .npz archive"), "{reason}");
            }
        }
    }

    // A rerun skips the 79 done (their files untouched) and retries the failed one.
    let before = inodes(&out);
    let (code, text) = process(&[root_s, "-o", out_s]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("79 succeeded (79 done before, skipped"), "{text}");
    assert_eq!(inodes(&out), before, "nothing that succeeded was rewritten");

    // --force redoes all of them.
    let (code, text) = process(&[root_s, "-o", out_s, "--force"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("79 succeeded, 1 failed"), "{text}");
    let after = inodes(&out);
    assert_eq!(after.len(), before.len());
    assert!(
        after.iter().zip(&before).all(|(a, b)| a.0 == b.0 && a.1 != b.1),
        "every file rewritten"
    );

    // Selections: one source in every recording, or one job id.
    let (code, text) = process(&[root_s, "-o", out_s, "--force", "--source", "2"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("20 jobs in 20 recordings: 20 succeeded"), "{text}");
    let job4 = ids["4"].as_str().expect("id");
    let (code, text) = process(&[root_s, "-o", out_s, "--job-id", job4]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("20 jobs in 20 recordings: 20 succeeded (20 done before"),
        "{text}"
    );
    let (code, text) = process(&[root_s, "-o", out_s, "--job-id", "0123456789abcdef"]);
    assert_eq!(code, Some(2), "an unknown job is bad input: {text}");
    assert!(
        text.contains("job id 0123456789abcdef") && text.contains(job4),
        "{text}"
    );
    let (code, text) = process(&[dir.path().join("missing").to_str().expect("utf-8")]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("missing"), "{text}");
}

/// Feather files as the original writes them (one uint64 column) for the statistics cases: gaps of 1 and 2
/// frames, a late frame, a gap at the end, 0, 1 and 2 frames, equal times, noise with gaps, more gaps than
/// are listed, times that go back, and a jittered rate whose duration and rate round.
const DROP_CASES: &str = r#"
import json, sys, os, random
import pyarrow as pa, pyarrow.feather as feather

base = 1_700_000_000_000_000
steady = [base + i * 10_000 for i in range(100)]
def drop(times, *idx):
    return [t for i, t in enumerate(times) if i not in idx]
late = list(steady); late[50] += 6_000
random.seed(7)
noisy = [base + i * 33_333 + random.randint(-3000, 3000) for i in range(2000)]
noisy = drop(noisy, 100, 101, 102, 500, 1500, 1501)
many = [base + i * 10_000 for i in range(300) if i % 5 != 3]
back = [base, base + 10_000, base + 5_000, base + 30_000, base + 40_000]
jitter = [base + i * 16_667 + random.randint(0, 900) for i in range(777)]
cases = {
    "steady": steady, "one": drop(steady, 30), "two": drop(steady, 30, 31), "late": late,
    "end": drop(steady, 98), "empty": [], "single": [base], "pair": [base, base + 10_000],
    "equal": [base, base, base, base + 4], "noisy": noisy, "many": many, "back": back, "jitter": jitter,
}
for name, times in cases.items():
    path = os.path.join(sys.argv[1], name + ".feather")
    feather.write_feather(pa.table({"frame_time_us": pa.array(times, type=pa.uint64())}), path, compression="uncompressed")
print(json.dumps(list(cases)))
"#;

/// The original's own statistics (`analyze_camera_frame_statistics_tool`, ataraxis-video-system 5.2) of the
/// files after the threshold.
const ORIGINAL_STATS: &str = r#"
import json, sys
from ataraxis_video_system.interfaces.processing_tools import analyze_camera_frame_statistics_tool as analyze
print(json.dumps(analyze(sys.argv[2:], drop_threshold_us=int(sys.argv[1]))))
"#;

/// `axvs stats` on inputs it cannot read: exit 1, one line naming the first input once.
#[test]
fn stats_names_an_unreadable_input_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = dir.path().join("garbage.bin");
    std::fs::write(&garbage, b"no log").expect("write");
    for (input, reason) in [(dir.path(), "no recording"), (garbage.as_path(), "not a log")] {
        let out = axvs().arg("stats").arg(input).output().expect("run axvs stats");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        let named = format!("the first: {}: {reason}", input.display());
        assert!(err.contains(&named), "{err}");
    }
}

fn stats_json(args: &[&str]) -> Value {
    let out = axvs()
        .arg("stats")
        .args(args)
        .arg("--json")
        .output()
        .expect("run axvs stats");
    assert!(
        out.status.success(),
        "axvs stats failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stats JSON")
}

/// Every field the original gives is in axvs' entry with the same value and the same JSON kind (an integer
/// stays an integer); axvs may add fields (ids, names, the run's counters).
fn assert_holds_the_originals(axvs: &Value, original: &Value, at: &str) {
    match (axvs, original) {
        (Value::Object(a), Value::Object(o)) => {
            for (key, want) in o {
                let got = a
                    .get(key)
                    .unwrap_or_else(|| panic!("{at}.{key}: missing in axvs' {axvs}"));
                assert_holds_the_originals(got, want, &format!("{at}.{key}"));
            }
        }
        (Value::Array(a), Value::Array(o)) => {
            assert_eq!(a.len(), o.len(), "{at}: {axvs} vs the original's {original}");
            for (i, (got, want)) in a.iter().zip(o).enumerate() {
                assert_holds_the_originals(got, want, &format!("{at}[{i}]"));
            }
        }
        (Value::Number(a), Value::Number(o)) => assert!(
            a.is_f64() == o.is_f64() && a.as_f64() == o.as_f64(),
            "{at}: axvs {a} vs the original's {o}"
        ),
        _ => assert_eq!(axvs, original, "{at}"),
    }
}

#[test]
fn drop_estimates_match_the_original_package() {
    let dir = tempfile::tempdir().expect("tempdir");
    let printed = python(DROP_CASES, &[dir.path()], "pyarrow");
    let names: Vec<String> = serde_json::from_str(printed.lines().last().unwrap_or_default()).expect("json");
    let files: Vec<String> = names
        .iter()
        .map(|n| dir.path().join(format!("{n}.feather")).display().to_string())
        .collect();
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    for threshold in ["0", "70000"] {
        let original: Value = serde_json::from_str(
            original_python(ORIGINAL_STATS, &[&[threshold][..], &args].concat())
                .lines()
                .last()
                .unwrap_or_default(),
        )
        .expect("the original's JSON");
        // The CLI's automatic threshold is no flag (it refuses 0 as a threshold).
        let flag: &[&str] = if threshold == "0" {
            &[]
        } else {
            &["--threshold-us", threshold]
        };
        let report = stats_json(&[&args[..], flag].concat());
        assert_eq!(report["total_files"], names.len());
        for (i, name) in names.iter().enumerate() {
            let at = format!("{name} (threshold {threshold})");
            assert_holds_the_originals(&report["results"][i], &original["results"][i], &at);
        }
        if threshold == "0" {
            // The cases test what they say, in the original's own figures.
            let lost = |name: &str| {
                let i = names.iter().position(|n| n == name).expect("case");
                original["results"][i]["frame_drop_analysis"].clone()
            };
            assert_eq!(lost("one")["total_estimated_dropped_frames"], 1);
            assert_eq!(lost("two")["total_estimated_dropped_frames"], 2);
            assert_eq!(
                (
                    lost("late")["total_gaps_detected"].as_u64(),
                    lost("late")["jitter_compensated_gaps"].as_u64()
                ),
                (Some(1), Some(1))
            );
            assert_eq!(lost("end")["total_estimated_dropped_frames"], 1);
            assert_eq!(lost("noisy")["total_estimated_dropped_frames"], 6);
            assert_eq!(lost("many")["drop_locations_truncated"], true);
            assert_eq!(lost("single"), serde_json::json!({}));
        } else {
            assert_eq!(
                report["results"][9]["frame_drop_analysis"]["threshold_source"],
                "user_specified"
            );
        }
    }
}

/// A real session of two synthetic cameras: the archive stays what numpy expects (frame entries empty),
/// the device ids reach the outputs, and stats report exact drops, the run's counters and the sync.
#[test]
fn a_sessions_device_metadata_reaches_outputs_and_statistics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(
        dir.path(),
        "rig.toml",
        r#"
[[camera]]
id = 1
name = "left"
backend = "synthetic"
width = 64
height = 48
fps = 50
pixel_format = "mono8"

[[camera]]
id = 2
name = "right"
backend = "synthetic"
width = 64
height = 48
fps = 50
pixel_format = "mono8"
"#,
    );
    let (code, stderr, _) = run_rig(dir.path(), &rig, "s", &["-d", "2", "--no-preview"]);
    assert_eq!(code, Some(0), "{stderr}");
    let session = dir.path().join("s/data");
    assert!(session.join("001.axvsdev").is_file() && session.join("axvs_report.json").is_file());
    // The archive is byte-for-byte what the original writes: every frame member 9 bytes, the onset 17.
    let sizes = axvs_tests::python_numpy(
        "import sys, numpy as np\na = np.load(sys.argv[1])\nprint(sorted({a[k].size for k in a.files}))",
        &[&session.join("1_log.npz")],
    );
    assert_eq!(sizes.trim(), "[9, 17]");

    let (code, text) = process(&[session.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0), "{text}");
    // Beside the sealed session's data/.
    let outputs = read_outputs(&dir.path().join("s"));
    for id in [1, 2] {
        let f = &outputs["files"][format!("camera_timestamps/camera_{id}_timestamps.feather")];
        let ids: Vec<u64> = f["device_ids"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|v| v.as_u64().expect("every frame has its synthetic id"))
            .collect();
        assert!(ids.len() > 50, "{f}");
        assert!(
            ids.windows(2).all(|w| w[1] == w[0] + 1),
            "saved frames are consecutive: {ids:?}"
        );
        assert_eq!(f["device_ts_nulls"], 0);
    }

    let report = stats_json(&[session.to_str().expect("utf-8"), "--sync"]);
    for (i, name) in ["left", "right"].iter().enumerate() {
        let r = &report["results"][i];
        assert_eq!(r["name"], *name);
        assert_eq!(r["device_frame_ids"]["missing_ids"], 0, "{r}");
        assert_eq!(
            r["runtime"]["saved"], r["basic_stats"]["total_frames"],
            "the run's counter agrees with the log: {r}"
        );
        let fps = r["basic_stats"]["estimated_fps"].as_f64().expect("fps");
        assert!((fps - 50.0).abs() < 5.0, "{fps}");
    }
    let sync = &report["sync"][0]["report"];
    assert_eq!(sync["reference"], 0);
    let pairing = &sync["pairings"][0];
    assert!(pairing["paired"].as_u64().expect("paired") > 50, "{sync}");
    // The table for people names the same figures.
    let out = axvs().args(["stats", "--sync"]).arg(&session).output().expect("stats");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && table.contains("left") && table.contains("paired"),
        "{table}"
    );
    // The processed files are inputs to stats as well, with the same figures.
    let from_feather = stats_json(&[session
        .join("../camera_timestamps/camera_1_timestamps.feather")
        .to_str()
        .expect("utf-8")]);
    assert_eq!(
        from_feather["results"][0]["basic_stats"],
        report["results"][0]["basic_stats"]
    );
    assert_eq!(from_feather["results"][0]["runtime"], report["results"][0]["runtime"]);
}

/// A batch killed (SIGKILL) or interrupted (SIGINT) mid-way leaves only whole outputs; a rerun finishes.
#[test]
fn an_interrupted_batch_leaves_only_whole_outputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("r");
    let frames = 100_000;
    // Six copies of one recording: writing each took most of the test's CPU.
    write_recording(&root.join("rec0"), 0, frames, Kind::Logs);
    for r in 1..6 {
        axvs_tests::copy_dir(&root.join("rec0"), &root.join(format!("rec{r}")));
    }
    let tracker = root.join("rec0/camera_timestamps/camera_processing_tracker.yaml");
    for signal in ["KILL", "INT"] {
        // Signalled once this run has written its first tracker: its batch has begun.
        let _ = std::fs::remove_file(&tracker);
        let child = axvs()
            .args(["process", "--jobs", "1", "--force", "--no-progress"])
            .arg(&root)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut guard = ChildGuard::new(child);
        wait_until("the first tracker", Duration::from_secs(60), || tracker.exists());
        // The batch may have ended already on a fast machine; the checks below hold either way.
        let _ = axvs_tests::send_signal(guard.child().id(), signal);
        let out = guard.take().wait_with_output().expect("wait");
        let text = String::from_utf8_lossy(&out.stdout);
        if signal == "INT" {
            // Ctrl-C: jobs under way finish, no new one starts, and the summary says so.
            assert!(
                text.contains("not started (interrupted)") || text.contains("24 succeeded, 0 failed"),
                "{:?}: {text}",
                out.status
            );
        }
        // Whatever is there reads whole, with every frame.
        let outputs = read_outputs(&root);
        for (path, f) in outputs["files"].as_object().expect("files") {
            assert_eq!(f["rows"], frames, "{signal}: {path} is whole");
        }
    }
    let (code, text) = process(&[root.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(read_outputs(&root)["files"].as_object().expect("files").len(), 24);
    // The temporary files the killed run left are gone with the rerun.
    for r in 0..6 {
        let dir = root.join(format!("rec{r}/camera_timestamps"));
        for entry in std::fs::read_dir(&dir).expect("outputs") {
            let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
            assert!(!name.contains(".partial-"), "{}: {name} left behind", dir.display());
        }
    }
}
