//! Reconciling a killed run's logs with its videos: each camera's archive then holds exactly the frames its
//! video holds (`axvs recover`, and a run whose log failed).

use std::path::{Path, PathBuf};

use axvs_log::reconcile::{reconcile, RunReconciliation, VideoFrames};

/// Why a session could not be recovered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecoverError {
    /// The directory holds no timestamp log (bad input).
    #[error("{0}")]
    NoLogs(String),
    /// A directory could not be read or made.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A log could not be read, or an archive written.
    #[error(transparent)]
    Log(#[from] axvs_log::LogFileError),
    /// The recovered session could not be sealed.
    #[error("the session's certificate: {0}")]
    Certificate(#[source] crate::certificate::CertificateError),
    /// A video could not be read.
    #[error("{}: {source}", path.display())]
    Video {
        /// The file.
        path: PathBuf,
        /// Why.
        source: axvs_encode::EncodeError,
    },
}

/// What recovering one camera's log did.
#[derive(Debug)]
pub struct Recovered {
    /// The raw log.
    pub log: PathBuf,
    /// The archive written, or `None` when there was none to write (see `left`).
    pub archive: Option<PathBuf>,
    /// Why the log was left as it is, when it was: it already has its archive, which holds exactly its
    /// video's frames, or it is empty (its camera never logged its onset).
    pub left: Option<&'static str>,
    /// Where an archive that disagreed with its video was moved (`<id>_log.npz.disagreed`) before the
    /// reconciled one took its name.
    pub replaced: Option<PathBuf>,
    /// Each run's video files and what reconciling them found.
    pub runs: Vec<(Vec<PathBuf>, RunReconciliation)>,
    /// Bytes of an entry cut short at the end of the log.
    pub truncated_tail: usize,
}

/// Reconciles every raw log in `log_dir` with its videos in `session` and writes each archive
/// (`<id>_log.npz`, in `out_dir`) with exactly the frames the videos hold. An archive that already holds
/// them is left as it is; one that disagrees is moved aside (see [`recover_log`]), never overwritten.
pub fn recover_session(session: &Path, log_dir: &Path, out_dir: &Path) -> Result<Vec<Recovered>, RecoverError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| RecoverError::Io { path, source }
    };
    let mut logs: Vec<PathBuf> = std::fs::read_dir(log_dir)
        .map_err(io(log_dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == axvs_log::file::EXTENSION))
        .collect();
    logs.sort();
    if logs.is_empty() {
        return Err(RecoverError::NoLogs(format!(
            "{}: no timestamp logs (.{}) here; give the log directory with --log-dir",
            log_dir.display(),
            axvs_log::file::EXTENSION
        )));
    }
    std::fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    let recovered = logs
        .into_iter()
        .map(|log| recover_log(session, &log, out_dir))
        .collect::<Result<Vec<_>, _>>()?;
    // The provenance of a killed session says how it ended; a disk that takes no file (its archives went
    // elsewhere) keeps the start's.
    if let Err(e) = crate::session::provenance::mark_recovered(session) {
        tracing::warn!("the session's provenance: {e}");
    }
    // The archives are written: a seal that cannot be made (a full disk) is said, not a failed recovery.
    if let Err(e) = seal_recovered(session, log_dir, out_dir, &recovered) {
        tracing::warn!("{e}");
    }
    Ok(recovered)
}

/// Seals the folders of a recovered session that are not sealed yet (see [`crate::certificate`]): its run was
/// killed before its seal. A sealed session is left as it is, even when recovery wrote an archive: its
/// certificate is the run's, and `axvs verify` says what changed since. The counters of a killed run died
/// with it: each camera's account holds what its files hold (its archive's frames, which recovery made its
/// video's).
fn seal_recovered(session: &Path, log_dir: &Path, out_dir: &Path, recovered: &[Recovered]) -> Result<(), RecoverError> {
    use crate::certificate::{seal, session_bag_of, CameraAccount, BAGIT_FILE};
    let mut bags: Vec<&Path> = [session, log_dir].into_iter().filter_map(session_bag_of).collect();
    bags.dedup();
    let names = axvs_log::manifest::read(&log_dir.join(axvs_log::manifest::MANIFEST_FILE))
        .map(|m| m.sources)
        .unwrap_or_default();
    for bag in bags {
        if bag.join(BAGIT_FILE).is_file() {
            continue;
        }
        let relative = |path: &Path| crate::certificate::bag_path(bag, path);
        let mut accounts = Vec::new();
        for log in recovered {
            let Some(id) = log
                .log
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(axvs_log::process::discover::log_source_id)
                .map(|(id, _)| id)
            else {
                continue;
            };
            let archive = out_dir.join(axvs_log::npz::archive_name(id));
            let Ok(entries) = axvs_log::npz::read_archive(&archive) else {
                continue;
            };
            let saved = entries.iter().filter(|e| e.is_frame()).count() as u64;
            let files: Vec<PathBuf> = (1..)
                .map(|run| axvs_encode::run_files(session, id, run))
                .take_while(|files| !files.is_empty())
                .flatten()
                .collect();
            let videos: Vec<String> = files.iter().filter_map(|f| relative(f)).collect();
            let video_frames = match videos.is_empty() {
                true => None,
                false => run_frames(&files)?.map(|frames| frames.times_us.len() as u64),
            };
            let archive = relative(&archive);
            accounts.push(CameraAccount {
                id,
                name: names
                    .iter()
                    .find(|s| s.id == id)
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                acquired: None,
                saved,
                dropped: None,
                videos,
                video_frames,
                logged_frames: archive.is_some().then_some(saved),
                archive,
            });
        }
        seal(bag, &accounts, &Default::default()).map_err(RecoverError::Certificate)?;
    }
    Ok(())
}

/// Reconciles one raw log with its videos in `session` and writes its archive into `out_dir`. An archive
/// that exists is left as it is when it holds exactly the videos' frames; one that disagrees (written by a
/// run that counted frames a full disk tore) is moved aside to `<id>_log.npz.disagreed` and replaced.
pub fn recover_log(session: &Path, log: &Path, out_dir: &Path) -> Result<Recovered, RecoverError> {
    let left = |why| Recovered {
        log: log.to_path_buf(),
        archive: None,
        left: Some(why),
        replaced: None,
        runs: Vec::new(),
        truncated_tail: 0,
    };
    let contents = axvs_log::read_log(log)?;
    if contents.entries.is_empty() {
        return Ok(left(
            "empty: its camera never logged its onset (killed before it started, or its disk was full), so it \
             saved no frame",
        ));
    }
    let source_id = axvs_log::single_source(&contents.entries, log)?;
    let archive = out_dir.join(axvs_log::npz::archive_name(source_id));
    let mut videos = Vec::new();
    let reconciled = reconcile(&contents.entries, log, |run, _| -> Result<_, RecoverError> {
        let files = axvs_encode::run_files(session, source_id, run);
        let frames = run_frames(&files)?;
        videos.push(files);
        Ok(frames)
    })?;
    let mut replaced = None;
    if archive.exists() {
        let archived = axvs_log::npz::read_archive(&archive)?;
        if frame_times(&archived) == frame_times(&reconciled.entries) {
            return Ok(left("already has its archive, which holds exactly its video's frames"));
        }
        let aside = archive.with_extension("npz.disagreed");
        if aside.exists() {
            return Err(RecoverError::Log(axvs_log::LogFileError::Exists(aside)));
        }
        std::fs::rename(&archive, &aside).map_err(|source| RecoverError::Io {
            path: archive.display().to_string(),
            source,
        })?;
        replaced = Some(aside);
    }
    axvs_log::npz::write_archive(&reconciled.entries, &archive)?;
    Ok(Recovered {
        log: log.to_path_buf(),
        archive: Some(archive),
        left: None,
        replaced,
        runs: videos.into_iter().zip(reconciled.runs).collect(),
        truncated_tail: contents.truncated_tail,
    })
}

/// The frame times of `entries`, in time order.
fn frame_times(entries: &[axvs_log::LogEntry]) -> Vec<u64> {
    let mut times: Vec<u64> = entries.iter().filter(|e| e.is_frame()).map(|e| e.time_us).collect();
    times.sort_unstable();
    times
}

/// The frames of one run's video files, their times in one list (each file's follow the last's).
fn run_frames(files: &[PathBuf]) -> Result<Option<VideoFrames>, RecoverError> {
    if files.is_empty() {
        return Ok(None);
    }
    let mut frames = VideoFrames {
        times_us: Vec::new(),
        resolution_us: 1,
        nominal_fps: None,
    };
    for file in files {
        let read = axvs_encode::video_frame_times(file).map_err(|source| RecoverError::Video {
            path: file.clone(),
            source,
        })?;
        frames.times_us.extend(read.times_us);
        frames.resolution_us = frames.resolution_us.max(read.resolution_us);
        frames.nominal_fps = frames.nominal_fps.or(read.nominal_fps);
    }
    Ok(Some(frames))
}
