//! A window's pixels in the X server's 32-bit layout (blue, green, red, pad), with rectangles and text.

use font8x8::UnicodeFonts;

use super::layout::Rect;

/// A colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
}

impl Colour {
    /// Black.
    pub const BLACK: Colour = Colour::rgb(0, 0, 0);
    /// Light text.
    pub const TEXT: Colour = Colour::rgb(235, 235, 235);
    /// The saving mark.
    pub const SAVING: Colour = Colour::rgb(230, 40, 40);
    /// The not-saving mark.
    pub const IDLE: Colour = Colour::rgb(150, 150, 150);
    /// Losses.
    pub const WARN: Colour = Colour::rgb(255, 190, 40);
    /// The status line's background.
    pub const BAR: Colour = Colour::rgb(32, 32, 40);

    /// A colour from its red, green and blue.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Colour {
        Colour { r, g, b }
    }
}

/// Width in pixels of `text` drawn at `scale`.
pub fn text_width(text: &str, scale: u32) -> u32 {
    text.chars().count() as u32 * 8 * scale
}

/// Pixels, 4 bytes each, row after row.
#[derive(Debug, Default)]
pub struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Canvas {
    /// A black canvas.
    pub fn new(width: u32, height: u32) -> Canvas {
        Canvas {
            width,
            height,
            pixels: vec![0; width as usize * height as usize * 4],
        }
    }

    /// Width.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The part of `rect` inside the canvas.
    pub fn clip(&self, rect: Rect) -> Rect {
        let x = rect.x.min(self.width);
        let y = rect.y.min(self.height);
        Rect {
            x,
            y,
            width: rect.width.min(self.width - x),
            height: rect.height.min(self.height - y),
        }
    }

    /// Paints `rect` in `colour`.
    pub fn fill(&mut self, rect: Rect, colour: Colour) {
        let rect = self.clip(rect);
        let pixel = [colour.b, colour.g, colour.r, 0];
        for y in rect.y..rect.y + rect.height {
            let start = (y as usize * self.width as usize + rect.x as usize) * 4;
            for px in self.pixels[start..start + rect.width as usize * 4].chunks_exact_mut(4) {
                px.copy_from_slice(&pixel);
            }
        }
    }

    /// Darkens `rect` to a quarter of its brightness, so that text over a picture reads on any scene.
    pub fn shade(&mut self, rect: Rect) {
        let rect = self.clip(rect);
        for y in rect.y..rect.y + rect.height {
            let start = (y as usize * self.width as usize + rect.x as usize) * 4;
            for v in &mut self.pixels[start..start + rect.width as usize * 4] {
                *v >>= 2;
            }
        }
    }

    /// Copies `pixels` (`rect.width` x `rect.height`, 4 bytes each) into `rect`.
    pub fn blit(&mut self, rect: Rect, pixels: &[u8]) {
        let clipped = self.clip(rect);
        let row = rect.width as usize * 4;
        if pixels.len() < row * rect.height as usize {
            return;
        }
        for y in 0..clipped.height as usize {
            let src = &pixels[y * row..y * row + clipped.width as usize * 4];
            let start = ((clipped.y as usize + y) * self.width as usize + clipped.x as usize) * 4;
            self.pixels[start..start + src.len()].copy_from_slice(src);
        }
    }

    /// Draws `text` with its top-left corner at (`x`, `y`), 8 x 8 glyphs scaled by `scale`; characters the
    /// font lacks show as `?`. Returns the x just after the text.
    pub fn text(&mut self, x: u32, y: u32, text: &str, scale: u32, colour: Colour) -> u32 {
        let pixel = [colour.b, colour.g, colour.r, 0];
        let mut left = x;
        for c in text.chars() {
            let glyph = font8x8::BASIC_FONTS
                .get(c)
                .or_else(|| font8x8::BASIC_FONTS.get('?'))
                .unwrap_or([0; 8]);
            for (gy, bits) in glyph.iter().enumerate() {
                for gx in 0..8 {
                    if bits >> gx & 1 == 0 {
                        continue;
                    }
                    for sy in 0..scale {
                        let py = y + gy as u32 * scale + sy;
                        for sx in 0..scale {
                            let px = left + gx * scale + sx;
                            if px < self.width && py < self.height {
                                let at = (py as usize * self.width as usize + px as usize) * 4;
                                self.pixels[at..at + 4].copy_from_slice(&pixel);
                            }
                        }
                    }
                }
            }
            left += 8 * scale;
        }
        left
    }

    /// The pixels of rows `rows` of `rect` (clipped), row after row, for sending to the X server.
    pub fn rows(&self, rect: Rect, rows: std::ops::Range<u32>, out: &mut Vec<u8>) {
        let rect = self.clip(rect);
        out.clear();
        for y in rows.start.max(rect.y)..rows.end.min(rect.y + rect.height) {
            let start = (y as usize * self.width as usize + rect.x as usize) * 4;
            out.extend_from_slice(&self.pixels[start..start + rect.width as usize * 4]);
        }
    }

    /// The colour at (`x`, `y`).
    pub fn at(&self, x: u32, y: u32) -> Colour {
        let at = (y as usize * self.width as usize + x as usize) * 4;
        Colour::rgb(self.pixels[at + 2], self.pixels[at + 1], self.pixels[at])
    }
}
