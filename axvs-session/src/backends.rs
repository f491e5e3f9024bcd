//! The camera backends `axvs` knows: the built-in ones (GenICam behind a cargo feature), OpenCV's, whose
//! plugin ships with axvs and is loaded when first used, and the plugins on the search path, loaded only
//! when a rig or command names a backend none of those provides.

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use axvs_core::{BackendRegistry, CameraBackend, CameraError, DiscoverOptions, DiscoveredCamera, SyntheticBackend};
use axvs_plugin::{BundledBackend, Plugin, PluginError, PluginInfo};

/// The OpenCV backend, `axvs-camera-opencv` built as the plugin `axvs-camera-opencv/plugin`: OpenCV's
/// libraries (some 240 with what they link, a tenth of a second of every start) are loaded only by a
/// process that uses an OpenCV camera. One per process, so that it loads once.
pub static OPENCV: LazyLock<Arc<BundledBackend>> = LazyLock::new(|| {
    Arc::new(BundledBackend::new(
        "opencv",
        "axvs_plugin_opencv",
        "cargo build -p axvs-plugin-opencv beside a debug axvs, with --release beside a release one",
    ))
});

/// The backends whose plugins ship with axvs.
fn shipped() -> [&'static Arc<BundledBackend>; 1] {
    [&OPENCV]
}

/// What became of one plugin file.
#[derive(Debug)]
pub enum PluginLoad {
    /// Loaded; its backends are registered.
    Loaded(PluginInfo),
    /// Not loaded, and why.
    Refused(PluginRefusal),
}

/// A plugin file that was not loaded.
#[derive(Debug, thiserror::Error)]
pub enum PluginRefusal {
    /// The loader refused it.
    #[error(transparent)]
    Load(#[from] PluginError),
    /// It provides a backend that another provides already.
    #[error("{path}: provides backend \"{backend}\", which {owner} provides already", path = .path.display())]
    Duplicate {
        /// The file.
        path: PathBuf,
        /// The backend.
        backend: String,
        /// `axvs` itself, or the earlier plugin's file.
        owner: String,
    },
}

/// A backend name that nothing provides.
#[derive(Debug, thiserror::Error)]
pub struct UnknownBackend {
    name: String,
    available: Vec<String>,
    refused: Vec<String>,
}

impl fmt::Display for UnknownBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown backend \"{}\" (available: {}",
            self.name,
            self.available.join(", ")
        )?;
        if !self.refused.is_empty() {
            write!(f, "; plugins refused: {}", self.refused.join("; "))?;
        }
        write!(f, ")")
    }
}

/// What one backend's discovery found.
#[derive(Debug)]
pub struct Discovery {
    /// The backend's name.
    pub backend: String,
    /// Its cameras, or why it could not look.
    pub found: Result<Vec<DiscoveredCamera>, CameraError>,
}

/// Built-in backends, then plugins as needed.
#[derive(Debug)]
pub struct Backends {
    registry: BackendRegistry,
    builtin: usize,
    /// The bundled plugins registered (not replaced by a linked backend).
    bundled: Vec<Arc<BundledBackend>>,
    tried: HashSet<PathBuf>,
    plugins: Vec<PluginLoad>,
}

impl Backends {
    /// The backends of `axvs`: the synthetic camera, those compiled in, and OpenCV's from its plugin.
    pub fn builtin() -> Self {
        Self::with_linked(Vec::new())
    }

    /// As [`Backends::builtin`], with backends the program links itself in place of the bundled plugins of
    /// the same names (the Python module links OpenCV's).
    pub fn with_linked(linked: Vec<Arc<dyn CameraBackend>>) -> Self {
        let mut all: Vec<Arc<dyn CameraBackend>> = vec![Arc::new(SyntheticBackend)];
        let mut bundled = Vec::new();
        for plugin in shipped() {
            match linked.iter().find(|b| b.name() == plugin.name()) {
                Some(backend) => all.push(Arc::clone(backend)),
                None => {
                    all.push(Arc::clone(plugin) as Arc<dyn CameraBackend>);
                    bundled.push(Arc::clone(plugin));
                }
            }
        }
        #[cfg(feature = "genicam")]
        all.push(Arc::new(axvs_camera_genicam::GenicamBackend));
        all.extend(
            linked
                .into_iter()
                .filter(|b| !all.iter().any(|a| a.name() == b.name()))
                .collect::<Vec<_>>(),
        );
        let mut registry = BackendRegistry::new();
        let builtin = all.len();
        for backend in all {
            // The built-in names are distinct by construction.
            let _ = registry.register_arc(backend);
        }
        Backends {
            registry,
            builtin,
            bundled,
            tried: HashSet::new(),
            plugins: Vec::new(),
        }
    }

    /// The backend of this name with its code loaded (a bundled plugin's loaded now), or why it is not
    /// available; plugins on the search path are not looked for.
    pub fn loaded(&self, name: &str) -> Result<Arc<dyn CameraBackend>, String> {
        if let Some(bundled) = self.bundled.iter().find(|b| b.name() == name) {
            return bundled.load().cloned().map_err(|e| e.to_string());
        }
        self.registry
            .get(name)
            .cloned()
            .ok_or_else(|| format!("this axvs was built without the {name} backend"))
    }

    /// Each bundled plugin's backend, with its plugin loaded now, or why it does not load.
    pub fn load_bundled(&self) -> Vec<(&str, Result<&PluginInfo, String>)> {
        self.bundled
            .iter()
            .map(|b| (b.name(), b.plugin().map_err(|e| e.to_string())))
            .collect()
    }

    /// The bundled plugins loaded so far (OpenCV's, once an OpenCV camera was configured).
    pub fn bundled_loaded(&self) -> impl Iterator<Item = &PluginInfo> + '_ {
        self.bundled.iter().filter_map(|b| b.loaded())
    }

    /// The libraries of every backend loaded so far (built in, linked, and the plugins loaded), as (name,
    /// version): what a session records through, for its provenance.
    pub fn libraries(&self) -> Vec<(String, String)> {
        self.registry
            .iter()
            .filter(|backend| {
                !self
                    .bundled
                    .iter()
                    .any(|b| b.name() == backend.name() && b.loaded().is_none())
            })
            .flat_map(|backend| backend.libraries())
            .collect()
    }

    /// Every backend known so far.
    pub fn registry(&self) -> &BackendRegistry {
        &self.registry
    }

    /// The plugin files tried so far, in search order.
    pub fn plugins(&self) -> &[PluginLoad] {
        &self.plugins
    }

    /// The backend of this name: a built-in one, or one of a plugin found on the search path (with `extra`
    /// folders, e.g. a rig's `plugin_dirs`).
    pub fn find(&mut self, name: &str, extra: &[PathBuf]) -> Result<Arc<dyn CameraBackend>, UnknownBackend> {
        if self.registry.get(name).is_none() {
            self.load_plugins(extra);
        }
        self.registry.get(name).cloned().ok_or_else(|| UnknownBackend {
            name: name.to_string(),
            available: self.registry.names().into_iter().map(str::to_string).collect(),
            refused: self
                .plugins
                .iter()
                .filter_map(|p| match p {
                    PluginLoad::Refused(why) => Some(why.to_string()),
                    PluginLoad::Loaded(_) => None,
                })
                .collect(),
        })
    }

    /// The cameras every backend (built in, and each plugin's on the search path) can open here, backend by
    /// backend in registration order: what `axvs discover`, the MCP server's `list_cameras` and Python's
    /// `discover_camera_ids` show.
    pub fn discover_all(&mut self, options: &DiscoverOptions) -> Vec<Discovery> {
        self.load_plugins(&[]);
        self.registry
            .iter()
            .map(|backend| Discovery {
                backend: backend.name().to_string(),
                found: backend.discover(options),
            })
            .collect()
    }

    /// Loads every plugin on the search path not tried yet, registering their backends.
    pub fn load_plugins(&mut self, extra: &[PathBuf]) {
        for path in axvs_plugin::candidates(&axvs_plugin::search_path(extra)) {
            // A bundled plugin's file is its backend's, loaded when that is first used.
            let bundled = path
                .file_name()
                .is_some_and(|name| shipped().iter().any(|b| name == b.file_name()));
            if bundled || !self.tried.insert(path.clone()) {
                continue;
            }
            let load = match Plugin::load(&path) {
                Ok(plugin) => self.register(plugin),
                Err(e) => PluginLoad::Refused(e.into()),
            };
            if let PluginLoad::Refused(why) = &load {
                tracing::info!("plugin refused: {why}");
            }
            self.plugins.push(load);
        }
    }

    fn register(&mut self, plugin: Plugin) -> PluginLoad {
        let info = plugin.info().clone();
        for backend in &info.backends {
            if self.registry.get(backend).is_some() {
                let builtin = self.registry.names().iter().take(self.builtin).any(|n| n == backend);
                let owner = if builtin {
                    "axvs itself".to_string()
                } else {
                    self.plugins
                        .iter()
                        .find_map(|p| match p {
                            PluginLoad::Loaded(i) if i.backends.contains(backend) => Some(i.path.display().to_string()),
                            _ => None,
                        })
                        .unwrap_or_else(|| "another plugin".into())
                };
                return PluginLoad::Refused(PluginRefusal::Duplicate {
                    path: info.path,
                    backend: backend.clone(),
                    owner,
                });
            }
        }
        for backend in plugin.backends() {
            // Checked above: every name is new.
            let _ = self.registry.register_arc(backend);
        }
        PluginLoad::Loaded(info)
    }
}
