//! Frame times from a log or archive, handed to numpy without a copy.

use std::path::PathBuf;

use numpy::PyArray1;
use pyo3::prelude::*;

use crate::errors;

/// µs since the UNIX epoch (UTC) of every saved frame in `path` (a `<id>_log.npz` archive, the original's
/// too, or a raw `.axvslog`), in video order, as a `numpy.uint64` array that owns the times read (no copy).
/// A session's raw log is read from its reconciled archive, as every axvs reader does.
#[pyfunction]
pub fn frame_times(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyArray1<u64>>> {
    let extraction = py
        .detach(|| axvs_log::timestamps::extract(&path))
        .map_err(|e| errors::log(&e))?;
    let times = extraction.frame_times();
    Ok(PyArray1::from_vec(py, times))
}
