//! What a run checks before it writes anything, and `axvs check` checks the same way: `check` is `run`
//! without recording, so a rig that checks clean starts, and a rig that `run` refuses, `check` refuses.

use std::path::{Path, PathBuf};

use axvs_core::FrameShape;

use super::{Notice, SessionError};
use crate::rig::{CameraSpec, Rig};

/// What one camera will deliver, as far as it is known: from the opened camera (`run`), or from its
/// settings (`check`; `None` when only the device can tell).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frames {
    /// Size and pixel format.
    pub shape: FrameShape,
    /// Frames per second, when known.
    pub fps: Option<f64>,
}

/// Checks, before any file is made:
/// - each camera's frames suit its encoder: the rules, then the encoder opened for real at that size and
///   rate, one frame encoded, nothing written;
/// - the queues fit in memory;
/// - the output root and the log directory can be made and written, and their disks hold more than
///   `min_free_space`.
///
/// Cameras whose frames are unknown (`None`) are checked when opened.
pub fn preflight(rig: &Rig, frames: &[Option<Frames>], output_root: &Path) -> Result<(), SessionError> {
    let mut memory = Vec::with_capacity(frames.len());
    for (spec, frames) in rig.cameras.iter().zip(frames) {
        let Some(frames) = frames else { continue };
        check_encoder(spec, frames)?;
        memory.push(spec.memory(&frames.shape));
    }
    if let Some(available) = crate::memory::available_memory() {
        crate::memory::check_memory(&memory, available).map_err(SessionError::Invalid)?;
    }
    let mut dirs = vec![("output_dir", output_root.to_path_buf())];
    dirs.extend(rig.log_dir.clone().map(|d| ("log_dir", d)));
    for (what, dir) in &dirs {
        check_writable(what, dir)?;
    }
    let disks: Vec<PathBuf> = dirs.into_iter().map(|(_, d)| d).collect();
    crate::space::check_space(&disks, rig.min_free_space).map_err(SessionError::LowSpace)
}

/// The rate a camera is shown at: the rate asked for, capped at the camera's own (with a notice when a
/// camera's rig entry asked for more).
pub fn display_rate(
    spec: &CameraSpec,
    asked: Option<f64>,
    camera_fps: f64,
    from_rig: bool,
) -> (Option<f64>, Option<Notice>) {
    match asked {
        Some(rate) if camera_fps > 0.0 && rate > camera_fps + 1e-6 => {
            let notice = from_rig.then(|| Notice::DisplayCapped {
                id: spec.id,
                name: spec.name.clone(),
                asked: rate,
                fps: camera_fps,
            });
            (Some(camera_fps), notice)
        }
        other => (other, None),
    }
}

fn check_encoder(spec: &CameraSpec, frames: &Frames) -> Result<(), SessionError> {
    let refused = |e: axvs_encode::EncodeError| {
        SessionError::Invalid(format!(
            "camera {} '{}': {e} (camera defined at {})",
            spec.id, spec.name, spec.location
        ))
    };
    axvs_encode::check_frames(&spec.encoder, &frames.shape).map_err(refused)?;
    let fps = frames.fps.filter(|f| f.is_finite() && *f > 0.0).unwrap_or(30.0);
    axvs_encode::try_encoder_for(&spec.encoder, frames.shape.width, frames.shape.height, fps).map_err(refused)
}

/// Whether files can be made under `dir`: the nearest part of it that exists must be a directory this
/// process can create in (tried for real, with a folder made and removed at once).
fn check_writable(what: &str, dir: &Path) -> Result<(), SessionError> {
    let Some(existing) = dir.ancestors().find(|p| p.exists()) else {
        return Ok(());
    };
    let refused = |why: String| SessionError::Invalid(format!("{what} {}: {why}", dir.display()));
    if !existing.is_dir() {
        return Err(refused(if existing == dir {
            "not a directory".into()
        } else {
            format!("{} is not a directory", existing.display())
        }));
    }
    let probe = tempfile::Builder::new()
        .prefix(".axvs-check-")
        .tempdir_in(existing)
        .map_err(|e| refused(format!("cannot create files in {}: {e}", existing.display())))?;
    probe
        .close()
        .map_err(|e| refused(format!("cannot remove a folder made in {}: {e}", existing.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_that_cannot_hold_files_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").expect("write");
        assert!(check_writable("output_dir", dir.path()).is_ok());
        assert!(check_writable("output_dir", &dir.path().join("new/deeper")).is_ok());
        assert!(!dir.path().join("new").exists(), "nothing is left behind");
        let names = std::fs::read_dir(dir.path()).expect("read").count();
        assert_eq!(names, 1, "the probe folder is gone");
        for (bad, says) in [
            (file.clone(), "not a directory"),
            (file.join("sub"), "is not a directory"),
            (PathBuf::from("/dev/null"), "not a directory"),
            (PathBuf::from("/proc/axvs"), "cannot create files in /proc"),
        ] {
            let err = check_writable("log_dir", &bad).expect_err(&bad.display().to_string());
            assert!(
                err.to_string().starts_with("log_dir ") && err.to_string().contains(says),
                "{err}"
            );
        }
    }
}
