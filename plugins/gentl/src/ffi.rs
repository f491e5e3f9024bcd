//! The GenTL C interface (EMVA GenICam GenTL 1.6, `GenTL.h`) as far as axvs uses it: handle and value
//! types, the numbers of the info commands, and the table of functions resolved from a producer.

use std::ffi::{c_char, c_void};

/// Every GenTL function's result: 0 on success, a negative `GC_ERR_*` code otherwise.
pub type GcError = i32;
/// An opaque producer handle (system, interface, device, stream, port, buffer, event).
pub type Handle = *mut c_void;

pub const GC_ERR_SUCCESS: GcError = 0;
pub const GC_ERR_TIMEOUT: GcError = -1011;
pub const GC_ERR_INVALID_ID: GcError = -1007;
pub const GC_ERR_RESOURCE_IN_USE: GcError = -1004;

/// `TL_INFO_CMD` values.
pub const TL_INFO_VENDOR: i32 = 1;
pub const TL_INFO_MODEL: i32 = 2;
pub const TL_INFO_VERSION: i32 = 3;
pub const TL_INFO_TLTYPE: i32 = 4;

/// `DEVICE_INFO_CMD` values.
pub const DEVICE_INFO_VENDOR: i32 = 1;
pub const DEVICE_INFO_MODEL: i32 = 2;
pub const DEVICE_INFO_TLTYPE: i32 = 3;
pub const DEVICE_INFO_ACCESS_STATUS: i32 = 5;
pub const DEVICE_INFO_SERIAL_NUMBER: i32 = 7;
/// Ticks per second of the device's timestamps (`UINT64`, GenTL 1.4).
pub const DEVICE_INFO_TIMESTAMP_FREQUENCY: i32 = 9;

/// `GC_ERROR` names, for messages.
pub fn error_name(code: GcError) -> &'static str {
    match code {
        0 => "GC_ERR_SUCCESS",
        -1001 => "GC_ERR_ERROR",
        -1002 => "GC_ERR_NOT_INITIALIZED",
        -1003 => "GC_ERR_NOT_IMPLEMENTED",
        -1004 => "GC_ERR_RESOURCE_IN_USE",
        -1005 => "GC_ERR_ACCESS_DENIED",
        -1006 => "GC_ERR_INVALID_HANDLE",
        -1007 => "GC_ERR_INVALID_ID",
        -1008 => "GC_ERR_NO_DATA",
        -1009 => "GC_ERR_INVALID_PARAMETER",
        -1010 => "GC_ERR_IO",
        -1011 => "GC_ERR_TIMEOUT",
        -1012 => "GC_ERR_ABORT",
        -1013 => "GC_ERR_INVALID_BUFFER",
        -1014 => "GC_ERR_NOT_AVAILABLE",
        -1015 => "GC_ERR_INVALID_ADDRESS",
        -1016 => "GC_ERR_BUFFER_TOO_SMALL",
        -1017 => "GC_ERR_INVALID_INDEX",
        -1018 => "GC_ERR_PARSING_CHUNK_DATA",
        -1019 => "GC_ERR_INVALID_VALUE",
        -1020 => "GC_ERR_RESOURCE_EXHAUSTED",
        -1021 => "GC_ERR_OUT_OF_MEMORY",
        -1022 => "GC_ERR_BUSY",
        -1023 => "GC_ERR_AMBIGUOUS",
        _ => "a producer-specific error",
    }
}

/// `DEVICE_ACCESS_STATUS` names.
pub fn access_status_name(status: i32) -> &'static str {
    match status {
        1 => "available (read/write)",
        2 => "available (read only)",
        3 => "not accessible",
        4 => "busy (opened by another process or host)",
        5 | 6 => "open in this process",
        _ => "unknown",
    }
}

macro_rules! gentl_functions {
    ($($name:ident: fn($($arg:ty),*);)+) => {
        /// The producer functions axvs needs, resolved once when the producer loads: a library that
        /// lacks one is no usable producer, even where axvs does not call it yet.
        #[allow(non_snake_case, reason = "the GenTL names, as the standard spells them")]
        #[allow(dead_code, reason = "resolved to check the producer is whole; not every one is called")]
        #[derive(Clone, Copy)]
        pub struct Functions {
            $(pub $name: unsafe extern "C" fn($($arg),*) -> GcError,)+
        }

        impl Functions {
            /// Resolves every function from `library`, or names the first one it lacks.
            ///
            /// # Safety
            /// `library` must be a GenTL producer: each symbol of these names must have the signature
            /// `GenTL.h` gives it.
            pub unsafe fn resolve(library: &libloading::Library) -> Result<Functions, &'static str> {
                Ok(Functions {
                    $($name: unsafe {
                        *library
                            .get::<unsafe extern "C" fn($($arg),*) -> GcError>(
                                concat!(stringify!($name), "\0").as_bytes(),
                            )
                            .map_err(|_| stringify!($name))?
                    },)+
                })
            }
        }
    };
}

gentl_functions! {
    GCInitLib: fn();
    GCCloseLib: fn();
    GCGetInfo: fn(i32, *mut i32, *mut c_void, *mut usize);
    GCGetLastError: fn(*mut GcError, *mut c_char, *mut usize);
    TLOpen: fn(*mut Handle);
    TLClose: fn(Handle);
    TLGetInfo: fn(Handle, i32, *mut i32, *mut c_void, *mut usize);
    TLUpdateInterfaceList: fn(Handle, *mut u8, u64);
    TLGetNumInterfaces: fn(Handle, *mut u32);
    TLGetInterfaceID: fn(Handle, u32, *mut c_char, *mut usize);
    TLOpenInterface: fn(Handle, *const c_char, *mut Handle);
    IFClose: fn(Handle);
    IFUpdateDeviceList: fn(Handle, *mut u8, u64);
    IFGetNumDevices: fn(Handle, *mut u32);
    IFGetDeviceID: fn(Handle, u32, *mut c_char, *mut usize);
    IFGetDeviceInfo: fn(Handle, *const c_char, i32, *mut i32, *mut c_void, *mut usize);
    IFOpenDevice: fn(Handle, *const c_char, i32, *mut Handle);
    DevClose: fn(Handle);
    DevGetPort: fn(Handle, *mut Handle);
    DevGetInfo: fn(Handle, i32, *mut i32, *mut c_void, *mut usize);
    DevGetNumDataStreams: fn(Handle, *mut u32);
    DevGetDataStreamID: fn(Handle, u32, *mut c_char, *mut usize);
    DevOpenDataStream: fn(Handle, *const c_char, *mut Handle);
    DSClose: fn(Handle);
    DSAnnounceBuffer: fn(Handle, *mut c_void, usize, *mut c_void, *mut Handle);
    DSQueueBuffer: fn(Handle, Handle);
    DSRevokeBuffer: fn(Handle, Handle, *mut *mut c_void, *mut *mut c_void);
    DSFlushQueue: fn(Handle, i32);
    DSStartAcquisition: fn(Handle, i32, u64);
    DSStopAcquisition: fn(Handle, i32);
    DSGetInfo: fn(Handle, i32, *mut i32, *mut c_void, *mut usize);
    DSGetBufferInfo: fn(Handle, Handle, i32, *mut i32, *mut c_void, *mut usize);
    GCRegisterEvent: fn(Handle, i32, *mut Handle);
    GCUnregisterEvent: fn(Handle, i32);
    EventGetData: fn(Handle, *mut c_void, *mut usize, u64);
    EventKill: fn(Handle);
    GCReadPort: fn(Handle, u64, *mut c_void, *mut usize);
    GCWritePort: fn(Handle, u64, *const c_void, *mut usize);
    GCGetNumPortURLs: fn(Handle, *mut u32);
    GCGetPortURLInfo: fn(Handle, u32, i32, *mut i32, *mut c_void, *mut usize);
}
