//! One truth for readers: the file that holds exactly the frames a session's videos hold.
//!
//! A finished run writes each camera's archive (`<id>_log.npz`) from a log that agrees with its video, or
//! reconciled with it when the camera failed; `axvs recover` writes it after a crash. A raw log
//! (`NNN.axvslog`) of a run that did not finish may name frames its video never got, and not only at its
//! end, so every reader ([`crate::timestamps::extract`], [`crate::read_any`], processing, statistics) reads
//! the archive when there is one, and refuses a session's raw log that was never reconciled.

use std::path::{Path, PathBuf};

use crate::manifest::MANIFEST_FILE;
use crate::stats::inputs::REPORT_FILE;
use crate::LogFileError;

/// The file to read for the log or archive at `path`:
/// - an archive is itself;
/// - a raw log whose archive lies beside it is read from that archive (the reconciled truth);
/// - a session's raw log without an archive (a camera restarted mid-session, whose runs an `.npz` cannot
///   hold) is read when the session's report says that camera finished cleanly, and refused otherwise
///   ([`LogFileError::Unreconciled`]): its run did not finish, or ended with errors;
/// - a raw log outside a session (no camera manifest beside it) is itself.
///
/// ```
/// use axvs_core::LogSink;
/// let dir = tempfile::tempdir()?;
/// let sink = axvs_log::FileLogSink::create(dir.path())?;
/// sink.log(3, 0, &1_700_000_000_000_000u64.to_le_bytes())?;
/// let log = sink.close()?.remove(0);
/// assert_eq!(axvs_log::truth::file_to_read(&log)?, log, "a bare log is read as it is");
/// let archive = axvs_log::npz::export_log(&log, dir.path())?;
/// assert_eq!(axvs_log::truth::file_to_read(&log)?, archive);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn file_to_read(path: &Path) -> Result<PathBuf, LogFileError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let Some((id, true)) = crate::process::discover::log_source_id(name) else {
        return Ok(path.to_path_buf());
    };
    let dir = path.parent().unwrap_or(Path::new(""));
    let archive = dir.join(crate::npz::archive_name(id));
    if archive.is_file() {
        return Ok(archive);
    }
    if !dir.join(MANIFEST_FILE).is_file() {
        return Ok(path.to_path_buf());
    }
    let unreconciled = |reason: String| LogFileError::Unreconciled {
        log: path.to_path_buf(),
        reason,
    };
    let report = crate::stats::inputs::report_for(dir, id);
    let text = match axvs_core::read_text_file(&report) {
        Ok(text) => text,
        Err(_) => {
            return Err(unreconciled(format!(
                "its recording did not finish (no {} and no {REPORT_FILE} beside it), or is still going",
                crate::npz::archive_name(id)
            )))
        }
    };
    match clean_finish(&text, id) {
        Some(true) => Ok(path.to_path_buf()),
        Some(false) => Err(unreconciled(format!(
            "camera {id} ended with errors ({}) and has no {}",
            report.display(),
            crate::npz::archive_name(id)
        ))),
        None => Err(unreconciled(format!(
            "{} does not name camera {id}, and there is no {}",
            report.display(),
            crate::npz::archive_name(id)
        ))),
    }
}

/// The raw logs (`NNN.axvslog`) directly in `dir` whose archive (`N_log.npz`) is not beside them: runs that
/// did not finish, which `axvs recover` reconciles with their videos. Sorted.
pub fn unarchived_logs(dir: &Path) -> Result<Vec<PathBuf>, LogFileError> {
    let mut logs = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(LogFileError::io(dir))?.flatten() {
        let name = entry.file_name();
        let Some((id, true)) = name.to_str().and_then(crate::process::discover::log_source_id) else {
            continue;
        };
        if !dir.join(crate::npz::archive_name(id)).is_file() {
            logs.push(entry.path());
        }
    }
    logs.sort();
    Ok(logs)
}

/// Whether the report (JSON text) says camera `id` finished without errors and with every video frame
/// logged; `None` when it does not name the camera (or cannot be read).
fn clean_finish(report: &str, id: u8) -> Option<bool> {
    let report: serde_json::Value = serde_json::from_str(report).ok()?;
    let camera = report.get("cameras")?.as_array()?.iter().find(|c| {
        c.get("status")
            .and_then(|s| s.get("id"))
            .and_then(serde_json::Value::as_u64)
            == Some(u64::from(id))
    })?;
    let no_errors = camera
        .get("errors")
        .and_then(serde_json::Value::as_array)
        .is_some_and(Vec::is_empty);
    let all_logged = camera
        .get("status")
        .and_then(|s| s.get("unlogged"))
        .and_then(serde_json::Value::as_u64)
        == Some(0);
    Some(no_errors && all_logged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axvs_core::LogSink;

    fn session_log(dir: &Path, id: u8) -> PathBuf {
        let sink = crate::FileLogSink::create(dir).expect("sink");
        sink.log(id, 0, &1_000u64.to_le_bytes()).expect("onset");
        sink.log(id, 10, &[]).expect("frame");
        sink.close().expect("close").remove(0)
    }

    fn report(dir: &Path, id: u8, errors: &str, unlogged: u64) {
        let text = format!(r#"{{"cameras":[{{"status":{{"id":{id},"unlogged":{unlogged}}},"errors":[{errors}]}}]}}"#);
        std::fs::write(dir.join(REPORT_FILE), text).expect("report");
    }

    #[test]
    fn unarchived_logs_are_the_raw_logs_without_an_archive_beside_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            unarchived_logs(dir.path()).expect("empty folder"),
            Vec::<PathBuf>::new()
        );
        let two = session_log(dir.path(), 2);
        let one = session_log(dir.path(), 1);
        let five = session_log(dir.path(), 5);
        // Camera 5 finished: its archive is there. Archives, other files and folders are not logs.
        std::fs::write(dir.path().join(crate::npz::archive_name(5)), b"archive").expect("write");
        std::fs::write(dir.path().join(crate::npz::archive_name(7)), b"archive").expect("write");
        std::fs::write(dir.path().join("notes.txt"), b"x").expect("write");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        assert!(five.is_file());
        assert_eq!(unarchived_logs(dir.path()).expect("listed"), vec![one, two]);
        let missing = dir.path().join("missing");
        assert!(unarchived_logs(&missing).is_err());
    }

    #[test]
    fn an_unfinished_sessions_raw_log_is_refused_until_reconciled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = session_log(dir.path(), 4);
        std::fs::write(dir.path().join(MANIFEST_FILE), "sources:\n- id: 4\n  name: a\n").expect("manifest");
        let err = file_to_read(&log).expect_err("no report, no archive");
        assert!(matches!(err, LogFileError::Unreconciled { .. }), "{err}");
        assert!(
            err.to_string().contains("did not finish") && err.to_string().contains("axvs recover"),
            "{err}"
        );
        report(dir.path(), 4, r#""encoder: No space left on device""#, 0);
        let err = file_to_read(&log).expect_err("ended with errors");
        assert!(err.to_string().contains("ended with errors"), "{err}");
        std::fs::remove_file(dir.path().join(REPORT_FILE)).expect("rm");
        report(dir.path(), 4, "", 2);
        assert!(file_to_read(&log).is_err(), "frames without entries");
        std::fs::remove_file(dir.path().join(REPORT_FILE)).expect("rm");
        report(dir.path(), 5, "", 0);
        let err = file_to_read(&log).expect_err("another camera");
        assert!(err.to_string().contains("does not name camera 4"), "{err}");
        std::fs::remove_file(dir.path().join(REPORT_FILE)).expect("rm");
        report(dir.path(), 4, "", 0);
        assert_eq!(file_to_read(&log).expect("clean finish"), log);
        // Once recovered (or finished), the archive is the truth, whatever the log says.
        std::fs::remove_file(dir.path().join(REPORT_FILE)).expect("rm");
        let archive = crate::npz::export_log(&log, dir.path()).expect("archive");
        assert_eq!(file_to_read(&log).expect("archive"), archive);
        assert_eq!(file_to_read(&archive).expect("itself"), archive);
    }
}
