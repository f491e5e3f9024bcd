//! A recording session: a rig's cameras running together, saving switched on and off, a status snapshot at
//! any time, and a stop that finishes every file and returns the final report.
//!
//! `axvs run` and the MCP server both drive this type, so that the two can never behave differently. Nothing
//! here prints: warnings are [`Notice`]s, errors are [`SessionError`]s.
//!
//! ```no_run
//! use axvs_session::{backends::Backends, rig::Rig, session::{Session, SessionOptions}};
//!
//! let rig = Rig::builtin(&mut Backends::builtin())?;
//! let mut session = Session::start(rig, SessionOptions::default())?;
//! std::thread::sleep(std::time::Duration::from_secs(2));
//! session.poll();
//! let report = session.stop(&mut |_| {});
//! assert!(report.failures.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod dirs;
mod error;
pub mod preflight;
pub mod provenance;
mod report;
pub mod slot;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axvs_core::{CameraInfo, FrameMailbox, StopReport, SystemEvent, SystemState, SystemStatus, VideoSystem};
use axvs_encode::FfmpegEncoderFactory;
use axvs_log::{manifest, FileLogSink};
use serde::Serialize;

pub use dirs::{claim_dir, default_session_name, payload_of, session_name, SessionDirs};
pub use error::SessionError;
pub use preflight::Frames;
pub use report::{CameraReport, SessionReport};

use crate::rig::{CameraSpec, Rig};
use crate::space::{LowSpace, MinFreeSpace, SpaceGuard};
use axvs_view::{Key, ViewCamera, ViewHandle, ViewLayout, ViewStatus};

/// How often the disks' free space is checked while recording (with how fast they fill: see
/// [`crate::space::SpaceGuard`]).
pub const SPACE_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// Which cameras the live view shows, and at what rate.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum PreviewChoice {
    /// Each camera's `display_fps` from the rig.
    #[default]
    Rig,
    /// Every camera at this rate (frames per second).
    Rate(f64),
    /// None, whatever the rig says.
    Off,
}

/// How to start a session; the rig says everything else.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Root directory of the recordings (default: the rig's `output_dir`).
    pub output_dir: Option<PathBuf>,
    /// Name of the session directory under the root (default: the UTC date and time).
    pub name: Option<String>,
    /// Saving on from the start.
    pub saving: bool,
    /// The live view.
    pub preview: PreviewChoice,
    /// How the live view lays out the cameras (default: the rig's `live_view`).
    pub layout: Option<ViewLayout>,
    /// How long the session is expected to run, for the free-space estimate (default: ten minutes).
    pub expected_duration: Option<Duration>,
    /// When the run began, for the time to the first saved frame (default: when `start` is called).
    pub launched: Option<Instant>,
    /// Set by a signal handler: start-up stops before any file is written.
    pub interrupted: Option<Arc<AtomicBool>>,
    /// Record into these directories, which may hold other recordings, instead of claiming a session
    /// directory: the original's layout (`<videos>/NNN.mp4`, `<logs>/N_log.npz` and a shared manifest), for
    /// one camera per session. Every file is still created exclusively, so a camera id already recorded
    /// there is refused, and the report is the camera's own (`axvs_report_NNN.json`).
    pub into: Option<SessionDirs>,
    /// Metadata for the session's provenance (`session.json`), after the rig's `[session]` table: e.g.
    /// `("subject", "m12")`.
    pub metadata: Vec<(String, String)>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            output_dir: None,
            name: None,
            saving: true,
            preview: PreviewChoice::Rig,
            layout: None,
            expected_duration: None,
            launched: None,
            interrupted: None,
            into: None,
            metadata: Vec::new(),
        }
    }
}

/// Something the user should hear about while a session runs; the session goes on.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// A part of one camera failed; the other cameras go on.
    CameraFailed {
        /// Its source id.
        id: u8,
        /// Which part: `camera`, `encoder` or `log`.
        part: String,
        /// What happened.
        message: String,
    },
    /// A camera's own window of the live view was closed (`live_view = "windows"`).
    PreviewClosed {
        /// Its source id.
        id: u8,
        /// Its name.
        name: String,
    },
    /// The preview could not open.
    PreviewOff {
        /// Why.
        reason: String,
    },
    /// The live view ended (its window closed, its display lost); recording goes on.
    ViewEnded {
        /// Why.
        reason: String,
    },
    /// A camera's display rate was above its frame rate: it is shown at its frame rate.
    DisplayCapped {
        /// Its source id.
        id: u8,
        /// Its name.
        name: String,
        /// The rate the rig asked for.
        asked: f64,
        /// The camera's rate, which it is shown at.
        fps: f64,
    },
    /// A disk will reach its free-space threshold within the expected duration.
    SpaceShort {
        /// The directory on that disk.
        dir: PathBuf,
        /// About how many seconds of recording it has room for.
        seconds: f64,
        /// The rig's estimated bytes per second.
        rate: u64,
        /// The free space kept.
        min_free_space: String,
        /// Whether the free-space guard is off (`min_free_space = "0"`): then the disk will fill.
        guard_off: bool,
    },
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::CameraFailed { part, message, .. } => {
                write!(f, "{part} failed: {message}; the other cameras go on")
            }
            Notice::PreviewClosed { id, name } => write!(f, "camera {id} '{name}': preview closed; recording goes on"),
            Notice::PreviewOff { reason } => write!(f, "preview off: {reason}; recording goes on"),
            Notice::ViewEnded { reason } => write!(f, "live view ended: {reason}; recording goes on"),
            Notice::DisplayCapped { id, name, asked, fps } => write!(
                f,
                "camera {id} '{name}': display_fps {asked} is above the camera's {fps:.3} fps; shown at {fps:.3} fps"
            ),
            Notice::SpaceShort {
                dir,
                seconds,
                rate,
                min_free_space,
                guard_off,
            } => {
                write!(
                    f,
                    "{} has room for about {seconds:.0} s of recording at the rig's estimated {}/s; ",
                    dir.display(),
                    crate::space::megabytes(*rate),
                )?;
                if *guard_off {
                    write!(
                        f,
                        "the free-space guard is off (min_free_space = \"0\"), so the disk will fill"
                    )
                } else {
                    write!(
                        f,
                        "recording stops cleanly when it holds less than min_free_space ({min_free_space})"
                    )
                }
            }
        }
    }
}

/// Why a session should stop by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopCause {
    /// Every camera failed.
    AllFailed,
    /// Every camera ended (a file or a finite stream ran out, or a camera failed).
    AllEnded,
    /// A disk holds less free space than the rig keeps.
    LowSpace(LowSpace),
    /// `q` was pressed in the live view.
    Quit,
}

impl fmt::Display for StopCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopCause::AllFailed => write!(f, "every camera failed"),
            StopCause::AllEnded => write!(f, "every camera ended"),
            StopCause::LowSpace(low) => write!(f, "recording stopped early: {low}"),
            StopCause::Quit => write!(f, "q was pressed in the live view"),
        }
    }
}

/// What [`Session::poll`] found.
#[derive(Debug, Default)]
pub struct Poll {
    /// Warnings since the last poll (start-up ones included in the first).
    pub notices: Vec<Notice>,
    /// Why the session should stop now, when it should.
    pub stop: Option<StopCause>,
}

/// A snapshot of a running session.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SessionStatus {
    /// Where its files go.
    pub dirs: SessionDirs,
    /// The rig file (or how the rig was given).
    pub rig: String,
    /// Seconds since the cameras started.
    pub elapsed_s: f64,
    /// Each camera's counters, in the rig's order.
    pub cameras: Vec<SystemStatus>,
}

/// Progress of a long operation (stopping: queues drained, archives written).
#[derive(Debug, Clone)]
pub struct Progress {
    /// Steps done.
    pub done: usize,
    /// Steps in all.
    pub total: usize,
    /// What was just done.
    pub message: String,
}

/// One camera of a running session.
struct Running {
    spec: CameraSpec,
    system: VideoSystem,
    first_frame_ms: Option<f64>,
    preview: Option<Arc<FrameMailbox>>,
}

/// A rig's cameras, recording.
pub struct Session {
    rig: String,
    dirs: SessionDirs,
    /// Recording into directories shared with other recordings ([`SessionOptions::into`]).
    shared: bool,
    sink: Arc<FileLogSink>,
    cameras: Vec<Running>,
    view: Option<ViewHandle>,
    view_status: Arc<Mutex<ViewStatus>>,
    launched: Instant,
    started: Instant,
    space_guard: SpaceGuard,
    space_checked: Instant,
    notices: Vec<Notice>,
    low_space: Option<LowSpace>,
    /// What `session.json` says (none for a session in shared directories).
    provenance: Option<provenance::Provenance>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("rig", &self.rig)
            .field("dirs", &self.dirs)
            .field("cameras", &self.cameras.len())
            .finish_non_exhaustive()
    }
}

/// Claims the session folder under `root` (and under `log_root`, the rig's `log_dir`, when given): each a
/// bag whose `data/` takes the files.
fn claimed_dirs(root: &Path, name: Option<&str>, log_root: Option<&Path>) -> Result<SessionDirs, SessionError> {
    let bag = match name {
        Some(name) => claim_dir(root, name, false)?,
        None => claim_dir(root, &default_session_name(), true)?,
    };
    // Still empty: give the name back so that a corrected run can use it.
    let give_back = |bag: &Path| {
        let _ = std::fs::remove_dir(bag.join(crate::certificate::PAYLOAD_DIR));
        let _ = std::fs::remove_dir(bag);
    };
    // The log folder takes the session folder's final name (a numbered default name included).
    let session = bag
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let log_bag = match log_root {
        Some(dir) => Some(claim_dir(dir, &session, false).inspect_err(|_| give_back(&bag))?),
        None => None,
    };
    let bags: Vec<PathBuf> = std::iter::once(bag).chain(log_bag).collect();
    let mut payloads = Vec::with_capacity(bags.len());
    for bag in &bags {
        payloads.push(payload_of(bag).inspect_err(|_| bags.iter().for_each(|b| give_back(b)))?);
    }
    let session = payloads[0].clone();
    Ok(SessionDirs {
        log: payloads.pop().unwrap_or_else(|| session.clone()),
        session,
        bags,
    })
}

/// Checks directories shared with other recordings ([`SessionOptions::into`]): made when missing, one
/// camera, whose video and log are not there yet.
fn shared_dirs(dirs: SessionDirs, rig: &Rig) -> Result<SessionDirs, SessionError> {
    if rig.cameras.len() != 1 {
        return Err(SessionError::Invalid(format!(
            "recording into shared directories takes one camera per session; the rig has {}",
            rig.cameras.len()
        )));
    }
    for dir in [&dirs.session, &dirs.log] {
        std::fs::create_dir_all(dir).map_err(|source| SessionError::Io {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let id = rig.cameras[0].id;
    for taken in [
        dirs.log.join(axvs_log::log_file_name(id)),
        dirs.log.join(axvs_log::npz::archive_name(id)),
    ] {
        if taken.exists() {
            return Err(SessionError::Invalid(format!(
                "camera {id}: {} exists (an earlier recording of this id); axvs does not overwrite files: \
                 record into another directory",
                taken.display()
            )));
        }
    }
    Ok(dirs)
}

/// How long a session's start waits for every camera to stream before saving starts on all of them.
pub const STREAMING_WAIT: Duration = Duration::from_secs(2);

impl Session {
    /// Opens every camera of the rig, checks that their frames suit their encoders and fit in memory and that
    /// the disks have room, claims the session directory, and starts every camera.
    ///
    /// A camera that is missing or refuses its settings fails the start before anything is written. A camera
    /// that fails to start stops the others; their files are finished, and the error carries the report.
    pub fn start(mut rig: Rig, options: SessionOptions) -> Result<Session, SessionError> {
        let launched = options.launched.unwrap_or_else(Instant::now);
        let interrupted = || options.interrupted.as_ref().is_some_and(|i| i.load(Ordering::SeqCst));
        if let PreviewChoice::Rate(rate) = options.preview
            && !(rate.is_finite() && rate >= 0.001)
        {
            return Err(SessionError::Invalid(format!(
                "display rate {rate}: must be at least 0.001"
            )));
        }
        let name = options.name.as_deref().map(session_name).transpose()?;
        let mut opened = Vec::with_capacity(rig.cameras.len());
        let mut capped_notices = Vec::new();
        for spec in &rig.cameras {
            let mut camera = spec.camera.camera();
            let info = camera.open().map_err(|source| SessionError::Open {
                id: spec.id,
                name: spec.name.clone(),
                location: spec.location.clone(),
                source,
            })?;
            let (asked, from_rig) = match options.preview {
                PreviewChoice::Rig => (spec.display_fps, true),
                PreviewChoice::Rate(rate) => (Some(rate), false),
                PreviewChoice::Off => (None, false),
            };
            // A rate above the camera's own shows every frame: capped, not refused.
            let (display_fps, capped) = preflight::display_rate(spec, asked, info.fps, from_rig);
            capped_notices.extend(capped);
            let preview = display_fps.map(|rate| Arc::new(FrameMailbox::new(Duration::from_secs_f64(1.0 / rate))));
            opened.push((spec, camera, info, preview));
        }

        // What the cameras turned out to deliver must suit their encoders and fit in memory, and the disks
        // must take files, before any file is made: the checks `axvs check` makes.
        // Absolute, so that every path the session prints and reports means the same from anywhere.
        // Shared directories are where the files go: the disks checked are theirs.
        if let Some(into) = &options.into {
            rig.log_dir = Some(into.log.clone());
        }
        let root = match &options.into {
            Some(into) => into.session.clone(),
            None => options.output_dir.clone().unwrap_or_else(|| rig.output_dir.clone()),
        };
        let root = std::path::absolute(&root).unwrap_or(root);
        let frames: Vec<Option<Frames>> = opened
            .iter()
            .map(|(_, _, info, _)| {
                Some(Frames {
                    shape: info.shape(),
                    fps: Some(info.fps),
                })
            })
            .collect();
        preflight::preflight(&rig, &frames, &root)?;
        if interrupted() {
            return Err(SessionError::Interrupted);
        }
        let disks: Vec<PathBuf> = std::iter::once(root.clone()).chain(rig.log_dir.clone()).collect();
        let rate: f64 = opened.iter().map(|(spec, _, info, _)| estimated_rate(spec, info)).sum();
        let mut notices = capped_notices;
        notices.extend(space_short(&disks, rig.min_free_space, rate, options.expected_duration));
        let shared = options.into.is_some();
        let dirs = match options.into {
            Some(dirs) => shared_dirs(dirs, &rig)?,
            None => claimed_dirs(&root, name.as_deref(), rig.log_dir.as_deref())?,
        };
        // How the session was made, beside its videos before anything else is written (a session in
        // directories shared with others has none: the file would be theirs too).
        let devices: Vec<(u8, axvs_core::CameraIdentity)> = opened
            .iter()
            .map(|(spec, _, info, _)| (spec.id, info.identity.clone()))
            .collect();
        let provenance = (!shared).then(|| provenance::Provenance::start(&rig, &dirs, &options.metadata, &devices));
        if let Some(p) = &provenance {
            p.write(&dirs.session).map_err(SessionError::Invalid)?;
        }
        let sink = Arc::new(FileLogSink::create(&dirs.log)?);
        let mut cameras = Vec::with_capacity(opened.len());
        let mut shown = Vec::new();
        for (spec, camera, info, preview) in opened {
            manifest::register(&dirs.log, spec.id, &spec.name)?;
            let factory = FfmpegEncoderFactory::new(spec.encoder.clone(), &dirs.session).map_err(|source| {
                SessionError::Encoder {
                    id: spec.id,
                    name: spec.name.clone(),
                    source,
                }
            })?;
            // A live camera starts saving later, with the others (see `start_saving_together`).
            let config = spec.system_config(options.saving && !camera.live());
            let system = VideoSystem::new(config, camera, Some(Arc::new(factory)), sink.clone());
            if let Some(mailbox) = &preview {
                shown.push(ViewCamera {
                    index: cameras.len(),
                    id: spec.id,
                    name: spec.name.clone(),
                    mailbox: Arc::clone(mailbox),
                    info: info.clone(),
                });
            }
            cameras.push(Running {
                spec: spec.clone(),
                system,
                first_frame_ms: None,
                preview,
            });
        }
        let session = dirs.name();
        let view_status = Arc::new(Mutex::new(ViewStatus {
            session: session.clone(),
            free_bytes: crate::space::disk_space(&dirs.session).ok().map(|s| s.free),
            ..ViewStatus::default()
        }));
        let mut view = None;
        if !shown.is_empty() {
            let layout = options.layout.unwrap_or(rig.live_view);
            match axvs_view::spawn(&format!("axvs {session}"), shown, layout, Arc::clone(&view_status)) {
                Ok(handle) => {
                    for cam in &mut cameras {
                        cam.system.set_preview(cam.preview.clone());
                    }
                    view = Some(handle);
                }
                Err(reason) => {
                    notices.push(Notice::PreviewOff {
                        reason: reason.to_string(),
                    });
                    cameras.iter_mut().for_each(|cam| cam.preview = None);
                }
            }
        }
        let mut session = Session {
            rig: rig.source,
            dirs,
            shared,
            sink,
            cameras,
            view,
            view_status,
            launched,
            started: Instant::now(),
            // The videos' disk fills at about the rig's estimated rate from the first frame on.
            space_guard: SpaceGuard::new(rig.min_free_space, &[rate, 0.0]),
            space_checked: Instant::now(),
            notices,
            low_space: None,
            provenance,
        };
        // A camera that cannot start ends the session; what did start is still stopped and finished.
        if let Some(source) = session.cameras.iter_mut().find_map(|c| c.system.start().err()) {
            let report = session.stop(&mut |_| {});
            return Err(SessionError::Start {
                source,
                report: Box::new(report),
            });
        }
        if options.saving {
            session.start_saving_together(&interrupted);
        }
        session.started = Instant::now();
        Ok(session)
    }

    /// Turns saving on for every live camera at one instant, once each streams (has acquired a frame) or
    /// [`STREAMING_WAIT`] has passed (a camera waiting for its hardware trigger starts saving then): the
    /// cameras start one after another (a device or an encoder takes tens to hundreds of ms to open), and
    /// so their first saved frames fall within a frame period of each other, not the start's spread apart.
    /// The frames acquired before are counted as not saved (`saving_off`), as with the `w` key.
    fn start_saving_together(&self, interrupted: &dyn Fn() -> bool) {
        let deadline = Instant::now() + STREAMING_WAIT;
        // Cameras already saving (not live) need no wait.
        let waiting = || {
            self.cameras.iter().any(|c| {
                let status = c.system.status();
                !status.saving && status.acquired == 0 && status.state == SystemState::Running
            })
        };
        while waiting() && Instant::now() < deadline && !interrupted() {
            std::thread::sleep(Duration::from_millis(1));
        }
        self.cameras.iter().for_each(|c| c.system.start_saving());
    }

    /// Where the session's files go.
    pub fn dirs(&self) -> &SessionDirs {
        &self.dirs
    }

    /// The rig file (or how the rig was given).
    pub fn rig(&self) -> &str {
        &self.rig
    }

    /// The cameras: source id and name, in the rig's order.
    pub fn cameras(&self) -> impl Iterator<Item = (u8, &str)> {
        self.cameras.iter().map(|c| (c.spec.id, c.spec.name.as_str()))
    }

    /// Turns saving on, for one camera or (with `None`) every camera.
    pub fn start_saving(&self, camera: Option<u8>) -> Result<(), SessionError> {
        self.select(camera)?.for_each(|c| c.system.start_saving());
        Ok(())
    }

    /// Turns saving off, for one camera or (with `None`) every camera; the cameras go on acquiring.
    pub fn stop_saving(&self, camera: Option<u8>) -> Result<(), SessionError> {
        self.select(camera)?.for_each(|c| c.system.stop_saving());
        Ok(())
    }

    /// Acts on a key pressed in the live view or the terminal (`q` is the caller's to act on).
    pub fn key(&self, key: Key) {
        match key {
            Key::StartSaving => self.cameras.iter().for_each(|c| c.system.start_saving()),
            Key::StopSaving => self.cameras.iter().for_each(|c| c.system.stop_saving()),
            Key::ToggleCamera(index) => {
                if let Some(c) = self.cameras.get(index) {
                    if c.system.status().saving {
                        c.system.stop_saving();
                    } else {
                        c.system.start_saving();
                    }
                }
            }
            Key::Quit => {}
        }
    }

    fn select(&self, camera: Option<u8>) -> Result<impl Iterator<Item = &Running>, SessionError> {
        if let Some(id) = camera
            && !self.cameras.iter().any(|c| c.spec.id == id)
        {
            return Err(SessionError::UnknownCamera {
                id,
                available: self
                    .cameras
                    .iter()
                    .map(|c| format!("{} '{}'", c.spec.id, c.spec.name))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        Ok(self
            .cameras
            .iter()
            .filter(move |c| camera.is_none_or(|id| c.spec.id == id)))
    }

    /// A snapshot of every camera's counters.
    pub fn status(&self) -> SessionStatus {
        SessionStatus {
            dirs: self.dirs.clone(),
            rig: self.rig.clone(),
            elapsed_s: self.started.elapsed().as_secs_f64(),
            cameras: self.cameras.iter().map(|c| c.system.status()).collect(),
        }
    }

    /// Keeps the session healthy; call it a few times a second. It reads the cameras' events and the keys
    /// pressed in the live view, refreshes what the view shows, checks the disks' free space once a second,
    /// and says when the session should stop.
    pub fn poll(&mut self) -> Poll {
        let mut notices = std::mem::take(&mut self.notices);
        let mut quit = false;
        // Asked first: once the view has ended, every key it sent is in the channel.
        let ended = self.view.as_mut().and_then(ViewHandle::ended);
        let keys: Vec<Key> = self.view.iter().flat_map(|v| v.keys().try_iter()).collect();
        for key in keys {
            quit |= key == Key::Quit;
            self.key(key);
        }
        if let Some(reason) = ended {
            self.view = None;
            self.cameras.iter_mut().for_each(|cam| cam.preview = None);
            notices.push(Notice::ViewEnded { reason });
        }
        for cam in &mut self.cameras {
            while let Ok(event) = cam.system.events().try_recv() {
                match event {
                    SystemEvent::FirstFrameSaved { .. } if cam.first_frame_ms.is_none() => {
                        cam.first_frame_ms = Some(self.launched.elapsed().as_secs_f64() * 1e3);
                    }
                    SystemEvent::Error { id, part, message } => {
                        notices.push(Notice::CameraFailed { id, part, message });
                    }
                    _ => {}
                }
            }
            // A camera's own window closed while the rest of the view goes on (when the whole view ends, its
            // mailboxes close too, and the view's end is the one notice).
            // (Closed is read first: the view marks its end before it closes the mailboxes.)
            let closed = cam.preview.as_ref().is_some_and(|m| m.is_closed());
            if closed && self.view.as_ref().is_some_and(|v| !v.is_ending()) {
                cam.preview = None;
                notices.push(Notice::PreviewClosed {
                    id: cam.spec.id,
                    name: cam.spec.name.clone(),
                });
            }
        }
        let statuses: Vec<SystemStatus> = self.cameras.iter().map(|c| c.system.status()).collect();
        if self.view.is_some()
            && let Ok(mut shown) = self.view_status.lock()
        {
            shown.elapsed_s = self.started.elapsed().as_secs_f64();
            shown.cameras = statuses.clone();
        }
        let stop = if quit {
            Some(StopCause::Quit)
        } else if statuses.iter().all(|s| s.state == SystemState::Failed) {
            Some(StopCause::AllFailed)
        } else if statuses
            .iter()
            .all(|s| matches!(s.state, SystemState::Failed | SystemState::Ended))
        {
            Some(StopCause::AllEnded)
        } else if self.space_checked.elapsed() >= SPACE_CHECK_INTERVAL {
            self.space_checked = Instant::now();
            if let (Some(_), Ok(space)) = (&self.view, crate::space::disk_space(&self.dirs.session))
                && let Ok(mut shown) = self.view_status.lock()
            {
                shown.free_bytes = Some(space.free);
            }
            let disks = [self.dirs.session.clone(), self.dirs.log.clone()];
            self.space_guard.check(&disks).err().map(|low| {
                self.low_space = Some(low.clone());
                StopCause::LowSpace(low)
            })
        } else {
            None
        };
        Poll { notices, stop }
    }

    /// Stops every camera (their queues drain in parallel), closes the log, writes each camera's archive and
    /// returns the final figures. `progress` hears of each camera stopped and each archive written.
    pub fn stop(mut self, progress: &mut dyn FnMut(Progress)) -> SessionReport {
        if let Some(mut handle) = self.view.take() {
            handle.close();
        }
        let total = self.cameras.len();
        let stops = stop_all(&mut self.cameras, &mut |done, id, name| {
            progress(Progress {
                done,
                total: 2 * total,
                message: format!("camera {id} '{name}': stopped, queue drained"),
            })
        });
        let stopped = self
            .cameras
            .iter()
            .zip(stops)
            .map(|(cam, stop)| report::Stopped {
                id: cam.spec.id,
                name: cam.spec.name.clone(),
                backend: cam.spec.backend.clone(),
                first_frame_ms: cam.first_frame_ms,
                stop,
            })
            .collect();
        let failures = self
            .low_space
            .take()
            .map(|low| StopCause::LowSpace(low).to_string())
            .into_iter()
            .collect();
        let mut report = report::finish(
            self.rig.clone(),
            &self.dirs,
            self.shared,
            &self.sink,
            stopped,
            failures,
            progress,
        );
        if let Some(provenance) = self.provenance.take()
            && let Err(e) = provenance.stopped(&report.failures).write(&self.dirs.session)
        {
            tracing::warn!("the session's provenance: {e}");
        }
        // Last, when no file will change: each folder sealed with its files' checksums and the counts.
        let mut written = crate::certificate::written_digests(&report);
        written.extend(self.sink.written_digests().into_iter().map(|d| {
            let hashed = crate::certificate::Hashed {
                sha256: d.sha256,
                bytes: d.bytes,
            };
            (d.path, hashed)
        }));
        for bag in &self.dirs.bags {
            if let Err(e) = crate::certificate::seal(bag, &crate::certificate::accounts(&report, bag), &written) {
                report.failures.push(format!("the session's certificate: {e}"));
            }
        }
        report
    }
}

/// Stops every system at once, so their queues drain in parallel; `stopped` hears of each as it finishes.
fn stop_all(cameras: &mut [Running], stopped: &mut dyn FnMut(usize, u8, &str)) -> Vec<StopReport> {
    let labels: Vec<(u8, String)> = cameras.iter().map(|c| (c.spec.id, c.spec.name.clone())).collect();
    let mut reports: Vec<Option<StopReport>> = Vec::new();
    reports.resize_with(cameras.len(), || None);
    std::thread::scope(|scope| {
        let (tx, rx) = crossbeam_channel::unbounded();
        for (i, cam) in cameras.iter_mut().enumerate() {
            let tx = tx.clone();
            scope.spawn(move || {
                let report = cam.system.stop();
                let _ = tx.send((i, report));
            });
        }
        drop(tx);
        // Ends when every thread has sent its report, or died without one.
        for (done, (i, report)) in rx.iter().enumerate() {
            if let (Some(slot), Some((id, name))) = (reports.get_mut(i), labels.get(i)) {
                *slot = Some(report);
                stopped(done + 1, *id, name);
            }
        }
    });
    reports
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| StopReport {
                status: SystemStatus {
                    error: Some("stopping panicked".into()),
                    ..empty_status()
                },
                video: None,
                errors: Vec::new(),
            })
        })
        .collect()
}

fn empty_status() -> SystemStatus {
    SystemStatus {
        id: 0,
        name: String::new(),
        state: SystemState::Idle,
        saving: false,
        acquired: 0,
        saved: 0,
        dropped: Default::default(),
        camera_lost: 0,
        unlogged: 0,
        queue_depth: 0,
        queue_peak: 0,
        queue_capacity: 0,
        fps: 0.0,
        video_path: None,
        error: None,
    }
}

/// A camera's estimated bytes per second on disk. Compressed rates vary with the picture: a tenth of the raw
/// rate for lossy codecs and half for FFV1, so that the estimate errs on the side of warning.
fn estimated_rate(spec: &CameraSpec, info: &CameraInfo) -> f64 {
    let share = if spec.encoder.codec == axvs_encode::Codec::Ffv1 {
        0.5
    } else {
        0.1
    };
    info.frame_size() as f64 * info.fps * share
}

/// A notice for each disk that writing `rate` bytes/s would fill down to its threshold within the expected
/// duration (or within ten minutes when there is none).
fn space_short(disks: &[PathBuf], min: MinFreeSpace, rate: f64, duration: Option<Duration>) -> Vec<Notice> {
    let horizon = duration.unwrap_or(Duration::from_secs(600));
    disks
        .iter()
        .filter_map(|dir| {
            let space = crate::space::disk_space(dir).ok()?;
            let room = space.free.saturating_sub(min.bytes_of(space.total)) as f64;
            (rate * horizon.as_secs_f64() > room).then(|| Notice::SpaceShort {
                dir: dir.clone(),
                seconds: room / rate,
                rate: rate as u64,
                min_free_space: min.to_string(),
                guard_off: min.bytes_of(space.total) == 0,
            })
        })
        .collect()
}
