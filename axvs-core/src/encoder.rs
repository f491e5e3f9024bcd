//! The `Encoder` trait: frames in, a finished video file out.

use std::path::{Path, PathBuf};

use crate::{CameraInfo, Frame};

/// Writes frames to a video file. Each frame's presentation time is its acquisition time
/// ([`crate::FrameMeta::time_us`]).
pub trait Encoder: Send {
    /// Encodes one frame. When this returns `Ok`, the frame is part of the file (a log entry may be written
    /// for it).
    fn encode(&mut self, frame: &Frame) -> Result<(), EncoderError>;

    /// Flushes delayed frames and finalizes the file. Called once; the encoder is not used afterwards.
    fn finish(&mut self) -> Result<EncodeSummary, EncoderError>;

    /// The file being written.
    fn path(&self) -> &Path;
}

/// Makes an encoder for a camera once its resolution and format are known.
pub trait EncoderFactory: Send + Sync {
    /// Creates the encoder for source `source_id` whose camera resolved to `camera`.
    fn create(&self, source_id: u8, camera: &CameraInfo) -> Result<Box<dyn Encoder>, EncoderError>;
}

/// What an encoder wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct EncodeSummary {
    /// The video file (the first, when the video is split into several).
    pub path: PathBuf,
    /// Frames in the file (in all of them).
    pub frames: u64,
    /// Bytes of the file (of all of them).
    pub bytes: u64,
    /// Every file, in order, when the encoder splits its video into segments; empty for a single file.
    pub segments: Vec<EncodeSummary>,
    /// The SHA-256 of the file (one file: a segment's, or a video of one file), computed from its bytes as
    /// they were written, when every byte was written once, in order (lowercase hexadecimal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// Why encoding failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EncoderError {
    /// The settings cannot work with this machine or this camera.
    #[error("encoder configuration: {0}")]
    Config(String),
    /// The output file cannot be created or written.
    #[error("output file {path}: {reason}")]
    Output {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The codec rejected a frame or failed.
    #[error("encoding failed: {0}")]
    Encode(String),
}
