//! The rig settings every GenICam backend (Aravis, GenTL) shares: which device, its region, pixel format,
//! rate, exposure, gain, trigger, stream buffers and node configuration file; read and checked once here.

use std::ops::RangeInclusive;
use std::path::PathBuf;

use serde::Deserialize;

use axvs_core::{BackendSettings, Dimension, FrameShape, Offset, Positive, SettingsError, DEFAULT_DRIVER_BUFFERS};

use crate::{DeviceSelector, GenicamPixelFormat, Trigger};

/// One GenICam camera's settings; `None` keeps the camera's own value.
#[derive(Debug, Clone, PartialEq)]
pub struct GenicamSettings {
    /// Which device.
    pub selector: DeviceSelector,
    /// Region width.
    pub width: Option<u32>,
    /// Region height.
    pub height: Option<u32>,
    /// Region x offset.
    pub offset_x: Option<u32>,
    /// Region y offset.
    pub offset_y: Option<u32>,
    /// Camera pixel format.
    pub pixel_format: Option<GenicamPixelFormat>,
    /// Frame rate; required for cameras without a frame-rate node.
    pub fps: Option<f64>,
    /// Exposure time in µs (turns auto exposure off).
    pub exposure_us: Option<f64>,
    /// Gain in dB (turns auto gain off).
    pub gain_db: Option<f64>,
    /// When the camera takes a frame.
    pub trigger: Trigger,
    /// Buffers the stream fills.
    pub buffers: usize,
    /// A node configuration file (`axvs genicam dump`) applied before the settings above.
    pub config_file: Option<PathBuf>,
}

/// Stream buffers when the rig names none.
pub const DEFAULT_STREAM_BUFFERS: usize = DEFAULT_DRIVER_BUFFERS;

/// The keys [`GenicamSettings::from_settings`] reads.
const KEYS: [&str; 16] = [
    "serial",
    "model",
    "device_id",
    "index",
    "width",
    "height",
    "offset_x",
    "offset_y",
    "pixel_format",
    "fps",
    "exposure_us",
    "gain_db",
    "trigger",
    "trigger_line",
    "trigger_activation",
    "buffers",
];

/// The value types of the keys (the selector and trigger keys are read by their own types).
#[derive(Debug, Deserialize)]
#[allow(
    dead_code,
    reason = "the selector and trigger keys are type-checked here and read by their types"
)]
struct Keys {
    serial: Option<String>,
    model: Option<String>,
    device_id: Option<String>,
    index: Option<i64>,
    width: Option<Dimension>,
    height: Option<Dimension>,
    offset_x: Option<Offset>,
    offset_y: Option<Offset>,
    pixel_format: Option<String>,
    fps: Option<Positive>,
    exposure_us: Option<Positive>,
    gain_db: Option<f64>,
    trigger: Option<String>,
    trigger_line: Option<String>,
    trigger_activation: Option<String>,
    buffers: Option<i64>,
    genicam_config: Option<PathBuf>,
}

impl GenicamSettings {
    /// The files these settings read: the node configuration (`genicam_config`), when given.
    pub fn files(&self) -> Vec<(String, PathBuf)> {
        self.config_file
            .iter()
            .map(|f| ("genicam_config".to_string(), f.clone()))
            .collect()
    }

    /// The frames these settings fix without opening the camera: width, height and pixel format all given.
    pub fn declared_shape(&self) -> Option<FrameShape> {
        Some(FrameShape {
            width: self.width?,
            height: self.height?,
            pixel_format: self.pixel_format?.frame_format(),
        })
    }

    /// The device `selector` as it is, free-running, with [`DEFAULT_STREAM_BUFFERS`] buffers.
    pub fn new(selector: DeviceSelector) -> Self {
        GenicamSettings {
            selector,
            width: None,
            height: None,
            offset_x: None,
            offset_y: None,
            pixel_format: None,
            fps: None,
            exposure_us: None,
            gain_db: None,
            trigger: Trigger::FreeRun,
            buffers: DEFAULT_STREAM_BUFFERS,
            config_file: None,
        }
    }

    /// Reads a camera table's GenICam keys; `backend` names it in errors, `own_keys` are the backend's other
    /// keys (read by the backend), and `buffers` bounds the `buffers` key.
    pub fn from_settings(
        settings: &BackendSettings,
        backend: &str,
        own_keys: &[&str],
        buffers: RangeInclusive<usize>,
    ) -> Result<GenicamSettings, SettingsError> {
        let allowed: Vec<&str> = KEYS
            .iter()
            .copied()
            .chain(["genicam_config"])
            .chain(own_keys.iter().copied())
            .collect();
        if let Some(key) = settings.table().keys().find(|k| !allowed.contains(&k.as_str())) {
            let expected: Vec<String> = allowed.iter().map(|k| format!("`{k}`")).collect();
            return Err(SettingsError::UnknownKey {
                key: key.clone(),
                message: format!("unknown field `{key}`, expected one of {}", expected.join(", ")),
            });
        }
        let keys: Keys = settings.parse()?;
        let pixel_format = keys
            .pixel_format
            .map(|p| {
                p.parse::<GenicamPixelFormat>()
                    .map_err(|e| SettingsError::value("pixel_format", e))
            })
            .transpose()?;
        let buffer_count = match keys.buffers {
            None => DEFAULT_STREAM_BUFFERS.clamp(*buffers.start(), *buffers.end()),
            Some(n) => usize::try_from(n).ok().filter(|n| buffers.contains(n)).ok_or_else(|| {
                SettingsError::value(
                    "buffers",
                    format!(
                        "{n} stream buffers is out of range (allowed: {} to {})",
                        buffers.start(),
                        buffers.end()
                    ),
                )
            })?,
        };
        Ok(GenicamSettings {
            selector: DeviceSelector::from_settings(settings, backend)?,
            width: keys.width.map(Dimension::get),
            height: keys.height.map(Dimension::get),
            offset_x: keys.offset_x.map(Offset::get),
            offset_y: keys.offset_y.map(Offset::get),
            pixel_format,
            fps: keys.fps.map(Positive::get),
            exposure_us: keys.exposure_us.map(Positive::get),
            gain_db: keys.gain_db,
            trigger: Trigger::from_settings(settings)?,
            buffers: buffer_count,
            config_file: keys.genicam_config,
        })
    }

    /// The summary words after the backend's: `serial 'x' 640x480 30 fps Mono8 software trigger`.
    pub fn summary(&self) -> String {
        let mut parts = vec![self.selector.to_string()];
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<GenicamSettings, SettingsError> {
        GenicamSettings::from_settings(
            &BackendSettings::new(text.parse().expect("toml")),
            "b",
            &["extra"],
            2..=8,
        )
    }

    #[test]
    fn the_frames_and_files_these_settings_fix() {
        let s = read("serial = \"GV01\"\nwidth = 64\nheight = 48\npixel_format = \"mono8\"\ngenicam_config = \"/lab/nodes.yaml\"")
            .expect("valid");
        assert_eq!(
            s.declared_shape(),
            Some(FrameShape {
                width: 64,
                height: 48,
                pixel_format: axvs_core::PixelFormat::Mono8
            })
        );
        assert_eq!(
            s.files(),
            [("genicam_config".to_string(), PathBuf::from("/lab/nodes.yaml"))]
        );
        let s = read("serial = \"GV01\"\nwidth = 64\npixel_format = \"mono8\"").expect("valid");
        assert_eq!(s.declared_shape(), None, "the height is the camera's");
        assert_eq!(s.files(), Vec::new());
    }

    #[test]
    fn keys_are_typed_checked_and_defaulted() {
        let s = read("serial = \"GV01\"\nwidth = 64\nheight = 48\nfps = 10\npixel_format = \"mono8\"\nextra = 1")
            .expect("valid");
        assert_eq!(s.summary(), "serial 'GV01' 64x48 10 fps Mono8");
        assert_eq!(s.buffers, 8, "the default, clamped to the backend's range");
        let key = |text: &str| read(text).expect_err(text).key().map(str::to_string);
        assert_eq!(key("index = 0\nbuffers = 1"), Some("buffers".into()));
        assert_eq!(key("index = 0\npixel_format = \"yuv\""), Some("pixel_format".into()));
        assert_eq!(key("index = 0\nwidth = 0"), Some("width".into()));
        // A region at the sensor's edge: offsets start at 0.
        let edge = read("index = 0\noffset_x = 0\noffset_y = 0").expect("offsets of 0");
        assert_eq!((edge.offset_x, edge.offset_y), (Some(0), Some(0)));
        assert_eq!(key("index = 0\noffset_x = -1"), Some("offset_x".into()));
        assert_eq!(key("index = 0\npaced = true"), Some("paced".into()));
        let e = read("index = 0\npaced = true").expect_err("unknown");
        assert!(
            e.to_string()
                .starts_with("unknown field `paced`, expected one of `serial`"),
            "{e}"
        );
        assert!(e.to_string().ends_with("`genicam_config`, `extra`"), "{e}");
        assert_eq!(key("index = 0\ntrigger = \"hardware\""), None);
        let hw = read("index = 0\ntrigger = \"hardware\"\ntrigger_line = \"Line1\"\nbuffers = 3").expect("hardware");
        assert!(hw.summary().ends_with("trigger Line1 RisingEdge"), "{}", hw.summary());
        assert_eq!(hw.buffers, 3);
    }
}
