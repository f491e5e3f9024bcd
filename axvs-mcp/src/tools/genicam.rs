//! GenICam nodes: read, write, dump and load, through Aravis or the GenTL producer.

use std::path::PathBuf;

use axvs_genicam::nodes::{GenicamConfiguration, DEFAULT_BLACKLIST};
use axvs_genicam::DeviceSelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Reply;
use crate::args::{tool_error, ToolError};
use crate::paths::PathPolicy;

/// Which GenICam camera, and through what.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CameraSelector {
    /// By serial number.
    pub serial: Option<String>,
    /// By model name.
    pub model: Option<String>,
    /// By device id.
    pub device_id: Option<String>,
    /// By position in the discovery list (default 0).
    #[schemars(range(min = 0, max = 255))]
    pub camera_index: Option<u32>,
    /// Through the GenTL producer instead of Aravis.
    #[serde(default)]
    pub gentl: bool,
    /// Also offer Aravis' simulated camera (Aravis only).
    #[serde(default)]
    pub fake: bool,
}

impl CameraSelector {
    fn selector(&self) -> Result<DeviceSelector, ToolError> {
        let given = [
            self.serial.is_some(),
            self.model.is_some(),
            self.device_id.is_some(),
            self.camera_index.is_some(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(tool_error!(
                "arguments: name the camera by one of serial, model, device_id or camera_index"
            ));
        }
        Ok(match (&self.serial, &self.model, &self.device_id) {
            (Some(s), ..) => DeviceSelector::Serial(s.clone()),
            (_, Some(m), _) => DeviceSelector::Model(m.clone()),
            (_, _, Some(d)) => DeviceSelector::DeviceId(d.clone()),
            _ => DeviceSelector::Index(self.camera_index.unwrap_or(0)),
        })
    }

    fn open(&self) -> Result<Box<dyn axvs_genicam::nodes::NodeAccess>, ToolError> {
        if self.gentl && self.fake {
            return Err(tool_error!(
                "arguments `gentl` and `fake`: the simulated camera is Aravis'; give one"
            ));
        }
        axvs_session::nodes::open(&self.selector()?, self.fake, self.gentl, None).map_err(ToolError)
    }
}

fn blacklist(given: Option<Vec<String>>) -> Vec<String> {
    given.unwrap_or_else(|| DEFAULT_BLACKLIST.iter().map(|s| s.to_string()).collect())
}

/// Arguments of `read_genicam_node`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadNodeArgs {
    /// The camera.
    #[serde(flatten)]
    pub camera: CameraSelector,
    /// The node; without it, every writable node and its value.
    pub node_name: Option<String>,
}

/// A node and its value.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NodeReading {
    /// Node name.
    pub name: String,
    /// Its value, or why it cannot be read.
    pub value: String,
}

/// What `read_genicam_node` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NodesRead {
    /// The camera's model.
    pub model: String,
    /// Its serial number.
    pub serial: String,
    /// The node asked for, described in full (type, access, range, value).
    pub description: Option<String>,
    /// Every writable node, when no node was named.
    pub nodes: Vec<NodeReading>,
}

/// `read_genicam_node`.
pub fn read_genicam_node(args: ReadNodeArgs) -> Reply<NodesRead> {
    let mut map = args.camera.open()?;
    let mut read = NodesRead {
        model: map.model().to_string(),
        serial: map.serial().to_string(),
        description: None,
        nodes: Vec::new(),
    };
    match &args.node_name {
        Some(node) => {
            let description = map
                .describe(node)
                .map_err(|e| tool_error!("argument `node_name`: {e}"))?;
            read.description = Some(description.clone());
            Ok((description, read))
        }
        None => {
            for name in map.writable_nodes(&[]) {
                let value = map.read(&name).unwrap_or_else(|e| format!("<unreadable: {e}>"));
                read.nodes.push(NodeReading { name, value });
            }
            Ok((format!("Found {} writable GenICam nodes", read.nodes.len()), read))
        }
    }
}

/// Arguments of `write_genicam_node`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteNodeArgs {
    /// The camera.
    #[serde(flatten)]
    pub camera: CameraSelector,
    /// The node.
    #[schemars(length(min = 1))]
    pub node_name: String,
    /// The value, as text (numbers, enum entries, booleans).
    pub value: String,
}

/// What `write_genicam_node` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NodeWritten {
    /// The node.
    pub node: String,
    /// The value written.
    pub written: String,
    /// The value the camera reads back.
    pub read_back: String,
}

/// `write_genicam_node`.
pub fn write_genicam_node(args: WriteNodeArgs) -> Reply<NodeWritten> {
    let mut map = args.camera.open()?;
    let read_back = map
        .write(&args.node_name, &args.value)
        .map_err(|e| tool_error!("argument `node_name`/`value`: {e}"))?;
    Ok((
        format!(
            "{}: wrote '{}', the camera reads back '{read_back}'",
            args.node_name, args.value
        ),
        NodeWritten {
            node: args.node_name,
            written: args.value,
            read_back,
        },
    ))
}

/// Arguments of `dump_genicam_config`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DumpArgs {
    /// The camera.
    #[serde(flatten)]
    pub camera: CameraSelector,
    /// The YAML file to write (never overwritten).
    #[schemars(length(min = 1))]
    pub output_file: String,
    /// Nodes to leave out; default: axvs' blacklist (streaming and identity nodes); `[]`: none.
    pub blacklisted_nodes: Option<Vec<String>>,
}

/// What `dump_genicam_config` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Dumped {
    /// The file written.
    pub file: PathBuf,
    /// Nodes written.
    pub nodes: usize,
    /// The camera's model.
    pub model: String,
    /// Its serial number.
    pub serial: String,
}

/// `dump_genicam_config`.
pub fn dump_genicam_config(paths: &PathPolicy, args: DumpArgs) -> Reply<Dumped> {
    let file = paths.resolve("output_file", &args.output_file)?;
    if file.exists() {
        return Err(tool_error!(
            "argument `output_file`: {} exists; axvs does not overwrite files",
            file.display()
        ));
    }
    let mut map = args.camera.open()?;
    let configuration = map.dump(&blacklist(args.blacklisted_nodes));
    configuration
        .write(&file)
        .map_err(|e| tool_error!("argument `output_file`: {e}"))?;
    let dumped = Dumped {
        file,
        nodes: configuration.nodes.len(),
        model: configuration.camera_model.clone(),
        serial: configuration.camera_serial_number.clone(),
    };
    Ok((
        format!(
            "Configuration saved: {} nodes written to {}",
            dumped.nodes,
            dumped.file.display()
        ),
        dumped,
    ))
}

/// Arguments of `load_genicam_config`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadArgs {
    /// The camera.
    #[serde(flatten)]
    pub camera: CameraSelector,
    /// A YAML file written by `dump_genicam_config` (or the original's tools).
    #[schemars(length(min = 1))]
    pub config_file: String,
    /// Refuse a file written for another camera (model or serial differ).
    #[serde(default)]
    pub strict_identity: bool,
    /// Nodes to leave out; default: axvs' blacklist; `[]`: none.
    pub blacklisted_nodes: Option<Vec<String>>,
}

/// One node that could not be applied.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NodeFailure {
    /// The node.
    pub node: String,
    /// Why.
    pub error: String,
}

/// What `load_genicam_config` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Loaded {
    /// Entries written.
    pub applied: usize,
    /// Entries left out (blacklisted).
    pub skipped: usize,
    /// Entries that failed.
    pub failed: Vec<NodeFailure>,
    /// Set when the file was written for another camera.
    pub identity_warning: Option<String>,
}

/// `load_genicam_config`.
pub fn load_genicam_config(paths: &PathPolicy, args: LoadArgs) -> Reply<Loaded> {
    let file = paths.resolve("config_file", &args.config_file)?;
    let configuration = GenicamConfiguration::read(&file).map_err(|e| tool_error!("argument `config_file`: {e}"))?;
    let mut map = args.camera.open()?;
    let report = map
        .load(&configuration, args.strict_identity, &blacklist(args.blacklisted_nodes))
        .map_err(|e| tool_error!("{e}"))?;
    let loaded = Loaded {
        applied: report.applied,
        skipped: report.skipped,
        failed: report
            .failed
            .into_iter()
            .map(|(node, error)| NodeFailure { node, error })
            .collect(),
        identity_warning: report.identity_warning,
    };
    Ok((
        format!(
            "Configuration applied: {} entries applied, {} skipped, {} failed",
            loaded.applied,
            loaded.skipped,
            loaded.failed.len()
        ),
        loaded,
    ))
}
