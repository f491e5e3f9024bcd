//! The Python package's native module (`axvs._axvs`): recording sessions and the log readers of the Rust
//! crates, called in process; the pure-Python layer (`python/axvs`) gives them the original's names.
//!
//! Every function here calls the same library function as the matching `axvs` command or MCP tool; none
//! holds the GIL while Rust works.

mod errors;
mod files;
mod machine;
mod processing;
mod session;
mod timestamps;

use pyo3::prelude::*;

use axvs_session::backends::Backends;

/// The backends of a session made from Python: `axvs`' own, with OpenCV's linked into this module (the
/// wheel is one library) instead of loaded from its plugin.
fn backends() -> Backends {
    Backends::with_linked(vec![
        #[cfg(feature = "opencv")]
        std::sync::Arc::new(axvs_camera_opencv::OpenCvBackend),
    ])
}

/// The native module.
#[pymodule]
fn _axvs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<session::NativeSession>()?;
    m.add_function(wrap_pyfunction!(timestamps::frame_times, m)?)?;
    m.add_function(wrap_pyfunction!(files::write_manifest, m)?)?;
    m.add_function(wrap_pyfunction!(files::unarchived_logs, m)?)?;
    m.add_function(wrap_pyfunction!(processing::process_logs, m)?)?;
    m.add_function(wrap_pyfunction!(machine::discover, m)?)?;
    m.add_function(wrap_pyfunction!(machine::requirements, m)?)?;
    m.add_function(wrap_pyfunction!(machine::cti_status, m)?)?;
    m.add_function(wrap_pyfunction!(machine::store_cti, m)?)?;
    m.add_function(wrap_pyfunction!(machine::genicam_configuration, m)?)?;
    Ok(())
}
