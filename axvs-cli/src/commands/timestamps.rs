//! `axvs timestamps`: absolute frame times from a log or archive.

use std::path::{Path, PathBuf};

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
    /// Where the videos are, when not beside the log (the rig's `log_dir`): a video split into segments
    /// gets one output per file.
    #[arg(long)]
    videos: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: TimestampsArgs) -> Result<(), CliError> {
    // The truth: a session's archive when there is one (exactly the frames its video holds).
    let read = axvs_log::truth::file_to_read(&args.input)?;
    if read != args.input {
        outln!("{}: reading its archive {}", args.input.display(), read.display());
    }
    let entries = if read.extension().is_some_and(|e| e == axvs_log::file::EXTENSION) {
        let log = axvs_log::read_log(&read)?;
        if log.truncated_tail > 0 {
            errln!(
                "axvs: warning: {}: the last {} bytes are an entry cut short (the recording was killed); ignored",
                read.display(),
                log.truncated_tail
            );
        }
        log.entries
    } else {
        axvs_log::read_any(&read)?
    };
    let source_id = axvs_log::single_source(&entries, &args.input)?;
    let runs = axvs_log::timestamps::frame_times_by_run(&entries)?;
    let stem = args
        .input
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("log")
        .to_string();
    // Run n of a restarted source wrote video `<id>-n`, segment k of a run `<video>_k`; their times go to
    // files named to match.
    let output_of = |run: usize, segment: usize| -> PathBuf {
        let run_part = if run > 1 { format!("-{run}") } else { String::new() };
        let segment_part = if segment > 1 {
            format!("_{segment:03}")
        } else {
            String::new()
        };
        match &args.output {
            Some(output) if run == 1 && segment == 1 => output.clone(),
            Some(output) => {
                let out_stem = output.file_stem().and_then(|s| s.to_str()).unwrap_or("timestamps");
                let ext = output.extension().and_then(|e| e.to_str()).unwrap_or("csv");
                output.with_file_name(format!("{out_stem}{run_part}{segment_part}.{ext}"))
            }
            // Beside the log, or beside a sealed session's data/ (a file added there would break its seal).
            None => {
                let dir = args.input.parent().unwrap_or(Path::new(""));
                axvs_log::bag::sealed_bag_of(dir)
                    .unwrap_or(dir)
                    .join(format!("{stem}{run_part}{segment_part}_timestamps.csv"))
            }
        }
    };
    let first = output_of(1, 1);
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
    let videos_dir = args
        .videos
        .clone()
        .or_else(|| args.input.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    for (i, times) in runs.iter().enumerate() {
        let run = i + 1;
        let parts = segments(&videos_dir, source_id, run, times)?;
        let mut start = 0;
        for (k, (file, count)) in parts.iter().enumerate() {
            let output = output_of(run, k + 1);
            write(&times[start..start + count], &output)?;
            start += count;
            let what = match file {
                Some(file) => format!("{}: ", file.display()),
                None if runs.len() > 1 => format!("run {run}: "),
                None => String::new(),
            };
            outln!("{what}{count} frame times -> {}", output.display());
        }
    }
    Ok(())
}

/// How the `times` of run `run` split over its video's files: each file and its frame count; one part for
/// all when the video is one file (or not found). A split that does not add up (a crash: the log holds
/// frames the files do not) is refused with the way out.
fn segments(
    videos_dir: &Path,
    source_id: u8,
    run: usize,
    times: &[u64],
) -> Result<Vec<(Option<PathBuf>, usize)>, CliError> {
    let files = axvs_encode::run_files(videos_dir, source_id, run);
    if files.len() < 2 {
        return Ok(vec![(None, times.len())]);
    }
    let mut parts = Vec::with_capacity(files.len());
    for file in files {
        let frames = axvs_encode::video_frame_times(&file)
            .map_err(|e| CliError::Recording(e.to_string()))?
            .times_us
            .len();
        parts.push((Some(file), frames));
    }
    let in_files: usize = parts.iter().map(|p| p.1).sum();
    if in_files != times.len() {
        return Err(CliError::Recording(format!(
            "run {run}: the log holds {} frames but its {} video files {in_files}; run `axvs recover` on the \
             session first (after a crash), then use its archive",
            times.len(),
            parts.len()
        )));
    }
    Ok(parts)
}
