//! GenICam node configuration: read, write, dump to YAML and load back in SFNC-safe phases (the original's
//! `axvs configure` group).

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use aravis::glib::prelude::*;
use aravis::prelude::*;
use aravis::{Camera as ArvCamera, Gc, GcAccessMode, GcCategory, GcEnumeration, GcFeatureNode};
use serde::{Deserialize, Serialize};

use crate::camera::open_device;
use crate::Selector;

/// Nodes that report read-write but reject writes on many cameras; skipped by dump and load by default.
pub const DEFAULT_BLACKLIST: [&str; 3] = ["CustomerIDKey", "CustomerValueKey", "TestPattern"];
/// Most selector combinations read for one node.
const MAX_SELECTOR_COMBINATIONS: usize = 64;

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
        let text = std::fs::read_to_string(path).map_err(|e| NodeError::File(format!("{}: {e}", path.display())))?;
        serde_yaml::from_str(&text).map_err(|e| NodeError::File(format!("{}: {e}", path.display())))
    }

    /// Writes the file (replaced atomically), with YAML document markers like the original.
    pub fn write(&self, path: &Path) -> Result<(), NodeError> {
        check_yaml_name(path)?;
        let body = serde_yaml::to_string(self).map_err(|e| NodeError::File(e.to_string()))?;
        axvs_core::write_yaml_document(path, &body).map_err(|e| NodeError::File(format!("{}: {e}", path.display())))
    }
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

/// An open camera's node map.
pub struct NodeMap {
    camera: ArvCamera,
    genicam: Gc,
    model: String,
    serial: String,
}

fn value_node(node: &aravis::GcNode) -> Option<GcFeatureNode> {
    let feature = node.clone().downcast::<GcFeatureNode>().ok()?;
    let typed = node.is::<aravis::GcInteger>()
        || node.is::<aravis::GcFloat>()
        || node.is::<aravis::GcBoolean>()
        || node.is::<aravis::GcString>()
        || node.is::<GcEnumeration>();
    typed.then_some(feature)
}

impl NodeMap {
    /// Opens the camera chosen like in a rig.
    pub fn open(selector: &Selector, fake_interface: bool) -> Result<Self, NodeError> {
        let (camera, serial) = open_device(selector, fake_interface).map_err(|e| NodeError::Camera(e.to_string()))?;
        Self::from_camera(camera, serial)
    }

    /// The node map of a camera already open.
    pub(crate) fn from_camera(camera: ArvCamera, serial: String) -> Result<Self, NodeError> {
        let genicam = camera
            .device()
            .and_then(|d| d.genicam())
            .ok_or_else(|| NodeError::Camera("the camera has no GenICam node map".into()))?;
        let model = camera.model_name().map(|s| s.to_string()).unwrap_or_default();
        Ok(NodeMap {
            camera,
            genicam,
            model,
            serial,
        })
    }

    /// The camera's model.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The camera's serial number.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    fn feature(&self, name: &str) -> Result<GcFeatureNode, NodeError> {
        let node = self
            .genicam
            .node(name)
            .ok_or_else(|| NodeError::Missing(name.to_string()))?;
        value_node(&node).ok_or_else(|| NodeError::Access {
            name: name.into(),
            reason: "not a value node (integer, float, boolean, string or enumeration)".into(),
        })
    }

    /// Names of every implemented, available, read-write value node reachable from `Root`, sorted, minus
    /// `blacklist`.
    pub fn writable_nodes(&self, blacklist: &[String]) -> Vec<String> {
        let mut stack = vec!["Root".to_string()];
        let mut seen = HashSet::new();
        let mut names = Vec::new();
        while let Some(name) = stack.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let Some(node) = self.genicam.node(&name) else {
                continue;
            };
            if let Ok(category) = node.clone().downcast::<GcCategory>() {
                stack.extend(category.features().into_iter().map(|f| f.to_string()));
                continue;
            }
            let Some(feature) = value_node(&node) else {
                continue;
            };
            let usable = feature.is_implemented().unwrap_or(false)
                && feature.is_available().unwrap_or(false)
                && feature.actual_access_mode() == GcAccessMode::Rw;
            if usable && !blacklist.contains(&name) {
                names.push(name);
            }
        }
        names.sort();
        names
    }

    /// A node's value as a string.
    pub fn read(&self, name: &str) -> Result<String, NodeError> {
        let feature = self.feature(name)?;
        feature
            .value_as_string()
            .map(|v| v.to_string())
            .map_err(|e| NodeError::Access {
                name: name.into(),
                reason: e.message().to_string(),
            })
    }

    /// A node's metadata: type, value, access, description, range, entries, unit.
    pub fn describe(&self, name: &str) -> Result<String, NodeError> {
        let node = self
            .genicam
            .node(name)
            .ok_or_else(|| NodeError::Missing(name.to_string()))?;
        let feature = self.feature(name)?;
        // Enumerations also implement the integer interface: test them first.
        let kind = if node.is::<GcEnumeration>() {
            "Enumeration"
        } else if node.is::<aravis::GcInteger>() {
            "Integer"
        } else if node.is::<aravis::GcFloat>() {
            "Float"
        } else if node.is::<aravis::GcBoolean>() {
            "Boolean"
        } else {
            "String"
        };
        let mut out = format!(
            "Node: {name}\nType: {kind}\nValue: {}\nAccess: {:?}\n",
            self.read(name).unwrap_or_else(|e| format!("<unreadable: {e}>")),
            feature.actual_access_mode()
        );
        if let Some(d) = feature.description() {
            out.push_str(&format!("Description: {d}\n"));
        }
        if let Ok(int) = node.clone().dynamic_cast::<aravis::GcInteger>() {
            if let (Ok(min), Ok(max)) = (GcIntegerExt::min(&int), GcIntegerExt::max(&int)) {
                out.push_str(&format!("Min: {min}\nMax: {max}\n"));
            }
            if let Ok(inc) = int.inc() {
                out.push_str(&format!("Increment: {inc}\n"));
            }
        }
        if let Ok(float) = node.clone().dynamic_cast::<aravis::GcFloat>() {
            if let (Ok(min), Ok(max)) = (GcFloatExt::min(&float), GcFloatExt::max(&float)) {
                out.push_str(&format!("Min: {min}\nMax: {max}\n"));
            }
            if let Some(unit) = float.unit() {
                out.push_str(&format!("Unit: {unit}\n"));
            }
        }
        if let Ok(enumeration) = node.downcast::<GcEnumeration>() {
            if let Ok(entries) = enumeration.dup_available_string_values() {
                let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
                out.push_str(&format!("Entries: {}\n", entries.join(", ")));
            }
        }
        Ok(out)
    }

    /// Writes a value (the node must be read-write) and returns what the camera reads back.
    pub fn write(&self, name: &str, value: &str) -> Result<String, NodeError> {
        let feature = self.feature(name)?;
        let access = feature.actual_access_mode();
        if access != GcAccessMode::Rw && access != GcAccessMode::Wo {
            return Err(NodeError::Access {
                name: name.into(),
                reason: format!("access is {access:?}, not writable"),
            });
        }
        let value = if feature.is::<aravis::GcBoolean>() {
            match value.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => "true".to_string(),
                "false" | "0" | "no" => "false".to_string(),
                _ => {
                    return Err(NodeError::Write {
                        name: name.into(),
                        value: value.into(),
                        reason: "not a boolean (true/false, 1/0, yes/no)".into(),
                    })
                }
            }
        } else {
            value.to_string()
        };
        feature.set_value_from_string(&value).map_err(|e| NodeError::Write {
            name: name.into(),
            value: value.clone(),
            reason: e.message().to_string(),
        })?;
        self.read(name)
    }

    /// Every writable node's value, with each selector's entries applied in turn (at most 64 combinations
    /// per node); selectors are restored afterwards.
    pub fn dump(&self, blacklist: &[String]) -> GenicamConfiguration {
        let names = self.writable_nodes(blacklist);
        let mut nodes = Vec::new();
        // Which selector (if any) governs each node.
        let mut governed: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
        for name in &names {
            let Some(node) = self.genicam.node(name) else {
                continue;
            };
            let Ok(selector) = node.clone().dynamic_cast::<aravis::GcSelector>() else {
                continue;
            };
            if !selector.is_selector() {
                continue;
            }
            let entries = node
                .downcast::<GcEnumeration>()
                .ok()
                .and_then(|e| e.dup_available_string_values().ok())
                .map(|v| {
                    v.iter()
                        .map(|s| s.to_string())
                        .take(MAX_SELECTOR_COMBINATIONS)
                        .collect()
                })
                .unwrap_or_default();
            for selected in selector.selected_features() {
                if let Some(target) = selected.name() {
                    governed.insert(target.to_string(), (name.clone(), Vec::clone(&entries)));
                }
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
            camera_model: self.model.clone(),
            camera_serial_number: self.serial.clone(),
            nodes,
        }
    }

    /// Applies a configuration: identity check (an error when `strict`, a warning otherwise), then the SFNC
    /// phases (auto controls and centring off, offsets to 0, format and binning, size, offsets, exposure and
    /// rate, gain), then every other node in file order with its selectors first. Blacklisted nodes are
    /// skipped; a node that fails is reported, not fatal.
    pub fn load(
        &self,
        config: &GenicamConfiguration,
        strict: bool,
        blacklist: &[String],
    ) -> Result<LoadReport, NodeError> {
        let mut report = LoadReport::default();
        if config.camera_model != self.model || config.camera_serial_number != self.serial {
            let expected = format!("{} serial {}", config.camera_model, config.camera_serial_number);
            let actual = format!("{} serial {}", self.model, self.serial);
            if strict {
                return Err(NodeError::Identity { expected, actual });
            }
            report.identity_warning = Some(format!("configuration is for {expected}, the camera is {actual}"));
        }
        if let Some(missing) = config.nodes.iter().find(|n| self.genicam.node(&n.name).is_none()) {
            return Err(NodeError::Missing(missing.name.clone()));
        }
        let _ = self.camera.stop_acquisition();
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
            if !blacklist.iter().any(|b| b == name) && self.genicam.node(name).is_some() {
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
        let apply = |entry: &NodeValue, report: &mut LoadReport| {
            if blacklist.contains(&entry.name) {
                report.skipped += 1;
                return;
            }
            for (selector, value) in &entry.selectors {
                if let Err(e) = self.write(selector, value) {
                    report.failed.push((entry.name.clone(), e.to_string()));
                    return;
                }
            }
            match self.write(&entry.name, &entry.value) {
                Ok(_) => report.applied += 1,
                Err(e) => report.failed.push((entry.name.clone(), e.to_string())),
            }
        };
        for phase in PHASES {
            for name in phase {
                for entry in config.nodes.iter().filter(|n| n.name == *name) {
                    apply(entry, &mut report);
                }
            }
        }
        // Phase 8: the auto controls and centring as the file wants them, then everything else in file order.
        for entry in config.nodes.iter().filter(|n| !phased.contains(n.name.as_str())) {
            apply(entry, &mut report);
        }
        Ok(report)
    }
}
