//! The GenICam camera backend of axvs, through Aravis (Debian's libaravis 0.8): GigE Vision and USB3 Vision
//! cameras, and Aravis' own simulators.
//!
//! - [`discover`]: every device with id, vendor, model, serial number, protocol and address.
//! - [`GenicamCamera`]: an [`axvs_core::Camera`] opened by serial, model, device id or index, configured
//!   from typed settings in a safe order, streaming into a ring of Aravis buffers that are copied once into
//!   the frame pool. Block-id gaps and incomplete buffers are reported as camera-side losses.
//!
//! ```no_run
//! use axvs_camera_genicam::{discover, GenicamCamera, GenicamConfig, Selector};
//! use axvs_core::Camera;
//!
//! for device in discover(false) {
//!     println!("{} {} {} ({})", device.vendor, device.model, device.serial, device.address);
//! }
//! let mut camera = GenicamCamera::new(GenicamConfig::new(Selector::Index(0)));
//! let info = camera.open()?;
//! println!("{}x{} at {} fps", info.width, info.height, info.fps);
//! # Ok::<(), axvs_core::CameraError>(())
//! ```

mod backend;
mod block_ids;
mod camera;
mod discovery;
mod nodes;

pub use axvs_genicam::GenicamPixelFormat;
pub use backend::GenicamBackend;
pub use camera::{GenicamCamera, GenicamConfig, Selector, Trigger, DEFAULT_BUFFERS};
pub use discovery::{aravis_version, discover, interfaces, DeviceInfo};
pub use nodes::{GenicamConfiguration, LoadReport, NodeAccess, NodeError, NodeMap, NodeValue, DEFAULT_BLACKLIST};
