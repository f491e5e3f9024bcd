//! One camera's frame statistics, defined as the original's `analyze_camera_frame_statistics` defines
//! them, plus exact drops where the camera numbers its frames.
//!
//! - Intervals are differences of consecutive frame times (µs); the median interval is the nominal period.
//! - A gap is an interval above the threshold: the user's, or 1.5 x the median.
//! - Frames lost in a gap: `max(round((gap - max(median - next, 0)) / median) - 1, 0)`, where `next` is the
//!   interval after the gap (the median after the last): a frame delivered late shortens the interval
//!   after it, and that jitter is not counted as a loss. `round` rounds half to even (as Python's), and a
//!   median of 0 divides by 1.
//! - Drop rate = lost / (frames + lost) x 100, to 4 decimals.

use serde::Serialize;

/// Where the gap threshold comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DropThreshold {
    /// 1.5 x the median interval.
    Auto,
    /// This many µs.
    Us(f64),
}

/// Frame count and span.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct BasicStats {
    /// Frames.
    pub total_frames: u64,
    /// First frame time, µs since the UNIX epoch (0 without frames).
    pub first_timestamp_us: u64,
    /// Last frame time.
    pub last_timestamp_us: u64,
    /// Last minus first, µs.
    pub duration_us: u64,
    /// The same in seconds.
    pub duration_seconds: f64,
    /// (frames - 1) / duration.
    pub estimated_fps: f64,
}

/// Inter-frame intervals.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct IntervalStats {
    /// Mean, µs.
    pub mean_us: f64,
    /// Median, µs.
    pub median_us: f64,
    /// Standard deviation (population), µs.
    pub std_us: f64,
    /// Shortest, µs.
    pub min_us: f64,
    /// Longest, µs.
    pub max_us: f64,
    /// Mean, ms.
    pub mean_ms: f64,
    /// Median, ms.
    pub median_ms: f64,
    /// Standard deviation, ms.
    pub std_ms: f64,
    /// Shortest, ms.
    pub min_ms: f64,
    /// Longest, ms.
    pub max_ms: f64,
}

/// One gap.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct DropLocation {
    /// The frame after the gap (0-based).
    pub frame_index: u64,
    /// The gap, µs.
    pub gap_us: f64,
    /// The gap, ms.
    pub gap_ms: f64,
    /// Frames estimated lost in it.
    pub estimated_frames_lost: u64,
}

/// Gaps and the frames estimated lost.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct DropAnalysis {
    /// The threshold used, µs.
    pub threshold_us: f64,
    /// `user_specified` or `auto_1.5x_median`.
    pub threshold_source: String,
    /// Intervals above the threshold.
    pub total_gaps_detected: u64,
    /// Of those, gaps followed by a short interval, whose estimate the jitter compensation lowered.
    pub jitter_compensated_gaps: u64,
    /// Frames estimated lost in all gaps.
    pub total_estimated_dropped_frames: u64,
    /// lost / (frames + lost) x 100, 4 decimals.
    pub drop_rate_percent: f64,
    /// The longest interval, µs.
    pub longest_gap_us: f64,
    /// The same, ms.
    pub longest_gap_ms: f64,
    /// The gaps, in order, at most the requested number.
    pub drop_locations: Vec<DropLocation>,
    /// True when there were more gaps than listed.
    pub drop_locations_truncated: bool,
}

/// Exact losses from the camera's own frame ids.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct DeviceIdStats {
    /// Frames with a device frame id.
    pub frames_with_id: u64,
    /// Ids missing between consecutive saved frames: frames the camera made that were not saved.
    pub missing_ids: u64,
    /// Places where ids jump.
    pub id_gaps: u64,
    /// Places where the id does not increase (a camera restart or wrap).
    pub id_resets: u64,
}

/// All statistics of one camera's frame times.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct FrameStats {
    /// Count and span.
    pub basic_stats: BasicStats,
    /// Intervals.
    pub inter_frame_timing: IntervalStats,
    /// Gaps and estimated losses.
    pub frame_drop_analysis: DropAnalysis,
    /// Exact losses from device frame ids, when the camera gave them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_frame_ids: Option<DeviceIdStats>,
}

fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round_ties_even() / 1e4
}

impl FrameStats {
    /// Statistics of `times` (µs, in frame order), listing at most `max_locations` gaps.
    pub fn compute(times: &[u64], threshold: DropThreshold, max_locations: usize) -> Self {
        let n = times.len();
        let first = times.first().copied().unwrap_or(0);
        let last = times.last().copied().unwrap_or(0);
        let duration_us = last.saturating_sub(first);
        let duration_seconds = duration_us as f64 / 1e6;
        let basic_stats = BasicStats {
            total_frames: n as u64,
            first_timestamp_us: first,
            last_timestamp_us: last,
            duration_us,
            duration_seconds,
            estimated_fps: if duration_seconds > 0.0 {
                (n as f64 - 1.0) / duration_seconds
            } else {
                0.0
            },
        };
        let intervals: Vec<f64> = times.windows(2).map(|w| w[1] as f64 - w[0] as f64).collect();
        let mut sorted = intervals.clone();
        sorted.sort_by(f64::total_cmp);
        let med = median(&sorted);
        let (mean, std, min, max) = match intervals.len() {
            0 => (0.0, 0.0, 0.0, 0.0),
            k => {
                let mean = intervals.iter().sum::<f64>() / k as f64;
                let var = intervals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / k as f64;
                (mean, var.sqrt(), sorted[0], sorted[k - 1])
            }
        };
        let inter_frame_timing = IntervalStats {
            mean_us: mean,
            median_us: med,
            std_us: std,
            min_us: min,
            max_us: max,
            mean_ms: mean / 1e3,
            median_ms: med / 1e3,
            std_ms: std / 1e3,
            min_ms: min / 1e3,
            max_ms: max / 1e3,
        };
        let (threshold_us, threshold_source) = match threshold {
            DropThreshold::Us(t) if t > 0.0 => (t, "user_specified"),
            _ => (1.5 * med, "auto_1.5x_median"),
        };
        let divisor = if med == 0.0 { 1.0 } else { med };
        let mut gaps = 0u64;
        let mut compensated = 0u64;
        let mut lost_total = 0u64;
        let mut locations = Vec::new();
        for (i, &gap) in intervals.iter().enumerate() {
            if gap <= threshold_us {
                continue;
            }
            gaps += 1;
            let next = intervals.get(i + 1).copied().unwrap_or(med);
            let compensation = (med - next).max(0.0);
            let estimate = |c: f64| (((gap - c) / divisor).round_ties_even() - 1.0).max(0.0) as u64;
            let lost = estimate(compensation);
            if lost < estimate(0.0) {
                compensated += 1;
            }
            lost_total += lost;
            if locations.len() < max_locations {
                locations.push(DropLocation {
                    frame_index: i as u64 + 1,
                    gap_us: gap,
                    gap_ms: gap / 1e3,
                    estimated_frames_lost: lost,
                });
            }
        }
        let drop_rate_percent = match n as u64 + lost_total {
            0 => 0.0,
            all => round4(lost_total as f64 / all as f64 * 100.0),
        };
        FrameStats {
            basic_stats,
            inter_frame_timing,
            frame_drop_analysis: DropAnalysis {
                threshold_us,
                threshold_source: threshold_source.into(),
                total_gaps_detected: gaps,
                jitter_compensated_gaps: compensated,
                total_estimated_dropped_frames: lost_total,
                drop_rate_percent,
                longest_gap_us: max,
                longest_gap_ms: max / 1e3,
                drop_locations_truncated: gaps as usize > locations.len(),
                drop_locations: locations,
            },
            device_frame_ids: None,
        }
    }

    /// Adds exact losses from device frame ids (`None` where a frame has none); nothing when no frame has one.
    pub fn with_device_ids(mut self, ids: &[Option<u64>]) -> Self {
        let present: Vec<u64> = ids.iter().flatten().copied().collect();
        if present.is_empty() {
            return self;
        }
        let mut stats = DeviceIdStats {
            frames_with_id: present.len() as u64,
            missing_ids: 0,
            id_gaps: 0,
            id_resets: 0,
        };
        for w in present.windows(2) {
            match w[1].checked_sub(w[0]) {
                Some(0) | None => stats.id_resets += 1,
                Some(1) => {}
                Some(step) => {
                    stats.id_gaps += 1;
                    stats.missing_ids += step - 1;
                }
            }
        }
        self.device_frame_ids = Some(stats);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn periodic(n: u64, period: u64) -> Vec<u64> {
        (0..n).map(|i| 1_000_000 + i * period).collect()
    }

    #[test]
    fn a_steady_series_has_no_gaps() {
        let s = FrameStats::compute(&periodic(101, 10_000), DropThreshold::Auto, 50);
        assert_eq!(s.basic_stats.total_frames, 101);
        assert_eq!(s.basic_stats.duration_us, 1_000_000);
        assert!((s.basic_stats.estimated_fps - 100.0).abs() < 1e-9);
        assert_eq!(s.inter_frame_timing.median_us, 10_000.0);
        assert_eq!(s.inter_frame_timing.std_us, 0.0);
        assert_eq!(s.frame_drop_analysis.threshold_us, 15_000.0);
        assert_eq!(s.frame_drop_analysis.threshold_source, "auto_1.5x_median");
        assert_eq!(s.frame_drop_analysis.total_gaps_detected, 0);
        assert_eq!(s.frame_drop_analysis.drop_rate_percent, 0.0);
    }

    #[test]
    fn gaps_of_one_and_two_frames_and_jitter() {
        // Frames every 10 ms; two frames missing after index 3, one after index 7; then a frame 4 ms late
        // (interval 14 ms, under the threshold) and one 8 ms late followed by a 2 ms interval.
        let mut t: Vec<u64> = vec![0, 10, 20, 30, 60, 70, 80, 90, 110, 120, 134, 140, 158, 160, 170]
            .into_iter()
            .map(|ms| ms * 1000)
            .collect();
        t.iter_mut().for_each(|x| *x += 5_000_000);
        let s = FrameStats::compute(&t, DropThreshold::Auto, 50);
        let d = &s.frame_drop_analysis;
        assert_eq!(s.inter_frame_timing.median_us, 10_000.0);
        assert_eq!(d.total_gaps_detected, 3, "{d:?}");
        let lost: Vec<(u64, u64)> = d
            .drop_locations
            .iter()
            .map(|l| (l.frame_index, l.estimated_frames_lost))
            .collect();
        // 30 ms gap: round(30/10)-1 = 2; 20 ms: 1; 18 ms followed by 2 ms: round((18-8)/10)-1 = 0.
        assert_eq!(lost, [(4, 2), (8, 1), (12, 0)]);
        assert_eq!(d.jitter_compensated_gaps, 1);
        assert_eq!(d.total_estimated_dropped_frames, 3);
        assert_eq!(d.drop_rate_percent, round4(3.0 / 18.0 * 100.0));
        assert_eq!(d.longest_gap_us, 30_000.0);
        assert!(!d.drop_locations_truncated, "3 gaps, all listed");
        // The interval after the gap compensates, not the one before: a frame 6 ms late after a regular one.
        let late = FrameStats::compute(&[0, 10, 20, 36, 40, 50], DropThreshold::Auto, 50);
        assert_eq!(late.frame_drop_analysis.total_gaps_detected, 1);
        assert_eq!(late.frame_drop_analysis.total_estimated_dropped_frames, 0);
        assert_eq!(late.frame_drop_analysis.jitter_compensated_gaps, 1);
        let few = FrameStats::compute(&t, DropThreshold::Us(19_000.0), 1);
        assert_eq!(few.frame_drop_analysis.threshold_source, "user_specified");
        assert_eq!(few.frame_drop_analysis.total_gaps_detected, 2);
        assert_eq!(few.frame_drop_analysis.drop_locations.len(), 1);
        assert!(few.frame_drop_analysis.drop_locations_truncated);
    }

    #[test]
    fn interval_figures_of_an_uneven_series() {
        // Intervals 10, 20, 30, 40 ms: mean 25, median 25 (an even count), population std sqrt(125).
        let t: Vec<u64> = [0, 10, 30, 60, 100].iter().map(|ms| 3_000_000 + ms * 1000).collect();
        let s = FrameStats::compute(&t, DropThreshold::Us(1e9), 50);
        let i = &s.inter_frame_timing;
        assert_eq!(
            (i.mean_us, i.median_us, i.min_us, i.max_us),
            (25_000.0, 25_000.0, 10_000.0, 40_000.0)
        );
        assert!((i.std_us - 125f64.sqrt() * 1000.0).abs() < 1e-6, "{}", i.std_us);
        assert_eq!((i.mean_ms, i.median_ms, i.min_ms, i.max_ms), (25.0, 25.0, 10.0, 40.0));
        assert!((i.std_ms - 125f64.sqrt()).abs() < 1e-9);
        assert_eq!(s.basic_stats.duration_seconds, 0.1);
        assert!((s.basic_stats.estimated_fps - 40.0).abs() < 1e-9);
        assert_eq!(s.frame_drop_analysis.threshold_us, 1e9);
        // Odd count: intervals 10, 20, 30 -> median 20.
        let odd = FrameStats::compute(&t[..4], DropThreshold::Auto, 50);
        assert_eq!(odd.inter_frame_timing.median_us, 20_000.0);
        assert_eq!(odd.frame_drop_analysis.threshold_us, 30_000.0);
        // A threshold of 0 is the original's "automatic".
        let zero = FrameStats::compute(&t[..4], DropThreshold::Us(0.0), 50);
        assert_eq!(zero.frame_drop_analysis.threshold_source, "auto_1.5x_median");
    }

    #[test]
    fn the_drop_rate_has_four_decimals() {
        // 4 frames, a 2-period gap: 1 lost of 5 -> 20 %; 5 frames with 1 lost of 6 -> 16.6667 %.
        let s = FrameStats::compute(&[0, 10, 20, 40], DropThreshold::Auto, 50);
        assert_eq!(s.frame_drop_analysis.drop_rate_percent, 20.0);
        let s = FrameStats::compute(&[0, 10, 20, 30, 50], DropThreshold::Auto, 50);
        assert_eq!(s.frame_drop_analysis.total_estimated_dropped_frames, 1);
        assert_eq!(s.frame_drop_analysis.drop_rate_percent, 16.6667);
        assert_eq!(s.frame_drop_analysis.longest_gap_ms, 0.02);
        assert_eq!(s.frame_drop_analysis.drop_locations[0].gap_ms, 0.02);
    }

    #[test]
    fn zero_one_and_two_frames_are_handled() {
        let none = FrameStats::compute(&[], DropThreshold::Auto, 50);
        assert_eq!(none.basic_stats.total_frames, 0);
        assert_eq!(none.basic_stats.estimated_fps, 0.0);
        assert_eq!(none.frame_drop_analysis.drop_rate_percent, 0.0);
        let one = FrameStats::compute(&[7], DropThreshold::Auto, 50);
        assert_eq!(
            (one.basic_stats.first_timestamp_us, one.basic_stats.duration_us),
            (7, 0)
        );
        let two = FrameStats::compute(&[7, 17], DropThreshold::Auto, 50);
        assert_eq!(two.inter_frame_timing.median_us, 10.0);
        assert_eq!(two.frame_drop_analysis.total_gaps_detected, 0);
        // Equal times: a median of 0 divides by 1.
        let same = FrameStats::compute(&[5, 5, 5, 9], DropThreshold::Auto, 50);
        assert_eq!(same.frame_drop_analysis.total_gaps_detected, 1);
        assert_eq!(same.frame_drop_analysis.total_estimated_dropped_frames, 3);
    }

    #[test]
    fn device_ids_give_exact_losses() {
        let s = FrameStats::compute(&[1, 2, 3], DropThreshold::Auto, 5);
        let ids = [Some(10), Some(11), Some(14), None, Some(15), Some(2)];
        let d = s.clone().with_device_ids(&ids).device_frame_ids.expect("ids");
        assert_eq!((d.frames_with_id, d.missing_ids, d.id_gaps, d.id_resets), (5, 2, 1, 1));
        assert_eq!(s.with_device_ids(&[None, None]).device_frame_ids, None);
    }
}
