//! GenICam as a registered backend: `backend = "genicam"` in a rig, with exactly one of `serial`, `model`,
//! `device_id` or `index`.

use std::sync::Arc;

use axvs_core::{
    BackendSettings, Camera, CameraBackend, CameraConfig, CameraError, DiscoverOptions, DiscoveredCamera, FrameShape,
    SettingsError,
};
use axvs_genicam::GenicamSettings;

use crate::{discover, GenicamCamera, GenicamConfig};

/// The GenICam backend (`genicam`): GigE Vision and USB3 Vision cameras through Aravis.
#[derive(Debug, Clone, Copy, Default)]
pub struct GenicamBackend;

impl CameraBackend for GenicamBackend {
    fn name(&self) -> &str {
        "genicam"
    }

    fn configure(&self, settings: &BackendSettings) -> Result<Arc<dyn CameraConfig>, SettingsError> {
        let genicam = GenicamSettings::from_settings(settings, "genicam", &["fake_interface"], 1..=1024)?;
        let fake_interface = match settings.table().get("fake_interface") {
            None => false,
            Some(v) => v.as_bool().ok_or_else(|| {
                SettingsError::value(
                    "fake_interface",
                    format!("fake_interface must be true or false, not {v}"),
                )
            })?,
        };
        Ok(Arc::new(GenicamConfig {
            settings: genicam,
            fake_interface,
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

    /// Aravis.
    fn libraries(&self) -> Vec<(String, String)> {
        vec![("Aravis".to_string(), crate::aravis_version())]
    }
}

impl CameraConfig for GenicamConfig {
    fn summary(&self) -> String {
        format!("genicam {}", self.settings.summary())
    }

    fn camera(&self) -> Box<dyn Camera> {
        Box::new(GenicamCamera::new(self.clone()))
    }

    fn declared_shape(&self) -> Option<FrameShape> {
        self.settings.declared_shape()
    }

    fn files(&self) -> Result<Vec<(String, std::path::PathBuf)>, String> {
        Ok(self.settings.files())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configure(text: &str) -> Result<Arc<dyn CameraConfig>, SettingsError> {
        GenicamBackend.configure(&BackendSettings::new(text.parse().expect("toml")))
    }

    #[test]
    fn the_shared_genicam_keys_and_the_fake_interface() {
        let summary = configure("serial = \"GV01\"\nwidth = 64\nheight = 48\nfps = 10\npixel_format = \"mono8\"")
            .expect("valid")
            .summary();
        assert_eq!(summary, "genicam serial 'GV01' 64x48 10 fps Mono8");
        let key = |text: &str| configure(text).expect_err(text).key().map(str::to_string);
        assert_eq!(
            key("index = 0\nfake_interface = \"yes\""),
            Some("fake_interface".into())
        );
        assert_eq!(key("index = 0\ncti = \"x.cti\""), Some("cti".into()), "a gentl key");
        assert_eq!(key("index = 0\nbuffers = 0"), Some("buffers".into()));
        assert!(configure("device_id = \"Fake_1\"\nfake_interface = true\nbuffers = 1").is_ok());
    }
}
