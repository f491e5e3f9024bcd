//! Camera plugins for axvs: a camera backend built as a dynamic library (`cdylib`) and loaded at run time,
//! across a stable ABI checked by [`abi_stable`].
//!
//! A plugin implements the same traits as a built-in backend ([`axvs_core::CameraBackend`],
//! [`axvs_core::CameraConfig`], [`axvs_core::Camera`]) and exports them with [`export_plugin!`]; the host
//! loads it with [`Plugin::load`] and registers [`Plugin::backends`], so the pipeline never knows the
//! difference. Frames are written straight into the host's pooled buffer, and a panic inside the plugin
//! comes back as a camera error naming the plugin: only that camera stops. `plugins/README.md` builds a
//! plugin from scratch, outside this repository; `plugins/rawfile` is a larger example.
//!
//! A plugin crate needs only this crate (and `serde` for its settings): it re-exports [`axvs_core`], whose
//! traits a camera implements, and `abi_stable`, which the export uses.
//!
//! ```ignore
//! // In the plugin crate (crate-type = ["cdylib", "rlib"]):
//! use axvs_plugin::axvs_core::{Camera, CameraBackend};
//!
//! axvs_plugin::export_plugin! {
//!     name: "my-camera",
//!     version: env!("CARGO_PKG_VERSION"),
//!     backends: [MyBackend],
//! }
//! ```
//!
//! A plugin that ships with axvs (OpenCV's) is registered by name as a [`BundledBackend`] and loaded when a
//! rig or command first uses it.
//!
//! [`testing`] is the plugin writer's test harness: load the built library, run the shared conformance
//! check through the ABI, and record a short rig with it.

pub mod abi;
mod bundled;
#[doc(hidden)]
pub mod guest;
mod host;
pub mod testing;

pub use abi::ABI_VERSION;
pub use bundled::{BundledBackend, BundledError};
pub use host::{
    abi_version, candidates, check_elf_extent, loader_path, search_path, Plugin, PluginError, PluginInfo, SearchEntry,
    PLUGIN_PATH_VAR,
};

#[doc(hidden)]
pub use abi_stable;
/// The traits and types a camera implements and uses, as the host that loads the plugin knows them.
pub use axvs_core;

/// The name of the symbol a plugin exports (abi_stable's, for its version 0.11); a test checks it
/// against abi_stable's own.
#[doc(hidden)]
#[macro_export]
macro_rules! __root_module_symbol {
    () => {
        "_1as_0lib_1header_0root_bmodule_bloader"
    };
}

/// Exports a plugin's backends: its name, its version and a list of backend values (each implementing
/// [`axvs_core::CameraBackend`]). It writes what `abi_stable`'s `export_root_module` attribute writes, with
/// every path through this crate, so that the plugin crate needs no dependency of its own on `abi_stable`
/// or `axvs-core`, and may be of any edition.
#[macro_export]
macro_rules! export_plugin {
    (name: $name:expr, version: $version:expr, backends: [$($backend:expr),+ $(,)?] $(,)?) => {
        #[doc(hidden)]
        #[allow(missing_docs, reason = "generated export")]
        pub mod axvs_plugin_export {
            #[allow(unused_imports, reason = "the backend expressions may name items of the plugin")]
            use super::*;

            fn axvs_plugin_root_module() -> $crate::abi::PluginModRef {
                fn backends() -> ::std::vec::Vec<::std::boxed::Box<dyn $crate::axvs_core::CameraBackend>> {
                    ::std::vec![$(::std::boxed::Box::new($backend)),+]
                }
                $crate::guest::root_module($name, $version, backends)
            }

            extern "C" fn axvs_plugin_erased_root_module() -> $crate::abi_stable::library::RootModuleResult {
                $crate::abi_stable::library::__call_root_module_loader(axvs_plugin_root_module)
            }

            /// The root module's header, which the host looks up by this name and checks (ABI version,
            /// type layouts) before it calls anything.
            #[export_name = $crate::__root_module_symbol!()]
            pub static AXVS_PLUGIN_LIB_HEADER: $crate::abi_stable::library::LibHeader = {
                type Module =
                    <$crate::abi::PluginModRef as $crate::abi_stable::library::IntoRootModuleResult>::Module;
                // SAFETY: as abi_stable's `export_root_module` attribute: the constructor returns the
                // root module of type `Module`, and its type layout is checked by the host.
                unsafe {
                    $crate::abi_stable::library::LibHeader::from_constructor::<Module>(
                        axvs_plugin_erased_root_module,
                        $crate::abi_stable::library::CheckTypeLayout::Yes,
                    )
                }
            };
        }
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_exported_symbol_is_the_one_abi_stable_looks_up() {
        assert_eq!(
            crate::__root_module_symbol!(),
            abi_stable::library::ROOT_MODULE_LOADER_NAME
        );
    }
}
