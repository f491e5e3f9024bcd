//! The `LogSink` trait: where timestamp entries go.

use std::time::{SystemTime, UNIX_EPOCH};

/// Accepts timestamp log entries `(source_id, time_us, payload)`.
///
/// A frame entry has an empty payload and the frame's acquisition time in µs since the source's onset; the
/// onset entry has time 0 and the UTC time of the onset (µs since the UNIX epoch, `u64` little-endian) as
/// payload. Implementations must be cheap to call from a hot loop (hand the entry to a writer thread).
pub trait LogSink: Send + Sync {
    /// Records one entry.
    fn log(&self, source_id: u8, time_us: u64, payload: &[u8]) -> Result<(), LogError>;

    /// Records one saved frame: its entry (time, empty payload) and, for sinks that keep it, what the
    /// camera said of the frame (host sequence number, device frame id and timestamp). The timestamp log
    /// itself has no room for those (the original's readers skip frame entries with a payload), so sinks
    /// keep them elsewhere or not at all; the default logs the entry alone.
    fn log_frame(&self, source_id: u8, meta: &crate::FrameMeta) -> Result<(), LogError> {
        self.log(source_id, meta.time_us, &[])
    }

    /// Blocks until every entry accepted so far is written to the operating system; reports whether
    /// `source_id`'s entries all made it. One source's failed log does not fail the others.
    fn flush(&self, source_id: u8) -> Result<(), LogError>;

    /// Frame entries of `source_id` that `log` accepted but that never reached the log, because writing it
    /// failed (a full disk); exact after [`LogSink::flush`]. Such frames do not count as saved. Sinks
    /// that cannot lose accepted entries keep the default, 0.
    fn frames_lost(&self, _source_id: u8) -> u64 {
        0
    }
}

/// Why a log entry could not be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    /// The writer has stopped (closed or failed).
    #[error("log writer closed: {0}")]
    Closed(String),
    /// Writing failed.
    #[error("log write failed: {0}")]
    Io(String),
}

/// Microseconds since the UNIX epoch, now (UTC).
pub fn utc_now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// A sink that discards everything: for systems whose timestamps nobody needs, and benchmarks.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullLogSink;

impl LogSink for NullLogSink {
    fn log(&self, _source_id: u8, _time_us: u64, _payload: &[u8]) -> Result<(), LogError> {
        Ok(())
    }

    fn flush(&self, _source_id: u8) -> Result<(), LogError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_now_is_now() {
        let before = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_micros() as u64;
        let now = utc_now_us();
        let after = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_micros() as u64;
        assert!(before <= now && now <= after, "{before} <= {now} <= {after}");
    }

    #[test]
    fn the_null_sink_accepts_everything() {
        assert_eq!(NullLogSink.log(1, 2, &[3]), Ok(()));
        assert_eq!(NullLogSink.flush(1), Ok(()));
    }
}
