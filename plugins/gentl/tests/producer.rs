//! The producer layer against EMVA's simulated producer, `viky.cti` (fetched by `./dev test` into
//! `target/gentl/`), and against files that are not producers.

use std::path::{Path, PathBuf};

use axvs_gentl::{Producer, ProducerError};

/// The simulated producer `./dev` fetched.
fn viky() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/gentl/viky.cti");
    assert!(
        path.is_file(),
        "{} is missing: run ./dev test, which fetches it",
        path.display()
    );
    path
}

#[test]
fn the_simulated_producer_offers_its_three_devices() {
    let producer = Producer::load(&viky()).expect("load viky.cti");
    let info = producer.info();
    assert!(!info.vendor.is_empty() && !info.version.is_empty(), "{info:?}");
    let devices = producer.devices().expect("devices");
    let ids: Vec<&str> = devices.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(devices.len(), 3, "{devices:?}");
    for colour in ["red", "green", "blue"] {
        assert!(ids.iter().any(|id| id.ends_with(colour)), "{ids:?}");
    }
    assert!(
        devices.iter().all(|d| !d.vendor.is_empty() && !d.model.is_empty()),
        "{devices:?}"
    );
    // Loaded once per process: a second load is the same producer.
    let again = Producer::load(&viky()).expect("load again");
    assert!(std::sync::Arc::ptr_eq(&producer, &again));
}

#[test]
fn files_that_are_not_producers_are_refused_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let truncated = dir.path().join("truncated.cti");
    let bytes = std::fs::read(viky()).expect("read viky");
    std::fs::write(&truncated, &bytes[..bytes.len() / 4]).expect("write");
    let libz = [
        "/lib/x86_64-linux-gnu/libz.so.1",
        "/usr/lib/x86_64-linux-gnu/libz.so.1",
        "/lib64/libz.so.1",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .expect("libz.so.1");
    let missing = dir.path().join("none.cti");
    for (path, expected) in [
        (
            missing.as_path(),
            format!("GenTL producer {}: no such file", missing.display()),
        ),
        (
            dir.path(),
            format!("GenTL producer {}: is a folder, not a .cti file", dir.path().display()),
        ),
        (
            libz.as_path(),
            format!(
                "{}: not a GenTL producer (it has no GCInitLib function)",
                libz.display()
            ),
        ),
        (
            truncated.as_path(),
            format!("GenTL producer {}: cannot be loaded: truncated", truncated.display()),
        ),
    ] {
        let e = Producer::load(path).expect_err("refused");
        let line = e.to_string();
        assert!(line.starts_with(&expected), "{line}");
        assert_eq!(line.lines().count(), 1, "{line}");
        assert!(!matches!(e, ProducerError::Call { .. }), "{e:?}");
    }
}

fn viky_config(device: &str) -> axvs_gentl::GentlConfig {
    let mut settings = axvs_genicam::GenicamSettings::new(axvs_gentl::DeviceSelector::DeviceId(device.into()));
    settings.width = Some(640);
    settings.height = Some(480);
    settings.buffers = 8;
    axvs_gentl::GentlConfig {
        cti: viky(),
        settings,
        cti_named: true,
    }
}

#[test]
fn a_simulated_device_streams_at_the_size_asked_for_and_conforms() {
    use axvs_core::conformance::{check_camera, Expect};
    use axvs_core::Camera;
    let config = viky_config("VikyTL_DEV_green");
    let mut camera = axvs_gentl::GentlCamera::new(config.clone());
    let info = camera.open().expect("open");
    assert_eq!((info.width, info.height), (640, 480), "{info:?}");
    camera.start().expect("start");
    let mut buf = vec![0u8; info.frame_size()];
    let mut ids = Vec::new();
    while ids.len() < 5 {
        match camera.grab(&mut buf) {
            Ok(grab) => ids.push(grab.device_frame_id),
            Err(axvs_core::CameraError::Timeout) => {}
            Err(e) => panic!("grab: {e}"),
        }
    }
    eprintln!("{info:?} ids {ids:?}");
    camera.stop().expect("stop");
    drop(camera);
    check_camera(
        || Box::new(axvs_gentl::GentlCamera::new(config.clone())),
        Expect { frames: 3, ends: false },
    )
    .expect("conforms");
}

#[test]
fn frames_the_producer_drops_for_want_of_buffers_count_as_camera_side_losses() {
    use axvs_core::{Camera, CameraError};
    let mut config = viky_config("VikyTL_DEV_blue");
    config.settings.buffers = 2;
    let mut camera = axvs_gentl::GentlCamera::new(config);
    let info = camera.open().expect("open");
    camera.start().expect("start");
    let mut buf = vec![0u8; info.frame_size()];
    let mut grab = |camera: &mut axvs_gentl::GentlCamera| loop {
        match camera.grab(&mut buf) {
            Ok(g) => return g,
            Err(CameraError::Timeout) => {}
            Err(e) => panic!("grab: {e}"),
        }
    };
    let first = grab(&mut camera);
    // Nobody reads for 10 frame times; the producer has 2 buffers, so it must drop frames.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let mut lost = 0;
    let mut last = first.device_frame_id;
    for _ in 0..4 {
        let g = grab(&mut camera);
        lost += g.lost_before;
        last = g.device_frame_id;
    }
    camera.stop().expect("stop");
    // Every id between the first and the last is a frame delivered or a frame counted as lost.
    let (first, last) = (first.device_frame_id.expect("frame id"), last.expect("frame id"));
    assert_eq!(last - first, 4 + lost, "ids {first}..{last}, {lost} lost");
    assert!(lost >= 4, "10 frame times with 2 buffers lose frames: {lost}");
}
