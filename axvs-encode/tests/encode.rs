//! Encodes synthetic frames with the real FFmpeg libraries and checks the files with the real ffprobe.

mod common;

use std::path::Path;
use std::process::Command;

use axvs_core::{Camera, FrameMeta, FramePool, PixelFormat, SyntheticCamera, SyntheticConfig};
use axvs_encode::{Codec, Container, EncodeError, EncoderSettings, FfmpegEncoder, OutputPixelFormat, Preset, Qp};
use common::decode_raw;

fn encode(settings: &EncoderSettings, pixel_format: PixelFormat, frames: u64, path: &Path) -> u64 {
    let times: Vec<u64> = (0..frames).map(|i| 1 + i * 33_333).collect();
    encode_at(settings, pixel_format, &times, path)
}

/// Encodes one synthetic frame at each of `times` (µs since the onset); returns the frames written.
fn encode_at(settings: &EncoderSettings, pixel_format: PixelFormat, times: &[u64], path: &Path) -> u64 {
    let mut camera = SyntheticCamera::new(SyntheticConfig {
        width: 320,
        height: 240,
        pixel_format,
        paced: false,
        ..Default::default()
    });
    let info = camera.open().expect("open");
    camera.start().expect("start");
    let pool = FramePool::new(2, info.frame_size());
    let mut encoder = FfmpegEncoder::create(settings, path, &info).expect("create encoder");
    for (i, &time_us) in times.iter().enumerate() {
        let mut buf = pool.try_acquire().expect("buffer");
        camera.grab(&mut buf).expect("grab");
        let meta = FrameMeta {
            sequence: i as u64,
            device_frame_id: None,
            device_timestamp_ns: None,
            time_us,
            width: info.width,
            height: info.height,
            pixel_format,
        };
        encoder.encode_frame(&axvs_core::Frame::new(buf, meta)).expect("encode");
    }
    encoder.finish_file().expect("finish").frames
}

fn probe(path: &Path) -> (u64, String, String) {
    let text = common::ffprobe(
        path,
        &[
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames,pix_fmt,codec_name",
            "-of",
            "csv=p=0",
        ],
    );
    let parts: Vec<&str> = text.split(',').collect();
    assert_eq!(parts.len(), 3, "unexpected ffprobe output {text}");
    (
        parts[2].parse().expect("frame count"),
        parts[0].to_string(),
        parts[1].to_string(),
    )
}

/// FFmpeg's `trace_headers` dump of a file's video stream headers.
fn trace_headers(path: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-i"])
        .arg(path)
        .args(["-c", "copy", "-bsf:v", "trace_headers", "-f", "null", "-"])
        .output()
        .expect("run ffmpeg");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn h264_chroma_format_idc(path: &Path) -> u32 {
    let text = trace_headers(path);
    let line = text
        .lines()
        .find(|l| l.contains("chroma_format_idc"))
        .expect("SPS with chroma_format_idc");
    line.split_whitespace()
        .last()
        .and_then(|v| v.parse().ok())
        .expect("value")
}

/// The colour range a file's video stream is labelled with (`pc` = full, `tv` = limited).
fn color_range(path: &Path) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=color_range", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("run ffprobe");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn every_codec_and_format_writes_a_playable_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (Codec::H264, OutputPixelFormat::Gray, PixelFormat::Mono8, "h264", "gray"),
        (
            Codec::H264,
            OutputPixelFormat::Yuv420p,
            PixelFormat::Mono8,
            "h264",
            "yuvj420p",
        ),
        (
            Codec::H264,
            OutputPixelFormat::Yuv444p,
            PixelFormat::Bgr8,
            "h264",
            "yuvj444p",
        ),
        (
            Codec::H265,
            OutputPixelFormat::Yuv420p,
            PixelFormat::Bgr8,
            "hevc",
            "yuvj420p",
        ),
        (Codec::H265, OutputPixelFormat::Gray, PixelFormat::Mono8, "hevc", "gray"),
        (
            Codec::Av1,
            OutputPixelFormat::Yuv420p,
            PixelFormat::Mono8,
            "av1",
            "yuv420p",
        ),
        (Codec::Ffv1, OutputPixelFormat::Gray, PixelFormat::Mono8, "ffv1", "gray"),
    ];
    for (i, (codec, pix, input, want_codec, want_pix)) in cases.into_iter().enumerate() {
        let settings = EncoderSettings {
            codec,
            pixel_format: pix,
            preset: Preset::new(1).expect("preset"),
            qp: Qp::new(20).expect("qp"),
            ..Default::default()
        };
        let path = dir.path().join(format!("{i}.{}", settings.container().extension()));
        let written = encode(&settings, input, 12, &path);
        let (frames, codec_name, pix_fmt) = probe(&path);
        assert_eq!(color_range(&path), "pc", "{codec} {pix}: files are labelled full range");
        assert_eq!(written, 12, "{codec} {pix}");
        assert_eq!(frames, 12, "{codec} {pix}");
        assert_eq!(codec_name, want_codec);
        if codec == Codec::H264 && pix == OutputPixelFormat::Gray {
            // FFmpeg's H.264 decoder reports 4:0:0 streams as yuv(j)420p; the SPS tells the truth.
            assert_eq!(h264_chroma_format_idc(&path), 0, "x264 wrote chroma");
        } else {
            assert_eq!(pix_fmt, want_pix, "{codec} {pix}");
        }
    }
}

#[test]
fn refuses_to_overwrite_and_reports_bad_combinations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("001.mp4");
    std::fs::write(&path, b"precious").expect("write");
    let info = SyntheticCamera::new(SyntheticConfig::default()).open().expect("open");
    let err = FfmpegEncoder::create(&EncoderSettings::default(), &path, &info)
        .err()
        .expect("must fail");
    assert!(matches!(err, EncodeError::Exists(_)), "{err}");
    assert_eq!(std::fs::read(&path).expect("read"), b"precious");

    let av1_gray = EncoderSettings {
        codec: Codec::Av1,
        pixel_format: OutputPixelFormat::Gray,
        ..Default::default()
    };
    let msg = axvs_encode::check_settings(&av1_gray)
        .expect_err("svt-av1 has no gray")
        .to_string();
    assert!(msg.contains("libsvtav1") && msg.contains("yuv420p"), "{msg}");

    let av1_lossless = EncoderSettings {
        codec: Codec::Av1,
        qp: Qp::new(0).expect("qp"),
        ..Default::default()
    };
    let msg = axvs_encode::check_settings(&av1_lossless)
        .expect_err("svt-av1 ignores qp 0")
        .to_string();
    assert!(msg.contains("qp 0"), "{msg}");

    let ffv1_mp4 = EncoderSettings {
        codec: Codec::Ffv1,
        container: Some(Container::Mp4),
        ..Default::default()
    };
    assert!(axvs_encode::check_settings(&ffv1_mp4).is_err());
    let ffv1_gpu = EncoderSettings {
        codec: Codec::Ffv1,
        gpu: Some(0),
        ..Default::default()
    };
    assert!(axvs_encode::check_settings(&ffv1_gpu).is_err());
    assert!(Qp::new(52).is_err() && Preset::new(0).is_err() && Preset::new(8).is_err());
}

/// The NAL unit types of a file's video stream, in order (FFmpeg's `trace_headers`).
fn nal_unit_types(path: &Path) -> Vec<u32> {
    trace_headers(path)
        .lines()
        .filter(|l| l.contains(" nal_unit_type "))
        .filter_map(|l| l.split_whitespace().last()?.parse().ok())
        .collect()
}

/// The frame numbers (in presentation order, at the tests' 33 333 µs spacing) of the packets ffprobe
/// marks as keyframes.
fn key_packets(path: &Path) -> Vec<u64> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts,flags",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (pts, flags) = l.split_once(',')?;
            let pts: u64 = pts.parse().ok()?;
            flags.starts_with('K').then_some((pts - 1) / 33_333)
        })
        .collect()
}

/// The types of an MP4 file's top-level boxes, in order (`ftyp`, `moov`, `moof`, `mdat`, ...).
fn top_level_boxes(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).expect("read mp4");
    let mut boxes = Vec::new();
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        boxes.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
        assert!(size >= 8, "box of size {size} at {at}");
        at += size;
    }
    assert_eq!(at, bytes.len(), "boxes end where the file does");
    boxes
}

/// Every keyframe (one a second) is an IDR picture that starts a closed GOP, so that a recording decodes
/// from any keyframe on: libx264 and libx265 write open GOPs (non-IDR I / CRA keyframes whose leading
/// B-frames reference the previous fragment) unless told otherwise.
#[test]
fn every_keyframe_starts_a_closed_gop() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (codec, idr_types) in [(Codec::H264, &[5][..]), (Codec::H265, &[19, 20][..])] {
        let settings = EncoderSettings {
            codec,
            preset: Preset::new(1).expect("preset"),
            keyframe_interval_s: Some(1.0),
            ..Default::default()
        };
        let path = dir.path().join(format!("{codec}.mp4"));
        // 75 frames at 30 fps: keyframes at 0, 1 and 2 s, each starting a fragment.
        assert_eq!(encode(&settings, PixelFormat::Mono8, 75, &path), 75);
        let keys = key_packets(&path);
        let idrs = nal_unit_types(&path)
            .into_iter()
            .filter(|t| idr_types.contains(t))
            .count();
        assert_eq!(
            keys,
            [0, 30, 60],
            "{codec}: keyframes (frame numbers) in 2.5 s at 30 fps"
        );
        assert_eq!(idrs, keys.len(), "{codec}: {keys:?} keyframes but {idrs} IDR pictures");
        // Fragments close at every keyframe, at the first two packets (so the moov and the first frames
        // reach the file at once) and at least every FLUSH_INTERVAL (250 ms: 10 in 2.5 s).
        let fragments = top_level_boxes(&path).iter().filter(|b| *b == "moof").count();
        assert!(
            (10..=2 + 10 + keys.len()).contains(&fragments),
            "{codec}: {fragments} MP4 fragments in 2.5 s"
        );
    }
}

/// An MP4 is a valid file from the moment its encoder opens (its header and an empty moov are written then):
/// a recording killed before the first packet (x265 holds about a second of frames) leaves a file that
/// readers open, holding no frame. With B-frames (the default preset), every frame's PTS is still exactly
/// its time, the first ones included, whose decode times lie before the onset.
#[test]
fn an_mp4_is_valid_from_the_open_and_b_frames_keep_exact_times() {
    let dir = tempfile::tempdir().expect("tempdir");
    for codec in [Codec::H264, Codec::H265] {
        let settings = EncoderSettings {
            codec,
            ..Default::default()
        };
        let info = camera_info(64, 32, PixelFormat::Mono8);
        let opened = dir.path().join(format!("{codec}-opened.mp4"));
        let encoder = FfmpegEncoder::create(&settings, &opened, &info).expect("create");
        // As a SIGKILL leaves it: nothing finalized.
        std::mem::forget(encoder);
        assert_eq!(top_level_boxes(&opened), ["ftyp", "moov"], "{codec}");
        let name = if codec == Codec::H264 { "h264" } else { "hevc" };
        assert_eq!(
            common::entries(&opened, "stream=codec_name"),
            [name],
            "{codec}: readable"
        );
        assert_eq!(
            common::entries(&opened, "packet=pts"),
            Vec::<String>::new(),
            "{codec}: no frame"
        );

        let path = dir.path().join(format!("{codec}-times.mp4"));
        let times: Vec<u64> = (0..40u64).map(|i| 700 + i * 33_331).collect();
        assert_eq!(encode_at(&settings, PixelFormat::Mono8, &times, &path), 40);
        let dts: Vec<i64> = common::entries(&path, "packet=dts")
            .iter()
            .map(|d| d.parse().expect("dts"))
            .collect();
        assert!(dts[0] < 0, "{codec}: B-frames delay decoding (first DTS {})", dts[0]);
        let mut pts: Vec<u64> = common::entries(&path, "packet=pts")
            .iter()
            .map(|p| p.parse().expect("pts"))
            .collect();
        pts.sort_unstable();
        assert_eq!(pts, times, "{codec}");
    }
}

/// By default the encoder places keyframes (x264 and x265: 250 frames apart, as the original's `ffmpeg`
/// command leaves them), and fragments still close every FLUSH_INTERVAL: how much a crash can lose does not
/// depend on the GOP. Every fragment after the first starts with no keyframe, and the file decodes whole.
#[test]
fn fragments_close_every_flush_interval_whatever_the_gop() {
    let dir = tempfile::tempdir().expect("tempdir");
    for codec in [Codec::H264, Codec::H265] {
        let settings = EncoderSettings {
            codec,
            preset: Preset::new(1).expect("preset"),
            ..Default::default()
        };
        let path = dir.path().join(format!("{codec}-default-gop.mp4"));
        assert_eq!(encode(&settings, PixelFormat::Mono8, 75, &path), 75);
        assert_eq!(key_packets(&path), [0], "{codec}: one keyframe in 75 frames");
        let fragments = top_level_boxes(&path).iter().filter(|b| *b == "moof").count();
        assert!(
            (10..=2 + 10 + 1).contains(&fragments),
            "{codec}: {fragments} MP4 fragments in 2.5 s"
        );
        let decoded = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args(["-f", "null", "-"])
            .output()
            .expect("run ffmpeg");
        assert!(
            decoded.status.success() && decoded.stderr.is_empty(),
            "{codec}: {}",
            String::from_utf8_lossy(&decoded.stderr)
        );
    }
}

/// The synthetic camera's description, for a camera of this size delivering `format`.
fn camera_info(width: usize, height: usize, format: PixelFormat) -> axvs_core::CameraInfo {
    axvs_core::CameraInfo {
        pixel_format: format,
        ..SyntheticCamera::new(SyntheticConfig {
            width: width as u32,
            height: height as u32,
            ..Default::default()
        })
        .open()
        .expect("open")
    }
}

/// Encodes `frames` losslessly (QP 0) as `output` into `path`, at 30 fps.
fn encode_lossless(info: &axvs_core::CameraInfo, output: OutputPixelFormat, frames: &[Vec<u8>], path: &Path) {
    let settings = EncoderSettings {
        qp: Qp::new(0).expect("qp"),
        pixel_format: output,
        ..Default::default()
    };
    let mut encoder = FfmpegEncoder::create(&settings, path, info).expect("create");
    for (i, frame) in frames.iter().enumerate() {
        encoder.encode_raw(frame, 1 + i as u64 * 33_333).expect("encode");
    }
    encoder.finish_file().expect("finish");
}

/// Camera values keep their meaning: files are labelled full range, and black, grey and white pixels come
/// back from the decoder as luma 0, 128 and 255, not squeezed into 16–235 (as swscale's fast BGR to 4:2:0
/// path does).
#[test]
fn colour_conversion_keeps_the_full_range() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (width, height) = (64usize, 48usize);
    let cases = [
        (PixelFormat::Bgr8, OutputPixelFormat::Yuv420p, "yuvj420p", 3, 3),
        (PixelFormat::Bgr8, OutputPixelFormat::Yuv444p, "yuvj444p", 3, 6),
        (PixelFormat::Rgb8, OutputPixelFormat::Yuv420p, "yuvj420p", 3, 3),
        (PixelFormat::BayerRg8, OutputPixelFormat::Yuv420p, "yuvj420p", 1, 3),
        (PixelFormat::Mono8, OutputPixelFormat::Yuv420p, "yuvj420p", 1, 3),
        (PixelFormat::Bgr8, OutputPixelFormat::Gray, "gray", 3, 2),
        (PixelFormat::BayerRg8, OutputPixelFormat::Gray, "gray", 1, 2),
    ];
    for (format, output, decoded, bpp, decoded_halves) in cases {
        let path = dir.path().join(format!("{format}-{output}.mp4"));
        let frames: Vec<Vec<u8>> = [0u8, 128, 255].map(|level| vec![level; width * height * bpp]).into();
        encode_lossless(&camera_info(width, height, format), output, &frames, &path);
        // The decoder's own planes, luma first: no conversion on the way out.
        let lumas: Vec<u8> = decode_raw(&path, decoded)
            .chunks(width * height * decoded_halves / 2)
            .map(|frame| frame[width * height / 2 + width / 2])
            .collect();
        assert_eq!(lumas, [0, 128, 255], "{format} as {output}: luma of black, grey, white");
    }
}

/// Colours survive the trip: a colourful BGR frame encoded losslessly as 4:4:4 decodes (by FFmpeg, which
/// reads untagged full-range YUV as BT.601) to within rounding of the camera's pixels.
#[test]
fn bgr_round_trips_through_yuv444() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut camera = SyntheticCamera::new(SyntheticConfig {
        width: 64,
        height: 48,
        pixel_format: PixelFormat::Bgr8,
        ..Default::default()
    });
    let info = camera.open().expect("open");
    let mut frame = vec![0u8; info.frame_size()];
    camera.render(7, &mut frame);
    let path = dir.path().join("bgr.mp4");
    encode_lossless(&info, OutputPixelFormat::Yuv444p, std::slice::from_ref(&frame), &path);
    // The matrix is written down, so players that assume BT.709 for untagged HD video convert it right.
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=color_space,color_range",
            "-of",
            "csv=p=0",
        ])
        .arg(&path)
        .output()
        .expect("run ffprobe");
    assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "pc,smpte170m");
    let decoded = decode_raw(&path, "bgr24");
    assert_eq!(decoded.len(), frame.len());
    let worst = frame
        .iter()
        .zip(&decoded)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap_or(0);
    let mean = frame
        .iter()
        .zip(&decoded)
        .map(|(a, b)| a.abs_diff(*b) as f64)
        .sum::<f64>()
        / frame.len() as f64;
    assert!(worst <= 3 && mean < 1.0, "worst {worst}, mean {mean:.2} levels off");
}

/// A Bayer mosaic of one colour (red 200, green 100, blue 50) comes back as that colour: the pattern is read
/// the right way round and demosaiced before the full-range conversion.
#[test]
fn bayer_mosaics_keep_their_colour() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (width, height) = (64usize, 48usize);
    let (r, g, b) = (200u8, 100u8, 50u8);
    // Which colour each 2x2 position holds, top-left, top-right, bottom-left, bottom-right.
    for (format, cells) in [
        (PixelFormat::BayerRg8, [r, g, g, b]),
        (PixelFormat::BayerBg8, [b, g, g, r]),
        (PixelFormat::BayerGr8, [g, r, b, g]),
        (PixelFormat::BayerGb8, [g, b, r, g]),
    ] {
        let mosaic: Vec<u8> = (0..width * height)
            .map(|i| cells[(i / width % 2) * 2 + i % width % 2])
            .collect();
        let path = dir.path().join(format!("{format}.mp4"));
        encode_lossless(
            &camera_info(width, height, format),
            OutputPixelFormat::Yuv444p,
            &[mosaic],
            &path,
        );
        let decoded = decode_raw(&path, "rgb24");
        let centre = (height / 2 * width + width / 2) * 3;
        let got = &decoded[centre..centre + 3];
        for (channel, (want, got)) in ["red", "green", "blue"].iter().zip([r, g, b].iter().zip(got)) {
            assert!(want.abs_diff(*got) <= 3, "{format}: {channel} {got}, want {want}");
        }
    }
}

/// 16-bit gray recorded as 8-bit keeps flat areas flat: each value is rounded to its top 8 bits, without
/// the ordered dither swscale would add (a 126/127 checkerboard for a flat 0x7F40).
#[test]
fn mono16_recorded_as_8_bit_is_rounded_not_dithered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (width, height) = (64usize, 48usize);
    let info = camera_info(width, height, PixelFormat::Mono16);
    let flat = |value: u16| -> Vec<u8> {
        std::iter::repeat_n(value.to_le_bytes(), width * height)
            .flatten()
            .collect()
    };
    for output in [OutputPixelFormat::Gray, OutputPixelFormat::Yuv420p] {
        let path = dir.path().join(format!("{output}.mp4"));
        // Only rounding maps 0x7F80 to 128 and 0x0080 to 1 (truncation gives 127 and 0), 0x7F7F stays 127
        // (rounding up would give 128), and 0xFF80 must saturate at 255 (not wrap to 0).
        let cases = [
            (0x7F40u16, 127u8),
            (0x7F80, 128),
            (0x7F7F, 127),
            (0x0080, 1),
            (0xFF80, 255),
            (0xFFFF, 255),
            (0x0000, 0),
        ];
        let inputs: Vec<Vec<u8>> = cases.iter().map(|&(value, _)| flat(value)).collect();
        encode_lossless(&info, output, &inputs, &path);
        let decoded = decode_raw(&path, "gray");
        let frames: Vec<&[u8]> = decoded.chunks(width * height).collect();
        assert_eq!(frames.len(), cases.len(), "{output}");
        for (frame, want) in frames.iter().zip(cases.map(|(_, want)| want)) {
            assert!(
                frame.iter().all(|&v| v == want),
                "{output}: want a flat {want}, got {:?}",
                &frame[..8]
            );
        }
    }
}

/// Mono values are copied, not converted: a 0..=255 ramp (every value, in every row) recorded losslessly
/// decodes to the same bytes, pixel for pixel, in every lossless mono path, and each file says full range.
#[test]
fn a_lossless_mono_ramp_decodes_pixel_for_pixel() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (width, height) = (256usize, 32usize);
    let ramp: Vec<u8> = (0..width * height)
        .map(|i| ((i % width + i / width) % 256) as u8)
        .collect();
    let info = camera_info(width, height, PixelFormat::Mono8);
    for (codec, output) in [
        (Codec::H264, OutputPixelFormat::Gray),
        (Codec::H264, OutputPixelFormat::Yuv420p),
        (Codec::H264, OutputPixelFormat::Yuv444p),
        (Codec::Ffv1, OutputPixelFormat::Gray),
    ] {
        let settings = EncoderSettings {
            codec,
            qp: Qp::new(0).expect("qp"),
            pixel_format: output,
            ..Default::default()
        };
        let path = dir
            .path()
            .join(format!("{codec}-{output}.{}", settings.container().extension()));
        let mut encoder = FfmpegEncoder::create(&settings, &path, &info).expect("create");
        encoder.encode_raw(&ramp, 1).expect("encode");
        encoder.finish_file().expect("finish");
        assert_eq!(color_range(&path), "pc", "{codec} {output}");
        let decoded = decode_raw(&path, "gray");
        assert_eq!(decoded.len(), ramp.len(), "{codec} {output}");
        let wrong = decoded.iter().zip(&ramp).filter(|(a, b)| a != b).count();
        assert_eq!(wrong, 0, "{codec} {output}: {wrong} pixels differ from the camera's");
    }
}

#[test]
fn video_info_reads_what_ffprobe_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 30 frames 20 ms apart, the first 0.5 s after the onset: 0.6 s of video at 50 fps.
    let times: Vec<u64> = (0..30).map(|i| 500_000 + i * 20_000).collect();
    for (codec, container, name) in [
        (Codec::H264, None, "h264"),
        (Codec::Ffv1, None, "ffv1"),
        (Codec::H265, Some(Container::Mov), "hevc"),
    ] {
        let settings = EncoderSettings {
            codec,
            container,
            preset: Preset::FASTEST,
            ..EncoderSettings::default()
        };
        let path = dir
            .path()
            .join(format!("v_{name}.{}", settings.container().extension()));
        let frames = encode_at(&settings, PixelFormat::Mono8, &times, &path);
        let info = axvs_encode::video_info(&path).expect("video info");
        let (probed, codec_name, pix_fmt) = probe(&path);
        assert_eq!(
            (info.frames, frames),
            (probed, probed),
            "{name}: frames counted packet by packet"
        );
        assert_eq!(info.codec, codec_name, "{name}");
        assert_eq!(info.codec, name);
        assert_eq!(info.pixel_format, pix_fmt, "{name}");
        assert_eq!((info.width, info.height), (320, 240), "{name}");
        assert_eq!(info.torn, 0, "{name}");
        assert!(
            (info.duration_s - 0.6).abs() < 1e-6,
            "{name}: duration {}",
            info.duration_s
        );
        assert!((info.mean_fps - 50.0).abs() < 1e-3, "{name}: {} fps", info.mean_fps);
        assert_eq!(info.bytes, std::fs::metadata(&path).expect("size").len());
        assert_eq!(
            info.bit_rate,
            (info.bytes as f64 * 8.0 / 0.6) as u64,
            "{name}: {info:?}"
        );
        assert!(!info.codec_long_name.is_empty(), "{info:?}");
    }
    // One frame: no duration, so no rate either (not a division by zero).
    let single = dir.path().join("single.mp4");
    encode_at(&EncoderSettings::default(), PixelFormat::Mono8, &[500_000], &single);
    let info = axvs_encode::video_info(&single).expect("video info");
    assert_eq!(
        (info.frames, info.duration_s, info.mean_fps, info.bit_rate),
        (1, 0.0, 0.0, 0)
    );
    let junk = dir.path().join("junk.mp4");
    std::fs::write(&junk, b"not a video").expect("junk");
    assert!(axvs_encode::video_info(&junk).is_err());
}

#[test]
fn try_encoder_opens_each_cpu_encoder_and_explains_a_missing_gpu() {
    // libsvtav1 would wait forever if the probe closed it without a frame and the end of the stream.
    for codec in [Codec::H264, Codec::H265, Codec::Av1, Codec::Ffv1] {
        let settings = EncoderSettings {
            codec,
            ..EncoderSettings::default()
        };
        axvs_encode::try_encoder(&settings).unwrap_or_else(|e| panic!("{codec:?}: {e}"));
    }
    // What cannot work is found out, as a recording would.
    let ffv1_in_mp4 = EncoderSettings {
        codec: Codec::Ffv1,
        container: Some(Container::Mp4),
        ..EncoderSettings::default()
    };
    assert!(axvs_encode::try_encoder(&ffv1_in_mp4).is_err());
    let gpu = EncoderSettings {
        gpu: Some(0),
        ..EncoderSettings::default()
    };
    if let Err(e) = axvs_encode::try_encoder(&gpu) {
        assert!(e.to_string().contains("GPU 0"), "{e}");
    }
    let versions = axvs_encode::library_versions();
    assert_eq!(versions.len(), 4);
    assert!(
        versions
            .iter()
            .all(|(_, v)| v.split('.').count() == 3 && !v.starts_with("0.")),
        "{versions:?}"
    );
}

/// A thread budget reaches x264: the options it writes into the stream name that many threads; without
/// one, x264 sizes its pool for the machine (1.5 threads per core, fewer for small pictures).
#[test]
fn a_thread_budget_sets_the_encoders_threads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let threads_written = |threads: Option<u32>| -> String {
        let settings = EncoderSettings {
            preset: Preset::new(1).expect("preset"),
            threads,
            ..Default::default()
        };
        let path = dir.path().join(format!("threads-{threads:?}.mp4"));
        assert_eq!(encode(&settings, PixelFormat::Mono8, 10, &path), 10);
        let bytes = std::fs::read(&path).expect("read video");
        let text = String::from_utf8_lossy(&bytes);
        let at = text.find(" threads=").expect("x264 options in the stream");
        text[at + 1..].split(' ').next().unwrap_or_default().to_string()
    };
    assert_eq!(threads_written(Some(1)), "threads=1");
    assert_eq!(threads_written(Some(3)), "threads=3");
    if std::thread::available_parallelism().map_or(1, |n| n.get()) > 1 {
        assert_ne!(
            threads_written(None),
            "threads=1",
            "x264's own choice on a multi-core machine"
        );
    }
}

/// The presets faster than the original's reach x264 by name: ultrafast (no B-frames, no sub-pixel
/// refinement) and superfast (subme 1), each faster than veryfast (subme 2).
#[test]
fn faster_presets_reach_x264() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = |preset: Preset| -> String {
        let settings = EncoderSettings {
            preset,
            ..Default::default()
        };
        let path = dir.path().join(format!("{}.mp4", preset.cpu_name()));
        assert_eq!(encode(&settings, PixelFormat::Mono8, 10, &path), 10);
        let bytes = std::fs::read(&path).expect("read video");
        let text = String::from_utf8_lossy(&bytes);
        let at = text.find("options: ").expect("x264 options in the stream");
        text[at..].split('\0').next().unwrap_or_default().to_string()
    };
    let ultrafast = options(Preset::Ultrafast);
    assert!(
        ultrafast.contains(" subme=0 ") && ultrafast.contains(" bframes=0 "),
        "{ultrafast}"
    );
    let superfast = options(Preset::Superfast);
    assert!(superfast.contains(" subme=1 "), "{superfast}");
    assert!(options(Preset::FASTEST).contains(" subme=2 "));
}
