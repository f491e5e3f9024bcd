//! The `gentl` backend: its rig settings (the Aravis backend's, plus `cti`), their checks, and discovery.

use std::path::PathBuf;
use std::sync::Arc;

use axvs_core::{
    BackendSettings, Camera, CameraBackend, CameraConfig, CameraError, DiscoverOptions, DiscoveredCamera, FrameShape,
    SettingsError,
};
use axvs_genicam::GenicamSettings;

use crate::{cti, GentlCamera, GentlConfig, Producer};

/// The backend (`gentl`).
#[derive(Debug, Clone, Copy, Default)]
pub struct GentlBackend;

impl CameraBackend for GentlBackend {
    fn name(&self) -> &str {
        "gentl"
    }

    fn configure(&self, settings: &BackendSettings) -> Result<Arc<dyn CameraConfig>, SettingsError> {
        let genicam = GenicamSettings::from_settings(settings, "gentl", &["cti"], 2..=1024)?;
        let named = match settings.table().get("cti") {
            None => None,
            Some(v) => Some(PathBuf::from(v.as_str().ok_or_else(|| {
                SettingsError::value("cti", format!("cti must be a path, not {v}"))
            })?)),
        };
        let (cti, source) = cti::resolve(named.as_deref()).map_err(|e| SettingsError::table(e.to_string()))?;
        Ok(Arc::new(GentlConfig {
            cti,
            settings: genicam,
            // The environment's producer wins over the rig's: only a producer the rig chose is the rig's file.
            cti_named: matches!(source, cti::CtiSource::Named),
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
        format!("gentl {} via {}", self.settings.summary(), self.cti.display())
    }

    fn camera(&self) -> Box<dyn Camera> {
        Box::new(GentlCamera::new(self.clone()))
    }

    fn declared_shape(&self) -> Option<FrameShape> {
        self.settings.declared_shape()
    }

    fn files(&self) -> Result<Vec<(String, PathBuf)>, String> {
        let named = self.cti_named.then(|| ("cti".to_string(), self.cti.clone()));
        Ok(named.into_iter().chain(self.settings.files()).collect())
    }
}
