//! Errors of the encoding crate.

use std::path::PathBuf;

/// Why an encoder could not be configured or could not write.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EncodeError {
    /// A setting has a value outside what is allowed.
    #[error("invalid {setting} '{value}' (allowed: {allowed})")]
    Invalid {
        /// The setting.
        setting: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        allowed: &'static str,
    },
    /// The FFmpeg on this machine lacks the encoder.
    #[error("encoder {encoder} is not available in this machine's FFmpeg (available: {available})")]
    Unavailable {
        /// The missing encoder.
        encoder: String,
        /// Encoders axvs can use here.
        available: String,
    },
    /// The combination of settings cannot work.
    #[error("{0}")]
    Unsupported(String),
    /// The output file exists already: axvs never overwrites a recording.
    #[error("refusing to overwrite existing recording {0} (move it or choose another output directory)")]
    Exists(PathBuf),
    /// The output file or its directory cannot be created.
    #[error("cannot create {path}: {reason}")]
    Create {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A finished file could not be written through to the disk.
    #[error("cannot sync {path} to disk: {reason}")]
    Sync {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// An FFmpeg call failed.
    #[error("{context}: {message}")]
    Ffmpeg {
        /// What axvs was doing.
        context: String,
        /// FFmpeg's message.
        message: String,
    },
}

impl EncodeError {
    pub(crate) fn invalid(setting: &'static str, value: impl ToString, allowed: &'static str) -> Self {
        EncodeError::Invalid {
            setting,
            value: value.to_string(),
            allowed,
        }
    }

    pub(crate) fn ffmpeg(context: impl Into<String>, error: ffmpeg_next::Error) -> Self {
        EncodeError::Ffmpeg {
            context: context.into(),
            message: error.to_string(),
        }
    }
}

impl From<EncodeError> for axvs_core::EncoderError {
    fn from(e: EncodeError) -> Self {
        match e {
            EncodeError::Create { path, reason } => axvs_core::EncoderError::Output { path, reason },
            EncodeError::Ffmpeg { .. } => axvs_core::EncoderError::Encode(e.to_string()),
            other => axvs_core::EncoderError::Config(other.to_string()),
        }
    }
}
