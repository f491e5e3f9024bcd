//! `OpenCvCamera`: one OpenCV `VideoCapture` as an axvs camera.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use axvs_core::{Camera, CameraError, CameraIdentity, CameraInfo, GrabInfo, PixelFormat};
use opencv::core::{Mat, CV_8UC1, CV_8UC3};
use opencv::prelude::*;
use opencv::{imgproc, videoio};

/// Where the frames come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenCvSource {
    /// A camera index (`/dev/video<N>` on Linux).
    Index(i32),
    /// A device path or a video file.
    Path(PathBuf),
    /// A network stream URL (RTSP, HTTP, ...).
    Url(String),
    /// A GStreamer pipeline ending in `appsink`.
    Pipeline(String),
}

impl fmt::Display for OpenCvSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenCvSource::Index(i) => write!(f, "index {i}"),
            OpenCvSource::Path(p) => write!(f, "path '{}'", p.display()),
            OpenCvSource::Url(u) => write!(f, "url '{u}'"),
            OpenCvSource::Pipeline(p) => write!(f, "pipeline '{p}'"),
        }
    }
}

impl OpenCvSource {
    fn is_file(&self) -> bool {
        matches!(self, OpenCvSource::Path(p) if p.is_file())
    }

    /// Devices take requested settings; files and pipelines deliver what they are.
    fn is_device(&self) -> bool {
        match self {
            OpenCvSource::Index(_) | OpenCvSource::Url(_) => true,
            OpenCvSource::Path(p) => !p.is_file(),
            OpenCvSource::Pipeline(_) => false,
        }
    }
}

/// Settings of an [`OpenCvCamera`].
#[derive(Debug, Clone, PartialEq)]
pub struct OpenCvConfig {
    /// The source.
    pub source: OpenCvSource,
    /// Requested width; `None` keeps the device's.
    pub width: Option<u32>,
    /// Requested height; `None` keeps the device's.
    pub height: Option<u32>,
    /// Requested frame rate; also the rate used when the source reports none.
    pub fps: Option<f64>,
    /// `Bgr8` (OpenCV's native colour) or `Mono8` (converted).
    pub pixel_format: PixelFormat,
    /// Replay video files at their frame rate (like a camera) instead of as fast as they decode.
    pub paced: bool,
}

impl OpenCvConfig {
    /// Colour frames from `source`, at the device's own size and rate; files paced.
    pub fn new(source: OpenCvSource) -> Self {
        OpenCvConfig {
            source,
            width: None,
            height: None,
            fps: None,
            pixel_format: PixelFormat::Bgr8,
            paced: true,
        }
    }
}

/// A camera read through OpenCV's `VideoCapture`.
pub struct OpenCvCamera {
    config: OpenCvConfig,
    capture: Option<videoio::VideoCapture>,
    info: Option<CameraInfo>,
    /// What `read` fills; reused so steady-state grabs allocate nothing.
    raw: Mat,
    /// A frame read while probing the source, delivered first.
    pending: bool,
    started: Option<Instant>,
    index: u64,
    /// The source is a file (decided once, at open).
    file: bool,
}

fn cv_error(context: &str, e: opencv::Error) -> CameraError {
    CameraError::Device(format!("{context}: {}", e.message))
}

impl OpenCvCamera {
    /// A camera with these settings; nothing is opened until `open`.
    pub fn new(config: OpenCvConfig) -> Self {
        OpenCvCamera {
            config,
            capture: None,
            info: None,
            raw: Mat::default(),
            pending: false,
            started: None,
            index: 0,
            file: false,
        }
    }

    fn open_capture(&self) -> Result<videoio::VideoCapture, CameraError> {
        crate::silence_opencv_logs();
        let _quiet = crate::QuietStderr::new();
        let source = &self.config.source;
        let open_error = |reason: String| CameraError::Open {
            source_name: source.to_string(),
            reason,
        };
        let capture = match source {
            OpenCvSource::Index(i) => videoio::VideoCapture::new(*i, videoio::CAP_ANY),
            OpenCvSource::Path(p) => {
                if !p.exists() {
                    return Err(open_error("no such file or device".into()));
                }
                videoio::VideoCapture::from_file(p.as_os_str(), videoio::CAP_ANY)
            }
            OpenCvSource::Url(u) => videoio::VideoCapture::from_file_with_params(
                u,
                videoio::CAP_ANY,
                // A stalled stream must not hold up stopping: reads give up after 5 s.
                &opencv::core::Vector::from_slice(&[videoio::CAP_PROP_READ_TIMEOUT_MSEC, 5000]),
            ),
            OpenCvSource::Pipeline(p) => videoio::VideoCapture::from_file(p, videoio::CAP_GSTREAMER),
        }
        .map_err(|e| open_error(e.message))?;
        if !capture.is_opened().unwrap_or(false) {
            let mut capture = capture;
            let _ = capture.release();
            return Err(open_error(match source {
                OpenCvSource::Pipeline(_) => "OpenCV could not start the pipeline (check its syntax and that it \
                                              ends in appsink)"
                    .into(),
                _ => "OpenCV could not open it".into(),
            }));
        }
        Ok(capture)
    }

    /// Sets each requested value and reads it back, like the original: a camera that picks something else
    /// is an error naming what it chose.
    fn negotiate(&self, capture: &mut videoio::VideoCapture) -> Result<(), CameraError> {
        let requests = [
            ("fps", videoio::CAP_PROP_FPS, self.config.fps),
            ("width", videoio::CAP_PROP_FRAME_WIDTH, self.config.width.map(f64::from)),
            (
                "height",
                videoio::CAP_PROP_FRAME_HEIGHT,
                self.config.height.map(f64::from),
            ),
        ];
        let device = self.config.source.is_device();
        for (name, prop, requested) in requests {
            let Some(requested) = requested else { continue };
            if device {
                // What matters is the value read back, whatever `set` answers.
                let _ = capture.set(prop, requested);
            }
            let got = capture.get(prop).map_err(|e| cv_error("reading back settings", e))?;
            let matches = if name == "fps" {
                // Sources that report no rate take the requested one (checked in `open`).
                got <= 0.0 || got.round() == requested.round()
            } else {
                got == requested
            };
            if !matches {
                let fixed = if device {
                    ""
                } else {
                    " (files and pipelines deliver their own format)"
                };
                return Err(CameraError::Setting {
                    setting: name.into(),
                    reason: format!("{requested} was requested, the camera chose {got}{fixed}"),
                });
            }
        }
        Ok(())
    }

    /// Measures the delivery rate of a live source that reports none.
    fn measure_fps(&mut self) -> Result<f64, CameraError> {
        let capture = self
            .capture
            .as_mut()
            .ok_or_else(|| CameraError::NotReady("not open".into()))?;
        let mut first = None;
        let mut frames = 0u32;
        let deadline = Instant::now() + Duration::from_secs(3);
        while frames < 12 && Instant::now() < deadline {
            if !capture
                .read(&mut self.raw)
                .map_err(|e| cv_error("measuring the frame rate", e))?
            {
                break;
            }
            match first {
                None => first = Some(Instant::now()),
                Some(_) => frames += 1,
            }
        }
        match first {
            Some(start) if frames >= 2 => Ok(frames as f64 / start.elapsed().as_secs_f64()),
            _ => Err(CameraError::Setting {
                setting: "fps".into(),
                reason: "the source reports no frame rate and too few frames came to measure it; set fps".into(),
            }),
        }
    }

    fn copy_frame(&mut self, buf: &mut [u8]) -> Result<(), CameraError> {
        let info = self
            .info
            .as_ref()
            .ok_or_else(|| CameraError::NotReady("not open".into()))?;
        let (w, h) = (self.raw.cols(), self.raw.rows());
        if w != info.width as i32 || h != info.height as i32 {
            return Err(CameraError::Device(format!(
                "frame size changed from {}x{} to {w}x{h}",
                info.width, info.height
            )));
        }
        if self.raw.depth() != opencv::core::CV_8U {
            return Err(CameraError::UnsupportedFormat(format!(
                "{} delivers frames of more than 8 bits per channel",
                self.config.source
            )));
        }
        let channels = self.raw.channels();
        let want = info.pixel_format;
        let code = match (channels, want) {
            (3, PixelFormat::Bgr8) | (1, PixelFormat::Mono8) => None,
            (3, PixelFormat::Mono8) => Some(imgproc::COLOR_BGR2GRAY),
            (1, PixelFormat::Bgr8) => Some(imgproc::COLOR_GRAY2BGR),
            (4, PixelFormat::Bgr8) => Some(imgproc::COLOR_BGRA2BGR),
            (4, PixelFormat::Mono8) => Some(imgproc::COLOR_BGRA2GRAY),
            (c, _) => {
                return Err(CameraError::UnsupportedFormat(format!(
                    "{c}-channel frames from {}",
                    self.config.source
                )))
            }
        };
        match code {
            None if self.raw.is_continuous() && self.raw.depth() == opencv::core::CV_8U => {
                let bytes = self.raw.data_bytes().map_err(|e| cv_error("reading the frame", e))?;
                if bytes.len() != buf.len() {
                    return Err(CameraError::Device(format!(
                        "frame has {} bytes, {} expected",
                        bytes.len(),
                        buf.len()
                    )));
                }
                buf.copy_from_slice(bytes);
            }
            code => {
                let typ = if want == PixelFormat::Mono8 { CV_8UC1 } else { CV_8UC3 };
                // SAFETY: the header views `buf`, which holds exactly height x width x channels bytes (the
                // pipeline sizes pool buffers from `CameraInfo`), and lives only within this call.
                let mut out = unsafe { Mat::new_rows_cols_with_data_unsafe_def(h, w, typ, buf.as_mut_ptr().cast()) }
                    .map_err(|e| cv_error("wrapping the buffer", e))?;
                match code {
                    Some(code) => imgproc::cvt_color_def(&self.raw, &mut out, code),
                    None => self.raw.copy_to(&mut out),
                }
                .map_err(|e| cv_error("converting the frame", e))?;
            }
        }
        Ok(())
    }
}

impl Drop for OpenCvCamera {
    fn drop(&mut self) {
        self.close();
    }
}

impl Camera for OpenCvCamera {
    /// A file is read as fast as it is asked for; devices, streams and pipelines deliver at their pace.
    fn live(&self) -> bool {
        !self.config.source.is_file()
    }

    fn open(&mut self) -> Result<CameraInfo, CameraError> {
        if let Some(info) = &self.info {
            return Ok(info.clone());
        }
        if !matches!(self.config.pixel_format, PixelFormat::Mono8 | PixelFormat::Bgr8) {
            return Err(CameraError::UnsupportedFormat(format!(
                "{} (the OpenCV backend delivers bgr8, or mono8 by conversion)",
                self.config.pixel_format
            )));
        }
        self.file = self.config.source.is_file();
        let mut capture = self.open_capture()?;
        if let Err(e) = self.negotiate(&mut capture) {
            let _ = capture.release();
            return Err(e);
        }
        let mut width = capture.get(videoio::CAP_PROP_FRAME_WIDTH).unwrap_or(0.0) as u32;
        let mut height = capture.get(videoio::CAP_PROP_FRAME_HEIGHT).unwrap_or(0.0) as u32;
        let reported_fps = capture.get(videoio::CAP_PROP_FPS).unwrap_or(0.0);
        if width == 0 || height == 0 {
            // Some backends only know the size once a frame has come: read one and deliver it first.
            if !capture
                .read(&mut self.raw)
                .map_err(|e| cv_error("reading a first frame", e))?
            {
                let _ = capture.release();
                return Err(CameraError::Open {
                    source_name: self.config.source.to_string(),
                    reason: "opened, but delivered no frame".into(),
                });
            }
            width = self.raw.cols() as u32;
            height = self.raw.rows() as u32;
            self.pending = true;
        }
        self.capture = Some(capture);
        let fps = if reported_fps.is_finite() && reported_fps > 0.0 {
            reported_fps
        } else if let Some(fps) = self.config.fps {
            fps
        } else if self.config.source.is_file() {
            return Err(CameraError::Setting {
                setting: "fps".into(),
                reason: format!("{} reports no frame rate; set fps for it", self.config.source),
            });
        } else {
            self.pending = false;
            self.measure_fps()?
        };
        let address = self.config.source.to_string();
        let info = CameraInfo {
            width,
            height,
            fps,
            pixel_format: self.config.pixel_format,
            identity: CameraIdentity {
                backend: "opencv".into(),
                address: Some(address),
                ..Default::default()
            },
        };
        self.info = Some(info.clone());
        Ok(info)
    }

    fn start(&mut self) -> Result<(), CameraError> {
        if self.capture.is_none() {
            return Err(CameraError::NotReady("start before open".into()));
        }
        self.started = Some(Instant::now());
        self.index = 0;
        Ok(())
    }

    fn grab(&mut self, buf: &mut [u8]) -> Result<GrabInfo, CameraError> {
        let started = self
            .started
            .ok_or_else(|| CameraError::NotReady("grab before start".into()))?;
        let info = self
            .info
            .as_ref()
            .ok_or_else(|| CameraError::NotReady("grab before open".into()))?;
        CameraError::check_buffer(buf, info.frame_size())?;
        let fps = info.fps;
        let replay = self.config.paced && self.file;
        if replay {
            let due = Duration::from_secs_f64(self.index as f64 / fps);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        if self.pending {
            self.pending = false;
        } else {
            let capture = self
                .capture
                .as_mut()
                .ok_or_else(|| CameraError::NotReady("not open".into()))?;
            let got = capture
                .read(&mut self.raw)
                .map_err(|e| cv_error("reading a frame", e))?;
            if !got || self.raw.empty() {
                return Err(if self.file {
                    CameraError::EndOfStream
                } else {
                    CameraError::Disconnected(format!("{} stopped delivering frames", self.config.source))
                });
            }
        }
        self.copy_frame(buf)?;
        let index = self.index;
        self.index += 1;
        Ok(GrabInfo {
            // A replayed file has frame numbers of its own: positions in the file.
            device_frame_id: replay.then_some(index),
            device_timestamp_ns: None,
            lost_before: 0,
        })
    }

    fn stop(&mut self) -> Result<(), CameraError> {
        self.started = None;
        Ok(())
    }

    fn close(&mut self) {
        if let Some(mut capture) = self.capture.take() {
            let _ = capture.release();
        }
        self.info = None;
    }
}
