//! CPU time of threads, from Linux `/proc`: the work of an encoder's own thread pool, apart from whatever
//! else the process runs (an MCP server's sessions, say).

use std::collections::HashMap;
use std::time::Duration;

/// User + system CPU ticks of every thread of process `pid` (`"self"` for this one) now, by thread id.
pub fn task_ticks(pid: &str) -> HashMap<u32, u64> {
    let dir = format!("/proc/{pid}/task");
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let tid: u32 = e.file_name().to_str()?.parse().ok()?;
            Some((
                tid,
                thread_ticks(&std::fs::read_to_string(e.path().join("stat")).ok()?)?,
            ))
        })
        .collect()
}

/// A thread's user + system CPU ticks, from its `/proc/.../stat` line.
pub fn thread_ticks(stat: &str) -> Option<u64> {
    // "tid (name) state ppid ...": the name may hold spaces and parentheses; fields follow the last ')'.
    let (_, fields) = stat.rsplit_once(')')?;
    let mut fields = fields.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Ticks as time.
pub fn ticks_to_duration(ticks: u64) -> Duration {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Duration::from_secs_f64(ticks as f64 / hz)
}

/// The calling thread's own CPU time, from the kernel's per-thread clock (the accounting `/proc` reports in
/// ticks, in nanoseconds): work measured in CPU time, not wall time, is the same on a loaded machine.
pub fn thread_cpu_time() -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec to write; CLOCK_THREAD_CPUTIME_ID exists on every Linux. On failure
    // (none is documented for it) `t` stays zero.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// The CPU time threads of this process used between two [`task_ticks`] readings: threads that existed at
/// `before` count from there, threads born since count whole (their ticks at `after`), threads that ended
/// in between are lost (read `after` before the work's threads exit).
pub fn used_between(before: &HashMap<u32, u64>, after: &HashMap<u32, u64>) -> Duration {
    let ticks = after
        .iter()
        .map(|(tid, now)| now.saturating_sub(before.get(tid).copied().unwrap_or(0)))
        .sum();
    ticks_to_duration(ticks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_ticks_skips_names_with_spaces_and_parentheses() {
        let stat = "1234 (x264 (la) b) S 1 2 3 4 5 6 7 8 9 10 170 30 0 0 20 0";
        assert_eq!(thread_ticks(stat), Some(200));
        assert_eq!(thread_ticks("garbage"), None);
    }

    #[test]
    fn work_done_by_a_new_thread_is_counted() {
        let before = task_ticks("self");
        // The thread spins for 300 ms of its own CPU time, not of wall time: on a loaded machine 300 ms of
        // wall time gave it 80 ms of CPU (seen with five tests at a time on 2 cores).
        let spin = std::thread::spawn(|| {
            let mut x = 0u64;
            while thread_cpu_time() < Duration::from_millis(300) {
                for _ in 0..10_000 {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                }
            }
            let after = task_ticks("self");
            std::hint::black_box(x);
            after
        });
        let after = spin.join().expect("spinner");
        let used = used_between(&before, &after);
        // Ticks are 10 ms; the margin is for ticks split between user and system time and rounding.
        assert!(used >= Duration::from_millis(250), "{used:?}");
    }
}
