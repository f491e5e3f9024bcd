//! OpenCV as a registered backend: `backend = "opencv"` in a rig, with exactly one of `index`, `path`, `url`
//! or `pipeline`.

use std::path::PathBuf;
use std::sync::Arc;

use axvs_core::{
    BackendSettings, Camera, CameraBackend, CameraConfig, CameraError, Dimension, DiscoverOptions, DiscoveredCamera,
    FrameShape, PixelFormat, Positive, SettingsError,
};
use serde::Deserialize;

use crate::{OpenCvCamera, OpenCvConfig, OpenCvSource};

/// Highest `/dev/video` index discovery probes.
pub const DISCOVER_MAX_INDEX: i32 = 64;
/// Discovery stops after this many missing indices in a row.
pub const DISCOVER_MISS_LIMIT: u32 = 5;

/// The OpenCV backend (`opencv`): webcams, device paths, video files, URLs, GStreamer pipelines.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenCvBackend;

/// The rig keys of an OpenCV camera.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    index: Option<i64>,
    path: Option<String>,
    url: Option<String>,
    pipeline: Option<String>,
    width: Option<Dimension>,
    height: Option<Dimension>,
    fps: Option<Positive>,
    pixel_format: Option<PixelFormat>,
    paced: Option<bool>,
}

impl CameraBackend for OpenCvBackend {
    fn name(&self) -> &str {
        "opencv"
    }

    fn configure(&self, settings: &BackendSettings) -> Result<Arc<dyn CameraConfig>, SettingsError> {
        let mut s: Settings = settings.parse()?;
        // The key exactly_one names is in the table, so serde filled its field.
        let source = match settings.exactly_one("opencv", &["index", "path", "url", "pipeline"])? {
            "index" => {
                let i = s.index.unwrap_or_default();
                OpenCvSource::Index(i32::try_from(i).ok().filter(|i| *i >= 0).ok_or_else(|| {
                    SettingsError::value("index", format!("index {i} is out of range (allowed: 0 and up)"))
                })?)
            }
            "path" => OpenCvSource::Path(s.path.take().unwrap_or_default().into()),
            "url" => OpenCvSource::Url(s.url.take().unwrap_or_default()),
            _ => OpenCvSource::Pipeline(s.pipeline.take().unwrap_or_default()),
        };
        let defaults = OpenCvConfig::new(source);
        let pixel_format = s.pixel_format.unwrap_or(defaults.pixel_format);
        if !matches!(pixel_format, PixelFormat::Mono8 | PixelFormat::Bgr8) {
            return Err(SettingsError::value(
                "pixel_format",
                format!("the OpenCV backend delivers bgr8, or mono8 by conversion, not {pixel_format}"),
            ));
        }
        Ok(Arc::new(OpenCvConfig {
            width: s.width.map(Dimension::get),
            height: s.height.map(Dimension::get),
            fps: s.fps.map(Positive::get),
            pixel_format,
            paced: s.paced.unwrap_or(defaults.paced),
            ..defaults
        }))
    }

    fn discover(&self, _: &DiscoverOptions) -> Result<Vec<DiscoveredCamera>, CameraError> {
        Ok(crate::discover(DISCOVER_MAX_INDEX, DISCOVER_MISS_LIMIT)
            .into_iter()
            .map(|cam| DiscoveredCamera {
                backend: "opencv".into(),
                address: format!("index {}", cam.index),
                sizes: vec![(cam.width, cam.height)],
                rates: if cam.fps > 0.0 { vec![cam.fps] } else { Vec::new() },
                pixel_formats: vec!["bgr8".into(), "mono8".into()],
                ..DiscoveredCamera::default()
            })
            .collect())
    }

    /// OpenCV, and the GStreamer its video I/O was built with (when it was).
    fn libraries(&self) -> Vec<(String, String)> {
        let (opencv, gstreamer) = crate::runtime_versions();
        std::iter::once(("OpenCV".to_string(), opencv))
            .chain(gstreamer.map(|v| ("GStreamer".to_string(), v)))
            .collect()
    }
}

impl CameraConfig for OpenCvConfig {
    fn summary(&self) -> String {
        let size = match (self.width, self.height) {
            (Some(w), Some(h)) => format!(" {w}x{h}"),
            _ => String::new(),
        };
        let fps = self.fps.map(|f| format!(" {f} fps")).unwrap_or_default();
        format!("opencv {}{size}{fps} {}", self.source, self.pixel_format)
    }

    fn camera(&self) -> Box<dyn Camera> {
        Box::new(OpenCvCamera::new(self.clone()))
    }

    fn declared_shape(&self) -> Option<FrameShape> {
        Some(FrameShape {
            width: self.width?,
            height: self.height?,
            pixel_format: self.pixel_format,
        })
    }

    fn files(&self) -> Result<Vec<(String, PathBuf)>, String> {
        match &self.source {
            OpenCvSource::Path(path) => Ok(vec![("path".into(), path.clone())]),
            OpenCvSource::Pipeline(pipeline) => pipeline_files(pipeline).map(|()| Vec::new()),
            OpenCvSource::Index(_) | OpenCvSource::Url(_) => Ok(Vec::new()),
        }
    }
}

/// Whether a GStreamer pipeline touches no file: it ends in `appsink`, the only sink in it, and no element
/// names a `location` (files, and the sources that read them); otherwise why not.
fn pipeline_files(pipeline: &str) -> Result<(), String> {
    let elements: Vec<&str> = pipeline.split('!').map(str::trim).collect();
    let factory = |element: &str| element.split_whitespace().next().unwrap_or_default().to_string();
    let last = elements.last().map(|e| factory(e)).unwrap_or_default();
    if last != "appsink" {
        return Err(format!("pipeline: it ends in {last:?}, not appsink"));
    }
    for element in &elements[..elements.len() - 1] {
        let name = factory(element);
        if name.ends_with("sink") || name == "tee" || name.contains("file") {
            return Err(format!("pipeline: its element {name:?} may write or read files"));
        }
    }
    if let Some(element) = elements.iter().find(|e| e.contains("location")) {
        return Err(format!(
            "pipeline: {:?} names a location (a file or a stream to read)",
            factory(element)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_name_the_path_and_refuse_pipelines_that_reach_files() {
        let files = |text: &str| configure(text).expect("settings").files();
        assert_eq!(files("index = 0").expect("none"), Vec::new());
        assert_eq!(
            files("path = \"/data/clip.mp4\"").expect("the path"),
            [("path".to_string(), PathBuf::from("/data/clip.mp4"))]
        );
        assert_eq!(
            files("pipeline = \"videotestsrc ! videoconvert ! appsink\"").expect("no file"),
            Vec::new()
        );
        for (pipeline, says) in [
            ("videotestsrc ! filesink location=/tmp/x", "not appsink"),
            (
                "videotestsrc ! tee name=t ! queue ! filesink location=/tmp/x t. ! queue ! appsink",
                "\"tee\"",
            ),
            ("filesrc location=/etc/passwd ! decodebin ! appsink", "\"filesrc\""),
            ("multifilesrc location=/x/%d.png ! pngdec ! appsink", "\"multifilesrc\""),
            ("souphttpsrc location=http://x ! decodebin ! appsink", "location"),
        ] {
            let e = files(&format!("pipeline = \"{pipeline}\"")).expect_err(pipeline);
            assert!(e.contains(says), "{pipeline}: {e}");
        }
    }

    fn configure(text: &str) -> Result<Arc<dyn CameraConfig>, SettingsError> {
        OpenCvBackend.configure(&BackendSettings::new(text.parse().expect("toml")))
    }

    #[test]
    fn exactly_one_source_is_named() {
        let pipeline = "videotestsrc ! appsink";
        let summary = configure(&format!("pipeline = \"{pipeline}\"\nwidth = 320\nheight = 240"))
            .expect("valid")
            .summary();
        assert_eq!(summary, format!("opencv pipeline '{pipeline}' 320x240 bgr8"));
        assert!(configure("index = 0\npixel_format = \"mono8\"").is_ok());
        for (text, given) in [("", "none"), ("index = 0\npath = \"/dev/video0\"", "index, path")] {
            let e = configure(text).expect_err(text);
            assert_eq!(e.key(), None);
            assert!(e.to_string().ends_with(&format!("(given: {given})")), "{e}");
        }
        assert_eq!(configure("index = -1").expect_err("negative").key(), Some("index"));
        assert_eq!(
            configure("index = 0\nframes = 3").expect_err("synthetic key").key(),
            Some("frames")
        );
        assert_eq!(
            configure("index = 0\npixel_format = \"mono16\"")
                .expect_err("16 bit")
                .key(),
            Some("pixel_format")
        );
    }
}
