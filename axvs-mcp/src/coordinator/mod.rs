//! The coordinator of a rig across PCs (`[[host]]` tables): it drives each host's control server
//! (`axvs mcp --http`) through the tools an agent uses, and the rig's own cameras (those without a `host`)
//! through a local session. One start: every camera of every host opens first, with saving off; then
//! saving starts on all of them at one instant of the coordinator's clock, sent to each host on its own
//! clock (its measured offset). One session: the coordinator writes an index of the hosts, their clocks
//! against its own at start and stop, their session folders and every camera's counts.
//!
//! Faults are each host's own: a host records to its own disk whatever happens to the coordinator or
//! the network.

mod clock;
mod collect;
mod remote;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use axvs_session::host_clock::{utc_now_ns, HostClock};
use axvs_session::rig::Rig;
use axvs_session::session::{default_session_name, PreviewChoice, Session, SessionOptions, SessionReport};

pub use clock::ClockOffset;
pub use collect::{collect, Collected};
use remote::Remote;

/// How long every camera may take to deliver its first frame before saving starts anyway, s.
pub const FIRST_FRAMES_WAIT_S: u64 = 5;
/// How far ahead of now the agreed start is set, at least, ms (each host must get it in time).
pub const START_LEAD_MS: u64 = 500;
/// Name of the index beside the session folders: `<session>.rig.json` (where `axvs stats` looks for it).
pub use axvs_log::stats::hosts::INDEX_SUFFIX;
/// How long a host records on without hearing from the coordinator, unless the rig says (`lease_s`), s.
pub const DEFAULT_LEASE_S: f64 = 30.0;
/// How long after the rig's duration a host stops by itself if the coordinator has not stopped it, s.
pub const STOP_MARGIN_S: f64 = 10.0;
/// How long a call may take before the host counts as unreachable for now, s.
pub const CALL_TIMEOUT_S: u64 = 5;
/// How long stopping a host (its queues, files and archives) may take, s.
pub const STOP_TIMEOUT_S: u64 = 120;
/// How long the coordinator keeps trying to stop a host it cannot reach (at most the lease), s.
pub const STOP_RETRY_S: u64 = 20;

/// Why a rig across PCs could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoordinatorError {
    /// A host's control server did not answer.
    #[error("host '{host}' ({url}): unreachable: {reason}")]
    Unreachable {
        /// The host.
        host: String,
        /// Its endpoint.
        url: String,
        /// Why.
        reason: String,
    },
    /// A host runs another axvs.
    #[error("host '{host}' runs axvs {theirs}, this coordinator {ours}: run the same version on every PC")]
    Version {
        /// The host.
        host: String,
        /// Its version.
        theirs: String,
        /// Ours.
        ours: String,
    },
    /// A host's tool refused or failed.
    #[error("host '{host}': {tool}: {reason}")]
    Tool {
        /// The host.
        host: String,
        /// The tool.
        tool: &'static str,
        /// Its error.
        reason: String,
    },
    /// The local cameras' session.
    #[error("this PC's cameras: {0}")]
    Local(#[from] axvs_session::session::SessionError),
    /// The index could not be written, or a collected file not read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The rig an index names (`axvs collect`) does not load.
    #[error(transparent)]
    Rig(#[from] axvs_session::rig::RigError),
    /// A collected file could not be hashed.
    #[error(transparent)]
    Certificate(#[from] axvs_session::certificate::CertificateError),
}

impl CoordinatorError {
    /// The error for an OS error on `path`, for `map_err`.
    fn at(path: &std::path::Path) -> impl Fn(std::io::Error) -> Self + Copy + '_ {
        move |source| CoordinatorError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The coordinator's runtime: two workers, enough for the hosts' connections.
fn runtime() -> Result<tokio::runtime::Runtime, CoordinatorError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CoordinatorError::at("tokio runtime".as_ref()))
}

/// How a rig across PCs runs.
#[derive(Debug, Clone, Default)]
pub struct RigRunOptions {
    /// The session's name on every host (default: the UTC date and time).
    pub name: Option<String>,
    /// This PC's output root (default: the rig's `output_dir`); the index goes there too.
    pub output_dir: Option<PathBuf>,
    /// Stop after this long (otherwise when `stop` is set).
    pub duration: Option<Duration>,
    /// Set to stop (Ctrl-C).
    pub stop: Option<Arc<AtomicBool>>,
    /// How often to report each host's saved frames (`None`: never); hosts are asked every second anyway.
    pub status_every: Option<Duration>,
}

/// One host in the index.
#[derive(Debug, Serialize)]
pub struct HostEntry {
    /// Its name in the rig.
    pub name: String,
    /// Its control server.
    pub url: String,
    /// The axvs it runs.
    pub version: String,
    /// Its cameras (id, name).
    pub cameras: Vec<(u8, String)>,
    /// Its clock against the coordinator's when the session started.
    pub clock_at_start: Option<ClockOffset>,
    /// And when it stopped.
    pub clock_at_stop: Option<ClockOffset>,
    /// When it switched saving on, by its own clock (UTC, ns).
    pub saving_switched_utc_ns: Option<u64>,
    /// Its session's report (folders, files, every camera's counts), as `stop_video_session` returned it.
    pub report: Option<Value>,
    /// Every file of its sealed session folders, with size and SHA-256 (from its seal).
    pub files: Vec<collect::SessionFile>,
    /// Where its session's logs and report are, on the host.
    pub log_dir: Option<PathBuf>,
    /// When the coordinator could not reach it.
    pub gaps: Vec<Gap>,
    /// The last status it gave.
    pub last_seen: Option<LastSeen>,
    /// What went wrong with it.
    pub errors: Vec<String>,
}

/// A time the coordinator could not reach a host, in seconds after saving started.
#[derive(Debug, Serialize)]
pub struct Gap {
    /// From: when the status request it left unanswered was sent.
    pub from_s: f64,
    /// To: when its first answer after that came (`None`: until the end).
    pub to_s: Option<f64>,
}

/// A host's last status, as the coordinator saw it.
#[derive(Debug, Serialize)]
pub struct LastSeen {
    /// Seconds after saving started.
    pub at_s: f64,
    /// Each camera: id, name, frames saved then.
    pub cameras: Vec<(u8, String, u64)>,
}

/// The session index of a rig across PCs.
#[derive(Debug, Serialize)]
pub struct RigIndex {
    /// The session's name (each host's session folder has it).
    pub session: String,
    /// The rig file.
    pub rig: String,
    /// The coordinator's axvs and clock state.
    pub coordinator: (String, Option<HostClock>),
    /// The agreed start of saving, by the coordinator's clock (UTC, ns).
    pub saving_start_utc_ns: u64,
    /// The hosts.
    pub hosts: Vec<HostEntry>,
    /// This PC's cameras' report, when it has cameras.
    pub local: Option<SessionReport>,
    /// The latest first saved frame after the earliest, across every camera of every host, on the
    /// coordinator's clock (each host's times corrected by its offset at the start), µs.
    pub first_frame_spread_us: Option<u64>,
}

/// What a run produced: the index, and where it was written.
#[derive(Debug)]
pub struct RigRun {
    /// The index.
    pub index: RigIndex,
    /// Its file.
    pub path: PathBuf,
}

/// A camera's status as `get_session_status` gives it (what the coordinator watches).
#[derive(Debug, Deserialize)]
struct Status {
    session: Option<StatusSession>,
    stop_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct StatusSession {
    cameras: Vec<CameraStatus>,
}

#[derive(Debug, Deserialize)]
struct CameraStatus {
    id: u8,
    name: String,
    acquired: u64,
    saved: u64,
}

/// One host as `axvs check` finds it.
#[derive(Debug, Serialize)]
pub struct HostCheck {
    /// Its name in the rig.
    pub name: String,
    /// Its control server.
    pub url: String,
    /// Its clock against this PC's, when it answered.
    pub clock: Option<ClockOffset>,
    /// Its cameras as it checked them, one line each.
    pub cameras: Vec<String>,
    /// Its capacity report (`check_rig_capacity`), when asked for.
    pub capacity: Option<Value>,
    /// Why it would not run: unreachable, another version, a camera or setting it refuses.
    pub problem: Option<String>,
}

/// Checks every host of `rig` as a run would find it: reachable, this axvs, its clock, its rig checked
/// there (cameras, encoders, memory, folders, free space), and with `capacity` (probe seconds) whether it
/// keeps up.
pub fn check(rig: &Rig, capacity: Option<f64>) -> Vec<HostCheck> {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            return rig
                .hosts
                .iter()
                .map(|h| HostCheck {
                    name: h.name.clone(),
                    url: h.url.clone(),
                    clock: None,
                    cameras: Vec::new(),
                    capacity: None,
                    problem: Some(format!("tokio runtime: {e}")),
                })
                .collect()
        }
    };
    runtime.block_on(async {
        let mut out = Vec::new();
        for spec in &rig.hosts {
            let mut found = HostCheck {
                name: spec.name.clone(),
                url: spec.url.clone(),
                clock: None,
                cameras: Vec::new(),
                capacity: None,
                problem: None,
            };
            if let Err(e) = check_host(spec, capacity, &mut found).await {
                found.problem = Some(e.to_string());
            }
            out.push(found);
        }
        out
    })
}

async fn check_host(
    spec: &axvs_session::rig::HostSpec,
    capacity: Option<f64>,
    found: &mut HostCheck,
) -> Result<(), CoordinatorError> {
    let remote = Remote::connect(spec.clone()).await?;
    found.clock = Some(clock::measure(&remote).await?);
    let checked: crate::tools::RigChecked = remote.call("check_rig", json!({"rig_toml": spec.rig_toml})).await?;
    found.cameras = checked.cameras;
    if let Some(seconds) = capacity {
        let args = json!({"rig_toml": spec.rig_toml, "probe_seconds": seconds});
        found.capacity = Some(remote.call_long("check_rig_capacity", args).await?);
    }
    remote.close().await;
    Ok(())
}

/// Runs `rig` across its hosts (and this PC's cameras); `progress` gets a line per event and status.
pub fn run(rig: Rig, options: RigRunOptions, progress: &mut dyn FnMut(String)) -> Result<RigRun, CoordinatorError> {
    runtime()?.block_on(run_async(rig, options, progress))
}

async fn run_async(
    rig: Rig,
    options: RigRunOptions,
    progress: &mut dyn FnMut(String),
) -> Result<RigRun, CoordinatorError> {
    let name = options.name.clone().unwrap_or_else(default_session_name);
    let output_dir = options.output_dir.clone().unwrap_or_else(|| rig.output_dir.clone());
    // Every host reachable and of this version before anything starts.
    let mut remotes = Vec::new();
    for spec in rig.hosts.clone() {
        progress(format!("host '{}': connecting to {}", spec.name, spec.url));
        remotes.push(Remote::connect(spec).await?);
    }
    let mut entries: Vec<HostEntry> = remotes
        .iter()
        .map(|r| HostEntry {
            name: r.spec.name.clone(),
            url: r.spec.url.clone(),
            version: r.version.clone(),
            cameras: r.spec.cameras.clone(),
            clock_at_start: None,
            clock_at_stop: None,
            saving_switched_utc_ns: None,
            report: None,
            files: Vec::new(),
            log_dir: None,
            gaps: Vec::new(),
            last_seen: None,
            errors: Vec::new(),
        })
        .collect();
    for (remote, entry) in remotes.iter().zip(&mut entries) {
        let offset = clock::measure(remote).await?;
        progress(format!(
            "host '{}': clock {:+.3} ms from this PC's (round trip {:.3} ms), {}",
            remote.spec.name,
            offset.offset_ns as f64 / 1e6,
            offset.round_trip_ns as f64 / 1e6,
            offset.host.summary()
        ));
        entry.clock_at_start = Some(offset);
    }
    // Open every camera, saving off: this PC's, then each host's.
    // Absolute, so that `axvs collect` finds the rig (and its tokens) from anywhere.
    let source = std::fs::canonicalize(&rig.source).map_or_else(|_| rig.source.clone(), |p| p.display().to_string());
    let rig_lease = rig.lease;
    let local_cameras = !rig.cameras.is_empty();
    let mut local = if local_cameras {
        let options = SessionOptions {
            output_dir: Some(output_dir.clone()),
            name: Some(name.clone()),
            saving: false,
            preview: PreviewChoice::Off,
            layout: None,
            expected_duration: options.duration,
            launched: None,
            interrupted: None,
            into: None,
            metadata: Vec::new(),
        };
        Some(Session::start(rig.clone(), options)?)
    } else {
        None
    };
    let lease = rig_lease.map_or(DEFAULT_LEASE_S, |l| l.as_secs_f64());
    // A status call renews a host's lease: it may take no more than a third of it.
    let poll_timeout = Duration::from_secs(CALL_TIMEOUT_S).min(Duration::from_secs_f64(lease / 3.0));
    let stop_after = options.duration.map(|d| d.as_secs_f64() + STOP_MARGIN_S + lease);
    let mut started = Vec::new();
    for remote in &remotes {
        let mut args =
            json!({"rig_toml": remote.spec.rig_toml, "session_name": name, "saving": false, "lease_s": lease});
        if let Some(s) = stop_after {
            args["stop_after_s"] = json!(s);
        }
        // Opening cameras and encoders takes a while: the long timeout.
        match remote.call_long::<Value>("start_video_session", args).await {
            Ok(reply) => {
                started.push(remote.spec.name.clone());
                if let Some(entry) = entries.iter_mut().find(|e| e.name == remote.spec.name) {
                    entry.log_dir = reply["log_dir"].as_str().map(PathBuf::from);
                }
            }
            Err(e) => {
                // Nothing records yet: stop what was opened (this host too, in case its answer was what
                // got lost), and say which host refused.
                for r in remotes.iter().take(started.len() + 1) {
                    let _ = r.stop().await;
                }
                if let Some(session) = local.take() {
                    session.stop(&mut |_| {});
                }
                return Err(e);
            }
        }
        progress(format!("host '{}': cameras open", remote.spec.name));
    }
    // Saving starts once every camera delivers (or after FIRST_FRAMES_WAIT_S), at one instant.
    let deadline = Instant::now() + Duration::from_secs(FIRST_FRAMES_WAIT_S);
    while Instant::now() < deadline {
        let mut all = local
            .as_ref()
            .is_none_or(|s| s.status().cameras.iter().all(|c| c.acquired > 0));
        for remote in &remotes {
            // A host that does not answer now is waited for no longer than the others.
            let status = remote
                .call_within::<Status>("get_session_status", json!({}), poll_timeout)
                .await;
            all &= status.is_ok_and(|s| s.session.is_some_and(|s| s.cameras.iter().all(|c| c.acquired > 0)));
        }
        if all {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let lead = entries
        .iter()
        .filter_map(|e| e.clock_at_start.as_ref())
        .map(|c| c.round_trip_ns * 4)
        .max()
        .unwrap_or(0)
        .max(START_LEAD_MS * 1_000_000);
    let start = utc_now_ns() + lead;
    let switches = remotes.iter().zip(&entries).map(|(remote, entry)| {
        let offset = entry.clock_at_start.as_ref().map_or(0, |c| c.offset_ns);
        let at = (i128::from(start) + i128::from(offset)).max(0) as u64;
        remote.call::<crate::tools::SavingState>("start_frame_saving", json!({"at_utc_ns": at}))
    });
    let local_switch = async {
        if let Some(session) = &local {
            tokio::time::sleep(Duration::from_nanos(start.saturating_sub(utc_now_ns()))).await;
            session.start_saving(None).map(Some)
        } else {
            Ok(None)
        }
    };
    let (switched, local_switched) = tokio::join!(futures_util::future::join_all(switches), local_switch);
    local_switched?;
    for (entry, result) in entries.iter_mut().zip(switched) {
        match result {
            Ok(s) => entry.saving_switched_utc_ns = Some(s.switched_utc_ns),
            Err(e) => entry.errors.push(e.to_string()),
        }
    }
    progress(format!(
        "saving started on every host at one instant ({:.0} ms after it was agreed)",
        lead as f64 / 1e6
    ));
    // Record: until the duration, or a stop.
    let began = Instant::now();
    let mut local_report = None;
    let mut next_status = Instant::now() + Duration::from_secs(1);
    let mut next_report = options.status_every.map(|every| Instant::now() + every);
    loop {
        let stopped = options.stop.as_ref().is_some_and(|s| s.load(Ordering::Relaxed));
        if stopped || options.duration.is_some_and(|d| began.elapsed() >= d) {
            break;
        }
        let mut local_stop = None;
        if let Some(session) = local.as_mut() {
            let poll = session.poll();
            poll.notices.iter().for_each(|n| progress(format!("this PC: {n}")));
            local_stop = poll.stop;
        }
        if let Some(cause) = local_stop {
            // This PC's cameras stop (a full disk, every camera failed); the hosts record on.
            progress(format!("this PC's cameras stopped: {cause}"));
            local_report = local.take().map(|session| session.stop(&mut |_| {}));
        }
        if Instant::now() >= next_status {
            next_status += Duration::from_secs(1);
            // Asked at `asked`, answered (or given up) at `at`: a host cut off is unreachable from the
            // question it left unanswered, and reachable again once an answer came, which may be seconds
            // after it was asked (a call waits up to its timeout for the network to come back).
            let asked = began.elapsed().as_secs_f64();
            // Every host at once: one that does not answer holds up none of the others.
            let statuses = futures_util::future::join_all(
                remotes
                    .iter()
                    .map(|r| r.call::<Status>("get_session_status", json!({}))),
            )
            .await;
            let at = began.elapsed().as_secs_f64();
            let report = next_report.is_some_and(|due| Instant::now() >= due);
            if report {
                next_report = next_report.zip(options.status_every).map(|(due, every)| due + every);
            }
            for ((remote, entry), status) in remotes.iter().zip(&mut entries).zip(statuses) {
                let open_gap = entry.gaps.last().is_some_and(|g| g.to_s.is_none());
                match status {
                    // Stopped by itself (a full disk, every camera failed): said once; its report waits.
                    Ok(Status {
                        session: None,
                        stop_reason,
                    }) => {
                        let why = format!(
                            "stopped by itself {at:.1} s after the start: {}",
                            stop_reason.as_deref().unwrap_or("no session")
                        );
                        if !entry.errors.contains(&why) {
                            progress(format!("host '{}': {why}", remote.spec.name));
                            entry.errors.push(why);
                        }
                    }
                    Ok(status) => {
                        if open_gap {
                            if let Some(gap) = entry.gaps.last_mut() {
                                gap.to_s = Some(at);
                                progress(format!(
                                    "host '{}': reachable again after {:.1} s",
                                    remote.spec.name,
                                    at - gap.from_s
                                ));
                            }
                        }
                        let cameras: Vec<(u8, String, u64)> = status
                            .session
                            .iter()
                            .flat_map(|s| s.cameras.iter())
                            .map(|c| (c.id, c.name.clone(), c.saved))
                            .collect();
                        if report {
                            let saved: Vec<String> = cameras.iter().map(|c| format!("{} {}", c.1, c.2)).collect();
                            progress(format!("host '{}': saved {}", remote.spec.name, saved.join(", ")));
                        }
                        entry.last_seen = Some(LastSeen { at_s: at, cameras });
                    }
                    Err(e) if !open_gap => {
                        progress(format!("{asked:.1} s in: {e} (it records on; retrying)"));
                        entry.gaps.push(Gap {
                            from_s: asked,
                            to_s: None,
                        });
                    }
                    Err(_) => {}
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Stop every host and this PC's cameras at once (each host retried up to its lease).
    let local_stopping = local
        .take()
        .map(|session| tokio::task::spawn_blocking(move || session.stop(&mut |_| {})));
    let stops = remotes
        .iter()
        .zip(entries.iter_mut())
        .map(|(remote, entry)| stop_host(remote, entry, lease, began));
    for lines in futures_util::future::join_all(stops).await {
        lines.into_iter().for_each(&mut *progress);
    }
    if let Some(stopping) = local_stopping {
        match stopping.await {
            Ok(report) => local_report = Some(report),
            Err(e) => progress(format!("this PC's cameras: stopping failed: {e}")),
        }
    }
    for remote in remotes {
        remote.close().await;
    }
    let index = RigIndex {
        session: name.clone(),
        rig: source,
        coordinator: (
            env!("CARGO_PKG_VERSION").to_string(),
            axvs_session::host_clock::read().ok(),
        ),
        saving_start_utc_ns: start,
        first_frame_spread_us: first_frame_spread(&entries, local_report.as_ref()),
        hosts: entries,
        local: local_report,
    };
    let path = output_dir.join(format!("{name}{INDEX_SUFFIX}"));
    write_new(&path, &index)?;
    Ok(RigRun { index, path })
}

/// Stops one host (retrying while it is unreachable, up to its lease), measures its clock and reads its
/// session's files; returns the lines to report.
async fn stop_host(remote: &Remote, entry: &mut HostEntry, lease: f64, began: Instant) -> Vec<String> {
    let mut lines = Vec::new();
    // Retried while it fails, not longer than the lease (past it the host stops by itself), counted from the
    // first failure: a stop that took long is not cut short.
    let retry = Duration::from_secs(STOP_RETRY_S).min(Duration::from_secs_f64(lease));
    let mut failing_since: Option<Instant> = None;
    loop {
        let error = match remote.stop().await {
            Ok(report) => {
                entry.report = Some(report);
                break;
            }
            Err(e) => e,
        };
        if failing_since.get_or_insert_with(Instant::now).elapsed() < retry {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Its answer may be what was lost: the report it wrote beside its logs.
        if let Some(report) = report_on_disk(remote, entry.log_dir.as_deref()).await {
            lines.push(format!(
                "host '{}': {error}; its report read from its disk",
                remote.spec.name
            ));
            entry.report = Some(report);
            break;
        }
        let last = entry.last_seen.as_ref().map_or("never seen saving".into(), |seen| {
            let saved: Vec<String> = seen
                .cameras
                .iter()
                .map(|c| format!("camera {} '{}' {} saved", c.0, c.1, c.2))
                .collect();
            format!("last seen {:.1} s after the start: {}", seen.at_s, saved.join(", "))
        });
        entry.errors.push(format!(
            "{error}; {last}; its files recover with `axvs recover` on that PC"
        ));
        break;
    }
    if let Some(gap) = entry.gaps.last_mut().filter(|g| g.to_s.is_none()) {
        gap.to_s = entry.report.as_ref().map(|_| began.elapsed().as_secs_f64());
    }
    let bags: Vec<PathBuf> = entry
        .report
        .as_ref()
        .and_then(|r| r["bags"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|b| b.as_str().map(PathBuf::from))
        .collect();
    for bag in bags {
        match collect::session_files(remote, &bag).await {
            Ok(files) => entry.files.extend(files),
            Err(e) => entry.errors.push(format!("its session's files: {e}")),
        }
    }
    match clock::measure(remote).await {
        Ok(offset) => entry.clock_at_stop = Some(offset),
        Err(e) => entry.errors.push(e.to_string()),
    }
    lines.push(format!("host '{}': stopped", remote.spec.name));
    lines
}

/// The report a host's session wrote beside its logs (`axvs_report.json`), when it is there and reads.
async fn report_on_disk(remote: &Remote, log_dir: Option<&std::path::Path>) -> Option<Value> {
    let path = log_dir?.join(axvs_log::stats::inputs::REPORT_FILE);
    let bytes = collect::read_whole(remote, &path).await.ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The spread of first saved frames across every camera, on the coordinator's clock.
fn first_frame_spread(hosts: &[HostEntry], local: Option<&SessionReport>) -> Option<u64> {
    let mut firsts: Vec<i128> = Vec::new();
    for host in hosts {
        let offset_us = host
            .clock_at_start
            .as_ref()
            .map_or(0, |c| i128::from(c.offset_ns) / 1000);
        let cameras = host.report.as_ref().and_then(|r| r["cameras"].as_array());
        for camera in cameras.into_iter().flatten() {
            if let Some(first) = camera["first_frame_utc_us"].as_u64() {
                firsts.push(i128::from(first) - offset_us);
            }
        }
    }
    for camera in local.iter().flat_map(|r| r.cameras.iter()) {
        firsts.extend(camera.first_frame_utc_us.map(i128::from));
    }
    let (min, max) = (firsts.iter().min()?, firsts.iter().max()?);
    (firsts.len() >= 2).then(|| (max - min) as u64)
}

/// Writes `index` as JSON to a new file (never over one).
fn write_new(path: &std::path::Path, index: &RigIndex) -> Result<(), CoordinatorError> {
    use std::io::Write;
    let io = CoordinatorError::at(path);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let text = serde_json::to_string_pretty(index).map_err(|e| io(std::io::Error::other(e)))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}
