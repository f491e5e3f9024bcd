//! One log entry and its byte layout.

/// One timestamp log entry: `source_id` (1 byte), `time_us` (`u64` LE), payload.
///
/// A frame entry has an empty payload; the onset entry has time 0 and the onset's UTC µs as payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Source (camera) id.
    pub source_id: u8,
    /// µs since the source's onset (0 for the onset itself).
    pub time_us: u64,
    /// Payload bytes; empty for frames.
    pub payload: Vec<u8>,
}

/// Bytes of an entry without payload.
pub const HEADER_LEN: usize = 9;

impl LogEntry {
    /// The flat byte string the original stores: id, time (LE), payload.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.payload.len());
        self.write_to(&mut out);
        out
    }

    /// Appends the flat byte string to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.push(self.source_id);
        out.extend_from_slice(&self.time_us.to_le_bytes());
        out.extend_from_slice(&self.payload);
    }

    /// Parses a flat byte string; `None` if shorter than 9 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() < HEADER_LEN {
            return None;
        }
        let mut time = [0u8; 8];
        time.copy_from_slice(&bytes[1..HEADER_LEN]);
        Some(LogEntry {
            source_id: bytes[0],
            time_us: u64::from_le_bytes(time),
            payload: bytes[HEADER_LEN..].to_vec(),
        })
    }

    /// True for the onset entry (time 0).
    pub fn is_onset(&self) -> bool {
        self.time_us == 0
    }

    /// True for a saved-frame entry (non-zero time, empty payload).
    pub fn is_frame(&self) -> bool {
        self.time_us != 0 && self.payload.is_empty()
    }

    /// The onset's UTC µs since the epoch, if this is an onset entry with an 8-byte payload.
    pub fn onset_utc_us(&self) -> Option<u64> {
        if !self.is_onset() || self.payload.len() != 8 {
            return None;
        }
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.payload);
        Some(u64::from_le_bytes(b))
    }
}

/// An entry borrowed from the bytes of a log or archive: what a single pass over a file sees, without a
/// copy per entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRef<'a> {
    /// Source (camera) id.
    pub source_id: u8,
    /// µs since the source's onset (0 for the onset itself).
    pub time_us: u64,
    /// Payload bytes; empty for frames.
    pub payload: &'a [u8],
}

impl<'a> EntryRef<'a> {
    /// Parses a flat byte string; `None` if shorter than 9 bytes.
    pub fn from_bytes(bytes: &'a [u8]) -> Option<Self> {
        let time: [u8; 8] = bytes.get(1..HEADER_LEN)?.try_into().ok()?;
        Some(EntryRef {
            source_id: bytes[0],
            time_us: u64::from_le_bytes(time),
            payload: &bytes[HEADER_LEN..],
        })
    }

    /// An owned copy.
    pub fn to_entry(&self) -> LogEntry {
        LogEntry {
            source_id: self.source_id,
            time_us: self.time_us,
            payload: self.payload.to_vec(),
        }
    }
}

impl LogEntry {
    /// A borrowed view.
    pub fn as_ref(&self) -> EntryRef<'_> {
        EntryRef {
            source_id: self.source_id,
            time_us: self.time_us,
            payload: &self.payload,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_id_then_little_endian_time_then_payload() {
        let entry = LogEntry {
            source_id: 7,
            time_us: 0x0102_0304_0506_0708,
            payload: vec![0xAA, 0xBB],
        };
        let bytes = entry.to_bytes();
        assert_eq!(bytes, [7, 8, 7, 6, 5, 4, 3, 2, 1, 0xAA, 0xBB]);
        assert_eq!(LogEntry::from_bytes(&bytes), Some(entry));
        let mut appended = vec![0xFF];
        LogEntry::from_bytes(&bytes[..HEADER_LEN])
            .expect("frame")
            .write_to(&mut appended);
        assert_eq!(appended, [0xFF, 7, 8, 7, 6, 5, 4, 3, 2, 1]);
    }

    #[test]
    fn fewer_than_nine_bytes_are_no_entry() {
        assert_eq!(LogEntry::from_bytes(&[1; 8]), None);
        assert_eq!(LogEntry::from_bytes(&[]), None);
        let shortest = LogEntry::from_bytes(&[1; 9]).expect("nine bytes are an entry");
        assert!(shortest.payload.is_empty());
    }

    #[test]
    fn onsets_and_frames_are_told_apart() {
        let onset = LogEntry {
            source_id: 1,
            time_us: 0,
            payload: 1_700_000_000_000_000u64.to_le_bytes().to_vec(),
        };
        assert!(onset.is_onset() && !onset.is_frame());
        assert_eq!(onset.onset_utc_us(), Some(1_700_000_000_000_000));
        let frame = LogEntry {
            source_id: 1,
            time_us: 33_333,
            payload: Vec::new(),
        };
        assert!(frame.is_frame() && !frame.is_onset());
        assert_eq!(frame.onset_utc_us(), None);
        let data = LogEntry {
            source_id: 1,
            time_us: 5,
            payload: vec![1, 2, 3],
        };
        assert!(!data.is_frame() && !data.is_onset(), "a data entry is neither");
        let odd_onset = LogEntry {
            source_id: 1,
            time_us: 0,
            payload: vec![1, 2, 3],
        };
        assert_eq!(odd_onset.onset_utc_us(), None, "an onset payload is 8 bytes");
    }
}
