//! How a video system fails, and what it hands back when it stops.

use crate::status::SystemStatus;
use crate::{CameraError, EncodeSummary, EncoderError, LogError};

/// Why a video system failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SystemError {
    /// The camera failed.
    #[error("camera {id} '{name}': {source}")]
    Camera {
        /// Source id.
        id: u8,
        /// Camera name.
        name: String,
        /// The camera's error.
        source: CameraError,
    },
    /// The encoder failed.
    #[error("camera {id} '{name}': {source}")]
    Encoder {
        /// Source id.
        id: u8,
        /// Camera name.
        name: String,
        /// The encoder's error.
        source: EncoderError,
    },
    /// The log sink failed.
    #[error("camera {id} '{name}': {source}")]
    Log {
        /// Source id.
        id: u8,
        /// Camera name.
        name: String,
        /// The sink's error.
        source: LogError,
    },
    /// A worker thread could not start or panicked.
    #[error("camera {id} '{name}': worker thread: {message}")]
    Thread {
        /// Source id.
        id: u8,
        /// Camera name.
        name: String,
        /// What happened.
        message: String,
    },
}

impl SystemError {
    pub(super) fn part(&self) -> &'static str {
        match self {
            SystemError::Camera { .. } => "camera",
            SystemError::Encoder { .. } => "encoder",
            SystemError::Log { .. } => "log",
            SystemError::Thread { .. } => "thread",
        }
    }
}

/// What `stop()` hands back: final figures, the finished file and every error the workers hit.
#[derive(Debug, Clone)]
pub struct StopReport {
    /// The final status snapshot.
    pub status: SystemStatus,
    /// The finished video file, when one was written.
    pub video: Option<EncodeSummary>,
    /// Errors, in the order they happened.
    pub errors: Vec<SystemError>,
}

impl StopReport {
    /// `Err` with the first error when a worker failed.
    pub fn result(&self) -> Result<(), SystemError> {
        match self.errors.first() {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}
