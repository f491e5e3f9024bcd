//! The YAML axvs writes (the camera manifest, GenICam configurations) read back unchanged by the original's
//! YAML reader, PyYAML, which follows YAML 1.1: `off`, `yes`, `1:20`, `010` or `2024-01-01` written plain would
//! come back as booleans, numbers or dates. And what PyYAML writes back reads in axvs unchanged.

use std::collections::BTreeMap;

use axvs_genicam::nodes::{GenicamConfiguration, NodeValue};

/// Strings that YAML 1.1 resolves to something else when they are written plain.
const TRICKY: [&str; 24] = [
    "off",
    "Off",
    "OFF",
    "on",
    "On",
    "yes",
    "Yes",
    "no",
    "NO",
    "true",
    "False",
    "y",
    "n",
    "~",
    "null",
    "",
    "1:20",
    "010",
    "0x1F",
    "1e3",
    ".inf",
    "2024-01-01",
    "12_000",
    "- dash",
];

/// Runs a Python snippet with PyYAML on `args`; returns its standard output.
fn python_yaml(script: &str, args: &[&std::path::Path]) -> String {
    axvs_tests::python(script, args, "PyYAML")
}

#[test]
fn camera_names_read_back_as_the_same_strings_in_pyyaml() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (id, name) in TRICKY.iter().enumerate().filter(|(_, n)| !n.is_empty()) {
        axvs_log::manifest::register(dir.path(), id as u8, name).expect("register");
    }
    let path = dir.path().join(axvs_log::manifest::MANIFEST_FILE);
    let read = python_yaml(
        "import json, sys, yaml\n\
         sources = yaml.safe_load(open(sys.argv[1]))['sources']\n\
         print(json.dumps([[s['id'], s['name']] for s in sources], default=repr))",
        &[&path],
    );
    let read: Vec<(u8, serde_json::Value)> = serde_json::from_str(read.trim()).expect("json");
    for (id, name) in read {
        assert_eq!(
            name,
            serde_json::Value::from(TRICKY[id as usize]),
            "camera {id}: PyYAML read another value"
        );
    }
}

#[test]
fn genicam_values_survive_pyyaml_reading_and_rewriting_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("camera.yaml");
    let config = GenicamConfiguration {
        camera_model: "off".into(),
        camera_serial_number: "010".into(),
        nodes: TRICKY
            .iter()
            .enumerate()
            .map(|(i, value)| NodeValue {
                name: format!("Node{i}"),
                value: value.to_string(),
                selectors: BTreeMap::from([("TriggerSelector".to_string(), "On".to_string())]),
            })
            .collect(),
    };
    config.write(&path).expect("write");
    // PyYAML reads every value as the string written, then saves the file again, as the original does.
    let read = python_yaml(
        "import json, sys, yaml\n\
         data = yaml.safe_load(open(sys.argv[1]))\n\
         print(json.dumps([data['camera_model'], data['camera_serial_number']] + [n['value'] for n in data['nodes']]\n\
                          + [n['selectors']['TriggerSelector'] for n in data['nodes']], default=repr))\n\
         yaml.safe_dump(data, open(sys.argv[1], 'w'), sort_keys=False)",
        &[&path],
    );
    let read: Vec<serde_json::Value> = serde_json::from_str(read.trim()).expect("json");
    let expected: Vec<serde_json::Value> = ["off", "010"]
        .into_iter()
        .chain(TRICKY)
        .chain(TRICKY.iter().map(|_| "On"))
        .map(serde_json::Value::from)
        .collect();
    assert_eq!(read, expected, "PyYAML read other values than axvs wrote");
    // And axvs reads PyYAML's file back unchanged (`genicam load` would write these values).
    assert_eq!(GenicamConfiguration::read(&path).expect("read PyYAML's file"), config);
}
