//! The FFmpeg encoder: in-process libavcodec + libavformat, one file per camera.

use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Duration;

use axvs_core::{CameraInfo, EncodeSummary, Encoder, EncoderError, EncoderFactory, Frame, FrameShape, PixelFormat};
use ff::format::Pixel;
use ff::{ffi, Dictionary, Rational};
use ffmpeg_next as ff;

use crate::{Codec, Container, EncodeError, EncoderSettings, OutputPixelFormat, SegmentedEncoder};

/// Presentation timestamps are acquisition times in microseconds.
const TIME_BASE: Rational = Rational(1, 1_000_000);
/// Packets after which MP4 fragments and Matroska clusters stop closing at every packet: the header and
/// the first two frames are in the file.
const FIRST_FRAGMENTS: u64 = 3;
/// The longest muxed frames wait before they reach the file (an MP4 fragment or a Matroska cluster closes):
/// with the frames still inside the encoder, what a killed recording can lose.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(250);

/// Every FFmpeg encoder axvs can drive.
const KNOWN_ENCODERS: [&str; 7] = [
    "libx264",
    "libx265",
    "libsvtav1",
    "ffv1",
    "h264_nvenc",
    "hevc_nvenc",
    "av1_nvenc",
];

pub(crate) fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // Registration cannot fail on FFmpeg >= 4; libraries print only errors.
        let _ = ff::init();
        // AXVS_FFMPEG_LOG=info|verbose|debug shows the libraries' own messages.
        let level = match std::env::var("AXVS_FFMPEG_LOG").as_deref() {
            Ok("warning") => ff::util::log::Level::Warning,
            Ok("info") => ff::util::log::Level::Info,
            Ok("verbose") => ff::util::log::Level::Verbose,
            Ok("debug") => ff::util::log::Level::Debug,
            _ => ff::util::log::Level::Error,
        };
        ff::util::log::set_level(level);
    });
}

/// Silences FFmpeg's own log while it lives, then restores the level.
pub(crate) struct QuietLog(ff::util::log::Level);

impl QuietLog {
    pub(crate) fn new() -> Self {
        let level = ff::util::log::get_level().unwrap_or(ff::util::log::Level::Error);
        ff::util::log::set_level(ff::util::log::Level::Quiet);
        QuietLog(level)
    }
}

impl Drop for QuietLog {
    fn drop(&mut self) {
        ff::util::log::set_level(self.0);
    }
}

/// The encoders axvs can drive that this machine's FFmpeg has.
pub fn available_encoders() -> Vec<&'static str> {
    init();
    KNOWN_ENCODERS
        .into_iter()
        .filter(|name| ff::encoder::find_by_name(name).is_some())
        .collect()
}

fn find_codec(settings: &EncoderSettings) -> Result<ff::Codec, EncodeError> {
    init();
    let name = settings.encoder_name()?;
    ff::encoder::find_by_name(name).ok_or_else(|| EncodeError::Unavailable {
        encoder: name.to_string(),
        available: available_encoders().join(", "),
    })
}

fn output_pixel(format: OutputPixelFormat) -> Pixel {
    match format {
        OutputPixelFormat::Yuv420p => Pixel::YUV420P,
        OutputPixelFormat::Yuv444p => Pixel::YUV444P,
        OutputPixelFormat::Gray => Pixel::GRAY8,
        OutputPixelFormat::Gray16 => Pixel::GRAY16LE,
    }
}

fn input_pixel(format: PixelFormat) -> Pixel {
    match format {
        PixelFormat::Mono8 => Pixel::GRAY8,
        PixelFormat::Mono16 => Pixel::GRAY16LE,
        PixelFormat::Bgr8 => Pixel::BGR24,
        PixelFormat::Rgb8 => Pixel::RGB24,
        PixelFormat::BayerRg8 => Pixel::BAYER_RGGB8,
        PixelFormat::BayerGb8 => Pixel::BAYER_GBRG8,
        PixelFormat::BayerGr8 => Pixel::BAYER_GRBG8,
        PixelFormat::BayerBg8 => Pixel::BAYER_BGGR8,
    }
}

fn pixel_name(p: Pixel) -> String {
    format!("{p:?}").to_ascii_lowercase()
}

/// Checks, before any camera starts, that these settings can work on this machine: the encoder exists, it
/// writes the pixel format, and (for NVENC) the GPU answers.
pub fn check_settings(settings: &EncoderSettings) -> Result<(), EncodeError> {
    let codec = usable_codec(settings)?;
    if let Some(gpu) = settings.gpu {
        // NVENC is compiled into Debian's FFmpeg even where no GPU exists: open a small encoder to find out.
        // FFmpeg's own lines ("Cannot load libcuda.so.1") are silenced; the error below says it in axvs' words.
        let quiet = QuietLog::new();
        let probe = open_codec(settings, codec, 256, 256, 30.0, false);
        drop(quiet);
        probe.map_err(|e| {
            EncodeError::Unsupported(format!(
                "{} cannot start on GPU {gpu} ({e}); is an NVIDIA GPU with its driver present?",
                codec.name()
            ))
        })?;
    }
    Ok(())
}

/// Opens an encoder with these settings for a small picture, as a recording would, and closes it: whether
/// this machine can encode so (the library has the encoder, the GPU answers), and if not, why.
pub fn try_encoder(settings: &EncoderSettings) -> Result<(), EncodeError> {
    let codec = usable_codec(settings)?;
    // FFmpeg's own lines ("Cannot load libcuda.so.1") are silenced: the error says it in axvs' words.
    let quiet = QuietLog::new();
    let opened = open_codec(settings, codec, 256, 256, 30.0, false).map(|mut encoder| {
        // SVT-AV1 waits forever in its teardown unless told the stream ended, and forever at an end with no
        // frame before it: one frame, then the end.
        let mut frame = ff::frame::Video::new(output_pixel(settings.pixel_format), 256, 256);
        frame.set_pts(Some(0));
        let _ = encoder.send_frame(&frame);
        let _ = encoder.send_eof();
        let mut packet = ff::Packet::empty();
        while encoder.receive_packet(&mut packet).is_ok() {}
    });
    drop(quiet);
    opened.map_err(|e| match settings.gpu {
        Some(gpu) => EncodeError::Unsupported(format!(
            "{} cannot start on GPU {gpu} ({e}); is an NVIDIA GPU with its driver present?",
            codec.name()
        )),
        None => e,
    })
}

/// The FFmpeg libraries axvs runs with: name and version (`major.minor.micro`), as loaded at run time.
pub fn library_versions() -> Vec<(&'static str, String)> {
    init();
    let text = |v: u32| format!("{}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff);
    vec![
        ("libavutil", text(ff::util::version())),
        ("libavcodec", text(ff::codec::version())),
        ("libavformat", text(ff::format::version())),
        ("libswscale", text(ff::software::scaling::version())),
    ]
}

/// Checks that these settings can encode frames of `shape`, as the encoder will when the camera starts: so
/// that a rig is refused before anything is recorded.
pub fn check_frames(settings: &EncoderSettings, shape: &FrameShape) -> Result<(), EncodeError> {
    if settings.pixel_format == OutputPixelFormat::Yuv420p
        && (!shape.width.is_multiple_of(2) || !shape.height.is_multiple_of(2))
    {
        return Err(EncodeError::Unsupported(format!(
            "yuv420p needs an even width and height, the camera gives {}x{}",
            shape.width, shape.height
        )));
    }
    Ok(())
}

/// The encoder for these settings, if this FFmpeg has it, it writes the pixel format and the container
/// can hold it. Cheap: opens nothing.
fn usable_codec(settings: &EncoderSettings) -> Result<ff::Codec, EncodeError> {
    let codec = find_codec(settings)?;
    let wanted = output_pixel(settings.pixel_format);
    let video = codec
        .video()
        .map_err(|e| EncodeError::ffmpeg(format!("{} is not a video encoder", codec.name()), e))?;
    if let Some(formats) = video.formats() {
        let formats: Vec<Pixel> = formats.collect();
        if !formats.contains(&wanted) {
            let supported: Vec<String> = formats
                .iter()
                .copied()
                .filter(|p| [Pixel::YUV420P, Pixel::YUV444P, Pixel::GRAY8, Pixel::GRAY16LE].contains(p))
                .map(pixel_name)
                .collect();
            return Err(EncodeError::Unsupported(format!(
                "{} cannot write pixel format {} (it can: {})",
                codec.name(),
                settings.pixel_format,
                supported.join(", ")
            )));
        }
    }
    if codec.name() == "libsvtav1" && settings.qp.get() == 0 {
        // FFmpeg's SVT-AV1 wrapper only passes a QP above 0 and would silently encode at its default CRF.
        return Err(EncodeError::Unsupported(
            "libsvtav1 cannot encode at qp 0 (FFmpeg would silently use its default CRF 35); use qp 1 to 51".into(),
        ));
    }
    if settings.codec == Codec::Ffv1 && settings.container() == Container::Mp4 {
        return Err(EncodeError::Unsupported(
            "FFV1 cannot be stored in MP4; use container = \"mkv\" (the default for FFV1) or \"mov\" (exact µs times)"
                .into(),
        ));
    }
    Ok(codec)
}

fn codec_options(settings: &EncoderSettings, encoder: &str) -> Dictionary<'static> {
    let mut opts = Dictionary::new();
    let qp = settings.qp.get().to_string();
    match encoder {
        "libx264" => {
            opts.set("preset", settings.preset.cpu_name());
            opts.set("qp", &qp);
        }
        "libx265" => {
            opts.set("preset", settings.preset.cpu_name());
            // libx265 sizes its own thread pool, not FFmpeg's thread count.
            let pools = settings.threads.map(|n| format!(":pools={n}")).unwrap_or_default();
            opts.set("x265-params", &format!("qp={qp}:log-level=error{pools}"));
        }
        "libsvtav1" => {
            opts.set("preset", &settings.preset.svtav1_preset().to_string());
            opts.set("qp", &qp);
        }
        "ffv1" => {
            // Version 3 with slices: multithreaded, and each slice carries a CRC.
            opts.set("level", "3");
            opts.set("slicecrc", "1");
            opts.set("slices", "4");
        }
        _ => {
            // NVENC
            opts.set("preset", &settings.preset.nvenc_name());
            opts.set("rc", "constqp");
            opts.set("qp", &qp);
            if let Some(gpu) = settings.gpu {
                opts.set("gpu", &gpu.to_string());
            }
        }
    }
    opts
}

fn open_codec(
    settings: &EncoderSettings,
    codec: ff::Codec,
    width: u32,
    height: u32,
    fps: f64,
    global_header: bool,
) -> Result<ff::encoder::Video, EncodeError> {
    let context = ff::codec::context::Context::new_with_codec(codec);
    let mut enc = context
        .encoder()
        .video()
        .map_err(|e| EncodeError::ffmpeg("creating the encoder", e))?;
    enc.set_width(width);
    enc.set_height(height);
    enc.set_format(output_pixel(settings.pixel_format));
    enc.set_time_base(TIME_BASE);
    let fps_milli = (fps * 1000.0).round().max(1.0) as i32;
    enc.set_frame_rate(Some(Rational(fps_milli, 1000)));
    if let Some(gop) = settings.gop(fps) {
        enc.set_gop(gop);
    }
    if let Some(threads) = settings.threads {
        // Only the count: the kinds of threading stay the codec's (libx264 and libx265 run their own pools).
        // SAFETY: the context is allocated and not yet opened.
        unsafe { (*enc.as_mut_ptr()).thread_count = threads as i32 };
    }
    enc.set_color_range(ff::util::color::Range::JPEG);
    // Colour is converted with the BT.601 matrix: say so, or HD players assume BT.709 and shift the hues.
    enc.set_colorspace(ff::util::color::Space::SMPTE170M);
    // Closed GOPs: every keyframe is an IDR from which playback can start (libx264 otherwise writes open
    // GOPs, whose leading B-frames reference the frames before the keyframe).
    let mut flags = ff::codec::Flags::CLOSED_GOP;
    if global_header {
        flags |= ff::codec::Flags::GLOBAL_HEADER;
    }
    enc.set_flags(flags);
    enc.open_as_with(codec, codec_options(settings, codec.name()))
        .map_err(|e| EncodeError::ffmpeg(format!("opening {}", codec.name()), e))
}

/// How camera pixels become encoder pixels.
enum Conversion {
    /// Mono8 into a luma plane: a row copy, no colour conversion (chroma, if any, stays neutral).
    Luma,
    /// Mono16 into an 8-bit luma plane, each value rounded to its top 8 bits (swscale would dither, which
    /// writes a checkerboard into flat areas).
    Luma16,
    /// BGR/RGB into full-range BT.601 YUV 4:2:0 or 4:4:4 with yuvutils-rs' SIMD converters: swscale's
    /// fast path for this writes limited range, and its generic path costs about 5× more.
    Rgb { bgr: bool, yuv420: bool },
    /// Bayer into YUV: swscale demosaics into a BGR frame, which then goes as `Rgb` (swscale's own Bayer to
    /// YUV path writes limited range whatever it is told).
    Bayer {
        demosaic: Scaler,
        bgr_frame: Vec<u8>,
        yuv420: bool,
    },
    /// Anything else, through swscale.
    Scale(Scaler),
}

struct Scaler(*mut ffi::SwsContext);

// The context is used by one thread at a time (the encoder's owner).
unsafe impl Send for Scaler {}

impl Drop for Scaler {
    fn drop(&mut self) {
        // SAFETY: the pointer came from sws_getContext and is freed once.
        unsafe { ffi::sws_freeContext(self.0) }
    }
}

impl Scaler {
    fn new(src: Pixel, dst: Pixel, width: u32, height: u32) -> Result<Self, EncodeError> {
        let (w, h) = (width as i32, height as i32);
        // SAFETY: plain constructor calls; a null result is handled.
        unsafe {
            // ACCURATE_RND keeps swscale off its special RGB-to-4:2:0 converters, which ignore the range set
            // below and write limited range (white became luma 234 in a file labelled full range). BGR/RGB
            // to YUV goes through `Conversion::Rgb`; this guards the conversions that still come here.
            let ctx = ffi::sws_getContext(
                w,
                h,
                src.into(),
                w,
                h,
                dst.into(),
                ffi::SWS_BILINEAR | ffi::SWS_ACCURATE_RND,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null(),
            );
            if ctx.is_null() {
                return Err(EncodeError::Unsupported(format!(
                    "cannot convert {} to {}",
                    pixel_name(src),
                    pixel_name(dst)
                )));
            }
            // Full range in and out: camera values 0–255 stay 0–255.
            let coefficients = ffi::sws_getCoefficients(ffi::SWS_CS_DEFAULT);
            ffi::sws_setColorspaceDetails(ctx, coefficients, 1, coefficients, 1, 0, 1 << 16, 1 << 16);
            Ok(Scaler(ctx))
        }
    }

    /// Converts one frame of `height` rows of `src_stride` bytes from `src`.
    ///
    /// # Safety
    /// `dst` and `dst_stride` must describe writable planes of the size and format this scaler was made for.
    unsafe fn run(
        &self,
        src: &[u8],
        src_stride: usize,
        height: usize,
        dst: *const *mut u8,
        dst_stride: *const i32,
    ) -> Result<(), EncodeError> {
        if src.len() < src_stride * height {
            return Err(EncodeError::Unsupported(format!(
                "frame has {} bytes, {height} rows of {src_stride} need more",
                src.len()
            )));
        }
        let src_planes = [src.as_ptr(), std::ptr::null(), std::ptr::null(), std::ptr::null()];
        let src_strides = [src_stride as i32, 0, 0, 0];
        // SAFETY: the source covers `height` rows of `src_stride` bytes (checked above); the caller vouches
        // for the destination.
        let ret = unsafe {
            ffi::sws_scale(
                self.0,
                src_planes.as_ptr(),
                src_strides.as_ptr(),
                0,
                height as i32,
                dst,
                dst_stride,
            )
        };
        if ret < 0 {
            return Err(EncodeError::ffmpeg("converting pixels", ff::Error::from(ret)));
        }
        Ok(())
    }
}

/// Converts a packed BGR (or RGB) frame into the planes of `picture`, full-range BT.601 YUV 4:2:0 (or 4:4:4),
/// with yuvutils-rs.
fn rgb_to_yuv(
    picture: &mut ff::frame::Video,
    data: &[u8],
    width: usize,
    height: usize,
    bgr: bool,
    yuv420: bool,
) -> Result<(), EncodeError> {
    let chroma_rows = if yuv420 { height.div_ceil(2) } else { height };
    // SAFETY: a writable frame allocated for `width` x `height` in a three-plane YUV format: plane 0 holds
    // `height` rows of `linesize[0]` bytes, planes 1 and 2 `chroma_rows` rows each, and the planes do not
    // overlap. The slices live only for this conversion.
    let (y, u, v, linesize) = unsafe {
        let frame = picture.as_mut_ptr();
        let linesize = (*frame).linesize;
        let plane =
            |i: usize, rows: usize| std::slice::from_raw_parts_mut((*frame).data[i], linesize[i] as usize * rows);
        (plane(0, height), plane(1, chroma_rows), plane(2, chroma_rows), linesize)
    };
    let mut image = yuvutils_rs::YuvPlanarImageMut {
        y_plane: yuvutils_rs::BufferStoreMut::Borrowed(y),
        y_stride: linesize[0] as u32,
        u_plane: yuvutils_rs::BufferStoreMut::Borrowed(u),
        u_stride: linesize[1] as u32,
        v_plane: yuvutils_rs::BufferStoreMut::Borrowed(v),
        v_stride: linesize[2] as u32,
        width: width as u32,
        height: height as u32,
    };
    let convert = match (bgr, yuv420) {
        (true, true) => yuvutils_rs::bgr_to_yuv420,
        (true, false) => yuvutils_rs::bgr_to_yuv444,
        (false, true) => yuvutils_rs::rgb_to_yuv420,
        (false, false) => yuvutils_rs::rgb_to_yuv444,
    };
    convert(
        &mut image,
        data,
        (width * 3) as u32,
        yuvutils_rs::YuvRange::Full,
        yuvutils_rs::YuvStandardMatrix::Bt601,
        yuvutils_rs::YuvConversionMode::Balanced,
    )
    .map_err(|e| EncodeError::Unsupported(format!("converting pixels: {e}")))
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
    stream_time_base: Rational,
    last_pts: i64,
    packets: u64,
    container: Container,
    finished: bool,
}

impl FfmpegEncoder {
    /// Opens `path` (which must not exist) for a camera that resolved to `camera`.
    pub fn create(settings: &EncoderSettings, path: &Path, camera: &CameraInfo) -> Result<Self, EncodeError> {
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
        let mut output = ff::format::output_as(path, container.muxer()).map_err(|e| EncodeError::Create {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let encoder = match Self::open_stream(settings, codec, camera, path, container, &mut output) {
            Ok(encoder) => encoder,
            Err(e) => {
                // Nothing was recorded: leave no empty file behind to block the next attempt.
                drop(output);
                let _ = std::fs::remove_file(path);
                return Err(e);
            }
        };
        let stream_time_base = output.stream(0).map(|s| s.time_base()).unwrap_or(TIME_BASE);

        let mut picture = ff::frame::Video::new(out_pixel, camera.width, camera.height);
        // SAFETY: reads one pointer of the frame ffmpeg-next just made; its allocation failure is silent.
        if unsafe { (*picture.as_ptr()).data[0].is_null() } {
            drop(encoder);
            drop(output);
            let _ = std::fs::remove_file(path);
            return Err(EncodeError::Unsupported(format!(
                "cannot allocate a {}x{} {} picture",
                camera.width,
                camera.height,
                pixel_name(out_pixel)
            )));
        }
        picture.set_color_range(ff::util::color::Range::JPEG);
        let rgb_input = matches!(camera.pixel_format, PixelFormat::Bgr8 | PixelFormat::Rgb8);
        let conversion = if camera.pixel_format == PixelFormat::Mono8 && out_pixel != Pixel::GRAY16LE {
            Conversion::Luma
        } else if camera.pixel_format == PixelFormat::Mono16 && out_pixel != Pixel::GRAY16LE {
            Conversion::Luma16
        } else if rgb_input && matches!(out_pixel, Pixel::YUV420P | Pixel::YUV444P) {
            Conversion::Rgb {
                bgr: camera.pixel_format == PixelFormat::Bgr8,
                yuv420: out_pixel == Pixel::YUV420P,
            }
        } else if camera.pixel_format.is_bayer() && matches!(out_pixel, Pixel::YUV420P | Pixel::YUV444P) {
            Conversion::Bayer {
                demosaic: Scaler::new(
                    input_pixel(camera.pixel_format),
                    Pixel::BGR24,
                    camera.width,
                    camera.height,
                )?,
                bgr_frame: vec![0; PixelFormat::Bgr8.frame_size(camera.width, camera.height)],
                yuv420: out_pixel == Pixel::YUV420P,
            }
        } else {
            Conversion::Scale(Scaler::new(
                input_pixel(camera.pixel_format),
                out_pixel,
                camera.width,
                camera.height,
            )?)
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
            stream_time_base,
            last_pts: -1,
            packets: 0,
            container,
            finished: false,
        };
        encoder.fill_neutral_chroma();
        Ok(encoder)
    }

    /// Opens the codec, adds the stream and writes the header.
    fn open_stream(
        settings: &EncoderSettings,
        codec: ff::Codec,
        camera: &CameraInfo,
        path: &Path,
        container: Container,
        output: &mut ff::format::context::Output,
    ) -> Result<ff::encoder::Video, EncodeError> {
        let global_header = output.format().flags().contains(ff::format::Flags::GLOBAL_HEADER);
        let encoder = open_codec(settings, codec, camera.width, camera.height, camera.fps, global_header)?;
        {
            let mut stream = output
                .add_stream(codec)
                .map_err(|e| EncodeError::ffmpeg("adding the video stream", e))?;
            stream.set_parameters(&encoder);
            stream.set_time_base(TIME_BASE);
        }
        let mut header = Dictionary::new();
        // Hand every packet to the OS at once, so a killed process leaves what it encoded in the file.
        header.set("flush_packets", "1");
        match container {
            Container::Mp4 | Container::Mov => {
                // A fragment ends at every keyframe and at least every FLUSH_INTERVAL. The moov waits for
                // the first fragment so that its edit list can undo the B-frame decode delay, in a µs movie
                // timescale: PTS stay exactly the acquisition times. The first fragments close at every
                // packet, so that the moov and the first frames reach the file as soon as the encoder puts
                // them out; `settle_fragments` then sets the interval.
                header.set("movflags", "frag_keyframe+empty_moov+delay_moov+default_base_moof");
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
        Ok(encoder)
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

    fn fill_picture(&mut self, data: &[u8]) -> Result<(), EncodeError> {
        let expected = self.input.frame_size(self.width as u32, self.height as u32);
        if data.len() != expected {
            return Err(EncodeError::Unsupported(format!(
                "frame has {} bytes, {}x{} {} needs {expected}",
                data.len(),
                self.width,
                self.height,
                self.input
            )));
        }
        let (width, height) = (self.width, self.height);
        match &mut self.conversion {
            Conversion::Luma => {
                let stride = self.picture.stride(0);
                let plane = self.picture.data_mut(0);
                for (row, src) in data.chunks_exact(width).enumerate() {
                    plane[row * stride..row * stride + width].copy_from_slice(src);
                }
            }
            Conversion::Luma16 => {
                let stride = self.picture.stride(0);
                let plane = self.picture.data_mut(0);
                for (row, src) in data.chunks_exact(width * 2).enumerate() {
                    let dst = &mut plane[row * stride..row * stride + width];
                    for (d, s) in dst.iter_mut().zip(src.chunks_exact(2)) {
                        *d = ((u32::from(u16::from_le_bytes([s[0], s[1]])) + 128) >> 8).min(255) as u8;
                    }
                }
            }
            Conversion::Rgb { bgr, yuv420 } => rgb_to_yuv(&mut self.picture, data, width, height, *bgr, *yuv420)?,
            Conversion::Bayer {
                demosaic,
                bgr_frame,
                yuv420,
            } => {
                let stride = [(width * 3) as i32, 0, 0, 0];
                let dst = [
                    bgr_frame.as_mut_ptr(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                ];
                // SAFETY: `bgr_frame` holds `height` rows of `width * 3` bytes, the BGR24 frame the scaler was
                // made for.
                unsafe { demosaic.run(data, width, height, dst.as_ptr(), stride.as_ptr())? };
                rgb_to_yuv(&mut self.picture, bgr_frame, width, height, true, *yuv420)?;
            }
            Conversion::Scale(scaler) => {
                // SAFETY: the destination planes belong to a writable frame of the size and format the scaler
                // was made for.
                unsafe {
                    let dst = self.picture.as_mut_ptr();
                    scaler.run(
                        data,
                        width * self.input.bytes_per_pixel(),
                        height,
                        (*dst).data.as_ptr(),
                        (*dst).linesize.as_ptr(),
                    )?;
                }
            }
        }
        Ok(())
    }

    /// Once the first frames are in the file (see `open_stream`), fragments or clusters close every
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
        loop {
            match self.encoder.receive_packet(&mut self.packet) {
                Ok(()) => {
                    self.packet.set_stream(0);
                    self.packet.rescale_ts(TIME_BASE, self.stream_time_base);
                    self.packet
                        .write_interleaved(&mut self.output)
                        .map_err(|e| EncodeError::ffmpeg(format!("writing {}", self.path.display()), e))?;
                    self.packets += 1;
                    if self.packets == FIRST_FRAGMENTS {
                        self.settle_fragments()?;
                    }
                }
                Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => return Ok(()),
                Err(ff::Error::Eof) => return Ok(()),
                Err(e) => return Err(EncodeError::ffmpeg("encoding", e)),
            }
        }
    }

    /// Encodes one frame; its PTS is its acquisition time in µs.
    pub fn encode_frame(&mut self, frame: &Frame) -> Result<(), EncodeError> {
        self.encode_raw(frame.data(), frame.meta().time_us)
    }

    /// Encodes one frame given as tightly packed pixels of the camera's format, with its PTS in µs.
    pub fn encode_raw(&mut self, data: &[u8], time_us: u64) -> Result<(), EncodeError> {
        self.make_picture_writable()?;
        self.fill_picture(data)?;
        let pts = (time_us as i64).max(self.last_pts + 1);
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
        if !self.finished {
            if let Err(e) = self.finish_file() {
                tracing::warn!("finalizing {} on drop: {e}", self.path.display());
            }
        }
    }
}

/// Creates encoders writing `<output_dir>/<id:03d>.<ext>`, continued in `<id:03d>_002.<ext>`, ... when the
/// settings split the video into segments, or saving paused for long (see [`SegmentedEncoder`]).
#[derive(Debug, Clone)]
pub struct FfmpegEncoderFactory {
    settings: EncoderSettings,
    output_dir: PathBuf,
}

impl FfmpegEncoderFactory {
    /// Checks the settings now (not when the camera starts) and returns the factory.
    pub fn new(settings: EncoderSettings, output_dir: impl Into<PathBuf>) -> Result<Self, EncodeError> {
        check_settings(&settings)?;
        Ok(FfmpegEncoderFactory {
            settings,
            output_dir: output_dir.into(),
        })
    }

    /// The file a source's video goes to: `<id:03d>.<ext>`, or `<id:03d>-2.<ext>`, `-3`, ... when a
    /// restarted source already wrote the first (recordings are never overwritten).
    pub fn video_path(&self, source_id: u8) -> PathBuf {
        let ext = self.settings.container().extension();
        let first = self.output_dir.join(format!("{source_id:03}.{ext}"));
        if !first.exists() {
            return first;
        }
        (2u32..)
            .map(|n| self.output_dir.join(format!("{source_id:03}-{n}.{ext}")))
            .find(|p| !p.exists())
            .unwrap_or(first)
    }

    /// The settings.
    pub fn settings(&self) -> &EncoderSettings {
        &self.settings
    }
}

impl EncoderFactory for FfmpegEncoderFactory {
    fn create(&self, source_id: u8, camera: &CameraInfo) -> Result<Box<dyn Encoder>, EncoderError> {
        let encoder = SegmentedEncoder::create(&self.settings, &self.video_path(source_id), camera)?;
        Ok(Box::new(encoder))
    }
}
