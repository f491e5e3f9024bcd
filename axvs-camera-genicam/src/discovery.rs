//! Listing the GenICam devices Aravis can see.

use std::ffi::{c_char, CStr};

/// One device found by [`discover`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Aravis device id (opens it).
    pub id: String,
    /// Vendor.
    pub vendor: String,
    /// Model.
    pub model: String,
    /// Serial number.
    pub serial: String,
    /// `GigEVision`, `USB3Vision` or `Fake`.
    pub protocol: String,
    /// Network address or USB bus position.
    pub address: String,
}

fn text(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: Aravis returns NUL-terminated strings it owns, valid until the next device-list update.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// Updates Aravis' device list and returns every device. `fake` also enables Aravis' built-in `Fake`
/// interface (a simulated camera that needs no network).
pub fn discover(fake: bool) -> Vec<DeviceInfo> {
    if fake {
        // SAFETY: a static NUL-terminated interface name.
        unsafe { aravis_sys::arv_enable_interface(c"Fake".as_ptr()) };
    }
    // SAFETY: Aravis' device list is process-global; axvs only touches it from here, and every index is
    // read below the count returned for this update.
    unsafe {
        aravis_sys::arv_update_device_list();
        (0..aravis_sys::arv_get_n_devices())
            .map(|i| DeviceInfo {
                id: text(aravis_sys::arv_get_device_id(i)),
                vendor: text(aravis_sys::arv_get_device_vendor(i)),
                model: text(aravis_sys::arv_get_device_model(i)),
                serial: text(aravis_sys::arv_get_device_serial_nbr(i)),
                protocol: text(aravis_sys::arv_get_device_protocol(i)),
                address: text(aravis_sys::arv_get_device_address(i)),
            })
            .collect()
    }
}

// Aravis' run-time version (since 0.8.0); aravis-sys does not bind it, the library it links exports it.
extern "C" {
    fn arv_get_major_version() -> u32;
    fn arv_get_minor_version() -> u32;
    fn arv_get_micro_version() -> u32;
}

/// The version of the Aravis library axvs runs with (`0.8.22`).
pub fn aravis_version() -> String {
    // SAFETY: the three functions take nothing and return constants of the loaded library.
    unsafe {
        format!(
            "{}.{}.{}",
            arv_get_major_version(),
            arv_get_minor_version(),
            arv_get_micro_version()
        )
    }
}

/// The transport interfaces this Aravis offers (`GigEVision`, `USB3Vision`, `Fake`...).
pub fn interfaces() -> Vec<String> {
    // SAFETY: Aravis' interface list is static; every index is read below the count it returns.
    unsafe {
        (0..aravis_sys::arv_get_n_interfaces())
            .map(|i| text(aravis_sys::arv_get_interface_id(i)))
            .collect()
    }
}
