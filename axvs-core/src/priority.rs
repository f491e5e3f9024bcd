//! Acquisition before encoding when the cores are short: encoder threads run at a lower priority (a higher
//! nice value) than the threads that read the cameras. A camera read late loses frames for good, while an
//! encoder that falls behind only fills its bounded queue, which absorbs it; so when both want a core, the
//! reading thread gets it. Lowering a thread's priority needs no privilege; nothing here ever raises one.

/// How much lower encoder threads run: nice +5 gives them about a third of the weight of a nice-0 thread
/// (Linux CFS), enough for a waking acquisition thread to preempt them at once, not so much that they
/// starve next to other programs.
pub const ENCODER_NICE: i32 = 5;

/// Lowers the calling thread's priority to [`ENCODER_NICE`] (no change if it is already lower). Threads
/// it starts afterwards inherit the value (x264 and FFmpeg start theirs when an encoder opens). Best
/// effort: `false` when the OS refused or does not have per-thread nice values.
pub fn lower_this_thread() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls on this thread's own id; errno is read right after.
        unsafe {
            let tid = libc::gettid() as libc::id_t;
            *libc::__errno_location() = 0;
            let current = libc::getpriority(libc::PRIO_PROCESS, tid);
            if *libc::__errno_location() != 0 {
                return false;
            }
            current >= ENCODER_NICE || libc::setpriority(libc::PRIO_PROCESS, tid, ENCODER_NICE) == 0
        }
    }
    #[cfg(not(target_os = "linux"))]
    false
}

/// This thread's nice value (Linux), for tests and status.
pub fn this_thread_nice() -> Option<i32> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: as above.
        unsafe {
            let tid = libc::gettid() as libc::id_t;
            *libc::__errno_location() = 0;
            let nice = libc::getpriority(libc::PRIO_PROCESS, tid);
            (*libc::__errno_location() == 0).then_some(nice)
        }
    }
    #[cfg(not(target_os = "linux"))]
    None
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
        assert_eq!((own, child), (Some(ENCODER_NICE), Some(ENCODER_NICE)));
        // Only that thread: this one keeps its priority.
        assert_eq!(this_thread_nice(), before);
    }
}
