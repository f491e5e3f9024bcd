//! Device metadata of saved frames, kept beside the timestamp log.
//!
//! The timestamp log (and the `.npz` archive made from it) holds one empty-payload entry per saved frame:
//! the original's readers skip frame entries with a payload, so the camera's own frame id and timestamp
//! cannot ride along. They go to a sidecar, `<id:03d>.axvsdev`, written by the same writer thread: the
//! magic `AXVSDEV2`, then one fixed-size record per frame entry that has metadata. A record names its frame
//! by its place among the log's frame entries (and repeats the entry's time, to check the match), so a log
//! and sidecar cut at different points by a crash still pair up. Each record also holds the frame's device
//! timestamp mapped onto the host's clock ([`crate::clock`]), as the writer's online fit gave it. Sidecars
//! of the first version (`AXVSDEV1`, without the mapped time) still read: the same fit maps them then.

use std::path::{Path, PathBuf};

use crate::LogFileError;

/// Magic bytes at the start of every sidecar axvs writes.
pub const MAGIC: &[u8; 8] = b"AXVSDEV2";
/// Magic bytes of the first version's sidecars (records without the mapped time).
pub const MAGIC_V1: &[u8; 8] = b"AXVSDEV1";
/// Extension of sidecars.
pub const EXTENSION: &str = "axvsdev";
/// Bytes of one record: frame index, time, host sequence (`u64` LE each), flags (`u8`), device frame id,
/// device timestamp (`u64` LE each), mapped time (`i64` LE).
pub const RECORD_LEN: usize = RECORD_LEN_V1 + 8;
/// Bytes of one record of the first version (no mapped time).
pub const RECORD_LEN_V1: usize = 8 * 3 + 1 + 8 * 2;

const HAS_FRAME_ID: u8 = 1;
const HAS_TIMESTAMP: u8 = 2;
const HAS_MAPPED: u8 = 4;

/// The sidecar file name of a source: `<id:03d>.axvsdev`.
pub fn sidecar_name(source_id: u8) -> String {
    format!("{source_id:03}.{EXTENSION}")
}

/// The sidecar beside a log or archive of `source_id` in `dir`, if there is one.
pub fn find_sidecar(dir: &Path, source_id: u8) -> Option<PathBuf> {
    Some(dir.join(sidecar_name(source_id))).filter(|p| p.is_file())
}

/// What the camera said of one saved frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceRecord {
    /// The frame's place among the log's frame entries (0 for the first).
    pub frame_index: u64,
    /// The frame entry's time (µs since the onset).
    pub time_us: u64,
    /// Host-side sequence number since the camera started (gaps are frames acquired but not saved).
    pub sequence: u64,
    /// The device's frame (block) id.
    pub device_frame_id: Option<u64>,
    /// The device's timestamp, ns.
    pub device_timestamp_ns: Option<u64>,
    /// The device timestamp mapped onto the host's clock, ns since the onset ([`crate::clock`]).
    pub mapped_ns: Option<i64>,
}

impl DeviceRecord {
    /// Appends the record's bytes to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.frame_index.to_le_bytes());
        out.extend_from_slice(&self.time_us.to_le_bytes());
        out.extend_from_slice(&self.sequence.to_le_bytes());
        let mut flags = 0;
        if self.device_frame_id.is_some() {
            flags += HAS_FRAME_ID;
        }
        if self.device_timestamp_ns.is_some() {
            flags += HAS_TIMESTAMP;
        }
        if self.mapped_ns.is_some() {
            flags += HAS_MAPPED;
        }
        out.push(flags);
        out.extend_from_slice(&self.device_frame_id.unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&self.device_timestamp_ns.unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&self.mapped_ns.unwrap_or(0).to_le_bytes());
    }

    /// The mapped time minus the frame's host time, µs (rounded to the nearest).
    pub fn mapped_delta_us(&self) -> Option<i64> {
        let host_ns = i64::try_from(self.time_us).ok()?.checked_mul(1000)?;
        let delta = self.mapped_ns?.checked_sub(host_ns)?;
        Some((delta as f64 / 1e3).round() as i64)
    }

    /// A record of either version (`b` holds [`RECORD_LEN`] or [`RECORD_LEN_V1`] bytes).
    fn parse(b: &[u8]) -> Self {
        let u = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[at..at + 8]);
            u64::from_le_bytes(w)
        };
        let flags = b[24];
        DeviceRecord {
            frame_index: u(0),
            time_us: u(8),
            sequence: u(16),
            device_frame_id: (flags & HAS_FRAME_ID != 0).then(|| u(25)),
            device_timestamp_ns: (flags & HAS_TIMESTAMP != 0).then(|| u(33)),
            mapped_ns: (flags & HAS_MAPPED != 0 && b.len() >= RECORD_LEN).then(|| u(41) as i64),
        }
    }
}

/// Reads a sidecar; a record cut short by a crash at the end is ignored. A first-version sidecar's
/// frames are mapped onto the host clock here, by the fit the writer runs now (on the times since the onset:
/// for a log with several onsets, the fit restarts where the writer's, on the epoch's scale, would not).
pub fn read_sidecar(path: &Path) -> Result<Vec<DeviceRecord>, LogFileError> {
    let bytes = axvs_core::read_regular_file(path, u64::MAX).map_err(LogFileError::io(path))?;
    if bytes.len() < MAGIC.len() && (MAGIC.starts_with(&bytes) || MAGIC_V1.starts_with(&bytes)) {
        // Killed between creating the file and writing its magic: no records yet.
        return Ok(Vec::new());
    }
    let record_len = match bytes.get(..MAGIC.len()) {
        Some(m) if m == MAGIC => RECORD_LEN,
        Some(m) if m == MAGIC_V1 => RECORD_LEN_V1,
        _ => {
            return Err(LogFileError::corrupt(
                path,
                "not an axvs device sidecar (missing AXVSDEV2 or AXVSDEV1 header)",
            ))
        }
    };
    let mut records: Vec<DeviceRecord> = bytes[MAGIC.len()..]
        .chunks_exact(record_len)
        .map(DeviceRecord::parse)
        .collect();
    if record_len == RECORD_LEN_V1 {
        map_records(&mut records);
    }
    Ok(records)
}

/// Gives `records` (one source's, in order) their mapped times, as the writer does while recording.
pub fn map_records(records: &mut [DeviceRecord]) -> crate::clock::ClockReport {
    let frames: Vec<(Option<u64>, i64)> = records.iter().map(host_point).collect();
    let (mapped, report) = crate::clock::map_frames(&frames);
    for (r, m) in records.iter_mut().zip(mapped) {
        r.mapped_ns = m;
    }
    report
}

/// A record's device timestamp and host time (ns since the onset), as the fit takes them.
pub fn host_point(r: &DeviceRecord) -> (Option<u64>, i64) {
    (
        r.device_timestamp_ns,
        i64::try_from(r.time_us).unwrap_or(i64::MAX / 1000) * 1000,
    )
}

/// Per-frame device columns for `frame_times_us` (the log's frame entries, in order, as µs since the onset):
/// each frame gets its record's frame id and timestamp, or `None` where there is no record, or the record's
/// time does not match the entry's (a sidecar that belongs to another log).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceColumns {
    /// Device frame id of each frame.
    pub frame_id: Vec<Option<u64>>,
    /// Device timestamp of each frame, ns.
    pub timestamp_ns: Vec<Option<u64>>,
    /// Each frame's mapped time minus its host time (when it arrived), µs: add it to any of the frame's
    /// host times (since the onset, since the epoch) for its mapped time on the same scale.
    pub mapped_delta_us: Vec<Option<i64>>,
    /// Records whose time did not match their frame's, ignored.
    pub mismatched: usize,
}

impl DeviceColumns {
    /// Pairs `records` with frames whose times since the onset are `frame_times_us`.
    pub fn pair(frame_times_us: &[u64], records: &[DeviceRecord]) -> Self {
        let mut columns = DeviceColumns {
            frame_id: vec![None; frame_times_us.len()],
            timestamp_ns: vec![None; frame_times_us.len()],
            mapped_delta_us: vec![None; frame_times_us.len()],
            mismatched: 0,
        };
        for r in records {
            match usize::try_from(r.frame_index)
                .ok()
                .filter(|&i| frame_times_us.get(i) == Some(&r.time_us))
            {
                Some(i) => {
                    columns.frame_id[i] = r.device_frame_id;
                    columns.timestamp_ns[i] = r.device_timestamp_ns;
                    columns.mapped_delta_us[i] = r.mapped_delta_us();
                }
                None => columns.mismatched += 1,
            }
        }
        columns
    }

    /// Each frame's mapped time on the scale of `times` (its host times, e.g. µs since the epoch).
    pub fn mapped_epoch_us(&self, times: &[u64]) -> Vec<Option<u64>> {
        times
            .iter()
            .zip(&self.mapped_delta_us)
            .map(|(&t, d)| d.and_then(|d| t.checked_add_signed(d)))
            .collect()
    }

    /// Columns of `n` frames without metadata.
    pub fn empty(n: usize) -> Self {
        DeviceColumns::pair(&vec![0; n], &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(frame_index: u64, time_us: u64, id: Option<u64>, ts: Option<u64>) -> DeviceRecord {
        DeviceRecord {
            frame_index,
            time_us,
            sequence: frame_index + 10,
            device_frame_id: id,
            device_timestamp_ns: ts,
            mapped_ns: ts.map(|t| t as i64 - 7),
        }
    }

    #[test]
    fn records_round_trip_and_a_cut_tail_is_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(sidecar_name(7));
        assert!(path.ends_with("007.axvsdev"));
        let records = [
            record(0, 5, Some(u64::MAX), None),
            record(1, 9, None, Some(1)),
            record(2, 11, Some(0), Some(0)),
        ];
        let mut bytes = MAGIC.to_vec();
        for r in &records {
            r.write_to(&mut bytes);
        }
        assert_eq!(bytes.len(), 8 + 3 * RECORD_LEN);
        bytes.extend_from_slice(&[1, 2, 3]);
        std::fs::write(&path, &bytes).expect("write");
        assert_eq!(read_sidecar(&path).expect("read"), records);
        assert_eq!(find_sidecar(dir.path(), 7), Some(path.clone()));
        assert_eq!(find_sidecar(dir.path(), 8), None);
        std::fs::write(&path, MAGIC).expect("write");
        assert!(read_sidecar(&path).expect("no records yet").is_empty());
        for cut in [&b""[..], b"AXV"] {
            std::fs::write(&path, cut).expect("write");
            assert!(read_sidecar(&path).expect("cut inside its magic").is_empty());
        }
        std::fs::write(&path, b"AXX").expect("write");
        assert!(read_sidecar(&path).is_err(), "shorter than the magic, and not of it");
        std::fs::write(&path, b"AXVSLOG1").expect("write");
        let err = read_sidecar(&path).expect_err("wrong magic").to_string();
        assert!(err.contains("AXVSDEV2"), "{err}");
    }

    #[test]
    fn first_version_sidecars_read_and_are_mapped_by_the_writers_fit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(sidecar_name(1));
        // 100 frames 10 ms apart whose device clock is 1 s ahead; version 1 records end at the timestamp.
        let mut bytes = MAGIC_V1.to_vec();
        let mut expected = Vec::new();
        for k in 0..100u64 {
            let mut r = record(k, 1_000 + k * 10_000, Some(k), Some(1_000_000_000 + k * 10_000_000));
            r.mapped_ns = None;
            let mut v2 = Vec::new();
            r.write_to(&mut v2);
            bytes.extend_from_slice(&v2[..RECORD_LEN_V1]);
            expected.push(r);
        }
        std::fs::write(&path, &bytes).expect("write");
        let report = map_records(&mut expected);
        let read = read_sidecar(&path).expect("read");
        assert_eq!(read, expected);
        assert_eq!(
            read[50].mapped_ns,
            Some(1_000_000 + 50 * 10_000_000),
            "on time: mapped = arrival"
        );
        assert_eq!((report.frames, report.mapped), (100, 100));
    }

    #[test]
    fn records_pair_with_their_frames_by_index_and_time() {
        let frames = [5, 9, 11, 20];
        let records = [
            record(0, 5, Some(100), Some(1000)),
            record(2, 11, Some(102), None),
            record(3, 21, Some(103), Some(3)),
            record(9, 30, Some(109), None),
        ];
        let columns = DeviceColumns::pair(&frames, &records);
        assert_eq!(columns.frame_id, [Some(100), None, Some(102), None]);
        assert_eq!(columns.timestamp_ns, [Some(1000), None, None, None]);
        assert_eq!(columns.mismatched, 2, "a wrong time and an index past the end");
        assert_eq!(DeviceColumns::empty(2).frame_id, [None, None]);
    }
}
