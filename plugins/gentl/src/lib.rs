//! `gentl`: an axvs camera plugin that reaches cameras through a GenTL producer (`.cti`), the transport
//! layer every machine-vision vendor ships.

mod ffi;
mod producer;

pub use producer::{DeviceEntry, Producer, ProducerError, ProducerInfo};
