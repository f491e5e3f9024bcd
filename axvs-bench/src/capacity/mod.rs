//! `axvs-bench capacity`: the highest rate N cameras sustain with zero loss, found by bisection, for axvs
//! (a real `axvs run` of a synthetic rig), the original's `ffmpeg` command line fed through a pipe, and a
//! GStreamer pipeline (`appsrc ! videoconvert ! x264enc ! mp4mux`); with axvs' prediction
//! (`axvs check --capacity`) beside each measured limit.
//!
//! Every trial runs in a fresh process for `--seconds`; the alternatives get the same paced synthetic
//! cameras and the same bounded queue as axvs (a frame that finds it full is lost), so "zero loss" means
//! the same for all three.

mod alternatives;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::Duration;

use axvs_core::{CameraIdentity, CameraInfo};
use axvs_encode::{EncoderSettings, OutputPixelFormat, Preset, Qp};
use axvs_session::capacity::{self, Probe};
use clap::Args;

use super::{bench_error, measure, BenchSize};
use crate::BenchError;

/// Queue depth of every tool's cameras: the rig's default.
const QUEUE_DEPTH: usize = 64;

/// Who records in a trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `axvs run` with the rig's thread budget.
    Axvs,
    /// `axvs run` with every encoder at FFmpeg's own thread count (`threads = 0`).
    AxvsAuto,
    /// One `ffmpeg` process per camera, fed through its standard input, with the original's command line.
    Ffmpeg,
    /// One GStreamer pipeline per camera, fed through `appsrc` (OpenCV's GStreamer writer).
    Gstreamer,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Axvs => "axvs",
            Tool::AxvsAuto => "axvs-auto",
            Tool::Ffmpeg => "ffmpeg",
            Tool::Gstreamer => "gstreamer",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tool::Axvs => "axvs (thread budget)",
            Tool::AxvsAuto => "axvs (FFmpeg's threads)",
            Tool::Ffmpeg => "ffmpeg CLI pipe",
            Tool::Gstreamer => "GStreamer appsrc",
        }
    }
}

impl FromStr for Tool {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [Tool::Axvs, Tool::AxvsAuto, Tool::Ffmpeg, Tool::Gstreamer]
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| format!("'{s}': expected axvs, axvs-auto, ffmpeg or gstreamer"))
    }
}

/// Arguments of `axvs-bench capacity`.
#[derive(Debug, Clone, Args)]
pub struct CapacityArgs {
    /// Sizes (comma-separated WIDTHxHEIGHT:FORMAT).
    #[arg(long, value_delimiter = ',', default_value = "1920x1080:mono8,640x480:mono8")]
    sizes: Vec<BenchSize>,
    /// Numbers of cameras (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "1,4")]
    cameras: Vec<usize>,
    /// Who records (comma-separated): axvs, axvs-auto (FFmpeg's thread counts), ffmpeg, gstreamer.
    #[arg(long, value_delimiter = ',', default_value = "axvs,ffmpeg,gstreamer")]
    tools: Vec<Tool>,
    /// Seconds of each trial.
    #[arg(long, default_value_t = 30.0)]
    seconds: f64,
    /// Stop bisecting when the highest passing rate and the lowest failing one are this close (relative).
    #[arg(long, default_value_t = 0.04)]
    precision: f64,
    /// Trials per limit at most.
    #[arg(long, default_value_t = 8)]
    max_trials: usize,
    /// Speed preset for every tool: 1 (veryfast) .. 7, or superfast, ultrafast.
    #[arg(long, default_value = "1")]
    preset: Preset,
    /// Constant QP for every tool.
    #[arg(long, default_value_t = 15)]
    qp: i64,
    /// Internal: run one trial of this tool and print its counts as JSON.
    #[arg(long, hide = true, requires_all = ["rate", "out"])]
    trial: Option<Tool>,
    /// Internal: the trial's rate per camera.
    #[arg(long, hide = true)]
    rate: Option<f64>,
    /// Internal: the trial's output directory.
    #[arg(long, hide = true)]
    out: Option<PathBuf>,
}

/// What a trial counted, over all its cameras.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// Frames the cameras delivered.
    pub acquired: u64,
    /// Frames saved.
    pub saved: u64,
    /// Frames lost: found the queue full, or passed by while the camera was not read.
    pub lost: u64,
    /// Of those, the frames that passed by the camera (the acquisition thread was late).
    #[serde(default)]
    pub camera_lost: u64,
}

impl Counts {
    /// Frames the cameras produced: delivered, or passed by.
    pub fn frames(&self) -> u64 {
        self.acquired + self.camera_lost
    }

    /// Frames lost, each once: passed by the camera, or delivered and not saved.
    pub fn frames_lost(&self) -> u64 {
        self.camera_lost + self.acquired.saturating_sub(self.saved)
    }
}

/// Runs the command.
pub fn run(args: CapacityArgs) -> Result<(), BenchError> {
    let qp = Qp::new(args.qp).map_err(|e| BenchError::Argument(format!("--qp: {e}")))?;
    if !(args.seconds.is_finite() && args.seconds >= 1.0) {
        return Err(BenchError::Argument("--seconds must be at least 1".into()));
    }
    if !(args.precision > 0.0 && args.precision < 1.0) || args.max_trials < 2 {
        return Err(BenchError::Argument(
            "--precision must be between 0 and 1 and --max-trials at least 2".into(),
        ));
    }
    if args.cameras.iter().any(|n| !(1..=16).contains(n)) {
        return Err(BenchError::Argument("--cameras: from 1 to 16 cameras".into()));
    }
    let settings = EncoderSettings {
        preset: args.preset,
        qp,
        pixel_format: OutputPixelFormat::Yuv420p,
        ..Default::default()
    };
    if let (Some(tool), Some(rate), Some(out)) = (args.trial, args.rate, &args.out) {
        let size = *args
            .sizes
            .first()
            .ok_or_else(|| BenchError::Argument("--trial needs one --sizes".into()))?;
        let cameras = *args.cameras.first().unwrap_or(&1);
        let trial = Trial {
            settings: &settings,
            size,
            cameras,
            rate,
            time: Duration::from_secs_f64(args.seconds),
            out,
        };
        let counts = trial.run(tool)?;
        let json = serde_json::to_string(&counts).map_err(|e| bench_error("trial", e))?;
        outln!("{json}");
        return Ok(());
    }
    if args.tools.contains(&Tool::Gstreamer) {
        alternatives::check_gstreamer()?;
    }
    let work = tempfile::tempdir().map_err(|source| BenchError::Io {
        path: "temporary directory".into(),
        source,
    })?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    outln!(
        "axvs-bench capacity: libx264 {} qp {}, yuv420p; the highest rate per camera with zero loss for {} s \
         (queue {QUEUE_DEPTH} per camera), bisected to {:.0} %; {cores} cores",
        settings.preset.cpu_name(),
        qp.get(),
        args.seconds,
        args.precision * 100.0
    );
    let mut trial_no = 0;
    for size in &args.sizes {
        for &cameras in &args.cameras {
            outln!();
            outln!("{}x{} {}, {cameras} camera(s)", size.width, size.height, size.format);
            let predicted = predict(&settings, *size, cameras, cores)?;
            outln!(
                "  axvs' prediction (axvs check --capacity): {:.1} fps per camera",
                predicted
            );
            // The tools' bisections advance in rounds, one trial of each per round, so that a machine
            // whose load drifts over the minutes of a search weighs on every tool alike.
            // With each search, the CPU per saved frame of its best passing trial.
            let mut searches: Vec<(Tool, Bisection, Option<f64>)> = args
                .tools
                .iter()
                .map(|&tool| (tool, Bisection::new(predicted, args.precision, args.max_trials), None))
                .collect();
            while searches.iter().any(|(_, search, _)| search.next_rate().is_some()) {
                for (tool, search, cpu_at_limit) in &mut searches {
                    let Some(rate) = search.next_rate() else {
                        continue;
                    };
                    trial_no += 1;
                    let out = work.path().join(format!("t{trial_no}"));
                    let (counts, cpu) = spawn_trial(&args, *tool, *size, cameras, rate, &out)?;
                    let _ = std::fs::remove_dir_all(&out);
                    let ok = counts.lost == 0 && counts.acquired > 0 && counts.saved == counts.acquired;
                    let cpu_ms = (counts.saved > 0).then(|| cpu.as_secs_f64() * 1e3 / counts.saved as f64);
                    outln!(
                        "    {:<24} {:>8.1} fps: {} ({} of {} frames lost, {} of them passed by the camera{})",
                        tool.label(),
                        rate,
                        if ok { "zero loss" } else { "loses" },
                        counts.frames_lost(),
                        counts.frames(),
                        counts.camera_lost,
                        cpu_ms
                            .map(|c| format!("; {c:.2} ms CPU per saved frame"))
                            .unwrap_or_default()
                    );
                    if ok && rate > search.limit().passed {
                        *cpu_at_limit = cpu_ms;
                    }
                    search.record(rate, ok);
                }
            }
            outln!("  limits (fps per camera, highest rate with zero loss; CPU per saved frame there):");
            for (tool, search, cpu_at_limit) in &searches {
                outln!(
                    "    {:<24} {}{}",
                    tool.label(),
                    search.limit(),
                    cpu_at_limit.map(|c| format!("; {c:.2} ms")).unwrap_or_default()
                );
            }
            let passed = |tool: Tool| {
                searches
                    .iter()
                    .find(|(t, ..)| *t == tool)
                    .map(|(_, s, _)| s.limit().passed)
            };
            let axvs = searches.iter().find(|(t, ..)| *t == Tool::Axvs);
            let best_alternative = searches
                .iter()
                .filter(|(t, ..)| matches!(t, Tool::Ffmpeg | Tool::Gstreamer))
                .max_by(|x, y| x.1.limit().passed.total_cmp(&y.1.limit().passed));
            if let (Some((_, a, a_cpu)), Some((_, b, b_cpu))) = (axvs, best_alternative) {
                outln!(
                    "  axvs / best alternative: {}",
                    ratio(a.limit().passed, b.limit().passed)
                );
                // What each frame cost at those limits: the better alternative's CPU over axvs'.
                let cpu_ratio = match (a_cpu, b_cpu) {
                    (Some(a), Some(b)) => ratio(*b, *a),
                    _ => "n/a (no rate passed)".into(),
                };
                outln!("  CPU per saved frame at the limits, best alternative / axvs: {cpu_ratio}");
            }
            if let Some(a) = passed(Tool::Axvs) {
                if let Some(auto) = passed(Tool::AxvsAuto) {
                    outln!("  thread budget / FFmpeg's threads: {}", ratio(a, auto));
                }
                outln!("  prediction / measured (axvs): {}", ratio(predicted, a));
            }
        }
    }
    Ok(())
}

/// `x / y` to two places, or "n/a" when no rate passed.
fn ratio(x: f64, y: f64) -> String {
    if y > 0.0 {
        format!("{:.2}", x / y)
    } else {
        "n/a (no rate passed)".into()
    }
}

/// A limit found by bisection: the highest rate that passed and the lowest that failed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Highest rate with zero loss (0 if none passed).
    pub passed: f64,
    /// Lowest rate that lost frames (infinite if none failed).
    pub failed: f64,
    /// Trials run.
    pub trials: usize,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>8.1}   (lost frames at {:.1}; {} trials)",
            self.passed, self.failed, self.trials
        )
    }
}

/// A search for the highest rate that passes: from a start, up or down by 30 % until a pass and a failure
/// bracket the limit, then by geometric halves until they are within `precision` of each other, or
/// `max_trials` ran.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bisection {
    limit: Limit,
    next: Option<f64>,
    precision: f64,
    max_trials: usize,
}

impl Bisection {
    /// A search starting at `start` (at least 1).
    pub fn new(start: f64, precision: f64, max_trials: usize) -> Bisection {
        Bisection {
            limit: Limit {
                passed: 0.0,
                failed: f64::INFINITY,
                trials: 0,
            },
            next: (max_trials > 0).then_some(start.max(1.0)),
            precision,
            max_trials,
        }
    }

    /// The rate to try next, or `None` when the search is over.
    pub fn next_rate(&self) -> Option<f64> {
        self.next
    }

    /// Records whether `rate` passed, and chooses the next rate.
    pub fn record(&mut self, rate: f64, passed: bool) {
        let l = &mut self.limit;
        l.trials += 1;
        if passed {
            l.passed = l.passed.max(rate);
        } else {
            l.failed = l.failed.min(rate);
        }
        self.next = match (l.passed > 0.0, l.failed.is_finite()) {
            _ if l.trials >= self.max_trials => None,
            (true, true) if l.failed / l.passed <= 1.0 + self.precision => None,
            (true, true) => Some((l.passed * l.failed).sqrt()),
            (true, false) => Some(l.passed * 1.3),
            (false, _) if l.failed <= 1.0 => None,
            (false, _) => Some(l.failed / 1.3),
        };
    }

    /// What the search found so far.
    pub fn limit(&self) -> Limit {
        self.limit
    }
}

/// axvs' prediction of the limit per camera: the capacity check's headroom at a nominal rate.
fn predict(settings: &EncoderSettings, size: BenchSize, cameras: usize, cores: usize) -> Result<f64, BenchError> {
    let nominal = 30.0;
    let settings = EncoderSettings {
        threads: EncoderSettings::thread_budget(cores, cameras),
        ..settings.clone()
    };
    let info = camera_info(size, nominal);
    let probes: Vec<Probe<'_>> = (0..cameras)
        .map(|i| Probe {
            id: i as u8 + 1,
            name: "bench",
            info: info.clone(),
            settings: &settings,
            queue_depth: QUEUE_DEPTH,
        })
        .collect();
    let report = capacity::assess(&probes, capacity::DEFAULT_PROBE_TIME).map_err(|e| bench_error("prediction", e))?;
    Ok(nominal * report.headroom)
}

fn camera_info(size: BenchSize, fps: f64) -> CameraInfo {
    CameraInfo {
        width: size.width,
        height: size.height,
        fps,
        pixel_format: size.format,
        identity: CameraIdentity::default(),
    }
}

/// Runs one trial in a fresh `axvs-bench capacity --trial` process: what it counted, and the CPU time of
/// the process and of every process it ran and waited for (`axvs run`, `ffmpeg`), so the same for every tool.
fn spawn_trial(
    args: &CapacityArgs,
    tool: Tool,
    size: BenchSize,
    cameras: usize,
    rate: f64,
    out: &Path,
) -> Result<(Counts, Duration), BenchError> {
    let exe = std::env::current_exe().map_err(|e| bench_error("trial", e))?;
    let mut child = Command::new(exe)
        .args(["capacity", "--trial", tool.name(), "--rate", &rate.to_string(), "--out"])
        .arg(out)
        .args(["--sizes", &format!("{}x{}:{}", size.width, size.height, size.format)])
        .args([
            "--cameras",
            &cameras.to_string(),
            "--seconds",
            &args.seconds.to_string(),
        ])
        .args(["--preset", &args.preset.to_string(), "--qp", &args.qp.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| bench_error("trial", e))?;
    let mut stdout = Vec::new();
    if let Some(mut pipe) = child.stdout.take() {
        pipe.read_to_end(&mut stdout).map_err(|e| bench_error("trial", e))?;
    }
    // Reaped by wait4 for its resource usage (not `Child::wait`).
    let (code, cpu, _) = measure::wait_child(child.id()).map_err(|e| bench_error("trial", e))?;
    if code != 0 {
        return Err(bench_error(
            tool.name(),
            format!("trial process exited with code {code}"),
        ));
    }
    let counts = serde_json::from_slice(&stdout).map_err(|e| bench_error(tool.name(), e))?;
    Ok((counts, cpu))
}

/// One trial: `cameras` cameras of `size` at `rate` for `time`, recorded into `out`.
pub struct Trial<'a> {
    /// Encoder settings of every tool.
    pub settings: &'a EncoderSettings,
    /// Frame size and format.
    pub size: BenchSize,
    /// Cameras.
    pub cameras: usize,
    /// Frames per second per camera.
    pub rate: f64,
    /// How long.
    pub time: Duration,
    /// Output directory.
    pub out: &'a Path,
}

impl Trial<'_> {
    /// Runs the trial in this process.
    fn run(&self, tool: Tool) -> Result<Counts, BenchError> {
        std::fs::create_dir_all(self.out).map_err(|e| bench_error("trial", e))?;
        match tool {
            Tool::Axvs => self.axvs_run(false),
            Tool::AxvsAuto => self.axvs_run(true),
            Tool::Ffmpeg => alternatives::run(alternatives::Sink::Ffmpeg, self),
            Tool::Gstreamer => alternatives::run(alternatives::Sink::Gstreamer, self),
        }
    }

    /// `axvs run` of a rig of paced synthetic cameras, its report read back; `ffmpeg_threads`: every
    /// encoder at FFmpeg's own thread count instead of the rig's budget.
    fn axvs_run(&self, ffmpeg_threads: bool) -> Result<Counts, BenchError> {
        let (settings, size, rate, out) = (self.settings, self.size, self.rate, self.out);
        let mut rig = format!(
            "output_dir = {}\nqueue_depth = {QUEUE_DEPTH}\nmin_free_space = \"0\"\n[encoder]\ncodec = \"h264\"\n\
         preset = {}\nqp = {}\npixel_format = \"yuv420p\"\n",
            // A TOML string, quoted and escaped whatever the temporary directory's name holds.
            toml::Value::String(out.display().to_string()),
            toml::Value::try_from(settings.preset).map_err(|e| bench_error("rig", e))?,
            settings.qp.get()
        );
        if ffmpeg_threads {
            rig += "threads = 0\n";
        }
        for id in 1..=self.cameras {
            rig += &format!(
            "[[camera]]\nid = {id}\nname = \"cam{id}\"\nbackend = \"synthetic\"\nwidth = {}\nheight = {}\nfps = {rate}\n\
             pixel_format = \"{}\"\n",
            size.width, size.height, size.format
        );
        }
        let rig_path = out.join("rig.toml");
        std::fs::write(&rig_path, rig).map_err(|e| bench_error("rig", e))?;
        let report_path = out.join("report.json");
        let exe = crate::axvs_exe()?;
        let status = Command::new(exe)
            .args([
                "run",
                "--session",
                "trial",
                "--status-interval",
                "0",
                "--duration",
                &self.time.as_secs_f64().to_string(),
            ])
            .arg("--report")
            .arg(&report_path)
            .arg(&rig_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| bench_error("axvs run", e))?;
        let text = std::fs::read_to_string(&report_path)
            .map_err(|e| bench_error("axvs run", format!("no report ({status}): {e}")))?;
        let report: serde_json::Value = serde_json::from_str(&text).map_err(|e| bench_error("axvs run report", e))?;
        let mut counts = Counts::default();
        for cam in report["cameras"].as_array().into_iter().flatten() {
            let status = &cam["status"];
            let n = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
            let dropped = &status["dropped"];
            counts.acquired += n(&status["acquired"]);
            counts.saved += n(&status["saved"]);
            counts.camera_lost += n(&status["camera_lost"]);
            counts.lost += n(&status["camera_lost"])
                + n(&dropped["queue_full"])
                + n(&dropped["encoder_error"])
                + n(&dropped["log_error"]);
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trial_counts_each_lost_frame_once() {
        // As `axvs run` reports it: `lost` holds the full-queue drops that `acquired - saved` holds too.
        let counts = Counts {
            acquired: 100,
            saved: 90,
            lost: 10 + 3,
            camera_lost: 3,
        };
        assert_eq!((counts.frames_lost(), counts.frames()), (13, 103));
        let clean = Counts {
            acquired: 50,
            saved: 50,
            ..Counts::default()
        };
        assert_eq!((clean.frames_lost(), clean.frames()), (0, 50));
    }

    /// Bisects for the highest rate at which `passes`, one trial after another.
    fn bisect(start: f64, precision: f64, max_trials: usize, passes: &mut dyn FnMut(f64) -> bool) -> Limit {
        let mut search = Bisection::new(start, precision, max_trials);
        while let Some(rate) = search.next_rate() {
            let passed = passes(rate);
            search.record(rate, passed);
        }
        search.limit()
    }

    #[test]
    fn bisection_brackets_then_halves_to_the_precision() {
        let limit = 73.0;
        let mut tried = Vec::new();
        let found = bisect(50.0, 0.04, 20, &mut |rate| {
            tried.push(rate);
            rate <= limit
        });
        assert!(found.passed <= limit && found.failed > limit, "{found:?}");
        assert!(found.failed / found.passed <= 1.04, "{found:?}");
        assert_eq!(found.trials, tried.len());
        // Downwards too, and a tool that never passes stops near zero.
        let found = bisect(200.0, 0.04, 20, &mut |rate| rate <= limit);
        assert!(
            found.passed <= limit && found.failed / found.passed <= 1.04,
            "{found:?}"
        );
        let never = bisect(10.0, 0.04, 30, &mut |_| false);
        assert_eq!(never.passed, 0.0);
        assert!(never.trials < 30, "{never:?}");
        // The trial budget ends a search, bracketed or not.
        assert_eq!(bisect(50.0, 0.001, 3, &mut |rate| rate <= limit).trials, 3);
        assert_eq!(Bisection::new(50.0, 0.04, 0).next_rate(), None);
    }
}
