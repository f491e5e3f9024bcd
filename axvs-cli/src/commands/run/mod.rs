//! `axvs run`: record every camera of a rig until the duration ends, `q` is typed, or Ctrl-C.

mod display;
mod keys;
mod report;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axvs_session::backends::Backends;
use axvs_session::quick::QuickCamera;
use axvs_session::rig::Rig;
use axvs_session::session::{session_name, Notice, PreviewChoice, Session, SessionError, SessionOptions, StopCause};
use axvs_view::{Key, ViewLayout};
use clap::Args;
use crossbeam_channel::Receiver;

use super::CliError;
use display::Display;
use keys::Control;
use report::print_report;

/// Arguments of `axvs run`.
#[derive(Debug, Args)]
#[command(after_help = keys::RUN_HELP)]
pub struct RunArgs {
    /// The rig file. Without it (and without --camera), the built-in demo rig (two synthetic cameras) runs.
    rig: Option<PathBuf>,
    /// A camera without a rig file, repeatable: `BACKEND[:SELECTOR][:WxH][@FPS]`, e.g. `synthetic:640x480@30`,
    /// `opencv:0`, `genicam:SERIAL` (ids 1, 2, ... in order); the rig it makes is kept in session.json.
    #[arg(long = "camera", value_name = "SPEC", conflicts_with = "rig")]
    cameras: Vec<QuickCamera>,
    /// Stop after this many seconds (otherwise: `q`, or Ctrl-C).
    #[arg(short, long)]
    duration: Option<f64>,
    /// Start with saving off; `w` turns it on.
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
    /// Seconds between status lines when stderr is not a terminal (0 = none; at least 0.01).
    #[arg(long, default_value_t = 5.0)]
    status_interval: f64,
    /// Show every camera in the live view at this rate (overrides the rig's display_fps).
    #[arg(long)]
    display_fps: Option<f64>,
    /// The live view's layout: one window with a grid of tiles, or a window per camera (overrides the
    /// rig's live_view).
    #[arg(long, value_name = "grid|windows")]
    live_view: Option<ViewLayout>,
    /// No live view, whatever the rig says.
    #[arg(long, conflicts_with_all = ["display_fps", "live_view"])]
    no_preview: bool,
    /// Metadata for the session's provenance (session.json), after the rig's `[session]` table; repeatable:
    /// `--meta subject=m12 --meta experimenter="A. Lab"`.
    #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = key_value)]
    meta: Vec<(String, String)>,
}

/// A `KEY=VALUE` argument, its key not empty.
pub(crate) fn key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_string(), value.to_string())),
        _ => Err(format!("'{text}': expected KEY=VALUE, e.g. subject=m12")),
    }
}

/// Runs the command.
pub fn run(args: RunArgs) -> Result<(), CliError> {
    let launched = Instant::now();
    // Caught from the start: a signal while cameras open or files are created ends the run cleanly too.
    let (control_tx, control_rx) = crossbeam_channel::bounded::<Control>(16);
    let interrupted = Arc::new(AtomicBool::new(false));
    keys::install_signal_handler(control_tx.clone(), Arc::clone(&interrupted));
    let mut backends = Backends::builtin();
    let rig = match (&args.rig, args.cameras.as_slice()) {
        (Some(path), _) => Rig::load(path, &mut backends)?,
        (None, []) => Rig::builtin(&mut backends)?,
        (None, cameras) => {
            let text = axvs_session::quick::quick_rig(cameras).map_err(CliError::Argument)?;
            let name = cameras
                .iter()
                .map(|c| format!("--camera {c}"))
                .collect::<Vec<_>>()
                .join(" ");
            Rig::parse(&format!("<{name}>"), &text, Path::new("."), &mut backends)?
        }
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
    if let Some(given) = &args.session {
        session_name(given)
            .map_err(|_| CliError::Argument(format!("--session '{given}': must be a plain directory name")))?;
    }
    if let Some(report) = args.report.as_deref().filter(|r| r.exists()) {
        return Err(CliError::Argument(format!(
            "--report {}: the file exists; axvs does not overwrite files",
            report.display()
        )));
    }
    if !rig.hosts.is_empty() {
        if args.no_save || args.display_fps.is_some() || args.live_view.is_some() {
            return Err(CliError::Argument(
                "--no-save and the live view are for one PC; a rig with [[host]] tables records on every host".into(),
            ));
        }
        return across_pcs(rig, &args, duration, interrupted);
    }
    let options = SessionOptions {
        output_dir: args.output_dir.clone(),
        name: args.session.clone(),
        saving: !args.no_save,
        preview: match (args.no_preview, args.display_fps) {
            (true, _) => PreviewChoice::Off,
            (false, Some(rate)) => PreviewChoice::Rate(rate),
            (false, None) => PreviewChoice::Rig,
        },
        layout: args.live_view,
        expected_duration: duration,
        launched: Some(launched),
        interrupted: Some(interrupted),
        into: None,
        metadata: args.meta.clone(),
    };
    let source = rig.source.clone();
    let cameras = rig.cameras.len();
    let mut session = match Session::start(rig, options) {
        Ok(session) => session,
        Err(SessionError::Start { source, report }) => {
            let failures = print_report(&report, args.report.as_deref());
            for more in failures.iter() {
                errln!("axvs: also: {more}");
            }
            return Err(SessionError::Start { source, report }.into());
        }
        Err(e) => return Err(e.into()),
    };
    errln!(
        "axvs: recording {cameras} camera(s) from {source} into {}{}",
        session.dirs().session.display(),
        if args.no_save { " (saving off)" } else { "" }
    );
    // The terminal is put back when this guard drops, however the run ends.
    let _terminal = keys::spawn_key_reader(control_tx);
    let mut display = Display::new(cameras, args.status_interval);
    let deadline = duration.and_then(|d| Instant::now().checked_add(d));
    let warned = record(&mut session, &control_rx, deadline, &mut display);
    display.finish();
    let report = session.stop(&mut |_| {});
    let mut failures = print_report(&report, args.report.as_deref());
    // The first failure is the error line; the others are printed above it, each in full, once: those
    // already told while recording are not repeated.
    for more in failures.iter().skip(1).filter(|f| !warned.contains(*f)) {
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

/// Waits for the end of the recording while keeping the status display fresh; returns the camera failures
/// it told of.
fn record(
    session: &mut Session,
    control: &Receiver<Control>,
    deadline: Option<Instant>,
    display: &mut Display,
) -> HashSet<String> {
    // The session looks at the disks every SPACE_CHECK_INTERVAL, whatever the display's pace.
    let tick = display.tick().min(axvs_session::session::SPACE_CHECK_INTERVAL);
    let mut warned = HashSet::new();
    loop {
        let wait = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()).min(tick),
            None => tick,
        };
        // The ids come from the session itself: every camera is known.
        match control.recv_timeout(wait) {
            Ok(Control::Key(Key::Quit)) => return warned,
            Ok(Control::Key(key)) => session.key(key),
            Ok(Control::Unknown(said)) => display.warn(&said),
            Err(_) => {}
        }
        let poll = session.poll();
        for notice in &poll.notices {
            display.warn(&notice.to_string());
            if let Notice::CameraFailed { message, .. } = notice {
                warned.insert(message.clone());
            }
        }
        display.update(&session.status().cameras);
        match poll.stop {
            Some(StopCause::AllFailed) => {
                display.warn("every camera failed; stopping");
                return warned;
            }
            Some(StopCause::AllEnded | StopCause::Quit) => return warned,
            Some(low @ StopCause::LowSpace(_)) => {
                display.warn(&format!("{low}; finalizing the files"));
                return warned;
            }
            None => {}
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return warned;
        }
    }
}

/// A rig with `[[host]]` tables: this PC coordinates, each host records its cameras (see
/// `axvs_mcp::coordinator`).
fn across_pcs(
    rig: Rig,
    args: &RunArgs,
    duration: Option<Duration>,
    interrupted: Arc<AtomicBool>,
) -> Result<(), CliError> {
    let options = axvs_mcp::coordinator::RigRunOptions {
        name: args.session.clone(),
        output_dir: args.output_dir.clone(),
        duration,
        stop: Some(interrupted),
        status_every: (args.status_interval > 0.0).then(|| Duration::from_secs_f64(args.status_interval)),
    };
    let run = axvs_mcp::coordinator::run(rig, options, &mut |line| errln!("axvs: {line}"))
        .map_err(|e| CliError::Recording(e.to_string()))?;
    let mut failures = Vec::new();
    for host in &run.index.hosts {
        let cameras = host.report.as_ref().and_then(|r| r["cameras"].as_array());
        for camera in cameras.into_iter().flatten() {
            let status = &camera["status"];
            outln!(
                "{:<10} {:03} {:<16} acquired {:>7} saved {:>7}  {}",
                host.name,
                status["id"].as_u64().unwrap_or(0),
                status["name"].as_str().unwrap_or("?"),
                status["acquired"].as_u64().unwrap_or(0),
                status["saved"].as_u64().unwrap_or(0),
                camera["video"].as_str().unwrap_or("-")
            );
        }
        failures.extend(host.errors.iter().map(|e| format!("host '{}': {e}", host.name)));
        let reported = host.report.as_ref().and_then(|r| r["failures"].as_array());
        failures.extend(
            reported
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str())
                .map(|f| format!("host '{}': {f}", host.name)),
        );
    }
    if let Some(local) = &run.index.local {
        failures.extend(print_report(local, None));
    }
    if let Some(spread) = run.index.first_frame_spread_us {
        outln!(
            "first saved frames across every host within {:.3} ms",
            spread as f64 / 1e3
        );
    }
    outln!("rig session: {}", run.path.display());
    match failures.first() {
        None => Ok(()),
        Some(first) => Err(CliError::Recording(format!(
            "{} failure(s); the first: {first}",
            failures.len()
        ))),
    }
}
