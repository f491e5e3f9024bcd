//! `axvs`: record many cameras at once from a TOML rig file, and work with the timestamp logs.

/// `println!` that never panics: a closed or full standard output (`axvs run | true`, `> /dev/full`) must not
/// stop a recording or skip its finalization, so console write errors are dropped.
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

/// `eprintln!` that never panics (see [`outln!`]).
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        // One write per line: through the relay (see `relay`) a line is passed on whole or not at all.
        let mut line = format!($($arg)*);
        line.push('\n');
        let _ = std::io::stderr().write_all(line.as_bytes());
    }};
}

mod commands;
mod relay;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Records video from many cameras at once, with an acquisition timestamp logged for every saved frame.
#[derive(Debug, Parser)]
#[command(name = "axvs", version, about, max_term_width = 120, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Record the cameras of a rig file (the built-in demo rig without one).
    Run(commands::run::RunArgs),
    /// Extract the absolute time of every saved frame from a log (.axvslog) or archive (.npz).
    Timestamps(commands::timestamps::TimestampsArgs),
    /// Extract every camera's frame times from all recordings under some directories, in parallel, to
    /// `camera_timestamps/camera_<id>_timestamps.feather` with the original's processing tracker.
    Process(commands::process::ProcessArgs),
    /// Frame statistics per camera (rate, intervals, gaps, estimated and exact drops), and with --sync how
    /// a rig's cameras line up.
    Stats(commands::stats::StatsArgs),
    /// Export a raw log (`.axvslog`) to an ataraxis-compatible archive (`<id>_log.npz`), or with `nwb` a
    /// session to an NWB file for DANDI.
    Export(commands::export::ExportArgs),
    /// After a crash: write each camera's archive with exactly the frames its video holds (a killed run's
    /// logs may hold frames the video never got, or lack the last ones when the log's disk failed).
    Recover(commands::recover::RecoverArgs),
    /// Check sessions against their certificates: every file whole and unchanged (missing, truncated,
    /// altered, extra files) and each camera's counts adding up; exit 0 when all are whole, 1 when not.
    Verify(commands::verify::VerifyArgs),
    /// Copy a rig-across-PCs session from every host into one folder, each file checked against its
    /// host's manifest; a second run finishes what an interrupted one left.
    Collect(commands::collect::CollectArgs),
    /// List the cameras this machine can open, backend by backend (plugins included).
    Discover {
        /// Also list simulated devices (Aravis' built-in Fake camera).
        #[arg(long)]
        fake: bool,
        /// Print a rig of the cameras found (`axvs discover --rig > rig.toml`) instead of the list.
        #[arg(long)]
        rig: bool,
    },
    /// Choose the GenTL producer (.cti) the gentl backend uses (`set`), or check it (`check`).
    Cti(commands::cti::CtiArgs),
    /// List the camera plugins found: file, name, version, ABI and backends, or why each was refused.
    Plugins(commands::plugins::PluginsArgs),
    /// Read, write, dump or load a GenICam camera's nodes (Aravis, or a GenTL producer's with --gentl).
    Genicam(commands::genicam::GenicamArgs),
    /// Check a rig file without recording (the cameras and encoders it describes), or with no rig, what this
    /// machine can record with: FFmpeg and each encoder tried for real, OpenCV, GStreamer, Aravis, the GenTL
    /// producer, plugins.
    Check {
        /// The rig file.
        rig: Option<PathBuf>,
        /// Print the machine's report (without a rig) or the capacity report (with --capacity) as JSON.
        #[arg(long)]
        json: bool,
        /// Also encode a moment of each camera's frames (its size, format and encoder settings) on this
        /// machine and say whether the rig as a whole keeps up: cores needed against cores available, the
        /// headroom, and which cameras drop first. Opens each camera once to learn its frames.
        #[arg(long, requires = "rig")]
        capacity: bool,
        /// With --capacity: seconds each camera's encoder is timed.
        #[arg(long, default_value_t = axvs_session::capacity::DEFAULT_PROBE_TIME.as_secs_f64(), requires = "capacity")]
        probe_seconds: f64,
    },
    /// Serve the MCP tools (cameras, sessions, recordings) to AI agents: stdio by default, or streamable HTTP.
    Mcp(commands::mcp::McpArgs),
}

/// `axvs --help`'s last part.
const EXAMPLES: &str = "\
Examples:
  axvs run                      record the built-in demo rig (two synthetic cameras) until q
  axvs check rig.toml           check a rig without recording: its cameras, encoders, disks, memory
  axvs run rig.toml -d 60       record a rig for a minute (axvs run --help: the keys while recording)
  axvs recover SESSION          after a crash: each camera's archive with exactly the frames its video holds
  axvs export nwb SESSION       an NWB file of the session for DANDI (its videos as external files)
  axvs verify SESSION           every file of a session whole and unchanged since it was recorded
  axvs stats SESSION            frame rates, intervals and drops per camera
  axvs process ROOT             every camera's frame times, as the original's processing writes them

Exit codes: 0 done, 1 failed while working, 2 bad input (rig file, arguments).
The book: docs/ in the repository (docs/src/cli.md for every command).";

/// Exit code for bad input (rig files, arguments), as for clap's usage errors.
const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for failures while working.
const EXIT_FAILURE: u8 = 1;

/// SVT-AV1's log level when the user sets none: errors only (its default prints a 17-line banner each time
/// an encoder opens, before axvs' own output).
const SVT_LOG_ERRORS: &str = "1";

fn main() -> ExitCode {
    // Set before any thread starts.
    if std::env::var_os("SVT_LOG").is_none() {
        std::env::set_var("SVT_LOG", SVT_LOG_ERRORS);
    }
    let cli = Cli::parse();
    // Before anything is written: terminal colours are chosen for the real standard error.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let relay = relay::install();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(ansi)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AXVS_LOG")
                // cameleon-genapi logs every node it cannot evaluate as an error; axvs reports what matters.
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,cameleon_genapi=off")),
        )
        .init();
    let result = match cli.command {
        Command::Run(args) => commands::run::run(args),
        Command::Timestamps(args) => commands::timestamps::run(args),
        Command::Process(args) => commands::process::run(args),
        Command::Stats(args) => commands::stats::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Check {
            rig: Some(rig),
            capacity,
            probe_seconds,
            json,
        } => commands::check::check(&rig, capacity, probe_seconds, json),
        Command::Check { rig: None, json, .. } => commands::check::check_machine(json),
        Command::Mcp(args) => commands::mcp::run(args),
        Command::Recover(args) => commands::recover::run(args),
        Command::Verify(args) => commands::verify::run(args),
        Command::Collect(args) => commands::collect::run(args),
        Command::Discover { fake, rig } => commands::discover(fake, rig),
        Command::Plugins(args) => commands::plugins::run(args),
        Command::Cti(args) => commands::cti::run(args),
        Command::Genicam(args) => commands::genicam::run(args),
    };
    let code = match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("axvs: error: {e}");
            ExitCode::from(if e.is_bad_input() { EXIT_BAD_INPUT } else { EXIT_FAILURE })
        }
    };
    if let Some(relay) = relay {
        relay.finish();
    }
    code
}
