//! Where each camera's picture goes: a grid over the window, each frame scaled with its aspect kept.

/// A rectangle in window pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Rect {
    /// Pixels covered.
    pub fn area(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// One camera's place: its grid cell, and the picture inside it (centred, aspect kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    /// The whole cell (the picture's letterbox is black).
    pub cell: Rect,
    /// Where the scaled frame goes.
    pub picture: Rect,
}

/// Pixels between neighbouring pictures.
pub const GAP: u32 = 2;

/// Text scale (font pixels per glyph pixel) for a window `width` pixels wide.
pub fn text_scale(width: u32) -> u32 {
    if width >= 900 {
        2
    } else {
        1
    }
}

/// Height of the status line at the bottom of a window `width` pixels wide.
pub fn status_height(width: u32) -> u32 {
    8 * text_scale(width) + 6
}

/// The tiles of frames sized `frames` (width, height) in a `width` x `height` area: the number of columns
/// is the one that shows the smallest picture largest; cells fill the area row by row, in order.
///
/// ```
/// use axvs_view::layout::grid;
/// let tiles = grid(1280, 1000, &[(1920, 1080); 4]);
/// assert_eq!(tiles.len(), 4);
/// assert_eq!((tiles[1].cell.x, tiles[2].cell.y), (640, 500)); // 2 x 2
/// assert_eq!(tiles[0].picture.width, 636); // 640 less the gap, 16:9 kept
/// ```
pub fn grid(width: u32, height: u32, frames: &[(u32, u32)]) -> Vec<Tile> {
    let n = frames.len() as u32;
    if n == 0 {
        return Vec::new();
    }
    let layout = |columns: u32| {
        let rows = n.div_ceil(columns);
        let (cell_w, cell_h) = (width / columns, height / rows);
        let tiles: Vec<Tile> = frames
            .iter()
            .enumerate()
            .map(|(i, &frame)| {
                let i = i as u32;
                let cell = Rect {
                    x: (i % columns) * cell_w,
                    y: (i / columns) * cell_h,
                    width: cell_w,
                    height: cell_h,
                };
                Tile {
                    cell,
                    picture: fit(frame, cell),
                }
            })
            .collect();
        tiles
    };
    (1..=n)
        .map(layout)
        .max_by_key(|tiles| tiles.iter().map(|t| t.picture.area()).min().unwrap_or(0))
        .unwrap_or_default()
}

/// The largest rectangle of the frame's aspect inside `cell` less the gap, centred.
fn fit((frame_w, frame_h): (u32, u32), cell: Rect) -> Rect {
    let (room_w, room_h) = (cell.width.saturating_sub(GAP * 2), cell.height.saturating_sub(GAP * 2));
    if frame_w == 0 || frame_h == 0 || room_w == 0 || room_h == 0 {
        return Rect {
            x: cell.x,
            y: cell.y,
            width: 0,
            height: 0,
        };
    }
    let scale = (f64::from(room_w) / f64::from(frame_w)).min(f64::from(room_h) / f64::from(frame_h));
    let width = ((f64::from(frame_w) * scale).round() as u32).clamp(1, room_w);
    let height = ((f64::from(frame_h) * scale).round() as u32).clamp(1, room_h);
    Rect {
        x: cell.x + GAP + (room_w - width) / 2,
        y: cell.y + GAP + (room_h - height) / 2,
        width,
        height,
    }
}
