//! Reading back what a video holds: the presentation time of every intact frame, without decoding.

use std::path::Path;

use ffmpeg_next as ff;

use crate::EncodeError;

/// The frames of a video file, as its container records them.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoFrameTimes {
    /// Presentation time of every intact frame in µs (for axvs' files: since the onset), in display order.
    pub times_us: Vec<u64>,
    /// The stream's time resolution in µs: 1 for axvs' MP4 files, 1000 for Matroska.
    pub resolution_us: u64,
    /// Packets left out because the file ends inside them (a recording killed while writing).
    pub torn: u64,
    /// The frame rate of a nominally timed file ([`crate::Timing::Nominal`]); `None` when each frame is
    /// shown at its acquisition time. Then `times_us` say which frames of the run the file holds: frame k at
    /// k / rate, whatever delay the file shows them with.
    pub nominal_fps: Option<f64>,
}

const NOMINAL_TAG: &str = "axvs timing=nominal rate=";

/// The `comment` tag of a nominally timed file at `num`/`den` frames per second whose first frame is its
/// run's frame `first`.
pub(crate) fn nominal_tag(num: i32, den: i32, first: u64) -> String {
    format!("{NOMINAL_TAG}{num}/{den} first={first}")
}

/// The frame rate and first frame a `comment` tag of [`nominal_tag`] names.
fn nominal_timing(comment: &str) -> Option<(f64, u64)> {
    let (rate, first) = comment.strip_prefix(NOMINAL_TAG)?.split_once(" first=")?;
    let (num, den) = rate.split_once('/')?;
    let (num, den) = (num.parse::<f64>().ok()?, den.parse::<f64>().ok()?);
    (num > 0.0 && den > 0.0).then_some((num / den, first.parse().ok()?))
}

/// Reads the presentation time of every frame of `path`'s first video stream, from the container alone.
///
/// A file cut short by a crash is read up to its last whole packet; what follows is counted in `torn`. An
/// empty file (a recording killed before its encoder put out a frame: MP4 writes its header with the
/// first frame) holds no frame, and so does a Matroska file that ends within its header.
pub fn video_frame_times(path: &Path) -> Result<VideoFrameTimes, EncodeError> {
    crate::ffmpeg::init();
    let context = |what: &str| format!("{what} {}", path.display());
    let size = std::fs::metadata(path)
        .map_err(|e| EncodeError::Unsupported(format!("{}: {e}", path.display())))?
        .len();
    if size == 0 {
        return Ok(VideoFrameTimes {
            times_us: Vec::new(),
            resolution_us: 1,
            torn: 0,
            nominal_fps: None,
        });
    }
    // What cannot be read is returned as the error; FFmpeg's own lines would only repeat it.
    let _quiet = crate::ffmpeg::QuietLog::new();
    let mut input = match ff::format::input(path) {
        Ok(input) => input,
        // A Matroska file killed after its header but before its first cluster.
        Err(ff::Error::Eof) => {
            return Ok(VideoFrameTimes {
                times_us: Vec::new(),
                resolution_us: 1,
                torn: 1,
                nominal_fps: None,
            })
        }
        Err(e) => return Err(EncodeError::ffmpeg(context("opening"), e)),
    };
    let nominal = input.metadata().get("comment").and_then(nominal_timing);
    let (index, time_base) = input
        .streams()
        .best(ff::media::Type::Video)
        .map(|s| (s.index(), s.time_base()))
        .ok_or_else(|| EncodeError::Unsupported(format!("{}: no video stream", path.display())))?;
    let (num, den) = (i128::from(time_base.numerator()), i128::from(time_base.denominator()));
    if num <= 0 || den <= 0 {
        return Err(EncodeError::Unsupported(format!(
            "{}: invalid time base {num}/{den}",
            path.display()
        )));
    }
    let to_us = |pts: i64| -> Option<u64> { u64::try_from(i128::from(pts) * num * 1_000_000 / den).ok() };
    let mut times_us = Vec::new();
    let mut torn = 0;
    let mut packet = ff::Packet::empty();
    loop {
        match packet.read(&mut input) {
            Ok(()) if packet.stream() != index => {}
            Ok(()) if packet.is_corrupt() => torn += 1,
            Ok(()) => match packet.pts().and_then(to_us) {
                Some(time) => times_us.push(time),
                None => torn += 1,
            },
            Err(ff::Error::Eof) => break,
            Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => {}
            // Anything else ends what can be read: the rest of the file is torn.
            Err(_) => {
                torn += 1;
                break;
            }
        }
    }
    times_us.sort_unstable();
    if let (Some((fps, first)), Some(&start)) = (nominal, times_us.first()) {
        // The muxer shows the first frame a few periods late (B-frames' decode delay, so that decode times
        // start at 0): frame k of the run is the one shown k - first periods after the file's first.
        let index = |t: u64| (t as f64 * fps / 1e6).round() as i64;
        for t in &mut times_us {
            let k = (index(*t) - index(start)).max(0) as u64 + first;
            *t = (k as f64 * 1e6 / fps).round() as u64;
        }
    }
    Ok(VideoFrameTimes {
        times_us,
        resolution_us: u64::try_from((num * 1_000_000 + den - 1) / den).unwrap_or(u64::MAX),
        torn,
        nominal_fps: nominal.map(|(fps, _)| fps),
    })
}

/// What a video file holds, read through FFmpeg's libraries: its first video stream's codec and picture, and
/// its frames counted packet by packet (right for fragmented, variable-rate MP4, whose header lists none).
#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    /// Codec short name (`h264`, `hevc`, `av1`, `ffv1`).
    pub codec: String,
    /// Codec long name.
    pub codec_long_name: String,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Pixel format (`yuv420p`, `gray`...).
    pub pixel_format: String,
    /// Container format (`mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`).
    pub container: String,
    /// Intact frames.
    pub frames: u64,
    /// Packets cut short at the end (a killed recording).
    pub torn: u64,
    /// Seconds from the first frame to the end of the last (frames × the mean frame interval).
    pub duration_s: f64,
    /// Mean frames per second over the file.
    pub mean_fps: f64,
    /// Bytes on disk.
    pub bytes: u64,
    /// Mean bits per second over the duration.
    pub bit_rate: u64,
}

/// Reads [`VideoInfo`] of `path`.
pub fn video_info(path: &Path) -> Result<VideoInfo, EncodeError> {
    let times = video_frame_times(path)?;
    let bytes = std::fs::metadata(path)
        .map_err(|e| EncodeError::Unsupported(format!("{}: {e}", path.display())))?
        .len();
    let _quiet = crate::ffmpeg::QuietLog::new();
    let input = ff::format::input(path).map_err(|e| EncodeError::ffmpeg(format!("opening {}", path.display()), e))?;
    let stream = input
        .streams()
        .best(ff::media::Type::Video)
        .ok_or_else(|| EncodeError::Unsupported(format!("{}: no video stream", path.display())))?;
    let parameters = stream.parameters();
    let codec = ff::decoder::find(parameters.id());
    let decoder = ff::codec::context::Context::from_parameters(parameters)
        .and_then(|c| c.decoder().video())
        .map_err(|e| EncodeError::ffmpeg(format!("reading the video stream of {}", path.display()), e))?;
    let frames = times.times_us.len() as u64;
    let (first, last) = (
        times.times_us.iter().min().copied().unwrap_or(0),
        times.times_us.iter().max().copied().unwrap_or(0),
    );
    let span_s = (last - first) as f64 / 1e6;
    let duration_s = match frames {
        0 => 0.0,
        1 => 0.0,
        n => span_s * n as f64 / (n - 1) as f64,
    };
    Ok(VideoInfo {
        codec: codec
            .map(|c| c.name().to_string())
            .unwrap_or_else(|| format!("{:?}", parameters_id(&stream))),
        codec_long_name: codec.map(|c| c.description().to_string()).unwrap_or_default(),
        width: decoder.width(),
        height: decoder.height(),
        pixel_format: format!("{:?}", decoder.format()).to_ascii_lowercase(),
        container: input.format().name().to_string(),
        frames,
        torn: times.torn,
        duration_s,
        mean_fps: if duration_s > 0.0 {
            frames as f64 / duration_s
        } else {
            0.0
        },
        bytes,
        bit_rate: if duration_s > 0.0 {
            (bytes as f64 * 8.0 / duration_s) as u64
        } else {
            0
        },
    })
}

fn parameters_id(stream: &ff::format::stream::Stream<'_>) -> ff::codec::Id {
    stream.parameters().id()
}
