//! A camera frame as a tile's pixels: brought to 8 bits (Bayer mosaics as 2 x 2 superpixels, 16-bit samples
//! scaled by the bits the camera uses), downsampled to the tile's size, then laid out for the X server.

use axvs_core::PixelFormat;
use fast_image_resize as fr;

/// One camera's picture, kept between frames so that nothing is allocated in steady state.
pub struct Picture {
    resizer: fr::Resizer,
    converted: Vec<u8>,
    scaled: Vec<u8>,
    /// Significant bits of the 16-bit samples seen so far (8 to 16): they are shown scaled to 8.
    bits: u32,
    pixels: Vec<u8>,
    width: u32,
    height: u32,
}

impl Default for Picture {
    fn default() -> Self {
        Picture {
            resizer: fr::Resizer::new(),
            converted: Vec::new(),
            scaled: Vec::new(),
            bits: 8,
            pixels: Vec::new(),
            width: 0,
            height: 0,
        }
    }
}

/// The channel order of an 8-bit picture before it is laid out.
#[derive(Clone, Copy)]
enum Layout {
    Gray,
    Bgr,
    Rgb,
}

impl Picture {
    /// The last picture rendered: `width() * height()` pixels, 4 bytes each (blue, green, red, pad).
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// Its width.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Its height.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Renders `frame` (`width` x `height` in `format`) at `to_width` x `to_height`. A frame of the wrong
    /// size (or an empty tile) leaves the picture as it was and returns false.
    pub fn render(
        &mut self,
        frame: &[u8],
        format: PixelFormat,
        (width, height): (u32, u32),
        (to_width, to_height): (u32, u32),
    ) -> bool {
        if frame.len() != format.frame_size(width, height) || to_width == 0 || to_height == 0 || width < 2 || height < 2
        {
            return false;
        }
        let (source, size, layout): (&[u8], (u32, u32), Layout) = match format {
            PixelFormat::Mono8 => (frame, (width, height), Layout::Gray),
            PixelFormat::Bgr8 => (frame, (width, height), Layout::Bgr),
            PixelFormat::Rgb8 => (frame, (width, height), Layout::Rgb),
            PixelFormat::Mono16 => {
                self.bits = to_8_bits(frame, self.bits, &mut self.converted);
                (&self.converted, (width, height), Layout::Gray)
            }
            PixelFormat::BayerRg8 | PixelFormat::BayerGb8 | PixelFormat::BayerGr8 | PixelFormat::BayerBg8 => {
                superpixels(frame, width as usize, height as usize, format, &mut self.converted);
                (&self.converted, (width / 2, height / 2), Layout::Bgr)
            }
        };
        let channels = match layout {
            Layout::Gray => 1,
            Layout::Bgr | Layout::Rgb => 3,
        };
        self.scaled.resize(to_width as usize * to_height as usize * channels, 0);
        // Typed resizes: only the two pixel types a tile uses are compiled, not every type the crate knows
        // (resizing by a run-time pixel type built all of them, minutes of the view's compile time).
        let resized = if channels == 1 {
            resize::<fr::pixels::U8>(&mut self.resizer, source, size, &mut self.scaled, (to_width, to_height))
        } else {
            resize::<fr::pixels::U8x3>(&mut self.resizer, source, size, &mut self.scaled, (to_width, to_height))
        };
        if !resized {
            return false;
        }
        self.pixels.clear();
        match layout {
            Layout::Gray => self.pixels.extend(self.scaled.iter().flat_map(|&v| [v, v, v, 0])),
            Layout::Bgr => self
                .pixels
                .extend(self.scaled.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 0])),
            Layout::Rgb => self
                .pixels
                .extend(self.scaled.chunks_exact(3).flat_map(|p| [p[2], p[1], p[0], 0])),
        }
        self.width = to_width;
        self.height = to_height;
        true
    }
}

/// Resizes the `from`-sized picture `source` into `to`'s `scaled`, bilinearly; false if a buffer has the wrong
/// size.
fn resize<P: fr::PixelTrait>(
    resizer: &mut fr::Resizer,
    source: &[u8],
    from: (u32, u32),
    scaled: &mut [u8],
    to: (u32, u32),
) -> bool {
    let Ok(src) = fr::images::TypedImageRef::<P>::from_buffer(from.0, from.1, source) else {
        return false;
    };
    let Ok(mut dst) = fr::images::TypedImage::<P>::from_buffer(to.0, to.1, scaled) else {
        return false;
    };
    let options = fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Bilinear));
    resizer.resize_typed(&src, &mut dst, &options).is_ok()
}

/// 16-bit little-endian samples to 8 bits, shifted by the significant bits seen so far (`bits`, raised to
/// this frame's if it uses more): a 12-bit camera shows its full range, not a sixteenth of it. Returns the
/// new bit count.
fn to_8_bits(frame: &[u8], bits: u32, out: &mut Vec<u8>) -> u32 {
    let max = frame
        .chunks_exact(2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .max()
        .unwrap_or(0);
    let bits = bits.max(16 - max.leading_zeros()).clamp(8, 16);
    let shift = bits - 8;
    out.clear();
    out.extend(
        frame
            .chunks_exact(2)
            .map(|s| (u16::from_le_bytes([s[0], s[1]]) >> shift) as u8),
    );
    bits
}

/// A Bayer mosaic as one blue-green-red pixel per 2 x 2 cell (half the size each way): demosaicing without
/// interpolation, which the downsampling that follows makes up for.
fn superpixels(frame: &[u8], width: usize, height: usize, format: PixelFormat, out: &mut Vec<u8>) {
    // Offsets (row, column) of red and blue inside each cell (the other two are green).
    let (rx, ry) = format.bayer_red().unwrap_or((0, 0));
    let (red, blue) = ((ry, rx), (1 - ry, 1 - rx));
    // Red on the diagonal puts green on the other one.
    let (g1, g2) = if red.0 == red.1 {
        ((0, 1), (1, 0))
    } else {
        ((0, 0), (1, 1))
    };
    out.clear();
    let at = |y: usize, x: usize, (dy, dx): (usize, usize)| frame[(y + dy) * width + x + dx];
    for y in (0..height - height % 2).step_by(2) {
        for x in (0..width - width % 2).step_by(2) {
            let green = ((u16::from(at(y, x, g1)) + u16::from(at(y, x, g2))) / 2) as u8;
            out.extend_from_slice(&[at(y, x, blue), green, at(y, x, red)]);
        }
    }
}
