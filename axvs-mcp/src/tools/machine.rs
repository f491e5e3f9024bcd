//! The machine: its cameras, its GenTL producer, and what it can record with.

use std::path::PathBuf;

use axvs_core::DiscoverOptions;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{NoArgs, Reply};
use crate::args::tool_error;
use crate::paths::PathPolicy;
use axvs_session::backends::Backends;
use axvs_session::requirements::{CtiStatus, Requirements};

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
    /// What its backend tells about it.
    #[serde(flatten)]
    pub camera: axvs_core::DiscoveredCamera,
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
    let options = DiscoverOptions {
        simulated: args.simulated,
    };
    let mut list = CameraList {
        cameras: Vec::new(),
        failed: Vec::new(),
        backends: Vec::new(),
    };
    for discovery in Backends::builtin().discover_all(&options) {
        match discovery.found {
            Ok(found) => list.cameras.extend(found.into_iter().map(|camera| CameraFound {
                summary: camera.to_string(),
                camera,
            })),
            Err(e) => list.failed.push(BackendFailure {
                backend: discovery.backend.clone(),
                error: e.to_string(),
            }),
        }
        list.backends.push(discovery.backend);
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

/// `get_cti_status`: the GenTL producer the `gentl` backend uses, and whether it loads.
pub fn get_cti_status(_: NoArgs) -> Reply<CtiStatus> {
    let status = axvs_session::requirements::cti_status();
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

/// What `read_host_clock` returns: when the request arrived, and the clock as the answer leaves (its
/// `utc_ns`): with the client's own send and receive times, the four timestamps of an NTP-style exchange.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct HostClockRead {
    /// UTC when the request reached the tool, ns since the UNIX epoch.
    pub received_utc_ns: u64,
    /// The clock, read last (its `utc_ns` is the send time).
    pub clock: axvs_session::host_clock::HostClock,
}

/// `read_host_clock`: this host's time and clock state.
pub fn read_host_clock(received_utc_ns: u64) -> Reply<HostClockRead> {
    let clock = axvs_session::host_clock::read().map_err(|e| tool_error!("reading the clock (ntp_adjtime): {e}"))?;
    Ok((
        format!("clock: {}", clock.summary()),
        HostClockRead { received_utc_ns, clock },
    ))
}

/// `check_runtime_requirements`: what this machine can record with (the same report as `axvs check`).
pub fn check_runtime_requirements(_: NoArgs) -> Reply<Requirements> {
    let found = axvs_session::requirements::check(&mut Backends::builtin());
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

/// Arguments of `check_rig_capacity`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CapacityArgs {
    /// A rig file (TOML). Excludes `rig_toml`.
    pub rig_file: Option<String>,
    /// A rig given inline, as TOML text.
    pub rig_toml: Option<String>,
    /// Seconds each camera's frame path is timed (default 2).
    #[schemars(range(min = 0.1, max = 60.0))]
    pub probe_seconds: Option<f64>,
}

/// Arguments of `check_rig`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRigArgs {
    /// A rig file (TOML). Excludes `rig_toml`.
    pub rig_file: Option<String>,
    /// A rig given inline, as TOML text.
    pub rig_toml: Option<String>,
}

/// What `check_rig` returns.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct RigChecked {
    /// The output root its sessions would go to.
    pub output_dir: PathBuf,
    /// Each camera, one line: id, name, what it is, its encoder.
    pub cameras: Vec<String>,
}

/// `check_rig`: `axvs check RIG`: the rig checked as a run checks it before it writes anything (cameras'
/// settings, frames against the encoder, queues against memory, output folders tried, free space).
pub fn check_rig(paths: &PathPolicy, args: CheckRigArgs) -> Reply<RigChecked> {
    let rig = super::session::given_rig(paths, args.rig_file.as_deref(), args.rig_toml.as_deref())?;
    let frames: Vec<Option<axvs_session::session::Frames>> = rig
        .cameras
        .iter()
        .map(|cam| {
            cam.camera
                .declared_shape()
                .map(|shape| axvs_session::session::Frames { shape, fps: None })
        })
        .collect();
    axvs_session::session::preflight::preflight(&rig, &frames, &rig.output_dir).map_err(|e| tool_error!("{e}"))?;
    let cameras: Vec<String> = rig
        .cameras
        .iter()
        .map(|c| format!("{:03} {}: {}", c.id, c.name, c.camera.summary()))
        .collect();
    Ok((
        format!("the rig checks clean: {} camera(s)", cameras.len()),
        RigChecked {
            output_dir: rig.output_dir.clone(),
            cameras,
        },
    ))
}

/// `check_rig_capacity`: `axvs check RIG --capacity`: each camera's frames encoded for a moment on this
/// machine, and whether the rig keeps up. Refused while a session records: the two would share the cores,
/// and the figures would be wrong for both.
pub fn check_rig_capacity(
    paths: &PathPolicy,
    sessions: &super::super::sessions::Sessions,
    args: CapacityArgs,
) -> Reply<axvs_session::capacity::CapacityReport> {
    let rig = super::session::given_rig(paths, args.rig_file.as_deref(), args.rig_toml.as_deref())?;
    sessions.check_free().map_err(|e| {
        tool_error!(
            "{} (a capacity check would share the cores with the recording, and mislead both)",
            e.0
        )
    })?;
    let time = std::time::Duration::from_secs_f64(
        args.probe_seconds
            .unwrap_or(axvs_session::capacity::DEFAULT_PROBE_TIME.as_secs_f64()),
    );
    let report = axvs_session::capacity::assess_rig(&rig, time).map_err(|e| tool_error!("{e}"))?;
    let first = report.cameras.first().map(|c| format!("camera {} '{}'", c.id, c.name));
    let text = format!(
        "{}: {:.2} of {} cores needed, headroom {:.2}x (bound: {}){}",
        if report.keeps_up {
            "keeps up"
        } else {
            "will drop frames"
        },
        report.cores_needed,
        report.cores_available,
        report.headroom,
        report.bound,
        first.map(|f| format!("; first to drop: {f}")).unwrap_or_default()
    );
    Ok((text, report))
}
