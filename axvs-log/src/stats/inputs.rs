//! The frame times statistics read: from timestamps files (`.feather`, axvs' or the original's), logs
//! (`.axvslog`), archives (`.npz`), or every camera of the recordings under a directory; with device frame
//! ids and the run's own counters (`axvs_report.json` beside the logs) where they exist.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::process::discover;
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
    /// Device frame ids (`None` where unknown).
    pub device_ids: Vec<Option<u64>>,
    /// The run's counters, when its report is there.
    pub runtime: Option<RuntimeCounters>,
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
            let recordings = discover::find_recordings(std::slice::from_ref(path), None)
                .map_err(|e| LogFileError::corrupt(path, e.to_string()))?;
            for r in recordings {
                for s in r.sources {
                    let Some(log) = &s.log else { continue };
                    let mut series = from_log(log, s.device.as_deref())?;
                    series.name = s.name.clone();
                    out.push(series);
                }
            }
        } else {
            out.push(load_file(path)?);
        }
    }
    Ok(out)
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
            // camera_timestamps/ sits in (or mirrors) the recording: its report is one level up.
            let recording = match dir.file_name() {
                Some(n) if n == crate::process::job::OUTPUT_DIR => dir.parent().unwrap_or(&dir).to_path_buf(),
                _ => dir,
            };
            Ok(CameraSeries {
                runtime: source_id.and_then(|id| runtime_counters(&recording, id)),
                source_id,
                name: None,
                file: path.to_path_buf(),
                recording,
                times: file.frame_time_us,
                device_ids: file.device_frame_id,
            })
        }
        _ => {
            let source_id = timestamps::extract(path)?.source_id;
            from_log(path, crate::device::find_sidecar(&dir, source_id).as_deref())
        }
    }
}

fn from_log(path: &Path, sidecar: Option<&Path>) -> Result<CameraSeries, LogFileError> {
    let extraction = timestamps::extract(path)?;
    let device = crate::process::batch::device_columns(sidecar, &extraction);
    let recording = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let names = crate::manifest::read(&recording.join(crate::manifest::MANIFEST_FILE)).ok();
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
        times: extraction.frame_times(),
        device_ids: device.frame_id,
    })
}

/// Source `id`'s counters from `<dir>/axvs_report.json`, if the report is there and names it.
pub fn runtime_counters(dir: &Path, id: u8) -> Option<RuntimeCounters> {
    let text = axvs_core::read_text_file(&dir.join(REPORT_FILE)).ok()?;
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
    fn counters_come_from_the_report_beside_the_logs() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(runtime_counters(dir.path(), 1), None);
        let report = r#"{"cameras":[{"status":{"id":2,"acquired":10,"saved":7,"camera_lost":1,
            "dropped":{"saving_off":1,"queue_full":1,"encoder_error":0,"log_error":1}}}]}"#;
        std::fs::write(dir.path().join(REPORT_FILE), report).expect("write");
        assert_eq!(
            runtime_counters(dir.path(), 2),
            Some(RuntimeCounters {
                acquired: 10,
                saved: 7,
                dropped_saving_off: 1,
                lost: 2,
                camera_lost: 1
            })
        );
        assert_eq!(runtime_counters(dir.path(), 3), None);
    }
}
