//! `axvs run`: record every camera of a rig until the duration ends, `q` is typed, or Ctrl-C.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axvs_cli::backends::Backends;
use axvs_cli::rig::Rig;
use axvs_cli::session::{session_name, PreviewChoice, Session, SessionError, SessionOptions, SessionReport, StopCause};
use axvs_core::{SystemState, SystemStatus};
use clap::Args;
use crossbeam_channel::{Receiver, Sender};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::CliError;

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

/// Runs the command.
pub fn run(args: RunArgs) -> Result<(), CliError> {
    let launched = Instant::now();
    // Caught from the start: a signal while cameras open or files are created ends the run cleanly too.
    let (control_tx, control_rx) = crossbeam_channel::bounded::<Control>(16);
    let interrupted = Arc::new(AtomicBool::new(false));
    install_signal_handler(control_tx.clone(), Arc::clone(&interrupted));
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
    let options = SessionOptions {
        output_dir: args.output_dir.clone(),
        name: args.session.clone(),
        saving: !args.no_save,
        preview: match (args.no_preview, args.display_fps) {
            (true, _) => PreviewChoice::Off,
            (false, Some(rate)) => PreviewChoice::Rate(rate),
            (false, None) => PreviewChoice::Rig,
        },
        expected_duration: duration,
        launched: Some(launched),
        interrupted: Some(interrupted),
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
    spawn_key_reader(control_tx);
    let mut display = Display::new(cameras, args.status_interval);
    let deadline = duration.and_then(|d| Instant::now().checked_add(d));
    record(&mut session, &control_rx, deadline, &mut display);
    display.finish();
    let report = session.stop(&mut |_| {});
    let mut failures = print_report(&report, args.report.as_deref());
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

/// Waits for the end of the recording while keeping the status display fresh.
fn record(session: &mut Session, control: &Receiver<Control>, deadline: Option<Instant>, display: &mut Display) {
    let tick = Duration::from_millis(200);
    loop {
        let wait = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()).min(tick),
            None => tick,
        };
        // The ids come from the session itself: every camera is known.
        match control.recv_timeout(wait) {
            Ok(Control::Quit) => return,
            Ok(Control::StartSaving) => drop(session.start_saving(None)),
            Ok(Control::StopSaving) => drop(session.stop_saving(None)),
            Err(_) => {}
        }
        let poll = session.poll();
        for notice in &poll.notices {
            display.warn(&notice.to_string());
        }
        display.update(&session.status().cameras);
        match poll.stop {
            Some(StopCause::AllFailed) => {
                display.warn("every camera failed; stopping");
                return;
            }
            Some(StopCause::AllEnded) => return,
            Some(low @ StopCause::LowSpace(_)) => {
                display.warn(&format!("{low}; finalizing the files"));
                return;
            }
            None => {}
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return;
        }
    }
}

/// Prints the summary table and writes `--report`; returns every failure, the report's first.
fn print_report(report: &SessionReport, report_path: Option<&Path>) -> Vec<String> {
    let mut failures = report.failures.clone();
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
    for cam in &report.cameras {
        let s = &cam.status;
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
            cam.video
                .as_ref()
                .map(|v| format!(
                    "{} ({} frames, {:.1} MB{})",
                    v.display(),
                    cam.video_frames.unwrap_or(0),
                    cam.video_bytes.unwrap_or(0) as f64 / 1e6,
                    match cam.segments.len() {
                        0 | 1 => String::new(),
                        n => format!(", {n} files"),
                    }
                ))
                .unwrap_or_else(|| "-".into())
        );
    }
    outln!("session: {}", report.session_dir.display());
    if let Some(path) = report_path {
        if let Err(e) = report.write_json(path) {
            failures.push(format!("report {}: {e}", path.display()));
        }
    }
    failures
}

fn install_signal_handler(tx: Sender<Control>, interrupted: Arc<AtomicBool>) {
    // SIGINT and SIGTERM stop the recording cleanly: files finalized, logs flushed, archives exported. A
    // second one, while a stuck camera holds up the stop, exits at once (what is on disk stays playable).
    let signals = std::sync::atomic::AtomicU32::new(0);
    if let Err(e) = ctrlc::set_handler(move || {
        if signals.fetch_add(1, Ordering::SeqCst) > 0 {
            errln!("axvs: second interrupt: exiting without waiting for the cameras");
            std::process::exit(130);
        }
        interrupted.store(true, Ordering::SeqCst);
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
    fn new(cameras: usize, interval_s: f64) -> Self {
        let bars = std::io::stderr().is_terminal().then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(5));
            let style = ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_bar());
            let bars = (0..cameras)
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
