//! Pooled frame buffers and frame metadata.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use crate::PixelFormat;

/// A bounded set of preallocated, equally sized buffers. A buffer taken from the pool goes back to it when
/// the last user drops it, so steady-state acquisition allocates nothing.
///
/// ```
/// use axvs_core::FramePool;
/// let pool = FramePool::new(2, 16);
/// let a = pool.try_acquire().unwrap();
/// let _b = pool.try_acquire().unwrap();
/// assert!(pool.try_acquire().is_none());
/// drop(a);
/// assert_eq!(pool.available(), 1);
/// ```
#[derive(Clone)]
pub struct FramePool {
    shared: Arc<PoolShared>,
}

struct PoolShared {
    free_tx: Sender<Vec<u8>>,
    free_rx: Receiver<Vec<u8>>,
    buffer_len: usize,
    capacity: usize,
}

impl FramePool {
    /// Allocates `capacity` buffers of `buffer_len` bytes each; like `Vec`, panics when memory runs out
    /// (use [`FramePool::try_new`] for sizes a user chose).
    pub fn new(capacity: usize, buffer_len: usize) -> Self {
        Self::try_new(capacity, buffer_len)
            .unwrap_or_else(|e| panic!("frame pool of {capacity} x {buffer_len} bytes: {e}"))
    }

    /// Allocates `capacity` buffers of `buffer_len` bytes each, or says why it cannot.
    pub fn try_new(capacity: usize, buffer_len: usize) -> Result<Self, std::collections::TryReserveError> {
        let (free_tx, free_rx) = crossbeam_channel::bounded(capacity);
        for _ in 0..capacity {
            let mut buffer = Vec::new();
            buffer.try_reserve_exact(buffer_len)?;
            buffer.resize(buffer_len, 0);
            let _ = free_tx.send(buffer);
        }
        Ok(FramePool {
            shared: Arc::new(PoolShared {
                free_tx,
                free_rx,
                buffer_len,
                capacity,
            }),
        })
    }

    /// Takes a free buffer, or `None` when all are in use.
    pub fn try_acquire(&self) -> Option<PoolBuffer> {
        self.shared.free_rx.try_recv().ok().map(|data| self.wrap(data))
    }

    /// Takes a free buffer, waiting up to `timeout` for one to come back.
    pub fn acquire_timeout(&self, timeout: Duration) -> Option<PoolBuffer> {
        self.shared
            .free_rx
            .recv_timeout(timeout)
            .ok()
            .map(|data| self.wrap(data))
    }

    /// Buffers free right now.
    pub fn available(&self) -> usize {
        self.shared.free_rx.len()
    }

    /// Buffers the pool owns.
    pub fn capacity(&self) -> usize {
        self.shared.capacity
    }

    /// Bytes of each buffer.
    pub fn buffer_len(&self) -> usize {
        self.shared.buffer_len
    }

    fn wrap(&self, data: Vec<u8>) -> PoolBuffer {
        PoolBuffer {
            data,
            pool: Arc::clone(&self.shared),
        }
    }
}

/// A buffer on loan from a [`FramePool`]; derefs to its bytes and returns to the pool on drop.
pub struct PoolBuffer {
    data: Vec<u8>,
    pool: Arc<PoolShared>,
}

impl Deref for PoolBuffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.data
    }
}

impl DerefMut for PoolBuffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }
}

impl Drop for PoolBuffer {
    fn drop(&mut self) {
        let data = std::mem::take(&mut self.data);
        // The channel holds at most `capacity` buffers and only pool buffers come back: it has room.
        let _ = self.pool.free_tx.try_send(data);
    }
}

/// Where a frame came from and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameMeta {
    /// Host-side sequence number, 0 for the first frame acquired after `start()`.
    pub sequence: u64,
    /// The device's frame (block) id, when the camera has one.
    pub device_frame_id: Option<u64>,
    /// The device's timestamp in nanoseconds, when the camera has one.
    pub device_timestamp_ns: Option<u64>,
    /// Acquisition time: µs since the source's onset, from a monotonic clock; never 0 (0 marks the onset).
    pub time_us: u64,
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Layout of the pixel data.
    pub pixel_format: PixelFormat,
}

/// One camera frame: a pooled buffer plus its metadata.
pub struct Frame {
    buffer: PoolBuffer,
    meta: FrameMeta,
}

impl Frame {
    /// Wraps a filled buffer.
    pub fn new(buffer: PoolBuffer, meta: FrameMeta) -> Self {
        Frame { buffer, meta }
    }

    /// The pixel data: tightly packed rows.
    pub fn data(&self) -> &[u8] {
        &self.buffer
    }

    /// The metadata.
    pub fn meta(&self) -> &FrameMeta {
        &self.meta
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_not_reallocated() {
        let pool = FramePool::new(1, 64);
        let ptr = {
            let b = pool.try_acquire().expect("one free buffer");
            b.as_ptr()
        };
        let again = pool.try_acquire().expect("buffer came back");
        assert_eq!(again.as_ptr(), ptr);
        assert_eq!(again.len(), 64);
    }

    #[test]
    fn acquire_timeout_waits_for_a_returned_buffer() {
        let pool = FramePool::new(1, 8);
        let held = pool.try_acquire().expect("free buffer");
        let p2 = pool.clone();
        let (started_tx, started_rx) = crossbeam_channel::bounded(1);
        let (got_tx, got_rx) = crossbeam_channel::bounded(1);
        let t = std::thread::spawn(move || {
            let _ = started_tx.send(());
            let got = p2.acquire_timeout(Duration::from_secs(10)).map(|b| b.len());
            let _ = got_tx.send(got);
        });
        started_rx.recv().expect("the waiter started");
        // The waiter is blocked: no buffer comes while this one is held.
        assert!(
            got_rx.recv_timeout(Duration::from_millis(200)).is_err(),
            "acquired a buffer that was still held"
        );
        drop(held);
        let got = got_rx.recv_timeout(Duration::from_secs(5)).expect("the waiter woke");
        assert_eq!(got, Some(8), "the returned buffer, whole");
        t.join().expect("thread");
    }

    #[test]
    fn acquire_timeout_gives_up_when_no_buffer_comes_back() {
        let pool = FramePool::new(1, 8);
        let _held = pool.try_acquire().expect("free buffer");
        assert!(pool.try_acquire().is_none());
        let start = std::time::Instant::now();
        assert!(pool.acquire_timeout(Duration::from_millis(50)).is_none());
        assert!(start.elapsed() >= Duration::from_millis(50), "it waited the whole time");
    }

    #[test]
    fn the_pool_counts_its_buffers_and_frames_hold_their_data() {
        let pool = FramePool::new(3, 16);
        assert_eq!((pool.capacity(), pool.buffer_len(), pool.available()), (3, 16, 3));
        let mut buffer = pool.try_acquire().expect("free buffer");
        assert_eq!(pool.available(), 2);
        buffer.copy_from_slice(&[7; 16]);
        let meta = FrameMeta {
            sequence: 4,
            device_frame_id: Some(9),
            device_timestamp_ns: None,
            time_us: 33_333,
            width: 4,
            height: 4,
            pixel_format: PixelFormat::Mono8,
        };
        let frame = Frame::new(buffer, meta);
        assert_eq!(frame.data(), &[7; 16]);
        assert_eq!(frame.meta(), &meta);
        drop(frame);
        assert_eq!(pool.available(), 3, "a dropped frame returns its buffer");
        assert_eq!(pool.capacity(), 3);
    }
}
