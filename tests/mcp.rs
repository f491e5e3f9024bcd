//! `axvs mcp` driven by a real MCP client: the official MCP Python SDK (`mcp`, which `./dev` installs), over
//! stdio and over streamable HTTP.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axvs_tests::{axvs, axvs_bin, counts_agree, probe, python3};
use serde_json::Value;

/// Client code shared by the scripts: `connect()` opens a session to the server named by the environment
/// (stdio: `AXVS_BIN` + `AXVS_ARGS`, and `AXVS_ENV` for the server's environment; HTTP: `MCP_URL`, `MCP_TOKEN`), `call()` returns (is_error, text,
/// structured content).
const CLIENT: &str = r#"
import asyncio, contextlib, json, os, sys
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

@contextlib.asynccontextmanager
async def connect():
    url = os.environ.get("MCP_URL")
    if url:
        headers = {}
        if os.environ.get("MCP_TOKEN"):
            headers["Authorization"] = "Bearer " + os.environ["MCP_TOKEN"]
        async with create_mcp_http_client(headers=headers) as http:
            async with streamable_http_client(url, http_client=http) as streams:
                async with ClientSession(streams[0], streams[1]) as s:
                    await s.initialize()
                    yield s
    else:
        # The SDK passes the server only a safe subset of the environment; AXVS_ENV adds to it.
        env = json.loads(os.environ.get("AXVS_ENV", "{}"))
        params = StdioServerParameters(command=os.environ["AXVS_BIN"], args=json.loads(os.environ["AXVS_ARGS"]), env=env)
        async with stdio_client(params) as (r, w):
            async with ClientSession(r, w) as s:
                await s.initialize()
                yield s

async def call(s, name, args, **kw):
    res = await s.call_tool(name, args, **kw)
    text = " ".join(c.text for c in res.content if getattr(c, "text", None))
    return bool(res.is_error), text, res.structured_content
"#;

/// Runs `script` (after [`CLIENT`]) against `axvs mcp <args>` over stdio; returns its last stdout line as
/// JSON.
fn stdio_client(script: &str, args: &[&str], cwd: &Path) -> Value {
    client(
        script,
        cwd,
        &[("AXVS_ARGS", serde_json::to_string(args).expect("json"))],
    )
}

fn client(script: &str, cwd: &Path, env: &[(&str, String)]) -> Value {
    let mut cmd = python3();
    cmd.env("AXVS_BIN", axvs_bin());
    python_json(
        cmd,
        &format!("{CLIENT}\n{script}"),
        cwd,
        env,
        "MCP client (`./dev deps` installs the `mcp` package)",
    )
}

/// Runs `script` with `python` in `cwd` with `env`, which must succeed; returns its last stdout line as JSON.
fn python_json(mut python: Command, script: &str, cwd: &Path, env: &[(&str, String)], what: &str) -> Value {
    let out = python
        .arg("-c")
        .arg(script)
        .current_dir(cwd)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what} failed:\n{stdout}\n{stderr}");
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{what}: its output is not JSON ({e}): {stdout}\n{stderr}"))
}

const TOOLS: &str = r#"
async def main():
    async with connect() as s:
        tools = (await s.list_tools()).tools
        print(json.dumps([{"name": t.name, "input": t.input_schema, "output": t.output_schema} for t in tools]))
asyncio.run(main())
"#;

#[test]
fn every_tool_has_input_and_output_schemas() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tools = stdio_client(TOOLS, &["mcp"], dir.path());
    let tools = tools.as_array().expect("tool list");
    let mut names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    names.sort_unstable();
    // Every tool, and no other.
    assert_eq!(
        names,
        [
            "analyze_camera_frame_statistics",
            "assemble_log_archives",
            "camera_sync_report",
            "cancel_log_processing",
            "check_rig",
            "check_rig_capacity",
            "check_runtime_requirements",
            "clean_log_processing_output",
            "discover_camera_data",
            "dump_genicam_config",
            "execute_log_processing_jobs",
            "export_nwb",
            "extract_timestamps",
            "find_recordings",
            "get_batch_status_overview",
            "get_cti_status",
            "get_log_processing_status",
            "get_log_processing_timing",
            "get_session_status",
            "list_cameras",
            "load_genicam_config",
            "prepare_log_processing_batch",
            "read_camera_manifest",
            "read_file_part",
            "read_genicam_node",
            "read_host_clock",
            "reset_log_processing_jobs",
            "set_cti_file",
            "start_frame_saving",
            "start_video_session",
            "stop_frame_saving",
            "stop_video_session",
            "validate_video_file",
            "verify_session",
            "write_camera_manifest",
            "write_genicam_node",
        ]
    );
    for tool in tools {
        assert_eq!(tool["input"]["type"], "object", "{}: input schema", tool["name"]);
        assert_eq!(tool["output"]["type"], "object", "{}: output schema", tool["name"]);
        assert_eq!(
            tool["input"]["additionalProperties"], false,
            "{}: unknown arguments are refused, and the schema says so",
            tool["name"]
        );
    }
    // The bounds the tools enforce are in their schemas.
    let property = |tool: &str, name: &str| -> Value {
        let found = tools
            .iter()
            .find(|t| t["name"] == tool)
            .unwrap_or_else(|| panic!("{tool}"));
        found["input"]["properties"][name].clone()
    };
    for (tool, name, bound, value) in [
        ("prepare_log_processing_batch", "roots", "minItems", 1),
        ("execute_log_processing_jobs", "roots", "minItems", 1),
        ("execute_log_processing_jobs", "jobs", "minimum", 1),
        ("analyze_camera_frame_statistics", "paths", "minItems", 1),
        ("analyze_camera_frame_statistics", "drop_threshold_us", "minimum", 0),
        ("camera_sync_report", "paths", "minItems", 1),
        ("stop_frame_saving", "camera_id", "maximum", 255),
        ("find_recordings", "max_depth", "minimum", 1),
    ] {
        let p = property(tool, name);
        assert_eq!(p[bound].as_f64(), Some(f64::from(value)), "{tool}.{name}.{bound}: {p}");
    }
    let start = tools
        .iter()
        .find(|t| t["name"] == "start_video_session")
        .expect("start tool");
    let props = &start["input"]["properties"];
    assert_eq!(props["encoder_speed_preset"]["minimum"], 1);
    assert_eq!(props["encoder_speed_preset"]["maximum"], 7);
    assert_eq!(props["quantization_parameter"]["maximum"], 51);
    assert_eq!(props["width"]["minimum"], 16);
    let stop = tools
        .iter()
        .find(|t| t["name"] == "stop_video_session")
        .expect("stop tool");
    assert!(
        stop["output"]["properties"]["cameras"].is_object(),
        "the report's schema: {}",
        stop["output"]
    );
}

/// Two synthetic cameras recorded through the tools: status while recording, saving off and on, stop with
/// progress, then the files checked.
const SESSION: &str = r#"
rig = """
output_dir = "recordings"
[encoder]
preset = 1
[[camera]]
id = 1
name = "left"
backend = "synthetic"
width = 96
height = 64
fps = 40
pixel_format = "mono8"
[camera.encoder]
pixel_format = "gray"
[[camera]]
id = 2
name = "right"
backend = "synthetic"
width = 96
height = 64
fps = 40
pixel_format = "bgr8"
"""
async def wait_for(s, check, what):
    for _ in range(200):
        err, text, status = await call(s, "get_session_status", {})
        assert not err, text
        if check(status):
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(what + ": " + json.dumps(status))

async def main():
    async with connect() as s:
        err, text, started = await call(s, "start_video_session", {"rig_toml": rig, "session_name": "mcp-run", "metadata": {"subject": "m12"}})
        assert not err, text
        assert [c["id"] for c in started["cameras"]] == [1, 2], started
        first = await wait_for(s, lambda st: st["status"] == "running" and all(c["saved"] >= 10 for c in st["session"]["cameras"]), "frames saved")
        second = await wait_for(s, lambda st: all(c["acquired"] > f["acquired"] + 5 for c, f in zip(st["session"]["cameras"], first["session"]["cameras"])), "frames rising")
        err, text, _ = await call(s, "start_video_session", {"rig_toml": rig})
        assert err and "already running" in text, text
        err, text, saving = await call(s, "stop_frame_saving", {})
        assert not err and not any(c["saving"] for c in saving["cameras"]), (text, saving)
        off = await wait_for(s, lambda st: all(c["dropped"]["saving_off"] >= 5 for c in st["session"]["cameras"]), "frames not saved")
        err, text, saving = await call(s, "start_frame_saving", {"camera_id": 2})
        assert not err and [c["saving"] for c in saving["cameras"]] == [False, True], (text, saving)
        await wait_for(s, lambda st: st["session"]["cameras"][1]["saved"] > off["session"]["cameras"][1]["saved"] + 5, "camera 2 saving again")
        err, text, _ = await call(s, "start_frame_saving", {"camera_id": 7})
        assert err and "camera_id" in text and "no camera 7" in text, text
        progress = []
        async def on_progress(p, total, message):
            progress.append([p, total, message])
        err, text, report = await call(s, "stop_video_session", {}, progress_callback=on_progress)
        assert not err, text
        err, text, _ = await call(s, "stop_video_session", {})
        assert err and "no video session" in text, text
        err, text, status = await call(s, "get_session_status", {})
        assert status["status"] == "inactive", status
        checks = {}
        for cam in report["cameras"]:
            err, text, video = await call(s, "validate_video_file", {"video_file": cam["video"]})
            assert not err, text
            err, text, times = await call(s, "extract_timestamps", {"log_file": cam["archive"], "include_times": 3})
            assert not err, text
            checks[cam["status"]["name"]] = {"video_frames": video["frame_count"], "codec": video["codec"], "width": video["width"], "times": times["total_frames"], "first": times["runs"][0]["times_us"]}
        err, text, found = await call(s, "find_recordings", {"root_directory": "recordings"})
        assert not err, text
        err, text, manifest = await call(s, "read_camera_manifest", {"manifest_path": report["log_dir"]})
        assert not err, text
        print(json.dumps({"report": report, "progress": progress, "checks": checks, "found": found, "manifest": manifest}))
asyncio.run(main())
"#;

fn check_session(result: &Value) {
    let report = &result["report"];
    // The session's provenance holds the call's metadata, as `axvs run --meta` writes it.
    let session_dir = PathBuf::from(report["session_dir"].as_str().expect("session_dir"));
    let provenance: Value =
        serde_json::from_str(&std::fs::read_to_string(session_dir.join("session.json")).expect("session.json"))
            .expect("json");
    assert_eq!(provenance["metadata"]["subject"], "m12", "{provenance}");
    assert_eq!(provenance["exit"], "stopped", "{provenance}");
    let cameras = report["cameras"].as_array().expect("cameras");
    assert_eq!(cameras.len(), 2, "{report}");
    for cam in cameras {
        // ffprobe agrees with the report (counts_agree probes the video).
        let saved = counts_agree(cam);
        assert!(saved >= 10, "{cam}");
        assert!(cam["status"]["dropped"]["saving_off"].as_u64() > Some(0), "{cam}");
        let name = cam["status"]["name"].as_str().expect("name");
        let check = &result["checks"][name];
        assert_eq!(
            check["video_frames"].as_u64(),
            Some(saved),
            "validate_video_file: {check}"
        );
        assert_eq!(check["times"].as_u64(), Some(saved), "extract_timestamps: {check}");
        assert_eq!(check["codec"], "h264");
        assert_eq!(check["width"], 96);
        assert_eq!(check["first"].as_array().map(Vec::len), Some(3));
    }
    let progress = result["progress"].as_array().expect("progress");
    assert_eq!(
        progress.len(),
        4,
        "one notification per camera stopped and per archive: {progress:?}"
    );
    assert_eq!(progress.last().expect("last")[0], 4.0);
    assert_eq!(result["found"]["total_recordings"], 1, "{}", result["found"]);
    assert_eq!(result["found"]["total_cameras"], 2);
    assert_eq!(result["manifest"]["total_sources"], 2);
}

#[test]
fn two_camera_session_over_stdio() {
    let dir = tempfile::tempdir().expect("tempdir");
    let result = stdio_client(SESSION, &["mcp"], dir.path());
    check_session(&result);
    assert!(dir.path().join("recordings/mcp-run/data/1_log.npz").is_file());
}

/// Bad arguments of every tool come back as tool errors naming the argument; the server keeps answering.
const BAD: &str = r#"
async def main():
    out = sys.argv[1]
    cases = [
        ("list_cameras", {"simulated": "yes"}, "simulated"),
        ("list_cameras", {"bogus": 1}, "bogus"),
        ("get_cti_status", {"x": 1}, "x"),
        ("set_cti_file", {}, "file_path"),
        ("set_cti_file", {"file_path": "/no/such/producer.cti"}, "file_path"),
        ("check_runtime_requirements", {"verbose": True}, "verbose"),
        ("start_video_session", {"width": "wide", "output_directory": out}, "width"),
        ("start_video_session", {"interface": "synthetic", "width": 100000, "output_directory": out}, "width"),
        ("start_video_session", {"interface": "synthetic", "encoder_speed_preset": 9, "output_directory": out}, "encoder_speed_preset"),
        ("start_video_session", {"interface": "synthetic", "quantization_parameter": -1, "output_directory": out}, "quantization_parameter"),
        ("start_video_session", {"interface": "webcam9", "output_directory": out}, "interface"),
        ("start_video_session", {"interface": "synthetic"}, "output_directory"),
        ("start_video_session", {"interface": "synthetic", "output_directory": out + "/missing"}, "output_directory"),
        ("start_video_session", {"rig_toml": "[[camera]]\nid = 1\nname = 'a'\nbackend = 'synthetic'\nwidth = 'x'"}, "width"),
        ("start_video_session", {"rig_toml": "x = 1", "interface": "synthetic"}, "rig"),
        ("start_video_session", {"rig_file": out + "/none.toml"}, "none.toml"),
        ("stop_video_session", {}, "no video session"),
        ("start_frame_saving", {}, "no video session"),
        ("stop_frame_saving", {"camera_id": 300}, "camera_id"),
        ("get_session_status", {"id": 1}, "id"),
        ("read_genicam_node", {"serial": "NOPE-0000", "fake": True}, "NOPE-0000"),
        ("read_genicam_node", {"serial": "a", "model": "b"}, "one of"),
        ("write_genicam_node", {"fake": True, "node_name": "Width"}, "value"),
        ("dump_genicam_config", {"fake": True}, "output_file"),
        ("load_genicam_config", {"fake": True, "config_file": out + "/none.yaml"}, "config_file"),
        ("read_camera_manifest", {"manifest_path": out}, "manifest_path"),
        ("find_recordings", {"root_directory": out + "/missing"}, "root_directory"),
        ("find_recordings", {"root_directory": out, "max_depth": 0}, "max_depth"),
        ("validate_video_file", {"video_file": out + "/none.mp4"}, "video_file"),
        ("validate_video_file", {"video_file": sys.argv[2]}, "video_file"),
        ("extract_timestamps", {"log_file": sys.argv[2]}, "log_file"),
        ("extract_timestamps", {"log_file": sys.argv[2], "output_file": out + "/t.txt"}, "output_file"),
        ("prepare_log_processing_batch", {"roots": []}, "roots"),
        ("prepare_log_processing_batch", {"roots": [out + "/missing"]}, "missing"),
        ("execute_log_processing_jobs", {"roots": [out], "jobs": 0}, "jobs"),
        ("execute_log_processing_jobs", {"roots": "x"}, "roots"),
        ("get_log_processing_status", {"x": 1}, "x"),
        ("cancel_log_processing", {"y": 1}, "y"),
        ("analyze_camera_frame_statistics", {"paths": []}, "paths"),
        ("analyze_camera_frame_statistics", {"paths": [out], "drop_threshold_us": -5}, "drop_threshold_us"),
        ("camera_sync_report", {"paths": [out + "/none"]}, "paths"),
        ("check_rig_capacity", {"rig_toml": "x = 1"}, "unknown field `x`"),
        ("no_such_tool", {}, "unknown tool"),
    ]
    results = []
    async with connect() as s:
        for name, args, expect in cases:
            err, text, _ = await call(s, name, args)
            results.append({"tool": name, "error": err, "text": text, "expect": expect})
        # Two sessions at once: the second is refused, the first goes on.
        err, text, _ = await call(s, "start_video_session", {"interface": "synthetic", "width": 64, "height": 48, "output_directory": out})
        assert not err, text
        err2, text2, _ = await call(s, "start_video_session", {"interface": "synthetic", "output_directory": out})
        results.append({"tool": "start_video_session (second)", "error": err2, "text": text2, "expect": "already running"})
        err, text, _ = await call(s, "stop_frame_saving", {"camera_id": 5})
        results.append({"tool": "stop_frame_saving (unknown camera)", "error": err, "text": text, "expect": "no camera 5"})
        err, text, report = await call(s, "stop_video_session", {})
        assert not err, text
        err, text, status = await call(s, "get_session_status", {})
        assert not err and status["status"] == "inactive", text
    print(json.dumps(results))
asyncio.run(main())
"#;

#[test]
fn bad_arguments_are_tool_errors_and_the_server_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.mp4");
    std::fs::write(&junk, b"not a video at all").expect("junk");
    let script = BAD.replace("sys.argv[1]", &format!("{:?}", dir.path().display().to_string()));
    let script = script.replace("sys.argv[2]", &format!("{:?}", junk.display().to_string()));
    let results = stdio_client(&script, &["mcp"], dir.path());
    for case in results.as_array().expect("results") {
        let text = case["text"].as_str().unwrap_or_default();
        let expect = case["expect"].as_str().unwrap_or_default();
        assert_eq!(case["error"], true, "{}: not a tool error: {text}", case["tool"]);
        assert!(
            text.contains(expect),
            "{}: the error should name '{expect}': {text}",
            case["tool"]
        );
        assert!(!text.contains('\n'), "{}: one line: {text}", case["tool"]);
    }
}

/// With `--root`, nothing outside the root is read or written, whatever the path says.
const CONFINED: &str = r#"
async def main():
    outside = sys.argv[1]
    results = []
    async with connect() as s:
        for name, args in [
            ("find_recordings", {"root_directory": "../"}),
            ("find_recordings", {"root_directory": outside}),
            ("find_recordings", {"root_directory": "escape"}),
            ("validate_video_file", {"video_file": "escape/clip.mp4"}),
            ("read_camera_manifest", {"manifest_path": "/etc"}),
            ("extract_timestamps", {"log_file": "inside/../../x.npz"}),
            ("start_video_session", {"interface": "synthetic", "output_directory": outside}),
            ("start_video_session", {"rig_toml": "output_dir = " + json.dumps(outside) + "\n[[camera]]\nid = 1\nname = 'a'\nbackend = 'synthetic'"}),
            ("start_video_session", {"rig_toml": "output_dir = 'escape/deeper'\n[[camera]]\nid = 1\nname = 'a'\nbackend = 'synthetic'"}),
            ("dump_genicam_config", {"fake": True, "output_file": outside + "/dump.yaml"}),
        ] + [
            # Every path a rig names: camera sources, node files, pipelines that write, plugin folders.
            ("start_video_session", {"rig_toml": "output_dir = 'rec'\n" + rig})
            for rig in [
                "[[camera]]\nid = 1\nname = 'a'\nbackend = 'opencv'\npath = " + json.dumps(outside + "/clip.mp4"),
                "[[camera]]\nid = 1\nname = 'a'\nbackend = 'opencv'\npath = 'escape/clip.mp4'",
                "[[camera]]\nid = 1\nname = 'a'\nbackend = 'opencv'\npipeline = 'videotestsrc ! filesink location=" + outside + "/leak'",
                "[[camera]]\nid = 1\nname = 'a'\nbackend = 'opencv'\npipeline = 'videotestsrc ! tee name=t ! appsink t. ! queue ! filesink location=" + outside + "/leak'",
                "[[camera]]\nid = 1\nname = 'a'\nbackend = 'genicam'\nserial = 'X'\ngenicam_config = " + json.dumps(outside + "/nodes.yaml"),
                "plugin_dirs = [" + json.dumps(outside) + "]\n[[camera]]\nid = 1\nname = 'a'\nbackend = 'vendorcam'",
                "plugin_dirs = ['../x']\n[[camera]]\nid = 1\nname = 'a'\nbackend = 'vendorcam'",
                "plugin_dirs = ['escape']\n[[camera]]\nid = 1\nname = 'a'\nbackend = 'vendorcam'",
                "plugin_dirs = ['plugins']\n[[camera]]\nid = 1\nname = 'a'\nbackend = 'vendorcam'",
                "[[camera]]\nid = 1\nname = 'a'\nbackend = 'gentl'\nindex = 0\ncti = " + json.dumps(outside + "/vendor.cti"),
            ]
        ]:
            err, text, _ = await call(s, name, args)
            results.append({"tool": name, "args": args, "error": err, "text": text})
        err, text, found = await call(s, "find_recordings", {"root_directory": "."})
        results.append({"tool": "find_recordings inside", "error": err, "text": text})
    print(json.dumps(results))
asyncio.run(main())
"#;

#[test]
fn root_confines_every_path() {
    let root = tempfile::tempdir().expect("root");
    let outside = tempfile::tempdir().expect("outside");
    std::fs::write(outside.path().join("clip.mp4"), b"x").expect("file");
    std::fs::write(outside.path().join("nodes.yaml"), b"x").expect("file");
    std::fs::write(outside.path().join("libvendor.so"), b"x").expect("file");
    std::fs::write(outside.path().join("vendor.cti"), b"x").expect("file");
    std::os::unix::fs::symlink(outside.path(), root.path().join("escape")).expect("symlink");
    // A plugin folder inside the root whose library is a link to one outside it.
    std::fs::create_dir(root.path().join("plugins")).expect("dir");
    std::os::unix::fs::symlink(
        outside.path().join("libvendor.so"),
        root.path().join("plugins/libvendor.so"),
    )
    .expect("symlink");
    let before = std::fs::read_dir(outside.path()).expect("outside").count();
    let script = CONFINED.replace("sys.argv[1]", &format!("{:?}", outside.path().display().to_string()));
    let root_arg = root.path().display().to_string();
    // The gentl plugin is on the path, so that a rig-named producer (`cti`) is checked too.
    let env = serde_json::json!({
        "AXVS_PLUGIN_PATH": axvs_tests::plugin_build("axvs-plugin-gentl"),
        "AXVS_CTI_PATH": "",
    });
    let results = client(
        &script,
        root.path(),
        &[
            (
                "AXVS_ARGS",
                serde_json::to_string(&["mcp", "--root", &root_arg]).expect("json"),
            ),
            ("AXVS_ENV", env.to_string()),
        ],
    );
    let results = results.as_array().expect("results");
    let (inside, escapes) = results.split_last().expect("cases");
    for case in escapes {
        let text = case["text"].as_str().unwrap_or_default();
        assert_eq!(case["error"], true, "{}: escaped the root: {case}", case["tool"]);
        assert!(
            text.contains("root") || text.contains(".."),
            "{}: the error should say why: {text}",
            case["tool"]
        );
    }
    assert_eq!(inside["error"], false, "{inside}");
    assert_eq!(
        std::fs::read_dir(outside.path()).expect("outside").count(),
        before,
        "nothing was written outside the root"
    );
}

/// `axvs mcp` over stdio in `dir`: the server, its standard input, and its standard output's lines.
fn stdio_server(
    dir: &Path,
) -> (
    Child,
    std::process::ChildStdin,
    std::io::Lines<BufReader<std::process::ChildStdout>>,
) {
    stdio_server_to(dir, Stdio::null(), &[])
}

/// [`stdio_server`] with its standard error sent to `stderr`, and environment variables `env`.
fn stdio_server_to(
    dir: &Path,
    stderr: Stdio,
    env: &[(&str, &str)],
) -> (
    Child,
    std::process::ChildStdin,
    std::io::Lines<BufReader<std::process::ChildStdout>>,
) {
    let mut server = axvs()
        .arg("mcp")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .envs(env.iter().copied())
        .spawn()
        .expect("axvs mcp");
    let stdin = server.stdin.take().expect("stdin");
    let lines = BufReader::new(server.stdout.take().expect("stdout")).lines();
    (server, stdin, lines)
}

/// Nothing but JSON-RPC on stdout, even while the encoders print their own lines (FFmpeg's libraries,
/// told to say what they do), which go to standard error.
#[test]
fn stdio_stdout_holds_only_json_rpc() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = tempfile::NamedTempFile::new().expect("stderr file");
    let (mut server, mut stdin, mut lines) = stdio_server_to(
        dir.path(),
        log.reopen().expect("reopen").into(),
        &[("AXVS_FFMPEG_LOG", "info")],
    );
    let requests = [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"check_runtime_requirements","arguments":{}}}"#,
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_cameras","arguments":{"simulated":true}}}"#,
        // A recording: encoders, cameras and the log writer at work, their messages on standard error.
        r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"start_video_session","arguments":{"interface":"synthetic","output_directory":".","frame_rate":50,"video_encoder":"H264"}}}"#,
        r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"stop_video_session","arguments":{}}}"#,
    ];
    let mut answered = 0;
    for request in requests {
        writeln!(stdin, "{request}").expect("write");
        stdin.flush().expect("flush");
        if request.contains("\"id\"") {
            let line = lines.next().expect("an answer").expect("read");
            let message: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON-RPC ({e}): {line}"));
            assert_eq!(message["jsonrpc"], "2.0", "{line}");
            assert!(message["error"].is_null(), "{line}");
            answered += 1;
        }
        if request.contains("start_video_session") {
            // Stopped only once a frame is saved: a session stopped before its first frame has no archive.
            let status = r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"get_session_status","arguments":{}}}"#;
            axvs_tests::wait_until("a saved frame", Duration::from_secs(20), || {
                writeln!(stdin, "{status}").expect("write");
                stdin.flush().expect("flush");
                let line = lines.next().expect("an answer").expect("read");
                let answer: Value = serde_json::from_str(&line).expect("json");
                answer["result"]["structuredContent"]["session"]["cameras"][0]["saved"].as_u64() > Some(0)
            });
        }
    }
    drop(stdin);
    for line in lines {
        let line = line.expect("read");
        assert!(serde_json::from_str::<Value>(&line).is_ok(), "not JSON-RPC: {line}");
    }
    assert_eq!(answered, 5);
    assert!(
        server.wait().expect("exit").success(),
        "the server ends cleanly when stdin closes"
    );
    // The recording was made, and finished.
    let archives = walk_files(dir.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with("_log.npz"))
        .count();
    assert_eq!(archives, 1, "{:?}", walk_files(dir.path()));
    // The lines were written, and went to standard error.
    let stderr = std::fs::read_to_string(log.path()).expect("stderr");
    assert!(stderr.contains("[libx264 @"), "the encoder's own lines: {stderr}");
}

/// Every line a client sends over stdio gets a JSON-RPC answer, hostile ones included: parse errors
/// (-32700) for what is not JSON (junk, a 10 MB line, invalid UTF-8 in an id, 100,000 levels of nesting),
/// invalid requests (-32600), invalid params (-32602) for a known method; the server then goes on.
#[test]
fn every_line_over_stdio_gets_a_json_rpc_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut server, mut stdin, mut lines) = stdio_server(dir.path());
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let cases: Vec<(Vec<u8>, Value, i64)> = vec![
        (
            br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#.to_vec(),
            Value::from(1),
            0,
        ),
        (b"not json".to_vec(), Value::Null, -32700),
        (vec![b'x'; 10 << 20], Value::Null, -32700),
        (b"{\"jsonrpc\":\"2.0\",\"id\":\"\xff\",\"method\":\"ping\"}".to_vec(), Value::Null, -32700),
        (deep.into_bytes(), Value::Null, -32700),
        (br#"{"jsonrpc":"2.0","id":2,"#.to_vec(), Value::Null, -32700),
        (br#"{"foo":1}"#.to_vec(), Value::Null, -32600),
        (br#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#.to_vec(), Value::Null, -32600),
        (br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":5}}"#.to_vec(), Value::from(3), -32602),
        (br#"{"jsonrpc":"2.0","id":"a\u0000b","method":"tools/call"}"#.to_vec(), Value::from("a\u{0}b"), -32602),
        (br#"{"jsonrpc":"2.0","id":4,"method":"no/such/method"}"#.to_vec(), Value::from(4), -32601),
        (br#"{"jsonrpc":"2.0","id":5,"method":"ping"}"#.to_vec(), Value::from(5), 0),
    ];
    for (line, id, code) in cases {
        stdin.write_all(&line).expect("write");
        stdin.write_all(b"\n").expect("write");
        stdin.flush().expect("flush");
        let what = String::from_utf8_lossy(&line[..line.len().min(60)]).into_owned();
        let answer = lines.next().expect("an answer").expect("read");
        let answer: Value =
            serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {answer}"));
        assert_eq!(answer["jsonrpc"], "2.0", "{what}: {answer}");
        assert_eq!(answer["id"], id, "{what}: {answer}");
        match code {
            0 => assert!(answer["result"].is_object(), "{what}: {answer}"),
            code => assert_eq!(answer["error"]["code"], code, "{what}: {answer}"),
        }
    }
    drop(stdin);
    assert!(
        server.wait().expect("exit").success(),
        "the server ends cleanly when stdin closes"
    );
}

/// SIGTERM and SIGINT end `axvs mcp` over stdio while its client keeps standard input open: before the
/// client's first message, and with a session recording (which is stopped and its files finished first).
#[test]
fn signals_end_the_stdio_server_while_its_client_keeps_stdin_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (n, (signal, recording)) in [("TERM", false), ("INT", false), ("TERM", true), ("INT", true)]
        .into_iter()
        .enumerate()
    {
        let (mut server, mut stdin, mut lines) = stdio_server(dir.path());
        let out = dir.path().join(format!("out{n}"));
        if recording {
            std::fs::create_dir(&out).expect("dir");
            let start = serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
                "name": "start_video_session",
                "arguments": {"interface": "synthetic", "output_directory": out}}});
            for request in [
                r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#.to_string(),
                r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.to_string(),
                start.to_string(),
            ] {
                writeln!(stdin, "{request}").expect("write");
                stdin.flush().expect("flush");
                if request.contains("\"id\"") {
                    let line = lines.next().expect("an answer").expect("read");
                    assert!(!line.contains("\"isError\":true"), "{line}");
                }
            }
            // Signalled only once a frame is saved: a session stopped before its first frame has no files to finish.
            let status = serde_json::json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
                "name": "get_session_status", "arguments": {}}});
            axvs_tests::wait_until("a saved frame", Duration::from_secs(20), || {
                writeln!(stdin, "{status}").expect("write");
                stdin.flush().expect("flush");
                let line = lines.next().expect("an answer").expect("read");
                let answer: Value = serde_json::from_str(&line).expect("json");
                answer["result"]["structuredContent"]["session"]["cameras"]
                    .as_array()
                    .is_some_and(|cameras| !cameras.is_empty() && cameras.iter().all(|c| c["saved"].as_u64() > Some(0)))
            });
        }
        assert!(axvs_tests::send_signal(server.id(), signal));
        let signalled = std::time::Instant::now();
        let mut exited = None;
        axvs_tests::wait_until("axvs mcp to exit", Duration::from_secs(20), || {
            exited = server.try_wait().expect("try_wait");
            exited.is_some()
        });
        assert!(
            signalled.elapsed() < Duration::from_secs(5),
            "SIG{signal} (recording: {recording}) took {:?}",
            signalled.elapsed()
        );
        if recording {
            let archives: Vec<_> = walk_files(&out)
                .into_iter()
                .filter(|p| p.to_string_lossy().ends_with("_log.npz"))
                .collect();
            assert_eq!(
                archives.len(),
                1,
                "the session's files were finished: {:?}",
                walk_files(&out)
            );
        }
        drop(stdin);
    }
}

/// Every file under `dir`.
fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk_files(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// A running `axvs mcp --http`, stopped (SIGTERM) when dropped.
struct HttpServer {
    child: Child,
    url: String,
}

impl HttpServer {
    fn start(dir: &Path, extra: &[&str]) -> HttpServer {
        let mut child = axvs()
            .args(["mcp", "--http", "127.0.0.1:0"])
            .args(extra)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("axvs mcp --http");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let url = loop {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("axvs mcp --http ended before listening"))
                .expect("read");
            if let Some(url) = line.strip_prefix("axvs: MCP over HTTP at ") {
                break url.to_string();
            }
        };
        // Keep draining stderr so that the server never blocks on it.
        std::thread::spawn(move || lines.for_each(drop));
        HttpServer { child, url }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        // The server finishes a running session on SIGTERM.
        let _ = axvs_tests::send_signal(self.child.id(), "TERM");
        let _ = self.child.wait();
    }
}

/// One raw HTTP request (for what the client library would never send): returns the status code. It runs
/// alone, without [`CLIENT`]: importing the MCP SDK took most of each request's CPU.
const RAW: &str = r#"
import json, os, sys
import httpx2
url, origin, token, raw = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
if origin:
    headers["Origin"] = origin
if token:
    # A whole header value when it names its scheme ("bearer x"), else a token.
    headers["Authorization"] = token if " " in token else "Bearer " + token
host = os.environ.get("RAW_HOST")
if host:
    headers["Host"] = host
body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}
if raw:
    r = httpx2.post(url, content=raw.encode(), headers=headers, timeout=10)
else:
    r = httpx2.post(url, json=body, headers=headers, timeout=10)
try:
    code = r.json()["error"]["code"]
except Exception:
    code = None
print(json.dumps({"status": r.status_code, "code": code}))
"#;

fn raw_status(dir: &Path, url: &str, origin: &str, token: &str) -> u64 {
    raw_post(dir, url, origin, token, "")["status"]
        .as_u64()
        .expect("status")
}

/// Posts `raw` (or, when empty, an `initialize` request) to `url`; returns the status and the JSON-RPC
/// error code of the answer.
fn raw_post(dir: &Path, url: &str, origin: &str, token: &str, raw: &str) -> Value {
    raw_request(dir, url, origin, token, raw, &[])
}

/// [`raw_post`], its [`RAW`] script run with `env` (`RAW_HOST`: the Host header to send).
fn raw_request(dir: &Path, url: &str, origin: &str, token: &str, raw: &str, env: &[(&str, String)]) -> Value {
    let script = RAW
        .replace("sys.argv[1]", &format!("{url:?}"))
        .replace("sys.argv[2]", &format!("{origin:?}"))
        .replace("sys.argv[3]", &format!("{token:?}"))
        .replace("sys.argv[4]", &format!("{raw:?}"));
    python_json(python3(), &script, dir, env, "raw request")
}

#[test]
fn two_camera_session_over_http() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = HttpServer::start(dir.path(), &[]);
    let result = client(SESSION, dir.path(), &[("MCP_URL", server.url.clone())]);
    check_session(&result);
    assert_eq!(raw_status(dir.path(), &server.url, "http://localhost:3000", ""), 200);
    assert_eq!(
        raw_status(dir.path(), &server.url, "https://evil.example", ""),
        403,
        "a foreign Origin is refused"
    );
    // On loopback the Host header must be a loopback name (DNS rebinding).
    let port = server
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.split('/').next())
        .expect("port")
        .to_string();
    for (host, status) in [
        (format!("evil.example:{port}"), 403),
        (format!("localhost:{port}"), 200),
    ] {
        let answer = raw_request(dir.path(), &server.url, "", "", "", &[("RAW_HOST", host.clone())]);
        assert_eq!(answer["status"].as_u64(), Some(status), "Host: {host}: {answer}");
    }
    // An origin named with --allow-origin is accepted; others still are not.
    let allowing = HttpServer::start(dir.path(), &["--allow-origin", "https://lab.example.org"]);
    assert_eq!(
        raw_status(dir.path(), &allowing.url, "https://lab.example.org", ""),
        200
    );
    assert_eq!(raw_status(dir.path(), &allowing.url, "https://evil.example", ""), 403);
}

/// `read_host_clock` over HTTP: the four timestamps of an NTP-style exchange (the client's send and receive,
/// the tool's receive and send) on one machine put the offset within half the round trip of 0, as a
/// coordinator measures a host's; the clock's state is the kernel's, as libc's `ntp_adjtime` read
/// independently (ctypes) gives it.
const HOST_CLOCK: &str = r#"
import ctypes, time

class Timeval(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_long), ("usec", ctypes.c_long)]

class Timex(ctypes.Structure):
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                ("constant", ctypes.c_long), ("precision", ctypes.c_long), ("tolerance", ctypes.c_long),
                ("time", Timeval), ("tick", ctypes.c_long), ("ppsfreq", ctypes.c_long),
                ("jitter", ctypes.c_long), ("shift", ctypes.c_int), ("stabil", ctypes.c_long),
                ("jitcnt", ctypes.c_long), ("calcnt", ctypes.c_long), ("errcnt", ctypes.c_long),
                ("stbcnt", ctypes.c_long), ("tai", ctypes.c_int), ("pad", ctypes.c_int * 11)]

async def main():
    async with connect() as s:
        rounds = []
        for _ in range(8):
            t1 = time.time_ns()
            err, text, read = await call(s, "read_host_clock", {})
            t4 = time.time_ns()
            assert not err, text
            t2, t3 = read["received_utc_ns"], read["clock"]["utc_ns"]
            rounds.append({"rtt": (t4 - t1) - (t3 - t2), "offset": ((t2 - t1) + (t3 - t4)) / 2, "t": [t1, t2, t3, t4]})
        best = min(rounds, key=lambda r: r["rtt"])
    tx = Timex()
    state = ctypes.CDLL(None, use_errno=True).ntp_adjtime(ctypes.byref(tx))
    print(json.dumps({"best": best, "clock": read["clock"], "text": text,
                      "kernel": {"state": state, "status": tx.status, "esterror": tx.esterror}}))
asyncio.run(main())
"#;

#[test]
fn the_host_clock_is_read_for_an_ntp_style_offset_over_http() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = HttpServer::start(dir.path(), &[]);
    let result = client(HOST_CLOCK, dir.path(), &[("MCP_URL", server.url.clone())]);
    let best = &result["best"];
    let (rtt, offset) = (
        best["rtt"].as_i64().expect("rtt"),
        best["offset"].as_f64().expect("offset"),
    );
    // One clock: each timestamp follows the one before, so the offset is within half the round trip.
    let t: Vec<i64> = best["t"]
        .as_array()
        .expect("t")
        .iter()
        .map(|v| v.as_i64().expect("ns"))
        .collect();
    assert!(t.windows(2).all(|w| w[0] <= w[1]), "{best}");
    assert!(rtt > 0 && offset.abs() <= rtt as f64 / 2.0, "{best}");
    let (clock, kernel) = (&result["clock"], &result["kernel"]);
    let kernel_synchronized = kernel["state"] != 5 && kernel["status"].as_i64().expect("status") & 0x40 == 0;
    assert_eq!(clock["synchronized"].as_bool(), Some(kernel_synchronized), "{result}");
    assert_eq!(clock["status"], kernel["status"], "{result}");
    assert_eq!(clock["estimated_error_us"], kernel["esterror"], "{result}");
    let text = result["text"].as_str().expect("text");
    assert!(
        text.starts_with("clock: synchronized") || text.starts_with("clock: not synchronized"),
        "{text}"
    );
}

#[test]
fn http_token_is_required_when_set_and_off_loopback() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = "s3cret-token-0123456789";
    let server = HttpServer::start(dir.path(), &["--token", token]);
    assert_eq!(raw_status(dir.path(), &server.url, "", ""), 401, "no token");
    assert_eq!(
        raw_status(dir.path(), &server.url, "", "wrong-token-0123456789"),
        401,
        "wrong token"
    );
    assert_eq!(raw_status(dir.path(), &server.url, "", token), 200, "the token");
    // RFC 7235: the scheme's case does not matter.
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let header = format!("{scheme} {token}");
        assert_eq!(raw_status(dir.path(), &server.url, "", &header), 200, "{header}");
    }
    // A body that is not JSON, or not JSON-RPC: 400 with the JSON-RPC error.
    for (raw, code) in [
        ("not json", -32700),
        ("{\"jsonrpc\":\"2.0\",\"id\":1,", -32700),
        ("{\"foo\":1}", -32600),
    ] {
        let answer = raw_post(dir.path(), &server.url, "", token, raw);
        assert_eq!(
            (answer["status"].as_u64(), answer["code"].as_i64()),
            (Some(400), Some(code)),
            "{raw}: {answer}"
        );
    }
    let listed = client(
        TOOLS,
        dir.path(),
        &[("MCP_URL", server.url.clone()), ("MCP_TOKEN", token.to_string())],
    );
    assert!(listed.as_array().is_some_and(|t| t.len() >= 17));

    // Off loopback, a token is required before anything is bound.
    let out = axvs()
        .args(["mcp", "--http", "0.0.0.0:0"])
        .env_remove("AXVS_MCP_TOKEN")
        .stdin(Stdio::null())
        .output()
        .expect("axvs mcp");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bearer token is required"));
    // A short token is refused before anything is bound.
    let out = axvs()
        .args(["mcp", "--http", "127.0.0.1:0", "--token", "short"])
        .env_remove("AXVS_MCP_TOKEN")
        .stdin(Stdio::null())
        .output()
        .expect("axvs mcp");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("at least 16"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `axvs check` without a rig and `check_runtime_requirements` report the same thing.
#[test]
fn check_without_rig_matches_the_tool() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = axvs().args(["check", "--json"]).output().expect("axvs check");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cli: Value = serde_json::from_slice(&out.stdout).expect("json");
    let tool = stdio_client(
        r#"
async def main():
    async with connect() as s:
        err, text, found = await call(s, "check_runtime_requirements", {})
        assert not err, text
        print(json.dumps(found))
asyncio.run(main())
"#,
        &["mcp"],
        dir.path(),
    );
    // The same but for the clock's reading time and its maximum error, which grows while unsynchronised.
    let (mut cli, mut tool) = (cli, tool);
    for found in [&mut cli, &mut tool] {
        let clock = found["clock"].as_object_mut().expect("clock");
        assert!(clock.remove("utc_ns").is_some() && clock.remove("max_error_us").is_some());
    }
    assert_eq!(cli, tool);
    let encoders = cli["encoders"].as_array().expect("encoders");
    for name in ["libx264", "libx265", "libsvtav1", "ffv1", "h264_nvenc"] {
        let e = encoders
            .iter()
            .find(|e| e["encoder"] == name)
            .unwrap_or_else(|| panic!("{name}: {cli}"));
        if e["available"] == false {
            assert!(
                e["reason"].as_str().is_some_and(|r| !r.is_empty()),
                "{name}: a reason: {e}"
            );
        }
    }
    assert_eq!(
        encoders
            .iter()
            .find(|e| e["encoder"] == "libx264")
            .map(|e| &e["available"]),
        Some(&Value::Bool(true))
    );
    assert_eq!(cli["ffmpeg"][0]["name"], "libavutil");
    assert_eq!(cli["opencv"]["available"], true);
    assert_eq!(
        cli["gstreamer"]["available"], true,
        "Debian's OpenCV reads GStreamer pipelines"
    );
}

/// A client that goes away mid-session (closes stdin, then the SDK's SIGTERM): the session is stopped and
/// every file finished, archives included.
#[test]
fn a_client_that_goes_away_leaves_finished_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().display().to_string();
    let script = r#"
async def main():
    async with connect() as s:
        err, text, started = await call(s, "start_video_session", {"interface": "synthetic", "width": 64, "height": 48, "frame_rate": 50, "output_directory": OUT, "session_name": "left-behind"})
        assert not err, text
        for _ in range(200):
            err, text, st = await call(s, "get_session_status", {})
            if st["session"]["cameras"][0]["saved"] >= 20:
                break
            await asyncio.sleep(0.05)
        print(json.dumps(started))
asyncio.run(main())
"#
    .replace("OUT", &format!("{out:?}"));
    let started = stdio_client(&script, &["mcp"], dir.path());
    let session = PathBuf::from(started["session_dir"].as_str().expect("session_dir"));
    // The client returns once the server exited (or was killed after the grace period).
    let archive = session.join("112_log.npz");
    assert!(
        archive.is_file(),
        "the archive was written: {:?}",
        std::fs::read_dir(&session).map(|d| d.count())
    );
    let entries = axvs_log::npz::read_archive(&archive).expect("archive");
    let frames = entries.iter().filter(|e| e.is_frame()).count() as u64;
    assert!(frames >= 20, "{frames} frames");
    assert_eq!(
        probe(&session.join("112.mp4")).frame_count(),
        frames,
        "the video holds every logged frame"
    );
}

/// The GenTL and GenICam tools against real producers: EMVA's simulated GenTL producer (viky.cti) chosen with
/// `set_cti_file`, and Aravis' built-in Fake camera read, written, dumped and loaded.
const GENICAM: &str = r#"
async def main():
    cti, out = sys.argv[1], sys.argv[2]
    r = {}
    async with connect() as s:
        err, text, r["cameras"] = await call(s, "list_cameras", {"simulated": True})
        assert not err, text
        r["before"] = (await call(s, "get_cti_status", {}))[2]
        err, text, r["set"] = await call(s, "set_cti_file", {"file_path": cti})
        assert not err, text
        err, text, r["after"] = await call(s, "get_cti_status", {})
        assert not err, text
        err, text, r["gentl_nodes"] = await call(s, "read_genicam_node", {"gentl": True, "camera_index": 0})
        assert not err, text
        cam = {"fake": True, "serial": "1"}
        err, text, r["width"] = await call(s, "read_genicam_node", dict(cam, node_name="Width"))
        assert not err, text
        err, text, r["write"] = await call(s, "write_genicam_node", dict(cam, node_name="Width", value="320"))
        assert not err, text
        err, text, r["dump"] = await call(s, "dump_genicam_config", dict(cam, output_file=out + "/fake.yaml"))
        assert not err, text
        err, text, r["again"] = await call(s, "dump_genicam_config", dict(cam, output_file=out + "/fake.yaml"))
        r["again_text"] = text
        err, text, r["load"] = await call(s, "load_genicam_config", dict(cam, config_file=out + "/fake.yaml"))
        assert not err, text
    print(json.dumps(r))
asyncio.run(main())
"#;

#[test]
fn genicam_and_gentl_tools_reach_real_producers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cti = axvs_tests::viky_producer();
    let script = GENICAM
        .replace("sys.argv[1]", &format!("{:?}", cti.display().to_string()))
        .replace("sys.argv[2]", &format!("{:?}", dir.path().display().to_string()));
    let r = client(
        &script,
        dir.path(),
        &[
            ("AXVS_ARGS", "[\"mcp\"]".to_string()),
            (
                "AXVS_ENV",
                serde_json::json!({
                    // The choice is stored here, not in the user's configuration.
                    "XDG_CONFIG_HOME": dir.path().join("config"),
                    "AXVS_CTI_PATH": "",
                    "GENICAM_GENTL64_PATH": "",
                })
                .to_string(),
            ),
        ],
    );
    // The SDK checked every result above against its tool's output schema.
    let cameras = r["cameras"]["cameras"].as_array().expect("cameras");
    assert!(
        cameras
            .iter()
            .any(|c| c["backend"] == "genicam" && c["summary"].as_str().is_some_and(|s| s.contains("Fake"))),
        "Aravis' Fake camera listed: {}",
        r["cameras"]
    );
    assert_eq!(r["before"]["configured"], false, "{}", r["before"]);
    assert!(
        r["set"]["producer"].as_str().is_some_and(|p| !p.is_empty()),
        "{}",
        r["set"]
    );
    assert!(Path::new(r["set"]["stored_in"].as_str().expect("stored_in")).starts_with(dir.path()));
    assert_eq!(r["after"]["configured"], true);
    assert_eq!(r["after"]["loads"], true, "{}", r["after"]);
    assert!(r["after"]["devices"].as_u64() >= Some(1), "{}", r["after"]);
    assert!(
        r["gentl_nodes"]["nodes"].as_array().is_some_and(|n| !n.is_empty()),
        "{}",
        r["gentl_nodes"]
    );
    assert!(
        r["width"]["description"].as_str().is_some_and(|d| d.contains("Width")),
        "{}",
        r["width"]
    );
    assert_eq!(r["write"]["read_back"], "320", "{}", r["write"]);
    assert!(r["dump"]["nodes"].as_u64() > Some(5), "{}", r["dump"]);
    assert!(r["again_text"]
        .as_str()
        .is_some_and(|t| t.contains("does not overwrite")));
    assert!(r["load"]["applied"].as_u64() > Some(5), "{}", r["load"]);
}

const PROCESSING: &str = r#"
async def main():
    root, out, feather = sys.argv[1], sys.argv[2], sys.argv[3]
    res = {}
    async with connect() as s:
        res["status_before"] = await call(s, "get_log_processing_status", {})
        res["no_roots"] = await call(s, "execute_log_processing_jobs", {"roots": []})
        res["zero_jobs"] = await call(s, "execute_log_processing_jobs", {"roots": [root], "jobs": 0})
        res["missing"] = await call(s, "prepare_log_processing_batch", {"roots": [root + "/missing"]})
        res["prepare"] = await call(s, "prepare_log_processing_batch", {"roots": [root], "output_directory": out})
        res["execute"] = await call(s, "execute_log_processing_jobs", {"roots": [root], "output_directory": out, "jobs": 2})
        while True:
            st = await call(s, "get_log_processing_status", {})
            if st[0] or not st[2]["active"]:
                break
            await asyncio.sleep(0.05)
        res["status"] = st
        res["again"] = await call(s, "prepare_log_processing_batch", {"roots": [root], "output_directory": out, "source_ids": [2]})
        res["cancel"] = await call(s, "cancel_log_processing", {})
        res["stats"] = await call(s, "analyze_camera_frame_statistics", {"paths": [feather, root + "/missing.feather"], "max_drop_locations": 3})
        res["sync"] = await call(s, "camera_sync_report", {"paths": [root + "/rec1"]})
        res["stats_one"] = await call(s, "analyze_camera_frame_statistics", {"paths": [sys.argv[4]]})
    print(json.dumps(res))
asyncio.run(main())
"#;

/// The processing tools over MCP: a batch prepared, run in the background and followed to its end, its
/// outputs those of `axvs process`; statistics and the sync report; bad calls are tool errors.
#[test]
fn processing_tools_run_a_batch_and_report_statistics() {
    use axvs_core::LogSink;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    for r in 0..3u64 {
        let rec = root.join(format!("rec{r}"));
        let sink = axvs_log::FileLogSink::create(&rec).expect("sink");
        for id in 1..=2u8 {
            sink.log(id, 0, &(1_700_000_000_000_000 + r).to_le_bytes())
                .expect("onset");
            for i in 1..=400u64 {
                // Camera 2 misses every 100th frame: 3 missing in each recording.
                if id == 1 || i % 100 != 0 {
                    sink.log(id, i * 10_000 + u64::from(id) * 50, &[]).expect("frame");
                }
            }
        }
        sink.close().expect("close");
    }
    // A camera with one frame has no intervals: its figures are `{}`, as the original's, and the output
    // schema the client checks says so.
    let single = dir.path().join("single");
    let sink = axvs_log::FileLogSink::create(&single).expect("sink");
    sink.log(5, 0, &1_700_000_000_000_000u64.to_le_bytes()).expect("onset");
    sink.log(5, 10_000, &[]).expect("frame");
    sink.close().expect("close");
    let out = dir.path().join("out");
    let feather = out.join("rec0/camera_timestamps/camera_2_timestamps.feather");
    let args = [&root, &out, &feather, &single].map(|p| p.display().to_string());
    let script = PROCESSING
        .replace("sys.argv[1]", &format!("{:?}", args[0]))
        .replace("sys.argv[2]", &format!("{:?}", args[1]))
        .replace("sys.argv[4]", &format!("{:?}", args[3]))
        .replace("sys.argv[3]", &format!("{:?}", args[2]));
    let res = stdio_client(&script, &["mcp"], dir.path());
    let err = |k: &str| {
        (
            res[k][0].as_bool().expect("flag"),
            res[k][1].as_str().unwrap_or_default().to_string(),
        )
    };
    for (key, expect) in [
        ("status_before", "no processing batch was started"),
        ("no_roots", "argument `roots`: needs at least 1 item"),
        ("zero_jobs", "argument `jobs`: 0 is below the minimum 1"),
        ("missing", "missing"),
    ] {
        let (is_error, text) = err(key);
        assert!(is_error && text.contains(expect), "{key}: {text}");
    }
    let prepared = &res["prepare"][2];
    assert_eq!(prepared["summary"]["total"], 6, "{prepared}");
    assert_eq!(prepared["summary"]["scheduled"], 6, "{prepared}");
    assert_eq!(res["execute"][2]["total_jobs"], 6);
    let status = &res["status"][2];
    assert_eq!(status["active"], false, "{status}");
    assert_eq!(status["summary"]["succeeded"], 6, "{status}");
    assert_eq!(status["entries"], 3 * (401 + 397), "{status}");
    let again = &res["again"][2];
    assert_eq!(again["summary"]["total"], 3, "one source selected in 3 recordings");
    assert_eq!(again["summary"]["succeeded"], 3, "prepare reads each tracker: {again}");
    assert_eq!(res["cancel"][2]["canceled"], false, "nothing left to cancel");
    // The outputs are axvs process's: the tracker and one feather per camera.
    for r in 0..3 {
        for id in 1..=2 {
            let f = out.join(format!("rec{r}/camera_timestamps/camera_{id}_timestamps.feather"));
            assert!(f.is_file(), "{}", f.display());
        }
    }
    let stats = &res["stats"][2];
    assert_eq!(res["stats"][0], false, "{}", res["stats"]);
    assert_eq!(stats["total_files"], 2, "{}", res["stats"]);
    let camera2 = &stats["results"][0];
    assert_eq!(camera2["source_id"], 2);
    assert_eq!(
        camera2["frame_drop_analysis"]["total_estimated_dropped_frames"], 3,
        "{camera2}"
    );
    assert!(stats["results"][1]["error"]
        .as_str()
        .is_some_and(|e| e.contains("missing.feather")));
    let one = &res["stats_one"];
    assert_eq!(one[0], false, "{one}");
    assert_eq!(one[2]["results"][0]["basic_stats"]["total_frames"], 1, "{one}");
    assert_eq!(
        one[2]["results"][0]["frame_drop_analysis"],
        serde_json::json!({}),
        "{one}"
    );
    let sync = &res["sync"][2]["recordings"][0]["report"];
    let pairing = &sync["pairings"][0];
    assert_eq!(pairing["paired"], 396, "{sync}");
    assert_eq!(pairing["unpaired_reference"], 4, "{sync}");
    assert_eq!(pairing["offset"]["median_us"], 50.0, "{sync}");
}

/// `check_rig_capacity` gives what `axvs check RIG --capacity --json` gives (the same library call), is
/// refused while a session records (the two would share the cores), and names what is wrong with its
/// arguments.
#[test]
fn the_capacity_check_is_a_tool_refused_while_recording() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().display().to_string();
    let script = r#"
rig = """
output_dir = "recordings"
[encoder]
preset = 1
[[camera]]
id = 3
name = "left"
backend = "synthetic"
width = 640
height = 480
fps = 25
pixel_format = "mono8"
[[camera]]
id = 4
name = "right"
backend = "synthetic"
width = 640
height = 480
fps = 25
pixel_format = "bgr8"
"""
async def main():
    async with connect() as s:
        err, text, report = await call(s, "check_rig_capacity", {"rig_toml": rig, "probe_seconds": 0.5})
        assert not err, text
        assert text.startswith("keeps up"), text
        none_err, none_text, _ = await call(s, "check_rig_capacity", {})
        range_err, range_text, _ = await call(s, "check_rig_capacity", {"rig_toml": rig, "probe_seconds": 0})
        err, text, _ = await call(s, "start_video_session", {"rig_toml": rig, "output_directory": OUT})
        assert not err, text
        busy_err, busy_text, _ = await call(s, "check_rig_capacity", {"rig_toml": rig})
        err, text, _ = await call(s, "stop_video_session", {})
        assert not err, text
        print(json.dumps({"report": report, "none": [none_err, none_text], "range": [range_err, range_text],
                          "busy": [busy_err, busy_text]}))
asyncio.run(main())
"#
    .replace("OUT", &format!("{out:?}"));
    let result = stdio_client(&script, &["mcp"], dir.path());
    let report = &result["report"];
    assert_eq!(report["keeps_up"], true, "{report}");
    let ids: Vec<u64> = report["cameras"]
        .as_array()
        .expect("cameras")
        .iter()
        .filter_map(|c| c["id"].as_u64())
        .collect();
    assert_eq!(ids.len(), 2, "{report}");
    assert!(ids.contains(&3) && ids.contains(&4), "{report}");
    // Colour costs more than mono at the same size (at 640x480, about twice: at 160x120 the frame path's
    // per-frame costs left so little between them that a loaded machine swapped them): it comes first.
    assert_eq!(ids[0], 4, "{report}");
    assert!(report["cores_needed"].as_f64().expect("cores") > 0.0, "{report}");
    assert_eq!(result["none"][0], true);
    assert!(
        result["none"][1]
            .as_str()
            .expect("text")
            .contains("give a rig, as `rig_file` or `rig_toml`"),
        "{result}"
    );
    assert_eq!(result["range"][0], true);
    assert!(
        result["range"][1].as_str().expect("text").contains("probe_seconds"),
        "{result}"
    );
    assert_eq!(result["busy"][0], true);
    assert!(
        result["busy"][1]
            .as_str()
            .expect("text")
            .contains("would share the cores with the recording"),
        "{result}"
    );

    // The CLI's JSON has the same shape.
    let rig = axvs_tests::write_rig(
        dir.path(),
        "r.toml",
        "[[camera]]\nid = 3\nname = \"left\"\nbackend = \"synthetic\"\nwidth = 160\nheight = 120\nfps = 25\n",
    );
    let cli = axvs()
        .args(["check", "--capacity", "--json", "--probe-seconds", "0.5"])
        .arg(&rig)
        .output()
        .expect("axvs check");
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
    let cli: Value = serde_json::from_slice(&cli.stdout).expect("json");
    let keys = |v: &Value| -> Vec<String> { v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default() };
    assert_eq!(keys(&cli), keys(report));
    assert_eq!(keys(&cli["cameras"][0]), keys(&report["cameras"][0]));
}

/// The original's tools that axvs had not (archives, manifest, discovery, and the processing batch's
/// overview, timing, reset and clean-up), called by the original's names (`<tool>_tool`) too.
const ORIGINAL_TOOLS: &str = r#"
import shutil, time
async def main():
    out = sys.argv[1]
    r = {}
    async with connect() as s:
        err, text, started = await call(s, "start_video_session_tool", {"interface": "mock", "width": 64, "height": 48, "output_directory": out})
        assert not err, text
        session = started["session_dir"]
        for _ in range(200):
            err, text, st = await call(s, "get_session_status", {})
            if st["session"]["cameras"][0]["saved"] >= 5:
                break
            await asyncio.sleep(0.05)
        err, text, report = await call(s, "stop_video_session_tool", {})
        assert not err, text
        err, text, r["assembled"] = await call(s, "assemble_log_archives", {"log_directory": session})
        assert not err, text
        os.makedirs(out + "/other")
        err, text, r["manifest"] = await call(s, "write_camera_manifest_tool", {"log_directory": out + "/other", "source_id": 200, "name": "extra"})
        assert not err, text
        err, text, r["read"] = await call(s, "read_camera_manifest", {"manifest_path": r["manifest"]["manifest_path"]})
        assert not err, text
        err, text, r["discovered"] = await call(s, "discover_camera_data", {"root_directory": out})
        assert not err, text
        err, text, r["detailed"] = await call(s, "discover_camera_data", {"root_directory": out, "include_items": True, "detailed": True})
        assert not err, text
        r["unknown_source"] = await call(s, "discover_camera_data", {"root_directory": out, "source_ids": ["9"]})
        err, text, r["no_timing"] = await call(s, "get_log_processing_timing", {})
        assert not err, text
        err, text, _ = await call(s, "execute_log_processing_jobs", {"roots": [out]})
        assert not err, text
        for _ in range(400):
            err, text, st = await call(s, "get_log_processing_status", {})
            if not st["active"]:
                break
            await asyncio.sleep(0.05)
        err, text, r["timing"] = await call(s, "get_log_processing_timing_tool", {})
        assert not err, text
        err, text, r["overview"] = await call(s, "get_batch_status_overview", {"root_directory": out, "include_items": True, "detailed": True})
        assert not err, text
        tracker = r["overview"]["output_directories"][0]["tracker_path"]
        err, text, r["reset"] = await call(s, "reset_log_processing_jobs", {"tracker_path": tracker})
        assert not err, text
        err, text, r["reset_none"] = await call(s, "reset_log_processing_jobs", {"tracker_path": tracker, "source_ids": ["7"]})
        assert not err, text
        err, text, r["after_reset"] = await call(s, "get_batch_status_overview", {"root_directory": out, "statuses": ["not_started"]})
        assert not err, text
        err, text, r["cleaned"] = await call(s, "clean_log_processing_output", {"output_directories": [session, out + "/nothing"]})
        assert not err, text
        err, text, r["cleaned_again"] = await call(s, "clean_log_processing_output", {"output_directories": [session]})
        assert not err, text
        # A log without its archive: a run that did not finish.
        unfinished = out + "/unfinished"
        os.makedirs(unfinished)
        shutil.copy(report["cameras"][0]["log"], unfinished)
        r["unarchived"] = await call(s, "assemble_log_archives", {"log_directory": unfinished})
        r["session"] = session
    print(json.dumps(r))
asyncio.run(main())
"#;

#[test]
fn the_originals_remaining_tools_work_under_both_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("out");
    let script = ORIGINAL_TOOLS.replace("sys.argv[1]", &format!("{:?}", out.display().to_string()));
    let r = stdio_client(&script, &["mcp"], dir.path());
    let session = r["session"].as_str().expect("session dir");
    assert_eq!(
        r["assembled"]["archives"],
        serde_json::json!(["112_log.npz"]),
        "{}",
        r["assembled"]
    );
    assert_eq!(r["assembled"]["source_ids"], serde_json::json!(["112"]));
    assert_eq!(r["assembled"]["archive_count"], 1);
    assert_eq!(
        r["manifest"]["registered_source"],
        serde_json::json!({"id": 200, "name": "extra"})
    );
    assert_eq!(r["manifest"]["status"], "success");
    assert!(r["read"].to_string().contains("extra"), "{}", r["read"]);
    // Only cameras with an archive are data: 200 (in another manifest) has none.
    assert_eq!(r["discovered"]["total_sources"], 1, "{}", r["discovered"]);
    assert_eq!(
        r["discovered"]["breakdown"]["name"]["live_camera"], 1,
        "{}",
        r["discovered"]
    );
    assert!(r["discovered"].get("sources").is_none(), "counts only unless asked");
    let item = &r["detailed"]["sources"][0];
    assert!(
        item["log_archive"].as_str().is_some_and(|a| a.ends_with("112_log.npz")),
        "{item}"
    );
    assert!(
        item["video_file"].as_str().is_some_and(|v| v.ends_with(".mp4")),
        "{item}"
    );
    assert_eq!(r["detailed"]["matched_rows"], 1);
    assert_eq!(r["unknown_source"][0], true, "{}", r["unknown_source"]);
    assert!(r["unknown_source"][1]
        .as_str()
        .is_some_and(|t| t.contains("No source has 'source_id'")));
    assert_eq!(r["no_timing"]["message"], "No execution session exists.");
    let timing = &r["timing"];
    assert_eq!(timing["session"]["completed_count"], 1, "{timing}");
    let job = &timing["jobs"][0];
    let (started, completed) = (job["started_at"].as_u64(), job["completed_at"].as_u64());
    assert!(started.is_some() && completed >= started, "{job}");
    assert!(job["duration_seconds"].as_f64().is_some(), "{job}");
    assert!(
        timing["session"]["throughput_jobs_per_hour"].as_f64() > Some(0.0),
        "{timing}"
    );
    let overview = &r["overview"];
    assert_eq!(overview["total_output_directories"], 1, "{overview}");
    assert_eq!(overview["breakdown"]["status"]["completed"], 1, "{overview}");
    assert_eq!(overview["output_directories"][0]["jobs"][0]["status"], "SUCCEEDED");
    assert_eq!(r["reset"]["jobs_reset"], 1, "{}", r["reset"]);
    assert_eq!(r["reset"]["jobs"][0]["status"], "SCHEDULED");
    assert_eq!(r["reset_none"]["reset"], false);
    assert_eq!(
        r["after_reset"]["output_directories"][0]["status"], "not_started",
        "{}",
        r["after_reset"]
    );
    assert_eq!(r["cleaned"]["total_cleaned"], 1, "{}", r["cleaned"]);
    assert_eq!(
        r["cleaned"]["results"][1]["cleaned"], false,
        "a missing directory is an error"
    );
    assert_eq!(r["cleaned_again"]["results"][0]["message"], "Nothing to clean.");
    assert!(!Path::new(session).join("camera_timestamps").exists());
    assert_eq!(r["unarchived"][0], true, "{}", r["unarchived"]);
    assert!(
        r["unarchived"][1].as_str().is_some_and(|t| t.contains("axvs recover")),
        "{}",
        r["unarchived"]
    );
}

/// `verify_session` and `export_nwb` give agents what `axvs verify` and `axvs export nwb` give people: the
/// same checks and the same file, paths confined to `--root`.
#[test]
fn sessions_are_verified_and_exported_to_nwb_through_tools() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = axvs_tests::write_rig(
        dir.path(),
        "rig.toml",
        "[[camera]]\nid = 1\nname = \"cam\"\nbackend = \"synthetic\"\nwidth = 160\nheight = 120\nfps = 30\n",
    );
    let (mut command, _) = axvs_tests::rig_command(dir.path(), &rig, "s", &["--duration", "1"]);
    assert!(command.stdin(Stdio::null()).status().expect("axvs run").success());
    std::fs::write(dir.path().join("s/data/extra.txt"), "added").expect("a file added after the seal");
    let result = stdio_client(
        r#"
async def main():
    async with connect() as s:
        out = {}
        err, text, out["verified"] = await call(s, "verify_session", {"sessions": ["s", "s/data", "."]})
        assert not err, text
        out["verified_text"] = text
        err, text, out["exported"] = await call(s, "export_nwb", {"session": "s", "metadata": {"subject_id": "m1"}})
        assert not err, text
        err, out["outside"], _ = await call(s, "export_nwb", {"session": "/"})
        assert err
        err, out["again"], _ = await call(s, "export_nwb", {"session": "s"})
        assert err
        print(json.dumps(out))
asyncio.run(main())
"#,
        &["mcp", "--root", "."],
        dir.path(),
    );
    let sessions = result["verified"]["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 3, "{result}");
    for s in &sessions[..2] {
        assert_eq!(s["whole"], false, "{s}");
        assert_eq!(
            s["findings"],
            serde_json::json!(["extra: data/extra.txt (not in the manifest)"]),
            "{s}"
        );
    }
    assert!(
        sessions[2]["error"]
            .as_str()
            .is_some_and(|e| e.contains("not a sealed session")),
        "{result}"
    );
    assert_eq!(result["verified"]["all_whole"], false);
    assert_eq!(result["verified_text"], "0 of 3 session(s) whole");
    let exported = &result["exported"];
    assert!(
        exported["path"].as_str().is_some_and(|p| p.ends_with("s/s.nwb")),
        "{exported}"
    );
    assert_eq!(exported["cameras"][0]["name"], "cam");
    assert!(exported["cameras"][0]["frames"].as_u64() > Some(10), "{exported}");
    assert_eq!(
        exported["missing_for_dandi"],
        serde_json::json!(["species", "sex", "age"])
    );
    assert!(dir.path().join("s/s.nwb").is_file());
    assert!(
        result["outside"]
            .as_str()
            .is_some_and(|t| t.contains("outside the server's root")),
        "{result}"
    );
    assert!(
        result["again"].as_str().is_some_and(|t| t.contains("exists")),
        "{result}"
    );
}
