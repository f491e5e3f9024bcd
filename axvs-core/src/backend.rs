//! Camera backends as a registry: each backend owns its settings, its discovery and how its cameras open.
//!
//! A rig hands each `[[camera]]` table's backend keys to the backend it names, as [`BackendSettings`]; the
//! backend validates them once ([`CameraBackend::configure`]) and returns a [`CameraConfig`] that makes
//! cameras. Built-in backends and plugins loaded at run time register the same way, so nothing above the
//! backend matches on backend names.
//!
//! ```
//! use axvs_core::{BackendRegistry, BackendSettings, SyntheticBackend};
//!
//! let mut registry = BackendRegistry::new();
//! registry.register(SyntheticBackend).unwrap();
//! let table: toml::Table = "width = 320\nheight = 240\nfps = 60".parse().unwrap();
//! let config = registry.get("synthetic").unwrap().configure(&BackendSettings::new(table)).unwrap();
//! assert!(config.summary().contains("320x240"));
//! let _camera = config.camera(); // not opened yet
//! ```

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Camera, CameraError, FrameShape};

/// One camera table's backend keys (everything but the keys the rig itself uses).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackendSettings {
    table: toml::Table,
}

impl BackendSettings {
    /// Settings from a TOML table.
    pub fn new(table: toml::Table) -> Self {
        BackendSettings { table }
    }

    /// The keys and values as given.
    pub fn table(&self) -> &toml::Table {
        &self.table
    }

    /// Which one of `keys` is given, when exactly one is: for a backend whose camera is named one of several
    /// ways (`index`, `path`, ...). `backend` names it in the error.
    pub fn exactly_one<'k>(&self, backend: &str, keys: &[&'k str]) -> Result<&'k str, SettingsError> {
        let given: Vec<&'k str> = keys.iter().copied().filter(|k| self.table.contains_key(*k)).collect();
        match given.as_slice() {
            [one] => Ok(one),
            _ => Err(SettingsError::table(format!(
                "backend \"{backend}\" needs exactly one of {} (given: {})",
                keys.join(", "),
                if given.is_empty() {
                    "none".to_string()
                } else {
                    given.join(", ")
                }
            ))),
        }
    }

    /// Deserializes the backend's own settings type, naming the key at fault in an error. Declare the type
    /// with `#[serde(deny_unknown_fields)]` so that a misspelt key is an error, not a default.
    pub fn parse<S: DeserializeOwned>(&self) -> Result<S, SettingsError> {
        let value = toml::Value::Table(self.table.clone());
        serde_path_to_error::deserialize::<_, S>(value).map_err(|e| {
            let path = Some(e.path().to_string()).filter(|p| !p.is_empty() && p != ".");
            let message = e.into_inner().to_string();
            match (unknown_field(&message), path) {
                (Some(field), path) => SettingsError::UnknownKey {
                    key: path.unwrap_or_else(|| field.to_string()),
                    message,
                },
                (None, Some(key)) => SettingsError::Value { key, message },
                (None, None) => SettingsError::Table(message),
            }
        })
    }
}

/// The key named by serde's "unknown field `x`, expected …" message.
fn unknown_field(message: &str) -> Option<&str> {
    message.strip_prefix("unknown field `")?.split('`').next()
}

/// Why a backend refuses its settings; the rig turns it into `file:line:column: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// A key the backend does not know (located at the key).
    #[error("{message}")]
    UnknownKey {
        /// The key.
        key: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A key whose value is refused (located at the value).
    #[error("{message}")]
    Value {
        /// The key (a dotted path for nested tables).
        key: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The settings as a whole (a missing key, keys that exclude each other).
    #[error("{0}")]
    Table(String),
}

impl SettingsError {
    /// An error about the value of `key`.
    pub fn value(key: impl Into<String>, message: impl Into<String>) -> Self {
        SettingsError::Value {
            key: key.into(),
            message: message.into(),
        }
    }

    /// An error about the settings as a whole.
    pub fn table(message: impl Into<String>) -> Self {
        SettingsError::Table(message.into())
    }

    /// The key at fault, when there is one.
    pub fn key(&self) -> Option<&str> {
        match self {
            SettingsError::UnknownKey { key, .. } | SettingsError::Value { key, .. } => Some(key),
            SettingsError::Table(_) => None,
        }
    }
}

/// A camera a backend found on this machine, in one record for every backend.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct DiscoveredCamera {
    /// The backend that found it.
    pub backend: String,
    /// What to put in the rig to open it (index, path, device id).
    pub address: String,
    /// Vendor, when known.
    pub vendor: Option<String>,
    /// Model, when known.
    pub model: Option<String>,
    /// Serial number, when known.
    pub serial: Option<String>,
    /// Frame sizes it can deliver (width, height), when it tells.
    pub sizes: Vec<(u32, u32)>,
    /// Frame rates it can deliver, when it tells.
    pub rates: Vec<f64>,
    /// Pixel formats it can deliver (its own names), when it tells.
    pub pixel_formats: Vec<String>,
}

impl fmt::Display for DiscoveredCamera {
    /// One line: `backend address vendor model serial WxH @ fps formats`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.backend, self.address)?;
        for part in [&self.vendor, &self.model].into_iter().flatten() {
            write!(f, " {part}")?;
        }
        if let Some(serial) = &self.serial {
            write!(f, " serial {serial}")?;
        }
        let sizes: Vec<String> = self.sizes.iter().map(|(w, h)| format!("{w}x{h}")).collect();
        if !sizes.is_empty() {
            write!(f, " {}", sizes.join(","))?;
        }
        let rates: Vec<String> = self.rates.iter().map(|r| format!("{r}")).collect();
        if !rates.is_empty() {
            write!(f, " @ {} fps", rates.join(","))?;
        }
        if !self.pixel_formats.is_empty() {
            write!(f, " {}", self.pixel_formats.join(","))?;
        }
        Ok(())
    }
}

/// What discovery may include.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiscoverOptions {
    /// Also list simulated devices: those that stand for no hardware (Aravis' Fake camera, an SDK's emulated
    /// camera, a plugin's test pattern) are listed only when this is set; real sources (devices, files,
    /// streams) are listed either way.
    pub simulated: bool,
}

/// A kind of camera: its settings, its discovery and how its cameras are made.
pub trait CameraBackend: Send + Sync {
    /// The name a rig's `backend = "…"` uses.
    fn name(&self) -> &str;

    /// Validates one camera's settings, once, and returns what makes the camera.
    fn configure(&self, settings: &BackendSettings) -> Result<Arc<dyn CameraConfig>, SettingsError>;

    /// The cameras this backend can open here.
    fn discover(&self, options: &DiscoverOptions) -> Result<Vec<DiscoveredCamera>, CameraError>;

    /// The libraries its cameras record through, as (name, version) as loaded (`("OpenCV", "4.6.0")`): each
    /// session's provenance names them. The default: none.
    fn libraries(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// One camera's validated settings.
pub trait CameraConfig: Send + Sync + fmt::Debug {
    /// One line for `axvs check`: the backend and what it will open, e.g. `synthetic 640x480 30 fps mono8`.
    fn summary(&self) -> String;

    /// A new camera with these settings, not yet opened.
    fn camera(&self) -> Box<dyn Camera>;

    /// The frames the camera will deliver, when the settings fix them without opening the device (width,
    /// height and pixel format all given): `axvs check` then checks the encoder and the memory against
    /// them, as `run` does once the camera is open. `None` (the default) when only the device can tell.
    fn declared_shape(&self) -> Option<FrameShape> {
        None
    }

    /// Every file these settings make the camera read or write (a video to replay, a node configuration,
    /// a GenTL producer), each with the key that names it, so that a server confined to one folder
    /// (`axvs mcp --root`) can refuse the ones outside it. `Err` says why the settings can reach files that
    /// no key names (a GStreamer pipeline with file elements). The default: none.
    fn files(&self) -> Result<Vec<(String, PathBuf)>, String> {
        Ok(Vec::new())
    }
}

/// A backend name given twice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("camera backend \"{0}\" is registered twice")]
pub struct DuplicateBackend(pub String);

/// The backends a program knows, by name.
#[derive(Clone, Default)]
pub struct BackendRegistry {
    backends: Vec<Arc<dyn CameraBackend>>,
}

impl fmt::Debug for BackendRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl BackendRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a backend; its name must be new.
    pub fn register(&mut self, backend: impl CameraBackend + 'static) -> Result<(), DuplicateBackend> {
        self.register_arc(Arc::new(backend))
    }

    /// Adds a shared backend; its name must be new.
    pub fn register_arc(&mut self, backend: Arc<dyn CameraBackend>) -> Result<(), DuplicateBackend> {
        if self.get(backend.name()).is_some() {
            return Err(DuplicateBackend(backend.name().to_string()));
        }
        self.backends.push(backend);
        Ok(())
    }

    /// The backend of this name.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn CameraBackend>> {
        self.backends.iter().find(|b| b.name() == name)
    }

    /// The names, in registration order.
    pub fn names(&self) -> Vec<&str> {
        self.backends.iter().map(|b| b.name()).collect()
    }

    /// Every backend, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn CameraBackend>> {
        self.backends.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "only deserialized")]
    struct Settings {
        width: u32,
        #[serde(default)]
        nested: Option<Nested>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "only deserialized")]
    struct Nested {
        depth: u8,
    }

    fn parse(text: &str) -> Result<Settings, SettingsError> {
        BackendSettings::new(text.parse().expect("toml")).parse()
    }

    #[test]
    fn errors_name_the_key_at_fault() {
        assert!(parse("width = 3").is_ok());
        let e = parse("width = 3\nwidht = 4").expect_err("unknown key");
        assert_eq!(e.key(), Some("widht"), "{e:?}");
        assert!(matches!(e, SettingsError::UnknownKey { .. }));
        assert!(e.to_string().contains("expected `width`"), "{e}");
        let e = parse("width = \"tall\"").expect_err("bad value");
        assert_eq!(e, SettingsError::value("width", e.to_string()));
        let e = parse("width = 1\nnested = { depth = 300 }").expect_err("nested value");
        assert_eq!(e.key(), Some("nested.depth"), "{e:?}");
        let settings = BackendSettings::new("path = 1\nurl = 2".parse().expect("toml"));
        assert_eq!(settings.table().len(), 2);
        assert_eq!(settings.exactly_one("b", &["index", "path"]), Ok("path"));
        let e = settings.exactly_one("b", &["path", "url"]).expect_err("two");
        assert_eq!(
            e.to_string(),
            "backend \"b\" needs exactly one of path, url (given: path, url)"
        );
        let e = settings.exactly_one("b", &["index"]).expect_err("none");
        assert!(e.to_string().ends_with("(given: none)"), "{e}");
        let e = parse("").expect_err("missing key");
        assert_eq!(e.key(), None, "{e:?}");
        assert!(e.to_string().contains("missing field `width`"), "{e}");
    }

    struct Named(&'static str);

    impl CameraBackend for Named {
        fn name(&self) -> &str {
            self.0
        }
        fn configure(&self, _: &BackendSettings) -> Result<Arc<dyn CameraConfig>, SettingsError> {
            Err(SettingsError::table("no"))
        }
        fn discover(&self, _: &DiscoverOptions) -> Result<Vec<DiscoveredCamera>, CameraError> {
            Ok(Vec::new())
        }
    }

    #[test]
    fn names_are_unique_and_kept_in_order() {
        let mut registry = BackendRegistry::new();
        registry.register(Named("b")).expect("new");
        registry.register(Named("a")).expect("new");
        assert_eq!(registry.register(Named("b")), Err(DuplicateBackend("b".into())));
        assert_eq!(registry.names(), ["b", "a"]);
        assert!(registry.get("a").is_some() && registry.get("c").is_none());
        let names: Vec<&str> = registry.iter().map(|b| b.name()).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(format!("{registry:?}"), r#"["b", "a"]"#);
    }

    #[test]
    fn a_discovered_camera_reads_as_one_line() {
        let cam = DiscoveredCamera {
            backend: "genicam".into(),
            address: "Aravis-GV01".into(),
            vendor: Some("Aravis".into()),
            model: Some("GV01".into()),
            serial: Some("GV01".into()),
            sizes: vec![(512, 512)],
            rates: vec![25.0],
            pixel_formats: vec!["Mono8".into()],
        };
        assert_eq!(
            cam.to_string(),
            "genicam Aravis-GV01 Aravis GV01 serial GV01 512x512 @ 25 fps Mono8"
        );
    }
}
