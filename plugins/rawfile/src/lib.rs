//! `rawfile`: an axvs camera plugin that plays a raw video file (frames of one size and pixel format,
//! back to back, no header) at a given rate, like a camera. It is also an example for camera plugins,
//! larger than the one `plugins/README.md` builds (its own tests use the harness, `tests/harness.rs`).
//!
//! ```toml
//! [[camera]]
//! id = 3
//! name = "replay"
//! backend = "rawfile"
//! path = "clip_640x480_mono8.raw"  # the size and format can come from the name...
//! # width = 640                    # ...or be given
//! # height = 480
//! # pixel_format = "mono8"
//! fps = 30                         # default 30
//! loop = false                     # start over at the end instead of ending the stream
//! paced = true                     # deliver at fps, like a camera (false: as fast as asked)
//! ```

mod backend;
mod camera;

pub use backend::{geometry_from_name, RawFileBackend, RawFileConfig};
pub use camera::RawFileCamera;

axvs_plugin::export_plugin! {
    name: "rawfile",
    version: env!("CARGO_PKG_VERSION"),
    backends: [RawFileBackend],
}
