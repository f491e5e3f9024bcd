//! The node map of a camera opened through Aravis, as an [`axvs_genicam::nodes::NodeAccess`]: read,
//! write, dump to YAML and load back in SFNC-safe phases (the original's `axvs configure` group).

use aravis::glib::prelude::*;
use aravis::prelude::*;
use aravis::{Camera as ArvCamera, Gc, GcAccessMode, GcCategory, GcEnumeration, GcFeatureNode};
pub use axvs_genicam::nodes::{
    GenicamConfiguration, LoadReport, NodeAccess, NodeError, NodeValue, DEFAULT_BLACKLIST, MAX_SELECTOR_COMBINATIONS,
};

use crate::camera::open_device;
use crate::Selector;

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
}

impl NodeAccess for NodeMap {
    /// A node's metadata: type, value, access, description, range, entries, unit.
    fn describe(&mut self, name: &str) -> Result<String, NodeError> {
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
    fn model(&self) -> &str {
        &self.model
    }

    fn serial(&self) -> &str {
        &self.serial
    }

    fn has(&self, name: &str) -> bool {
        self.genicam.node(name).is_some()
    }

    fn is_writable(&mut self, name: &str) -> bool {
        self.feature(name)
            .is_ok_and(|f| matches!(f.actual_access_mode(), GcAccessMode::Rw | GcAccessMode::Wo))
    }

    fn category(&mut self, name: &str) -> Option<Vec<String>> {
        let category = self.genicam.node(name)?.downcast::<GcCategory>().ok()?;
        Some(category.features().into_iter().map(|f| f.to_string()).collect())
    }

    fn is_read_write(&mut self, name: &str) -> bool {
        self.genicam
            .node(name)
            .as_ref()
            .and_then(value_node)
            .is_some_and(|feature| {
                feature.is_implemented().unwrap_or(false)
                    && feature.is_available().unwrap_or(false)
                    && feature.actual_access_mode() == GcAccessMode::Rw
            })
    }

    /// A node's value as a string.
    fn read(&mut self, name: &str) -> Result<String, NodeError> {
        let feature = self.feature(name)?;
        feature
            .value_as_string()
            .map(|v| v.to_string())
            .map_err(|e| NodeError::Access {
                name: name.into(),
                reason: e.message().to_string(),
            })
    }

    /// Writes a value (the node must be read-write) and returns what the camera reads back.
    fn write(&mut self, name: &str, value: &str) -> Result<String, NodeError> {
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

    fn selectors(&mut self, names: &[String]) -> Vec<(String, Vec<String>, Vec<String>)> {
        let mut found = Vec::new();
        for name in names {
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
            let targets = selector
                .selected_features()
                .iter()
                .filter_map(|selected| selected.name().map(|n| n.to_string()))
                .collect();
            found.push((name.clone(), entries, targets));
        }
        found
    }

    fn stop_acquisition(&mut self) {
        let _ = self.camera.stop_acquisition();
    }
}
