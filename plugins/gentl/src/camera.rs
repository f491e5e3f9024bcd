//! `GentlCamera`: one device of a GenTL producer as an axvs camera. Its features go through the device's
//! node map; frames come through the producer's data stream into buffers announced once, and are copied
//! once into the frame pool.

use std::ffi::c_void;
use std::path::PathBuf;
use std::sync::Arc;

use axvs_core::{Camera, CameraError, CameraIdentity, CameraInfo, GrabInfo};
use axvs_genicam::nodes::{GenicamConfiguration, NodeAccess, NodeError, DEFAULT_BLACKLIST};
use axvs_genicam::{GenicamPixelFormat, GenicamSettings, Trigger};

use crate::ffi::{self, Handle};
use crate::{GentlDevice, NodeMap};

/// `STREAM_INFO_PAYLOAD_SIZE` (SIZET) and `STREAM_INFO_DEFINES_PAYLOADSIZE` (BOOL8).
const STREAM_INFO_PAYLOAD_SIZE: i32 = 7;
const STREAM_INFO_DEFINES_PAYLOADSIZE: i32 = 9;
/// `BUFFER_INFO_*`.
const BUFFER_INFO_BASE: i32 = 0;
const BUFFER_INFO_TIMESTAMP: i32 = 3;
const BUFFER_INFO_IS_INCOMPLETE: i32 = 7;
const BUFFER_INFO_SIZE_FILLED: i32 = 9;
const BUFFER_INFO_FRAMEID: i32 = 16;
const BUFFER_INFO_TIMESTAMP_NS: i32 = 28;
/// `EVENT_NEW_BUFFER`.
const EVENT_NEW_BUFFER: i32 = 1;
/// `ACQ_QUEUE_ALL_DISCARD`.
const ACQ_QUEUE_ALL_DISCARD: i32 = 4;
/// `GENTL_INFINITE`.
const INFINITE: u64 = u64::MAX;
/// How long one `grab` waits for a buffer before it returns `Timeout` (and is called again).
const GRAB_WAIT_MS: u64 = 200;

/// Settings of a [`GentlCamera`]: the producer, and the settings every GenICam backend shares.
#[derive(Debug, Clone, PartialEq)]
pub struct GentlConfig {
    /// The producer file.
    pub cti: PathBuf,
    /// Which device, its region, format, rate, exposure, gain, trigger, buffers and node file.
    pub settings: GenicamSettings,
    /// Whether the rig named the producer (`cti`), rather than the machine's configuration.
    pub cti_named: bool,
}

/// The new-buffer event's data (`EVENT_NEW_BUFFER_DATA`, packed).
#[repr(C, packed)]
#[derive(Clone, Copy)]
struct NewBuffer {
    buffer: Handle,
    user: *mut c_void,
}

struct Opened {
    device: GentlDevice,
    stream: Handle,
    format: GenicamPixelFormat,
    payload: usize,
}

/// Where a device's frame timestamps come from, found at its first frame.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Timestamps {
    /// `BUFFER_INFO_TIMESTAMP_NS`: ns already.
    Ns,
    /// `BUFFER_INFO_TIMESTAMP` in ticks of this many per second.
    Ticks(u64),
    /// None usable, and why: no device times.
    None(&'static str),
}

impl Timestamps {
    /// A tick count in ns.
    fn ticks_to_ns(ticks: u64, per_second: u64) -> u64 {
        (u128::from(ticks) * 1_000_000_000 / u128::from(per_second.max(1))) as u64
    }
}

struct Streaming {
    event: Handle,
    /// The device's timestamps, once its first frame told.
    timestamps: Option<Timestamps>,
    /// Ticks per second of its timestamps, when known.
    tick_hz: Option<u64>,
    /// When the next software trigger is due.
    next_trigger: std::time::Instant,
    buffers: Vec<(Handle, Vec<u8>)>,
    last_frame_id: Option<u64>,
}

/// A GenTL device.
pub struct GentlCamera {
    config: GentlConfig,
    opened: Option<Opened>,
    info: Option<CameraInfo>,
    streaming: Option<Streaming>,
}

// SAFETY: the handles are opaque values owned by this camera, used from one thread at a time (the
// pipeline's contract); GenTL producers are thread-safe by the standard.
unsafe impl Send for GentlCamera {}

fn device_error(what: impl std::fmt::Display) -> CameraError {
    CameraError::Device(what.to_string())
}

fn setting(name: &str, e: impl std::fmt::Display) -> CameraError {
    CameraError::Setting {
        setting: name.to_string(),
        reason: e.to_string(),
    }
}

impl GentlCamera {
    /// A camera with these settings; nothing is opened yet.
    pub fn new(config: GentlConfig) -> Self {
        GentlCamera {
            config,
            opened: None,
            info: None,
            streaming: None,
        }
    }

    fn source_name(&self) -> String {
        format!("{} of {}", self.config.settings.selector, self.config.cti.display())
    }

    /// A value of the stream's info.
    fn stream_info<T: Copy + Default>(opened: &Opened, cmd: i32) -> Option<T> {
        let mut value = T::default();
        let mut kind = 0i32;
        let mut size = size_of::<T>();
        // SAFETY: `value` holds `size` bytes; the stream is open.
        let code = unsafe {
            (opened.device.producer.fns.DSGetInfo)(
                opened.stream,
                cmd,
                &mut kind,
                (&mut value as *mut T).cast(),
                &mut size,
            )
        };
        (code == ffi::GC_ERR_SUCCESS).then_some(value)
    }

    /// Ticks per second of the device's timestamps, as the producer (`DEVICE_INFO_TIMESTAMP_FREQUENCY`) or
    /// the device (`GevTimestampTickFrequency`) says; `None` when neither does.
    fn tick_frequency(opened: &mut Opened) -> Option<u64> {
        let mut hz = 0u64;
        let mut kind = 0i32;
        let mut size = size_of::<u64>();
        // SAFETY: the device is open; `hz` holds `size` bytes.
        let code = unsafe {
            (opened.device.producer.fns.DevGetInfo)(
                opened.device.handle,
                ffi::DEVICE_INFO_TIMESTAMP_FREQUENCY,
                &mut kind,
                (&mut hz as *mut u64).cast(),
                &mut size,
            )
        };
        if code == ffi::GC_ERR_SUCCESS && hz > 0 {
            return Some(hz);
        }
        let node = opened.device.nodes.integer("GevTimestampTickFrequency").ok();
        node.and_then(|f| u64::try_from(f).ok()).filter(|f| *f > 0)
    }

    /// Where the device's frame timestamps come from, by its first frame: ns when the producer gives them,
    /// else ticks of a known frequency; never ticks labelled as ns.
    fn timestamp_source(opened: &Opened, buffer: Handle, tick_hz: Option<u64>) -> Timestamps {
        if Self::buffer_info::<u64>(opened, buffer, BUFFER_INFO_TIMESTAMP_NS).is_some_and(|t| t > 0) {
            return Timestamps::Ns;
        }
        match (Self::buffer_info::<u64>(opened, buffer, BUFFER_INFO_TIMESTAMP), tick_hz) {
            (Some(t), Some(hz)) if t > 0 => Timestamps::Ticks(hz),
            (Some(t), None) if t > 0 => Timestamps::None(
                "ticks (BUFFER_INFO_TIMESTAMP) of a frequency neither the producer nor the device gives",
            ),
            _ => Timestamps::None("neither BUFFER_INFO_TIMESTAMP_NS nor BUFFER_INFO_TIMESTAMP"),
        }
    }

    /// A value of a buffer's info; `None` when the producer does not have it.
    fn buffer_info<T: Copy + Default>(opened: &Opened, buffer: Handle, cmd: i32) -> Option<T> {
        let mut value = T::default();
        let mut kind = 0i32;
        let mut size = size_of::<T>();
        // SAFETY: `value` holds `size` bytes; the stream and buffer are the producer's.
        let code = unsafe {
            (opened.device.producer.fns.DSGetBufferInfo)(
                opened.stream,
                buffer,
                cmd,
                &mut kind,
                (&mut value as *mut T).cast(),
                &mut size,
            )
        };
        (code == ffi::GC_ERR_SUCCESS).then_some(value)
    }

    /// Applies the settings in a safe order: pixel format, size (offsets cleared first), offsets, rate,
    /// exposure, gain.
    fn configure(&self, nodes: &mut NodeMap) -> Result<(), CameraError> {
        let c = &self.config.settings;
        if let Some(format) = c.pixel_format {
            nodes
                .set_enumeration("PixelFormat", format.name())
                .map_err(|e| setting("pixel_format", e))?;
        }
        if c.width.is_some() || c.height.is_some() {
            for offset in ["OffsetX", "OffsetY"] {
                if nodes.has(offset) {
                    let _ = nodes.set_integer(offset, 0);
                }
            }
        }
        for (node, key, value) in [
            ("Width", "width", c.width),
            ("Height", "height", c.height),
            ("OffsetX", "offset_x", c.offset_x),
            ("OffsetY", "offset_y", c.offset_y),
        ] {
            if let Some(v) = value {
                nodes.set_integer(node, i64::from(v)).map_err(|e| setting(key, e))?;
                let got = nodes.integer(node).map_err(|e| setting(key, e))?;
                if got != i64::from(v) {
                    return Err(setting(key, format!("{v} was asked, the device set {got}")));
                }
            }
        }
        if let Some(fps) = c.fps.filter(|_| nodes.has("AcquisitionFrameRate")) {
            if nodes.has("AcquisitionFrameRateEnable") {
                let _ = nodes.set_integer("AcquisitionFrameRateEnable", 1);
            }
            nodes
                .set_float("AcquisitionFrameRate", fps)
                .map_err(|e| setting("fps", e))?;
        }
        if let Some(us) = c.exposure_us {
            if nodes.has("ExposureAuto") {
                let _ = nodes.set_enumeration("ExposureAuto", "Off");
            }
            nodes
                .set_float("ExposureTime", us)
                .map_err(|e| setting("exposure_us", e))?;
        }
        if let Some(db) = c.gain_db {
            if nodes.has("GainAuto") {
                let _ = nodes.set_enumeration("GainAuto", "Off");
            }
            nodes.set_float("Gain", db).map_err(|e| setting("gain_db", e))?;
        }
        let has_selector = nodes.has("TriggerSelector");
        let select_frame_start = |nodes: &mut NodeMap| {
            if has_selector {
                nodes
                    .set_enumeration("TriggerSelector", "FrameStart")
                    .map_err(|e| setting("trigger", e))?;
            }
            Ok::<(), CameraError>(())
        };
        match &c.trigger {
            Trigger::FreeRun => {
                if nodes.has("TriggerMode") {
                    select_frame_start(nodes)?;
                    let _ = nodes.set_enumeration("TriggerMode", "Off");
                }
            }
            Trigger::Software => {
                select_frame_start(nodes)?;
                nodes
                    .set_enumeration("TriggerMode", "On")
                    .map_err(|e| setting("trigger", e))?;
                nodes
                    .set_enumeration("TriggerSource", "Software")
                    .map_err(|e| setting("trigger", e))?;
                if !nodes.has("TriggerSoftware") {
                    return Err(setting("trigger", "the camera has no node TriggerSoftware"));
                }
            }
            Trigger::Hardware { line, activation } => {
                select_frame_start(nodes)?;
                nodes
                    .set_enumeration("TriggerMode", "On")
                    .map_err(|e| setting("trigger", e))?;
                nodes
                    .set_enumeration("TriggerSource", line)
                    .map_err(|e| setting("trigger_line", e))?;
                nodes
                    .set_enumeration("TriggerActivation", activation)
                    .map_err(|e| setting("trigger_activation", e))?;
            }
        }
        Ok(())
    }

    fn opened(&mut self) -> Result<&mut Opened, CameraError> {
        self.opened
            .as_mut()
            .ok_or_else(|| CameraError::NotReady("not open".into()))
    }
}

impl Camera for GentlCamera {
    fn live(&self) -> bool {
        true
    }

    fn open(&mut self) -> Result<CameraInfo, CameraError> {
        if let Some(info) = &self.info {
            return Ok(info.clone());
        }
        let open_error = |reason: String| CameraError::Open {
            source_name: self.source_name(),
            reason,
        };
        let mut device = GentlDevice::open(&self.config.cti, &self.config.settings.selector).map_err(open_error)?;
        let (producer, f, entry) = (Arc::clone(&device.producer), device.producer.fns, device.entry.clone());
        if let Some(path) = &self.config.settings.config_file {
            let file_error = |e: NodeError| setting(&format!("configuration {}", path.display()), e);
            let configuration = GenicamConfiguration::read(path).map_err(file_error)?;
            let blacklist: Vec<String> = DEFAULT_BLACKLIST.iter().map(|s| s.to_string()).collect();
            let report = device.load(&configuration, false, &blacklist).map_err(file_error)?;
            // A plugin has no log of its own: what the user must know goes to standard error.
            if let Some(warning) = &report.identity_warning {
                eprintln!("axvs: warning: {}: {warning}", path.display());
            }
            for (node, why) in &report.failed {
                eprintln!("axvs: warning: {}: node {node} not applied: {why}", path.display());
            }
        }
        let nodes = &mut device.nodes;
        let resolved = self.configure(nodes).and_then(|()| {
            let width = nodes.integer("Width").map_err(|e| setting("width", e))?;
            let height = nodes.integer("Height").map_err(|e| setting("height", e))?;
            let symbolic = nodes
                .enumeration("PixelFormat")
                .map_err(|e| setting("pixel_format", e))?;
            let format = symbolic
                .parse::<GenicamPixelFormat>()
                .map_err(|e| CameraError::UnsupportedFormat(format!("the device delivers {symbolic}: {e}")))?;
            let fps = match nodes.float("AcquisitionFrameRate") {
                Ok(fps) if fps > 0.0 => fps,
                _ => self.config.settings.fps.ok_or_else(|| {
                    setting(
                        "fps",
                        "the device has no readable AcquisitionFrameRate: give fps in the rig",
                    )
                })?,
            };
            Ok((width, height, format, fps))
        });
        let (width, height, format, fps) = resolved?;
        let mut stream: Handle = std::ptr::null_mut();
        // SAFETY: the device is open; read_string-style two-call pattern for the stream id.
        let stream_id = {
            let mut size = 0usize;
            let mut id = Vec::new();
            let mut code = unsafe { (f.DevGetDataStreamID)(device.handle, 0, std::ptr::null_mut(), &mut size) };
            if code == ffi::GC_ERR_SUCCESS {
                id = vec![0u8; size.max(1)];
                // SAFETY: `id` holds `size` bytes.
                code = unsafe { (f.DevGetDataStreamID)(device.handle, 0, id.as_mut_ptr().cast(), &mut size) };
            }
            if code != ffi::GC_ERR_SUCCESS {
                return Err(open_error(producer.error("DevGetDataStreamID", code).to_string()));
            }
            id
        };
        // SAFETY: `stream_id` is the NUL-terminated id the producer gave.
        let code = unsafe { (f.DevOpenDataStream)(device.handle, stream_id.as_ptr().cast(), &mut stream) };
        if code != ffi::GC_ERR_SUCCESS {
            return Err(open_error(producer.error("DevOpenDataStream", code).to_string()));
        }
        let mut opened = Opened {
            device,
            stream,
            format,
            payload: 0,
        };
        let defines = Self::stream_info::<u8>(&opened, STREAM_INFO_DEFINES_PAYLOADSIZE).unwrap_or(0) != 0;
        let payload = if defines {
            Self::stream_info::<usize>(&opened, STREAM_INFO_PAYLOAD_SIZE)
        } else {
            opened
                .device
                .nodes
                .integer("PayloadSize")
                .ok()
                .and_then(|p| usize::try_from(p).ok())
        };
        let info = CameraInfo {
            width: u32::try_from(width).map_err(|_| setting("width", format!("{width} from the device")))?,
            height: u32::try_from(height).map_err(|_| setting("height", format!("{height} from the device")))?,
            fps,
            pixel_format: format.frame_format(),
            identity: CameraIdentity {
                backend: "gentl".into(),
                vendor: Some(entry.vendor.clone()).filter(|v| !v.is_empty()),
                model: Some(entry.model.clone()).filter(|v| !v.is_empty()),
                serial: Some(entry.serial.clone()).filter(|v| !v.is_empty()),
                address: Some(entry.id.clone()),
            },
        };
        opened.payload = payload.unwrap_or(0).max(info.frame_size() * 4 / 3 + 4096);
        self.opened = Some(opened);
        self.info = Some(info.clone());
        Ok(info)
    }

    fn start(&mut self) -> Result<(), CameraError> {
        let buffers = self.config.settings.buffers.max(2);
        let opened = self.opened()?;
        let (f, producer, stream) = (
            opened.device.producer.fns,
            Arc::clone(&opened.device.producer),
            opened.stream,
        );
        let mut announced = Vec::with_capacity(buffers);
        for _ in 0..buffers {
            let mut memory = vec![0u8; opened.payload];
            let mut handle: Handle = std::ptr::null_mut();
            // SAFETY: `memory` stays allocated (moved into `announced`, never resized) until revoked in stop.
            let code = unsafe {
                (f.DSAnnounceBuffer)(
                    stream,
                    memory.as_mut_ptr().cast(),
                    memory.len(),
                    std::ptr::null_mut(),
                    &mut handle,
                )
            };
            producer.check("DSAnnounceBuffer", code).map_err(device_error)?;
            // SAFETY: the buffer was just announced.
            producer
                .check("DSQueueBuffer", unsafe { (f.DSQueueBuffer)(stream, handle) })
                .map_err(device_error)?;
            announced.push((handle, memory));
        }
        let mut event: Handle = std::ptr::null_mut();
        // SAFETY: the stream is open; `event` a valid out-pointer.
        producer
            .check("GCRegisterEvent", unsafe {
                (f.GCRegisterEvent)(stream, EVENT_NEW_BUFFER, &mut event)
            })
            .map_err(device_error)?;
        // SAFETY: buffers are announced and queued.
        producer
            .check("DSStartAcquisition", unsafe {
                (f.DSStartAcquisition)(stream, 0, INFINITE)
            })
            .map_err(device_error)?;
        if opened.device.nodes.has("TLParamsLocked") {
            let _ = opened.device.nodes.set_integer("TLParamsLocked", 1);
        }
        opened.device.nodes.execute("AcquisitionStart").map_err(device_error)?;
        let tick_hz = Self::tick_frequency(opened);
        self.streaming = Some(Streaming {
            event,
            timestamps: None,
            tick_hz,
            next_trigger: std::time::Instant::now(),
            buffers: announced,
            last_frame_id: None,
        });
        Ok(())
    }

    fn grab(&mut self, buf: &mut [u8]) -> Result<GrabInfo, CameraError> {
        let frame_size = self.info.as_ref().map_or(0, CameraInfo::frame_size);
        let streaming = self
            .streaming
            .as_mut()
            .ok_or_else(|| CameraError::NotReady("grab before start".into()))?;
        CameraError::check_buffer(buf, frame_size)?;
        if self.config.settings.trigger == Trigger::Software {
            let fps = self.info.as_ref().map_or(30.0, |i| i.fps);
            if let Some(wait) = streaming.next_trigger.checked_duration_since(std::time::Instant::now()) {
                std::thread::sleep(wait);
            }
            streaming.next_trigger += std::time::Duration::from_secs_f64(1.0 / fps);
            let opened = self
                .opened
                .as_mut()
                .ok_or_else(|| CameraError::NotReady("not open".into()))?;
            opened.device.nodes.execute("TriggerSoftware").map_err(device_error)?;
        }
        let streaming = self
            .streaming
            .as_mut()
            .ok_or_else(|| CameraError::NotReady("grab before start".into()))?;
        let opened = self
            .opened
            .as_ref()
            .ok_or_else(|| CameraError::NotReady("not open".into()))?;
        let f = opened.device.producer.fns;
        let mut data = NewBuffer {
            buffer: std::ptr::null_mut(),
            user: std::ptr::null_mut(),
        };
        let mut size = size_of::<NewBuffer>();
        // SAFETY: `data` holds `size` bytes; the event is registered.
        let code = unsafe {
            (f.EventGetData)(
                streaming.event,
                (&mut data as *mut NewBuffer).cast(),
                &mut size,
                GRAB_WAIT_MS,
            )
        };
        if code == ffi::GC_ERR_TIMEOUT {
            return Err(CameraError::Timeout);
        }
        opened
            .device
            .producer
            .check("EventGetData", code)
            .map_err(device_error)?;
        let buffer = data.buffer;
        let requeue = || {
            // SAFETY: the buffer is the producer's, delivered to us and handed back once.
            unsafe { (f.DSQueueBuffer)(opened.stream, buffer) }
        };
        let incomplete = Self::buffer_info::<u8>(opened, buffer, BUFFER_INFO_IS_INCOMPLETE).unwrap_or(0) != 0;
        let frame_id = Self::buffer_info::<u64>(opened, buffer, BUFFER_INFO_FRAMEID);
        let mut lost_before = 0;
        if let (Some(id), Some(last)) = (frame_id, streaming.last_frame_id) {
            lost_before = id.saturating_sub(last).saturating_sub(1);
        }
        if frame_id.is_some() {
            streaming.last_frame_id = frame_id;
        }
        if incomplete {
            requeue();
            return Err(CameraError::FrameLost(
                "the producer delivered an incomplete buffer".into(),
            ));
        }
        let base = Self::buffer_info::<usize>(opened, buffer, BUFFER_INFO_BASE).unwrap_or(0) as *const u8;
        let filled = Self::buffer_info::<usize>(opened, buffer, BUFFER_INFO_SIZE_FILLED)
            .filter(|n| *n > 0)
            .unwrap_or(opened.payload);
        let known = streaming
            .buffers
            .iter()
            .find(|(h, _)| *h == buffer)
            .map(|(_, memory)| memory.as_ptr());
        let result = match known.filter(|p| *p == base || base.is_null()) {
            Some(memory) => {
                let len = filled.min(opened.payload);
                // SAFETY: `memory` is one of our announced buffers, `payload` bytes long, filled by the
                // producer and not written again until requeued below.
                let payload = unsafe { std::slice::from_raw_parts(memory, len) };
                let pixels = frame_size / opened.format.frame_format().bytes_per_pixel();
                let needed = pixels * opened.format.payload_bytes_per_pixel();
                if payload.len() < needed {
                    Err(CameraError::FrameLost(format!(
                        "a buffer of {} bytes, the frame needs {needed}",
                        payload.len()
                    )))
                } else {
                    opened.format.copy_samples(payload, buf);
                    Ok(())
                }
            }
            None => Err(device_error("the producer delivered a buffer axvs did not announce")),
        };
        requeue();
        result?;
        let source = match streaming.timestamps {
            Some(source) => source,
            None => {
                let source = Self::timestamp_source(opened, buffer, streaming.tick_hz);
                if let Timestamps::None(why) = source {
                    eprintln!(
                        "axvs: warning: {} of {}: no device timestamps ({why}): its frames have acquisition times only",
                        self.config.settings.selector,
                        self.config.cti.display()
                    );
                }
                streaming.timestamps = Some(source);
                source
            }
        };
        let timestamp = match source {
            Timestamps::Ns => Self::buffer_info::<u64>(opened, buffer, BUFFER_INFO_TIMESTAMP_NS),
            Timestamps::Ticks(hz) => {
                Self::buffer_info::<u64>(opened, buffer, BUFFER_INFO_TIMESTAMP).map(|t| Timestamps::ticks_to_ns(t, hz))
            }
            Timestamps::None(_) => None,
        };
        Ok(GrabInfo {
            device_frame_id: frame_id,
            device_timestamp_ns: timestamp.filter(|t| *t > 0),
            lost_before,
        })
    }

    fn stop(&mut self) -> Result<(), CameraError> {
        let Some(streaming) = self.streaming.take() else {
            return Ok(());
        };
        let opened = self.opened()?;
        let f = opened.device.producer.fns;
        let stop = opened.device.nodes.execute("AcquisitionStop");
        if opened.device.nodes.has("TLParamsLocked") {
            let _ = opened.device.nodes.set_integer("TLParamsLocked", 0);
        }
        // SAFETY: the stream is open; every buffer below is ours and revoked once.
        unsafe {
            (f.DSStopAcquisition)(opened.stream, 0);
            (f.DSFlushQueue)(opened.stream, ACQ_QUEUE_ALL_DISCARD);
            for (handle, _) in &streaming.buffers {
                (f.DSRevokeBuffer)(opened.stream, *handle, std::ptr::null_mut(), std::ptr::null_mut());
            }
            (f.GCUnregisterEvent)(opened.stream, EVENT_NEW_BUFFER);
        }
        drop(streaming);
        stop.map_err(device_error)
    }

    fn close(&mut self) {
        let _ = self.stop();
        if let Some(opened) = self.opened.take() {
            let f = opened.device.producer.fns;
            // SAFETY: the stream was opened by this camera and is not used after this; the device closes
            // when dropped, after it.
            unsafe { (f.DSClose)(opened.stream) };
            drop(opened.device);
        }
        self.info = None;
    }
}

impl Drop for GentlCamera {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::Timestamps;

    #[test]
    fn ticks_become_ns_by_their_frequency_without_overflow() {
        assert_eq!(Timestamps::ticks_to_ns(125_000_000, 125_000_000), 1_000_000_000);
        assert_eq!(Timestamps::ticks_to_ns(3, 1), 3_000_000_000);
        assert_eq!(Timestamps::ticks_to_ns(u64::MAX, 1_000_000_000), u64::MAX);
        assert_eq!(
            Timestamps::ticks_to_ns(7, 0),
            7_000_000_000,
            "a zero frequency is never divided by"
        );
    }
}
