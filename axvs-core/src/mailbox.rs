//! A latest-frame mailbox: how consumers that must never slow acquisition (live previews) get frames.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::{Frame, FrameMeta};

/// Holds the most recent frame offered to it, at most one every `interval`.
///
/// The acquisition thread offers frames with a `try_lock` and a copy into a buffer it reuses: when the
/// consumer holds the lock or is slower than the interval, frames are skipped, never waited for. The consumer
/// takes the latest frame by swapping buffers, so neither side allocates in steady state.
///
/// ```
/// use axvs_core::FrameMailbox;
/// let mailbox = FrameMailbox::new(std::time::Duration::from_millis(40));
/// let mut buf = Vec::new();
/// assert!(mailbox.take_latest(&mut buf).is_none()); // nothing offered yet
/// ```
pub struct FrameMailbox {
    interval: Duration,
    slot: Mutex<Slot>,
    closed: AtomicBool,
}

struct Slot {
    data: Vec<u8>,
    meta: Option<FrameMeta>,
    fresh: bool,
}

impl FrameMailbox {
    /// A mailbox that accepts one frame per `interval` (e.g. `1 s / display_fps`).
    pub fn new(interval: Duration) -> Self {
        FrameMailbox {
            interval,
            slot: Mutex::new(Slot {
                data: Vec::new(),
                meta: None,
                fresh: false,
            }),
            closed: AtomicBool::new(false),
        }
    }

    /// The minimum time between accepted frames.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Offers a frame without ever blocking; returns whether it was taken.
    pub fn offer(&self, frame: &Frame) -> bool {
        if self.is_closed() {
            return false;
        }
        let Ok(mut slot) = self.slot.try_lock() else {
            return false;
        };
        slot.data.clear();
        slot.data.extend_from_slice(frame.data());
        slot.meta = Some(*frame.meta());
        slot.fresh = true;
        true
    }

    /// Swaps the latest frame not taken yet into `buf` and returns its metadata; `None` if none is new.
    pub fn take_latest(&self, buf: &mut Vec<u8>) -> Option<FrameMeta> {
        let mut slot = self.slot.lock().ok()?;
        if !slot.fresh {
            return None;
        }
        slot.fresh = false;
        std::mem::swap(&mut slot.data, buf);
        slot.meta
    }

    /// Stops accepting frames (the consumer went away, e.g. its window was closed).
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    /// True once closed.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FramePool, PixelFormat};

    fn frame(pool: &FramePool, sequence: u64, fill: u8) -> Frame {
        let mut buffer = pool.try_acquire().expect("free buffer");
        buffer.fill(fill);
        Frame::new(
            buffer,
            FrameMeta {
                sequence,
                device_frame_id: None,
                device_timestamp_ns: None,
                time_us: 1 + sequence * 1000,
                width: 2,
                height: 2,
                pixel_format: PixelFormat::Mono8,
            },
        )
    }

    #[test]
    fn the_consumer_gets_the_latest_frame_once() {
        let pool = FramePool::new(2, 4);
        let mailbox = FrameMailbox::new(Duration::from_millis(40));
        assert_eq!(mailbox.interval(), Duration::from_millis(40));
        let mut buf = Vec::new();
        assert!(mailbox.take_latest(&mut buf).is_none(), "nothing offered yet");
        assert!(mailbox.offer(&frame(&pool, 1, 10)));
        assert!(
            mailbox.offer(&frame(&pool, 2, 20)),
            "a newer frame replaces an untaken one"
        );
        let meta = mailbox.take_latest(&mut buf).expect("a frame");
        assert_eq!((meta.sequence, buf.as_slice()), (2, &[20u8; 4][..]));
        assert!(mailbox.take_latest(&mut buf).is_none(), "taken already");
        assert_eq!(buf, [20; 4], "a take with nothing new leaves the buffer alone");
        assert!(mailbox.offer(&frame(&pool, 3, 30)));
        assert_eq!(mailbox.take_latest(&mut buf).map(|m| m.sequence), Some(3));
        assert_eq!(buf, [30; 4]);
    }

    #[test]
    fn a_closed_mailbox_takes_no_more_frames() {
        let pool = FramePool::new(1, 4);
        let mailbox = FrameMailbox::new(Duration::ZERO);
        assert!(!mailbox.is_closed());
        mailbox.close();
        assert!(mailbox.is_closed());
        assert!(!mailbox.offer(&frame(&pool, 1, 1)));
        assert!(mailbox.take_latest(&mut Vec::new()).is_none());
    }

    #[test]
    fn an_offer_while_the_consumer_holds_the_slot_is_skipped_not_waited_for() {
        let pool = FramePool::new(1, 4);
        let mailbox = FrameMailbox::new(Duration::ZERO);
        let held = mailbox.slot.lock().expect("slot");
        assert!(!mailbox.offer(&frame(&pool, 1, 1)), "skipped while the slot is held");
        drop(held);
        assert!(mailbox.offer(&frame(&pool, 2, 2)));
    }
}
