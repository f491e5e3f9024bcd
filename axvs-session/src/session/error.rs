//! Why a session could not start, or could not be driven as asked.

use axvs_core::{CameraError, SystemError};

use super::SessionReport;
use crate::space::LowSpace;

/// Why a [`Session`](super::Session) call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// An argument or the rig asks for something impossible (bad input: `axvs` exits with 2).
    #[error("{0}")]
    Invalid(String),
    /// A camera could not be opened.
    #[error("camera {id} '{name}': {source} (camera defined at {location})")]
    Open {
        /// Its source id.
        id: u8,
        /// Its name.
        name: String,
        /// Where the rig defines it.
        location: String,
        /// Why.
        source: CameraError,
    },
    /// A camera's encoder could not be prepared.
    #[error("camera {id} '{name}': {source}")]
    Encoder {
        /// Its source id.
        id: u8,
        /// Its name.
        name: String,
        /// Why.
        source: axvs_encode::EncodeError,
    },
    /// A disk already holds less free space than the rig keeps.
    #[error("cannot start: {0}; free some space, or lower min_free_space in the rig")]
    LowSpace(#[source] LowSpace),
    /// Stopped by a signal before any file was written.
    #[error("interrupted before recording started; nothing was written")]
    Interrupted,
    /// A directory or file could not be made.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The timestamp log or the manifest could not be created.
    #[error(transparent)]
    Log(#[from] axvs_log::LogFileError),
    /// A camera failed to start: the cameras that did start were stopped and their files finished, as the
    /// report says.
    #[error("{source}")]
    Start {
        /// Why the camera failed.
        source: SystemError,
        /// What was written before the failure.
        report: Box<SessionReport>,
    },
    /// No camera of the session has this id.
    #[error("no camera {id} in this session (cameras: {available})")]
    UnknownCamera {
        /// The id asked for.
        id: u8,
        /// The ids there are.
        available: String,
    },
}

impl SessionError {
    /// True when the caller's input was at fault, not the machine or a camera.
    pub fn is_bad_input(&self) -> bool {
        matches!(self, SessionError::Invalid(_) | SessionError::UnknownCamera { .. })
    }
}
