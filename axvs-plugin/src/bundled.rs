//! A backend shipped with axvs as a plugin (OpenCV's): registered by name like a built-in one, its library
//! loaded only when a rig or command first uses it, so that a program that never records from it never
//! loads it, nor the libraries it links.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use axvs_core::{
    BackendSettings, CameraBackend, CameraConfig, CameraError, DiscoverOptions, DiscoveredCamera, SettingsError,
};

use crate::host::{search_path, Plugin, PluginError, PluginInfo};

/// Why a bundled backend's plugin did not load.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundledError {
    /// Its file is in none of the places looked in.
    #[error(
        "backend \"{backend}\" is a plugin, {file}, found in none of {looked}: build it ({build}), or install axvs with \
         `./dev install`",
        looked = .looked.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NotFound {
        /// The backend.
        backend: String,
        /// The plugin's file name.
        file: String,
        /// The folders looked in, in order.
        looked: Vec<PathBuf>,
        /// The command that builds it.
        build: String,
    },
    /// The file was found, but not loaded (its libraries missing, another ABI, ...).
    #[error("backend \"{backend}\": {source}")]
    Load {
        /// The backend.
        backend: String,
        /// The loader's refusal, naming the file.
        source: PluginError,
    },
    /// The file loaded, but provides no backend of that name.
    #[error("backend \"{backend}\": {path} provides only {provides:?}", path = .path.display())]
    Missing {
        /// The backend.
        backend: String,
        /// The file.
        path: PathBuf,
        /// What it provides.
        provides: Vec<String>,
    },
}

/// The file name of the shared library `stem` on this platform (`libaxvs_plugin_opencv.so`).
pub(crate) fn library_file(stem: &str) -> String {
    format!("{}{stem}{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX)
}

/// A backend whose code is the plugin `file` (a library name without platform prefix and suffix:
/// `axvs_plugin_opencv`), looked for beside the running program (where cargo builds it), then on the plugin
/// search path ([`search_path`]).
pub struct BundledBackend {
    name: &'static str,
    file: String,
    build: &'static str,
    loaded: OnceLock<Loaded>,
}

/// A loaded plugin, and the backend it provides.
type Loaded = (PluginInfo, Arc<dyn CameraBackend>);

impl std::fmt::Debug for BundledBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundledBackend")
            .field("name", &self.name)
            .field("file", &self.file)
            .field("loaded", &self.loaded())
            .finish()
    }
}

impl BundledBackend {
    /// The backend `name`, in the plugin library `stem`; `build` is the command that builds it (named when
    /// it is not found).
    pub fn new(name: &'static str, stem: &str, build: &'static str) -> Self {
        BundledBackend {
            name,
            file: library_file(stem),
            build,
            loaded: OnceLock::new(),
        }
    }

    /// The plugin's file name (`libaxvs_plugin_opencv.so`).
    pub fn file_name(&self) -> &str {
        &self.file
    }

    /// The folders looked in, in order: the running program's, then the plugin search path's.
    pub fn places(&self) -> Vec<PathBuf> {
        let beside = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf));
        beside
            .into_iter()
            .chain(search_path(&[]).into_iter().map(|entry| {
                // A file on the path stands for its folder when it is this plugin.
                match entry.path.file_name() {
                    Some(name) if name == self.file.as_str() => {
                        entry.path.parent().map_or(entry.path.clone(), Path::to_path_buf)
                    }
                    _ => entry.path,
                }
            }))
            .collect()
    }

    /// The backend, its plugin loaded on the first call that finds and loads it (once per process); a failure
    /// is not kept, so that a long-running server finds a plugin built or installed after it started.
    pub fn load(&self) -> Result<&Arc<dyn CameraBackend>, BundledError> {
        self.entry().map(|(_, backend)| backend)
    }

    /// Its plugin, loaded now as [`BundledBackend::load`] loads it.
    pub fn plugin(&self) -> Result<&PluginInfo, BundledError> {
        self.entry().map(|(info, _)| info)
    }

    fn entry(&self) -> Result<&Loaded, BundledError> {
        if let Some(loaded) = self.loaded.get() {
            return Ok(loaded);
        }
        let looked = self.places();
        let Some(path) = looked.iter().map(|dir| dir.join(&self.file)).find(|p| p.is_file()) else {
            return Err(BundledError::NotFound {
                backend: self.name.into(),
                file: self.file.clone(),
                looked,
                build: self.build.into(),
            });
        };
        let plugin = Plugin::load(&path).map_err(|source| BundledError::Load {
            backend: self.name.into(),
            source,
        })?;
        let info = plugin.info().clone();
        let backend = plugin.backend(self.name).ok_or_else(|| BundledError::Missing {
            backend: self.name.into(),
            path: info.path.clone(),
            provides: info.backends.clone(),
        })?;
        // Two threads that loaded it at once keep the first (the library is loaded once either way).
        Ok(self.loaded.get_or_init(|| (info, backend)))
    }

    /// Its plugin, when loaded.
    pub fn loaded(&self) -> Option<&PluginInfo> {
        self.loaded.get().map(|(info, _)| info)
    }
}

impl CameraBackend for BundledBackend {
    fn name(&self) -> &str {
        self.name
    }

    fn configure(&self, settings: &BackendSettings) -> Result<Arc<dyn CameraConfig>, SettingsError> {
        self.load()
            .map_err(|e| SettingsError::table(e.to_string()))?
            .configure(settings)
    }

    fn discover(&self, options: &DiscoverOptions) -> Result<Vec<DiscoveredCamera>, CameraError> {
        self.load()
            .map_err(|e| CameraError::Device(e.to_string()))?
            .discover(options)
    }

    /// Its plugin's, loading it: empty when it does not load.
    fn libraries(&self) -> Vec<(String, String)> {
        self.load().map(|b| b.libraries()).unwrap_or_default()
    }
}
