//! `VideoSystem`: one camera, one optional encoder, one log sink, and the frame path between them.
//!
//! ```text
//!  acquisition thread                         encoding thread
//!  camera.grab(pool buffer) ─ stamp ─► bounded queue ─► encoder.encode(frame) ─► log(id, time_us)
//!        │ saving off / queue full: counted drop          (only saved frames are logged, in file order)
//! ```

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use serde::{Deserialize, Serialize};

use crate::log::utc_now_us;
use crate::status::{DropCounts, SystemEvent, SystemState, SystemStatus};
use crate::{
    Camera, CameraError, CameraInfo, EncodeSummary, Encoder, EncoderError, EncoderFactory, Frame, FrameMailbox,
    FrameMeta, FramePool, LogError, LogSink,
};

/// What the acquisition thread does with a frame when the queue to the encoder is full.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum OverflowPolicy {
    /// Drop the new frame and count it (`dropped.queue_full`); acquisition never waits.
    #[default]
    DropNewest,
    /// Wait for room: the camera is back-pressured (a real camera then loses frames on its side).
    Block,
}

impl TryFrom<String> for OverflowPolicy {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl FromStr for OverflowPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "drop_newest" | "drop-newest" => Ok(OverflowPolicy::DropNewest),
            "block" => Ok(OverflowPolicy::Block),
            other => Err(format!(
                "unknown overflow policy '{other}' (allowed: drop_newest, block)"
            )),
        }
    }
}

/// Settings of one video system.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemConfig {
    /// Source id: names the log entries and the video file.
    pub id: u8,
    /// Human-readable camera name.
    pub name: String,
    /// Frames the queue between acquisition and encoding holds.
    pub queue_depth: usize,
    /// What happens when the queue is full.
    pub overflow: OverflowPolicy,
    /// Whether saving is on when the system starts.
    pub saving: bool,
}

impl SystemConfig {
    /// Frame buffers the system allocates when it starts: the queue, plus the frames being grabbed and
    /// encoded and slack for previews. Times the frame size, the most memory its frames can take.
    pub fn frame_buffers(&self) -> usize {
        self.queue_depth.max(1) + POOL_SLACK
    }

    /// Defaults: queue of 32 frames, drop the newest frame on overflow, saving on at start.
    pub fn new(id: u8, name: impl Into<String>) -> Self {
        SystemConfig {
            id,
            name: name.into(),
            queue_depth: 32,
            overflow: OverflowPolicy::DropNewest,
            saving: true,
        }
    }
}

/// Why a video system failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SystemError {
    /// The camera failed.
    #[error("camera {id} '{name}': {source}")]
    Camera {
        /// Source id.
        id: u8,
        /// Camera name.
        name: String,
        /// The camera's error.
        source: CameraError,
    },
    /// The encoder failed.
    #[error("camera {id} '{name}': {source}")]
    Encoder {
        /// Source id.
        id: u8,
        /// Camera name.
        name: String,
        /// The encoder's error.
        source: EncoderError,
    },
    /// The log sink failed.
    #[error("camera {id} '{name}': {source}")]
    Log {
        /// Source id.
        id: u8,
        /// Camera name.
        name: String,
        /// The sink's error.
        source: LogError,
    },
    /// A worker thread could not start or panicked.
    #[error("camera {id} '{name}': worker thread: {message}")]
    Thread {
        /// Source id.
        id: u8,
        /// Camera name.
        name: String,
        /// What happened.
        message: String,
    },
}

impl SystemError {
    fn part(&self) -> &'static str {
        match self {
            SystemError::Camera { .. } => "camera",
            SystemError::Encoder { .. } => "encoder",
            SystemError::Log { .. } => "log",
            SystemError::Thread { .. } => "thread",
        }
    }
}

/// What `stop()` hands back: final figures, the finished file and every error the workers hit.
#[derive(Debug, Clone)]
pub struct StopReport {
    /// The final status snapshot.
    pub status: SystemStatus,
    /// The finished video file, when one was written.
    pub video: Option<EncodeSummary>,
    /// Errors, in the order they happened.
    pub errors: Vec<SystemError>,
}

impl StopReport {
    /// `Err` with the first error when a worker failed.
    pub fn result(&self) -> Result<(), SystemError> {
        match self.errors.first() {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

const STATE_IDLE: u8 = 0;
const STATE_RUNNING: u8 = 1;
const STATE_FAILED: u8 = 2;
const STATE_ENDED: u8 = 3;
/// How often blocked workers look at the stop flag.
const POLL: Duration = Duration::from_millis(50);
/// Buffers beyond the queue depth: one being grabbed, one being encoded, slack for consumers such as previews.
const POOL_SLACK: usize = 4;

#[derive(Default)]
struct Counters {
    acquired: AtomicU64,
    saved: AtomicU64,
    saving_off: AtomicU64,
    queue_full: AtomicU64,
    encoder_error: AtomicU64,
    log_error: AtomicU64,
    camera_lost: AtomicU64,
    unlogged: AtomicU64,
    fps_bits: AtomicU64,
    /// The most frames the queue has held since the start.
    queue_peak: AtomicU64,
    /// 1 while the encoder holds a frame: the frame a panicking encoder takes with it.
    in_encoder: AtomicU64,
}

struct Shared {
    id: u8,
    name: String,
    stop: AtomicBool,
    saving: AtomicBool,
    state: AtomicU8,
    counters: Counters,
    errors: Mutex<Vec<SystemError>>,
    events: Sender<SystemEvent>,
    /// Set when the encoding thread died: acquisition stops queueing.
    encoder_dead: AtomicBool,
    /// The dead encoder's queue, so `stop()` can count the frames left in it.
    orphaned: Mutex<Option<Receiver<Frame>>>,
}

impl Shared {
    fn fail(&self, error: SystemError) {
        tracing::error!("{error}");
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

    fn camera_error(&self, source: CameraError) -> SystemError {
        SystemError::Camera {
            id: self.id,
            name: self.name.clone(),
            source,
        }
    }

    fn encoder_error(&self, source: EncoderError) -> SystemError {
        SystemError::Encoder {
            id: self.id,
            name: self.name.clone(),
            source,
        }
    }

    fn log_error(&self, source: LogError) -> SystemError {
        SystemError::Log {
            id: self.id,
            name: self.name.clone(),
            source,
        }
    }

    fn thread_error(&self, message: String) -> SystemError {
        SystemError::Thread {
            id: self.id,
            name: self.name.clone(),
            message,
        }
    }
}

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
                });
            }
            let _ = self.shared.events.try_send(SystemEvent::Stopped { id: self.config.id });
        }
        let errors = self.shared.errors.lock().map(|e| e.clone()).unwrap_or_default();
        let mut status = self.status();
        // The system itself is idle again (it can start anew); the report says how its run ended.
        status.state = if errors.is_empty() {
            SystemState::Idle
        } else {
            SystemState::Failed
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

struct Acquisition {
    shared: Arc<Shared>,
    pool: FramePool,
    queue: Option<Sender<Frame>>,
    overflow: OverflowPolicy,
    onset: Instant,
    info: CameraInfo,
    preview: Option<Arc<FrameMailbox>>,
}

impl Acquisition {
    fn run(self, mut camera: Box<dyn Camera>) -> Box<dyn Camera> {
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

/// Acquisition times in µs since the onset, strictly increasing and never 0 (0 marks the onset entry):
/// frames a camera had buffered can arrive within one microsecond, and equal times would make the video's
/// timestamps (which must increase) differ from the log's and break the log's use as a key.
#[derive(Debug, Default)]
struct AcquisitionClock {
    last_us: u64,
}

impl AcquisitionClock {
    fn time_us(&mut self, since_onset: Duration) -> u64 {
        self.last_us = (since_onset.as_micros() as u64).max(self.last_us + 1);
        self.last_us
    }
}

/// Runs a worker's body; a panic becomes an error the caller sees (status, event, `stop()`), not a silent
/// dead thread.
fn catch_panic<T>(shared: &Shared, worker: &str, body: impl FnOnce() -> T) -> Option<T> {
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

/// Opens the encoder on a short-lived thread of lower priority, so that the worker threads it starts
/// inherit it (see [`crate::priority`]); the encoding thread lowers its own as it starts.
fn open_encoder(factory: &dyn EncoderFactory, id: u8, info: &CameraInfo) -> Result<Box<dyn Encoder>, EncoderError> {
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

fn encoding_loop(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NullLogSink, SyntheticCamera, SyntheticConfig};

    /// Waits (at most 10 s, so that a regression fails instead of hanging) for an event that `wanted`
    /// accepts; returns whether one came.
    fn event_within(system: &VideoSystem, wanted: impl Fn(&SystemEvent) -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match system.events().recv_timeout(left) {
                Ok(event) if wanted(&event) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    }

    #[test]
    fn end_of_stream_ends_the_system_without_error() {
        let camera = SyntheticCamera::new(SyntheticConfig {
            paced: false,
            frame_limit: Some(10),
            ..Default::default()
        });
        let mut system = VideoSystem::new(SystemConfig::new(1, "t"), Box::new(camera), None, Arc::new(NullLogSink));
        system.start().expect("start");
        assert!(event_within(&system, |e| matches!(e, SystemEvent::Ended { id: 1 })));
        assert_eq!(system.status().state, SystemState::Ended);
        let report = system.stop();
        assert!(report.errors.is_empty());
        assert_eq!(report.result(), Ok(()));
        assert_eq!(report.status.acquired, 10);
    }

    #[test]
    fn overflow_policies_parse_from_their_names() {
        assert_eq!("block".parse(), Ok(OverflowPolicy::Block));
        assert_eq!("drop_newest".parse(), Ok(OverflowPolicy::DropNewest));
        assert_eq!("drop-newest".parse(), Ok(OverflowPolicy::DropNewest));
        let err = "wait".parse::<OverflowPolicy>().expect_err("unknown");
        assert!(err.contains("'wait'") && err.contains("drop_newest, block"), "{err}");
    }

    #[test]
    fn acquisition_times_strictly_increase_even_for_frames_that_arrive_together() {
        let mut clock = AcquisitionClock::default();
        let at = |us| Duration::from_micros(us);
        let times: Vec<u64> = [0, 0, 5, 5, 5, 6, 100]
            .into_iter()
            .map(|us| clock.time_us(at(us)))
            .collect();
        assert_eq!(times, [1, 2, 5, 6, 7, 8, 100]);
    }

    #[test]
    fn a_panicking_encoder_is_reported_and_every_frame_is_accounted_for() {
        use crate::{EncodeSummary, Encoder, EncoderError, EncoderFactory, Frame};
        use std::path::{Path, PathBuf};

        struct Panics(PathBuf, u32);
        impl Encoder for Panics {
            fn encode(&mut self, _frame: &Frame) -> Result<(), EncoderError> {
                self.1 += 1;
                if self.1 == 5 {
                    panic!("codec bug");
                }
                Ok(())
            }
            fn finish(&mut self) -> Result<EncodeSummary, EncoderError> {
                Ok(EncodeSummary::default())
            }
            fn path(&self) -> &Path {
                &self.0
            }
        }
        struct Factory;
        impl EncoderFactory for Factory {
            fn create(&self, _id: u8, _camera: &CameraInfo) -> Result<Box<dyn Encoder>, EncoderError> {
                Ok(Box::new(Panics(PathBuf::from("x"), 0)))
            }
        }
        // Small frames: rendering stays cheap on a loaded machine (an unoptimised build draws 640x480
        // slower than 500 fps).
        let camera = SyntheticCamera::new(SyntheticConfig {
            width: 64,
            height: 32,
            fps: 500.0,
            frame_limit: Some(200),
            ..Default::default()
        });
        let mut system = VideoSystem::new(
            SystemConfig::new(3, "p"),
            Box::new(camera),
            Some(Arc::new(Factory)),
            Arc::new(NullLogSink),
        );
        system.start().expect("start");
        assert!(event_within(
            &system,
            |e| matches!(e, SystemEvent::Error { message, .. } if message.contains("codec bug"))
        ));
        assert!(event_within(&system, |e| matches!(e, SystemEvent::Ended { .. })));
        let report = system.stop();
        assert!(report
            .errors
            .iter()
            .any(|e| e.to_string().contains("encoding thread panicked: codec bug")));
        let s = report.status;
        assert_eq!(s.saved, 4);
        assert_eq!(
            s.acquired,
            s.saved + s.dropped.saving_off + s.dropped.queue_full + s.dropped.encoder_error,
            "{s:?}"
        );
    }

    #[test]
    fn a_failed_start_is_the_systems_outcome_until_the_next_start() {
        use crate::{CameraError, GrabInfo};

        struct Refuses(SyntheticCamera);
        impl Camera for Refuses {
            fn open(&mut self) -> Result<CameraInfo, CameraError> {
                self.0.open()
            }
            fn start(&mut self) -> Result<(), CameraError> {
                Err(CameraError::Device("sensor fault".into()))
            }
            fn grab(&mut self, buf: &mut [u8]) -> Result<GrabInfo, CameraError> {
                self.0.grab(buf)
            }
            fn stop(&mut self) -> Result<(), CameraError> {
                Ok(())
            }
        }
        let camera = Refuses(SyntheticCamera::new(SyntheticConfig::default()));
        let mut system = VideoSystem::new(SystemConfig::new(2, "r"), Box::new(camera), None, Arc::new(NullLogSink));
        let err = system.start().expect_err("the camera refuses to start");
        assert!(err.to_string().contains("sensor fault"), "{err}");
        assert_eq!(system.status().state, SystemState::Failed);
        assert!(event_within(
            &system,
            |e| matches!(e, SystemEvent::Error { id: 2, part, .. } if part == "camera")
        ));
        let report = system.stop();
        assert_eq!(report.result(), Err(err.clone()));
        assert_eq!(report.errors, [err], "the report says why the system did not run");
        assert_eq!(report.status.state, SystemState::Failed);
        assert_eq!(report.status.acquired, 0);
    }

    /// An encoder factory whose encoders record each frame's time and, if given a gate, wait for a token
    /// from it before each frame (a slow encoder on demand).
    #[derive(Default)]
    struct Recording {
        times: Arc<Mutex<Vec<u64>>>,
        sequences: Arc<Mutex<Vec<u64>>>,
        gate: Option<Receiver<()>>,
        delay: Duration,
    }

    struct RecordingEncoder {
        times: Arc<Mutex<Vec<u64>>>,
        sequences: Arc<Mutex<Vec<u64>>>,
        gate: Option<Receiver<()>>,
        delay: Duration,
        path: PathBuf,
    }

    impl Encoder for RecordingEncoder {
        fn encode(&mut self, frame: &Frame) -> Result<(), EncoderError> {
            if let Some(gate) = &self.gate {
                let _ = gate.recv();
            }
            std::thread::sleep(self.delay);
            self.times.lock().expect("times").push(frame.meta().time_us);
            self.sequences.lock().expect("sequences").push(frame.meta().sequence);
            Ok(())
        }
        fn finish(&mut self) -> Result<EncodeSummary, EncoderError> {
            Ok(EncodeSummary {
                path: self.path.clone(),
                frames: self.times.lock().expect("times").len() as u64,
                bytes: 0,
                segments: Vec::new(),
            })
        }
        fn path(&self) -> &std::path::Path {
            &self.path
        }
    }

    impl EncoderFactory for Recording {
        fn create(&self, id: u8, _camera: &CameraInfo) -> Result<Box<dyn Encoder>, EncoderError> {
            Ok(Box::new(RecordingEncoder {
                times: Arc::clone(&self.times),
                sequences: Arc::clone(&self.sequences),
                gate: self.gate.clone(),
                delay: self.delay,
                path: format!("{id:03}.mp4").into(),
            }))
        }
    }

    /// A log sink that keeps every entry.
    #[derive(Default)]
    struct Collect(Mutex<Vec<(u8, u64, Vec<u8>)>>);

    impl LogSink for Collect {
        fn log(&self, source_id: u8, time_us: u64, payload: &[u8]) -> Result<(), LogError> {
            self.0
                .lock()
                .expect("entries")
                .push((source_id, time_us, payload.to_vec()));
            Ok(())
        }
        fn flush(&self, _source_id: u8) -> Result<(), LogError> {
            Ok(())
        }
    }

    impl Collect {
        fn frame_times(&self) -> Vec<u64> {
            self.0
                .lock()
                .expect("entries")
                .iter()
                .filter(|e| e.1 != 0)
                .map(|e| e.1)
                .collect()
        }
    }

    fn frames(n: u64) -> SyntheticCamera {
        SyntheticCamera::new(SyntheticConfig {
            width: 64,
            height: 32,
            paced: false,
            frame_limit: Some(n),
            ..Default::default()
        })
    }

    /// Runs `camera` to its end in a system built from `config`, `encoder` and `log`; returns the report.
    fn run_to_end(
        config: SystemConfig,
        camera: impl Camera + 'static,
        encoder: Arc<dyn EncoderFactory>,
        log: Arc<dyn LogSink>,
        while_running: impl FnOnce(&VideoSystem),
    ) -> StopReport {
        let mut system = VideoSystem::new(config, Box::new(camera), Some(encoder), log);
        system.start().expect("start");
        while_running(&system);
        let ended = system.status().state == SystemState::Ended;
        assert!(ended || event_within(&system, |e| matches!(e, SystemEvent::Ended { .. })));
        system.stop()
    }

    #[test]
    fn frames_acquired_while_saving_is_off_are_counted_not_encoded_or_logged() {
        let encoder = Arc::new(Recording::default());
        let log = Arc::new(Collect::default());
        let config = SystemConfig {
            saving: false,
            ..SystemConfig::new(4, "off")
        };
        let report = run_to_end(config, frames(25), encoder.clone(), log.clone(), |_| {});
        let s = report.status;
        assert_eq!((s.acquired, s.saved, s.dropped.saving_off), (25, 0, 25), "{s:?}");
        assert!(!s.saving);
        assert!(encoder.times.lock().expect("times").is_empty());
        let entries = log.0.lock().expect("entries").clone();
        assert_eq!(entries.len(), 1, "the onset only");
        assert_eq!((entries[0].0, entries[0].1, entries[0].2.len()), (4, 0, 8));
    }

    #[test]
    fn a_full_queue_drops_the_newest_frames_and_what_is_saved_is_logged_in_order() {
        let (tokens, gate) = crossbeam_channel::unbounded();
        let encoder = Arc::new(Recording {
            gate: Some(gate),
            ..Recording::default()
        });
        let log = Arc::new(Collect::default());
        let config = SystemConfig {
            queue_depth: 2,
            ..SystemConfig::new(5, "full")
        };
        let report = run_to_end(config, frames(40), encoder.clone(), log.clone(), |system| {
            // The encoder holds its first frame until the camera has delivered all of them.
            assert!(event_within(system, |e| matches!(e, SystemEvent::Ended { .. })));
            drop(tokens);
        });
        let s = report.status;
        assert!(s.dropped.queue_full > 0, "{s:?}");
        assert_eq!(s.queue_peak, 2, "the peak shows the queue that overflowed: {s:?}");
        assert_eq!(s.acquired, 40);
        assert_eq!(s.acquired, s.saved + s.dropped.queue_full, "{s:?}");
        assert!(
            s.saved <= 2 + 1 + POOL_SLACK as u64,
            "at most the queue, the encoder's frame and slack: {s:?}"
        );
        let encoded = encoder.times.lock().expect("times").clone();
        assert_eq!(encoded.len() as u64, s.saved);
        assert_eq!(
            log.frame_times(),
            encoded,
            "one log entry per encoded frame, same times, same order"
        );
        assert!(encoded.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn the_block_policy_waits_for_the_encoder_instead_of_dropping() {
        let encoder = Arc::new(Recording {
            delay: Duration::from_millis(2),
            ..Recording::default()
        });
        let log = Arc::new(Collect::default());
        let config = SystemConfig {
            queue_depth: 1,
            overflow: OverflowPolicy::Block,
            ..SystemConfig::new(6, "block")
        };
        let report = run_to_end(config, frames(30), encoder.clone(), log.clone(), |_| {});
        let s = report.status;
        assert_eq!((s.acquired, s.saved, s.dropped.queue_full), (30, 30, 0), "{s:?}");
        assert_eq!(s.queue_peak, 1, "the camera waited at a full queue: {s:?}");
        assert_eq!(log.frame_times().len(), 30);
        let sequences = encoder.sequences.lock().expect("sequences").clone();
        assert_eq!(
            sequences,
            (0..30).collect::<Vec<u64>>(),
            "frames numbered from 0 in order"
        );
    }

    #[test]
    fn the_first_saved_frame_is_announced_once_and_the_rate_is_measured() {
        let camera = SyntheticCamera::new(SyntheticConfig {
            width: 64,
            height: 32,
            fps: 200.0,
            ..Default::default()
        });
        let log = Arc::new(Collect::default());
        let mut system = VideoSystem::new(
            SystemConfig::new(10, "rate"),
            Box::new(camera),
            Some(Arc::new(Recording::default())),
            log.clone(),
        );
        system.start().expect("start");
        let deadline = Instant::now() + Duration::from_secs(10);
        while system.status().fps == 0.0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let fps = system.status().fps;
        system.stop();
        assert!((100.0..=300.0).contains(&fps), "a 200 fps camera measured at {fps} fps");
        let firsts: Vec<u64> = system
            .events()
            .try_iter()
            .filter_map(|e| match e {
                SystemEvent::FirstFrameSaved { time_us, .. } => Some(time_us),
                _ => None,
            })
            .collect();
        assert_eq!(
            firsts,
            [log.frame_times()[0]],
            "one announcement, with the first frame's time"
        );
    }

    #[test]
    fn a_failing_log_stops_saving_and_no_frame_counts_saved_without_its_entry() {
        /// Takes the onset, refuses every frame entry.
        struct Refusing;
        impl LogSink for Refusing {
            fn log(&self, _source_id: u8, time_us: u64, _payload: &[u8]) -> Result<(), LogError> {
                if time_us == 0 {
                    Ok(())
                } else {
                    Err(LogError::Io("disk full".into()))
                }
            }
            fn flush(&self, _source_id: u8) -> Result<(), LogError> {
                Ok(())
            }
        }
        let report = run_to_end(
            SystemConfig::new(11, "unlogged"),
            frames(12),
            Arc::new(Recording::default()),
            Arc::new(Refusing),
            |_| {},
        );
        let s = &report.status;
        // The first frame reached the video before its entry was refused; the others were not encoded.
        assert_eq!((s.saved, s.unlogged, s.dropped.log_error), (0, 1, 11), "{s:?}");
        assert_eq!(s.acquired, s.saved + s.unlogged + s.dropped.total());
        assert_eq!(report.video.as_ref().map(|v| v.frames), Some(1), "{report:?}");
        assert_eq!(report.errors.len(), 1, "reported once: {:?}", report.errors);
        assert!(report.errors[0].to_string().contains("disk full"));
        assert_eq!(s.state, SystemState::Failed);
    }

    #[test]
    fn entries_the_log_accepted_but_lost_do_not_count_as_saved() {
        /// Accepts everything, then reports three frame entries lost and the flush failed.
        struct Losing;
        impl LogSink for Losing {
            fn log(&self, _source_id: u8, _time_us: u64, _payload: &[u8]) -> Result<(), LogError> {
                Ok(())
            }
            fn flush(&self, _source_id: u8) -> Result<(), LogError> {
                Ok(())
            }
            fn frames_lost(&self, _source_id: u8) -> u64 {
                3
            }
        }
        let report = run_to_end(
            SystemConfig::new(12, "losing"),
            frames(10),
            Arc::new(Recording::default()),
            Arc::new(Losing),
            |_| {},
        );
        let s = &report.status;
        assert_eq!((s.saved, s.unlogged), (7, 3), "{s:?}");
        assert_eq!(s.acquired, s.saved + s.unlogged + s.dropped.total());
    }

    #[test]
    fn a_log_that_cannot_take_the_onset_fails_the_start() {
        /// Takes entries, but its flush fails: the onset never reaches the log.
        struct Unflushable;
        impl LogSink for Unflushable {
            fn log(&self, _source_id: u8, _time_us: u64, _payload: &[u8]) -> Result<(), LogError> {
                Ok(())
            }
            fn flush(&self, _source_id: u8) -> Result<(), LogError> {
                Err(LogError::Io("read-only file system".into()))
            }
        }
        let camera = SyntheticCamera::new(SyntheticConfig {
            paced: false,
            ..Default::default()
        });
        let mut system = VideoSystem::new(
            SystemConfig::new(13, "t"),
            Box::new(camera),
            None,
            Arc::new(Unflushable),
        );
        let err = system.start().expect_err("no onset, no start");
        assert!(err.to_string().contains("read-only file system"), "{err}");
        assert!(!system.is_running());
    }

    #[test]
    fn camera_side_losses_are_counted_apart_from_drops() {
        use crate::GrabInfo;

        /// Reports two frames lost before every frame, and loses every third grab itself.
        struct Lossy(SyntheticCamera, u32);
        impl Camera for Lossy {
            fn open(&mut self) -> Result<CameraInfo, CameraError> {
                self.0.open()
            }
            fn start(&mut self) -> Result<(), CameraError> {
                self.0.start()
            }
            fn grab(&mut self, buf: &mut [u8]) -> Result<GrabInfo, CameraError> {
                self.1 += 1;
                if self.1.is_multiple_of(3) {
                    return Err(CameraError::FrameLost("incomplete".into()));
                }
                let grab = self.0.grab(buf)?;
                Ok(GrabInfo { lost_before: 2, ..grab })
            }
            fn stop(&mut self) -> Result<(), CameraError> {
                self.0.stop()
            }
        }
        let report = run_to_end(
            SystemConfig::new(7, "lossy"),
            Lossy(frames(10), 0),
            Arc::new(Recording::default()),
            Arc::new(Collect::default()),
            |_| {},
        );
        let s = report.status;
        assert_eq!(s.acquired, 10);
        assert_eq!(s.saved, 10, "camera-side losses are not drops: {s:?}");
        // 10 frames with 2 lost before each, and the 5 grabs (every third of 15) that lost a frame.
        assert_eq!(s.camera_lost, 10 * 2 + 5, "{s:?}");
    }

    #[test]
    fn saving_toggles_are_events_and_status() {
        let camera = SyntheticCamera::new(SyntheticConfig {
            width: 64,
            height: 32,
            fps: 200.0,
            ..Default::default()
        });
        let config = SystemConfig {
            queue_depth: 3,
            ..SystemConfig::new(8, "toggle")
        };
        let mut system = VideoSystem::new(
            config,
            Box::new(camera),
            Some(Arc::new(Recording::default())),
            Arc::new(Collect::default()),
        );
        assert_eq!(system.status().queue_capacity, 3, "the configured depth before start");
        assert!(!system.is_running());
        system.start().expect("start");
        system.start().expect("a second start does nothing");
        assert!(system.is_running());
        assert!(event_within(&system, |e| matches!(
            e,
            SystemEvent::Started { id: 8, .. }
        )));
        assert!(event_within(&system, |e| matches!(
            e,
            SystemEvent::FirstFrameSaved { id: 8, .. }
        )));
        system.stop_saving();
        system.stop_saving();
        assert!(event_within(&system, |e| matches!(
            e,
            SystemEvent::Saving { id: 8, on: false }
        )));
        assert!(!system.status().saving);
        system.start_saving();
        assert!(event_within(&system, |e| matches!(
            e,
            SystemEvent::Saving { id: 8, on: true }
        )));
        let status = system.status();
        assert!(status.saving);
        assert_eq!((status.state, status.queue_capacity), (SystemState::Running, 3));
        let report = system.stop();
        assert!(!system.is_running());
        assert!(event_within(&system, |e| matches!(e, SystemEvent::Stopped { id: 8 })));
        assert_eq!(report.status.state, SystemState::Idle);
        assert_eq!(report.video.map(|v| v.path), Some("008.mp4".into()));
        assert_eq!(system.status().video_path, Some("008.mp4".into()));
        let again = system.stop();
        assert!(
            again.errors.is_empty() && again.video.is_none(),
            "stopping a stopped system reports only"
        );
    }

    #[test]
    fn the_preview_gets_frames_no_faster_than_its_interval() {
        let mailbox = Arc::new(FrameMailbox::new(Duration::from_secs(3600)));
        let mut system = VideoSystem::new(
            SystemConfig::new(9, "preview"),
            Box::new(frames(20)),
            Some(Arc::new(Recording::default())),
            Arc::new(Collect::default()),
        );
        system.set_preview(Some(Arc::clone(&mailbox)));
        system.start().expect("start");
        assert!(event_within(&system, |e| matches!(e, SystemEvent::Ended { .. })));
        system.stop();
        let mut buf = Vec::new();
        let meta = mailbox.take_latest(&mut buf).expect("the first frame was offered");
        assert_eq!(meta.sequence, 0, "one frame an hour: only the first");
        assert_eq!(buf.len(), 64 * 32);
    }
}
