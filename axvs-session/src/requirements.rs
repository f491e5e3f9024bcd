//! What this machine can record with: FFmpeg and each encoder (opened for real), OpenCV and GStreamer,
//! Aravis, the GenTL producer and the camera plugins. `axvs check` (no rig) and the MCP tool
//! `check_runtime_requirements` print the same [`Requirements`].

use std::path::PathBuf;

use axvs_encode::{Codec, EncoderSettings};
use serde::Serialize;

use crate::backends::{Backends, PluginLoad};

/// One library or component: whether axvs can use it, its version, and what else matters.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Component {
    /// Its name.
    pub name: String,
    /// True when axvs can use it.
    pub available: bool,
    /// Its version, where known.
    pub version: Option<String>,
    /// What it offers, or why it is not available.
    pub detail: String,
}

/// One encoder, tried for real.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EncoderCheck {
    /// FFmpeg's name for it (`libx264`, `h264_nvenc`...).
    pub encoder: String,
    /// The rig's codec name.
    pub codec: String,
    /// The GPU it was tried on (NVENC only).
    pub gpu: Option<u32>,
    /// True when it opened.
    pub available: bool,
    /// Why it did not open.
    pub reason: Option<String>,
}

/// The GenTL producer the `gentl` backend would use.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CtiStatus {
    /// True when a producer is chosen (environment, stored choice or `GENICAM_GENTL64_PATH`).
    pub configured: bool,
    /// Its file.
    pub path: Option<PathBuf>,
    /// Where the choice comes from.
    pub source: Option<String>,
    /// True when it loads and answers.
    pub loads: bool,
    /// Vendor, model, version and transport, when it loads.
    pub producer: Option<String>,
    /// Devices it offers, when it loads.
    pub devices: Option<usize>,
    /// Why it is not configured or does not load.
    pub reason: Option<String>,
}

/// A camera plugin file, loaded or refused.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PluginCheck {
    /// Its file (or what refused it names).
    pub path: Option<PathBuf>,
    /// True when it loaded.
    pub loaded: bool,
    /// Name and version, when it loaded.
    pub name: Option<String>,
    /// The backends it provides.
    pub backends: Vec<String>,
    /// Why it was refused.
    pub reason: Option<String>,
}

/// Everything axvs can record with on this machine.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Requirements {
    /// FFmpeg's libraries as loaded.
    pub ffmpeg: Vec<Component>,
    /// Every encoder axvs drives, each opened for real.
    pub encoders: Vec<EncoderCheck>,
    /// OpenCV, and the GStreamer its video I/O uses.
    pub opencv: Component,
    /// GStreamer (through OpenCV).
    pub gstreamer: Component,
    /// Aravis (GenICam cameras).
    pub aravis: Component,
    /// The GenTL producer.
    pub gentl: CtiStatus,
    /// The camera plugins on the search path.
    pub plugins: Vec<PluginCheck>,
    /// This host's clock: whether a time daemon keeps it synchronised (`None` when it cannot be read).
    pub clock: Option<crate::host_clock::HostClock>,
}

impl Requirements {
    /// True when at least one CPU encoder opens: axvs can record.
    pub fn can_record(&self) -> bool {
        self.encoders.iter().any(|e| e.available)
    }
}

/// Checks everything with `backends` (OpenCV's plugin loaded, and every plugin on the search path); takes
/// a second or two (each encoder is opened).
pub fn check(backends: &mut Backends) -> Requirements {
    let ffmpeg = axvs_encode::library_versions()
        .into_iter()
        .map(|(name, version)| Component {
            name: name.into(),
            available: true,
            version: Some(version),
            detail: String::new(),
        })
        .collect();
    let (opencv, gstreamer) = opencv(backends);
    backends.load_plugins(&[]);
    let plugins = backends
        .plugins()
        .iter()
        .map(|load| match load {
            PluginLoad::Loaded(info) => PluginCheck {
                path: Some(info.path.clone()),
                loaded: true,
                name: Some(format!("{} {}", info.name, info.version)),
                backends: info.backends.clone(),
                reason: None,
            },
            PluginLoad::Refused(why) => PluginCheck {
                path: None,
                loaded: false,
                name: None,
                backends: Vec::new(),
                reason: Some(why.to_string()),
            },
        })
        .collect();
    Requirements {
        ffmpeg,
        encoders: encoders(),
        opencv,
        gstreamer,
        aravis: aravis(),
        gentl: cti_status(),
        plugins,
        clock: crate::host_clock::read().ok(),
    }
}

/// The NVIDIA GPUs the driver lists; none listed: GPU 0 is still tried, so that the reason is shown.
fn gpus() -> Vec<u32> {
    let listed = std::fs::read_dir("/proc/driver/nvidia/gpus").map_or(0, |d| d.count() as u32);
    (0..listed.max(1)).collect()
}

fn encoders() -> Vec<EncoderCheck> {
    let cpu = [Codec::H264, Codec::H265, Codec::Av1, Codec::Ffv1].map(|codec| (codec, None));
    let gpu = gpus()
        .into_iter()
        .flat_map(|gpu| [Codec::H264, Codec::H265, Codec::Av1].map(|codec| (codec, Some(gpu))));
    cpu.into_iter()
        .chain(gpu)
        .map(|(codec, gpu)| {
            let settings = EncoderSettings {
                codec,
                gpu,
                ..EncoderSettings::default()
            };
            let tried = axvs_encode::try_encoder(&settings);
            EncoderCheck {
                encoder: codec.encoder_name(gpu.is_some()).unwrap_or("?").into(),
                codec: codec.name().into(),
                gpu,
                available: tried.is_ok(),
                reason: tried.err().map(|e| e.to_string()),
            }
        })
        .collect()
}

/// OpenCV, and the GStreamer its video I/O reads pipelines with, as the `opencv` backend (its plugin loaded)
/// reports them.
fn opencv(backends: &Backends) -> (Component, Component) {
    let libraries = match backends.loaded("opencv") {
        Ok(backend) => backend.libraries(),
        Err(why) => {
            let off = |name: &str, detail: String| Component {
                name: name.into(),
                available: false,
                version: None,
                detail,
            };
            let gst = off("GStreamer", "read through OpenCV, which is not available".into());
            return (off("OpenCV", why), gst);
        }
    };
    let version = |name: &str| libraries.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let gstreamer = version("GStreamer");
    let gst = Component {
        name: "GStreamer".into(),
        available: gstreamer.is_some(),
        detail: match &gstreamer {
            Some(_) => "OpenCV reads GStreamer pipelines (`pipeline = ...` cameras)".into(),
            None => "this OpenCV was built without GStreamer: no `pipeline` cameras".into(),
        },
        version: gstreamer,
    };
    let from = backends
        .bundled_loaded()
        .find(|p| p.backends.iter().any(|b| b == "opencv"))
        .map(|p| format!(", from {}", p.path.display()))
        .unwrap_or_default();
    let cv = Component {
        name: "OpenCV".into(),
        available: true,
        version: version("OpenCV"),
        detail: format!("webcams, video files, URLs and GStreamer pipelines (backend \"opencv\"{from})"),
    };
    (cv, gst)
}

#[cfg(feature = "genicam")]
fn aravis() -> Component {
    Component {
        name: "Aravis".into(),
        available: true,
        version: Some(axvs_camera_genicam::aravis_version()),
        detail: format!(
            "GenICam cameras (backend \"genicam\"), interfaces: {}",
            axvs_camera_genicam::interfaces().join(", ")
        ),
    }
}

#[cfg(not(feature = "genicam"))]
fn aravis() -> Component {
    Component {
        name: "Aravis".into(),
        available: false,
        version: None,
        detail: "this axvs was built without the genicam feature".into(),
    }
}

/// The GenTL producer the `gentl` backend would use, and whether it loads.
pub fn cti_status() -> CtiStatus {
    let (path, source) = match axvs_gentl::cti::resolve(None) {
        Ok(found) => found,
        Err(e) => {
            return CtiStatus {
                configured: false,
                path: None,
                source: None,
                loads: false,
                producer: None,
                devices: None,
                reason: Some(e.to_string()),
            }
        }
    };
    let mut status = CtiStatus {
        configured: true,
        path: Some(path.clone()),
        source: Some(source.to_string()),
        loads: false,
        producer: None,
        devices: None,
        reason: None,
    };
    match axvs_gentl::Producer::load(&path) {
        Ok(producer) => {
            let info = producer.info();
            status.loads = true;
            status.producer = Some(format!(
                "{} {} version {}, transport {}",
                info.vendor, info.model, info.version, info.tl_type
            ));
            match producer.devices() {
                Ok(devices) => status.devices = Some(devices.len()),
                Err(e) => status.reason = Some(e.to_string()),
            }
        }
        Err(e) => status.reason = Some(e.to_string()),
    }
    status
}
