//! A GenTL producer (`.cti`): loaded once per process, checked to be one, opened, and asked for its
//! interfaces and devices.

use std::collections::HashMap;
use std::ffi::{c_char, c_void, CString};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::ffi::{self, Functions, GcError, Handle};

/// How long the producer may take to update its interface or device list, in ms.
const UPDATE_TIMEOUT_MS: u64 = 1000;

/// Why a producer cannot be used; one line, naming the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProducerError {
    /// No file there.
    #[error("GenTL producer {path}: no such file", path = .0.display())]
    Missing(PathBuf),
    /// A folder, not a file.
    #[error("GenTL producer {path}: is a folder, not a .cti file", path = .0.display())]
    Folder(PathBuf),
    /// The dynamic loader refused it, or it is cut short.
    #[error("GenTL producer {path}: cannot be loaded: {reason}", path = .path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A shared library without the GenTL functions.
    #[error("{path}: not a GenTL producer (it has no {missing} function)", path = .path.display())]
    NotAProducer {
        /// The file.
        path: PathBuf,
        /// The first GenTL function it lacks.
        missing: &'static str,
    },
    /// A GenTL call failed.
    #[error("GenTL producer {path}: {call} failed: {code_name} ({code}){detail}", path = .path.display())]
    Call {
        /// The file.
        path: PathBuf,
        /// The function.
        call: &'static str,
        /// Its `GC_ERROR`.
        code: GcError,
        /// The error's name.
        code_name: &'static str,
        /// The producer's own message, `: …`, when it gave one.
        detail: String,
    },
}

/// What a producer says of itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerInfo {
    /// Vendor.
    pub vendor: String,
    /// Model.
    pub model: String,
    /// Version.
    pub version: String,
    /// Transport technology (`GEV`, `U3V`, `CXP`, `Custom`, ...).
    pub tl_type: String,
}

/// One device a producer offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEntry {
    /// The interface it is on.
    pub interface: String,
    /// Its id (opens it).
    pub id: String,
    /// Vendor.
    pub vendor: String,
    /// Model.
    pub model: String,
    /// Serial number (empty when the producer does not say).
    pub serial: String,
    /// Transport technology.
    pub tl_type: String,
    /// Whether it can be opened now.
    pub access: &'static str,
}

/// A loaded and opened producer. Producers stay loaded until the process ends (the standard allows one
/// `GCInitLib` per process).
pub struct Producer {
    path: PathBuf,
    pub(crate) fns: Functions,
    system: Handle,
    /// Interfaces opened so far, by id.
    interfaces: Mutex<HashMap<String, usize>>,
    _library: libloading::Library,
}

// SAFETY: GenTL producers are thread-safe by the standard (GenTL 1.6, 6.1: "all functions must be
// thread safe"); the handles are opaque values.
unsafe impl Send for Producer {}
// SAFETY: as above.
unsafe impl Sync for Producer {}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer").field("path", &self.path).finish()
    }
}

/// Producers loaded in this process, by canonical path.
fn loaded() -> &'static Mutex<HashMap<PathBuf, Arc<Producer>>> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, Arc<Producer>>>> = OnceLock::new();
    LOADED.get_or_init(Default::default)
}

/// Reads a GenTL string or buffer through the usual two calls (size, then data).
fn read_string(mut call: impl FnMut(*mut c_void, *mut usize) -> GcError) -> Result<String, GcError> {
    let mut size = 0usize;
    let code = call(std::ptr::null_mut(), &mut size);
    if code != ffi::GC_ERR_SUCCESS {
        return Err(code);
    }
    let mut buf = vec![0u8; size.max(1)];
    let code = call(buf.as_mut_ptr().cast(), &mut size);
    if code != ffi::GC_ERR_SUCCESS {
        return Err(code);
    }
    buf.truncate(size.min(buf.len()));
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Ok(String::from_utf8_lossy(&buf[..end]).into_owned())
}

impl Producer {
    /// Loads and opens the producer in `path` (once per process; later calls return the same).
    pub fn load(path: &Path) -> Result<Arc<Producer>, ProducerError> {
        if !path.exists() {
            return Err(ProducerError::Missing(path.to_path_buf()));
        }
        if path.is_dir() {
            return Err(ProducerError::Folder(path.to_path_buf()));
        }
        let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let mut loaded = loaded().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(producer) = loaded.get(&canonical) {
            return Ok(Arc::clone(producer));
        }
        axvs_plugin::check_elf_extent(path).map_err(|e| ProducerError::Open {
            path: path.to_path_buf(),
            reason: e
                .to_string()
                .split_once(": ")
                .map_or(e.to_string(), |(_, r)| r.to_string()),
        })?;
        // SAFETY: loading runs the library's initialisers; a GenTL producer's are its vendor's business,
        // which is what the user asked to load.
        let library =
            unsafe { libloading::Library::new(axvs_plugin::loader_path(path)) }.map_err(|e| ProducerError::Open {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        // SAFETY: the names are GenTL's, with the signatures GenTL.h gives them.
        let fns = unsafe { Functions::resolve(&library) }.map_err(|missing| ProducerError::NotAProducer {
            path: path.to_path_buf(),
            missing,
        })?;
        let mut producer = Producer {
            path: path.to_path_buf(),
            fns,
            system: std::ptr::null_mut(),
            interfaces: Mutex::new(HashMap::new()),
            _library: library,
        };
        // SAFETY: GCInitLib takes no arguments; a second initialisation in this process reports
        // RESOURCE_IN_USE, which leaves the library usable.
        let code = unsafe { (producer.fns.GCInitLib)() };
        if code != ffi::GC_ERR_SUCCESS && code != ffi::GC_ERR_RESOURCE_IN_USE {
            return Err(producer.error("GCInitLib", code));
        }
        let mut system: Handle = std::ptr::null_mut();
        // SAFETY: `system` is a valid out-pointer.
        producer.check("TLOpen", unsafe { (producer.fns.TLOpen)(&mut system) })?;
        producer.system = system;
        let producer = Arc::new(producer);
        loaded.insert(canonical, Arc::clone(&producer));
        Ok(producer)
    }

    /// The file it was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A failed call, with the producer's own last message.
    pub(crate) fn error(&self, call: &'static str, code: GcError) -> ProducerError {
        let mut last: GcError = 0;
        // SAFETY: out-pointers are valid; read_string passes a buffer of the size asked for.
        let text = read_string(|buf, size| unsafe { (self.fns.GCGetLastError)(&mut last, buf.cast::<c_char>(), size) })
            .unwrap_or_default();
        ProducerError::Call {
            path: self.path.clone(),
            call,
            code,
            code_name: ffi::error_name(code),
            detail: if text.trim().is_empty() {
                String::new()
            } else {
                format!(": {}", text.trim())
            },
        }
    }

    /// `Ok` for success, the producer's error otherwise.
    pub(crate) fn check(&self, call: &'static str, code: GcError) -> Result<(), ProducerError> {
        if code == ffi::GC_ERR_SUCCESS {
            Ok(())
        } else {
            Err(self.error(call, code))
        }
    }

    /// Vendor, model, version and transport of the producer.
    pub fn info(&self) -> ProducerInfo {
        let get = |cmd: i32| {
            let mut kind = 0i32;
            // SAFETY: the system handle is open; read_string passes a buffer of the size asked for.
            read_string(|buf, size| unsafe { (self.fns.TLGetInfo)(self.system, cmd, &mut kind, buf, size) })
                .unwrap_or_default()
        };
        ProducerInfo {
            vendor: get(ffi::TL_INFO_VENDOR),
            model: get(ffi::TL_INFO_MODEL),
            version: get(ffi::TL_INFO_VERSION),
            tl_type: get(ffi::TL_INFO_TLTYPE),
        }
    }

    /// The handle of interface `id`, opened on first use.
    pub(crate) fn interface(&self, id: &str) -> Result<Handle, ProducerError> {
        let mut open = self.interfaces.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(handle) = open.get(id) {
            return Ok(*handle as Handle);
        }
        let c_id = CString::new(id).map_err(|_| self.error("TLOpenInterface", ffi::GC_ERR_INVALID_ID))?;
        let mut handle: Handle = std::ptr::null_mut();
        // SAFETY: the system handle is open, `c_id` is NUL-terminated, `handle` a valid out-pointer.
        self.check("TLOpenInterface", unsafe {
            (self.fns.TLOpenInterface)(self.system, c_id.as_ptr(), &mut handle)
        })?;
        open.insert(id.to_string(), handle as usize);
        Ok(handle)
    }

    /// Every device on every interface, after asking the producer to update its lists.
    pub fn devices(&self) -> Result<Vec<DeviceEntry>, ProducerError> {
        let f = &self.fns;
        // SAFETY: the system handle is open; a null `pbChanged` is allowed by the standard.
        self.check("TLUpdateInterfaceList", unsafe {
            (f.TLUpdateInterfaceList)(self.system, std::ptr::null_mut(), UPDATE_TIMEOUT_MS)
        })?;
        let mut count = 0u32;
        // SAFETY: valid out-pointer.
        self.check("TLGetNumInterfaces", unsafe {
            (f.TLGetNumInterfaces)(self.system, &mut count)
        })?;
        let mut devices = Vec::new();
        for i in 0..count {
            // SAFETY: index below the count; read_string passes a buffer of the size asked for.
            let interface =
                read_string(|buf, size| unsafe { (f.TLGetInterfaceID)(self.system, i, buf.cast::<c_char>(), size) })
                    .map_err(|code| self.error("TLGetInterfaceID", code))?;
            let handle = self.interface(&interface)?;
            // SAFETY: the interface is open; null `pbChanged` is allowed.
            self.check("IFUpdateDeviceList", unsafe {
                (f.IFUpdateDeviceList)(handle, std::ptr::null_mut(), UPDATE_TIMEOUT_MS)
            })?;
            let mut n = 0u32;
            // SAFETY: valid out-pointer.
            self.check("IFGetNumDevices", unsafe { (f.IFGetNumDevices)(handle, &mut n) })?;
            for d in 0..n {
                // SAFETY: index below the count.
                let id = read_string(|buf, size| unsafe { (f.IFGetDeviceID)(handle, d, buf.cast::<c_char>(), size) })
                    .map_err(|code| self.error("IFGetDeviceID", code))?;
                let c_id = CString::new(id.clone()).map_err(|_| self.error("IFGetDeviceID", ffi::GC_ERR_INVALID_ID))?;
                let text = |cmd: i32| {
                    let mut kind = 0i32;
                    // SAFETY: the interface is open and `c_id` NUL-terminated.
                    read_string(|buf, size| unsafe {
                        (f.IFGetDeviceInfo)(handle, c_id.as_ptr(), cmd, &mut kind, buf, size)
                    })
                    .unwrap_or_default()
                };
                let mut status = 0i32;
                let mut kind = 0i32;
                let mut size = size_of::<i32>();
                // SAFETY: a 4-byte INT32 into `status`.
                let code = unsafe {
                    (f.IFGetDeviceInfo)(
                        handle,
                        c_id.as_ptr(),
                        ffi::DEVICE_INFO_ACCESS_STATUS,
                        &mut kind,
                        (&mut status as *mut i32).cast(),
                        &mut size,
                    )
                };
                devices.push(DeviceEntry {
                    interface: interface.clone(),
                    vendor: text(ffi::DEVICE_INFO_VENDOR),
                    model: text(ffi::DEVICE_INFO_MODEL),
                    serial: text(ffi::DEVICE_INFO_SERIAL_NUMBER),
                    tl_type: text(ffi::DEVICE_INFO_TLTYPE),
                    access: if code == ffi::GC_ERR_SUCCESS {
                        ffi::access_status_name(status)
                    } else {
                        "unknown"
                    },
                    id,
                });
            }
        }
        Ok(devices)
    }
}
