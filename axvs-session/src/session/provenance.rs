//! A session's provenance, `session.json` beside its videos: how it was made (axvs' build, the rig as given
//! and as resolved, the libraries and plugins, the host and the state of its clock, the user's metadata),
//! when it started and stopped, and how it ended. Written when the session starts, and replaced whole (a
//! new file renamed over it) with its end when it stops, so that a crashed session keeps its start.

use std::collections::BTreeMap;
use std::path::Path;

use axvs_encode::EncoderSettings;
use serde::Serialize;

use crate::rig::Rig;

/// The file's name, in the session's directory.
pub const PROVENANCE_FILE: &str = "session.json";

/// Everything `session.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    /// axvs' version.
    pub axvs_version: &'static str,
    /// The git revision axvs was built from, when it was built from a git checkout.
    pub git_revision: Option<&'static str>,
    /// The rig as given: where from, and its text.
    pub rig: GivenRig,
    /// The rig with every default filled in.
    pub resolved: ResolvedRig,
    /// The libraries recording goes through, with their versions: FFmpeg's, and those of the camera backends
    /// loaded (Aravis' when built in, OpenCV's and GStreamer's when an OpenCV camera loaded its plugin).
    pub libraries: BTreeMap<String, String>,
    /// The camera plugins loaded: name, version and file.
    pub plugins: Vec<String>,
    /// The machine.
    pub host: Host,
    /// The host clock's state when the session started (the kernel's view, from `adjtimex`).
    pub clock: Clock,
    /// The user's metadata: the rig's `[session]` table, then `--meta key=value` (NWB and BIDS ask for
    /// `subject`, `experimenter`, `session_description`).
    pub metadata: BTreeMap<String, String>,
    /// When the session started, UTC (RFC 3339).
    pub started_utc: String,
    /// When it stopped, UTC; `None` while it records (or when it was killed).
    pub stopped_utc: Option<String>,
    /// How it ended: `stopped`, or the failures that ended it; `None` while it records.
    pub exit: Option<String>,
}

/// The rig as the user gave it.
#[derive(Debug, Clone, Serialize)]
pub struct GivenRig {
    /// The rig file (or how the rig was given).
    pub source: String,
    /// Its text.
    pub text: String,
}

/// The rig with every default applied.
#[derive(Debug, Clone, Serialize)]
pub struct ResolvedRig {
    /// This session's directory of videos (under the rig's `output_dir`, or where the run put it).
    pub session_dir: String,
    /// Its directory of logs (the same, unless the rig has a `log_dir`).
    pub log_dir: String,
    /// Free space the disks keep.
    pub min_free_space: String,
    /// The cameras.
    pub cameras: Vec<ResolvedCamera>,
}

/// One camera with every default applied.
#[derive(Debug, Clone, Serialize)]
pub struct ResolvedCamera {
    /// Source id.
    pub id: u8,
    /// Name.
    pub name: String,
    /// Backend.
    pub backend: String,
    /// The backend's settings, as it summarises them.
    pub settings: String,
    /// Every field of the backend's settings, defaults included (the settings type as Rust prints it; a
    /// plugin's: its file, backend and settings text).
    pub settings_resolved: String,
    /// Frames the queue holds.
    pub queue_depth: usize,
    /// What a full queue does.
    pub overflow: String,
    /// The live view's rate for it, when shown.
    pub display_fps: Option<f64>,
    /// The encoder's settings.
    pub encoder: EncoderSettings,
    /// What the device said it is when opened (vendor, model, serial, address), when known.
    pub device: Option<axvs_core::CameraIdentity>,
}

/// The machine a session ran on.
#[derive(Debug, Clone, Serialize)]
pub struct Host {
    /// Host name.
    pub name: String,
    /// Operating system (`PRETTY_NAME` of /etc/os-release).
    pub os: String,
    /// Kernel release.
    pub kernel: String,
    /// CPU model.
    pub cpu: String,
    /// Cores available to axvs.
    pub cores: usize,
}

/// The host clock, as the kernel keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct Clock {
    /// Whether a time daemon (NTP, PTP) keeps it synchronised.
    pub synchronised: bool,
    /// The kernel's estimated error, µs.
    pub estimated_error_us: Option<i64>,
    /// The kernel's maximum error, µs.
    pub max_error_us: Option<i64>,
}

impl Provenance {
    /// The provenance of a session of `rig` starting now in `dirs`, with `metadata` added to the rig's own
    /// and each camera's device as it said it is when opened (`devices`, by id).
    pub fn start(
        rig: &Rig,
        dirs: &super::SessionDirs,
        metadata: &[(String, String)],
        devices: &[(u8, axvs_core::CameraIdentity)],
    ) -> Provenance {
        let mut all = rig.metadata.clone();
        all.extend(metadata.iter().cloned());
        Provenance {
            axvs_version: env!("CARGO_PKG_VERSION"),
            git_revision: option_env!("AXVS_GIT_REVISION").filter(|r| !r.is_empty()),
            rig: GivenRig {
                source: rig.source.clone(),
                text: rig.text.clone(),
            },
            resolved: ResolvedRig {
                session_dir: dirs.session.display().to_string(),
                log_dir: dirs.log.display().to_string(),
                min_free_space: rig.min_free_space.to_string(),
                cameras: rig
                    .cameras
                    .iter()
                    .map(|c| ResolvedCamera {
                        id: c.id,
                        name: c.name.clone(),
                        backend: c.backend.clone(),
                        settings: c.camera.summary(),
                        settings_resolved: format!("{:?}", c.camera),
                        queue_depth: c.queue_depth,
                        overflow: match c.overflow {
                            axvs_core::OverflowPolicy::DropNewest => "drop_newest".into(),
                            _ => "block".into(),
                        },
                        display_fps: c.display_fps,
                        encoder: c.encoder.clone(),
                        device: devices.iter().find(|(id, _)| *id == c.id).map(|(_, d)| d.clone()),
                    })
                    .collect(),
            },
            libraries: axvs_encode::library_versions()
                .into_iter()
                .map(|(name, version)| (name.to_string(), version))
                .chain(rig.libraries.iter().cloned())
                .collect(),
            plugins: rig.plugins.clone(),
            host: host(),
            clock: clock(),
            metadata: all,
            started_utc: utc_now(),
            stopped_utc: None,
            exit: None,
        }
    }

    /// The same provenance, ended now: `failures` empty for a clean stop.
    pub fn stopped(mut self, failures: &[String]) -> Provenance {
        self.stopped_utc = Some(utc_now());
        self.exit = Some(match failures {
            [] => "stopped".into(),
            all => all.join("; "),
        });
        self
    }

    /// Writes it into `dir` as [`PROVENANCE_FILE`], replacing the start's whole (a new file renamed over it).
    pub fn write(&self, dir: &Path) -> Result<(), String> {
        replace(dir, &serde_json::to_string_pretty(self).map_err(|e| e.to_string())?)
    }
}

/// After `axvs recover`: a session whose `session.json` never got its end (the process was killed) says so,
/// and when it was recovered. Returns whether it changed the file (none, or one already ended: no).
pub fn mark_recovered(dir: &Path) -> Result<bool, String> {
    let path = dir.join(PROVENANCE_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(false);
    };
    let mut value: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if !value["exit"].is_null() {
        return Ok(false);
    }
    value["exit"] = format!(
        "ended without stopping (killed or crashed); recovered by axvs recover at {}",
        utc_now()
    )
    .into();
    replace(dir, &serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?)?;
    Ok(true)
}

/// Puts `json` in `dir`'s [`PROVENANCE_FILE`] whole: a new file, synced, renamed over the old one.
fn replace(dir: &Path, json: &str) -> Result<(), String> {
    let path = dir.join(PROVENANCE_FILE);
    let temporary = dir.join(format!(".{PROVENANCE_FILE}.new"));
    std::fs::write(&temporary, json.as_bytes())
        .and_then(|()| std::fs::File::open(&temporary)?.sync_all())
        .and_then(|()| std::fs::rename(&temporary, &path))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    axvs_core::sync_folder_of(&path);
    Ok(())
}

fn utc_now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn host() -> Host {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let os = read("/etc/os-release")
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_else(|| std::env::consts::OS.to_string());
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|v| v.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    Host {
        name: read("/proc/sys/kernel/hostname").trim().to_string(),
        os,
        kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
        cpu,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
    }
}

fn clock() -> Clock {
    // SAFETY: a zeroed timex with modes 0 only reads the kernel's state.
    let mut timex: libc::timex = unsafe { std::mem::zeroed() };
    // SAFETY: `timex` is a valid, writable timex.
    let state = unsafe { libc::adjtimex(&mut timex) };
    if state < 0 {
        return Clock {
            synchronised: false,
            estimated_error_us: None,
            max_error_us: None,
        };
    }
    Clock {
        synchronised: state != libc::TIME_ERROR && timex.status & libc::STA_UNSYNC == 0,
        estimated_error_us: Some(timex.esterror),
        max_error_us: Some(timex.maxerror),
    }
}
