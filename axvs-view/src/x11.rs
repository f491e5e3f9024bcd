//! The X11 side of the live view, through x11rb: the X protocol in Rust, so a display that goes away is an
//! error value on the view's thread, never a process abort (Xlib's I/O error handler exits the process, and
//! toolkits built on it, Qt included, abort).

use x11rb::connection::{Connection, RequestConnection};
use x11rb::properties::{WmSizeHints, WmSizeHintsSpecification};
use x11rb::protocol::xproto::{
    Atom, AtomEnum, ConnectionExt as _, CreateGCAux, CreateWindowAux, EventMask, ImageFormat, ImageOrder, PropMode,
    WindowClass,
};
use x11rb::protocol::{ErrorKind, Event};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

use super::canvas::Canvas;
use super::layout::Rect;
use super::ViewError;

/// What happened to a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowEvent {
    /// A key was pressed in it: the characters it types unshifted and shifted, if any (keypad digits as
    /// digits).
    Key([Option<char>; 2]),
    /// Escape was pressed in it.
    Escape,
    /// The user asked to close it (the window manager's close button).
    CloseRequested,
    /// It has a new size.
    Resized(u32, u32),
    /// Part of it must be drawn again.
    Exposed,
}

/// An open window and the graphics context that draws into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XWindow {
    /// The window's id; events name it.
    pub id: u32,
    gc: u32,
}

/// A connection to an X display, checked to take 32-bit blue-green-red pixels.
pub struct XDisplay {
    conn: RustConnection,
    root: u32,
    depth: u8,
    black: u32,
    screen: (u32, u32),
    wm_protocols: Atom,
    wm_delete: Atom,
    net_wm_name: Atom,
    utf8_string: Atom,
    min_keycode: u8,
    max_keycode: u8,
    keysyms_per_keycode: usize,
    keysyms: Vec<u32>,
    /// Bytes of pixels one PutImage request may carry.
    max_image_bytes: usize,
    scratch: Vec<u8>,
}

impl XDisplay {
    /// Connects to `display` (e.g. `:0`).
    pub fn connect(display: &str) -> Result<XDisplay, ViewError> {
        let unreachable = |reason: String| ViewError::Unreachable {
            display: display.to_string(),
            reason,
        };
        let (conn, screen_num) = x11rb::connect(Some(display)).map_err(|e| unreachable(e.to_string()))?;
        let setup = conn.setup();
        let screen = setup
            .roots
            .get(screen_num)
            .ok_or_else(|| unreachable(format!("it has no screen {screen_num}")))?;
        let visual = screen
            .allowed_depths
            .iter()
            .flat_map(|d| d.visuals.iter())
            .find(|v| v.visual_id == screen.root_visual);
        let bpp = setup
            .pixmap_formats
            .iter()
            .find(|f| f.depth == screen.root_depth)
            .map(|f| f.bits_per_pixel);
        let supported = setup.image_byte_order == ImageOrder::LSB_FIRST
            && bpp == Some(32)
            && visual.is_some_and(|v| v.red_mask == 0xff_0000 && v.green_mask == 0xff00 && v.blue_mask == 0xff);
        if !supported {
            return Err(ViewError::Visual(format!(
                "{display}: depth {} with {:?} bits per pixel; the live view draws 24-bit true colour in 32-bit pixels",
                screen.root_depth, bpp
            )));
        }
        let (root, depth, black) = (screen.root, screen.root_depth, screen.black_pixel);
        let size = (u32::from(screen.width_in_pixels), u32::from(screen.height_in_pixels));
        let (min_keycode, max_keycode) = (setup.min_keycode, setup.max_keycode);
        let lost = |e: &dyn std::fmt::Display| ViewError::Lost(e.to_string());
        let atom = |name: &[u8]| -> Result<Atom, ViewError> {
            Ok(conn
                .intern_atom(false, name)
                .map_err(|e| lost(&e))?
                .reply()
                .map_err(|e| lost(&e))?
                .atom)
        };
        let wm_protocols = atom(b"WM_PROTOCOLS")?;
        let wm_delete = atom(b"WM_DELETE_WINDOW")?;
        let net_wm_name = atom(b"_NET_WM_NAME")?;
        let utf8_string = atom(b"UTF8_STRING")?;
        let mapping = conn
            .get_keyboard_mapping(min_keycode, max_keycode - min_keycode + 1)
            .map_err(|e| lost(&e))?
            .reply()
            .map_err(|e| lost(&e))?;
        // A PutImage request's header is 24 bytes, 28 as a big request; a little to spare.
        let max_image_bytes = conn.maximum_request_bytes().saturating_sub(32);
        Ok(XDisplay {
            conn,
            root,
            depth,
            black,
            screen: size,
            wm_protocols,
            wm_delete,
            net_wm_name,
            utf8_string,
            min_keycode,
            max_keycode,
            keysyms_per_keycode: usize::from(mapping.keysyms_per_keycode).max(1),
            keysyms: mapping.keysyms,
            max_image_bytes,
            scratch: Vec::new(),
        })
    }

    /// The screen's size in pixels.
    pub fn screen_size(&self) -> (u32, u32) {
        self.screen
    }

    /// Opens a window titled `title` at `area` (the window manager may move it) and shows it.
    pub fn open_window(&mut self, title: &str, area: Rect) -> Result<XWindow, ViewError> {
        let id = self.conn.generate_id().map_err(|e| ViewError::Lost(e.to_string()))?;
        let gc = self.conn.generate_id().map_err(|e| ViewError::Lost(e.to_string()))?;
        let clamp = |v: u32| v.clamp(1, u32::from(u16::MAX)) as u16;
        let events = EventMask::EXPOSURE | EventMask::KEY_PRESS | EventMask::STRUCTURE_NOTIFY;
        let aux = CreateWindowAux::new().background_pixel(self.black).event_mask(events);
        let conn = &self.conn;
        let sent = (|| -> Result<(), x11rb::errors::ConnectionError> {
            conn.create_window(
                x11rb::COPY_DEPTH_FROM_PARENT,
                id,
                self.root,
                area.x.min(i16::MAX as u32) as i16,
                area.y.min(i16::MAX as u32) as i16,
                clamp(area.width),
                clamp(area.height),
                0,
                WindowClass::INPUT_OUTPUT,
                x11rb::COPY_FROM_PARENT,
                &aux,
            )?;
            conn.change_property8(
                PropMode::REPLACE,
                id,
                AtomEnum::WM_NAME,
                AtomEnum::STRING,
                title.as_bytes(),
            )?;
            conn.change_property8(
                PropMode::REPLACE,
                id,
                self.net_wm_name,
                self.utf8_string,
                title.as_bytes(),
            )?;
            conn.change_property8(
                PropMode::REPLACE,
                id,
                AtomEnum::WM_CLASS,
                AtomEnum::STRING,
                b"axvs\0axvs\0",
            )?;
            conn.change_property32(
                PropMode::REPLACE,
                id,
                self.wm_protocols,
                AtomEnum::ATOM,
                &[self.wm_delete],
            )?;
            let mut hints = WmSizeHints::new();
            hints.position = Some((WmSizeHintsSpecification::UserSpecified, area.x as i32, area.y as i32));
            hints.size = Some((
                WmSizeHintsSpecification::UserSpecified,
                area.width as i32,
                area.height as i32,
            ));
            hints.set_normal_hints(conn, id)?;
            conn.create_gc(gc, id, &CreateGCAux::new().graphics_exposures(0))?;
            conn.map_window(id)?;
            conn.flush()?;
            Ok(())
        })();
        sent.map_err(|e| ViewError::Lost(e.to_string()))?;
        Ok(XWindow { id, gc })
    }

    /// Closes a window.
    pub fn close_window(&mut self, window: XWindow) -> Result<(), ViewError> {
        let lost = |e: x11rb::errors::ConnectionError| ViewError::Lost(e.to_string());
        self.conn.free_gc(window.gc).map_err(lost)?;
        self.conn.destroy_window(window.id).map_err(lost)?;
        self.conn.flush().map_err(lost)
    }

    /// Sends `rect` of `canvas` to `window`, in requests no larger than the server takes.
    pub fn put(&mut self, window: XWindow, canvas: &Canvas, rect: Rect) -> Result<(), ViewError> {
        let rect = canvas.clip(rect);
        if rect.width == 0 || rect.height == 0 {
            return Ok(());
        }
        let rows_per_request = (self.max_image_bytes / (rect.width as usize * 4)).max(1) as u32;
        let mut top = rect.y;
        while top < rect.y + rect.height {
            let rows = rows_per_request.min(rect.y + rect.height - top);
            canvas.rows(rect, top..top + rows, &mut self.scratch);
            if self.scratch.is_empty() {
                break;
            }
            self.conn
                .put_image(
                    ImageFormat::Z_PIXMAP,
                    window.id,
                    window.gc,
                    rect.width.min(u32::from(u16::MAX)) as u16,
                    (self.scratch.len() / (rect.width as usize * 4)) as u16,
                    rect.x as i16,
                    top as i16,
                    0,
                    self.depth,
                    &self.scratch,
                )
                .map_err(|e| ViewError::Lost(e.to_string()))?;
            top += rows;
        }
        Ok(())
    }

    /// Sends what was drawn.
    pub fn flush(&mut self) -> Result<(), ViewError> {
        self.conn.flush().map_err(|e| ViewError::Lost(e.to_string()))
    }

    /// The events waiting, without blocking, as (window, event).
    pub fn events(&mut self) -> Result<Vec<(u32, WindowEvent)>, ViewError> {
        let mut out = Vec::new();
        while let Some(event) = self.conn.poll_for_event().map_err(|e| ViewError::Lost(e.to_string()))? {
            match event {
                Event::KeyPress(e) => {
                    let [plain, shifted] = [0, 1].map(|level| self.keysym(e.detail, level));
                    let event = match plain {
                        0xff1b => WindowEvent::Escape,
                        _ => WindowEvent::Key([keysym_char(plain), keysym_char(shifted)]),
                    };
                    out.push((e.event, event));
                }
                Event::MappingNotify(_) => self.refresh_keymap()?,
                Event::ClientMessage(e)
                    if e.type_ == self.wm_protocols && e.format == 32 && e.data.as_data32()[0] == self.wm_delete =>
                {
                    out.push((e.window, WindowEvent::CloseRequested));
                }
                Event::ConfigureNotify(e) => {
                    out.push((e.window, WindowEvent::Resized(u32::from(e.width), u32::from(e.height))));
                }
                Event::Expose(e) if e.count == 0 => out.push((e.window, WindowEvent::Exposed)),
                // Destroyed by another client (`xdotool windowclose`, a window manager's kill): as closed.
                Event::DestroyNotify(e) => out.push((e.window, WindowEvent::CloseRequested)),
                // Drawing into a window another client destroyed, before its DestroyNotify is read.
                Event::Error(e)
                    if matches!(
                        e.error_kind,
                        ErrorKind::Drawable | ErrorKind::Window | ErrorKind::GContext
                    ) => {}
                // The view's own requests are well-formed: any other refusal is a fault that ends the view.
                Event::Error(e) => {
                    return Err(ViewError::Refused(format!(
                        "{:?} in {}",
                        e.error_kind,
                        e.request_name.unwrap_or("a request")
                    )))
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// The keysym of a keycode at `level` (0 unshifted, 1 shifted), 0 if none.
    fn keysym(&self, keycode: u8, level: usize) -> u32 {
        if level >= self.keysyms_per_keycode {
            return 0;
        }
        let index = usize::from(keycode.saturating_sub(self.min_keycode)) * self.keysyms_per_keycode + level;
        self.keysyms.get(index).copied().unwrap_or(0)
    }

    /// Reads the keyboard mapping again (the user switched layouts).
    fn refresh_keymap(&mut self) -> Result<(), ViewError> {
        let lost = |e: &dyn std::fmt::Display| ViewError::Lost(e.to_string());
        let count = self.max_keycode - self.min_keycode + 1;
        let mapping = self
            .conn
            .get_keyboard_mapping(self.min_keycode, count)
            .map_err(|e| lost(&e))?
            .reply()
            .map_err(|e| lost(&e))?;
        self.keysyms_per_keycode = usize::from(mapping.keysyms_per_keycode).max(1);
        self.keysyms = mapping.keysyms;
        Ok(())
    }
}

/// The character a keysym types, for the keys the view knows: Latin-1 printable keysyms are the
/// characters' own codes; keypad digits count as digits.
pub fn keysym_char(keysym: u32) -> Option<char> {
    match keysym {
        0x20..=0x7e => char::from_u32(keysym),
        0xffb0..=0xffb9 => char::from_u32(u32::from(b'0') + keysym - 0xffb0),
        _ => None,
    }
}
