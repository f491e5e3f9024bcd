//! The types that cross the plugin boundary: FFI-safe, with their layout checked by `abi_stable` when a
//! plugin loads, and converted to and from `axvs_core`'s types on each side.

use abi_stable::library::RootModule;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::{RBox, ROption, RResult, RStr, RString, RVec, Tuple2};
use abi_stable::{declare_root_module_statics, StableAbi};
use axvs_core::{
    CameraError, CameraIdentity, CameraInfo, DiscoveredCamera, FrameShape, GrabInfo, PixelFormat, SettingsError,
};

/// The plugin ABI version a host accepts and a plugin declares, as `major.minor.patch`: a plugin loads
/// when its major number equals the host's (and, for major 0, its minor number too) and its minor number
/// is at least the host's.
pub const ABI_VERSION: &str = "1.0.0";

/// Pixel formats, as [`PixelFormat`].
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs, reason = "the variants mirror axvs_core::PixelFormat")]
pub enum AbiPixelFormat {
    Mono8,
    Mono16,
    Bgr8,
    Rgb8,
    BayerRg8,
    BayerGb8,
    BayerGr8,
    BayerBg8,
}

impl From<PixelFormat> for AbiPixelFormat {
    fn from(f: PixelFormat) -> Self {
        match f {
            PixelFormat::Mono8 => AbiPixelFormat::Mono8,
            PixelFormat::Mono16 => AbiPixelFormat::Mono16,
            PixelFormat::Bgr8 => AbiPixelFormat::Bgr8,
            PixelFormat::Rgb8 => AbiPixelFormat::Rgb8,
            PixelFormat::BayerRg8 => AbiPixelFormat::BayerRg8,
            PixelFormat::BayerGb8 => AbiPixelFormat::BayerGb8,
            PixelFormat::BayerGr8 => AbiPixelFormat::BayerGr8,
            PixelFormat::BayerBg8 => AbiPixelFormat::BayerBg8,
        }
    }
}

impl From<AbiPixelFormat> for PixelFormat {
    fn from(f: AbiPixelFormat) -> Self {
        match f {
            AbiPixelFormat::Mono8 => PixelFormat::Mono8,
            AbiPixelFormat::Mono16 => PixelFormat::Mono16,
            AbiPixelFormat::Bgr8 => PixelFormat::Bgr8,
            AbiPixelFormat::Rgb8 => PixelFormat::Rgb8,
            AbiPixelFormat::BayerRg8 => PixelFormat::BayerRg8,
            AbiPixelFormat::BayerGb8 => PixelFormat::BayerGb8,
            AbiPixelFormat::BayerGr8 => PixelFormat::BayerGr8,
            AbiPixelFormat::BayerBg8 => PixelFormat::BayerBg8,
        }
    }
}

/// The frames a camera's settings fix without opening it, as [`FrameShape`].
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbiFrameShape {
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Pixel format.
    pub pixel_format: AbiPixelFormat,
}

impl From<FrameShape> for AbiFrameShape {
    fn from(s: FrameShape) -> Self {
        AbiFrameShape {
            width: s.width,
            height: s.height,
            pixel_format: s.pixel_format.into(),
        }
    }
}

impl From<AbiFrameShape> for FrameShape {
    fn from(s: AbiFrameShape) -> Self {
        FrameShape {
            width: s.width,
            height: s.height,
            pixel_format: s.pixel_format.into(),
        }
    }
}

fn ropt(s: Option<String>) -> ROption<RString> {
    s.map(RString::from).into()
}

fn opt(s: ROption<RString>) -> Option<String> {
    s.into_option().map(String::from)
}

/// What a camera resolved to, as [`CameraInfo`] (the backend name is the host's to fill).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
#[allow(missing_docs, reason = "the fields mirror axvs_core::CameraInfo")]
pub struct AbiCameraInfo {
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    pub pixel_format: AbiPixelFormat,
    pub vendor: ROption<RString>,
    pub model: ROption<RString>,
    pub serial: ROption<RString>,
    pub address: ROption<RString>,
}

impl From<CameraInfo> for AbiCameraInfo {
    fn from(i: CameraInfo) -> Self {
        AbiCameraInfo {
            width: i.width,
            height: i.height,
            fps: i.fps,
            pixel_format: i.pixel_format.into(),
            vendor: ropt(i.identity.vendor),
            model: ropt(i.identity.model),
            serial: ropt(i.identity.serial),
            address: ropt(i.identity.address),
        }
    }
}

impl AbiCameraInfo {
    /// The host's view, with `backend` as the identity's backend.
    pub fn into_info(self, backend: &str) -> CameraInfo {
        CameraInfo {
            width: self.width,
            height: self.height,
            fps: self.fps,
            pixel_format: self.pixel_format.into(),
            identity: CameraIdentity {
                backend: backend.to_string(),
                vendor: opt(self.vendor),
                model: opt(self.model),
                serial: opt(self.serial),
                address: opt(self.address),
            },
        }
    }
}

/// What comes with a grabbed frame, as [`GrabInfo`].
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs, reason = "the fields mirror axvs_core::GrabInfo")]
pub struct AbiGrabInfo {
    pub device_frame_id: ROption<u64>,
    pub device_timestamp_ns: ROption<u64>,
    pub lost_before: u64,
}

impl From<GrabInfo> for AbiGrabInfo {
    fn from(g: GrabInfo) -> Self {
        AbiGrabInfo {
            device_frame_id: g.device_frame_id.into(),
            device_timestamp_ns: g.device_timestamp_ns.into(),
            lost_before: g.lost_before,
        }
    }
}

impl From<AbiGrabInfo> for GrabInfo {
    fn from(g: AbiGrabInfo) -> Self {
        GrabInfo {
            device_frame_id: g.device_frame_id.into_option(),
            device_timestamp_ns: g.device_timestamp_ns.into_option(),
            lost_before: g.lost_before,
        }
    }
}

/// Camera errors, as [`CameraError`], plus a panic caught inside the plugin.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
#[allow(missing_docs, reason = "the variants mirror axvs_core::CameraError")]
pub enum AbiCameraError {
    Open {
        source_name: RString,
        reason: RString,
    },
    Setting {
        setting: RString,
        reason: RString,
    },
    UnsupportedFormat(RString),
    Timeout,
    FrameLost(RString),
    Disconnected(RString),
    EndOfStream,
    NotReady(RString),
    BufferSize {
        expected: u64,
        given: u64,
    },
    Device(RString),
    /// The plugin panicked; the message, as far as it is text.
    Panicked(RString),
}

impl From<CameraError> for AbiCameraError {
    fn from(e: CameraError) -> Self {
        match e {
            CameraError::Open { source_name, reason } => AbiCameraError::Open {
                source_name: source_name.into(),
                reason: reason.into(),
            },
            CameraError::Setting { setting, reason } => AbiCameraError::Setting {
                setting: setting.into(),
                reason: reason.into(),
            },
            CameraError::UnsupportedFormat(s) => AbiCameraError::UnsupportedFormat(s.into()),
            CameraError::Timeout => AbiCameraError::Timeout,
            CameraError::FrameLost(s) => AbiCameraError::FrameLost(s.into()),
            CameraError::Disconnected(s) => AbiCameraError::Disconnected(s.into()),
            CameraError::EndOfStream => AbiCameraError::EndOfStream,
            CameraError::NotReady(s) => AbiCameraError::NotReady(s.into()),
            CameraError::BufferSize { expected, given } => AbiCameraError::BufferSize {
                expected: expected as u64,
                given: given as u64,
            },
            CameraError::Device(s) => AbiCameraError::Device(s.into()),
        }
    }
}

impl AbiCameraError {
    /// The host's view; a panic becomes a device error naming `plugin` and the call.
    pub fn into_error(self, plugin: &str, call: &str) -> CameraError {
        match self {
            AbiCameraError::Open { source_name, reason } => CameraError::Open {
                source_name: source_name.into(),
                reason: reason.into(),
            },
            AbiCameraError::Setting { setting, reason } => CameraError::Setting {
                setting: setting.into(),
                reason: reason.into(),
            },
            AbiCameraError::UnsupportedFormat(s) => CameraError::UnsupportedFormat(s.into()),
            AbiCameraError::Timeout => CameraError::Timeout,
            AbiCameraError::FrameLost(s) => CameraError::FrameLost(s.into()),
            AbiCameraError::Disconnected(s) => CameraError::Disconnected(s.into()),
            AbiCameraError::EndOfStream => CameraError::EndOfStream,
            AbiCameraError::NotReady(s) => CameraError::NotReady(s.into()),
            AbiCameraError::BufferSize { expected, given } => CameraError::BufferSize {
                expected: expected as usize,
                given: given as usize,
            },
            AbiCameraError::Device(s) => CameraError::Device(s.into()),
            AbiCameraError::Panicked(message) => {
                CameraError::Device(format!("plugin '{plugin}' panicked in {call}: {message}"))
            }
        }
    }
}

/// Which part of the settings an error is about, as [`SettingsError`]'s variants.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs, reason = "the variants mirror axvs_core::SettingsError")]
pub enum AbiSettingsErrorKind {
    UnknownKey,
    Value,
    Table,
}

/// A settings error, as [`SettingsError`].
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct AbiSettingsError {
    /// What it is about.
    pub kind: AbiSettingsErrorKind,
    /// The key (empty for [`AbiSettingsErrorKind::Table`]).
    pub key: RString,
    /// What is wrong and what is allowed.
    pub message: RString,
}

impl From<SettingsError> for AbiSettingsError {
    fn from(e: SettingsError) -> Self {
        let message = RString::from(e.to_string());
        let (kind, key) = match e {
            SettingsError::UnknownKey { key, .. } => (AbiSettingsErrorKind::UnknownKey, key),
            SettingsError::Value { key, .. } => (AbiSettingsErrorKind::Value, key),
            _ => (AbiSettingsErrorKind::Table, String::new()),
        };
        AbiSettingsError {
            kind,
            key: key.into(),
            message,
        }
    }
}

impl From<AbiSettingsError> for SettingsError {
    fn from(e: AbiSettingsError) -> Self {
        let (key, message) = (String::from(e.key), String::from(e.message));
        match e.kind {
            AbiSettingsErrorKind::UnknownKey => SettingsError::UnknownKey { key, message },
            AbiSettingsErrorKind::Value => SettingsError::Value { key, message },
            AbiSettingsErrorKind::Table => SettingsError::Table(message),
        }
    }
}

/// A discovered camera, as [`DiscoveredCamera`] (the backend name is the host's to fill).
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
#[allow(missing_docs, reason = "the fields mirror axvs_core::DiscoveredCamera")]
pub struct AbiDiscovered {
    pub address: RString,
    pub vendor: ROption<RString>,
    pub model: ROption<RString>,
    pub serial: ROption<RString>,
    pub sizes: RVec<Tuple2<u32, u32>>,
    pub rates: RVec<f64>,
    pub pixel_formats: RVec<RString>,
}

impl From<DiscoveredCamera> for AbiDiscovered {
    fn from(d: DiscoveredCamera) -> Self {
        AbiDiscovered {
            address: d.address.into(),
            vendor: ropt(d.vendor),
            model: ropt(d.model),
            serial: ropt(d.serial),
            sizes: d.sizes.into_iter().map(|(w, h)| Tuple2(w, h)).collect(),
            rates: d.rates.into_iter().collect(),
            pixel_formats: d.pixel_formats.into_iter().map(RString::from).collect(),
        }
    }
}

impl AbiDiscovered {
    /// The host's view, found by `backend`.
    pub fn into_discovered(self, backend: &str) -> DiscoveredCamera {
        DiscoveredCamera {
            backend: backend.to_string(),
            address: self.address.into(),
            vendor: opt(self.vendor),
            model: opt(self.model),
            serial: opt(self.serial),
            sizes: self.sizes.into_iter().map(|Tuple2(w, h)| (w, h)).collect(),
            rates: self.rates.into_iter().collect(),
            pixel_formats: self.pixel_formats.into_iter().map(String::from).collect(),
        }
    }
}

pub use camera::{AbiCamera, AbiCamera_TO};

#[allow(
    unused_qualifications,
    non_local_definitions,
    reason = "code generated by #[sabi_trait]"
)]
mod camera {
    use abi_stable::sabi_trait;
    use abi_stable::std_types::{RResult, RSliceMut};

    use super::{AbiCameraError, AbiCameraInfo, AbiGrabInfo};

    /// A plugin's camera behind the boundary: [`axvs_core::Camera`]'s methods, writing each frame straight into
    /// the host's buffer.
    #[sabi_trait]
    pub trait AbiCamera: Send {
        /// As [`axvs_core::Camera::open`].
        fn open(&mut self) -> RResult<AbiCameraInfo, AbiCameraError>;
        /// As [`axvs_core::Camera::start`].
        fn start(&mut self) -> RResult<(), AbiCameraError>;
        /// As [`axvs_core::Camera::grab`].
        fn grab(&mut self, buf: RSliceMut<'_, u8>) -> RResult<AbiGrabInfo, AbiCameraError>;
        /// As [`axvs_core::Camera::stop`].
        fn stop(&mut self) -> RResult<(), AbiCameraError>;
        /// As [`axvs_core::Camera::close`].
        #[sabi(last_prefix_field)]
        fn close(&mut self) -> RResult<(), AbiCameraError>;
    }
}

/// The files a camera's settings name, each as (key, path), or why they reach files no key names.
pub type AbiFiles = RResult<RVec<Tuple2<RString, RString>>, RString>;

/// A boxed plugin camera, owned by the host.
pub type AbiCameraBox = AbiCamera_TO<'static, RBox<()>>;

/// The root module every plugin exports (through [`crate::export_plugin!`]).
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
#[sabi(missing_field(panic))]
pub struct PluginMod {
    /// The plugin's name.
    pub name: RStr<'static>,
    /// The plugin's own version.
    pub version: RStr<'static>,
    /// The backends it provides.
    pub backends: extern "C" fn() -> RVec<RString>,
    /// Checks one camera's settings (TOML text) for a backend; returns the camera's summary line.
    pub configure: extern "C" fn(backend: RStr<'_>, settings: RStr<'_>) -> RResult<RString, AbiSettingsError>,
    /// Lists a backend's cameras.
    pub discover: extern "C" fn(backend: RStr<'_>, simulated: bool) -> RResult<RVec<AbiDiscovered>, AbiCameraError>,
    /// Makes a camera (not yet opened) from settings `configure` accepted.
    #[sabi(last_prefix_field)]
    pub camera: extern "C" fn(backend: RStr<'_>, settings: RStr<'_>) -> RResult<AbiCameraBox, AbiSettingsError>,
    /// The frames settings `configure` accepted fix without opening the camera, so that the host checks
    /// them (encoder, memory) as it does a built-in camera's. Added after 1.0.0's first plugins: a plugin
    /// without it is read as fixing none.
    #[sabi(missing_field(option))]
    pub declared_shape:
        extern "C" fn(backend: RStr<'_>, settings: RStr<'_>) -> RResult<ROption<AbiFrameShape>, AbiSettingsError>,
    /// The files those settings read or write, each with its key (`Err`: why they reach files no key names),
    /// for a host confined to one folder. Added with `declared_shape`: a plugin without it names none.
    #[sabi(missing_field(option))]
    pub files: extern "C" fn(backend: RStr<'_>, settings: RStr<'_>) -> RResult<AbiFiles, AbiSettingsError>,
    /// Whether a camera of those settings is live ([`axvs_core::Camera::live`]). Added after `files`: a
    /// plugin without it is read as not live (its cameras save from their first frame).
    #[sabi(missing_field(option))]
    pub live: extern "C" fn(backend: RStr<'_>, settings: RStr<'_>) -> RResult<bool, AbiSettingsError>,
    /// The libraries a backend's cameras record through, as (name, version)
    /// ([`axvs_core::CameraBackend::libraries`]). Added after `live`: a plugin without it names none.
    #[sabi(missing_field(option))]
    pub libraries: extern "C" fn(backend: RStr<'_>) -> RVec<Tuple2<RString, RString>>,
}

impl RootModule for PluginModRef {
    declare_root_module_statics! {PluginModRef}
    const BASE_NAME: &'static str = "axvs_plugin";
    const NAME: &'static str = "axvs camera plugin";
    const VERSION_STRINGS: VersionStrings = VersionStrings::new(ABI_VERSION);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pixel_format_and_error_survives_the_round_trip() {
        for f in PixelFormat::ALL {
            assert_eq!(PixelFormat::from(AbiPixelFormat::from(f)), f);
        }
        let errors = [
            CameraError::Open {
                source_name: "a".into(),
                reason: "b".into(),
            },
            CameraError::Setting {
                setting: "c".into(),
                reason: "d".into(),
            },
            CameraError::UnsupportedFormat("e".into()),
            CameraError::Timeout,
            CameraError::FrameLost("f".into()),
            CameraError::Disconnected("g".into()),
            CameraError::EndOfStream,
            CameraError::NotReady("h".into()),
            CameraError::BufferSize { expected: 3, given: 2 },
            CameraError::Device("i".into()),
        ];
        for e in errors {
            assert_eq!(AbiCameraError::from(e.clone()).into_error("p", "grab"), e);
        }
        let panic = AbiCameraError::Panicked("boom".into()).into_error("raw", "grab");
        assert_eq!(panic, CameraError::Device("plugin 'raw' panicked in grab: boom".into()));
        for e in [
            SettingsError::UnknownKey {
                key: "k".into(),
                message: "m".into(),
            },
            SettingsError::value("k", "m"),
            SettingsError::table("m"),
        ] {
            assert_eq!(SettingsError::from(AbiSettingsError::from(e.clone())), e);
        }
        let found = DiscoveredCamera {
            backend: "raw".into(),
            address: "x.raw".into(),
            vendor: None,
            model: Some("m".into()),
            serial: None,
            sizes: vec![(4, 2)],
            rates: vec![30.0],
            pixel_formats: vec!["mono8".into()],
        };
        assert_eq!(AbiDiscovered::from(found.clone()).into_discovered("raw"), found);
    }
}
