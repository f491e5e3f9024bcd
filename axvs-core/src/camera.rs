//! The `Camera` trait every backend implements.

use serde::Serialize;

use crate::PixelFormat;

/// What a camera resolved to after [`Camera::open`]: the values it really uses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CameraInfo {
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Nominal frame rate in frames per second; never 0 (backends measure or require it).
    pub fps: f64,
    /// Layout of the frames [`Camera::grab`] writes.
    pub pixel_format: PixelFormat,
    /// Who the camera is.
    pub identity: CameraIdentity,
}

impl CameraInfo {
    /// Bytes of one frame.
    pub fn frame_size(&self) -> usize {
        self.shape().frame_size()
    }

    /// The frames' size and layout.
    pub fn shape(&self) -> FrameShape {
        FrameShape {
            width: self.width,
            height: self.height,
            pixel_format: self.pixel_format,
        }
    }
}

/// The size and layout of a camera's frames.
///
/// ```
/// use axvs_core::{FrameShape, PixelFormat};
/// let shape = FrameShape { width: 640, height: 480, pixel_format: PixelFormat::Bgr8 };
/// assert_eq!(shape.frame_size(), 640 * 480 * 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameShape {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel layout.
    pub pixel_format: PixelFormat,
}

impl FrameShape {
    /// Bytes of one frame.
    pub fn frame_size(&self) -> usize {
        self.pixel_format.frame_size(self.width, self.height)
    }
}

/// Identity of a camera, as far as its backend knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CameraIdentity {
    /// Backend name, e.g. `synthetic`, `opencv`, `genicam`.
    pub backend: String,
    /// Vendor, when known.
    pub vendor: Option<String>,
    /// Model, when known.
    pub model: Option<String>,
    /// Serial number, when known.
    pub serial: Option<String>,
    /// Backend-specific address (index, path, URL, device id).
    pub address: Option<String>,
}

/// What the camera reports with each grabbed frame.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GrabInfo {
    /// The device's own frame (block) id, when it has one.
    pub device_frame_id: Option<u64>,
    /// The device's own timestamp in nanoseconds, when it has one.
    pub device_timestamp_ns: Option<u64>,
    /// Frames the camera lost since the previous grab (id gaps, incomplete or failed buffers).
    pub lost_before: u64,
}

/// A camera that can be opened, started, read and stopped.
///
/// Backends own their device handle; the pipeline calls the methods from one thread at a time, in the order
/// `open` → `start` → `grab`… → `stop`, and may call `start` again after `stop`.
pub trait Camera: Send {
    /// Connects, applies the requested settings and returns what the camera resolved to.
    /// Calling it again on an open camera returns the same information.
    fn open(&mut self) -> Result<CameraInfo, CameraError>;

    /// Starts streaming.
    fn start(&mut self) -> Result<(), CameraError>;

    /// Blocks until the next frame and writes it into `buf`, which holds exactly
    /// [`CameraInfo::frame_size`] bytes. Returns [`CameraError::Timeout`] when no frame came in time
    /// (the caller tries again) and other errors when the camera cannot go on.
    fn grab(&mut self, buf: &mut [u8]) -> Result<GrabInfo, CameraError>;

    /// Stops streaming; the camera stays open.
    fn stop(&mut self) -> Result<(), CameraError>;

    /// Releases the device. Dropping the camera closes it too.
    fn close(&mut self) {}

    /// Whether the camera shows the world as it happens (a device, a stream), rather than replaying a
    /// recording or a bounded sequence (a file, a clip, a synthetic sequence of N frames). A session starts
    /// saving on its live cameras together, once each streams (their frames before are not wanted); any
    /// other camera saves from its first frame, every one of which may matter. The default, `false`, loses
    /// no frame: a backend whose cameras are live says so.
    fn live(&self) -> bool {
        false
    }
}

/// Why a camera operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CameraError {
    /// The device could not be opened.
    #[error("cannot open camera {source_name}: {reason}")]
    Open {
        /// The device, as the user named it.
        source_name: String,
        /// What went wrong.
        reason: String,
    },
    /// A requested setting was refused or changed by the device.
    #[error("camera setting {setting}: {reason}")]
    Setting {
        /// The setting, e.g. `width`.
        setting: String,
        /// What the device did instead.
        reason: String,
    },
    /// The device delivers a format axvs cannot use.
    #[error("unsupported pixel format {0}")]
    UnsupportedFormat(String),
    /// No frame arrived in time; the caller may retry.
    #[error("no frame within the timeout")]
    Timeout,
    /// A frame was lost on the camera or transport side (incomplete or failed buffer); it counts as a
    /// camera-side loss and the caller goes on.
    #[error("frame lost by the camera: {0}")]
    FrameLost(String),
    /// The device stopped delivering (unplugged, stream closed).
    #[error("camera disconnected: {0}")]
    Disconnected(String),
    /// The source has no more frames (a replayed file, a bounded synthetic sequence): a normal end, not a
    /// failure.
    #[error("end of stream")]
    EndOfStream,
    /// An operation was called in the wrong state, e.g. `grab` before `start`.
    #[error("camera not ready: {0}")]
    NotReady(String),
    /// `grab` was given a buffer that is not [`CameraInfo::frame_size`] bytes.
    #[error("frame buffer holds {given} bytes, the camera's frames need {expected}")]
    BufferSize {
        /// Bytes of one frame.
        expected: usize,
        /// Bytes of the buffer given.
        given: usize,
    },
    /// Any other device failure.
    #[error("camera error: {0}")]
    Device(String),
}

impl CameraError {
    /// [`CameraError::BufferSize`] unless `buf` holds exactly `expected` bytes; backends call it first in
    /// `grab`.
    pub fn check_buffer(buf: &[u8], expected: usize) -> Result<(), CameraError> {
        if buf.len() == expected {
            Ok(())
        } else {
            Err(CameraError::BufferSize {
                expected,
                given: buf.len(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_width_times_height_times_its_pixel_size() {
        let info = CameraInfo {
            width: 10,
            height: 4,
            fps: 30.0,
            pixel_format: PixelFormat::Bgr8,
            identity: CameraIdentity::default(),
        };
        assert_eq!(info.frame_size(), 120);
    }
}
