//! What axvs' GenICam backends (Aravis in `axvs-camera-genicam`, GenTL producers in the `gentl` plugin)
//! share, without an SDK: the pixel formats ([`GenicamPixelFormat`]), how a rig names a device
//! ([`DeviceSelector`]), triggers ([`Trigger`]), the rig settings ([`GenicamSettings`]) and node maps with
//! the original's YAML configuration file ([`nodes`]).

mod format;
pub mod nodes;
mod selector;
mod settings;
mod trigger;

pub use format::GenicamPixelFormat;
pub use selector::DeviceSelector;
pub use settings::{GenicamSettings, DEFAULT_STREAM_BUFFERS};
pub use trigger::{Trigger, DEFAULT_TRIGGER_ACTIVATION};
