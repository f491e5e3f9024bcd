//! Statistics of recorded frame times: per camera ([`frames`], the original's frame statistics with its
//! drop estimate), and across a rig's cameras ([`sync`]).
//!
//! ```
//! use axvs_log::stats::frames::{FrameStats, DropThreshold};
//!
//! // 10 ms frames with one frame missing after the third.
//! let times = [0, 10_000, 20_000, 40_000, 50_000];
//! let stats = FrameStats::compute(&times, DropThreshold::Auto, 50);
//! let drops = stats.frame_drop_analysis.expect("two frames or more have intervals");
//! assert_eq!(drops.total_estimated_dropped_frames, 1);
//! assert_eq!(drops.drop_locations[0].frame_index, 2, "the gap follows the third frame");
//! ```

pub mod frames;
pub mod hosts;
pub mod inputs;
pub mod sync;

use std::path::{Path, PathBuf};

use serde::Serialize;

use frames::{DropThreshold, FrameStats};
use inputs::{CameraSeries, RuntimeCounters};
use sync::SyncReport;

/// The original's default number of gap locations listed per camera.
pub const DEFAULT_MAX_DROP_LOCATIONS: usize = 50;

/// One camera's statistics, or why its file could not be read.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CameraResult {
    /// The file the times came from.
    pub file: PathBuf,
    /// Source id, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<u8>,
    /// Camera name, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The statistics.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub stats: Option<FrameStats>,
    /// The run's own counters, when its report is beside the logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<RuntimeCounters>,
    /// How its device clock maps onto the host's, when the camera gave device timestamps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_clock: Option<crate::clock::ClockReport>,
    /// Why the file could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A recording's sync report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct RecordingSync {
    /// The recording (log directory), or a rig-across-PCs session collected into one folder.
    pub recording: PathBuf,
    /// Its report.
    pub report: SyncReport,
    /// For a session across PCs: how each host's times were put on the coordinator's clock (the report's
    /// times are all on it), and how far off that may be.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub time_bases: Vec<hosts::HostTimeBase>,
}

/// Everything `axvs stats` (and the MCP tool) reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct StatsReport {
    /// One entry per camera, in the order found.
    pub results: Vec<CameraResult>,
    /// Cameras (files) analysed.
    pub total_files: usize,
    /// Sync reports, one per recording with its cameras, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync: Option<Vec<RecordingSync>>,
}

/// Statistics of every camera in `paths` (files, or directories searched for recordings), in the order
/// given; a path that cannot be read is an entry with its error, and the others go on. With `sync`, a sync report per
/// recording.
pub fn analyze(paths: &[PathBuf], threshold: DropThreshold, max_locations: usize, sync: bool) -> StatsReport {
    let mut results = Vec::new();
    let mut series: Vec<CameraSeries> = Vec::new();
    let mut time_bases: Vec<(PathBuf, Vec<hosts::HostTimeBase>)> = Vec::new();
    for path in paths {
        let loaded = match hosts::index_in(path).filter(|_| path.is_dir()) {
            // A session across PCs, collected: every host's cameras on the coordinator's clock, one group.
            Some(index) => hosts::load(path, &index).map(|(mut cams, bases)| {
                cams.iter_mut().for_each(|c| c.recording = path.clone());
                time_bases.push((path.clone(), bases));
                cams
            }),
            None => inputs::load(std::slice::from_ref(path)),
        };
        match loaded {
            Ok(found) => {
                for s in &found {
                    let stats = FrameStats::compute(&s.times, threshold, max_locations).with_device_ids(&s.device_ids);
                    results.push(CameraResult {
                        file: s.file.clone(),
                        source_id: s.source_id,
                        name: s.name.clone(),
                        stats: Some(stats),
                        runtime: s.runtime.clone(),
                        device_clock: s.clock_report(),
                        error: None,
                    });
                }
                series.extend(found);
            }
            Err(e) => results.push(CameraResult {
                file: path.clone(),
                source_id: None,
                name: None,
                stats: None,
                runtime: None,
                device_clock: None,
                error: Some(e.to_string()),
            }),
        }
    }
    let sync = sync.then(|| {
        let mut groups: Vec<(&Path, Vec<CameraSeries>)> = Vec::new();
        for s in &series {
            match groups.iter_mut().find(|(r, _)| *r == s.recording.as_path()) {
                Some((_, g)) => g.push(s.clone()),
                None => groups.push((s.recording.as_path(), vec![s.clone()])),
            }
        }
        groups
            .into_iter()
            .map(|(recording, cams)| RecordingSync {
                recording: recording.to_path_buf(),
                report: sync::report(&cams),
                time_bases: time_bases
                    .iter()
                    .find(|(p, _)| p == recording)
                    .map(|(_, b)| b.clone())
                    .unwrap_or_default(),
            })
            .collect()
    });
    StatsReport {
        total_files: results.len(),
        results,
        sync,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axvs_core::LogSink;

    #[test]
    fn each_recording_gets_its_sync_report_and_errors_keep_their_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (rec, ids) in [("a", [1u8, 2]), ("b", [3, 4])] {
            let sink = crate::FileLogSink::create(dir.path().join(rec)).expect("sink");
            for id in ids {
                sink.log(id, 0, &1_000u64.to_le_bytes()).expect("onset");
                for t in 1..=20 {
                    sink.log(id, t * 1000 + u64::from(id), &[]).expect("frame");
                }
            }
            sink.close().expect("close");
        }
        let missing = dir.path().join("missing.npz");
        let paths = [dir.path().join("a"), missing.clone(), dir.path().join("b")];
        let report = analyze(&paths, DropThreshold::Auto, 5, true);
        assert_eq!(report.total_files, 5);
        let order: Vec<Option<u8>> = report.results.iter().map(|r| r.source_id).collect();
        assert_eq!(order, [Some(1), Some(2), None, Some(3), Some(4)]);
        assert_eq!(report.results[2].file, missing);
        assert!(report.results[2].error.is_some() && report.results[2].stats.is_none());
        let sync = report.sync.expect("sync");
        assert_eq!(sync.len(), 2, "one report per recording");
        assert_eq!(sync[1].recording, dir.path().join("b"));
        assert_eq!(sync[1].report.pairings[0].paired, 20);
        assert!(analyze(&paths, DropThreshold::Auto, 5, false).sync.is_none());
    }
}
