//! The settings of a video system.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Buffers beyond the queue depth: one being grabbed, one being encoded, slack for consumers such as previews.
pub(super) const POOL_SLACK: usize = 4;

/// What the acquisition thread does with a frame when the queue to the encoder is full.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum OverflowPolicy {
    /// Drop the new frame and count it (`dropped.queue_full`); acquisition never waits.
    #[default]
    DropNewest,
    /// Wait for room: the camera is back-pressured (a real camera then loses frames on its side).
    Block,
}

impl TryFrom<String> for OverflowPolicy {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl FromStr for OverflowPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "drop_newest" | "drop-newest" => Ok(OverflowPolicy::DropNewest),
            "block" => Ok(OverflowPolicy::Block),
            other => Err(format!(
                "unknown overflow policy '{other}' (allowed: drop_newest, block)"
            )),
        }
    }
}

/// Settings of one video system.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemConfig {
    /// Source id: names the log entries and the video file.
    pub id: u8,
    /// Human-readable camera name.
    pub name: String,
    /// Frames the queue between acquisition and encoding holds.
    pub queue_depth: usize,
    /// What happens when the queue is full.
    pub overflow: OverflowPolicy,
    /// Whether saving is on when the system starts.
    pub saving: bool,
}

impl SystemConfig {
    /// Frame buffers the system allocates when it starts: the queue, plus the frames being grabbed and
    /// encoded and slack for previews. Times the frame size, the most memory its frames can take.
    pub fn frame_buffers(&self) -> usize {
        self.queue_depth.max(1) + POOL_SLACK
    }

    /// Defaults: queue of 32 frames, drop the newest frame on overflow, saving on at start.
    pub fn new(id: u8, name: impl Into<String>) -> Self {
        SystemConfig {
            id,
            name: name.into(),
            queue_depth: 32,
            overflow: OverflowPolicy::DropNewest,
            saving: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_policies_parse_by_name_and_refuse_others() {
        assert_eq!("drop_newest".parse(), Ok(OverflowPolicy::DropNewest));
        assert_eq!("drop-newest".parse(), Ok(OverflowPolicy::DropNewest));
        assert_eq!("block".parse(), Ok(OverflowPolicy::Block));
        let e = "drop_oldest".parse::<OverflowPolicy>().expect_err("unknown");
        assert!(e.contains("'drop_oldest'") && e.contains("drop_newest, block"), "{e}");
        assert_eq!(OverflowPolicy::try_from("block".to_string()), Ok(OverflowPolicy::Block));
        assert_eq!(OverflowPolicy::default(), OverflowPolicy::DropNewest);
    }
}
