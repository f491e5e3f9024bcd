//! `axvs-bench python`: the Python package against its alternatives, in one run. Recording: the same rig of
//! unpaced synthetic cameras saved through `axvs run` and through `axvs.Session` from Python, alternately
//! (frames saved per second, and their ratio). Extraction: one archive's frame times read by
//! `axvs.extract_logged_camera_timestamps` and by the original's (ataraxis-video-system, in its own Python),
//! timed inside each interpreter, after its imports; the two results are compared.

use std::path::{Path, PathBuf};
use std::process::Command;

use axvs_core::LogSink;
use axvs_log::{npz, FileLogSink};
use clap::Args;

use super::{axvs_exe, bench_error};
use crate::measure::median;
use crate::BenchError;

/// Arguments of `axvs-bench python`.
#[derive(Debug, Args)]
pub struct PythonArgs {
    /// The Python that imports `axvs` (the wheel installed, or the package on PYTHONPATH).
    #[arg(long, default_value = "python3")]
    python: PathBuf,
    /// The Python of an environment with the original (ataraxis-video-system) installed; without it the
    /// extraction is measured for axvs alone.
    #[arg(long, env = "AXVS_ORIGINAL_PYTHON")]
    original_python: Option<PathBuf>,
    /// Seconds of each recording run.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Recording runs through each path, alternately (medians are reported; 0 = skip).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Frame entries in the archive extracted (0 = skip).
    #[arg(long, default_value_t = 1_000_000)]
    entries: u64,
}

/// Two unpaced cameras: the rate is what the machine sustains, the same for both paths.
const RIG: &str = r#"
min_free_space = "0"
[encoder]
preset = 1

[[camera]]
id = 1
name = "a"
backend = "synthetic"
width = 640
height = 480
fps = 30
paced = false

[[camera]]
id = 2
name = "b"
backend = "synthetic"
width = 640
height = 480
fps = 30
paced = false
"#;

const RECORD: &str = r#"
import json, sys, axvs
with axvs.Session(sys.argv[1], output_dir=sys.argv[2], preview=False) as s:
    s.wait(float(sys.argv[3]))
print(json.dumps({"saved": s.report.saved}))
"#;

/// Times one extraction (the best of `repeat`) inside the interpreter; prints frames, seconds, and a sum of
/// the times as a check that both read the same.
const EXTRACT: &str = r#"
import json, sys, time
from pathlib import Path
import numpy as np
if sys.argv[2] == "axvs":
    from axvs import extract_logged_camera_timestamps as extract
    kwargs = {}
else:
    from ataraxis_video_system import extract_logged_camera_timestamps as extract
    kwargs = {"display_progress": False}
best = None
for _ in range(int(sys.argv[3])):
    start = time.perf_counter()
    times = extract(Path(sys.argv[1]), **kwargs)
    took = time.perf_counter() - start
    best = took if best is None else min(best, took)
print(json.dumps({"frames": len(times), "seconds": best, "sum": int(times.sum(dtype=np.uint64))}))
"#;

/// Runs the benchmark.
pub fn run(args: PythonArgs) -> Result<(), BenchError> {
    if !(args.seconds.is_finite() && args.seconds > 0.0) {
        return Err(BenchError::Argument("--seconds must be a positive number".into()));
    }
    let dir = tempfile::tempdir().map_err(|e| bench_error("tempdir", e))?;
    if args.runs > 0 {
        recording(&args, dir.path())?;
    }
    if args.entries > 0 {
        extraction(&args, dir.path())?;
    }
    Ok(())
}

fn python_json(command: &mut Command, what: &str) -> Result<serde_json::Value, BenchError> {
    let out = command.output().map_err(|e| bench_error(what, e))?;
    if !out.status.success() {
        return Err(bench_error(
            what,
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).map_err(|e| bench_error(what, format!("{e}: {stdout}")))
}

fn saved_in_report(path: &Path) -> Result<f64, BenchError> {
    let text = std::fs::read_to_string(path).map_err(|e| bench_error("the CLI's report", e))?;
    let report: serde_json::Value = serde_json::from_str(&text).map_err(|e| bench_error("the CLI's report", e))?;
    Ok(report["cameras"]
        .as_array()
        .map(|cams| cams.iter().filter_map(|c| c["status"]["saved"].as_f64()).sum())
        .unwrap_or(0.0))
}

fn recording(args: &PythonArgs, dir: &Path) -> Result<(), BenchError> {
    let rig = dir.join("rig.toml");
    std::fs::write(&rig, RIG).map_err(|e| bench_error("rig", e))?;
    let axvs = axvs_exe()?;
    let seconds = format!("{}", args.seconds);
    let (mut cli, mut python) = (Vec::new(), Vec::new());
    for run in 0..args.runs {
        let out = dir.join(format!("cli-{run}"));
        let report = dir.join(format!("cli-{run}.json"));
        let status = Command::new(&axvs)
            .arg("run")
            .arg(&rig)
            .args([
                "--no-preview",
                "--status-interval",
                "0",
                "--duration",
                &seconds,
                "--output-dir",
            ])
            .arg(&out)
            .arg("--report")
            .arg(&report)
            .output()
            .map_err(|e| bench_error("axvs run", e))?;
        if !status.status.success() {
            return Err(bench_error("axvs run", String::from_utf8_lossy(&status.stderr)));
        }
        cli.push(saved_in_report(&report)? / args.seconds);
        let out = dir.join(format!("python-{run}"));
        let figures = python_json(
            Command::new(&args.python)
                .args(["-c", RECORD])
                .arg(&rig)
                .arg(&out)
                .arg(&seconds),
            "recording from Python",
        )?;
        python.push(figures["saved"].as_f64().unwrap_or(0.0) / args.seconds);
        let _ = std::fs::remove_dir_all(dir.join(format!("cli-{run}")));
        let _ = std::fs::remove_dir_all(&out);
    }
    let (cli, python) = (median(&mut cli), median(&mut python));
    outln!();
    outln!(
        "recording, 2 unpaced 640x480 cameras, {} runs of {} s each: axvs run {cli:.0} frames/s, Python \
         axvs.Session {python:.0} frames/s; Python / CLI = {:.2}",
        args.runs,
        args.seconds,
        python / cli.max(1e-9)
    );
    Ok(())
}

fn extraction(args: &PythonArgs, dir: &Path) -> Result<(), BenchError> {
    let out = dir.join("extract");
    let sink = FileLogSink::create(&out).map_err(|e| bench_error("log", e))?;
    sink.log(1, 0, &axvs_core::utc_now_us().to_le_bytes())
        .map_err(|e| bench_error("log", e))?;
    for i in 1..=args.entries {
        sink.log(1, i * 16_667 + i % 7, &[])
            .map_err(|e| bench_error("log", e))?;
    }
    let logs = sink.close().map_err(|e| bench_error("log", e))?;
    let log = logs.first().ok_or_else(|| bench_error("log", "no log written"))?;
    let archive = npz::export_log(log, &out).map_err(|e| bench_error("archive", e))?;
    let measure = |python: &Path, which: &str, repeat: &str| {
        python_json(
            Command::new(python)
                .args(["-c", EXTRACT])
                .arg(&archive)
                .args([which, repeat]),
            &format!("extraction ({which})"),
        )
    };
    let ours = measure(&args.python, "axvs", "3")?;
    let ours_s = ours["seconds"].as_f64().unwrap_or(f64::NAN);
    outln!();
    out!(
        "timestamp extraction from Python, {} frames: axvs {:.3} s",
        args.entries,
        ours_s
    );
    let Some(original) = &args.original_python else {
        outln!(" (the original not measured: give --original-python)");
        return Ok(());
    };
    let theirs = measure(original, "original", "1")?;
    if theirs["frames"] != ours["frames"] || theirs["sum"] != ours["sum"] {
        return Err(bench_error(
            "extraction",
            format!("the original and axvs read different times: {theirs} against {ours}"),
        ));
    }
    let theirs_s = theirs["seconds"].as_f64().unwrap_or(f64::NAN);
    outln!(
        ", the original {theirs_s:.3} s (the same times); original / axvs = {:.0}x",
        theirs_s / ours_s
    );
    Ok(())
}
