//! Job identity (the original's ids and names) and the jobs of a batch.

use std::path::{Path, PathBuf};

use super::discover::Recording;
use super::ProcessError;

/// The original's job name for timestamp extraction.
pub const JOB_NAME: &str = "camera_timestamp_extraction";
/// The output directory of a recording's processing.
pub const OUTPUT_DIR: &str = "camera_timestamps";
/// Where the processing outputs of the recording in `dir` go by default: its [`OUTPUT_DIR`], beside a
/// sealed session's `data/` rather than in it (a file added there would make the bag differ from its
/// manifest; see [`crate::bag`]).
///
/// ```
/// let dir = std::path::Path::new("/lab/recordings/day1");
/// assert_eq!(axvs_log::process::job::outputs_of(dir), dir.join("camera_timestamps"));
/// ```
pub fn outputs_of(dir: &Path) -> PathBuf {
    crate::bag::sealed_bag_of(dir).unwrap_or(dir).join(OUTPUT_DIR)
}

/// The tracker file in [`OUTPUT_DIR`].
pub const TRACKER_FILE: &str = "camera_processing_tracker.yaml";

/// The original's job id of a source's extraction: the xxHash64 (seed 0), as 16 lowercase hex digits, of
/// `camera_timestamp_extraction:<source id>`.
///
/// ```
/// assert_eq!(axvs_log::process::job_id(101).len(), 16);
/// ```
pub fn job_id(source_id: u8) -> String {
    let key = format!("{JOB_NAME}:{source_id}");
    format!("{:016x}", xxhash_rust::xxh64::xxh64(key.as_bytes(), 0))
}

/// The output file of a source: `camera_<id>_timestamps.feather`.
pub fn timestamps_file_name(source_id: u8) -> String {
    format!("camera_{source_id}_timestamps.feather")
}

/// Which jobs to run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Only these sources (all when empty).
    pub sources: Vec<u8>,
    /// Only the job with this id (in every recording).
    pub job_id: Option<String>,
}

/// One job: one camera of one recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The recording's index in [`Plan::recordings`].
    pub recording: usize,
    /// Source id.
    pub source_id: u8,
    /// Camera name, when the manifest gives one.
    pub name: Option<String>,
    /// The original's job id.
    pub job_id: String,
    /// The log or archive to read.
    pub log: PathBuf,
    /// The device metadata sidecar, if any.
    pub device: Option<PathBuf>,
    /// The output file.
    pub output: PathBuf,
}

/// A camera that cannot be a job, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The recording's log directory.
    pub log_dir: PathBuf,
    /// Source id.
    pub source_id: u8,
    /// Why.
    pub reason: String,
}

/// The recordings and jobs of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Every recording found.
    pub recordings: Vec<Recording>,
    /// The jobs selected, recording by recording, by source id.
    pub jobs: Vec<Job>,
    /// Cameras the manifest names without a log or archive.
    pub skipped: Vec<Skipped>,
}

impl Plan {
    /// The jobs `selection` asks for among `recordings`; an error when it matches none.
    pub fn new(recordings: Vec<Recording>, selection: &Selection) -> Result<Self, ProcessError> {
        let mut jobs = Vec::new();
        let mut skipped = Vec::new();
        for (index, recording) in recordings.iter().enumerate() {
            for source in &recording.sources {
                let id = job_id(source.id);
                let wanted = (selection.sources.is_empty() || selection.sources.contains(&source.id))
                    && selection.job_id.as_ref().is_none_or(|j| j.eq_ignore_ascii_case(&id));
                if !wanted {
                    continue;
                }
                match &source.log {
                    Some(log) => jobs.push(Job {
                        recording: index,
                        source_id: source.id,
                        name: source.name.clone(),
                        job_id: id,
                        log: log.clone(),
                        device: source.device.clone(),
                        output: recording.output_dir.join(timestamps_file_name(source.id)),
                    }),
                    None => skipped.push(Skipped {
                        log_dir: recording.log_dir.clone(),
                        source_id: source.id,
                        reason: format!(
                            "the manifest names camera {} but there is no {} or {} beside it",
                            source.id,
                            crate::log_file_name(source.id),
                            crate::npz::archive_name(source.id)
                        ),
                    }),
                }
            }
        }
        if jobs.is_empty() {
            let what = match (&selection.job_id, selection.sources.is_empty()) {
                (Some(id), _) => format!("job id {id}"),
                (None, false) => format!("source ids {:?}", selection.sources),
                (None, true) => "any camera".into(),
            };
            let known: std::collections::BTreeSet<String> = recordings
                .iter()
                .flat_map(|r| r.sources.iter().map(|s| format!("{} (job {})", s.id, job_id(s.id))))
                .collect();
            return Err(ProcessError::Selection(format!(
                "no camera with a log matches {what}; the recordings have sources {}",
                known.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(Plan {
            recordings,
            jobs,
            skipped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::discover::Source;

    #[test]
    fn job_ids_are_the_originals_xxhash64() {
        // xxh64(b"camera_timestamp_extraction:101", seed 0), checked against Python's xxhash in tests/process.
        assert_eq!(
            job_id(101),
            format!(
                "{:016x}",
                xxhash_rust::xxh64::xxh64(b"camera_timestamp_extraction:101", 0)
            )
        );
        assert_ne!(job_id(1), job_id(2));
        assert!(job_id(0)
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(timestamps_file_name(7), "camera_7_timestamps.feather");
    }

    fn recording(ids: &[(u8, bool)]) -> Recording {
        Recording {
            log_dir: PathBuf::from("/r"),
            manifest: None,
            output_dir: PathBuf::from("/r/camera_timestamps"),
            sources: ids
                .iter()
                .map(|&(id, log)| Source {
                    id,
                    name: None,
                    log: log.then(|| PathBuf::from(format!("/r/{id:03}.axvslog"))),
                    device: None,
                })
                .collect(),
            manifest_error: None,
        }
    }

    #[test]
    fn selections_pick_sources_or_a_job() {
        let all = Plan::new(
            vec![recording(&[(1, true), (2, true), (3, false)])],
            &Selection::default(),
        )
        .expect("plan");
        assert_eq!(all.jobs.len(), 2);
        assert_eq!(
            all.jobs[1].output,
            PathBuf::from("/r/camera_timestamps/camera_2_timestamps.feather")
        );
        assert_eq!(all.skipped.len(), 1);
        assert!(
            all.skipped[0].reason.contains("003.axvslog or 3_log.npz"),
            "{:?}",
            all.skipped
        );
        let two = Selection {
            sources: vec![2],
            job_id: None,
        };
        let plan = Plan::new(vec![recording(&[(1, true), (2, true)])], &two).expect("plan");
        assert_eq!(plan.jobs.iter().map(|j| j.source_id).collect::<Vec<_>>(), [2]);
        let by_id = Selection {
            sources: Vec::new(),
            job_id: Some(job_id(1).to_uppercase()),
        };
        let plan = Plan::new(vec![recording(&[(1, true), (2, true)])], &by_id).expect("plan");
        assert_eq!(plan.jobs.iter().map(|j| j.source_id).collect::<Vec<_>>(), [1]);
        let none = Selection {
            sources: vec![9],
            job_id: None,
        };
        let err = Plan::new(vec![recording(&[(1, true)])], &none)
            .expect_err("no match")
            .to_string();
        assert!(err.contains("source ids [9]") && err.contains(&job_id(1)), "{err}");
    }
}
