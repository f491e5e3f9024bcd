//! The synthetic camera as a registered backend: `backend = "synthetic"` in a rig.

use std::sync::Arc;

use serde::Deserialize;

use super::{ArrivalDelay, DeviceClock, DEFAULT_FPS, DEFAULT_HEIGHT, DEFAULT_WIDTH, MIN_SIZE};
use crate::{
    BackendSettings, Camera, CameraBackend, CameraConfig, CameraError, Dimension, DiscoverOptions, DiscoveredCamera,
    FrameShape, PixelFormat, Positive, SettingsError, SyntheticCamera, SyntheticConfig,
};

/// The built-in synthetic camera backend (`synthetic`): needs no hardware.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyntheticBackend;

/// The rig keys of a synthetic camera.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    width: Option<Dimension>,
    height: Option<Dimension>,
    fps: Option<Positive>,
    pixel_format: Option<PixelFormat>,
    paced: Option<bool>,
    frames: Option<u64>,
    clock: Option<DeviceClock>,
    delay: Option<ArrivalDelay>,
    seed: Option<u64>,
    triggered: Option<bool>,
}

impl CameraBackend for SyntheticBackend {
    fn name(&self) -> &str {
        "synthetic"
    }

    fn configure(&self, settings: &BackendSettings) -> Result<Arc<dyn CameraConfig>, SettingsError> {
        let s: Settings = settings.parse()?;
        let defaults = SyntheticConfig::default();
        let pixel_format = s.pixel_format.unwrap_or(defaults.pixel_format);
        let config = SyntheticConfig {
            width: s.width.map_or(DEFAULT_WIDTH, Dimension::get),
            height: s.height.map_or(DEFAULT_HEIGHT, Dimension::get),
            fps: s.fps.map_or(DEFAULT_FPS, Positive::get),
            pixel_format,
            paced: s.paced.unwrap_or(defaults.paced),
            frame_limit: s.frames,
            clock: s.clock.unwrap_or(defaults.clock),
            delay: s.delay.unwrap_or(defaults.delay),
            seed: s.seed.unwrap_or(defaults.seed),
            triggered: s.triggered.unwrap_or(defaults.triggered),
        };
        if let Some((key, reason)) = config.clock.invalid().or_else(|| config.delay.invalid()) {
            return Err(SettingsError::value(key, reason));
        }
        if config.width < MIN_SIZE.0 || config.height < MIN_SIZE.1 {
            return Err(SettingsError::table(format!(
                "synthetic frames must be at least {}x{}, not {}x{}",
                MIN_SIZE.0, MIN_SIZE.1, config.width, config.height
            )));
        }
        Ok(Arc::new(config))
    }

    /// Always one: the synthetic camera needs no device.
    fn discover(&self, _: &DiscoverOptions) -> Result<Vec<DiscoveredCamera>, CameraError> {
        Ok(vec![DiscoveredCamera {
            backend: self.name().into(),
            address: "(built in, any size from 64x32)".into(),
            vendor: Some("axvs".into()),
            model: Some("synthetic".into()),
            pixel_formats: PixelFormat::ALL.iter().map(|f| f.to_string()).collect(),
            ..DiscoveredCamera::default()
        }])
    }
}

impl CameraConfig for SyntheticConfig {
    fn summary(&self) -> String {
        format!(
            "synthetic {}x{} {} fps {}{}{}",
            self.width,
            self.height,
            self.fps,
            self.pixel_format,
            self.frame_limit.map(|n| format!(", {n} frames")).unwrap_or_default(),
            if self.triggered { ", triggered" } else { "" }
        )
    }

    fn camera(&self) -> Box<dyn Camera> {
        Box::new(SyntheticCamera::new(self.clone()))
    }

    fn declared_shape(&self) -> Option<FrameShape> {
        Some(FrameShape {
            width: self.width,
            height: self.height,
            pixel_format: self.pixel_format,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configure(text: &str) -> Result<Arc<dyn CameraConfig>, SettingsError> {
        SyntheticBackend.configure(&BackendSettings::new(text.parse().expect("toml")))
    }

    #[test]
    fn defaults_fill_what_the_rig_leaves_out() {
        let summary = configure("").expect("defaults").summary();
        assert_eq!(summary, "synthetic 640x480 30 fps mono8");
        let summary = configure("width = 64\nheight = 32\nfps = 2.5\npixel_format = \"bgr8\"\nframes = 9")
            .expect("valid")
            .summary();
        assert_eq!(summary, "synthetic 64x32 2.5 fps bgr8, 9 frames");
    }

    #[test]
    fn the_declared_shape_is_the_settings_size_and_format() {
        let config = configure("width = 96\nheight = 48\npixel_format = \"bayer_rg8\"").expect("valid");
        assert_eq!(
            config.declared_shape(),
            Some(FrameShape {
                width: 96,
                height: 48,
                pixel_format: PixelFormat::BayerRg8
            })
        );
        assert_eq!(config.files(), Ok(Vec::new()), "the synthetic camera touches no file");
    }

    #[test]
    fn discovery_lists_the_one_synthetic_camera() {
        let found = SyntheticBackend
            .discover(&DiscoverOptions::default())
            .expect("discover");
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].backend.as_str(), found[0].model.as_deref()),
            ("synthetic", Some("synthetic"))
        );
        assert_eq!(found[0].pixel_formats.len(), PixelFormat::ALL.len(), "every format");
    }

    #[test]
    fn settings_out_of_range_name_their_key() {
        let key = |text: &str| configure(text).expect_err(text).key().map(str::to_string);
        assert_eq!(key("pixel_format = \"mono12\""), Some("pixel_format".into()));
        assert_eq!(key("width = 0"), Some("width".into()));
        assert_eq!(key("fps = 0"), Some("fps".into()));
        assert_eq!(key("index = 0"), Some("index".into()));
        assert_eq!(key("width = 63"), None);
        assert_eq!(key("height = 31"), None);
        assert!(configure("width = 64\nheight = 32").is_ok());
        assert_eq!(key("clock = { drift_ppm = 1e6 }"), Some("clock.drift_ppm".into()));
        assert_eq!(key("delay = { stalls = 2 }"), Some("delay.stalls".into()));
        assert_eq!(key("delay = { stall_ms = [9, 1] }"), Some("delay.stall_ms".into()));
        assert!(
            key("clock = { drift = 5 }").is_some_and(|k| k.starts_with("clock")),
            "unknown clock key"
        );
    }
}
