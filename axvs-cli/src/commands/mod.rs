//! One module per `axvs` subcommand.

pub mod bench;
pub mod cti;
pub mod genicam;
pub mod plugins;
pub mod recover;
pub mod run;
pub mod timestamps;

use std::path::Path;

use axvs_core::DiscoverOptions;

use crate::backends::Backends;
use crate::rig::{Rig, RigError};

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
        matches!(self, CliError::Rig(_) | CliError::Argument(_))
    }
}

/// `axvs export`.
pub fn export(log: &Path, out_dir: Option<&Path>) -> Result<(), CliError> {
    let dir = out_dir
        .map(Path::to_path_buf)
        .or_else(|| log.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    std::fs::create_dir_all(&dir).map_err(|source| CliError::Io {
        path: dir.display().to_string(),
        source,
    })?;
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
        let files = recover::run_videos(videos, source_id, i + 1);
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

/// `axvs check`.
pub fn check(path: &Path) -> Result<(), CliError> {
    let rig = Rig::load(path, &mut Backends::builtin())?;
    outln!(
        "{}: {} camera(s), output under {}",
        rig.source,
        rig.cameras.len(),
        rig.output_dir.display()
    );
    let declared: Vec<_> = rig
        .cameras
        .iter()
        .filter_map(|cam| cam.camera.declared_shape().map(|shape| cam.memory(&shape)))
        .collect();
    if let Some(available) = crate::memory::available_memory() {
        crate::memory::check_memory(&declared, available).map_err(CliError::Argument)?;
    }
    for cam in &rig.cameras {
        let e = &cam.encoder;
        outln!(
            "  {:03} {:<16} {} -> {} preset {} qp {} {} {} (queue {})",
            cam.id,
            cam.name,
            cam.camera.summary(),
            e.encoder_name().unwrap_or("?"),
            e.preset.get(),
            e.qp.get(),
            e.pixel_format,
            e.container().extension(),
            cam.queue_depth
        );
    }
    Ok(())
}

/// `axvs discover`: the cameras each backend (built in, or from a plugin) can open here.
pub fn discover(simulated: bool) -> Result<(), CliError> {
    let mut backends = Backends::builtin();
    backends.load_plugins(&[]);
    let options = DiscoverOptions { simulated };
    for backend in backends.registry().iter() {
        match backend.discover(&options) {
            Ok(found) if found.is_empty() => outln!("{}: no cameras found", backend.name()),
            Ok(found) => found.iter().for_each(|cam| outln!("{cam}")),
            Err(e) => outln!("{}: discovery failed: {e}", backend.name()),
        }
    }
    Ok(())
}
