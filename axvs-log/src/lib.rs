//! Timestamp logs for axvs, byte-compatible with the Python original (ataraxis).
//!
//! - [`FileLogSink`]: a [`axvs_core::LogSink`] that appends entries to one file per source through a
//!   background writer thread with buffered I/O; everything accepted reaches the OS within a second (in
//!   practice as soon as the writer catches up), so a killed recording keeps its log.
//! - [`npz`]: export a log to `<id>_log.npz` exactly as the original's tools write it, and read such archives
//!   (including ones the original wrote).
//! - [`timestamps`]: absolute acquisition times (µs since the UNIX epoch) of every saved frame, in video order,
//!   as CSV or `.npy`.
//! - [`manifest`]: `camera_manifest.yaml`, mapping source ids to camera names.
//!
//! Log a few entries, export them and read the frame times back:
//!
//! ```
//! use axvs_core::LogSink;
//! use axvs_log::{npz, timestamps, FileLogSink};
//!
//! let dir = tempfile::tempdir()?;
//! let sink = FileLogSink::create(dir.path())?;
//! sink.log(5, 0, &1_700_000_000_000_000u64.to_le_bytes())?; // onset
//! sink.log(5, 1_000, &[])?; // a frame, 1 ms after the onset
//! let logs = sink.close()?;
//! let archive = npz::export_log(&logs[0], dir.path())?;
//! let times = timestamps::frame_times(&npz::read_archive(&archive)?)?;
//! assert_eq!(times, vec![1_700_000_000_001_000]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod bag;
pub mod clock;
pub mod device;
pub mod digest;
mod entry;
mod error;
pub mod feather;
pub mod file;
pub mod manifest;
pub mod npy;
pub mod npz;
pub mod output;
pub mod process;
pub mod reconcile;
pub mod stats;
pub mod timestamps;
pub mod truth;
mod writer;

pub use entry::{EntryRef, LogEntry};
pub use error::LogFileError;
pub use file::{log_file_name, read_log, LogContents};
pub use writer::{FileLogSink, MAX_FLUSH_DELAY};

/// Reads entries from a raw log (`.axvslog`) or an archive (`.npz`), chosen by extension; a session's raw
/// log is read as [`truth::file_to_read`] says (its archive when there is one).
pub fn read_any(path: &std::path::Path) -> Result<Vec<LogEntry>, LogFileError> {
    let path = &truth::file_to_read(path)?;
    match path.extension().and_then(|e| e.to_str()) {
        Some("npz") => npz::read_archive(path),
        Some(file::EXTENSION) => Ok(read_log(path)?.entries),
        _ => Err(LogFileError::UnknownKind(path.to_path_buf())),
    }
}

/// The one source whose entries `entries` (read from `path`) are; an error when there are none, or two
/// sources are mixed (each source has a log of its own, so a mixed one is not a log axvs wrote).
pub fn single_source(entries: &[LogEntry], path: &std::path::Path) -> Result<u8, LogFileError> {
    let source_id = entries
        .first()
        .map(|e| e.source_id)
        .ok_or_else(|| LogFileError::Corrupt {
            path: path.to_path_buf(),
            reason: "the log holds no entries".into(),
        })?;
    match entries.iter().find(|e| e.source_id != source_id) {
        Some(other) => Err(LogFileError::Corrupt {
            path: path.to_path_buf(),
            reason: format!(
                "entries of two sources ({source_id} and {}) in one log",
                other.source_id
            ),
        }),
        None => Ok(source_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_any_chooses_the_reader_by_extension() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sink = FileLogSink::create(dir.path()).expect("sink");
        axvs_core::LogSink::log(&sink, 2, 0, &5u64.to_le_bytes()).expect("onset");
        axvs_core::LogSink::log(&sink, 2, 7, &[]).expect("frame");
        sink.close().expect("close");
        let log = dir.path().join(log_file_name(2));
        let from_log = read_any(&log).expect("raw log");
        assert_eq!(from_log.len(), 2);
        let archive = npz::export_log(&log, dir.path()).expect("export");
        assert_eq!(read_any(&archive).expect("archive"), from_log);
        let other = dir.path().join("2.csv");
        std::fs::write(&other, "x").expect("write");
        assert!(matches!(read_any(&other), Err(LogFileError::UnknownKind(_))));
    }
}
