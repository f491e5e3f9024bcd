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

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x: u32, y: u32, width: u32, height: u32) -> Rect {
        Rect { x, y, width, height }
    }

    #[test]
    fn fills_blits_and_shades_stay_inside_the_canvas() {
        let mut canvas = Canvas::new(10, 6);
        canvas.fill(rect(8, 4, 100, 100), Colour::SAVING);
        assert_eq!(canvas.at(9, 5), Colour::SAVING);
        assert_eq!(canvas.at(7, 5), Colour::BLACK);
        canvas.blit(rect(0, 0, 2, 1), &[1, 2, 3, 0, 4, 5, 6, 0]);
        assert_eq!(
            (canvas.at(0, 0), canvas.at(1, 0)),
            (Colour::rgb(3, 2, 1), Colour::rgb(6, 5, 4))
        );
        canvas.blit(rect(0, 0, 2, 2), &[9; 8]);
        assert_eq!(canvas.at(0, 0), Colour::rgb(3, 2, 1), "too few pixels: nothing drawn");
        canvas.shade(rect(8, 0, 5, 10));
        assert_eq!(canvas.at(9, 5), Colour::rgb(230 >> 2, 40 >> 2, 40 >> 2));
        let mut out = Vec::new();
        canvas.rows(rect(8, 4, 5, 5), 0..6, &mut out);
        assert_eq!(out.len(), 2 * 2 * 4, "two rows of two pixels");
    }

    #[test]
    fn text_draws_the_font_glyphs_and_advances() {
        let mut canvas = Canvas::new(40, 20);
        let end = canvas.text(1, 1, "I\u{1F600}", 2, Colour::TEXT);
        assert_eq!(end, 1 + 2 * 16);
        assert_eq!(text_width("I\u{1F600}", 2), 32);
        // font8x8's 'I' has its first row 0x1E: pixels 1 to 4 lit, drawn 2 x 2 each.
        let lit: Vec<bool> = (0..16).map(|x| canvas.at(1 + x, 1) == Colour::TEXT).collect();
        assert_eq!(
            lit,
            [false, false, true, true, true, true, true, true, true, true, false, false, false, false, false, false]
        );
        assert!(
            (17..33).any(|x| canvas.at(x, 4) == Colour::TEXT),
            "an unknown character shows as '?'"
        );
        canvas.text(38, 18, "W", 3, Colour::TEXT);
    }
}
