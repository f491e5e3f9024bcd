//! Camera plugins for axvs: a camera backend built as a dynamic library (`cdylib`) and loaded at run time,
//! across a stable ABI checked by [`abi_stable`].
//!
//! A plugin implements the same traits as a built-in backend ([`axvs_core::CameraBackend`],
//! [`axvs_core::CameraConfig`], [`axvs_core::Camera`]) and exports them with [`export_plugin!`]; the host
//! loads it with [`Plugin::load`] and registers [`Plugin::backends`], so the pipeline never knows the
//! difference. Frames are written straight into the host's pooled buffer, and a panic inside the plugin
//! comes back as a camera error naming the plugin: only that camera stops. `plugins/rawfile` is a
//! complete example, and `plugins/README.md` walks through it.
//!
//! ```ignore
//! // In the plugin crate (crate-type = ["cdylib"], with abi_stable as a dependency):
//! axvs_plugin::export_plugin! {
//!     name: "my-camera",
//!     version: env!("CARGO_PKG_VERSION"),
//!     backends: [MyBackend],
//! }
//! ```

pub mod abi;
#[doc(hidden)]
pub mod guest;
mod host;

pub use abi::ABI_VERSION;
pub use host::{
    abi_version, candidates, check_elf_extent, search_path, Plugin, PluginError, PluginInfo, SearchEntry,
    PLUGIN_PATH_VAR,
};

#[doc(hidden)]
pub use abi_stable;

/// Exports a plugin's backends: its name, its version and a list of backend values (each implementing
/// [`axvs_core::CameraBackend`]). The plugin crate must depend on `abi_stable` (the export attribute
/// refers to it by name).
#[macro_export]
macro_rules! export_plugin {
    (name: $name:expr, version: $version:expr, backends: [$($backend:expr),+ $(,)?] $(,)?) => {
        #[doc(hidden)]
        #[allow(missing_docs, reason = "generated export")]
        pub mod axvs_plugin_export {
            #[allow(unused_imports, reason = "the backend expressions may name items of the plugin")]
            use super::*;

            /// The plugin's root module, which axvs loads.
            #[$crate::abi_stable::export_root_module]
            pub fn axvs_plugin_root_module() -> $crate::abi::PluginModRef {
                fn backends() -> ::std::vec::Vec<::std::boxed::Box<dyn ::axvs_core::CameraBackend>> {
                    ::std::vec![$(::std::boxed::Box::new($backend)),+]
                }
                $crate::guest::root_module($name, $version, backends)
            }
        }
    };
}
