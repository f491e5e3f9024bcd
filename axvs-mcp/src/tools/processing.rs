//! Log processing and statistics: prepare, run, watch and cancel a batch (as `axvs process`), frame
//! statistics and the sync report (as `axvs stats`).

use std::path::PathBuf;

use axvs_log::process::{self, batch, tracker::JobStatus, tracker::Tracker, Selection};
use axvs_log::stats::{self, frames::DropThreshold, RecordingSync, StatsReport};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Reply;
use crate::args::tool_error;
use crate::batches::Batches;
use crate::paths::PathPolicy;

/// Which recordings and jobs a batch covers.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchArgs {
    /// Directories searched recursively for recordings.
    #[schemars(length(min = 1))]
    pub roots: Vec<String>,
    /// Where outputs go (mirroring each recording's place under its root); default: beside each
    /// recording's logs.
    pub output_directory: Option<String>,
    /// Only these source ids.
    #[serde(default)]
    pub source_ids: Vec<u8>,
    /// Only the job with this id.
    pub job_id: Option<String>,
}

/// Arguments of `execute_log_processing_jobs`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecuteArgs {
    /// Directories searched recursively for recordings.
    #[schemars(length(min = 1))]
    pub roots: Vec<String>,
    /// Where outputs go (mirroring each recording's place under its root); default: beside each
    /// recording's logs.
    pub output_directory: Option<String>,
    /// Only these source ids.
    #[serde(default)]
    pub source_ids: Vec<u8>,
    /// Only the job with this id.
    pub job_id: Option<String>,
    /// Jobs at once (default: one per core).
    #[schemars(range(min = 1, max = 256))]
    pub jobs: Option<usize>,
    /// Redo jobs that already succeeded.
    #[serde(default)]
    pub force: bool,
}

/// One job of a batch.
#[derive(Debug, Serialize, JsonSchema)]
pub struct JobInfo {
    /// The original's job id.
    pub job_id: String,
    /// Source id.
    pub source_id: u8,
    /// Camera name.
    pub name: Option<String>,
    /// The recording's log directory.
    pub log_directory: PathBuf,
    /// The log or archive read.
    pub log: PathBuf,
    /// The `.feather` written.
    pub output: PathBuf,
    /// `SCHEDULED`, `RUNNING`, `SUCCEEDED` or `FAILED`.
    pub status: String,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

/// A camera that cannot be a job.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SkippedSource {
    /// The recording's log directory.
    pub log_directory: PathBuf,
    /// Source id.
    pub source_id: u8,
    /// Why.
    pub reason: String,
}

/// Counts by status.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct Summary {
    /// Jobs.
    pub total: usize,
    /// Succeeded.
    pub succeeded: usize,
    /// Failed.
    pub failed: usize,
    /// Running.
    pub running: usize,
    /// Scheduled.
    pub scheduled: usize,
}

impl Summary {
    fn of<'a>(statuses: impl Iterator<Item = &'a str>) -> Self {
        let mut s = Summary::default();
        for status in statuses {
            s.total += 1;
            match status {
                "SUCCEEDED" => s.succeeded += 1,
                "FAILED" => s.failed += 1,
                "RUNNING" => s.running += 1,
                _ => s.scheduled += 1,
            }
        }
        s
    }
}

/// What `prepare_log_processing_batch` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BatchPrepared {
    /// Recordings found.
    pub total_recordings: usize,
    /// The jobs, with their status in each tracker (SCHEDULED when not yet tracked).
    pub jobs: Vec<JobInfo>,
    /// Cameras without a log.
    pub skipped_sources: Vec<SkippedSource>,
    /// Counts by status.
    pub summary: Summary,
}

fn plan(paths: &PathPolicy, args: &BatchArgs) -> Result<process::Plan, crate::args::ToolError> {
    let roots = args
        .roots
        .iter()
        .enumerate()
        .map(|(i, r)| paths.resolve(&format!("roots[{i}]"), r))
        .collect::<Result<Vec<_>, _>>()?;
    let output = match &args.output_directory {
        Some(o) => Some(paths.resolve("output_directory", o)?),
        None => None,
    };
    let selection = Selection {
        sources: args.source_ids.clone(),
        job_id: args.job_id.clone(),
    };
    process::plan(&roots, output.as_deref(), &selection).map_err(|e| tool_error!("{e}"))
}

fn job_infos(plan: &process::Plan, status: impl Fn(usize) -> (String, Option<String>)) -> Vec<JobInfo> {
    plan.jobs
        .iter()
        .enumerate()
        .map(|(i, j)| {
            let (status, error_message) = status(i);
            JobInfo {
                job_id: j.job_id.clone(),
                source_id: j.source_id,
                name: j.name.clone(),
                log_directory: plan.recordings[j.recording].log_dir.clone(),
                log: j.log.clone(),
                output: j.output.clone(),
                status,
                error_message,
            }
        })
        .collect()
}

/// `prepare_log_processing_batch`: finds the jobs and their tracked status; writes nothing.
pub fn prepare_log_processing_batch(paths: &PathPolicy, args: BatchArgs) -> Reply<BatchPrepared> {
    let plan = plan(paths, &args)?;
    let trackers: Vec<Option<Tracker>> = plan
        .recordings
        .iter()
        .map(|r| Tracker::load(&r.output_dir.join(process::job::TRACKER_FILE)).ok())
        .collect();
    let jobs = job_infos(&plan, |i| {
        let job = &plan.jobs[i];
        let state = trackers[job.recording].as_ref().and_then(|t| t.jobs.get(&job.job_id));
        (
            state.map_or(JobStatus::Scheduled, |s| s.status).name().to_string(),
            state.and_then(|s| s.error_message.clone()),
        )
    });
    let summary = Summary::of(jobs.iter().map(|j| j.status.as_str()));
    Ok((
        format!(
            "{} jobs in {} recordings: {} succeeded before, {} failed before",
            jobs.len(),
            plan.recordings.len(),
            summary.succeeded,
            summary.failed
        ),
        BatchPrepared {
            total_recordings: plan.recordings.len(),
            skipped_sources: plan
                .skipped
                .iter()
                .map(|s| SkippedSource {
                    log_directory: s.log_dir.clone(),
                    source_id: s.source_id,
                    reason: s.reason.clone(),
                })
                .collect(),
            jobs,
            summary,
        },
    ))
}

/// What `execute_log_processing_jobs` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BatchStarted {
    /// True: the batch runs in the background (`get_log_processing_status` follows it).
    pub started: bool,
    /// Its jobs.
    pub total_jobs: usize,
    /// Jobs at once.
    pub jobs_at_once: usize,
}

/// `execute_log_processing_jobs`: starts the batch in the background.
pub fn execute_log_processing_jobs(paths: &PathPolicy, batches: &Batches, args: ExecuteArgs) -> Reply<BatchStarted> {
    let batch_args = BatchArgs {
        roots: args.roots,
        output_directory: args.output_directory,
        source_ids: args.source_ids,
        job_id: args.job_id,
    };
    let plan = plan(paths, &batch_args)?;
    let jobs_at_once = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let options = batch::Options {
        jobs: jobs_at_once,
        force: args.force,
    };
    let plan = batches.start(plan, options)?;
    Ok((
        format!("processing {} jobs, {jobs_at_once} at once", plan.jobs.len()),
        BatchStarted {
            started: true,
            total_jobs: plan.jobs.len(),
            jobs_at_once,
        },
    ))
}

/// What `get_log_processing_status` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BatchStatus {
    /// True while jobs run or wait.
    pub active: bool,
    /// True when the batch was cancelled.
    pub canceled: bool,
    /// Every job.
    pub jobs: Vec<JobInfo>,
    /// Counts by status.
    pub summary: Summary,
    /// Log entries read so far.
    pub entries: u64,
    /// Seconds since it started.
    pub elapsed_seconds: f64,
    /// Entries per second so far.
    pub entries_per_second: f64,
}

/// `get_log_processing_status`.
pub fn get_log_processing_status(batches: &Batches, _: super::NoArgs) -> Reply<BatchStatus> {
    let mut slot = batches.lock();
    let Some(running) = slot.as_mut() else {
        return Err(tool_error!(
            "no processing batch was started (execute_log_processing_jobs starts one)"
        ));
    };
    let active = running.active();
    let snapshot = running.progress.snapshot();
    let report = running.report.as_ref();
    let jobs = job_infos(&running.plan, |i| {
        let outcome = report.and_then(|r| r.outcomes.get(i));
        (
            outcome.map_or(snapshot.statuses[i], |o| o.status).name().to_string(),
            outcome.and_then(|o| o.error.clone()),
        )
    });
    let summary = Summary::of(jobs.iter().map(|j| j.status.as_str()));
    let canceled = running.cancel.load(std::sync::atomic::Ordering::Relaxed);
    Ok((
        format!(
            "{}: {} of {} jobs done, {} failed",
            if active { "running" } else { "ended" },
            summary.succeeded + summary.failed,
            summary.total,
            summary.failed
        ),
        BatchStatus {
            active,
            canceled,
            jobs,
            summary,
            entries: snapshot.entries,
            elapsed_seconds: snapshot.elapsed_s,
            entries_per_second: snapshot.entries as f64 / snapshot.elapsed_s.max(1e-9),
        },
    ))
}

/// What `cancel_log_processing` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BatchCanceled {
    /// True when a running batch was told to stop starting jobs (those running finish).
    pub canceled: bool,
    /// What happened.
    pub message: String,
}

/// `cancel_log_processing`.
pub fn cancel_log_processing(batches: &Batches, _: super::NoArgs) -> Reply<BatchCanceled> {
    let canceled = batches.cancel();
    let message = if canceled {
        "no new job starts; jobs under way finish their files (get_log_processing_status follows them)"
    } else {
        "no processing batch is running"
    };
    Ok((
        message.to_string(),
        BatchCanceled {
            canceled,
            message: message.into(),
        },
    ))
}

/// Arguments of `analyze_camera_frame_statistics`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatsArgs {
    /// Timestamps files (`.feather`), logs, archives, or directories searched for recordings.
    #[schemars(length(min = 1))]
    pub paths: Vec<String>,
    /// Gap threshold in µs; 0 (the default) = 1.5 x the median interval.
    #[schemars(range(min = 0.0))]
    pub drop_threshold_us: Option<f64>,
    /// Gap locations listed per camera (default 50).
    #[schemars(range(min = 0, max = 100000))]
    pub max_drop_locations: Option<usize>,
}

fn resolve_all(paths: &PathPolicy, given: &[String]) -> Result<Vec<PathBuf>, crate::args::ToolError> {
    given
        .iter()
        .enumerate()
        .map(|(i, p)| paths.resolve(&format!("paths[{i}]"), p))
        .collect()
}

/// `analyze_camera_frame_statistics`.
pub fn analyze_camera_frame_statistics(paths: &PathPolicy, args: StatsArgs) -> Reply<StatsReport> {
    let inputs = resolve_all(paths, &args.paths)?;
    let threshold = match args.drop_threshold_us {
        Some(t) if t > 0.0 => DropThreshold::Us(t),
        _ => DropThreshold::Auto,
    };
    let max = args.max_drop_locations.unwrap_or(stats::DEFAULT_MAX_DROP_LOCATIONS);
    let report = stats::analyze(&inputs, threshold, max, false);
    let dropped: u64 = report
        .results
        .iter()
        .filter_map(|r| r.stats.as_ref())
        .map(|s| s.frame_drop_analysis.total_estimated_dropped_frames)
        .sum();
    let errors = report.results.iter().filter(|r| r.error.is_some()).count();
    Ok((
        format!(
            "{} camera(s): {dropped} frames estimated dropped{}",
            report.total_files,
            if errors > 0 {
                format!("; {errors} unreadable")
            } else {
                String::new()
            }
        ),
        report,
    ))
}

/// Arguments of `camera_sync_report`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncArgs {
    /// A recording's directory, or its cameras' timestamps files, logs or archives.
    #[schemars(length(min = 1))]
    pub paths: Vec<String>,
}

/// What `camera_sync_report` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SyncReports {
    /// One report per recording.
    pub recordings: Vec<RecordingSync>,
    /// Inputs that could not be read, and why.
    pub errors: Vec<String>,
}

/// `camera_sync_report`.
pub fn camera_sync_report(paths: &PathPolicy, args: SyncArgs) -> Reply<SyncReports> {
    let inputs = resolve_all(paths, &args.paths)?;
    let report = stats::analyze(&inputs, DropThreshold::Auto, 0, true);
    let errors: Vec<String> = report
        .results
        .iter()
        .filter_map(|r| r.error.as_ref().map(|e| format!("{}: {e}", r.file.display())))
        .collect();
    let recordings = report.sync.unwrap_or_default();
    if recordings.is_empty() {
        return Err(tool_error!(
            "argument `paths`: no camera could be read{}",
            errors.first().map(|e| format!(" ({e})")).unwrap_or_default()
        ));
    }
    let text = recordings
        .iter()
        .map(|r| {
            format!(
                "{}: {} camera(s), {} pairing(s)",
                r.recording.display(),
                r.report.cameras.len(),
                r.report.pairings.len()
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    Ok((text, SyncReports { recordings, errors }))
}
