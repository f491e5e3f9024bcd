//! Processing of recorded logs (`axvs process`): each camera's frame times written as a table, in a batch.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use axvs_log::process::{self, batch, Selection};

use crate::errors;

/// How often a running batch lets Python handle its signals (Ctrl-C cancels: running jobs finish whole,
/// no new one starts).
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// Processes every recording under `roots` (or the cameras `sources`, or the job `job_id`) into `output`
/// (default: beside each recording) with `jobs` at once (0: one per core); `force` redoes finished jobs.
/// Returns one dict per job: `source_id`, `name`, `log`, `output`, `status`, `skipped`, `error`, `frames`,
/// `entries`, `seconds`.
#[pyfunction]
#[pyo3(signature = (roots, output=None, sources=Vec::new(), job_id=None, jobs=0, force=false))]
pub fn process_logs<'py>(
    py: Python<'py>,
    roots: Vec<PathBuf>,
    output: Option<PathBuf>,
    sources: Vec<u8>,
    job_id: Option<String>,
    jobs: usize,
    force: bool,
) -> PyResult<Bound<'py, PyList>> {
    let selection = Selection { sources, job_id };
    let plan = py
        .detach(|| process::plan(&roots, output.as_deref(), &selection))
        .map_err(|e| errors::LogError::new_err(e.to_string()))?;
    let progress = batch::Progress::new(&plan);
    let cancel = AtomicBool::new(false);
    let options = batch::Options { jobs, force };
    let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(1);
    let (report, interrupted) = std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let report = batch::run(&plan, &options, &progress, &cancel);
            let _ = done_tx.send(());
            report
        });
        let mut interrupted = None;
        while let Err(crossbeam_channel::RecvTimeoutError::Timeout) = py.detach(|| done_rx.recv_timeout(SIGNAL_CHECK)) {
            if let Err(e) = py.check_signals() {
                cancel.store(true, Ordering::Relaxed);
                interrupted = Some(e);
            }
        }
        (py.detach(|| worker.join()), interrupted)
    });
    if let Some(e) = interrupted {
        return Err(e);
    }
    let report = report.map_err(|_| errors::LogError::new_err("the processing batch panicked"))?;
    let list = PyList::empty(py);
    for outcome in &report.outcomes {
        let job = &plan.jobs[outcome.job];
        let dict = PyDict::new(py);
        dict.set_item("source_id", job.source_id)?;
        dict.set_item("name", &job.name)?;
        dict.set_item("job_id", &job.job_id)?;
        dict.set_item("log", &job.log)?;
        dict.set_item("output", &job.output)?;
        dict.set_item("status", outcome.status.name())?;
        dict.set_item("skipped", outcome.skipped)?;
        dict.set_item("error", &outcome.error)?;
        dict.set_item("frames", outcome.frames)?;
        dict.set_item("entries", outcome.entries)?;
        dict.set_item("seconds", outcome.seconds)?;
        list.append(dict)?;
    }
    Ok(list)
}
