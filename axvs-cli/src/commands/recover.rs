//! `axvs recover`: after a crash, make each camera's archive hold exactly the frames its video holds.

use std::path::PathBuf;

use axvs_session::certificate::payload_dir;
use axvs_session::recovery::recover_session;
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

/// Runs the command.
pub fn run(args: RecoverArgs) -> Result<(), CliError> {
    // A session folder is read in its `data/`.
    let session = payload_dir(&args.session);
    let log_dir = args.log_dir.as_deref().map_or_else(|| session.clone(), payload_dir);
    let out_dir = args.out_dir.as_deref().unwrap_or(&log_dir);
    for recovered in recover_session(&session, &log_dir, out_dir)? {
        let Some(archive) = &recovered.archive else {
            outln!(
                "{}: {}; left as it is",
                recovered.log.display(),
                recovered.left.unwrap_or("nothing to do")
            );
            continue;
        };
        if let Some(aside) = &recovered.replaced {
            outln!(
                "{}: disagreed with its video; kept as {} and written again with exactly the video's frames",
                archive.display(),
                aside.display()
            );
        }
        if recovered.truncated_tail > 0 {
            outln!(
                "{}: the last {} bytes were an entry cut short; ignored",
                recovered.log.display(),
                recovered.truncated_tail
            );
        }
        for (files, run) in &recovered.runs {
            let video = match files.as_slice() {
                [] => "no video".into(),
                [one] => one.display().to_string(),
                [first, ..] => format!("{} and {} more files", first.display(), files.len() - 1),
            };
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
