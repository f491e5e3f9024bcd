//! GenICam node configuration, for every backend whose cameras have a GenICam node map (Aravis, GenTL):
//! the YAML file the original's `axvs configure` group reads and writes, and dumping to it and loading it
//! back in SFNC-safe phases over any [`NodeAccess`].

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Nodes that report read-write but reject writes on many cameras; skipped by dump and load by default.
pub const DEFAULT_BLACKLIST: [&str; 3] = ["CustomerIDKey", "CustomerValueKey", "TestPattern"];
/// Most selector combinations read for one node.
pub const MAX_SELECTOR_COMBINATIONS: usize = 64;

/// One node's value, under a selector combination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeValue {
    /// Node name.
    pub name: String,
    /// Value as the camera prints it.
    pub value: String,
    /// Selector node -> entry in force when the value was read.
    #[serde(default)]
    pub selectors: BTreeMap<String, String>,
}

/// A camera's configuration as a hand-editable YAML file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenicamConfiguration {
    /// Model of the camera it was read from.
    pub camera_model: String,
    /// Serial number of the camera it was read from.
    pub camera_serial_number: String,
    /// Values, in file order.
    pub nodes: Vec<NodeValue>,
}

impl GenicamConfiguration {
    /// Reads a configuration file.
    pub fn read(path: &Path) -> Result<Self, NodeError> {
        check_yaml_name(path)?;
        let text = axvs_core::read_text_file(path).map_err(|e| NodeError::File(format!("{}: {e}", path.display())))?;
        serde_saphyr::from_str(&text).map_err(|e| NodeError::File(format!("{}: {}", path.display(), one_line(&e))))
    }

    /// Writes the file (replaced atomically), with YAML document markers like the original.
    pub fn write(&self, path: &Path) -> Result<(), NodeError> {
        check_yaml_name(path)?;
        let body = serde_saphyr::to_string(self).map_err(|e| NodeError::File(e.to_string()))?;
        axvs_core::write_yaml_document(path, &body).map_err(|e| NodeError::File(format!("{}: {e}", path.display())))
    }
}

/// A YAML reader's error as one line for the user: its first line, without the excerpt it draws below
/// and without hints about Rust types ("use Option<String>").
fn one_line(error: &impl std::fmt::Display) -> String {
    let text = error.to_string();
    let first = text.lines().next().unwrap_or_default().trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let first = first.split("; use ").next().unwrap_or(first);
    first.replace(
        "cannot deserialize null into string",
        "a value is empty (null); give it as text",
    )
}

fn check_yaml_name(path: &Path) -> Result<(), NodeError> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("yaml" | "yml") => Ok(()),
        _ => Err(NodeError::File(format!(
            "{}: configuration files end in .yaml or .yml",
            path.display()
        ))),
    }
}

/// Why a node operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    /// The camera could not be opened.
    #[error("{0}")]
    Camera(String),
    /// No such node.
    #[error("node '{0}' does not exist on this camera")]
    Missing(String),
    /// The node is not readable/writable as asked.
    #[error("node '{name}': {reason}")]
    Access {
        /// Node.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The camera refused a value.
    #[error("node '{name}': writing '{value}' failed: {reason}")]
    Write {
        /// Node.
        name: String,
        /// Value.
        value: String,
        /// The camera's answer.
        reason: String,
    },
    /// The configuration belongs to another camera (with `--strict`).
    #[error("configuration is for {expected}, the camera is {actual}")]
    Identity {
        /// What the file says.
        expected: String,
        /// What the camera is.
        actual: String,
    },
    /// The configuration file cannot be read or written.
    #[error("{0}")]
    File(String),
}

/// What `load` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Entries written.
    pub applied: usize,
    /// Entries skipped (blacklisted).
    pub skipped: usize,
    /// Entries that failed, with why.
    pub failed: Vec<(String, String)>,
    /// Set when the file names another camera (and `strict` was off).
    pub identity_warning: Option<String>,
}

/// A camera's GenICam node map, as the backends expose it: what [`NodeAccess::dump`] and
/// [`NodeAccess::load`] need.
pub trait NodeAccess {
    /// The camera's model.
    fn model(&self) -> &str;

    /// The camera's serial number.
    fn serial(&self) -> &str;

    /// Whether the node exists.
    fn has(&self, name: &str) -> bool;

    /// The features of category `name`, when it is a category.
    fn category(&mut self, name: &str) -> Option<Vec<String>>;

    /// Whether `name` is a value node (integer, float, boolean, string, enumeration) that is implemented,
    /// available and can be read and written now.
    fn is_read_write(&mut self, name: &str) -> bool;

    /// Names of every read-write value node reachable from `Root`, sorted, minus `blacklist`.
    fn writable_nodes(&mut self, blacklist: &[String]) -> Vec<String> {
        let mut stack = vec!["Root".to_string()];
        let mut seen = HashSet::new();
        let mut names = Vec::new();
        while let Some(name) = stack.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(children) = self.category(&name) {
                stack.extend(children);
            } else if self.is_read_write(&name) && !blacklist.contains(&name) {
                names.push(name);
            }
        }
        names.sort();
        names
    }

    /// A node's value as a string.
    fn read(&mut self, name: &str) -> Result<String, NodeError>;

    /// Whether the node can be written now (under the selectors in force).
    fn is_writable(&mut self, name: &str) -> bool;

    /// Writes a value (the node must be writable) and returns what the camera reads back.
    fn write(&mut self, name: &str, value: &str) -> Result<String, NodeError>;

    /// A node's metadata, one `Key: value` per line: type, value, access, and what the node tells of its
    /// range, entries and unit.
    fn describe(&mut self, name: &str) -> Result<String, NodeError>;

    /// The selectors among `names`: each with its entries (at most [`MAX_SELECTOR_COMBINATIONS`]) and the
    /// nodes it selects.
    fn selectors(&mut self, names: &[String]) -> Vec<(String, Vec<String>, Vec<String>)>;

    /// Stops streaming before a configuration is loaded (size and format are locked while streaming).
    fn stop_acquisition(&mut self) {}

    /// Every writable node's value, with each selector's entries applied in turn (at most 64 combinations
    /// per node); selectors are restored afterwards.
    fn dump(&mut self, blacklist: &[String]) -> GenicamConfiguration {
        let names = self.writable_nodes(blacklist);
        let mut nodes = Vec::new();
        // Which selector (if any) governs each node.
        let mut governed: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
        for (selector, entries, targets) in self.selectors(&names) {
            for target in targets {
                governed.insert(target, (selector.clone(), entries.clone()));
            }
        }
        for name in &names {
            match governed.get(name) {
                Some((selector, entries)) if !entries.is_empty() => {
                    let original = self.read(selector).ok();
                    for entry in entries {
                        if self.write(selector, entry).is_err() {
                            continue;
                        }
                        // Under some entries a node is fixed (e.g. a Range component's pixel format): a
                        // value that cannot be written back is not configuration.
                        if !self.is_writable(name) {
                            continue;
                        }
                        if let Ok(value) = self.read(name) {
                            nodes.push(NodeValue {
                                name: name.clone(),
                                value,
                                selectors: BTreeMap::from([(selector.clone(), entry.clone())]),
                            });
                        }
                    }
                    if let Some(original) = original {
                        let _ = self.write(selector, &original);
                    }
                }
                _ => {
                    if let Ok(value) = self.read(name) {
                        nodes.push(NodeValue {
                            name: name.clone(),
                            value,
                            selectors: BTreeMap::new(),
                        });
                    }
                }
            }
        }
        GenicamConfiguration {
            camera_model: self.model().to_string(),
            camera_serial_number: self.serial().to_string(),
            nodes,
        }
    }

    /// Applies a configuration: identity check (an error when `strict`, a warning otherwise), then the SFNC
    /// phases (auto controls and centring off, offsets to 0, format and binning, size, offsets, exposure and
    /// rate, gain), then every other node in file order with its selectors first. Blacklisted nodes are
    /// skipped; a node that fails is reported, not fatal.
    fn load(
        &mut self,
        config: &GenicamConfiguration,
        strict: bool,
        blacklist: &[String],
    ) -> Result<LoadReport, NodeError> {
        let mut report = LoadReport::default();
        if config.camera_model != self.model() || config.camera_serial_number != self.serial() {
            let expected = format!("{} serial {}", config.camera_model, config.camera_serial_number);
            let actual = format!("{} serial {}", self.model(), self.serial());
            if strict {
                return Err(NodeError::Identity { expected, actual });
            }
            report.identity_warning = Some(format!("configuration is for {expected}, the camera is {actual}"));
        }
        if let Some(missing) = config.nodes.iter().find(|n| !self.has(&n.name)) {
            return Err(NodeError::Missing(missing.name.clone()));
        }
        self.stop_acquisition();
        // Phase 1 and 2: unlock, then clear offsets so the size can grow. Failures here are not fatal.
        for (name, value) in [
            ("CenterX", "false"),
            ("CenterY", "false"),
            ("ExposureAuto", "Off"),
            ("GainAuto", "Off"),
            ("BalanceWhiteAuto", "Off"),
            ("BlackLevelAuto", "Off"),
            ("OffsetX", "0"),
            ("OffsetY", "0"),
        ] {
            if !blacklist.iter().any(|b| b == name) && self.has(name) {
                let _ = self.write(name, value);
            }
        }
        const PHASES: [&[&str]; 5] = [
            &[
                "PixelFormat",
                "BinningHorizontal",
                "BinningVertical",
                "BinningHorizontalMode",
                "BinningVerticalMode",
                "DecimationHorizontal",
                "DecimationVertical",
                "ReverseX",
                "ReverseY",
            ],
            &["Width", "Height"],
            &["OffsetX", "OffsetY"],
            &[
                "ExposureMode",
                "AcquisitionFrameRateEnable",
                "ExposureTime",
                "AcquisitionFrameRate",
            ],
            &["Gain", "BlackLevel", "BalanceRatio"],
        ];
        let phased: HashSet<&str> = PHASES.iter().flat_map(|p| p.iter().copied()).collect();
        for phase in PHASES {
            for name in phase {
                for entry in config.nodes.iter().filter(|n| n.name == *name) {
                    apply(self, entry, blacklist, &mut report);
                }
            }
        }
        // Phase 8: the auto controls and centring as the file wants them, then everything else in file order.
        for entry in config.nodes.iter().filter(|n| !phased.contains(n.name.as_str())) {
            apply(self, entry, blacklist, &mut report);
        }
        Ok(report)
    }
}

/// Writes one entry of a configuration, its selectors first; counts it in `report`.
fn apply<N: NodeAccess + ?Sized>(nodes: &mut N, entry: &NodeValue, blacklist: &[String], report: &mut LoadReport) {
    if blacklist.contains(&entry.name) {
        report.skipped += 1;
        return;
    }
    for (selector, value) in &entry.selectors {
        if let Err(e) = nodes.write(selector, value) {
            report.failed.push((entry.name.clone(), e.to_string()));
            return;
        }
    }
    match nodes.write(&entry.name, &entry.value) {
        Ok(_) => report.applied += 1,
        Err(e) => report.failed.push((entry.name.clone(), e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// An in-memory node map: values, which nodes are writable (per selector entry), one selector, and the
    /// order of every write.
    struct Memory {
        values: BTreeMap<String, String>,
        read_only: Vec<String>,
        /// Node -> (selector, per-entry values).
        selected: BTreeMap<String, (String, BTreeMap<String, String>)>,
        writes: Vec<String>,
        stopped: bool,
    }

    impl Memory {
        fn camera() -> Memory {
            let values = [
                ("Width", "640"),
                ("Height", "480"),
                ("OffsetX", "8"),
                ("PixelFormat", "Mono8"),
                ("ExposureTime", "1000"),
                ("Gain", "2"),
                ("GainSelector", "All"),
                ("UserValue", "7"),
                ("TestPattern", "Off"),
                ("DeviceTemperature", "40"),
                ("LutIndex", "0"),
                ("LutValue", "9"),
            ];
            let gain = BTreeMap::from([
                ("All".to_string(), "2".to_string()),
                ("Red".to_string(), "5".to_string()),
            ]);
            Memory {
                values: values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                read_only: vec!["DeviceTemperature".into()],
                selected: BTreeMap::from([("Gain".to_string(), ("GainSelector".to_string(), gain))]),
                writes: Vec::new(),
                stopped: false,
            }
        }
    }

    impl NodeAccess for Memory {
        fn model(&self) -> &str {
            "Model"
        }
        fn serial(&self) -> &str {
            "42"
        }
        fn has(&self, name: &str) -> bool {
            self.values.contains_key(name)
        }
        fn category(&mut self, name: &str) -> Option<Vec<String>> {
            // Root holds a category and one node of its own; a name listed twice is visited once.
            match name {
                "Root" => Some(vec!["ImageFormat".into(), "Width".into()]),
                "ImageFormat" => Some(self.values.keys().cloned().collect()),
                _ => None,
            }
        }
        fn is_read_write(&mut self, name: &str) -> bool {
            self.has(name) && !self.read_only.iter().any(|r| r == name)
        }
        fn read(&mut self, name: &str) -> Result<String, NodeError> {
            if let Some((selector, per_entry)) = self.selected.get(name) {
                let entry = &self.values[selector];
                return Ok(per_entry[entry].clone());
            }
            self.values
                .get(name)
                .cloned()
                .ok_or_else(|| NodeError::Missing(name.into()))
        }
        fn is_writable(&mut self, name: &str) -> bool {
            // Under the Red entry, Gain is fixed.
            let fixed_gain = name == "Gain" && self.values["GainSelector"] == "Red";
            !(fixed_gain || self.read_only.iter().any(|r| r == name))
        }
        fn write(&mut self, name: &str, value: &str) -> Result<String, NodeError> {
            if !self.has(name) {
                return Err(NodeError::Missing(name.into()));
            }
            if !self.is_writable(name) {
                return Err(NodeError::Access {
                    name: name.into(),
                    reason: "read only".into(),
                });
            }
            self.writes.push(format!("{name}={value}"));
            if let Some((selector, per_entry)) = self.selected.get_mut(name) {
                let entry = self.values[selector.as_str()].clone();
                per_entry.insert(entry, value.into());
            } else {
                self.values.insert(name.into(), value.into());
            }
            self.read(name)
        }
        fn describe(&mut self, name: &str) -> Result<String, NodeError> {
            self.read(name)
        }
        fn selectors(&mut self, names: &[String]) -> Vec<(String, Vec<String>, Vec<String>)> {
            // GainSelector has entries; LutIndex (an integer selector) has none to step through.
            names
                .iter()
                .filter_map(|n| match n.as_str() {
                    "GainSelector" => Some((n.clone(), vec!["All".into(), "Red".into()], vec!["Gain".into()])),
                    "LutIndex" => Some((n.clone(), Vec::new(), vec!["LutValue".into()])),
                    _ => None,
                })
                .collect()
        }
        fn stop_acquisition(&mut self) {
            self.stopped = true;
        }
    }

    fn blacklist() -> Vec<String> {
        DEFAULT_BLACKLIST.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn configuration_files_are_yaml_by_name_and_read_in_one_line_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = GenicamConfiguration {
            camera_model: "M".into(),
            camera_serial_number: "S".into(),
            nodes: Vec::new(),
        };
        for name in ["c.txt", "c", "c.yaml.bak"] {
            let e = config.write(&dir.path().join(name)).expect_err(name);
            assert!(e.to_string().contains("end in .yaml or .yml"), "{name}: {e}");
        }
        for name in ["c.yaml", "c.yml"] {
            config.write(&dir.path().join(name)).expect(name);
            assert_eq!(GenicamConfiguration::read(&dir.path().join(name)).expect(name), config);
        }
        let null = dir.path().join("null.yaml");
        std::fs::write(
            &null,
            "camera_model: M\ncamera_serial_number: S\nnodes:\n- name: Width\n  value: null\n",
        )
        .expect("write");
        let e = GenicamConfiguration::read(&null).expect_err("null").to_string();
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(
            e.contains("null.yaml: line 5") && e.contains("a value is empty (null)") && !e.contains("Option<"),
            "{e}"
        );
    }

    #[test]
    fn dump_keeps_writable_values_per_selector_entry_and_restores_the_selector() {
        let mut camera = Memory::camera();
        let dump = camera.dump(&blacklist());
        assert_eq!(
            (dump.camera_model.as_str(), dump.camera_serial_number.as_str()),
            ("Model", "42")
        );
        let names: Vec<&str> = dump.nodes.iter().map(|n| n.name.as_str()).collect();
        assert!(!names.contains(&"TestPattern"), "blacklisted: {names:?}");
        assert!(!names.contains(&"DeviceTemperature"), "read only: {names:?}");
        assert_eq!(
            names.iter().filter(|n| **n == "Width").count(),
            1,
            "reached twice, dumped once"
        );
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "in name order");
        let gains: Vec<&NodeValue> = dump.nodes.iter().filter(|n| n.name == "Gain").collect();
        assert_eq!(
            gains.len(),
            1,
            "Gain under Red is fixed, so only All is kept: {gains:?}"
        );
        assert_eq!(
            gains[0].selectors,
            BTreeMap::from([("GainSelector".to_string(), "All".to_string())])
        );
        assert_eq!(camera.values["GainSelector"], "All", "the selector is put back");
        let lut: Vec<&NodeValue> = dump.nodes.iter().filter(|n| n.name == "LutValue").collect();
        assert_eq!(
            lut.len(),
            1,
            "a selector without entries leaves its node dumped as it is"
        );
        assert!(lut[0].selectors.is_empty());
    }

    #[test]
    fn load_checks_identity_then_writes_in_sfnc_phases() {
        let mut source = Memory::camera();
        let mut config = source.dump(&[]);
        for node in &mut config.nodes {
            if node.name == "Width" {
                node.value = "320".into();
            }
        }
        let mut camera = Memory::camera();
        let report = camera.load(&config, true, &blacklist()).expect("same camera");
        assert!(camera.stopped, "acquisition stops first");
        assert_eq!(camera.values["Width"], "320");
        assert_eq!(report.skipped, 1, "TestPattern is blacklisted: {report:?}");
        assert!(report.failed.is_empty(), "{report:?}");
        assert_eq!(report.applied, config.nodes.len() - 1);
        let at = |w: &str| {
            camera
                .writes
                .iter()
                .position(|x| x.starts_with(w))
                .unwrap_or(usize::MAX)
        };
        // Offsets cleared, then format, size, offsets, exposure, gain, then the rest.
        assert!(at("OffsetX=0") < at("PixelFormat="), "{:?}", camera.writes);
        assert!(at("PixelFormat=") < at("Width="), "{:?}", camera.writes);
        assert!(at("Width=") < at("OffsetX=8"), "{:?}", camera.writes);
        assert!(at("OffsetX=8") < at("ExposureTime="), "{:?}", camera.writes);
        assert!(at("ExposureTime=") < at("GainSelector="), "{:?}", camera.writes);
        assert!(at("Gain=") < at("UserValue="), "{:?}", camera.writes);

        // A blacklisted node is not touched, not even by the phase that clears offsets.
        let mut guarded = Memory::camera();
        guarded.load(&config, true, &["OffsetX".to_string()]).expect("load");
        assert!(
            !guarded.writes.iter().any(|w| w.starts_with("OffsetX")),
            "{:?}",
            guarded.writes
        );

        let mut other = GenicamConfiguration {
            camera_serial_number: "43".into(),
            ..config.clone()
        };
        let e = Memory::camera().load(&other, true, &[]).expect_err("strict");
        assert_eq!(
            e,
            NodeError::Identity {
                expected: "Model serial 43".into(),
                actual: "Model serial 42".into()
            }
        );
        let report = Memory::camera().load(&other, false, &[]).expect("lenient");
        assert!(report.identity_warning.is_some_and(|w| w.contains("serial 43")));
        other.nodes.push(NodeValue {
            name: "Missing".into(),
            value: "1".into(),
            selectors: BTreeMap::new(),
        });
        assert_eq!(
            Memory::camera().load(&other, false, &[]),
            Err(NodeError::Missing("Missing".into()))
        );
        let fixed = NodeValue {
            name: "DeviceTemperature".into(),
            value: "1".into(),
            selectors: BTreeMap::new(),
        };
        let report = Memory::camera()
            .load(
                &GenicamConfiguration {
                    nodes: vec![fixed],
                    ..config
                },
                true,
                &[],
            )
            .expect("load");
        assert_eq!(
            report.failed.len(),
            1,
            "a refused node is reported, not fatal: {report:?}"
        );
    }

    #[test]
    fn files_round_trip_and_must_be_yaml() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Memory::camera().dump(&[]);
        let path = dir.path().join("cam.yaml");
        config.write(&path).expect("write");
        assert_eq!(GenicamConfiguration::read(&path).expect("read"), config);
        let text = std::fs::read_to_string(&path).expect("text");
        assert!(text.starts_with("---\n") && text.trim_end().ends_with("..."), "{text}");
        assert!(matches!(
            GenicamConfiguration::read(&dir.path().join("cam.txt")),
            Err(NodeError::File(_))
        ));
    }
}
