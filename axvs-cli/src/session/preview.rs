//! The live preview windows of a session (OpenCV's highgui), fed from each camera's mailbox.

use std::sync::Arc;

use axvs_core::{CameraInfo, FrameMailbox};

use crate::rig::CameraSpec;

/// The open preview windows.
#[cfg(feature = "opencv")]
pub(super) type PreviewHandle = axvs_camera_opencv::PreviewHandle;

/// One preview window per camera that asks for one.
#[cfg(feature = "opencv")]
pub(super) fn spawn(cameras: Vec<(&CameraSpec, Arc<FrameMailbox>, CameraInfo)>) -> Result<PreviewHandle, String> {
    let specs = cameras
        .into_iter()
        .map(|(spec, mailbox, info)| axvs_camera_opencv::PreviewSpec {
            title: format!("axvs {:03} {}", spec.id, spec.name),
            mailbox,
            width: info.width,
            height: info.height,
            pixel_format: info.pixel_format,
        })
        .collect();
    axvs_camera_opencv::spawn_previews(specs).map_err(|e| e.to_string())
}

/// Without OpenCV there is no preview window.
#[cfg(not(feature = "opencv"))]
pub(super) fn spawn(_: Vec<(&CameraSpec, Arc<FrameMailbox>, CameraInfo)>) -> Result<PreviewHandle, String> {
    Err("this axvs was built without the opencv feature, which draws the preview".into())
}

/// Stands for the preview handle when there is none.
#[cfg(not(feature = "opencv"))]
pub(super) struct PreviewHandle;

#[cfg(not(feature = "opencv"))]
impl PreviewHandle {
    pub(super) fn close(&mut self) {}
}
