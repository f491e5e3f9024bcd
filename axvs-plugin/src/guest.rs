//! The plugin side of the boundary, which [`crate::export_plugin!`] builds: the plugin's backends behind
//! the root module's functions, with every call guarded so that a panic comes back as an error instead
//! of unwinding into the host (which would abort the process).

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};

use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RErr, ROk, ROption, RResult, RSliceMut, RStr, RString, RVec, Tuple2};
use axvs_core::{BackendSettings, Camera, CameraBackend, CameraConfig, CameraError, DiscoverOptions, SettingsError};

use crate::abi::{
    AbiCamera, AbiCameraBox, AbiCameraError, AbiCameraInfo, AbiCamera_TO, AbiDiscovered, AbiFiles, AbiFrameShape,
    AbiGrabInfo, AbiSettingsError, PluginMod, PluginModRef,
};

/// The backends of the plugin this copy of the crate is linked into.
static BACKENDS: OnceLock<Vec<Box<dyn CameraBackend>>> = OnceLock::new();

/// Builds the root module; called once, by the function [`crate::export_plugin!`] exports.
#[doc(hidden)]
pub fn root_module(
    name: &'static str,
    version: &'static str,
    backends: fn() -> Vec<Box<dyn CameraBackend>>,
) -> PluginModRef {
    BACKENDS.get_or_init(backends);
    quiet_panics();
    PluginMod {
        name: RStr::from_str(name),
        version: RStr::from_str(version),
        backends: backend_names,
        configure,
        discover,
        camera,
        declared_shape,
        files,
        live,
        libraries,
    }
    .leak_into_prefix()
}

thread_local! {
    /// Where the last panic on this thread happened, kept by the plugin's panic hook.
    static PANIC_AT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Replaces the plugin's panic hook (its own copy of std's) with one that keeps the panic's place for the
/// error the host reports, instead of printing to the recording's terminal. With `RUST_BACKTRACE` set,
/// the default hook still prints, for the plugin's developer.
fn quiet_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let place = info.location().map(|l| format!("{}:{}", l.file(), l.line()));
        PANIC_AT.with(|at| *at.borrow_mut() = place);
        if std::env::var_os("RUST_BACKTRACE").is_some() {
            default(info);
        }
    }));
}

/// The text of a panic's payload, and where it happened when known.
pub(crate) fn panic_message(payload: Box<dyn Any + Send>) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    match PANIC_AT.with(|at| at.borrow_mut().take()) {
        Some(place) => format!("{text} (at {place})"),
        None => text,
    }
}

fn backend(name: RStr<'_>) -> Result<&'static dyn CameraBackend, SettingsError> {
    let backends = BACKENDS.get().map(Vec::as_slice).unwrap_or_default();
    backends
        .iter()
        .find(|b| b.name() == name.as_str())
        .map(|b| b.as_ref())
        .ok_or_else(|| SettingsError::table(format!("this plugin has no backend \"{name}\"")))
}

fn config(name: RStr<'_>, settings: RStr<'_>) -> Result<Arc<dyn CameraConfig>, SettingsError> {
    let table: toml::Table = settings
        .as_str()
        .parse()
        .map_err(|e| SettingsError::table(format!("the settings are not a TOML table: {e}")))?;
    backend(name)?.configure(&BackendSettings::new(table))
}

fn settings_call<T>(what: &str, f: impl FnOnce() -> Result<T, SettingsError>) -> RResult<T, AbiSettingsError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => ROk(v),
        Ok(Err(e)) => RErr(e.into()),
        Err(panic) => {
            RErr(SettingsError::table(format!("the plugin panicked {what}: {}", panic_message(panic))).into())
        }
    }
}

fn camera_call<T>(f: impl FnOnce() -> Result<T, CameraError>) -> RResult<T, AbiCameraError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => ROk(v),
        Ok(Err(e)) => RErr(e.into()),
        Err(panic) => RErr(AbiCameraError::Panicked(panic_message(panic).into())),
    }
}

extern "C" fn backend_names() -> RVec<RString> {
    BACKENDS
        .get()
        .into_iter()
        .flatten()
        .map(|b| RString::from(b.name()))
        .collect()
}

extern "C" fn configure(name: RStr<'_>, settings: RStr<'_>) -> RResult<RString, AbiSettingsError> {
    settings_call("checking settings", || Ok(config(name, settings)?.summary().into()))
}

extern "C" fn discover(name: RStr<'_>, simulated: bool) -> RResult<RVec<AbiDiscovered>, AbiCameraError> {
    camera_call(|| {
        let backend = backend(name).map_err(|e| CameraError::Device(e.to_string()))?;
        let found = backend.discover(&DiscoverOptions { simulated })?;
        Ok(found.into_iter().map(AbiDiscovered::from).collect())
    })
}

extern "C" fn camera(name: RStr<'_>, settings: RStr<'_>) -> RResult<AbiCameraBox, AbiSettingsError> {
    settings_call("making a camera", || {
        let camera = config(name, settings)?.camera();
        Ok(AbiCamera_TO::from_value(Guarded(Some(camera)), TD_Opaque))
    })
}

extern "C" fn declared_shape(name: RStr<'_>, settings: RStr<'_>) -> RResult<ROption<AbiFrameShape>, AbiSettingsError> {
    settings_call("checking settings", || {
        Ok(config(name, settings)?.declared_shape().map(AbiFrameShape::from).into())
    })
}

extern "C" fn live(name: RStr<'_>, settings: RStr<'_>) -> RResult<bool, AbiSettingsError> {
    settings_call("checking settings", || Ok(config(name, settings)?.camera().live()))
}

extern "C" fn libraries(name: RStr<'_>) -> RVec<Tuple2<RString, RString>> {
    // A panic names no library: provenance goes on without them.
    catch_unwind(AssertUnwindSafe(|| {
        backend(name).map(|b| b.libraries()).unwrap_or_default()
    }))
    .unwrap_or_default()
    .into_iter()
    .map(|(name, version)| Tuple2(name.into(), version.into()))
    .collect()
}

extern "C" fn files(name: RStr<'_>, settings: RStr<'_>) -> RResult<AbiFiles, AbiSettingsError> {
    settings_call("checking settings", || {
        Ok(match config(name, settings)?.files() {
            Ok(files) => ROk(files
                .into_iter()
                .map(|(key, path)| Tuple2(key.into(), path.to_string_lossy().into_owned().into()))
                .collect()),
            Err(why) => RErr(why.into()),
        })
    })
}

/// A plugin camera whose every call, and drop, is guarded against panics.
struct Guarded(Option<Box<dyn Camera>>);

impl Guarded {
    fn with<T>(&mut self, f: impl FnOnce(&mut dyn Camera) -> Result<T, CameraError>) -> RResult<T, AbiCameraError> {
        match self.0.as_deref_mut() {
            Some(camera) => camera_call(|| f(camera)),
            None => RErr(AbiCameraError::NotReady("the camera was dropped".into())),
        }
    }
}

impl AbiCamera for Guarded {
    fn open(&mut self) -> RResult<AbiCameraInfo, AbiCameraError> {
        self.with(|c| c.open().map(AbiCameraInfo::from))
    }

    fn start(&mut self) -> RResult<(), AbiCameraError> {
        self.with(|c| c.start())
    }

    fn grab(&mut self, mut buf: RSliceMut<'_, u8>) -> RResult<AbiGrabInfo, AbiCameraError> {
        self.with(|c| c.grab(buf.as_mut_slice()).map(AbiGrabInfo::from))
    }

    fn stop(&mut self) -> RResult<(), AbiCameraError> {
        self.with(|c| c.stop())
    }

    fn close(&mut self) -> RResult<(), AbiCameraError> {
        self.with(|c| {
            c.close();
            Ok(())
        })
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        if let Some(camera) = self.0.take() {
            if let Err(panic) = catch_unwind(AssertUnwindSafe(move || drop(camera))) {
                eprintln!("axvs: a plugin camera panicked while closing: {}", panic_message(panic));
            }
        }
    }
}
