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
}

impl GenicamPixelFormat {
    const ALL: [GenicamPixelFormat; 10] = [
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
        }
    }

    /// The axvs frame format it is delivered as. Mono10/12 are scaled to the full 16-bit range (shifted
    /// left), so every mono16 frame uses 0..65535 whatever the sensor depth.
    pub fn frame_format(self) -> PixelFormat {
        match self {
            GenicamPixelFormat::Mono8 => PixelFormat::Mono8,
            GenicamPixelFormat::Mono10 | GenicamPixelFormat::Mono12 | GenicamPixelFormat::Mono16 => PixelFormat::Mono16,
            GenicamPixelFormat::BayerRG8 => PixelFormat::BayerRg8,
            GenicamPixelFormat::BayerGB8 => PixelFormat::BayerGb8,
            GenicamPixelFormat::BayerGR8 => PixelFormat::BayerGr8,
            GenicamPixelFormat::BayerBG8 => PixelFormat::BayerBg8,
            GenicamPixelFormat::RGB8 => PixelFormat::Rgb8,
            GenicamPixelFormat::BGR8 => PixelFormat::Bgr8,
        }
    }

    /// Bits by which samples are shifted left to fill 16 bits (0 for 8-bit formats and Mono16).
    pub(crate) fn shift(self) -> u32 {
        match self {
            GenicamPixelFormat::Mono10 => 6,
            GenicamPixelFormat::Mono12 => 4,
            _ => 0,
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
