//! The GenICam backend passes the conformance check every backend passes, on Aravis' built-in Fake
//! camera (no network).

use axvs_camera_genicam::{GenicamCamera, GenicamConfig, Selector};
use axvs_core::conformance::{check_camera, Expect};

#[test]
fn a_fake_interface_camera_conforms() {
    let mut config = GenicamConfig::new(Selector::DeviceId("Fake_1".into()));
    config.fake_interface = true;
    config.settings.width = Some(128);
    config.settings.height = Some(96);
    config.settings.fps = Some(50.0);
    check_camera(
        || Box::new(GenicamCamera::new(config.clone())),
        Expect { frames: 5, ends: false },
    )
    .expect("conforms");
}
