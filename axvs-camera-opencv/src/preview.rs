//! The live preview: one OpenCV window per camera, fed from each system's [`FrameMailbox`], drawn by one GUI
//! thread. Acquisition never waits for it: a window that lags simply gets fewer frames.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use axvs_core::{FrameMailbox, PixelFormat};
use opencv::core::{Mat, Point, Scalar, CV_8UC1, CV_8UC3};
use opencv::prelude::*;
use opencv::{highgui, imgproc};

/// One window to show.
pub struct PreviewSpec {
    /// Window title (the camera's id and name).
    pub title: String,
    /// Where its frames come from.
    pub mailbox: Arc<FrameMailbox>,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Frame format: `Mono8` or `Bgr8`.
    pub pixel_format: PixelFormat,
}

/// Why the preview could not start.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// Neither `DISPLAY` nor `WAYLAND_DISPLAY` is set.
    #[error("no display to show a preview on (DISPLAY and WAYLAND_DISPLAY are unset)")]
    NoDisplay,
    /// `DISPLAY` is set, but that X display does not accept a connection.
    #[error("cannot connect to display '{display}': {reason}")]
    Unreachable {
        /// The `DISPLAY` value.
        display: String,
        /// Why the connection failed.
        reason: String,
    },
    /// The format cannot be shown.
    #[error("camera '{0}': the preview shows mono8 and bgr8 frames only")]
    Format(String),
    /// The GUI thread could not start.
    #[error("preview thread: {0}")]
    Thread(String),
}

/// True when a display is configured for windows.
pub fn display_available() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// Checks that previews can be shown: a display is configured and, for X, accepts a connection. OpenCV's
/// Qt windows abort the whole process when they cannot connect, so this is asked before any window opens.
pub fn check_display() -> Result<(), PreviewError> {
    if !display_available() {
        return Err(PreviewError::NoDisplay);
    }
    if let Some(display) = std::env::var_os("DISPLAY").filter(|d| !d.is_empty()) {
        let display = display.to_string_lossy().into_owned();
        if let Err(e) = x11rb::connect(Some(&display)) {
            return Err(PreviewError::Unreachable {
                display,
                reason: e.to_string(),
            });
        }
    }
    Ok(())
}

/// The running preview; dropping it closes the windows.
pub struct PreviewHandle {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl PreviewHandle {
    /// Closes every window and waits for the GUI thread.
    pub fn close(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// True while the GUI thread runs (some window is open).
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Drop for PreviewHandle {
    fn drop(&mut self) {
        self.close();
    }
}

/// Opens a window per spec on a GUI thread of its own.
pub fn spawn_previews(specs: Vec<PreviewSpec>) -> Result<PreviewHandle, PreviewError> {
    check_display()?;
    if let Some(bad) = specs
        .iter()
        .find(|s| !matches!(s.pixel_format, PixelFormat::Mono8 | PixelFormat::Bgr8))
    {
        return Err(PreviewError::Format(bad.title.clone()));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let thread_stop = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("axvs-preview".into())
        .spawn(move || {
            let mailboxes: Vec<Arc<FrameMailbox>> = specs.iter().map(|s| Arc::clone(&s.mailbox)).collect();
            if let Err(e) = gui_loop(specs, &thread_stop) {
                tracing::warn!("preview stopped: {}", e.message);
            }
            // Whatever ended the GUI, acquisition stops copying frames for it.
            mailboxes.iter().for_each(|m| m.close());
        })
        .map_err(|e| PreviewError::Thread(e.to_string()))?;
    Ok(PreviewHandle {
        stop,
        thread: Some(thread),
    })
}

struct Window {
    spec: PreviewSpec,
    frame: Vec<u8>,
    shown: Mat,
    open: bool,
    /// The window has reported itself visible once; only then does "not visible" mean it was closed. (A
    /// window that is not shown yet may read as not visible, on a loaded machine for a while.)
    seen_visible: bool,
}

fn gui_loop(specs: Vec<PreviewSpec>, stop: &AtomicBool) -> opencv::Result<()> {
    let mut windows: Vec<Window> = Vec::with_capacity(specs.len());
    for spec in specs {
        // Resizable, keeping the frame's aspect ratio, without Qt's toolbar and status bar: at its first
        // size the window shows the frame pixel for pixel (with the toolbar, the frame was shrunk into what
        // the toolbar left).
        let flags = highgui::WINDOW_NORMAL | highgui::WINDOW_KEEPRATIO | highgui::WINDOW_GUI_NORMAL;
        highgui::named_window(&spec.title, flags)?;
        highgui::resize_window(&spec.title, spec.width as i32, spec.height as i32)?;
        // Asked now, before any events are processed: a window closed during the first wait is noticed.
        let seen_visible = visible(&spec.title);
        windows.push(Window {
            spec,
            frame: Vec::new(),
            shown: Mat::default(),
            open: true,
            seen_visible,
        });
    }
    while !stop.load(Ordering::SeqCst) && windows.iter().any(|w| w.open) {
        for w in windows.iter_mut().filter(|w| w.open) {
            if w.spec.mailbox.take_latest(&mut w.frame).is_some() {
                draw(w)?;
                highgui::imshow(&w.spec.title, &w.shown)?;
            }
        }
        let key = highgui::wait_key(15)?;
        for w in windows.iter_mut().filter(|w| w.open) {
            // ESC closes the previews; so does closing a window (it is no longer visible). Recording goes on.
            let visible = visible(&w.spec.title);
            w.seen_visible |= visible;
            if key == 27 || (w.seen_visible && !visible) {
                w.open = false;
                w.spec.mailbox.close();
                let _ = highgui::destroy_window(&w.spec.title);
            }
        }
    }
    for w in windows.iter().filter(|w| w.open) {
        w.spec.mailbox.close();
        let _ = highgui::destroy_window(&w.spec.title);
    }
    let _ = highgui::wait_key(1);
    Ok(())
}

/// True if the window reports itself visible.
fn visible(title: &str) -> bool {
    highgui::get_window_property(title, highgui::WND_PROP_VISIBLE).unwrap_or(0.0) >= 1.0
}

/// Puts the latest frame, in colour, with the camera's name and figures over it, into `w.shown`.
fn draw(w: &mut Window) -> opencv::Result<()> {
    let (width, height) = (w.spec.width as i32, w.spec.height as i32);
    let mono = w.spec.pixel_format == PixelFormat::Mono8;
    let expected = (width * height) as usize * if mono { 1 } else { 3 };
    if w.frame.len() != expected {
        return Ok(());
    }
    // SAFETY: the header views `w.frame`, which holds exactly `expected` bytes and outlives the header.
    let view = unsafe {
        Mat::new_rows_cols_with_data_unsafe_def(
            height,
            width,
            if mono { CV_8UC1 } else { CV_8UC3 },
            w.frame.as_mut_ptr().cast(),
        )
    }?;
    if mono {
        imgproc::cvt_color_def(&view, &mut w.shown, imgproc::COLOR_GRAY2BGR)?;
    } else {
        view.copy_to(&mut w.shown)?;
    }
    let scale = (f64::from(width) / 900.0).clamp(0.4, 1.5);
    let line_height = (28.0 * scale) as i32;
    let caption = w.spec.mailbox.caption();
    for (i, text) in std::iter::once(w.spec.title.as_str())
        .chain(caption.lines())
        .enumerate()
    {
        let origin = Point::new(10, line_height * (i as i32 + 1) + 4);
        // Dark outline under light text: readable on any scene.
        for (colour, thickness) in [
            (Scalar::new(0.0, 0.0, 0.0, 0.0), 4),
            (Scalar::new(80.0, 255.0, 80.0, 0.0), 1),
        ] {
            imgproc::put_text(
                &mut w.shown,
                text,
                origin,
                imgproc::FONT_HERSHEY_SIMPLEX,
                scale,
                colour,
                thickness,
                imgproc::LINE_AA,
                false,
            )?;
        }
    }
    Ok(())
}
