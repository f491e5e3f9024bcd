//! The `gentl` backend: its rig settings (the Aravis backend's, plus `cti`), their checks, and discovery.

use std::path::PathBuf;
use std::sync::Arc;

use axvs_core::{
    BackendSettings, Camera, CameraBackend, CameraConfig, CameraError, Dimension, DiscoverOptions, DiscoveredCamera,
    GenicamPixelFormat, Positive, SettingsError, Trigger,
};
use serde::Deserialize;

use crate::{cti, DeviceSelector, GentlCamera, GentlConfig, Producer};

/// Buffers announced to the producer when none are asked for.
pub const DEFAULT_BUFFERS: usize = 16;

/// The backend (`gentl`).
#[derive(Debug, Clone, Copy, Default)]
pub struct GentlBackend;

/// Announced buffers: 2 to 1024.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "i64")]
struct Buffers(usize);

impl TryFrom<i64> for Buffers {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        match v {
            2..=1024 => Ok(Buffers(v as usize)),
            _ => Err(format!("{v} buffers is out of range (allowed: 2 to 1024)")),
        }
    }
}

/// The rig keys of a `gentl` camera.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(
    dead_code,
    reason = "the selector keys are checked here and read by DeviceSelector::from_settings"
)]
struct Settings {
    cti: Option<PathBuf>,
    serial: Option<String>,
    model: Option<String>,
    device_id: Option<String>,
    index: Option<i64>,
    width: Option<Dimension>,
    height: Option<Dimension>,
    offset_x: Option<Dimension>,
    offset_y: Option<Dimension>,
    pixel_format: Option<String>,
    fps: Option<Positive>,
    exposure_us: Option<Positive>,
    gain_db: Option<f64>,
    buffers: Option<Buffers>,
    genicam_config: Option<PathBuf>,
    trigger: Option<String>,
    trigger_line: Option<String>,
    trigger_activation: Option<String>,
}

impl CameraBackend for GentlBackend {
    fn name(&self) -> &str {
        "gentl"
    }

    fn configure(&self, settings: &BackendSettings) -> Result<Arc<dyn CameraConfig>, SettingsError> {
        let s: Settings = settings.parse()?;
        let selector = DeviceSelector::from_settings(settings, "gentl")?;
        let (cti, _) = cti::resolve(s.cti.as_deref()).map_err(|e| SettingsError::table(e.to_string()))?;
        let pixel_format = s
            .pixel_format
            .map(|p| {
                p.parse::<GenicamPixelFormat>()
                    .map_err(|e| SettingsError::value("pixel_format", e))
            })
            .transpose()?;
        Ok(Arc::new(GentlConfig {
            cti,
            selector,
            width: s.width.map(Dimension::get),
            height: s.height.map(Dimension::get),
            offset_x: s.offset_x.map(Dimension::get),
            offset_y: s.offset_y.map(Dimension::get),
            pixel_format,
            fps: s.fps.map(Positive::get),
            exposure_us: s.exposure_us.map(Positive::get),
            gain_db: s.gain_db,
            buffers: s.buffers.map_or(DEFAULT_BUFFERS, |b| b.0),
            config_file: s.genicam_config,
            trigger: Trigger::from_settings(settings)?,
        }))
    }

    /// The devices of the producer `cti::resolve` picks.
    fn discover(&self, _: &DiscoverOptions) -> Result<Vec<DiscoveredCamera>, CameraError> {
        let (path, _) = cti::resolve(None).map_err(|e| CameraError::Device(e.to_string()))?;
        let producer = Producer::load(&path).map_err(|e| CameraError::Device(e.to_string()))?;
        let devices = producer.devices().map_err(|e| CameraError::Device(e.to_string()))?;
        Ok(devices
            .into_iter()
            .map(|d| DiscoveredCamera {
                backend: "gentl".into(),
                address: format!("device_id = \"{}\" ({}, {})", d.id, d.tl_type, d.access),
                vendor: Some(d.vendor).filter(|v| !v.is_empty()),
                model: Some(d.model).filter(|v| !v.is_empty()),
                serial: Some(d.serial).filter(|v| !v.is_empty()),
                ..DiscoveredCamera::default()
            })
            .collect())
    }
}

impl CameraConfig for GentlConfig {
    fn summary(&self) -> String {
        let mut parts = vec![format!("gentl {} via {}", self.selector, self.cti.display())];
        if let (Some(w), Some(h)) = (self.width, self.height) {
            parts.push(format!("{w}x{h}"));
        }
        if let Some(fps) = self.fps {
            parts.push(format!("{fps} fps"));
        }
        if let Some(format) = self.pixel_format {
            parts.push(format.to_string());
        }
        parts.join(" ")
    }

    fn camera(&self) -> Box<dyn Camera> {
        Box::new(GentlCamera::new(self.clone()))
    }
}
