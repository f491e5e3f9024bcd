//! Helpers for the end-to-end tests: the `axvs` binary, ffprobe/ffmpeg readers, numpy checks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The `axvs` binary built beside the test executables (`AXVS_BIN` overrides). Checked once: it must
/// exist and be newer than every source file cargo built it from (its `axvs.d`), so that these tests
/// never run a stale `axvs`.
pub fn axvs_bin() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| built_bin("axvs", "AXVS_BIN", "axvs-cli")).clone()
}

/// The `axvs-bench` binary built beside the test executables, checked as [`axvs_bin`] checks `axvs`.
pub fn axvs_bench_bin() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| built_bin("axvs-bench", "AXVS_BENCH_BIN", "axvs-bench"))
        .clone()
}

/// The binary `name` of cargo package `package` in the test executables' target directory (`env`
/// overrides), after checking that it exists and is newer than every source cargo built it from.
fn built_bin(name: &str, env: &str, package: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(env) {
        return PathBuf::from(path);
    }
    built_file(&format!("{name}{}", std::env::consts::EXE_SUFFIX), name, package)
}

/// The file `file` that cargo built for package `package` (dep-info `<dep_info>.d`) in the test executables'
/// target directory, after checking that it exists and is newer than every source it was built from.
///
/// `cargo test` and `cargo nextest run` build the test programs and `axvs` (axvs-cli has integration tests),
/// not `axvs-bench` or the Python module: when one of them is missing or older than its sources, the build
/// `./dev test` makes ([`workspace_build`]) runs first.
fn built_file(file: &str, dep_info: &str, package: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().and_then(Path::parent).expect("target directory");
    let bin = dir.join(file);
    if stale_reason(&bin, &dir.join(format!("{dep_info}.d"))).is_some() {
        workspace_build(dir);
    }
    if let Some(reason) = stale_reason(&bin, &dir.join(format!("{dep_info}.d"))) {
        panic!(
            "{reason} after `cargo build --workspace --lib --bins --tests`: these tests would run a stale or \
             missing {file} of package {package}"
        );
    }
    bin
}

/// Why `file` cannot be used as built (missing, or older than a source its dep-info `dep_info` lists), if so.
fn stale_reason(file: &Path, dep_info: &Path) -> Option<String> {
    let Ok(built) = std::fs::metadata(file).and_then(|m| m.modified()) else {
        return Some(format!("{} is missing", file.display()));
    };
    let sources = std::fs::read_to_string(dep_info).unwrap_or_default();
    dep_info_sources(&sources)
        .into_iter()
        .find(|source| {
            std::fs::metadata(source)
                .and_then(|m| m.modified())
                .is_ok_and(|changed| changed > built)
        })
        .map(|newer| format!("{} is older than {}", file.display(), newer.display()))
}

/// Runs the build `./dev test` makes, `cargo build --workspace --lib --bins --tests` (the same packages,
/// targets and features as the test build), into the target directory whose profile folder is `profile`
/// (cargo does not hold its lock while tests run); nothing is compiled when it is up to date. Once per test
/// process.
fn workspace_build(profile: &Path) {
    static BUILT: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if *built {
        return;
    }
    let target = profile
        .parent()
        .and_then(Path::to_str)
        .expect("target directory, UTF-8");
    let mut args = vec![
        "build",
        "--quiet",
        "--workspace",
        "--lib",
        "--bins",
        "--tests",
        "--target-dir",
        target,
    ];
    if profile.file_name().is_some_and(|n| n == "release") {
        args.push("--release");
    }
    workspace_cargo(&args);
    *built = true;
}

/// The files a cargo dep-info file (`target: file file ...`, spaces in names escaped) lists.
fn dep_info_sources(dep_info: &str) -> Vec<PathBuf> {
    let Some((_, files)) = dep_info.lines().next().and_then(|line| line.split_once(": ")) else {
        return Vec::new();
    };
    let mut sources = Vec::new();
    let mut current = String::new();
    let mut chars = files.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.extend(chars.next()),
            ' ' if !current.is_empty() => sources.push(PathBuf::from(std::mem::take(&mut current))),
            ' ' => {}
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        sources.push(PathBuf::from(current));
    }
    sources
}

/// The Python package `axvs` as the workspace built it: a folder holding `axvs/` (the package's Python files
/// from `axvs-py/python`, and the native module, `libaxvs_py.so` built beside the test executables), for
/// `PYTHONPATH`. Removed when the returned folder drops.
pub fn python_package() -> tempfile::TempDir {
    let turn = python_module_lock();
    let module = built_file("libaxvs_py.so", "libaxvs_py", "axvs-py");
    let dir = tempfile::tempdir().expect("tempdir");
    let package = dir.path().join("axvs");
    std::fs::create_dir(&package).expect("package dir");
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("../axvs-py/python/axvs");
    for entry in std::fs::read_dir(&sources).expect("axvs-py/python/axvs").flatten() {
        std::os::unix::fs::symlink(entry.path(), package.join(entry.file_name())).expect("link");
    }
    // A hard link (else a copy) of the module as it is now: a build that re-links it replaces the file.
    let native = package.join("_axvs.abi3.so");
    std::fs::hard_link(&module, &native)
        .or_else(|_| std::fs::copy(&module, &native).map(drop))
        .expect("link the native module");
    drop(turn);
    dir
}

/// A turn at the native module the workspace built (`libaxvs_py.so`), held until the returned file drops:
/// the wheel's build (maturin, which builds pyo3 with a configuration of its own and so re-links the
/// module in its place) and the tests taking the module ([`python_package`]) take turns, so that no test
/// finds it missing or half-written.
pub fn python_module_lock() -> std::fs::File {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().and_then(Path::parent).expect("target directory");
    let lock = std::fs::File::create(dir.join(".axvs-py.lock")).expect("the Python module's lock file");
    lock.lock().expect("lock the Python module");
    lock
}

/// A command running `axvs`.
pub fn axvs() -> Command {
    Command::new(axvs_bin())
}

/// A command running `axvs-bench`, the benchmarks (with `AXVS_BIN` set to the `axvs` it runs).
pub fn axvs_bench() -> Command {
    let mut command = Command::new(axvs_bench_bin());
    command.env("AXVS_BIN", axvs_bin());
    command
}

/// Polls `condition` until it holds, first every 10 ms and then less often (up to every 200 ms, so that
/// polling through external tools does not load the machine); panics with `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    let mut pause = Duration::from_millis(10);
    while !condition() {
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

/// A child process that is killed if the test panics before it ends on its own.
pub struct ChildGuard(Option<std::process::Child>);

impl ChildGuard {
    /// Guards `child`.
    pub fn new(child: std::process::Child) -> ChildGuard {
        ChildGuard(Some(child))
    }

    /// The child, for the test to use.
    pub fn child(&mut self) -> &mut std::process::Child {
        self.0.as_mut().expect("child already taken")
    }

    /// Takes the child back, to wait for it.
    pub fn take(mut self) -> std::process::Child {
        self.0.take().expect("child already taken")
    }

    /// Kills the child and panics with `what` and what the child printed on its (piped) stderr.
    pub fn fail(&mut self, what: &str) -> ! {
        let mut child = self.0.take().expect("child already taken");
        let _ = child.kill();
        let stderr = child
            .wait_with_output()
            .map(|o| String::from_utf8_lossy(&o.stderr).to_string())
            .unwrap_or_default();
        panic!("{what}; the child printed:\n{stderr}");
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `ffprobe -v error -select_streams v:0 <args> -of csv=p=0 <video>` and returns (success, stdout,
/// stderr).
fn ffprobe(video: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(args)
        .args(["-of", "csv=p=0"])
        .arg(video)
        .output()
        .expect("run ffprobe");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// What ffprobe reads of a video's first video stream in one pass: its size and time base, and every
/// frame it decodes, with what FFmpeg's demuxer and decoder said on the way. One process per file: its
/// start (215 shared libraries) costs more than decoding a test's video, and the tests probe hundreds.
#[derive(Debug)]
pub struct Probe {
    path: PathBuf,
    ok: bool,
    stderr: String,
    stream: serde_json::Value,
    frames: Vec<serde_json::Value>,
}

/// Probes `video` (see [`Probe`]); ffprobe failing is recorded, not a panic: see [`Probe::decode_errors`].
pub fn probe(video: &Path) -> Probe {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args([
            "stream=width,height,time_base:frame=pts,pkt_pos,pkt_size",
            "-of",
            "json",
        ])
        .arg(video)
        .output()
        .expect("run ffprobe");
    let mut printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    // A file ffprobe cannot open prints no JSON, or no stream.
    let stream = printed
        .pointer_mut("/streams/0")
        .map(serde_json::Value::take)
        .unwrap_or_default();
    let frames = match printed.pointer_mut("/frames").map(serde_json::Value::take) {
        Some(serde_json::Value::Array(frames)) => frames,
        _ => Vec::new(),
    };
    Probe {
        path: video.to_path_buf(),
        ok: out.status.success(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        stream,
        frames,
    }
}

/// A number ffprobe's JSON prints as a number or as a string (`pkt_pos`, `pkt_size`).
fn json_i64(value: &serde_json::Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_str()?.parse().ok())
}

impl Probe {
    /// What FFmpeg's demuxer and decoder complained about, empty when the video played cleanly; ends in
    /// "(ffprobe failed)" when ffprobe did.
    pub fn decode_errors(&self) -> String {
        let mut text = self.stderr.clone();
        if !self.ok {
            text.push_str(" (ffprobe failed)");
        }
        text
    }

    fn assert_ok(&self) {
        assert!(self.ok, "ffprobe failed on {}: {}", self.path.display(), self.stderr);
    }

    /// Frames decoded.
    pub fn frame_count(&self) -> u64 {
        self.assert_ok();
        self.frames.len() as u64
    }

    /// Presentation timestamps (in the stream time base, µs for axvs files) of every frame, in display order.
    pub fn pts(&self) -> Vec<i64> {
        self.assert_ok();
        self.frames.iter().filter_map(|f| json_i64(&f["pts"])).collect()
    }

    /// Each decoded frame, in display order: its presentation time, and where its packet ends in the file
    /// (with a Matroska block's header, which the packet's position counts from).
    pub fn packet_ends(&self) -> Vec<(i64, u64)> {
        self.assert_ok();
        self.frames
            .iter()
            .filter_map(|f| {
                let (pts, pos, size) = (
                    json_i64(&f["pts"])?,
                    json_i64(&f["pkt_pos"])?,
                    json_i64(&f["pkt_size"])?,
                );
                Some((pts, (pos + size + 16) as u64))
            })
            .collect()
    }

    /// The stream time base as `(num, den)`.
    pub fn time_base(&self) -> (i64, i64) {
        let text = self.stream["time_base"].as_str().unwrap_or_default();
        let parsed = text
            .split_once('/')
            .and_then(|(n, d)| Some((n.parse().ok()?, d.parse().ok()?)));
        parsed.unwrap_or_else(|| panic!("no time base of {} in {}", self.path.display(), self.stream))
    }

    /// The video stream's size, `width,height`.
    pub fn size(&self) -> String {
        self.assert_ok();
        format!("{},{}", self.stream["width"], self.stream["height"])
    }
}

/// Where each keyframe's packet lies in the file: byte offset and size, in file order.
pub fn ffprobe_keyframe_packets(video: &Path) -> Vec<(u64, u64)> {
    let (ok, text, err) = ffprobe(video, &["-show_entries", "packet=pos,size,flags"]);
    assert!(ok, "ffprobe failed on {}: {err}", video.display());
    text.lines()
        .filter_map(|l| {
            let mut fields = l.split(',');
            let size = fields.next()?.trim().parse().ok()?;
            let pos = fields.next()?.trim().parse().ok()?;
            fields.next()?.starts_with('K').then_some((pos, size))
        })
        .collect()
}

/// The standard output of `cargo <args>` run in the workspace's root (the cargo running the tests, or the
/// one on PATH), after checking that it succeeded.
pub fn workspace_cargo(args: &[&str]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(&root)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run cargo {args:?}: {e}"));
    assert!(
        out.status.success(),
        "cargo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Copies the folder `from` to `to` (which must not exist), as `cp -a` does.
pub fn copy_dir(from: &Path, to: &Path) {
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status().expect("run cp");
    assert!(status.success(), "cp -a {} {}", from.display(), to.display());
}

/// Sends `signal` (`INT`, `TERM`, ...) to process `pid` with kill(1); whether it was delivered.
pub fn send_signal(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .expect("run kill")
        .success()
}

/// Decodes every frame of a video with the ffmpeg CLI (no frame-rate conversion) into raw `pix_fmt`
/// bytes, one frame after another.
pub fn decode_raw(video: &Path, pix_fmt: &str) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(video)
        .args(["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"])
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg decode failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Decodes a video with the ffmpeg CLI and returns each frame's luma plane.
pub fn decode_luma(video: &Path, width: usize, height: usize) -> Vec<Vec<u8>> {
    let decoded = decode_raw(video, "gray");
    assert_eq!(decoded.len() % (width * height), 0, "decoded size is not whole frames");
    decoded.chunks_exact(width * height).map(<[u8]>::to_vec).collect()
}

/// Runs a Python snippet with numpy; the snippet gets `sys.argv[1:]` = `args`. Panics with its output on
/// failure. numpy is a test dependency that `.ci/run` (and the README's test command) install.
pub fn python_numpy(script: &str, args: &[&Path]) -> String {
    python(script, args, "numpy")
}

/// The Python the tests run: `./dev`'s environment in `target/python` (the machine's python3 with the test
/// modules added, since Debian's python3 refuses `pip install`), or `python3` when there is none.
pub fn python3() -> Command {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/python/bin/python3");
    if venv.is_file() {
        Command::new(venv)
    } else {
        Command::new("python3")
    }
}

/// Runs a Python snippet that imports `module` (which `./dev` installs); the snippet gets `sys.argv[1:]` =
/// `args`. Returns its standard output; panics with its output on failure.
pub fn python(script: &str, args: &[&Path], module: &str) -> String {
    let out = python3()
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "python ({module}) check failed (`./dev deps` installs {module}): {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Runs a Python snippet in the original package's environment (`target/original`: ataraxis-video-system from
/// PyPI, which `./dev test` installs); the snippet gets `sys.argv[1:]` = `args`. Returns its standard output;
/// panics with its output on failure.
pub fn original_python(script: &str, args: &[&str]) -> String {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/original/bin/python3");
    let out = Command::new(&python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {} (`./dev test` installs the original): {e}", python.display()));
    assert!(
        out.status.success(),
        "the original's Python failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Writes a rig file into `dir` and returns its path.
pub fn write_rig(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write rig");
    path
}

/// A private X server (Xvfb) for window tests; stopped on drop.
pub struct Xvfb {
    display: String,
    child: std::process::Child,
}

impl Xvfb {
    /// Starts Xvfb on a display number the server picks itself (`-displayfd`), so that tests running in
    /// parallel never race for the same number. `-noreset`: by default the server resets whenever its
    /// last client disconnects, and a client connecting during that reset is refused (Qt then aborts).
    pub fn start() -> Xvfb {
        use std::io::BufRead;
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-noreset",
                "-screen",
                "0",
                "1280x1024x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start Xvfb (package xvfb)");
        let stdout = child.stdout.take().expect("Xvfb stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read Xvfb's display number");
        let number: u32 = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("Xvfb printed no display number: {line:?}"));
        let xvfb = Xvfb {
            display: format!(":{number}"),
            child,
        };
        wait_until("Xvfb to accept clients", Duration::from_secs(20), || xvfb.answers());
        xvfb
    }

    /// The `DISPLAY` value.
    pub fn display(&self) -> &str {
        &self.display
    }

    fn answers(&self) -> bool {
        Command::new("xdpyinfo")
            .args(["-display", &self.display])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    /// The position and size `(x, y, width, height)` of the window titled `title`, on the screen.
    pub fn window_geometry(&self, title: &str) -> Option<(usize, usize, usize, usize)> {
        let out = Command::new("xwininfo")
            .args(["-display", &self.display, "-name", title])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let field = |name: &str| -> Option<usize> {
            text.lines()
                .find_map(|l| l.trim().strip_prefix(name))
                .and_then(|v| v.trim().parse().ok())
        };
        Some((
            field("Absolute upper-left X:")?,
            field("Absolute upper-left Y:")?,
            field("Width:")?,
            field("Height:")?,
        ))
    }

    /// True if a window with this title exists.
    pub fn has_window(&self, title: &str) -> bool {
        Command::new("xwininfo")
            .args(["-display", &self.display, "-root", "-tree"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains(title))
            .unwrap_or(false)
    }

    /// Waits until `child` (an `axvs run` with piped stderr) shows a window titled `title`. If the window
    /// never comes, or `child` ends first, kills it and panics with what it printed.
    pub fn wait_for_window(&self, title: &str, child: &mut ChildGuard, timeout: Duration) {
        let start = Instant::now();
        while !self.has_window(title) {
            let ended = child.child().try_wait().ok().flatten();
            if ended.is_some() || start.elapsed() > timeout {
                child.fail(&format!(
                    "no window '{title}' after {:?} (axvs ended: {ended:?})",
                    start.elapsed()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Asks every window titled `title` to close, as a window manager does when the user clicks its close
    /// button (a `WM_DELETE_WINDOW` message); false if there was no such window.
    pub fn close_window(&self, title: &str) -> bool {
        use x11rb::protocol::xproto::{ClientMessageEvent, ConnectionExt, EventMask};
        let found = Command::new("xdotool")
            .args(["search", "--name", title])
            .env("DISPLAY", &self.display)
            .stderr(std::process::Stdio::null())
            .output()
            .expect("run xdotool (package xdotool)");
        let windows: Vec<u32> = String::from_utf8_lossy(&found.stdout)
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        if windows.is_empty() {
            return false;
        }
        let (conn, _) = x11rb::connect(Some(&self.display)).expect("connect to Xvfb");
        let atom = |name: &[u8]| {
            conn.intern_atom(false, name)
                .expect("intern atom")
                .reply()
                .expect("atom reply")
                .atom
        };
        let (protocols, delete) = (atom(b"WM_PROTOCOLS"), atom(b"WM_DELETE_WINDOW"));
        for window in windows {
            let event = ClientMessageEvent::new(32, window, protocols, [delete, 0, 0, 0, 0]);
            conn.send_event(false, window, EventMask::NO_EVENT, event)
                .expect("send WM_DELETE_WINDOW");
        }
        // A round trip before the connection closes: the server has then handled the events sent (an X
        // server may drop what a client sent just before it hung up).
        conn.get_input_focus()
            .expect("GetInputFocus")
            .reply()
            .expect("GetInputFocus reply");
        true
    }

    /// The titles of the screen's windows (each top-level window that has one), from `xwininfo -tree`.
    pub fn window_titles(&self) -> Vec<String> {
        let out = Command::new("xwininfo")
            .args(["-display", &self.display, "-root", "-tree"])
            .output()
            .expect("run xwininfo (package x11-utils)");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let (_, rest) = l.split_once(" \"")?;
                Some(rest.split_once("\":")?.0.to_string())
            })
            .collect()
    }

    /// Types `keys` (xdotool key names, e.g. `w`) into the window titled `title`, as key events sent to it.
    pub fn type_keys(&self, title: &str, keys: &[&str]) {
        let found = Command::new("xdotool")
            .args(["search", "--name", title])
            .env("DISPLAY", &self.display)
            .output()
            .expect("run xdotool (package xdotool)");
        let window = String::from_utf8_lossy(&found.stdout)
            .split_whitespace()
            .next()
            .unwrap_or_else(|| panic!("no window '{title}'"))
            .to_string();
        let status = Command::new("xdotool")
            .args(["key", "--window", &window])
            .args(keys)
            .env("DISPLAY", &self.display)
            .status()
            .expect("run xdotool");
        assert!(status.success(), "xdotool key {keys:?}");
    }

    /// Sends the server a signal by name (`STOP` freezes it with its clients' connections open, `CONT`
    /// resumes it).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} Xvfb");
    }

    /// Kills the server at once (SIGKILL), as a crashed or unplugged display goes: its clients' connections
    /// break.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Writes a screenshot of the whole screen (XWD format) to `path`; false if the server refused (it
    /// can, with BadMatch, while a window is being mapped).
    pub fn screenshot(&self, path: &Path) -> bool {
        Command::new("xwd")
            .args(["-root", "-silent", "-display", &self.display, "-out"])
            .arg(path)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run xwd (package x11-apps)")
            .success()
    }
}

impl Drop for Xvfb {
    /// Ends the server with SIGTERM, so that it removes its lock file and socket (a killed server leaves
    /// them for the next one to trip on), and kills it if it has not ended within 5 s.
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return; // killed already (its pid may be another process' now)
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An XWD screenshot's pixels, as Xvfb writes them at depth 24 (24 or 32 bits per pixel).
pub struct Screenshot {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// The three colour bytes of each pixel, row by row (in the server's byte order: compare them, do not
    /// name them).
    pub pixels: Vec<[u8; 3]>,
}

impl Screenshot {
    /// Reads an XWD file; `None` if it is not one this reader knows.
    pub fn read(path: &Path) -> Option<Screenshot> {
        let bytes = std::fs::read(path).ok()?;
        let be = |at: usize| -> Option<usize> {
            let b = bytes.get(at..at + 4)?;
            Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        };
        let (header_size, width, height) = (be(0)?, be(16)?, be(20)?);
        let (bits_per_pixel, bytes_per_line, ncolors) = (be(44)?, be(48)?, be(76)?);
        let bytes_per_pixel = bits_per_pixel / 8;
        if !(3..=4).contains(&bytes_per_pixel) || width == 0 {
            return None;
        }
        let start = header_size + ncolors * 12;
        let mut pixels = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                let at = start + y * bytes_per_line + x * bytes_per_pixel;
                let px = bytes.get(at..at + 3)?;
                pixels.push([px[0], px[1], px[2]]);
            }
        }
        Some(Screenshot { width, height, pixels })
    }

    /// The pixel at (x, y), black outside the screen.
    pub fn at(&self, x: usize, y: usize) -> [u8; 3] {
        if x < self.width && y < self.height {
            self.pixels[y * self.width + x]
        } else {
            [0; 3]
        }
    }

    /// Distinct colours (of every third pixel in each row): a blank screen has 1, camera frames many.
    pub fn distinct_colours(&self) -> usize {
        let mut colours = std::collections::HashSet::new();
        for y in 0..self.height {
            for x in (0..self.width).step_by(3) {
                colours.insert(self.at(x, y));
            }
        }
        colours.len()
    }

    /// The luma (mean of the three colour bytes) of the `width` x `height` area whose top-left corner is at
    /// (`left`, `top`), row by row: e.g. a window showing camera frames pixel for pixel.
    pub fn luma(&self, left: usize, top: usize, width: usize, height: usize) -> Vec<u8> {
        (top..top + height)
            .flat_map(|y| (left..left + width).map(move |x| (x, y)))
            .map(|(x, y)| {
                let [a, b, c] = self.at(x, y);
                ((u16::from(a) + u16::from(b) + u16::from(c)) / 3) as u8
            })
            .collect()
    }
}

/// Distinct colours in an XWD screenshot (see [`Screenshot::distinct_colours`]); 0 if it cannot be read.
pub fn xwd_distinct_colours(path: &Path) -> usize {
    Screenshot::read(path).map_or(0, |s| s.distinct_colours())
}

/// Aravis' fake GigE Vision camera (`arv-fake-gv-camera-0.8`, package aravis-tools) on 127.0.0.1, speaking
/// the real protocol; stopped on drop. Only one can listen on loopback at a time: tests that use it hold
/// [`FakeGvCamera::serialize`].
pub struct FakeGvCamera {
    child: Option<std::process::Child>,
    serial: String,
}

impl FakeGvCamera {
    /// Holds the loopback GigE port for one test, until the returned file is dropped: a lock on a file in
    /// the temporary directory, so that it holds across threads, test processes (nextest runs each test in
    /// its own) and checkouts.
    pub fn serialize() -> std::fs::File {
        let path = std::env::temp_dir().join("axvs-tests-fake-gige.lock");
        let file = std::fs::File::create(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        file.lock().unwrap_or_else(|e| panic!("lock {}: {e}", path.display()));
        file
    }

    /// Starts a fake camera with this serial number, losing `lost_per_thousand` stream packets, and waits
    /// until `axvs discover` sees it.
    pub fn start(serial: &str, lost_per_thousand: u32) -> FakeGvCamera {
        let mut command = Command::new("arv-fake-gv-camera-0.8");
        command.args(["-i", "127.0.0.1", "-s", serial]);
        if lost_per_thousand > 0 {
            command.args(["-r", &lost_per_thousand.to_string()]);
        }
        let child = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start arv-fake-gv-camera-0.8 (package aravis-tools)");
        let camera = FakeGvCamera {
            child: Some(child),
            serial: serial.to_string(),
        };
        wait_until("the fake camera to answer discovery", Duration::from_secs(20), || {
            camera.discovered()
        });
        camera
    }

    /// True while `axvs discover` lists it.
    pub fn discovered(&self) -> bool {
        axvs()
            .arg("discover")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains(&format!("serial {}", self.serial)))
            .unwrap_or(false)
    }

    /// Kills the camera process (as if it were unplugged).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for FakeGvCamera {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The JSON that `axvs run --report` wrote.
pub fn read_report(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("report file")).expect("report JSON")
}

/// The command `axvs run <extra> <rig>` into `<dir>/<session>`, with its report at the returned path and
/// no periodic status lines; set standard input, environment, then run or spawn it.
pub fn rig_command(dir: &Path, rig: &Path, session: &str, extra: &[&str]) -> (Command, PathBuf) {
    let report_path = dir.join(format!("{session}.json"));
    let mut command = axvs();
    command
        .args(["run", "--session", session, "--status-interval", "0", "-o"])
        .arg(dir)
        .arg("--report")
        .arg(&report_path)
        .args(extra)
        .arg(rig);
    (command, report_path)
}

/// Runs `axvs run` on `rig` into `<dir>/<session>` (see [`rig_command`]) and returns its exit code, its
/// standard error and its report (when it wrote one).
pub fn run_rig(
    dir: &Path,
    rig: &Path,
    session: &str,
    extra: &[&str],
) -> (Option<i32>, String, Option<serde_json::Value>) {
    let (mut command, report_path) = rig_command(dir, rig, session, extra);
    let out = command.stdin(std::process::Stdio::null()).output().expect("run axvs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    (
        out.status.code(),
        stderr,
        report_path.exists().then(|| read_report(&report_path)),
    )
}

/// `time_us` (µs) in a stream time base `(num, den)`, rounded to the nearest tick as FFmpeg's muxers do
/// (`av_rescale_q`): exact for MP4 (µs), the nearest ms for Matroska.
pub fn us_in_time_base(time_us: u64, (num, den): (i64, i64)) -> i64 {
    let (scaled, divisor) = (i128::from(time_us) * i128::from(den), 1_000_000 * i128::from(num));
    ((scaled + divisor / 2) / divisor) as i64
}

/// Asserts the fidelity invariant for one video and the frame times logged for it: the video has one frame
/// per logged time, each frame's PTS is its logged time (µs since the onset, in the stream time base), and
/// both strictly increase; in a coarser time base (Matroska's ms) frames logged within one tick share it.
/// `what` names the video in failures.
pub fn assert_pts_equal_logged(video: &Probe, logged: &[u64], what: &str) {
    assert!(
        logged.windows(2).all(|w| w[0] < w[1]),
        "{what}: logged times must strictly increase"
    );
    let time_base = video.time_base();
    let pts = video.pts();
    let exact = i128::from(time_base.1) >= 1_000_000 * i128::from(time_base.0);
    assert!(
        pts.windows(2).all(|w| w[0] < w[1] || (!exact && w[0] == w[1])),
        "{what}: PTS must increase (strictly, in a time base of µs or finer): {pts:?}"
    );
    let expected: Vec<i64> = logged.iter().map(|&t| us_in_time_base(t, time_base)).collect();
    assert_eq!(
        pts, expected,
        "{what}: video PTS vs logged times (time base {time_base:?})"
    );
}

/// Asserts that every PTS of a video (`pts`, in `time_base`) is a frame logged in `logged` (µs since the
/// onset), in order: what a killed recording's file holds, whose last fragment may end before a B-frame it
/// does not hold.
pub fn assert_pts_are_logged(pts: &[i64], time_base: (i64, i64), logged: &[u64], what: &str) {
    let mut expected = logged.iter().map(|&t| us_in_time_base(t, time_base));
    for (n, p) in pts.iter().enumerate() {
        assert!(
            expected.any(|e| e == *p),
            "{what}: frame {n} of the video (PTS {p}, time base {time_base:?}) is not a logged frame after the \
             previous one; video PTS {pts:?}"
        );
    }
}

/// The shared check of the invariants for one camera of a report (`../shared/design/architecture.md`):
/// - accounting: acquired = saved + dropped (saving off, queue full, encoder error, log error), nothing
///   unlogged;
/// - fidelity: the video (each of its files, when split into segments) decodes cleanly, its frames == the
///   log's frame entries == saved, and each frame's PTS is its logged time, strictly increasing.
///
/// Returns the saved count.
pub fn counts_agree(cam: &serde_json::Value) -> u64 {
    let status = &cam["status"];
    let id = status["id"].as_u64().expect("id");
    let count = |field: &serde_json::Value, name: &str| -> u64 {
        field
            .as_u64()
            .unwrap_or_else(|| panic!("camera {id}: no {name} in {status}"))
    };
    let saved = count(&status["saved"], "saved");
    let acquired = count(&status["acquired"], "acquired");
    let dropped = &status["dropped"];
    let dropped_total = count(&dropped["saving_off"], "saving_off")
        + count(&dropped["queue_full"], "queue_full")
        + count(&dropped["encoder_error"], "encoder_error")
        + count(&dropped["log_error"], "log_error");
    assert_eq!(
        acquired,
        saved + dropped_total,
        "camera {id}: acquired = saved + dropped by reason ({status})"
    );
    assert_eq!(
        count(&status["unlogged"], "unlogged"),
        0,
        "camera {id}: unlogged frames"
    );
    // A frame lost to a full queue means the queue was full once; the peak never exceeds the queue.
    let (peak, capacity) = (
        count(&status["queue_peak"], "queue_peak"),
        count(&status["queue_capacity"], "queue_capacity"),
    );
    assert!(peak <= capacity, "camera {id}: queue peak above capacity ({status})");
    if count(&dropped["queue_full"], "queue_full") > 0 {
        assert_eq!(
            peak, capacity,
            "camera {id}: lost to a full queue below its peak ({status})"
        );
    }

    let logged = logged_frame_times(cam);
    assert_eq!(logged.len() as u64, saved, "camera {id}: log entries vs saved");
    // A video split into segments: each file holds the next logged frames.
    let mut next = 0;
    for video in video_files(cam) {
        let what = format!("camera {id}, {}", video.display());
        let video = probe(&video);
        assert_eq!(video.decode_errors(), "", "{what}: the video must decode cleanly");
        let frames = video.frame_count() as usize;
        assert!(
            next + frames <= logged.len(),
            "{what}: more frames in the files than saved"
        );
        assert_pts_equal_logged(&video, &logged[next..next + frames], &what);
        next += frames;
    }
    assert_eq!(next as u64, saved, "camera {id}: video frames vs saved");
    saved
}

/// The frame times (µs since the onset) in the log of one camera of a report.
pub fn logged_frame_times(cam: &serde_json::Value) -> Vec<u64> {
    // A camera that saved nothing leaves no log.
    let Some(log) = cam["log"].as_str() else {
        return Vec::new();
    };
    let log = axvs_log::read_log(Path::new(log)).expect("log");
    log.entries.iter().filter(|e| e.is_frame()).map(|e| e.time_us).collect()
}

/// The video files of one camera of a report: its segments, or its one file.
pub fn video_files(cam: &serde_json::Value) -> Vec<PathBuf> {
    match cam["segments"].as_array().filter(|s| !s.is_empty()) {
        Some(segments) => segments
            .iter()
            .map(|s| PathBuf::from(s["path"].as_str().expect("segment path")))
            .collect(),
        // A camera that saved nothing leaves no video.
        None => cam["video"].as_str().map(PathBuf::from).into_iter().collect(),
    }
}

/// A build of the plugin package `package` (a workspace member: `axvs-plugin-rawfile`, `axvs-plugin-gentl`,
/// or a fixture under `tests/fixtures/`), copied to a folder of its own: `<target>/plugin-tests/<package>/`.
///
/// The first call in a test process runs `./dev test`'s build (`cargo build --workspace --lib --bins --tests`):
/// only the plugins' own libraries are compiled, once, and nothing when they are up to date. Builds and
/// copies of all test processes take turns (a file lock).
pub fn plugin_build(package: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile = exe.parent().and_then(Path::parent).expect("profile directory");
    let target = profile.parent().expect("target directory");
    let folder = target.join("plugin-tests");
    std::fs::create_dir_all(&folder).expect("plugin folder");
    // Tests in other processes (nextest runs each test in its own) build and copy too: one at a time, so
    // that no copy is taken while cargo puts a library in place.
    let lock = std::fs::File::create(folder.join(".lock")).expect("plugin lock file");
    lock.lock().expect("lock the plugin builds");
    workspace_build(profile);
    let name = axvs_plugin::testing::library_file_name(package);
    let dir = folder.join(package);
    std::fs::create_dir_all(&dir).expect("plugin folder");
    let copy = dir.join(&name);
    // Copied through a temporary name: a process may have the previous copy loaded.
    let fresh = dir.join(format!("{name}.new"));
    std::fs::copy(profile.join(&name), &fresh).unwrap_or_else(|e| panic!("copy {name}: {e}"));
    std::fs::rename(&fresh, &copy).expect("place plugin");
    copy
}

/// EMVA's simulated GenTL producer, `viky.cti`, which `./dev test` fetches into `target/gentl/`.
pub fn viky_producer() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/gentl/viky.cti");
    assert!(
        path.is_file(),
        "{} is missing: run ./dev test, which fetches it",
        path.display()
    );
    path
}

/// One fenced code block of a Markdown file.
pub struct DocBlock {
    /// The line its opening fence is on (from 1).
    pub line: usize,
    /// What follows the opening fence (`toml`, `rust file=src/lib.rs`).
    pub info: String,
    /// Its lines, each ending with a newline.
    pub body: String,
}

/// Every fenced code block of the Markdown file `file`, in order.
pub fn doc_blocks(file: &Path) -> Vec<DocBlock> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut blocks = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            let body: String = lines
                .by_ref()
                .map(|(_, l)| l)
                .take_while(|l| !l.trim_start().starts_with("```"))
                .flat_map(|l| [l, "\n"])
                .collect();
            blocks.push(DocBlock {
                line: number + 1,
                info: info.to_string(),
                body,
            });
        }
    }
    blocks
}

/// The TOML code blocks of a Markdown file that hold a `[[camera]]` table (the rigs it shows), each with
/// the line its block starts on.
pub fn doc_rigs(file: &Path) -> Vec<(usize, String)> {
    doc_blocks(file)
        .into_iter()
        .filter(|b| b.info.starts_with("toml") && b.body.contains("[[camera]]"))
        .map(|b| (b.line, b.body))
        .collect()
}
