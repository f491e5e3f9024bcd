//! The processing tracker, `camera_processing_tracker.yaml`, in the original's layout: each job by id,
//! with its name, specifier (the source id), status (0 scheduled, 1 running, 2 succeeded, 3 failed), the
//! executor, the error, and start and end times (µs since the UNIX epoch).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::job::JOB_NAME;
use crate::LogFileError;

/// A job's status, stored as the original's integer codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum JobStatus {
    /// Not started (0).
    Scheduled,
    /// Running, or interrupted while running (1).
    Running,
    /// Done (2).
    Succeeded,
    /// Failed; the error says why (3).
    Failed,
}

impl From<JobStatus> for u8 {
    fn from(s: JobStatus) -> u8 {
        s as u8
    }
}

impl TryFrom<u8> for JobStatus {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, String> {
        Ok(match v {
            0 => JobStatus::Scheduled,
            1 => JobStatus::Running,
            2 => JobStatus::Succeeded,
            3 => JobStatus::Failed,
            other => return Err(format!("status {other} is none of 0 (scheduled) .. 3 (failed)")),
        })
    }
}

impl JobStatus {
    /// The original's name: `SCHEDULED`, `RUNNING`, `SUCCEEDED`, `FAILED`.
    pub fn name(self) -> &'static str {
        match self {
            JobStatus::Scheduled => "SCHEDULED",
            JobStatus::Running => "RUNNING",
            JobStatus::Succeeded => "SUCCEEDED",
            JobStatus::Failed => "FAILED",
        }
    }
}

/// One job's entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobState {
    /// `camera_timestamp_extraction`.
    pub job_name: String,
    /// The source id, as text.
    pub specifier: String,
    /// Its status.
    pub status: JobStatus,
    /// Who ran it (`axvs pid <pid>`).
    pub executor_id: Option<String>,
    /// Why it failed.
    pub error_message: Option<String>,
    /// When it started, µs since the UNIX epoch.
    pub started_at: Option<u64>,
    /// When it ended, µs since the UNIX epoch.
    pub completed_at: Option<u64>,
}

impl JobState {
    /// A scheduled job of `source_id`.
    pub fn scheduled(source_id: u8) -> Self {
        JobState {
            job_name: JOB_NAME.into(),
            specifier: source_id.to_string(),
            status: JobStatus::Scheduled,
            executor_id: None,
            error_message: None,
            started_at: None,
            completed_at: None,
        }
    }
}

/// The tracker file's contents. `file_path` and `lock_path` are written as the original writes them
/// (emptied: they are not part of the state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracker {
    #[serde(default = "dot")]
    file_path: String,
    /// Jobs by id.
    #[serde(default)]
    pub jobs: BTreeMap<String, JobState>,
    #[serde(default)]
    lock_path: String,
}

fn dot() -> String {
    ".".into()
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker {
            file_path: dot(),
            jobs: BTreeMap::new(),
            lock_path: String::new(),
        }
    }
}

impl Tracker {
    /// Reads a tracker; a missing file is an empty tracker.
    pub fn load(path: &Path) -> Result<Self, LogFileError> {
        if !path.exists() {
            return Ok(Tracker::default());
        }
        let text = axvs_core::read_text_file(path).map_err(LogFileError::io(path))?;
        serde_saphyr::from_str(&text).map_err(|e| LogFileError::Manifest {
            path: path.to_path_buf(),
            reason: format!("not a processing tracker: {e}"),
        })
    }

    /// Writes the tracker, replacing the file only once the new one is whole.
    pub fn save(&self, path: &Path) -> Result<(), LogFileError> {
        let yaml = serde_saphyr::to_string(self).map_err(|e| LogFileError::Manifest {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let text = format!("---\n{yaml}...\n");
        crate::output::replace_file(path, |out, tmp| {
            std::io::Write::write_all(out, text.as_bytes()).map_err(LogFileError::io(tmp))
        })
    }

    /// Keeps exactly the jobs of `sources` (the recording's cameras): new ones scheduled, known ones as
    /// they are, others dropped.
    pub fn align(&mut self, sources: impl IntoIterator<Item = u8>) {
        let mut jobs = BTreeMap::new();
        for id in sources {
            let key = super::job_id(id);
            let state = self.jobs.remove(&key).unwrap_or_else(|| JobState::scheduled(id));
            jobs.insert(key, state);
        }
        self.jobs = jobs;
    }

    /// The status of a job, if the tracker has it.
    pub fn status(&self, job_id: &str) -> Option<JobStatus> {
        self.jobs.get(job_id).map(|j| j.status)
    }
}

/// A tracker file shared by the jobs of one recording running on several threads, and held against other
/// processes for as long as it is open.
#[derive(Debug)]
pub struct SharedTracker {
    path: PathBuf,
    state: std::sync::Mutex<Tracker>,
    _lock: std::fs::File,
}

/// The lock file beside a tracker: `<tracker>.lock`, as the original's `filelock` names it.
pub fn lock_path(tracker: &Path) -> PathBuf {
    let mut name = tracker.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the tracker's lock file (an exclusive `flock`, which the original's `filelock` also takes), or
/// says who holds it.
fn lock(tracker: &Path) -> Result<std::fs::File, LogFileError> {
    let path = lock_path(tracker);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(LogFileError::io(&path))?;
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(file),
        Err(rustix::io::Errno::WOULDBLOCK) => Err(LogFileError::corrupt(
            tracker,
            "another process is processing this recording (its tracker is locked); wait for it to finish",
        )),
        Err(e) => Err(LogFileError::io(&path)(e.into())),
    }
}

/// Sets the jobs of `sources` (every job when empty) in the tracker at `path` back to scheduled, their
/// error, executor and times cleared, with the tracker locked; returns how many changed and the tracker now.
/// A missing tracker is an error.
pub fn reset_jobs(path: &Path, sources: &[u8]) -> Result<(usize, Tracker), LogFileError> {
    if !path.is_file() {
        return Err(LogFileError::corrupt(path, "no processing tracker here"));
    }
    let _lock = lock(path)?;
    let mut tracker = Tracker::load(path)?;
    let mut reset = 0;
    for job in tracker.jobs.values_mut() {
        let chosen = sources.is_empty() || sources.iter().any(|id| id.to_string() == job.specifier);
        if chosen {
            let name = std::mem::take(&mut job.job_name);
            let specifier = std::mem::take(&mut job.specifier);
            *job = JobState {
                job_name: name,
                specifier,
                ..JobState::scheduled(0)
            };
            reset += 1;
        }
    }
    if reset > 0 {
        tracker.save(path)?;
    }
    Ok((reset, tracker))
}

/// Every processing tracker (`camera_processing_tracker.yaml`) under `root`, at most `depth` levels down,
/// sorted.
pub fn find_trackers(root: &Path, depth: u32) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() && depth > 0 {
                walk(&entry.path(), depth - 1, out);
            } else if kind.is_file() && entry.file_name() == super::job::TRACKER_FILE {
                out.push(entry.path());
            }
        }
    }
    let mut found = Vec::new();
    walk(root, depth, &mut found);
    found.sort();
    found
}

impl SharedTracker {
    /// Locks `path`, loads it and aligns it with `sources`, writing it back.
    pub fn open(path: PathBuf, sources: impl IntoIterator<Item = u8>) -> Result<Self, LogFileError> {
        let lock = lock(&path)?;
        let mut tracker = Tracker::load(&path)?;
        tracker.align(sources);
        tracker.save(&path)?;
        Ok(SharedTracker {
            path,
            state: std::sync::Mutex::new(tracker),
            _lock: lock,
        })
    }

    /// The tracker file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A job's status.
    pub fn status(&self, job_id: &str) -> Option<JobStatus> {
        self.state.lock().ok().and_then(|t| t.status(job_id))
    }

    /// Changes one job and writes the file.
    pub fn update(&self, job_id: &str, change: impl FnOnce(&mut JobState)) -> Result<(), LogFileError> {
        let mut tracker = self
            .state
            .lock()
            .map_err(|_| LogFileError::corrupt(&self.path, "a job panicked while updating the tracker"))?;
        if let Some(job) = tracker.jobs.get_mut(job_id) {
            change(job);
        }
        tracker.save(&self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trackers_round_trip_in_the_originals_layout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("camera_processing_tracker.yaml");
        let mut tracker = Tracker::load(&path).expect("missing is empty");
        tracker.align([3, 1]);
        tracker.jobs.get_mut(&super::super::job_id(3)).expect("job").status = JobStatus::Failed;
        tracker.save(&path).expect("save");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.starts_with("---\n") && text.ends_with("...\n"), "{text}");
        assert!(text.contains("job_name: camera_timestamp_extraction"), "{text}");
        assert!(text.contains("status: 3"), "{text}");
        let back = Tracker::load(&path).expect("load");
        assert_eq!(back, tracker);
        // Aligning keeps known jobs, adds new ones and drops foreign ones.
        let mut again = back.clone();
        again.align([3, 4]);
        assert_eq!(again.status(&super::super::job_id(3)), Some(JobStatus::Failed));
        assert_eq!(again.status(&super::super::job_id(4)), Some(JobStatus::Scheduled));
        assert_eq!(again.status(&super::super::job_id(1)), None);
        // Held against a second opener (another process: flock locks belong to the open file).
        let held = SharedTracker::open(path.clone(), [3]).expect("open");
        let err = SharedTracker::open(path.clone(), [3]).expect_err("locked").to_string();
        assert!(err.contains("another process is processing this recording"), "{err}");
        drop(held);
        SharedTracker::open(path.clone(), [3]).expect("free again");
        assert!(lock_path(&path).ends_with("camera_processing_tracker.yaml.lock"));
        // Updates reach the file at once; jobs it does not track are left alone.
        let shared = SharedTracker::open(path.clone(), [3, 5]).expect("open");
        assert_eq!(shared.path(), path);
        let five = super::super::job_id(5);
        assert_eq!(shared.status(&five), Some(JobStatus::Scheduled));
        shared
            .update(&five, |s| {
                s.status = JobStatus::Succeeded;
                s.completed_at = Some(9);
            })
            .expect("update");
        shared
            .update("unknown", |s| s.status = JobStatus::Failed)
            .expect("no such job");
        assert_eq!(shared.status(&five), Some(JobStatus::Succeeded));
        let on_disk = Tracker::load(&path).expect("load");
        assert_eq!(on_disk.jobs[&five].completed_at, Some(9));
        assert_eq!(on_disk.jobs.len(), 2);
        assert!(std::fs::read_to_string(&path).expect("read").contains("file_path: '.'"));
        drop(shared);
        let names: Vec<&str> = [
            JobStatus::Scheduled,
            JobStatus::Running,
            JobStatus::Succeeded,
            JobStatus::Failed,
        ]
        .iter()
        .map(|s| s.name())
        .collect();
        assert_eq!(names, ["SCHEDULED", "RUNNING", "SUCCEEDED", "FAILED"]);
        std::fs::write(&path, "jobs: [1, 2]\n").expect("write");
        assert!(Tracker::load(&path)
            .expect_err("junk")
            .to_string()
            .contains("not a processing tracker"));
        assert!(JobStatus::try_from(4).is_err());
    }

    /// A tracker at `path` with jobs for `sources`, every one failed, its executor, error and times set, and
    /// its job name `name`.
    fn failed_tracker(path: &Path, sources: &[u8], name: &str) -> Tracker {
        let mut tracker = Tracker::default();
        tracker.align(sources.iter().copied());
        for job in tracker.jobs.values_mut() {
            job.job_name = name.into();
            job.status = JobStatus::Failed;
            job.executor_id = Some("axvs pid 7".into());
            job.error_message = Some("boom".into());
            job.started_at = Some(5);
            job.completed_at = Some(6);
        }
        tracker.save(path).expect("save");
        tracker
    }

    #[test]
    fn reset_jobs_schedules_the_chosen_sources_again_and_writes_only_a_change() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(super::super::job::TRACKER_FILE);
        let err = reset_jobs(&path, &[]).expect_err("no tracker").to_string();
        assert!(err.contains("no processing tracker here"), "{err}");

        let before = failed_tracker(&path, &[1, 2, 3], "custom_job");
        let (changed, after) = reset_jobs(&path, &[2]).expect("reset");
        assert_eq!(changed, 1);
        let two = super::super::job_id(2);
        // Name and source kept (even a job name other than ours), everything else cleared.
        let expected = JobState {
            job_name: "custom_job".into(),
            ..JobState::scheduled(2)
        };
        assert_eq!(after.jobs[&two], expected);
        for other in [1, 3] {
            let id = super::super::job_id(other);
            assert_eq!(after.jobs[&id], before.jobs[&id]);
        }
        assert_eq!(Tracker::load(&path).expect("load"), after, "written");

        // Nothing chosen: nothing changed, and the file is not rewritten.
        let text = format!("{}# untouched\n", std::fs::read_to_string(&path).expect("read"));
        std::fs::write(&path, &text).expect("write");
        let (changed, same) = reset_jobs(&path, &[9]).expect("reset");
        assert_eq!((changed, &same), (0, &after));
        assert_eq!(std::fs::read_to_string(&path).expect("read"), text);

        // No sources: every job.
        let (changed, all) = reset_jobs(&path, &[]).expect("reset");
        assert_eq!(changed, 3);
        for id in [1, 2, 3] {
            assert_eq!(all.jobs[&super::super::job_id(id)].status, JobStatus::Scheduled);
            assert_eq!(all.jobs[&super::super::job_id(id)].completed_at, None);
        }
        assert_eq!(Tracker::load(&path).expect("load"), all);
    }

    #[test]
    fn find_trackers_looks_down_to_the_depth_given_and_only_at_tracker_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let name = super::super::job::TRACKER_FILE;
        let put = |sub: &str| {
            let folder = root.join(sub);
            std::fs::create_dir_all(&folder).expect("mkdir");
            std::fs::write(folder.join(name), "jobs: {}\n").expect("write");
            folder.join(name)
        };
        let top = put("");
        let b = put("b");
        let a_deep = put("a/x/y");
        let a = put("a");
        // Not trackers: another file, and a folder with the tracker's name.
        std::fs::write(root.join("b/other.yaml"), "").expect("write");
        std::fs::create_dir_all(root.join("c").join(name)).expect("mkdir");

        assert_eq!(find_trackers(root, 0), vec![top.clone()]);
        assert_eq!(find_trackers(root, 1), vec![a.clone(), b.clone(), top.clone()]);
        assert_eq!(find_trackers(root, 2), vec![a.clone(), b.clone(), top.clone()]);
        assert_eq!(find_trackers(root, 3), vec![a, a_deep, b, top]);
        assert_eq!(find_trackers(&root.join("missing"), 3), Vec::<PathBuf>::new());
    }
}
