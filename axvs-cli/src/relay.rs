//! Standard error that never blocks the program: when it is a pipe or a socket (a reader that may stop
//! reading), everything written to it goes through a pipe of axvs' own, written without waiting, and a
//! thread passes it on. A reader that never reads costs the lines that do not fit (1 MiB), never the run's
//! control: `--duration`, keys and signals act as always. At the end the program waits for the reader to
//! take the rest as long as it keeps reading.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

/// How much the relay holds for a reader that does not keep up.
const CAPACITY: usize = 1 << 20;
/// How long the end of the program waits for a slow reader once it was told to stop by a signal.
const GRACE: Duration = Duration::from_secs(1);
/// How long the end of the program waits for a reader that takes nothing.
const STALL: Duration = Duration::from_secs(2);

/// Signals (and anything else that means "stop now") wake the end of the program from its wait.
fn wake_channel() -> &'static (Sender<()>, Receiver<()>) {
    static CHANNEL: OnceLock<(Sender<()>, Receiver<()>)> = OnceLock::new();
    CHANNEL.get_or_init(|| crossbeam_channel::bounded(1))
}

/// Says that the program was told to stop (a signal): [`Relay::finish`] then waits at most [`GRACE`].
pub fn wake() {
    let _ = wake_channel().0.try_send(());
}

/// The relay of standard error, while it is installed.
pub struct Relay {
    original: OwnedFd,
    done: Receiver<()>,
    passed: Arc<AtomicU64>,
}

/// Installs the relay when standard error is a pipe or a socket; `None` for a terminal or a file (which
/// never hold a writer up for long) or when the relay cannot be made (output then goes straight through).
pub fn install() -> Option<Relay> {
    use rustix::fs::{FileType, OFlags};
    let stderr = std::io::stderr();
    let kind = FileType::from_raw_mode(rustix::fs::fstat(&stderr).ok()?.st_mode);
    if !matches!(kind, FileType::Fifo | FileType::Socket) {
        return None;
    }
    let original = rustix::io::fcntl_dupfd_cloexec(&stderr, 3).ok()?;
    let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).ok()?;
    // As large as an unprivileged process may make it (Linux caps it at 1 MiB by default).
    let _ = rustix::pipe::fcntl_setpipe_size(&write, CAPACITY);
    rustix::fs::fcntl_setfl(&write, OFlags::NONBLOCK).ok()?;
    let mut out = std::fs::File::from(original.try_clone().ok()?);
    let (done_tx, done) = crossbeam_channel::bounded(1);
    let passed = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&passed);
    std::thread::Builder::new()
        .name("axvs-stderr".into())
        .spawn(move || {
            let mut input = std::fs::File::from(read);
            let mut buf = vec![0u8; 64 * 1024];
            // Until every writer is gone; a reader that went away ends the copying, not the program.
            while let Ok(n) = input.read(&mut buf) {
                if n == 0 || out.write_all(&buf[..n]).is_err() {
                    break;
                }
                counted.fetch_add(n as u64, Ordering::Relaxed);
            }
            let _ = done_tx.send(());
        })
        .ok()?;
    rustix::stdio::dup2_stderr(&write).ok()?;
    Some(Relay { original, done, passed })
}

impl Relay {
    /// Puts standard error back and waits until the relay has passed on what it holds: as long as the
    /// reader keeps taking it (a reader that takes nothing for [`STALL`] is left behind), and no more than
    /// [`GRACE`] once a signal came ([`wake`]).
    pub fn finish(self) {
        // The relay's last writer is standard error itself: once it is the original again, the relay
        // reads to its end.
        if rustix::stdio::dup2_stderr(&self.original).is_err() {
            return;
        }
        let wake = &wake_channel().1;
        let mut passed = self.passed.load(Ordering::Relaxed);
        loop {
            crossbeam_channel::select! {
                recv(self.done) -> _ => return,
                recv(wake) -> _ => {
                    let _ = self.done.recv_timeout(GRACE);
                    return;
                }
                default(STALL) => {
                    let now = self.passed.load(Ordering::Relaxed);
                    if now == passed {
                        return;
                    }
                    passed = now;
                }
            }
        }
    }
}
