//! The GenTL consumer of axvs: cameras through a GenTL producer (`.cti`), the transport layer every
//! machine-vision vendor ships. The `gentl` backend is loaded as a plugin (`plugins/gentl/plugin`, which
//! exports [`GentlBackend`]); this library is also what `axvs cti` and `axvs genicam --gentl` use.

mod backend;
mod camera;
pub mod cti;
mod device;
mod ffi;
mod nodes;
mod producer;

pub use axvs_genicam::DeviceSelector;
pub use backend::GentlBackend;
pub use camera::{GentlCamera, GentlConfig};
pub use device::GentlDevice;
pub use nodes::{GenApiError, Kind, NodeMap};
pub use producer::{DeviceEntry, Producer, ProducerError, ProducerInfo};
