//! The rig file: rig-wide defaults and any number of `[[camera]]` tables, validated once here.
//!
//! ```toml
//! output_dir = "recordings"      # each run writes <output_dir>/<session>/<id:03d>.mp4
//! queue_depth = 64               # frames between acquisition and encoding, per camera
//! overflow = "drop_newest"       # or "block"
//!
//! [encoder]                      # defaults for every camera
//! codec = "h264"                 # h264 | h265 | av1 | ffv1
//! preset = 3                     # 1 fastest .. 7 slowest
//! qp = 20                        # 0 best .. 51 worst
//! pixel_format = "yuv420p"       # yuv420p | yuv444p | gray
//!
//! [[camera]]
//! id = 1
//! name = "left"
//! backend = "synthetic"
//! width = 640
//! height = 480
//! fps = 30
//! pixel_format = "mono8"
//! [camera.encoder]               # overrides for this camera only
//! pixel_format = "gray"
//! ```

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use axvs_camera_genicam::{GenicamConfig, GenicamPixelFormat, Selector, Trigger};
use axvs_camera_opencv::{OpenCvConfig, OpenCvSource};
use axvs_core::{OverflowPolicy, PixelFormat, SyntheticConfig};
use axvs_encode::{Codec, Container, EncoderSettings, OutputPixelFormat, Preset, Qp};
use serde::Deserialize;
use toml::Spanned;

/// The rig that `axvs run` uses without a file, and that `rigs/demo.toml` holds.
pub const DEFAULT_RIG: &str = include_str!("../../rigs/demo.toml");
/// How the built-in rig is named in messages.
pub const DEFAULT_RIG_NAME: &str = "<built-in demo rig>";

/// A rig file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RigError {
    /// The file cannot be read.
    #[error("cannot read rig file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file says something invalid, at a known place.
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong and what is allowed.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RigFile {
    output_dir: Option<String>,
    log_dir: Option<String>,
    queue_depth: Option<QueueDepth>,
    overflow: Option<OverflowPolicy>,
    encoder: Option<EncoderTable>,
    #[serde(default)]
    camera: Vec<Spanned<CameraTable>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct EncoderTable {
    codec: Option<Codec>,
    gpu: Option<GpuIndex>,
    preset: Option<Preset>,
    qp: Option<Qp>,
    pixel_format: Option<OutputPixelFormat>,
    container: Option<Container>,
    keyframe_interval: Option<Positive>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CameraTable {
    id: Spanned<SourceId>,
    name: Spanned<String>,
    backend: Backend,
    width: Option<Dimension>,
    height: Option<Dimension>,
    fps: Option<Positive>,
    pixel_format: Option<Spanned<String>>,
    paced: Option<bool>,
    frames: Option<u64>,
    index: Option<i64>,
    path: Option<String>,
    url: Option<String>,
    pipeline: Option<String>,
    display_fps: Option<Positive>,
    serial: Option<String>,
    model: Option<String>,
    device_id: Option<String>,
    fake_interface: Option<bool>,
    offset_x: Option<Dimension>,
    offset_y: Option<Dimension>,
    exposure_us: Option<Positive>,
    gain_db: Option<f64>,
    trigger: Option<TriggerKind>,
    trigger_line: Option<String>,
    trigger_activation: Option<String>,
    buffers: Option<QueueDepth>,
    genicam_config: Option<String>,
    queue_depth: Option<QueueDepth>,
    overflow: Option<OverflowPolicy>,
    encoder: Option<EncoderTable>,
}

/// Camera backends a rig can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The built-in synthetic camera.
    Synthetic,
    /// OpenCV: webcams, device paths, files, URLs, GStreamer pipelines.
    Opencv,
    /// GenICam (GigE Vision, USB3 Vision) through Aravis.
    Genicam,
}

/// GenICam trigger modes in the rig.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum TriggerKind {
    FreeRun,
    Software,
    Hardware,
}

/// A source id: 0 to 255 (it names the log entries and the video file).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "i64")]
struct SourceId(u8);

impl TryFrom<i64> for SourceId {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        u8::try_from(v)
            .map(SourceId)
            .map_err(|_| format!("camera id {v} is out of range (allowed: 0 to 255)"))
    }
}

/// A frame width or height: 1 to 16384.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "i64")]
struct Dimension(u32);

impl TryFrom<i64> for Dimension {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        match v {
            1..=16384 => Ok(Dimension(v as u32)),
            _ => Err(format!("{v} is not a valid size (allowed: 1 to 16384 pixels)")),
        }
    }
}

/// Queue depth: 1 to 100000 frames.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "i64")]
struct QueueDepth(usize);

impl TryFrom<i64> for QueueDepth {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        match v {
            1..=100_000 => Ok(QueueDepth(v as usize)),
            _ => Err(format!("queue depth {v} is out of range (allowed: 1 to 100000 frames)")),
        }
    }
}

/// GPU index for NVENC; negative means the CPU, as in the original.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "i64")]
struct GpuIndex(Option<u32>);

impl TryFrom<i64> for GpuIndex {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        match v {
            v if v < 0 => Ok(GpuIndex(None)),
            0..=64 => Ok(GpuIndex(Some(v as u32))),
            _ => Err(format!(
                "gpu index {v} is out of range (allowed: -1 for the CPU, 0 to 64)"
            )),
        }
    }
}

/// A positive number (integer or float), e.g. a frame rate.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "Number")]
struct Positive(f64);

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
enum Number {
    Int(i64),
    Float(f64),
}

impl TryFrom<Number> for Positive {
    type Error = String;
    fn try_from(n: Number) -> Result<Self, String> {
        let v = match n {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        };
        if v.is_finite() && (0.001..=100_000.0).contains(&v) {
            Ok(Positive(v))
        } else {
            Err(format!(
                "{v} is not allowed here (must be a number from 0.001 to 100000)"
            ))
        }
    }
}

/// A validated rig, ready to build video systems from.
#[derive(Debug, Clone)]
pub struct Rig {
    /// Where the rig came from (file path or the built-in name).
    pub source: String,
    /// Root of the recordings; each run writes a session directory in it.
    pub output_dir: PathBuf,
    /// Root of the logs, when not beside the videos.
    pub log_dir: Option<PathBuf>,
    /// The cameras, in file order.
    pub cameras: Vec<CameraSpec>,
}

/// One camera of the rig, with every default applied.
#[derive(Debug, Clone)]
pub struct CameraSpec {
    /// Source id.
    pub id: u8,
    /// Name.
    pub name: String,
    /// How to reach the camera.
    pub camera: CameraSource,
    /// Queue depth.
    pub queue_depth: usize,
    /// Overflow policy.
    pub overflow: OverflowPolicy,
    /// Encoder settings.
    pub encoder: EncoderSettings,
    /// Live preview rate, when a preview is wanted.
    pub display_fps: Option<f64>,
    /// `file:line:column` of its table, for messages.
    pub location: String,
}

/// The backend and its settings.
#[derive(Debug, Clone)]
pub enum CameraSource {
    /// A synthetic camera.
    Synthetic(SyntheticConfig),
    /// An OpenCV source.
    OpenCv(OpenCvConfig),
    /// A GenICam camera.
    Genicam(GenicamConfig),
}

struct Locator<'a> {
    file: &'a str,
    text: &'a str,
}

impl Locator<'_> {
    fn error(&self, span: Option<Range<usize>>, message: impl Into<String>) -> RigError {
        let offset = span.map(|s| s.start).unwrap_or(0).min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
        RigError::Invalid {
            file: self.file.to_string(),
            line,
            column,
            message: message
                .into()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("; "),
        }
    }

    fn location(&self, span: Range<usize>) -> String {
        match self.error(Some(span), "") {
            RigError::Invalid { file, line, column, .. } => format!("{file}:{line}:{column}"),
            RigError::Read { .. } => self.file.to_string(),
        }
    }
}

impl EncoderTable {
    fn apply(&self, mut s: EncoderSettings) -> EncoderSettings {
        if let Some(v) = self.codec {
            s.codec = v;
        }
        if let Some(v) = self.gpu {
            s.gpu = v.0;
        }
        if let Some(v) = self.preset {
            s.preset = v;
        }
        if let Some(v) = self.qp {
            s.qp = v;
        }
        if let Some(v) = self.pixel_format {
            s.pixel_format = v;
        }
        if let Some(v) = self.container {
            s.container = Some(v);
        }
        if let Some(v) = self.keyframe_interval {
            s.keyframe_interval_s = v.0;
        }
        s
    }
}

impl Rig {
    /// Reads and validates a rig file.
    pub fn load(path: &Path) -> Result<Rig, RigError> {
        let text = std::fs::read_to_string(path).map_err(|source| RigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Rig::parse(&path.display().to_string(), &text)
    }

    /// The built-in demo rig.
    pub fn builtin() -> Result<Rig, RigError> {
        Rig::parse(DEFAULT_RIG_NAME, DEFAULT_RIG)
    }

    /// Validates rig text; `file` names it in messages.
    pub fn parse(file: &str, text: &str) -> Result<Rig, RigError> {
        let loc = Locator { file, text };
        let raw: RigFile = toml::from_str(text).map_err(|e| loc.error(e.span(), e.message().to_string()))?;
        if raw.camera.is_empty() {
            return Err(loc.error(None, "the rig has no cameras; add at least one [[camera]] table"));
        }
        let defaults = raw
            .encoder
            .clone()
            .unwrap_or_default()
            .apply(EncoderSettings::default());
        let mut ids: HashMap<u8, String> = HashMap::new();
        let mut names: HashMap<String, String> = HashMap::new();
        let mut cameras = Vec::with_capacity(raw.camera.len());
        for table in &raw.camera {
            let location = loc.location(table.span());
            let cam = table.get_ref();
            let id = cam.id.get_ref().0;
            if let Some(first) = ids.insert(id, location.clone()) {
                return Err(loc.error(
                    Some(cam.id.span()),
                    format!("camera id {id} is used twice (first at {first}); ids must be unique"),
                ));
            }
            let name = cam.name.get_ref().trim().to_string();
            if name.is_empty() {
                return Err(loc.error(Some(cam.name.span()), "camera name must not be empty"));
            }
            if let Some(first) = names.insert(name.clone(), location.clone()) {
                return Err(loc.error(
                    Some(cam.name.span()),
                    format!("camera name '{name}' is used twice (first at {first}); names must be unique"),
                ));
            }
            let encoder = cam.encoder.clone().unwrap_or_default().apply(defaults.clone());
            axvs_encode::check_settings(&encoder)
                .map_err(|e| loc.error(Some(table.span()), format!("camera {id} '{name}': {e}")))?;
            let here = |message: String| loc.error(Some(table.span()), format!("camera {id} '{name}': {message}"));
            let frame_format = |default: PixelFormat| -> Result<PixelFormat, RigError> {
                match &cam.pixel_format {
                    None => Ok(default),
                    Some(p) => p
                        .get_ref()
                        .parse::<PixelFormat>()
                        .map_err(|e| loc.error(Some(p.span()), e.to_string())),
                }
            };
            let genicam_keys = [
                ("serial", cam.serial.is_some()),
                ("model", cam.model.is_some()),
                ("device_id", cam.device_id.is_some()),
                ("fake_interface", cam.fake_interface.is_some()),
                ("offset_x", cam.offset_x.is_some()),
                ("offset_y", cam.offset_y.is_some()),
                ("exposure_us", cam.exposure_us.is_some()),
                ("gain_db", cam.gain_db.is_some()),
                ("trigger", cam.trigger.is_some()),
                ("trigger_line", cam.trigger_line.is_some()),
                ("trigger_activation", cam.trigger_activation.is_some()),
                ("buffers", cam.buffers.is_some()),
                ("genicam_config", cam.genicam_config.is_some()),
            ];
            if cam.backend != Backend::Genicam {
                if let Some((key, _)) = genicam_keys.iter().find(|(_, given)| *given) {
                    return Err(here(format!("'{key}' applies to backend \"genicam\"")));
                }
            }
            let selectors: Vec<&str> = [
                ("index", cam.index.is_some()),
                ("path", cam.path.is_some()),
                ("url", cam.url.is_some()),
                ("pipeline", cam.pipeline.is_some()),
            ]
            .into_iter()
            .filter_map(|(key, given)| given.then_some(key))
            .collect();
            let camera =
                match cam.backend {
                    Backend::Synthetic => {
                        if let Some(key) = selectors.first() {
                            return Err(here(format!(
                                "'{key}' applies to backend \"opencv\", not \"synthetic\""
                            )));
                        }
                        let pixel_format = frame_format(PixelFormat::Mono8)?;
                        if !matches!(pixel_format, PixelFormat::Mono8 | PixelFormat::Bgr8) {
                            return Err(here(format!(
                                "the synthetic camera renders mono8 or bgr8, not {pixel_format}"
                            )));
                        }
                        let config = SyntheticConfig {
                            width: cam.width.map(|d| d.0).unwrap_or(640),
                            height: cam.height.map(|d| d.0).unwrap_or(480),
                            fps: cam.fps.map(|f| f.0).unwrap_or(30.0),
                            pixel_format,
                            paced: cam.paced.unwrap_or(true),
                            frame_limit: cam.frames,
                        };
                        if config.width < 64 || config.height < 32 {
                            return Err(here(format!(
                                "synthetic frames must be at least 64x32, not {}x{}",
                                config.width, config.height
                            )));
                        }
                        CameraSource::Synthetic(config)
                    }
                    Backend::Opencv => {
                        let source =
                            match (selectors.as_slice(), cam) {
                                ([_], CameraTable { index: Some(i), .. }) => {
                                    let index = i32::try_from(*i).ok().filter(|i| *i >= 0).ok_or_else(|| {
                                        here(format!("index {i} is out of range (allowed: 0 and up)"))
                                    })?;
                                    OpenCvSource::Index(index)
                                }
                                ([_], CameraTable { path: Some(p), .. }) => OpenCvSource::Path(p.into()),
                                ([_], CameraTable { url: Some(u), .. }) => OpenCvSource::Url(u.clone()),
                                ([_], CameraTable { pipeline: Some(p), .. }) => OpenCvSource::Pipeline(p.clone()),
                                _ => {
                                    return Err(here(format!(
                                "backend \"opencv\" needs exactly one of index, path, url, pipeline (given: {})",
                                if selectors.is_empty() { "none".to_string() } else { selectors.join(", ") }
                            )))
                                }
                            };
                        if cam.frames.is_some() {
                            return Err(here("'frames' applies to backend \"synthetic\"".into()));
                        }
                        let pixel_format = frame_format(PixelFormat::Bgr8)?;
                        if !matches!(pixel_format, PixelFormat::Mono8 | PixelFormat::Bgr8) {
                            return Err(here(format!(
                                "the OpenCV backend delivers bgr8, or mono8 by conversion, not {pixel_format}"
                            )));
                        }
                        CameraSource::OpenCv(OpenCvConfig {
                            source,
                            width: cam.width.map(|d| d.0),
                            height: cam.height.map(|d| d.0),
                            fps: cam.fps.map(|f| f.0),
                            pixel_format,
                            paced: cam.paced.unwrap_or(true),
                        })
                    }
                    Backend::Genicam => genicam_source(cam, &selectors, &here, &loc)?,
                };
            cameras.push(CameraSpec {
                id,
                name,
                camera,
                queue_depth: cam.queue_depth.or(raw.queue_depth).map(|q| q.0).unwrap_or(64),
                overflow: cam.overflow.or(raw.overflow).unwrap_or_default(),
                encoder,
                display_fps: cam.display_fps.map(|f| f.0),
                location,
            });
        }
        Ok(Rig {
            source: file.to_string(),
            output_dir: PathBuf::from(raw.output_dir.unwrap_or_else(|| "recordings".into())),
            log_dir: raw.log_dir.map(PathBuf::from),
            cameras,
        })
    }
}

/// The settings of a `backend = "genicam"` camera.
fn genicam_source(
    cam: &CameraTable,
    selectors: &[&str],
    here: &dyn Fn(String) -> RigError,
    loc: &Locator<'_>,
) -> Result<CameraSource, RigError> {
    if let Some(key) = selectors.iter().find(|k| **k != "index") {
        return Err(here(format!("'{key}' applies to backend \"opencv\", not \"genicam\"")));
    }
    let named: Vec<&str> = [
        ("serial", cam.serial.is_some()),
        ("model", cam.model.is_some()),
        ("device_id", cam.device_id.is_some()),
        ("index", cam.index.is_some()),
    ]
    .into_iter()
    .filter_map(|(key, given)| given.then_some(key))
    .collect();
    let selector = match (named.as_slice(), cam) {
        ([_], CameraTable { serial: Some(s), .. }) => Selector::Serial(s.clone()),
        ([_], CameraTable { model: Some(m), .. }) => Selector::Model(m.clone()),
        ([_], CameraTable { device_id: Some(d), .. }) => Selector::DeviceId(d.clone()),
        ([_], CameraTable { index: Some(i), .. }) => Selector::Index(
            u32::try_from(*i).map_err(|_| here(format!("index {i} is out of range (allowed: 0 and up)")))?,
        ),
        _ => {
            return Err(here(format!(
                "backend \"genicam\" needs exactly one of serial, model, device_id, index (given: {})",
                if named.is_empty() {
                    "none".to_string()
                } else {
                    named.join(", ")
                }
            )))
        }
    };
    if cam.frames.is_some() || cam.paced.is_some() {
        return Err(here("'frames' and 'paced' apply to other backends".into()));
    }
    let pixel_format = match &cam.pixel_format {
        None => None,
        Some(p) => Some(
            p.get_ref()
                .parse::<GenicamPixelFormat>()
                .map_err(|e| loc.error(Some(p.span()), e))?,
        ),
    };
    let trigger = match cam.trigger.unwrap_or(TriggerKind::FreeRun) {
        TriggerKind::FreeRun => Trigger::FreeRun,
        TriggerKind::Software => Trigger::Software,
        TriggerKind::Hardware => Trigger::Hardware {
            line: cam
                .trigger_line
                .clone()
                .ok_or_else(|| here("trigger = \"hardware\" needs trigger_line (e.g. \"Line1\")".into()))?,
            activation: cam.trigger_activation.clone().unwrap_or_else(|| "RisingEdge".into()),
        },
    };
    Ok(CameraSource::Genicam(GenicamConfig {
        selector,
        fake_interface: cam.fake_interface.unwrap_or(false),
        width: cam.width.map(|d| d.0),
        height: cam.height.map(|d| d.0),
        offset_x: cam.offset_x.map(|d| d.0),
        offset_y: cam.offset_y.map(|d| d.0),
        pixel_format,
        fps: cam.fps.map(|f| f.0),
        exposure_us: cam.exposure_us.map(|f| f.0),
        gain_db: cam.gain_db,
        trigger,
        buffers: cam.buffers.map(|b| b.0).unwrap_or(16),
        config_file: cam.genicam_config.as_ref().map(PathBuf::from),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_rig_is_valid_and_mixes_mono_and_colour() {
        let rig = Rig::builtin().expect("demo rig");
        assert!(rig.cameras.len() >= 2);
        let formats: Vec<PixelFormat> = rig
            .cameras
            .iter()
            .map(|c| match &c.camera {
                CameraSource::Synthetic(s) => s.pixel_format,
                CameraSource::OpenCv(o) => o.pixel_format,
                CameraSource::Genicam(_) => PixelFormat::Mono8,
            })
            .collect();
        assert!(formats.contains(&PixelFormat::Mono8) && formats.contains(&PixelFormat::Bgr8));
    }

    #[test]
    fn errors_name_line_and_column() {
        let text = "output_dir = \"x\"\n[[camera]]\nid = 1\nname = \"a\"\nbackend = \"synthetic\"\nqp = 3\n";
        let err = Rig::parse("r.toml", text).expect_err("unknown key").to_string();
        assert!(err.starts_with("r.toml:6:1: unknown field `qp`"), "{err}");
    }

    #[test]
    fn camera_overrides_apply_on_top_of_rig_defaults() {
        let text = "[encoder]\nqp = 30\npreset = 2\n[[camera]]\nid = 4\nname = \"a\"\nbackend = \"synthetic\"\n\
                    [camera.encoder]\nqp = 10\n";
        let rig = Rig::parse("r.toml", text).expect("valid");
        let enc = &rig.cameras[0].encoder;
        assert_eq!((enc.qp.get(), enc.preset.get()), (10, 2));
    }
}
