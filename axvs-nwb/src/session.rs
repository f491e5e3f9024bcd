//! What an NWB export reads of a session: its cameras' frame times (the reconciled truth), their video
//! files and where each begins, their devices and the session's metadata.

use std::path::{Path, PathBuf};

use axvs_log::bag::{payload_dir, session_bag_of};
use axvs_log::manifest::{self, MANIFEST_FILE};

use crate::{Metadata, NwbError};

/// `session.json`, beside the videos.
const PROVENANCE_FILE: &str = "session.json";

/// One camera's series: its frames' times and the files that hold them.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraSeries {
    /// Source id.
    pub id: u8,
    /// Name in the rig.
    pub name: String,
    /// What the device is: backend, vendor, model, settings.
    pub device_description: String,
    /// The device's serial number, when known.
    pub serial: Option<String>,
    /// µs since the UNIX epoch of every saved frame, in video order.
    pub frame_times_us: Vec<u64>,
    /// The earliest onset of its runs, µs since the UNIX epoch.
    pub onset_us: u64,
    /// Its video files, in order, each with the index of its first frame among all.
    pub files: Vec<(PathBuf, u64)>,
}

/// A session as an export reads it.
#[derive(Debug, Clone)]
pub struct SessionContent {
    /// The session's folder (the bag, for a session in `data/`).
    pub folder: PathBuf,
    /// Its name (the folder's).
    pub name: String,
    /// Its metadata.
    pub metadata: Metadata,
    /// Each camera that saved frames, in id order.
    pub cameras: Vec<CameraSeries>,
    /// Which of each frame's times `frame_times_us` holds.
    pub time_base: crate::TimeBase,
    /// Where its logs are.
    logs: PathBuf,
}

impl SessionContent {
    /// Reads the session in `given` (its folder, or its `data/`).
    pub fn read(given: &Path) -> Result<SessionContent, NwbError> {
        let not_a_session = |reason: String| NwbError::NotASession {
            path: given.to_path_buf(),
            reason,
        };
        let payload = payload_dir(given);
        let folder = session_bag_of(&payload).unwrap_or(&payload).to_path_buf();
        let provenance = read_provenance(&payload)?;
        // The logs, manifest and archives: beside the videos, or where the rig's `log_dir` put them.
        let logs = match provenance.pointer("/resolved/log_dir").and_then(|d| d.as_str()) {
            Some(dir) if !payload.join(MANIFEST_FILE).is_file() => PathBuf::from(dir),
            _ => payload.clone(),
        };
        let manifest_path = logs.join(MANIFEST_FILE);
        if !manifest_path.is_file() {
            return Err(not_a_session(format!("no {MANIFEST_FILE}: not an axvs session")));
        }
        let sources = manifest::read(&manifest_path)?.sources;
        let metadata = Metadata(
            provenance
                .get("metadata")
                .and_then(|m| serde_json::from_value(m.clone()).ok())
                .unwrap_or_default(),
        );
        let mut cameras = Vec::new();
        for source in sources {
            let Some(entries) = camera_entries(&logs, source.id)? else {
                continue;
            };
            let runs = runs_of(&entries)?;
            let resolved = provenance
                .pointer("/resolved/cameras")
                .and_then(|c| c.as_array())
                .and_then(|c| c.iter().find(|c| c["id"].as_u64() == Some(u64::from(source.id))));
            let mut series = CameraSeries {
                id: source.id,
                name: source.name.clone(),
                device_description: device_description(source.id, &source.name, resolved),
                serial: resolved
                    .and_then(|c| c.pointer("/device/serial"))
                    .and_then(|s| s.as_str())
                    .map(str::to_string),
                frame_times_us: Vec::new(),
                onset_us: runs.iter().map(|r| r.onset_utc_us).min().unwrap_or(0),
                files: Vec::new(),
            };
            for (index, run) in runs.iter().enumerate() {
                let mut in_videos = 0;
                for file in axvs_encode::run_files(&payload, source.id, index + 1) {
                    let frames = axvs_encode::video_frame_times(&file)
                        .map_err(|source| NwbError::Video {
                            path: file.clone(),
                            source,
                        })?
                        .times_us
                        .len() as u64;
                    series
                        .files
                        .push((file, series.frame_times_us.len() as u64 + in_videos));
                    in_videos += frames;
                }
                if in_videos != run.frame_times_us.len() as u64 {
                    return Err(NwbError::Disagrees {
                        id: source.id,
                        in_videos,
                        logged: run.frame_times_us.len() as u64,
                    });
                }
                series.frame_times_us.extend(&run.frame_times_us);
            }
            if !series.frame_times_us.is_empty() {
                cameras.push(series);
            }
        }
        if cameras.is_empty() {
            return Err(not_a_session("no camera saved a frame".into()));
        }
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "session".into());
        Ok(SessionContent {
            folder,
            name,
            metadata,
            cameras,
            time_base: crate::TimeBase::Acquisition,
            logs,
        })
    }

    /// Gives every camera's frames their mapped times (device timestamps on the host clock) instead of
    /// their acquisition times, as `axvs stats` and `axvs process` read them; refused for a camera with a
    /// frame that has none. The session's start stays the earliest onset.
    pub fn use_mapped_times(&mut self) -> Result<(), NwbError> {
        for camera in &mut self.cameras {
            let Some(file) = camera_file(&self.logs, camera.id)? else {
                continue;
            };
            let series = axvs_log::stats::inputs::load_file(&file)?;
            if series.times != camera.frame_times_us {
                return Err(NwbError::Disagrees {
                    id: camera.id,
                    in_videos: camera.frame_times_us.len() as u64,
                    logged: series.times.len() as u64,
                });
            }
            let mapped: Option<Vec<u64>> = series.mapped.iter().copied().collect();
            let Some(mapped) = mapped.filter(|m| m.len() == series.times.len()) else {
                let missing = series.mapped.iter().filter(|m| m.is_none()).count();
                let why = series
                    .clock_report()
                    .and_then(|r| r.problem)
                    .unwrap_or_else(|| "the camera gave no device timestamps".into());
                return Err(NwbError::NotMapped {
                    id: camera.id,
                    missing: missing.max(series.times.len() - series.mapped.len()),
                    frames: series.times.len(),
                    why,
                });
            };
            camera.frame_times_us = mapped;
        }
        self.time_base = crate::TimeBase::Mapped;
        Ok(())
    }

    /// The session's start: its earliest camera onset, µs since the UNIX epoch.
    pub fn start_us(&self) -> u64 {
        self.cameras.iter().map(|c| c.onset_us).min().unwrap_or(0)
    }
}

/// `session.json` as JSON (an empty object for a session without one).
fn read_provenance(payload: &Path) -> Result<serde_json::Value, NwbError> {
    let path = payload.join(PROVENANCE_FILE);
    if !path.is_file() {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    let text = std::fs::read_to_string(&path).map_err(|source| NwbError::Io {
        path: path.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| NwbError::Io {
        path,
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })
}

/// Camera `id`'s entries from the reconciled truth: its archive, or its raw log when the session's report
/// says the camera finished cleanly (see [`axvs_log::truth`]); `None` when it left neither (it saved no
/// frame).
fn camera_entries(payload: &Path, id: u8) -> Result<Option<Vec<axvs_log::LogEntry>>, NwbError> {
    match camera_file(payload, id)? {
        Some(file) => Ok(Some(axvs_log::read_any(&file)?)),
        None => Ok(None),
    }
}

/// Camera `id`'s file of the reconciled truth (see [`camera_entries`]).
fn camera_file(payload: &Path, id: u8) -> Result<Option<PathBuf>, NwbError> {
    let log = payload.join(axvs_log::log_file_name(id));
    let archive = payload.join(axvs_log::npz::archive_name(id));
    Ok(match (archive.is_file(), log.is_file()) {
        (true, _) => Some(archive),
        (false, true) => Some(axvs_log::truth::file_to_read(&log)?),
        (false, false) => None,
    })
}

fn runs_of(entries: &[axvs_log::LogEntry]) -> Result<Vec<axvs_log::timestamps::Run>, NwbError> {
    let mut runs = axvs_log::timestamps::Runs::default();
    for entry in entries {
        runs.push(entry.as_ref())?;
    }
    Ok(runs.finish()?)
}

/// `camera 1 'front': synthetic 640x480 30 fps mono8 (Acme Cam-1)`, from what `session.json` says.
fn device_description(id: u8, name: &str, resolved: Option<&serde_json::Value>) -> String {
    let text = |pointer: &str| resolved.and_then(|c| c.pointer(pointer)).and_then(|v| v.as_str());
    let mut description = format!("camera {id} '{name}'");
    if let Some(settings) = text("/settings") {
        description.push_str(&format!(": {settings}"));
    }
    let made: Vec<&str> = [text("/device/vendor"), text("/device/model")]
        .into_iter()
        .flatten()
        .collect();
    if !made.is_empty() {
        description.push_str(&format!(" ({})", made.join(" ")));
    }
    description
}
