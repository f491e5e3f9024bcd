//! Where each camera's video goes, and its encoder.

use std::path::PathBuf;

use axvs_core::{CameraInfo, Encoder, EncoderError, EncoderFactory};

use super::codec::check_settings;
use crate::{EncodeError, EncoderSettings, SegmentedEncoder};

/// Creates encoders writing `<output_dir>/<id:03d>.<ext>`, continued in `<id:03d>_002.<ext>`, ... when the
/// settings split the video into segments, or saving paused for long (see [`SegmentedEncoder`]).
#[derive(Debug, Clone)]
pub struct FfmpegEncoderFactory {
    settings: EncoderSettings,
    output_dir: PathBuf,
}

impl FfmpegEncoderFactory {
    /// Checks the settings now (not when the camera starts) and returns the factory.
    pub fn new(settings: EncoderSettings, output_dir: impl Into<PathBuf>) -> Result<Self, EncodeError> {
        check_settings(&settings)?;
        Ok(FfmpegEncoderFactory {
            settings,
            output_dir: output_dir.into(),
        })
    }

    /// The file a source's video goes to: `<id:03d>.<ext>`, or `<id:03d>-2.<ext>`, `-3`, ... when a
    /// restarted source already wrote the first (recordings are never overwritten).
    pub fn video_path(&self, source_id: u8) -> PathBuf {
        let ext = self.settings.container().extension();
        let first = self.output_dir.join(format!("{source_id:03}.{ext}"));
        if !first.exists() {
            return first;
        }
        (2u32..)
            .map(|n| self.output_dir.join(format!("{source_id:03}-{n}.{ext}")))
            .find(|p| !p.exists())
            .unwrap_or(first)
    }

    /// The settings.
    pub fn settings(&self) -> &EncoderSettings {
        &self.settings
    }
}

impl EncoderFactory for FfmpegEncoderFactory {
    fn create(&self, source_id: u8, camera: &CameraInfo) -> Result<Box<dyn Encoder>, EncoderError> {
        let encoder = SegmentedEncoder::create(&self.settings, &self.video_path(source_id), camera)?;
        Ok(Box::new(encoder))
    }
}
