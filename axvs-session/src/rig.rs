//! The rig file: rig-wide defaults and any number of `[[camera]]` tables, validated once here.
//!
//! ```toml
//! output_dir = "recordings"      # each run writes <output_dir>/<session>/<id:03d>.mp4
//! queue_depth = 64               # frames between acquisition and encoding, per camera
//! overflow = "drop_newest"       # or "block"
//! min_free_space = "6%"          # or "500MB": recording stops cleanly before a disk holds less
//!                                # (unset: $AXVS_MIN_FREE_SPACE, else 6%)
//! live_view = "grid"             # or "windows": one window per camera (cameras with a display_fps)
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

use std::collections::BTreeMap;
use std::sync::Arc;

use axvs_core::{BackendSettings, CameraConfig, FrameShape, OverflowPolicy, Positive, SettingsError, SystemConfig};
use axvs_encode::{Codec, Container, EncoderSettings, OutputPixelFormat, Preset, Qp, SegmentLimit, Timing};
use serde::Deserialize;
use toml::Spanned;

mod hosts;
pub use hosts::{HostSpec, MCP_PATH};

use crate::backends::Backends;
use crate::memory::CameraMemory;
use crate::space::MinFreeSpace;

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
    plugin_dirs: Option<Vec<String>>,
    min_free_space: Option<MinFreeSpace>,
    live_view: Option<axvs_view::ViewLayout>,
    session: Option<toml::Table>,
    #[serde(default)]
    camera: Vec<Spanned<CameraTable>>,
    #[serde(default)]
    host: Vec<Spanned<hosts::HostTable>>,
    lease_s: Option<Positive>,
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
    threads: Option<Threads>,
    segment: Option<SegmentLimit>,
    timing: Option<Timing>,
}

/// Encoder threads: 0 (FFmpeg's choice for the whole machine) to 256.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "i64")]
struct Threads(u32);

impl TryFrom<i64> for Threads {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        match v {
            0..=256 => Ok(Threads(v as u32)),
            _ => Err(format!(
                "threads {v} is out of range (allowed: 0 for FFmpeg's choice, 1 to 256)"
            )),
        }
    }
}

/// The keys of a `[[camera]]` table that the rig itself uses; every other key goes to the camera's backend.
const RIG_KEYS: [&str; 8] = [
    "id",
    "host",
    "name",
    "backend",
    "queue_depth",
    "overflow",
    "encoder",
    "display_fps",
];

#[derive(Debug, Deserialize)]
struct CameraTable {
    id: Spanned<SourceId>,
    name: Spanned<String>,
    backend: Spanned<String>,
    display_fps: Option<Positive>,
    queue_depth: Option<QueueDepth>,
    overflow: Option<OverflowPolicy>,
    encoder: Option<EncoderTable>,
    host: Option<Spanned<String>>,
}

/// Every camera table as keys and values with their places, for the backends' keys.
#[derive(Debug, Deserialize)]
struct CameraKeys {
    #[serde(default)]
    camera: Vec<BTreeMap<Spanned<String>, Spanned<toml::Value>>>,
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

/// The shortest `lease_s` a rig may set, s.
pub const MIN_LEASE_S: f64 = 2.0;

/// A validated rig, ready to build video systems from.
#[derive(Debug, Clone)]
pub struct Rig {
    /// Where the rig came from (file path or the built-in name).
    pub source: String,
    /// Root of the recordings, absolute (a relative `output_dir` starts at the rig file's folder); each
    /// run writes a session directory in it.
    pub output_dir: PathBuf,
    /// Root of the logs, when not beside the videos (absolute, as `output_dir`).
    pub log_dir: Option<PathBuf>,
    /// Free space the disks of the videos and logs keep: recording stops cleanly below it.
    pub min_free_space: MinFreeSpace,
    /// How the live view lays out the cameras that have a `display_fps`.
    pub live_view: axvs_view::ViewLayout,
    /// The cameras this machine runs, in file order.
    pub cameras: Vec<CameraSpec>,
    /// The other PCs (`[[host]]`) and the rigs they run (their cameras are not in `cameras`).
    pub hosts: Vec<HostSpec>,
    /// How long a host records on without hearing from its coordinator (`lease_s`), when the rig sets it.
    pub lease: Option<std::time::Duration>,
    /// The rig's text, as given.
    pub text: String,
    /// The `[session]` table: free-form metadata the session's provenance carries (`subject = "m12"`).
    pub metadata: BTreeMap<String, String>,
    /// The camera plugins loaded while reading it (OpenCV's among them when it has OpenCV cameras): name,
    /// version and file.
    pub plugins: Vec<String>,
    /// The libraries of the backends loaded while reading it, as (name, version)
    /// ([`Backends::libraries`]).
    pub libraries: Vec<(String, String)>,
}

/// One camera of the rig, with every default applied.
#[derive(Debug, Clone)]
pub struct CameraSpec {
    /// Source id.
    pub id: u8,
    /// Name.
    pub name: String,
    /// The backend's name.
    pub backend: String,
    /// The backend's validated settings; makes the camera.
    pub camera: Arc<dyn CameraConfig>,
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

impl CameraSpec {
    /// The video system settings of this camera.
    pub fn system_config(&self, saving: bool) -> SystemConfig {
        SystemConfig {
            id: self.id,
            name: self.name.clone(),
            queue_depth: self.queue_depth,
            overflow: self.overflow,
            saving,
        }
    }

    /// Its frame buffers, for the memory check, once the frames' shape is known.
    pub fn memory(&self, shape: &FrameShape) -> CameraMemory {
        CameraMemory {
            label: format!("camera {} '{}'", self.id, self.name),
            buffers: self.system_config(true).frame_buffers(),
            frame_bytes: shape.frame_size(),
        }
    }
}

/// Where recordings go when the rig does not say (beside the rig file).
pub const DEFAULT_OUTPUT_DIR: &str = "recordings";

/// A folder the rig names, as an absolute path: relative ones start at the rig file's folder (`base`), as
/// `plugin_dirs` do and as paths in configuration files usually do.
fn from_rig(base: &Path, dir: &str) -> PathBuf {
    let joined = base.join(dir);
    std::path::absolute(&joined).unwrap_or(joined)
}

struct Locator<'a> {
    file: &'a str,
    text: &'a str,
}

/// serde's "unknown field `x`, expected one of `a`, `b`" with the keys a camera table takes besides its
/// backend's (`extra`) and, when one is close, "did you mean `a`?".
fn explain_unknown(message: &str, extra: &[&str]) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_string();
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return message.to_string();
    };
    let mut keys: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    for key in extra {
        if !keys.contains(key) {
            keys.push(key);
        }
    }
    let close = keys
        .iter()
        .map(|k| (strsim::damerau_levenshtein(field, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4) && *d < k.len())
        .min();
    let listed: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
    match close {
        Some((_, k)) => format!(
            "unknown field `{field}`: did you mean `{k}`? (keys here: {})",
            listed.join(", ")
        ),
        None => format!("unknown field `{field}` (keys here: {})", listed.join(", ")),
    }
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
            s.keyframe_interval_s = Some(v.get());
        }
        if let Some(v) = self.threads {
            s.threads = Some(v.0);
        }
        if let Some(v) = self.segment {
            s.segment = Some(v);
        }
        if let Some(v) = self.timing {
            s.timing = v;
        }
        s
    }
}

impl Rig {
    /// Reads and validates a rig file; `backends` resolves the backends its cameras name.
    pub fn load(path: &Path, backends: &mut Backends) -> Result<Rig, RigError> {
        let text = axvs_core::read_text_file(path).map_err(|source| RigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Rig::parse(&path.display().to_string(), &text, base, backends)
    }

    /// The built-in demo rig.
    pub fn builtin(backends: &mut Backends) -> Result<Rig, RigError> {
        Rig::parse(DEFAULT_RIG_NAME, DEFAULT_RIG, Path::new("."), backends)
    }

    /// Validates rig text; `file` names it in messages, relative `plugin_dirs` start at `base`.
    pub fn parse(file: &str, text: &str, base: &Path, backends: &mut Backends) -> Result<Rig, RigError> {
        let loc = Locator { file, text };
        let raw: RigFile = toml::from_str(text).map_err(|e| loc.error(e.span(), explain_unknown(e.message(), &[])))?;
        let keys: CameraKeys =
            toml::from_str(text).map_err(|e| loc.error(e.span(), explain_unknown(e.message(), &[])))?;
        if raw.camera.is_empty() {
            return Err(loc.error(None, "the rig has no cameras; add at least one [[camera]] table"));
        }
        let plugin_dirs: Vec<PathBuf> = raw.plugin_dirs.iter().flatten().map(|d| base.join(d)).collect();
        let defaults = raw
            .encoder
            .clone()
            .unwrap_or_default()
            .apply(EncoderSettings::default());
        let mut hosts = hosts::hosts(&raw.host, base, |span| loc.location(span))
            .map_err(|(span, message)| loc.error(span, message))?;
        let mut remote = Vec::new();
        let mut ids: HashMap<u8, String> = HashMap::new();
        let mut names: HashMap<String, String> = HashMap::new();
        let mut cameras = Vec::with_capacity(raw.camera.len());
        for (table, keys) in raw.camera.iter().zip(keys.camera) {
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
            if let Some(host) = &cam.host {
                // That host's camera: its SDK and device are there, and so is its validation.
                if !hosts.iter().any(|h| h.name == *host.get_ref()) {
                    let known: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
                    return Err(loc.error(
                        Some(host.span()),
                        format!(
                            "camera {id} '{name}': no [[host]] is named '{}' (hosts: {})",
                            host.get_ref(),
                            if known.is_empty() {
                                "none".into()
                            } else {
                                known.join(", ")
                            }
                        ),
                    ));
                }
                let table: toml::Table = keys
                    .into_iter()
                    .filter(|(k, _)| k.get_ref() != "host")
                    .map(|(k, v)| (k.into_inner(), v.into_inner()))
                    .collect();
                remote.push((host.get_ref().clone(), id, name, table));
                continue;
            }
            let encoder = cam.encoder.clone().unwrap_or_default().apply(defaults.clone());
            axvs_encode::check_settings(&encoder)
                .map_err(|e| loc.error(Some(table.span()), format!("camera {id} '{name}': {e}")))?;
            let backend_name = cam.backend.get_ref();
            let backend = backends
                .find(backend_name, &plugin_dirs)
                .map_err(|e| loc.error(Some(cam.backend.span()), e.to_string()))?;
            let mut settings = toml::Table::new();
            let mut spans = HashMap::new();
            for (key, value) in keys {
                if !RIG_KEYS.contains(&key.get_ref().as_str()) {
                    spans.insert(key.get_ref().clone(), (key.span(), value.span()));
                    settings.insert(key.into_inner(), value.into_inner());
                }
            }
            let camera = backend.configure(&BackendSettings::new(settings)).map_err(|e| {
                // A key's error points at the key (unknown) or its value (refused); others at the table.
                let top = e.key().map(|k| k.split('.').next().unwrap_or(k));
                let span = match (&e, top.and_then(|k| spans.get(k))) {
                    (SettingsError::UnknownKey { .. }, Some((key, _))) => key.clone(),
                    (_, Some((_, value))) => value.clone(),
                    (_, None) => table.span(),
                };
                let message = match &e {
                    SettingsError::UnknownKey { .. } => explain_unknown(&e.to_string(), &RIG_KEYS),
                    SettingsError::Value { .. } => e.to_string(),
                    _ => format!("camera {id} '{name}': {e}"),
                };
                loc.error(Some(span), message)
            })?;
            if let Some(shape) = camera.declared_shape() {
                axvs_encode::check_frames(&encoder, &shape)
                    .map_err(|e| loc.error(Some(table.span()), format!("camera {id} '{name}': {e}")))?;
            }
            cameras.push(CameraSpec {
                id,
                name,
                backend: backend.name().to_string(),
                camera,
                queue_depth: cam.queue_depth.or(raw.queue_depth).map(|q| q.0).unwrap_or(64),
                overflow: cam.overflow.or(raw.overflow).unwrap_or_default(),
                encoder,
                display_fps: cam.display_fps.map(Positive::get),
                location,
            });
        }
        share_cores(
            &mut cameras,
            std::thread::available_parallelism().map_or(1, |n| n.get()),
        );
        if let Some(lease) = raw.lease_s.map(Positive::get).filter(|l| *l < MIN_LEASE_S) {
            return Err(loc.error(
                None,
                format!("lease_s {lease}: at least {MIN_LEASE_S} s (the coordinator renews it every second)"),
            ));
        }
        let min_free_space = match raw.min_free_space {
            Some(min) => min,
            None => MinFreeSpace::site_default().map_err(|e| loc.error(None, e))?,
        };
        if !hosts.is_empty() {
            let whole: toml::Table = toml::from_str(text).map_err(|e| loc.error(e.span(), e.message().to_string()))?;
            hosts::host_rigs(&mut hosts, &raw.host, &whole, remote).map_err(|e| loc.error(None, e))?;
        }
        Ok(Rig {
            hosts,
            lease: raw.lease_s.map(|l| std::time::Duration::from_secs_f64(l.get())),
            source: file.to_string(),
            output_dir: from_rig(base, &raw.output_dir.unwrap_or_else(|| DEFAULT_OUTPUT_DIR.into())),
            log_dir: raw.log_dir.map(|d| from_rig(base, &d)),
            min_free_space,
            live_view: raw.live_view.unwrap_or_default(),
            cameras,
            text: text.to_string(),
            metadata: raw
                .session
                .unwrap_or_default()
                .into_iter()
                .map(|(key, value)| match value {
                    toml::Value::String(text) => (key, text),
                    other => (key, other.to_string()),
                })
                .collect(),
            plugins: backends
                .plugins()
                .iter()
                .filter_map(|p| match p {
                    crate::backends::PluginLoad::Loaded(info) => Some(info),
                    crate::backends::PluginLoad::Refused(_) => None,
                })
                .chain(backends.bundled_loaded())
                .map(|info| format!("{} {} ({})", info.name, info.version, info.path.display()))
                .collect(),
            libraries: backends.libraries(),
        })
    }
}

/// Gives each CPU encoder whose threads the rig leaves open an equal share of `cores`
/// ([`EncoderSettings::thread_budget`]).
fn share_cores(cameras: &mut [CameraSpec], cores: usize) {
    let on_cpu = cameras.iter().filter(|c| c.encoder.on_cpu()).count();
    for cam in cameras.iter_mut().filter(|c| c.encoder.on_cpu()) {
        if cam.encoder.threads.is_none() {
            cam.encoder.threads = EncoderSettings::thread_budget(cores, on_cpu);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Rig, RigError> {
        Rig::parse("r.toml", text, Path::new("."), &mut Backends::builtin())
    }

    #[test]
    fn the_builtin_rig_is_valid_and_mixes_mono_and_colour() {
        let rig = Rig::builtin(&mut Backends::builtin()).expect("demo rig");
        assert!(rig.cameras.len() >= 2);
        let summaries: Vec<String> = rig.cameras.iter().map(|c| c.camera.summary()).collect();
        assert!(summaries.iter().any(|s| s.ends_with("mono8")), "{summaries:?}");
        assert!(summaries.iter().any(|s| s.ends_with("bgr8")), "{summaries:?}");
    }

    #[test]
    fn errors_name_line_and_column() {
        let text = "output_dir = \"x\"\n[[camera]]\nid = 1\nname = \"a\"\nbackend = \"synthetic\"\nqp = 3\n";
        let err = parse(text).expect_err("unknown key").to_string();
        assert!(err.starts_with("r.toml:6:1: unknown field `qp`"), "{err}");
        let text = "[[camera]]\nid = 1\nname = \"a\"\nbackend = \"synthetic\"\nwidth = 8\n";
        let err = parse(text).expect_err("too small").to_string();
        assert!(
            err.starts_with("r.toml:1:1: camera 1 'a': synthetic frames must be at least 64x32"),
            "{err}"
        );
    }

    #[test]
    fn camera_overrides_apply_on_top_of_rig_defaults() {
        let text = "[encoder]\nqp = 30\npreset = 2\n[[camera]]\nid = 4\nname = \"a\"\nbackend = \"synthetic\"\n\
                    [camera.encoder]\nqp = 10\n";
        let rig = parse(text).expect("valid");
        let enc = &rig.cameras[0].encoder;
        assert_eq!((enc.qp.get(), enc.preset), (10, Preset::Faster));
    }

    #[test]
    fn presets_are_numbers_or_names_and_faster_ones_have_names() {
        let rig = |preset: &str| {
            parse(&format!(
                "[encoder]\npreset = {preset}\n[[camera]]\nid = 1\nname = \"a\"\nbackend = \"synthetic\"\n"
            ))
        };
        let preset = |text: &str| rig(text).expect(text).cameras[0].encoder.preset;
        assert_eq!(preset("1"), Preset::Veryfast);
        assert_eq!(preset("\"ultrafast\""), Preset::Ultrafast);
        assert_eq!(preset("\"superfast\""), Preset::Superfast);
        let err = rig("\"turbo\"").expect_err("unknown name").to_string();
        assert!(
            err.starts_with("r.toml:2:10: invalid preset 'turbo' (allowed: 1 (fastest) to 7"),
            "{err}"
        );
        assert!(err.contains("ultrafast, superfast"), "{err}");
        let err = rig("0").expect_err("below 1").to_string();
        assert!(err.contains("invalid preset '0'"), "{err}");
    }

    #[test]
    fn cpu_encoders_share_the_cores_unless_a_camera_sets_its_threads() {
        let text = "[[camera]]\nid = 1\nname = \"a\"\nbackend = \"synthetic\"\n\
                    [[camera]]\nid = 2\nname = \"b\"\nbackend = \"synthetic\"\n\
                    [[camera]]\nid = 3\nname = \"c\"\nbackend = \"synthetic\"\n[camera.encoder]\nthreads = 3\n\
                    [[camera]]\nid = 4\nname = \"d\"\nbackend = \"synthetic\"\n[camera.encoder]\nthreads = 0\n";
        let mut cameras = parse(text).expect("valid").cameras;
        for cam in cameras.iter_mut().take(2) {
            cam.encoder.threads = None;
        }
        share_cores(&mut cameras, 8);
        let threads: Vec<Option<u32>> = cameras.iter().map(|c| c.encoder.threads).collect();
        assert_eq!(threads, [Some(2), Some(2), Some(3), Some(0)]);
        // One CPU encoder keeps FFmpeg's choice; a GPU encoder is not counted.
        let mut one = parse("[[camera]]\nid = 1\nname = \"a\"\nbackend = \"synthetic\"\n")
            .expect("valid")
            .cameras;
        share_cores(&mut one, 8);
        assert_eq!(one[0].encoder.threads, None);
        let err = parse("[encoder]\nthreads = 300\n[[camera]]\nid = 1\nname = \"a\"\nbackend = \"synthetic\"\n")
            .expect_err("too many")
            .to_string();
        assert!(err.contains("threads 300 is out of range"), "{err}");
    }

    #[test]
    fn relative_folders_start_at_the_rig_files_folder_and_are_absolute() {
        let camera = "[[camera]]\nid = 1\nname = \"a\"\nbackend = \"synthetic\"\n";
        let text = format!("output_dir = \"rec\"\nlog_dir = \"../logs\"\n{camera}");
        let rig = Rig::parse("r.toml", &text, Path::new("/lab/rigs"), &mut Backends::builtin()).expect("rig");
        assert_eq!(rig.output_dir, Path::new("/lab/rigs/rec"));
        assert_eq!(rig.log_dir.as_deref(), Some(Path::new("/lab/rigs/../logs")));
        let rig = Rig::parse("r.toml", camera, Path::new("rigs"), &mut Backends::builtin()).expect("rig");
        assert!(
            rig.output_dir.is_absolute() && rig.output_dir.ends_with("rigs/recordings"),
            "{rig:?}"
        );
        let text = format!("output_dir = \"/data/rec\"\n{camera}");
        let rig = Rig::parse("r.toml", &text, Path::new("/lab/rigs"), &mut Backends::builtin()).expect("rig");
        assert_eq!(rig.output_dir, Path::new("/data/rec"));
    }

    #[test]
    fn unknown_keys_list_every_key_of_their_table_and_the_closest() {
        let camera = "[[camera]]\nid = 1\nname = \"a\"\nbackend = \"synthetic\"\n";
        let e = parse(&format!("{camera}queue_dept = 3\n"))
            .expect_err("unknown")
            .to_string();
        assert!(e.contains("did you mean `queue_depth`?"), "{e}");
        assert!(
            e.contains("`display_fps`") && e.contains("`width`"),
            "the rig's keys and the backend's: {e}"
        );
        let e = parse(&format!("displayfps = 3\n{camera}"))
            .expect_err("unknown")
            .to_string();
        assert!(e.contains("unknown field `displayfps`"), "{e}");
        let e = parse(&format!("outptu_dir = \"x\"\n{camera}"))
            .expect_err("unknown")
            .to_string();
        assert!(e.contains("did you mean `output_dir`?"), "{e}");
        let e = parse(&format!("{camera}zzzzzzzzzz = 1\n"))
            .expect_err("unknown")
            .to_string();
        assert!(!e.contains("did you mean"), "nothing close: {e}");
    }

    #[test]
    fn backend_keys_go_to_the_backend_the_camera_names() {
        let text = "[[camera]]\nid = 1\nname = \"a\"\nbackend = \"synthetic\"\nwidth = 320\nheight = 240\n\
                    queue_depth = 3\ndisplay_fps = 5\n";
        let rig = parse(text).expect("valid");
        let cam = &rig.cameras[0];
        assert_eq!(cam.camera.summary(), "synthetic 320x240 30 fps mono8");
        assert_eq!(
            (cam.backend.as_str(), cam.queue_depth, cam.display_fps),
            ("synthetic", 3, Some(5.0))
        );
    }
}
