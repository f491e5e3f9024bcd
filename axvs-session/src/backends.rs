//! The camera backends `axvs` knows: the built-in ones (OpenCV and GenICam behind cargo features), and the
//! plugins on the search path, loaded only when a rig or command names a backend no built-in provides.

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use axvs_core::{BackendRegistry, CameraBackend, CameraError, DiscoverOptions, DiscoveredCamera, SyntheticBackend};
use axvs_plugin::{Plugin, PluginError, PluginInfo};

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
    tried: HashSet<PathBuf>,
    plugins: Vec<PluginLoad>,
}

impl Backends {
    /// The backends compiled into this `axvs`.
    pub fn builtin() -> Self {
        let all: Vec<Arc<dyn CameraBackend>> = vec![
            Arc::new(SyntheticBackend),
            #[cfg(feature = "opencv")]
            Arc::new(axvs_camera_opencv::OpenCvBackend),
            #[cfg(feature = "genicam")]
            Arc::new(axvs_camera_genicam::GenicamBackend),
        ];
        let mut registry = BackendRegistry::new();
        let builtin = all.len();
        for backend in all {
            // The built-in names are distinct by construction.
            let _ = registry.register_arc(backend);
        }
        Backends {
            registry,
            builtin,
            tried: HashSet::new(),
            plugins: Vec::new(),
        }
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
            if !self.tried.insert(path.clone()) {
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
