//! `axvs-bench timing`: how close each frame's time comes to its true exposure, from host arrival and
//! from the device clock mapped onto the host's (`axvs_log::clock`, what the log writer records), on
//! simulated cameras whose truth is known (`axvs_core::synthetic::Timeline`: a drifting, wandering device
//! clock; one-sided arrival jitter; stalls), at several loads. A sliding least-squares line over the same
//! window is the alternative fit: it shows what the one-sided delays do to a fit that assumes they are
//! symmetric.
//!
//! Errors are against the truth plus the base latency (a constant no host-side method can see).

use std::collections::VecDeque;
use std::time::Instant;

use axvs_core::synthetic::{ArrivalDelay, DeviceClock, Timeline};
use axvs_log::clock::{map_frames, ClockFit, DEFAULT_WINDOW_S};

use super::BenchError;

/// Arguments of `axvs-bench timing`.
#[derive(Debug, clap::Args)]
pub struct TimingArgs {
    /// Simulated minutes per load.
    #[arg(long, default_value_t = 30.0)]
    minutes: f64,
    /// The cameras' frame rate.
    #[arg(long, default_value_t = 30.0)]
    fps: f64,
    /// The device clock's drift, ppm.
    #[arg(long, default_value_t = 50.0)]
    drift_ppm: f64,
    /// Amplitude of its temperature wander, ppm (a sine over 20 minutes).
    #[arg(long, default_value_t = 1.0)]
    wander_ppm: f64,
    /// Seed of the delays.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// The base latency of every load, µs.
const LATENCY_US: f64 = 250.0;
/// Period of the wander, s.
const WANDER_PERIOD_S: f64 = 1200.0;

/// The loads: name, jitter (mean, µs), share of frames that stall the host, stall lengths (ms).
const LOADS: [(&str, f64, f64, [f64; 2]); 4] = [
    ("idle", 50.0, 0.0, [0.0, 0.0]),
    ("busy", 300.0, 0.001, [5.0, 20.0]),
    ("loaded (target)", 1000.0, 0.01, [10.0, 10.0]),
    ("overloaded", 3000.0, 0.03, [5.0, 20.0]),
];

/// Runs the benchmark.
pub fn run(args: TimingArgs) -> Result<(), BenchError> {
    let frames = (args.minutes * 60.0 * args.fps).round();
    if !(frames >= 2.0 && args.fps.is_finite() && args.fps > 0.0) {
        return Err(BenchError::Argument(
            "--minutes and --fps must give at least 2 frames".into(),
        ));
    }
    let clock = DeviceClock {
        offset_ns: 7_000_000_000,
        drift_ppm: args.drift_ppm,
        wander_ppm: args.wander_ppm,
        wander_period_s: WANDER_PERIOD_S,
    };
    if let Some((key, reason)) = clock.invalid() {
        return Err(BenchError::Argument(format!("{key}: {reason}")));
    }
    outln!(
        "axvs-bench timing: {} frames at {} fps ({} min) per load; device clock {:+} ppm with a {} ppm wander over {} min; \
         base latency {LATENCY_US} µs",
        frames,
        args.fps,
        args.minutes,
        args.drift_ppm,
        args.wander_ppm,
        WANDER_PERIOD_S / 60.0
    );
    outln!("error against the true exposure (+ base latency), µs: median / p99 / max");
    outln!(
        "{:<38} {:>24} {:>24} {:>24} {:>9} {:>10} {:>9}",
        "load",
        "host arrival",
        "least squares",
        "lower envelope (axvs)",
        "est. p99",
        "drift ppm",
        "p99 ratio"
    );
    for (name, jitter_us, stalls, stall_ms) in LOADS {
        let delay = ArrivalDelay {
            latency_us: LATENCY_US,
            jitter_us,
            stalls,
            stall_ms,
        };
        let mut timeline = Timeline::new(args.fps, clock, delay, args.seed);
        let sim: Vec<_> = (0..frames as u64).map(|_| timeline.next_frame()).collect();
        let truth: Vec<f64> = sim.iter().map(|f| f.exposure_ns + LATENCY_US * 1e3).collect();
        // Stamped as the acquisition clock stamps them: whole µs.
        let points: Vec<(Option<u64>, i64)> = sim
            .iter()
            .map(|f| (Some(f.device_ns), (f.arrival_ns / 1e3).round() as i64 * 1000))
            .collect();
        let host: Vec<f64> = points.iter().map(|p| p.1 as f64).collect();
        let (mapped, report) = map_frames(&points);
        let mapped: Vec<f64> = mapped.iter().map(|m| m.map_or(f64::NAN, |m| m as f64)).collect();
        let squares = least_squares(&points, DEFAULT_WINDOW_S);
        let host_e = errors(&host, &truth);
        let mapped_e = errors(&mapped, &truth);
        let label = format!("{name}: {jitter_us} µs, {}% stalls", (stalls * 1000.0).round() / 10.0);
        outln!(
            "{label:<38} {:>24} {:>24} {:>24} {:>9} {:>10} {:>8.0}x",
            triple(&host_e),
            triple(&errors(&squares, &truth)),
            triple(&mapped_e),
            report.estimated_error_us.map_or("-".into(), |e| format!("{e:.1}")),
            report.drift_ppm.map_or("-".into(), |d| format!("{d:.2}")),
            host_e[1] / mapped_e[1]
        );
    }
    // The fit's own cost, against reading the clock the host stamp comes from (per frame).
    let mut timeline = Timeline::new(args.fps, clock, ArrivalDelay::default(), args.seed);
    let points: Vec<(u64, i64)> = (0..frames as u64)
        .map(|_| {
            let f = timeline.next_frame();
            (f.device_ns, f.arrival_ns as i64)
        })
        .collect();
    let start = Instant::now();
    let mut fit = ClockFit::default();
    for &(d, h) in &points {
        std::hint::black_box(fit.map(d, h));
    }
    let per_frame = start.elapsed().as_nanos() as f64 / frames;
    let start = Instant::now();
    for _ in 0..frames as u64 {
        std::hint::black_box(Instant::now());
    }
    let per_stamp = start.elapsed().as_nanos() as f64 / frames;
    outln!(
        "the fit costs {per_frame:.0} ns per frame on the log writer's thread ({:.1}x reading the host clock once)",
        per_frame / per_stamp
    );
    outln!("p99 ratio: host arrival's p99 error over the mapped time's");
    Ok(())
}

/// |estimate - truth| in µs: median, p99 and max (NaN estimates count as unbounded).
fn errors(estimates: &[f64], truth: &[f64]) -> [f64; 3] {
    let mut e: Vec<f64> = estimates
        .iter()
        .zip(truth)
        .map(|(m, t)| if m.is_nan() { f64::INFINITY } else { (m - t).abs() / 1e3 })
        .collect();
    e.sort_by(f64::total_cmp);
    let at = |q: f64| e[((e.len() - 1) as f64 * q).round() as usize];
    [at(0.5), at(0.99), at(1.0)]
}

fn triple([a, b, c]: &[f64; 3]) -> String {
    format!("{a:.1} / {b:.1} / {c:.1}")
}

/// The alternative: a least-squares line through the (device, host) points of the last `window_s`
/// seconds, each frame mapped by the line through it and the frames before.
fn least_squares(points: &[(Option<u64>, i64)], window_s: f64) -> Vec<f64> {
    let Some(&(Some(d0), h0)) = points.first() else {
        return Vec::new();
    };
    // Device seconds and host-minus-device µs since the first frame: running sums stay precise.
    let mut window: VecDeque<(f64, f64)> = VecDeque::new();
    let (mut sx, mut sz, mut sxx, mut sxz) = (0.0, 0.0, 0.0, 0.0);
    let mut out = Vec::with_capacity(points.len());
    for &(d, h) in points {
        let x_ns = d.unwrap_or(d0) as f64 - d0 as f64;
        let (x, z) = (x_ns / 1e9, ((h - h0) as f64 - x_ns) / 1e3);
        window.push_back((x, z));
        (sx, sz, sxx, sxz) = (sx + x, sz + z, sxx + x * x, sxz + x * z);
        while window.front().is_some_and(|&(x0, _)| x - x0 > window_s) {
            if let Some((x0, z0)) = window.pop_front() {
                (sx, sz, sxx, sxz) = (sx - x0, sz - z0, sxx - x0 * x0, sxz - x0 * z0);
            }
        }
        let n = window.len() as f64;
        let var = sxx - sx * sx / n;
        let c = if n >= 2.0 && var > 0.0 {
            (sxz - sx * sz / n) / var
        } else {
            0.0
        };
        let a = (sz - c * sx) / n;
        out.push(h0 as f64 + x_ns + (a + c * x) * 1e3);
    }
    out
}
