//! Batch processing throughput: `axvs process` over 20 recordings of 4 cameras, from raw logs and from
//! `.npz` archives, one job at a time and one per core, each in a fresh process (CPU time and peak memory
//! are its own); peak memory again over 5 recordings of the same size, to show it does not grow with the
//! number of recordings; and the original's way of reading an archive (numpy, member by member) on one
//! camera's archive, when a Python with numpy is there.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use axvs_core::LogSink;
use axvs_log::{manifest, npz, FileLogSink};

use super::measure::wait_child;
use super::{bench_error, BenchError};

const CAMERAS: u8 = 4;

/// Writes `recordings` recordings of 4 cameras with `per_camera` entries each under `root` (raw logs) and
/// `root_npz` (the same as archives).
fn write_recordings(root: &Path, root_npz: &Path, recordings: usize, per_camera: u64) -> Result<(), BenchError> {
    for r in 0..recordings {
        let dir = root.join(format!("rec{r:03}"));
        let dir_npz = root_npz.join(format!("rec{r:03}"));
        std::fs::create_dir_all(&dir_npz).map_err(|e| bench_error("batch", e))?;
        let sink = FileLogSink::create(&dir).map_err(|e| bench_error("batch", e))?;
        for id in 1..=CAMERAS {
            sink.log(id, 0, &axvs_core::utc_now_us().to_le_bytes())
                .map_err(|e| bench_error("batch", e))?;
            for i in 1..per_camera {
                sink.log(id, i * 16_667 + u64::from(id), &[])
                    .map_err(|e| bench_error("batch", e))?;
            }
        }
        let logs = sink.close().map_err(|e| bench_error("batch", e))?;
        for (log, id) in logs.iter().zip(1..) {
            npz::export_log(log, &dir_npz).map_err(|e| bench_error("batch", e))?;
            for d in [&dir, &dir_npz] {
                manifest::register(d, id, &format!("camera_{id}")).map_err(|e| bench_error("batch", e))?;
            }
        }
        // Raw logs are read when their run finished cleanly (`axvs_log::truth`): the report it leaves.
        let cameras: Vec<String> = (1..=CAMERAS)
            .map(|id| format!(r#"{{"status":{{"id":{id},"unlogged":0}},"errors":[]}}"#))
            .collect();
        let report = format!(r#"{{"cameras":[{}]}}"#, cameras.join(","));
        std::fs::write(dir.join(axvs_log::stats::inputs::REPORT_FILE), report).map_err(|e| bench_error("batch", e))?;
    }
    Ok(())
}

/// One `axvs process` run in a fresh process: wall seconds, CPU seconds, peak RSS.
fn process(root: &Path, out: &Path, jobs: usize) -> Result<(f64, f64, u64), BenchError> {
    let exe = crate::axvs_exe()?;
    let start = Instant::now();
    let child = Command::new(exe)
        .arg("process")
        .arg(root)
        .arg("-o")
        .arg(out)
        .args(["--force", "--no-progress", "--jobs", &jobs.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| bench_error("batch", e))?;
    let (code, cpu, rss) = wait_child(child.id()).map_err(|e| bench_error("batch", e))?;
    if code != 0 {
        return Err(bench_error(
            "batch",
            format!("axvs process {} exited with {code}", root.display()),
        ));
    }
    Ok((start.elapsed().as_secs_f64(), cpu.as_secs_f64(), rss))
}

/// The original's reading of one archive (numpy, member by member): entries per second, if Python with
/// numpy runs here (`AXVS_BENCH_PYTHON`, else `python3`).
fn numpy_rate(archive: &Path) -> Option<f64> {
    let python = std::env::var_os("AXVS_BENCH_PYTHON").unwrap_or_else(|| "python3".into());
    let script = r#"
import sys, time
import numpy as np
start = time.perf_counter()
onset, times = None, []
with np.load(sys.argv[1]) as archive:
    for key in archive.files:
        entry = archive[key]
        t = int.from_bytes(entry[1:9].tobytes(), "little")
        if t == 0:
            onset = int.from_bytes(entry[9:17].tobytes(), "little")
        elif entry.size == 9:
            times.append(onset + t)
print(len(times) + 1, time.perf_counter() - start)
"#;
    let out = Command::new(python).arg("-c").arg(script).arg(archive).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let entries: f64 = parts.next()?.parse().ok()?;
    let seconds: f64 = parts.next()?.parse().ok()?;
    (out.status.success() && seconds > 0.0).then(|| entries / seconds)
}

/// Runs the batch benchmark over `entries` entries in all (20 recordings x 4 cameras).
pub(super) fn run(entries: u64, dir: &Path) -> Result<(), BenchError> {
    let recordings = 20usize;
    let per_camera = (entries / (recordings as u64 * u64::from(CAMERAS))).max(2);
    let total = per_camera * recordings as u64 * u64::from(CAMERAS);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let root = dir.join("batch");
    let (logs, archives, few_logs, few_archives) = (
        root.join("logs"),
        root.join("npz"),
        root.join("few_logs"),
        root.join("few_npz"),
    );
    write_recordings(&logs, &archives, recordings, per_camera)?;
    write_recordings(&few_logs, &few_archives, 5, per_camera)?;
    outln!();
    outln!(
        "batch processing (`axvs process`), {recordings} recordings x {CAMERAS} cameras x {per_camera} entries = {total} entries; fresh process per run"
    );
    outln!(
        "{:<10} {:>5} {:>10} {:>16} {:>22} {:>11}",
        "input",
        "jobs",
        "seconds",
        "M entries/s",
        "M entries/CPU-second",
        "peak MB"
    );
    let mut rss_of = Vec::new();
    for (label, input) in [("axvslog", &logs), ("npz", &archives)] {
        for jobs in [1, cores] {
            let (wall, cpu, rss) = process(input, &root.join("out"), jobs)?;
            outln!(
                "{label:<10} {jobs:>5} {wall:>10.3} {:>16.2} {:>22.2} {:>11.1}",
                total as f64 / wall / 1e6,
                total as f64 / cpu.max(1e-9) / 1e6,
                rss as f64 / 1e6
            );
            if jobs == cores {
                rss_of.push((label, rss));
            }
        }
    }
    for ((label, rss), few) in rss_of.iter().zip([&few_logs, &few_archives]) {
        let (_, _, few_rss) = process(few, &root.join("out_few"), cores)?;
        outln!(
            "peak memory, {label}, {cores} jobs: 20 recordings {:.1} MB vs 5 recordings {:.1} MB: ratio {:.2} (1 = independent of the number)",
            *rss as f64 / 1e6,
            few_rss as f64 / 1e6,
            *rss as f64 / few_rss.max(1) as f64
        );
    }
    let one: PathBuf = archives.join("rec000").join(npz::archive_name(1));
    let start = Instant::now();
    axvs_log::timestamps::extract(&one).map_err(|e| bench_error("batch", e))?;
    let ours = per_camera as f64 / start.elapsed().as_secs_f64();
    match numpy_rate(&one) {
        Some(theirs) => outln!(
            "one archive ({per_camera} entries), one core: axvs {:.2} M entries/s, numpy member by member (the original's way) {:.3} M entries/s: {:.0}x",
            ours / 1e6,
            theirs / 1e6,
            ours / theirs
        ),
        None => outln!(
            "one archive ({per_camera} entries), one core: axvs {:.2} M entries/s (no python3 with numpy to compare)",
            ours / 1e6
        ),
    }
    let _ = std::fs::remove_dir_all(&root);
    Ok(())
}
