//! The host side of the boundary: finding plugin files, loading them with `abi_stable`'s version and layout
//! checks, and adapting their backends and cameras to `axvs_core`'s traits.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use abi_stable::library::{lib_header_from_path, LibraryError};
use abi_stable::std_types::{RErr, ROk, RStr, Tuple2};
use axvs_core::{
    BackendSettings, Camera, CameraBackend, CameraConfig, CameraError, CameraInfo, DiscoverOptions, DiscoveredCamera,
    FrameShape, GrabInfo, SettingsError,
};

use crate::abi::{AbiCameraBox, AbiCameraError, PluginModRef, ABI_VERSION};

/// The environment variable listing plugin files or folders, colon-separated.
pub const PLUGIN_PATH_VAR: &str = "AXVS_PLUGIN_PATH";

/// Why a file is not loaded as a plugin; one line, naming the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PluginError {
    /// The file does not exist.
    #[error("{path}: no such file", path = .0.display())]
    Missing(PathBuf),
    /// The dynamic loader refused the file (not a shared library, truncated, missing dependencies).
    #[error("{path}: cannot be loaded: {reason}", path = .path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The loader's message.
        reason: String,
    },
    /// The file ends before the parts the loader maps.
    #[error("{path}: truncated: {size} bytes, its loadable segments need {needed}", path = .path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The end of its last loadable segment.
        needed: u64,
    },
    /// A shared library, but no axvs plugin: it exports no root module.
    #[error("{path}: not an axvs plugin (it exports no abi_stable root module)", path = .0.display())]
    NotAPlugin(PathBuf),
    /// Built against another plugin ABI version.
    #[error("{path}: built for axvs plugin ABI {found}, this axvs loads ABI {expected}", path = .path.display())]
    Version {
        /// The file.
        path: PathBuf,
        /// The host's ABI version.
        expected: String,
        /// The plugin's.
        found: String,
    },
    /// The types the plugin was built with differ from the host's.
    #[error("{path}: its ABI types differ from this axvs' (layout check: {detail})", path = .path.display())]
    Layout {
        /// The file.
        path: PathBuf,
        /// The first line of `abi_stable`'s report.
        detail: String,
    },
    /// Anything else `abi_stable` refused (its own version, the C ABI, a failing initialiser).
    #[error("{path}: refused: {reason}", path = .path.display())]
    Refused {
        /// The file.
        path: PathBuf,
        /// `abi_stable`'s message, first line.
        reason: String,
    },
}

fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string()
}

impl PluginError {
    fn from_library(path: &Path, e: LibraryError) -> Self {
        let path = path.to_path_buf();
        match e {
            LibraryError::OpenError { err, .. } => PluginError::Open {
                reason: first_line(&err.to_string()),
                path,
            },
            LibraryError::GetSymbolError { .. } => PluginError::NotAPlugin(path),
            LibraryError::IncompatibleVersionNumber {
                expected_version,
                actual_version,
                ..
            } => PluginError::Version {
                path,
                expected: expected_version.to_string(),
                found: actual_version.to_string(),
            },
            LibraryError::AbiInstability(report) => PluginError::Layout {
                detail: first_line(&report.to_string()),
                path,
            },
            other => PluginError::Refused {
                reason: first_line(&other.to_string()),
                path,
            },
        }
    }
}

/// What a loaded plugin declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// The file it was loaded from.
    pub path: PathBuf,
    /// Its name.
    pub name: String,
    /// Its own version.
    pub version: String,
    /// The plugin ABI version it was built for.
    pub abi: String,
    /// The backends it provides.
    pub backends: Vec<String>,
}

struct Shared {
    info: PluginInfo,
    module: PluginModRef,
}

/// A loaded plugin. Libraries stay loaded until the process ends.
#[derive(Clone)]
pub struct Plugin {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.shared.info.fmt(f)
    }
}

impl Plugin {
    /// Loads the plugin in `path`, checking its ABI version and the layout of every type it shares.
    pub fn load(path: &Path) -> Result<Plugin, PluginError> {
        if !path.exists() {
            return Err(PluginError::Missing(path.to_path_buf()));
        }
        check_elf_extent(path)?;
        let header = lib_header_from_path(&loader_path(path)).map_err(|e| PluginError::from_library(path, e))?;
        let module = header
            .init_root_module::<PluginModRef>()
            .map_err(|e| PluginError::from_library(path, e))?;
        let info = PluginInfo {
            path: path.to_path_buf(),
            name: module.name().to_string(),
            version: module.version().to_string(),
            abi: header.version_strings().version.to_string(),
            backends: module.backends()().into_iter().map(String::from).collect(),
        };
        Ok(Plugin {
            shared: Arc::new(Shared { info, module }),
        })
    }

    /// What it declares.
    pub fn info(&self) -> &PluginInfo {
        &self.shared.info
    }

    /// Its backend `name`, ready to register.
    pub fn backend(&self, name: &str) -> Option<Arc<dyn CameraBackend>> {
        self.backends().into_iter().find(|b| b.name() == name)
    }

    /// Its backends, ready to register.
    pub fn backends(&self) -> Vec<Arc<dyn CameraBackend>> {
        self.shared
            .info
            .backends
            .iter()
            .map(|name| {
                Arc::new(PluginBackend {
                    plugin: Arc::clone(&self.shared),
                    name: name.clone(),
                }) as Arc<dyn CameraBackend>
            })
            .collect()
    }
}

/// The path to give the dynamic loader for a library file a user named (a plugin, a GenTL producer):
/// absolute, because the loader takes a name without a `/` (`myplugin.so`) for a library to search for in
/// its own folders, not for the file of that name in the current folder.
///
/// ```
/// use std::path::Path;
///
/// let path = axvs_plugin::loader_path(Path::new("viky.cti"));
/// assert!(path.is_absolute() && path.ends_with("viky.cti"));
/// ```
pub fn loader_path(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| Path::new(".").join(path))
}

/// Refuses an ELF file whose loadable segments reach past its end: the dynamic loader would map them
/// anyway, and the first touch of a missing page ends the process. Other files go to the loader as they are.
/// Call it before loading any shared library a user names (a plugin, a GenTL producer).
pub fn check_elf_extent(path: &Path) -> Result<(), PluginError> {
    use object::elf::{FileHeader64, PT_LOAD};
    use object::read::elf::{FileHeader, ProgramHeader};
    use object::Endianness;

    let io = |e: std::io::Error| PluginError::Open {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    let mut head = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::fs::File::open(path).map_err(io)?, 64 * 1024),
        &mut head,
    )
    .map_err(io)?;
    let Ok(header) = FileHeader64::<Endianness>::parse(&*head) else {
        return Ok(());
    };
    let Ok(endian) = header.endian() else {
        return Ok(());
    };
    let truncated = |needed: u64| PluginError::Truncated {
        path: path.to_path_buf(),
        size,
        needed,
    };
    let segments = header
        .program_headers(endian, &*head)
        .map_err(|_| truncated(header.e_phoff(endian) + u64::from(header.e_phnum(endian)) * 56))?;
    let needed = segments
        .iter()
        .filter(|p| p.p_type(endian) == PT_LOAD)
        .map(|p| p.p_offset(endian).saturating_add(p.p_filesz(endian)))
        .max()
        .unwrap_or(0);
    if needed > size {
        return Err(truncated(needed));
    }
    Ok(())
}

/// The ABI version this host loads.
pub fn abi_version() -> &'static str {
    ABI_VERSION
}

/// A place to look for plugins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchEntry {
    /// A plugin file, or a folder of them.
    pub path: PathBuf,
    /// Named by the user (environment, rig): a missing entry is reported. Default folders are skipped
    /// when missing.
    pub explicit: bool,
}

/// Where plugins are looked for, in order: each entry of `AXVS_PLUGIN_PATH`, then `extra` (a rig's
/// `plugin_dirs`), then the user's data folder (`$XDG_DATA_HOME/axvs/plugins`, by default
/// `~/.local/share/axvs/plugins`), then the `plugins` folder beside the `axvs` binary, then
/// `lib/axvs/plugins` beside its folder (`/usr/lib/axvs/plugins` for `/usr/bin/axvs`: the Debian
/// package's plugins).
pub fn search_path(extra: &[PathBuf]) -> Vec<SearchEntry> {
    let mut entries: Vec<SearchEntry> = std::env::var_os(PLUGIN_PATH_VAR)
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .chain(extra.iter().cloned())
        .map(|path| SearchEntry { path, explicit: true })
        .collect();
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".local/share")));
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    let beside = exe_dir.as_ref().map(|dir| dir.join("plugins"));
    let installed = exe_dir
        .as_ref()
        .and_then(|dir| dir.parent())
        .map(|prefix| prefix.join("lib/axvs/plugins"));
    for path in [data.map(|d| d.join("axvs/plugins")), beside, installed]
        .into_iter()
        .flatten()
    {
        entries.push(SearchEntry { path, explicit: false });
    }
    entries
}

/// Whether a file name looks like a shared library on this platform.
fn is_library(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == std::env::consts::DLL_EXTENSION)
}

/// The plugin files the search path names: listed files as they are, and the shared libraries in listed
/// folders (sorted by name). A missing explicit entry is listed too, so that loading reports it.
pub fn candidates(search: &[SearchEntry]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in search {
        if entry.path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(&entry.path)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && is_library(p))
                .collect();
            found.sort();
            files.extend(found);
        } else if entry.path.exists() || entry.explicit {
            files.push(entry.path.clone());
        }
    }
    files.dedup();
    files
}

/// One backend of a plugin, as an [`axvs_core::CameraBackend`].
struct PluginBackend {
    plugin: Arc<Shared>,
    name: String,
}

impl CameraBackend for PluginBackend {
    fn name(&self) -> &str {
        &self.name
    }

    fn configure(&self, settings: &BackendSettings) -> Result<Arc<dyn CameraConfig>, SettingsError> {
        let text = toml::to_string(settings.table())
            .map_err(|e| SettingsError::table(format!("cannot pass these settings to the plugin: {e}")))?;
        let summary = self.plugin.module.configure()(RStr::from_str(&self.name), RStr::from_str(&text))
            .into_result()
            .map_err(SettingsError::from)?;
        // Checked as a built-in camera's (encoder, memory) when the settings fix it.
        let declared_shape = match self.plugin.module.declared_shape() {
            Some(shape) => shape(RStr::from_str(&self.name), RStr::from_str(&text))
                .into_result()
                .map_err(SettingsError::from)?
                .into_option()
                .map(FrameShape::from),
            None => None,
        };
        let files = match self.plugin.module.files() {
            Some(files) => match files(RStr::from_str(&self.name), RStr::from_str(&text))
                .into_result()
                .map_err(SettingsError::from)?
            {
                ROk(files) => Ok(files
                    .into_iter()
                    .map(|Tuple2(key, path)| (key.into_string(), PathBuf::from(path.into_string())))
                    .collect()),
                RErr(why) => Err(why.into_string()),
            },
            None => Ok(Vec::new()),
        };
        let live = match self.plugin.module.live() {
            Some(live) => live(RStr::from_str(&self.name), RStr::from_str(&text))
                .into_result()
                .map_err(SettingsError::from)?,
            // A plugin from before `live` may replay a file: it saves from its first frame.
            None => false,
        };
        Ok(Arc::new(PluginCameraConfig {
            plugin: Arc::clone(&self.plugin),
            backend: self.name.clone(),
            settings: text,
            summary: summary.into(),
            declared_shape,
            files,
            live,
        }))
    }

    fn discover(&self, options: &DiscoverOptions) -> Result<Vec<DiscoveredCamera>, CameraError> {
        let found = self.plugin.module.discover()(RStr::from_str(&self.name), options.simulated)
            .into_result()
            .map_err(|e| e.into_error(&self.plugin.info.name, "discover"))?;
        Ok(found.into_iter().map(|d| d.into_discovered(&self.name)).collect())
    }

    fn libraries(&self) -> Vec<(String, String)> {
        self.plugin
            .module
            .libraries()
            .map(|libraries| {
                libraries(RStr::from_str(&self.name))
                    .into_iter()
                    .map(|Tuple2(name, version)| (name.into_string(), version.into_string()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A plugin camera's settings, checked by the plugin.
struct PluginCameraConfig {
    plugin: Arc<Shared>,
    backend: String,
    settings: String,
    summary: String,
    declared_shape: Option<FrameShape>,
    files: Result<Vec<(String, PathBuf)>, String>,
    live: bool,
}

impl std::fmt::Debug for PluginCameraConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginCameraConfig")
            .field("plugin", &self.plugin.info.path)
            .field("backend", &self.backend)
            .field("settings", &self.settings)
            .finish()
    }
}

impl CameraConfig for PluginCameraConfig {
    fn summary(&self) -> String {
        self.summary.clone()
    }

    fn declared_shape(&self) -> Option<FrameShape> {
        self.declared_shape
    }

    fn files(&self) -> Result<Vec<(String, PathBuf)>, String> {
        self.files.clone()
    }

    fn camera(&self) -> Box<dyn Camera> {
        Box::new(PluginCamera {
            plugin: Arc::clone(&self.plugin),
            backend: self.backend.clone(),
            settings: self.settings.clone(),
            inner: None,
            panicked: None,
            live: self.live,
        })
    }
}

/// A plugin's camera as an [`axvs_core::Camera`]. After a panic inside the plugin the camera is done: every
/// later call fails without entering the plugin, and its state is leaked rather than dropped.
struct PluginCamera {
    plugin: Arc<Shared>,
    backend: String,
    settings: String,
    inner: Option<AbiCameraBox>,
    panicked: Option<String>,
    live: bool,
}

impl PluginCamera {
    fn call<T>(
        &mut self,
        call: &str,
        f: impl FnOnce(&mut AbiCameraBox) -> abi_stable::std_types::RResult<T, AbiCameraError>,
    ) -> Result<T, CameraError> {
        let plugin = &self.plugin.info.name;
        if let Some(earlier) = &self.panicked {
            return Err(CameraError::Device(format!(
                "plugin '{plugin}' panicked earlier ({earlier}); this camera is stopped"
            )));
        }
        let inner = self
            .inner
            .as_mut()
            .ok_or_else(|| CameraError::NotReady(format!("{call} before open")))?;
        match f(inner).into_result() {
            Ok(v) => Ok(v),
            Err(e) => {
                if let AbiCameraError::Panicked(message) = &e {
                    self.panicked = Some(format!("in {call}: {message}"));
                    std::mem::forget(self.inner.take());
                }
                Err(e.into_error(plugin, call))
            }
        }
    }
}

impl Camera for PluginCamera {
    fn live(&self) -> bool {
        self.live
    }

    fn open(&mut self) -> Result<CameraInfo, CameraError> {
        if self.inner.is_none() && self.panicked.is_none() {
            let made = self.plugin.module.camera()(RStr::from_str(&self.backend), RStr::from_str(&self.settings));
            let camera = made.into_result().map_err(|e| CameraError::Setting {
                setting: Some(e.key.to_string())
                    .filter(|k| !k.is_empty())
                    .unwrap_or_else(|| "settings".into()),
                reason: e.message.into(),
            })?;
            self.inner = Some(camera);
        }
        let backend = self.backend.clone();
        self.call("open", |c| c.open()).map(|info| info.into_info(&backend))
    }

    fn start(&mut self) -> Result<(), CameraError> {
        self.call("start", |c| c.start())
    }

    fn grab(&mut self, buf: &mut [u8]) -> Result<GrabInfo, CameraError> {
        self.call("grab", |c| c.grab(buf.into())).map(GrabInfo::from)
    }

    fn stop(&mut self) -> Result<(), CameraError> {
        if self.panicked.is_some() {
            // Stopped already: the panic was reported by the call it happened in.
            return Ok(());
        }
        self.call("stop", |c| c.stop())
    }

    fn close(&mut self) {
        if self.inner.is_some() {
            if let Err(e) = self.call("close", |c| c.close()) {
                tracing::warn!("closing a camera of plugin '{}': {e}", self.plugin.info.name);
            }
            self.inner = None;
        }
    }
}
