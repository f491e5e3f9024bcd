//! `axvs run`: record every camera of a rig until the duration ends, `q` is typed, or Ctrl-C.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axvs_core::{CameraInfo, FrameMailbox, StopReport, SystemEvent, SystemState, SystemStatus, VideoSystem};
use axvs_encode::FfmpegEncoderFactory;
use axvs_log::{manifest, npz, FileLogSink};
use clap::Args;
use crossbeam_channel::{Receiver, Sender};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::CliError;
use crate::backends::Backends;
use crate::rig::{CameraSpec, Rig};
use crate::space::MinFreeSpace;

/// How often the disks' free space is checked while recording.
const SPACE_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Arguments of `axvs run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The rig file. Without it, the built-in demo rig (two synthetic cameras) runs.
    rig: Option<PathBuf>,
    /// Stop after this many seconds (otherwise: `q` + Enter, or Ctrl-C).
    #[arg(short, long)]
    duration: Option<f64>,
    /// Start with saving off; `w` + Enter turns it on.
    #[arg(long)]
    no_save: bool,
    /// Root directory of the recordings (overrides the rig's `output_dir`).
    #[arg(short, long)]
    output_dir: Option<PathBuf>,
    /// Name of this run's directory under the root (default: the UTC date and time).
    #[arg(long)]
    session: Option<String>,
    /// Also write the final figures of every camera as JSON to this file.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Seconds between status lines when stderr is not a terminal (0 = none).
    #[arg(long, default_value_t = 5.0)]
    status_interval: f64,
    /// Show every camera in a live preview window at this rate (overrides the rig's display_fps).
    #[arg(long)]
    display_fps: Option<f64>,
    /// No preview windows, whatever the rig says.
    #[arg(long, conflicts_with = "display_fps")]
    no_preview: bool,
}

/// What the user asks for while recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    StartSaving,
    StopSaving,
    Quit,
}

/// One camera of the running rig.
struct Running {
    spec: CameraSpec,
    system: VideoSystem,
    first_frame_ms: Option<f64>,
    failure_reported: bool,
    preview: Option<Arc<FrameMailbox>>,
}

/// The final figures of one camera, as `--report` writes them.
#[derive(Debug, Serialize)]
struct CameraReport {
    backend: String,
    status: SystemStatus,
    video: Option<PathBuf>,
    video_frames: Option<u64>,
    video_bytes: Option<u64>,
    /// Every file of the video, in order, when it was split into segments.
    segments: Vec<axvs_core::EncodeSummary>,
    log: PathBuf,
    archive: Option<PathBuf>,
    first_frame_ms: Option<f64>,
    errors: Vec<String>,
}

#[derive(Debug, Serialize)]
struct RunReport {
    rig: String,
    session_dir: PathBuf,
    log_dir: PathBuf,
    cameras: Vec<CameraReport>,
}

/// Runs the command.
pub fn run(args: RunArgs) -> Result<(), CliError> {
    let launched = Instant::now();
    // Caught from the start: a signal while cameras open or files are created ends the run cleanly too.
    let (control_tx, control_rx) = crossbeam_channel::bounded::<Control>(16);
    install_signal_handler(control_tx.clone());
    let mut backends = Backends::builtin();
    let rig = match &args.rig {
        Some(path) => Rig::load(path, &mut backends)?,
        None => Rig::builtin(&mut backends)?,
    };
    let seconds = |flag: &str, value: f64| {
        Duration::try_from_secs_f64(value)
            .ok()
            .filter(|d| !d.is_zero() && *d <= Duration::from_secs(100 * 365 * 24 * 3600))
            .ok_or_else(|| CliError::Argument(format!("{flag} {value}: must be a positive number of seconds")))
    };
    let duration = args.duration.map(|d| seconds("--duration", d)).transpose()?;
    if !(args.status_interval.is_finite() && args.status_interval >= 0.0) {
        return Err(CliError::Argument(format!(
            "--status-interval {}: must be 0 or a positive number of seconds",
            args.status_interval
        )));
    }
    if let Some(rate) = args.display_fps.filter(|r| !(r.is_finite() && *r >= 0.001)) {
        return Err(CliError::Argument(format!(
            "--display-fps {rate}: must be at least 0.001"
        )));
    }

    if let Some(report) = args.report.as_deref().filter(|r| r.exists()) {
        return Err(CliError::Argument(format!(
            "--report {}: the file exists; axvs does not overwrite files",
            report.display()
        )));
    }

    // Open every camera before anything is written: a camera that is missing or refuses its settings
    // leaves no session directory behind.
    let mut opened = Vec::with_capacity(rig.cameras.len());
    for spec in &rig.cameras {
        let mut camera = spec.camera.camera();
        let info = camera.open().map_err(|e| {
            CliError::Recording(format!(
                "camera {} '{}': {e} (camera defined at {})",
                spec.id, spec.name, spec.location
            ))
        })?;
        let display_fps = if args.no_preview {
            None
        } else {
            args.display_fps.or(spec.display_fps)
        };
        let preview = match display_fps {
            Some(rate) if rate > info.fps + 1e-6 => {
                return Err(CliError::Argument(format!(
                    "camera {} '{}': display rate {rate} fps is above the camera's {:.3} fps (camera defined at {})",
                    spec.id, spec.name, info.fps, spec.location
                )))
            }
            Some(rate) => Some(Arc::new(FrameMailbox::new(Duration::from_secs_f64(1.0 / rate)))),
            None => None,
        };
        opened.push((spec, camera, info, preview));
    }

    // What the cameras turned out to deliver must suit their encoders and fit in memory, before any file
    // is made.
    let mut memory = Vec::with_capacity(opened.len());
    for (spec, _, info, _) in &opened {
        axvs_encode::check_frames(&spec.encoder, &info.shape()).map_err(|e| {
            CliError::Argument(format!(
                "camera {} '{}': {e} (camera defined at {})",
                spec.id, spec.name, spec.location
            ))
        })?;
        memory.push(spec.memory(&info.shape()));
    }
    if let Some(available) = crate::memory::available_memory() {
        crate::memory::check_memory(&memory, available).map_err(CliError::Argument)?;
    }
    if control_rx.try_recv() == Ok(Control::Quit) {
        return Err(CliError::Recording(
            "interrupted before recording started; nothing was written".into(),
        ));
    }
    let root = args.output_dir.clone().unwrap_or_else(|| rig.output_dir.clone());
    // Not started at all on a disk already below its threshold: the guard would stop it at once.
    let disks: Vec<PathBuf> = std::iter::once(root.clone()).chain(rig.log_dir.clone()).collect();
    crate::space::check_space(&disks, rig.min_free_space).map_err(|e| {
        CliError::Recording(format!(
            "cannot start: {e}; free some space, or lower min_free_space in the rig"
        ))
    })?;
    let rate: f64 = opened.iter().map(|(spec, _, info, _)| estimated_rate(spec, info)).sum();
    warn_if_space_runs_out(&disks, rig.min_free_space, rate, duration);
    let given = args.session.as_deref().map(session_name).transpose()?;
    let session_dir = match &given {
        Some(name) => claim_dir(&root, name, false)?,
        None => claim_dir(&root, &default_session_name()?, true)?,
    };
    // The log directory takes the session directory's final name (a numbered default name included).
    let session = session_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let log_dir = match &rig.log_dir {
        Some(dir) => claim_dir(dir, &session, false).inspect_err(|_| {
            // Still empty: give the name back so that a corrected run can use it.
            let _ = std::fs::remove_dir(&session_dir);
        })?,
        None => session_dir.clone(),
    };
    let sink = Arc::new(FileLogSink::create(&log_dir)?);
    let mut cameras = Vec::with_capacity(opened.len());
    let mut previews = Vec::new();
    for (spec, camera, info, preview) in opened {
        manifest::register(&log_dir, spec.id, &spec.name)?;
        let factory = FfmpegEncoderFactory::new(spec.encoder.clone(), &session_dir)
            .map_err(|e| CliError::Recording(format!("camera {} '{}': {e}", spec.id, spec.name)))?;
        let config = spec.system_config(!args.no_save);
        let system = VideoSystem::new(config, camera, Some(Arc::new(factory)), sink.clone());
        if let Some(mailbox) = &preview {
            previews.push((spec, Arc::clone(mailbox), info.clone()));
        }
        cameras.push(Running {
            spec: spec.clone(),
            system,
            first_frame_ms: None,
            failure_reported: false,
            preview,
        });
    }
    let mut preview = None;
    if !previews.is_empty() {
        match spawn_previews(previews) {
            Ok(handle) => {
                for cam in &mut cameras {
                    cam.system.set_preview(cam.preview.clone());
                }
                preview = Some(handle);
            }
            Err(e) => {
                errln!("axvs: warning: preview off: {e}; recording goes on");
                cameras.iter_mut().for_each(|cam| cam.preview = None);
            }
        }
    }

    // A camera that cannot start ends the run; what did start is still stopped and finished like any run.
    let start_error = cameras.iter_mut().find_map(|c| c.system.start().err());
    let mut stop_reason = None;
    if start_error.is_none() {
        errln!(
            "axvs: recording {} camera(s) from {} into {}{}",
            cameras.len(),
            rig.source,
            session_dir.display(),
            if args.no_save { " (saving off)" } else { "" }
        );
        spawn_key_reader(control_tx);
        let mut display = Display::new(&cameras, args.status_interval);
        let deadline = duration.and_then(|d| Instant::now().checked_add(d));
        let space = SpaceGuard {
            dirs: vec![session_dir.clone(), log_dir.clone()],
            min: rig.min_free_space,
        };
        stop_reason = record(&mut cameras, &control_rx, deadline, &mut display, launched, &space);
        display.finish();
    }
    if let Some(mut handle) = preview {
        handle.close();
    }
    let reports = stop_all(&mut cameras);
    let dirs = SessionDirs {
        session: session_dir,
        log: log_dir,
    };
    let finished = finish(rig, dirs, &sink, cameras, reports, args.report.as_deref(), stop_reason);
    match start_error {
        Some(e) => Err(e.into()),
        None => finished,
    }
}

/// Where a run's files go.
struct SessionDirs {
    /// Videos.
    session: PathBuf,
    /// Logs, manifest and archives (the session directory unless the rig has a `log_dir`).
    log: PathBuf,
}

/// The disks a run writes to, and the free space they keep.
struct SpaceGuard {
    dirs: Vec<PathBuf>,
    min: MinFreeSpace,
}

/// A camera's estimated bytes per second on disk. Compressed rates vary with the picture: a tenth of the raw
/// rate for lossy codecs and half for FFV1, so that the estimate errs on the side of warning.
fn estimated_rate(spec: &CameraSpec, info: &CameraInfo) -> f64 {
    let share = if spec.encoder.codec == axvs_encode::Codec::Ffv1 {
        0.5
    } else {
        0.1
    };
    info.frame_size() as f64 * info.fps * share
}

/// Warns when writing `rate` bytes/s would fill a disk down to its threshold within the run (or within ten
/// minutes when the run has no duration).
fn warn_if_space_runs_out(disks: &[PathBuf], min: MinFreeSpace, rate: f64, duration: Option<Duration>) {
    let horizon = duration.unwrap_or(Duration::from_secs(600));
    for dir in disks {
        let Ok(space) = crate::space::disk_space(dir) else {
            continue;
        };
        let room = space.free.saturating_sub(min.bytes_of(space.total)) as f64;
        if rate * horizon.as_secs_f64() > room {
            errln!(
                "axvs: warning: {} has room for about {:.0} s of recording at the rig's estimated {} /s; \
                 recording stops cleanly when it holds less than min_free_space ({min})",
                dir.display(),
                room / rate,
                crate::space::megabytes(rate as u64),
            );
        }
    }
}

/// Waits for the end of the recording while keeping the status display fresh; returns why it stopped
/// early, when a disk ran low.
fn record(
    cameras: &mut [Running],
    control: &Receiver<Control>,
    deadline: Option<Instant>,
    display: &mut Display,
    launched: Instant,
    space: &SpaceGuard,
) -> Option<String> {
    let tick = Duration::from_millis(200);
    let mut space_checked = Instant::now();
    loop {
        let wait = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()).min(tick),
            None => tick,
        };
        match control.recv_timeout(wait) {
            Ok(Control::Quit) => return None,
            Ok(Control::StartSaving) => cameras.iter().for_each(|c| c.system.start_saving()),
            Ok(Control::StopSaving) => cameras.iter().for_each(|c| c.system.stop_saving()),
            Err(_) => {}
        }
        for cam in cameras.iter_mut() {
            while let Ok(event) = cam.system.events().try_recv() {
                match event {
                    SystemEvent::FirstFrameSaved { .. } if cam.first_frame_ms.is_none() => {
                        cam.first_frame_ms = Some(launched.elapsed().as_secs_f64() * 1e3);
                    }
                    SystemEvent::Error { part, message, .. } => {
                        display.warn(&format!("{part} failed: {message}; the other cameras go on"));
                        cam.failure_reported = true;
                    }
                    _ => {}
                }
            }
        }
        for cam in cameras.iter_mut() {
            if cam.preview.as_ref().is_some_and(|m| m.is_closed()) {
                cam.preview = None;
                display.warn(&format!(
                    "camera {} '{}': preview closed; recording goes on",
                    cam.spec.id, cam.spec.name
                ));
            }
        }
        let statuses: Vec<SystemStatus> = cameras.iter().map(|c| c.system.status()).collect();
        for (cam, s) in cameras.iter().zip(&statuses) {
            if let Some(mailbox) = &cam.preview {
                mailbox.set_caption(format!(
                    "{:.1} fps  saved {}  dropped {}{}",
                    s.fps,
                    s.saved,
                    s.dropped.lost() + s.camera_lost,
                    if s.saving { "" } else { "  (not saving)" }
                ));
            }
        }
        display.update(&statuses);
        if statuses.iter().all(|s| s.state == SystemState::Failed) {
            display.warn("every camera failed; stopping");
            return None;
        }
        if statuses
            .iter()
            .all(|s| matches!(s.state, SystemState::Failed | SystemState::Ended))
        {
            return None;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return None;
        }
        if space_checked.elapsed() >= SPACE_CHECK_INTERVAL {
            space_checked = Instant::now();
            if let Err(low) = crate::space::check_space(&space.dirs, space.min) {
                let reason = format!("recording stopped early: {low}");
                display.warn(&format!("{reason}; finalizing the files"));
                return Some(reason);
            }
        }
    }
}

/// Stops every system at once, so their queues drain in parallel.
fn stop_all(cameras: &mut [Running]) -> Vec<StopReport> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = cameras
            .iter_mut()
            .map(|cam| scope.spawn(move || cam.system.stop()))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| StopReport {
                    status: SystemStatus {
                        error: Some("stopping panicked".into()),
                        ..empty_status()
                    },
                    video: None,
                    errors: Vec::new(),
                })
            })
            .collect()
    })
}

fn empty_status() -> SystemStatus {
    SystemStatus {
        id: 0,
        name: String::new(),
        state: SystemState::Idle,
        saving: false,
        acquired: 0,
        saved: 0,
        dropped: Default::default(),
        camera_lost: 0,
        unlogged: 0,
        queue_depth: 0,
        queue_capacity: 0,
        fps: 0.0,
        video_path: None,
        error: None,
    }
}

/// Closes the log, exports archives, prints the summary, writes the report.
fn finish(
    rig: Rig,
    SessionDirs {
        session: session_dir,
        log: log_dir,
    }: SessionDirs,
    sink: &FileLogSink,
    cameras: Vec<Running>,
    reports: Vec<StopReport>,
    report_path: Option<&Path>,
    stop_reason: Option<String>,
) -> Result<(), CliError> {
    let mut failures: Vec<String> = stop_reason.into_iter().collect();
    if let Err(e) = sink.close() {
        failures.push(format!("timestamp log: {e}"));
    }
    let mut camera_reports = Vec::with_capacity(cameras.len());
    outln!(
        "{:<4} {:<16} {:>9} {:>9} {:>11} {:>10} {:>10}  video",
        "id",
        "name",
        "acquired",
        "saved",
        "lost(q/enc)",
        "not saved",
        "cam lost"
    );
    for (cam, report) in cameras.iter().zip(reports) {
        let s = &report.status;
        let log = sink.log_path(cam.spec.id);
        // A camera whose log failed has frames in its video without an entry: its archive is reconciled
        // with the video (as `axvs recover` does), so that it holds exactly the video's frames.
        // An empty log: the camera never logged its onset (its own error says why), so there is no archive.
        let logged = std::fs::metadata(&log).is_ok_and(|m| m.len() > 0);
        let archived = match (logged, s.unlogged > 0) {
            (false, _) => Ok(None),
            (true, false) => npz::export_log(&log, &log_dir).map(Some).map_err(CliError::from),
            (true, true) => super::recover::recover_log(&session_dir, &log, &log_dir).map(|r| r.archive),
        };
        let archive = archived.unwrap_or_else(|e| {
            failures.push(format!(
                "camera {} '{}': archive: {e} (`axvs recover {}` writes it later, with --out-dir if this disk is full)",
                cam.spec.id,
                cam.spec.name,
                session_dir.display()
            ));
            None
        });
        let errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
        failures.extend(errors.iter().cloned());
        outln!(
            "{:<4} {:<16} {:>9} {:>9} {:>15} {:>10} {:>10}  {}",
            format!("{:03}", s.id),
            s.name,
            s.acquired,
            s.saved,
            format!(
                "{}/{}/{}",
                s.dropped.queue_full, s.dropped.encoder_error, s.dropped.log_error
            ),
            s.dropped.saving_off,
            s.camera_lost,
            report
                .video
                .as_ref()
                .map(|v| format!(
                    "{} ({} frames, {:.1} MB{})",
                    v.path.display(),
                    v.frames,
                    v.bytes as f64 / 1e6,
                    match v.segments.len() {
                        0 | 1 => String::new(),
                        n => format!(", {n} files"),
                    }
                ))
                .unwrap_or_else(|| "-".into())
        );
        camera_reports.push(CameraReport {
            backend: cam.spec.backend.clone(),
            status: report.status.clone(),
            video: report.video.as_ref().map(|v| v.path.clone()),
            video_frames: report.video.as_ref().map(|v| v.frames),
            video_bytes: report.video.as_ref().map(|v| v.bytes),
            segments: report.video.as_ref().map(|v| v.segments.clone()).unwrap_or_default(),
            log,
            archive,
            first_frame_ms: cam.first_frame_ms,
            errors,
        });
    }
    outln!("session: {}", session_dir.display());
    if let Some(path) = report_path {
        let report = RunReport {
            rig: rig.source,
            session_dir,
            log_dir,
            cameras: camera_reports,
        };
        let written = serde_json::to_string_pretty(&report)
            .map_err(|e| e.to_string())
            .and_then(|json| axvs_log::output::write_new_bytes(path, json.as_bytes()).map_err(|e| e.to_string()));
        if let Err(e) = written {
            failures.push(format!("report {}: {e}", path.display()));
        }
    }
    // The first failure is the error line; the others are printed above it, each in full.
    for more in failures.iter().skip(1) {
        errln!("axvs: also: {more}");
    }
    match failures.len() {
        0 => Ok(()),
        1 => Err(CliError::Recording(failures.remove(0))),
        n => Err(CliError::Recording(format!(
            "{} (and {} more errors, above)",
            failures[0],
            n - 1
        ))),
    }
}

/// The session directory name, when given: checked to be a plain directory name.
fn session_name(given: &str) -> Result<String, CliError> {
    if given.is_empty() || given.contains(['/', '\\']) || given == "." || given == ".." {
        return Err(CliError::Argument(format!(
            "--session '{given}': must be a plain directory name"
        )));
    }
    Ok(given.to_string())
}

/// The default session name: the UTC date and time.
fn default_session_name() -> Result<String, CliError> {
    let format = time::macros::format_description!("[year]-[month]-[day]_[hour]-[minute]-[second]");
    time::OffsetDateTime::now_utc()
        .format(format)
        .map_err(|e| CliError::Recording(format!("formatting the session name: {e}")))
}

/// Claims `<root>/<name>` by creating it, which succeeds for one process only: two runs given the same
/// session can never share (or overwrite) a directory. An existing directory is refused, even an empty one,
/// since another run may be about to write into it. With `numbered`, a taken name gets the first free
/// suffix instead (`<name>-2`, `-3`, ...): two runs started in the same second get distinct default names.
fn claim_dir(root: &Path, name: &str, numbered: bool) -> Result<PathBuf, CliError> {
    std::fs::create_dir_all(root).map_err(|source| CliError::Io {
        path: root.display().to_string(),
        source,
    })?;
    let mut n = 1u32;
    loop {
        let dir = match n {
            1 => root.join(name),
            n => root.join(format!("{name}-{n}")),
        };
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && numbered && n < 1000 => n += 1,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(CliError::Argument(format!(
                    "session directory {} already exists (another run's, or an earlier one's); choose another \
                     --session",
                    dir.display()
                )))
            }
            Err(source) => {
                return Err(CliError::Io {
                    path: dir.display().to_string(),
                    source,
                })
            }
        }
    }
}

fn install_signal_handler(tx: Sender<Control>) {
    // SIGINT and SIGTERM stop the recording cleanly: files finalized, logs flushed, archives exported. A
    // second one, while a stuck camera holds up the stop, exits at once (what is on disk stays playable).
    let signals = std::sync::atomic::AtomicU32::new(0);
    if let Err(e) = ctrlc::set_handler(move || {
        if signals.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 0 {
            errln!("axvs: second interrupt: exiting without waiting for the cameras");
            std::process::exit(130);
        }
        let _ = tx.try_send(Control::Quit);
    }) {
        tracing::warn!("cannot catch Ctrl-C ({e}); stop with q + Enter or --duration");
    }
}

/// Reads `w` / `s` / `q` lines from standard input (a terminal or a pipe); end of input only stops reading.
fn spawn_key_reader(tx: Sender<Control>) {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        errln!("axvs: keys: w + Enter = start saving, s + Enter = stop saving, q + Enter = quit");
    }
    let spawned = std::thread::Builder::new().name("axvs-keys".into()).spawn(move || {
        for line in stdin.lock().lines() {
            let Ok(line) = line else { return };
            let control = match line.trim() {
                "w" => Control::StartSaving,
                "s" => Control::StopSaving,
                "q" => Control::Quit,
                "" => continue,
                other => {
                    errln!("axvs: unknown key '{other}' (w = start saving, s = stop saving, q = quit)");
                    continue;
                }
            };
            if tx.send(control).is_err() {
                return;
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("cannot read keys ({e})");
    }
}

/// The live status: one line per camera, redrawn in place on a terminal, printed periodically otherwise.
struct Display {
    bars: Option<(MultiProgress, Vec<ProgressBar>)>,
    interval: Option<Duration>,
    last_print: Instant,
}

impl Display {
    fn new(cameras: &[Running], interval_s: f64) -> Self {
        let bars = std::io::stderr().is_terminal().then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(5));
            let style = ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_bar());
            let bars = cameras
                .iter()
                .map(|_| multi.add(ProgressBar::new_spinner().with_style(style.clone())))
                .collect();
            (multi, bars)
        });
        let interval = Duration::try_from_secs_f64(interval_s).ok().filter(|d| !d.is_zero());
        Display {
            bars,
            interval,
            last_print: Instant::now(),
        }
    }

    fn line(s: &SystemStatus) -> String {
        let state = match s.state {
            SystemState::Running if s.saving => "saving",
            SystemState::Running => "not saving",
            SystemState::Failed => "FAILED",
            SystemState::Ended => "ended",
            SystemState::Idle => "stopped",
        };
        format!(
            "{:03} {:<16} {:>6.1} fps  saved {:>7}  lost {:>5}  cam lost {:>5}  queue {:>3}/{:<3}  {state}",
            s.id,
            s.name,
            s.fps,
            s.saved,
            s.dropped.lost(),
            s.camera_lost,
            s.queue_depth,
            s.queue_capacity
        )
    }

    fn update(&mut self, statuses: &[SystemStatus]) {
        match &self.bars {
            Some((_, bars)) => {
                for (bar, s) in bars.iter().zip(statuses) {
                    bar.set_message(Self::line(s));
                }
            }
            None => {
                if let Some(interval) = self.interval {
                    if self.last_print.elapsed() >= interval {
                        self.last_print = Instant::now();
                        for s in statuses {
                            errln!("{}", Self::line(s));
                        }
                    }
                }
            }
        }
    }

    fn warn(&self, message: &str) {
        match &self.bars {
            Some((multi, _)) => {
                let _ = multi.println(format!("axvs: warning: {message}"));
            }
            None => errln!("axvs: warning: {message}"),
        }
    }

    fn finish(&self) {
        if let Some((_, bars)) = &self.bars {
            for bar in bars {
                bar.finish();
            }
        }
    }
}

/// The preview windows, one per camera that asks for one.
#[cfg(feature = "opencv")]
fn spawn_previews(
    cameras: Vec<(&CameraSpec, Arc<FrameMailbox>, CameraInfo)>,
) -> Result<axvs_camera_opencv::PreviewHandle, String> {
    let specs = cameras
        .into_iter()
        .map(|(spec, mailbox, info)| axvs_camera_opencv::PreviewSpec {
            title: format!("axvs {:03} {}", spec.id, spec.name),
            mailbox,
            width: info.width,
            height: info.height,
            pixel_format: info.pixel_format,
        })
        .collect();
    axvs_camera_opencv::spawn_previews(specs).map_err(|e| e.to_string())
}

/// Without OpenCV there is no preview window.
#[cfg(not(feature = "opencv"))]
fn spawn_previews(_: Vec<(&CameraSpec, Arc<FrameMailbox>, CameraInfo)>) -> Result<NoPreview, String> {
    Err("this axvs was built without the opencv feature, which draws the preview".into())
}

/// Stands for the preview handle when there is none.
#[cfg(not(feature = "opencv"))]
struct NoPreview;

#[cfg(not(feature = "opencv"))]
impl NoPreview {
    fn close(&mut self) {}
}
