//! Batch processing of recorded logs, as the original's `axvs process` does it.
//!
//! For every camera of every recording found under some roots, its frame times go to
//! `camera_timestamps/camera_<id>_timestamps.feather`, and each job's state to
//! `camera_timestamps/camera_processing_tracker.yaml` with the original's job ids.
//!
//! - [`discover`]: recordings (directories with a manifest, logs or archives) and their cameras;
//! - [`job`]: job ids, output names and the jobs of a batch;
//! - [`tracker`]: the tracker file;
//! - [`batch`]: runs the jobs in parallel, with progress and cancellation.
//!
//! ```
//! use axvs_core::LogSink;
//! use axvs_log::process::{self, batch, job::Selection};
//!
//! let root = tempfile::tempdir()?;
//! let sink = axvs_log::FileLogSink::create(root.path())?;
//! sink.log(3, 0, &1_700_000_000_000_000u64.to_le_bytes())?;
//! sink.log(3, 100, &[])?;
//! sink.close()?;
//! let plan = process::plan(&[root.path().to_path_buf()], None, &Selection::default())?;
//! let report = batch::run(&plan, &batch::Options::default(), &batch::Progress::new(&plan), &Default::default());
//! assert_eq!(report.succeeded(), 1);
//! assert!(root.path().join("camera_timestamps/camera_3_timestamps.feather").is_file());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod batch;
pub mod discover;
mod error;
pub mod job;
pub mod tracker;

use std::path::{Path, PathBuf};

pub use error::ProcessError;
pub use job::{job_id, Job, Plan, Selection};

/// Finds the recordings under `roots` and the jobs `selection` asks for (see [`job::Plan`]). Outputs go
/// under `output` (mirroring each recording's place under its root), or beside each recording's logs.
pub fn plan(roots: &[PathBuf], output: Option<&Path>, selection: &Selection) -> Result<Plan, ProcessError> {
    let recordings = discover::find_recordings(roots, output)?;
    Plan::new(recordings, selection)
}
