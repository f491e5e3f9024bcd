//! The a/b/c comparison at one size, each run in a fresh process, alternately.
//!
//! Variants, run alternately on identical synthetic frames with identical encoder settings:
//! - `a`: axvs' pipeline: unpaced synthetic camera → bounded queue (back-pressure) → in-process encoder →
//!   file, with the timestamp log;
//! - `b`: the same frames piped into the `ffmpeg` CLI (`-f rawvideo ... -i pipe:`) with the original's command
//!   line (its pixel conversion included), plus the keyframe interval axvs uses: identical x264 settings;
//! - `c`: the encoder alone on frames already in memory: the limit;
//! - `a'` (mono sizes): the pipeline with native gray (4:0:0) output.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axvs_core::{
    Camera, PixelFormat, StopReport, SyntheticCamera, SystemConfig, SystemEvent, VideoSystem, SYNTHETIC_PERIOD,
};
use axvs_encode::{Codec, EncoderSettings, FfmpegEncoder, FfmpegEncoderFactory, OutputPixelFormat};
use axvs_log::FileLogSink;

use super::{bench_error, synthetic, BenchArgs, BenchSize};
use super::{instructions, measure};
use crate::BenchError;

/// Figures of one run of one variant.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Run {
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
    pub(super) fn measured(
        frames: u64,
        wall: Duration,
        cpu: Duration,
        peak_rss: u64,
        busiest: Option<Duration>,
    ) -> Run {
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
    pub(super) fn with_file(self, file: &Path, frames: u64) -> Run {
        let bytes = std::fs::metadata(file).map_or(0, |m| m.len());
        Run {
            bytes_per_frame: bytes as f64 / frames.max(1) as f64,
            ..self
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Variant {
    Pipeline,
    FfmpegCli,
    EncoderAlone,
    PipelineGray,
    /// The ffmpeg CLI told to keep the camera's full range: a's pictures, for the file-size comparison.
    FfmpegCliFullRange,
}

impl Variant {
    pub(super) fn code(self) -> &'static str {
        match self {
            Variant::Pipeline => "a",
            Variant::FfmpegCli => "b",
            Variant::EncoderAlone => "c",
            Variant::PipelineGray => "gray",
            Variant::FfmpegCliFullRange => "bfull",
        }
    }

    pub(super) fn from_code(code: &str) -> Option<Variant> {
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

    pub(super) fn label(self) -> &'static str {
        match self {
            Variant::Pipeline => "a  axvs pipeline ",
            Variant::FfmpegCli => "b  ffmpeg CLI    ",
            Variant::EncoderAlone => "c  encoder alone ",
            Variant::PipelineGray => "a' axvs pipeline ",
            Variant::FfmpegCliFullRange => "b' ffmpeg CLI    ",
        }
    }
}

/// The a/b/c (and a') comparison at one size.
pub(super) fn compare(
    args: &BenchArgs,
    settings: &EncoderSettings,
    size: BenchSize,
    dir: &Path,
) -> Result<(), BenchError> {
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

/// Runs one variant in a fresh `axvs-bench --variant` process, so memory and CPU figures are its own.
fn spawn_variant(args: &BenchArgs, size: BenchSize, variant: Variant, out: &Path) -> Result<Run, BenchError> {
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

/// The command line of one `axvs-bench-variant` run of `frames` frames, under `wrapper` (a program and
/// its arguments, e.g. valgrind) if given.
pub(super) fn variant_command(
    wrapper: Option<&[String]>,
    args: &BenchArgs,
    size: BenchSize,
    variant: Variant,
    out: &Path,
    frames: u64,
) -> Result<Command, BenchError> {
    let exe = super::variant_exe()?;
    let mut command = match wrapper {
        Some([program, wrapper_args @ ..]) => {
            let mut command = Command::new(program);
            command.args(wrapper_args).arg(exe);
            command
        }
        _ => Command::new(exe),
    };
    command
        .args(["--variant", variant.code(), "--out"])
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
pub(super) fn run_variant(
    args: &BenchArgs,
    settings: &EncoderSettings,
    code: &str,
    out: &Path,
) -> Result<(), BenchError> {
    let variant = Variant::from_code(code).ok_or_else(|| BenchError::Argument(format!("--variant {code}")))?;
    let size = *args
        .sizes
        .first()
        .ok_or_else(|| BenchError::Argument("--variant needs one --sizes".into()))?;
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
) -> Result<Run, BenchError> {
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
) -> Result<Run, BenchError> {
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

/// A synthetic camera of `size` at `fps`, opened, with one period of its frames (at most `frames`) rendered
/// beforehand: the encoder alone is then measured, its input already in memory.
pub(super) fn held_frames(
    size: BenchSize,
    fps: f64,
    frames: u64,
) -> Result<(SyntheticCamera, axvs_core::CameraInfo, Vec<Vec<u8>>), BenchError> {
    let mut camera = SyntheticCamera::new(synthetic(size, fps, None));
    let info = camera.open().map_err(|e| bench_error("camera", e))?;
    let held = (0..SYNTHETIC_PERIOD.min(frames))
        .map(|i| {
            let mut buf = vec![0u8; info.frame_size()];
            camera.render(i, &mut buf);
            buf
        })
        .collect();
    Ok((camera, info, held))
}

/// Variant c: the encoder alone, on one period of frames rendered beforehand.
fn encoder_alone(
    args: &BenchArgs,
    settings: &EncoderSettings,
    size: BenchSize,
    path: &Path,
) -> Result<Run, BenchError> {
    let (camera, info, mut frames) = held_frames(size, args.fps, args.frames)?;
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
