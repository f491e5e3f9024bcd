//! `gentl`: an axvs camera plugin that reaches cameras through a GenTL producer (`.cti`), the transport
//! layer every machine-vision vendor ships.

mod backend;
mod camera;
pub mod cti;
mod device;
mod ffi;
mod nodes;
mod producer;

pub use axvs_core::DeviceSelector;
pub use backend::GentlBackend;
pub use camera::{GentlCamera, GentlConfig};
pub use device::GentlDevice;
pub use nodes::{GenApiError, Kind, NodeMap};
pub use producer::{DeviceEntry, Producer, ProducerError, ProducerInfo};

axvs_plugin::export_plugin! {
    name: "gentl",
    version: env!("CARGO_PKG_VERSION"),
    backends: [GentlBackend],
}
