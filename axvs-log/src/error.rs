//! Errors of the log crate.

use std::path::PathBuf;

/// Why a log file or archive could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum LogFileError {
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not what it should be.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        reason: String,
    },
    /// The output exists already; axvs does not overwrite recorded data.
    #[error("refusing to overwrite existing {0}")]
    Exists(PathBuf),
    /// No onset entry: frame times cannot be made absolute.
    #[error("{0}: no onset entry (time 0), so frame times cannot be made absolute")]
    NoOnset(String),
    /// Neither `.axvslog` nor `.npz`.
    #[error("{0}: not a log (.axvslog) or archive (.npz)")]
    UnknownKind(PathBuf),
    /// A session's raw log that was never reconciled with its video (see [`crate::truth`]).
    #[error(
        "{}: not read: {reason}, so it may name frames its video does not hold; run `axvs recover` on the \
         session first (with --log-dir {} when its logs are apart from its videos), which writes the archive \
         with exactly the video's frames",
        log.display(),
        log.parent().unwrap_or(std::path::Path::new(".")).display()
    )]
    Unreconciled {
        /// The raw log.
        log: PathBuf,
        /// Why it cannot be trusted.
        reason: String,
    },
    /// The writer thread stopped.
    #[error("log writer: {0}")]
    Writer(String),
    /// The manifest could not be parsed or written.
    #[error("{path}: {reason}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

impl LogFileError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> LogFileError {
        let path = path.into();
        move |source| LogFileError::Io { path, source }
    }

    pub(crate) fn corrupt(path: impl Into<PathBuf>, reason: impl Into<String>) -> LogFileError {
        LogFileError::Corrupt {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
