//! Errors of batch processing.

use std::path::PathBuf;

/// Why a batch could not be planned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// A root is missing or not a directory.
    #[error("{path}: {reason}")]
    Root {
        /// The root.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A directory could not be listed.
    #[error("{path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Nothing to process under the roots.
    #[error("no recording (camera_manifest.yaml, NNN.axvslog or N_log.npz) under {0}")]
    Empty(String),
    /// The selection matches no job.
    #[error("{0}")]
    Selection(String),
    /// Two recordings would write to one output directory.
    #[error("{first} and {second} would both write to {output}; process them separately")]
    OutputClash {
        /// One recording.
        first: PathBuf,
        /// The other.
        second: PathBuf,
        /// Their output directory.
        output: PathBuf,
    },
}

impl ProcessError {
    /// True when the user's input is at fault.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, ProcessError::Io { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_io_errors_are_not_the_users() {
        assert!(ProcessError::Empty("r".into()).is_bad_input());
        assert!(ProcessError::Selection("s".into()).is_bad_input());
        let io = ProcessError::Io {
            path: PathBuf::from("d"),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        assert!(!io.is_bad_input());
    }
}
