//! The MCP server's one recording session: axvs-session's watched [`SessionSlot`], with its refusals worded
//! in the tools' names.

use axvs_session::session::slot::{SessionSlot, SlotError};
use axvs_session::session::{Progress, Session, SessionReport};

use super::args::{tool_error, ToolError};

pub use axvs_session::session::slot::{SessionState, SlotStatus as StatusSnapshot};

/// The one session the server drives; shared by every connection.
#[derive(Clone, Default)]
pub struct Sessions {
    slot: SessionSlot,
}

/// A refusal, saying which tool to call instead.
fn refusal(e: SlotError) -> ToolError {
    match e {
        SlotError::Busy => {
            tool_error!("a video session is already running (one at a time); stop it with stop_video_session first")
        }
        SlotError::Stopping => tool_error!("the video session is stopping; try again in a moment"),
        SlotError::Ended(reason) => {
            tool_error!("the video session stopped by itself ({reason}); stop_video_session returns its report")
        }
        SlotError::Idle => tool_error!("no video session is running; start one with start_video_session"),
        other => tool_error!("{other}"),
    }
}

impl Sessions {
    /// Refuses when a session is running or stopping; the caller then starts one and hands it to `install`.
    pub fn check_free(&self) -> Result<(), ToolError> {
        self.slot.check_free().map_err(refusal)
    }

    /// Makes `session` the running one and starts watching it, limited from the start (see
    /// [`SessionSlot::install_limited`]).
    pub fn install(
        &self,
        session: Session,
        stop_after: Option<std::time::Duration>,
        lease: Option<std::time::Duration>,
    ) -> Result<(), ToolError> {
        self.slot.install_limited(session, stop_after, lease).map_err(refusal)
    }

    /// Runs `f` on the running session.
    pub fn with_running<T>(&self, f: impl FnOnce(&mut Session) -> Result<T, ToolError>) -> Result<T, ToolError> {
        self.slot.with_running(|session| Ok(f(session))).map_err(refusal)?
    }

    /// The state, live counters, and the report of a session that stopped by itself.
    pub fn status(&self) -> StatusSnapshot {
        self.slot.status()
    }

    /// Stops the running session (or hands over the report of one that stopped by itself).
    pub fn stop(&self, progress: &mut dyn FnMut(Progress)) -> Result<SessionReport, ToolError> {
        self.slot.stop(progress).map_err(refusal)
    }
}
