//! The MCP server's one recording session: started, watched in the background (the same health checks as
//! `axvs run`: camera failures, free space), and stopped with its final report.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;

use super::args::{tool_error, ToolError};
use axvs_session::session::{Notice, Progress, Session, SessionReport, SessionStatus};

/// How often the watcher polls a running session.
const WATCH_INTERVAL: Duration = Duration::from_millis(200);
/// Notices kept for `get_session_status`.
const MAX_NOTICES: usize = 50;

/// Where the session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// None started (or the last one was stopped and its report handed over).
    Inactive,
    /// Recording.
    Running,
    /// Stopping: queues draining, archives being written.
    Stopping,
    /// Stopped by itself (every camera ended or failed, or a disk ran low); `stop_video_session` hands over
    /// its report.
    Stopped,
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
}

/// The one session the server drives; shared by every connection.
#[derive(Clone)]
pub struct Sessions {
    inner: Arc<Mutex<Inner>>,
}

/// What `get_session_status` returns.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StatusSnapshot {
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

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            inner: Arc::new(Mutex::new(Inner {
                slot: Slot::Idle,
                generation: 0,
                notices: Vec::new(),
            })),
        }
    }
}

impl Sessions {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the data as consistent as any step: keep serving.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Refuses when a session is running or stopping; the caller then starts one and hands it to `install`.
    pub fn check_free(&self) -> Result<(), ToolError> {
        match self.lock().slot {
            Slot::Running { .. } => Err(tool_error!(
                "a video session is already running (one at a time); stop it with stop_video_session first"
            )),
            Slot::Stopping => Err(tool_error!(
                "the last video session is still stopping; try again in a moment"
            )),
            Slot::Idle | Slot::Ended { .. } => Ok(()),
        }
    }

    /// Makes `session` the running one and starts watching it. When another got in first, `session` is
    /// stopped (its files finished) and refused.
    pub fn install(&self, session: Session) -> Result<(), ToolError> {
        let mut inner = self.lock();
        if matches!(inner.slot, Slot::Running { .. } | Slot::Stopping) {
            drop(inner);
            session.stop(&mut |_| {});
            return Err(tool_error!(
                "a video session is already running (one at a time); stop it with stop_video_session first"
            ));
        }
        inner.generation += 1;
        let generation = inner.generation;
        inner.notices.clear();
        inner.slot = Slot::Running {
            generation,
            session: Box::new(session),
        };
        drop(inner);
        let sessions = self.clone();
        let spawned = std::thread::Builder::new()
            .name("axvs-mcp-watch".into())
            .spawn(move || sessions.watch(generation));
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
            let poll = match &mut inner.slot {
                Slot::Running { generation: g, session } if *g == generation => session.poll(),
                _ => return,
            };
            inner.notices.extend(poll.notices);
            let excess = inner.notices.len().saturating_sub(MAX_NOTICES);
            inner.notices.drain(..excess);
            let Some(cause) = poll.stop else { continue };
            let Slot::Running { session, .. } = std::mem::replace(&mut inner.slot, Slot::Stopping) else {
                return;
            };
            drop(inner);
            let report = session.stop(&mut |_| {});
            self.lock().slot = Slot::Ended {
                report: Box::new(report),
                reason: cause.to_string(),
            };
            return;
        }
    }

    /// Runs `f` on the running session.
    pub fn with_running<T>(&self, f: impl FnOnce(&mut Session) -> Result<T, ToolError>) -> Result<T, ToolError> {
        let mut inner = self.lock();
        match &mut inner.slot {
            Slot::Running { session, .. } => f(session),
            Slot::Stopping => Err(tool_error!("the video session is stopping")),
            Slot::Ended { reason, .. } => Err(tool_error!(
                "the video session stopped by itself ({reason}); stop_video_session returns its report"
            )),
            Slot::Idle => Err(tool_error!(
                "no video session is running; start one with start_video_session"
            )),
        }
    }

    /// The state, live counters, and the report of a session that stopped by itself.
    pub fn status(&self) -> StatusSnapshot {
        let inner = self.lock();
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
        StatusSnapshot {
            status,
            session,
            report,
            stop_reason,
            notices,
        }
    }

    /// Stops the running session (or hands over the report of one that stopped by itself); `progress`
    /// hears of each step.
    pub fn stop(&self, progress: &mut dyn FnMut(Progress)) -> Result<SessionReport, ToolError> {
        let mut inner = self.lock();
        match std::mem::replace(&mut inner.slot, Slot::Stopping) {
            Slot::Running { session, .. } => {
                drop(inner);
                let report = session.stop(progress);
                self.lock().slot = Slot::Idle;
                Ok(report)
            }
            Slot::Ended { report, .. } => {
                inner.slot = Slot::Idle;
                Ok(*report)
            }
            Slot::Stopping => Err(tool_error!("the video session is already stopping")),
            Slot::Idle => {
                inner.slot = Slot::Idle;
                Err(tool_error!(
                    "no video session is running; start one with start_video_session"
                ))
            }
        }
    }
}
