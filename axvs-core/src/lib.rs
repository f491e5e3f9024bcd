//! Core of axvs: the [`Camera`], [`Encoder`] and [`LogSink`] traits, pooled [`Frame`] buffers, the built-in
//! [`SyntheticCamera`], and [`VideoSystem`], which moves frames from a camera through a bounded queue into an
//! encoder and logs the acquisition time of every saved frame.
//!
//! This crate depends on no camera SDK and no FFmpeg: backends (`axvs-camera-*`), encoders (`axvs-encode`)
//! and log writers (`axvs-log`) implement its traits.
//!
//! Acquire from a synthetic camera without saving, and read the figures:
//!
//! ```
//! use std::sync::Arc;
//! use axvs_core::{NullLogSink, SyntheticCamera, SyntheticConfig, SystemConfig, VideoSystem};
//!
//! let camera = SyntheticCamera::new(SyntheticConfig { fps: 200.0, ..Default::default() });
//! let mut system = VideoSystem::new(SystemConfig::new(7, "bench"), Box::new(camera), None, Arc::new(NullLogSink));
//! system.start().unwrap();
//! while system.status().acquired < 5 {
//!     std::thread::yield_now();
//! }
//! let report = system.stop();
//! assert!(report.errors.is_empty());
//! assert_eq!(report.status.dropped.saving_off, report.status.acquired); // no encoder: nothing saved
//! ```

mod backend;
mod camera;
pub mod conformance;
mod encoder;
mod files;
mod frame;
mod log;
mod mailbox;
mod pixel;
pub mod priority;
pub mod status;
pub mod synthetic;
mod system;
mod units;

pub use backend::{
    BackendRegistry, BackendSettings, CameraBackend, CameraConfig, DiscoverOptions, DiscoveredCamera, DuplicateBackend,
    SettingsError,
};
pub use camera::{Camera, CameraError, CameraIdentity, CameraInfo, FrameShape, GrabInfo};
pub use encoder::{EncodeSummary, Encoder, EncoderError, EncoderFactory};
pub use files::{read_regular_file, read_text_file, sync_folder_of, write_yaml_document, MAX_TEXT_FILE_BYTES};
pub use frame::{Frame, FrameMeta, FramePool, PoolBuffer};
pub use log::{utc_now_us, LogError, LogSink, NullLogSink};
pub use mailbox::FrameMailbox;
pub use pixel::{PixelFormat, UnknownPixelFormat};
pub use status::{DropCounts, DropReason, SystemEvent, SystemState, SystemStatus};
pub use synthetic::{
    decode_counter, SyntheticBackend, SyntheticCamera, SyntheticConfig, SYNTHETIC_BUFFERS, SYNTHETIC_PERIOD,
};
pub use system::{OverflowPolicy, StopReport, SystemConfig, SystemError, VideoSystem};
pub use units::{Dimension, Offset, Positive};

/// Frames a camera driver's ring of buffers holds when nothing says otherwise: the GenICam backends' stream
/// buffers by default, and the ring the synthetic camera imitates.
pub const DEFAULT_DRIVER_BUFFERS: usize = 16;
