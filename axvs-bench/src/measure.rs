//! CPU time and peak memory of this process and of child processes (Linux `/proc` and `getrusage`).

use std::time::Duration;

use axvs_session::capacity::cpu::{task_ticks, ticks_to_duration};

/// CPU time (user + system) this process has used so far, all threads included.
pub fn self_cpu() -> Duration {
    rusage_cpu(libc::RUSAGE_SELF).0
}

fn rusage_cpu(who: libc::c_int) -> (Duration, u64) {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut usage);
        usage
    };
    (tv(usage.ru_utime) + tv(usage.ru_stime), usage.ru_maxrss as u64 * 1024)
}

fn tv(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

/// This process' peak resident set size, in bytes.
pub fn peak_rss() -> u64 {
    status_kib("VmHWM:").map(|k| k * 1024).unwrap_or(0)
}

/// This process' resident set size now, in bytes.
pub fn current_rss() -> u64 {
    status_kib("VmRSS:").map(|k| k * 1024).unwrap_or(0)
}

/// Resident-memory samples of a long run: how far the memory moved once warmed up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RssDrift {
    /// RSS when the warm-up ended, bytes.
    pub after_warmup: u64,
    /// RSS at the end, bytes.
    pub end: u64,
    /// The highest sample after the warm-up, bytes.
    pub max: u64,
    /// `max` above `after_warmup`, in percent of it: a leak grows it with the run's length.
    pub growth_percent: f64,
}

/// The drift of `samples` (bytes, in time order) after the first `warmup` of them.
pub fn rss_drift(samples: &[u64], warmup: usize) -> Option<RssDrift> {
    let settled = samples.get(warmup.min(samples.len().saturating_sub(1))..)?;
    let after_warmup = *settled.first()?;
    let max = settled.iter().copied().max()?;
    Some(RssDrift {
        after_warmup,
        end: *settled.last()?,
        max,
        growth_percent: (max as f64 - after_warmup as f64) / (after_warmup.max(1) as f64) * 100.0,
    })
}

fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Waits for child `pid` and returns its exit status, CPU time and peak RSS (bytes).
pub fn wait_child(pid: u32) -> std::io::Result<(i32, Duration, u64)> {
    let mut status = 0;
    // SAFETY: wait4 on our own child; the zeroed rusage is filled by the kernel.
    let (ret, usage) = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        let ret = libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage);
        (ret, usage)
    };
    if ret < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok((
        code,
        tv(usage.ru_utime) + tv(usage.ru_stime),
        usage.ru_maxrss as u64 * 1024,
    ))
}

/// The median of `values` (NaN for none).
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// Samples the CPU time of every thread of one process (Linux `/proc/PID/task`) while a variant runs, to
/// find its busiest thread: in a parallel encoder, the serial stage that bounds the frame rate (x264's
/// lookahead). A thread's last 50 ms before it exits may be missed.
pub struct ThreadSampler {
    stop: crossbeam_channel::Sender<()>,
    handle: std::thread::JoinHandle<std::collections::HashMap<u32, u64>>,
}

impl ThreadSampler {
    /// Starts sampling process `pid` every 50 ms.
    pub fn start(pid: u32) -> ThreadSampler {
        let (stop, stopped) = crossbeam_channel::bounded::<()>(1);
        let handle = std::thread::spawn(move || {
            let mut threads = std::collections::HashMap::new();
            let pid = pid.to_string();
            loop {
                threads.extend(task_ticks(&pid));
                if !matches!(
                    stopped.recv_timeout(Duration::from_millis(50)),
                    Err(crossbeam_channel::RecvTimeoutError::Timeout)
                ) {
                    return threads;
                }
            }
        });
        ThreadSampler { stop, handle }
    }

    /// Stops sampling; the CPU time of the busiest thread seen, if any.
    pub fn finish(self) -> Option<Duration> {
        let _ = self.stop.send(());
        let ticks = self.handle.join().ok()?.into_values().max()?;
        Some(ticks_to_duration(ticks))
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn drift_is_the_highest_sample_after_the_warm_up_against_its_first() {
        let samples = [10, 50, 100, 104, 102, 103];
        let drift = rss_drift(&samples, 2).expect("drift");
        assert_eq!((drift.after_warmup, drift.end, drift.max), (100, 103, 104));
        assert!((drift.growth_percent - 4.0).abs() < 1e-9, "{drift:?}");
        assert_eq!(rss_drift(&[], 2), None);
        assert_eq!(rss_drift(&[7], 5).map(|d| d.growth_percent), Some(0.0));
    }

    use super::*;

    #[test]
    fn sampler_finds_a_busy_thread_of_this_process() {
        let sampler = ThreadSampler::start(std::process::id());
        let (done, wait) = crossbeam_channel::bounded::<()>(0);
        let spinner = std::thread::Builder::new()
            .spawn(move || {
                // Spins until it has had 200 ms of CPU, however loaded the machine is.
                let mut x = 0u64;
                while axvs_session::capacity::cpu::thread_cpu_time() < Duration::from_millis(200) {
                    for _ in 0..10_000 {
                        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                    }
                }
                let _ = done.send(());
                x
            })
            .expect("spawn");
        let _ = wait.recv();
        let busiest = sampler.finish().expect("threads sampled");
        let _ = spinner.join();
        assert!(busiest >= Duration::from_millis(100), "{busiest:?}");
    }
}
