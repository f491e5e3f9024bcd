//! The tools: each an input type (its JSON schema, with ranges, is what clients see and what `args::parse`
//! enforces), an output type (its schema is the tool's output schema), and a function that calls the same
//! library code as the matching `axvs` command.

use std::path::{Path, PathBuf};

use axvs_core::genicam_nodes::{GenicamConfiguration, DEFAULT_BLACKLIST};
use axvs_core::{DeviceSelector, DiscoverOptions, SystemStatus};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::args::{tool_error, ToolError};
use super::paths::PathPolicy;
use crate::backends::Backends;
use crate::requirements::{CtiStatus, Requirements};
use crate::rig::Rig;
use crate::session::{PreviewChoice, Session, SessionError, SessionOptions, SessionReport};

/// A tool's reply: a short text for people and the structured result.
pub type Reply<T> = Result<(String, T), ToolError>;

/// No arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

// ---- list_cameras -------------------------------------------------------------------------------------

/// Arguments of `list_cameras`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListCamerasArgs {
    /// Also list simulated devices (Aravis' built-in Fake camera).
    #[serde(default)]
    pub simulated: bool,
}

/// One camera found.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CameraFound {
    /// The backend that opens it (`opencv`, `genicam`, a plugin's).
    pub backend: String,
    /// How the rig names it (e.g. `index 0`, `device_id = "..."`).
    pub address: String,
    /// Vendor.
    pub vendor: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial: Option<String>,
    /// Frame sizes it offers, `[width, height]`.
    pub sizes: Vec<(u32, u32)>,
    /// Frame rates it offers.
    pub rates: Vec<f64>,
    /// Pixel formats it offers.
    pub pixel_formats: Vec<String>,
    /// All of it in one line.
    pub summary: String,
}

/// A backend whose discovery failed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BackendFailure {
    /// The backend.
    pub backend: String,
    /// Why.
    pub error: String,
}

/// What `list_cameras` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CameraList {
    /// Every camera found, backend by backend.
    pub cameras: Vec<CameraFound>,
    /// Backends whose discovery failed.
    pub failed: Vec<BackendFailure>,
    /// The backends asked.
    pub backends: Vec<String>,
}

/// `list_cameras`: the cameras each backend (built in, or a plugin's) can open here.
pub fn list_cameras(args: ListCamerasArgs) -> Reply<CameraList> {
    let mut backends = Backends::builtin();
    backends.load_plugins(&[]);
    let options = DiscoverOptions {
        simulated: args.simulated,
    };
    let mut list = CameraList {
        cameras: Vec::new(),
        failed: Vec::new(),
        backends: Vec::new(),
    };
    for backend in backends.registry().iter() {
        list.backends.push(backend.name().to_string());
        match backend.discover(&options) {
            Ok(found) => list.cameras.extend(found.into_iter().map(|cam| CameraFound {
                summary: cam.to_string(),
                backend: cam.backend,
                address: cam.address,
                vendor: cam.vendor,
                model: cam.model,
                serial: cam.serial,
                sizes: cam.sizes,
                rates: cam.rates,
                pixel_formats: cam.pixel_formats,
            })),
            Err(e) => list.failed.push(BackendFailure {
                backend: backend.name().to_string(),
                error: e.to_string(),
            }),
        }
    }
    let text = match list.cameras.len() {
        0 => "No cameras discovered on the system.".to_string(),
        n => list
            .cameras
            .iter()
            .map(|c| c.summary.clone())
            .fold(format!("{n} camera(s):"), |acc, line| acc + "\n" + &line),
    };
    Ok((text, list))
}

// ---- GenTL producer, runtime ----------------------------------------------------------------------------

/// `get_cti_status`: the GenTL producer the `gentl` backend uses, and whether it loads.
pub fn get_cti_status(_: NoArgs) -> Reply<CtiStatus> {
    let status = crate::requirements::cti_status();
    let text = match (&status.path, &status.reason) {
        (Some(path), None) => format!("CTI: {}", path.display()),
        (Some(path), Some(why)) => format!("CTI: Unavailable. {}: {why}", path.display()),
        (None, _) => "CTI: Not configured".to_string(),
    };
    Ok((text, status))
}

/// Arguments of `set_cti_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetCtiArgs {
    /// The GenTL producer file (`.cti`).
    #[schemars(length(min = 1))]
    pub file_path: String,
}

/// What `set_cti_file` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CtiSet {
    /// The producer, as stored.
    pub path: PathBuf,
    /// The file that keeps the choice.
    pub stored_in: PathBuf,
    /// Vendor, model, version and transport of the producer.
    pub producer: String,
}

/// `set_cti_file`: checks that the producer loads, then stores it as the one the `gentl` backend uses.
pub fn set_cti_file(paths: &PathPolicy, args: SetCtiArgs) -> Reply<CtiSet> {
    let path = paths.resolve("file_path", &args.file_path)?;
    if !path.is_file() {
        return Err(tool_error!("argument `file_path`: {} is not a file", path.display()));
    }
    let producer = axvs_gentl::Producer::load(&path).map_err(|e| tool_error!("argument `file_path`: {e}"))?;
    let info = producer.info();
    let described = format!(
        "{} {} version {}, transport {}",
        info.vendor, info.model, info.version, info.tl_type
    );
    let stored_in = axvs_gentl::cti::store(producer.path()).map_err(|e| tool_error!("storing the choice: {e}"))?;
    let stored = axvs_gentl::cti::stored().map(|(p, _)| p).unwrap_or(path);
    Ok((
        format!("CTI configured: {}", stored.display()),
        CtiSet {
            path: stored,
            stored_in,
            producer: described,
        },
    ))
}

/// `check_runtime_requirements`: what this machine can record with (the same report as `axvs check`).
pub fn check_runtime_requirements(_: NoArgs) -> Reply<Requirements> {
    let found = crate::requirements::check();
    let cpu = found.encoders.iter().filter(|e| e.gpu.is_none() && e.available).count();
    let gpu = found.encoders.iter().filter(|e| e.gpu.is_some() && e.available).count();
    let text =
        format!(
        "FFMPEG: {} | encoders: {cpu} CPU, {gpu} GPU | OpenCV: {} | GStreamer: {} | Aravis: {} | CTI: {} | plugins: {}",
        if found.can_record() { "OK" } else { "Missing" },
        if found.opencv.available { "OK" } else { "None" },
        if found.gstreamer.available { "OK" } else { "None" },
        if found.aravis.available { "OK" } else { "None" },
        if found.gentl.loads { "OK" } else if found.gentl.configured { "Unsupported" } else { "None" },
        found.plugins.iter().filter(|p| p.loaded).count()
    );
    Ok((text, found))
}

// ---- sessions -----------------------------------------------------------------------------------------

/// A camera interface for the single-camera form of `start_video_session`.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Interface {
    /// OpenCV: webcams by index.
    #[default]
    Opencv,
    /// GenICam cameras through Aravis, by index.
    Genicam,
    /// GenICam cameras through the GenTL producer (the original's `harvesters`), by index.
    #[serde(alias = "harvesters")]
    Gentl,
    /// The built-in synthetic camera (the original's `mock`): no hardware.
    #[serde(alias = "mock")]
    Synthetic,
}

/// Video encoders, as the original names them (case-insensitive).
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
pub enum VideoEncoder {
    /// H.264.
    #[default]
    #[serde(alias = "h264")]
    H264,
    /// H.265 / HEVC.
    #[serde(alias = "h265")]
    H265,
    /// AV1.
    #[serde(alias = "av1")]
    AV1,
    /// FFV1 (lossless; CPU only).
    #[serde(alias = "ffv1")]
    FFV1,
}

/// Output pixel formats.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OutputPixelFormat {
    /// 4:2:0 colour.
    #[default]
    #[serde(alias = "YUV420P", alias = "YUV420")]
    Yuv420p,
    /// 4:4:4 colour.
    #[serde(alias = "YUV444P", alias = "YUV444")]
    Yuv444p,
    /// Grey only.
    #[serde(alias = "GRAY")]
    Gray,
}

/// Arguments of `start_video_session`: a rig (file or inline TOML), or the original's single-camera
/// parameters.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartSessionArgs {
    /// A rig file (TOML) describing any number of cameras. Excludes `rig_toml` and the single-camera
    /// parameters.
    pub rig_file: Option<String>,
    /// A rig given inline, as TOML text.
    pub rig_toml: Option<String>,
    /// Root directory of the recordings (default: the rig's `output_dir`; required for a single camera).
    pub output_directory: Option<String>,
    /// Name of this session's directory under the root (default: the UTC date and time).
    pub session_name: Option<String>,
    /// Start with frame saving on (default) or off.
    #[serde(default = "yes")]
    pub saving: bool,
    /// Single camera: interface.
    pub interface: Option<Interface>,
    /// Single camera: index in the interface's discovery list.
    #[schemars(range(min = 0, max = 255))]
    pub camera_index: Option<u32>,
    /// Single camera: frame width.
    #[schemars(range(min = 16, max = 16384))]
    pub width: Option<u32>,
    /// Single camera: frame height.
    #[schemars(range(min = 16, max = 16384))]
    pub height: Option<u32>,
    /// Single camera: frames per second.
    #[schemars(range(min = 0.1, max = 1000.0))]
    pub frame_rate: Option<f64>,
    /// Single camera: grey frames (mono8) instead of colour.
    pub monochrome: Option<bool>,
    /// Single camera: H264, H265, AV1 or FFV1.
    pub video_encoder: Option<VideoEncoder>,
    /// Single camera: 1 (fastest) to 7 (slowest).
    #[schemars(range(min = 1, max = 7))]
    pub encoder_speed_preset: Option<u8>,
    /// Single camera: yuv420p, yuv444p or gray.
    pub output_pixel_format: Option<OutputPixelFormat>,
    /// Single camera: 0 (best) to 51 (worst).
    #[schemars(range(min = 0, max = 51))]
    pub quantization_parameter: Option<u8>,
    /// Single camera: NVIDIA GPU for NVENC, or -1 for the CPU.
    #[schemars(range(min = -1, max = 15))]
    pub gpu_index: Option<i32>,
    /// Single camera: live preview window at this rate (frames per second).
    #[schemars(range(min = 0.001, max = 1000.0))]
    pub display_frame_rate: Option<f64>,
}

fn yes() -> bool {
    true
}

/// A camera of a started session.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SessionCamera {
    /// Its source id (names its log and video).
    pub id: u8,
    /// Its name.
    pub name: String,
}

/// What `start_video_session` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SessionStarted {
    /// The directory of the videos.
    pub session_dir: PathBuf,
    /// The directory of the logs, manifest and archives.
    pub log_dir: PathBuf,
    /// The rig (its file, or how it was given).
    pub rig: String,
    /// The cameras.
    pub cameras: Vec<SessionCamera>,
    /// Frame saving on from the start.
    pub saving: bool,
}

/// Name and id of the camera the single-camera form records (the original's `live_camera`, 112).
const SINGLE_CAMERA: (u8, &str) = (112, "live_camera");

/// Builds the rig `args` describe, confined to the server's root.
fn rig_of(paths: &PathPolicy, args: &StartSessionArgs) -> Result<Rig, ToolError> {
    let single = args.interface.is_some()
        || args.camera_index.is_some()
        || args.width.is_some()
        || args.height.is_some()
        || args.frame_rate.is_some()
        || args.monochrome.is_some()
        || args.video_encoder.is_some()
        || args.encoder_speed_preset.is_some()
        || args.output_pixel_format.is_some()
        || args.quantization_parameter.is_some()
        || args.gpu_index.is_some()
        || args.display_frame_rate.is_some();
    let mut backends = Backends::builtin();
    let base = paths.root().map(Path::to_path_buf).unwrap_or_default();
    let bad_rig = |e: crate::rig::RigError| tool_error!("{e}");
    let mut rig = match (&args.rig_file, &args.rig_toml, single) {
        (Some(_), Some(_), _) => return Err(tool_error!("arguments `rig_file` and `rig_toml`: give one, not both")),
        (Some(_), _, true) | (_, Some(_), true) => {
            return Err(tool_error!(
                "arguments: a rig (`rig_file` or `rig_toml`) describes its cameras; the single-camera parameters \
                 (interface, camera_index, width, ...) cannot be combined with it"
            ))
        }
        (Some(file), None, false) => {
            let path = paths.resolve("rig_file", file)?;
            Rig::load(&path, &mut backends).map_err(bad_rig)?
        }
        (None, Some(text), false) => Rig::parse("<rig_toml>", text, &base, &mut backends).map_err(bad_rig)?,
        (None, None, _) => {
            if args.output_directory.is_none() {
                return Err(tool_error!(
                    "argument `output_directory`: required for a single camera (or give a rig with `rig_file` / \
                     `rig_toml`)"
                ));
            }
            let text = single_camera_rig(args);
            Rig::parse("<start_video_session arguments>", &text, &base, &mut backends).map_err(bad_rig)?
        }
    };
    if let Some(dir) = &args.output_directory {
        let dir = paths.resolve("output_directory", dir)?;
        if !dir.is_dir() {
            return Err(tool_error!(
                "argument `output_directory`: {} is not an existing directory",
                dir.display()
            ));
        }
        rig.output_dir = dir;
    }
    // Absolute, so that the paths in every result mean the same to the client as to the server.
    let inside = |what: &str, dir: &Path| -> Result<PathBuf, ToolError> {
        let dir = match paths.root() {
            Some(root) if dir.is_relative() => paths.check(what, &root.join(dir))?,
            _ => paths.check(what, dir)?,
        };
        std::path::absolute(&dir).map_err(|e| tool_error!("{what} {}: {e}", dir.display()))
    };
    rig.output_dir = inside("the rig's output_dir", &rig.output_dir)?;
    if let Some(dir) = &rig.log_dir {
        rig.log_dir = Some(inside("the rig's log_dir", dir)?);
    }
    Ok(rig)
}

/// The rig text of the single-camera parameters: the rig parser validates them like any rig.
fn single_camera_rig(args: &StartSessionArgs) -> String {
    let interface = args.interface.unwrap_or_default();
    let mut encoder = toml::Table::new();
    let codec = match args.video_encoder.unwrap_or_default() {
        VideoEncoder::H264 => "h264",
        VideoEncoder::H265 => "h265",
        VideoEncoder::AV1 => "av1",
        VideoEncoder::FFV1 => "ffv1",
    };
    encoder.insert("codec".into(), codec.into());
    encoder.insert(
        "preset".into(),
        i64::from(args.encoder_speed_preset.unwrap_or(3)).into(),
    );
    encoder.insert("qp".into(), i64::from(args.quantization_parameter.unwrap_or(15)).into());
    let pixel_format = match args.output_pixel_format.unwrap_or_default() {
        OutputPixelFormat::Yuv420p => "yuv420p",
        OutputPixelFormat::Yuv444p => "yuv444p",
        OutputPixelFormat::Gray => "gray",
    };
    encoder.insert("pixel_format".into(), pixel_format.into());
    if let Some(gpu) = args.gpu_index.filter(|g| *g >= 0) {
        encoder.insert("gpu".into(), i64::from(gpu).into());
    }
    let mut camera = toml::Table::new();
    camera.insert("id".into(), i64::from(SINGLE_CAMERA.0).into());
    camera.insert("name".into(), SINGLE_CAMERA.1.into());
    let backend = match interface {
        Interface::Opencv => "opencv",
        Interface::Genicam => "genicam",
        Interface::Gentl => "gentl",
        Interface::Synthetic => "synthetic",
    };
    camera.insert("backend".into(), backend.into());
    if interface != Interface::Synthetic {
        camera.insert("index".into(), i64::from(args.camera_index.unwrap_or(0)).into());
    }
    camera.insert("width".into(), i64::from(args.width.unwrap_or(600)).into());
    camera.insert("height".into(), i64::from(args.height.unwrap_or(400)).into());
    camera.insert("fps".into(), args.frame_rate.unwrap_or(30.0).into());
    if matches!(interface, Interface::Opencv | Interface::Synthetic) {
        let format = if args.monochrome.unwrap_or(false) {
            "mono8"
        } else {
            "bgr8"
        };
        camera.insert("pixel_format".into(), format.into());
    } else if args.monochrome.unwrap_or(false) {
        camera.insert("pixel_format".into(), "mono8".into());
    }
    if let Some(rate) = args.display_frame_rate {
        camera.insert("display_fps".into(), rate.into());
    }
    let mut rig = toml::Table::new();
    rig.insert("encoder".into(), encoder.into());
    rig.insert("camera".into(), toml::Value::Array(vec![camera.into()]));
    // A table of plain values always serializes.
    toml::to_string(&rig).unwrap_or_default()
}

/// `start_video_session`: starts recording a rig (or one camera); one session at a time.
pub fn start_video_session(
    paths: &PathPolicy,
    sessions: &super::sessions::Sessions,
    args: StartSessionArgs,
) -> Reply<SessionStarted> {
    sessions.check_free()?;
    let rig = rig_of(paths, &args)?;
    let options = SessionOptions {
        output_dir: None,
        name: args.session_name.clone(),
        saving: args.saving,
        preview: PreviewChoice::Rig,
        ..SessionOptions::default()
    };
    let session = Session::start(rig, options).map_err(|e| match e {
        SessionError::Start { source, report } => tool_error!(
            "{source}; the cameras that started were stopped and their files finished in {}",
            report.session_dir.display()
        ),
        other => tool_error!("{other}"),
    })?;
    let started = SessionStarted {
        session_dir: session.dirs().session.clone(),
        log_dir: session.dirs().log.clone(),
        rig: session.rig().to_string(),
        cameras: session
            .cameras()
            .map(|(id, name)| SessionCamera { id, name: name.into() })
            .collect(),
        saving: args.saving,
    };
    let text = format!(
        "Session started: {} camera(s) ({}) -> {}{}",
        started.cameras.len(),
        started
            .cameras
            .iter()
            .map(|c| format!("{} '{}'", c.id, c.name))
            .collect::<Vec<_>>()
            .join(", "),
        started.session_dir.display(),
        if args.saving { "" } else { " (saving off)" }
    );
    sessions.install(session)?;
    Ok((text, started))
}

/// Arguments of `start_frame_saving` and `stop_frame_saving`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SavingArgs {
    /// One camera's source id; without it, every camera.
    #[schemars(range(min = 0, max = 255))]
    pub camera_id: Option<u8>,
}

/// What the saving tools return.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SavingState {
    /// Every camera's state after the call.
    pub cameras: Vec<CameraSaving>,
}

/// One camera's saving state.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CameraSaving {
    /// Source id.
    pub id: u8,
    /// Name.
    pub name: String,
    /// Saving frames now.
    pub saving: bool,
}

/// `start_frame_saving` / `stop_frame_saving`.
pub fn set_saving(sessions: &super::sessions::Sessions, args: SavingArgs, on: bool) -> Reply<SavingState> {
    let state = sessions.with_running(|session| {
        let done = if on {
            session.start_saving(args.camera_id)
        } else {
            session.stop_saving(args.camera_id)
        };
        done.map_err(|e| match e {
            SessionError::UnknownCamera { .. } => tool_error!("argument `camera_id`: {e}"),
            other => tool_error!("{other}"),
        })?;
        Ok(SavingState {
            cameras: session
                .status()
                .cameras
                .iter()
                .map(|s: &SystemStatus| CameraSaving {
                    id: s.id,
                    name: s.name.clone(),
                    // The switch is immediate for the next frame; the status may lag by one frame.
                    saving: if args.camera_id.is_none_or(|id| id == s.id) {
                        on
                    } else {
                        s.saving
                    },
                })
                .collect(),
        })
    })?;
    let which = args
        .camera_id
        .map_or("every camera".to_string(), |id| format!("camera {id}"));
    Ok((
        format!("Recording {} for {which}", if on { "started" } else { "stopped" }),
        state,
    ))
}

/// `get_session_status`.
pub fn get_session_status(sessions: &super::sessions::Sessions, _: NoArgs) -> Reply<super::sessions::StatusSnapshot> {
    let status = sessions.status();
    let text = match (&status.session, &status.stop_reason) {
        (Some(s), _) => s
            .cameras
            .iter()
            .map(|c| {
                format!(
                    "{:03} {}: {:?}{}, {:.1} fps, acquired {}, saved {}, lost {}",
                    c.id,
                    c.name,
                    c.state,
                    if c.saving { " saving" } else { " not saving" },
                    c.fps,
                    c.acquired,
                    c.saved,
                    c.dropped.lost() + c.camera_lost
                )
            })
            .fold(format!("running {:.1} s", s.elapsed_s), |acc, line| acc + "\n" + &line),
        (None, Some(reason)) => format!("stopped by itself: {reason}; stop_video_session returns the report"),
        (None, None) => format!("{:?}", status.status).to_lowercase(),
    };
    Ok((text, status))
}

/// Summarizes a final report in a few lines.
pub fn report_text(report: &SessionReport) -> String {
    let mut text = format!("Session stopped: {}", report.session_dir.display());
    for cam in &report.cameras {
        let s = &cam.status;
        text += &format!(
            "\n{:03} {}: acquired {}, saved {}, video frames {}, archive {}",
            s.id,
            s.name,
            s.acquired,
            s.saved,
            cam.video_frames.unwrap_or(0),
            cam.archive
                .as_deref()
                .map_or("none".into(), |a| a.display().to_string())
        );
    }
    for failure in &report.failures {
        text += &format!("\nerror: {failure}");
    }
    text
}

// ---- GenICam nodes ------------------------------------------------------------------------------------

/// Which GenICam camera, and through what.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CameraSelector {
    /// By serial number.
    pub serial: Option<String>,
    /// By model name.
    pub model: Option<String>,
    /// By device id.
    pub device_id: Option<String>,
    /// By position in the discovery list (default 0).
    #[schemars(range(min = 0, max = 255))]
    pub camera_index: Option<u32>,
    /// Through the GenTL producer instead of Aravis.
    #[serde(default)]
    pub gentl: bool,
    /// Also offer Aravis' simulated camera (Aravis only).
    #[serde(default)]
    pub fake: bool,
}

impl CameraSelector {
    fn selector(&self) -> Result<DeviceSelector, ToolError> {
        let given = [
            self.serial.is_some(),
            self.model.is_some(),
            self.device_id.is_some(),
            self.camera_index.is_some(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(tool_error!(
                "arguments: name the camera by one of serial, model, device_id or camera_index"
            ));
        }
        Ok(match (&self.serial, &self.model, &self.device_id) {
            (Some(s), ..) => DeviceSelector::Serial(s.clone()),
            (_, Some(m), _) => DeviceSelector::Model(m.clone()),
            (_, _, Some(d)) => DeviceSelector::DeviceId(d.clone()),
            _ => DeviceSelector::Index(self.camera_index.unwrap_or(0)),
        })
    }

    fn open(&self) -> Result<Box<dyn axvs_core::genicam_nodes::NodeAccess>, ToolError> {
        if self.gentl && self.fake {
            return Err(tool_error!(
                "arguments `gentl` and `fake`: the simulated camera is Aravis'; give one"
            ));
        }
        crate::nodes::open(&self.selector()?, self.fake, self.gentl, None).map_err(ToolError)
    }
}

fn blacklist(given: Option<Vec<String>>) -> Vec<String> {
    given.unwrap_or_else(|| DEFAULT_BLACKLIST.iter().map(|s| s.to_string()).collect())
}

/// Arguments of `read_genicam_node`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadNodeArgs {
    /// The camera.
    #[serde(flatten)]
    pub camera: CameraSelector,
    /// The node; without it, every writable node and its value.
    pub node_name: Option<String>,
}

/// A node and its value.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NodeReading {
    /// Node name.
    pub name: String,
    /// Its value, or why it cannot be read.
    pub value: String,
}

/// What `read_genicam_node` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NodesRead {
    /// The camera's model.
    pub model: String,
    /// Its serial number.
    pub serial: String,
    /// The node asked for, described in full (type, access, range, value).
    pub description: Option<String>,
    /// Every writable node, when no node was named.
    pub nodes: Vec<NodeReading>,
}

/// `read_genicam_node`.
pub fn read_genicam_node(args: ReadNodeArgs) -> Reply<NodesRead> {
    let mut map = args.camera.open()?;
    let mut read = NodesRead {
        model: map.model().to_string(),
        serial: map.serial().to_string(),
        description: None,
        nodes: Vec::new(),
    };
    match &args.node_name {
        Some(node) => {
            let description = map
                .describe(node)
                .map_err(|e| tool_error!("argument `node_name`: {e}"))?;
            read.description = Some(description.clone());
            Ok((description, read))
        }
        None => {
            for name in map.writable_nodes(&[]) {
                let value = map.read(&name).unwrap_or_else(|e| format!("<unreadable: {e}>"));
                read.nodes.push(NodeReading { name, value });
            }
            Ok((format!("Found {} writable GenICam nodes", read.nodes.len()), read))
        }
    }
}

/// Arguments of `write_genicam_node`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteNodeArgs {
    /// The camera.
    #[serde(flatten)]
    pub camera: CameraSelector,
    /// The node.
    #[schemars(length(min = 1))]
    pub node_name: String,
    /// The value, as text (numbers, enum entries, booleans).
    pub value: String,
}

/// What `write_genicam_node` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NodeWritten {
    /// The node.
    pub node: String,
    /// The value written.
    pub written: String,
    /// The value the camera reads back.
    pub read_back: String,
}

/// `write_genicam_node`.
pub fn write_genicam_node(args: WriteNodeArgs) -> Reply<NodeWritten> {
    let mut map = args.camera.open()?;
    let read_back = map
        .write(&args.node_name, &args.value)
        .map_err(|e| tool_error!("argument `node_name`/`value`: {e}"))?;
    Ok((
        format!(
            "{}: wrote '{}', the camera reads back '{read_back}'",
            args.node_name, args.value
        ),
        NodeWritten {
            node: args.node_name,
            written: args.value,
            read_back,
        },
    ))
}

/// Arguments of `dump_genicam_config`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DumpArgs {
    /// The camera.
    #[serde(flatten)]
    pub camera: CameraSelector,
    /// The YAML file to write (never overwritten).
    #[schemars(length(min = 1))]
    pub output_file: String,
    /// Nodes to leave out; default: axvs' blacklist (streaming and identity nodes); `[]`: none.
    pub blacklisted_nodes: Option<Vec<String>>,
}

/// What `dump_genicam_config` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Dumped {
    /// The file written.
    pub file: PathBuf,
    /// Nodes written.
    pub nodes: usize,
    /// The camera's model.
    pub model: String,
    /// Its serial number.
    pub serial: String,
}

/// `dump_genicam_config`.
pub fn dump_genicam_config(paths: &PathPolicy, args: DumpArgs) -> Reply<Dumped> {
    let file = paths.resolve("output_file", &args.output_file)?;
    if file.exists() {
        return Err(tool_error!(
            "argument `output_file`: {} exists; axvs does not overwrite files",
            file.display()
        ));
    }
    let mut map = args.camera.open()?;
    let configuration = map.dump(&blacklist(args.blacklisted_nodes));
    configuration
        .write(&file)
        .map_err(|e| tool_error!("argument `output_file`: {e}"))?;
    let dumped = Dumped {
        file,
        nodes: configuration.nodes.len(),
        model: configuration.camera_model.clone(),
        serial: configuration.camera_serial_number.clone(),
    };
    Ok((
        format!(
            "Configuration saved: {} nodes written to {}",
            dumped.nodes,
            dumped.file.display()
        ),
        dumped,
    ))
}

/// Arguments of `load_genicam_config`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadArgs {
    /// The camera.
    #[serde(flatten)]
    pub camera: CameraSelector,
    /// A YAML file written by `dump_genicam_config` (or the original's tools).
    #[schemars(length(min = 1))]
    pub config_file: String,
    /// Refuse a file written for another camera (model or serial differ).
    #[serde(default)]
    pub strict_identity: bool,
    /// Nodes to leave out; default: axvs' blacklist; `[]`: none.
    pub blacklisted_nodes: Option<Vec<String>>,
}

/// One node that could not be applied.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NodeFailure {
    /// The node.
    pub node: String,
    /// Why.
    pub error: String,
}

/// What `load_genicam_config` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Loaded {
    /// Entries written.
    pub applied: usize,
    /// Entries left out (blacklisted).
    pub skipped: usize,
    /// Entries that failed.
    pub failed: Vec<NodeFailure>,
    /// Set when the file was written for another camera.
    pub identity_warning: Option<String>,
}

/// `load_genicam_config`.
pub fn load_genicam_config(paths: &PathPolicy, args: LoadArgs) -> Reply<Loaded> {
    let file = paths.resolve("config_file", &args.config_file)?;
    let configuration = GenicamConfiguration::read(&file).map_err(|e| tool_error!("argument `config_file`: {e}"))?;
    let mut map = args.camera.open()?;
    let report = map
        .load(&configuration, args.strict_identity, &blacklist(args.blacklisted_nodes))
        .map_err(|e| tool_error!("{e}"))?;
    let loaded = Loaded {
        applied: report.applied,
        skipped: report.skipped,
        failed: report
            .failed
            .into_iter()
            .map(|(node, error)| NodeFailure { node, error })
            .collect(),
        identity_warning: report.identity_warning,
    };
    Ok((
        format!(
            "Configuration applied: {} entries applied, {} skipped, {} failed",
            loaded.applied,
            loaded.skipped,
            loaded.failed.len()
        ),
        loaded,
    ))
}

// ---- recordings ---------------------------------------------------------------------------------------

/// Arguments of `read_camera_manifest`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestArgs {
    /// A `camera_manifest.yaml`, or the directory that holds it.
    #[schemars(length(min = 1))]
    pub manifest_path: String,
}

/// One source of a manifest.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ManifestEntry {
    /// Source id.
    pub id: u8,
    /// Camera name.
    pub name: String,
}

/// What `read_camera_manifest` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ManifestRead {
    /// The manifest file.
    pub manifest_path: PathBuf,
    /// Its sources.
    pub sources: Vec<ManifestEntry>,
    /// How many.
    pub total_sources: usize,
}

/// `read_camera_manifest`.
pub fn read_camera_manifest(paths: &PathPolicy, args: ManifestArgs) -> Reply<ManifestRead> {
    let mut path = paths.resolve("manifest_path", &args.manifest_path)?;
    if path.is_dir() {
        path = path.join(axvs_log::manifest::MANIFEST_FILE);
    }
    let manifest = axvs_log::manifest::read(&path).map_err(|e| tool_error!("argument `manifest_path`: {e}"))?;
    let sources: Vec<ManifestEntry> = manifest
        .sources
        .into_iter()
        .map(|s| ManifestEntry { id: s.id, name: s.name })
        .collect();
    Ok((
        format!("{}: {} source(s)", path.display(), sources.len()),
        ManifestRead {
            manifest_path: path,
            total_sources: sources.len(),
            sources,
        },
    ))
}

/// Arguments of `find_recordings`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindArgs {
    /// Where to search (recursively).
    #[schemars(length(min = 1))]
    pub root_directory: String,
    /// Only this source id.
    #[schemars(range(min = 0, max = 255))]
    pub source_id: Option<u8>,
    /// Only cameras whose name contains this.
    pub name: Option<String>,
    /// Directory levels to descend at most (default 8).
    #[schemars(range(min = 1, max = 64))]
    pub max_depth: Option<u32>,
}

/// One camera of a recording.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RecordedCamera {
    /// Source id.
    pub source_id: u8,
    /// Camera name.
    pub name: String,
    /// Its raw log, when present.
    pub log: Option<PathBuf>,
    /// Its archive (`<id>_log.npz`), when present.
    pub archive: Option<PathBuf>,
    /// Its video files, run by run and segment by segment.
    pub videos: Vec<PathBuf>,
}

/// One recording: a directory with a camera manifest.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Recording {
    /// The directory of the logs (the session directory unless the rig had a `log_dir`).
    pub log_directory: PathBuf,
    /// Its manifest.
    pub manifest: PathBuf,
    /// Its cameras.
    pub cameras: Vec<RecordedCamera>,
}

/// What `find_recordings` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RecordingsFound {
    /// Every recording found.
    pub recordings: Vec<Recording>,
    /// How many recordings.
    pub total_recordings: usize,
    /// How many cameras in all.
    pub total_cameras: usize,
    /// Manifests that could not be read, with why.
    pub unreadable: Vec<String>,
}

/// `find_recordings`: every directory under the root that holds a camera manifest, with its cameras' logs,
/// archives and videos.
pub fn find_recordings(paths: &PathPolicy, args: FindArgs) -> Reply<RecordingsFound> {
    let root = paths.resolve("root_directory", &args.root_directory)?;
    if !root.is_dir() {
        return Err(tool_error!(
            "argument `root_directory`: {} is not a directory",
            root.display()
        ));
    }
    let mut manifests = Vec::new();
    collect_manifests(&root, args.max_depth.unwrap_or(8), &mut manifests);
    manifests.sort();
    let mut found = RecordingsFound {
        recordings: Vec::new(),
        total_recordings: 0,
        total_cameras: 0,
        unreadable: Vec::new(),
    };
    for manifest in manifests {
        let dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
        let read = match axvs_log::manifest::read(&manifest) {
            Ok(read) => read,
            Err(e) => {
                found.unreadable.push(e.to_string());
                continue;
            }
        };
        let cameras: Vec<RecordedCamera> = read
            .sources
            .into_iter()
            .filter(|s| args.source_id.is_none_or(|id| id == s.id))
            .filter(|s| args.name.as_deref().is_none_or(|n| s.name.contains(n)))
            .map(|s| {
                let log = dir.join(axvs_log::file::log_file_name(s.id));
                let archive = dir.join(axvs_log::npz::archive_name(s.id));
                let videos = (1..)
                    .map(|run| crate::recovery::run_videos(&dir, s.id, run))
                    .take_while(|files| !files.is_empty())
                    .flatten()
                    .collect();
                RecordedCamera {
                    source_id: s.id,
                    name: s.name,
                    log: log.exists().then_some(log),
                    archive: archive.exists().then_some(archive),
                    videos,
                }
            })
            .collect();
        if cameras.is_empty() {
            continue;
        }
        found.total_cameras += cameras.len();
        found.recordings.push(Recording {
            log_directory: dir,
            manifest,
            cameras,
        });
    }
    found.total_recordings = found.recordings.len();
    Ok((
        format!(
            "{} recording(s), {} camera(s) under {}",
            found.total_recordings,
            found.total_cameras,
            root.display()
        ),
        found,
    ))
}

/// Every camera manifest under `dir`, `depth` levels down at most; symbolic links are not followed.
fn collect_manifests(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        let path = entry.path();
        if kind.is_dir() && depth > 0 {
            collect_manifests(&path, depth - 1, out);
        } else if kind.is_file() && entry.file_name() == axvs_log::manifest::MANIFEST_FILE {
            out.push(path);
        }
    }
}

/// Arguments of `validate_video_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VideoArgs {
    /// The video file (MP4, MOV or MKV).
    #[schemars(length(min = 1))]
    pub video_file: String,
}

/// What `validate_video_file` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VideoReport {
    /// The file.
    pub file: PathBuf,
    /// True when it holds a readable video stream.
    pub valid: bool,
    /// Codec short name.
    pub codec: String,
    /// Codec long name.
    pub codec_long_name: String,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Pixel format.
    pub pixel_format: String,
    /// Container format.
    pub container: String,
    /// Frames, counted packet by packet.
    pub frame_count: u64,
    /// Packets cut short at the end (a killed recording).
    pub torn_packets: u64,
    /// Seconds from the first frame to the end of the last.
    pub duration_seconds: f64,
    /// Mean frames per second.
    pub mean_frame_rate: f64,
    /// Mean bits per second.
    pub bit_rate_bps: u64,
    /// Bytes on disk.
    pub file_size_bytes: u64,
}

/// `validate_video_file`: codec, size, frames and duration, through FFmpeg's libraries.
pub fn validate_video_file(paths: &PathPolicy, args: VideoArgs) -> Reply<VideoReport> {
    let file = paths.resolve("video_file", &args.video_file)?;
    if !file.is_file() {
        return Err(tool_error!("argument `video_file`: {} is not a file", file.display()));
    }
    let info = axvs_encode::video_info(&file).map_err(|e| tool_error!("argument `video_file`: {e}"))?;
    let report = VideoReport {
        file,
        valid: true,
        codec: info.codec,
        codec_long_name: info.codec_long_name,
        width: info.width,
        height: info.height,
        pixel_format: info.pixel_format,
        container: info.container,
        frame_count: info.frames,
        torn_packets: info.torn,
        duration_seconds: (info.duration_s * 1e6).round() / 1e6,
        mean_frame_rate: info.mean_fps,
        bit_rate_bps: info.bit_rate,
        file_size_bytes: info.bytes,
    };
    Ok((
        format!(
            "{}: {} {}x{} {}, {} frames, {:.3} s",
            report.file.display(),
            report.codec,
            report.width,
            report.height,
            report.pixel_format,
            report.frame_count,
            report.duration_seconds
        ),
        report,
    ))
}

/// Arguments of `extract_timestamps`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimestampsArgs {
    /// A raw log (`.axvslog`) or an archive (`<id>_log.npz`, also the original's).
    #[schemars(length(min = 1))]
    pub log_file: String,
    /// Also write the times here: `.csv` (column `frame_time_us`) or `.npy` (uint64); run n > 1 of a
    /// restarted camera goes to `<stem>-n.<ext>`. Never overwritten.
    pub output_file: Option<String>,
    /// Return at most this many times (from the start) in the result (default 0: none).
    #[schemars(range(min = 0, max = 100000))]
    pub include_times: Option<u32>,
}

/// One run of a camera (a restart begins a new one).
#[derive(Debug, Serialize, JsonSchema)]
pub struct TimestampRun {
    /// Frames.
    pub frames: usize,
    /// First frame's UTC time, µs since the epoch.
    pub first_us: Option<u64>,
    /// Last frame's UTC time, µs since the epoch.
    pub last_us: Option<u64>,
    /// The file written, when asked.
    pub output: Option<PathBuf>,
    /// The first times, when asked.
    pub times_us: Vec<u64>,
}

/// What `extract_timestamps` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TimestampsExtracted {
    /// The log or archive read.
    pub log_file: PathBuf,
    /// Its source id.
    pub source_id: u8,
    /// Frames in all runs.
    pub total_frames: usize,
    /// Each run.
    pub runs: Vec<TimestampRun>,
}

/// `extract_timestamps`: every saved frame's absolute time (µs since the UNIX epoch) from a log or archive.
pub fn extract_timestamps(paths: &PathPolicy, args: TimestampsArgs) -> Reply<TimestampsExtracted> {
    let input = paths.resolve("log_file", &args.log_file)?;
    let output = args
        .output_file
        .as_deref()
        .map(|o| paths.resolve("output_file", o))
        .transpose()?;
    let write = match output.as_ref().map(|o| o.extension().and_then(|e| e.to_str())) {
        None => None,
        Some(Some("csv")) => {
            Some(axvs_log::timestamps::write_csv as fn(&[u64], &Path) -> Result<(), axvs_log::LogFileError>)
        }
        Some(Some("npy")) => {
            Some(axvs_log::timestamps::write_npy as fn(&[u64], &Path) -> Result<(), axvs_log::LogFileError>)
        }
        Some(_) => return Err(tool_error!("argument `output_file`: must end in .csv or .npy")),
    };
    let bad = |e: axvs_log::LogFileError| tool_error!("argument `log_file`: {e}");
    let entries = if input.extension().is_some_and(|e| e == axvs_log::file::EXTENSION) {
        axvs_log::read_log(&input).map_err(bad)?.entries
    } else {
        axvs_log::read_any(&input).map_err(bad)?
    };
    let source_id = axvs_log::single_source(&entries, &input).map_err(bad)?;
    let runs = axvs_log::timestamps::frame_times_by_run(&entries).map_err(bad)?;
    let keep = args.include_times.unwrap_or(0) as usize;
    let mut extracted = TimestampsExtracted {
        log_file: input,
        source_id,
        total_frames: runs.iter().map(Vec::len).sum(),
        runs: Vec::new(),
    };
    for (i, times) in runs.iter().enumerate() {
        let out = output.as_ref().map(|o| match i {
            0 => o.clone(),
            n => {
                let stem = o.file_stem().and_then(|s| s.to_str()).unwrap_or("timestamps");
                let ext = o.extension().and_then(|e| e.to_str()).unwrap_or("csv");
                o.with_file_name(format!("{stem}-{}.{ext}", n + 1))
            }
        });
        if let (Some(write), Some(out)) = (write, &out) {
            write(times, out).map_err(|e| tool_error!("argument `output_file`: {e}"))?;
        }
        extracted.runs.push(TimestampRun {
            frames: times.len(),
            first_us: times.first().copied(),
            last_us: times.last().copied(),
            output: out,
            times_us: times.iter().take(keep).copied().collect(),
        });
    }
    Ok((
        format!(
            "source {source_id}: {} frame times in {} run(s)",
            extracted.total_frames,
            extracted.runs.len()
        ),
        extracted,
    ))
}
