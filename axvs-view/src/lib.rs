//! The live view of a rig: one window with a tile per camera (or a window per camera), the latest frame of
//! each scaled with its aspect kept, its figures and saving mark over it, a status line below, and the
//! recording's keys.
//!
//! The view takes frames from each camera's [`FrameMailbox`] at its own rate (acquisition never waits for
//! it), downsamples them before drawing, and runs on a thread of its own at a lower priority. It speaks X11
//! through x11rb, so a display that dies, a window that closes or a drawing error ends the view alone: the
//! recording goes on and the session says why the view ended.
//!
//! ```no_run
//! use std::sync::{Arc, Mutex};
//! use axvs_view::{spawn, ViewLayout, ViewStatus};
//! let status = Arc::new(Mutex::new(ViewStatus::default()));
//! let mut view = spawn("axvs demo", Vec::new(), ViewLayout::Grid, status)?;
//! view.close();
//! # Ok::<(), axvs_view::ViewError>(())
//! ```

pub mod canvas;
pub mod layout;
mod live;
pub mod overlay;
pub mod picture;
mod x11;

pub use x11::keysym_char;

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use axvs_core::{CameraInfo, FrameMailbox, SystemStatus};
use crossbeam_channel::Receiver;

/// How the view lays out the cameras.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViewLayout {
    /// One window, a grid of tiles sized to the screen.
    #[default]
    Grid,
    /// A window per camera, placed where its tile would be.
    Windows,
}

impl FromStr for ViewLayout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "grid" => Ok(ViewLayout::Grid),
            "windows" => Ok(ViewLayout::Windows),
            other => Err(format!("unknown live view layout '{other}' (allowed: grid, windows)")),
        }
    }
}

impl fmt::Display for ViewLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ViewLayout::Grid => "grid",
            ViewLayout::Windows => "windows",
        })
    }
}

/// What a key asks of the recording, in the view's window or in the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// `w`: saving on, every camera.
    StartSaving,
    /// `s`: saving off, every camera (they go on acquiring).
    StopSaving,
    /// `1` to `9`: saving of the N-th camera (0-based here, in the rig's order) switched over.
    ToggleCamera(usize),
    /// `q`: end the recording.
    Quit,
}

impl Key {
    /// The key a character stands for, if any (either case).
    ///
    /// ```
    /// use axvs_view::Key;
    /// assert_eq!(Key::from_char('W'), Some(Key::StartSaving));
    /// assert_eq!(Key::from_char('3'), Some(Key::ToggleCamera(2)));
    /// assert_eq!(Key::from_char('0'), None);
    /// ```
    pub fn from_char(c: char) -> Option<Key> {
        match c.to_ascii_lowercase() {
            'w' => Some(Key::StartSaving),
            's' => Some(Key::StopSaving),
            'q' => Some(Key::Quit),
            '1'..='9' => Some(Key::ToggleCamera(c as usize - '1' as usize)),
            _ => None,
        }
    }
}

/// One camera to show.
pub struct ViewCamera {
    /// Its place in the rig (0-based): where its figures are in [`ViewStatus::cameras`], and its digit key.
    pub index: usize,
    /// Its source id.
    pub id: u8,
    /// Its name.
    pub name: String,
    /// Where its frames come from.
    pub mailbox: Arc<FrameMailbox>,
    /// Its frames' size and format.
    pub info: CameraInfo,
}

/// What the view shows besides the pictures; the session refreshes it a few times a second.
#[derive(Debug, Clone, Default)]
pub struct ViewStatus {
    /// The session's name.
    pub session: String,
    /// Seconds since the cameras started.
    pub elapsed_s: f64,
    /// Free bytes on the video disk, when known.
    pub free_bytes: Option<u64>,
    /// Each camera's figures, in the rig's order.
    pub cameras: Vec<SystemStatus>,
}

/// Why the view could not start, or why it ended.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ViewError {
    /// `DISPLAY` is unset.
    #[error("no display to show a preview on (DISPLAY is unset; under Wayland the view needs XWayland)")]
    NoDisplay,
    /// The X display does not accept a connection.
    #[error("cannot connect to display '{display}': {reason}")]
    Unreachable {
        /// The `DISPLAY` value.
        display: String,
        /// Why the connection failed.
        reason: String,
    },
    /// The display's pixels are not 24-bit true colour.
    #[error("unsupported display: {0}")]
    Visual(String),
    /// The connection to the display was lost.
    #[error("the display connection was lost ({0})")]
    Lost(String),
    /// The display refused one of the view's requests.
    #[error("the display refused a request ({0})")]
    Refused(String),
    /// The view's thread could not start.
    #[error("view thread: {0}")]
    Thread(String),
}

/// How long [`ViewHandle::close`] waits for the view's thread (an X server that hangs without closing its
/// connection blocks the thread's writes): past it, the mailboxes close and the thread is left behind.
pub const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// The running view. Dropping it closes the view.
pub struct ViewHandle {
    stop: Arc<AtomicBool>,
    /// Set by the view's thread as it ends (or unwinds), before it closes the mailboxes.
    ending: Arc<AtomicBool>,
    thread: Option<JoinHandle<String>>,
    /// Tells when the thread has ended, for a close with a time limit.
    done: Receiver<()>,
    mailboxes: Vec<Arc<FrameMailbox>>,
    keys: Receiver<Key>,
}

/// Marks the view ended and closes its mailboxes when the view's thread ends, however it ends (a panic
/// included): acquisition stops copying frames for it, and the session hears of it.
struct EndGuard {
    ending: Arc<AtomicBool>,
    mailboxes: Vec<Arc<FrameMailbox>>,
    done: crossbeam_channel::Sender<()>,
}

impl Drop for EndGuard {
    fn drop(&mut self) {
        self.ending.store(true, Ordering::SeqCst);
        self.mailboxes.iter().for_each(|m| m.close());
        let _ = self.done.try_send(());
    }
}

impl ViewHandle {
    /// Keys pressed in the view's windows, in order.
    pub fn keys(&self) -> &Receiver<Key> {
        &self.keys
    }

    /// Why the view ended, once it has (its windows closed, the display lost); `None` while it runs or once
    /// told.
    pub fn ended(&mut self) -> Option<String> {
        if !self.is_ending() {
            return None;
        }
        let thread = self.thread.take()?;
        Some(thread.join().unwrap_or_else(|_| "its thread panicked".into()))
    }

    /// True once the view is ending or has ended: from then on its mailboxes close because the whole view
    /// goes, not because one camera's window was closed.
    pub fn is_ending(&self) -> bool {
        self.ending.load(Ordering::SeqCst) || self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Closes the windows and waits for the view's thread, at most [`CLOSE_WAIT`].
    pub fn close(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let Some(thread) = self.thread.take() else {
            return;
        };
        if self.done.recv_timeout(CLOSE_WAIT).is_ok() || thread.is_finished() {
            let _ = thread.join();
        } else {
            // Stuck writing to a display that does not read: leave it; its frames stop here.
            self.mailboxes.iter().for_each(|m| m.close());
        }
    }
}

impl Drop for ViewHandle {
    fn drop(&mut self) {
        self.close();
    }
}

/// Opens the view of `cameras` on the X display `DISPLAY` names, titled `title` (the grid window; a window
/// per camera is titled `axvs <id> <name>`). Fails at once when the display cannot be used; after that,
/// whatever ends the view is told by [`ViewHandle::ended`].
pub fn spawn(
    title: &str,
    cameras: Vec<ViewCamera>,
    layout: ViewLayout,
    status: Arc<Mutex<ViewStatus>>,
) -> Result<ViewHandle, ViewError> {
    let display = std::env::var("DISPLAY")
        .ok()
        .filter(|d| !d.is_empty())
        .ok_or(ViewError::NoDisplay)?;
    let x = x11::XDisplay::connect(&display)?;
    let stop = Arc::new(AtomicBool::new(false));
    let (keys_tx, keys) = crossbeam_channel::bounded(64);
    let thread_stop = Arc::clone(&stop);
    let ending = Arc::new(AtomicBool::new(false));
    let mailboxes: Vec<Arc<FrameMailbox>> = cameras.iter().map(|c| Arc::clone(&c.mailbox)).collect();
    let (done_tx, done) = crossbeam_channel::bounded(1);
    let guard = EndGuard {
        ending: Arc::clone(&ending),
        mailboxes: mailboxes.clone(),
        done: done_tx,
    };
    let title = title.to_string();
    let thread = std::thread::Builder::new()
        .name("axvs-view".into())
        .spawn(move || {
            let _guard = guard;
            // Drawing waits behind acquisition and encoding.
            axvs_core::priority::lower_this_thread();
            live::run(x, &title, cameras, layout, &status, &keys_tx, &thread_stop)
        })
        .map_err(|e| ViewError::Thread(e.to_string()))?;
    Ok(ViewHandle {
        stop,
        ending,
        thread: Some(thread),
        done,
        mailboxes,
        keys,
    })
}
