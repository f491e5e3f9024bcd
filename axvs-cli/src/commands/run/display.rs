//! The live status in the terminal: one line per camera, redrawn in place on a terminal, printed
//! periodically otherwise.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use axvs_core::{SystemState, SystemStatus};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a second the terminal's lines are redrawn.
const REFRESH_HZ: u8 = 5;
/// The time between two redraws.
const REFRESH: Duration = Duration::from_millis(1000 / REFRESH_HZ as u64);
/// The shortest interval between printed status lines.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// The live status: one line per camera, redrawn in place on a terminal, printed periodically otherwise.
pub(super) struct Display {
    bars: Option<(MultiProgress, Vec<ProgressBar>)>,
    interval: Option<Duration>,
    last_print: Instant,
}

impl Display {
    pub(super) fn new(cameras: usize, interval_s: f64) -> Self {
        let bars = std::io::stderr().is_terminal().then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(REFRESH_HZ));
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

    /// How long the recording may wait before the status needs a look: the terminal's refresh, or a
    /// shorter print interval.
    pub(super) fn tick(&self) -> Duration {
        match (&self.bars, self.interval) {
            (None, Some(interval)) => interval.clamp(MIN_INTERVAL, REFRESH),
            _ => REFRESH,
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
            "{:03} {:<16} {:>6.1} fps  saved {:>7}  lost {:>5}  cam lost {:>5}  queue {:>3}/{:<3} peak {:>3}  {state}",
            s.id,
            s.name,
            s.fps,
            s.saved,
            s.dropped.lost(),
            s.camera_lost,
            s.queue_depth,
            s.queue_capacity,
            s.queue_peak
        )
    }

    pub(super) fn update(&mut self, statuses: &[SystemStatus]) {
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

    pub(super) fn warn(&self, message: &str) {
        match &self.bars {
            Some((multi, _)) => {
                let _ = multi.println(format!("axvs: warning: {message}"));
            }
            None => errln!("axvs: warning: {message}"),
        }
    }

    pub(super) fn finish(&self) {
        if let Some((_, bars)) = &self.bars {
            for bar in bars {
                bar.finish();
            }
        }
    }
}
