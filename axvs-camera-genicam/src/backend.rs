//! GenICam as a registered backend: `backend = "genicam"` in a rig, with exactly one of `serial`, `model`,
//! `device_id` or `index`.

use std::path::PathBuf;
use std::sync::Arc;

use axvs_core::{
    BackendSettings, Camera, CameraBackend, CameraConfig, CameraError, Dimension, DiscoverOptions, DiscoveredCamera,
    Positive, SettingsError,
};
use serde::Deserialize;

use crate::{discover, GenicamCamera, GenicamConfig, GenicamPixelFormat, Selector, Trigger};

/// The GenICam backend (`genicam`): GigE Vision and USB3 Vision cameras through Aravis.
#[derive(Debug, Clone, Copy, Default)]
pub struct GenicamBackend;

/// Stream buffers: 1 to 1024.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "i64")]
struct Buffers(usize);

impl TryFrom<i64> for Buffers {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        match v {
            1..=1024 => Ok(Buffers(v as usize)),
            _ => Err(format!("{v} stream buffers is out of range (allowed: 1 to 1024)")),
        }
    }
}

/// The rig keys of a GenICam camera.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(
    dead_code,
    reason = "the selector keys are checked here and read by DeviceSelector::from_settings"
)]
struct Settings {
    serial: Option<String>,
    model: Option<String>,
    device_id: Option<String>,
    index: Option<i64>,
    fake_interface: Option<bool>,
    width: Option<Dimension>,
    height: Option<Dimension>,
    offset_x: Option<Dimension>,
    offset_y: Option<Dimension>,
    pixel_format: Option<String>,
    fps: Option<Positive>,
    exposure_us: Option<Positive>,
    gain_db: Option<f64>,
    trigger: Option<String>,
    trigger_line: Option<String>,
    trigger_activation: Option<String>,
    buffers: Option<Buffers>,
    genicam_config: Option<PathBuf>,
}

impl CameraBackend for GenicamBackend {
    fn name(&self) -> &str {
        "genicam"
    }

    fn configure(&self, settings: &BackendSettings) -> Result<Arc<dyn CameraConfig>, SettingsError> {
        let s: Settings = settings.parse()?;
        let selector = Selector::from_settings(settings, "genicam")?;
        let pixel_format = s
            .pixel_format
            .map(|p| {
                p.parse::<GenicamPixelFormat>()
                    .map_err(|e| SettingsError::value("pixel_format", e))
            })
            .transpose()?;
        let trigger = Trigger::from_settings(settings)?;
        let defaults = GenicamConfig::new(selector);
        Ok(Arc::new(GenicamConfig {
            fake_interface: s.fake_interface.unwrap_or(defaults.fake_interface),
            width: s.width.map(Dimension::get),
            height: s.height.map(Dimension::get),
            offset_x: s.offset_x.map(Dimension::get),
            offset_y: s.offset_y.map(Dimension::get),
            pixel_format,
            fps: s.fps.map(Positive::get),
            exposure_us: s.exposure_us.map(Positive::get),
            gain_db: s.gain_db,
            trigger,
            buffers: s.buffers.map_or(defaults.buffers, |b| b.0),
            config_file: s.genicam_config,
            ..defaults
        }))
    }

    fn discover(&self, options: &DiscoverOptions) -> Result<Vec<DiscoveredCamera>, CameraError> {
        Ok(discover(options.simulated)
            .into_iter()
            .map(|d| DiscoveredCamera {
                backend: "genicam".into(),
                address: format!("device_id = \"{}\" ({} {})", d.id, d.protocol, d.address),
                vendor: Some(d.vendor).filter(|v| !v.is_empty()),
                model: Some(d.model).filter(|v| !v.is_empty()),
                serial: Some(d.serial).filter(|v| !v.is_empty()),
                ..DiscoveredCamera::default()
            })
            .collect())
    }
}

impl CameraConfig for GenicamConfig {
    fn summary(&self) -> String {
        let mut parts = vec![format!("genicam {}", self.selector)];
        if let (Some(w), Some(h)) = (self.width, self.height) {
            parts.push(format!("{w}x{h}"));
        }
        if let Some(fps) = self.fps {
            parts.push(format!("{fps} fps"));
        }
        if let Some(format) = self.pixel_format {
            parts.push(format.to_string());
        }
        match &self.trigger {
            Trigger::FreeRun => {}
            Trigger::Software => parts.push("software trigger".into()),
            Trigger::Hardware { line, activation } => parts.push(format!("trigger {line} {activation}")),
        }
        parts.join(" ")
    }

    fn camera(&self) -> Box<dyn Camera> {
        Box::new(GenicamCamera::new(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configure(text: &str) -> Result<Arc<dyn CameraConfig>, SettingsError> {
        GenicamBackend.configure(&BackendSettings::new(text.parse().expect("toml")))
    }

    #[test]
    fn one_selector_and_typed_settings() {
        let summary = configure("serial = \"GV01\"\nwidth = 64\nheight = 48\nfps = 10\npixel_format = \"mono8\"")
            .expect("valid")
            .summary();
        assert_eq!(summary, "genicam serial 'GV01' 64x48 10 fps Mono8");
        let e = configure("serial = \"a\"\nindex = 0").expect_err("two selectors");
        assert!(e.to_string().ends_with("(given: serial, index)"), "{e}");
        let key = |text: &str| configure(text).expect_err(text).key().map(str::to_string);
        assert_eq!(key("index = -2"), Some("index".into()));
        assert_eq!(key("index = 0\npixel_format = \"yuv\""), Some("pixel_format".into()));
        assert_eq!(key("index = 0\nbuffers = 0"), Some("buffers".into()));
        assert_eq!(key("index = 0\ntrigger = \"hardware\""), None);
        assert_eq!(key("index = 0\npaced = true"), Some("paced".into()));
        let hw = configure("index = 0\ntrigger = \"hardware\"\ntrigger_line = \"Line1\"").expect("hardware");
        assert!(hw.summary().ends_with("trigger Line1 RisingEdge"), "{}", hw.summary());
    }
}
