//! The GenICam pixel formats axvs records, and how each maps onto axvs' frame formats.

use std::fmt;
use std::str::FromStr;

use axvs_core::PixelFormat;

/// A camera-side pixel format (SFNC name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GenicamPixelFormat {
    /// 8-bit mono.
    Mono8,
    /// 10-bit mono in 16-bit containers.
    Mono10,
    /// 12-bit mono in 16-bit containers.
    Mono12,
    /// 16-bit mono.
    Mono16,
    /// 8-bit Bayer RGGB.
    BayerRG8,
    /// 8-bit Bayer GBRG.
    BayerGB8,
    /// 8-bit Bayer GRBG.
    BayerGR8,
    /// 8-bit Bayer BGGR.
    BayerBG8,
    /// 8-bit RGB.
    RGB8,
    /// 8-bit BGR.
    BGR8,
    /// 8-bit RGB with an alpha byte (recorded as RGB).
    RGBa8,
    /// 8-bit BGR with an alpha byte (recorded as BGR).
    BGRa8,
}

impl GenicamPixelFormat {
    /// Every format, in documentation order.
    pub const ALL: [GenicamPixelFormat; 12] = [
        GenicamPixelFormat::Mono8,
        GenicamPixelFormat::Mono10,
        GenicamPixelFormat::Mono12,
        GenicamPixelFormat::Mono16,
        GenicamPixelFormat::BayerRG8,
        GenicamPixelFormat::BayerGB8,
        GenicamPixelFormat::BayerGR8,
        GenicamPixelFormat::BayerBG8,
        GenicamPixelFormat::RGB8,
        GenicamPixelFormat::BGR8,
        GenicamPixelFormat::RGBa8,
        GenicamPixelFormat::BGRa8,
    ];

    /// The SFNC name, as the camera's `PixelFormat` node spells it.
    pub fn name(self) -> &'static str {
        match self {
            GenicamPixelFormat::Mono8 => "Mono8",
            GenicamPixelFormat::Mono10 => "Mono10",
            GenicamPixelFormat::Mono12 => "Mono12",
            GenicamPixelFormat::Mono16 => "Mono16",
            GenicamPixelFormat::BayerRG8 => "BayerRG8",
            GenicamPixelFormat::BayerGB8 => "BayerGB8",
            GenicamPixelFormat::BayerGR8 => "BayerGR8",
            GenicamPixelFormat::BayerBG8 => "BayerBG8",
            GenicamPixelFormat::RGB8 => "RGB8",
            GenicamPixelFormat::BGR8 => "BGR8",
            GenicamPixelFormat::RGBa8 => "RGBa8",
            GenicamPixelFormat::BGRa8 => "BGRa8",
        }
    }

    /// The axvs frame format it is delivered as. Mono10/12 are scaled to the full 16-bit range by bit
    /// replication (4095 becomes 65535), so every mono16 frame uses 0..65535 whatever the sensor depth.
    pub fn frame_format(self) -> PixelFormat {
        match self {
            GenicamPixelFormat::Mono8 => PixelFormat::Mono8,
            GenicamPixelFormat::Mono10 | GenicamPixelFormat::Mono12 | GenicamPixelFormat::Mono16 => PixelFormat::Mono16,
            GenicamPixelFormat::BayerRG8 => PixelFormat::BayerRg8,
            GenicamPixelFormat::BayerGB8 => PixelFormat::BayerGb8,
            GenicamPixelFormat::BayerGR8 => PixelFormat::BayerGr8,
            GenicamPixelFormat::BayerBG8 => PixelFormat::BayerBg8,
            GenicamPixelFormat::RGB8 | GenicamPixelFormat::RGBa8 => PixelFormat::Rgb8,
            GenicamPixelFormat::BGR8 | GenicamPixelFormat::BGRa8 => PixelFormat::Bgr8,
        }
    }

    /// Bytes of one pixel in the camera's payload (4 for RGBa8, 2 for Mono10/12/16, ...).
    pub fn payload_bytes_per_pixel(self) -> usize {
        match self {
            GenicamPixelFormat::RGBa8 | GenicamPixelFormat::BGRa8 => 4,
            other => other.frame_format().bytes_per_pixel(),
        }
    }

    /// Bits per sample of a mono format that is delivered widened to 16 bits (Mono10, Mono12); `None` for
    /// formats copied as they are.
    fn narrow_mono_bits(self) -> Option<u32> {
        match self {
            GenicamPixelFormat::Mono10 => Some(10),
            GenicamPixelFormat::Mono12 => Some(12),
            _ => None,
        }
    }

    /// Copies one image from the camera's payload into an axvs frame buffer: as it is; for Mono10/12
    /// (little-endian, one sample in 16 bits) scaled to the full 16-bit range by bit replication, so the
    /// sensor's black and white are 0 and 65535; for RGBa8/BGRa8 without the alpha bytes. The payload
    /// must hold the whole image (`out` is the frame buffer); a short payload fills what it has.
    pub fn copy_samples(self, payload: &[u8], out: &mut [u8]) {
        if matches!(self, GenicamPixelFormat::RGBa8 | GenicamPixelFormat::BGRa8) {
            for (dst, src) in out.chunks_exact_mut(3).zip(payload.chunks_exact(4)) {
                dst.copy_from_slice(&src[..3]);
            }
            return;
        }
        match self.narrow_mono_bits() {
            None => {
                let n = out.len().min(payload.len());
                out[..n].copy_from_slice(&payload[..n]);
            }
            Some(bits) => {
                for (dst, src) in out.chunks_exact_mut(2).zip(payload.chunks_exact(2)) {
                    let v = u16::from_le_bytes([src[0], src[1]]);
                    let wide = (v << (16 - bits)) | (v >> (2 * bits - 16));
                    dst.copy_from_slice(&wide.to_le_bytes());
                }
            }
        }
    }
}

impl fmt::Display for GenicamPixelFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for GenicamPixelFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        GenicamPixelFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = GenicamPixelFormat::ALL.iter().map(|f| f.name()).collect();
                format!("pixel format '{s}' is not supported (supported: {})", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widened(format: GenicamPixelFormat, samples: &[u16]) -> Vec<u16> {
        let payload: Vec<u8> = samples.iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut out = vec![0u8; payload.len()];
        format.copy_samples(&payload, &mut out);
        out.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect()
    }

    #[test]
    fn mono10_and_mono12_fill_the_16_bit_range() {
        assert_eq!(
            widened(GenicamPixelFormat::Mono12, &[0, 1, 2048, 4095]),
            [0, 16, 32776, 65535]
        );
        assert_eq!(
            widened(GenicamPixelFormat::Mono10, &[0, 1, 512, 1023]),
            [0, 64, 32800, 65535]
        );
        // Scaling keeps order: every sample maps above the one below it.
        let all: Vec<u16> = (0..4096).collect();
        assert!(widened(GenicamPixelFormat::Mono12, &all)
            .windows(2)
            .all(|w| w[0] < w[1]));
    }

    #[test]
    fn other_formats_are_copied_as_they_are() {
        assert_eq!(
            widened(GenicamPixelFormat::Mono16, &[0, 1, 4095, 65535]),
            [0, 1, 4095, 65535]
        );
        let payload = [1u8, 2, 3, 4, 5, 6, 7];
        let mut out = [0u8; 6];
        GenicamPixelFormat::RGB8.copy_samples(&payload, &mut out);
        assert_eq!(out, [1, 2, 3, 4, 5, 6], "the payload's first bytes, padding left out");
        let mut out = [0u8; 6];
        GenicamPixelFormat::RGBa8.copy_samples(&[1, 2, 3, 255, 4, 5, 6, 255], &mut out);
        assert_eq!(out, [1, 2, 3, 4, 5, 6], "alpha left out");
        assert_eq!(GenicamPixelFormat::BGRa8.frame_format(), PixelFormat::Bgr8);
        let bytes: Vec<usize> = GenicamPixelFormat::ALL
            .iter()
            .map(|f| f.payload_bytes_per_pixel())
            .collect();
        assert_eq!(bytes, [1, 2, 2, 2, 1, 1, 1, 1, 3, 3, 4, 4]);
        assert_eq!("rgba8".parse::<GenicamPixelFormat>(), Ok(GenicamPixelFormat::RGBa8));
    }
}
