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
        .filter_map(|r| r.stats.as_ref()?.frame_drop_analysis.as_ref())
        .map(|d| d.total_estimated_dropped_frames)
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

/// Arguments of `clean_log_processing_output`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CleanArgs {
    /// Processing output directories: each one's `camera_timestamps/` is deleted.
    #[schemars(length(min = 1))]
    pub output_directories: Vec<String>,
}

/// One directory cleaned (or not).
#[derive(Debug, Serialize, JsonSchema)]
pub struct CleanResult {
    /// The directory given.
    pub output_directory: String,
    /// True when nothing of a processing output is left in it.
    pub cleaned: bool,
    /// The folder deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamps_path: Option<PathBuf>,
    /// `Nothing to clean.` when there was none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Why it could not be cleaned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What `clean_log_processing_output` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Cleaned {
    /// Each directory's result, in the order given.
    pub results: Vec<CleanResult>,
    /// Directories cleaned.
    pub total_cleaned: usize,
    /// Directories given.
    pub total_directories: usize,
}

/// `clean_log_processing_output`: deletes processing outputs (each directory's `camera_timestamps/`: the
/// tables and the tracker), so that a batch runs again from scratch; refused while a batch runs.
pub fn clean_log_processing_output(paths: &PathPolicy, batches: &Batches, args: CleanArgs) -> Reply<Cleaned> {
    if batches.lock().as_mut().is_some_and(|r| r.active()) {
        return Err(tool_error!(
            "a processing batch is running; cancel it (cancel_log_processing) or wait before deleting outputs"
        ));
    }
    let mut results = Vec::new();
    for (i, given) in args.output_directories.iter().enumerate() {
        let mut result = CleanResult {
            output_directory: given.clone(),
            cleaned: false,
            timestamps_path: None,
            message: None,
            error: None,
        };
        // A refused entry is its own result: the others, done before it or after, still are reported.
        let dir = match paths.resolve(&format!("output_directories[{i}]"), given) {
            Ok(dir) => dir,
            Err(e) => {
                result.error = Some(e.to_string());
                results.push(result);
                continue;
            }
        };
        let outputs = process::job::outputs_of(&dir);
        if !dir.is_dir() {
            result.error = Some(format!("{} is not a directory", dir.display()));
        } else if !outputs.exists() {
            result.cleaned = true;
            result.message = Some("Nothing to clean.".into());
        } else {
            match std::fs::remove_dir_all(&outputs) {
                Ok(()) => result.cleaned = true,
                Err(e) => result.error = Some(format!("Unable to delete: {e}")),
            }
            result.timestamps_path = Some(outputs);
        }
        results.push(result);
    }
    let total_cleaned = results
        .iter()
        .filter(|r| r.cleaned && r.timestamps_path.is_some())
        .count();
    Ok((
        format!("{total_cleaned} of {} directories cleaned", results.len()),
        Cleaned {
            total_directories: results.len(),
            total_cleaned,
            results,
        },
    ))
}

/// Arguments of `get_batch_status_overview`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OverviewArgs {
    /// Where to search (recursively) for processing trackers.
    #[schemars(length(min = 1))]
    pub root_directory: String,
    /// Only outputs with these labels: `not_started`, `in_progress`, `processing`, `completed`, `failed`,
    /// `error`.
    pub statuses: Option<Vec<String>>,
    /// Rows at most (default 200, or 50 when `detailed`; 0 or less: all).
    pub limit: Option<i64>,
    /// The first row to return.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub start_row: usize,
    /// List the output directories, not only the counts.
    #[serde(default)]
    pub include_items: bool,
    /// With each directory, its tracker and jobs.
    #[serde(default)]
    pub detailed: bool,
}

/// One output directory's processing state.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OutputState {
    /// The `camera_timestamps` directory.
    pub output_directory: PathBuf,
    /// Its label (see [`OverviewArgs::statuses`]).
    pub status: String,
    /// Its jobs by status.
    pub summary: Summary,
    /// The tracker (`detailed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracker_path: Option<PathBuf>,
    /// Its jobs (`detailed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jobs: Option<Vec<TrackedJob>>,
    /// Why the tracker could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A job as its tracker records it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TrackedJob {
    /// The original's job id.
    pub job_id: String,
    /// Source id, as text.
    pub source_id: String,
    /// `SCHEDULED`, `RUNNING`, `SUCCEEDED` or `FAILED`.
    pub status: String,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

/// What `get_batch_status_overview` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Overview {
    /// Output directories found.
    pub total_output_directories: usize,
    /// Their jobs by status, summed.
    pub summary: Summary,
    /// Counts by `status` label.
    pub breakdown: super::Breakdown,
    /// The directories (when filtered, or `include_items`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_directories: Option<Vec<OutputState>>,
    /// Paging.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub page: Option<super::Page>,
}

fn tracked_jobs(tracker: &Tracker) -> Vec<TrackedJob> {
    tracker
        .jobs
        .iter()
        .map(|(id, job)| TrackedJob {
            job_id: id.clone(),
            source_id: job.specifier.clone(),
            status: job.status.name().to_string(),
            error_message: job.error_message.clone(),
        })
        .collect()
}

/// The original's label of a set of jobs: any failed, all succeeded, any running, none started, or between.
fn label(s: &Summary) -> &'static str {
    if s.failed > 0 {
        "failed"
    } else if s.total > 0 && s.succeeded == s.total {
        "completed"
    } else if s.running > 0 {
        "processing"
    } else if s.scheduled == s.total {
        "not_started"
    } else {
        "in_progress"
    }
}

/// `get_batch_status_overview`: every processing output under a root, labelled by its jobs' states.
pub fn get_batch_status_overview(paths: &PathPolicy, args: OverviewArgs) -> Reply<Overview> {
    let root = paths.resolve("root_directory", &args.root_directory)?;
    if !root.is_dir() {
        return Err(tool_error!(
            "argument `root_directory`: {} is not a directory",
            root.display()
        ));
    }
    let mut states = Vec::new();
    for path in process::tracker::find_trackers(&root, 16) {
        let dir = path.parent().map(PathBuf::from).unwrap_or_default();
        let (summary, jobs, error) = match Tracker::load(&path) {
            Ok(tracker) => {
                let jobs = tracked_jobs(&tracker);
                (Summary::of(jobs.iter().map(|j| j.status.as_str())), Some(jobs), None)
            }
            Err(e) => (Summary::default(), None, Some(e.to_string())),
        };
        states.push(OutputState {
            output_directory: dir,
            status: if error.is_some() { "error" } else { label(&summary) }.to_string(),
            summary,
            tracker_path: args.detailed.then(|| path.clone()),
            jobs: if args.detailed { jobs } else { None },
            error,
        });
    }
    let mut summary = Summary::default();
    let mut breakdown: super::Breakdown = std::collections::BTreeMap::new();
    for s in &states {
        summary.total += s.summary.total;
        summary.succeeded += s.summary.succeeded;
        summary.failed += s.summary.failed;
        summary.running += s.summary.running;
        summary.scheduled += s.summary.scheduled;
        *breakdown
            .entry("status".into())
            .or_default()
            .entry(s.status.clone())
            .or_default() += 1;
    }
    let mut overview = Overview {
        total_output_directories: states.len(),
        summary,
        breakdown,
        output_directories: None,
        page: None,
    };
    if args.statuses.is_some() || args.include_items {
        let chosen: Vec<OutputState> = states
            .into_iter()
            .filter(|s| args.statuses.as_ref().is_none_or(|wanted| wanted.contains(&s.status)))
            .collect();
        let limit = args.limit.unwrap_or(if args.detailed { 50 } else { 200 });
        let (rows, page) = super::page(chosen, args.start_row, limit);
        overview.output_directories = Some(rows);
        overview.page = Some(page);
    }
    Ok((
        format!(
            "{} output directories: {} jobs, {} succeeded, {} failed",
            overview.total_output_directories,
            overview.summary.total,
            overview.summary.succeeded,
            overview.summary.failed
        ),
        overview,
    ))
}

/// One job's timing.
#[derive(Debug, Serialize, JsonSchema)]
pub struct JobTiming {
    /// The original's job id.
    pub job_id: String,
    /// Source id.
    pub source_id: u8,
    /// The recording's log directory.
    pub log_directory: PathBuf,
    /// Who ran it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executor_id: Option<String>,
    /// When it started, µs since the UNIX epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<u64>,
    /// Seconds since it started, while it runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_seconds: Option<f64>,
    /// When it ended, µs since the UNIX epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<u64>,
    /// How long it took, once ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
}

/// The batch's timing.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BatchTiming {
    /// Seconds since the batch started.
    pub total_elapsed_seconds: f64,
    /// Jobs succeeded.
    pub completed_count: usize,
    /// Jobs failed.
    pub failed_count: usize,
    /// Jobs running.
    pub running_count: usize,
    /// Jobs waiting.
    pub pending_count: usize,
    /// Jobs finished per hour so far, once one has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throughput_jobs_per_hour: Option<f64>,
}

/// What `get_log_processing_timing` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Timing {
    /// True while the batch runs.
    pub active: bool,
    /// `No execution session exists.` when no batch was started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Each job's times, from its tracker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jobs: Option<Vec<JobTiming>>,
    /// The batch's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<BatchTiming>,
}

/// `get_log_processing_timing`: when each job of the server's batch started and ended (from the trackers),
/// and the batch's throughput.
pub fn get_log_processing_timing(batches: &Batches, _: super::NoArgs) -> Reply<Timing> {
    let mut slot = batches.lock();
    let Some(running) = slot.as_mut() else {
        let message = "No execution session exists.";
        return Ok((
            message.into(),
            Timing {
                active: false,
                message: Some(message.into()),
                jobs: None,
                session: None,
            },
        ));
    };
    let active = running.active();
    let snapshot = running.progress.snapshot();
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64);
    let mut trackers: std::collections::BTreeMap<usize, Option<Tracker>> = std::collections::BTreeMap::new();
    let mut jobs = Vec::new();
    for (i, job) in running.plan.jobs.iter().enumerate() {
        let recording = &running.plan.recordings[job.recording];
        let tracker = trackers
            .entry(job.recording)
            .or_insert_with(|| Tracker::load(&recording.output_dir.join(process::job::TRACKER_FILE)).ok());
        let state = tracker.as_ref().and_then(|t| t.jobs.get(&job.job_id));
        let started_at = state.and_then(|s| s.started_at);
        let completed_at = state.and_then(|s| s.completed_at);
        let status = snapshot.statuses.get(i).copied().unwrap_or(JobStatus::Scheduled);
        jobs.push(JobTiming {
            job_id: job.job_id.clone(),
            source_id: job.source_id,
            log_directory: recording.log_dir.clone(),
            executor_id: state.and_then(|s| s.executor_id.clone()),
            started_at,
            elapsed_seconds: (status == JobStatus::Running)
                .then(|| started_at.map(|s| now_us.saturating_sub(s) as f64 / 1e6))
                .flatten(),
            completed_at,
            duration_seconds: started_at
                .zip(completed_at)
                .map(|(s, c)| c.saturating_sub(s) as f64 / 1e6),
        });
    }
    let count = |wanted: JobStatus| snapshot.statuses.iter().filter(|s| **s == wanted).count();
    let finished = snapshot.done;
    let session = BatchTiming {
        total_elapsed_seconds: snapshot.elapsed_s,
        completed_count: count(JobStatus::Succeeded),
        failed_count: count(JobStatus::Failed),
        running_count: count(JobStatus::Running),
        pending_count: count(JobStatus::Scheduled),
        throughput_jobs_per_hour: (finished > 0).then(|| finished as f64 / snapshot.elapsed_s.max(1e-6) * 3600.0),
    };
    Ok((
        format!(
            "{}: {} done, {} running, {} waiting, {:.1} s",
            if active { "running" } else { "ended" },
            session.completed_count + session.failed_count,
            session.running_count,
            session.pending_count,
            session.total_elapsed_seconds
        ),
        Timing {
            active,
            message: None,
            jobs: Some(jobs),
            session: Some(session),
        },
    ))
}

/// Arguments of `reset_log_processing_jobs`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetArgs {
    /// A processing tracker (`camera_processing_tracker.yaml`).
    #[schemars(length(min = 1))]
    pub tracker_path: String,
    /// Only the jobs of these source ids (as text, as the original takes them); every job without.
    pub source_ids: Option<Vec<String>>,
}

/// What `reset_log_processing_jobs` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ResetResult {
    /// True when a job was reset.
    pub reset: bool,
    /// Jobs reset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jobs_reset: Option<usize>,
    /// Every job of the tracker now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jobs: Option<Vec<TrackedJob>>,
    /// Its jobs by status now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    /// `No matching jobs found to reset.` when none matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `reset_log_processing_jobs`: sets jobs of a tracker back to scheduled (their error and times cleared),
/// so that the next batch runs them again; refused while a batch runs.
pub fn reset_log_processing_jobs(paths: &PathPolicy, batches: &Batches, args: ResetArgs) -> Reply<ResetResult> {
    if batches.lock().as_mut().is_some_and(|r| r.active()) {
        return Err(tool_error!(
            "a processing batch is running; cancel it (cancel_log_processing) or wait before resetting jobs"
        ));
    }
    let path = paths.resolve("tracker_path", &args.tracker_path)?;
    let mut ids = Vec::new();
    for given in args.source_ids.iter().flatten() {
        ids.push(
            given
                .parse::<u8>()
                .map_err(|_| tool_error!("argument `source_ids`: '{given}' is not a source id (0 to 255)"))?,
        );
    }
    if args.source_ids.as_ref().is_some_and(Vec::is_empty) {
        return Err(tool_error!(
            "argument `source_ids`: empty; leave it out to reset every job"
        ));
    }
    let (reset, tracker) =
        process::tracker::reset_jobs(&path, &ids).map_err(|e| tool_error!("argument `tracker_path`: {e}"))?;
    if reset == 0 {
        let message = "No matching jobs found to reset.";
        return Ok((
            message.into(),
            ResetResult {
                reset: false,
                jobs_reset: None,
                jobs: None,
                summary: None,
                message: Some(message.into()),
            },
        ));
    }
    let jobs = tracked_jobs(&tracker);
    let summary = Summary::of(jobs.iter().map(|j| j.status.as_str()));
    Ok((
        format!("{reset} job(s) reset in {}", path.display()),
        ResetResult {
            reset: true,
            jobs_reset: Some(reset),
            jobs: Some(jobs),
            summary: Some(summary),
            message: None,
        },
    ))
}
