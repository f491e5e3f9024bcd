//! One camera's frame statistics, as the original's `analyze_camera_frame_statistics` (5.2) computes them,
//! plus exact drops where the camera numbers its frames.
//!
//! - Intervals are differences of consecutive frame times (µs, signed); the median interval, rounded to
//!   0.01 µs, is the nominal period (1 µs where it is 0).
//! - A gap is an interval above the threshold: the user's, or 1.5 x the median.
//! - Frames lost in a gap: `max(round((gap - max(period - next, 0)) / period) - 1, 0)`, where `next` is the
//!   interval after the gap (the period after the last): a frame delivered late shortens the interval after
//!   it, and that jitter is not counted as a loss. `round` rounds half to even, as numpy's.
//! - Drop rate = lost / (frames + lost) x 100, to 4 decimals.
//! - Rounding as the original's: µs figures to 2 decimals, ms and seconds to 3 (its time conversion).
//! - Fewer than two frames have no intervals: `inter_frame_timing` and `frame_drop_analysis` are `{}` in
//!   JSON, and no frame at all has only `total_frames` in `basic_stats`.

use serde::{ser::SerializeMap, Serialize, Serializer};

/// Where the gap threshold comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DropThreshold {
    /// 1.5 x the median interval.
    Auto,
    /// This many µs.
    Us(f64),
}

/// Frame count and, with at least one frame, the span.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct BasicStats {
    /// Frames.
    pub total_frames: u64,
    /// First and last frame, when there is one.
    #[serde(flatten)]
    pub span: Option<Span>,
}

/// The first and last frame times and what lies between them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Span {
    /// First frame time, µs since the UNIX epoch.
    pub first_timestamp_us: u64,
    /// Last frame time.
    pub last_timestamp_us: u64,
    /// Last minus first, µs (negative when the times decrease).
    pub duration_us: i64,
    /// The same in seconds, to the millisecond.
    pub duration_seconds: f64,
    /// (frames - 1) / duration_seconds, 3 decimals; 0 without a duration.
    pub estimated_fps: f64,
}

/// Inter-frame intervals.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct IntervalStats {
    /// Mean, µs, 2 decimals.
    pub mean_us: f64,
    /// Median, µs, 2 decimals.
    pub median_us: f64,
    /// Standard deviation (population), µs, 2 decimals.
    pub std_us: f64,
    /// Shortest, µs.
    pub min_us: i64,
    /// Longest, µs.
    pub max_us: i64,
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
    /// The frame before the gap (0-based): the gap is the interval from it to the next frame.
    pub frame_index: u64,
    /// The gap, µs.
    pub gap_us: i64,
    /// The gap, ms.
    pub gap_ms: f64,
    /// Frames estimated lost in it.
    pub estimated_frames_lost: u64,
}

/// Gaps and the frames estimated lost.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct DropAnalysis {
    /// The threshold used, µs, 2 decimals.
    pub threshold_us: f64,
    /// `user_specified` or `auto_1.5x_median`.
    pub threshold_source: String,
    /// Intervals above the threshold.
    pub total_gaps_detected: u64,
    /// Of those, gaps estimated to have lost no frame (jitter, repaid by the interval after).
    pub jitter_compensated_gaps: u64,
    /// Frames estimated lost in all gaps.
    pub total_estimated_dropped_frames: u64,
    /// lost / (frames + lost) x 100, 4 decimals.
    pub drop_rate_percent: f64,
    /// The longest gap, µs (0 without gaps).
    pub longest_gap_us: i64,
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
    /// Intervals; none with fewer than two frames (`{}` in JSON, as the original's).
    #[serde(serialize_with = "or_empty")]
    #[cfg_attr(feature = "schemars", schemars(with = "OrEmpty<IntervalStats>"))]
    pub inter_frame_timing: Option<IntervalStats>,
    /// Gaps and estimated losses; none with fewer than two frames.
    #[serde(serialize_with = "or_empty")]
    #[cfg_attr(feature = "schemars", schemars(with = "OrEmpty<DropAnalysis>"))]
    pub frame_drop_analysis: Option<DropAnalysis>,
    /// Exact losses from device frame ids, when the camera gave them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_frame_ids: Option<DeviceIdStats>,
}

/// What [`or_empty`] writes, for the JSON schema: the figures, or an empty object.
#[cfg(feature = "schemars")]
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum OrEmpty<T> {
    Figures(T),
    Empty(Empty),
}

#[cfg(feature = "schemars")]
#[derive(schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Empty {}

fn or_empty<T: Serialize, S: Serializer>(value: &Option<T>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => v.serialize(serializer),
        None => serializer.serialize_map(Some(0))?.end(),
    }
}

/// `x` to `digits` decimals, half to even on its exact value: Python's `round(x, digits)`.
fn round_to(x: f64, digits: usize) -> f64 {
    format!("{x:.digits$}").parse().unwrap_or(x)
}

/// µs in `unit_seconds` units, to 3 decimals: the original's time conversion, operation for operation.
fn convert_us(us: f64, unit_seconds: f64) -> f64 {
    let scaled = us * 1e-6 / unit_seconds * 1000.0;
    if scaled.is_finite() {
        scaled.round_ties_even() / 1000.0
    } else {
        scaled
    }
}

fn ms(us: f64) -> f64 {
    round_to(convert_us(us, 0.001), 4)
}

fn median(sorted: &[i64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2] as f64,
        n => (sorted[n / 2 - 1] as f64 + sorted[n / 2] as f64) / 2.0,
    }
}

impl FrameStats {
    /// Statistics of `times` (µs, in frame order), listing at most `max_locations` gaps.
    pub fn compute(times: &[u64], threshold: DropThreshold, max_locations: usize) -> Self {
        let n = times.len();
        let span = match (times.first(), times.last()) {
            (Some(&first), Some(&last)) => {
                let duration_us = i64::try_from(i128::from(last) - i128::from(first)).unwrap_or(i64::MAX);
                let duration_seconds = round_to(convert_us(duration_us as f64, 1.0), 6);
                Some(Span {
                    first_timestamp_us: first,
                    last_timestamp_us: last,
                    duration_us,
                    duration_seconds,
                    estimated_fps: if duration_seconds > 0.0 {
                        round_to((n as f64 - 1.0) / duration_seconds, 3)
                    } else {
                        0.0
                    },
                })
            }
            _ => None,
        };
        let basic_stats = BasicStats {
            total_frames: n as u64,
            span,
        };
        if n < 2 {
            return FrameStats {
                basic_stats,
                inter_frame_timing: None,
                frame_drop_analysis: None,
                device_frame_ids: None,
            };
        }
        // Differences of the times read as signed 64-bit values, as numpy's on the column's int64 view.
        let intervals: Vec<i64> = times.windows(2).map(|w| w[1].wrapping_sub(w[0]) as i64).collect();
        let mut sorted = intervals.clone();
        sorted.sort_unstable();
        let k = intervals.len() as f64;
        let mean = intervals.iter().map(|&x| x as f64).sum::<f64>() / k;
        let variance = intervals.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / k;
        let (mean_us, median_us, std_us) = (
            round_to(mean, 2),
            round_to(median(&sorted), 2),
            round_to(variance.sqrt(), 2),
        );
        let (min_us, max_us) = (sorted[0], sorted[sorted.len() - 1]);
        let inter_frame_timing = IntervalStats {
            mean_us,
            median_us,
            std_us,
            min_us,
            max_us,
            mean_ms: ms(mean_us),
            median_ms: ms(median_us),
            std_ms: ms(std_us),
            min_ms: ms(min_us as f64),
            max_ms: ms(max_us as f64),
        };
        let (threshold_us, threshold_source) = match threshold {
            DropThreshold::Us(t) if t > 0.0 => (t, "user_specified"),
            _ => (1.5 * median_us, "auto_1.5x_median"),
        };
        let period = if median_us > 0.0 { median_us } else { 1.0 };
        let (mut gaps, mut compensated, mut lost_total, mut longest) = (0u64, 0u64, 0u64, None::<i64>);
        let mut locations = Vec::new();
        for (i, &gap) in intervals.iter().enumerate() {
            if gap as f64 <= threshold_us {
                continue;
            }
            gaps += 1;
            longest = longest.max(Some(gap));
            let next = intervals.get(i + 1).map_or(period, |&x| x as f64);
            let shortfall = (period - next).max(0.0);
            let lost = (((gap as f64 - shortfall) / period).round_ties_even() - 1.0).max(0.0) as u64;
            if lost == 0 {
                compensated += 1;
            }
            lost_total += lost;
            if locations.len() < max_locations {
                locations.push(DropLocation {
                    frame_index: i as u64,
                    gap_us: gap,
                    gap_ms: ms(gap as f64),
                    estimated_frames_lost: lost,
                });
            }
        }
        let drop_rate_percent = match lost_total {
            0 => 0.0,
            lost => round_to(lost as f64 / (n as u64 + lost) as f64 * 100.0, 4),
        };
        let longest_gap_us = longest.unwrap_or(0);
        FrameStats {
            basic_stats,
            inter_frame_timing: Some(inter_frame_timing),
            frame_drop_analysis: Some(DropAnalysis {
                threshold_us: round_to(threshold_us, 2),
                threshold_source: threshold_source.into(),
                total_gaps_detected: gaps,
                jitter_compensated_gaps: compensated,
                total_estimated_dropped_frames: lost_total,
                drop_rate_percent,
                longest_gap_us,
                longest_gap_ms: ms(longest_gap_us as f64),
                drop_locations_truncated: gaps as usize > locations.len(),
                drop_locations: locations,
            }),
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
        let span = s.basic_stats.span.expect("span");
        assert_eq!(span.duration_us, 1_000_000);
        assert_eq!(span.estimated_fps, 100.0);
        let (t, d) = (
            s.inter_frame_timing.expect("timing"),
            s.frame_drop_analysis.expect("drops"),
        );
        assert_eq!(t.median_us, 10_000.0);
        assert_eq!(t.std_us, 0.0);
        assert_eq!(d.threshold_us, 15_000.0);
        assert_eq!(d.threshold_source, "auto_1.5x_median");
        assert_eq!(d.total_gaps_detected, 0);
        assert_eq!(
            (d.drop_rate_percent, d.longest_gap_us),
            (0.0, 0),
            "no gap, no longest gap"
        );
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
        let d = s.frame_drop_analysis.as_ref().expect("drops");
        assert_eq!(s.inter_frame_timing.as_ref().expect("timing").median_us, 10_000.0);
        assert_eq!(d.total_gaps_detected, 3, "{d:?}");
        let lost: Vec<(u64, u64)> = d
            .drop_locations
            .iter()
            .map(|l| (l.frame_index, l.estimated_frames_lost))
            .collect();
        // 30 ms gap: round(30/10)-1 = 2; 20 ms: 1; 18 ms followed by 2 ms: round((18-8)/10)-1 = 0. Each
        // gap is named by the frame before it, as the original names it.
        assert_eq!(lost, [(3, 2), (7, 1), (11, 0)]);
        assert_eq!(d.jitter_compensated_gaps, 1);
        assert_eq!(d.total_estimated_dropped_frames, 3);
        assert_eq!(d.drop_rate_percent, round_to(3.0 / 18.0 * 100.0, 4));
        assert_eq!((d.longest_gap_us, d.longest_gap_ms), (30_000, 30.0));
        assert!(!d.drop_locations_truncated, "3 gaps, all listed");
        // The interval after the gap compensates, not the one before: a frame 6 ms late after a regular one.
        let late = FrameStats::compute(&[0, 10, 20, 36, 40, 50], DropThreshold::Auto, 50);
        let late = late.frame_drop_analysis.expect("drops");
        assert_eq!(late.total_gaps_detected, 1);
        assert_eq!(late.total_estimated_dropped_frames, 0);
        assert_eq!(late.jitter_compensated_gaps, 1);
        let few = FrameStats::compute(&t, DropThreshold::Us(19_000.0), 1)
            .frame_drop_analysis
            .expect("drops");
        assert_eq!(few.threshold_source, "user_specified");
        assert_eq!(few.total_gaps_detected, 2);
        assert_eq!(few.drop_locations.len(), 1);
        assert!(few.drop_locations_truncated);
    }

    #[test]
    fn interval_figures_of_an_uneven_series() {
        // Intervals 10, 20, 30, 40 ms: mean 25, median 25 (an even count), population std sqrt(125).
        let t: Vec<u64> = [0, 10, 30, 60, 100].iter().map(|ms| 3_000_000 + ms * 1000).collect();
        let s = FrameStats::compute(&t, DropThreshold::Us(1e9), 50);
        let i = s.inter_frame_timing.expect("timing");
        assert_eq!(
            (i.mean_us, i.median_us, i.min_us, i.max_us),
            (25_000.0, 25_000.0, 10_000, 40_000)
        );
        // sqrt(125) ms = 11180.339887... µs: µs to 2 decimals, ms to 3 (the original's time conversion).
        assert_eq!((i.std_us, i.std_ms), (11_180.34, 11.18));
        assert_eq!((i.mean_ms, i.median_ms, i.min_ms, i.max_ms), (25.0, 25.0, 10.0, 40.0));
        let span = s.basic_stats.span.expect("span");
        assert_eq!((span.duration_seconds, span.estimated_fps), (0.1, 40.0));
        assert_eq!(s.frame_drop_analysis.expect("drops").threshold_us, 1e9);
        // Odd count: intervals 10, 20, 30 -> median 20.
        let odd = FrameStats::compute(&t[..4], DropThreshold::Auto, 50);
        assert_eq!(odd.inter_frame_timing.expect("timing").median_us, 20_000.0);
        assert_eq!(odd.frame_drop_analysis.expect("drops").threshold_us, 30_000.0);
        // A threshold of 0 is the original's "automatic".
        let zero = FrameStats::compute(&t[..4], DropThreshold::Us(0.0), 50);
        assert_eq!(
            zero.frame_drop_analysis.expect("drops").threshold_source,
            "auto_1.5x_median"
        );
        // The duration is counted in whole ms before the rate: 3 frames over 2.0004 s read as 2.0 s.
        let rounded = FrameStats::compute(&[0, 1_000_000, 2_000_400], DropThreshold::Auto, 50);
        let span = rounded.basic_stats.span.expect("span");
        assert_eq!((span.duration_seconds, span.estimated_fps), (2.0, 1.0));
    }

    #[test]
    fn the_drop_rate_has_four_decimals() {
        // 4 frames, a 2-period gap: 1 lost of 5 -> 20 %; 5 frames with 1 lost of 6 -> 16.6667 %.
        let s = FrameStats::compute(&[0, 10, 20, 40], DropThreshold::Auto, 50);
        assert_eq!(s.frame_drop_analysis.expect("drops").drop_rate_percent, 20.0);
        let s = FrameStats::compute(&[0, 10, 20, 30, 50], DropThreshold::Auto, 50);
        let d = s.frame_drop_analysis.expect("drops");
        assert_eq!(d.total_estimated_dropped_frames, 1);
        assert_eq!(d.drop_rate_percent, 16.6667);
        assert_eq!(d.longest_gap_ms, 0.02);
        assert_eq!(d.drop_locations[0].gap_ms, 0.02);
    }

    #[test]
    fn zero_one_and_two_frames_are_handled() {
        let none = FrameStats::compute(&[], DropThreshold::Auto, 50);
        assert_eq!(
            serde_json::to_value(&none).expect("json"),
            serde_json::json!({"basic_stats": {"total_frames": 0}, "inter_frame_timing": {}, "frame_drop_analysis": {}})
        );
        let one = FrameStats::compute(&[7], DropThreshold::Auto, 50);
        let span = one.basic_stats.span.as_ref().expect("span");
        assert_eq!(
            (span.first_timestamp_us, span.duration_us, span.estimated_fps),
            (7, 0, 0.0)
        );
        let json = serde_json::to_value(&one).expect("json");
        assert_eq!(
            (&json["inter_frame_timing"], &json["frame_drop_analysis"]),
            (&serde_json::json!({}), &serde_json::json!({}))
        );
        let two = FrameStats::compute(&[7, 17], DropThreshold::Auto, 50);
        assert_eq!(two.inter_frame_timing.expect("timing").median_us, 10.0);
        assert_eq!(two.frame_drop_analysis.expect("drops").total_gaps_detected, 0);
        // Equal times: a median of 0 divides by 1 and is the period a last gap is measured against.
        let same = FrameStats::compute(&[5, 5, 5, 9], DropThreshold::Auto, 50)
            .frame_drop_analysis
            .expect("drops");
        assert_eq!(same.total_gaps_detected, 1);
        assert_eq!(same.total_estimated_dropped_frames, 3);
        // Decreasing times are negative intervals, as numpy's signed differences.
        let back = FrameStats::compute(&[100, 50, 60], DropThreshold::Auto, 50);
        assert_eq!(back.basic_stats.span.expect("span").duration_us, -40);
        assert_eq!(back.inter_frame_timing.expect("timing").min_us, -50);
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
