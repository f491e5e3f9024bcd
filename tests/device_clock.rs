//! Frame times from the cameras' own clocks, end to end: two synthetic cameras on one simulated trigger,
//! with device clocks that drift apart (+80 and -40 ppm) and arrivals late by an exponential jitter and
//! stalls, record; each frame's mapped time (its device timestamp on the host clock, fitted by the log
//! writer) reaches the device sidecar, the run's report, `axvs process`' `mapped_time_us` (read with
//! pyarrow), `axvs stats --sync` and, asked for, the NWB export's timestamps (read with pynwb). The truth:
//! a synthetic camera exposes frame k at its start + k / fps, so mapped times must lie on a line in k, and
//! the two cameras' mapped times must agree per trigger far better than their arrivals do.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use axvs_tests::{axvs, counts_agree, python, read_report, rig_command, write_rig};

const FPS: f64 = 50.0;

/// The rig: its cameras differ in clock and delays, not in rate or trigger.
fn rig() -> String {
    let camera = |id: u8, drift: f64, jitter: f64, seed: u8| {
        format!(
            "[[camera]]\nid = {id}\nname = \"cam{id}\"\nbackend = \"synthetic\"\nwidth = 128\nheight = 96\nfps = {FPS}\n\
             triggered = true\nseed = {seed}\nclock = {{ drift_ppm = {drift}, offset_ns = {id}000000000 }}\n\
             delay = {{ latency_us = 200, jitter_us = {jitter}, stalls = 0.01 }}\n"
        )
    };
    format!(
        "[encoder]\npreset = 1\n{}{}",
        camera(1, 80.0, 1000.0, 3),
        camera(2, -40.0, 500.0, 4)
    )
}

/// Reads the timestamps files' columns and the NWB file's timestamps, as JSON.
const READ: &str = r#"
import json, sys, warnings
warnings.simplefilter("ignore")
import pyarrow.feather, pynwb
out = {"feather": {}, "nwb": {}}
for path in sys.argv[2:]:
    t = pyarrow.feather.read_table(path).to_pydict()
    out["feather"][path] = {k: t[k] for k in ("frame_time_us", "device_frame_id", "mapped_time_us")}
with pynwb.NWBHDF5IO(sys.argv[1], "r") as io:
    f = io.read()
    out["start_us"] = round(f.session_start_time.timestamp() * 1e6)
    for name, s in f.acquisition.items():
        out["nwb"][name] = {"timestamps_us": [round(t * 1e6) for t in s.timestamps[:]], "description": s.description}
print(json.dumps(out))
"#;

/// Residuals (µs) of `times` from the least-squares line through (`index`, time): what is left once the
/// truth's start, rate and the clock's drift are taken out.
fn residuals_from_line(index: &[f64], times: &[f64]) -> Vec<f64> {
    let n = index.len() as f64;
    let (mx, my) = (index.iter().sum::<f64>() / n, times.iter().sum::<f64>() / n);
    let sxx: f64 = index.iter().map(|x| (x - mx).powi(2)).sum();
    let sxy: f64 = index.iter().zip(times).map(|(x, y)| (x - mx) * (y - my)).sum();
    let slope = sxy / sxx;
    index
        .iter()
        .zip(times)
        .map(|(x, y)| y - (my + slope * (x - mx)))
        .collect()
}

fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v: Vec<f64> = values.iter().map(|r| r.abs()).collect();
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

#[test]
fn mapped_device_times_reach_every_reader_and_agree_per_trigger_far_better_than_arrivals() {
    let dir = tempfile::tempdir().expect("dir");
    let rig = write_rig(dir.path(), "rig.toml", &rig());
    let (mut command, report) = rig_command(dir.path(), &rig, "s", &["--duration", "8"]);
    let out = command.stdin(Stdio::null()).output().expect("axvs run");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let report = read_report(&report);
    let bag = dir.path().join("s");

    // The run's report and summary: every saved frame mapped, each clock's drift found.
    for (cam, truth) in report["cameras"].as_array().expect("cameras").iter().zip([80.0, -40.0]) {
        let saved = counts_agree(cam);
        let clock = &cam["device_clock"];
        assert_eq!(clock["mapped"].as_u64(), Some(saved), "{clock}");
        assert!(clock["problem"].is_null() && clock["restarts"] == 0, "{clock}");
        let drift = clock["drift_ppm"].as_f64().expect("drift");
        // 8 s of frames, the machine's own scheduling on top of the model's jitter: within 40 ppm.
        assert!(
            (drift - truth).abs() < 40.0,
            "drift {drift} ppm, truly {truth}: {clock}"
        );
    }
    assert!(stdout.contains("001  device clock: "), "{stdout}");

    // `axvs process`: mapped_time_us beside frame_time_us, never after it (a frame is exposed before it
    // arrives), on a line in the frame's index (the truth) far straighter than the arrivals.
    let out = axvs().arg("process").arg(&bag).output().expect("axvs process");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let feathers: Vec<PathBuf> = (1..=2)
        .map(|id| {
            bag.join("camera_timestamps")
                .join(format!("camera_{id}_timestamps.feather"))
        })
        .collect();
    let nwb = bag.join("mapped.nwb");
    let out = axvs()
        .args(["export", "nwb", "--time", "mapped", "-o"])
        .arg(&nwb)
        .arg(&bag)
        .output()
        .expect("axvs export nwb");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut args: Vec<&Path> = vec![&nwb];
    args.extend(feathers.iter().map(PathBuf::as_path));
    let read: serde_json::Value = serde_json::from_str(&python(READ, &args, "pyarrow, pynwb")).expect("json");
    let column = |path: &Path, name: &str| -> Vec<u64> {
        read["feather"][path.to_str().expect("utf-8")][name]
            .as_array()
            .expect("column")
            .iter()
            .map(|v| v.as_u64().expect("no nulls"))
            .collect()
    };
    for (id, path) in (1..=2).zip(&feathers) {
        let (host, mapped, index) = (
            column(path, "frame_time_us"),
            column(path, "mapped_time_us"),
            column(path, "device_frame_id"),
        );
        assert!(
            host.iter().zip(&mapped).all(|(h, m)| m <= h),
            "camera {id}: mapped after arrival"
        );
        let k: Vec<f64> = index.iter().map(|&i| i as f64).collect();
        let f = |t: &[u64]| t.iter().map(|&t| t as f64).collect::<Vec<f64>>();
        // The first second's frames are mapped before the envelope has formed: judged from then on.
        let settled = (FPS as usize).min(k.len() / 2);
        let host_p95 = quantile(&residuals_from_line(&k[settled..], &f(&host)[settled..]), 0.95);
        let mapped_p95 = quantile(&residuals_from_line(&k[settled..], &f(&mapped)[settled..]), 0.95);
        assert!(
            mapped_p95 * 5.0 < host_p95,
            "camera {id}: mapped times {mapped_p95:.1} µs from the truth's line at the 95th percentile, arrivals {host_p95:.1} µs"
        );

        // The NWB file's timestamps are these mapped times, from the session's start, to the µs.
        let start = read["start_us"].as_i64().expect("start");
        let series = &read["nwb"][format!("cam{id}")];
        let nwb_us: Vec<i64> = series["timestamps_us"]
            .as_array()
            .expect("timestamps")
            .iter()
            .map(|t| t.as_i64().expect("µs"))
            .collect();
        let expected: Vec<i64> = mapped.iter().map(|&m| m as i64 - start).collect();
        assert_eq!(nwb_us, expected, "camera {id}");
        assert!(series["description"]
            .as_str()
            .is_some_and(|d| d.contains("mapped onto the host clock")));
    }

    // `axvs stats --sync`: paired on mapped times, the two cameras agree per trigger to well under a
    // millisecond at the 95th percentile; their arrivals do not.
    let out = axvs()
        .args(["stats", "--sync", "--json"])
        .arg(&bag)
        .output()
        .expect("axvs stats");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let sync = &stats["sync"][0]["report"];
    let (host, mapped) = (&sync["host_spread"], &sync["mapped_spread"]);
    let p95 = |v: &serde_json::Value| v["p95_us"].as_f64().expect("p95");
    assert!(p95(mapped) < 1000.0 && p95(mapped) * 5.0 < p95(host), "{sync}");
    assert!(sync["pairings"][0]["mapped_offset"]["median_us"].is_number(), "{sync}");
    for result in stats["results"].as_array().expect("results") {
        assert!(result["device_clock"]["drift_ppm"].is_number(), "{result}");
    }
}

#[test]
fn a_camera_without_device_timestamps_is_refused_a_mapped_nwb_export_by_name() {
    let dir = tempfile::tempdir().expect("dir");
    // Aravis' Fake interface gives the host's clock in place of device timestamps: none are kept.
    let rig = write_rig(
        dir.path(),
        "rig.toml",
        "[encoder]\npreset = 1\n[[camera]]\nid = 4\nname = \"fake\"\nbackend = \"genicam\"\ndevice_id = \"Fake_1\"\n\
         fake_interface = true\nwidth = 128\nheight = 96\nfps = 20\n",
    );
    let (mut command, _) = rig_command(dir.path(), &rig, "s", &["--duration", "1"]);
    let out = command.stdin(Stdio::null()).output().expect("axvs run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = axvs()
        .args(["export", "nwb", "--time", "mapped"])
        .arg(dir.path().join("s"))
        .output()
        .expect("axvs export nwb");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("camera 4:") && stderr.contains("have no mapped time (the camera gave no device timestamps)"),
        "{stderr}"
    );
    assert!(!dir.path().join("s").join("s.nwb").exists());
}
