//! A rig across PCs, on one machine: hosts (up to three) and a coordinator as network namespaces joined by
//! veth pairs (addresses only inside those namespaces; nothing leaves the machine), each host running `axvs
//! mcp --http` on its namespace's address with a token (two of three with Aravis' fake GigE camera there),
//! the coordinator `axvs run` of a rig with `[[host]]` tables; faults injected: a host's network down for
//! 10 s, a host's server killed, the coordinator killed, a second coordinator. Needs root (CI has it);
//! skips, saying why, where namespaces cannot be made.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use axvs_tests::{axvs_bin, counts_agree, read_report};

/// The namespaces of one test, removed (with their veth pairs) when dropped.
struct Namespaces {
    names: Vec<String>,
}

impl Namespaces {
    /// `coordinator` joined to each of `hosts` by a veth pair: host i is 10.77.i.2, the coordinator 10.77.i.1
    /// on that link. `None` (with the reason) where namespaces cannot be made.
    fn make(tag: &str, hosts: usize) -> Result<Namespaces, String> {
        remove_stale();
        let id = std::process::id();
        let coordinator = format!("axc-{tag}-{id}");
        let mut made = Namespaces {
            names: vec![coordinator.clone()],
        };
        ip(&["netns", "add", &coordinator])?;
        ip(&["-n", &coordinator, "link", "set", "lo", "up"])?;
        for i in 1..=hosts {
            let host = format!("axh{i}-{tag}-{id}");
            ip(&["netns", "add", &host])?;
            made.names.push(host.clone());
            let (a, b) = (format!("vc{i}{id}"), format!("vh{i}{id}"));
            ip(&[
                "-n",
                &coordinator,
                "link",
                "add",
                &a,
                "type",
                "veth",
                "peer",
                "name",
                &b,
                "netns",
                &host,
            ])?;
            ip(&["-n", &coordinator, "addr", "add", &format!("10.77.{i}.1/24"), "dev", &a])?;
            ip(&["-n", &host, "addr", "add", &format!("10.77.{i}.2/24"), "dev", &b])?;
            for (ns, dev) in [(&coordinator, &a), (&host, &b)] {
                ip(&["-n", ns, "link", "set", dev, "up"])?;
            }
            ip(&["-n", &host, "link", "set", "lo", "up"])?;
        }
        Ok(made)
    }

    /// Sets host `i`'s end of its link to the coordinator `up` or `down`.
    fn link(&self, i: usize, state: &str) {
        let device = format!("vh{i}{}", std::process::id());
        ip(&["-n", self.host(i), "link", "set", &device, state]).expect("ip link set");
    }

    fn coordinator(&self) -> &str {
        &self.names[0]
    }

    fn host(&self, i: usize) -> &str {
        &self.names[i]
    }
}

/// The namespaces of a test, or `None` after saying (visibly, in the test's output) why they cannot be made.
fn namespaces(tag: &str, hosts: usize) -> Option<Namespaces> {
    match Namespaces::make(tag, hosts) {
        Ok(n) => Some(n),
        Err(why) => {
            eprintln!("SKIPPED: network namespaces cannot be made here ({why}); this test needs root");
            None
        }
    }
}

/// Removes the namespaces that a killed run of these tests left behind (a kill skips `Drop`): those named
/// as [`Namespaces::make`] names them, after a test process that no longer exists.
fn remove_stale() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for name in String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
    {
        let mut parts = name.split('-');
        let (Some(role), Some(_tag), Some(pid), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let ours = role == "axc" || role.strip_prefix("axh").is_some_and(|i| i.parse::<u32>().is_ok());
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if ours && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = ip(&["netns", "del", name]);
        }
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        // Deleting a namespace deletes its end of each veth pair, and so the pair.
        for name in &self.names {
            let _ = ip(&["netns", "del", name]);
        }
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip (iproute2): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// `axvs mcp --http` inside a namespace, stopped when dropped.
struct HostServer {
    child: Child,
}

impl HostServer {
    fn start(namespace: &str, address: &str, root: &Path, token: &str) -> HostServer {
        std::fs::create_dir_all(root).expect("host root");
        let mut child = Command::new("ip")
            .args(["netns", "exec", namespace])
            .arg(axvs_bin())
            .args(["mcp", "--http", address, "--token", token, "--root"])
            .arg(root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ip netns exec axvs mcp --http");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        loop {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("axvs mcp --http in {namespace} ended before listening"))
                .expect("read");
            if line.starts_with("axvs: MCP over HTTP at ") {
                break;
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        HostServer { child }
    }
}

impl Drop for HostServer {
    fn drop(&mut self) {
        let _ = axvs_tests::send_signal(self.child.id(), "TERM");
        let _ = self.child.wait();
    }
}

#[test]
fn a_rig_across_two_hosts_and_the_coordinator_starts_together_and_indexes_one_session() {
    let Some(nets) = namespaces("run", 2) else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let roots: Vec<PathBuf> = (1..=2).map(|i| dir.path().join(format!("host{i}"))).collect();
    let mut rig = String::from("output_dir = \"coordinator\"\n[encoder]\npreset = 1\n");
    let mut servers = Vec::new();
    for i in 1..=2 {
        let token = format!("token-of-host-{i}-0123456789");
        std::fs::write(dir.path().join(format!("h{i}.token")), &token).expect("token");
        servers.push(HostServer::start(
            nets.host(i),
            &format!("10.77.{i}.2:8765"),
            &roots[i - 1],
            &token,
        ));
        rig += &format!(
            "[[host]]\nname = \"pc{i}\"\naddress = \"10.77.{i}.2:8765\"\ntoken_file = \"h{i}.token\"\noutput_dir = \"{}\"\n",
            roots[i - 1].join("recordings").display()
        );
    }
    for (id, host) in [(1, Some("pc1")), (2, Some("pc2")), (3, Some("pc2")), (4, None)] {
        rig += &format!(
            "[[camera]]\nid = {id}\nname = \"cam{id}\"\nbackend = \"synthetic\"\nwidth = 128\nheight = 96\nfps = 30\n{}",
            host.map(|h| format!("host = \"{h}\"\n")).unwrap_or_default()
        );
    }
    let rig_path = dir.path().join("rig.toml");
    std::fs::write(&rig_path, &rig).expect("rig");
    let out = Command::new("ip")
        .args(["netns", "exec", nets.coordinator()])
        .arg(axvs_bin())
        .args(["run", "--duration", "3", "--status-interval", "0", "--session", "s"])
        .arg(&rig_path)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("axvs run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}{}", String::from_utf8_lossy(&out.stdout));

    // One index: both hosts, their clocks against the coordinator's, their cameras' reports.
    let index_path = dir.path().join("coordinator").join("s.rig.json");
    let index: serde_json::Value = read_report(&index_path);
    let hosts = index["hosts"].as_array().expect("hosts");
    assert_eq!(hosts.len(), 2, "{index}");
    let mut saved = Vec::new();
    for (i, host) in hosts.iter().enumerate() {
        assert_eq!(host["name"], format!("pc{}", i + 1));
        assert_eq!(host["errors"], serde_json::json!([]), "{host}");
        for when in ["clock_at_start", "clock_at_stop"] {
            // One kernel clock for every namespace: the offset is within half the round trip.
            let clock = &host[when];
            let (offset, rtt) = (
                clock["offset_ns"].as_i64().expect("offset"),
                clock["round_trip_ns"].as_i64().expect("rtt"),
            );
            assert!(offset.abs() <= rtt / 2 + 1, "{when}: {clock}");
            assert!(clock["host"]["synchronized"].is_boolean(), "{clock}");
        }
        for camera in host["report"]["cameras"].as_array().expect("cameras") {
            saved.push(counts_agree(camera));
            // The host's files are its own, in its root, sealed.
            let video = PathBuf::from(camera["video"].as_str().expect("video"));
            assert!(video.starts_with(&roots[i]), "{video:?}");
        }
        // Every file of its session, with size and checksum, in the index.
        let files = host["files"].as_array().expect("files");
        assert!(
            files
                .iter()
                .any(|f| f["path"] == "data/session.json" && f["bytes"].as_u64() > Some(0)),
            "{host}"
        );
        assert!(
            files
                .iter()
                .all(|f| f["sha256"].as_str().is_some_and(|h| h.len() == 64)),
            "{host}"
        );
        let bag = PathBuf::from(host["report"]["bags"][0].as_str().expect("bag"));
        let verify = Command::new(axvs_bin())
            .arg("verify")
            .arg(&bag)
            .output()
            .expect("axvs verify");
        assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    }
    assert_eq!(saved.len(), 3, "cameras 1 on pc1, 2 and 3 on pc2");
    let local = &index["local"]["cameras"][0];
    saved.push(counts_agree(local));
    // Saving started at one instant everywhere: every camera saved about 3 s of frames, and their first
    // saved frames lie within a frame period or so of each other (free-running cameras keep their phase).
    assert!(saved.iter().all(|&n| (60..=110).contains(&n)), "{saved:?}");
    let spread = index["first_frame_spread_us"].as_u64().expect("spread");
    assert!(spread < 100_000, "first frames {spread} µs apart");
    assert!(stderr.contains("host 'pc2': cameras open"), "{stderr}");

    // `axvs collect`: every host's session copied over the control connection into one folder, each file
    // checked against its host's manifest; the copies are whole sessions (`axvs verify`).
    let collect = || {
        let out = Command::new("ip")
            .args(["netns", "exec", nets.coordinator()])
            .arg(axvs_bin())
            .arg("collect")
            .arg(&index_path)
            .output()
            .expect("axvs collect");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
        stdout
    };
    let first = collect();
    let copies = dir.path().join("coordinator/s-collected");
    assert!(
        first.contains("file(s) copied") && first.contains(", 0 already whole"),
        "{first}"
    );
    let verify = |bag: &Path| {
        let out = Command::new(axvs_bin())
            .arg("verify")
            .arg(bag)
            .output()
            .expect("axvs verify");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    };
    for host in ["pc1", "pc2"] {
        verify(&copies.join(host).join("s"));
    }
    assert!(copies.join("s.rig.json").is_file());
    // Interrupted: a video cut short (as a .partial), a log gone. The next run finishes exactly those.
    let video = copies.join("pc2/s/data/002.mp4");
    let bytes = std::fs::read(&video).expect("video");
    std::fs::remove_file(&video).expect("remove");
    std::fs::write(
        PathBuf::from(format!("{}.partial", video.display())),
        &bytes[..bytes.len() / 2],
    )
    .expect("partial");
    std::fs::remove_file(copies.join("pc1/s/data/001.axvslog")).expect("remove log");
    let second = collect();
    assert!(second.contains(": 2 file(s) copied"), "{second}");
    verify(&copies.join("pc2/s"));
    verify(&copies.join("pc1/s"));

    // `axvs stats --sync` on the collected folder: every camera of every host (and the coordinator's own)
    // on the coordinator's clock, paired as one rig, with how each host's times were moved.
    let out = Command::new(axvs_bin())
        .args(["stats", "--sync", "--json"])
        .arg(&copies)
        .output()
        .expect("axvs stats");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let sync = &stats["sync"];
    assert_eq!(sync.as_array().map(Vec::len), Some(1), "one rig: {sync}");
    let bases: Vec<&str> = sync[0]["time_bases"]
        .as_array()
        .expect("bases")
        .iter()
        .filter_map(|b| b["host"].as_str())
        .collect();
    assert_eq!(bases, ["pc1", "pc2", "coordinator"]);
    let report = &sync[0]["report"];
    assert_eq!(report["cameras"].as_array().map(Vec::len), Some(4), "{report}");
    assert_eq!(report["pairings"].as_array().map(Vec::len), Some(3), "{report}");
    // Free-running cameras at one rate started together: every frame has a partner within half a period.
    for pairing in report["pairings"].as_array().expect("pairings") {
        assert!(pairing["paired"].as_u64().is_some_and(|n| n >= 60), "{pairing}");
    }
}

#[test]
fn a_host_that_refuses_its_cameras_stops_the_others_and_is_named() {
    let Some(nets) = namespaces("bad", 2) else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let token = "token-0123456789-abcdef";
    let _one = HostServer::start(nets.host(1), "10.77.1.2:8765", &dir.path().join("h1"), token);
    let _two = HostServer::start(nets.host(2), "10.77.2.2:8765", &dir.path().join("h2"), token);
    // pc2's camera names a GenICam device no host has: pc2 refuses, pc1 (opened first) is stopped.
    let rig = format!(
        "[[host]]\nname = \"pc1\"\naddress = \"10.77.1.2:8765\"\ntoken_env = \"AXVS_TEST_TOKEN\"\noutput_dir = \"{}\"\n\
         [[host]]\nname = \"pc2\"\naddress = \"10.77.2.2:8765\"\ntoken_env = \"AXVS_TEST_TOKEN\"\noutput_dir = \"{}\"\n\
         [[camera]]\nid = 1\nname = \"a\"\nhost = \"pc1\"\nbackend = \"synthetic\"\nwidth = 64\nheight = 32\n\
         [[camera]]\nid = 2\nname = \"b\"\nhost = \"pc2\"\nbackend = \"genicam\"\nserial = \"NO-SUCH-CAMERA\"\n",
        dir.path().join("h1/rec").display(),
        dir.path().join("h2/rec").display()
    );
    let rig_path = dir.path().join("rig.toml");
    std::fs::write(&rig_path, rig).expect("rig");
    let run = |token: Option<&str>| {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", nets.coordinator()])
            .arg(axvs_bin())
            .args(["run", "--duration", "2", "--status-interval", "0", "-o"])
            .arg(dir.path().join("out"))
            .arg(&rig_path)
            .stdin(Stdio::null());
        match token {
            Some(t) => command.env("AXVS_TEST_TOKEN", t),
            None => command.env_remove("AXVS_TEST_TOKEN"),
        };
        command.output().expect("axvs run")
    };
    let out = run(Some(token));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("host 'pc2': start_video_session:") && stderr.contains("NO-SUCH-CAMERA"),
        "{stderr}"
    );
    // pc1's session was stopped: it takes a new one (one session at a time), and pc2 refuses again.
    let again = run(Some(token));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("host 'pc2': start_video_session:") && !stderr.contains("host 'pc1': start"),
        "{stderr}"
    );
    // A wrong token is refused by the host, named.
    let wrong = run(Some("wrong-token-0123456789"));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("host 'pc1' (http://10.77.1.2:8765/mcp): unreachable"),
        "{stderr}"
    );
    // The token's variable unset: a located rig error before anything is contacted.
    let unset = run(None);
    let stderr = String::from_utf8_lossy(&unset.stderr);
    assert_eq!(unset.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("token_env: the environment variable AXVS_TEST_TOKEN is not set"),
        "{stderr}"
    );
}

/// A coordinator run in the background, its standard error read line by line.
struct Coordinator {
    child: Child,
    lines: std::io::Lines<BufReader<std::process::ChildStderr>>,
    seen: String,
}

impl Coordinator {
    fn start(nets: &Namespaces, dir: &Path, rig: &Path, extra: &[&str]) -> Coordinator {
        let mut child = Command::new("ip")
            .args(["netns", "exec", nets.coordinator()])
            .arg(axvs_bin())
            .args(["run", "--status-interval", "1"])
            .args(if extra.contains(&"--session") {
                &[][..]
            } else {
                &["--session", "s"][..]
            })
            .args(extra)
            .arg(rig)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("axvs run");
        let lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        Coordinator {
            child,
            lines,
            seen: String::new(),
        }
    }

    /// Reads its standard error until a line holds `text`.
    fn wait_for(&mut self, text: &str) {
        for line in self.lines.by_ref() {
            let line = line.expect("read");
            self.seen += &line;
            self.seen.push('\n');
            if line.contains(text) {
                return;
            }
        }
        panic!("the coordinator ended before saying '{text}':\n{}", self.seen);
    }

    /// Waits for it to end: its exit code and the rest of its standard error.
    fn finish(mut self) -> (Option<i32>, String) {
        for line in self.lines.by_ref() {
            self.seen += &line.expect("read");
            self.seen.push('\n');
        }
        (self.child.wait().expect("wait").code(), self.seen)
    }
}

/// A rig of one camera on each host, the token in a file, and `extra` top-level keys.
fn host_rig(dir: &Path, hosts: usize, extra: &str) -> PathBuf {
    let mut rig = format!("output_dir = \"coordinator\"\n{extra}\n[encoder]\npreset = 1\n");
    std::fs::write(dir.join("token"), "token-0123456789-abcdef").expect("token");
    for i in 1..=hosts {
        rig += &format!(
            "[[host]]\nname = \"pc{i}\"\naddress = \"10.77.{i}.2:8765\"\ntoken_file = \"token\"\noutput_dir = \"{}\"\n\
             [[camera]]\nid = {i}\nname = \"cam{i}\"\nhost = \"pc{i}\"\nbackend = \"synthetic\"\nwidth = 96\nheight = 64\nfps = 20\n",
            dir.join(format!("host{i}/recordings")).display()
        );
    }
    let path = dir.join("rig.toml");
    std::fs::write(&path, rig).expect("rig");
    path
}

fn servers(nets: &Namespaces, dir: &Path, hosts: usize) -> Vec<HostServer> {
    (1..=hosts)
        .map(|i| {
            HostServer::start(
                nets.host(i),
                &format!("10.77.{i}.2:8765"),
                &dir.join(format!("host{i}")),
                "token-0123456789-abcdef",
            )
        })
        .collect()
}

/// The network to a host down for 10 s mid-run: the host records on to its own disk, the coordinator
/// reports the gap and stops it with the others once it is back; nothing is lost.
#[test]
fn a_host_cut_off_for_ten_seconds_records_on_and_the_gap_is_reported() {
    let Some(nets) = namespaces("cut", 1) else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let _servers = servers(&nets, dir.path(), 1);
    let rig = host_rig(dir.path(), 1, "");
    // 14 s of recording: the cut from the first status line (~1 s in) to ~11 s, then 3 s connected.
    let mut coordinator = Coordinator::start(&nets, dir.path(), &rig, &["--duration", "14"]);
    coordinator.wait_for("host 'pc1': saved");
    nets.link(1, "down");
    std::thread::sleep(std::time::Duration::from_secs(10));
    nets.link(1, "up");
    let (code, stderr) = coordinator.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("(it records on; retrying)") && stderr.contains("host 'pc1': reachable again"),
        "{stderr}"
    );
    let index = read_report(&dir.path().join("coordinator/s.rig.json"));
    let host = &index["hosts"][0];
    let gap = &host["gaps"][0];
    let (from, to) = (gap["from_s"].as_f64().expect("from"), gap["to_s"].as_f64().expect("to"));
    assert!((8.0..=14.0).contains(&(to - from)), "a gap of about 10 s: {gap}");
    // Recorded through the cut: about 14 s at 20 fps, every frame in video and log.
    let saved = counts_agree(&host["report"]["cameras"][0]);
    assert!(saved >= 230, "{saved} frames in 14 s at 20 fps");
}

/// The coordinator killed: its hosts stop by themselves when its lease runs out, their sessions finished
/// and sealed.
#[test]
fn hosts_of_a_killed_coordinator_stop_when_its_lease_runs_out() {
    let Some(nets) = namespaces("kill", 1) else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let _servers = servers(&nets, dir.path(), 1);
    let rig = host_rig(dir.path(), 1, "lease_s = 2");
    let mut coordinator = Coordinator::start(&nets, dir.path(), &rig, &[]);
    coordinator.wait_for("host 'pc1': saved");
    // A second coordinator is refused by the host already recording, by name.
    let (code, stderr) = Coordinator::start(&nets, dir.path(), &rig, &["--duration", "1", "--session", "u"]).finish();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("host 'pc1': start_video_session: a video session is already running"),
        "{stderr}"
    );
    assert!(axvs_tests::send_signal(coordinator.child.id(), "KILL"));
    let _ = coordinator.finish();
    let bag = dir.path().join("host1/recordings/s");
    // Sealed once stopped: bagit.txt is written last.
    axvs_tests::wait_until(
        "the host to stop and seal its session",
        std::time::Duration::from_secs(20),
        || bag.join("bagit.txt").is_file(),
    );
    let verify = Command::new(axvs_bin())
        .arg("verify")
        .arg(&bag)
        .output()
        .expect("axvs verify");
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    // A second coordinator finds the host free again.
    let (code, stderr) = Coordinator::start(&nets, dir.path(), &rig, &["--duration", "1", "--session", "t"]).finish();
    assert_eq!(code, Some(0), "{stderr}");
}

/// A host killed mid-run: the other finishes, the coordinator names the lost host with what it last saw,
/// and the host's files recover with `axvs recover`.
#[test]
fn a_killed_host_is_reported_and_its_files_recover() {
    let Some(nets) = namespaces("dead", 2) else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let mut servers = servers(&nets, dir.path(), 2);
    let rig = host_rig(dir.path(), 2, "lease_s = 2");
    let mut coordinator = Coordinator::start(&nets, dir.path(), &rig, &["--duration", "4"]);
    coordinator.wait_for("host 'pc2': saved");
    assert!(axvs_tests::send_signal(servers[1].child.id(), "KILL"));
    let _ = servers[1].child.wait();
    let (code, stderr) = coordinator.finish();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("host 'pc2'") && stderr.contains("last seen"),
        "{stderr}"
    );
    assert!(stderr.contains("axvs recover"), "{stderr}");
    let index = read_report(&dir.path().join("coordinator/s.rig.json"));
    // The other host recorded the whole run: the dead one held up neither its lease nor its stop.
    let saved = counts_agree(&index["hosts"][0]["report"]["cameras"][0]);
    assert!(saved >= 60, "{saved} frames in 4 s at 20 fps");
    assert!(index["hosts"][1]["report"].is_null(), "{index}");
    assert!(
        index["hosts"][1]["last_seen"]["cameras"][0][2]
            .as_u64()
            .is_some_and(|n| n > 0),
        "{index}"
    );
    let session = dir.path().join("host2/recordings/s");
    let recover = Command::new(axvs_bin())
        .arg("recover")
        .arg(&session)
        .output()
        .expect("axvs recover");
    assert!(recover.status.success(), "{}", String::from_utf8_lossy(&recover.stderr));
    let verify = Command::new(axvs_bin())
        .arg("verify")
        .arg(&session)
        .output()
        .expect("axvs verify");
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
}

/// Aravis' fake GigE Vision camera in a namespace, on that namespace's address, stopped when dropped.
struct FakeCamera {
    child: Child,
}

impl FakeCamera {
    fn start(namespace: &str, address: &str, serial: &str) -> FakeCamera {
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                namespace,
                "arv-fake-gv-camera-0.8",
                "-i",
                address,
                "-s",
                serial,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("arv-fake-gv-camera-0.8 (package aravis-tools)");
        axvs_tests::wait_until(
            "the fake camera to answer discovery in its namespace",
            std::time::Duration::from_secs(20),
            || {
                Command::new("ip")
                    .args(["netns", "exec", namespace])
                    .arg(axvs_bin())
                    .arg("discover")
                    .output()
                    .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(&format!("serial {serial}")))
            },
        );
        FakeCamera { child }
    }
}

impl Drop for FakeCamera {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Three hosts, two of them with Aravis' fake GigE camera on their own network and the third a synthetic
/// camera: the coordinator records them as one rig, every frame in video and log, each GigE camera's device
/// clock mapped on its host.
#[test]
fn fake_gige_cameras_on_two_of_three_hosts_record_as_one_rig() {
    let Some(nets) = namespaces("gige", 3) else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let _servers = servers(&nets, dir.path(), 3);
    let _cameras: Vec<FakeCamera> = (1..=2)
        .map(|i| FakeCamera::start(nets.host(i), &format!("10.77.{i}.2"), &format!("NETNS{i}")))
        .collect();
    let mut rig = String::from("output_dir = \"coordinator\"\n[encoder]\npreset = 1\n");
    std::fs::write(dir.path().join("token"), "token-0123456789-abcdef").expect("token");
    for i in 1..=3 {
        let camera = if i < 3 {
            format!("name = \"gige{i}\"\nbackend = \"genicam\"\nserial = \"NETNS{i}\"\n")
        } else {
            "name = \"synthetic3\"\nbackend = \"synthetic\"\n".to_string()
        };
        rig += &format!(
            "[[host]]\nname = \"pc{i}\"\naddress = \"10.77.{i}.2:8765\"\ntoken_file = \"token\"\noutput_dir = \"{}\"\n\
             [[camera]]\nid = {i}\nhost = \"pc{i}\"\n{camera}width = 320\nheight = 240\nfps = 20\n",
            dir.path().join(format!("host{i}/recordings")).display()
        );
    }
    let rig_path = dir.path().join("rig.toml");
    std::fs::write(&rig_path, rig).expect("rig");
    let (code, stderr) = Coordinator::start(&nets, dir.path(), &rig_path, &["--duration", "3"]).finish();
    assert_eq!(code, Some(0), "{stderr}");
    let index = read_report(&dir.path().join("coordinator/s.rig.json"));
    let hosts = index["hosts"].as_array().expect("hosts");
    assert_eq!(hosts.len(), 3);
    for (i, host) in hosts.iter().enumerate() {
        let camera = &host["report"]["cameras"][0];
        assert!(counts_agree(camera) >= 30, "{camera}");
        assert_eq!(camera["backend"], if i < 2 { "genicam" } else { "synthetic" });
        assert_eq!(camera["device_clock"]["problem"], serde_json::Value::Null, "{camera}");
    }
}
