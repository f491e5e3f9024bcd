//! `.npz` archives of log entries, as the original's `assemble_log_archives` writes them.
//!
//! An uncompressed ZIP named `<id>_log.npz`, one member per entry named `<id:03d>_<time:020d>.npy`, each a
//! 1-D `|u1` array holding the entry's flat bytes; members in chronological order, the onset first.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

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
/// temporary file first so a crash never leaves a half archive under the final name.
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
    let tmp = path.with_extension("npz.partial");
    let file = File::create(&tmp).map_err(LogFileError::io(&tmp))?;
    let mut zip = ZipWriter::new(BufWriter::new(file));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let mut member = Vec::with_capacity(256);
    for entry in sorted {
        member.clear();
        member.extend_from_slice(&npy::header("|u1", 9 + entry.payload.len()));
        entry.write_to(&mut member);
        zip.start_file(format!("{}.npy", member_key(entry)), options)
            .map_err(|e| LogFileError::corrupt(&tmp, e.to_string()))?;
        zip.write_all(&member).map_err(LogFileError::io(&tmp))?;
    }
    let mut inner = zip.finish().map_err(|e| LogFileError::corrupt(&tmp, e.to_string()))?;
    inner.flush().map_err(LogFileError::io(&tmp))?;
    drop(inner);
    std::fs::rename(&tmp, path).map_err(LogFileError::io(path))?;
    Ok(())
}

/// Exports a raw log to `<out_dir>/<id>_log.npz` and returns the archive's path.
pub fn export_log(log_path: &Path, out_dir: &Path) -> Result<PathBuf, LogFileError> {
    let contents = read_log(log_path)?;
    let source_id = contents
        .entries
        .first()
        .map(|e| e.source_id)
        .ok_or_else(|| LogFileError::corrupt(log_path, "the log holds no entries"))?;
    if let Some(other) = contents.entries.iter().find(|e| e.source_id != source_id) {
        return Err(LogFileError::corrupt(
            log_path,
            format!(
                "entries of two sources ({source_id} and {}) in one log",
                other.source_id
            ),
        ));
    }
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
    let file = File::open(path).map_err(LogFileError::io(path))?;
    // SAFETY: the map is read-only and lives only during this call; archives are written once (to a
    // temporary name, then renamed) and never modified in place, so no one truncates it meanwhile.
    let bytes = unsafe { memmap2::Mmap::map(&file) }.map_err(LogFileError::io(path))?;
    let archive = rawzip::ZipArchive::from_slice(&bytes[..])
        .map_err(|e| LogFileError::corrupt(path, format!("not a readable .npz archive: {e}")))?;
    // A member takes well over 100 bytes; a corrupt count cannot make this allocate more than the file.
    let mut entries = Vec::with_capacity((archive.entries_hint() as usize).min(bytes.len() / 100));
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
        entries.push(parse_member(path, &name, local.data())?);
        i += 1;
    }
    Ok(entries)
}

/// One `.npy` member holding a flat log entry.
fn parse_member(path: &Path, name: &str, bytes: &[u8]) -> Result<LogEntry, LogFileError> {
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
    LogEntry::from_bytes(data)
        .ok_or_else(|| LogFileError::corrupt(path, format!("member {name}: entry shorter than 9 bytes")))
}
