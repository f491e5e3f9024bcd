//! Frames into a crash-safe file: the codec, the picture it is fed and the muxer, fragments flushed as the
//! recording goes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use axvs_core::{CameraInfo, EncodeSummary, Encoder, EncoderError, Frame, PixelFormat};
use ff::{ffi, Dictionary, Rational};
use ffmpeg_next as ff;

use super::codec::{check_frames, nominal_rate, open_codec, time_base, usable_codec};
use super::convert::{output_pixel, pixel_name, Conversion};
use super::hashed_io::HashedOutput;
use crate::{Container, EncodeError, EncoderSettings, Timing};

/// Packets after which MP4 fragments and Matroska clusters stop closing at every packet: the header and
/// the first two frames are in the file.
const FIRST_FRAGMENTS: u64 = 3;
/// The longest muxed frames wait before they reach the file (an MP4 fragment or a Matroska cluster closes):
/// with the frames still inside the encoder, what a killed recording can lose.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(250);

/// Whether `container`'s muxer wants the codec's headers once, in the file's header (all of ours do).
fn wants_global_header(container: Container) -> bool {
    let Ok(name) = std::ffi::CString::new(container.muxer()) else {
        return true;
    };
    // SAFETY: av_guess_format reads the NUL-terminated name and returns a static muxer description or null.
    let format = unsafe { ffi::av_guess_format(name.as_ptr(), std::ptr::null(), std::ptr::null()) };
    // SAFETY: a non-null result points to a static AVOutputFormat.
    format.is_null() || unsafe { (*format).flags } & ffi::AVFMT_GLOBALHEADER != 0
}

/// Encodes frames into a crash-safe file with libavcodec/libavformat.
pub struct FfmpegEncoder {
    path: PathBuf,
    output: ff::format::context::Output,
    encoder: ff::encoder::Video,
    picture: ff::frame::Video,
    packet: ff::Packet,
    conversion: Conversion,
    input: PixelFormat,
    width: usize,
    height: usize,
    codec_time_base: Rational,
    stream_time_base: Rational,
    timing: Timing,
    /// The run's index of the next frame (nominal timing: its PTS).
    next_index: u64,
    /// A packet's duration in the codec's time base: one nominal frame period.
    frame_duration: i64,
    last_pts: i64,
    packets: u64,
    container: Container,
    finished: bool,
    /// The file's I/O, which hashes its bytes as they are written.
    io: HashedOutput,
    /// The finished file's SHA-256, when its bytes were hashed as written.
    sha256: Option<String>,
}

impl FfmpegEncoder {
    /// Opens `path` (which must not exist) for a camera that resolved to `camera`.
    pub fn create(settings: &EncoderSettings, path: &Path, camera: &CameraInfo) -> Result<Self, EncodeError> {
        Self::create_at(settings, path, camera, 0)
    }

    /// [`FfmpegEncoder::create`] for a file that continues a run whose earlier files hold `first_index`
    /// frames: with nominal timing, its first frame is shown at `first_index` / fps.
    pub fn create_at(
        settings: &EncoderSettings,
        path: &Path,
        camera: &CameraInfo,
        first_index: u64,
    ) -> Result<Self, EncodeError> {
        // The GPU was probed when the factory was made; opening the real encoder below tells the rest.
        let codec = usable_codec(settings)?;
        let out_pixel = output_pixel(settings.pixel_format);
        check_frames(settings, &camera.shape())?;
        if path.exists() {
            return Err(EncodeError::Exists(path.to_path_buf()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| EncodeError::Create {
                path: dir.to_path_buf(),
                reason: e.to_string(),
            })?;
        }
        let container = settings.container();
        // The codec opens before the file is made (x265 takes a moment): a process killed meanwhile leaves
        // no file rather than an empty one, and the header follows the file's creation at once.
        let encoder = open_codec(
            settings,
            codec,
            camera.width,
            camera.height,
            camera.fps,
            wants_global_header(container),
        )?;
        // Everything that can fail without the file comes before it: once the output's I/O is ours (below),
        // only `write_header`'s failure is left, which gives it back.
        let mut picture = ff::frame::Video::new(out_pixel, camera.width, camera.height);
        // SAFETY: reads one pointer of the frame ffmpeg-next just made; its allocation failure is silent.
        if unsafe { (*picture.as_ptr()).data[0].is_null() } {
            return Err(EncodeError::Unsupported(format!(
                "cannot allocate a {}x{} {} picture",
                camera.width,
                camera.height,
                pixel_name(out_pixel)
            )));
        }
        picture.set_color_range(ff::util::color::Range::JPEG);
        let conversion = Conversion::new(camera, out_pixel)?;
        let mut output = ff::format::output_as(path, container.muxer()).map_err(|e| EncodeError::Create {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        // Refused before it takes the output's place: FFmpeg's own I/O closes with the output.
        let mut io = match HashedOutput::attach(&mut output, path) {
            Ok(io) => io,
            Err(e) => {
                drop(output);
                let _ = std::fs::remove_file(path);
                return Err(e);
            }
        };
        let rate = nominal_rate(camera.fps);
        let codec_time_base = time_base(settings.timing, rate);
        if let Err(e) = Self::write_header(
            &encoder,
            codec,
            path,
            container,
            (settings.timing, rate, first_index),
            &mut output,
        ) {
            // Nothing was recorded: leave no empty file behind to block the next attempt.
            io.detach(&mut output);
            drop(output);
            let _ = std::fs::remove_file(path);
            return Err(e);
        }
        let stream_time_base = output.stream(0).map(|s| s.time_base()).unwrap_or(codec_time_base);
        // One frame period, in µs for exact timing (the last frame of a fragment has no next to end it).
        let frame_duration = match settings.timing {
            Timing::Nominal => 1,
            Timing::Exact => (1e6 / camera.fps.max(1e-3)).round().clamp(1.0, 1e12) as i64,
        };

        let mut encoder = FfmpegEncoder {
            path: path.to_path_buf(),
            output,
            encoder,
            picture,
            packet: ff::Packet::empty(),
            conversion,
            input: camera.pixel_format,
            width: camera.width as usize,
            height: camera.height as usize,
            codec_time_base,
            stream_time_base,
            timing: settings.timing,
            next_index: first_index,
            frame_duration,
            last_pts: -1,
            packets: 0,
            container,
            finished: false,
            io,
            sha256: None,
        };
        encoder.fill_neutral_chroma();
        Ok(encoder)
    }

    /// Adds the opened codec's stream and writes the header. A nominally timed file says so, with its rate,
    /// in its `comment` tag (see [`crate::probe`]), and declares its constant rate; Matroska with exact
    /// timing declares the camera's rate as a mean.
    fn write_header(
        encoder: &ff::encoder::Video,
        codec: ff::Codec,
        path: &Path,
        container: Container,
        (timing, rate, first_index): (Timing, Rational, u64),
        output: &mut ff::format::context::Output,
    ) -> Result<(), EncodeError> {
        {
            let mut stream = output
                .add_stream(codec)
                .map_err(|e| EncodeError::ffmpeg("adding the video stream", e))?;
            stream.set_parameters(encoder);
            stream.set_time_base(time_base(timing, rate));
            if timing == Timing::Nominal {
                stream.set_rate(rate);
                stream.set_avg_frame_rate(rate);
            } else if container == Container::Mkv {
                // The camera's rate as the track's default frame duration; each frame keeps its own time.
                // Matroska holds no frame count, so readers take the mean rate from it or from the first
                // frames' spacing, which uneven times leave undefined (decord then refused the file).
                stream.set_avg_frame_rate(rate);
            }
        }
        if timing == Timing::Nominal {
            let mut tags = Dictionary::new();
            tags.set(
                "comment",
                &crate::probe::nominal_tag(rate.numerator(), rate.denominator(), first_index),
            );
            output.set_metadata(tags);
        }
        let mut header = Dictionary::new();
        // Hand every packet to the OS at once, so a killed process leaves what it encoded in the file.
        header.set("flush_packets", "1");
        match container {
            Container::Mp4 | Container::Mov => {
                // The moov is written now, empty, so that a file killed before its first packet (x265
                // holds about a second of frames) is still a valid MP4. Each fragment carries its absolute
                // decode time (`frag_discont`, no edit list, negative times kept), so that PTS stay exactly
                // the acquisition times, B-frames' decode delay included. A fragment ends at every keyframe
                // and at least every FLUSH_INTERVAL; the first ones close at every packet, so that the
                // first frames reach the file as soon as the encoder puts them out; `settle_fragments`
                // then sets the interval.
                header.set("movflags", "frag_keyframe+empty_moov+default_base_moof+frag_discont");
                header.set("use_editlist", "0");
                // Nominal timing: decode times start at 0 and each frame is shown B-frames' delay later, so
                // that the file's duration and mean rate count every frame (OpenCV's frame count is
                // duration x rate); the first frame's index is in the file's tag.
                header.set(
                    "avoid_negative_ts",
                    match timing {
                        Timing::Exact => "disabled",
                        Timing::Nominal => "make_non_negative",
                    },
                );
                header.set("frag_duration", "1");
                header.set("movie_timescale", "1000000");
            }
            Container::Mkv => {
                // A cluster reaches the file when it closes: the first ones close at every packet, then
                // `settle_fragments` has them close at least every FLUSH_INTERVAL.
                header.set("cluster_time_limit", "0");
            }
        }
        output
            .write_header_with(header)
            .map_err(|e| EncodeError::ffmpeg(format!("writing the header of {}", path.display()), e))?;
        Ok(())
    }

    /// Sets chroma planes to neutral grey (full range: 128), once per picture buffer.
    fn fill_neutral_chroma(&mut self) {
        for plane in 1..self.picture.planes() {
            self.picture.data_mut(plane).fill(128);
        }
    }

    fn make_picture_writable(&mut self) -> Result<(), EncodeError> {
        let before = self.picture.data(0).as_ptr();
        // SAFETY: the frame is a valid AVFrame owned by `self.picture`.
        let ret = unsafe { ffi::av_frame_make_writable(self.picture.as_mut_ptr()) };
        if ret < 0 {
            return Err(EncodeError::ffmpeg("reusing the picture buffer", ff::Error::from(ret)));
        }
        if self.picture.data(0).as_ptr() != before {
            // The codec still held the old buffer and FFmpeg gave us a new one: its chroma is undefined.
            self.fill_neutral_chroma();
        }
        Ok(())
    }

    /// Once the first frames are in the file (see `write_header`), fragments or clusters close every
    /// FLUSH_INTERVAL.
    fn settle_fragments(&mut self) -> Result<(), EncodeError> {
        let (option, value) = match self.container {
            Container::Mp4 | Container::Mov => (c"frag_duration", FLUSH_INTERVAL.as_micros().to_string()),
            Container::Mkv => (c"cluster_time_limit", FLUSH_INTERVAL.as_millis().to_string()),
        };
        let value = std::ffi::CString::new(value).unwrap_or_default();
        // SAFETY: the context is alive; the option belongs to the muxer's private context, which the muxer
        // reads at every packet.
        let ret = unsafe {
            let context = self.output.as_mut_ptr();
            ffi::av_opt_set((*context).priv_data, option.as_ptr(), value.as_ptr(), 0)
        };
        if ret < 0 {
            return Err(EncodeError::ffmpeg("setting the flush interval", ff::Error::from(ret)));
        }
        Ok(())
    }

    /// Writes every packet the codec has ready.
    fn drain(&mut self) -> Result<(), EncodeError> {
        while let Some(packet) = self.receive()? {
            self.write(packet, self.frame_duration)?;
        }
        Ok(())
    }

    /// The codec's next packet, if it has one ready.
    fn receive(&mut self) -> Result<Option<ff::Packet>, EncodeError> {
        match self.encoder.receive_packet(&mut self.packet) {
            Ok(()) => Ok(Some(std::mem::replace(&mut self.packet, ff::Packet::empty()))),
            Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => Ok(None),
            Err(ff::Error::Eof) => Ok(None),
            Err(e) => Err(EncodeError::ffmpeg("encoding", e)),
        }
    }

    /// Muxes `packet`, lasting `duration` in the codec's time base.
    fn write(&mut self, mut packet: ff::Packet, duration: i64) -> Result<(), EncodeError> {
        packet.set_stream(0);
        packet.set_duration(duration);
        packet.rescale_ts(self.codec_time_base, self.stream_time_base);
        packet
            .write_interleaved(&mut self.output)
            .map_err(|e| EncodeError::ffmpeg(format!("writing {}", self.path.display()), e))?;
        self.packets += 1;
        if self.packets == FIRST_FRAGMENTS {
            self.settle_fragments()?;
        }
        Ok(())
    }

    /// Encodes one frame (shown at its acquisition time with exact timing, see [`Timing`]).
    pub fn encode_frame(&mut self, frame: &Frame) -> Result<(), EncodeError> {
        self.encode_raw(frame.data(), frame.meta().time_us)
    }

    /// Encodes one frame given as tightly packed pixels of the camera's format, with its time in µs (its PTS
    /// with exact timing; nominal timing shows it at its index / fps).
    pub fn encode_raw(&mut self, data: &[u8], time_us: u64) -> Result<(), EncodeError> {
        self.make_picture_writable()?;
        self.conversion
            .fill(&mut self.picture, data, self.input, self.width, self.height)?;
        let pts = match self.timing {
            Timing::Exact => (time_us as i64).max(self.last_pts + 1),
            Timing::Nominal => self.next_index as i64,
        };
        self.next_index += 1;
        self.last_pts = pts;
        self.picture.set_pts(Some(pts));
        self.encoder
            .send_frame(&self.picture)
            .map_err(|e| EncodeError::ffmpeg("encoding", e))?;
        self.drain()
    }

    /// Flushes the codec and writes the trailer.
    pub fn finish_file(&mut self) -> Result<EncodeSummary, EncodeError> {
        if !self.finished {
            self.finished = true;
            let flushed = self
                .encoder
                .send_eof()
                .map_err(|e| EncodeError::ffmpeg("flushing the encoder", e))
                .and_then(|()| self.drain());
            // The trailer is written even when flushing failed: it closes the fragments already muxed.
            // Called directly: the MP4 muxer returns a positive byte count on success, which the safe
            // wrapper reports as an error.
            // SAFETY: the header was written and the context is alive.
            let ret = unsafe { ffi::av_write_trailer(self.output.as_mut_ptr()) };
            let trailer = if ret < 0 {
                Err(EncodeError::ffmpeg(
                    format!("finalizing {}", self.path.display()),
                    ff::Error::from(ret),
                ))
            } else {
                Ok(())
            };
            flushed.and(trailer)?;
            self.sha256 = self.io.digest();
            // The finished file reaches the disk itself, not only the OS cache.
            std::fs::File::open(&self.path)
                .and_then(|file| file.sync_all())
                .map_err(|e| EncodeError::Sync {
                    path: self.path.clone(),
                    reason: e.to_string(),
                })?;
        }
        Ok(EncodeSummary {
            path: self.path.clone(),
            frames: self.packets,
            bytes: std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0),
            segments: Vec::new(),
            sha256: self.sha256.clone(),
        })
    }
}

impl Encoder for FfmpegEncoder {
    fn encode(&mut self, frame: &Frame) -> Result<(), EncoderError> {
        Ok(self.encode_frame(frame)?)
    }

    fn finish(&mut self) -> Result<EncodeSummary, EncoderError> {
        Ok(self.finish_file()?)
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for FfmpegEncoder {
    fn drop(&mut self) {
        if !self.finished
            && let Err(e) = self.finish_file()
        {
            tracing::warn!("finalizing {} on drop: {e}", self.path.display());
        }
        // Before the output is dropped, which would close the I/O as FFmpeg's own.
        self.io.detach(&mut self.output);
    }
}
