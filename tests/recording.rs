//! Two synthetic cameras recorded together through the library API, with saving toggled on/off/on, checked
//! with the real FFmpeg: every saved frame is in the file, logged once, in order, with the file's timing.

use std::sync::Arc;
use std::time::Duration;

use axvs_core::{
    decode_counter, PixelFormat, SyntheticCamera, SyntheticConfig, SystemConfig, SystemState, VideoSystem,
};
use axvs_encode::{EncoderSettings, FfmpegEncoderFactory, OutputPixelFormat, Preset, Qp};
use axvs_log::{read_log, timestamps, FileLogSink};
use axvs_tests::{assert_pts_equal_logged, decode_luma, probe, wait_until};

const W: u32 = 320;
const H: u32 = 240;

fn system(id: u8, pixel_format: PixelFormat, out: &std::path::Path, sink: Arc<FileLogSink>) -> VideoSystem {
    let camera = SyntheticCamera::new(SyntheticConfig {
        width: W,
        height: H,
        fps: 60.0,
        pixel_format,
        paced: true,
        frame_limit: None,
        ..SyntheticConfig::default()
    });
    let settings = EncoderSettings {
        preset: Preset::new(1).expect("preset"),
        qp: Qp::new(18).expect("qp"),
        pixel_format: if pixel_format == PixelFormat::Mono8 {
            OutputPixelFormat::Gray
        } else {
            OutputPixelFormat::Yuv420p
        },
        ..Default::default()
    };
    let factory = FfmpegEncoderFactory::new(settings, out).expect("encoder settings");
    VideoSystem::new(
        SystemConfig::new(id, format!("cam{id}")),
        Box::new(camera),
        Some(Arc::new(factory)),
        sink,
    )
}

#[test]
fn two_cameras_with_saving_toggled_on_off_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sink = Arc::new(FileLogSink::create(dir.path()).expect("log sink"));
    let mut systems = [
        system(1, PixelFormat::Mono8, dir.path(), sink.clone()),
        system(2, PixelFormat::Bgr8, dir.path(), sink.clone()),
    ];
    for s in &mut systems {
        s.start().expect("start");
    }
    let saved_at_least = |systems: &[VideoSystem], n: u64| systems.iter().all(|s| s.status().saved >= n);
    let acquired_at_least = |systems: &[VideoSystem], n: u64| systems.iter().all(|s| s.status().acquired >= n);
    let long = Duration::from_secs(30);

    wait_until("20 saved frames", long, || saved_at_least(&systems, 20));
    systems.iter().for_each(VideoSystem::stop_saving);
    let acquired_then: Vec<u64> = systems.iter().map(|s| s.status().acquired).collect();
    wait_until("15 frames acquired while not saving", long, || {
        systems
            .iter()
            .zip(&acquired_then)
            .all(|(s, a)| s.status().acquired >= a + 15)
    });
    systems.iter().for_each(VideoSystem::start_saving);
    let saved_then: Vec<u64> = systems.iter().map(|s| s.status().saved).collect();
    wait_until("20 more saved frames", long, || {
        systems.iter().zip(&saved_then).all(|(s, n)| s.status().saved >= n + 20)
    });
    assert!(acquired_at_least(&systems, 55));

    let reports: Vec<_> = systems.iter_mut().map(VideoSystem::stop).collect();
    sink.close().expect("close log");

    for (report, pixel_format) in reports.iter().zip([PixelFormat::Mono8, PixelFormat::Bgr8]) {
        report.result().expect("no worker errors");
        let s = &report.status;
        assert_eq!(s.state, SystemState::Idle, "a clean run ends idle");
        let video = report.video.as_ref().expect("a video");
        assert!(
            s.dropped.saving_off >= 15,
            "{pixel_format}: frames while not saving must be counted: {s:?}"
        );
        assert_eq!(s.dropped.lost(), 0, "{pixel_format}: no frame may be lost: {s:?}");
        assert_eq!(
            s.acquired,
            s.saved + s.dropped.saving_off,
            "{pixel_format}: every frame accounted for"
        );

        // Frames in the video == frame entries in the log == saved count.
        let probed = probe(&video.path);
        let frames = probed.frame_count();
        let log = read_log(&dir.path().join(format!("{:03}.axvslog", s.id))).expect("read log");
        assert_eq!(log.truncated_tail, 0);
        assert_eq!(log.entries.iter().filter(|e| e.is_onset()).count(), 1, "one onset");
        assert!(log.entries[0].is_onset(), "onset first");
        let logged: Vec<u64> = log.entries.iter().filter(|e| e.is_frame()).map(|e| e.time_us).collect();
        assert_eq!(frames, s.saved, "{pixel_format}: video frames vs saved");
        assert_eq!(logged.len() as u64, s.saved, "{pixel_format}: log entries vs saved");
        assert_eq!(video.frames, s.saved);

        // Decoded frame counters strictly increase, with one jump where saving was off.
        let counters: Vec<u32> = decode_luma(&video.path, W as usize, H as usize)
            .iter()
            .map(|luma| decode_counter(luma, W as usize, H as usize))
            .collect();
        assert_eq!(counters.len() as u64, frames);
        assert!(
            counters.windows(2).all(|w| w[0] < w[1]),
            "{pixel_format}: counters not increasing: {counters:?}"
        );
        let gaps = counters.windows(2).filter(|w| w[1] - w[0] > 1).count();
        assert!(
            gaps >= 1,
            "{pixel_format}: the off period must show as a gap: {counters:?}"
        );

        // The file's timing is the acquisition timing: each PTS is its frame's logged time, in µs.
        assert_eq!(probed.time_base(), (1, 1_000_000));
        assert_pts_equal_logged(&probed, &logged, &pixel_format.to_string());

        // Absolute times exist for every frame.
        assert_eq!(
            timestamps::frame_times(&log.entries).expect("times").len(),
            logged.len()
        );
    }
}

#[test]
fn a_full_queue_drops_and_counts_frames_instead_of_growing() {
    use axvs_core::{CameraInfo, EncodeSummary, Encoder, EncoderError, EncoderFactory, Frame, NullLogSink};
    use std::path::{Path, PathBuf};

    // An encoder that takes 20 ms per frame behind an unpaced camera: the queue must stay bounded.
    struct Slow(PathBuf);
    impl Encoder for Slow {
        fn encode(&mut self, _frame: &Frame) -> Result<(), EncoderError> {
            std::thread::sleep(Duration::from_millis(20));
            Ok(())
        }
        fn finish(&mut self) -> Result<EncodeSummary, EncoderError> {
            Ok(EncodeSummary::default())
        }
        fn path(&self) -> &Path {
            &self.0
        }
    }
    struct SlowFactory;
    impl EncoderFactory for SlowFactory {
        fn create(&self, _id: u8, _camera: &CameraInfo) -> Result<Box<dyn Encoder>, EncoderError> {
            Ok(Box::new(Slow(PathBuf::from("slow"))))
        }
    }
    let camera = SyntheticCamera::new(SyntheticConfig {
        paced: false,
        ..Default::default()
    });
    let mut config = SystemConfig::new(9, "fast");
    config.queue_depth = 4;
    let mut system = VideoSystem::new(
        config,
        Box::new(camera),
        Some(Arc::new(SlowFactory)),
        Arc::new(NullLogSink),
    );
    system.start().expect("start");
    wait_until("queue-full drops", Duration::from_secs(30), || {
        system.status().dropped.queue_full > 50
    });
    let status = system.status();
    assert!(status.queue_depth <= 4, "queue exceeded its bound: {status:?}");
    let report = system.stop();
    let s = report.status;
    assert_eq!(s.acquired, s.saved + s.dropped.queue_full + s.dropped.saving_off);
}

#[test]
fn a_restarted_system_writes_a_new_file_and_a_failed_start_leaves_none() {
    use axvs_core::{Camera, CameraError, CameraInfo, GrabInfo};

    let dir = tempfile::tempdir().expect("tempdir");
    let sink = Arc::new(FileLogSink::create(dir.path()).expect("log sink"));
    let mut s = system(3, PixelFormat::Mono8, dir.path(), sink.clone());
    for _ in 0..2 {
        s.start().expect("start");
        wait_until("saved frames", Duration::from_secs(30), || s.status().saved >= 5);
        s.stop().result().expect("clean stop");
    }
    sink.close().expect("close log");
    // Never overwritten: the second run went to a second file; both play.
    for name in ["003.mp4", "003-2.mp4"] {
        assert!(probe(&dir.path().join(name)).frame_count() >= 5, "{name}");
    }
    let log = read_log(&dir.path().join("003.axvslog")).expect("log");
    assert_eq!(
        log.entries.iter().filter(|e| e.is_onset()).count(),
        2,
        "one onset per start"
    );
    // `axvs timestamps` writes one file per run, each matching its video frame for frame.
    let out = axvs_tests::axvs()
        .arg("timestamps")
        .arg(dir.path().join("003.axvslog"))
        .output()
        .expect("axvs timestamps");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let onsets: Vec<u64> = log.entries.iter().filter_map(|e| e.onset_utc_us()).collect();
    for ((video, times), onset) in [("003.mp4", "003_timestamps.csv"), ("003-2.mp4", "003-2_timestamps.csv")]
        .into_iter()
        .zip(onsets)
    {
        let csv = std::fs::read_to_string(dir.path().join(times)).expect("per-run timestamps");
        let times: Vec<u64> = csv.lines().skip(1).map(|l| l.parse().expect("time")).collect();
        let pts: Vec<u64> = probe(&dir.path().join(video))
            .pts()
            .into_iter()
            .map(|p| onset + p as u64)
            .collect();
        assert_eq!(times, pts, "{times:?} vs {video}");
    }

    // A camera that cannot start: an error naming it, and no empty video left to block a retry.
    struct Broken(SyntheticCamera);
    impl Camera for Broken {
        fn open(&mut self) -> Result<CameraInfo, CameraError> {
            self.0.open()
        }
        fn start(&mut self) -> Result<(), CameraError> {
            Err(CameraError::Device("sensor fault".into()))
        }
        fn grab(&mut self, buf: &mut [u8]) -> Result<GrabInfo, CameraError> {
            self.0.grab(buf)
        }
        fn stop(&mut self) -> Result<(), CameraError> {
            Ok(())
        }
    }
    let factory = FfmpegEncoderFactory::new(EncoderSettings::default(), dir.path()).expect("settings");
    let mut broken = VideoSystem::new(
        SystemConfig::new(4, "broken"),
        Box::new(Broken(SyntheticCamera::new(SyntheticConfig::default()))),
        Some(Arc::new(factory)),
        Arc::new(axvs_core::NullLogSink),
    );
    let err = broken.start().expect_err("start must fail").to_string();
    assert!(
        err.contains("camera 4 'broken'") && err.contains("sensor fault"),
        "{err}"
    );
    assert!(
        !dir.path().join("004.mp4").exists(),
        "a failed start must leave no file"
    );
}
