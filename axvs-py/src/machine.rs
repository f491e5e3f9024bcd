//! What this machine can record with: cameras, encoders, the GenTL producer.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use axvs_core::DiscoverOptions;

use crate::errors;

/// The cameras each backend can open here (simulated devices too when `simulated`): a list of dicts
/// (`backend`, `address`, `vendor`, `model`, `serial`, `sizes`, `rates`, `pixel_formats`), and a dict of the
/// backends whose discovery failed, with why.
#[pyfunction]
#[pyo3(signature = (simulated=false))]
pub fn discover(py: Python<'_>, simulated: bool) -> PyResult<(Bound<'_, PyList>, Bound<'_, PyDict>)> {
    let found = py.detach(|| crate::backends().discover_all(&DiscoverOptions { simulated }));
    let cameras = PyList::empty(py);
    let failed = PyDict::new(py);
    for discovery in found {
        match discovery.found {
            Ok(list) => {
                for camera in list {
                    cameras.append(pythonize::pythonize(py, &camera)?)?;
                }
            }
            Err(e) => failed.set_item(discovery.backend, e.to_string())?,
        }
    }
    Ok((cameras, failed))
}

/// What `axvs check` reports about the machine (FFmpeg and its encoders, OpenCV, GStreamer, Aravis, the
/// GenTL producer, plugins), as a dict.
#[pyfunction]
pub fn requirements(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let found = py.detach(|| axvs_session::requirements::check(&mut crate::backends()));
    Ok(pythonize::pythonize(py, &found)?)
}

/// The GenTL producer the `gentl` backend uses, where it was chosen, and whether it loads, as a dict.
#[pyfunction]
pub fn cti_status(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let status = py.detach(axvs_session::requirements::cti_status);
    Ok(pythonize::pythonize(py, &status)?)
}

/// Checks that the GenTL producer at `path` loads, then stores it as this user's choice (as `axvs cti set`);
/// returns the file the choice is stored in.
#[pyfunction]
pub fn store_cti(py: Python<'_>, path: PathBuf) -> PyResult<PathBuf> {
    py.detach(|| {
        let producer = axvs_gentl::Producer::load(&path).map_err(|e| errors::AxvsError::new_err(e.to_string()))?;
        axvs_gentl::cti::store(producer.path())
            .map_err(|e| errors::AxvsError::new_err(format!("storing the GenTL producer choice: {e}")))
    })
}

/// A GenICam camera's writable nodes and values (the YAML `axvs genicam dump` writes) as a dict: the camera
/// at `index` through the GenTL producer (`gentl`, the original's Harvesters) or Aravis (`fake` also offers
/// Aravis' simulated camera), `blacklist` nodes skipped.
#[pyfunction]
#[pyo3(signature = (index, blacklist, gentl=true, fake=false))]
pub fn genicam_configuration(
    py: Python<'_>,
    index: u32,
    blacklist: Vec<String>,
    gentl: bool,
    fake: bool,
) -> PyResult<Bound<'_, PyAny>> {
    let configuration = py.detach(|| {
        let mut map = axvs_session::nodes::open(&axvs_genicam::DeviceSelector::Index(index), fake, gentl, None)
            .map_err(errors::AxvsError::new_err)?;
        Ok::<_, PyErr>(map.dump(&blacklist))
    })?;
    Ok(pythonize::pythonize(py, &configuration)?)
}
