//! One opened device of a producer, with its node map: what a camera streams from, and what
//! `axvs genicam` reads, writes, dumps and loads ([`NodeAccess`], shared with the Aravis backend).

use std::ffi::CString;
use std::path::Path;
use std::sync::Arc;

use axvs_genicam::nodes::{NodeAccess, NodeError, MAX_SELECTOR_COMBINATIONS};
use axvs_genicam::DeviceSelector;

use crate::ffi::{self, Handle};
use crate::nodes::Kind;
use crate::{DeviceEntry, NodeMap, Producer};

/// `DEVICE_ACCESS_EXCLUSIVE` and `DEVICE_ACCESS_CONTROL`.
const ACCESS_EXCLUSIVE: i32 = 4;
const ACCESS_CONTROL: i32 = 3;

/// An open device of a producer. Closed when dropped.
pub struct GentlDevice {
    pub(crate) producer: Arc<Producer>,
    pub(crate) entry: DeviceEntry,
    pub(crate) handle: Handle,
    pub(crate) nodes: NodeMap,
}

// SAFETY: the handle is an opaque value owned by this device; GenTL producers are thread-safe by the
// standard.
unsafe impl Send for GentlDevice {}

impl GentlDevice {
    /// Opens the device `selector` names among `cti`'s (exclusively, or for control when another
    /// process reads it), and reads its node map. The error is one line.
    pub fn open(cti: &Path, selector: &DeviceSelector) -> Result<GentlDevice, String> {
        let producer = Producer::load(cti).map_err(|e| e.to_string())?;
        let devices = producer.devices().map_err(|e| e.to_string())?;
        let entry = match selector {
            DeviceSelector::Serial(s) => devices.iter().find(|d| &d.serial == s),
            DeviceSelector::Model(m) => devices.iter().find(|d| &d.model == m),
            DeviceSelector::DeviceId(id) => devices.iter().find(|d| &d.id == id),
            DeviceSelector::Index(i) => devices.get(*i as usize),
        }
        .cloned()
        .ok_or_else(|| {
            let ids: Vec<&str> = devices.iter().map(|d| d.id.as_str()).collect();
            format!(
                "no device with {selector} (the producer has: {})",
                if ids.is_empty() { "none".into() } else { ids.join(", ") }
            )
        })?;
        let f = producer.fns;
        let interface = producer.interface(&entry.interface).map_err(|e| e.to_string())?;
        let c_id = CString::new(entry.id.clone()).map_err(|_| "the device id holds a NUL byte".to_string())?;
        let mut handle: Handle = std::ptr::null_mut();
        // SAFETY: the interface is open, `c_id` NUL-terminated, `handle` a valid out-pointer.
        let mut code = unsafe { (f.IFOpenDevice)(interface, c_id.as_ptr(), ACCESS_EXCLUSIVE, &mut handle) };
        if code != ffi::GC_ERR_SUCCESS {
            // SAFETY: as above.
            code = unsafe { (f.IFOpenDevice)(interface, c_id.as_ptr(), ACCESS_CONTROL, &mut handle) };
        }
        producer.check("IFOpenDevice", code).map_err(|e| e.to_string())?;
        let close = || {
            // SAFETY: the device was opened above and is not used after this.
            unsafe { (f.DevClose)(handle) };
        };
        let mut port: Handle = std::ptr::null_mut();
        // SAFETY: the device is open.
        if let Err(e) = producer.check("DevGetPort", unsafe { (f.DevGetPort)(handle, &mut port) }) {
            close();
            return Err(e.to_string());
        }
        let nodes = NodeMap::load(f, port)
            .inspect_err(|_| close())
            .map_err(|e| e.to_string())?;
        Ok(GentlDevice {
            producer,
            entry,
            handle,
            nodes,
        })
    }

    /// What the producer says of the device.
    pub fn entry(&self) -> &DeviceEntry {
        &self.entry
    }
}

impl Drop for GentlDevice {
    fn drop(&mut self) {
        // SAFETY: the device was opened by `open` and is not used after this.
        unsafe { (self.producer.fns.DevClose)(self.handle) };
    }
}

fn access(name: &str, reason: impl std::fmt::Display) -> NodeError {
    NodeError::Access {
        name: name.to_string(),
        reason: reason.to_string(),
    }
}

impl NodeAccess for GentlDevice {
    fn model(&self) -> &str {
        &self.entry.model
    }

    fn serial(&self) -> &str {
        &self.entry.serial
    }

    fn has(&self, name: &str) -> bool {
        self.nodes.has(name)
    }

    fn is_writable(&mut self, name: &str) -> bool {
        self.nodes.is_writable(name)
    }

    fn category(&mut self, name: &str) -> Option<Vec<String>> {
        self.nodes.category(name)
    }

    fn is_read_write(&mut self, name: &str) -> bool {
        self.nodes.kind(name).is_some() && self.nodes.is_writable(name)
    }

    fn read(&mut self, name: &str) -> Result<String, NodeError> {
        if !self.nodes.has(name) {
            return Err(NodeError::Missing(name.to_string()));
        }
        self.nodes.read_text(name).map_err(|e| access(name, e))
    }

    fn write(&mut self, name: &str, value: &str) -> Result<String, NodeError> {
        if !self.nodes.has(name) {
            return Err(NodeError::Missing(name.to_string()));
        }
        if !self.nodes.is_writable(name) {
            return Err(access(name, "not writable now"));
        }
        self.nodes.write_text(name, value).map_err(|e| NodeError::Write {
            name: name.to_string(),
            value: value.to_string(),
            reason: e.to_string(),
        })?;
        self.read(name)
    }

    fn describe(&mut self, name: &str) -> Result<String, NodeError> {
        let kind = self
            .nodes
            .kind(name)
            .ok_or_else(|| NodeError::Missing(name.to_string()))?;
        let value = self.read(name).unwrap_or_else(|e| format!("<unreadable: {e}>"));
        let access = if self.nodes.is_writable(name) { "RW" } else { "RO" };
        let mut out = format!("Node: {name}\nType: {kind:?}\nValue: {value}\nAccess: {access}\n");
        if kind == Kind::Enumeration {
            out.push_str(&format!("Entries: {}\n", self.nodes.entries(name).join(", ")));
        }
        Ok(out)
    }

    fn selectors(&mut self, names: &[String]) -> Vec<(String, Vec<String>, Vec<String>)> {
        names
            .iter()
            .filter_map(|name| {
                let targets = self.nodes.selected(name);
                if targets.is_empty() {
                    return None;
                }
                let entries = self
                    .nodes
                    .entries(name)
                    .into_iter()
                    .take(MAX_SELECTOR_COMBINATIONS)
                    .collect();
                Some((name.clone(), entries, targets))
            })
            .collect()
    }

    // stop_acquisition stays the default no-op: the device is open exclusively here, so nothing streams
    // from it unless this process started it (and a camera stops its own stream before it is dropped).
}
