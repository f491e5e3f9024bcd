//! When a GenICam camera (Aravis or GenTL) takes a frame: free-running, on axvs' software trigger, or on
//! an input line; read once from a rig's `trigger`, `trigger_line` and `trigger_activation` keys.

use axvs_core::{BackendSettings, SettingsError};

/// When the camera takes a frame.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Trigger {
    /// Continuously, at the frame rate.
    #[default]
    FreeRun,
    /// On a software trigger, which axvs sends at the frame rate.
    Software,
    /// On an input line.
    Hardware {
        /// The line, e.g. `Line1`.
        line: String,
        /// The edge or level, e.g. `RisingEdge`.
        activation: String,
    },
}

/// The activation a hardware trigger uses when the rig names none.
pub const DEFAULT_TRIGGER_ACTIVATION: &str = "RisingEdge";

impl Trigger {
    /// The trigger a camera table gives: `trigger = "free_run" | "software" | "hardware"` (default free
    /// run), with `trigger_line` (required for hardware) and `trigger_activation` (default
    /// [`DEFAULT_TRIGGER_ACTIVATION`]).
    ///
    /// ```
    /// use axvs_core::BackendSettings;
    /// use axvs_genicam::Trigger;
    /// let settings = BackendSettings::new("trigger = \"hardware\"\ntrigger_line = \"Line1\"".parse().unwrap());
    /// assert_eq!(
    ///     Trigger::from_settings(&settings).unwrap(),
    ///     Trigger::Hardware { line: "Line1".into(), activation: "RisingEdge".into() }
    /// );
    /// ```
    pub fn from_settings(settings: &BackendSettings) -> Result<Trigger, SettingsError> {
        let text = |key: &str| -> Result<Option<String>, SettingsError> {
            match settings.table().get(key) {
                None => Ok(None),
                Some(v) => v
                    .as_str()
                    .map(|s| Some(s.to_string()))
                    .ok_or_else(|| SettingsError::value(key, format!("{key} must be a string, not {v}"))),
            }
        };
        match text("trigger")?.as_deref() {
            None | Some("free_run") => Ok(Trigger::FreeRun),
            Some("software") => Ok(Trigger::Software),
            Some("hardware") => Ok(Trigger::Hardware {
                line: text("trigger_line")?.ok_or_else(|| {
                    SettingsError::table("trigger = \"hardware\" needs trigger_line (e.g. \"Line1\")")
                })?,
                activation: text("trigger_activation")?.unwrap_or_else(|| DEFAULT_TRIGGER_ACTIVATION.into()),
            }),
            Some(other) => Err(SettingsError::value(
                "trigger",
                format!("unknown trigger '{other}' (allowed: free_run, software, hardware)"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trigger(text: &str) -> Result<Trigger, SettingsError> {
        Trigger::from_settings(&BackendSettings::new(text.parse().expect("toml")))
    }

    #[test]
    fn the_three_modes_and_their_errors() {
        assert_eq!(trigger(""), Ok(Trigger::FreeRun));
        assert_eq!(trigger("trigger = \"free_run\""), Ok(Trigger::FreeRun));
        assert_eq!(trigger("trigger = \"software\""), Ok(Trigger::Software));
        assert_eq!(
            trigger("trigger = \"hardware\"\ntrigger_line = \"Line2\"\ntrigger_activation = \"FallingEdge\""),
            Ok(Trigger::Hardware {
                line: "Line2".into(),
                activation: "FallingEdge".into()
            })
        );
        assert_eq!(trigger("trigger = \"hardware\"").expect_err("no line").key(), None);
        assert_eq!(
            trigger("trigger = \"sometimes\"").expect_err("unknown").key(),
            Some("trigger")
        );
        assert_eq!(trigger("trigger = 1").expect_err("not text").key(), Some("trigger"));
    }
}
