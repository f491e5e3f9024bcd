//! How a rig names one device among several of a backend: by serial number, model, device id or
//! position, for every backend whose devices have them (GenICam through Aravis, GenTL producers).

use std::fmt;

use axvs_core::{BackendSettings, SettingsError};

/// Which device to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSelector {
    /// By serial number.
    Serial(String),
    /// By model name (the first such device).
    Model(String),
    /// By the backend's device id.
    DeviceId(String),
    /// By position in the backend's discovery list.
    Index(u32),
}

impl fmt::Display for DeviceSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSelector::Serial(s) => write!(f, "serial '{s}'"),
            DeviceSelector::Model(m) => write!(f, "model '{m}'"),
            DeviceSelector::DeviceId(d) => write!(f, "device '{d}'"),
            DeviceSelector::Index(i) => write!(f, "index {i}"),
        }
    }
}

impl DeviceSelector {
    /// The keys a camera table names its device with; exactly one must be given.
    pub const KEYS: [&'static str; 4] = ["serial", "model", "device_id", "index"];

    /// The selector a camera table gives with exactly one of [`DeviceSelector::KEYS`] (strings, or an
    /// index from 0); `backend` names it in errors.
    ///
    /// ```
    /// use axvs_core::BackendSettings;
    /// use axvs_genicam::DeviceSelector;
    /// let settings = BackendSettings::new("serial = \"21345678\"".parse().unwrap());
    /// assert_eq!(DeviceSelector::from_settings(&settings, "genicam").unwrap(), DeviceSelector::Serial("21345678".into()));
    /// ```
    pub fn from_settings(settings: &BackendSettings, backend: &str) -> Result<DeviceSelector, SettingsError> {
        let key = settings.exactly_one(backend, &Self::KEYS)?;
        let value = &settings.table()[key];
        let text = || {
            value
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| SettingsError::value(key, format!("{key} must be a string, not {value}")))
        };
        Ok(match key {
            "serial" => DeviceSelector::Serial(text()?),
            "model" => DeviceSelector::Model(text()?),
            "device_id" => DeviceSelector::DeviceId(text()?),
            _ => DeviceSelector::Index(value.as_integer().and_then(|i| u32::try_from(i).ok()).ok_or_else(|| {
                SettingsError::value(key, format!("index {value} is out of range (allowed: 0 and up)"))
            })?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn select(text: &str) -> Result<DeviceSelector, SettingsError> {
        DeviceSelector::from_settings(&BackendSettings::new(text.parse().expect("toml")), "b")
    }

    #[test]
    fn exactly_one_key_names_the_device() {
        assert_eq!(select("serial = \"7\""), Ok(DeviceSelector::Serial("7".into())));
        assert_eq!(select("model = \"M\""), Ok(DeviceSelector::Model("M".into())));
        assert_eq!(select("device_id = \"D\""), Ok(DeviceSelector::DeviceId("D".into())));
        assert_eq!(select("index = 2"), Ok(DeviceSelector::Index(2)));
        assert_eq!(select("index = -1").expect_err("negative").key(), Some("index"));
        assert_eq!(select("serial = 7").expect_err("not a string").key(), Some("serial"));
        let e = select("serial = \"7\"\nindex = 0").expect_err("two");
        assert!(e.to_string().ends_with("(given: serial, index)"), "{e}");
        assert_eq!(DeviceSelector::Index(3).to_string(), "index 3");
        assert_eq!(DeviceSelector::Model("M".into()).to_string(), "model 'M'");
    }
}
