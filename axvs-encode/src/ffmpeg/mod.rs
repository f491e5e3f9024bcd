//! The FFmpeg encoder: in-process libavcodec + libavformat, one file per camera.
//!
//! Here the libraries' setup; what this FFmpeg can encode, with which options, in `codec.rs`; camera pixels
//! into encoder pictures in `convert.rs`; frames into a crash-safe file in `encoder.rs`; where each camera's
//! file goes in `factory.rs`.

mod codec;
mod convert;
mod encoder;
mod factory;

use std::sync::Once;

use ff::Rational;
use ffmpeg_next as ff;

pub use codec::{available_encoders, check_frames, check_settings, library_versions, try_encoder, try_encoder_for};
pub use encoder::{FfmpegEncoder, FLUSH_INTERVAL};
pub use factory::FfmpegEncoderFactory;

/// Presentation timestamps are acquisition times in microseconds.
const TIME_BASE: Rational = Rational(1, 1_000_000);

/// Sets FFmpeg up once per process; `AXVS_FFMPEG_LOG` sets how much the libraries themselves print.
pub(crate) fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // Registration cannot fail on FFmpeg >= 4; libraries print only errors.
        let _ = ff::init();
        // AXVS_FFMPEG_LOG=info|verbose|debug shows the libraries' own messages.
        let level = match std::env::var("AXVS_FFMPEG_LOG").as_deref() {
            Ok("warning") => ff::util::log::Level::Warning,
            Ok("info") => ff::util::log::Level::Info,
            Ok("verbose") => ff::util::log::Level::Verbose,
            Ok("debug") => ff::util::log::Level::Debug,
            _ => ff::util::log::Level::Error,
        };
        ff::util::log::set_level(level);
    });
}

/// Silences FFmpeg's own log while it lives, then restores the level.
pub(crate) struct QuietLog(ff::util::log::Level);

impl QuietLog {
    pub(crate) fn new() -> Self {
        let level = ff::util::log::get_level().unwrap_or(ff::util::log::Level::Error);
        ff::util::log::set_level(ff::util::log::Level::Quiet);
        QuietLog(level)
    }
}

impl Drop for QuietLog {
    fn drop(&mut self) {
        ff::util::log::set_level(self.0);
    }
}
