//! One session at a time, watched in the background: the same health checks as `axvs run` (camera
//! failures, free space) keep running while its owner — the MCP server, a Python program — does other things.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{Notice, Progress, Session, SessionReport, SessionStatus};

/// How often the watcher polls a running session.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(200);
/// Notices kept for [`SlotStatus::notices`].
const MAX_NOTICES: usize = 50;

/// Where the slot's session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// None started (or the last one was stopped and its report handed over).
    Inactive,
    /// Recording.
    Running,
    /// Stopping: queues draining, archives being written.
    Stopping,
    /// Stopped by itself (every camera ended or failed, or a disk ran low); [`SessionSlot::stop`] hands over
    /// its report.
    Stopped,
}

/// Why a [`SessionSlot`] call could not be done; the caller words it for its users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SlotError {
    /// A session is running: one at a time.
    #[error("a video session is already running (one at a time)")]
    Busy,
    /// The session is stopping.
    #[error("the video session is stopping")]
    Stopping,
    /// The session stopped by itself; `stop` hands over its report.
    #[error("the video session stopped by itself ({0})")]
    Ended(String),
    /// No session was started.
    #[error("no video session is running")]
    Idle,
}

enum Slot {
    Idle,
    Running { generation: u64, session: Box<Session> },
    Stopping,
    Ended { report: Box<SessionReport>, reason: String },
}

struct Inner {
    slot: Slot,
    generation: u64,
    notices: Vec<Notice>,
    limits: Limits,
}

impl Inner {
    /// Its owner was heard from: the lease starts again.
    fn renew(&mut self) {
        if let Some((_, renewed)) = &mut self.limits.lease {
            *renewed = Instant::now();
        }
    }
}

/// When a running session stops by itself, besides its own causes: at a deadline, and when its owner has
/// not been heard from for a lease (a coordinator that died: the session never records forever).
#[derive(Debug, Clone, Copy, Default)]
struct Limits {
    deadline: Option<Instant>,
    lease: Option<(Duration, Instant)>,
}

impl Limits {
    /// Why the session must stop now, if it must.
    fn expired(&self) -> Option<String> {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Some("its time limit passed".into());
        }
        match self.lease {
            Some((lease, renewed)) if renewed.elapsed() >= lease => Some(format!(
                "its coordinator was not heard from for {:.1} s (its lease)",
                lease.as_secs_f64()
            )),
            _ => None,
        }
    }
}

/// One recording session, watched: polled every [`WATCH_INTERVAL`] and stopped (its files finished) when it
/// says it should stop. Clones share the slot.
#[derive(Clone)]
pub struct SessionSlot {
    inner: Arc<Mutex<Inner>>,
    /// Signalled when a stop ends (the slot leaves `Stopping`).
    stopped: Arc<Condvar>,
}

/// A snapshot of the slot.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SlotStatus {
    /// Where the session is.
    pub status: SessionState,
    /// Its live counters, while it runs.
    pub session: Option<SessionStatus>,
    /// Its final report, when it stopped by itself.
    pub report: Option<SessionReport>,
    /// Why it stopped by itself.
    pub stop_reason: Option<String>,
    /// Warnings while it ran (camera failures, closed previews, disk estimates), latest last.
    pub notices: Vec<Notice>,
}

impl Default for SessionSlot {
    fn default() -> Self {
        SessionSlot {
            inner: Arc::new(Mutex::new(Inner {
                slot: Slot::Idle,
                generation: 0,
                notices: Vec::new(),
                limits: Limits::default(),
            })),
            stopped: Arc::new(Condvar::new()),
        }
    }
}

impl std::fmt::Debug for SessionSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionSlot")
            .field("status", &self.status().status)
            .finish_non_exhaustive()
    }
}

impl SessionSlot {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the data as consistent as any step: keep serving.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Refuses when a session is running or stopping; the caller then starts one and hands it to `install`.
    pub fn check_free(&self) -> Result<(), SlotError> {
        match self.lock().slot {
            Slot::Running { .. } => Err(SlotError::Busy),
            Slot::Stopping => Err(SlotError::Stopping),
            Slot::Idle | Slot::Ended { .. } => Ok(()),
        }
    }

    /// Makes `session` the running one and starts watching it. When another got in first, `session` is
    /// stopped (its files finished) and refused.
    pub fn install(&self, session: Session) -> Result<(), SlotError> {
        self.install_limited(session, None, None)
    }

    /// [`install`](Self::install), with the session limited from the start: it stops by itself
    /// `stop_after` from now, and when no call (status, saving) renews its `lease` for that long.
    pub fn install_limited(
        &self,
        session: Session,
        stop_after: Option<Duration>,
        lease: Option<Duration>,
    ) -> Result<(), SlotError> {
        let mut inner = self.lock();
        if matches!(inner.slot, Slot::Running { .. } | Slot::Stopping) {
            drop(inner);
            session.stop(&mut |_| {});
            return Err(SlotError::Busy);
        }
        inner.generation += 1;
        let generation = inner.generation;
        inner.notices.clear();
        let now = Instant::now();
        inner.limits = Limits {
            deadline: stop_after.and_then(|d| now.checked_add(d)),
            lease: lease.map(|l| (l, now)),
        };
        inner.slot = Slot::Running {
            generation,
            session: Box::new(session),
        };
        drop(inner);
        let slot = self.clone();
        let spawned = std::thread::Builder::new()
            .name("axvs-session-watch".into())
            .spawn(move || slot.watch(generation));
        if let Err(e) = spawned {
            tracing::warn!("cannot watch the session ({e}): no free-space guard");
        }
        Ok(())
    }

    /// Polls the session until it is no longer the running one; stops it when it says it should stop.
    fn watch(&self, generation: u64) {
        loop {
            std::thread::sleep(WATCH_INTERVAL);
            let mut inner = self.lock();
            let expired = inner.limits.expired();
            let poll = match &mut inner.slot {
                Slot::Running { generation: g, session } if *g == generation => session.poll(),
                _ => return,
            };
            inner.notices.extend(poll.notices);
            let excess = inner.notices.len().saturating_sub(MAX_NOTICES);
            inner.notices.drain(..excess);
            let Some(cause) = poll.stop.map(|c| c.to_string()).or(expired) else {
                continue;
            };
            let Slot::Running { session, .. } = std::mem::replace(&mut inner.slot, Slot::Stopping) else {
                return;
            };
            drop(inner);
            let report = session.stop(&mut |_| {});
            self.lock().slot = Slot::Ended {
                report: Box::new(report),
                reason: cause,
            };
            self.stopped.notify_all();
            return;
        }
    }

    /// Runs `f` on the running session.
    pub fn with_running<T, E: From<SlotError>>(&self, f: impl FnOnce(&mut Session) -> Result<T, E>) -> Result<T, E> {
        let mut inner = self.lock();
        inner.renew();
        match &mut inner.slot {
            Slot::Running { session, .. } => f(session),
            Slot::Stopping => Err(SlotError::Stopping.into()),
            Slot::Ended { reason, .. } => Err(SlotError::Ended(reason.clone()).into()),
            Slot::Idle => Err(SlotError::Idle.into()),
        }
    }

    /// The state, live counters, and the report of a session that stopped by itself.
    pub fn status(&self) -> SlotStatus {
        let mut inner = self.lock();
        inner.renew();
        let notices = inner.notices.clone();
        let (status, session, report, stop_reason) = match &inner.slot {
            Slot::Idle => (SessionState::Inactive, None, None, None),
            Slot::Running { session, .. } => (SessionState::Running, Some(session.status()), None, None),
            Slot::Stopping => (SessionState::Stopping, None, None, None),
            Slot::Ended { report, reason } => (
                SessionState::Stopped,
                None,
                Some(report.as_ref().clone()),
                Some(reason.clone()),
            ),
        };
        SlotStatus {
            status,
            session,
            report,
            stop_reason,
            notices,
        }
    }

    /// Stops the running session (or hands over the report of one that stopped by itself, waiting for it
    /// to finish stopping when it is); `progress` hears of each step.
    pub fn stop(&self, progress: &mut dyn FnMut(Progress)) -> Result<SessionReport, SlotError> {
        let mut inner = self.lock();
        while matches!(inner.slot, Slot::Stopping) {
            inner = self.stopped.wait(inner).unwrap_or_else(|p| p.into_inner());
        }
        match std::mem::replace(&mut inner.slot, Slot::Stopping) {
            Slot::Running { session, .. } => {
                drop(inner);
                let report = session.stop(progress);
                self.lock().slot = Slot::Idle;
                self.stopped.notify_all();
                Ok(report)
            }
            Slot::Ended { report, .. } => {
                inner.slot = Slot::Idle;
                Ok(*report)
            }
            Slot::Stopping => {
                inner.slot = Slot::Stopping;
                Err(SlotError::Stopping)
            }
            Slot::Idle => {
                inner.slot = Slot::Idle;
                Err(SlotError::Idle)
            }
        }
    }
}
