//! The synthetic camera's timing: a device clock that drifts and wanders, and arrival delays as a loaded
//! host shows them, so that each frame's true exposure time is known. This is the truth that device-clock
//! mapping is measured against (`axvs-bench timing`), and what a paced synthetic camera delivers by.
//!
//! Times are ns on the host's clock since the camera's first exposure. Frame `k` is exposed at
//! `k / fps`; the device stamps it with its own clock's reading then; it reaches the host after the base
//! latency, an exponentially distributed jitter (one-sided: nothing arrives early), and, at a stall (a
//! host busy elsewhere), not before the stall ends. Frames arrive in order.
//!
//! ```
//! use axvs_core::synthetic::{ArrivalDelay, DeviceClock, Timeline};
//! let clock = DeviceClock { drift_ppm: 50.0, ..DeviceClock::default() };
//! let delay = ArrivalDelay { latency_us: 200.0, jitter_us: 1000.0, ..ArrivalDelay::default() };
//! let mut frames = Timeline::new(100.0, clock, delay, 7);
//! let first = frames.next_frame();
//! assert!(first.arrival_ns >= first.exposure_ns + 200_000.0);
//! let second = frames.next_frame();
//! assert_eq!(second.exposure_ns, 10_000_000.0);
//! assert_eq!(second.device_ns, 10_000_500, "50 ppm fast: 500 ns ahead after 10 ms");
//! ```

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::Deserialize;

/// Seed of the delays when none is given.
pub const DEFAULT_SEED: u64 = 1;
/// Period of the temperature wander when none is given, s.
pub const DEFAULT_WANDER_PERIOD_S: f64 = 600.0;
/// Shortest and longest stall when none are given, ms.
pub const DEFAULT_STALL_MS: [f64; 2] = [5.0, 20.0];
/// Largest drift or wander a model accepts, ppm (1 %: far beyond any crystal).
pub const MAX_PPM: f64 = 10_000.0;

/// A camera's own clock against the host's.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceClock {
    /// The device clock's reading at the first exposure, ns.
    pub offset_ns: u64,
    /// How much faster the device's crystal runs than the host's clock, parts per million.
    pub drift_ppm: f64,
    /// Amplitude of a slow wander of that rate (temperature), ppm; a sine.
    pub wander_ppm: f64,
    /// Period of the wander, s.
    pub wander_period_s: f64,
}

impl Default for DeviceClock {
    fn default() -> Self {
        DeviceClock {
            offset_ns: 0,
            drift_ppm: 0.0,
            wander_ppm: 0.0,
            wander_period_s: DEFAULT_WANDER_PERIOD_S,
        }
    }
}

impl DeviceClock {
    /// The device clock's reading at host time `t_ns` since the first exposure: the integral of its rate
    /// `1 + drift + wander·sin(2πt/P)`.
    pub fn device_ns(&self, t_ns: f64) -> u64 {
        let t = t_ns * 1e-9;
        let omega = std::f64::consts::TAU / self.wander_period_s;
        let wander = self.wander_ppm * 1e-6 * (1.0 - (omega * t).cos()) / omega;
        let reading = t_ns + (self.drift_ppm * 1e-6 * t + wander) * 1e9;
        self.offset_ns.saturating_add(reading.max(0.0).round() as u64)
    }

    /// The key that makes the model unusable, and why; `None` when it can be used.
    pub fn invalid(&self) -> Option<(&'static str, String)> {
        if !(self.drift_ppm.is_finite() && self.drift_ppm.abs() <= MAX_PPM) {
            let reason = format!("at most {MAX_PPM} ppm either way, not {}", self.drift_ppm);
            return Some(("clock.drift_ppm", reason));
        }
        if !(self.wander_ppm.is_finite() && (0.0..=MAX_PPM).contains(&self.wander_ppm)) {
            return Some((
                "clock.wander_ppm",
                format!("0 to {MAX_PPM} ppm, not {}", self.wander_ppm),
            ));
        }
        if !(self.wander_period_s.is_finite() && self.wander_period_s > 0.0) {
            let reason = format!("a positive number of seconds, not {}", self.wander_period_s);
            return Some(("clock.wander_period_s", reason));
        }
        None
    }
}

/// How long frames take from exposure to the host.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArrivalDelay {
    /// The delay every frame has (readout, transfer), µs.
    pub latency_us: f64,
    /// Mean of the exponentially distributed delay added to it, µs.
    pub jitter_us: f64,
    /// Share of frames at which the host stalls (0 to 1): that frame, and every frame that would arrive
    /// during the stall, arrives when it ends.
    pub stalls: f64,
    /// Shortest and longest stall, ms (uniformly between).
    pub stall_ms: [f64; 2],
}

impl Default for ArrivalDelay {
    fn default() -> Self {
        ArrivalDelay {
            latency_us: 0.0,
            jitter_us: 0.0,
            stalls: 0.0,
            stall_ms: DEFAULT_STALL_MS,
        }
    }
}

impl ArrivalDelay {
    /// The key that makes the model unusable, and why; `None` when it can be used.
    pub fn invalid(&self) -> Option<(&'static str, String)> {
        let non_negative = |v: f64| v.is_finite() && v >= 0.0;
        if !non_negative(self.latency_us) {
            return Some(("delay.latency_us", format!("0 or more, not {}", self.latency_us)));
        }
        if !non_negative(self.jitter_us) {
            return Some(("delay.jitter_us", format!("0 or more, not {}", self.jitter_us)));
        }
        if !(self.stalls.is_finite() && (0.0..=1.0).contains(&self.stalls)) {
            return Some(("delay.stalls", format!("a share from 0 to 1, not {}", self.stalls)));
        }
        let [short, long] = self.stall_ms;
        if !(non_negative(short) && non_negative(long) && short <= long) {
            return Some((
                "delay.stall_ms",
                format!("[shortest, longest] in ms, not [{short}, {long}]"),
            ));
        }
        None
    }
}

/// One frame's times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameTiming {
    /// The frame's place in the sequence.
    pub index: u64,
    /// When it was exposed: ns on the host's clock since the first exposure (the truth).
    pub exposure_ns: f64,
    /// When it reached the host: ns on the host's clock since the first exposure.
    pub arrival_ns: f64,
    /// The device's timestamp of it, ns.
    pub device_ns: u64,
}

/// The times of a camera's frames, one after the other, reproducible from the seed.
#[derive(Debug, Clone)]
pub struct Timeline {
    period_ns: f64,
    clock: DeviceClock,
    delay: ArrivalDelay,
    rng: Xoshiro256PlusPlus,
    index: u64,
    stall_until_ns: f64,
    last_arrival_ns: f64,
}

impl Timeline {
    /// The frames of a camera exposing at `fps` with this clock and these delays.
    pub fn new(fps: f64, clock: DeviceClock, delay: ArrivalDelay, seed: u64) -> Self {
        Timeline {
            period_ns: 1e9 / fps,
            clock,
            delay,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            index: 0,
            stall_until_ns: 0.0,
            last_arrival_ns: 0.0,
        }
    }

    /// The index of the next frame.
    pub fn next_index(&self) -> u64 {
        self.index
    }

    /// The next frame's times.
    pub fn next_frame(&mut self) -> FrameTiming {
        let exposure_ns = self.index as f64 * self.period_ns;
        let d = self.delay;
        let mut arrival_ns = exposure_ns + d.latency_us * 1e3;
        if d.jitter_us > 0.0 {
            // Inverse CDF of the exponential; 1 - u is in (0, 1], so the logarithm is finite.
            let u: f64 = self.rng.random();
            arrival_ns -= d.jitter_us * 1e3 * (1.0 - u).ln();
        }
        if d.stalls > 0.0 && self.rng.random::<f64>() < d.stalls {
            let [short, long] = d.stall_ms;
            let length_ms = short + (long - short) * self.rng.random::<f64>();
            self.stall_until_ns = self.stall_until_ns.max(arrival_ns + length_ms * 1e6);
        }
        arrival_ns = arrival_ns.max(self.stall_until_ns).max(self.last_arrival_ns);
        self.last_arrival_ns = arrival_ns;
        let frame = FrameTiming {
            index: self.index,
            exposure_ns,
            arrival_ns,
            device_ns: self.clock.device_ns(exposure_ns),
        };
        self.index += 1;
        frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drifting_clock_gains_its_ppm_and_its_wander_averages_out_over_a_period() {
        let clock = DeviceClock {
            offset_ns: 1_000,
            drift_ppm: -20.0,
            wander_ppm: 3.0,
            wander_period_s: 100.0,
        };
        assert_eq!(clock.device_ns(0.0), 1_000);
        // After one whole wander period only the drift remains: 100 s - 20 ppm = 2 ms behind.
        let after = clock.device_ns(100e9) as f64 - 1_000.0;
        assert!((after - (100e9 - 2e6)).abs() < 1.0, "{after}");
        // Half a period in, the wander has run fast all along: 3 ppm * 2 * P / 2π ahead of the drift alone.
        let half = clock.device_ns(50e9) as f64 - 1_000.0 - (50e9 - 1e6);
        assert!(
            (half - 3e-6 * 2.0 * 100.0 / std::f64::consts::TAU * 1e9).abs() < 1.0,
            "{half}"
        );
    }

    #[test]
    fn arrivals_are_late_in_order_and_stalls_hold_back_the_frames_behind_them() {
        let delay = ArrivalDelay {
            latency_us: 100.0,
            jitter_us: 500.0,
            stalls: 0.05,
            stall_ms: [10.0, 10.0],
        };
        let mut timeline = Timeline::new(1000.0, DeviceClock::default(), delay, 3);
        let frames: Vec<FrameTiming> = (0..20_000).map(|_| timeline.next_frame()).collect();
        assert!(frames.iter().all(|f| f.arrival_ns >= f.exposure_ns + 100e3));
        assert!(frames.windows(2).all(|w| w[1].arrival_ns >= w[0].arrival_ns));
        let late = |f: &FrameTiming| f.arrival_ns - f.exposure_ns;
        let stalled = frames.iter().filter(|f| late(f) > 5e6).count();
        // 5 % of frames start a 10 ms stall, each holding about the 10 frames behind it (1 ms apart).
        assert!((3_000..15_000).contains(&stalled), "{stalled}");
        let again: Vec<FrameTiming> = {
            let mut t = Timeline::new(1000.0, DeviceClock::default(), delay, 3);
            (0..20_000).map(|_| t.next_frame()).collect()
        };
        assert_eq!(frames, again, "the same seed gives the same frames");
        let calm = Timeline::new(1000.0, DeviceClock::default(), ArrivalDelay::default(), 3).next_frame();
        assert_eq!((calm.arrival_ns, calm.device_ns), (0.0, 0));
    }

    #[test]
    fn models_out_of_range_name_their_key() {
        let clock = |drift_ppm, wander_ppm, wander_period_s| {
            DeviceClock {
                drift_ppm,
                wander_ppm,
                wander_period_s,
                ..DeviceClock::default()
            }
            .invalid()
        };
        assert_eq!(clock(50.0, 1.0, 60.0), None);
        assert!(clock(f64::NAN, 0.0, 60.0).is_some_and(|(key, _)| key == "clock.drift_ppm"));
        assert!(clock(0.0, -1.0, 60.0).is_some_and(|(key, _)| key == "clock.wander_ppm"));
        assert!(clock(0.0, 1.0, 0.0).is_some_and(|(key, _)| key == "clock.wander_period_s"));
        let delay = |latency_us, stalls, stall_ms| {
            ArrivalDelay {
                latency_us,
                stalls,
                stall_ms,
                ..ArrivalDelay::default()
            }
            .invalid()
        };
        assert_eq!(delay(10.0, 0.01, [5.0, 20.0]), None);
        assert!(delay(-1.0, 0.0, [5.0, 20.0]).is_some_and(|(key, _)| key == "delay.latency_us"));
        assert!(delay(0.0, 1.5, [5.0, 20.0]).is_some_and(|(key, _)| key == "delay.stalls"));
        assert!(delay(0.0, 0.0, [20.0, 5.0]).is_some_and(|(key, _)| key == "delay.stall_ms"));
    }
}
