//! One module per `axvs` subcommand.

pub mod check;
pub mod collect;
pub mod cti;
pub mod export;
pub mod genicam;
pub mod mcp;
pub mod plugins;
pub mod process;
pub mod recover;
pub mod run;
pub mod stats;
pub mod timestamps;
pub mod verify;

use std::path::Path;

use axvs_core::DiscoverOptions;

use axvs_session::backends::Backends;
use axvs_session::rig::RigError;

/// Why a command failed; printed as one line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The rig file is unusable.
    #[error(transparent)]
    Rig(#[from] RigError),
    /// A log or archive could not be read or written.
    #[error(transparent)]
    Log(#[from] axvs_log::LogFileError),
    /// A camera system failed.
    #[error(transparent)]
    System(#[from] axvs_core::SystemError),
    /// An argument is unusable.
    #[error("{0}")]
    Argument(String),
    /// Recording finished, but not cleanly.
    #[error("{0}")]
    Recording(String),
    /// A session could not start or be driven.
    #[error(transparent)]
    Session(#[from] axvs_session::session::SessionError),
    /// A processing batch could not be planned.
    #[error(transparent)]
    Process(#[from] axvs_log::process::ProcessError),
    /// A session could not be exported to NWB.
    #[error(transparent)]
    Nwb(#[from] axvs_nwb::NwbError),
    /// A crashed session could not be recovered.
    #[error(transparent)]
    Recover(#[from] axvs_session::recovery::RecoverError),
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
}

impl CliError {
    /// True when the user's input was at fault (exit code 2).
    pub fn is_bad_input(&self) -> bool {
        match self {
            CliError::Rig(_) | CliError::Argument(_) => true,
            CliError::Process(e) => e.is_bad_input(),
            CliError::Session(e) => e.is_bad_input(),
            CliError::Nwb(e) => e.is_bad_input(),
            CliError::Recover(e) => matches!(e, axvs_session::recovery::RecoverError::NoLogs(_)),
            _ => false,
        }
    }
}

/// `axvs export`.
pub fn export(log: &Path, out_dir: Option<&Path>) -> Result<(), CliError> {
    // Beside the log, or beside a sealed session's data/ (a file added there would break its seal).
    let dir = out_dir
        .map(Path::to_path_buf)
        .or_else(|| {
            log.parent()
                .map(|d| axvs_log::bag::sealed_bag_of(d).unwrap_or(d).to_path_buf())
        })
        .unwrap_or_default();
    std::fs::create_dir_all(&dir).map_err(|source| CliError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    // A session's log that was never reconciled with its video is not exported: its archive would name
    // frames the video does not hold, and readers trust archives (`axvs recover` writes the right one).
    axvs_log::truth::file_to_read(log)?;
    let archive = axvs_log::npz::export_log(log, &dir)?;
    outln!("{}", archive.display());
    // The archive is the original's format, one per camera; a video split into segments gets each file's
    // frames named here (their places among the archive's frames, in order).
    let entries = axvs_log::npz::read_archive(&archive)?;
    let source_id = axvs_log::single_source(&entries, &archive)?;
    let videos = log.parent().unwrap_or(Path::new("."));
    let runs = axvs_log::timestamps::frame_times_by_run(&entries)?;
    let mut first = 0;
    for (i, times) in runs.iter().enumerate() {
        let files = axvs_encode::run_files(videos, source_id, i + 1);
        if files.len() > 1 {
            for file in files {
                let frames = axvs_encode::video_frame_times(&file)
                    .map_err(|e| CliError::Recording(e.to_string()))?
                    .times_us
                    .len();
                outln!(
                    "  {}: frames {first} to {}",
                    file.display(),
                    first + frames.saturating_sub(1)
                );
                first += frames;
            }
        } else {
            first += times.len();
        }
    }
    Ok(())
}

/// `axvs discover`: the cameras each backend (built in, or from a plugin) can open here; with `rig`, a rig
/// of them (discovery failures go to standard error, as comments would hide them).
pub fn discover(simulated: bool, rig: bool) -> Result<(), CliError> {
    let discoveries = Backends::builtin().discover_all(&DiscoverOptions { simulated });
    if rig {
        let mut found = Vec::new();
        for discovery in discoveries {
            match discovery.found {
                Ok(cameras) => found.extend(cameras),
                Err(e) => errln!("axvs: {}: discovery failed: {e}", discovery.backend),
            }
        }
        outln!("{}", axvs_session::quick::discovered_rig(&found).trim_end());
        return Ok(());
    }
    for discovery in discoveries {
        match discovery.found {
            Ok(found) if found.is_empty() => outln!("{}: no cameras found", discovery.backend),
            Ok(found) => found.iter().for_each(|cam| outln!("{cam}")),
            Err(e) => outln!("{}: discovery failed: {e}", discovery.backend),
        }
    }
    Ok(())
}
