//! The FFmpeg encoder: in-process libavcodec + libavformat, one file per camera.
//!
//! Here the libraries' setup; what this FFmpeg can encode, with which options, in `codec.rs`; camera pixels
//! into encoder pictures in `convert.rs`; frames into a crash-safe file in `encoder.rs`, hashed as it is written in `hashed_io.rs`; where each camera's
//! file goes in `factory.rs`.

mod codec;
mod convert;
mod encoder;
mod factory;
mod hashed_io;

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
        let mut quiet = lock_quiet();
        match quiet.silenced {
            // Set while silenced: the level comes back when the last silence ends.
            0 => ff::util::log::set_level(level),
            _ => quiet.level = level,
        }
    });
}

/// How many [`QuietLog`]s live (in any thread), and the level they restore.
struct Quiet {
    silenced: usize,
    level: ff::util::log::Level,
}

static QUIET: std::sync::Mutex<Quiet> = std::sync::Mutex::new(Quiet {
    silenced: 0,
    level: ff::util::log::Level::Error,
});

fn lock_quiet() -> std::sync::MutexGuard<'static, Quiet> {
    // The guarded data is two plain values, whole whatever a panicking holder did.
    QUIET.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Silences FFmpeg's own log while it lives, then restores the level. Silences overlap across threads: the
/// level comes back when the last ends (the first one's saved level, never another's silence).
pub(crate) struct QuietLog(());

impl QuietLog {
    pub(crate) fn new() -> Self {
        let mut quiet = lock_quiet();
        if quiet.silenced == 0 {
            quiet.level = ff::util::log::get_level().unwrap_or(ff::util::log::Level::Error);
            ff::util::log::set_level(ff::util::log::Level::Quiet);
        }
        quiet.silenced += 1;
        QuietLog(())
    }
}

impl Drop for QuietLog {
    fn drop(&mut self) {
        let mut quiet = lock_quiet();
        quiet.silenced = quiet.silenced.saturating_sub(1);
        if quiet.silenced == 0 {
            ff::util::log::set_level(quiet.level);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_silences_restore_the_level_of_before_the_first() {
        init();
        let before = ff::util::log::get_level().ok();
        let first = QuietLog::new();
        let second = QuietLog::new();
        assert_eq!(ff::util::log::get_level().ok(), Some(ff::util::log::Level::Quiet));
        // The first ends before the second (two threads' silences overlapping): still quiet, then back.
        drop(first);
        assert_eq!(ff::util::log::get_level().ok(), Some(ff::util::log::Level::Quiet));
        drop(second);
        assert_eq!(
            ff::util::log::get_level().ok(),
            before,
            "not left silenced by the second"
        );
    }
}
