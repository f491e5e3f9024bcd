//! Typed encoder settings, validated once where they enter (rig file, CLI, MCP) and trusted afterwards.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{EncodeError, SegmentLimit};

/// Video codec family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum Codec {
    /// H.264 / AVC: libx264 on CPU, h264_nvenc on GPU.
    H264,
    /// H.265 / HEVC: libx265 on CPU, hevc_nvenc on GPU.
    H265,
    /// AV1: libsvtav1 on CPU, av1_nvenc on GPU. axvs passes the QP (1–51 on the CPU) as given, on AV1's own
    /// 0–63 scale.
    Av1,
    /// FFV1, lossless (QP and preset do not apply). CPU only; written to Matroska.
    Ffv1,
}

impl Codec {
    /// The name used in rig files.
    pub fn name(self) -> &'static str {
        match self {
            Codec::H264 => "h264",
            Codec::H265 => "h265",
            Codec::Av1 => "av1",
            Codec::Ffv1 => "ffv1",
        }
    }

    /// The FFmpeg encoder for this codec on the CPU or on an NVIDIA GPU.
    pub fn encoder_name(self, gpu: bool) -> Option<&'static str> {
        Some(match (self, gpu) {
            (Codec::H264, false) => "libx264",
            (Codec::H264, true) => "h264_nvenc",
            (Codec::H265, false) => "libx265",
            (Codec::H265, true) => "hevc_nvenc",
            (Codec::Av1, false) => "libsvtav1",
            (Codec::Av1, true) => "av1_nvenc",
            (Codec::Ffv1, false) => "ffv1",
            (Codec::Ffv1, true) => return None,
        })
    }
}

// Through `FromStr` for the same names and messages everywhere, and so that a table given where a name
// belongs reads "expected a string", not serde's enum wording.
impl TryFrom<String> for Codec {
    type Error = EncodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl FromStr for Codec {
    type Err = EncodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "h264" | "avc" => Ok(Codec::H264),
            "h265" | "hevc" => Ok(Codec::H265),
            "av1" => Ok(Codec::Av1),
            "ffv1" => Ok(Codec::Ffv1),
            _ => Err(EncodeError::invalid("codec", s, "h264, h265, av1, ffv1")),
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Speed preset. The original's seven are numbered 1 (fastest) to 7 (slowest, smallest files): CPU
/// `veryfast` … `veryslow`, NVENC `p1` … `p7`. Rigs that need rate over size can name two faster x264/x265
/// presets, `superfast` and `ultrafast` (NVENC runs them as `p1`, its fastest).
///
/// ```
/// use axvs_encode::Preset;
/// assert_eq!("ultrafast".parse::<Preset>()?.cpu_name(), "ultrafast");
/// assert_eq!(Preset::new(1)?, Preset::Veryfast);
/// assert_eq!("3".parse::<Preset>()?.to_string(), "3");
/// # Ok::<(), axvs_encode::EncodeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Preset {
    /// x264/x265 `ultrafast`: no lookahead, no B-frames; the fastest and the largest files.
    Ultrafast,
    /// x264/x265 `superfast`.
    Superfast,
    /// 1: `veryfast` / `p1`, the original's fastest.
    Veryfast,
    /// 2: `faster` / `p2`.
    Faster,
    /// 3: `fast` / `p3`.
    Fast,
    /// 4: `medium` / `p4`.
    Medium,
    /// 5: `slow` / `p5`, the original's default.
    Slow,
    /// 6: `slower` / `p6`.
    Slower,
    /// 7: `veryslow` / `p7`.
    Veryslow,
}

impl Preset {
    /// The original's default for `VideoSystem` (5, "slow").
    pub const SLOW: Preset = Preset::Slow;
    /// The original's fastest: 1, `veryfast` / `p1`.
    pub const FASTEST: Preset = Preset::Veryfast;
    /// Every preset, fastest first.
    pub const ALL: [Preset; 9] = [
        Preset::Ultrafast,
        Preset::Superfast,
        Preset::Veryfast,
        Preset::Faster,
        Preset::Fast,
        Preset::Medium,
        Preset::Slow,
        Preset::Slower,
        Preset::Veryslow,
    ];

    /// One of the original's presets, 1 to 7.
    pub fn new(value: i64) -> Result<Self, EncodeError> {
        match value {
            1..=7 => Ok(Preset::ALL[value as usize + 1]),
            _ => Err(Self::refused(value)),
        }
    }

    fn refused(value: impl fmt::Display) -> EncodeError {
        EncodeError::invalid(
            "preset",
            value,
            "1 (fastest) to 7 (slowest), or a name: ultrafast, superfast, veryfast, faster, fast, medium, slow, \
             slower, veryslow",
        )
    }

    /// The original's number, 1–7; `None` for the two faster presets it does not have.
    pub fn number(self) -> Option<u8> {
        (self as u8).checked_sub(1).filter(|n| *n >= 1)
    }

    /// x264/x265 preset name.
    pub fn cpu_name(self) -> &'static str {
        [
            "ultrafast",
            "superfast",
            "veryfast",
            "faster",
            "fast",
            "medium",
            "slow",
            "slower",
            "veryslow",
        ][self as usize]
    }

    /// NVENC preset name (`p1` for the presets faster than 1).
    pub fn nvenc_name(self) -> String {
        format!("p{}", self.number().unwrap_or(1))
    }

    /// SVT-AV1 preset number (13 fastest … 0 slowest).
    pub fn svtav1_preset(self) -> u8 {
        [13, 13, 12, 10, 8, 7, 5, 3, 1][self as usize]
    }
}

impl FromStr for Preset {
    type Err = EncodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Ok(n) = s.parse::<i64>() {
            return Preset::new(n);
        }
        let lower = s.to_ascii_lowercase();
        Preset::ALL
            .into_iter()
            .find(|p| p.cpu_name() == lower)
            .ok_or_else(|| Self::refused(s))
    }
}

/// The original's number for 1–7, the name for the faster two: as rigs write them.
impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.number() {
            Some(n) => write!(f, "{n}"),
            None => f.write_str(self.cpu_name()),
        }
    }
}

impl Serialize for Preset {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.number() {
            Some(n) => serializer.serialize_u8(n),
            None => serializer.serialize_str(self.cpu_name()),
        }
    }
}

impl<'de> Deserialize<'de> for Preset {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged, expecting = "a preset number 1 to 7 or a preset name (e.g. \"superfast\")")]
        enum Given {
            Number(i64),
            Name(String),
        }
        match Given::deserialize(deserializer)? {
            Given::Number(n) => Preset::new(n),
            Given::Name(name) => name.parse(),
        }
        .map_err(serde::de::Error::custom)
    }
}

/// Constant quantization parameter, 0 (best) … 51 (worst).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Qp(u8);

impl Qp {
    /// Highest allowed value (the original's `MAXIMUM_QUANTIZATION_VALUE`).
    pub const MAX: u8 = 51;

    /// A QP from 0 to 51.
    pub fn new(value: i64) -> Result<Self, EncodeError> {
        match value {
            0..=51 => Ok(Qp(value as u8)),
            _ => Err(EncodeError::invalid("qp", value, "0 (best) to 51 (worst)")),
        }
    }

    /// The number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Qp {
    type Error = EncodeError;
    fn try_from(v: i64) -> Result<Self, Self::Error> {
        Qp::new(v)
    }
}

impl From<Qp> for i64 {
    fn from(q: Qp) -> i64 {
        q.0 as i64
    }
}

/// Pixel format of the encoded video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum OutputPixelFormat {
    /// 4:2:0 chroma subsampling.
    Yuv420p,
    /// Full chroma.
    Yuv444p,
    /// Luma only (4:0:0): the natural format for mono cameras (x264, x265, FFV1).
    Gray,
    /// 16-bit luma, lossless with FFV1: keeps Mono10/12/16 cameras at full depth.
    Gray16,
}

impl OutputPixelFormat {
    /// The FFmpeg name.
    pub fn name(self) -> &'static str {
        match self {
            OutputPixelFormat::Yuv420p => "yuv420p",
            OutputPixelFormat::Yuv444p => "yuv444p",
            OutputPixelFormat::Gray => "gray",
            OutputPixelFormat::Gray16 => "gray16",
        }
    }
}

// Through `FromStr` for the same names and messages everywhere, and so that a table given where a name
// belongs reads "expected a string", not serde's enum wording.
impl TryFrom<String> for OutputPixelFormat {
    type Error = EncodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl FromStr for OutputPixelFormat {
    type Err = EncodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "yuv420p" | "yuv420" => Ok(OutputPixelFormat::Yuv420p),
            "yuv444p" | "yuv444" => Ok(OutputPixelFormat::Yuv444p),
            "gray" | "grey" | "mono" => Ok(OutputPixelFormat::Gray),
            "gray16" | "grey16" | "mono16" => Ok(OutputPixelFormat::Gray16),
            _ => Err(EncodeError::invalid(
                "pixel_format",
                s,
                "yuv420p, yuv444p, gray, gray16",
            )),
        }
    }
}

impl fmt::Display for OutputPixelFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a video's frames are timed in its container.
///
/// ```
/// use axvs_encode::Timing;
/// assert_eq!("nominal".parse::<Timing>()?, Timing::Nominal);
/// assert_eq!(Timing::default(), Timing::Exact);
/// # Ok::<(), axvs_encode::EncodeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum Timing {
    /// Each frame is shown at its acquisition time (µs since the onset; Matroska: ms): the video alone says
    /// when every frame was grabbed, at a variable frame rate. Readers that resample to a constant rate (the
    /// `ffmpeg` command line's default, imageio's ffmpeg plugin) duplicate and drop frames in it.
    #[default]
    Exact,
    /// Frame k of a run is shown at k / fps, a constant frame rate, as the original writes; the acquisition
    /// times are in the log only. Every reader returns exactly the saved frames.
    Nominal,
}

impl Timing {
    /// The rig's name: `exact` or `nominal`.
    pub fn name(self) -> &'static str {
        match self {
            Timing::Exact => "exact",
            Timing::Nominal => "nominal",
        }
    }
}

impl fmt::Display for Timing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl TryFrom<String> for Timing {
    type Error = EncodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl FromStr for Timing {
    type Err = EncodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "exact" => Ok(Timing::Exact),
            "nominal" => Ok(Timing::Nominal),
            _ => Err(EncodeError::invalid("timing", s, "exact, nominal")),
        }
    }
}

/// File container. Each is written so that a killed recording stays playable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum Container {
    /// Fragmented MP4 (`.mp4`): a fragment at every keyframe and at least every `FLUSH_INTERVAL`; times in
    /// µs, exactly the logged ones.
    Mp4,
    /// Fragmented QuickTime (`.mov`), written as MP4 is, and able to hold FFV1: lossless with exact µs times
    /// (but FFV1's colour range unlabelled: players assume limited range for colour formats).
    Mov,
    /// Matroska (`.mkv`): a cluster at least every `FLUSH_INTERVAL`. Its timestamps are milliseconds (FFmpeg's
    /// Matroska muxer has no finer scale): each frame's is its logged time rounded to the ms, and frames
    /// less than a ms apart share one.
    Mkv,
}

impl Container {
    /// Every container, in the order axvs prefers them.
    pub const ALL: [Container; 3] = [Container::Mp4, Container::Mov, Container::Mkv];

    /// File extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Container::Mp4 => "mp4",
            Container::Mov => "mov",
            Container::Mkv => "mkv",
        }
    }

    /// FFmpeg muxer name.
    pub fn muxer(self) -> &'static str {
        match self {
            Container::Mp4 => "mp4",
            Container::Mov => "mov",
            Container::Mkv => "matroska",
        }
    }

    /// Whether it stores times in µs (the logged times exactly); Matroska keeps milliseconds.
    pub fn exact_times(self) -> bool {
        self != Container::Mkv
    }
}

// Through `FromStr` for the same names and messages everywhere, and so that a table given where a name
// belongs reads "expected a string", not serde's enum wording.
impl TryFrom<String> for Container {
    type Error = EncodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl FromStr for Container {
    type Err = EncodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "mp4" => Ok(Container::Mp4),
            "mov" | "quicktime" => Ok(Container::Mov),
            "mkv" | "matroska" => Ok(Container::Mkv),
            _ => Err(EncodeError::invalid("container", s, "mp4, mov, mkv")),
        }
    }
}

/// Everything that decides how a camera's frames are encoded.
///
/// ```
/// use axvs_encode::{Codec, EncoderSettings, Preset, Qp};
/// let s = EncoderSettings { codec: Codec::H264, preset: Preset::new(1)?, qp: Qp::new(20)?, ..Default::default() };
/// assert_eq!(s.encoder_name()?, "libx264");
/// # Ok::<(), axvs_encode::EncodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncoderSettings {
    /// Codec family.
    pub codec: Codec,
    /// NVIDIA GPU index for NVENC, or `None` for the CPU.
    pub gpu: Option<u32>,
    /// Speed preset.
    pub preset: Preset,
    /// Constant QP.
    pub qp: Qp,
    /// Output pixel format.
    pub pixel_format: OutputPixelFormat,
    /// Container; `None` picks MP4, or Matroska for FFV1.
    pub container: Option<Container>,
    /// Seconds between keyframes; `None`: the encoder's own choice, as the original's `ffmpeg` command
    /// leaves it (x264 and x265: at most 250 frames apart, and at scene cuts). How much a crash can lose does
    /// not depend on it: fragments close every [`FLUSH_INTERVAL`](crate::FLUSH_INTERVAL) whatever the GOP.
    pub keyframe_interval_s: Option<f64>,
    /// Encoder threads; `None`: FFmpeg's choice for the whole machine. Rigs give each CPU encoder its share
    /// of the cores (see `EncoderSettings::thread_budget`).
    pub threads: Option<u32>,
    /// When the video continues in a new file; `None`: one file (but a new one after a long pause).
    pub segment: Option<SegmentLimit>,
    /// How frames are timed in the container.
    pub timing: Timing,
}

impl EncoderSettings {
    /// Frames between keyframes at `fps`: `keyframe_interval_s` worth of frames, at least 1; `None` when
    /// the encoder chooses.
    pub fn gop(&self, fps: f64) -> Option<u32> {
        self.keyframe_interval_s
            .map(|seconds| ((fps * seconds).round() as u32).max(1))
    }

    /// Whether a CPU core runs this encoder (not NVENC).
    pub fn on_cpu(&self) -> bool {
        self.gpu.is_none()
    }

    /// Threads for each of `cpu_encoders` encoders sharing `cores`: an equal share, at least 1; `None`
    /// (FFmpeg's own choice) when one encoder has the machine to itself. FFmpeg sizes every encoder's pool
    /// for the whole machine, so several at once would oversubscribe the cores.
    ///
    /// ```
    /// use axvs_encode::EncoderSettings;
    /// assert_eq!(EncoderSettings::thread_budget(8, 4), Some(2));
    /// assert_eq!(EncoderSettings::thread_budget(2, 4), Some(1));
    /// assert_eq!(EncoderSettings::thread_budget(8, 1), None);
    /// ```
    pub fn thread_budget(cores: usize, cpu_encoders: usize) -> Option<u32> {
        (cpu_encoders > 1).then(|| (cores / cpu_encoders).max(1) as u32)
    }
}

impl Default for EncoderSettings {
    /// H.264 on the CPU, preset 5 (slow), QP 15, yuv420p: the original's defaults, with H.264.
    fn default() -> Self {
        EncoderSettings {
            codec: Codec::H264,
            gpu: None,
            preset: Preset::SLOW,
            qp: Qp(15),
            pixel_format: OutputPixelFormat::Yuv420p,
            container: None,
            keyframe_interval_s: None,
            threads: None,
            segment: None,
            timing: Timing::Exact,
        }
    }
}

impl EncoderSettings {
    /// The FFmpeg encoder these settings use.
    pub fn encoder_name(&self) -> Result<&'static str, EncodeError> {
        self.codec
            .encoder_name(self.gpu.is_some())
            .ok_or_else(|| EncodeError::Unsupported(format!("{} has no GPU encoder; use the CPU", self.codec)))
    }

    /// The container the file is written in: the one set, else MP4, or for FFV1 (which MP4 cannot hold)
    /// Matroska, which labels the colour range; QuickTime keeps exact µs times but cannot label FFV1's range.
    pub fn container(&self) -> Container {
        self.container.unwrap_or(match self.codec {
            Codec::Ffv1 => Container::Mkv,
            _ => Container::Mp4,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_and_alias_parses_to_its_value_and_back() {
        let codecs = [
            ("h264", Codec::H264),
            ("AVC", Codec::H264),
            ("h265", Codec::H265),
            ("hevc", Codec::H265),
            ("av1", Codec::Av1),
            ("FFV1", Codec::Ffv1),
        ];
        for (text, codec) in codecs {
            assert_eq!(text.parse::<Codec>().expect(text), codec);
            assert_eq!(codec.name().parse::<Codec>().expect("its own name"), codec);
        }
        assert!("mpeg2".parse::<Codec>().is_err());
        let formats = [
            ("yuv420p", OutputPixelFormat::Yuv420p),
            ("yuv420", OutputPixelFormat::Yuv420p),
            ("yuv444p", OutputPixelFormat::Yuv444p),
            ("yuv444", OutputPixelFormat::Yuv444p),
            ("gray", OutputPixelFormat::Gray),
            ("grey", OutputPixelFormat::Gray),
            ("mono", OutputPixelFormat::Gray),
            ("gray16", OutputPixelFormat::Gray16),
        ];
        for (text, format) in formats {
            assert_eq!(text.parse::<OutputPixelFormat>().expect(text), format);
            assert_eq!(
                format.name().parse::<OutputPixelFormat>().expect("its own name"),
                format
            );
        }
        assert!("rgb24".parse::<OutputPixelFormat>().is_err());
        for (text, container, extension, muxer) in [
            ("mp4", Container::Mp4, "mp4", "mp4"),
            ("mov", Container::Mov, "mov", "mov"),
            ("mkv", Container::Mkv, "mkv", "matroska"),
            ("matroska", Container::Mkv, "mkv", "matroska"),
        ] {
            assert_eq!(text.parse::<Container>().expect(text), container);
            assert_eq!((container.extension(), container.muxer()), (extension, muxer));
        }
        assert!("avi".parse::<Container>().is_err());
    }

    #[test]
    fn presets_name_each_encoders_own_preset() {
        let presets: Vec<Preset> = (1..=7).map(|p| Preset::new(p).expect("1..7")).collect();
        // The two faster than the original's: by name only, NVENC's fastest, SVT-AV1's fastest.
        for (name, svt) in [("ultrafast", 13), ("SuperFast", 13)] {
            let preset: Preset = name.parse().expect(name);
            assert_eq!(preset.cpu_name(), name.to_ascii_lowercase());
            assert_eq!(
                (preset.number(), preset.nvenc_name(), preset.svtav1_preset()),
                (None, "p1".into(), svt)
            );
            assert_eq!(preset.to_string(), name.to_ascii_lowercase());
            assert_eq!(
                toml::Value::try_from(preset).expect("name"),
                toml::Value::String(preset.cpu_name().into())
            );
        }
        assert!(Preset::Ultrafast < Preset::Superfast && Preset::Superfast < Preset::FASTEST);
        for p in &presets {
            assert_eq!(p.to_string().parse::<Preset>().expect("own text"), *p);
            assert_eq!(p.cpu_name().parse::<Preset>().expect("own name"), *p);
        }
        assert!("turbo".parse::<Preset>().is_err() && "0".parse::<Preset>().is_err());
        let cpu: Vec<&str> = presets.iter().map(|p| p.cpu_name()).collect();
        assert_eq!(
            cpu,
            ["veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"]
        );
        let nvenc: Vec<String> = presets.iter().map(|p| p.nvenc_name()).collect();
        assert_eq!(nvenc, ["p1", "p2", "p3", "p4", "p5", "p6", "p7"]);
        let svt: Vec<u8> = presets.iter().map(|p| p.svtav1_preset()).collect();
        assert_eq!(svt, [12, 10, 8, 7, 5, 3, 1]);
        let numbers: Vec<Option<u8>> = presets.iter().map(|p| p.number()).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7].map(Some));
        assert!(Preset::new(0).is_err() && Preset::new(8).is_err());
        assert_eq!(
            (i64::from(Qp::new(33).expect("qp")), Qp::new(51).expect("max").get()),
            (33, 51)
        );
        assert!(Qp::new(52).is_err() && Qp::new(-1).is_err());
        // Serialized as their numbers (the rig and the report write them so).
        assert_eq!(
            toml::Value::try_from(Preset::SLOW).expect("preset"),
            toml::Value::Integer(5)
        );
        assert_eq!(
            toml::Value::try_from(Qp::new(20).expect("qp")).expect("qp"),
            toml::Value::Integer(20)
        );
    }

    #[test]
    fn the_gop_is_the_keyframe_interval_in_frames_at_least_one() {
        let every = |seconds: f64| EncoderSettings {
            keyframe_interval_s: Some(seconds),
            ..Default::default()
        };
        assert_eq!(every(1.0).gop(30.0), Some(30));
        assert_eq!(every(2.5).gop(30.0), Some(75));
        assert_eq!(every(0.5).gop(25.0), Some(13));
        assert_eq!(every(0.001).gop(30.0), Some(1));
        assert_eq!(EncoderSettings::default().gop(30.0), None);
    }

    #[test]
    fn the_container_follows_the_codec_unless_given() {
        let ffv1 = EncoderSettings {
            codec: Codec::Ffv1,
            ..Default::default()
        };
        assert_eq!(
            (ffv1.container(), EncoderSettings::default().container()),
            (Container::Mkv, Container::Mp4)
        );
        let given = EncoderSettings {
            container: Some(Container::Mkv),
            ..Default::default()
        };
        assert_eq!(given.container(), Container::Mkv);
        let gpu_ffv1 = EncoderSettings { gpu: Some(0), ..ffv1 };
        assert!(gpu_ffv1.encoder_name().is_err());
    }
}
