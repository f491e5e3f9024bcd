//! Session directories: named, claimed atomically, never shared by two runs.

use std::path::{Path, PathBuf};

use super::SessionError;

/// Where a session's files go.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct SessionDirs {
    /// Videos.
    pub session: PathBuf,
    /// Logs, manifest and archives (the session directory unless the rig has a `log_dir`).
    pub log: PathBuf,
}

/// Checks a given session name: a plain directory name.
pub fn session_name(given: &str) -> Result<String, SessionError> {
    if given.is_empty() || given.contains(['/', '\\', '\0']) || given == "." || given == ".." {
        return Err(SessionError::Invalid(format!(
            "session name '{given}': must be a plain directory name"
        )));
    }
    Ok(given.to_string())
}

/// The default session name: the UTC date and time.
pub fn default_session_name() -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]_[hour]-[minute]-[second]");
    // The description is fixed and fits every date a clock can give.
    time::OffsetDateTime::now_utc()
        .format(format)
        .unwrap_or_else(|_| "session".into())
}

/// Claims `<root>/<name>` by creating it, which succeeds for one process only: two runs given the same
/// session can never share (or overwrite) a directory. An existing directory is refused, even an empty one,
/// since another run may be about to write into it. With `numbered`, a taken name gets the first free
/// suffix instead (`<name>-2`, `-3`, ...): two runs started in the same second get distinct default names.
pub fn claim_dir(root: &Path, name: &str, numbered: bool) -> Result<PathBuf, SessionError> {
    std::fs::create_dir_all(root).map_err(|source| SessionError::Io {
        path: root.display().to_string(),
        source,
    })?;
    let mut n = 1u32;
    loop {
        let dir = match n {
            1 => root.join(name),
            n => root.join(format!("{name}-{n}")),
        };
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && numbered && n < 1000 => n += 1,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(SessionError::Invalid(format!(
                    "session directory {} already exists (another run's, or an earlier one's); choose another \
                     session name",
                    dir.display()
                )))
            }
            Err(source) => {
                return Err(SessionError::Io {
                    path: dir.display().to_string(),
                    source,
                })
            }
        }
    }
}
