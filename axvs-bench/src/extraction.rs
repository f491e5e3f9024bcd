//! Timestamp extraction: the times of many frames from a raw log and from an archive.

use std::path::Path;
use std::time::Instant;

use axvs_log::{npz, read_log, timestamps, FileLogSink};

use super::bench_error;
use crate::BenchError;

/// Extraction of absolute frame times from a log and an archive of `entries` entries.
pub(super) fn extraction(entries: u64, dir: &Path) -> Result<(), BenchError> {
    let out = dir.join("extract");
    let sink = FileLogSink::create(&out).map_err(|e| bench_error("log", e))?;
    use axvs_core::LogSink;
    sink.log(1, 0, &axvs_core::utc_now_us().to_le_bytes())
        .map_err(|e| bench_error("log", e))?;
    for i in 1..entries {
        sink.log(1, i * 16_667, &[]).map_err(|e| bench_error("log", e))?;
    }
    let logs = sink.close().map_err(|e| bench_error("log", e))?;
    let log = logs.first().ok_or_else(|| bench_error("log", "no log written"))?;
    let archive = npz::export_log(log, &out).map_err(|e| bench_error("archive", e))?;

    let start = Instant::now();
    let contents = read_log(log).map_err(|e| bench_error("log", e))?;
    let times = timestamps::frame_times(&contents.entries).map_err(|e| bench_error("log", e))?;
    let from_log = start.elapsed();
    let start = Instant::now();
    let archived = npz::read_archive(&archive).map_err(|e| bench_error("archive", e))?;
    let times_npz = timestamps::frame_times(&archived).map_err(|e| bench_error("archive", e))?;
    let from_npz = start.elapsed();
    if times != times_npz {
        return Err(bench_error("extraction", "log and archive disagree"));
    }
    outln!();
    outln!(
        "timestamp extraction, {entries} entries: raw log {:.3} s, .npz archive ({:.0} MB) {:.3} s",
        from_log.as_secs_f64(),
        std::fs::metadata(&archive).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
        from_npz.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&out);
    Ok(())
}
