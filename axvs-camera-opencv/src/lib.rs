//! The OpenCV camera backend of axvs, over Debian's libopencv: webcams by index (V4L2 and friends), device
//! paths, video files (replayed at their frame rate), network URLs and GStreamer pipelines, all as one
//! [`axvs_core::Camera`]; and camera discovery.
//!
//! Record a GStreamer test source:
//!
//! ```no_run
//! use axvs_camera_opencv::{OpenCvCamera, OpenCvConfig, OpenCvSource};
//! use axvs_core::Camera;
//!
//! let mut camera = OpenCvCamera::new(OpenCvConfig::new(OpenCvSource::Pipeline(
//!     "videotestsrc is-live=true ! video/x-raw,format=BGR,width=320,height=240,framerate=30/1 ! appsink".into(),
//! )));
//! let info = camera.open()?;
//! assert_eq!((info.width, info.height), (320, 240));
//! # Ok::<(), axvs_core::CameraError>(())
//! ```

mod backend;
mod camera;
mod discovery;

pub use backend::OpenCvBackend;
pub use camera::{OpenCvCamera, OpenCvConfig, OpenCvSource};
pub use discovery::{discover, runtime_versions, ProbedIndex};

/// Turns OpenCV's own console logging off (it prints warnings for every failed open or probe).
pub fn silence_opencv_logs() {
    let _ = opencv::core::set_log_level(opencv::core::LogLevel::LOG_LEVEL_SILENT);
}

/// Sends the process' standard error to /dev/null while alive. GStreamer and GLib print warnings straight to
/// file descriptor 2 when OpenCV opens a bad pipeline; axvs reports the failure itself, in one line.
pub(crate) struct QuietStderr {
    #[cfg(unix)]
    saved: Option<i32>,
}

impl QuietStderr {
    pub(crate) fn new() -> Self {
        #[cfg(unix)]
        {
            // SAFETY: plain descriptor calls; every failure leaves stderr as it was.
            let saved = unsafe {
                let devnull = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
                if devnull < 0 {
                    None
                } else {
                    let saved = libc::dup(2);
                    if saved >= 0 && libc::dup2(devnull, 2) < 0 {
                        libc::close(saved);
                        libc::close(devnull);
                        None
                    } else {
                        libc::close(devnull);
                        (saved >= 0).then_some(saved)
                    }
                }
            };
            QuietStderr { saved }
        }
        #[cfg(not(unix))]
        QuietStderr {}
    }
}

impl Drop for QuietStderr {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(saved) = self.saved.take() {
            // SAFETY: `saved` is the descriptor dup'ed from stderr in `new`.
            unsafe {
                libc::dup2(saved, 2);
                libc::close(saved);
            }
        }
    }
}
