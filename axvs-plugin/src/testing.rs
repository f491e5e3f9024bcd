//! The plugin writer's test harness: the library cargo built for the plugin's tests,
//! loaded as `axvs` loads it; the shared conformance check run through the ABI; a short recording made by the
//! `axvs` binary with the plugin's camera, its accounting checked.
//!
//! In a plugin crate's `tests/harness.rs`:
//!
//! ```no_run
//! use axvs_plugin::axvs_core::conformance::Expect;
//! use axvs_plugin::testing::Harness;
//!
//! let harness = Harness::for_package(env!("CARGO_PKG_NAME")).unwrap();
//! let settings = "width = 64\nheight = 48\nframes = 5\npaced = false";
//! harness.conformance("ramp", settings, Expect { frames: 5, ends: true }).unwrap();
//! let out = tempfile::tempdir().unwrap();
//! let recording = harness.record("ramp", settings, out.path()).unwrap();
//! assert_eq!(recording.saved, 5);
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use axvs_core::conformance::{check_camera, Expect, Nonconformance};
use axvs_core::{BackendSettings, CameraBackend, CameraConfig, DropCounts, SettingsError};

use crate::{Plugin, PluginError, PluginInfo, PLUGIN_PATH_VAR};

/// The environment variable naming the `axvs` binary [`Harness::record`] runs (else the one cargo built
/// beside the test, else `axvs` on `PATH`).
pub const AXVS_BIN_VAR: &str = "AXVS_BIN";

/// What failed, naming the plugin, the backend or the run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// The built library is not where cargo puts it.
    #[error("no plugin library {name} beside the test ({searched}): is the crate's lib a cdylib?")]
    NotBuilt {
        /// The library's file name.
        name: String,
        /// Where it was looked for.
        searched: String,
    },
    /// The library could not be loaded as a plugin.
    #[error(transparent)]
    Load(#[from] PluginError),
    /// The plugin provides no backend of this name.
    #[error("{plugin}: no backend \"{backend}\" (it provides: {available})")]
    NoBackend {
        /// The plugin's file.
        plugin: String,
        /// The name asked for.
        backend: String,
        /// The names it provides.
        available: String,
    },
    /// The settings are not TOML.
    #[error("settings: {0}")]
    Toml(#[from] toml::de::Error),
    /// The backend refused the settings.
    #[error("backend \"{backend}\": {source}")]
    Settings {
        /// The backend.
        backend: String,
        /// Its refusal.
        source: SettingsError,
    },
    /// The camera broke a rule of the conformance check.
    #[error("backend \"{backend}\": {source}")]
    Nonconformance {
        /// The backend.
        backend: String,
        /// The rule and what the camera did.
        source: Nonconformance,
    },
    /// A file of the recording could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// `axvs run` failed or could not start.
    #[error("axvs run ({axvs}): {detail}")]
    Run {
        /// The binary run.
        axvs: String,
        /// Its exit status and standard error, or why it did not start.
        detail: String,
    },
    /// The recording's figures do not add up.
    #[error("the recording of backend \"{backend}\": {detail}")]
    Accounting {
        /// The backend.
        backend: String,
        /// The figures that disagree.
        detail: String,
    },
}

/// A plugin library loaded as `axvs` loads it.
#[derive(Debug, Clone)]
pub struct Harness {
    plugin: Plugin,
}

/// What a short recording with the plugin's camera produced, as `axvs run --report` states it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// Frames the camera delivered.
    pub acquired: u64,
    /// Frames saved to the video and the log.
    pub saved: u64,
    /// The video file.
    pub video: PathBuf,
    /// The camera's timestamp archive (`.npz`, the original's format).
    pub archive: Option<PathBuf>,
}

impl Harness {
    /// Loads the plugin library at `path`.
    pub fn load(path: &Path) -> Result<Harness, HarnessError> {
        Ok(Harness {
            plugin: Plugin::load(path)?,
        })
    }

    /// Loads the library cargo built for the tests of package `package` (its `cdylib`, found beside the
    /// test executable).
    pub fn for_package(package: &str) -> Result<Harness, HarnessError> {
        Harness::load(&built_library(package)?)
    }

    /// What the plugin declares: name, version, ABI, backends.
    pub fn info(&self) -> &PluginInfo {
        self.plugin.info()
    }

    /// The plugin's backend `name`, as the host registers it.
    pub fn backend(&self, name: &str) -> Result<Arc<dyn CameraBackend>, HarnessError> {
        self.plugin.backend(name).ok_or_else(|| HarnessError::NoBackend {
            plugin: self.info().path.display().to_string(),
            backend: name.into(),
            available: self.info().backends.join(", "),
        })
    }

    /// Backend `backend` configured with `settings` (the keys of a rig's `[[camera]]` table, as TOML),
    /// through the ABI.
    pub fn configure(&self, backend: &str, settings: &str) -> Result<Arc<dyn CameraConfig>, HarnessError> {
        let table: toml::Table = settings.parse()?;
        self.backend(backend)?
            .configure(&BackendSettings::new(table))
            .map_err(|source| HarnessError::Settings {
                backend: backend.into(),
                source,
            })
    }

    /// Runs the conformance check every backend passes (see [`check_camera`]) on cameras of `backend` with
    /// `settings`, through the ABI.
    pub fn conformance(&self, backend: &str, settings: &str, expect: Expect) -> Result<(), HarnessError> {
        let config = self.configure(backend, settings)?;
        check_camera(|| config.camera(), expect).map_err(|source| HarnessError::Nonconformance {
            backend: backend.into(),
            source,
        })
    }

    /// Records one camera of `backend` with `settings` (which may end with a `[camera.encoder]` table) until
    /// its stream ends or 60 s pass, with the `axvs` binary loading this plugin, into `out`; checks that every
    /// frame is accounted for (acquired = saved + dropped, no frame unlogged, video frames = saved, no error).
    pub fn record(&self, backend: &str, settings: &str, out: &Path) -> Result<Recording, HarnessError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| HarnessError::Io { path, source }
        };
        std::fs::create_dir_all(out).map_err(io(out))?;
        let rig = out.join("harness.toml");
        // A few frames into a folder of the test's: the free-space guard, which keeps a share of the disk free
        // for real recordings, would only make the test depend on how full the developer's disk is.
        let text = format!(
            "min_free_space = \"0\"\n[[camera]]\nid = 1\nname = \"harness\"\nbackend = \"{backend}\"\n{settings}\n"
        );
        std::fs::write(&rig, text).map_err(io(&rig))?;
        let report_path = out.join("harness-report.json");
        let axvs = axvs_binary();
        let run = |detail: String| HarnessError::Run {
            axvs: axvs.display().to_string(),
            detail,
        };
        let output = Command::new(&axvs)
            .args([
                "run",
                "--session",
                "harness",
                "--status-interval",
                "0",
                "--duration",
                "60",
                "-o",
            ])
            .arg(out)
            .arg("--report")
            .arg(&report_path)
            .arg(&rig)
            .env(PLUGIN_PATH_VAR, &self.info().path)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| run(e.to_string()))?;
        if !output.status.success() {
            return Err(run(format!(
                "{}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        let text = std::fs::read_to_string(&report_path).map_err(io(&report_path))?;
        let report: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| run(format!("{}: {e}", report_path.display())))?;
        account(backend, &report["cameras"][0])
    }
}

/// The recording of one camera of a report, if its figures add up.
fn account(backend: &str, camera: &serde_json::Value) -> Result<Recording, HarnessError> {
    let wrong = |detail: String| HarnessError::Accounting {
        backend: backend.into(),
        detail,
    };
    let status = &camera["status"];
    let count = |value: &serde_json::Value, name: &str| {
        value
            .as_u64()
            .ok_or_else(|| wrong(format!("the report has no {name}: {camera}")))
    };
    let acquired = count(&status["acquired"], "acquired")?;
    let saved = count(&status["saved"], "saved")?;
    let dropped: DropCounts = serde_json::from_value(status["dropped"].clone())
        .map_err(|e| wrong(format!("the report's drops by reason: {e}: {camera}")))?;
    let dropped_total = dropped.total();
    if acquired != saved + dropped_total {
        return Err(wrong(format!(
            "acquired {acquired} != saved {saved} + dropped {dropped_total}"
        )));
    }
    let unlogged = count(&status["unlogged"], "unlogged")?;
    let video_frames = count(&camera["video_frames"], "video_frames")?;
    if unlogged != 0 || video_frames != saved {
        return Err(wrong(format!(
            "saved {saved}, but {video_frames} frames in the video and {unlogged} unlogged"
        )));
    }
    if let Some(errors) = camera["errors"].as_array().filter(|e| !e.is_empty()) {
        return Err(wrong(format!("errors: {errors:?}")));
    }
    let video = camera["video"].as_str().ok_or_else(|| wrong("no video".into()))?;
    Ok(Recording {
        acquired,
        saved,
        video: video.into(),
        archive: camera["archive"].as_str().map(PathBuf::from),
    })
}

/// The `cdylib` cargo built for package `package`'s tests: beside the test executable (`target/<profile>/deps`)
/// or one folder up.
pub fn built_library(package: &str) -> Result<PathBuf, HarnessError> {
    let name = library_file_name(package);
    let exe = std::env::current_exe().map_err(|source| HarnessError::Io {
        path: "the test executable".into(),
        source,
    })?;
    let dirs: Vec<&Path> = exe.ancestors().skip(1).take(2).collect();
    dirs.iter()
        .map(|dir| dir.join(&name))
        .find(|path| path.is_file())
        .ok_or_else(|| HarnessError::NotBuilt {
            name,
            searched: dirs
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The file name cargo gives the `cdylib` of package `package` (`libaxvs_plugin_ramp.so` for
/// `axvs-plugin-ramp`).
pub fn library_file_name(package: &str) -> String {
    crate::bundled::library_file(&package.replace('-', "_"))
}

/// The `axvs` that [`Harness::record`] runs: [`AXVS_BIN_VAR`], else the one cargo built into the test's
/// target folder (in the axvs workspace), else `axvs` on `PATH`.
fn axvs_binary() -> PathBuf {
    if let Some(path) = std::env::var_os(AXVS_BIN_VAR) {
        return path.into();
    }
    let name = format!("axvs{}", std::env::consts::EXE_SUFFIX);
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().and_then(Path::parent).map(|dir| dir.join(&name)))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| name.into())
}
