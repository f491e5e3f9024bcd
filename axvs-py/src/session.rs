//! A recording session driven from Python: axvs-session's watched [`SessionSlot`] (the same one the MCP
//! server drives), started from a rig file, TOML text or a dict.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use axvs_session::rig::Rig;
use axvs_session::session::slot::{SessionSlot, SessionState, SlotError};
use axvs_session::session::{PreviewChoice, Session, SessionDirs, SessionOptions};

use crate::errors;

/// How often [`NativeSession::wait`] lets Python handle its signals (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// A session's refusal, worded in the Python methods' names.
fn refusal(e: SlotError) -> PyErr {
    let message = match e {
        SlotError::Busy => "this session is already running".to_string(),
        SlotError::Stopping => "the session is stopping".to_string(),
        SlotError::Ended(reason) => format!("the session stopped by itself ({reason}); stop() returns its report"),
        SlotError::Idle => "the session is not running; call start() first".to_string(),
        other => other.to_string(),
    };
    errors::SessionError::new_err(message)
}

/// The native half of `axvs.Session`: its rig until `start`, then the running session.
#[pyclass(module = "axvs._axvs", name = "NativeSession")]
pub struct NativeSession {
    rig: Mutex<Option<Rig>>,
    cameras: Vec<(u8, String)>,
    options: SessionOptions,
    slot: SessionSlot,
}

/// Loads a rig given as `kind` = "path", "toml" or "dict" (a dict arrives as JSON text).
fn load_rig(kind: &str, value: &str) -> Result<Rig, PyErr> {
    let mut backends = crate::backends();
    let rig = match kind {
        "path" => Rig::load(Path::new(value), &mut backends),
        "toml" => Rig::parse("<rig text>", value, Path::new(""), &mut backends),
        "builtin" => Rig::builtin(&mut backends),
        "dict" => {
            let json: serde_json::Value =
                serde_json::from_str(value).map_err(|e| PyValueError::new_err(format!("rig dict: {e}")))?;
            let table = toml::Value::try_from(json)
                .map_err(|e| errors::RigError::new_err(format!("rig dict: {e} (None has no TOML form)")))?;
            let text = toml::to_string(&table).map_err(|e| errors::RigError::new_err(format!("rig dict: {e}")))?;
            Rig::parse("<rig dict>", &text, Path::new(""), &mut backends)
        }
        other => return Err(PyValueError::new_err(format!("rig kind '{other}'"))),
    };
    rig.map_err(|e| errors::rig(&e))
}

#[pymethods]
impl NativeSession {
    /// Reads and checks the rig; nothing opens until `start`.
    ///
    /// `into` = (videos, logs): record into these directories beside other recordings (the original's
    /// layout; one camera) instead of a new session directory.
    #[new]
    #[pyo3(signature = (kind, rig, output_dir=None, name=None, saving=true, preview=None, into=None, metadata=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        kind: &str,
        rig: &str,
        output_dir: Option<PathBuf>,
        name: Option<String>,
        saving: bool,
        preview: Option<f64>,
        into: Option<(PathBuf, PathBuf)>,
        metadata: Vec<(String, String)>,
    ) -> PyResult<Self> {
        let rig = py.detach(|| load_rig(kind, rig))?;
        let preview = match preview {
            None => PreviewChoice::Rig,
            Some(0.0) => PreviewChoice::Off,
            Some(rate) => PreviewChoice::Rate(rate),
        };
        Ok(NativeSession {
            cameras: rig.cameras.iter().map(|c| (c.id, c.name.clone())).collect(),
            rig: Mutex::new(Some(rig)),
            options: SessionOptions {
                output_dir,
                name,
                saving,
                preview,
                into: into.map(|(session, log)| SessionDirs {
                    session,
                    log,
                    bags: Vec::new(),
                }),
                metadata,
                ..SessionOptions::default()
            },
            slot: SessionSlot::default(),
        })
    }

    /// Opens every camera and starts recording (saving as the constructor said).
    ///
    /// Takes `&self`: another thread may read the status meanwhile. The rig's lock is held while the
    /// cameras open, with the GIL released: a second `start` from another thread is refused at once rather
    /// than waiting for the lock with the GIL held (which the first would need back).
    fn start(&self, py: Python<'_>) -> PyResult<()> {
        let mut kept = match self.rig.try_lock() {
            Ok(kept) => kept,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                return Err(errors::SessionError::new_err(
                    "this session is starting (in another thread)",
                ))
            }
        };
        let Some(rig) = kept.take() else {
            return Err(errors::SessionError::new_err(
                "this session was started already; make a new Session to record again",
            ));
        };
        let options = self.options.clone();
        let slot = self.slot.clone();
        // A start that fails (a camera unplugged) leaves the rig for another try.
        let retry = rig.clone();
        let started = py.detach(move || {
            let session = Session::start(rig, options).map_err(|e| errors::session(&e))?;
            slot.install(session).map_err(refusal)
        });
        if started.is_err() {
            *kept = Some(retry);
        }
        started
    }

    /// Turns saving on, for one camera (its id) or all.
    #[pyo3(signature = (camera=None))]
    fn start_saving(&self, py: Python<'_>, camera: Option<u8>) -> PyResult<()> {
        py.detach(|| self.saving(camera, true))
    }

    /// Turns saving off, for one camera (its id) or all.
    #[pyo3(signature = (camera=None))]
    fn stop_saving(&self, py: Python<'_>, camera: Option<u8>) -> PyResult<()> {
        py.detach(|| self.saving(camera, false))
    }

    /// The session's state, live counters and warnings, as a dict (`axvs.Status` reads it).
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let status = py.detach(|| self.slot.status());
        Ok(pythonize::pythonize(py, &status)?)
    }

    /// True while the session records.
    fn running(&self, py: Python<'_>) -> bool {
        py.detach(|| self.slot.status().status == SessionState::Running)
    }

    /// True while the session records or finishes its files after stopping by itself.
    fn busy(&self, py: Python<'_>) -> bool {
        py.detach(|| {
            matches!(
                self.slot.status().status,
                SessionState::Running | SessionState::Stopping
            )
        })
    }

    /// Waits up to `seconds` (forever when None) or until the session stops by itself; Python's signal
    /// handlers run meanwhile, so Ctrl-C raises `KeyboardInterrupt` here. True when the session still runs.
    #[pyo3(signature = (seconds=None))]
    fn wait(&self, py: Python<'_>, seconds: Option<f64>) -> PyResult<bool> {
        let deadline = match seconds {
            Some(s) if s.is_nan() || s < 0.0 => {
                return Err(PyValueError::new_err(format!("wait({s}): seconds must be 0 or more")))
            }
            // Too long for a clock (inf, 1e20): forever.
            Some(s) => Duration::try_from_secs_f64(s)
                .ok()
                .and_then(|d| Instant::now().checked_add(d)),
            None => None,
        };
        loop {
            // A session that stopped by itself returns once its files are finished.
            let busy = self.busy(py);
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if !busy || left.is_some_and(|l| l.is_zero()) {
                return Ok(self.running(py));
            }
            let nap = left.map_or(SIGNAL_CHECK, |l| l.min(SIGNAL_CHECK));
            py.detach(|| std::thread::sleep(nap));
            py.check_signals()?;
        }
    }

    /// Stops the session: queues drained, videos finished, archives written; returns the report as a dict.
    fn stop<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let report = py.detach(|| self.slot.stop(&mut |_| {})).map_err(refusal)?;
        Ok(pythonize::pythonize(py, &report)?)
    }

    /// The camera ids and names, in the rig's order.
    fn cameras<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(pythonize::pythonize(py, &self.cameras)?)
    }
}

impl NativeSession {
    fn saving(&self, camera: Option<u8>, on: bool) -> PyResult<()> {
        self.slot
            .with_running(|s| {
                Ok::<_, SlotError>(if on {
                    s.start_saving(camera)
                } else {
                    s.stop_saving(camera)
                })
            })
            .map_err(refusal)?
            .map_err(|e| errors::session(&e))
    }
}

impl Drop for NativeSession {
    /// A session dropped while it records is stopped: its files are finished, never left half-written.
    /// Other Python threads run meanwhile.
    fn drop(&mut self) {
        let slot = self.slot.clone();
        Python::attach(|py| py.detach(move || drop(slot.stop(&mut |_| {}))));
    }
}
