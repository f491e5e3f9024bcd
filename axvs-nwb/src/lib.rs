//! NWB export of axvs sessions: one NWB 2.x file per session, for the DANDI archive and every NWB reader.
//!
//! Each camera becomes an `ImageSeries` in external mode: the file names the session's videos (relative
//! paths, and the first frame of each segment file), and its `timestamps` are each saved frame's acquisition
//! time from the log, in seconds since the session's start (the earliest camera onset): exact to the µs,
//! not a nominal rate; or, with [`TimeBase::Mapped`], each frame's device timestamp mapped onto the host
//! clock (`axvs_log::clock`). The device (backend, vendor, model, serial) and the session's metadata (subject,
//! experimenter, description: the rig's `[session]` table and `--meta`) come from `session.json`.
//!
//! ```no_run
//! use axvs_nwb::TimeBase;
//! let meta = [("species".to_string(), "Mus musculus".to_string())];
//! let session = "recordings/2026-12-06_10-00-00".as_ref();
//! let export = axvs_nwb::export_session(session, None, &meta, TimeBase::Acquisition)?;
//! println!("{} ({} cameras)", export.path.display(), export.cameras.len());
//! # Ok::<(), axvs_nwb::NwbError>(())
//! ```

mod metadata;
mod session;
mod write;

use std::path::{Path, PathBuf};

pub use metadata::{Metadata, DANDI_SUBJECT_KEYS};
pub use session::{CameraSeries, SessionContent};

/// Which of a frame's times an export gives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum TimeBase {
    /// When the host received it: the log's acquisition time (every camera has one).
    #[default]
    Acquisition,
    /// Its device timestamp mapped onto the host clock: the exposure plus the transfer's base latency,
    /// without the host's jitter (only cameras that give device timestamps).
    Mapped,
}

impl std::str::FromStr for TimeBase {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "acquisition" => Ok(TimeBase::Acquisition),
            "mapped" => Ok(TimeBase::Mapped),
            other => Err(format!("'{other}': the time base is acquisition or mapped")),
        }
    }
}

impl std::fmt::Display for TimeBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimeBase::Acquisition => "acquisition",
            TimeBase::Mapped => "mapped",
        })
    }
}

/// The NWB schema version the files follow.
pub const NWB_VERSION: &str = "2.11.0";

/// Why a session could not be exported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NwbError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A log or archive could not be read (or is not reconciled with its video yet).
    #[error(transparent)]
    Log(#[from] axvs_log::LogFileError),
    /// A video could not be read.
    #[error("{}: {source}", path.display())]
    Video {
        /// The file.
        path: PathBuf,
        /// Why.
        source: axvs_encode::EncodeError,
    },
    /// A camera's videos and log disagree: its frames could not be given their times.
    #[error("camera {id}: its videos hold {in_videos} frames, its log {logged}: run `axvs recover` on the session")]
    Disagrees {
        /// The camera.
        id: u8,
        /// Frames in its video files.
        in_videos: u64,
        /// Frames in its log.
        logged: u64,
    },
    /// Mapped times were asked for a camera without them (bad input).
    #[error(
        "camera {id}: {missing} of {frames} frames have no mapped time ({why}); export with the acquisition time base"
    )]
    NotMapped {
        /// The camera.
        id: u8,
        /// Frames without a mapped time.
        missing: usize,
        /// Its frames.
        frames: usize,
        /// Why (what its device clock report says).
        why: String,
    },
    /// Nothing to export (bad input).
    #[error("{}: {reason}", path.display())]
    NotASession {
        /// The folder given.
        path: PathBuf,
        /// Why it is not one.
        reason: String,
    },
    /// The output exists: files are never replaced (bad input).
    #[error("{}: exists; axvs does not overwrite files (remove it, or give another --output)", .0.display())]
    Exists(PathBuf),
    /// HDF5 refused a write.
    #[error("writing {}: {what}: {source}", path.display())]
    Hdf5 {
        /// The NWB file.
        path: PathBuf,
        /// What was being written.
        what: String,
        /// HDF5's error.
        source: hdf5::Error,
    },
}

impl NwbError {
    /// True when the user's input was at fault.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            NwbError::NotASession { .. } | NwbError::Exists(_) | NwbError::NotMapped { .. }
        )
    }
}

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct Export {
    /// The NWB file.
    pub path: PathBuf,
    /// Each camera's series.
    pub cameras: Vec<CameraSeries>,
    /// The subject fields DANDI requires that the session's metadata lacks (give them with `--meta` or the
    /// rig's `[session]` table).
    pub missing_for_dandi: Vec<&'static str>,
}

/// Exports the session in `session` (its folder, or its `data/`) to `output` (default: `<session>.nwb` in
/// the session's folder, beside `data/`, so that a sealed session stays as sealed), with `extra` metadata
/// over the session's own (a subject's details known only after recording, say), each frame at its time
/// in `time`.
pub fn export_session(
    session: &Path,
    output: Option<&Path>,
    extra: &[(String, String)],
    time: TimeBase,
) -> Result<Export, NwbError> {
    let mut content = SessionContent::read(session)?;
    if time == TimeBase::Mapped {
        content.use_mapped_times()?;
    }
    content.metadata.0.extend(extra.iter().cloned());
    let path = match output {
        Some(path) => path.to_path_buf(),
        None => content.folder.join(format!("{}.nwb", content.name)),
    };
    if path.exists() {
        return Err(NwbError::Exists(path));
    }
    write::write_new(&content, &path)?;
    Ok(Export {
        path,
        missing_for_dandi: content.metadata.missing_for_dandi(),
        cameras: content.cameras,
    })
}
