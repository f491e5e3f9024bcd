use std::time::Duration;

use super::clock::AcquisitionClock;
use super::config::POOL_SLACK;
use super::*;
use crate::{CameraError, EncoderError, LogError, NullLogSink, SyntheticCamera, SyntheticConfig};

/// Waits (at most 10 s, so that a regression fails instead of hanging) for an event that `wanted`
/// accepts; returns whether one came.
fn event_within(system: &VideoSystem, wanted: impl Fn(&SystemEvent) -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match system.events().recv_timeout(left) {
            Ok(event) if wanted(&event) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

#[test]
fn end_of_stream_ends_the_system_without_error() {
    let camera = SyntheticCamera::new(SyntheticConfig {
        paced: false,
        frame_limit: Some(10),
        ..Default::default()
    });
    let mut system = VideoSystem::new(SystemConfig::new(1, "t"), Box::new(camera), None, Arc::new(NullLogSink));
    system.start().expect("start");
    assert!(event_within(&system, |e| matches!(e, SystemEvent::Ended { id: 1 })));
    assert_eq!(system.status().state, SystemState::Ended);
    let report = system.stop();
    assert!(report.errors.is_empty());
    assert_eq!(report.result(), Ok(()));
    assert_eq!(report.status.acquired, 10);
}

#[test]
fn overflow_policies_parse_from_their_names() {
    assert_eq!("block".parse(), Ok(OverflowPolicy::Block));
    assert_eq!("drop_newest".parse(), Ok(OverflowPolicy::DropNewest));
    assert_eq!("drop-newest".parse(), Ok(OverflowPolicy::DropNewest));
    let err = "wait".parse::<OverflowPolicy>().expect_err("unknown");
    assert!(err.contains("'wait'") && err.contains("drop_newest, block"), "{err}");
}

#[test]
fn acquisition_times_strictly_increase_even_for_frames_that_arrive_together() {
    let mut clock = AcquisitionClock::default();
    let at = |us| Duration::from_micros(us);
    let times: Vec<u64> = [0, 0, 5, 5, 5, 6, 100]
        .into_iter()
        .map(|us| clock.time_us(at(us)))
        .collect();
    assert_eq!(times, [1, 2, 5, 6, 7, 8, 100]);
}

#[test]
fn a_panicking_encoder_is_reported_and_every_frame_is_accounted_for() {
    use crate::{EncodeSummary, Encoder, EncoderFactory, Frame};
    use std::path::{Path, PathBuf};

    struct Panics(PathBuf, u32);
    impl Encoder for Panics {
        fn encode(&mut self, _frame: &Frame) -> Result<(), EncoderError> {
            self.1 += 1;
            if self.1 == 5 {
                panic!("codec bug");
            }
            Ok(())
        }
        fn finish(&mut self) -> Result<EncodeSummary, EncoderError> {
            Ok(EncodeSummary::default())
        }
        fn path(&self) -> &Path {
            &self.0
        }
    }
    struct Factory;
    impl EncoderFactory for Factory {
        fn create(&self, _id: u8, _camera: &CameraInfo) -> Result<Box<dyn Encoder>, EncoderError> {
            Ok(Box::new(Panics(PathBuf::from("x"), 0)))
        }
    }
    // Small frames: rendering stays cheap on a loaded machine (an unoptimised build draws 640x480
    // slower than 500 fps).
    let camera = SyntheticCamera::new(SyntheticConfig {
        width: 64,
        height: 32,
        fps: 500.0,
        frame_limit: Some(200),
        ..Default::default()
    });
    let mut system = VideoSystem::new(
        SystemConfig::new(3, "p"),
        Box::new(camera),
        Some(Arc::new(Factory)),
        Arc::new(NullLogSink),
    );
    system.start().expect("start");
    // Both, in either order: on a loaded machine the camera may reach its end before the (lower priority)
    // encoder thread gets to the frame it panics on.
    let (mut panicked, mut ended) = (false, false);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(panicked && ended) {
        let left = deadline.checked_duration_since(Instant::now()).unwrap_or_default();
        match system.events().recv_timeout(left) {
            Ok(SystemEvent::Error { message, .. }) if message.contains("codec bug") => panicked = true,
            Ok(SystemEvent::Ended { .. }) => ended = true,
            Ok(_) => {}
            Err(_) => panic!("within 10 s: the panic reported {panicked}, the end {ended}"),
        }
    }
    let report = system.stop();
    assert!(report
        .errors
        .iter()
        .any(|e| e.to_string().contains("encoding thread panicked: codec bug")));
    let s = report.status;
    assert_eq!(s.saved, 4);
    assert_eq!(
        s.acquired,
        s.saved + s.dropped.saving_off + s.dropped.queue_full + s.dropped.encoder_error,
        "{s:?}"
    );
}

#[test]
fn a_failed_start_is_the_systems_outcome_until_the_next_start() {
    use crate::GrabInfo;

    struct Refuses(SyntheticCamera);
    impl Camera for Refuses {
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
    let camera = Refuses(SyntheticCamera::new(SyntheticConfig::default()));
    // A paced, endless synthetic camera is live; a camera that does not say so is not (the default
    // saves every frame from its first).
    assert!(camera.0.live() && !camera.live());
    let mut system = VideoSystem::new(SystemConfig::new(2, "r"), Box::new(camera), None, Arc::new(NullLogSink));
    let err = system.start().expect_err("the camera refuses to start");
    assert!(err.to_string().contains("sensor fault"), "{err}");
    assert_eq!(system.status().state, SystemState::Failed);
    assert!(event_within(
        &system,
        |e| matches!(e, SystemEvent::Error { id: 2, part, .. } if part == "camera")
    ));
    let report = system.stop();
    assert_eq!(report.result(), Err(err.clone()));
    assert_eq!(report.errors, [err], "the report says why the system did not run");
    assert_eq!(report.status.state, SystemState::Failed);
    assert_eq!(report.status.acquired, 0);
}

/// An encoder factory whose encoders record each frame's time and, if given a gate, wait for a token
/// from it before each frame (a slow encoder on demand).
#[derive(Default)]
struct Recording {
    times: Arc<Mutex<Vec<u64>>>,
    sequences: Arc<Mutex<Vec<u64>>>,
    gate: Option<Receiver<()>>,
    delay: Duration,
}

struct RecordingEncoder {
    times: Arc<Mutex<Vec<u64>>>,
    sequences: Arc<Mutex<Vec<u64>>>,
    gate: Option<Receiver<()>>,
    delay: Duration,
    path: PathBuf,
}

impl Encoder for RecordingEncoder {
    fn encode(&mut self, frame: &Frame) -> Result<(), EncoderError> {
        if let Some(gate) = &self.gate {
            let _ = gate.recv();
        }
        std::thread::sleep(self.delay);
        self.times.lock().expect("times").push(frame.meta().time_us);
        self.sequences.lock().expect("sequences").push(frame.meta().sequence);
        Ok(())
    }
    fn finish(&mut self) -> Result<EncodeSummary, EncoderError> {
        Ok(EncodeSummary {
            path: self.path.clone(),
            frames: self.times.lock().expect("times").len() as u64,
            bytes: 0,
            segments: Vec::new(),
            sha256: None,
        })
    }
    fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl EncoderFactory for Recording {
    fn create(&self, id: u8, _camera: &CameraInfo) -> Result<Box<dyn Encoder>, EncoderError> {
        Ok(Box::new(RecordingEncoder {
            times: Arc::clone(&self.times),
            sequences: Arc::clone(&self.sequences),
            gate: self.gate.clone(),
            delay: self.delay,
            path: format!("{id:03}.mp4").into(),
        }))
    }
}

/// A log sink that keeps every entry.
#[derive(Default)]
struct Collect(Mutex<Vec<(u8, u64, Vec<u8>)>>);

impl LogSink for Collect {
    fn log(&self, source_id: u8, time_us: u64, payload: &[u8]) -> Result<(), LogError> {
        self.0
            .lock()
            .expect("entries")
            .push((source_id, time_us, payload.to_vec()));
        Ok(())
    }
    fn flush(&self, _source_id: u8) -> Result<(), LogError> {
        Ok(())
    }
}

impl Collect {
    fn frame_times(&self) -> Vec<u64> {
        self.0
            .lock()
            .expect("entries")
            .iter()
            .filter(|e| e.1 != 0)
            .map(|e| e.1)
            .collect()
    }
}

fn frames(n: u64) -> SyntheticCamera {
    SyntheticCamera::new(SyntheticConfig {
        width: 64,
        height: 32,
        paced: false,
        frame_limit: Some(n),
        ..Default::default()
    })
}

/// Runs `camera` to its end in a system built from `config`, `encoder` and `log`; returns the report.
fn run_to_end(
    config: SystemConfig,
    camera: impl Camera + 'static,
    encoder: Arc<dyn EncoderFactory>,
    log: Arc<dyn LogSink>,
    while_running: impl FnOnce(&VideoSystem),
) -> StopReport {
    let mut system = VideoSystem::new(config, Box::new(camera), Some(encoder), log);
    system.start().expect("start");
    while_running(&system);
    let ended = system.status().state == SystemState::Ended;
    assert!(ended || event_within(&system, |e| matches!(e, SystemEvent::Ended { .. })));
    system.stop()
}

#[test]
fn frames_acquired_while_saving_is_off_are_counted_not_encoded_or_logged() {
    let encoder = Arc::new(Recording::default());
    let log = Arc::new(Collect::default());
    let config = SystemConfig {
        saving: false,
        ..SystemConfig::new(4, "off")
    };
    let report = run_to_end(config, frames(25), encoder.clone(), log.clone(), |_| {});
    let s = report.status;
    assert_eq!((s.acquired, s.saved, s.dropped.saving_off), (25, 0, 25), "{s:?}");
    assert!(!s.saving);
    assert!(encoder.times.lock().expect("times").is_empty());
    let entries = log.0.lock().expect("entries").clone();
    assert_eq!(entries.len(), 1, "the onset only");
    assert_eq!((entries[0].0, entries[0].1, entries[0].2.len()), (4, 0, 8));
}

#[test]
fn a_full_queue_drops_the_newest_frames_and_what_is_saved_is_logged_in_order() {
    let (tokens, gate) = crossbeam_channel::unbounded();
    let encoder = Arc::new(Recording {
        gate: Some(gate),
        ..Recording::default()
    });
    let log = Arc::new(Collect::default());
    let config = SystemConfig {
        queue_depth: 2,
        ..SystemConfig::new(5, "full")
    };
    let report = run_to_end(config, frames(40), encoder.clone(), log.clone(), |system| {
        // The encoder holds its first frame until the camera has delivered all of them.
        assert!(event_within(system, |e| matches!(e, SystemEvent::Ended { .. })));
        drop(tokens);
    });
    let s = report.status;
    assert!(s.dropped.queue_full > 0, "{s:?}");
    assert_eq!(s.queue_peak, 2, "the peak shows the queue that overflowed: {s:?}");
    assert_eq!(s.acquired, 40);
    assert_eq!(s.acquired, s.saved + s.dropped.queue_full, "{s:?}");
    assert!(
        s.saved <= 2 + 1 + POOL_SLACK as u64,
        "at most the queue, the encoder's frame and slack: {s:?}"
    );
    let encoded = encoder.times.lock().expect("times").clone();
    assert_eq!(encoded.len() as u64, s.saved);
    assert_eq!(
        log.frame_times(),
        encoded,
        "one log entry per encoded frame, same times, same order"
    );
    assert!(encoded.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn the_block_policy_waits_for_the_encoder_instead_of_dropping() {
    let encoder = Arc::new(Recording {
        delay: Duration::from_millis(2),
        ..Recording::default()
    });
    let log = Arc::new(Collect::default());
    let config = SystemConfig {
        queue_depth: 1,
        overflow: OverflowPolicy::Block,
        ..SystemConfig::new(6, "block")
    };
    let report = run_to_end(config, frames(30), encoder.clone(), log.clone(), |_| {});
    let s = report.status;
    assert_eq!((s.acquired, s.saved, s.dropped.queue_full), (30, 30, 0), "{s:?}");
    assert_eq!(s.queue_peak, 1, "the camera waited at a full queue: {s:?}");
    assert_eq!(log.frame_times().len(), 30);
    let sequences = encoder.sequences.lock().expect("sequences").clone();
    assert_eq!(
        sequences,
        (0..30).collect::<Vec<u64>>(),
        "frames numbered from 0 in order"
    );
}

#[test]
fn the_first_saved_frame_is_announced_once_and_the_rate_is_measured() {
    let camera = SyntheticCamera::new(SyntheticConfig {
        width: 64,
        height: 32,
        fps: 200.0,
        ..Default::default()
    });
    let log = Arc::new(Collect::default());
    let mut system = VideoSystem::new(
        SystemConfig::new(10, "rate"),
        Box::new(camera),
        Some(Arc::new(Recording::default())),
        log.clone(),
    );
    system.start().expect("start");
    let deadline = Instant::now() + Duration::from_secs(10);
    while system.status().fps == 0.0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let fps = system.status().fps;
    system.stop();
    // Frames counted over a one-second window: within 10 % of the camera's paced rate.
    assert!((180.0..=220.0).contains(&fps), "a 200 fps camera measured at {fps} fps");
    let firsts: Vec<u64> = system
        .events()
        .try_iter()
        .filter_map(|e| match e {
            SystemEvent::FirstFrameSaved { time_us, .. } => Some(time_us),
            _ => None,
        })
        .collect();
    assert_eq!(
        firsts,
        [log.frame_times()[0]],
        "one announcement, with the first frame's time"
    );
}

#[test]
fn a_failing_log_stops_saving_and_no_frame_counts_saved_without_its_entry() {
    /// Takes the onset, refuses every frame entry, and its flushes fail after the onset's (the last, at
    /// stop, too: still one error in the report).
    #[derive(Default)]
    struct Refusing(std::sync::atomic::AtomicUsize);
    impl LogSink for Refusing {
        fn log(&self, _source_id: u8, time_us: u64, _payload: &[u8]) -> Result<(), LogError> {
            if time_us == 0 {
                Ok(())
            } else {
                Err(LogError::Io("disk full".into()))
            }
        }
        fn flush(&self, _source_id: u8) -> Result<(), LogError> {
            match self.0.fetch_add(1, Ordering::SeqCst) {
                0 => Ok(()),
                _ => Err(LogError::Io("disk still full".into())),
            }
        }
    }
    let report = run_to_end(
        SystemConfig::new(11, "unlogged"),
        frames(12),
        Arc::new(Recording::default()),
        Arc::new(Refusing::default()),
        |_| {},
    );
    let s = &report.status;
    // The first frame reached the video before its entry was refused; the others were not encoded.
    assert_eq!((s.saved, s.unlogged, s.dropped.log_error), (0, 1, 11), "{s:?}");
    assert_eq!(s.acquired, s.saved + s.unlogged + s.dropped.total());
    assert_eq!(report.video.as_ref().map(|v| v.frames), Some(1), "{report:?}");
    assert_eq!(report.errors.len(), 1, "reported once: {:?}", report.errors);
    assert!(report.errors[0].to_string().contains("disk full"));
    assert_eq!(s.state, SystemState::Failed);
}

/// A log that accepts everything, then reports three frame entries lost (written, then not kept).
struct Losing;

impl LogSink for Losing {
    fn log(&self, _source_id: u8, _time_us: u64, _payload: &[u8]) -> Result<(), LogError> {
        Ok(())
    }
    fn flush(&self, _source_id: u8) -> Result<(), LogError> {
        Ok(())
    }
    fn frames_lost(&self, _source_id: u8) -> u64 {
        3
    }
}

#[test]
fn entries_the_log_accepted_but_lost_do_not_count_as_saved() {
    let report = run_to_end(
        SystemConfig::new(12, "losing"),
        frames(10),
        Arc::new(Recording::default()),
        Arc::new(Losing),
        |_| {},
    );
    let s = &report.status;
    assert_eq!((s.saved, s.unlogged), (7, 3), "{s:?}");
    assert_eq!(s.acquired, s.saved + s.unlogged + s.dropped.total());
}

#[test]
fn a_log_whose_last_flush_fails_fails_the_run() {
    /// Takes every entry; only its last flush (at stop) fails.
    #[derive(Default)]
    struct FailsAtTheEnd(std::sync::atomic::AtomicUsize);
    impl LogSink for FailsAtTheEnd {
        fn log(&self, _source_id: u8, _time_us: u64, _payload: &[u8]) -> Result<(), LogError> {
            Ok(())
        }
        fn flush(&self, _source_id: u8) -> Result<(), LogError> {
            match self.0.fetch_add(1, Ordering::SeqCst) {
                0 => Ok(()),
                _ => Err(LogError::Io("cable pulled".into())),
            }
        }
    }
    let report = run_to_end(
        SystemConfig::new(13, "last flush"),
        frames(5),
        Arc::new(Recording::default()),
        Arc::new(FailsAtTheEnd::default()),
        |_| {},
    );
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(
        report.errors[0].to_string().contains("cable pulled"),
        "{:?}",
        report.errors
    );
    assert_eq!(report.status.state, SystemState::Failed);
}

#[test]
fn a_video_the_encoder_could_not_finish_holds_every_frame_it_was_given() {
    use crate::{EncodeSummary, Encoder, Frame};
    use std::path::{Path, PathBuf};

    /// Takes frames, then cannot finish its file (a full disk).
    struct Unfinished(PathBuf);
    impl Encoder for Unfinished {
        fn encode(&mut self, _frame: &Frame) -> Result<(), EncoderError> {
            Ok(())
        }
        fn finish(&mut self) -> Result<EncodeSummary, EncoderError> {
            Err(EncoderError::Output {
                path: self.0.clone(),
                reason: "no space left on device".into(),
            })
        }
        fn path(&self) -> &Path {
            &self.0
        }
    }
    struct Factory;
    impl EncoderFactory for Factory {
        fn create(&self, _id: u8, _camera: &CameraInfo) -> Result<Box<dyn Encoder>, EncoderError> {
            Ok(Box::new(Unfinished(PathBuf::from("014.mp4"))))
        }
    }
    let report = run_to_end(
        SystemConfig::new(14, "unfinished"),
        frames(10),
        Arc::new(Factory),
        Arc::new(Losing),
        |_| {},
    );
    let s = &report.status;
    assert_eq!((s.saved, s.unlogged), (7, 3), "{s:?}");
    // The file holds the frames saved and those whose entries were lost: all ten it was given.
    let video = report.video.as_ref().expect("the video it began");
    assert_eq!((video.path.as_path(), video.frames), (Path::new("014.mp4"), 10));
    assert!(
        report.errors.iter().any(|e| e.to_string().contains("no space left")),
        "{:?}",
        report.errors
    );
}

#[test]
fn dropping_a_running_system_stops_and_closes_its_camera() {
    use crate::GrabInfo;
    use std::sync::atomic::AtomicBool;

    /// An endless paced camera that says when it was stopped and closed.
    struct Watched(SyntheticCamera, Arc<AtomicBool>, Arc<AtomicBool>);
    impl Camera for Watched {
        fn open(&mut self) -> Result<CameraInfo, CameraError> {
            self.0.open()
        }
        fn start(&mut self) -> Result<(), CameraError> {
            self.0.start()
        }
        fn grab(&mut self, buf: &mut [u8]) -> Result<GrabInfo, CameraError> {
            self.0.grab(buf)
        }
        fn stop(&mut self) -> Result<(), CameraError> {
            self.1.store(true, Ordering::SeqCst);
            self.0.stop()
        }
        fn close(&mut self) {
            self.2.store(true, Ordering::SeqCst);
        }
    }
    let (stopped, closed) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let camera = Watched(
        SyntheticCamera::new(SyntheticConfig {
            width: 64,
            height: 32,
            ..Default::default()
        }),
        Arc::clone(&stopped),
        Arc::clone(&closed),
    );
    let mut system = VideoSystem::new(
        SystemConfig::new(15, "dropped"),
        Box::new(camera),
        None,
        Arc::new(NullLogSink),
    );
    system.start().expect("start");
    drop(system);
    assert!(stopped.load(Ordering::SeqCst) && closed.load(Ordering::SeqCst));
}

#[test]
fn a_log_that_cannot_take_the_onset_fails_the_start() {
    /// Takes entries, but its flush fails: the onset never reaches the log.
    struct Unflushable;
    impl LogSink for Unflushable {
        fn log(&self, _source_id: u8, _time_us: u64, _payload: &[u8]) -> Result<(), LogError> {
            Ok(())
        }
        fn flush(&self, _source_id: u8) -> Result<(), LogError> {
            Err(LogError::Io("read-only file system".into()))
        }
    }
    let camera = SyntheticCamera::new(SyntheticConfig {
        paced: false,
        ..Default::default()
    });
    let mut system = VideoSystem::new(
        SystemConfig::new(13, "t"),
        Box::new(camera),
        None,
        Arc::new(Unflushable),
    );
    let err = system.start().expect_err("no onset, no start");
    assert!(err.to_string().contains("read-only file system"), "{err}");
    assert!(!system.is_running());
}

#[test]
fn camera_side_losses_are_counted_apart_from_drops() {
    use crate::GrabInfo;

    /// Reports two frames lost before every frame, and loses every third grab itself.
    struct Lossy(SyntheticCamera, u32);
    impl Camera for Lossy {
        fn open(&mut self) -> Result<CameraInfo, CameraError> {
            self.0.open()
        }
        fn start(&mut self) -> Result<(), CameraError> {
            self.0.start()
        }
        fn grab(&mut self, buf: &mut [u8]) -> Result<GrabInfo, CameraError> {
            self.1 += 1;
            if self.1.is_multiple_of(3) {
                return Err(CameraError::FrameLost("incomplete".into()));
            }
            let grab = self.0.grab(buf)?;
            Ok(GrabInfo { lost_before: 2, ..grab })
        }
        fn stop(&mut self) -> Result<(), CameraError> {
            self.0.stop()
        }
    }
    let report = run_to_end(
        SystemConfig::new(7, "lossy"),
        Lossy(frames(10), 0),
        Arc::new(Recording::default()),
        Arc::new(Collect::default()),
        |_| {},
    );
    let s = report.status;
    assert_eq!(s.acquired, 10);
    assert_eq!(s.saved, 10, "camera-side losses are not drops: {s:?}");
    // 10 frames with 2 lost before each, and the 5 grabs (every third of 15) that lost a frame.
    assert_eq!(s.camera_lost, 10 * 2 + 5, "{s:?}");
}

#[test]
fn saving_toggles_are_events_and_status() {
    let camera = SyntheticCamera::new(SyntheticConfig {
        width: 64,
        height: 32,
        fps: 200.0,
        ..Default::default()
    });
    let config = SystemConfig {
        queue_depth: 3,
        ..SystemConfig::new(8, "toggle")
    };
    let mut system = VideoSystem::new(
        config,
        Box::new(camera),
        Some(Arc::new(Recording::default())),
        Arc::new(Collect::default()),
    );
    assert_eq!(system.status().queue_capacity, 3, "the configured depth before start");
    assert!(!system.is_running());
    system.start().expect("start");
    system.start().expect("a second start does nothing");
    assert!(system.is_running());
    assert!(event_within(&system, |e| matches!(
        e,
        SystemEvent::Started { id: 8, .. }
    )));
    assert!(event_within(&system, |e| matches!(
        e,
        SystemEvent::FirstFrameSaved { id: 8, .. }
    )));
    system.stop_saving();
    system.stop_saving();
    assert!(event_within(&system, |e| matches!(
        e,
        SystemEvent::Saving { id: 8, on: false }
    )));
    assert!(!system.status().saving);
    system.start_saving();
    assert!(event_within(&system, |e| matches!(
        e,
        SystemEvent::Saving { id: 8, on: true }
    )));
    let status = system.status();
    assert!(status.saving);
    assert_eq!((status.state, status.queue_capacity), (SystemState::Running, 3));
    let report = system.stop();
    assert!(!system.is_running());
    assert!(event_within(&system, |e| matches!(e, SystemEvent::Stopped { id: 8 })));
    assert_eq!(report.status.state, SystemState::Idle);
    assert_eq!(report.video.map(|v| v.path), Some("008.mp4".into()));
    assert_eq!(system.status().video_path, Some("008.mp4".into()));
    let again = system.stop();
    assert!(
        again.errors.is_empty() && again.video.is_none(),
        "stopping a stopped system reports only"
    );
}

#[test]
fn the_preview_gets_frames_no_faster_than_its_interval() {
    let mailbox = Arc::new(FrameMailbox::new(Duration::from_secs(3600)));
    let mut system = VideoSystem::new(
        SystemConfig::new(9, "preview"),
        Box::new(frames(20)),
        Some(Arc::new(Recording::default())),
        Arc::new(Collect::default()),
    );
    system.set_preview(Some(Arc::clone(&mailbox)));
    system.start().expect("start");
    assert!(event_within(&system, |e| matches!(e, SystemEvent::Ended { .. })));
    system.stop();
    let mut buf = Vec::new();
    let meta = mailbox.take_latest(&mut buf).expect("the first frame was offered");
    assert_eq!(meta.sequence, 0, "one frame an hour: only the first");
    assert_eq!(buf.len(), 64 * 32);
}
