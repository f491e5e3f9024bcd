//! The `rawfile` backend: its settings, their defaults and checks, and its discovery.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axvs_plugin::axvs_core::{
    BackendSettings, Camera, CameraBackend, CameraConfig, CameraError, Dimension, DiscoverOptions, DiscoveredCamera,
    FrameShape, PixelFormat, Positive, SettingsError,
};
use serde::Deserialize;

use crate::RawFileCamera;

/// Frame rate when none is given.
pub const DEFAULT_FPS: f64 = 30.0;

/// The backend: name, settings, discovery.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawFileBackend;

/// The rig keys of a `rawfile` camera.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    path: PathBuf,
    width: Option<Dimension>,
    height: Option<Dimension>,
    pixel_format: Option<PixelFormat>,
    fps: Option<Positive>,
    #[serde(rename = "loop")]
    looped: Option<bool>,
    paced: Option<bool>,
}

/// One `rawfile` camera's checked settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFileConfig {
    /// The raw file.
    pub path: PathBuf,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Layout of each frame.
    pub pixel_format: PixelFormat,
    /// Frames per second.
    pub fps: f64,
    /// Start over at the end of the file instead of ending the stream.
    pub looped: bool,
    /// Deliver frames at `fps` (like a camera) or as fast as they are asked for.
    pub paced: bool,
}

impl RawFileConfig {
    /// Frames of `width`x`height` `pixel_format` from `path`, at the default rate, once, paced.
    pub fn new(path: impl Into<PathBuf>, width: u32, height: u32, pixel_format: PixelFormat) -> Self {
        RawFileConfig {
            path: path.into(),
            width,
            height,
            pixel_format,
            fps: DEFAULT_FPS,
            looped: false,
            paced: true,
        }
    }
}

/// The size and pixel format a file's name states, as in `clip_640x480_mono8.raw`.
///
/// ```
/// use axvs_plugin::axvs_core::PixelFormat;
/// use axvs_plugin_rawfile::geometry_from_name;
/// assert_eq!(geometry_from_name("runs/clip_640x480_bgr8.raw".as_ref()), Some((640, 480, PixelFormat::Bgr8)));
/// assert_eq!(geometry_from_name("clip.raw".as_ref()), None);
/// ```
pub fn geometry_from_name(path: &Path) -> Option<(u32, u32, PixelFormat)> {
    let stem = path.file_stem()?.to_str()?;
    let mut parts = stem.rsplitn(3, '_');
    let format: PixelFormat = parts.next()?.parse().ok()?;
    let (w, h) = parts.next()?.split_once('x')?;
    let (w, h) = (
        Dimension::try_from(w.parse::<i64>().ok()?).ok()?,
        Dimension::try_from(h.parse::<i64>().ok()?).ok()?,
    );
    Some((w.get(), h.get(), format))
}

impl CameraBackend for RawFileBackend {
    fn name(&self) -> &str {
        "rawfile"
    }

    fn configure(&self, settings: &BackendSettings) -> Result<Arc<dyn CameraConfig>, SettingsError> {
        let s: Settings = settings.parse()?;
        let named = geometry_from_name(&s.path);
        let missing = |key: &str| {
            SettingsError::table(format!(
                "'{key}' is needed: the file name '{}' does not state the frame size and pixel format \
                 (name it like clip_640x480_mono8.raw, or give width, height and pixel_format)",
                s.path.display()
            ))
        };
        let width = s
            .width
            .map(Dimension::get)
            .or(named.map(|n| n.0))
            .ok_or_else(|| missing("width"))?;
        let height = s
            .height
            .map(Dimension::get)
            .or(named.map(|n| n.1))
            .ok_or_else(|| missing("height"))?;
        let pixel_format = s
            .pixel_format
            .or(named.map(|n| n.2))
            .ok_or_else(|| missing("pixel_format"))?;
        Ok(Arc::new(RawFileConfig {
            fps: s.fps.map_or(DEFAULT_FPS, Positive::get),
            looped: s.looped.unwrap_or(false),
            paced: s.paced.unwrap_or(true),
            ..RawFileConfig::new(s.path, width, height, pixel_format)
        }))
    }

    /// The raw files in the current folder whose names state their size and format.
    fn discover(&self, _: &DiscoverOptions) -> Result<Vec<DiscoveredCamera>, CameraError> {
        let dir =
            std::fs::read_dir(".").map_err(|e| CameraError::Device(format!("reading the current folder: {e}")))?;
        let mut found: Vec<DiscoveredCamera> = dir
            .flatten()
            .map(|entry| entry.path())
            .filter(|p| p.extension().is_some_and(|e| e == "raw"))
            .filter_map(|path| {
                let (w, h, format) = geometry_from_name(&path)?;
                Some(DiscoveredCamera {
                    backend: "rawfile".into(),
                    address: format!("path = \"{}\"", path.strip_prefix(".").unwrap_or(&path).display()),
                    sizes: vec![(w, h)],
                    pixel_formats: vec![format.to_string()],
                    ..DiscoveredCamera::default()
                })
            })
            .collect();
        found.sort_by(|a, b| a.address.cmp(&b.address));
        Ok(found)
    }
}

impl CameraConfig for RawFileConfig {
    fn summary(&self) -> String {
        format!(
            "rawfile '{}' {}x{} {} fps {}{}",
            self.path.display(),
            self.width,
            self.height,
            self.fps,
            self.pixel_format,
            if self.looped { ", looped" } else { "" }
        )
    }

    fn camera(&self) -> Box<dyn Camera> {
        Box::new(RawFileCamera::new(self.clone()))
    }

    fn declared_shape(&self) -> Option<FrameShape> {
        Some(FrameShape {
            width: self.width,
            height: self.height,
            pixel_format: self.pixel_format,
        })
    }

    fn files(&self) -> Result<Vec<(String, PathBuf)>, String> {
        Ok(vec![("path".into(), self.path.clone())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configure(text: &str) -> Result<Arc<dyn CameraConfig>, SettingsError> {
        RawFileBackend.configure(&BackendSettings::new(text.parse().expect("toml")))
    }

    #[test]
    fn the_name_or_the_keys_give_the_geometry() {
        let c = configure("path = \"a_64x48_mono8.raw\"\nfps = 10\nloop = true").expect("from the name");
        assert_eq!(c.summary(), "rawfile 'a_64x48_mono8.raw' 64x48 10 fps mono8, looped");
        let c = configure("path = \"a_64x48_mono8.raw\"\nwidth = 32\npixel_format = \"bgr8\"").expect("keys win");
        assert_eq!(c.summary(), "rawfile 'a_64x48_mono8.raw' 32x48 30 fps bgr8");
        let e = configure("path = \"a.raw\"\nwidth = 32").expect_err("no height");
        assert!(e.to_string().starts_with("'height' is needed"), "{e}");
        assert_eq!(configure("").expect_err("no path").key(), None);
        assert_eq!(
            configure("path = \"a.raw\"\nwidth = 0").expect_err("zero").key(),
            Some("width")
        );
        assert_eq!(
            configure("path = \"a.raw\"\nindex = 0").expect_err("opencv key").key(),
            Some("index")
        );
    }

    #[test]
    fn names_without_a_whole_geometry_state_none() {
        for name in ["a_64x48.raw", "a_64x_mono8.raw", "a_0x48_mono8.raw", "a_64x48_yuv.raw"] {
            assert_eq!(geometry_from_name(name.as_ref()), None, "{name}");
        }
        assert_eq!(
            geometry_from_name("x_y_2x3_mono16.raw".as_ref()),
            Some((2, 3, PixelFormat::Mono16))
        );
        assert_eq!(
            geometry_from_name("2x3_mono16.raw".as_ref()),
            Some((2, 3, PixelFormat::Mono16))
        );
    }
}
