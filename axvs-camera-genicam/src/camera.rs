//! `GenicamCamera`: one GenICam device as an axvs camera.

use std::time::{Duration, Instant};

use aravis::glib;
use aravis::prelude::*;
use aravis::{Buffer, BufferStatus, Camera as ArvCamera, Stream};
use axvs_core::{Camera, CameraError, CameraIdentity, CameraInfo, GrabInfo};
use axvs_genicam::GenicamSettings;

use crate::block_ids::{Arrival, BlockIds};
use crate::{discover, GenicamPixelFormat};

/// How the rig names the camera to open (shared with every backend that selects devices).
pub use axvs_genicam::DeviceSelector as Selector;

/// When the camera takes a frame (shared with the GenTL backend).
pub use axvs_genicam::Trigger;

/// Settings of a [`GenicamCamera`]: the settings every GenICam backend shares, and Aravis' own.
#[derive(Debug, Clone, PartialEq)]
pub struct GenicamConfig {
    /// Which camera, its region, format, rate, exposure, gain, trigger, buffers and node file.
    pub settings: GenicamSettings,
    /// Also look on Aravis' built-in `Fake` interface.
    pub fake_interface: bool,
}

impl GenicamConfig {
    /// The camera as it is, free-running, with the default number of stream buffers.
    pub fn new(selector: Selector) -> Self {
        GenicamConfig {
            settings: GenicamSettings::new(selector),
            fake_interface: false,
        }
    }
}

/// Aravis stream buffers when none are asked for.
pub use axvs_genicam::DEFAULT_STREAM_BUFFERS as DEFAULT_BUFFERS;

/// Late buffers one `grab` drops before it returns (and is called again), so that it never spins.
const STALE_BUFFERS_PER_GRAB: u32 = 64;

struct Streaming {
    stream: Stream,
    block_ids: BlockIds,
    next_trigger: Instant,
    last_frame_at: Instant,
    /// Whether the absence of device timestamps was said.
    warned_timestamps: bool,
}

/// A GenICam camera through Aravis.
pub struct GenicamCamera {
    config: GenicamConfig,
    camera: Option<ArvCamera>,
    info: Option<CameraInfo>,
    format: GenicamPixelFormat,
    streaming: Option<Streaming>,
}

fn setting(setting: &str, e: glib::Error) -> CameraError {
    CameraError::Setting {
        setting: setting.into(),
        reason: e.message().to_string(),
    }
}

/// Opens the device `selector` names; returns it with its serial number.
pub(crate) fn open_device(selector: &Selector, fake_interface: bool) -> Result<(ArvCamera, String), CameraError> {
    let devices = discover(fake_interface);
    let open_error = |reason: String| CameraError::Open {
        source_name: selector.to_string(),
        reason,
    };
    let device = match selector {
        Selector::Serial(s) => devices.iter().find(|d| &d.serial == s),
        Selector::Model(m) => devices.iter().find(|d| &d.model == m),
        Selector::DeviceId(id) => devices.iter().find(|d| &d.id == id),
        Selector::Index(i) => devices.get(*i as usize),
    }
    .ok_or_else(|| {
        let seen: Vec<String> = devices
            .iter()
            .map(|d| format!("{} {} serial {}", d.vendor, d.model, d.serial))
            .collect();
        open_error(format!(
            "no such GenICam device (found: {})",
            if seen.is_empty() {
                "none".to_string()
            } else {
                seen.join("; ")
            }
        ))
    })?;
    let camera = ArvCamera::new(Some(&device.id)).map_err(|e| open_error(e.message().to_string()))?;
    Ok((camera, device.serial.clone()))
}

impl GenicamCamera {
    /// A camera with these settings; nothing is opened until `open`.
    pub fn new(config: GenicamConfig) -> Self {
        GenicamCamera {
            config,
            camera: None,
            info: None,
            format: GenicamPixelFormat::Mono8,
            streaming: None,
        }
    }

    fn connect(&self) -> Result<(ArvCamera, String), CameraError> {
        open_device(&self.config.settings.selector, self.config.fake_interface)
    }

    /// Applies the settings in an order GenICam cameras accept: acquisition stopped, auto controls off before
    /// manual values, trigger, pixel format before size, offsets cleared before the size grows, frame rate
    /// after the size (its maximum depends on it).
    fn configure(&self, camera: &ArvCamera) -> Result<(), CameraError> {
        let c = &self.config.settings;
        let _ = camera.stop_acquisition();
        if c.exposure_us.is_some() && camera.is_exposure_auto_available().unwrap_or(false) {
            camera
                .set_exposure_time_auto(aravis::Auto::Off)
                .map_err(|e| setting("ExposureAuto", e))?;
        }
        if c.gain_db.is_some() && camera.is_gain_auto_available().unwrap_or(false) {
            camera
                .set_gain_auto(aravis::Auto::Off)
                .map_err(|e| setting("GainAuto", e))?;
        }
        match &c.trigger {
            Trigger::FreeRun => {
                let _ = camera.clear_triggers();
            }
            Trigger::Software => camera
                .set_trigger("Software")
                .map_err(|e| setting("TriggerSource", e))?,
            Trigger::Hardware { line, activation } => {
                camera.set_trigger(line).map_err(|e| setting("TriggerSource", e))?;
                camera
                    .set_string("TriggerActivation", activation)
                    .map_err(|e| setting("TriggerActivation", e))?;
            }
        }
        if let Some(format) = c.pixel_format {
            camera
                .set_pixel_format_from_string(format.name())
                .map_err(|e| setting("PixelFormat", e))?;
        }
        if c.width.is_some() || c.height.is_some() || c.offset_x.is_some() || c.offset_y.is_some() {
            let (x, y, w, h) = camera.region().map_err(|e| setting("region", e))?;
            let width = c.width.map(|v| v as i32).unwrap_or(w);
            let height = c.height.map(|v| v as i32).unwrap_or(h);
            let ox = c.offset_x.map(|v| v as i32).unwrap_or(x);
            let oy = c.offset_y.map(|v| v as i32).unwrap_or(y);
            camera
                .set_region(0, 0, width, height)
                .map_err(|e| setting("Width/Height", e))?;
            camera
                .set_region(ox, oy, width, height)
                .map_err(|e| setting("OffsetX/OffsetY", e))?;
        }
        if let Some(fps) = c.fps {
            if camera.is_frame_rate_available().unwrap_or(false) {
                camera
                    .set_frame_rate(fps)
                    .map_err(|e| setting("AcquisitionFrameRate", e))?;
            }
        }
        if let Some(exposure) = c.exposure_us {
            camera
                .set_exposure_time(exposure)
                .map_err(|e| setting("ExposureTime", e))?;
        }
        if let Some(gain) = c.gain_db {
            camera.set_gain(gain).map_err(|e| setting("Gain", e))?;
        }
        Ok(())
    }

    /// Checks that what the camera took is what was asked.
    fn verify(&self, width: u32, height: u32, fps: f64) -> Result<(), CameraError> {
        let c = &self.config.settings;
        for (name, asked, got) in [("Width", c.width, width), ("Height", c.height, height)] {
            if let Some(asked) = asked.filter(|a| *a != got) {
                return Err(CameraError::Setting {
                    setting: name.into(),
                    reason: format!("{asked} was requested, the camera chose {got}"),
                });
            }
        }
        if let Some(asked) = c.fps.filter(|a| (a - fps).abs() > 0.01 * a.max(1.0)) {
            return Err(CameraError::Setting {
                setting: "AcquisitionFrameRate".into(),
                reason: format!("{asked} was requested, the camera chose {fps:.3}"),
            });
        }
        Ok(())
    }

    fn camera(&self) -> Result<&ArvCamera, CameraError> {
        self.camera
            .as_ref()
            .ok_or_else(|| CameraError::NotReady("not open".into()))
    }

    /// How long without any buffer before the camera counts as gone.
    fn silence_limit(&self) -> Duration {
        let period = self.info.as_ref().map(|i| 1.0 / i.fps).unwrap_or(0.1);
        Duration::from_secs_f64((20.0 * period).max(2.0))
    }

    fn copy_image(&self, buffer: &Buffer, out: &mut [u8]) -> bool {
        let (ptr, size) = buffer.data();
        if ptr.is_null() {
            return false;
        }
        // SAFETY: Aravis' buffer holds `size` bytes at `ptr` (an image payload: the pixels), valid until the
        // buffer is pushed back to the stream, which happens after this copy.
        let data = unsafe { std::slice::from_raw_parts(ptr, size) };
        if data.len() < out.len() {
            return false;
        }
        self.format.copy_samples(data, out);
        true
    }
}

impl Camera for GenicamCamera {
    fn live(&self) -> bool {
        true
    }

    fn open(&mut self) -> Result<CameraInfo, CameraError> {
        if let Some(info) = &self.info {
            return Ok(info.clone());
        }
        let (camera, serial) = self.connect()?;
        if let Some(path) = &self.config.settings.config_file {
            let file_error = |e: crate::NodeError| CameraError::Setting {
                setting: format!("configuration {}", path.display()),
                reason: e.to_string(),
            };
            let configuration = crate::GenicamConfiguration::read(path).map_err(file_error)?;
            let blacklist: Vec<String> = crate::DEFAULT_BLACKLIST.iter().map(|s| s.to_string()).collect();
            let report = crate::NodeMap::from_camera(camera.clone(), serial.clone())
                .and_then(|mut map| crate::NodeAccess::load(&mut map, &configuration, false, &blacklist))
                .map_err(file_error)?;
            if let Some(warning) = &report.identity_warning {
                tracing::warn!("{}: {warning}", path.display());
            }
            for (node, why) in &report.failed {
                tracing::warn!("{}: node {node} not applied: {why}", path.display());
            }
        }
        self.configure(&camera)?;
        let (_, _, width, height) = camera.region().map_err(|e| setting("region", e))?;
        let format_name = camera
            .pixel_format_as_string()
            .map_err(|e| setting("PixelFormat", e))?
            .to_string();
        self.format = format_name
            .parse()
            .map_err(|e: String| CameraError::UnsupportedFormat(e))?;
        let fps = if camera.is_frame_rate_available().unwrap_or(false) {
            camera.frame_rate().map_err(|e| setting("AcquisitionFrameRate", e))?
        } else {
            self.config.settings.fps.ok_or_else(|| CameraError::Setting {
                setting: "AcquisitionFrameRate".into(),
                reason: "the camera has no frame-rate node; set fps in the rig".into(),
            })?
        };
        if !(fps.is_finite() && fps > 0.0) {
            return Err(CameraError::Setting {
                setting: "AcquisitionFrameRate".into(),
                reason: format!("the camera reports {fps} fps; set fps in the rig"),
            });
        }
        self.verify(width as u32, height as u32, fps)?;
        let text = |r: Result<glib::GString, glib::Error>| r.ok().map(|s| s.to_string());
        let info = CameraInfo {
            width: width as u32,
            height: height as u32,
            fps,
            pixel_format: self.format.frame_format(),
            identity: CameraIdentity {
                backend: "genicam".into(),
                vendor: text(camera.vendor_name()),
                model: text(camera.model_name()),
                serial: Some(serial).filter(|s| !s.is_empty()),
                address: text(camera.device_id()),
            },
        };
        self.camera = Some(camera);
        self.info = Some(info.clone());
        Ok(info)
    }

    fn start(&mut self) -> Result<(), CameraError> {
        let camera = self.camera()?;
        let payload = camera.payload().map_err(|e| setting("PayloadSize", e))? as usize;
        let stream = camera
            .create_stream()
            .map_err(|e| CameraError::Device(format!("creating the stream: {}", e.message())))?;
        for _ in 0..self.config.settings.buffers.max(2) {
            stream.push_buffer(Buffer::new_allocate(payload));
        }
        camera
            .start_acquisition()
            .map_err(|e| CameraError::Device(format!("starting acquisition: {}", e.message())))?;
        self.streaming = Some(Streaming {
            stream,
            block_ids: BlockIds::default(),
            next_trigger: Instant::now(),
            last_frame_at: Instant::now(),
            warned_timestamps: false,
        });
        Ok(())
    }

    fn grab(&mut self, buf: &mut [u8]) -> Result<GrabInfo, CameraError> {
        let fps = self.info.as_ref().map(|i| i.fps).unwrap_or(30.0);
        let silence = self.silence_limit();
        let software = self.config.settings.trigger == Trigger::Software;
        let camera = self.camera()?.clone();
        let streaming = self
            .streaming
            .as_mut()
            .ok_or_else(|| CameraError::NotReady("grab before start".into()))?;
        let frame_size = self.info.as_ref().map_or(0, CameraInfo::frame_size);
        CameraError::check_buffer(buf, frame_size)?;
        if software {
            if let Some(wait) = streaming.next_trigger.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            streaming.next_trigger += Duration::from_secs_f64(1.0 / fps);
            camera
                .software_trigger()
                .map_err(|e| CameraError::Device(format!("software trigger: {}", e.message())))?;
        }
        let mut stale = 0;
        let (buffer, frame_id, lost_before) = loop {
            let Some(buffer) = streaming.stream.timeout_pop_buffer(200_000) else {
                if streaming.last_frame_at.elapsed() > silence {
                    return Err(CameraError::Disconnected(format!(
                        "no frame from {} for {:.1} s (unplugged, stopped or unreachable)",
                        self.config.settings.selector,
                        silence.as_secs_f64()
                    )));
                }
                return Err(CameraError::Timeout);
            };
            streaming.last_frame_at = Instant::now();
            let frame_id = buffer.frame_id();
            let status = buffer.status();
            if status != BufferStatus::Success {
                // Incomplete or failed: a camera-side loss, never encoded (unless it was counted already).
                let new_loss = streaming.block_ids.incomplete(frame_id);
                streaming.stream.push_buffer(buffer);
                if new_loss {
                    return Err(CameraError::FrameLost(format!("buffer status {status:?}")));
                }
            } else {
                match streaming.block_ids.complete(frame_id) {
                    Arrival::Next { lost_before } => break (buffer, frame_id, lost_before),
                    // Older than a frame already delivered, and counted lost then: frames stay in order.
                    Arrival::Stale => streaming.stream.push_buffer(buffer),
                }
            }
            // A late buffer, complete or not, was dropped: try the next one, a bounded number of times.
            stale += 1;
            if stale >= STALE_BUFFERS_PER_GRAB {
                return Err(CameraError::Timeout);
            }
        };
        // Aravis puts the host's receive time in place of a device timestamp it cannot convert (a GigE
        // device without GevTimestampTickFrequency) or does not have (its Fake interface): never that as
        // the device's.
        let (timestamp, received) = (buffer.timestamp(), buffer.system_timestamp());
        let device_timestamp = (timestamp != 0 && timestamp != received).then_some(timestamp);
        if device_timestamp.is_none() && !streaming.warned_timestamps {
            streaming.warned_timestamps = true;
            tracing::warn!(
                "{}: no device timestamps (Aravis gives {}): its frames have acquisition times only",
                self.config.settings.selector,
                if timestamp == 0 {
                    "none"
                } else {
                    "the host's receive time in their place"
                }
            );
        }
        let copied = self.copy_image(&buffer, buf);
        // The pop above took `streaming` mutably; re-borrow to give the buffer back.
        if let Some(s) = self.streaming.as_ref() {
            s.stream.push_buffer(buffer);
        }
        if !copied {
            // This frame counts as lost; the ones missing before it are reported with the next frame.
            if let Some(s) = self.streaming.as_mut() {
                s.block_ids.carry(lost_before);
            }
            return Err(CameraError::FrameLost("image smaller than the negotiated size".into()));
        }
        Ok(GrabInfo {
            device_frame_id: Some(frame_id),
            device_timestamp_ns: device_timestamp,
            lost_before,
        })
    }

    fn stop(&mut self) -> Result<(), CameraError> {
        if let Some(camera) = &self.camera {
            let _ = camera.stop_acquisition();
        }
        self.streaming = None;
        Ok(())
    }

    fn close(&mut self) {
        let _ = self.stop();
        self.camera = None;
        self.info = None;
    }
}
