//! `axvs bench`: axvs' pipeline side by side with the FFmpeg CLI and with the encoder alone, plus start-up
//! latency, a multi-camera soak, timestamp extraction and batch processing. Figures only; no thresholds are asserted here.
//!
//! Variants, run alternately on identical synthetic frames with identical encoder settings:
//! - `a`: axvs' pipeline: unpaced synthetic camera → bounded queue (back-pressure) → in-process encoder →
//!   file, with the timestamp log;
//! - `b`: the same frames piped into the `ffmpeg` CLI (`-f rawvideo ... -i pipe:`) with the original's command
//!   line (its pixel conversion included), plus the keyframe interval axvs uses: identical x264 settings;
//! - `c`: the encoder alone on frames already in memory: the limit;
//! - `a'` (mono sizes): the pipeline with native gray (4:0:0) output.

mod batch;
pub mod capacity;
mod instructions;
mod measure;
mod plugin;
pub mod view;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axvs_core::{
    Camera, PixelFormat, StopReport, SyntheticCamera, SyntheticConfig, SystemConfig, SystemEvent, VideoSystem,
    SYNTHETIC_PERIOD,
};
use axvs_encode::{Codec, EncoderSettings, FfmpegEncoder, FfmpegEncoderFactory, OutputPixelFormat, Preset, Qp};
use axvs_log::{npz, read_log, timestamps, FileLogSink};
use clap::Args;

use super::CliError;

/// The synthetic cameras' nominal rate by default: it sets the CLI's `-r` and a GOP given in seconds, not
/// the (unpaced) speed.
const DEFAULT_BENCH_FPS: f64 = 30.0;

/// One benchmark size: `WIDTHxHEIGHT:FORMAT`, e.g. `1920x1080:mono8`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BenchSize {
    width: u32,
    height: u32,
    format: PixelFormat,
}

impl FromStr for BenchSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}': expected WIDTHxHEIGHT:FORMAT with FORMAT mono8 or bgr8, e.g. 1920x1080:mono8");
        let (dims, format) = s.split_once(':').ok_or_else(bad)?;
        let (w, h) = dims.split_once('x').ok_or_else(bad)?;
        let format: PixelFormat = format.parse().map_err(|_| bad())?;
        if !matches!(format, PixelFormat::Mono8 | PixelFormat::Bgr8) {
            return Err(bad());
        }
        let (width, height) = (w.parse().map_err(|_| bad())?, h.parse().map_err(|_| bad())?);
        if width < 64 || height < 32 || width % 2 != 0 || height % 2 != 0 {
            return Err(format!("'{s}': sizes must be even and at least 64x32"));
        }
        Ok(BenchSize { width, height, format })
    }
}

/// Arguments of `axvs bench`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    /// A benchmark of its own instead of the comparison.
    #[command(subcommand)]
    what: Option<BenchWhat>,
    /// Sizes to compare (comma-separated WIDTHxHEIGHT:FORMAT).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1920x1080:mono8,1280x1024:mono8,640x480:mono8,1280x720:bgr8"
    )]
    sizes: Vec<BenchSize>,
    /// Codec for all variants.
    #[arg(long, default_value = "h264")]
    codec: String,
    /// Speed preset 1 (veryfast) .. 7 (veryslow), or a name (e.g. superfast, ultrafast).
    #[arg(long, default_value = "1")]
    preset: Preset,
    /// Constant QP.
    #[arg(long, default_value_t = 15)]
    qp: i64,
    /// The cameras' nominal rate (frames come as fast as they are taken; this sets `-r` and the GOP when
    /// --keyframe-interval is given).
    #[arg(long, default_value_t = DEFAULT_BENCH_FPS)]
    fps: f64,
    /// Seconds between keyframes for every variant (default: the encoder's choice, as the original).
    #[arg(long)]
    keyframe_interval: Option<f64>,
    /// Frames per run (enough that set-up costs, paid by every variant, do not dominate).
    #[arg(long, default_value_t = 600)]
    frames: u64,
    /// Alternating runs per variant (medians are reported; 0 = skip the comparison).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Queue depth of the pipeline variant.
    #[arg(long, default_value_t = 16)]
    queue_depth: usize,
    /// Start-up latency runs of `axvs run` (0 = skip).
    #[arg(long, default_value_t = 5)]
    startup_runs: usize,
    /// Seconds of the multi-camera soak: 4 synthetic 640x480 mono cameras at 60 fps, resident memory sampled
    /// every second (0 = skip; 3600 for the hour-long soak).
    #[arg(long, default_value_t = 60.0)]
    multi_seconds: f64,
    /// Entries of the timestamp-extraction benchmark (0 = skip).
    #[arg(long, default_value_t = 1_000_000)]
    extract_entries: u64,
    /// Entries of the batch-processing benchmark, over 20 recordings of 4 cameras (0 = skip).
    #[arg(long, default_value_t = 2_000_000)]
    batch_entries: u64,
    /// Also count each variant's instructions per frame under callgrind (needs valgrind): figures that,
    /// unlike seconds, do not change with what else the machine runs. Slow: a minute or more per size.
    #[arg(long)]
    instructions: bool,
    /// With --instructions: also count the rawfile template plugin loaded from this file against the same
    /// camera built in, at the first size (e.g. target/debug/libaxvs_plugin_rawfile.so).
    #[arg(long)]
    plugin: Option<std::path::PathBuf>,
    /// Internal: run one variant in this (fresh) process and print its figures as JSON.
    #[arg(long, hide = true, requires = "out")]
    variant: Option<String>,
    /// Internal: the output file or directory of `--variant`.
    #[arg(long, hide = true)]
    out: Option<std::path::PathBuf>,
    /// Internal: with `--variant`, sample the CPU time of every thread to find the busiest (not under
    /// callgrind, whose counts the sampler would add to).
    #[arg(long, hide = true)]
    sample_threads: bool,
}

/// Benchmarks with their own arguments.
#[derive(Debug, clap::Subcommand)]
pub enum BenchWhat {
    /// The highest rate 1 and N cameras sustain with zero loss, by bisection: axvs against the ffmpeg CLI
    /// and GStreamer, with axvs' own prediction beside.
    Capacity(capacity::CapacityArgs),
    /// What the live view costs: the same rig with the view off and on, CPU per thread and frames lost.
    View(view::ViewArgs),
}

/// Figures of one run of one variant.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
struct Run {
    fps: f64,
    cpu_ms_per_frame: f64,
    peak_rss_mb: f64,
    /// CPU time over wall time: how many cores the run kept busy.
    cores: f64,
    /// The same for its busiest thread (0 if not sampled): near 1, that thread is the bound.
    busiest_thread: f64,
    /// Size of the file written, per frame.
    #[serde(default)]
    bytes_per_frame: f64,
}

impl Run {
    fn measured(frames: u64, wall: Duration, cpu: Duration, peak_rss: u64, busiest: Option<Duration>) -> Run {
        let wall_s = wall.as_secs_f64();
        Run {
            fps: frames as f64 / wall_s,
            cpu_ms_per_frame: cpu.as_secs_f64() * 1e3 / frames as f64,
            peak_rss_mb: peak_rss as f64 / 1e6,
            cores: cpu.as_secs_f64() / wall_s,
            busiest_thread: busiest.map_or(0.0, |b| b.as_secs_f64() / wall_s),
            bytes_per_frame: 0.0,
        }
    }

    /// The same, with the size of the file written.
    fn with_file(self, file: &Path, frames: u64) -> Run {
        let bytes = std::fs::metadata(file).map_or(0, |m| m.len());
        Run {
            bytes_per_frame: bytes as f64 / frames.max(1) as f64,
            ..self
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Pipeline,
    FfmpegCli,
    EncoderAlone,
    PipelineGray,
    /// The ffmpeg CLI told to keep the camera's full range: a's pictures, for the file-size comparison.
    FfmpegCliFullRange,
}

impl Variant {
    fn code(self) -> &'static str {
        match self {
            Variant::Pipeline => "a",
            Variant::FfmpegCli => "b",
            Variant::EncoderAlone => "c",
            Variant::PipelineGray => "gray",
            Variant::FfmpegCliFullRange => "bfull",
        }
    }

    fn from_code(code: &str) -> Option<Variant> {
        [
            Variant::Pipeline,
            Variant::FfmpegCli,
            Variant::EncoderAlone,
            Variant::PipelineGray,
            Variant::FfmpegCliFullRange,
        ]
        .into_iter()
        .find(|v| v.code() == code)
    }

    fn label(self) -> &'static str {
        match self {
            Variant::Pipeline => "a  axvs pipeline ",
            Variant::FfmpegCli => "b  ffmpeg CLI    ",
            Variant::EncoderAlone => "c  encoder alone ",
            Variant::PipelineGray => "a' axvs pipeline ",
            Variant::FfmpegCliFullRange => "b' ffmpeg CLI    ",
        }
    }
}

/// Runs the command.
pub fn run(args: BenchArgs) -> Result<(), CliError> {
    match args.what {
        Some(BenchWhat::Capacity(capacity)) => return capacity::run(capacity),
        Some(BenchWhat::View(view)) => return view::run(view),
        None => {}
    }
    let codec: Codec = args
        .codec
        .parse()
        .map_err(|e| CliError::Argument(format!("--codec: {e}")))?;
    let preset = args.preset;
    let qp = Qp::new(args.qp).map_err(|e| CliError::Argument(format!("--qp: {e}")))?;
    if !(args.fps.is_finite() && args.fps > 0.0) || args.keyframe_interval.is_some_and(|k| !(k.is_finite() && k > 0.0))
    {
        return Err(CliError::Argument(
            "--fps and --keyframe-interval must be positive numbers of frames per second and seconds".into(),
        ));
    }
    if args.frames == 0 || args.queue_depth == 0 {
        return Err(CliError::Argument(
            "--frames and --queue-depth must be at least 1".into(),
        ));
    }
    let settings = EncoderSettings {
        codec,
        preset,
        qp,
        pixel_format: OutputPixelFormat::Yuv420p,
        keyframe_interval_s: args.keyframe_interval,
        ..Default::default()
    };
    axvs_encode::check_settings(&settings).map_err(|e| CliError::Argument(e.to_string()))?;
    if let (Some(code), Some(out)) = (&args.variant, &args.out) {
        if plugin::is_variant(code) {
            return plugin::run_variant(&args, &settings, code, out);
        }
        return run_variant(&args, &settings, code, out);
    }
    if args.plugin.is_some() && !args.instructions {
        return Err(CliError::Argument(
            "--plugin is counted in instructions: add --instructions".into(),
        ));
    }
    if args.instructions {
        instructions::check_valgrind()?;
    }
    let work = tempfile::tempdir().map_err(|source| CliError::Io {
        path: "temporary directory".into(),
        source,
    })?;
    outln!(
        "axvs bench: {} {} qp {}, {} frames x {} alternating runs, queue depth {}; each run in a fresh \
         process; medians",
        settings.encoder_name().unwrap_or("?"),
        preset.cpu_name(),
        qp.get(),
        args.frames,
        args.runs,
        args.queue_depth
    );
    outln!(
        "cores = CPU time / wall time; busiest thread = the same for the run's busiest thread (near 1: that \
         thread bounds the run; with x264 it is the lookahead)"
    );
    for size in args.sizes.iter().filter(|_| args.runs > 0) {
        compare(&args, &settings, *size, work.path())?;
    }
    if let (Some(plugin), Some(size)) = (&args.plugin, args.sizes.first()) {
        plugin::compare(&args, *size, plugin, work.path())?;
    }
    if args.startup_runs > 0 {
        startup(args.startup_runs, work.path())?;
    }
    if args.multi_seconds > 0.0 {
        multi_camera(args.multi_seconds, work.path())?;
    }
    if args.extract_entries > 0 {
        extraction(args.extract_entries, work.path())?;
    }
    if args.batch_entries > 0 {
        batch::run(args.batch_entries, work.path())?;
    }
    Ok(())
}

fn bench_error(what: &str, e: impl std::fmt::Display) -> CliError {
    CliError::Recording(format!("bench {what}: {e}"))
}

fn synthetic(size: BenchSize, fps: f64, frame_limit: Option<u64>) -> SyntheticConfig {
    SyntheticConfig {
        width: size.width,
        height: size.height,
        fps,
        pixel_format: size.format,
        paced: false,
        frame_limit,
    }
}

/// The a/b/c (and a') comparison at one size.
fn compare(args: &BenchArgs, settings: &EncoderSettings, size: BenchSize, dir: &Path) -> Result<(), CliError> {
    let mut variants = vec![Variant::Pipeline, Variant::FfmpegCli, Variant::EncoderAlone];
    if size.format == PixelFormat::Mono8 && settings.codec != Codec::Av1 {
        variants.push(Variant::PipelineGray);
        variants.push(Variant::FfmpegCliFullRange);
    }
    let mut results: Vec<Vec<Run>> = vec![Vec::new(); variants.len()];
    let mut counter = 0u32;
    for round in 0..args.runs {
        // Rotate the order each round so no variant always runs first (warm caches, turbo).
        for k in 0..variants.len() {
            let i = (k + round) % variants.len();
            counter += 1;
            let out = dir.join(format!("run{counter}"));
            let run = spawn_variant(args, size, variants[i], &out)?;
            results[i].push(run);
            let _ = std::fs::remove_dir_all(&out);
        }
    }
    let frame_mb = size.format.frame_size(size.width, size.height) as f64 / 1e6;
    outln!();
    outln!(
        "{}x{} {} ({:.2} MB/frame)",
        size.width,
        size.height,
        size.format,
        frame_mb
    );
    outln!("  variant            output       fps  cpu ms/frame  cores  busiest thread  peak RSS MB  KB/frame");
    let mut medians = Vec::new();
    for (variant, runs) in variants.iter().zip(&results) {
        let median = |figure: fn(&Run) -> f64| measure::median(&mut runs.iter().map(figure).collect::<Vec<_>>());
        let m = Run {
            fps: median(|r| r.fps),
            cpu_ms_per_frame: median(|r| r.cpu_ms_per_frame),
            peak_rss_mb: median(|r| r.peak_rss_mb),
            cores: median(|r| r.cores),
            busiest_thread: median(|r| r.busiest_thread),
            bytes_per_frame: median(|r| r.bytes_per_frame),
        };
        let output = match variant {
            Variant::PipelineGray => "gray",
            Variant::FfmpegCliFullRange => "yuv420p*",
            _ => "yuv420p",
        };
        outln!(
            "  {} {:<8} {:>8.1} {:>13.2} {:>6.2} {:>15.2} {:>12.1} {:>9.2}",
            variant.label(),
            output,
            m.fps,
            m.cpu_ms_per_frame,
            m.cores,
            m.busiest_thread,
            m.peak_rss_mb,
            m.bytes_per_frame / 1e3
        );
        medians.push(m);
    }
    let (a, c) = (medians[0], medians[2]);
    // Ratios are taken within each round, whose variants ran back to back, and then their median: the
    // machine's slow drifts (other tenants, clocks) cancel within a round but not between medians.
    let fps_ratio = |x: usize, y: usize| Ratio::of(&results[x], &results[y], |r| r.fps);
    outln!(
        "  ratios (median of {} rounds, [min..max]): a/b {}  a/c {}",
        args.runs,
        fps_ratio(0, 1),
        fps_ratio(0, 2)
    );
    if variants.len() > 3 {
        outln!("  a'(gray)/b(yuv420p) {}", fps_ratio(3, 1));
    }
    // Same x264 settings and QP: the files' sizes differ by the GOP and by the pictures (b squeezes mono
    // into limited range, which leaves less to encode; b' is given a's pictures).
    let keyframes = settings
        .keyframe_interval_s
        .map_or("the encoder's choice, as the original".to_string(), |k| {
            format!("every {k} s")
        });
    let bytes = |x: usize, y: usize| Ratio::of(&results[x], &results[y], |r| r.bytes_per_frame);
    if variants.len() > 4 {
        outln!(
            "  file size per frame: a/b {}  a/b' (same pictures) {}  (keyframes: {keyframes}; * full range)",
            bytes(0, 1),
            bytes(0, 4)
        );
    } else {
        outln!("  file size per frame: a/b {}  (keyframes: {keyframes})", bytes(0, 1));
    }
    // The target's own terms: the share of the pipeline's CPU that is not the encoder's work.
    let cpu_share = Ratio::of(&results[2], &results[0], |r| r.cpu_ms_per_frame);
    outln!(
        "  CPU per frame: b/a {}  c/a {}  => non-encoder share of a's CPU {:.1} %",
        Ratio::of(&results[1], &results[0], |r| r.cpu_ms_per_frame),
        cpu_share,
        (1.0 - cpu_share.median) * 100.0
    );
    let queue_mb = (args.queue_depth as f64) * frame_mb;
    // Variant c holds one period of frames in memory; what remains of its peak is the encoder's own.
    let held_mb = SYNTHETIC_PERIOD.min(args.frames) as f64 * frame_mb;
    let encoder_mb = c.peak_rss_mb - held_mb;
    outln!(
        "  memory: a peak {:.1} MB; encoder's own (c peak - {:.1} MB of frames held) {:.1} MB; \
         a - encoder = {:.1} MB against queue {} x {:.2} MB = {:.1} MB (+ 80 MB allowed)",
        a.peak_rss_mb,
        held_mb,
        encoder_mb,
        a.peak_rss_mb - encoder_mb,
        args.queue_depth,
        frame_mb,
        queue_mb
    );
    if args.instructions {
        // b' differs from b by its pixel conversion only: the file-size comparison's, not counted.
        instructions::compare(args, size, &variants[..variants.len().min(4)], dir)?;
    }
    Ok(())
}

/// A ratio of two variants' figures, taken round by round.
#[derive(Debug, Clone, Copy)]
struct Ratio {
    median: f64,
    min: f64,
    max: f64,
}

impl Ratio {
    fn of(x: &[Run], y: &[Run], figure: impl Fn(&Run) -> f64) -> Ratio {
        let mut ratios: Vec<f64> = x.iter().zip(y).map(|(x, y)| figure(x) / figure(y)).collect();
        Ratio {
            median: measure::median(&mut ratios),
            min: ratios.iter().copied().fold(f64::INFINITY, f64::min),
            max: ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

impl std::fmt::Display for Ratio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.3} [{:.3}..{:.3}]", self.median, self.min, self.max)
    }
}

/// Runs one variant in a fresh `axvs bench --variant` process, so memory and CPU figures are its own.
fn spawn_variant(args: &BenchArgs, size: BenchSize, variant: Variant, out: &Path) -> Result<Run, CliError> {
    let output = variant_command(None, args, size, variant, out, args.frames)?
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| bench_error("variant", e))?;
    if !output.status.success() {
        return Err(bench_error(
            variant.code(),
            format!("variant process exited with {}", output.status),
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| bench_error(variant.code(), e))
}

/// The command line of one `axvs bench --variant` run of `frames` frames, under `wrapper` (a program and
/// its arguments, e.g. valgrind) if given.
fn variant_command(
    wrapper: Option<&[String]>,
    args: &BenchArgs,
    size: BenchSize,
    variant: Variant,
    out: &Path,
    frames: u64,
) -> Result<Command, CliError> {
    let exe = std::env::current_exe().map_err(|e| bench_error("variant", e))?;
    let mut command = match wrapper {
        Some([program, wrapper_args @ ..]) => {
            let mut command = Command::new(program);
            command.args(wrapper_args).arg(exe);
            command
        }
        _ => Command::new(exe),
    };
    command
        .args(["bench", "--variant", variant.code(), "--out"])
        .arg(out)
        .args(["--sizes", &format!("{}x{}:{}", size.width, size.height, size.format)])
        .args([
            "--codec",
            &args.codec,
            "--preset",
            &args.preset.to_string(),
            "--qp",
            &args.qp.to_string(),
        ])
        .args([
            "--frames",
            &frames.to_string(),
            "--queue-depth",
            &args.queue_depth.to_string(),
            "--fps",
            &args.fps.to_string(),
        ]);
    if let Some(seconds) = args.keyframe_interval {
        command.args(["--keyframe-interval", &seconds.to_string()]);
    }
    if wrapper.is_none() {
        command.arg("--sample-threads");
    }
    Ok(command)
}

/// `--variant`: one run of one variant in this process; prints its figures as JSON.
fn run_variant(args: &BenchArgs, settings: &EncoderSettings, code: &str, out: &Path) -> Result<(), CliError> {
    let variant = Variant::from_code(code).ok_or_else(|| CliError::Argument(format!("--variant {code}")))?;
    let size = *args
        .sizes
        .first()
        .ok_or_else(|| CliError::Argument("--variant needs one --sizes".into()))?;
    std::fs::create_dir_all(out).map_err(|e| bench_error(code, e))?;
    let video = out.join("video.mp4");
    let run = match variant {
        Variant::Pipeline => pipeline(args, settings, size, out, OutputPixelFormat::Yuv420p)?,
        Variant::PipelineGray => pipeline(args, settings, size, out, OutputPixelFormat::Gray)?,
        Variant::FfmpegCli => ffmpeg_cli(args, settings, size, &video, false)?,
        Variant::FfmpegCliFullRange => ffmpeg_cli(args, settings, size, &video, true)?,
        Variant::EncoderAlone => encoder_alone(args, settings, size, &video)?,
    };
    let json = serde_json::to_string(&run).map_err(|e| bench_error(code, e))?;
    outln!("{json}");
    Ok(())
}

/// Variant a: the real pipeline, back-pressured so it runs at the encoder's pace and drops nothing.
fn pipeline(
    args: &BenchArgs,
    settings: &EncoderSettings,
    size: BenchSize,
    out: &Path,
    pixel_format: OutputPixelFormat,
) -> Result<Run, CliError> {
    let settings = EncoderSettings {
        pixel_format,
        ..settings.clone()
    };
    // The camera renders its scene when opened; b and c open theirs before the clock too.
    let mut camera = SyntheticCamera::new(synthetic(size, args.fps, Some(args.frames)));
    camera.open().map_err(|e| bench_error("camera", e))?;
    let cpu0 = measure::self_cpu();
    let start = Instant::now();
    let sampler = args
        .sample_threads
        .then(|| measure::ThreadSampler::start(std::process::id()));
    let sink = Arc::new(FileLogSink::create(out).map_err(|e| bench_error("log", e))?);
    let factory = FfmpegEncoderFactory::new(settings, out).map_err(|e| bench_error("encoder", e))?;
    let config = SystemConfig {
        queue_depth: args.queue_depth,
        overflow: axvs_core::OverflowPolicy::Block,
        ..SystemConfig::new(1, "bench")
    };
    let mut system = VideoSystem::new(config, Box::new(camera), Some(Arc::new(factory)), sink.clone());
    system.start()?;
    // The camera ends its stream after `frames`; wait for that signal, then drain and finalize.
    for event in system.events().iter() {
        if matches!(event, SystemEvent::Ended { .. } | SystemEvent::Error { .. }) {
            break;
        }
    }
    let report: StopReport = system.stop();
    report.result()?;
    sink.close().map_err(|e| bench_error("log", e))?;
    let wall = start.elapsed();
    let cpu = measure::self_cpu() - cpu0;
    let saved = report.status.saved;
    if saved != args.frames {
        return Err(bench_error(
            "pipeline",
            format!("saved {saved} of {} frames", args.frames),
        ));
    }
    let busiest = sampler.and_then(measure::ThreadSampler::finish);
    let video = report.video.map(|v| v.path).unwrap_or_default();
    Ok(Run::measured(saved, wall, cpu, measure::peak_rss(), busiest).with_file(&video, saved))
}

/// Variant b: the same frames piped into the ffmpeg CLI, with the original's command line; with
/// `full_range`, told to convert as axvs does (b').
fn ffmpeg_cli(
    args: &BenchArgs,
    settings: &EncoderSettings,
    size: BenchSize,
    path: &Path,
    full_range: bool,
) -> Result<Run, CliError> {
    let mut camera = SyntheticCamera::new(synthetic(size, args.fps, None));
    let info = camera.open().map_err(|e| bench_error("camera", e))?;
    camera.start().map_err(|e| bench_error("camera", e))?;
    let mut buffer = vec![0u8; info.frame_size()];
    let mut command = Command::new("ffmpeg");
    command
        .args(original_command_line(settings, size, args.fps, full_range))
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let cpu0 = measure::self_cpu();
    let start = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| bench_error("ffmpeg CLI (is ffmpeg installed?)", e))?;
    // The CLI's threads, x264's among them, are the ones that can bound b.
    let sampler = args.sample_threads.then(|| measure::ThreadSampler::start(child.id()));
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| bench_error("ffmpeg CLI", "no stdin"))?;
    for _ in 0..args.frames {
        camera.grab(&mut buffer).map_err(|e| bench_error("camera", e))?;
        stdin
            .write_all(&buffer)
            .map_err(|e| bench_error("ffmpeg CLI pipe", e))?;
    }
    drop(stdin);
    let (code, child_cpu, child_rss) = measure::wait_child(child.id()).map_err(|e| bench_error("ffmpeg CLI", e))?;
    let wall = start.elapsed();
    if code != 0 {
        return Err(bench_error("ffmpeg CLI", format!("exit code {code}")));
    }
    let cpu = measure::self_cpu() - cpu0 + child_cpu;
    let busiest = sampler.and_then(measure::ThreadSampler::finish);
    Ok(Run::measured(args.frames, wall, cpu, measure::peak_rss() + child_rss, busiest).with_file(path, args.frames))
}

/// The original's `ffmpeg` arguments for frames of `size` at `fps` (before the output path): raw frames
/// from standard input, its encoder options, and a keyframe interval only when axvs is given one (the
/// original leaves the GOP to the encoder, and so does axvs by default). With `full_range`, the CLI
/// converts as axvs does.
pub(super) fn original_command_line(
    settings: &EncoderSettings,
    size: BenchSize,
    fps: f64,
    full_range: bool,
) -> Vec<String> {
    let input_format = if size.format == PixelFormat::Mono8 {
        "gray"
    } else {
        "bgr24"
    };
    let mut args: Vec<String> = ["-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", input_format, "-s"]
        .map(String::from)
        .to_vec();
    args.extend([
        format!("{}x{}", size.width, size.height),
        "-r".into(),
        fps.to_string(),
        "-i".into(),
        "pipe:".into(),
    ]);
    // Like the original, the CLI converts with its defaults, which (FFmpeg 5.1) squeeze camera values into
    // limited range in a file labelled full range (mono 20 becomes 33, white 234): work the original does,
    // so b does it too; `full_range` makes b's pictures identical to a's (b').
    if full_range {
        args.extend(["-vf", "scale=in_range=full:out_range=full:flags=bilinear+accurate_rnd"].map(String::from));
    }
    args.extend([
        "-vcodec".to_string(),
        settings.encoder_name().unwrap_or("libx264").to_string(),
    ]);
    let qp = settings.qp.get();
    match settings.codec {
        Codec::H264 => args.extend([
            "-x264-params".into(),
            format!("qp={qp}"),
            "-profile:v".into(),
            "high422".into(),
        ]),
        Codec::H265 => args.extend([
            "-x265-params".into(),
            format!("qp={qp}:log-level=error"),
            "-profile:v".into(),
            "main".into(),
        ]),
        _ => args.extend(["-qp".into(), qp.to_string()]),
    }
    if let Some(gop) = settings.gop(fps) {
        args.extend(["-g".into(), gop.to_string()]);
    }
    args.extend(
        [
            "-preset",
            settings.preset.cpu_name(),
            "-pix_fmt",
            "yuv420p",
            "-color_range",
            "pc",
        ]
        .map(String::from),
    );
    args
}

/// Variant c: the encoder alone, on one period of frames rendered beforehand.
fn encoder_alone(args: &BenchArgs, settings: &EncoderSettings, size: BenchSize, path: &Path) -> Result<Run, CliError> {
    let mut camera = SyntheticCamera::new(synthetic(size, args.fps, None));
    let info = camera.open().map_err(|e| bench_error("camera", e))?;
    let mut frames: Vec<Vec<u8>> = (0..SYNTHETIC_PERIOD.min(args.frames))
        .map(|i| {
            let mut buf = vec![0u8; info.frame_size()];
            camera.render(i, &mut buf);
            buf
        })
        .collect();
    let cpu0 = measure::self_cpu();
    let start = Instant::now();
    let sampler = args
        .sample_threads
        .then(|| measure::ThreadSampler::start(std::process::id()));
    let mut encoder = FfmpegEncoder::create(settings, path, &info).map_err(|e| bench_error("encoder", e))?;
    let period = Duration::from_secs_f64(1.0 / info.fps);
    for i in 0..args.frames {
        let time_us = (period * i as u32).as_micros() as u64 + 1;
        let frame = &mut frames[(i % SYNTHETIC_PERIOD) as usize];
        // The camera's frame i: the held frame of its phase with i's counter (a band of rows).
        camera.stamp(i, frame);
        encoder
            .encode_raw(frame, time_us)
            .map_err(|e| bench_error("encoder", e))?;
    }
    encoder.finish_file().map_err(|e| bench_error("encoder", e))?;
    let wall = start.elapsed();
    let cpu = measure::self_cpu() - cpu0;
    let busiest = sampler.and_then(measure::ThreadSampler::finish);
    Ok(Run::measured(args.frames, wall, cpu, measure::peak_rss(), busiest).with_file(path, args.frames))
}

/// Start of `axvs run` (process launch) to the first saved frame, for a synthetic camera.
fn startup(runs: usize, dir: &Path) -> Result<(), CliError> {
    let exe = std::env::current_exe().map_err(|e| bench_error("startup", e))?;
    let rig = dir.join("startup.toml");
    // A few seconds of video in a temporary directory: the free-space guard (for recordings) stays off, as
    // in `bench capacity`, so that a nearly full disk does not stop the benchmark.
    std::fs::write(
        &rig,
        "min_free_space = \"0\"\n[[camera]]\nid = 1\nname = \"s\"\nbackend = \"synthetic\"\nwidth = 1280\nheight = 720\nfps = 30\n\
         [encoder]\npreset = 1\n",
    )
    .map_err(|e| bench_error("startup", e))?;
    let mut firsts = Vec::new();
    for i in 0..runs {
        let report = dir.join(format!("startup{i}.json"));
        let output = Command::new(&exe)
            .args([
                "run",
                "--duration",
                "0.5",
                "--status-interval",
                "0",
                "--session",
                &format!("s{i}"),
                "-o",
            ])
            .arg(dir)
            .arg("--report")
            .arg(&report)
            .arg(&rig)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| bench_error("startup", e))?;
        if !output.status.success() {
            return Err(bench_error(
                "startup",
                format!(
                    "axvs run exited with {}: {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim()
                ),
            ));
        }
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).map_err(|e| bench_error("startup", e))?)
                .map_err(|e| bench_error("startup", e))?;
        if let Some(ms) = json["cameras"][0]["first_frame_ms"].as_f64() {
            firsts.push(ms);
        }
    }
    outln!();
    outln!(
        "start-up: process launch to first saved frame (1280x720 synthetic, x264 veryfast): median {:.0} ms over {} runs",
        measure::median(&mut firsts),
        firsts.len()
    );
    Ok(())
}

/// Four synthetic 640x480 mono cameras at 60 fps, x264 veryfast, for `seconds`: drops per camera.
fn multi_camera(seconds: f64, dir: &Path) -> Result<(), CliError> {
    let out = dir.join("multi");
    let sink = Arc::new(FileLogSink::create(&out).map_err(|e| bench_error("log", e))?);
    let settings = EncoderSettings {
        preset: Preset::FASTEST,
        ..Default::default()
    };
    let mut systems = Vec::new();
    for id in 1..=4u8 {
        let camera = SyntheticCamera::new(SyntheticConfig {
            width: 640,
            height: 480,
            fps: 60.0,
            pixel_format: PixelFormat::Mono8,
            paced: true,
            frame_limit: None,
        });
        let factory = FfmpegEncoderFactory::new(settings.clone(), &out).map_err(|e| bench_error("encoder", e))?;
        let mut system = VideoSystem::new(
            SystemConfig::new(id, format!("cam{id}")),
            Box::new(camera),
            Some(Arc::new(factory)),
            sink.clone(),
        );
        system.start()?;
        systems.push(system);
    }
    let cpu0 = measure::self_cpu();
    // Resident memory once a second: flat once the pools and encoders are warm, unless something leaks.
    let started = Instant::now();
    let end = started + Duration::from_secs_f64(seconds);
    let mut rss = vec![measure::current_rss()];
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        std::thread::sleep(left.min(Duration::from_secs(1)));
        rss.push(measure::current_rss());
    }
    let cpu = measure::self_cpu() - cpu0;
    outln!();
    outln!(
        "multi-camera: 4 x 640x480 mono8 @ 60 fps, x264 veryfast qp 15, {seconds:.0} s, CPU {:.0}% of one core",
        cpu.as_secs_f64() / seconds * 100.0
    );
    // The first tenth (at least 5 s) warms up: pools fill, encoders reach their lookahead.
    let warmup = (rss.len() / 10).max(5);
    match measure::rss_drift(&rss, warmup) {
        Some(drift) if rss.len() > warmup + 1 => outln!(
            "  RSS: {:.1} MB after {warmup} s warm-up, {:.1} MB at the end, {:.1} MB at most: growth {:+.1} % \
             over {} samples (flat within 5 %: {})",
            drift.after_warmup as f64 / 1e6,
            drift.end as f64 / 1e6,
            drift.max as f64 / 1e6,
            drift.growth_percent,
            rss.len() - warmup,
            if drift.growth_percent <= 5.0 { "yes" } else { "NO" }
        ),
        _ => outln!("  RSS: the run is too short to sample past a {warmup} s warm-up"),
    }
    outln!("  id     fps    saved  lost(queue/encoder)  camera lost");
    for system in &mut systems {
        let report = system.stop();
        report.result()?;
        let s = report.status;
        outln!(
            "  {:03} {:>7.1} {:>8} {:>11}/{:<11} {:>10}",
            s.id,
            s.fps,
            s.saved,
            s.dropped.queue_full,
            s.dropped.encoder_error,
            s.camera_lost
        );
    }
    sink.close().map_err(|e| bench_error("log", e))?;
    let _ = std::fs::remove_dir_all(&out);
    Ok(())
}

/// Extraction of absolute frame times from a log and an archive of `entries` entries.
fn extraction(entries: u64, dir: &Path) -> Result<(), CliError> {
    let out = dir.join("extract");
    let sink = FileLogSink::create(&out).map_err(|e| bench_error("log", e))?;
    use axvs_core::LogSink;
    sink.log(1, 0, &axvs_core::utc_now_us().to_le_bytes())
        .map_err(|e| bench_error("log", e))?;
    for i in 1..entries {
        sink.log(1, i * 16_667, &[]).map_err(|e| bench_error("log", e))?;
    }
    let logs = sink.close().map_err(|e| bench_error("log", e))?;
    let log = logs.first().ok_or_else(|| bench_error("log", "no log written"))?;
    let archive = npz::export_log(log, &out).map_err(|e| bench_error("archive", e))?;

    let start = Instant::now();
    let contents = read_log(log).map_err(|e| bench_error("log", e))?;
    let times = timestamps::frame_times(&contents.entries).map_err(|e| bench_error("log", e))?;
    let from_log = start.elapsed();
    let start = Instant::now();
    let archived = npz::read_archive(&archive).map_err(|e| bench_error("archive", e))?;
    let times_npz = timestamps::frame_times(&archived).map_err(|e| bench_error("archive", e))?;
    let from_npz = start.elapsed();
    if times != times_npz {
        return Err(bench_error("extraction", "log and archive disagree"));
    }
    outln!();
    outln!(
        "timestamp extraction, {entries} entries: raw log {:.3} s, .npz archive ({:.0} MB) {:.3} s",
        from_log.as_secs_f64(),
        std::fs::metadata(&archive).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
        from_npz.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&out);
    Ok(())
}
