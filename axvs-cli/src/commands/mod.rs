//! One module per `axvs` subcommand.

pub mod bench;
pub mod genicam;
pub mod run;
pub mod timestamps;

use std::path::Path;

use crate::rig::{CameraSource, Rig, RigError};

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
    let archive = axvs_log::npz::export_log(log, &dir)?;
    println!("{}", archive.display());
    Ok(())
}

/// `axvs check`.
pub fn check(path: &Path) -> Result<(), CliError> {
    let rig = Rig::load(path)?;
    println!(
        "{}: {} camera(s), output under {}",
        rig.source,
        rig.cameras.len(),
        rig.output_dir.display()
    );
    for cam in &rig.cameras {
        let source = match &cam.camera {
            CameraSource::Synthetic(s) => {
                format!("synthetic {}x{} {} fps {}", s.width, s.height, s.fps, s.pixel_format)
            }
            CameraSource::OpenCv(o) => format!("opencv {} {}", o.source, o.pixel_format),
            CameraSource::Genicam(g) => format!("genicam {}", g.selector),
        };
        let e = &cam.encoder;
        println!(
            "  {:03} {:<16} {source} -> {} preset {} qp {} {} {} (queue {})",
            cam.id,
            cam.name,
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

/// `axvs discover`: the cameras each backend can open here.
pub fn discover(fake: bool) -> Result<(), CliError> {
    let genicam = axvs_camera_genicam::discover(fake);
    if genicam.is_empty() {
        println!("GenICam: no devices found");
    }
    for (i, d) in genicam.iter().enumerate() {
        println!(
            "GenICam #{i}: {} {} serial {} ({} {}) id '{}'",
            d.vendor, d.model, d.serial, d.protocol, d.address, d.id
        );
    }
    let opencv = axvs_camera_opencv::discover(64, 5);
    if opencv.is_empty() {
        println!("OpenCV: no cameras found (models and serial numbers are not available through OpenCV)");
    }
    for cam in opencv {
        println!("OpenCV #{}: {}x{} @ {} fps", cam.index, cam.width, cam.height, cam.fps);
    }
    Ok(())
}
