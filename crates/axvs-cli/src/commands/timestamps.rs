//! `axvs timestamps`: absolute frame times from a log or archive.

use std::path::PathBuf;

use clap::Args;

use super::CliError;

/// Arguments of `axvs timestamps`.
#[derive(Debug, Args)]
pub struct TimestampsArgs {
    /// A raw log (`.axvslog`) or an archive (`<id>_log.npz`, also ones written by ataraxis).
    input: PathBuf,
    /// Output file: `.csv` (column `frame_time_us`) or `.npy` (uint64). Default: `<input stem>_timestamps.csv`
    /// beside the input.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: TimestampsArgs) -> Result<(), CliError> {
    let entries = if args.input.extension().is_some_and(|e| e == axvs_log::file::EXTENSION) {
        let log = axvs_log::read_log(&args.input)?;
        if log.truncated_tail > 0 {
            eprintln!(
                "axvs: warning: {}: the last {} bytes are an entry cut short (the recording was killed); ignored",
                args.input.display(),
                log.truncated_tail
            );
        }
        log.entries
    } else {
        axvs_log::read_any(&args.input)?
    };
    let times = axvs_log::timestamps::frame_times(&entries)?;
    let output = args.output.unwrap_or_else(|| {
        let stem = args.input.file_stem().and_then(|s| s.to_str()).unwrap_or("log");
        args.input.with_file_name(format!("{stem}_timestamps.csv"))
    });
    match output.extension().and_then(|e| e.to_str()) {
        Some("csv") => axvs_log::timestamps::write_csv(&times, &output)?,
        Some("npy") => axvs_log::timestamps::write_npy(&times, &output)?,
        _ => {
            return Err(CliError::Argument(format!(
                "output {} must end in .csv or .npy",
                output.display()
            )))
        }
    }
    println!("{} frame times -> {}", times.len(), output.display());
    Ok(())
}
