//! Reading back what a video holds: the presentation time of every intact frame, without decoding.

use std::path::Path;

use ffmpeg_next as ff;

use crate::EncodeError;

/// The frames of a video file, as its container records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoFrameTimes {
    /// Presentation time of every intact frame in µs (for axvs' files: since the onset), in display order.
    pub times_us: Vec<u64>,
    /// The stream's time resolution in µs: 1 for axvs' MP4 files, 1000 for Matroska.
    pub resolution_us: u64,
    /// Packets left out because the file ends inside them (a recording killed while writing).
    pub torn: u64,
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
            })
        }
        Err(e) => return Err(EncodeError::ffmpeg(context("opening"), e)),
    };
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
    Ok(VideoFrameTimes {
        times_us,
        resolution_us: u64::try_from((num * 1_000_000 + den - 1) / den).unwrap_or(u64::MAX),
        torn,
    })
}
