//! `camera_manifest.yaml`: which source id is which camera, in the log directory.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::LogFileError;

/// The manifest's file name.
pub const MANIFEST_FILE: &str = "camera_manifest.yaml";

/// The manifest: a list of sources.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CameraManifest {
    /// Registered sources.
    pub sources: Vec<ManifestSource>,
}

/// One registered source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestSource {
    /// Source id.
    pub id: u8,
    /// Camera name.
    pub name: String,
}

/// Reads a manifest.
pub fn read(path: &Path) -> Result<CameraManifest, LogFileError> {
    let text = axvs_core::read_text_file(path).map_err(LogFileError::io(path))?;
    serde_saphyr::from_str(&text).map_err(|e| LogFileError::Manifest {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Adds (or renames) source `id` in `<log_dir>/camera_manifest.yaml`, keeping the other entries, and returns
/// the manifest's path. The file is replaced atomically.
pub fn register(log_dir: &Path, id: u8, name: &str) -> Result<PathBuf, LogFileError> {
    let path = log_dir.join(MANIFEST_FILE);
    let mut manifest = if path.exists() {
        read(&path)?
    } else {
        CameraManifest::default()
    };
    match manifest.sources.iter_mut().find(|s| s.id == id) {
        Some(source) => source.name = name.to_string(),
        None => manifest.sources.push(ManifestSource {
            id,
            name: name.to_string(),
        }),
    }
    let body = serde_saphyr::to_string(&manifest).map_err(|e| LogFileError::Manifest {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    axvs_core::write_yaml_document(&path, &body).map_err(LogFileError::io(&path))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_merges_and_reads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        register(dir.path(), 101, "left_camera").expect("register");
        register(dir.path(), 7, "right").expect("register");
        let path = register(dir.path(), 101, "left").expect("register");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.starts_with("---\nsources:\n- id: 101\n  name: left\n"), "{text}");
        assert!(text.ends_with("...\n"));
        assert_eq!(read(&path).expect("parse").sources.len(), 2);
    }
}
