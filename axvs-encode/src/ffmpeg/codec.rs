//! What this FFmpeg can encode, and the codec opened with axvs' options.

use axvs_core::FrameShape;
use ff::format::Pixel;
use ff::{Dictionary, Rational};
use ffmpeg_next as ff;

use super::convert::{output_pixel, pixel_name};
use super::{init, QuietLog, TIME_BASE};
use crate::{Codec, Container, EncodeError, EncoderSettings, OutputPixelFormat, Timing};

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

/// Opens the encoder these settings name, as a recording would (256x256 at 30 fps), and closes it:
/// whether it can run on this machine, with the reason when not.
pub fn try_encoder(settings: &EncoderSettings) -> Result<(), EncodeError> {
    try_encoder_for(settings, 256, 256, 30.0)
}

/// Opens the encoder these settings name for `width` x `height` frames at `fps`, encodes one frame and
/// closes it, writing nothing: what a recording's start would find (a size the encoder refuses, a GPU that
/// is not there), found before any file is made.
pub fn try_encoder_for(settings: &EncoderSettings, width: u32, height: u32, fps: f64) -> Result<(), EncodeError> {
    let codec = usable_codec(settings)?;
    // FFmpeg's own lines ("Cannot load libcuda.so.1") are silenced: the error says it in axvs' words.
    let quiet = QuietLog::new();
    let opened = open_codec(settings, codec, width, height, fps, false).map(|mut encoder| {
        // SVT-AV1 waits forever in its teardown unless told the stream ended, and forever at an end with no
        // frame before it: one frame, then the end.
        let mut frame = ff::frame::Video::new(output_pixel(settings.pixel_format), width, height);
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
pub(super) fn usable_codec(settings: &EncoderSettings) -> Result<ff::Codec, EncodeError> {
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

/// The frame rate `fps` as the rational the encoder and the container are given (to the thousandth).
pub(super) fn nominal_rate(fps: f64) -> Rational {
    Rational((fps * 1000.0).round().clamp(1.0, f64::from(i32::MAX)) as i32, 1000)
}

/// The codec's time base: µs for exact timing, one frame period for nominal timing.
pub(super) fn time_base(timing: Timing, rate: Rational) -> Rational {
    match timing {
        Timing::Exact => TIME_BASE,
        Timing::Nominal => rate.invert(),
    }
}

pub(super) fn open_codec(
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
    let rate = nominal_rate(fps);
    enc.set_time_base(time_base(settings.timing, rate));
    enc.set_frame_rate(Some(rate));
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
