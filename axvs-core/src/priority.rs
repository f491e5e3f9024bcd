//! Acquisition before encoding when the cores are short: encoder threads run at a lower priority (a higher
//! nice value) than the threads that read the cameras. A camera read late loses frames for good, while an
//! encoder that falls behind only fills its bounded queue, which absorbs it; so when both want a core, the
//! reading thread gets it. Lowering a thread's priority needs no privilege; nothing here ever raises one.

/// How much lower encoder threads run than the process's main thread: nice +5 gives them about a third of
/// the weight of the acquisition threads (Linux CFS), enough for a waking acquisition thread to preempt them
/// at once, not so much that they starve next to other programs. Relative, so that a recording started with
/// `nice 10` still reads before it encodes.
pub const ENCODER_NICE: i32 = 5;

/// The highest nice value Linux has: the lowest priority.
const MAX_NICE: i32 = 19;

/// The nice value encoder threads run at: the process's (its main thread's) plus [`ENCODER_NICE`], at most
/// 19. `None` where per-thread nice values are not available.
pub fn encoder_nice() -> Option<i32> {
    process_nice().map(|base| (base + ENCODER_NICE).min(MAX_NICE))
}

/// Lowers the calling thread's priority to [`encoder_nice`] (no change if it is already that low or lower,
/// so calling it twice lowers once). Threads it starts afterwards inherit the value (x264 and FFmpeg start
/// theirs when an encoder opens). Best effort: `false` when the OS refused or does not have per-thread nice
/// values.
pub fn lower_this_thread() -> bool {
    let (Some(current), Some(target)) = (this_thread_nice(), encoder_nice()) else {
        return false;
    };
    current >= target || set_this_thread_nice(target)
}

/// This thread's nice value (Linux), for tests and status.
pub fn this_thread_nice() -> Option<i32> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: a plain system call.
        nice_of(unsafe { libc::gettid() })
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// The process's nice value: its main thread's, whose id is the process id (Linux).
fn process_nice() -> Option<i32> {
    #[cfg(target_os = "linux")]
    {
        nice_of(std::process::id() as libc::pid_t)
    }
    #[cfg(not(target_os = "linux"))]
    None
}

#[cfg(target_os = "linux")]
fn nice_of(tid: libc::pid_t) -> Option<i32> {
    // SAFETY: a plain system call on a thread id; errno is cleared before and read right after, since -1
    // is also a valid nice value.
    unsafe {
        *libc::__errno_location() = 0;
        let nice = libc::getpriority(libc::PRIO_PROCESS, tid as libc::id_t);
        (*libc::__errno_location() == 0).then_some(nice)
    }
}

fn set_this_thread_nice(nice: i32) -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls on this thread's own id.
        unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, nice) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = nice;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lowered_thread_and_the_threads_it_starts_run_at_the_encoder_nice() {
        let before = this_thread_nice();
        let (lowered, own, child) = std::thread::spawn(|| {
            let lowered = lower_this_thread();
            let own = this_thread_nice();
            let child = std::thread::spawn(this_thread_nice).join().ok().flatten();
            (lowered, own, child)
        })
        .join()
        .expect("thread");
        assert!(lowered);
        // Five below the process, whatever it was started at (`nice 10 cargo test` too).
        let base = process_nice().expect("the process's nice value");
        let expected = Some((base + ENCODER_NICE).min(MAX_NICE));
        assert_eq!((own, child), (expected, expected));
        // Only that thread: this one keeps its priority.
        assert_eq!(this_thread_nice(), before);
    }

    #[test]
    fn lowering_twice_lowers_once_and_never_past_the_lowest_priority() {
        let (first, second) = std::thread::spawn(|| {
            lower_this_thread();
            let first = this_thread_nice();
            lower_this_thread();
            (first, this_thread_nice())
        })
        .join()
        .expect("thread");
        assert_eq!(first, second);
        assert_eq!(first, encoder_nice());
        // A thread already at the lowest priority stays there (and counts as lowered).
        let lowest = std::thread::spawn(|| {
            set_this_thread_nice(MAX_NICE);
            (lower_this_thread(), this_thread_nice())
        })
        .join()
        .expect("thread");
        assert_eq!(lowest, (true, Some(MAX_NICE)));
    }

    #[test]
    fn a_process_started_nicer_still_runs_its_encoders_below_it() {
        // The test binary run again under `nice -n 10`: its encoder threads go to 15, not stay at 10.
        if std::env::var_os("AXVS_PRIORITY_CHILD").is_some() {
            return;
        }
        let exe = std::env::current_exe().expect("the test binary");
        let out = std::process::Command::new("nice")
            .args(["-n", "10"])
            .arg(exe)
            .args([
                "--exact",
                "priority::tests::child_reports_its_encoder_nice",
                "--nocapture",
            ])
            .env("AXVS_PRIORITY_CHILD", "1")
            .output()
            .expect("nice runs the test binary");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        let base = process_nice().expect("nice value");
        let line = format!(
            "encoder nice {} of process {}",
            (base + 10 + ENCODER_NICE).min(MAX_NICE),
            base + 10
        );
        assert!(text.contains(&line), "expected {line:?} in:\n{text}");
    }

    #[test]
    #[allow(clippy::print_stdout, reason = "the parent test reads this line")]
    fn child_reports_its_encoder_nice() {
        if std::env::var_os("AXVS_PRIORITY_CHILD").is_none() {
            return;
        }
        let own = std::thread::spawn(|| {
            lower_this_thread();
            this_thread_nice()
        })
        .join()
        .expect("thread");
        println!(
            "encoder nice {} of process {}",
            own.unwrap_or(-100),
            process_nice().unwrap_or(-100)
        );
    }
}
