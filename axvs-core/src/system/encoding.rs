//! The encoding thread: encodes each queued frame, then logs its timestamp; a frame counts as saved only
//! with both.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_channel::Receiver;

use super::shared::Shared;
use crate::status::SystemEvent;
use crate::{CameraInfo, EncodeSummary, Encoder, EncoderError, EncoderFactory, Frame, LogSink};

/// Opens the encoder on a short-lived thread of lower priority, so that the worker threads it starts
/// inherit it (see [`crate::priority`]); the encoding thread lowers its own as it starts.
pub(super) fn open_encoder(
    factory: &dyn EncoderFactory,
    id: u8,
    info: &CameraInfo,
) -> Result<Box<dyn Encoder>, EncoderError> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                crate::priority::lower_this_thread();
                factory.create(id, info)
            })
            .join()
            .unwrap_or_else(|_| Err(EncoderError::Config("the encoder panicked while opening".into())))
    })
}

pub(super) fn encoding_loop(
    mut encoder: Box<dyn Encoder>,
    queue: Receiver<Frame>,
    log: Arc<dyn LogSink>,
    shared: Arc<Shared>,
) -> Option<EncodeSummary> {
    // Below the acquisition thread, as the encoder's own threads are; so are the encoders it opens for
    // new segments.
    crate::priority::lower_this_thread();
    let c = &shared.counters;
    let mut encoder_failed = false;
    let mut log_failed = false;
    for frame in queue.iter() {
        if encoder_failed {
            c.encoder_error.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        // A frame counts as saved only with its log entry: once the log fails, no more frames are saved.
        if log_failed {
            c.log_error.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        c.in_encoder.store(1, Ordering::Relaxed);
        let encoded = encoder.encode(&frame);
        c.in_encoder.store(0, Ordering::Relaxed);
        match encoded {
            Ok(()) => {
                let meta = *frame.meta();
                let time_us = meta.time_us;
                drop(frame);
                if let Err(e) = log.log_frame(shared.id, &meta) {
                    c.unlogged.fetch_add(1, Ordering::Relaxed);
                    log_failed = true;
                    shared.fail(shared.log_error(e));
                    continue;
                }
                if c.saved.fetch_add(1, Ordering::Relaxed) == 0 {
                    let _ = shared
                        .events
                        .try_send(SystemEvent::FirstFrameSaved { id: shared.id, time_us });
                }
            }
            Err(e) => {
                encoder_failed = true;
                c.encoder_error.fetch_add(1, Ordering::Relaxed);
                shared.fail(shared.encoder_error(e));
            }
        }
    }
    match encoder.finish() {
        Ok(summary) => Some(summary),
        Err(e) => {
            shared.fail(shared.encoder_error(e));
            None
        }
    }
}
