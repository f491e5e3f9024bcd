//! `axvs recover`: after a crash, make each camera's archive hold exactly the frames its video holds.

use std::path::{Path, PathBuf};

use axvs_log::reconcile::{reconcile, RunReconciliation, VideoFrames};
use clap::Args;

use super::CliError;

/// Arguments of `axvs recover`.
#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// The session directory of a recording that did not finish (killed, crashed, power lost).
    session: PathBuf,
    /// Where its logs are, when the rig put them elsewhere (`log_dir`); default: the session directory.
    #[arg(long)]
    log_dir: Option<PathBuf>,
    /// Where to write the archives (when the log's disk is full); default: beside the logs.
    #[arg(long)]
    out_dir: Option<PathBuf>,
}

/// What recovering one camera's log did.
#[derive(Debug)]
pub struct Recovered {
    /// The raw log.
    pub log: PathBuf,
    /// The archive written, or `None` when the log already had one (its run finished).
    pub archive: Option<PathBuf>,
    /// Each run's video and what reconciling it found.
    pub runs: Vec<(Option<PathBuf>, RunReconciliation)>,
    /// Bytes of an entry cut short at the end of the log.
    pub truncated_tail: usize,
}

/// Runs the command.
pub fn run(args: RecoverArgs) -> Result<(), CliError> {
    let log_dir = args.log_dir.as_deref().unwrap_or(&args.session);
    let out_dir = args.out_dir.as_deref().unwrap_or(log_dir);
    for recovered in recover_session(&args.session, log_dir, out_dir)? {
        let Some(archive) = &recovered.archive else {
            outln!(
                "{}: already has its archive (the run finished); left as it is",
                recovered.log.display()
            );
            continue;
        };
        if recovered.truncated_tail > 0 {
            outln!(
                "{}: the last {} bytes were an entry cut short; ignored",
                recovered.log.display(),
                recovered.truncated_tail
            );
        }
        for (video, run) in &recovered.runs {
            let video = video.as_ref().map_or("no video".into(), |v| v.display().to_string());
            outln!(
                "{} run {}: {} frames logged, {} in {video}: {} lost in the crash, {} restored from the video",
                recovered.log.display(),
                run.run,
                run.logged,
                run.in_video,
                run.lost(),
                run.restored()
            );
        }
        outln!("{}", archive.display());
    }
    Ok(())
}

/// Reconciles every raw log in `log_dir` with its videos in `session` and writes each archive
/// (`<id>_log.npz`, in `out_dir`) with exactly the frames the videos hold. Logs that already have their
/// archive are left as they are; nothing is overwritten.
pub fn recover_session(session: &Path, log_dir: &Path, out_dir: &Path) -> Result<Vec<Recovered>, CliError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| CliError::Io { path, source }
    };
    let mut logs: Vec<PathBuf> = std::fs::read_dir(log_dir)
        .map_err(io(log_dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == axvs_log::file::EXTENSION))
        .collect();
    logs.sort();
    if logs.is_empty() {
        return Err(CliError::Argument(format!(
            "{}: no timestamp logs (.{}) here; give the log directory with --log-dir",
            log_dir.display(),
            axvs_log::file::EXTENSION
        )));
    }
    std::fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    logs.into_iter()
        .map(|log| recover_log(session, &log, out_dir))
        .collect()
}

/// Reconciles one raw log with its videos in `session` and writes its archive into `out_dir`, unless the
/// archive exists.
pub fn recover_log(session: &Path, log: &Path, out_dir: &Path) -> Result<Recovered, CliError> {
    let contents = axvs_log::read_log(log)?;
    let source_id = axvs_log::single_source(&contents.entries, log)?;
    let archive = out_dir.join(axvs_log::npz::archive_name(source_id));
    if archive.exists() {
        return Ok(Recovered {
            log: log.to_path_buf(),
            archive: None,
            runs: Vec::new(),
            truncated_tail: contents.truncated_tail,
        });
    }
    let mut videos = Vec::new();
    let reconciled = reconcile(&contents.entries, log, |run, _| -> Result<_, CliError> {
        let video = run_video(session, source_id, run);
        let frames = video
            .as_deref()
            .map(|path| {
                axvs_encode::video_frame_times(path)
                    .map(|f| VideoFrames {
                        times_us: f.times_us,
                        resolution_us: f.resolution_us,
                    })
                    .map_err(|e| CliError::Recording(e.to_string()))
            })
            .transpose()?;
        videos.push(video);
        Ok(frames)
    })?;
    axvs_log::npz::write_archive(&reconciled.entries, &archive)?;
    Ok(Recovered {
        log: log.to_path_buf(),
        archive: Some(archive),
        runs: videos.into_iter().zip(reconciled.runs).collect(),
        truncated_tail: contents.truncated_tail,
    })
}

/// The video run `run` of source `id` wrote: `<id:03d>.<ext>` for the first, `<id:03d>-<run>.<ext>` after.
fn run_video(session: &Path, id: u8, run: usize) -> Option<PathBuf> {
    let stem = match run {
        1 => format!("{id:03}"),
        n => format!("{id:03}-{n}"),
    };
    axvs_encode::Container::ALL
        .iter()
        .map(|c| session.join(format!("{stem}.{}", c.extension())))
        .find(|p| p.exists())
}
