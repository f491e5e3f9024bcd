//! The behaviour every camera backend and plugin shares, checked the same way for each: run
//! [`check_camera`] in the backend's tests.
//!
//! ```
//! use axvs_core::conformance::{check_camera, Expect};
//! use axvs_core::{SyntheticCamera, SyntheticConfig};
//!
//! let config = SyntheticConfig { frame_limit: Some(3), paced: false, ..Default::default() };
//! check_camera(|| Box::new(SyntheticCamera::new(config.clone())), Expect { frames: 3, ends: true }).unwrap();
//! ```

use crate::{Camera, CameraError};

/// What the camera under test delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expect {
    /// Frames to grab after each start (at least 1).
    pub frames: u64,
    /// Whether the stream ends ([`CameraError::EndOfStream`]) right after `frames` frames.
    pub ends: bool,
}

/// A rule the camera broke, with what it did instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("camera does not conform: {0}")]
pub struct Nonconformance(pub String);

fn fail<T>(message: String) -> Result<T, Nonconformance> {
    Err(Nonconformance(message))
}

/// Checks, on cameras made by `make`: `start` and `grab` before `open` or `start` are
/// [`CameraError::NotReady`]; `open` twice gives the same information; a buffer of the wrong size is
/// refused with [`CameraError::BufferSize`]; `expect.frames` frames come (retrying on time-outs and counted
/// losses); the stream then ends when `expect.ends`, again on the next grab; `grab` after `stop` is
/// `NotReady`; the camera restarts after `stop`; and two cameras can be made and dropped.
pub fn check_camera(make: impl Fn() -> Box<dyn Camera>, expect: Expect) -> Result<(), Nonconformance> {
    let mut camera = make();
    if !matches!(camera.start(), Err(CameraError::NotReady(_))) {
        return fail("start before open must be NotReady".into());
    }
    let info = camera.open().or_else(|e| fail(format!("open: {e}")))?;
    match camera.open() {
        Ok(again) if again == info => {}
        Ok(again) => return fail(format!("open twice: {again:?} differs from {info:?}")),
        Err(e) => return fail(format!("open twice: {e}")),
    }
    if info.width == 0 || info.height == 0 || !(info.fps.is_finite() && info.fps > 0.0) {
        return fail(format!("open resolved to an unusable size or rate: {info:?}"));
    }
    let mut buf = vec![0u8; info.frame_size()];
    match camera.grab(&mut buf) {
        Err(CameraError::NotReady(_)) => {}
        other => return fail(format!("grab before start must be NotReady, not {other:?}")),
    }
    for round in ["first start", "restart"] {
        camera.start().or_else(|e| fail(format!("{round}: start: {e}")))?;
        let mut short = vec![0u8; info.frame_size() - 1];
        match camera.grab(&mut short) {
            Err(CameraError::BufferSize { expected, given }) if expected == buf.len() && given == short.len() => {}
            other => {
                return fail(format!(
                    "{round}: a short buffer must be refused with BufferSize, not {other:?}"
                ))
            }
        }
        let mut got = 0;
        while got < expect.frames {
            match camera.grab(&mut buf) {
                Ok(_) => got += 1,
                Err(CameraError::Timeout | CameraError::FrameLost(_)) => {}
                Err(e) => return fail(format!("{round}: frame {got} of {}: {e}", expect.frames)),
            }
        }
        if expect.ends {
            for attempt in ["end", "again after the end"] {
                match camera.grab(&mut buf) {
                    Err(CameraError::EndOfStream) => {}
                    other => return fail(format!("{round}: {attempt}: EndOfStream expected, got {other:?}")),
                }
            }
        }
        camera.stop().or_else(|e| fail(format!("{round}: stop: {e}")))?;
        match camera.grab(&mut buf) {
            Err(CameraError::NotReady(_)) => {}
            other => return fail(format!("{round}: grab after stop must be NotReady, not {other:?}")),
        }
    }
    camera.close();
    drop(camera);
    let (mut a, mut b) = (make(), make());
    a.open().or_else(|e| fail(format!("a new camera after close: {e}")))?;
    drop(a);
    b.open().or_else(|e| fail(format!("a second new camera: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SyntheticCamera, SyntheticConfig};

    #[test]
    fn the_synthetic_camera_conforms_bounded_and_endless() {
        for (frame_limit, ends) in [(Some(4), true), (None, false)] {
            let config = SyntheticConfig {
                width: 64,
                height: 32,
                paced: false,
                frame_limit,
                ..Default::default()
            };
            check_camera(
                || Box::new(SyntheticCamera::new(config.clone())),
                Expect { frames: 4, ends },
            )
            .expect("conforms");
        }
    }

    /// A synthetic camera that breaks one rule.
    struct Faulty {
        inner: SyntheticCamera,
        fault: Fault,
        opens: u32,
    }

    #[derive(Debug, Clone, Copy)]
    enum Fault {
        SecondOpenDiffers,
        ZeroWidth,
        ZeroHeight,
        ZeroFps,
        InfiniteFps,
        BufferSizeMisreported,
    }

    impl Camera for Faulty {
        fn open(&mut self) -> Result<crate::CameraInfo, CameraError> {
            let mut info = self.inner.open()?;
            self.opens += 1;
            match self.fault {
                Fault::SecondOpenDiffers if self.opens > 1 => info.fps += 1.0,
                Fault::ZeroWidth => info.width = 0,
                Fault::ZeroHeight => info.height = 0,
                Fault::ZeroFps => info.fps = 0.0,
                Fault::InfiniteFps => info.fps = f64::INFINITY,
                _ => {}
            }
            Ok(info)
        }
        fn start(&mut self) -> Result<(), CameraError> {
            self.inner.start()
        }
        fn grab(&mut self, buf: &mut [u8]) -> Result<crate::GrabInfo, CameraError> {
            match self.inner.grab(buf) {
                Err(CameraError::BufferSize { expected, given })
                    if matches!(self.fault, Fault::BufferSizeMisreported) =>
                {
                    Err(CameraError::BufferSize {
                        expected: expected + 5,
                        given,
                    })
                }
                other => other,
            }
        }
        fn stop(&mut self) -> Result<(), CameraError> {
            self.inner.stop()
        }
    }

    #[test]
    fn each_broken_rule_fails_the_check_with_its_name() {
        let config = SyntheticConfig {
            width: 64,
            height: 32,
            paced: false,
            ..Default::default()
        };
        for (fault, rule) in [
            (Fault::SecondOpenDiffers, "open twice"),
            (Fault::ZeroWidth, "unusable size or rate"),
            (Fault::ZeroHeight, "unusable size or rate"),
            (Fault::ZeroFps, "unusable size or rate"),
            (Fault::InfiniteFps, "unusable size or rate"),
            (Fault::BufferSizeMisreported, "a short buffer must be refused"),
        ] {
            let make = || -> Box<dyn Camera> {
                Box::new(Faulty {
                    inner: SyntheticCamera::new(config.clone()),
                    fault,
                    opens: 0,
                })
            };
            let err = check_camera(make, Expect { frames: 2, ends: false }).expect_err("broken");
            assert!(err.0.contains(rule), "{fault:?}: {err}");
        }
    }

    #[test]
    fn a_stream_that_does_not_end_when_expected_fails_the_check() {
        let config = SyntheticConfig {
            paced: false,
            frame_limit: Some(5),
            ..Default::default()
        };
        let err = check_camera(
            || Box::new(SyntheticCamera::new(config.clone())),
            Expect { frames: 4, ends: true },
        )
        .expect_err("ends one frame later");
        assert!(err.0.contains("EndOfStream expected"), "{err}");
    }
}
