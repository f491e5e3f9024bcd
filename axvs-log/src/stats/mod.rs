//! Statistics of recorded frame times: per camera ([`frames`], the original's frame statistics with its
//! drop estimate), and across a rig's cameras ([`sync`]).
//!
//! ```
//! use axvs_log::stats::frames::{FrameStats, DropThreshold};
//!
//! // 10 ms frames with one frame missing after the third.
//! let times = [0, 10_000, 20_000, 40_000, 50_000];
//! let stats = FrameStats::compute(&times, DropThreshold::Auto, 50);
//! assert_eq!(stats.frame_drop_analysis.total_estimated_dropped_frames, 1);
//! ```

pub mod frames;
pub mod inputs;
pub mod sync;
