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
    py.detach(|| axvs_log::truth::unarchived_logs(&log_dir))
        .map_err(|e| errors::log(&e))
}
