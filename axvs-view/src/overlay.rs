//! What the view writes over the pictures: each camera's name, figures and saving mark, and the status line.

use axvs_core::{SystemState, SystemStatus};

use super::canvas::{text_width, Canvas, Colour};
use super::layout::{status_height, text_scale, Rect};
use super::ViewStatus;

/// The keys, as the status line lists them.
pub const KEYS_HELP: &str = "w save  s stop  1-9 camera  q quit  Esc close view";

/// The two lines under a camera's picture and its mark, as drawn: compared between ticks so that a tile is
/// sent again only when it changed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Caption {
    title: String,
    figures: String,
    mark: (&'static str, Option<Colour>),
}

impl Caption {
    /// Its first line: the camera's place, id and name.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Its second line: the camera's rate and counts, or "starting" before its first figures.
    pub fn figures(&self) -> &str {
        &self.figures
    }

    /// The mark beside the title ("REC", "not saving", "FAILED", ...) and its colour.
    pub fn mark(&self) -> (&'static str, Option<Colour>) {
        self.mark
    }

    /// The caption of camera `index` (0-based, in the rig's order) with its latest figures, if known.
    pub fn of(index: usize, id: u8, name: &str, status: Option<&SystemStatus>) -> Caption {
        let title = format!("{}: {id:03} {name}", index + 1);
        let Some(s) = status else {
            return Caption {
                title,
                figures: "starting".into(),
                mark: ("", None),
            };
        };
        let mark = match s.state {
            SystemState::Running if s.saving => ("REC", Some(Colour::SAVING)),
            SystemState::Running => ("not saving", Some(Colour::IDLE)),
            SystemState::Failed => ("FAILED", Some(Colour::WARN)),
            SystemState::Ended => ("ended", Some(Colour::IDLE)),
            SystemState::Idle => ("stopped", Some(Colour::IDLE)),
        };
        Caption {
            title,
            figures: format!(
                "{:.1} fps  saved {}  lost {}  cam lost {}",
                s.fps,
                s.saved,
                s.dropped.lost(),
                s.camera_lost
            ),
            mark,
        }
    }

    /// Draws the caption over the bottom of `picture`: a shaded band, the title with the mark at its right
    /// (a filled dot before "REC"), the figures below; text is cut to the picture's width.
    pub fn draw(&self, canvas: &mut Canvas, picture: Rect) {
        let scale = text_scale(picture.width * 2);
        let line = 8 * scale + 4;
        if picture.height < 2 * line + 4 || picture.width < 16 * scale {
            return;
        }
        let band = Rect {
            x: picture.x,
            y: picture.y + picture.height - 2 * line - 4,
            width: picture.width,
            height: 2 * line + 4,
        };
        canvas.shade(band);
        let room = (picture.width - 8) / (8 * scale);
        let (mark, colour) = self.mark;
        let mark_room = if mark.is_empty() { 0 } else { mark.len() as u32 + 3 };
        // The mark only where it fits beside a few letters of the title; the title takes the rest.
        let colour = colour.filter(|_| room >= mark_room + 4);
        let title_room = if colour.is_some() { room - mark_room } else { room };
        let (x, y) = (picture.x + 4, band.y + 4);
        canvas.text(x, y, &cut(&self.title, title_room), scale, Colour::TEXT);
        if let Some(colour) = colour {
            let right = picture.x + picture.width - 4;
            let left = right - text_width(mark, scale);
            canvas.text(left, y, mark, scale, colour);
            if mark == "REC" {
                let dot = 6 * scale;
                canvas.fill(
                    Rect {
                        x: left - dot - 2 * scale,
                        y: y + scale,
                        width: dot,
                        height: dot,
                    },
                    colour,
                );
            }
        }
        let lossy = !self.figures.contains("lost 0  cam lost 0") && self.figures != "starting";
        let colour = if lossy { Colour::WARN } else { Colour::TEXT };
        canvas.text(x, y + line, &cut(&self.figures, room), scale, colour);
    }
}

/// The status line's text.
pub fn status_line(status: &ViewStatus) -> String {
    let elapsed = status.elapsed_s.max(0.0) as u64;
    let free = match status.free_bytes {
        Some(bytes) => format!("{:.1} GB free", bytes as f64 / 1e9),
        None => "free space unknown".into(),
    };
    format!(
        "axvs  {}  {:02}:{:02}:{:02}  {free}  |  {KEYS_HELP}",
        status.session,
        elapsed / 3600,
        elapsed / 60 % 60,
        elapsed % 60
    )
}

/// Draws the status line along the bottom of the canvas.
pub fn draw_status(canvas: &mut Canvas, text: &str) -> Rect {
    let height = status_height(canvas.width()).min(canvas.height());
    let bar = Rect {
        x: 0,
        y: canvas.height() - height,
        width: canvas.width(),
        height,
    };
    canvas.fill(bar, Colour::BAR);
    // Smaller letters rather than a cut line, when the larger ones do not fit.
    let fits = |scale: u32| text_width(text, scale) + 8 <= canvas.width();
    let scale = match text_scale(canvas.width()) {
        2 if !fits(2) => 1,
        scale => scale,
    };
    let room = canvas.width().saturating_sub(8) / (8 * scale);
    let top = bar.y + (height.saturating_sub(8 * scale)) / 2;
    canvas.text(4, top, &cut(text, room), scale, Colour::TEXT);
    bar
}

/// At most `chars` characters of `text`.
fn cut(text: &str, chars: u32) -> String {
    text.chars().take(chars as usize).collect()
}
