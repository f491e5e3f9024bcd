//! How a rig's cameras line up in time: each camera's onset (first frame) offset, measured rate and drift
//! against a reference, and for cameras meant to run together (the same rate) the pairing of their frames
//! by time, with the offset distribution and the frames left without a partner.
//!
//! Pairing: each reference frame takes the nearest unpaired frame of the other camera within half the
//! reference's median interval (a two-pointer walk over both ordered series), by their mapped times (the
//! device clocks' times on the host clock, [`crate::clock`]) when both cameras have them, else by host
//! times. Drift is the least-squares
//! slope of the paired offsets over the recording, in µs per minute: two free-running cameras at "the
//! same" rate slide apart; cameras on one trigger do not.

use serde::Serialize;

use super::inputs::CameraSeries;

/// Rates within this share of each other are the same nominal rate, whose drift is given in ppm.
pub const SAME_RATE: f64 = 0.01;
/// Rates within this fraction of each other count as the same nominal rate.
pub const SAME_RATE_TOLERANCE: f64 = 0.02;

/// One camera in a sync report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SyncCamera {
    /// Source id.
    pub source_id: Option<u8>,
    /// Camera name.
    pub name: Option<String>,
    /// Frames.
    pub frames: u64,
    /// First frame, µs since the UNIX epoch.
    pub first_frame_us: u64,
    /// First frame minus the earliest camera's first frame, µs.
    pub onset_offset_us: u64,
    /// The log's onset (acquisition start) minus the earliest camera's, µs, when read from logs.
    pub log_onset_offset_us: Option<u64>,
    /// Measured rate: (frames - 1) / span.
    pub fps: f64,
    /// Its rate against the reference's, parts per million (how much faster it runs); `None` when the two
    /// run at different rates (more than 1 % apart), where a clock's drift has no meaning.
    pub rate_vs_reference_ppm: Option<f64>,
}

/// Summary of a set of offsets, µs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct OffsetStats {
    /// Median.
    pub median_us: f64,
    /// Mean.
    pub mean_us: f64,
    /// 5th percentile.
    pub p5_us: f64,
    /// 95th percentile.
    pub p95_us: f64,
    /// Smallest.
    pub min_us: f64,
    /// Largest.
    pub max_us: f64,
}

/// The pairing of the reference camera's frames with another camera's.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Pairing {
    /// The other camera (index in [`SyncReport::cameras`]).
    pub camera: usize,
    /// Frames paired.
    pub paired: u64,
    /// Reference frames without a partner.
    pub unpaired_reference: u64,
    /// The other camera's frames without a partner.
    pub unpaired_other: u64,
    /// The first few unpaired reference frames (indices).
    pub unpaired_reference_first: Vec<u64>,
    /// The first few unpaired frames of the other camera (indices).
    pub unpaired_other_first: Vec<u64>,
    /// Other minus reference time of paired frames.
    pub offset: Option<OffsetStats>,
    /// Slope of the paired offsets over time, µs per minute.
    pub drift_us_per_min: Option<f64>,
    /// Other minus reference mapped time (the device clocks' times on the host clock) of paired frames
    /// that both have one.
    pub mapped_offset: Option<OffsetStats>,
}

/// Sync report of a rig's cameras.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SyncReport {
    /// The cameras, in the order given.
    pub cameras: Vec<SyncCamera>,
    /// The reference (index in `cameras`): the first camera with at least two frames.
    pub reference: Option<usize>,
    /// Pairings of the reference with each camera of the same rate.
    pub pairings: Vec<Pairing>,
    /// Cameras not paired, and why.
    pub not_paired: Vec<String>,
    /// How far apart the cameras started saving: the latest first frame minus the earliest, µs (`None`
    /// with fewer than two cameras that saved a frame).
    pub start_spread_us: Option<u64>,
    /// Per trigger (a reference frame paired in every pairing), the latest camera's host time minus the
    /// earliest's, µs.
    pub host_spread: Option<OffsetStats>,
    /// The same of the mapped times, for triggers where every camera has one: how well the cameras agree
    /// on when they exposed.
    pub mapped_spread: Option<OffsetStats>,
}

const LISTED: usize = 20;

fn fps(times: &[u64]) -> f64 {
    match (times.first(), times.last()) {
        (Some(a), Some(b)) if b > a => (times.len() as f64 - 1.0) / ((b - a) as f64 / 1e6),
        _ => 0.0,
    }
}

/// True when two measured rates are the same nominal rate (within [`SAME_RATE_TOLERANCE`]).
fn same_rate(fps: f64, reference: f64) -> bool {
    (fps / reference - 1.0).abs() <= SAME_RATE_TOLERANCE
}

/// Least-squares slope of the offsets `(reference time, offset)` in µs per minute; `None` for a single time.
/// Times and offsets are centred first (for precision at µs since the epoch), so shifting either changes
/// nothing.
fn drift_us_per_min(offsets: &[(f64, f64)]) -> Option<f64> {
    let t0 = offsets.first()?.0;
    let mx = mean(offsets.iter().map(|o| o.0 - t0));
    let my = mean(offsets.iter().map(|o| o.1));
    let sxx: f64 = offsets.iter().map(|o| (o.0 - t0 - mx).powi(2)).sum();
    let sxy: f64 = offsets.iter().map(|o| (o.0 - t0 - mx) * (o.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx * 60e6)
}

/// The mean of `values` (NaN for none).
fn mean(values: impl ExactSizeIterator<Item = f64>) -> f64 {
    let n = values.len() as f64;
    values.sum::<f64>() / n
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

/// Sync report of `cameras`.
pub fn report(cameras: &[CameraSeries]) -> SyncReport {
    let earliest = cameras
        .iter()
        .filter_map(|c| c.times.first())
        .min()
        .copied()
        .unwrap_or(0);
    let earliest_onset = cameras.iter().filter_map(|c| c.onset_utc_us).min().unwrap_or(0);
    let reference = cameras.iter().position(|c| c.times.len() >= 2);
    let ref_fps = reference.map_or(0.0, |r| fps(&cameras[r].times));
    let out: Vec<SyncCamera> = cameras
        .iter()
        .map(|c| {
            let f = fps(&c.times);
            SyncCamera {
                source_id: c.source_id,
                name: c.name.clone(),
                frames: c.times.len() as u64,
                first_frame_us: c.times.first().copied().unwrap_or(0),
                onset_offset_us: c.times.first().map_or(0, |t| t - earliest),
                log_onset_offset_us: c.onset_utc_us.map(|t| t - earliest_onset),
                fps: f,
                // A reference without a rate gives an infinite or undefined ratio: no drift either.
                rate_vs_reference_ppm: ((f / ref_fps - 1.0).abs() <= SAME_RATE).then(|| (f / ref_fps - 1.0) * 1e6),
            }
        })
        .collect();
    let mut pairings = Vec::new();
    let mut matched: Vec<(usize, Vec<Option<usize>>)> = Vec::new();
    let mut not_paired = Vec::new();
    if let Some(r) = reference {
        for (i, c) in cameras.iter().enumerate() {
            if i == r {
                continue;
            }
            let label = c
                .source_id
                .map_or_else(|| c.file.display().to_string(), |id| format!("camera {id}"));
            let f = out[i].fps;
            if c.times.len() < 2 {
                not_paired.push(format!("{label}: fewer than 2 frames"));
            } else if !same_rate(f, ref_fps) {
                not_paired.push(format!("{label}: {f:.3} fps, not the reference's {ref_fps:.3} fps"));
            } else {
                let (pairing, partners) = pair_series(&cameras[r], c, i);
                pairings.push(pairing);
                matched.push((i, partners));
            }
        }
    }
    let (host_spread, mapped_spread) = match reference {
        Some(r) if !matched.is_empty() => spreads(cameras, r, &matched),
        _ => (None, None),
    };
    let firsts: Vec<u64> = cameras.iter().filter_map(|c| c.times.first().copied()).collect();
    let start_spread_us = (firsts.len() >= 2).then(|| firsts.iter().max().unwrap_or(&0) - earliest);
    SyncReport {
        cameras: out,
        reference,
        pairings,
        not_paired,
        start_spread_us,
        host_spread,
        mapped_spread,
    }
}

/// Pairs camera `b`'s frames with the reference `a`'s: the pairing, with the mapped offsets, and each
/// reference frame's partner (an index into `b`'s frames). Cameras that both have every frame's mapped
/// time pair on those (a stalled host moves a frame's arrival, not its exposure); others on host times.
fn pair_series(a: &CameraSeries, b: &CameraSeries, camera: usize) -> (Pairing, Vec<Option<usize>>) {
    let mapped = |s: &CameraSeries| -> Option<Vec<u64>> {
        (s.mapped.len() == s.times.len()).then(|| s.mapped.iter().copied().collect::<Option<Vec<u64>>>())?
    };
    let partners = match (mapped(a), mapped(b)) {
        (Some(am), Some(bm)) => match_frames(&am, &bm),
        _ => match_frames(&a.times, &b.times),
    };
    let mut pairing = pairing_of(&a.times, &b.times, &partners, camera);
    let offsets: Vec<f64> = partners
        .iter()
        .enumerate()
        .filter_map(|(i, k)| {
            let (x, y) = (a.mapped.get(i).copied()??, b.mapped.get((*k)?).copied()??);
            Some(y as f64 - x as f64)
        })
        .collect();
    pairing.mapped_offset = offset_stats(offsets);
    (pairing, partners)
}

/// The host and mapped spread per trigger: for each reference frame with a partner in every pairing.
fn spreads(
    cameras: &[CameraSeries],
    r: usize,
    matched: &[(usize, Vec<Option<usize>>)],
) -> (Option<OffsetStats>, Option<OffsetStats>) {
    let (mut host, mut mapped) = (Vec::new(), Vec::new());
    for i in 0..cameras[r].times.len() {
        let frames: Option<Vec<(usize, usize)>> = std::iter::once(Some((r, i)))
            .chain(matched.iter().map(|(c, partners)| partners[i].map(|k| (*c, k))))
            .collect();
        let Some(frames) = frames else { continue };
        let range = |values: Vec<u64>| {
            let lo = values.iter().min()?;
            Some(values.iter().max()? - lo)
        };
        host.extend(range(frames.iter().map(|&(c, k)| cameras[c].times[k]).collect()));
        let m: Option<Vec<u64>> = frames
            .iter()
            .map(|&(c, k)| cameras[c].mapped.get(k).copied().flatten())
            .collect();
        mapped.extend(m.and_then(range));
    }
    let f = |v: Vec<u64>| offset_stats(v.into_iter().map(|x| x as f64).collect());
    (f(host), f(mapped))
}

/// Summary of `values`; `None` for none.
fn offset_stats(mut sorted: Vec<f64>) -> Option<OffsetStats> {
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    Some(OffsetStats {
        median_us: percentile(&sorted, 0.5),
        mean_us: mean(sorted.iter().copied()),
        p5_us: percentile(&sorted, 0.05),
        p95_us: percentile(&sorted, 0.95),
        min_us: sorted[0],
        max_us: sorted[sorted.len() - 1],
    })
}

/// Pairs `b`'s frames with the reference `a`'s (see the module's description).
pub fn pair(a: &[u64], b: &[u64], camera: usize) -> Pairing {
    pairing_of(a, b, &match_frames(a, b), camera)
}

/// Each of `a`'s frames' partner in `b` (see the module's description).
fn match_frames(a: &[u64], b: &[u64]) -> Vec<Option<usize>> {
    let mut intervals: Vec<u64> = a.windows(2).map(|w| w[1].saturating_sub(w[0])).collect();
    intervals.sort_unstable();
    let window = intervals.get(intervals.len() / 2).copied().unwrap_or(0) as i128 / 2;
    let mut used = vec![false; b.len()];
    let mut partners = vec![None; a.len()];
    let mut j = 0usize;
    for (i, &t) in a.iter().enumerate() {
        // Skip b's frames too early for this reference frame.
        while j < b.len() && (b[j] as i128) < t as i128 - window {
            j += 1;
        }
        let best = (j..b.len())
            .take_while(|&k| (b[k] as i128) <= t as i128 + window)
            .filter(|&k| !used[k])
            .min_by_key(|&k| (b[k] as i128 - t as i128).abs());
        if let Some(k) = best {
            used[k] = true;
            partners[i] = Some(k);
        }
    }
    partners
}

/// The pairing of `a`'s and `b`'s frames whose partners are given, its offsets from these times.
fn pairing_of(a: &[u64], b: &[u64], partners: &[Option<usize>], camera: usize) -> Pairing {
    let mut used = vec![false; b.len()];
    let mut offsets: Vec<(f64, f64)> = Vec::new();
    let mut unpaired_a = Vec::new();
    for (i, (&t, k)) in a.iter().zip(partners).enumerate() {
        match k {
            Some(k) => {
                used[*k] = true;
                offsets.push((t as f64, b[*k] as f64 - t as f64));
            }
            None => unpaired_a.push(i as u64),
        }
    }
    let unpaired_b: Vec<u64> = used
        .iter()
        .enumerate()
        .filter(|(_, u)| !**u)
        .map(|(k, _)| k as u64)
        .collect();
    Pairing {
        camera,
        paired: offsets.len() as u64,
        unpaired_reference: unpaired_a.len() as u64,
        unpaired_other: unpaired_b.len() as u64,
        unpaired_reference_first: unpaired_a.into_iter().take(LISTED).collect(),
        unpaired_other_first: unpaired_b.into_iter().take(LISTED).collect(),
        offset: offset_stats(offsets.iter().map(|o| o.1).collect()),
        drift_us_per_min: drift_us_per_min(&offsets),
        mapped_offset: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn series(id: u8, times: Vec<u64>) -> CameraSeries {
        CameraSeries {
            source_id: Some(id),
            name: None,
            file: PathBuf::from(format!("{id}.npz")),
            recording: PathBuf::new(),
            device_ids: vec![None; times.len()],
            device_timestamps: vec![None; times.len()],
            mapped: vec![None; times.len()],
            onset_utc_us: times.first().map(|t| t.saturating_sub(500)),
            times,
            runtime: None,
        }
    }

    #[test]
    fn triggered_cameras_pair_every_frame_with_a_steady_offset() {
        let a: Vec<u64> = (0..600).map(|i| 1_000_000 + i * 10_000).collect();
        // 300 µs later, one frame lost (index 100), one extra early frame that pairs with nothing.
        let mut b: Vec<u64> = a
            .iter()
            .map(|t| t + 300)
            .filter(|t| *t != 1_000_000 + 100 * 10_000 + 300)
            .collect();
        b.insert(0, 900_000);
        let r = report(&[series(1, a), series(2, b), series(3, vec![2_000_000])]);
        assert_eq!(r.reference, Some(0));
        assert_eq!(r.cameras[1].onset_offset_us, 0, "the extra frame is the earliest");
        assert_eq!(r.cameras[0].onset_offset_us, 100_000);
        assert_eq!(
            r.start_spread_us,
            Some(1_100_000),
            "camera 3's only frame, the latest first frame, after camera 2's extra one"
        );
        assert_eq!(
            r.cameras[0].log_onset_offset_us,
            Some(100_000),
            "each log started 500 µs before its first frame"
        );
        let p = &r.pairings[0];
        assert_eq!((p.paired, p.unpaired_reference, p.unpaired_other), (599, 1, 1));
        assert_eq!(p.unpaired_reference_first, [100]);
        assert_eq!(p.unpaired_other_first, [0]);
        let o = p.offset.as_ref().expect("offsets");
        assert_eq!((o.median_us, o.min_us, o.max_us), (300.0, 300.0, 300.0));
        assert!(p.drift_us_per_min.expect("drift").abs() < 1e-6);
        assert_eq!(r.not_paired, ["camera 3: fewer than 2 frames"]);
    }

    #[test]
    fn triggered_cameras_agree_on_their_mapped_times_per_trigger_and_spread_on_their_host_times() {
        // Three cameras on one trigger every 10 ms: host times late by up to 2 ms (camera-dependent),
        // mapped times within 3 µs of the trigger; camera 3 has no mapped time for its first frame.
        let cam = |id: u8, late: u64, err: u64| {
            let mut s = series(
                id,
                (0..100)
                    .map(|i| 1_000_000 + i * 10_000 + (i * late * 37) % 2_000)
                    .collect(),
            );
            s.mapped = (0..100).map(|i| Some(1_000_000 + i * 10_000 + (i % 2) * err)).collect();
            s
        };
        let mut c = cam(3, 13, 0);
        c.mapped[0] = None;
        let r = report(&[cam(1, 7, 3), cam(2, 11, 0), c]);
        let host = r.host_spread.expect("host spread");
        let mapped = r.mapped_spread.expect("mapped spread");
        assert!(host.max_us > 1_000.0, "{host:?}");
        assert_eq!((mapped.min_us, mapped.max_us), (0.0, 3.0));
        let m = r.pairings[0].mapped_offset.as_ref().expect("mapped offsets");
        assert_eq!((m.min_us, m.max_us), (-3.0, 0.0));
        let m = r.pairings[1].mapped_offset.as_ref().expect("mapped offsets");
        assert_eq!((m.min_us, m.max_us), (-3.0, 0.0), "the frame without one left out");
        let no_mapped = report(&[series(1, vec![0, 10, 20]), series(2, vec![1, 11, 21])]);
        assert_eq!(no_mapped.mapped_spread, None);
        assert_eq!(no_mapped.host_spread.map(|h| h.median_us), Some(1.0));
    }

    #[test]
    fn offsets_are_summarised_with_interpolated_percentiles() {
        let a: Vec<u64> = (0..11).map(|i| 1_000_000 + i * 10_000).collect();
        // Offsets 0, 10, ..., 100 µs.
        let b: Vec<u64> = (0..11).map(|i| 1_000_000 + i * 10_000 + i * 10).collect();
        let p = pair(&a, &b, 1);
        let o = p.offset.expect("offsets");
        assert_eq!((o.min_us, o.max_us, o.mean_us, o.median_us), (0.0, 100.0, 50.0, 50.0));
        assert!((o.p5_us - 5.0).abs() < 1e-9 && (o.p95_us - 95.0).abs() < 1e-9, "{o:?}");
        // 10 µs more per 10 ms: 60 000 µs per minute.
        assert!((p.drift_us_per_min.expect("drift") - 60_000.0).abs() < 1e-6);
        // A reference whose frames share one time has no rate: nothing is measured against it.
        // The window is half the reference's median interval: intervals 10, 10, 1000, 1000, 2000 give
        // 500 µs.
        let reference = [0, 10, 20, 1020, 2020, 4020];
        let p = pair(&reference, &[1420], 1);
        assert_eq!((p.paired, p.offset.map(|o| o.median_us)), (1, Some(400.0)));
        assert_eq!(pair(&reference, &[3020], 1).paired, 0);
        // Exactly half a period early still pairs; a reference that outlasts the other camera ends unpaired.
        let single = pair(&[100, 200], &[50], 1);
        assert_eq!(
            (single.paired, single.drift_us_per_min),
            (1, None),
            "one pair has no drift"
        );
        // The nearest of two candidates pairs; the other is left without a partner.
        let nearest = pair(&[1000, 2000], &[600, 950], 1);
        assert_eq!(nearest.offset.map(|o| o.median_us), Some(-50.0));
        assert_eq!(nearest.unpaired_other_first, [0]);
        let short = pair(&[0, 100, 200, 300], &[0], 1);
        assert_eq!((short.paired, short.unpaired_reference), (1, 3));
        // Two frames are enough to pair.
        let two = report(&[series(1, a.clone()), series(2, vec![1_000_000, 1_010_000])]);
        assert_eq!(two.pairings.len(), 1);
        assert_eq!(two.pairings[0].paired, 2);
        let r = report(&[series(1, vec![5, 5]), series(2, vec![1, 2])]);
        assert!(
            r.cameras.iter().all(|c| c.rate_vs_reference_ppm.is_none()),
            "{:?}",
            r.cameras
        );
    }

    #[test]
    fn free_running_cameras_drift_and_other_rates_are_not_paired() {
        // 30 s; 100 ppm faster: 1 µs per 10 000 µs frame, 6 ms per minute (3 ms in all, under the half
        // period beyond which a frame pairs with its neighbour's partner).
        let a: Vec<u64> = (0..3000).map(|i| i * 10_000).collect();
        let b: Vec<u64> = (0..3000).map(|i| 50 + i * 9_999).collect();
        let c: Vec<u64> = (0..3000).map(|i| i * 20_000).collect();
        let r = report(&[series(1, a), series(2, b), series(3, c)]);
        assert!(
            r.cameras[1]
                .rate_vs_reference_ppm
                .is_some_and(|ppm| (ppm - 100.0).abs() < 1.0),
            "{:?}",
            r.cameras[1]
        );
        let drift = r.pairings[0].drift_us_per_min.expect("drift");
        assert!((drift + 6000.0).abs() < 10.0, "{drift}");
        assert_eq!(r.pairings.len(), 1);
        assert!(
            r.not_paired[0].starts_with("camera 3: 50.000 fps"),
            "{:?}",
            r.not_paired
        );
        assert_eq!(r.cameras[2].rate_vs_reference_ppm, None, "another rate has no drift");
    }
}
