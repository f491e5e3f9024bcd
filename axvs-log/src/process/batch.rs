//! Running a batch: jobs in parallel on a bounded rayon pool, each recorded in its recording's tracker.
//!
//! A job reads its log in one pass, pairs its frames with the device sidecar, writes its `.feather` under a
//! temporary name and renames it, and marks itself RUNNING then SUCCEEDED or FAILED (with the reason) in
//! the tracker. A failed job never stops the others; a job that succeeded before is skipped unless forced;
//! a cancelled batch starts no new job and leaves those SCHEDULED.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rayon::prelude::*;

use super::job::{Job, Plan, TRACKER_FILE};
use super::tracker::{JobStatus, SharedTracker};
use crate::device::{read_sidecar, DeviceColumns};
use crate::{feather, timestamps, LogFileError};

/// How to run a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Jobs at once (0 = one per core).
    pub jobs: usize,
    /// Redo jobs that already succeeded.
    pub force: bool,
}

/// Live progress of a batch, readable from any thread while it runs.
#[derive(Debug)]
pub struct Progress {
    total: usize,
    done: AtomicUsize,
    failed: AtomicUsize,
    entries: AtomicU64,
    statuses: Mutex<Vec<JobStatus>>,
    started: Instant,
}

/// A snapshot of [`Progress`].
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressSnapshot {
    /// Jobs in the batch.
    pub total: usize,
    /// Jobs finished (succeeded, failed or skipped).
    pub done: usize,
    /// Of those, failed.
    pub failed: usize,
    /// Log entries read so far.
    pub entries: u64,
    /// Seconds since the batch started.
    pub elapsed_s: f64,
    /// Each job's status, in the plan's order.
    pub statuses: Vec<JobStatus>,
}

impl Progress {
    /// Progress of `plan`'s jobs, all scheduled.
    pub fn new(plan: &Plan) -> Self {
        Progress {
            total: plan.jobs.len(),
            done: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            entries: AtomicU64::new(0),
            statuses: Mutex::new(vec![JobStatus::Scheduled; plan.jobs.len()]),
            started: Instant::now(),
        }
    }

    /// The figures now.
    pub fn snapshot(&self) -> ProgressSnapshot {
        ProgressSnapshot {
            total: self.total,
            done: self.done.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            entries: self.entries.load(Ordering::Relaxed),
            elapsed_s: self.started.elapsed().as_secs_f64(),
            statuses: self.statuses.lock().map(|s| s.clone()).unwrap_or_default(),
        }
    }

    fn set(&self, job: usize, status: JobStatus) {
        if let Ok(mut s) = self.statuses.lock() {
            s[job] = status;
        }
        match status {
            JobStatus::Succeeded => {
                self.done.fetch_add(1, Ordering::Relaxed);
            }
            JobStatus::Failed => {
                self.done.fetch_add(1, Ordering::Relaxed);
                self.failed.fetch_add(1, Ordering::Relaxed);
            }
            JobStatus::Scheduled | JobStatus::Running => {}
        }
    }
}

/// What became of one job.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Its index in the plan's jobs.
    pub job: usize,
    /// Its final status (SCHEDULED when the batch was cancelled before it started).
    pub status: JobStatus,
    /// True when it had succeeded before and was not run again.
    pub skipped: bool,
    /// Why it failed.
    pub error: Option<String>,
    /// Log entries read.
    pub entries: u64,
    /// Frames written.
    pub frames: u64,
    /// Frames with device metadata.
    pub device_frames: u64,
    /// Seconds it took.
    pub seconds: f64,
}

/// What a batch did.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Every job, in the plan's order.
    pub outcomes: Vec<Outcome>,
    /// True when it was cancelled before every job ran.
    pub canceled: bool,
}

impl Report {
    /// Jobs that succeeded (this time or before).
    pub fn succeeded(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.status == JobStatus::Succeeded)
            .count()
    }

    /// Jobs that failed.
    pub fn failed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.status == JobStatus::Failed).count()
    }

    /// Jobs run this time.
    pub fn ran(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| !o.skipped && o.status != JobStatus::Scheduled)
            .count()
    }

    /// Entries read this time.
    pub fn entries(&self) -> u64 {
        self.outcomes.iter().map(|o| o.entries).sum()
    }
}

/// Runs `plan` (see the module's description); `cancel` stops it starting new jobs.
pub fn run(plan: &Plan, options: &Options, progress: &Progress, cancel: &AtomicBool) -> Report {
    let mut outcomes: Vec<Option<Outcome>> = vec![None; plan.jobs.len()];
    // One tracker per recording with jobs, aligned with all of its cameras (as the original keeps them).
    let mut trackers: BTreeMap<usize, Result<Arc<SharedTracker>, String>> = BTreeMap::new();
    for job in &plan.jobs {
        trackers.entry(job.recording).or_insert_with(|| {
            let recording = &plan.recordings[job.recording];
            std::fs::create_dir_all(&recording.output_dir)
                .map_err(|e| format!("{}: {e}", recording.output_dir.display()))
                .and_then(|()| {
                    let tracker = SharedTracker::open(
                        recording.output_dir.join(TRACKER_FILE),
                        recording.sources.iter().map(|s| s.id),
                    )
                    .map_err(|e| e.to_string())?;
                    // With the lock held, a temporary file here is one a killed run left behind.
                    if let Err(e) = crate::output::remove_partials(&recording.output_dir) {
                        tracing::warn!("{}: {e}", recording.output_dir.display());
                    }
                    Ok(tracker)
                })
                .map(Arc::new)
        });
    }
    let mut todo = Vec::new();
    for (index, job) in plan.jobs.iter().enumerate() {
        match &trackers[&job.recording] {
            Err(e) => {
                progress.set(index, JobStatus::Failed);
                outcomes[index] = Some(outcome(index, JobStatus::Failed, Some(e.clone())));
            }
            Ok(tracker) => {
                let done = tracker.status(&job.job_id) == Some(JobStatus::Succeeded) && job.output.is_file();
                if done && !options.force {
                    progress.set(index, JobStatus::Succeeded);
                    outcomes[index] = Some(Outcome {
                        skipped: true,
                        ..outcome(index, JobStatus::Succeeded, None)
                    });
                } else {
                    todo.push((index, job, Arc::clone(tracker)));
                }
            }
        }
    }
    let threads = match options.jobs {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let run_all = |todo: Vec<(usize, &Job, Arc<SharedTracker>)>| -> Vec<Outcome> {
        todo.into_par_iter()
            .map(|(index, job, tracker)| {
                if cancel.load(Ordering::Relaxed) {
                    return outcome(index, JobStatus::Scheduled, None);
                }
                run_job(index, job, &tracker, progress)
            })
            .collect()
    };
    let ran = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(|| run_all(todo)),
        Err(e) => {
            tracing::warn!("no thread pool ({e}); running the jobs one by one");
            run_all(todo)
        }
    };
    for o in ran {
        let index = o.job;
        outcomes[index] = Some(o);
    }
    let outcomes: Vec<Outcome> = outcomes
        .into_iter()
        .enumerate()
        .map(|(i, o)| o.unwrap_or_else(|| outcome(i, JobStatus::Scheduled, None)))
        .collect();
    let canceled = outcomes.iter().any(|o| o.status == JobStatus::Scheduled);
    Report { outcomes, canceled }
}

fn outcome(job: usize, status: JobStatus, error: Option<String>) -> Outcome {
    Outcome {
        job,
        status,
        skipped: false,
        error,
        entries: 0,
        frames: 0,
        device_frames: 0,
        seconds: 0.0,
    }
}

/// One job, recorded in its tracker.
fn run_job(index: usize, job: &Job, tracker: &SharedTracker, progress: &Progress) -> Outcome {
    let start = Instant::now();
    progress.set(index, JobStatus::Running);
    let mut tracker_errors = Vec::new();
    if let Err(e) = tracker.update(&job.job_id, |s| {
        s.status = JobStatus::Running;
        s.executor_id = Some(format!("axvs pid {}", std::process::id()));
        s.error_message = None;
        s.started_at = Some(axvs_core::utc_now_us());
        s.completed_at = None;
    }) {
        tracker_errors.push(e.to_string());
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| extract_job(job)))
        .unwrap_or_else(|_| Err(LogFileError::corrupt(&job.log, "the job panicked")));
    let (status, error, figures) = match result {
        Ok(figures) => (JobStatus::Succeeded, None, figures),
        Err(e) => (JobStatus::Failed, Some(e.to_string()), Figures::default()),
    };
    progress.entries.fetch_add(figures.entries, Ordering::Relaxed);
    if let Err(e) = tracker.update(&job.job_id, |s| {
        s.status = status;
        s.error_message = error.clone();
        s.completed_at = Some(axvs_core::utc_now_us());
    }) {
        tracker_errors.push(e.to_string());
    }
    // A job whose state could not be recorded is not done: a rerun must redo it.
    let (status, error) = match (status, error, tracker_errors.is_empty()) {
        (s, e, true) => (s, e),
        (_, e, false) => {
            let mut all: Vec<String> = e.into_iter().collect();
            all.push(format!("tracker: {}", tracker_errors.join("; ")));
            (JobStatus::Failed, Some(all.join("; ")))
        }
    };
    progress.set(index, status);
    Outcome {
        job: index,
        status,
        skipped: false,
        error,
        entries: figures.entries,
        frames: figures.frames,
        device_frames: figures.device_frames,
        seconds: start.elapsed().as_secs_f64(),
    }
}

#[derive(Debug, Default)]
struct Figures {
    entries: u64,
    frames: u64,
    device_frames: u64,
}

/// Reads the job's log, pairs the device metadata and writes the output.
fn extract_job(job: &Job) -> Result<Figures, LogFileError> {
    let extraction = timestamps::extract(&job.log)?;
    if extraction.source_id != job.source_id {
        return Err(LogFileError::corrupt(
            &job.log,
            format!("holds source {}, not {}", extraction.source_id, job.source_id),
        ));
    }
    let times = extraction.frame_times();
    let device = device_columns(job.device.as_deref(), &extraction);
    feather::write_timestamps(&job.output, &times, &device)?;
    Ok(Figures {
        entries: extraction.entries,
        frames: times.len() as u64,
        device_frames: device.frame_id.iter().filter(|d| d.is_some()).count() as u64,
    })
}

/// The device columns of an extraction: from its sidecar when there is one and it reads; otherwise nulls
/// (the metadata is auxiliary: a bad sidecar is a warning, not a failed job).
pub fn device_columns(sidecar: Option<&Path>, extraction: &timestamps::Extraction) -> DeviceColumns {
    let Some(path) = sidecar else {
        return DeviceColumns::empty(extraction.frames());
    };
    match read_sidecar(path) {
        Ok(records) => {
            let columns = DeviceColumns::pair(&extraction.entry_times(), &records);
            if columns.mismatched > 0 {
                tracing::warn!(
                    "{}: {} device records match no frame of the log; they are ignored",
                    path.display(),
                    columns.mismatched
                );
            }
            columns
        }
        Err(e) => {
            tracing::warn!("device metadata ignored: {e}");
            DeviceColumns::empty(extraction.frames())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::{plan, Selection};
    use axvs_core::LogSink;

    fn recording(dir: &Path, ids: &[u8]) {
        let sink = crate::FileLogSink::create(dir).expect("sink");
        for &id in ids {
            sink.log(id, 0, &1_000u64.to_le_bytes()).expect("onset");
            for t in 1..=10 {
                sink.log(id, t * 100, &[]).expect("frame");
            }
        }
        sink.close().expect("close");
    }

    #[test]
    fn jobs_succeed_fail_skip_and_cancel() {
        let dir = tempfile::tempdir().expect("tempdir");
        recording(&dir.path().join("a"), &[1, 2]);
        // A log whose name says 3 but whose entries are source 2's: that job fails, the others go on.
        std::fs::copy(dir.path().join("a/002.axvslog"), dir.path().join("a/003.axvslog")).expect("copy");
        let roots = [dir.path().to_path_buf()];
        let plan = plan(&roots, None, &Selection::default()).expect("plan");
        assert_eq!(plan.jobs.len(), 3);
        let progress = Progress::new(&plan);
        let report = run(&plan, &Options::default(), &progress, &AtomicBool::new(false));
        assert_eq!((report.succeeded(), report.failed(), report.ran()), (2, 1, 3));
        assert!(!report.canceled);
        let failed = &report.outcomes[2];
        assert!(
            failed
                .error
                .as_deref()
                .is_some_and(|e| e.contains("holds source 2, not 3")),
            "{failed:?}"
        );
        assert_eq!((report.outcomes[0].entries, report.outcomes[0].frames), (11, 10));
        assert_eq!(report.entries(), 22, "a failed job reads nothing it keeps");
        let snapshot = progress.snapshot();
        assert_eq!(
            (snapshot.total, snapshot.done, snapshot.failed, snapshot.entries),
            (3, 3, 1, 22)
        );
        assert_eq!(
            snapshot.statuses,
            [JobStatus::Succeeded, JobStatus::Succeeded, JobStatus::Failed]
        );

        // Again: the two done are skipped, the failed one retried.
        let again = run(
            &plan,
            &Options::default(),
            &Progress::new(&plan),
            &AtomicBool::new(false),
        );
        assert_eq!((again.succeeded(), again.failed(), again.ran()), (2, 1, 1));
        assert!(again.outcomes[0].skipped && again.outcomes[1].skipped && !again.outcomes[2].skipped);
        // A job whose output went missing is redone, whatever its tracker says.
        std::fs::remove_file(&plan.jobs[0].output).expect("remove an output");
        let redo = run(
            &plan,
            &Options::default(),
            &Progress::new(&plan),
            &AtomicBool::new(false),
        );
        assert!(!redo.outcomes[0].skipped && redo.outcomes[1].skipped);
        assert!(plan.jobs[0].output.is_file());
        let forced = Options { jobs: 1, force: true };
        assert_eq!(
            run(&plan, &forced, &Progress::new(&plan), &AtomicBool::new(false)).ran(),
            3
        );

        // Cancelled before it starts: nothing runs, everything stays scheduled.
        let canceled = run(&plan, &forced, &Progress::new(&plan), &AtomicBool::new(true));
        assert!(canceled.canceled);
        assert_eq!(canceled.ran(), 0);
        assert!(canceled.outcomes.iter().all(|o| o.status == JobStatus::Scheduled));

        // A tracker another process holds: its recording's jobs fail with that reason.
        let tracker = dir.path().join("a/camera_timestamps").join(TRACKER_FILE);
        let held = SharedTracker::open(tracker, [1]).expect("hold");
        let locked = run(&plan, &forced, &Progress::new(&plan), &AtomicBool::new(false));
        assert_eq!(locked.failed(), 3);
        assert!(locked.outcomes[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("another process")));
        drop(held);
    }

    #[test]
    fn device_columns_come_from_a_matching_sidecar_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        recording(dir.path(), &[1]);
        let extraction = timestamps::extract(&dir.path().join("001.axvslog")).expect("extract");
        assert_eq!(device_columns(None, &extraction), DeviceColumns::empty(10));
        let sidecar = dir.path().join("001.axvsdev");
        let mut bytes = crate::device::MAGIC.to_vec();
        for (index, time_us) in [(0u64, 100u64), (1, 999)] {
            crate::device::DeviceRecord {
                frame_index: index,
                time_us,
                sequence: index,
                device_frame_id: Some(50 + index),
                device_timestamp_ns: None,
                mapped_ns: None,
            }
            .write_to(&mut bytes);
        }
        std::fs::write(&sidecar, &bytes).expect("write");
        let columns = device_columns(Some(&sidecar), &extraction);
        assert_eq!(
            columns.frame_id[..2],
            [Some(50), None],
            "the second record's time matches no frame"
        );
        assert_eq!(columns.mismatched, 1);
        std::fs::write(&sidecar, b"junk").expect("write");
        assert_eq!(device_columns(Some(&sidecar), &extraction), DeviceColumns::empty(10));
    }
}
