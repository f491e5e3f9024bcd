//! The acquisition clock.

use std::time::Duration;

/// Acquisition times in µs since the onset, strictly increasing and never 0 (0 marks the onset entry):
/// frames a camera had buffered can arrive within one microsecond, and equal times would make the video's
/// timestamps (which must increase) differ from the log's and break the log's use as a key.
#[derive(Debug, Default)]
pub(super) struct AcquisitionClock {
    last_us: u64,
}

impl AcquisitionClock {
    pub(super) fn time_us(&mut self, since_onset: Duration) -> u64 {
        self.last_us = (since_onset.as_micros() as u64).max(self.last_us + 1);
        self.last_us
    }
}
