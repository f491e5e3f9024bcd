//! Absolute acquisition times of saved frames, in video order.

use std::io::Write;
use std::path::Path;

use crate::output::{write_new_bytes, write_new_file};
use crate::{npy, EntryRef, LogEntry, LogFileError};

/// µs since the UNIX epoch (UTC) of every frame entry, in log order (= the order of frames in the video).
///
/// Each frame's time is its offset from the latest onset before it (a source restarted in one log has
/// several; see [`frame_times_by_run`]); entries with a payload and a non-zero time are data, not frames,
/// and are skipped. A log without an onset before its first frame is an error.
pub fn frame_times(entries: &[LogEntry]) -> Result<Vec<u64>, LogFileError> {
    Ok(frame_times_by_run(entries)?.concat())
}

/// [`frame_times`], one list per run: each onset starts a run, and each run of a source wrote its own video
/// file (`003.mp4`, then `003-2.mp4`, `003-3.mp4`, ...), whose frames are that run's list, in order.
pub fn frame_times_by_run(entries: &[LogEntry]) -> Result<Vec<Vec<u64>>, LogFileError> {
    let mut runs = Runs::default();
    for entry in entries {
        runs.push(entry.as_ref())?;
    }
    Ok(runs.finish()?.into_iter().map(|r| r.frame_times_us).collect())
}

/// One run of a source: its onset and the absolute times of its frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The onset, µs since the UNIX epoch (UTC).
    pub onset_utc_us: u64,
    /// µs since the UNIX epoch of every frame, in video order.
    pub frame_times_us: Vec<u64>,
}

/// Frame times gathered entry by entry, in one pass over a log (see [`frame_times`]).
#[derive(Debug, Default)]
pub struct Runs {
    runs: Vec<Run>,
}

impl Runs {
    /// Takes the next entry.
    pub fn push(&mut self, entry: EntryRef<'_>) -> Result<(), LogFileError> {
        if entry.time_us == 0 {
            let onset = <[u8; 8]>::try_from(entry.payload)
                .map(u64::from_le_bytes)
                .map_err(|_| {
                    LogFileError::NoOnset(format!(
                        "onset entry with a {}-byte payload (8 expected)",
                        entry.payload.len()
                    ))
                })?;
            self.runs.push(Run {
                onset_utc_us: onset,
                frame_times_us: Vec::new(),
            });
        } else if entry.payload.is_empty() {
            let run = self
                .runs
                .last_mut()
                .ok_or_else(|| LogFileError::NoOnset(format!("source {}", entry.source_id)))?;
            let time = run.onset_utc_us.checked_add(entry.time_us).ok_or_else(|| {
                LogFileError::NoOnset(format!(
                    "frame time {} µs after an onset at {} µs overflows (corrupt entry)",
                    entry.time_us, run.onset_utc_us
                ))
            })?;
            run.frame_times_us.push(time);
        }
        Ok(())
    }

    /// The runs; an error when there was no onset at all.
    pub fn finish(self) -> Result<Vec<Run>, LogFileError> {
        if self.runs.is_empty() {
            return Err(LogFileError::NoOnset("log".into()));
        }
        Ok(self.runs)
    }
}

/// What one pass over a log or archive of one source found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extraction {
    /// The source.
    pub source_id: u8,
    /// Entries read (onsets, frames and data).
    pub entries: u64,
    /// Its runs, in order (one per onset).
    pub runs: Vec<Run>,
}

impl Extraction {
    /// Every frame's absolute time, all runs in order (= [`frame_times`]).
    pub fn frame_times(&self) -> Vec<u64> {
        self.runs
            .iter()
            .flat_map(|r| r.frame_times_us.iter().copied())
            .collect()
    }

    /// Every frame's time since its run's onset (the time its entry holds), in the same order.
    pub fn entry_times(&self) -> Vec<u64> {
        self.runs
            .iter()
            .flat_map(|r| r.frame_times_us.iter().map(move |t| t - r.onset_utc_us))
            .collect()
    }

    /// Frames in all runs.
    pub fn frames(&self) -> usize {
        self.runs.iter().map(|r| r.frame_times_us.len()).sum()
    }
}

/// Reads a raw log (`.axvslog`) or archive (`.npz`) in one pass, copying nothing but the frame times; the
/// entries must all be of one source. A session's raw log is read as [`crate::truth::file_to_read`] says
/// (its archive when there is one).
pub fn extract(path: &Path) -> Result<Extraction, LogFileError> {
    let path = &crate::truth::file_to_read(path)?;
    let mut runs = Runs::default();
    let mut source = None;
    let mut take = |entry: EntryRef<'_>| {
        match source {
            None => source = Some(entry.source_id),
            Some(id) if id != entry.source_id => {
                return Err(LogFileError::corrupt(
                    path,
                    format!("entries of two sources ({id} and {}) in one log", entry.source_id),
                ))
            }
            Some(_) => {}
        }
        runs.push(entry)
    };
    // A missing onset is named with the file it is missing from.
    let named = |e: LogFileError| match e {
        LogFileError::NoOnset(what) => LogFileError::NoOnset(format!("{} ({what})", path.display())),
        other => other,
    };
    let entries = match path.extension().and_then(|e| e.to_str()) {
        Some("npz") => crate::npz::visit_archive(path, &mut take).map_err(named)?,
        Some(crate::file::EXTENSION) => crate::file::visit_log(path, &mut take).map_err(named)?.0,
        _ => return Err(LogFileError::UnknownKind(path.to_path_buf())),
    };
    let source_id = source.ok_or_else(|| LogFileError::corrupt(path, "the log holds no entries"))?;
    let runs = runs.finish().map_err(named)?;
    Ok(Extraction {
        source_id,
        entries,
        runs,
    })
}

/// Writes times to a new file as CSV with the header `frame_time_us`; an existing file is never replaced.
pub fn write_csv(times: &[u64], path: &Path) -> Result<(), LogFileError> {
    write_new_file(path, |out, tmp| {
        (|| {
            writeln!(out, "frame_time_us")?;
            for t in times {
                writeln!(out, "{t}")?;
            }
            Ok(())
        })()
        .map_err(LogFileError::io(tmp))
    })
}

/// Writes times to a new file as a NumPy `.npy` array of `uint64` (little-endian); an existing file is never
/// replaced.
pub fn write_npy(times: &[u64], path: &Path) -> Result<(), LogFileError> {
    let mut bytes = npy::header("<u8", times.len());
    bytes.extend(times.iter().flat_map(|t| t.to_le_bytes()));
    write_new_bytes(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(time_us: u64, payload: &[u8]) -> LogEntry {
        LogEntry {
            source_id: 1,
            time_us,
            payload: payload.to_vec(),
        }
    }

    #[test]
    fn frames_are_offset_from_the_onset_and_data_is_skipped() {
        let entries = [e(0, &1000u64.to_le_bytes()), e(5, &[]), e(7, &[1, 2]), e(9, &[])];
        assert_eq!(frame_times(&entries).expect("times"), vec![1005, 1009]);
    }

    #[test]
    fn each_onset_starts_a_run() {
        let entries = [
            e(0, &1000u64.to_le_bytes()),
            e(5, &[]),
            e(9, &[]),
            e(0, &5000u64.to_le_bytes()),
            e(0, &7000u64.to_le_bytes()),
            e(3, &[]),
        ];
        let runs = frame_times_by_run(&entries).expect("runs");
        assert_eq!(runs, vec![vec![1005, 1009], vec![], vec![7003]]);
        assert_eq!(frame_times(&entries).expect("times"), vec![1005, 1009, 7003]);
    }

    #[test]
    fn onset_only_is_empty_and_no_onset_is_an_error() {
        assert!(frame_times(&[e(0, &5u64.to_le_bytes())]).expect("times").is_empty());
        assert!(frame_times(&[e(5, &[])]).is_err());
        assert!(frame_times(&[]).is_err());
    }

    #[test]
    fn extract_reads_logs_and_archives_in_one_pass() {
        let dir = tempfile::tempdir().expect("tempdir");
        let raw = |name: &str, records: &[(u8, u64, &[u8])]| {
            let mut bytes = crate::file::MAGIC.to_vec();
            for (id, t, p) in records {
                crate::file::encode_record(*id, *t, p, &mut bytes);
            }
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).expect("write");
            path
        };
        let onset = |t: u64| t.to_le_bytes();
        let two_runs = raw(
            "003.axvslog",
            &[
                (3, 0, &onset(1000)),
                (3, 5, &[]),
                (3, 7, b"data"),
                (3, 9, &[]),
                (3, 0, &onset(5000)),
                (3, 3, &[]),
            ],
        );
        let x = extract(&two_runs).expect("extract");
        assert_eq!((x.source_id, x.entries, x.frames()), (3, 6, 3));
        assert_eq!(x.frame_times(), [1005, 1009, 5003]);
        assert_eq!(x.entry_times(), [5, 9, 3]);
        assert_eq!(x.runs[1].onset_utc_us, 5000);

        let one_run = raw("004.axvslog", &[(4, 0, &onset(70)), (4, 2, &[]), (4, 4, &[])]);
        let archive = crate::npz::export_log(&one_run, dir.path()).expect("archive");
        assert_eq!(extract(&archive).expect("archive"), extract(&one_run).expect("log"));
        assert_eq!(extract(&archive).expect("archive").frame_times(), [72, 74]);

        let mixed = raw("005.axvslog", &[(5, 0, &onset(1)), (6, 4, &[])]);
        let err = extract(&mixed).expect_err("two sources").to_string();
        assert!(err.contains("two sources (5 and 6)"), "{err}");
        let empty = raw("007.axvslog", &[]);
        assert!(extract(&empty).expect_err("empty").to_string().contains("no entries"));
        let no_onset = raw("008.axvslog", &[(8, 4, &[])]);
        let err = extract(&no_onset).expect_err("no onset").to_string();
        assert!(err.contains("008.axvslog") && err.contains("no onset"), "{err}");
        let other = dir.path().join("x.csv");
        std::fs::write(&other, "1").expect("write");
        assert!(matches!(extract(&other), Err(LogFileError::UnknownKind(_))));
    }

    #[test]
    fn csv_and_npy_files_hold_every_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let times = [1_700_000_000_000_001u64, 1_700_000_000_033_334];
        let csv = dir.path().join("t.csv");
        write_csv(&times, &csv).expect("csv");
        assert_eq!(
            std::fs::read_to_string(&csv).expect("read"),
            "frame_time_us\n1700000000000001\n1700000000033334\n"
        );
        let npy_path = dir.path().join("t.npy");
        write_npy(&times, &npy_path).expect("npy");
        let bytes = std::fs::read(&npy_path).expect("read");
        let header = npy::parse_header(&bytes).expect("header");
        assert_eq!((header.descr, header.len), ("<u8", 2));
        let data: Vec<u64> = bytes[header.data_offset..]
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect();
        assert_eq!(data, times);
        assert_eq!(bytes.len(), header.data_offset + 16);
        let missing = dir.path().join("no/such/dir/t.csv");
        assert!(write_csv(&times, &missing).is_err());
        assert!(write_npy(&times, &missing).is_err());
    }
}
