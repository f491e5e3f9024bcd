//! The raw log file: one append-only file per source, written while recording.
//!
//! Layout: the 8-byte magic `AXVSLOG1`, then records of `u32` LE length followed by that many bytes of a flat
//! entry (id, `u64` LE time, payload). A record cut short by a crash at the end of the file is ignored and
//! reported; anything else malformed is an error naming the byte offset.

use std::path::{Path, PathBuf};

use crate::entry::HEADER_LEN;
use crate::{EntryRef, LogEntry, LogFileError};

/// Magic bytes at the start of every raw log.
pub const MAGIC: &[u8; 8] = b"AXVSLOG1";
/// Extension of raw logs.
pub const EXTENSION: &str = "axvslog";

/// The largest record axvs writes: an entry with a 1 MiB payload.
pub(crate) const MAX_RECORD: usize = HEADER_LEN + (1 << 20);

/// The raw log file name of a source: `<id:03d>.axvslog`.
pub fn log_file_name(source_id: u8) -> String {
    format!("{source_id:03}.{EXTENSION}")
}

/// Appends one record to `out`.
pub(crate) fn encode_record(source_id: u8, time_us: u64, payload: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&((HEADER_LEN + payload.len()) as u32).to_le_bytes());
    out.push(source_id);
    out.extend_from_slice(&time_us.to_le_bytes());
    out.extend_from_slice(payload);
}

/// Whether a raw log holds at least one whole entry, read from its first record alone: a recording killed
/// (or a disk filled) before its camera logged its onset leaves a file with none.
pub fn holds_entries(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; MAGIC.len() + 4];
    let (Ok(mut file), Ok(meta)) = (std::fs::File::open(path), std::fs::metadata(path)) else {
        return false;
    };
    if file.read_exact(&mut head).is_err() || &head[..MAGIC.len()] != MAGIC {
        return false;
    }
    let first = u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as u64;
    meta.len() >= (MAGIC.len() + 4) as u64 + first
}

/// What a raw log holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogContents {
    /// The file.
    pub path: PathBuf,
    /// Entries in file order.
    pub entries: Vec<LogEntry>,
    /// Bytes of an incomplete last record (left by a crash), ignored.
    pub truncated_tail: usize,
}

/// Reads a raw log.
pub fn read_log(path: &Path) -> Result<LogContents, LogFileError> {
    // A log is as large as its recording; only a file that is not one (a device, a pipe) is refused.
    let bytes = axvs_core::read_regular_file(path, u64::MAX).map_err(LogFileError::io(path))?;
    parse_log(path, &bytes)
}

fn parse_log(path: &Path, bytes: &[u8]) -> Result<LogContents, LogFileError> {
    let mut entries = Vec::with_capacity(bytes.len().saturating_sub(MAGIC.len()) / (4 + HEADER_LEN));
    let truncated_tail = visit_bytes(path, bytes, |entry| {
        entries.push(entry.to_entry());
        Ok(())
    })?;
    Ok(LogContents {
        path: path.to_path_buf(),
        entries,
        truncated_tail,
    })
}

/// Calls `visit` with every entry of a raw log, in file order, without copying it; returns how many
/// entries there were and the bytes of an incomplete last record (left by a crash), ignored.
pub fn visit_log(
    path: &Path,
    mut visit: impl FnMut(EntryRef<'_>) -> Result<(), LogFileError>,
) -> Result<(u64, usize), LogFileError> {
    let bytes = axvs_core::read_regular_file(path, u64::MAX).map_err(LogFileError::io(path))?;
    let mut count = 0;
    let tail = visit_bytes(path, &bytes, |entry| {
        count += 1;
        visit(entry)
    })?;
    Ok((count, tail))
}

fn visit_bytes(
    path: &Path,
    bytes: &[u8],
    mut visit: impl FnMut(EntryRef<'_>) -> Result<(), LogFileError>,
) -> Result<usize, LogFileError> {
    if bytes.len() < MAGIC.len() && MAGIC.starts_with(bytes) {
        // Killed between creating the file and writing its magic: a log with no entries yet.
        return Ok(bytes.len());
    }
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(LogFileError::corrupt(path, "not an axvs log (missing AXVSLOG1 header)"));
    }
    let mut pos = MAGIC.len();
    let mut truncated_tail = 0;
    while pos != bytes.len() {
        let rest = &bytes[pos..];
        if rest.len() < 4 {
            truncated_tail = rest.len();
            break;
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if len < HEADER_LEN {
            return Err(LogFileError::corrupt(
                path,
                format!("record at byte {pos} claims {len} bytes, fewer than an entry's 9"),
            ));
        }
        if rest.len() < 4 + len {
            // A crash cuts at most the last record; a length that no entry could have is corruption.
            if len > MAX_RECORD {
                return Err(LogFileError::corrupt(
                    path,
                    format!("record at byte {pos} claims {len} bytes (corrupt length)"),
                ));
            }
            truncated_tail = rest.len();
            break;
        }
        let entry = EntryRef::from_bytes(&rest[4..4 + len])
            .ok_or_else(|| LogFileError::corrupt(path, format!("record at byte {pos} is too short")))?;
        visit(entry)?;
        pos += 4 + len;
    }
    Ok(truncated_tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_bytes(entries: &[(u8, u64, &[u8])]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        for (id, t, p) in entries {
            encode_record(*id, *t, p, &mut out);
        }
        out
    }

    #[test]
    fn round_trips_and_tolerates_a_cut_tail() {
        let mut bytes = log_bytes(&[(1, 0, &42u64.to_le_bytes()), (1, 10, &[]), (1, 20, &[])]);
        let full = parse_log(Path::new("x"), &bytes).expect("parse");
        assert_eq!(full.entries.len(), 3);
        assert_eq!(full.entries[0].onset_utc_us(), Some(42));
        bytes.truncate(bytes.len() - 3);
        let cut = parse_log(Path::new("x"), &bytes).expect("parse");
        assert_eq!(cut.entries.len(), 2);
        assert_eq!(cut.truncated_tail, 10);
    }

    #[test]
    fn rejects_garbage_with_the_offset() {
        let err = parse_log(Path::new("x"), b"nope").expect_err("no magic");
        assert!(err.to_string().contains("AXVSLOG1"));
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&3u32.to_le_bytes());
        bytes.extend_from_slice(&[0; 3]);
        let err = parse_log(Path::new("x"), &bytes).expect_err("short record");
        assert!(err.to_string().contains("byte 8"), "{err}");
    }

    #[test]
    fn a_log_holds_entries_once_its_first_record_is_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("001.axvslog");
        assert!(!holds_entries(&path), "no file");
        let whole = log_bytes(&[(1, 0, &42u64.to_le_bytes())]);
        for cut in 0..whole.len() {
            std::fs::write(&path, &whole[..cut]).expect("write");
            assert!(!holds_entries(&path), "cut at {cut}");
        }
        std::fs::write(&path, &whole).expect("write");
        assert!(holds_entries(&path));
    }

    #[test]
    fn a_log_killed_before_its_magic_was_written_is_empty() {
        for cut in 0..MAGIC.len() {
            let log = parse_log(Path::new("x"), &MAGIC[..cut]).expect("a cut magic");
            assert!(log.entries.is_empty());
            assert_eq!(log.truncated_tail, cut);
        }
        assert!(parse_log(Path::new("x"), b"AXVX").is_err(), "not a prefix of the magic");
    }

    #[test]
    fn a_log_of_only_its_magic_is_empty() {
        let empty = parse_log(Path::new("x"), MAGIC).expect("just the magic");
        assert!(empty.entries.is_empty());
        assert_eq!(empty.truncated_tail, 0);
    }

    #[test]
    fn a_cut_length_field_is_a_truncated_tail() {
        let mut bytes = log_bytes(&[(1, 10, &[])]);
        bytes.extend_from_slice(&[13, 0]);
        let cut = parse_log(Path::new("x"), &bytes).expect("parse");
        assert_eq!((cut.entries.len(), cut.truncated_tail), (1, 2));
    }

    #[test]
    fn a_whole_length_field_claiming_too_little_is_corrupt_even_at_the_end() {
        let mut bytes = log_bytes(&[(1, 10, &[])]);
        bytes.extend_from_slice(&8u32.to_le_bytes());
        let err = parse_log(Path::new("x"), &bytes).expect_err("8 bytes is no entry");
        assert!(err.to_string().contains("record at byte 21 claims 8 bytes"), "{err}");
    }

    #[test]
    fn only_a_length_no_record_could_have_is_corrupt() {
        // The largest record axvs writes (an entry with a 1 MiB payload), cut by a crash: a truncated tail.
        let largest: u32 = 9 + (1 << 20);
        let mut bytes = log_bytes(&[(1, 10, &[])]);
        bytes.extend_from_slice(&largest.to_le_bytes());
        bytes.extend_from_slice(&[1; 20]);
        let cut = parse_log(Path::new("x"), &bytes).expect("a cut record");
        assert_eq!((cut.entries.len(), cut.truncated_tail), (1, 24));
        // One byte more than any record: corruption, named with its offset.
        let mut bytes = log_bytes(&[(1, 10, &[])]);
        bytes.extend_from_slice(&(largest + 1).to_le_bytes());
        bytes.extend_from_slice(&[1; 20]);
        let err = parse_log(Path::new("x"), &bytes).expect_err("corrupt length");
        assert!(
            err.to_string().contains("byte 21") && err.to_string().contains("corrupt length"),
            "{err}"
        );
    }

    #[test]
    fn names_and_records_are_the_documented_layout() {
        assert_eq!(log_file_name(7), "007.axvslog");
        let mut out = Vec::new();
        encode_record(3, 0x0102, &[9, 9], &mut out);
        assert_eq!(out, [11, 0, 0, 0, 3, 2, 1, 0, 0, 0, 0, 0, 0, 9, 9]);
    }
}
