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
    /// The folders the session claimed, each a BagIt bag whose `data/` is `session` or `log` (see
    /// [`crate::certificate`]); none for a session in directories shared with other recordings.
    pub bags: Vec<PathBuf>,
}

impl SessionDirs {
    /// The session's name: its folder's.
    pub fn name(&self) -> String {
        self.bags
            .first()
            .unwrap_or(&self.session)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// Makes the payload folder (`data/`) of a claimed session folder and returns it.
pub fn payload_of(bag: &Path) -> Result<PathBuf, SessionError> {
    let data = bag.join(crate::certificate::PAYLOAD_DIR);
    std::fs::create_dir(&data).map_err(|source| SessionError::Io {
        path: data.display().to_string(),
        source,
    })?;
    Ok(data)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_name_is_one_plain_directory_name() {
        assert_eq!(session_name("run-1").expect("plain"), "run-1");
        assert_eq!(session_name("a.b").expect("dots inside"), "a.b");
        for bad in ["", ".", "..", "a/b", "/abs", "a\\b", "a\0b"] {
            let e = session_name(bad).expect_err(bad);
            assert!(
                e.is_bad_input() && e.to_string().contains("plain directory name"),
                "{bad:?}: {e}"
            );
        }
    }

    #[test]
    fn the_default_name_is_the_utc_date_and_time() {
        let name = default_session_name();
        assert_eq!(name.len(), "2026-11-26_23-59-59".len(), "{name}");
        assert!(name.starts_with("20") && name.as_bytes()[10] == b'_', "{name}");
    }

    #[test]
    fn a_directory_is_claimed_once_and_numbered_names_count_up() {
        let root = tempfile::tempdir().expect("root");
        let base = root.path().join("new/root");
        assert_eq!(claim_dir(&base, "s", false).expect("first"), base.join("s"));
        let e = claim_dir(&base, "s", false).expect_err("taken");
        assert!(e.is_bad_input() && e.to_string().contains("already exists"), "{e}");
        assert_eq!(claim_dir(&base, "s", true).expect("numbered"), base.join("s-2"));
        assert_eq!(claim_dir(&base, "s", true).expect("numbered"), base.join("s-3"));
        // A thousand taken names: the next run is refused rather than searching on.
        for n in 4..=1000 {
            std::fs::create_dir(base.join(format!("s-{n}"))).expect("taken");
        }
        let e = claim_dir(&base, "s", true).expect_err("no free number");
        assert!(e.to_string().contains("s-1000 already exists"), "{e}");
        std::fs::write(root.path().join("file"), b"").expect("file");
        let e = claim_dir(&root.path().join("file"), "s", true).expect_err("a file as root");
        assert!(matches!(e, SessionError::Io { .. }), "{e}");
        // Any other failure to create it is the OS error, not a name taken.
        let e = claim_dir(root.path(), "file/s", true).expect_err("a file on the way");
        assert!(matches!(e, SessionError::Io { .. }), "{e}");
    }
}
