//! The view's loop: read the windows' events, and at the view's rate take each camera's latest frame, draw
//! its tile and send what changed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use super::canvas::Canvas;
use super::layout::{grid, status_height, Rect, Tile};
use super::overlay::{draw_status, status_line, Caption};
use super::picture::Picture;
use super::x11::{WindowEvent, XDisplay, XWindow};
use super::{Key, ViewCamera, ViewError, ViewLayout, ViewStatus};

/// The view never redraws faster than this, whatever the cameras' display rates.
const MIN_PERIOD: Duration = Duration::from_millis(10);
/// Nor slower: figures, marks and the status line stay fresh when the cameras are shown slowly.
const MAX_PERIOD: Duration = Duration::from_millis(100);
/// The largest canvas side drawn (8K screens are 7680 pixels wide).
const MAX_SIDE: u32 = 8192;
/// Longest wait for window events between draws (how soon a key is acted on).
const EVENT_WAIT: Duration = Duration::from_millis(10);

/// One camera's tile in a window.
struct TileState {
    camera: usize,
    tile: Tile,
    picture: Picture,
    /// The latest frame taken from the mailbox (kept to draw again at a new size).
    frame: Vec<u8>,
    caption: Caption,
    dirty: bool,
}

/// One open window.
struct Window {
    x: XWindow,
    canvas: Canvas,
    tiles: Vec<TileState>,
    status: String,
    /// Everything must be drawn and sent again (new size, exposed).
    redraw: bool,
}

impl Window {
    fn layout(&mut self, width: u32, height: u32, cameras: &[ViewCamera]) {
        // A window larger than any screen is drawn in its top-left part.
        let (width, height) = (width.min(MAX_SIDE), height.min(MAX_SIDE));
        self.canvas = Canvas::new(width, height);
        let area = height.saturating_sub(status_height(width));
        let frames: Vec<(u32, u32)> = self
            .tiles
            .iter()
            .map(|t| (cameras[t.camera].info.width, cameras[t.camera].info.height))
            .collect();
        for (state, tile) in self.tiles.iter_mut().zip(grid(width, area, &frames)) {
            state.tile = tile;
        }
        self.redraw = true;
    }
}

/// Runs the view until it is stopped or ends; returns why it ended.
pub(super) fn run(
    mut x: XDisplay,
    title: &str,
    cameras: Vec<ViewCamera>,
    layout: ViewLayout,
    status: &Mutex<ViewStatus>,
    keys: &Sender<Key>,
    stop: &AtomicBool,
) -> String {
    let mut windows = Vec::new();
    let why = match open(&mut x, title, &cameras, layout, &mut windows) {
        Ok(()) => show(&mut x, &cameras, status, keys, stop, &mut windows),
        Err(e) => e.to_string(),
    };
    for w in &windows {
        let _ = x.close_window(w.x);
    }
    why
}

/// Opens the windows: one for the grid, or one per camera placed where its tile would be on the screen.
fn open(
    x: &mut XDisplay,
    title: &str,
    cameras: &[ViewCamera],
    layout: ViewLayout,
    windows: &mut Vec<Window>,
) -> Result<(), ViewError> {
    let (screen_w, screen_h) = x.screen_size();
    let groups: Vec<(String, Rect, Vec<usize>)> = match layout {
        ViewLayout::Grid => vec![(
            title.to_string(),
            Rect {
                x: 0,
                y: 0,
                width: screen_w,
                height: screen_h,
            },
            (0..cameras.len()).collect(),
        )],
        ViewLayout::Windows => {
            let frames: Vec<(u32, u32)> = cameras.iter().map(|c| (c.info.width, c.info.height)).collect();
            grid(screen_w, screen_h, &frames)
                .into_iter()
                .zip(cameras)
                .enumerate()
                .map(|(i, (tile, c))| (format!("axvs {:03} {}", c.id, c.name), tile.cell, vec![i]))
                .collect()
        }
    };
    for (title, area, members) in groups {
        let mut window = Window {
            x: x.open_window(&title, area)?,
            canvas: Canvas::default(),
            tiles: members
                .into_iter()
                .map(|camera| TileState {
                    camera,
                    tile: Tile {
                        cell: Rect::default(),
                        picture: Rect::default(),
                    },
                    picture: Picture::default(),
                    frame: Vec::new(),
                    caption: Caption::default(),
                    dirty: true,
                })
                .collect(),
            status: String::new(),
            redraw: true,
        };
        window.layout(area.width, area.height, cameras);
        windows.push(window);
    }
    Ok(())
}

/// The loop proper.
fn show(
    x: &mut XDisplay,
    cameras: &[ViewCamera],
    status: &Mutex<ViewStatus>,
    keys: &Sender<Key>,
    stop: &AtomicBool,
    windows: &mut Vec<Window>,
) -> String {
    let period = cameras
        .iter()
        .map(|c| c.mailbox.interval())
        .min()
        .unwrap_or(MIN_PERIOD)
        .clamp(MIN_PERIOD, MAX_PERIOD);
    let mut next = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        let events = match x.events() {
            Ok(events) => events,
            Err(e) => return e.to_string(),
        };
        for (id, event) in events {
            let Some(at) = windows.iter().position(|w| w.x.id == id) else {
                continue;
            };
            match event {
                WindowEvent::Key(chars) => {
                    // The first of the key's characters that means something (a digit may need Shift).
                    if let Some(key) = chars.iter().flatten().find_map(|&c| Key::from_char(c)) {
                        let _ = keys.try_send(key);
                    }
                }
                WindowEvent::Escape => return "closed with Esc".into(),
                WindowEvent::CloseRequested => {
                    let window = windows.remove(at);
                    let _ = x.close_window(window.x);
                    if windows.is_empty() {
                        return "its window was closed".into();
                    }
                    // One camera's window of several: that camera's frames stop; the others go on.
                    for t in &window.tiles {
                        cameras[t.camera].mailbox.close();
                    }
                }
                WindowEvent::Resized(width, height) => {
                    let w = &mut windows[at];
                    if (width, height) != (w.canvas.width(), w.canvas.height()) {
                        w.layout(width, height, cameras);
                        next = Instant::now();
                    }
                }
                WindowEvent::Exposed => {
                    windows[at].redraw = true;
                    next = Instant::now();
                }
            }
        }
        let now = Instant::now();
        if now >= next {
            next = (next + period).max(now);
            let snapshot = status.lock().map(|s| s.clone()).unwrap_or_default();
            for w in windows.iter_mut() {
                if let Err(e) = draw(x, w, cameras, &snapshot) {
                    return e.to_string();
                }
            }
            if let Err(e) = x.flush() {
                return e.to_string();
            }
        }
        std::thread::sleep(next.saturating_duration_since(Instant::now()).min(EVENT_WAIT));
    }
    "the recording stopped".into()
}

/// Draws what changed in a window and sends it.
fn draw(x: &mut XDisplay, w: &mut Window, cameras: &[ViewCamera], status: &ViewStatus) -> Result<(), ViewError> {
    let whole = w.redraw;
    if whole {
        w.canvas = Canvas::new(w.canvas.width(), w.canvas.height());
        w.status.clear();
        w.tiles.iter_mut().for_each(|t| t.dirty = true);
    }
    for t in &mut w.tiles {
        let camera = &cameras[t.camera];
        let info = &camera.info;
        let size = (t.tile.picture.width, t.tile.picture.height);
        let fresh = camera.mailbox.take_latest(&mut t.frame).is_some();
        let resized = (t.picture.width(), t.picture.height()) != size;
        if (fresh || resized) && !t.frame.is_empty() {
            t.dirty |= t
                .picture
                .render(&t.frame, info.pixel_format, (info.width, info.height), size);
        }
        let figures = status.cameras.get(camera.index);
        let caption = Caption::of(camera.index, camera.id, &camera.name, figures);
        if caption != t.caption {
            t.caption = caption;
            t.dirty = true;
        }
        if !t.dirty {
            continue;
        }
        t.dirty = false;
        if (t.picture.width(), t.picture.height()) == size {
            w.canvas.blit(t.tile.picture, t.picture.pixels());
        } else {
            // No picture yet (a triggered camera waiting, say): the caption goes over black, not over itself.
            w.canvas.fill(t.tile.picture, super::canvas::Colour::BLACK);
        }
        t.caption.draw(&mut w.canvas, t.tile.picture);
        if !whole {
            x.put(w.x, &w.canvas, t.tile.picture)?;
        }
    }
    let line = status_line(status);
    if line != w.status {
        let bar = draw_status(&mut w.canvas, &line);
        w.status = line;
        if !whole {
            x.put(w.x, &w.canvas, bar)?;
        }
    }
    if whole {
        // Everything at once, the letterbox around the pictures included.
        let all = Rect {
            x: 0,
            y: 0,
            width: w.canvas.width(),
            height: w.canvas.height(),
        };
        x.put(w.x, &w.canvas, all)?;
        w.redraw = false;
    }
    Ok(())
}
