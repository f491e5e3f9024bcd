//! Live status and events of a video system: data, not prints, so a CLI, an MCP tool or a window can show them.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Why an acquired frame was not saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Saving was off when the frame arrived.
    SavingOff,
    /// The queue to the encoder was full (overflow policy `drop_newest`).
    QueueFull,
    /// The encoder failed on this frame or had failed before it.
    EncoderError,
    /// The camera's log could not be written: a frame without its entry is not saved.
    LogError,
}

/// Frames acquired but not saved, by reason (read back from a report by the plugin harness).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct DropCounts {
    /// Saving was off.
    pub saving_off: u64,
    /// The queue was full.
    pub queue_full: u64,
    /// The encoder failed.
    pub encoder_error: u64,
    /// The log failed, so saving stopped.
    pub log_error: u64,
}

impl DropCounts {
    /// Frames dropped for any reason other than saving being off (i.e. frames that should have been saved).
    pub fn lost(&self) -> u64 {
        self.queue_full + self.encoder_error + self.log_error
    }

    /// Frames dropped for any reason.
    pub fn total(&self) -> u64 {
        self.saving_off + self.lost()
    }
}

/// Where a system is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SystemState {
    /// Not started (or stopped).
    Idle,
    /// Acquiring.
    Running,
    /// A worker failed; call `stop()` to collect the error and finalize the file.
    Failed,
    /// The camera reached the end of its stream; call `stop()` to finalize the file.
    Ended,
}

/// A snapshot of a video system, cheap to take at any time.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SystemStatus {
    /// Source id.
    pub id: u8,
    /// Camera name.
    pub name: String,
    /// Lifecycle state.
    pub state: SystemState,
    /// Whether frames are being saved.
    pub saving: bool,
    /// Frames grabbed from the camera since `start()`.
    pub acquired: u64,
    /// Frames written to the video file whose log entry is written too. Every acquired frame is saved,
    /// unlogged or dropped: `acquired = saved + unlogged + dropped.total()`.
    pub saved: u64,
    /// Frames acquired but not saved, by reason.
    pub dropped: DropCounts,
    /// Frames the camera itself lost (id gaps, incomplete buffers).
    pub camera_lost: u64,
    /// Frames written to the video file whose log entry could not be written (the log failed; `error` says
    /// why). Saving stops when the log fails, so these are the few in flight; `axvs recover` gives them an
    /// entry from their PTS.
    pub unlogged: u64,
    /// Frames waiting for the encoder.
    pub queue_depth: usize,
    /// The most frames that waited for the encoder at once since the start: how near the camera came to
    /// losing frames to a full queue (at `queue_capacity`, it did, or waited under the block policy).
    pub queue_peak: usize,
    /// Capacity of the queue.
    pub queue_capacity: usize,
    /// Acquisition rate over the last second, frames/s.
    pub fps: f64,
    /// The video file, when saving is configured.
    pub video_path: Option<PathBuf>,
    /// The first error a worker hit, if any.
    pub error: Option<String>,
}

/// Something that happened in a video system.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SystemEvent {
    /// Acquisition started; the onset entry is logged.
    Started {
        /// Source id.
        id: u8,
        /// UTC µs since the epoch of the onset.
        onset_utc_us: u64,
    },
    /// Saving switched on or off.
    Saving {
        /// Source id.
        id: u8,
        /// The new state.
        on: bool,
    },
    /// The first frame reached the file.
    FirstFrameSaved {
        /// Source id.
        id: u8,
        /// Its acquisition time, µs since onset.
        time_us: u64,
    },
    /// A worker failed.
    Error {
        /// Source id.
        id: u8,
        /// Which part failed: `camera`, `encoder` or `log`.
        part: String,
        /// What happened.
        message: String,
    },
    /// The camera reached the end of its stream (no error).
    Ended {
        /// Source id.
        id: u8,
    },
    /// The system stopped; the file is finalized.
    Stopped {
        /// Source id.
        id: u8,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_frames_are_the_ones_that_should_have_been_saved() {
        let counts = DropCounts {
            saving_off: 100,
            queue_full: 3,
            encoder_error: 4,
            log_error: 5,
        };
        assert_eq!(counts.lost(), 12, "frames dropped while saving was off are not lost");
        assert_eq!(counts.total(), 112);
    }
}
