//! Output files written whole or not at all: new ones that never replace an existing file (recorded data),
//! and derived ones that replace their previous version in one step.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::LogFileError;

/// Writes a new file at `path` with `write`, which gets a buffered writer on a temporary file beside it.
///
/// The finished, synced file then takes its name only if that name is still free (a hard link, which
/// fails if another process took the name meanwhile), so a recorded file is never replaced, not even by a
/// race. On any error, the disk full included, the temporary file is removed: nothing half-written stays.
pub fn write_new_file(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>, &Path) -> Result<(), LogFileError>,
) -> Result<(), LogFileError> {
    if path.exists() {
        return Err(LogFileError::Exists(path.to_path_buf()));
    }
    through_temporary(path, write, |tmp| publish(tmp, path))
}

/// Writes a file at `path` with `write`, replacing any file of that name only once the new one is whole and
/// synced (a rename): a reader, a crash or a full disk sees the old file or the new, never half of one.
/// For derived outputs that a rerun may redo; recorded data goes through [`write_new_file`].
pub fn replace_file(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>, &Path) -> Result<(), LogFileError>,
) -> Result<(), LogFileError> {
    through_temporary(path, write, |tmp| {
        std::fs::rename(tmp, path).map_err(LogFileError::io(path))
    })
}

/// Writes a temporary file beside `path` with `write`, syncs it, and hands it to `finish` to take its
/// place; the temporary file is gone afterwards, whatever happened.
fn through_temporary(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>, &Path) -> Result<(), LogFileError>,
    finish: impl FnOnce(&Path) -> Result<(), LogFileError>,
) -> Result<(), LogFileError> {
    let tmp = partial_path(path);
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(LogFileError::io(&tmp))?;
    let result = (|| {
        let mut out = BufWriter::new(file);
        write(&mut out, &tmp)?;
        let file = out.into_inner().map_err(|e| LogFileError::io(&tmp)(e.into_error()))?;
        file.sync_all().map_err(LogFileError::io(&tmp))?;
        finish(&tmp)
    })();
    let _ = std::fs::remove_file(&tmp);
    if result.is_ok() {
        axvs_core::sync_folder_of(path);
    }
    result
}

/// `<dir>/.<name>.partial-<pid>`: hidden, and distinct per process so two writers never share one.
fn partial_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    path.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

/// Removes the temporary files a killed writer left in `dir` (named as [`write_new_file`] and
/// [`replace_file`] name them) and returns how many there were. Only for a directory no other writer is
/// using (the caller holds its lock).
pub fn remove_partials(dir: &Path) -> std::io::Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let partial = name.starts_with('.')
            && name
                .rsplit_once(".partial-")
                .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
        if partial && entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Gives `tmp` the name `path` unless `path` exists.
fn publish(tmp: &Path, path: &Path) -> Result<(), LogFileError> {
    publish_with(tmp, path, |from, to| std::fs::hard_link(from, to))
}

/// [`publish`], with `link` making the hard link (so that a disk without them can be tried anywhere).
fn publish_with(
    tmp: &Path,
    path: &Path,
    link: impl FnOnce(&Path, &Path) -> std::io::Result<()>,
) -> Result<(), LogFileError> {
    match link(tmp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(LogFileError::Exists(path.to_path_buf())),
        // File systems without hard links (FAT on a USB drive): check, then rename.
        Err(_) if path.exists() => Err(LogFileError::Exists(path.to_path_buf())),
        Err(_) => std::fs::rename(tmp, path).map_err(LogFileError::io(path)),
    }
}

/// Writes `bytes` as a new file (see [`write_new_file`]).
pub fn write_new_bytes(path: &Path, bytes: &[u8]) -> Result<(), LogFileError> {
    write_new_file(path, |out, tmp| out.write_all(bytes).map_err(LogFileError::io(tmp)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_is_written_whole_and_an_existing_one_is_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.csv");
        write_new_bytes(&path, b"first").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"first");
        let err = write_new_bytes(&path, b"second").expect_err("exists");
        assert!(matches!(err, LogFileError::Exists(_)), "{err}");
        assert_eq!(std::fs::read(&path).expect("read"), b"first");
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("dir").count(),
            1,
            "no partial file left"
        );
    }

    #[test]
    fn on_a_disk_without_hard_links_a_new_file_is_renamed_into_place_and_an_existing_one_kept() {
        let no_links = |_: &Path, _: &Path| Err(std::io::Error::from(std::io::ErrorKind::Unsupported));
        let dir = tempfile::tempdir().expect("tempdir");
        let (tmp, path) = (dir.path().join(".a.partial"), dir.path().join("a.npz"));
        std::fs::write(&tmp, b"new").expect("write");
        publish_with(&tmp, &path, no_links).expect("renamed");
        assert_eq!(std::fs::read(&path).expect("read"), b"new");
        assert!(!tmp.exists(), "the partial took the name");
        std::fs::write(&tmp, b"newer").expect("write");
        let err = publish_with(&tmp, &path, no_links).expect_err("exists");
        assert!(matches!(err, LogFileError::Exists(_)), "{err}");
        assert_eq!(std::fs::read(&path).expect("read"), b"new", "never replaced");
    }

    #[test]
    fn partials_left_by_a_kill_are_found_and_only_they() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in [
            ".a.feather.partial-123",
            ".t.yaml.partial-9",
            "a.feather",
            ".a.partial-x",
            "b.partial-1",
        ] {
            std::fs::write(dir.path().join(name), b"x").expect("write");
        }
        assert_eq!(remove_partials(dir.path()).expect("remove"), 2);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".a.partial-x", "a.feather", "b.partial-1"]);
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.csv");
        let err = write_new_file(&path, |out, tmp| {
            out.write_all(b"half").map_err(LogFileError::io(tmp))?;
            Err(LogFileError::corrupt(tmp, "disk full"))
        })
        .expect_err("fails");
        assert!(err.to_string().contains("disk full"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }
}
