//! The recording session: start (a rig or one camera), saving on and off, status.

use std::path::{Path, PathBuf};

use axvs_core::SystemStatus;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{NoArgs, Reply};
use crate::args::{tool_error, ToolError};
use crate::paths::PathPolicy;
use crate::sessions::{Sessions, StatusSnapshot};
use axvs_session::backends::Backends;
use axvs_session::rig::Rig;
use axvs_session::session::{PreviewChoice, Session, SessionError, SessionOptions, SessionReport};

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
    /// Stop by itself this many seconds after starting (a coordinator's rig duration, kept by the host
    /// even if the coordinator goes away).
    #[schemars(range(min = 0.001, max = 31_622_400.0))]
    pub stop_after_s: Option<f64>,
    /// Stop by itself when no tool call has come for this many seconds (a coordinator's lease: a host
    /// whose coordinator died never records forever).
    #[schemars(range(min = 0.001, max = 31_622_400.0))]
    pub lease_s: Option<f64>,
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
    /// Single camera: shown in the live view (on the server's display) at this rate (frames per second).
    #[schemars(range(min = 0.001, max = 1000.0))]
    pub display_frame_rate: Option<f64>,
    /// Metadata kept in the session's provenance (session.json), after the rig's `[session]` table, e.g.
    /// `{"subject": "m12", "experimenter": "A. Lab"}`.
    pub metadata: Option<std::collections::BTreeMap<String, String>>,
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

/// The rig in `rig_file` (confined to the server's root) or given inline as `rig_toml`: exactly one. Under
/// `--root`, every path the rig names is checked against the root: its plugin folders before any plugin
/// loads, then each camera's files (see [`confine_cameras`]).
pub(crate) fn given_rig(paths: &PathPolicy, rig_file: Option<&str>, rig_toml: Option<&str>) -> Result<Rig, ToolError> {
    let mut backends = Backends::builtin();
    let bad_rig = |e: axvs_session::rig::RigError| tool_error!("{e}");
    let rig = match (rig_file, rig_toml) {
        (Some(file), None) => {
            let path = paths.resolve("rig_file", file)?;
            let text = axvs_core::read_text_file(&path)
                .map_err(|e| tool_error!("argument `rig_file`: {}: {e}", path.display()))?;
            let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
            confine_plugin_dirs(paths, &text, &base)?;
            Rig::parse(&path.display().to_string(), &text, &base, &mut backends).map_err(bad_rig)?
        }
        (None, Some(text)) => {
            let base = paths.root().map(Path::to_path_buf).unwrap_or_default();
            confine_plugin_dirs(paths, text, &base)?;
            Rig::parse("<rig_toml>", text, &base, &mut backends).map_err(bad_rig)?
        }
        (Some(_), Some(_)) => return Err(tool_error!("arguments `rig_file` and `rig_toml`: give one, not both")),
        (None, None) => return Err(tool_error!("arguments: give a rig, as `rig_file` or `rig_toml`")),
    };
    confine_cameras(paths, &rig)?;
    Ok(rig)
}

/// Under `--root`: each of the rig's `plugin_dirs` (relative ones from `base`), and every file in it with
/// its links followed, lies inside the root; checked on the rig's text, before any plugin is loaded.
fn confine_plugin_dirs(paths: &PathPolicy, text: &str, base: &Path) -> Result<(), ToolError> {
    if paths.root().is_none() {
        return Ok(());
    }
    // A rig that is not TOML is reported by the parser, with its place.
    let Ok(table) = text.parse::<toml::Table>() else {
        return Ok(());
    };
    let dirs = table.get("plugin_dirs").and_then(toml::Value::as_array);
    for (i, dir) in dirs.into_iter().flatten().enumerate() {
        let Some(dir) = dir.as_str() else { continue };
        let what = format!("the rig's plugin_dirs[{i}]");
        let dir = paths.check(&what, &base.join(dir))?;
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            paths.check(&what, &entry.path())?;
        }
    }
    Ok(())
}

/// Under `--root`: every file each camera's settings read or write lies inside the root (video capture
/// devices, `/dev/video*`, are cameras and allowed), and no camera reaches files no setting names (a
/// GStreamer pipeline must end in its only sink, `appsink`, and name no location).
fn confine_cameras(paths: &PathPolicy, rig: &Rig) -> Result<(), ToolError> {
    if paths.root().is_none() {
        return Ok(());
    }
    for cam in &rig.cameras {
        let files = cam.camera.files().map_err(|why| {
            tool_error!(
                "camera {} '{}': {why}; this server is confined to its root (--root) and records only from \
                 sources that touch no file outside it",
                cam.id,
                cam.name
            )
        })?;
        for (key, path) in files {
            let absolute = std::path::absolute(&path).unwrap_or(path);
            let capture_device = absolute.canonicalize().is_ok_and(|real| {
                real.to_str()
                    .and_then(|r| r.strip_prefix("/dev/video"))
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            });
            if !capture_device {
                paths.check(&format!("camera {} '{}' `{key}`", cam.id, cam.name), &absolute)?;
            }
        }
    }
    Ok(())
}

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
    let bad_rig = |e: axvs_session::rig::RigError| tool_error!("{e}");
    let mut rig = match (&args.rig_file, &args.rig_toml, single) {
        (Some(_), Some(_), _) => return Err(tool_error!("arguments `rig_file` and `rig_toml`: give one, not both")),
        (Some(_), _, true) | (_, Some(_), true) => {
            return Err(tool_error!(
                "arguments: a rig (`rig_file` or `rig_toml`) describes its cameras; the single-camera parameters \
                 (interface, camera_index, width, ...) cannot be combined with it"
            ))
        }
        (Some(_), None, false) | (None, Some(_), false) => {
            given_rig(paths, args.rig_file.as_deref(), args.rig_toml.as_deref())?
        }
        (None, None, _) => {
            if args.output_directory.is_none() {
                return Err(tool_error!(
                    "argument `output_directory`: required for a single camera (or give a rig with `rig_file` / \
                     `rig_toml`)"
                ));
            }
            let text = single_camera_rig(args);
            let rig = Rig::parse("<start_video_session arguments>", &text, &base, &mut backends).map_err(bad_rig)?;
            confine_cameras(paths, &rig)?;
            rig
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
    // (`check` takes a relative folder from the root, as every path under --root.)
    let inside = |what: &str, dir: &Path| -> Result<PathBuf, ToolError> {
        let dir = paths.check(what, dir)?;
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
pub fn start_video_session(paths: &PathPolicy, sessions: &Sessions, args: StartSessionArgs) -> Reply<SessionStarted> {
    sessions.check_free()?;
    let seconds = |name: &str, value: Option<f64>| {
        value
            .map(|v| {
                std::time::Duration::try_from_secs_f64(v)
                    .ok()
                    .filter(|d| !d.is_zero() && d.as_secs() <= MAX_LIMIT_S)
                    .ok_or_else(|| {
                        tool_error!("argument `{name}`: a positive number of seconds up to {MAX_LIMIT_S}, not {v}")
                    })
            })
            .transpose()
    };
    let (stop_after, lease) = (
        seconds("stop_after_s", args.stop_after_s)?,
        seconds("lease_s", args.lease_s)?,
    );
    let rig = rig_of(paths, &args)?;
    let options = SessionOptions {
        output_dir: None,
        name: args.session_name.clone(),
        saving: args.saving,
        preview: PreviewChoice::Rig,
        metadata: args.metadata.clone().unwrap_or_default().into_iter().collect(),
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
    sessions.install(session, stop_after, lease)?;
    Ok((text, started))
}

/// Arguments of `start_frame_saving` and `stop_frame_saving`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SavingArgs {
    /// One camera's source id; without it, every camera.
    #[schemars(range(min = 0, max = 255))]
    pub camera_id: Option<u8>,
    /// Switch at this instant of this host's clock (UTC, ns since the UNIX epoch), at most
    /// [`MAX_SCHEDULE_S`] s ahead: how a coordinator starts the hosts of a rig together. Without it, now.
    pub at_utc_ns: Option<u64>,
}

/// The longest `stop_after_s` or `lease_s`, s (a year).
pub const MAX_LIMIT_S: u64 = 366 * 24 * 3600;

/// How far ahead a switch may be scheduled, s.
pub const MAX_SCHEDULE_S: u64 = 10;

/// What the saving tools return.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct SavingState {
    /// Every camera's state after the call.
    pub cameras: Vec<CameraSaving>,
    /// When the switch was made, by this host's clock (UTC, ns since the UNIX epoch).
    pub switched_utc_ns: u64,
}

/// One camera's saving state.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct CameraSaving {
    /// Source id.
    pub id: u8,
    /// Name.
    pub name: String,
    /// Saving frames now.
    pub saving: bool,
}

/// `start_frame_saving` / `stop_frame_saving`.
pub fn set_saving(sessions: &Sessions, args: SavingArgs, on: bool) -> Reply<SavingState> {
    if let Some(at) = args.at_utc_ns {
        let now = axvs_session::host_clock::utc_now_ns();
        let ahead = at.saturating_sub(now);
        if ahead > MAX_SCHEDULE_S * 1_000_000_000 {
            return Err(tool_error!(
                "argument `at_utc_ns`: {:.3} s ahead of this host's clock; at most {MAX_SCHEDULE_S} s",
                ahead as f64 / 1e9
            ));
        }
        std::thread::sleep(std::time::Duration::from_nanos(ahead));
    }
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
        let switched_utc_ns = axvs_session::host_clock::utc_now_ns();
        Ok(SavingState {
            switched_utc_ns,
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
pub fn get_session_status(sessions: &Sessions, _: NoArgs) -> Reply<StatusSnapshot> {
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
