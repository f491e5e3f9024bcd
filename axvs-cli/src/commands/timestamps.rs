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
            errln!(
                "axvs: warning: {}: the last {} bytes are an entry cut short (the recording was killed); ignored",
                args.input.display(),
                log.truncated_tail
            );
        }
        log.entries
    } else {
        axvs_log::read_any(&args.input)?
    };
    axvs_log::single_source(&entries, &args.input)?;
    let runs = axvs_log::timestamps::frame_times_by_run(&entries)?;
    let stem = args
        .input
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("log")
        .to_string();
    // Run n of a restarted source wrote video `<id>-n`; its times go to a file named to match.
    let output_of_run = |run: usize| -> PathBuf {
        match (&args.output, run) {
            (Some(output), 1) => output.clone(),
            (Some(output), n) => {
                let out_stem = output.file_stem().and_then(|s| s.to_str()).unwrap_or("timestamps");
                let ext = output.extension().and_then(|e| e.to_str()).unwrap_or("csv");
                output.with_file_name(format!("{out_stem}-{n}.{ext}"))
            }
            (None, 1) => args.input.with_file_name(format!("{stem}_timestamps.csv")),
            (None, n) => args.input.with_file_name(format!("{stem}-{n}_timestamps.csv")),
        }
    };
    let first = output_of_run(1);
    let write = match first.extension().and_then(|e| e.to_str()) {
        Some("csv") => axvs_log::timestamps::write_csv,
        Some("npy") => axvs_log::timestamps::write_npy,
        _ => {
            return Err(CliError::Argument(format!(
                "output {} must end in .csv or .npy",
                first.display()
            )))
        }
    };
    if runs.len() > 1 {
        let id = stem.trim_end_matches("_log");
        outln!(
            "{}: {} runs (the source was restarted); run 1 is video {id}, run n video {id}-n",
            args.input.display(),
            runs.len()
        );
    }
    for (i, times) in runs.iter().enumerate() {
        let output = output_of_run(i + 1);
        write(times, &output)?;
        if runs.len() > 1 {
            outln!("run {}: {} frame times -> {}", i + 1, times.len(), output.display());
        } else {
            outln!("{} frame times -> {}", times.len(), output.display());
        }
    }
    Ok(())
}
