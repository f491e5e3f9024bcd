//! What the acquisition and encoding threads share with the system: counters, state, errors, events.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use super::SystemError;
use crate::status::SystemEvent;
use crate::{CameraError, EncoderError, Frame, LogError};

/// The lifecycle states `Shared::state` holds (see [`crate::SystemState`]).
pub(super) const STATE_IDLE: u8 = 0;
pub(super) const STATE_RUNNING: u8 = 1;
pub(super) const STATE_FAILED: u8 = 2;
pub(super) const STATE_ENDED: u8 = 3;
/// How often blocked workers look at the stop flag.
pub(super) const POLL: Duration = Duration::from_millis(50);

/// The figures of [`crate::SystemStatus`], counted by the threads as frames go.
#[derive(Default)]
pub(super) struct Counters {
    pub(super) acquired: AtomicU64,
    pub(super) saved: AtomicU64,
    pub(super) saving_off: AtomicU64,
    pub(super) queue_full: AtomicU64,
    pub(super) encoder_error: AtomicU64,
    pub(super) log_error: AtomicU64,
    pub(super) camera_lost: AtomicU64,
    pub(super) unlogged: AtomicU64,
    pub(super) fps_bits: AtomicU64,
    /// The most frames the queue has held since the start.
    pub(super) queue_peak: AtomicU64,
    /// 1 while the encoder holds a frame: the frame a panicking encoder takes with it.
    pub(super) in_encoder: AtomicU64,
}

/// One system's state, shared by its acquisition and encoding threads and its handle.
pub(super) struct Shared {
    pub(super) id: u8,
    pub(super) name: String,
    pub(super) stop: AtomicBool,
    pub(super) saving: AtomicBool,
    pub(super) state: AtomicU8,
    pub(super) counters: Counters,
    pub(super) errors: Mutex<Vec<SystemError>>,
    pub(super) events: Sender<SystemEvent>,
    /// Set when the encoding thread died: acquisition stops queueing.
    pub(super) encoder_dead: AtomicBool,
    /// The dead encoder's queue, so `stop()` can count the frames left in it.
    pub(super) orphaned: Mutex<Option<Receiver<Frame>>>,
}

impl Shared {
    pub(super) fn fail(&self, error: SystemError) {
        // Told once, by whoever drives the system (the event below, the status, the stop report); the same
        // error again (a failed write found again when the file is finished) adds nothing.
        tracing::debug!("{error}");
        if self.errors.lock().is_ok_and(|errors| errors.contains(&error)) {
            return;
        }
        let _ = self.events.try_send(SystemEvent::Error {
            id: self.id,
            part: error.part().to_string(),
            message: error.to_string(),
        });
        self.state.store(STATE_FAILED, Ordering::SeqCst);
        if let Ok(mut errors) = self.errors.lock() {
            errors.push(error);
        }
    }

    pub(super) fn camera_error(&self, source: CameraError) -> SystemError {
        SystemError::Camera {
            id: self.id,
            name: self.name.clone(),
            source,
        }
    }

    pub(super) fn encoder_error(&self, source: EncoderError) -> SystemError {
        SystemError::Encoder {
            id: self.id,
            name: self.name.clone(),
            source,
        }
    }

    pub(super) fn log_error(&self, source: LogError) -> SystemError {
        SystemError::Log {
            id: self.id,
            name: self.name.clone(),
            source,
        }
    }

    pub(super) fn thread_error(&self, message: String) -> SystemError {
        SystemError::Thread {
            id: self.id,
            name: self.name.clone(),
            message,
        }
    }
}

/// Runs a worker's body; a panic becomes an error the caller sees (status, event, `stop()`), not a silent
/// dead thread.
pub(super) fn catch_panic<T>(shared: &Shared, worker: &str, body: impl FnOnce() -> T) -> Option<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(value) => Some(value),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            shared.fail(shared.thread_error(format!("{worker} thread panicked: {message}")));
            None
        }
    }
}
