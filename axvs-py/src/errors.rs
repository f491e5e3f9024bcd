//! The package's exceptions (defined in Python, `axvs/errors.py`, so that each can also be the built-in
//! exception the original raised: a `ValueError`, a `RuntimeError`); each carries the message the `axvs`
//! command prints for the same error.

use pyo3::prelude::*;

pyo3::import_exception!(axvs.errors, AxvsError);
pyo3::import_exception!(axvs.errors, RigError);
pyo3::import_exception!(axvs.errors, SessionError);
pyo3::import_exception!(axvs.errors, LogError);

/// A rig error as Python's.
pub fn rig(e: &axvs_session::rig::RigError) -> PyErr {
    RigError::new_err(e.to_string())
}

/// A session error as Python's.
pub fn session(e: &axvs_session::session::SessionError) -> PyErr {
    SessionError::new_err(e.to_string())
}

/// A log error as Python's.
pub fn log(e: &axvs_log::LogFileError) -> PyErr {
    LogError::new_err(e.to_string())
}
