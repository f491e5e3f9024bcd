//! The frame times statistics read: from timestamps files (`.feather`, axvs' or the original's), logs
//! (`.axvslog`), archives (`.npz`), or every camera of the recordings under a directory (or, in a
//! directory without recordings, such as `axvs process -o`'s, every `camera_timestamps/*.feather`); with device frame
//! ids and the run's own counters (`axvs_report.json` beside the logs) where they exist.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::process::{discover, ProcessError};
use crate::{feather, timestamps, LogFileError};

/// The report a session writes beside its logs.
pub const REPORT_FILE: &str = "axvs_report.json";

/// One camera's frame times and what else is known of it.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraSeries {
    /// Source id, when known (from the log, or a `camera_<id>_timestamps.feather` name).
    pub source_id: Option<u8>,
    /// Camera name, from the manifest.
    pub name: Option<String>,
    /// The file the times came from.
    pub file: PathBuf,
    /// The recording (log directory) it belongs to.
    pub recording: PathBuf,
    /// Frame times, µs since the UNIX epoch, in video order.
    pub times: Vec<u64>,
    /// The log's (first) onset, µs since the UNIX epoch, when the times came from a log or archive.
    pub onset_utc_us: Option<u64>,
    /// Device frame ids (`None` where unknown).
    pub device_ids: Vec<Option<u64>>,
    /// Device timestamps, ns (`None` where unknown).
    pub device_timestamps: Vec<Option<u64>>,
    /// Device timestamps mapped onto the host clock, µs since the UNIX epoch, as recorded (`None` where
    /// unknown).
    pub mapped: Vec<Option<u64>>,
    /// The run's counters, when its report is there.
    pub runtime: Option<RuntimeCounters>,
}

impl CameraSeries {
    /// How the camera's device clock maps onto the host's (the fit the writer ran, run again on the
    /// device timestamps and host times); `None` without device metadata (no sidecar, or the original's
    /// files). A camera that numbered its frames but gave no timestamps gets a report that says so.
    pub fn clock_report(&self) -> Option<crate::clock::ClockReport> {
        if self.device_timestamps.iter().all(Option::is_none) && self.device_ids.iter().all(Option::is_none) {
            return None;
        }
        let frames: Vec<(Option<u64>, i64)> = self
            .device_timestamps
            .iter()
            .zip(&self.times)
            .map(|(&d, &t)| (d, i64::try_from(t).unwrap_or(i64::MAX / 1000).saturating_mul(1000)))
            .collect();
        Some(crate::clock::map_frames(&frames).1)
    }
}

/// A camera's counters from the run's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct RuntimeCounters {
    /// Frames grabbed.
    pub acquired: u64,
    /// Frames saved (video and log).
    pub saved: u64,
    /// Frames dropped while saving was off.
    pub dropped_saving_off: u64,
    /// Frames that should have been saved but were not (queue full, encoder or log failure).
    pub lost: u64,
    /// Frames the camera reported lost.
    pub camera_lost: u64,
}

/// Every camera in `paths` (files or directories searched for recordings), in order.
pub fn load(paths: &[PathBuf]) -> Result<Vec<CameraSeries>, LogFileError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let recordings = match discover::find_recordings(std::slice::from_ref(path), None) {
                Ok(r) => r,
                // An output directory of `axvs process -o`: its timestamps files.
                Err(ProcessError::Empty(_)) if !timestamps_files(path, &mut out)?.is_empty() => continue,
                Err(e) => return Err(LogFileError::corrupt(path, e.to_string())),
            };
            for r in recordings {
                for s in r.sources {
                    let Some(log) = &s.log else { continue };
                    out.push(from_log(log)?);
                }
            }
        } else {
            out.push(load_file(path)?);
        }
    }
    Ok(out)
}

/// Adds every `camera_timestamps/*.feather` under `dir` (in path order) to `out`; returns the files found.
fn timestamps_files(dir: &Path, out: &mut Vec<CameraSeries>) -> Result<Vec<PathBuf>, LogFileError> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)
            .map_err(LogFileError::io(&d))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries.into_iter().rev() {
            if p.is_dir() && !p.is_symlink() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "feather")
                && d.file_name().is_some_and(|n| n == crate::process::job::OUTPUT_DIR)
            {
                found.push(p);
            }
        }
    }
    found.sort();
    for f in &found {
        out.push(load_file(f)?);
    }
    Ok(found)
}

/// One file: a timestamps file, log or archive.
pub fn load_file(path: &Path) -> Result<CameraSeries, LogFileError> {
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    match path.extension().and_then(|e| e.to_str()) {
        Some("feather") => {
            let file = feather::read_timestamps(path)?;
            let source_id = path.file_name().and_then(|n| n.to_str()).and_then(|n| {
                n.strip_prefix("camera_")?
                    .strip_suffix("_timestamps.feather")?
                    .parse()
                    .ok()
            });
            // camera_timestamps/ sits in (or mirrors) the recording, or beside a sealed session's data/:
            // its report is one level up, in data/ for a session.
            let recording = match dir.file_name() {
                Some(n) if n == crate::process::job::OUTPUT_DIR => {
                    crate::bag::payload_dir(dir.parent().unwrap_or(&dir))
                }
                _ => dir,
            };
            Ok(CameraSeries {
                runtime: source_id.and_then(|id| runtime_counters(&recording, id)),
                source_id,
                name: None,
                file: path.to_path_buf(),
                recording,
                times: file.frame_time_us,
                onset_utc_us: None,
                device_ids: file.device_frame_id,
                device_timestamps: file.device_timestamp_ns,
                mapped: file.mapped_time_us,
            })
        }
        _ => from_log(path),
    }
}

/// A log or archive, read once, with the sidecar, manifest and report beside it.
fn from_log(path: &Path) -> Result<CameraSeries, LogFileError> {
    let path = &crate::truth::file_to_read(path)?;
    let extraction = timestamps::extract(path)?;
    let recording = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let sidecar = crate::device::find_sidecar(&recording, extraction.source_id);
    let device = crate::process::batch::device_columns(sidecar.as_deref(), &extraction);
    let names = crate::manifest::read(&recording.join(crate::manifest::MANIFEST_FILE)).ok();
    let times = extraction.frame_times();
    Ok(CameraSeries {
        source_id: Some(extraction.source_id),
        name: names.and_then(|m| {
            m.sources
                .into_iter()
                .find(|s| s.id == extraction.source_id)
                .map(|s| s.name)
        }),
        file: path.to_path_buf(),
        runtime: runtime_counters(&recording, extraction.source_id),
        recording,
        mapped: device.mapped_epoch_us(&times),
        times,
        onset_utc_us: extraction.runs.first().map(|r| r.onset_utc_us),
        device_ids: device.frame_id,
        device_timestamps: device.timestamp_ns,
    })
}

/// The report of one camera recorded into a directory it shares with other recordings (the original's
/// layout: see `SessionOptions::into` in axvs-session): `axvs_report_<id, three digits>.json`.
pub fn camera_report_name(id: u8) -> String {
    format!("axvs_report_{id:03}.json")
}

/// The report that tells of source `id` in `dir`: its own ([`camera_report_name`]) when there is one, else
/// the session's ([`REPORT_FILE`]).
pub fn report_for(dir: &Path, id: u8) -> PathBuf {
    let own = dir.join(camera_report_name(id));
    if own.is_file() {
        own
    } else {
        dir.join(REPORT_FILE)
    }
}

/// Source `id`'s counters from its report in `dir` ([`report_for`]), if the report is there and names it.
pub fn runtime_counters(dir: &Path, id: u8) -> Option<RuntimeCounters> {
    let text = axvs_core::read_text_file(&report_for(dir, id)).ok()?;
    let report: serde_json::Value = serde_json::from_str(&text).ok()?;
    let status = report
        .get("cameras")?
        .as_array()?
        .iter()
        .map(|c| c.get("status"))
        .find(|s| s.and_then(|s| s.get("id")).and_then(|i| i.as_u64()) == Some(u64::from(id)))??;
    let n = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_u64()).unwrap_or(0);
    let dropped = status.get("dropped");
    let drop = |k: &str| n(dropped.and_then(|d| d.get(k)));
    Some(RuntimeCounters {
        acquired: n(status.get("acquired")),
        saved: n(status.get("saved")),
        dropped_saving_off: drop("saving_off"),
        lost: drop("queue_full") + drop("encoder_error") + drop("log_error"),
        camera_lost: n(status.get("camera_lost")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_give_their_recordings_or_else_their_timestamps_files() {
        use axvs_core::LogSink;
        let dir = tempfile::tempdir().expect("tempdir");
        let rec = dir.path().join("rec");
        let sink = crate::FileLogSink::create(&rec).expect("sink");
        sink.log(4, 0, &1_000u64.to_le_bytes()).expect("onset");
        let meta = axvs_core::FrameMeta {
            sequence: 0,
            device_frame_id: Some(77),
            device_timestamp_ns: None,
            time_us: 5,
            width: 1,
            height: 1,
            pixel_format: axvs_core::PixelFormat::Mono8,
        };
        sink.log_frame(4, &meta).expect("frame");
        sink.close().expect("close");
        crate::manifest::register(&rec, 4, "top").expect("manifest");
        // A session's raw log is read once its run finished cleanly (see `crate::truth`).
        std::fs::write(
            rec.join(REPORT_FILE),
            r#"{"cameras":[{"status":{"id":4,"unlogged":0},"errors":[]}]}"#,
        )
        .expect("report");
        let found = load(&[dir.path().to_path_buf()]).expect("recordings");
        assert_eq!(found.len(), 1);
        let s = &found[0];
        assert_eq!(
            (s.source_id, s.name.as_deref(), s.onset_utc_us),
            (Some(4), Some("top"), Some(1_000))
        );
        assert_eq!((s.times.clone(), s.device_ids.clone()), (vec![1_005], vec![Some(77)]));
        let file = load_file(&rec.join("004.axvslog")).expect("the log alone");
        assert_eq!(
            (file.device_ids.clone(), file.name.as_deref()),
            (vec![Some(77)], Some("top"))
        );

        let out = dir.path().join("out");
        let ts = out.join("rec/camera_timestamps");
        std::fs::create_dir_all(&ts).expect("dir");
        feather::write_timestamps(
            &ts.join("camera_4_timestamps.feather"),
            &[1_005],
            &crate::device::DeviceColumns::empty(1),
        )
        .expect("feather");
        std::fs::write(
            out.join("rec").join(REPORT_FILE),
            r#"{"cameras":[{"status":{"id":4,"acquired":3,"saved":1}}]}"#,
        )
        .expect("report");
        // A tracker beside it and a timestamps file elsewhere are not read.
        std::fs::write(ts.join("camera_processing_tracker.yaml"), "jobs: {}\n").expect("tracker");
        std::fs::copy(
            ts.join("camera_4_timestamps.feather"),
            out.join("camera_5_timestamps.feather"),
        )
        .expect("stray");
        let from_out = load(std::slice::from_ref(&out)).expect("timestamps files");
        assert_eq!(from_out.len(), 1);
        assert_eq!((from_out[0].source_id, from_out[0].onset_utc_us), (Some(4), None));
        assert_eq!(
            from_out[0].runtime.as_ref().map(|r| (r.acquired, r.saved)),
            Some((3, 1))
        );
        assert_eq!(from_out[0].recording, out.join("rec"));
        // A timestamps file outside camera_timestamps/ has its report beside it.
        std::fs::write(
            out.join(REPORT_FILE),
            r#"{"cameras":[{"status":{"id":5,"acquired":8,"saved":8}}]}"#,
        )
        .expect("report");
        let stray = load_file(&out.join("camera_5_timestamps.feather")).expect("stray");
        assert_eq!(
            (stray.recording.clone(), stray.runtime.map(|r| r.acquired)),
            (out.clone(), Some(8))
        );
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).expect("dir");
        assert!(load(&[empty]).is_err());
    }

    #[test]
    fn counters_come_from_the_report_beside_the_logs() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(runtime_counters(dir.path(), 1), None);
        let report = r#"{"cameras":[{"status":{"id":2,"acquired":10,"saved":7,"camera_lost":1,
            "dropped":{"saving_off":1,"queue_full":1,"encoder_error":2,"log_error":1}}}]}"#;
        std::fs::write(dir.path().join(REPORT_FILE), report).expect("write");
        assert_eq!(
            runtime_counters(dir.path(), 2),
            Some(RuntimeCounters {
                acquired: 10,
                saved: 7,
                dropped_saving_off: 1,
                lost: 4,
                camera_lost: 1
            })
        );
        assert_eq!(runtime_counters(dir.path(), 3), None);
    }
}
