//! CPU time and peak memory of this process and of child processes (Linux `/proc` and `getrusage`).

use std::time::Duration;

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
