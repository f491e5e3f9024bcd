//! The end of a session: the log closed, each camera's archive written, and the final figures.

use std::path::{Path, PathBuf};

use axvs_core::{EncodeSummary, StopReport, SystemError, SystemStatus};
use axvs_log::stats::inputs::{camera_report_name, REPORT_FILE};
use axvs_log::{npz, FileLogSink};
use serde::Serialize;

use super::{Progress, SessionDirs};

/// The final figures of one camera.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CameraReport {
    /// How the camera ended: `stopped` (when the session stopped), `ended: ...` (its source had no more
    /// frames), or `failed: ` and the first error.
    pub state: String,
    /// The backend that delivered its frames.
    pub backend: String,
    /// Its counters when it stopped.
    pub status: SystemStatus,
    /// The video file (the first, when it was split into segments).
    pub video: Option<PathBuf>,
    /// Frames the video holds.
    pub video_frames: Option<u64>,
    /// Bytes of video on disk.
    pub video_bytes: Option<u64>,
    /// Every file of the video, in order, when it was split into segments.
    pub segments: Vec<EncodeSummary>,
    /// The video's SHA-256 as its bytes were written, when it is one file (segments have their own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_sha256: Option<String>,
    /// The raw timestamp log; `None` when the camera recorded nothing (see `discard_empty`).
    pub log: Option<PathBuf>,
    /// The ataraxis-compatible archive, when one was written.
    pub archive: Option<PathBuf>,
    /// Milliseconds from the start of the run to its first saved frame.
    pub first_frame_ms: Option<f64>,
    /// Its first saved frame's time, µs since the UNIX epoch (this host's clock).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_frame_utc_us: Option<u64>,
    /// How its device clock mapped onto the host's (drift, residual delays, estimated error), when the
    /// camera gave device timestamps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_clock: Option<axvs_log::clock::ClockReport>,
    /// Every error its workers hit.
    pub errors: Vec<String>,
}

/// What a session wrote, camera by camera, and everything that went wrong (as `axvs run --report` writes it).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SessionReport {
    /// The rig file (or how the rig was given).
    pub rig: String,
    /// The session's folders, each a BagIt bag holding the files in its `data/` (see
    /// [`crate::certificate`]); none in directories shared with other recordings.
    pub bags: Vec<PathBuf>,
    /// The directory of the videos.
    pub session_dir: PathBuf,
    /// The directory of the logs, manifest and archives.
    pub log_dir: PathBuf,
    /// Each camera, in the rig's order.
    pub cameras: Vec<CameraReport>,
    /// Every failure, first the one that matters most; empty when the session ended cleanly.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
}

impl SessionReport {
    /// Writes the report as JSON to a new file (an existing one is never overwritten).
    pub fn write_json(&self, path: &Path) -> Result<(), String> {
        let json = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        axvs_log::output::write_new_bytes(path, json.as_bytes()).map_err(|e| e.to_string())
    }

    /// Every camera's saved frames, summed.
    pub fn saved(&self) -> u64 {
        self.cameras.iter().map(|c| c.status.saved).sum()
    }
}

/// One stopped camera, ready to be finished.
pub(super) struct Stopped {
    pub id: u8,
    pub name: String,
    pub backend: String,
    pub first_frame_ms: Option<f64>,
    pub stop: StopReport,
}

/// Removes what a camera that saved no frame (saving never on, or stopped before its first frame) left: its
/// videos without a frame, its log when it holds only onsets, and its empty device sidecar; the report then
/// names no video and no log. Returns whether it did. A log with data entries is kept, as recorded data.
fn discard_empty(stop: &mut StopReport, log: &Path, log_dir: &Path, id: u8) -> bool {
    let s = &stop.status;
    let video_empty = stop.video.as_ref().is_none_or(|v| v.frames == 0);
    if s.saved > 0 || s.unlogged > 0 || !video_empty {
        return false;
    }
    let only_onsets = axvs_log::read_log(log).is_ok_and(|l| l.entries.iter().all(|e| e.is_onset()));
    if !only_onsets {
        return false;
    }
    if let Some(video) = stop.video.take() {
        let files: Vec<PathBuf> = match video.segments.as_slice() {
            [] => vec![video.path],
            segments => segments.iter().map(|s| s.path.clone()).collect(),
        };
        for file in files {
            let _ = std::fs::remove_file(file);
        }
    }
    let _ = std::fs::remove_file(log);
    if let Some(sidecar) = axvs_log::device::find_sidecar(log_dir, id)
        && std::fs::metadata(&sidecar).is_ok_and(|m| m.len() <= axvs_log::device::MAGIC.len() as u64)
    {
        let _ = std::fs::remove_file(sidecar);
    }
    true
}

/// Makes a camera's counts agree with its reconciled video: logged frames the video does not hold were not
/// saved (they count as lost to the encoder), and the video holds what reconciling it found.
fn settle_counts(stop: &mut StopReport, recovered: &crate::recovery::Recovered) {
    let lost: u64 = recovered.runs.iter().map(|(_, run)| run.lost() as u64).sum();
    let status = &mut stop.status;
    let moved = status.saved.min(lost);
    status.saved -= moved;
    status.dropped.encoder_error += moved;
    if let (Some(video), Some((_, last))) = (stop.video.as_mut(), recovered.runs.last()) {
        video.frames = last.in_video as u64;
    }
}

/// Closes the log, writes each camera's archive and gathers the report. `failures` come first (why the
/// session stopped early, when it did).
pub(super) fn finish(
    rig: String,
    dirs: &SessionDirs,
    shared: bool,
    sink: &FileLogSink,
    cameras: Vec<Stopped>,
    mut failures: Vec<String>,
    progress: &mut dyn FnMut(Progress),
) -> SessionReport {
    if let Err(e) = sink.close() {
        failures.push(format!("timestamp log: {e}"));
    }
    let total = cameras.len();
    let mut reports = Vec::with_capacity(total);
    for (done, mut cam) in cameras.into_iter().enumerate() {
        let log = sink.log_path(cam.id);
        // A camera that saved nothing leaves nothing: no empty video, log or archive.
        let discarded = discard_empty(&mut cam.stop, &log, &dirs.log, cam.id);
        // A camera whose log failed has frames in its video without an entry, and one whose encoder or file
        // failed (a full disk tears the last fragment) logged frames its video may not hold: the archive is
        // reconciled with the video (as `axvs recover` does), and the counts with it, so that the archive,
        // `saved` and `video_frames` are exactly what the video holds.
        // A log without entries: the camera never logged its onset (its own error says why), so there is no archive.
        let logged = !discarded && axvs_log::file::holds_entries(&log);
        let video_failed = cam
            .stop
            .errors
            .iter()
            .any(|e| matches!(e, SystemError::Encoder { .. } | SystemError::Thread { .. }));
        let archived = match (logged, cam.stop.status.unlogged > 0 || video_failed) {
            (false, _) => Ok(None),
            (true, false) => npz::export_log(&log, &dirs.log).map(Some).map_err(|e| e.to_string()),
            (true, true) => crate::recovery::recover_log(&dirs.session, &log, &dirs.log)
                .map(|r| {
                    settle_counts(&mut cam.stop, &r);
                    r.archive
                })
                .map_err(|e| e.to_string()),
        };
        let archive = archived.unwrap_or_else(|e| {
            failures.push(format!(
                "camera {} '{}': archive: {e} (`axvs recover {}` writes it later, with --out-dir if this disk is full)",
                cam.id,
                cam.name,
                dirs.session.display()
            ));
            None
        });
        let errors: Vec<String> = cam.stop.errors.iter().map(ToString::to_string).collect();
        failures.extend(errors.iter().cloned());
        let video = cam.stop.video.as_ref();
        let state = match (cam.stop.status.state, errors.first()) {
            (_, Some(error)) => format!("failed: {error}"),
            (axvs_core::SystemState::Ended, None) => "ended: its source had no more frames".into(),
            _ => "stopped".into(),
        };
        let series = logged.then(|| axvs_log::stats::inputs::load_file(&log).ok()).flatten();
        reports.push(CameraReport {
            first_frame_utc_us: series.as_ref().and_then(|s| s.times.first().copied()),
            device_clock: series.as_ref().and_then(|s| s.clock_report()),
            state,
            backend: cam.backend,
            status: cam.stop.status.clone(),
            video: video.map(|v| v.path.clone()),
            video_frames: video.map(|v| v.frames),
            video_bytes: video.map(|v| v.bytes),
            segments: video.map(|v| v.segments.clone()).unwrap_or_default(),
            video_sha256: video.and_then(|v| v.sha256.clone()),
            log: (!discarded).then_some(log),
            archive,
            first_frame_ms: cam.first_frame_ms,
            errors,
        });
        progress(Progress {
            done: total + done + 1,
            total: 2 * total,
            message: format!("camera {} '{}': archive written", cam.id, cam.name),
        });
    }
    let mut report = SessionReport {
        rig,
        bags: dirs.bags.clone(),
        session_dir: dirs.session.clone(),
        log_dir: dirs.log.clone(),
        cameras: reports,
        failures,
    };
    // Beside the logs, where `axvs stats` finds each camera's counters: the session's, or, in directories
    // shared with other recordings, each camera's own.
    let names = if shared {
        report.cameras.iter().map(|c| camera_report_name(c.status.id)).collect()
    } else {
        vec![REPORT_FILE.to_string()]
    };
    for name in names {
        let beside = dirs.log.join(name);
        if let Err(e) = report.write_json(&beside) {
            report.failures.push(format!("report {}: {e}", beside.display()));
        }
    }
    report
}
