//! A rig without a file, as the original's `axvs run -i mock -w 640 -h 480 -f 30` makes one: cameras given
//! as `BACKEND[:SELECTOR][:WxH][@FPS]` (`synthetic:640x480@30`, `opencv:0`, `genicam:SERIAL`) become a rig's
//! text, which is read as any rig file is (and kept in the session's provenance).

use std::fmt;
use std::str::FromStr;

/// One camera of a quick rig.
///
/// ```
/// use axvs_session::quick::QuickCamera;
/// let camera: QuickCamera = "synthetic:640x480@30".parse()?;
/// assert_eq!((camera.size, camera.fps), (Some((640, 480)), Some(30.0)));
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct QuickCamera {
    /// The backend's name.
    pub backend: String,
    /// Which camera of the backend: an OpenCV index, path or URL, a GenICam serial number.
    pub selector: Option<String>,
    /// Frame width and height.
    pub size: Option<(u32, u32)>,
    /// Frames per second.
    pub fps: Option<f64>,
}

impl FromStr for QuickCamera {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = |why: String| {
            format!("camera '{text}': {why} (expected BACKEND[:SELECTOR][:WxH][@FPS], e.g. synthetic:640x480@30, opencv:0, genicam:SERIAL)")
        };
        let (head, fps) = match text.rsplit_once('@') {
            Some((head, fps)) => {
                let rate: f64 = fps.parse().map_err(|_| bad(format!("'{fps}' is not a frame rate")))?;
                if !(rate.is_finite() && rate > 0.0) {
                    return Err(bad(format!("frame rate {fps} must be positive")));
                }
                (head, Some(rate))
            }
            None => (text, None),
        };
        let mut parts = head.split(':');
        let backend = parts.next().unwrap_or_default().trim().to_string();
        if backend.is_empty() {
            return Err(bad("no backend".into()));
        }
        let (mut selector, mut size) = (None, None);
        for part in parts {
            match part.split_once('x').map(|(w, h)| (w.parse::<u32>(), h.parse::<u32>())) {
                Some((Ok(w), Ok(h))) if size.is_none() => size = Some((w, h)),
                _ if selector.is_none() && !part.is_empty() => selector = Some(part.to_string()),
                _ => {
                    return Err(bad(format!(
                        "'{part}' is neither a camera nor a WxH size, or given twice"
                    )))
                }
            }
        }
        Ok(QuickCamera {
            backend,
            selector,
            size,
            fps,
        })
    }
}

impl fmt::Display for QuickCamera {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.backend)?;
        if let Some(selector) = &self.selector {
            write!(f, ":{selector}")?;
        }
        if let Some((w, h)) = self.size {
            write!(f, ":{w}x{h}")?;
        }
        if let Some(fps) = self.fps {
            write!(f, "@{fps}")?;
        }
        Ok(())
    }
}

impl QuickCamera {
    /// The rig key the selector goes to: OpenCV's `index`, `url` or `path`; GenICam's and GenTL's `serial`.
    fn selector_key(&self, selector: &str) -> Result<&'static str, String> {
        match self.backend.as_str() {
            "opencv" if selector.chars().all(|c| c.is_ascii_digit()) => Ok("index"),
            "opencv" if selector.contains("://") => Ok("url"),
            "opencv" => Ok("path"),
            "genicam" | "gentl" => Ok("serial"),
            other => Err(format!(
                "camera '{self}': {other} takes no camera selector here (write a rig file for its settings)"
            )),
        }
    }
}

/// The text of a rig of `cameras` (ids 1, 2, ... in order), read as a rig file is.
///
/// ```
/// use axvs_session::quick::{quick_rig, QuickCamera};
/// let text = quick_rig(&["synthetic:64x48@10".parse()?])?;
/// assert!(text.contains("backend = \"synthetic\"") && text.contains("width = 64"));
/// # Ok::<(), String>(())
/// ```
pub fn quick_rig(cameras: &[QuickCamera]) -> Result<String, String> {
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut text = String::from("# Made by axvs run --camera.\n");
    for (i, camera) in cameras.iter().enumerate() {
        let id = i + 1;
        text += &format!(
            "\n[[camera]]\nid = {id}\nname = {}\nbackend = {}\n",
            quote(&format!("{}_{id}", camera.backend)),
            quote(&camera.backend)
        );
        if let Some(selector) = &camera.selector {
            let key = camera.selector_key(selector)?;
            let value = match key {
                "index" => selector.clone(),
                _ => quote(selector),
            };
            text += &format!("{key} = {value}\n");
        }
        if let Some((w, h)) = camera.size {
            text += &format!("width = {w}\nheight = {h}\n");
        }
        if let Some(fps) = camera.fps {
            text += &format!("fps = {fps:?}\n");
        }
    }
    Ok(text)
}

/// The text of a rig of the cameras discovery found (`axvs discover --rig`): each one's backend and the key
/// that opens it (GenICam and GenTL: its serial number, else its device id; OpenCV: its index), what it can
/// deliver as comments. A camera of another backend is left as a comment to complete (its keys are its
/// plugin's); with no camera found, the rig has one synthetic camera, so that it always runs.
pub fn discovered_rig(found: &[axvs_core::DiscoveredCamera]) -> String {
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut text = String::from(
        "# Made by axvs discover --rig: the cameras found here. Check it with `axvs check`.
",
    );
    let mut id = 0;
    for camera in found.iter().filter(|c| c.backend != "synthetic") {
        let keys = match camera.backend.as_str() {
            "opencv" => camera
                .address
                .strip_prefix("index ")
                .and_then(|i| i.parse::<u32>().ok())
                .map(|i| format!("index = {i}\n")),
            _ => match (&camera.serial, camera.address.strip_prefix("device_id = ")) {
                (Some(serial), _) => Some(format!("serial = {}\n", quote(serial))),
                (None, Some(rest)) => rest.split(" (").next().map(|id| format!("device_id = {id}\n")),
                (None, None) => None,
            },
        };
        let describe = format!("# {camera}\n");
        let Some(mut keys) = keys else {
            text += &format!("\n{describe}# (not added: set the keys that open it, as its backend's guide says)\n");
            continue;
        };
        if camera.backend == "genicam" && camera.address.contains("(Fake ") {
            keys += "fake_interface = true\n";
        }
        id += 1;
        text += &format!(
            "\n{describe}[[camera]]\nid = {id}\nname = {}\nbackend = {}\n{keys}",
            quote(&format!("{}_{id}", camera.backend)),
            quote(&camera.backend)
        );
    }
    if id == 0 {
        text += "\n# No camera found: the built-in synthetic camera (no hardware).\n[[camera]]\nid = 1\nname = \"synthetic_1\"\nbackend = \"synthetic\"\n";
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_into_backend_selector_size_and_rate() {
        let c: QuickCamera = "opencv:0:1280x720@60".parse().expect("parse");
        assert_eq!(
            c,
            QuickCamera {
                backend: "opencv".into(),
                selector: Some("0".into()),
                size: Some((1280, 720)),
                fps: Some(60.0)
            }
        );
        assert_eq!(c.to_string(), "opencv:0:1280x720@60");
        let g: QuickCamera = "genicam:Fake_1".parse().expect("parse");
        assert_eq!((g.selector.as_deref(), g.size, g.fps), (Some("Fake_1"), None, None));
        for bad in [
            "",
            ":0",
            "synthetic@0",
            "synthetic@x",
            "opencv:0:1",
            "synthetic:1x2:3x4:a:b",
        ] {
            assert!(bad.parse::<QuickCamera>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_discovered_rig_opens_each_camera_by_its_key_and_leaves_others_as_comments() {
        let camera = |backend: &str, address: &str, serial: Option<&str>| axvs_core::DiscoveredCamera {
            backend: backend.into(),
            address: address.into(),
            vendor: None,
            model: None,
            serial: serial.map(Into::into),
            sizes: Vec::new(),
            rates: Vec::new(),
            pixel_formats: Vec::new(),
        };
        let text = discovered_rig(&[
            camera("synthetic", "(built in)", None),
            camera("opencv", "index 2", None),
            camera("gentl", "device_id = \"dev 7\" (U3V, RW)", None),
            camera("genicam", "device_id = \"x\" (GigEVision 10.0.0.2)", Some("S 1")),
            camera("vendorcam", "somewhere", None),
        ]);
        let rig: toml::Table = toml::from_str(&text).expect("toml");
        let cams = rig["camera"].as_array().expect("cameras");
        assert_eq!(cams.len(), 3, "{text}");
        assert_eq!(cams[0]["index"].as_integer(), Some(2));
        assert_eq!(cams[1]["device_id"].as_str(), Some("dev 7"));
        assert_eq!(
            (cams[2]["serial"].as_str(), cams[2]["id"].as_integer()),
            (Some("S 1"), Some(3))
        );
        assert!(cams[2].get("fake_interface").is_none());
        assert!(text.contains("# vendorcam somewhere"), "{text}");
        let empty: toml::Table = toml::from_str(&discovered_rig(&[])).expect("toml");
        assert_eq!(empty["camera"][0]["backend"].as_str(), Some("synthetic"));
    }

    #[test]
    fn a_quick_rig_names_each_selector_by_its_backends_key() {
        let cameras: Vec<QuickCamera> = [
            "synthetic:640x480@29.97",
            "opencv:2",
            "opencv:/v/a b.mp4",
            "genicam:123",
        ]
        .iter()
        .map(|s| s.parse().expect("parse"))
        .collect();
        let text = quick_rig(&cameras).expect("rig");
        let rig: toml::Table = toml::from_str(&text).expect("toml");
        let cams = rig["camera"].as_array().expect("cameras");
        assert_eq!(cams[0]["fps"].as_float(), Some(29.97));
        assert_eq!(cams[0]["width"].as_integer(), Some(640));
        assert_eq!(cams[1]["index"].as_integer(), Some(2));
        assert_eq!(cams[2]["path"].as_str(), Some("/v/a b.mp4"));
        assert_eq!(cams[3]["serial"].as_str(), Some("123"));
        assert_eq!(cams[3]["id"].as_integer(), Some(4));
        assert!(
            quick_rig(&["synthetic:cam".parse().expect("parse")]).is_err(),
            "synthetic has no selector"
        );
    }
}
