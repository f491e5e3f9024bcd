//! `RawFileCamera`: reads each frame straight into the buffer it is given, paced like a camera.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::time::{Duration, Instant};

use axvs_plugin::axvs_core::{Camera, CameraError, CameraIdentity, CameraInfo, GrabInfo};

use crate::RawFileConfig;

/// A raw video file played as a camera.
pub struct RawFileCamera {
    config: RawFileConfig,
    file: Option<File>,
    info: Option<CameraInfo>,
    frames_in_file: u64,
    started: Option<Instant>,
    /// Frames delivered since `start` (the pacing clock and the frame id).
    delivered: u64,
    /// Position in the file, in frames.
    position: u64,
}

impl RawFileCamera {
    /// A camera with these settings; nothing is opened yet.
    pub fn new(config: RawFileConfig) -> Self {
        RawFileCamera {
            config,
            file: None,
            info: None,
            frames_in_file: 0,
            started: None,
            delivered: 0,
            position: 0,
        }
    }

    fn frame_size(&self) -> usize {
        self.config
            .pixel_format
            .frame_size(self.config.width, self.config.height)
    }
}

impl Camera for RawFileCamera {
    fn open(&mut self) -> Result<CameraInfo, CameraError> {
        if let Some(info) = &self.info {
            return Ok(info.clone());
        }
        let path = &self.config.path;
        let open_error = |reason: String| CameraError::Open {
            source_name: path.display().to_string(),
            reason,
        };
        let file = File::open(path).map_err(|e| open_error(e.to_string()))?;
        let bytes = file.metadata().map_err(|e| open_error(e.to_string()))?.len();
        let frame = self.frame_size() as u64;
        if bytes == 0 || bytes % frame != 0 {
            return Err(open_error(format!(
                "it holds {bytes} bytes, not a whole number of {}x{} {} frames ({frame} bytes each)",
                self.config.width, self.config.height, self.config.pixel_format
            )));
        }
        self.frames_in_file = bytes / frame;
        self.file = Some(file);
        let info = CameraInfo {
            width: self.config.width,
            height: self.config.height,
            fps: self.config.fps,
            pixel_format: self.config.pixel_format,
            identity: CameraIdentity {
                backend: "rawfile".into(),
                vendor: Some("axvs".into()),
                model: Some("rawfile".into()),
                serial: None,
                address: Some(path.display().to_string()),
            },
        };
        self.info = Some(info.clone());
        Ok(info)
    }

    fn start(&mut self) -> Result<(), CameraError> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| CameraError::NotReady("start before open".into()))?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| CameraError::Device(format!("rewinding {}: {e}", self.config.path.display())))?;
        self.started = Some(Instant::now());
        self.delivered = 0;
        self.position = 0;
        Ok(())
    }

    fn grab(&mut self, buf: &mut [u8]) -> Result<GrabInfo, CameraError> {
        let started = self
            .started
            .ok_or_else(|| CameraError::NotReady("grab before start".into()))?;
        CameraError::check_buffer(buf, self.frame_size())?;
        #[cfg(feature = "panic-in-grab")]
        if self.delivered == 5 {
            panic!("rawfile built with panic-in-grab: panicking at frame 5, as asked");
        }
        if self.position == self.frames_in_file {
            if !self.config.looped {
                return Err(CameraError::EndOfStream);
            }
            self.position = 0;
            if let Some(file) = self.file.as_mut() {
                file.seek(SeekFrom::Start(0))
                    .map_err(|e| CameraError::Device(format!("rewinding {}: {e}", self.config.path.display())))?;
            }
        }
        if self.config.paced {
            let due = Duration::from_secs_f64(self.delivered as f64 / self.config.fps);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| CameraError::NotReady("not open".into()))?;
        file.read_exact(buf)
            .map_err(|e| CameraError::Disconnected(format!("reading {}: {e}", self.config.path.display())))?;
        let id = self.delivered;
        self.delivered += 1;
        self.position += 1;
        Ok(GrabInfo {
            device_frame_id: Some(id),
            device_timestamp_ns: None,
            lost_before: 0,
        })
    }

    fn stop(&mut self) -> Result<(), CameraError> {
        self.started = None;
        Ok(())
    }

    fn close(&mut self) {
        self.file = None;
        self.info = None;
        self.started = None;
    }
}

#[cfg(test)]
mod tests {
    use axvs_plugin::axvs_core::conformance::{check_camera, Expect};
    use axvs_plugin::axvs_core::PixelFormat;

    use super::*;

    fn clip(frames: u8) -> (tempfile::TempDir, RawFileConfig) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("clip_8x4_mono8.raw");
        let data: Vec<u8> = (0..frames).flat_map(|f| [f; 32]).collect();
        std::fs::write(&path, data).expect("write clip");
        let config = RawFileConfig {
            paced: false,
            ..RawFileConfig::new(path, 8, 4, PixelFormat::Mono8)
        };
        (dir, config)
    }

    #[test]
    fn conforms_once_through_and_looped() {
        let (_dir, config) = clip(3);
        check_camera(
            || Box::new(RawFileCamera::new(config.clone())),
            Expect { frames: 3, ends: true },
        )
        .expect("once through");
        let looped = RawFileConfig { looped: true, ..config };
        check_camera(
            || Box::new(RawFileCamera::new(looped.clone())),
            Expect { frames: 7, ends: false },
        )
        .expect("looped");
    }

    #[test]
    fn frames_come_in_file_order_and_start_over_when_looped() {
        let (_dir, config) = clip(3);
        let mut cam = RawFileCamera::new(RawFileConfig { looped: true, ..config });
        cam.open().expect("open");
        cam.start().expect("start");
        let mut buf = [0u8; 32];
        let mut firsts = Vec::new();
        for id in 0..5 {
            let info = cam.grab(&mut buf).expect("grab");
            assert_eq!(info.device_frame_id, Some(id));
            firsts.push(buf[0]);
        }
        assert_eq!(firsts, [0, 1, 2, 0, 1]);
    }

    #[test]
    fn a_file_that_is_not_whole_frames_is_refused_at_open() {
        let (dir, config) = clip(2);
        std::fs::write(&config.path, [0u8; 33]).expect("rewrite");
        let e = RawFileCamera::new(config.clone()).open().expect_err("33 bytes");
        assert!(
            e.to_string()
                .contains("33 bytes, not a whole number of 8x4 mono8 frames"),
            "{e}"
        );
        let missing = RawFileConfig {
            path: dir.path().join("none.raw"),
            ..config
        };
        assert!(matches!(
            RawFileCamera::new(missing).open(),
            Err(CameraError::Open { .. })
        ));
    }

    #[test]
    fn pacing_follows_the_rate() {
        let (_dir, config) = clip(3);
        let mut cam = RawFileCamera::new(RawFileConfig {
            paced: true,
            fps: 50.0,
            ..config
        });
        cam.open().expect("open");
        cam.start().expect("start");
        let begun = Instant::now();
        let mut buf = [0u8; 32];
        for _ in 0..3 {
            cam.grab(&mut buf).expect("grab");
        }
        // The third frame is due 2 frame times (40 ms) after start.
        assert!(begun.elapsed() >= Duration::from_millis(40), "{:?}", begun.elapsed());
    }
}
