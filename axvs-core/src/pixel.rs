//! Pixel formats of camera frames.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Layout of the pixels in a camera frame buffer (tightly packed rows, no padding).
///
/// ```
/// use axvs_core::PixelFormat;
/// let f: PixelFormat = "mono8".parse().unwrap();
/// assert_eq!(f.frame_size(640, 480), 640 * 480);
/// assert_eq!(PixelFormat::Bgr8.frame_size(2, 2), 12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum PixelFormat {
    /// 8-bit luminance.
    Mono8,
    /// 16-bit little-endian luminance over the full range: 0 is black and 65535 white for every backend.
    /// A camera whose sensor has fewer bits (10, 12, 14) scales its samples up (GenICam's Mono10 and Mono12
    /// are, by bit replication), so that its frames look the same, and encode to 8 bits the same (their top
    /// 8 bits), whichever backend or plugin delivered them.
    Mono16,
    /// 8-bit blue, green, red (OpenCV's native colour layout).
    Bgr8,
    /// 8-bit red, green, blue.
    Rgb8,
    /// 8-bit Bayer mosaic, RGGB.
    #[serde(rename = "bayer_rg8")]
    BayerRg8,
    /// 8-bit Bayer mosaic, GBRG.
    #[serde(rename = "bayer_gb8")]
    BayerGb8,
    /// 8-bit Bayer mosaic, GRBG.
    #[serde(rename = "bayer_gr8")]
    BayerGr8,
    /// 8-bit Bayer mosaic, BGGR.
    #[serde(rename = "bayer_bg8")]
    BayerBg8,
}

impl PixelFormat {
    /// Every format, in documentation order.
    pub const ALL: [PixelFormat; 8] = [
        PixelFormat::Mono8,
        PixelFormat::Mono16,
        PixelFormat::Bgr8,
        PixelFormat::Rgb8,
        PixelFormat::BayerRg8,
        PixelFormat::BayerGb8,
        PixelFormat::BayerGr8,
        PixelFormat::BayerBg8,
    ];

    /// The name used in rig files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            PixelFormat::Mono8 => "mono8",
            PixelFormat::Mono16 => "mono16",
            PixelFormat::Bgr8 => "bgr8",
            PixelFormat::Rgb8 => "rgb8",
            PixelFormat::BayerRg8 => "bayer_rg8",
            PixelFormat::BayerGb8 => "bayer_gb8",
            PixelFormat::BayerGr8 => "bayer_gr8",
            PixelFormat::BayerBg8 => "bayer_bg8",
        }
    }

    /// Bytes one pixel takes in the buffer.
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Mono8
            | PixelFormat::BayerRg8
            | PixelFormat::BayerGb8
            | PixelFormat::BayerGr8
            | PixelFormat::BayerBg8 => 1,
            PixelFormat::Mono16 => 2,
            PixelFormat::Bgr8 | PixelFormat::Rgb8 => 3,
        }
    }

    /// Bytes of one `width` × `height` frame.
    pub fn frame_size(self, width: u32, height: u32) -> usize {
        width as usize * height as usize * self.bytes_per_pixel()
    }

    /// True for single-channel luminance formats.
    pub fn is_mono(self) -> bool {
        matches!(self, PixelFormat::Mono8 | PixelFormat::Mono16)
    }

    /// True for Bayer mosaics (one colour sample per pixel, demosaiced before colour encoding).
    pub fn is_bayer(self) -> bool {
        self.bayer_red().is_some()
    }

    /// Where red sits in each 2 x 2 cell of a Bayer mosaic, as (x, y); blue sits opposite, green on the
    /// other diagonal. `None` for formats that are not mosaics.
    ///
    /// ```
    /// use axvs_core::PixelFormat;
    /// assert_eq!(PixelFormat::BayerGr8.bayer_red(), Some((1, 0)));
    /// assert_eq!(PixelFormat::Mono8.bayer_red(), None);
    /// ```
    pub fn bayer_red(self) -> Option<(usize, usize)> {
        match self {
            PixelFormat::BayerRg8 => Some((0, 0)),
            PixelFormat::BayerBg8 => Some((1, 1)),
            PixelFormat::BayerGr8 => Some((1, 0)),
            PixelFormat::BayerGb8 => Some((0, 1)),
            _ => None,
        }
    }
}

impl fmt::Display for PixelFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A pixel format name that axvs does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown pixel format '{0}' (allowed: mono8, mono16, bgr8, rgb8, bayer_rg8, bayer_gb8, bayer_gr8, bayer_bg8)")]
pub struct UnknownPixelFormat(pub String);

impl TryFrom<String> for PixelFormat {
    type Error = UnknownPixelFormat;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl FromStr for PixelFormat {
    type Err = UnknownPixelFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        PixelFormat::ALL
            .into_iter()
            .find(|f| f.name() == lower)
            .ok_or_else(|| UnknownPixelFormat(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_has_its_size_name_and_kind() {
        let table = [
            (PixelFormat::Mono8, "mono8", 1, true, false),
            (PixelFormat::Mono16, "mono16", 2, true, false),
            (PixelFormat::Bgr8, "bgr8", 3, false, false),
            (PixelFormat::Rgb8, "rgb8", 3, false, false),
            (PixelFormat::BayerRg8, "bayer_rg8", 1, false, true),
            (PixelFormat::BayerGb8, "bayer_gb8", 1, false, true),
            (PixelFormat::BayerGr8, "bayer_gr8", 1, false, true),
            (PixelFormat::BayerBg8, "bayer_bg8", 1, false, true),
        ];
        assert_eq!(table.map(|t| t.0), PixelFormat::ALL);
        for (format, name, bytes, mono, bayer) in table {
            assert_eq!(format.name(), name);
            assert_eq!(format.to_string(), name);
            assert_eq!(name.parse::<PixelFormat>(), Ok(format));
            assert_eq!(
                name.to_ascii_uppercase().parse::<PixelFormat>(),
                Ok(format),
                "names ignore case"
            );
            assert_eq!(format.bytes_per_pixel(), bytes, "{name}");
            assert_eq!(format.frame_size(640, 3), 640 * 3 * bytes, "{name}");
            assert_eq!((format.is_mono(), format.is_bayer()), (mono, bayer), "{name}");
        }
        // Sizes beyond u32 do not overflow.
        assert_eq!(PixelFormat::Mono16.frame_size(u32::MAX, 2), u32::MAX as usize * 4);
    }

    #[test]
    fn unknown_names_are_refused_with_the_allowed_ones() {
        let err = "yuv422".parse::<PixelFormat>().expect_err("unknown");
        assert_eq!(err, UnknownPixelFormat("yuv422".into()));
        assert!(err.to_string().contains("'yuv422'") && err.to_string().contains("bayer_bg8"));
    }
}
