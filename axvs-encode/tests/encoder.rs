//! The encoder as the pipeline drives it: through the `Encoder` and `EncoderFactory` traits, with the
//! files it names, the timestamps it is given, the pictures it fills and what it does when dropped.
//! Checked with `ffprobe` and `ffmpeg` (the CLI of the same FFmpeg).

mod common;

use axvs_core::{CameraIdentity, CameraInfo, EncoderFactory, Frame, FrameMeta, FramePool, PixelFormat};
use axvs_encode::{
    available_encoders, Codec, EncodeError, EncoderSettings, FfmpegEncoder, FfmpegEncoderFactory, OutputPixelFormat,
    Preset,
};
use common::{count_frames, decode_raw as decode, entries as ffprobe};

fn info(width: u32, height: u32, pixel_format: PixelFormat, fps: f64) -> CameraInfo {
    CameraInfo {
        width,
        height,
        fps,
        pixel_format,
        identity: CameraIdentity::default(),
    }
}

fn fast(codec: Codec, pixel_format: OutputPixelFormat) -> EncoderSettings {
    EncoderSettings {
        codec,
        pixel_format,
        preset: Preset::FASTEST,
        ..Default::default()
    }
}

/// A frame of `data` at `time_us`, as the pipeline hands it over.
fn frame(pool: &FramePool, camera: &CameraInfo, data: &[u8], sequence: u64, time_us: u64) -> Frame {
    let mut buf = pool.try_acquire().expect("a free buffer");
    buf.copy_from_slice(data);
    Frame::new(
        buf,
        FrameMeta {
            sequence,
            device_frame_id: None,
            device_timestamp_ns: None,
            time_us,
            width: camera.width,
            height: camera.height,
            pixel_format: camera.pixel_format,
        },
    )
}

#[test]
fn this_ffmpeg_offers_the_cpu_encoders_axvs_uses() {
    let found = available_encoders();
    for name in ["libx264", "ffv1"] {
        assert!(found.contains(&name), "{found:?}");
    }
    assert!(found.iter().all(|n| !n.is_empty()), "{found:?}");
}

#[test]
fn the_factory_names_files_by_source_and_never_reuses_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = fast(Codec::H264, OutputPixelFormat::Gray);
    let factory = FfmpegEncoderFactory::new(settings.clone(), dir.path()).expect("factory");
    assert_eq!(factory.settings(), &settings);
    assert_eq!(factory.video_path(7), dir.path().join("007.mp4"));
    let camera = info(64, 32, PixelFormat::Mono8, 30.0);
    let pool = FramePool::new(2, camera.frame_size());
    let mut paths = Vec::new();
    for frames in [3u64, 2, 4] {
        let mut encoder = factory.create(7, &camera).expect("create");
        for i in 0..frames {
            encoder
                .encode(&frame(
                    &pool,
                    &camera,
                    &vec![(i * 40) as u8; camera.frame_size()],
                    i,
                    i * 33_333,
                ))
                .expect("encode");
        }
        let summary = encoder.finish().expect("finish");
        assert_eq!(summary.frames, frames);
        assert_eq!(summary.path, encoder.path());
        assert_eq!(summary.bytes, std::fs::metadata(&summary.path).expect("file").len());
        assert_eq!(ffprobe(&summary.path, "stream=nb_read_frames").len(), 1);
        paths.push(summary.path);
    }
    assert_eq!(
        paths,
        [
            dir.path().join("007.mp4"),
            dir.path().join("007-2.mp4"),
            dir.path().join("007-3.mp4")
        ]
    );
    let ffv1 = FfmpegEncoderFactory::new(fast(Codec::Ffv1, OutputPixelFormat::Gray), dir.path().join("sub/dir"))
        .expect("factory");
    assert_eq!(ffv1.video_path(0), dir.path().join("sub/dir/000.mkv"));
    // The folder is made when the first file is.
    let mut encoder = ffv1.create(0, &camera).expect("create in a new folder");
    encoder.finish().expect("finish");
    assert!(dir.path().join("sub/dir/000.mkv").is_file());
}

#[test]
fn pts_are_the_given_times_made_strictly_increasing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.mp4");
    let camera = info(64, 32, PixelFormat::Mono8, 30.0);
    let mut encoder =
        FfmpegEncoder::create(&fast(Codec::H264, OutputPixelFormat::Gray), &path, &camera).expect("create");
    let data = vec![90u8; camera.frame_size()];
    for time in [0, 0, 5, 40_000, 39_000] {
        encoder.encode_raw(&data, time).expect("encode");
    }
    encoder.finish_file().expect("finish");
    // MP4 streams count in µs: a repeated or earlier time moves to 1 µs after the previous frame.
    let pts: Vec<String> = ffprobe(&path, "packet=pts");
    let mut pts: Vec<i64> = pts.iter().map(|p| p.parse().expect("pts")).collect();
    pts.sort_unstable();
    assert_eq!(pts, [0, 1, 5, 40_000, 40_001]);
}

#[test]
fn a_dropped_encoder_still_finishes_its_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("dropped.mp4");
    let camera = info(64, 32, PixelFormat::Mono8, 30.0);
    let mut encoder =
        FfmpegEncoder::create(&fast(Codec::H264, OutputPixelFormat::Gray), &path, &camera).expect("create");
    for i in 0..12u64 {
        encoder
            .encode_raw(&vec![(i * 20) as u8; camera.frame_size()], i * 33_333)
            .expect("encode");
    }
    drop(encoder);
    // Flushed and closed: every frame, including those the codec still held, is in the file.
    assert_eq!(count_frames(&path), 12);
}

#[test]
fn yuv420p_needs_an_even_size_and_other_formats_do_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (width, height) in [(65, 32), (64, 33)] {
        let camera = info(width, height, PixelFormat::Mono8, 30.0);
        let path = dir.path().join(format!("{width}x{height}.mp4"));
        match FfmpegEncoder::create(&fast(Codec::H264, OutputPixelFormat::Yuv420p), &path, &camera) {
            Err(EncodeError::Unsupported(why)) => assert!(why.contains("even width and height"), "{why}"),
            other => panic!("{width}x{height} yuv420p: {:?}", other.map(|_| ())),
        }
        assert!(!path.exists(), "nothing is left behind");
        let mut encoder = FfmpegEncoder::create(
            &fast(Codec::Ffv1, OutputPixelFormat::Gray),
            &path.with_extension("mkv"),
            &camera,
        )
        .expect("gray takes odd sizes");
        encoder.encode_raw(&vec![7; camera.frame_size()], 0).expect("encode");
        encoder.finish_file().expect("finish");
    }
    let even = info(64, 32, PixelFormat::Mono8, 30.0);
    FfmpegEncoder::create(
        &fast(Codec::H264, OutputPixelFormat::Yuv420p),
        &dir.path().join("even.mp4"),
        &even,
    )
    .expect("an even size is fine");
}

#[test]
fn mono_frames_in_yuv_get_neutral_chroma_in_every_picture() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mono.mp4");
    let (width, height) = (64usize, 32usize);
    let camera = info(width as u32, height as u32, PixelFormat::Mono8, 30.0);
    // Enough frames that the codec still holds pictures when the next is filled (x264's lookahead), so
    // the encoder has to take fresh picture buffers, whose chroma must be set too.
    let frames = 60u64;
    let settings = EncoderSettings {
        qp: axvs_encode::Qp::new(0).expect("qp"),
        ..fast(Codec::H264, OutputPixelFormat::Yuv420p)
    };
    let mut encoder = FfmpegEncoder::create(&settings, &path, &camera).expect("create");
    for i in 0..frames {
        let luma: Vec<u8> = (0..width * height)
            .map(|p| (p % width * 3 + i as usize) as u8)
            .collect();
        encoder.encode_raw(&luma, i * 33_333).expect("encode");
    }
    encoder.finish_file().expect("finish");
    let decoded = decode(&path, "yuv420p");
    let picture = width * height * 3 / 2;
    assert_eq!(decoded.len(), picture * frames as usize);
    for (i, frame) in decoded.chunks_exact(picture).enumerate() {
        let chroma = &frame[width * height..];
        let off = chroma.iter().filter(|&&c| c.abs_diff(128) > 2).count();
        assert_eq!(off, 0, "frame {i}: {off} chroma samples are not neutral grey");
    }
}

#[test]
fn mono16_in_gray16_ffv1_is_kept_bit_for_bit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("deep.mkv");
    let (width, height) = (66usize, 20usize);
    let camera = info(width as u32, height as u32, PixelFormat::Mono16, 30.0);
    let mut encoder =
        FfmpegEncoder::create(&fast(Codec::Ffv1, OutputPixelFormat::Gray16), &path, &camera).expect("create");
    let ramp: Vec<u8> = (0..width * height)
        .flat_map(|p| ((p * 977 % 65536) as u16).to_le_bytes())
        .collect();
    encoder.encode_raw(&ramp, 0).expect("encode");
    encoder.finish_file().expect("finish");
    assert!(decode(&path, "gray16le") == ramp, "16-bit samples changed");
}

#[test]
fn ffv1_is_written_as_version_3_with_its_configuration_in_the_header() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v3.mkv");
    let camera = info(64, 32, PixelFormat::Mono8, 30.0);
    let mut encoder =
        FfmpegEncoder::create(&fast(Codec::Ffv1, OutputPixelFormat::Gray), &path, &camera).expect("create");
    encoder.encode_raw(&vec![3; camera.frame_size()], 0).expect("encode");
    encoder.finish_file().expect("finish");
    // Version 3 (sliced, each slice with a CRC) keeps its configuration record in the stream header;
    // versions 0 and 1 have none.
    let size = ffprobe(&path, "stream=extradata_size");
    assert!(
        size.first().and_then(|s| s.parse::<u32>().ok()).is_some_and(|n| n > 0),
        "{size:?}"
    );
}

#[test]
fn mono8_in_gray16_is_scaled_to_the_full_16_bit_range() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("wide.mkv");
    let camera = info(64, 4, PixelFormat::Mono8, 30.0);
    let mut encoder =
        FfmpegEncoder::create(&fast(Codec::Ffv1, OutputPixelFormat::Gray16), &path, &camera).expect("create");
    let ramp: Vec<u8> = (0..camera.frame_size()).map(|p| (p * 4) as u8).collect();
    encoder.encode_raw(&ramp, 0).expect("encode");
    encoder.finish_file().expect("finish");
    let decoded = decode(&path, "gray16le");
    let samples: Vec<u16> = decoded
        .chunks_exact(2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .collect();
    // 0 stays 0 and 255 becomes 65535: each 8-bit value v is v * 257.
    let expected: Vec<u16> = ramp.iter().map(|&v| u16::from(v) * 257).collect();
    assert!(samples == expected, "first samples {:?}", &samples[..8]);
}

/// Saving paused for longer than 2^31 µs (about 36 minutes), then on again: the frame before the pause would
/// last the whole pause, a duration MP4 stores in 32 bits (FFmpeg refuses it). The next frame starts a new
/// file instead, and every frame keeps its exact time (to the ms in Matroska). The times are fed, not
/// waited for.
#[test]
fn frames_after_a_pause_of_hours_keep_their_times_in_a_new_file() {
    use axvs_encode::{segment_files, SegmentedEncoder};

    let dir = tempfile::tempdir().expect("tempdir");
    let camera = info(64, 32, PixelFormat::Mono8, 30.0);
    let hour = 3_600_000_000u64;
    let mut times: Vec<u64> = (0..40).map(|i| 1 + i * 33_333).collect();
    // 29 minutes (below the limit: same file), 40 minutes, then 3 hours (beyond even an unsigned 32-bit
    // duration), with 10 frames after each.
    for pause in [hour * 29 / 60, hour * 2 / 3, hour * 3] {
        let after = times.last().copied().unwrap_or(0) + pause;
        times.extend((0..10).map(|i| after + i * 33_333));
    }
    for (codec, ext, resolution) in [
        (Codec::H264, "mp4", 1),
        (Codec::Ffv1, "mov", 1),
        (Codec::Ffv1, "mkv", 1000),
    ] {
        let first = dir.path().join(format!("pause.{ext}"));
        let settings = EncoderSettings {
            container: Some(ext.parse().expect("container")),
            ..fast(codec, OutputPixelFormat::Gray)
        };
        let mut encoder = SegmentedEncoder::create(&settings, &first, &camera).expect("create");
        for (i, &time) in times.iter().enumerate() {
            encoder
                .encode_raw(&vec![(i * 5) as u8; camera.frame_size()], time)
                .expect("encode");
        }
        let summary = encoder.finish_files().expect("finish");
        let files = segment_files(&first);
        assert_eq!(
            files.len(),
            3,
            "{ext}: a new file after each pause over 30 minutes: {files:?}"
        );
        assert_eq!(
            summary.segments.iter().map(|s| s.path.clone()).collect::<Vec<_>>(),
            files
        );
        assert_eq!(
            summary.segments.iter().map(|s| s.frames).collect::<Vec<_>>(),
            [50, 10, 10]
        );
        let mut read = Vec::new();
        for file in &files {
            read.extend(axvs_encode::video_frame_times(file).expect("frame times").times_us);
            assert_eq!(
                ffprobe(file, "packet=flags").first().map(|f| f.starts_with('K')),
                Some(true),
                "{}: starts with a keyframe",
                file.display()
            );
        }
        let expected: Vec<u64> = times
            .iter()
            .map(|t| (t + resolution / 2) / resolution * resolution)
            .collect();
        assert_eq!(read, expected, "{ext}: every frame at its time");
        let decoded: u64 = files.iter().map(|f| count_frames(f)).sum();
        assert_eq!(decoded, times.len() as u64, "{ext}: every frame decodes");
    }
}
