//! Which producer (`.cti`) to use: named for one run (`AXVS_CTI_PATH`), by the rig (`cti = "..."`),
//! stored once for the user (`axvs cti set`), or found where the GenTL standard says producers are
//! (`GENICAM_GENTL64_PATH`).

use std::fmt;
use std::path::{Path, PathBuf};

/// The environment variable that names the producer for one run; it wins over everything else.
pub const CTI_PATH_VAR: &str = "AXVS_CTI_PATH";
/// The GenTL standard's list of folders holding producers (64-bit), searched last.
pub const GENTL_PATH_VAR: &str = "GENICAM_GENTL64_PATH";

/// Where the chosen producer came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CtiSource {
    /// `AXVS_CTI_PATH`.
    Environment,
    /// The rig or command.
    Named,
    /// The user's stored choice (`axvs cti set`), in this file.
    Stored(PathBuf),
    /// The first producer in a `GENICAM_GENTL64_PATH` folder.
    GentlPath,
}

impl fmt::Display for CtiSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CtiSource::Environment => write!(f, "from {CTI_PATH_VAR}"),
            CtiSource::Named => write!(f, "named by the rig"),
            CtiSource::Stored(file) => write!(f, "stored in {}", file.display()),
            CtiSource::GentlPath => write!(f, "found on {GENTL_PATH_VAR}"),
        }
    }
}

/// No producer anywhere.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no GenTL producer: set one with `axvs cti set PATH`, name it with cti = \"...\" in the rig, or set \
     {CTI_PATH_VAR} or {GENTL_PATH_VAR}"
)]
pub struct NoProducer;

/// The file that keeps the user's choice: `$XDG_CONFIG_HOME/axvs/gentl-producer`, by default
/// `~/.config/axvs/gentl-producer`.
pub fn config_file() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".config")))
        .map(|dir| dir.join("axvs/gentl-producer"))
}

/// The stored choice, if any.
pub fn stored() -> Option<(PathBuf, PathBuf)> {
    let file = config_file()?;
    let text = std::fs::read_to_string(&file).ok()?;
    let path = text.trim();
    (!path.is_empty()).then(|| (PathBuf::from(path), file))
}

/// Stores `producer` (made absolute) as the user's choice; returns the file written.
pub fn store(producer: &Path) -> std::io::Result<PathBuf> {
    let file = config_file().ok_or_else(|| std::io::Error::other("neither XDG_CONFIG_HOME nor HOME is set"))?;
    let absolute = std::path::absolute(producer)?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&file, format!("{}\n", absolute.display()))?;
    Ok(file)
}

/// The producer to use, and where that choice came from.
pub fn resolve(named: Option<&Path>) -> Result<(PathBuf, CtiSource), NoProducer> {
    if let Some(path) = std::env::var_os(CTI_PATH_VAR).filter(|v| !v.is_empty()) {
        return Ok((PathBuf::from(path), CtiSource::Environment));
    }
    if let Some(path) = named {
        return Ok((path.to_path_buf(), CtiSource::Named));
    }
    if let Some((path, file)) = stored() {
        return Ok((path, CtiSource::Stored(file)));
    }
    let dirs = std::env::var_os(GENTL_PATH_VAR).ok_or(NoProducer)?;
    for dir in std::env::split_paths(&dirs) {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("cti")))
            .collect();
        found.sort();
        if let Some(first) = found.into_iter().next() {
            return Ok((first, CtiSource::GentlPath));
        }
    }
    Err(NoProducer)
}
