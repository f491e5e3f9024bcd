//! A session's files: the camera manifest, and which raw logs have no archive yet.

use std::path::PathBuf;

use pyo3::prelude::*;

use crate::errors;

/// Adds (or renames) camera `id` in `log_dir`'s camera manifest, made when missing; returns its path.
#[pyfunction]
pub fn write_manifest(py: Python<'_>, log_dir: PathBuf, id: u8, name: String) -> PyResult<PathBuf> {
    py.detach(|| axvs_log::manifest::register(&log_dir, id, &name))
        .map_err(|e| errors::log(&e))
}

/// The raw logs (`NNN.axvslog`) directly in `log_dir` whose archive (`N_log.npz`) is not beside them.
#[pyfunction]
pub fn unarchived_logs(py: Python<'_>, log_dir: PathBuf) -> PyResult<Vec<PathBuf>> {
    py.detach(|| {
        let entries = std::fs::read_dir(&log_dir)
            .map_err(|e| errors::LogError::new_err(format!("{}: {e}", log_dir.display())))?;
        let mut logs = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let Some((id, true)) = name.to_str().and_then(axvs_log::process::discover::log_source_id) else {
                continue;
            };
            if !log_dir.join(axvs_log::npz::archive_name(id)).is_file() {
                logs.push(path);
            }
        }
        logs.sort();
        Ok(logs)
    })
}
