//! Making a log agree with its videos after a crash.
//!
//! Every frame's presentation time in the video is its logged time (µs since its run's onset), so a log and
//! its video can be matched frame by frame; in a nominally timed video, frame k of a run is the log's k-th. A killed recording may have logged frames that never reached
//! the video (the last fragment and the frames inside the encoder), or, when the log's disk failed, hold
//! frames in the video whose entries were never written. [`reconcile`] returns the entries the videos
//! really hold: logged frames the video does not hold are left out, and frames only the video has get an
//! entry at their presentation time. The two are walked in time order, so frames a torn last fragment lost
//! inside the video are found as well.

use crate::{LogEntry, LogFileError};

/// The frames of one run's video: presentation times in µs since the run's onset, in display order.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoFrames {
    /// Presentation time of every frame, µs since the onset.
    pub times_us: Vec<u64>,
    /// The container's time resolution in µs: 1 for MP4, 1000 for Matroska (which rounds to the ms).
    pub resolution_us: u64,
    /// The rate of a nominally timed video (frame k of the run shown at k / rate, its time only in the
    /// log): its frames are matched to the log's by index, not by time.
    pub nominal_fps: Option<f64>,
}

impl VideoFrames {
    /// Whether a frame shown at `video_us` is the frame logged at `logged_us` (the same time, rounded to
    /// the container's resolution).
    fn is(&self, video_us: u64, logged_us: u64) -> bool {
        video_us.abs_diff(logged_us) <= self.resolution_us / 2
    }
}

/// What reconciling one run (one onset and its frames; a restarted source has several) found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReconciliation {
    /// 1 for the first run.
    pub run: usize,
    /// Frames the log holds for the run.
    pub logged: usize,
    /// Frames the run's video holds (0 when it has none, or no video).
    pub in_video: usize,
    /// Logged frames the video holds.
    pub matched: usize,
}

impl RunReconciliation {
    /// Logged frames that are not in the video (lost by a crash).
    pub fn lost(&self) -> usize {
        self.logged - self.matched
    }

    /// Frames in the video that had no entry (the log failed first); they get one from the video.
    pub fn restored(&self) -> usize {
        self.in_video - self.matched
    }
}

/// The entries of a reconciled log and what each run held.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconciled {
    /// Onsets and data entries as logged; frame entries exactly those the videos hold, in order.
    pub entries: Vec<LogEntry>,
    /// One record per run.
    pub runs: Vec<RunReconciliation>,
}

/// Reconciles `entries` (one source's log, `path` names it in errors) with its videos: `video(run, logged)`
/// returns run `run`'s video frames (`None` when the run has no video), given the frame times the log
/// holds for it (µs since the onset).
///
/// Fails when a video frame's time differs from the logged frame at its place: then the log and the video
/// are not the same recording, and neither is trimmed to fit the other.
pub fn reconcile<E: From<LogFileError>>(
    entries: &[LogEntry],
    path: &std::path::Path,
    mut video: impl FnMut(usize, &[u64]) -> Result<Option<VideoFrames>, E>,
) -> Result<Reconciled, E> {
    let source_id = crate::single_source(entries, path)?;
    // The entries split at each onset; frames before the first onset cannot be placed in time.
    let mut runs: Vec<Vec<&LogEntry>> = Vec::new();
    for entry in entries {
        match runs.last_mut() {
            _ if entry.is_onset() => runs.push(vec![entry]),
            Some(run) => run.push(entry),
            None => {
                return Err(LogFileError::corrupt(path, "a frame entry comes before the first onset").into());
            }
        }
    }
    let mut kept = Vec::with_capacity(entries.len());
    let mut records = Vec::with_capacity(runs.len());
    for (i, run) in runs.iter().enumerate() {
        let logged: Vec<u64> = run.iter().filter(|e| e.is_frame()).map(|e| e.time_us).collect();
        let frames = video(i + 1, &logged)?;
        let in_video = frames.as_ref().map_or(0, |f| f.times_us.len());
        // Walk both in time order: a logged frame the video skips was lost (a torn fragment can lose some
        // before its end); a video frame earlier than the next logged one has no place in this log.
        let mut keep = vec![false; logged.len()];
        let mut restored = Vec::new();
        if let Some((frames, fps)) = frames.as_ref().and_then(|f| Some((f, f.nominal_fps?))) {
            // Frame k of the run is the log's k-th; frames past the log's end (its disk failed first) get
            // times a nominal period apart after its last.
            let period = 1e6 / fps;
            for &shown in &frames.times_us {
                let k = (shown as f64 * fps / 1e6).round() as usize;
                match keep.get_mut(k) {
                    Some(kept) => *kept = true,
                    None => {
                        let last = logged.last().map_or(0.0, |&t| t as f64);
                        let after = (k + 1 - logged.len()) as f64;
                        restored.push((last + after * period).round().max(1.0) as u64);
                    }
                }
            }
        } else if let Some(frames) = &frames {
            let mut next = 0;
            for (n, &shown) in frames.times_us.iter().enumerate() {
                while next < logged.len() && logged[next] < shown && !frames.is(shown, logged[next]) {
                    next += 1;
                }
                match logged.get(next) {
                    Some(&at) if frames.is(shown, at) => {
                        keep[next] = true;
                        next += 1;
                    }
                    Some(&at) => {
                        return Err(LogFileError::corrupt(
                            path,
                            format!(
                                "run {}: frame {n} of the video is at {shown} µs, where the log has no frame \
                                 (its next is at {at} µs); the log and the video are not the same recording",
                                i + 1
                            ),
                        )
                        .into())
                    }
                    None => restored.push(shown),
                }
            }
        }
        let mut frame = 0;
        for entry in run {
            if entry.is_frame() {
                frame += 1;
                if !keep[frame - 1] {
                    continue;
                }
            }
            kept.push((*entry).clone());
        }
        kept.extend(restored.iter().map(|&time_us| LogEntry {
            source_id,
            time_us,
            payload: Vec::new(),
        }));
        records.push(RunReconciliation {
            run: i + 1,
            logged: logged.len(),
            in_video,
            matched: in_video - restored.len(),
        });
    }
    Ok(Reconciled {
        entries: kept,
        runs: records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn onset(utc: u64) -> LogEntry {
        LogEntry {
            source_id: 4,
            time_us: 0,
            payload: utc.to_le_bytes().to_vec(),
        }
    }

    fn frame(time_us: u64) -> LogEntry {
        LogEntry {
            source_id: 4,
            time_us,
            payload: Vec::new(),
        }
    }

    fn video(times_us: &[u64], resolution_us: u64) -> VideoFrames {
        VideoFrames {
            times_us: times_us.to_vec(),
            resolution_us,
            nominal_fps: None,
        }
    }

    fn frames_of(entries: &[LogEntry]) -> Vec<u64> {
        entries.iter().filter(|e| e.is_frame()).map(|e| e.time_us).collect()
    }

    #[test]
    fn frames_the_video_lost_are_left_out_and_frames_only_the_video_has_get_entries() {
        let log = [onset(1000), frame(10), frame(20), frame(30), onset(5000), frame(7)];
        let r = reconcile::<LogFileError>(&log, Path::new("l"), |run, logged| {
            Ok(Some(match run {
                1 => {
                    assert_eq!(logged, [10, 20, 30]);
                    video(&[10, 20], 1)
                }
                _ => video(&[7, 9, 11], 1),
            }))
        })
        .expect("reconciled");
        assert_eq!(frames_of(&r.entries), [10, 20, 7, 9, 11]);
        assert_eq!(r.entries.iter().filter(|e| e.is_onset()).count(), 2, "onsets kept");
        assert_eq!((r.runs[0].lost(), r.runs[0].restored()), (1, 0));
        assert_eq!((r.runs[1].lost(), r.runs[1].restored()), (0, 2));
        assert_eq!(
            r.runs[1],
            RunReconciliation {
                run: 2,
                logged: 1,
                in_video: 3,
                matched: 1
            }
        );
    }

    #[test]
    fn a_nominally_timed_video_is_matched_by_index() {
        // 50 fps: frame k shown at k x 20 ms. The log's times are the cameras' own (jittered); the video
        // lost frame 2 inside a torn fragment, and holds two frames past the log's end.
        let log = [onset(1000), frame(13), frame(31), frame(52), frame(68)];
        let shown = [0, 20_000, 60_000, 80_000, 100_000];
        let r = reconcile::<LogFileError>(&log, Path::new("l"), |_, _| {
            Ok(Some(VideoFrames {
                times_us: shown.to_vec(),
                resolution_us: 1,
                nominal_fps: Some(50.0),
            }))
        })
        .expect("reconciled");
        assert_eq!(frames_of(&r.entries), [13, 31, 68, 20_068, 40_068]);
        assert_eq!((r.runs[0].lost(), r.runs[0].restored()), (1, 2));
    }

    #[test]
    fn frames_a_torn_fragment_lost_inside_the_video_are_left_out() {
        let log = [onset(1000), frame(10), frame(20), frame(30), frame(40), frame(50)];
        let r = reconcile::<LogFileError>(&log, Path::new("l"), |_, _| Ok(Some(video(&[10, 20, 40], 1))))
            .expect("reconciled");
        assert_eq!(frames_of(&r.entries), [10, 20, 40]);
        assert_eq!((r.runs[0].lost(), r.runs[0].restored()), (2, 0));
    }

    #[test]
    fn a_missing_video_keeps_no_frame_and_data_entries_stay() {
        let data = LogEntry {
            source_id: 4,
            time_us: 15,
            payload: b"note".to_vec(),
        };
        let log = [onset(1000), frame(10), data.clone(), frame(20)];
        let r = reconcile::<LogFileError>(&log, Path::new("l"), |_, _| Ok(None)).expect("reconciled");
        assert_eq!(r.entries, [onset(1000), data]);
        assert_eq!(r.runs[0].lost(), 2);
    }

    #[test]
    fn matroska_times_match_to_the_millisecond_and_a_foreign_video_is_refused() {
        let log = [onset(1000), frame(10_400), frame(20_600)];
        let r = reconcile::<LogFileError>(&log, Path::new("l"), |_, _| Ok(Some(video(&[10_000, 21_000], 1000))))
            .expect("within the ms");
        assert_eq!(frames_of(&r.entries), [10_400, 20_600], "the log's µs times are kept");
        let err = reconcile::<LogFileError>(&log, Path::new("l"), |_, _| Ok(Some(video(&[10_400, 20_599], 1))))
            .expect_err("different times");
        assert!(err.to_string().contains("frame 1 of the video is at 20599 µs"), "{err}");
    }

    #[test]
    fn matroska_frames_sharing_a_millisecond_each_keep_their_own_entry() {
        // 0.3 ms apart: Matroska shows both at 10 ms. Each video frame takes the next logged entry, never
        // the one before again.
        let log = [onset(1000), frame(10_100), frame(10_400), frame(12_000)];
        let r = reconcile::<LogFileError>(&log, Path::new("l"), |_, _| {
            Ok(Some(video(&[10_000, 10_000, 12_000], 1000)))
        })
        .expect("reconciled");
        assert_eq!(frames_of(&r.entries), [10_100, 10_400, 12_000]);
        assert_eq!((r.runs[0].lost(), r.runs[0].restored()), (0, 0));
    }

    #[test]
    fn a_frame_before_any_onset_or_two_sources_are_refused() {
        let err = reconcile::<LogFileError>(&[frame(5)], Path::new("l"), |_, _| Ok(None)).expect_err("no onset");
        assert!(err.to_string().contains("before the first onset"), "{err}");
        let other = LogEntry {
            source_id: 9,
            ..frame(6)
        };
        let err =
            reconcile::<LogFileError>(&[onset(1), other], Path::new("l"), |_, _| Ok(None)).expect_err("two sources");
        assert!(err.to_string().contains("two sources"), "{err}");
    }
}
