//! The `opencv` camera plugin: exports the OpenCV backend ([`axvs_camera_opencv::OpenCvBackend`]), which
//! `axvs` registers by name and loads from here when first used.

axvs_plugin::export_plugin! {
    name: "opencv",
    version: env!("CARGO_PKG_VERSION"),
    backends: [axvs_camera_opencv::OpenCvBackend],
}
