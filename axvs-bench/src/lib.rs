//! `axvs-bench`: the benchmarks of axvs, out of the product binary. Figures only; no thresholds are asserted
//! here, and every figure is compared with its alternative measured in the same run. Two programs share
//! this library: `axvs-bench` (src/main.rs), and `axvs-bench-variant` (src/bin/variant.rs), which runs one
//! variant of the comparison in a fresh process and links only what a variant runs (no OpenCV, whose
//! libraries took half the time of every variant run under callgrind to load). One benchmark per file:
//! - `compare.rs`: axvs' pipeline side by side with the FFmpeg CLI and with the encoder alone;
//!   `instructions.rs` counts their instructions, `plugin.rs` the cost of the plugin boundary;
//! - `startup.rs`: start-up latency of `axvs run`; `soak.rs`: a multi-camera soak; `extraction.rs`: timestamp
//!   extraction; `batch.rs`: batch processing (`axvs process`);
//! - `capacity/` (`axvs-bench capacity`), `view.rs` (`axvs-bench view`) and `python.rs` (`axvs-bench python`),
//!   with arguments of their own; `integrity.rs` (`axvs-bench integrity`): what sealing and verifying cost;
//!   `timing.rs` (`axvs-bench timing`): frame times from host arrival and from mapped device clocks against
//!   simulated truth.
//!
//! `measure.rs` holds what they share: CPU time, peak memory, thread sampling, medians. What a user runs to
//! size a rig stays in `axvs` (`axvs check --capacity`).

/// `println!` that never panics: a closed standard output (`axvs-bench | head`) ends the figures, not the
/// process mid-measurement.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` that never panics (see [`outln!`]).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

mod batch;
mod capacity;
mod compare;
mod extraction;
mod instructions;
mod integrity;
mod measure;
mod plugin;
mod python;
mod soak;
mod startup;
mod timing;
mod view;

use std::str::FromStr;

use axvs_core::{PixelFormat, SyntheticConfig};
use axvs_encode::{Codec, EncoderSettings, OutputPixelFormat, Preset, Qp};
use clap::Parser;

use compare::{compare, run_variant, variant_command, Variant};
use extraction::extraction;
use soak::multi_camera;
use startup::startup;

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

/// Measures axvs' pipeline against the FFmpeg CLI and the encoder alone, start-up, multi-camera load,
/// timestamp extraction and batch processing; `capacity` and `view` are benchmarks of their own.
#[derive(Debug, Parser)]
#[command(
    name = "axvs-bench",
    version,
    about,
    max_term_width = 120,
    args_conflicts_with_subcommands = true
)]
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
    /// Seconds of the multi-camera soak: 4 synthetic cameras (--multi-size) at 60 fps, resident memory
    /// sampled every second (0 = skip; 3600 for the hour-long soak).
    #[arg(long, default_value_t = 60.0)]
    multi_seconds: f64,
    /// Frame size of the soak's cameras (WIDTHxHEIGHT:FORMAT).
    #[arg(long, default_value = "640x480:mono8")]
    multi_size: BenchSize,
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
    /// The Python package: recording through `axvs.Session` against `axvs run`, and timestamp extraction
    /// against the original's.
    Python(python::PythonArgs),
    /// What a session's certificate costs: SHA-256 against encoding at 1080p, and `axvs verify`'s read
    /// rate against `sha256sum`.
    Integrity(integrity::IntegrityArgs),
    /// Frame times against the truth of simulated cameras: host arrival, a least-squares fit and the
    /// device clock mapped by axvs' lower-envelope fit, at several loads.
    Timing(timing::TimingArgs),
}

/// Why a benchmark failed; printed as one line.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// An argument is unusable.
    #[error("{0}")]
    Argument(String),
    /// A benchmark could not run.
    #[error("{0}")]
    Failed(String),
    /// A camera system of a benchmark failed.
    #[error(transparent)]
    System(#[from] axvs_core::SystemError),
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Exit code for bad arguments, as for clap's usage errors.
const EXIT_BAD_INPUT: u8 = 2;

/// `axvs-bench`'s `main`: runs the benchmarks its arguments ask for.
pub fn main() -> std::process::ExitCode {
    exit(run(BenchArgs::parse()))
}

/// `axvs-bench-variant`'s `main`: one variant of the comparison (`--variant CODE --out PATH`), with
/// `axvs-bench`'s arguments.
pub fn variant_main() -> std::process::ExitCode {
    exit(one_variant(&BenchArgs::parse()))
}

/// Runs the variant `--variant` names in this process.
fn one_variant(args: &BenchArgs) -> Result<(), BenchError> {
    let (Some(code), Some(out)) = (&args.variant, &args.out) else {
        return Err(BenchError::Argument("expected --variant CODE --out PATH".into()));
    };
    let settings = variant_settings(args)?;
    if plugin::is_variant(code) {
        plugin::run_variant(args, &settings, code, out)
    } else {
        run_variant(args, &settings, code, out)
    }
}

/// The exit code of a run's result, its error printed as one line.
fn exit(result: Result<(), BenchError>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("axvs-bench: error: {e}\n").as_bytes());
            std::process::ExitCode::from(if matches!(e, BenchError::Argument(_)) {
                EXIT_BAD_INPUT
            } else {
                1
            })
        }
    }
}

/// The program that runs one variant (`axvs-bench-variant`), beside this one.
fn variant_exe() -> Result<std::path::PathBuf, BenchError> {
    beside_me("axvs-bench-variant", "(cargo build -p axvs-bench)")
}

/// The `axvs` binary the benchmarks run (`axvs run`, `axvs process`): `AXVS_BIN`, or the one beside this
/// program.
fn axvs_exe() -> Result<std::path::PathBuf, BenchError> {
    match std::env::var_os("AXVS_BIN") {
        Some(path) => Ok(path.into()),
        None => beside_me("axvs", "(cargo build -p axvs-cli), or name it in AXVS_BIN"),
    }
}

/// The program `name` in this program's directory, where cargo builds both; if missing, the error says how
/// to build it (`how`).
fn beside_me(name: &str, how: &str) -> Result<std::path::PathBuf, BenchError> {
    let me = std::env::current_exe().map_err(|e| bench_error(&format!("finding {name}"), e))?;
    let program = me.with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if program.is_file() {
        Ok(program)
    } else {
        Err(BenchError::Failed(format!(
            "{} is missing: build it beside axvs-bench {how}",
            program.display()
        )))
    }
}

/// Runs the benchmarks `args` ask for.
fn run(args: BenchArgs) -> Result<(), BenchError> {
    match args.what {
        Some(BenchWhat::Capacity(capacity)) => return capacity::run(capacity),
        Some(BenchWhat::View(view)) => return view::run(view),
        Some(BenchWhat::Python(python)) => return python::run(python),
        Some(BenchWhat::Integrity(integrity)) => return integrity::run(integrity),
        Some(BenchWhat::Timing(timing)) => return timing::run(timing),
        None => {}
    }
    if args.variant.is_some() {
        return one_variant(&args);
    }
    let settings = variant_settings(&args)?;
    let (preset, qp) = (settings.preset, settings.qp);
    if args.plugin.is_some() && !args.instructions {
        return Err(BenchError::Argument(
            "--plugin is counted in instructions: add --instructions".into(),
        ));
    }
    if args.instructions {
        instructions::check_valgrind()?;
    }
    let work = tempfile::tempdir().map_err(|source| BenchError::Io {
        path: "temporary directory".into(),
        source,
    })?;
    outln!(
        "axvs-bench: {} {} qp {}, {} frames x {} alternating runs, queue depth {}; each run in a fresh \
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
        multi_camera(args.multi_seconds, args.multi_size, work.path())?;
    }
    if args.extract_entries > 0 {
        extraction(args.extract_entries, work.path())?;
    }
    if args.batch_entries > 0 {
        batch::run(args.batch_entries, work.path())?;
    }
    Ok(())
}

/// The encoder settings every variant runs with, from the arguments (checked).
fn variant_settings(args: &BenchArgs) -> Result<EncoderSettings, BenchError> {
    let codec: Codec = args
        .codec
        .parse()
        .map_err(|e| BenchError::Argument(format!("--codec: {e}")))?;
    let preset = args.preset;
    let qp = Qp::new(args.qp).map_err(|e| BenchError::Argument(format!("--qp: {e}")))?;
    if !(args.fps.is_finite() && args.fps > 0.0) || args.keyframe_interval.is_some_and(|k| !(k.is_finite() && k > 0.0))
    {
        return Err(BenchError::Argument(
            "--fps and --keyframe-interval must be positive numbers of frames per second and seconds".into(),
        ));
    }
    if args.frames == 0 || args.queue_depth == 0 {
        return Err(BenchError::Argument(
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
    axvs_encode::check_settings(&settings).map_err(|e| BenchError::Argument(e.to_string()))?;
    Ok(settings)
}

fn bench_error(what: &str, e: impl std::fmt::Display) -> BenchError {
    BenchError::Failed(format!("{what}: {e}"))
}

fn synthetic(size: BenchSize, fps: f64, frame_limit: Option<u64>) -> SyntheticConfig {
    SyntheticConfig {
        width: size.width,
        height: size.height,
        fps,
        pixel_format: size.format,
        paced: false,
        frame_limit,
        ..SyntheticConfig::default()
    }
}
