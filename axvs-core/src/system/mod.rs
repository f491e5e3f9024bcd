//! `VideoSystem`: one camera, one optional encoder, one log sink, and the frame path between them.
//!
//! ```text
//!  acquisition thread                         encoding thread
//!  camera.grab(pool buffer) ─ stamp ─► bounded queue ─► encoder.encode(frame) ─► log(id, time_us)
//!        │ saving off / queue full: counted drop          (only saved frames are logged, in file order)
//! ```
//!
//! Here the lifecycle: start, status, stop. The acquisition thread's loop is in `acquisition.rs` (its
//! clock in `clock.rs`), the encoding thread's in `encoding.rs`, what both share (counters, state, errors)
//! in `shared.rs`; the settings in `config.rs`, the errors in `error.rs`.

mod acquisition;
mod clock;
mod config;
mod encoding;
mod error;
mod shared;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};

pub use config::{OverflowPolicy, SystemConfig};
pub use error::{StopReport, SystemError};

use acquisition::Acquisition;
use encoding::{encoding_loop, open_encoder};
use shared::{catch_panic, Counters, Shared, STATE_ENDED, STATE_FAILED, STATE_IDLE, STATE_RUNNING};

use crate::log::utc_now_us;
use crate::status::{DropCounts, SystemEvent, SystemState, SystemStatus};
use crate::{Camera, CameraInfo, EncodeSummary, Encoder, EncoderFactory, Frame, FrameMailbox, FramePool, LogSink};

struct Running {
    acquisition: JoinHandle<Option<Box<dyn Camera>>>,
    encoding: Option<JoinHandle<Option<EncodeSummary>>>,
    /// A handle on the queue for its depth; dropped first in `stop()` so the encoder sees the end.
    queue: Option<Sender<Frame>>,
    video_path: Option<PathBuf>,
}

/// One camera recorded to one video file, with a timestamp log entry for every saved frame.
///
/// ```no_run
/// use std::sync::Arc;
/// use axvs_core::{NullLogSink, SyntheticCamera, SyntheticConfig, SystemConfig, VideoSystem};
///
/// let camera = SyntheticCamera::new(SyntheticConfig::default());
/// let mut system = VideoSystem::new(SystemConfig::new(1, "demo"), Box::new(camera), None, Arc::new(NullLogSink));
/// system.start()?;
/// std::thread::sleep(std::time::Duration::from_millis(100));
/// let report = system.stop();
/// assert!(report.status.acquired > 0);
/// # Ok::<(), axvs_core::SystemError>(())
/// ```
pub struct VideoSystem {
    config: SystemConfig,
    camera: Option<Box<dyn Camera>>,
    info: Option<CameraInfo>,
    encoder_factory: Option<Arc<dyn EncoderFactory>>,
    log: Arc<dyn LogSink>,
    shared: Arc<Shared>,
    events: Receiver<SystemEvent>,
    running: Option<Running>,
    last_video: Option<PathBuf>,
    preview: Option<Arc<FrameMailbox>>,
}

impl VideoSystem {
    /// A system that records `camera` with encoders from `encoder_factory` (or only acquires, when `None`) and
    /// logs timestamps to `log`.
    pub fn new(
        config: SystemConfig,
        camera: Box<dyn Camera>,
        encoder_factory: Option<Arc<dyn EncoderFactory>>,
        log: Arc<dyn LogSink>,
    ) -> Self {
        let (events_tx, events) = crossbeam_channel::bounded(1024);
        let shared = Arc::new(Shared {
            id: config.id,
            name: config.name.clone(),
            stop: AtomicBool::new(false),
            saving: AtomicBool::new(config.saving),
            state: AtomicU8::new(STATE_IDLE),
            counters: Counters::default(),
            errors: Mutex::new(Vec::new()),
            events: events_tx,
            encoder_dead: AtomicBool::new(false),
            orphaned: Mutex::new(None),
        });
        VideoSystem {
            config,
            camera: Some(camera),
            info: None,
            encoder_factory,
            log,
            shared,
            events,
            running: None,
            last_video: None,
            preview: None,
        }
    }

    /// Offers frames to `mailbox` (at most one per its interval) from the next `start()` on: for live
    /// previews. Acquisition never waits for it.
    pub fn set_preview(&mut self, mailbox: Option<Arc<FrameMailbox>>) {
        self.preview = mailbox;
    }

    /// The settings.
    pub fn config(&self) -> &SystemConfig {
        &self.config
    }

    /// Opens the camera (once) and returns what it resolved to.
    pub fn open(&mut self) -> Result<CameraInfo, SystemError> {
        if let Some(info) = &self.info {
            return Ok(info.clone());
        }
        let camera = self
            .camera
            .as_mut()
            .ok_or_else(|| self.shared.thread_error("camera is in use by a running system".into()))?;
        let info = camera.open().map_err(|e| self.shared.camera_error(e))?;
        self.info = Some(info.clone());
        Ok(info)
    }

    /// Opens the camera if needed, creates the encoder, logs the onset and starts acquisition (and encoding).
    /// Does nothing if already running. A failed start is also the system's outcome until the next start:
    /// its state is `Failed` and [`VideoSystem::stop`]'s report carries the error.
    pub fn start(&mut self) -> Result<(), SystemError> {
        if self.running.is_some() {
            return Ok(());
        }
        self.launch().inspect_err(|e| {
            if let Ok(mut errors) = self.shared.errors.lock() {
                errors.clear();
            }
            self.shared.fail(e.clone());
        })
    }

    fn launch(&mut self) -> Result<(), SystemError> {
        // Counted anew from every start, a failed one included: a report never shows an earlier run's figures.
        let c = &self.shared.counters;
        for counter in [
            &c.acquired,
            &c.saved,
            &c.saving_off,
            &c.queue_full,
            &c.encoder_error,
            &c.log_error,
            &c.camera_lost,
            &c.unlogged,
            &c.fps_bits,
            &c.queue_peak,
        ] {
            counter.store(0, Ordering::SeqCst);
        }
        let info = self.open()?;
        let depth = self.config.queue_depth.max(1);
        let buffers = self.config.frame_buffers();
        // Allocated before anything starts, so a rig asking for more memory than there is fails cleanly.
        let pool = FramePool::try_new(buffers, info.frame_size()).map_err(|e| {
            self.shared.thread_error(format!(
                "cannot allocate {buffers} frame buffers of {} bytes: {e}; lower queue_depth",
                info.frame_size()
            ))
        })?;
        let mut camera = self
            .camera
            .take()
            .ok_or_else(|| self.shared.thread_error("camera missing".into()))?;
        // The encoder opens before the camera streams, so that no frame waits for it (x264 takes tens of ms
        // to open, in which a fast camera without buffers would lose frames). A camera that then fails to
        // start leaves no file behind.
        let encoder: Option<Box<dyn Encoder>> = match &self.encoder_factory {
            Some(factory) => match open_encoder(factory.as_ref(), self.config.id, &info) {
                Ok(encoder) => Some(encoder),
                Err(e) => {
                    self.camera = Some(camera);
                    return Err(self.shared.encoder_error(e));
                }
            },
            None => None,
        };
        if let Err(e) = camera.start() {
            self.camera = Some(camera);
            if let Some(encoder) = encoder {
                let path = encoder.path().to_path_buf();
                drop(encoder);
                let _ = std::fs::remove_file(path);
            }
            return Err(self.shared.camera_error(e));
        }

        let shared = &self.shared;
        shared.stop.store(false, Ordering::SeqCst);
        shared.state.store(STATE_RUNNING, Ordering::SeqCst);
        if let Ok(mut errors) = shared.errors.lock() {
            errors.clear();
        }
        shared.encoder_dead.store(false, Ordering::SeqCst);

        let video_path = encoder.as_ref().map(|e| e.path().to_path_buf());
        let (queue_tx, queue_rx) = match encoder {
            Some(_) => {
                let (tx, rx) = crossbeam_channel::bounded::<Frame>(depth);
                (Some(tx), Some(rx))
            }
            None => (None, None),
        };

        // The onset: time 0 of this source, logged with the UTC wall-clock time it corresponds to.
        let onset_utc_us = utc_now_us();
        let onset = Instant::now();
        // Written through before any frame: a log that cannot take its onset saves no frame at all.
        let onset_logged = self
            .log
            .log(self.config.id, 0, &onset_utc_us.to_le_bytes())
            .and_then(|()| self.log.flush(self.config.id));
        if let Err(e) = onset_logged {
            let _ = camera.stop();
            self.camera = Some(camera);
            shared.state.store(STATE_IDLE, Ordering::SeqCst);
            // Its file holds no frame: like a camera that failed to start, it leaves none behind.
            if let Some(encoder) = encoder {
                let path = encoder.path().to_path_buf();
                drop(encoder);
                let _ = std::fs::remove_file(path);
            }
            return Err(shared.log_error(e));
        }
        let _ = shared.events.try_send(SystemEvent::Started {
            id: self.config.id,
            onset_utc_us,
        });

        let encoding = match (encoder, queue_rx) {
            (Some(encoder), Some(rx)) => {
                let worker_shared = Arc::clone(shared);
                let log = Arc::clone(&self.log);
                let spawned = std::thread::Builder::new()
                    .name(format!("axvs-encode-{}", self.config.id))
                    .spawn(move || {
                        let shared = Arc::clone(&worker_shared);
                        let leftover = rx.clone();
                        let summary =
                            catch_panic(&shared, "encoding", || encoding_loop(encoder, rx, log, worker_shared));
                        if summary.is_none() {
                            // The encoder died with a frame in hand: that one and every frame queued or still
                            // coming will never be saved. Acquisition counts new ones; `stop()` counts the queue.
                            let in_flight = shared.counters.in_encoder.swap(0, Ordering::Relaxed);
                            shared.counters.encoder_error.fetch_add(in_flight, Ordering::Relaxed);
                            shared.encoder_dead.store(true, Ordering::SeqCst);
                            if let Ok(mut orphaned) = shared.orphaned.lock() {
                                *orphaned = Some(leftover);
                            }
                        }
                        summary.flatten()
                    });
                match spawned {
                    Ok(handle) => Some(handle),
                    Err(e) => {
                        let _ = camera.stop();
                        self.camera = Some(camera);
                        shared.state.store(STATE_IDLE, Ordering::SeqCst);
                        return Err(shared.thread_error(e.to_string()));
                    }
                }
            }
            _ => None,
        };

        let acq = Acquisition {
            shared: Arc::clone(shared),
            pool,
            queue: queue_tx.clone(),
            overflow: self.config.overflow,
            onset,
            info,
            preview: self.preview.clone(),
        };
        // If this spawn fails the closure (and the camera in it) is dropped; the encoder thread sees the
        // queue close and finalizes its file.
        let acquisition = std::thread::Builder::new()
            .name(format!("axvs-grab-{}", self.config.id))
            .spawn(move || {
                let shared = Arc::clone(&acq.shared);
                catch_panic(&shared, "acquisition", || acq.run(camera))
            })
            .map_err(|e| shared.thread_error(e.to_string()))?;

        self.last_video = video_path.clone();
        self.running = Some(Running {
            acquisition,
            encoding,
            queue: queue_tx,
            video_path,
        });
        Ok(())
    }

    /// Turns saving on: frames acquired from now on go to the encoder.
    pub fn start_saving(&self) {
        if !self.shared.saving.swap(true, Ordering::SeqCst) {
            let _ = self.shared.events.try_send(SystemEvent::Saving {
                id: self.config.id,
                on: true,
            });
        }
    }

    /// Turns saving off: frames are still acquired (and counted) but not saved.
    pub fn stop_saving(&self) {
        if self.shared.saving.swap(false, Ordering::SeqCst) {
            let _ = self.shared.events.try_send(SystemEvent::Saving {
                id: self.config.id,
                on: false,
            });
        }
    }

    /// True while started.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Events since the last call (start, saving toggles, errors, stop). Cloning the receiver lets another
    /// thread follow them.
    pub fn events(&self) -> &Receiver<SystemEvent> {
        &self.events
    }

    /// A snapshot of the figures, any time.
    pub fn status(&self) -> SystemStatus {
        let c = &self.shared.counters;
        let state = match self.shared.state.load(Ordering::SeqCst) {
            STATE_RUNNING => SystemState::Running,
            STATE_FAILED => SystemState::Failed,
            STATE_ENDED => SystemState::Ended,
            _ => SystemState::Idle,
        };
        let (queue_depth, queue_capacity) = match self.running.as_ref().and_then(|r| r.queue.as_ref()) {
            Some(q) => (q.len(), q.capacity().unwrap_or(0)),
            // As `launch` sizes it.
            None => (0, self.config.queue_depth.max(1)),
        };
        SystemStatus {
            id: self.config.id,
            name: self.config.name.clone(),
            state,
            saving: self.shared.saving.load(Ordering::SeqCst),
            acquired: c.acquired.load(Ordering::SeqCst),
            saved: c.saved.load(Ordering::SeqCst),
            dropped: DropCounts {
                saving_off: c.saving_off.load(Ordering::SeqCst),
                queue_full: c.queue_full.load(Ordering::SeqCst),
                encoder_error: c.encoder_error.load(Ordering::SeqCst),
                log_error: c.log_error.load(Ordering::SeqCst),
            },
            camera_lost: c.camera_lost.load(Ordering::SeqCst),
            unlogged: c.unlogged.load(Ordering::SeqCst),
            queue_depth,
            // A frame just queued may not have raised the peak yet.
            queue_peak: (c.queue_peak.load(Ordering::SeqCst) as usize).max(queue_depth),
            queue_capacity,
            fps: f64::from_bits(c.fps_bits.load(Ordering::SeqCst)),
            video_path: self.last_video.clone(),
            error: self
                .shared
                .errors
                .lock()
                .ok()
                .and_then(|e| e.first().map(|e| e.to_string())),
        }
    }

    /// Stops acquisition, encodes every queued frame, finalizes the file and returns the final figures and
    /// any worker errors. Does nothing but report if not running.
    pub fn stop(&mut self) -> StopReport {
        let mut video = None;
        if let Some(running) = self.running.take() {
            self.shared.stop.store(true, Ordering::SeqCst);
            drop(running.queue);
            match running.acquisition.join() {
                Ok(Some(camera)) => self.camera = Some(camera),
                // The thread panicked; `catch_panic` reported it and the camera went with it.
                Ok(None) => {}
                Err(_) => self
                    .shared
                    .fail(self.shared.thread_error("acquisition thread panicked".into())),
            }
            if let Some(encoding) = running.encoding {
                match encoding.join() {
                    Ok(summary) => video = summary,
                    Err(_) => self
                        .shared
                        .fail(self.shared.thread_error("encoding thread panicked".into())),
                }
            }
            let orphaned = self.shared.orphaned.lock().ok().and_then(|mut o| o.take());
            if let Some(queue) = orphaned {
                let left = queue.try_iter().count() as u64;
                self.shared.counters.encoder_error.fetch_add(left, Ordering::Relaxed);
            }
            let flushed = self.log.flush(self.config.id);
            // Entries the log accepted but could not write: their frames are in the video, not saved.
            let lost = self.log.frames_lost(self.config.id);
            let c = &self.shared.counters;
            let moved = c.saved.load(Ordering::SeqCst).min(lost);
            c.saved.fetch_sub(moved, Ordering::SeqCst);
            c.unlogged.fetch_add(moved, Ordering::SeqCst);
            if let Err(e) = flushed {
                let already = self.shared.errors.lock().map(|e| e.iter().any(|e| e.part() == "log"));
                if !already.unwrap_or(false) {
                    self.shared.fail(self.shared.log_error(e));
                }
            }
            if video.is_none() {
                // The encoder could not finish its file (a full disk): what it holds is what it was given.
                let c = &self.shared.counters;
                video = running.video_path.map(|path| EncodeSummary {
                    frames: c.saved.load(Ordering::SeqCst) + c.unlogged.load(Ordering::SeqCst),
                    bytes: std::fs::metadata(&path).map_or(0, |m| m.len()),
                    path,
                    segments: Vec::new(),
                    sha256: None,
                });
            }
            let _ = self.shared.events.try_send(SystemEvent::Stopped { id: self.config.id });
        }
        let errors = self.shared.errors.lock().map(|e| e.clone()).unwrap_or_default();
        let mut status = self.status();
        // The system itself is idle again (it can start anew); the report says how its run ended: stopped
        // (idle), its source at its end, or failed.
        status.state = match (errors.is_empty(), status.state) {
            (false, _) => SystemState::Failed,
            (true, SystemState::Ended) => SystemState::Ended,
            (true, _) => SystemState::Idle,
        };
        status.queue_depth = 0;
        self.shared.state.store(STATE_IDLE, Ordering::SeqCst);
        StopReport { status, video, errors }
    }
}

impl Drop for VideoSystem {
    fn drop(&mut self) {
        if self.running.is_some() {
            let _ = self.stop();
        }
        if let Some(camera) = self.camera.as_mut() {
            camera.close();
        }
    }
}
