//! The acquisition thread: grabs each frame into a pool buffer, stamps it, and queues it for the encoder
//! (or counts why not).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, TrySendError};

use super::clock::AcquisitionClock;
use super::shared::{Shared, POLL, STATE_ENDED, STATE_RUNNING};
use super::OverflowPolicy;
use crate::status::SystemEvent;
use crate::{Camera, CameraError, CameraInfo, Frame, FrameMailbox, FrameMeta, FramePool};

pub(super) struct Acquisition {
    pub(super) shared: Arc<Shared>,
    pub(super) pool: FramePool,
    pub(super) queue: Option<Sender<Frame>>,
    pub(super) overflow: OverflowPolicy,
    pub(super) onset: Instant,
    pub(super) info: CameraInfo,
    pub(super) preview: Option<Arc<FrameMailbox>>,
}

impl Acquisition {
    pub(super) fn run(self, mut camera: Box<dyn Camera>) -> Box<dyn Camera> {
        let c = &self.shared.counters;
        let mut sequence = 0u64;
        let mut clock = AcquisitionClock::default();
        let mut window_start = Instant::now();
        let mut window_frames = 0u64;
        let mut preview_due = Instant::now();
        while !self.shared.stop.load(Ordering::Relaxed) {
            let elapsed = window_start.elapsed();
            if elapsed >= Duration::from_secs(1) {
                let fps = window_frames as f64 / elapsed.as_secs_f64();
                c.fps_bits.store(fps.to_bits(), Ordering::Relaxed);
                window_start = Instant::now();
                window_frames = 0;
            }
            let Some(mut buffer) = self.pool.try_acquire().or_else(|| self.pool.acquire_timeout(POLL)) else {
                continue;
            };
            let grab = match camera.grab(&mut buffer) {
                Ok(grab) => grab,
                Err(CameraError::Timeout) => continue,
                Err(CameraError::FrameLost(_)) => {
                    c.camera_lost.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                Err(CameraError::EndOfStream) => {
                    let _ = self.shared.state.compare_exchange(
                        STATE_RUNNING,
                        STATE_ENDED,
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    );
                    let _ = self.shared.events.try_send(SystemEvent::Ended { id: self.shared.id });
                    break;
                }
                Err(e) => {
                    self.shared.fail(self.shared.camera_error(e));
                    break;
                }
            };
            let time_us = clock.time_us(self.onset.elapsed());
            c.acquired.fetch_add(1, Ordering::Relaxed);
            c.camera_lost.fetch_add(grab.lost_before, Ordering::Relaxed);
            window_frames += 1;
            let frame = Frame::new(
                buffer,
                FrameMeta {
                    sequence,
                    device_frame_id: grab.device_frame_id,
                    device_timestamp_ns: grab.device_timestamp_ns,
                    time_us,
                    width: self.info.width,
                    height: self.info.height,
                    pixel_format: self.info.pixel_format,
                },
            );
            sequence += 1;
            if let Some(preview) = &self.preview {
                let now = Instant::now();
                if now >= preview_due && preview.offer(&frame) {
                    preview_due = now + preview.interval();
                }
            }
            let queue = match &self.queue {
                Some(q) if self.shared.saving.load(Ordering::Relaxed) => q,
                _ => {
                    c.saving_off.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            };
            self.enqueue(queue, frame);
        }
        if let Err(e) = camera.stop() {
            tracing::warn!("camera {} '{}': stopping: {e}", self.shared.id, self.shared.name);
        }
        camera
    }

    fn enqueue(&self, queue: &Sender<Frame>, frame: Frame) {
        let c = &self.shared.counters;
        if self.shared.encoder_dead.load(Ordering::Relaxed) {
            c.encoder_error.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let depth = if self.push(queue, frame) {
            queue.capacity().unwrap_or(0)
        } else {
            queue.len()
        };
        c.queue_peak.fetch_max(depth as u64, Ordering::Relaxed);
    }

    /// Hands `frame` to the encoder as the overflow policy says; true if it found the queue full.
    fn push(&self, queue: &Sender<Frame>, frame: Frame) -> bool {
        let c = &self.shared.counters;
        let mut frame = match queue.try_send(frame) {
            Ok(()) => return false,
            Err(TrySendError::Disconnected(_)) => {
                c.encoder_error.fetch_add(1, Ordering::Relaxed);
                return false;
            }
            Err(TrySendError::Full(frame)) => frame,
        };
        match self.overflow {
            OverflowPolicy::DropNewest => {
                c.queue_full.fetch_add(1, Ordering::Relaxed);
            }
            OverflowPolicy::Block => loop {
                match queue.send_timeout(frame, POLL) {
                    Ok(()) => break,
                    Err(crossbeam_channel::SendTimeoutError::Timeout(f)) => {
                        if self.shared.stop.load(Ordering::Relaxed) {
                            c.queue_full.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                        frame = f;
                    }
                    Err(crossbeam_channel::SendTimeoutError::Disconnected(_)) => {
                        c.encoder_error.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
            },
        }
        true
    }
}
