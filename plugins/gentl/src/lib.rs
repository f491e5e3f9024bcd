//! `gentl`: an axvs camera plugin that reaches cameras through a GenTL producer (`.cti`), the transport
//! layer every machine-vision vendor ships.

mod camera;
mod ffi;
mod nodes;
mod producer;

pub use camera::{DeviceSelector, GentlCamera, GentlConfig};
pub use nodes::{NodeError, NodeMap};
pub use producer::{DeviceEntry, Producer, ProducerError, ProducerInfo};
