//! In-process video encoding for axvs with FFmpeg's libraries (no `ffmpeg` subprocess): H.264 and H.265 on
//! the CPU (libx264, libx265) or an NVIDIA GPU (NVENC), AV1 (libsvtav1) and lossless FFV1.
//!
//! Files are crash-safe: fragmented MP4 or Matroska whose fragments (clusters) close at least every
//! [`FLUSH_INTERVAL`], handed to the OS at once, so a killed recording leaves a playable file;
//! [`video_frame_times`] reads back which frames a file holds. Each frame's
//! presentation time is its acquisition time in µs, so the file carries the real timing.
//!
//! Record a synthetic camera to a file from Rust, with timestamps discarded:
//!
//! ```no_run
//! use std::sync::Arc;
//! use axvs_core::{NullLogSink, SyntheticCamera, SyntheticConfig, SystemConfig, VideoSystem};
//! use axvs_encode::{EncoderSettings, FfmpegEncoderFactory};
//!
//! let factory = FfmpegEncoderFactory::new(EncoderSettings::default(), "recordings")?;
//! let camera = SyntheticCamera::new(SyntheticConfig::default());
//! let mut system = VideoSystem::new(SystemConfig::new(1, "demo"), Box::new(camera), Some(Arc::new(factory)),
//!     Arc::new(NullLogSink));
//! system.start()?;
//! std::thread::sleep(std::time::Duration::from_secs(1));
//! let report = system.stop();
//! println!("{} frames in {:?}", report.status.saved, report.video.map(|v| v.path));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod ffmpeg;
mod probe;
mod segment;
mod settings;

pub use error::EncodeError;
pub use ffmpeg::{
    available_encoders, check_frames, check_settings, library_versions, try_encoder, try_encoder_for, FfmpegEncoder,
    FfmpegEncoderFactory, FLUSH_INTERVAL,
};
pub use probe::{video_frame_times, video_info, VideoFrameTimes, VideoInfo};
pub use segment::{run_files, segment_files, segment_path, SegmentLimit, SegmentedEncoder, LONG_PAUSE};
pub use settings::{Codec, Container, EncoderSettings, OutputPixelFormat, Preset, Qp, Timing};
