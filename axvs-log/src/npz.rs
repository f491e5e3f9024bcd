//! `.npz` archives of log entries, as the original's `assemble_log_archives` writes them.
//!
//! An uncompressed ZIP named `<id>_log.npz`, one member per entry named `<id:03d>_<time:020d>.npy`, each a
//! 1-D `|u1` array holding the entry's flat bytes; members in chronological order, the onset first.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::output::write_new_file;
use crate::{npy, read_log, LogEntry, LogFileError};

/// The archive file name of a source: `<id>_log.npz` (id not zero-padded).
pub fn archive_name(source_id: u8) -> String {
    format!("{source_id}_log.npz")
}

/// The member key of an entry: `<id:03d>_<time:020d>`.
pub fn member_key(entry: &LogEntry) -> String {
    format!("{:03}_{:020}", entry.source_id, entry.time_us)
}

/// Writes `entries` (sorted by time, stably) to a new archive at `path`. Refuses to overwrite; writes to a
/// temporary file first so that a crash or a full disk never leaves a half archive under the final name
/// (see [`write_new_file`]).
pub fn write_archive(entries: &[LogEntry], path: &Path) -> Result<(), LogFileError> {
    if path.exists() {
        return Err(LogFileError::Exists(path.to_path_buf()));
    }
    let mut sorted: Vec<&LogEntry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.time_us);
    if let Some(pair) = sorted.windows(2).find(|w| w[0].time_us == w[1].time_us) {
        return Err(LogFileError::corrupt(
            path,
            format!(
                "two entries share the key {} (a restarted source logs a second onset); the .npz format \
                 cannot hold both, use the .axvslog log directly",
                member_key(pair[0])
            ),
        ));
    }
    write_new_file(path, |out, tmp| {
        // The ZIP writer reports a failed write from its drop on stderr, and finishes a second time there;
        // it is given a writer that keeps the first error instead, returned here once it is done.
        let mut sink = KeepError {
            inner: out,
            error: None,
            position: 0,
        };
        let mut zip = ZipWriter::new(&mut sink);
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        let mut member = Vec::with_capacity(256);
        let written = (|| {
            for entry in sorted {
                member.clear();
                member.extend_from_slice(&npy::header("|u1", 9 + entry.payload.len()));
                entry.write_to(&mut member);
                zip.start_file(format!("{}.npy", member_key(entry)), options)
                    .map_err(|e| zip_error(tmp, e))?;
                zip.write_all(&member).map_err(LogFileError::io(tmp))?;
            }
            Ok(())
        })();
        let finished = zip.finish().map(drop).map_err(|e| zip_error(tmp, e));
        match sink.error.take() {
            Some(source) => Err(LogFileError::Io {
                path: tmp.to_path_buf(),
                source,
            }),
            None => written.and(finished),
        }
    })
}

/// A writer that takes the bytes its inner writer refuses: the first error is kept for the caller, and the
/// position is kept as if every write had succeeded (the file is discarded anyway).
struct KeepError<W> {
    inner: W,
    error: Option<std::io::Error>,
    position: u64,
}

impl<W: Write> Write for KeepError<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.error.is_none()
            && let Err(e) = self.inner.write_all(buf)
        {
            self.error = Some(e);
        }
        self.position += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.error.is_none()
            && let Err(e) = self.inner.flush()
        {
            self.error = Some(e);
        }
        Ok(())
    }
}

impl<W: std::io::Seek> std::io::Seek for KeepError<W> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        if self.error.is_none() {
            match self.inner.seek(pos) {
                Ok(at) => {
                    self.position = at;
                    return Ok(at);
                }
                Err(e) => self.error = Some(e),
            }
        }
        self.position = match pos {
            std::io::SeekFrom::Start(at) => at,
            std::io::SeekFrom::Current(by) => self.position.saturating_add_signed(by),
            std::io::SeekFrom::End(_) => self.position,
        };
        Ok(self.position)
    }
}

/// A ZIP writer's error: its I/O cause kept as such (a full disk reads as one), the rest as corruption.
fn zip_error(tmp: &Path, e: zip::result::ZipError) -> LogFileError {
    match e {
        zip::result::ZipError::Io(source) => LogFileError::Io {
            path: tmp.to_path_buf(),
            source,
        },
        other => LogFileError::corrupt(tmp, other.to_string()),
    }
}

/// Exports a raw log to `<out_dir>/<id>_log.npz` and returns the archive's path.
pub fn export_log(log_path: &Path, out_dir: &Path) -> Result<PathBuf, LogFileError> {
    let contents = read_log(log_path)?;
    let source_id = crate::single_source(&contents.entries, log_path)?;
    let path = out_dir.join(archive_name(source_id));
    write_archive(&contents.entries, &path)?;
    Ok(path)
}

/// Reads every entry of an archive, in archive order.
///
/// Reading slices the stored members (what numpy's `savez` writes) straight out of the file with a
/// zero-copy ZIP reader, so a million-entry archive reads in well under a second. Compressed members
/// (`savez_compressed`) are refused with a clear error: the original never writes them.
pub fn read_archive(path: &Path) -> Result<Vec<LogEntry>, LogFileError> {
    let mut entries = Vec::new();
    visit_archive(path, |entry| {
        entries.push(entry.to_entry());
        Ok(())
    })?;
    Ok(entries)
}

/// Calls `visit` with every entry of an archive, in archive order, without copying it; returns how many
/// entries there were. An error from `visit` stops the walk and is returned.
pub fn visit_archive(
    path: &Path,
    mut visit: impl FnMut(crate::EntryRef<'_>) -> Result<(), LogFileError>,
) -> Result<u64, LogFileError> {
    let file = File::open(path).map_err(LogFileError::io(path))?;
    if !file.metadata().map_err(LogFileError::io(path))?.is_file() {
        return Err(LogFileError::corrupt(path, "not a regular file"));
    }
    // SAFETY: the map is read-only and lives only during this call; archives are written once (to a
    // temporary name, then renamed) and never modified in place, so no one truncates it meanwhile.
    let bytes = unsafe { memmap2::Mmap::map(&file) }.map_err(LogFileError::io(path))?;
    let archive = rawzip::ZipArchive::from_slice(&bytes[..])
        .map_err(|e| LogFileError::corrupt(path, format!("not a readable .npz archive: {e}")))?;
    let mut members = archive.entries();
    let member_error = |i: usize, e: rawzip::Error| LogFileError::corrupt(path, format!("member {i}: {e}"));
    let mut i = 0;
    while let Some(member) = members.next_entry().map_err(|e| member_error(i, e))? {
        let name = String::from_utf8_lossy(member.file_path().as_bytes());
        if member.compression_method() != rawzip::CompressionMethod::STORE {
            return Err(LogFileError::corrupt(
                path,
                format!("member {name} is compressed; log archives store their members uncompressed"),
            ));
        }
        let local = archive.get_entry(member.wayfinder()).map_err(|e| member_error(i, e))?;
        visit(parse_member(path, &name, local.data())?)?;
        i += 1;
    }
    Ok(i as u64)
}

/// One `.npy` member holding a flat log entry.
fn parse_member<'a>(path: &Path, name: &str, bytes: &'a [u8]) -> Result<crate::EntryRef<'a>, LogFileError> {
    let header = npy::parse_header(bytes).map_err(|e| LogFileError::corrupt(path, format!("member {name}: {e}")))?;
    if !matches!(header.descr, "|u1" | "<u1" | "u1") {
        return Err(LogFileError::corrupt(
            path,
            format!("member {name}: dtype {} is not uint8", header.descr),
        ));
    }
    let end = header
        .data_offset
        .checked_add(header.len)
        .ok_or_else(|| LogFileError::corrupt(path, format!("member {name}: impossible array length")))?;
    let data = bytes
        .get(header.data_offset..end)
        .ok_or_else(|| LogFileError::corrupt(path, format!("member {name}: array is cut short")))?;
    crate::EntryRef::from_bytes(data)
        .ok_or_else(|| LogFileError::corrupt(path, format!("member {name}: entry shorter than 9 bytes")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(time_us: u64, payload: &[u8]) -> LogEntry {
        LogEntry {
            source_id: 12,
            time_us,
            payload: payload.to_vec(),
        }
    }

    #[test]
    fn a_refused_write_is_kept_and_returned_once_the_zip_is_done() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::from(std::io::ErrorKind::StorageFull))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut sink = KeepError {
            inner: Full,
            error: None,
            position: 0,
        };
        assert_eq!(sink.write(b"abc").expect("taken"), 3);
        assert_eq!(sink.position, 3);
        sink.flush().expect("flush");
        assert_eq!(sink.error.map(|e| e.kind()), Some(std::io::ErrorKind::StorageFull));
    }

    #[test]
    fn names_follow_the_original() {
        assert_eq!(archive_name(5), "5_log.npz");
        assert_eq!(archive_name(123), "123_log.npz");
        assert_eq!(member_key(&entry(42, &[])), "012_00000000000000000042");
    }

    #[test]
    fn archives_round_trip_in_time_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(archive_name(12));
        let entries = [entry(300, &[]), entry(0, &7u64.to_le_bytes()), entry(100, b"data")];
        write_archive(&entries, &path).expect("write");
        let read = read_archive(&path).expect("read");
        assert_eq!(read, [entries[1].clone(), entries[2].clone(), entries[0].clone()]);
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("dir").count(),
            1,
            "the temporary file is gone"
        );
        // Never overwritten.
        let again = write_archive(&entries, &path).expect_err("exists");
        assert!(matches!(again, LogFileError::Exists(_)), "{again}");
        assert_eq!(read_archive(&path).expect("read"), read);
    }

    #[test]
    fn two_entries_at_one_time_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("1_log.npz");
        let err = write_archive(&[entry(0, &[]), entry(5, &[]), entry(5, &[])], &path).expect_err("duplicate");
        assert!(err.to_string().contains("012_00000000000000000005"), "{err}");
        assert!(!path.exists());
    }

    #[test]
    fn a_log_exports_to_its_sources_archive() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sink = crate::FileLogSink::create(dir.path()).expect("sink");
        use axvs_core::LogSink;
        sink.log(3, 0, &9u64.to_le_bytes()).expect("onset");
        sink.log(3, 40, &[]).expect("frame");
        sink.close().expect("close");
        let out = dir.path().join("out");
        std::fs::create_dir(&out).expect("out dir");
        let archive = export_log(&dir.path().join(crate::log_file_name(3)), &out).expect("export");
        assert_eq!(archive, out.join("3_log.npz"));
        let read = read_archive(&archive).expect("read");
        assert_eq!(read.len(), 2);
        assert_eq!((read[1].source_id, read[1].time_us), (3, 40));
    }

    #[test]
    fn corrupt_archives_name_what_is_wrong() {
        let dir = tempfile::tempdir().expect("tempdir");
        let not_zip = dir.path().join("a.npz");
        std::fs::write(&not_zip, b"not a zip file at all").expect("write");
        let err = read_archive(&not_zip).expect_err("not a zip").to_string();
        assert!(
            err.contains("not a readable .npz archive") && err.contains("a.npz"),
            "{err}"
        );

        fn member(name: &str, bytes: &[u8]) -> Result<LogEntry, LogFileError> {
            parse_member(Path::new("x.npz"), name, bytes).map(|e| e.to_entry())
        }
        let mut good = npy::header("|u1", 9);
        good.extend_from_slice(&[4, 1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(member("m", &good).expect("good").time_us, 1);
        let mut wide = npy::header("<u8", 9);
        wide.extend_from_slice(&[0; 9]);
        assert!(member("m", &wide)
            .expect_err("u8")
            .to_string()
            .contains("dtype <u8 is not uint8"));
        assert!(member("m", &good[..good.len() - 1])
            .expect_err("short")
            .to_string()
            .contains("array is cut short"));
        let mut tiny = npy::header("|u1", 3);
        tiny.extend_from_slice(&[1, 2, 3]);
        assert!(member("m", &tiny)
            .expect_err("tiny")
            .to_string()
            .contains("shorter than 9 bytes"));
        assert!(member("m", b"garbage")
            .expect_err("magic")
            .to_string()
            .contains("member m"));
    }
}
