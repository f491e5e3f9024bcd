//! `axvs mcp`: the MCP server. AI agents discover cameras, check the machine, run recording sessions (one
//! rig at a time, through the same [`Session`](axvs_session::session::Session) as `axvs run`) and read the results.
//!
//! Every tool has an input schema with ranges (enforced as declared) and an output schema; a result is
//! structured JSON with a short text, and a failed call is a tool error with one message naming the bad
//! argument. Served over stdio, or streamable HTTP ([`http`]).

pub mod args;
mod batches;
pub mod coordinator;
pub mod http;
pub mod paths;
pub mod sessions;
pub mod stdio;
pub mod tools;

use std::sync::Arc;

use rmcp::handler::server::tool::schema_for_type;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, ListToolsResult,
    PaginatedRequestParams, ProgressNotificationParam, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use args::ToolError;
use axvs_session::capacity::CapacityReport;
use paths::PathPolicy;
use sessions::Sessions;
use tools::*;

/// What the server shares across connections: the session, and where paths may go.
#[derive(Clone)]
pub struct AxvsMcp {
    sessions: Sessions,
    batches: batches::Batches,
    paths: Arc<PathPolicy>,
}

impl AxvsMcp {
    /// A server whose tools touch only paths `paths` allows.
    pub fn new(paths: PathPolicy) -> Self {
        AxvsMcp {
            sessions: Sessions::default(),
            batches: batches::Batches::default(),
            paths: Arc::new(paths),
        }
    }

    /// Stops the running session, if any, finishing its files: the server is going away.
    pub fn shutdown(&self) -> Option<axvs_session::session::SessionReport> {
        self.batches.shutdown();
        self.sessions.stop(&mut |_| {}).ok()
    }
}

/// One tool: its name, what it does, and its schemas.
fn tool<I: JsonSchema + 'static, O: JsonSchema + 'static>(
    name: &'static str,
    description: &'static str,
    read_only: bool,
) -> Tool {
    let annotations = ToolAnnotations::new().read_only(read_only);
    Tool::new(name, description, schema_for_type::<I>())
        .with_output_schema::<O>()
        .with_annotations(annotations)
}

/// Every tool the server offers.
pub fn tool_list() -> Vec<Tool> {
    use axvs_session::requirements::{CtiStatus, Requirements};
    vec![
        tool::<ListCamerasArgs, CameraList>(
            "list_cameras",
            "List the cameras this machine can open, backend by backend (OpenCV, GenICam through Aravis, plugins).",
            true,
        ),
        tool::<NoArgs, CtiStatus>(
            "get_cti_status",
            "The GenTL producer (.cti) the gentl backend uses: where it comes from, whether it loads, its devices.",
            true,
        ),
        tool::<SetCtiArgs, CtiSet>(
            "set_cti_file",
            "Choose the GenTL producer (.cti) for GenICam cameras through GenTL; checked to load, then stored.",
            false,
        ),
        tool::<NoArgs, Requirements>(
            "check_runtime_requirements",
            "What this machine can record with: FFmpeg versions, each encoder opened for real (CPU and NVENC per \
             GPU, with the reason when it cannot), OpenCV, GStreamer, Aravis, the GenTL producer, plugins.",
            true,
        ),
        tool::<CheckRigArgs, RigChecked>(
            "check_rig",
            "Check a rig (rig_file, or rig_toml inline) as a run checks it before writing anything: each camera's \
             settings, frames against the encoder, queues against memory, output folders, free space; as `axvs \
             check RIG`.",
            true,
        ),
        tool::<ReadFilePartArgs, FilePart>(
            "read_file_part",
            "Read part of a file under the server's root (offset, length up to 4 MiB; base64): how a coordinator \
             copies a host's session (axvs collect), each file checked against the session's manifest.",
            true,
        ),
        tool::<NoArgs, HostClockRead>(
            "read_host_clock",
            "This host's time (when the request arrived, and when the answer left) and its clock's state: whether \
             an NTP or PTP daemon keeps it synchronised, its estimated and maximum error. With the caller's send \
             and receive times, an NTP-style measurement of the two clocks' offset.",
            true,
        ),
        tool::<CapacityArgs, CapacityReport>(
            "check_rig_capacity",
            "Whether this machine keeps up with a rig (rig_file, or rig_toml inline): each camera's frames encoded \
             for a moment with its size, format and encoder settings; cores needed against cores available, the \
             headroom, and which cameras drop first. Refused while a session records.",
            true,
        ),
        tool::<StartSessionArgs, SessionStarted>(
            "start_video_session",
            "Start recording: a whole rig (rig_file, or rig_toml inline) or one camera (interface, camera_index, \
             width, height, frame_rate, encoder settings, output_directory). One session at a time.",
            false,
        ),
        tool::<NoArgs, axvs_session::session::SessionReport>(
            "stop_video_session",
            "Stop the session: drain every queue, finish the videos, write the timestamp archives; returns the \
             final figures per camera. Sends progress notifications.",
            false,
        ),
        tool::<SavingArgs, SavingState>(
            "start_frame_saving",
            "Start saving frames (every camera, or camera_id); acquisition runs either way.",
            false,
        ),
        tool::<SavingArgs, SavingState>(
            "stop_frame_saving",
            "Stop saving frames (every camera, or camera_id); the cameras go on acquiring.",
            false,
        ),
        tool::<NoArgs, sessions::StatusSnapshot>(
            "get_session_status",
            "The session's state and live counters per camera (fps, acquired, saved, lost, queue), its warnings, \
             and its report when it stopped by itself.",
            true,
        ),
        tool::<ReadNodeArgs, NodesRead>(
            "read_genicam_node",
            "Read one GenICam node of a camera (described in full), or every writable node and its value.",
            true,
        ),
        tool::<WriteNodeArgs, NodeWritten>(
            "write_genicam_node",
            "Write a GenICam node of a camera and read the value back.",
            false,
        ),
        tool::<DumpArgs, Dumped>(
            "dump_genicam_config",
            "Save a camera's writable GenICam nodes to a YAML file (the original's format).",
            false,
        ),
        tool::<LoadArgs, Loaded>(
            "load_genicam_config",
            "Apply a GenICam YAML configuration to a camera.",
            false,
        ),
        tool::<ManifestArgs, ManifestRead>(
            "read_camera_manifest",
            "Read a recording's camera manifest (camera_manifest.yaml): source ids and names.",
            true,
        ),
        tool::<VerifyArgs, SessionsVerified>(
            "verify_session",
            "Check sessions against their certificates (each session folder is a BagIt bag): every file whole and \
             unchanged (missing, truncated, altered, extra files) and each camera's counts adding up.",
            true,
        ),
        tool::<ExportNwbArgs, NwbExported>(
            "export_nwb",
            "Export a session to one NWB 2.x file for DANDI: each camera an ImageSeries naming its videos, with \
             every frame's acquisition time from the log; the device and the session's metadata.",
            false,
        ),
        tool::<FindArgs, RecordingsFound>(
            "find_recordings",
            "Find every recording under a directory: manifests, and each camera's log, archive and videos.",
            true,
        ),
        tool::<VideoArgs, VideoReport>(
            "validate_video_file",
            "Check a video file through FFmpeg's libraries: codec, size, pixel format, frames (counted, right for \
             fragmented variable-rate MP4), duration, bit rate.",
            true,
        ),
        tool::<TimestampsArgs, TimestampsExtracted>(
            "extract_timestamps",
            "Extract every saved frame's time (µs since the UNIX epoch) from a camera's log or archive; \
             optionally write them to .csv or .npy.",
            false,
        ),
        tool::<BatchArgs, BatchPrepared>(
            "prepare_log_processing_batch",
            "Find every recording under some directories and the timestamp-extraction jobs of its cameras \
             (the original's job ids), with each job's status in its tracker; writes nothing.",
            true,
        ),
        tool::<ExecuteArgs, BatchStarted>(
            "execute_log_processing_jobs",
            "Run a processing batch in the background (as `axvs process`): each camera's frame times to \
             camera_timestamps/camera_<id>_timestamps.feather, tracked in camera_processing_tracker.yaml; jobs \
             that succeeded before are skipped unless force. One batch at a time.",
            false,
        ),
        tool::<NoArgs, BatchStatus>(
            "get_log_processing_status",
            "Progress of the processing batch: every job's status and error, counts, entries read per second.",
            true,
        ),
        tool::<NoArgs, BatchCanceled>(
            "cancel_log_processing",
            "Stop the processing batch from starting new jobs; jobs under way finish their files.",
            false,
        ),
        tool::<StatsArgs, axvs_log::stats::StatsReport>(
            "analyze_camera_frame_statistics",
            "Per camera: frames, duration, fps, inter-frame intervals, gaps and estimated dropped frames (the \
             original's definition, jitter compensated), exact drops from device frame ids, and the run's own \
             counters when its report is beside the logs.",
            true,
        ),
        tool::<AssembleArgs, Assembled>(
            "assemble_log_archives",
            "The original's step after a recording: check that every camera log of a directory has its archive \
             (<id>_log.npz; axvs writes each when its camera stops, from a log that agrees with its video), and \
             list them; a log without one is from a run that did not finish (axvs recover).",
            true,
        ),
        tool::<ManifestWriteArgs, ManifestWritten>(
            "write_camera_manifest",
            "Add a camera (or rename it) in a recording's camera manifest (camera_manifest.yaml), made when missing.",
            false,
        ),
        tool::<DiscoverDataArgs, CameraDataFound>(
            "discover_camera_data",
            "Every camera with a timestamp archive under a root, counted by source id and name; filter by \
             source_ids or name, list them (include_items; detailed adds archive, video and timestamps table), \
             paged (limit, start_row).",
            true,
        ),
        tool::<CleanArgs, Cleaned>(
            "clean_log_processing_output",
            "Delete processing outputs (each directory's camera_timestamps/: tables and tracker) so that a batch \
             runs again from scratch. Refused while a batch runs.",
            false,
        ),
        tool::<OverviewArgs, Overview>(
            "get_batch_status_overview",
            "Every processing output under a root, labelled from its tracker (not_started, in_progress, \
             processing, completed, failed), with job counts; filter by statuses, list (include_items, detailed), \
             paged.",
            true,
        ),
        tool::<NoArgs, Timing>(
            "get_log_processing_timing",
            "When each job of the processing batch started and ended (from its tracker), and the batch's elapsed \
             time, counts and jobs per hour.",
            true,
        ),
        tool::<ResetArgs, ResetResult>(
            "reset_log_processing_jobs",
            "Set jobs of a processing tracker (every job, or source_ids) back to scheduled, their errors and \
             times cleared, so that the next batch runs them again. Refused while a batch runs.",
            false,
        ),
        tool::<SyncArgs, SyncReports>(
            "camera_sync_report",
            "How a recording's cameras line up: onset offsets, measured rates and drift against a reference, \
             and for cameras at the same rate the pairing of frames by time (offsets, frames without partner).",
            true,
        ),
    ]
}

/// Parses the arguments and runs a synchronous tool on a blocking thread.
async fn run<I, O>(
    arguments: Map<String, Value>,
    f: impl FnOnce(I) -> Reply<O> + Send + 'static,
) -> Result<(String, Value), ToolError>
where
    I: DeserializeOwned + JsonSchema + Send + 'static,
    O: Serialize + Send + 'static,
{
    let input: I = args::parse(arguments)?;
    let (text, output) = tokio::task::spawn_blocking(move || f(input))
        .await
        .map_err(|e| ToolError(format!("the tool failed unexpectedly: {e}")))??;
    let value = serde_json::to_value(output).map_err(|e| ToolError(format!("encoding the result: {e}")))?;
    Ok((text, value))
}

impl AxvsMcp {
    async fn call(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        context: &RequestContext<RoleServer>,
    ) -> Result<(String, Value), ToolError> {
        let paths = Arc::clone(&self.paths);
        let sessions = self.sessions.clone();
        let batches = self.batches.clone();
        // The original's names: each tool with `_tool` appended (listed once, under axvs' name).
        let name = name.strip_suffix("_tool").unwrap_or(name);
        match name {
            "list_cameras" => run(arguments, list_cameras).await,
            "get_cti_status" => run(arguments, get_cti_status).await,
            "set_cti_file" => run(arguments, move |a| set_cti_file(&paths, a)).await,
            "check_runtime_requirements" => run(arguments, check_runtime_requirements).await,
            "check_rig" => run(arguments, move |a| check_rig(&paths, a)).await,
            "read_file_part" => run(arguments, move |a| read_file_part(&paths, a)).await,
            "read_host_clock" => {
                let received = axvs_session::host_clock::utc_now_ns();
                run(arguments, move |_: NoArgs| read_host_clock(received)).await
            }
            "check_rig_capacity" => run(arguments, move |a| check_rig_capacity(&paths, &sessions, a)).await,
            "start_video_session" => run(arguments, move |a| start_video_session(&paths, &sessions, a)).await,
            "stop_video_session" => self.stop(arguments, context).await,
            "start_frame_saving" => run(arguments, move |a| set_saving(&sessions, a, true)).await,
            "stop_frame_saving" => run(arguments, move |a| set_saving(&sessions, a, false)).await,
            "get_session_status" => run(arguments, move |a| get_session_status(&sessions, a)).await,
            "read_genicam_node" => run(arguments, read_genicam_node).await,
            "verify_session" => run(arguments, move |a| verify_session(&paths, a)).await,
            "export_nwb" => run(arguments, move |a| export_nwb(&paths, a)).await,
            "write_genicam_node" => run(arguments, write_genicam_node).await,
            "dump_genicam_config" => run(arguments, move |a| dump_genicam_config(&paths, a)).await,
            "load_genicam_config" => run(arguments, move |a| load_genicam_config(&paths, a)).await,
            "read_camera_manifest" => run(arguments, move |a| read_camera_manifest(&paths, a)).await,
            "find_recordings" => run(arguments, move |a| find_recordings(&paths, a)).await,
            "validate_video_file" => run(arguments, move |a| validate_video_file(&paths, a)).await,
            "extract_timestamps" => run(arguments, move |a| extract_timestamps(&paths, a)).await,
            "prepare_log_processing_batch" => run(arguments, move |a| prepare_log_processing_batch(&paths, a)).await,
            "execute_log_processing_jobs" => {
                run(arguments, move |a| execute_log_processing_jobs(&paths, &batches, a)).await
            }
            "get_log_processing_status" => run(arguments, move |a| get_log_processing_status(&batches, a)).await,
            "cancel_log_processing" => run(arguments, move |a| cancel_log_processing(&batches, a)).await,
            "analyze_camera_frame_statistics" => {
                run(arguments, move |a| analyze_camera_frame_statistics(&paths, a)).await
            }
            "camera_sync_report" => run(arguments, move |a| camera_sync_report(&paths, a)).await,
            "assemble_log_archives" => run(arguments, move |a| assemble_log_archives(&paths, a)).await,
            "write_camera_manifest" => run(arguments, move |a| write_camera_manifest(&paths, a)).await,
            "discover_camera_data" => run(arguments, move |a| discover_camera_data(&paths, a)).await,
            "clean_log_processing_output" => {
                run(arguments, move |a| clean_log_processing_output(&paths, &batches, a)).await
            }
            "get_batch_status_overview" => run(arguments, move |a| get_batch_status_overview(&paths, a)).await,
            "get_log_processing_timing" => run(arguments, move |a| get_log_processing_timing(&batches, a)).await,
            "reset_log_processing_jobs" => {
                run(arguments, move |a| reset_log_processing_jobs(&paths, &batches, a)).await
            }
            other => Err(ToolError(format!(
                "unknown tool '{other}' (tools: {})",
                tool_list()
                    .iter()
                    .map(|t| t.name.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// `stop_video_session`, with a progress notification for each camera stopped and archive written.
    async fn stop(
        &self,
        arguments: Map<String, Value>,
        context: &RequestContext<RoleServer>,
    ) -> Result<(String, Value), ToolError> {
        let NoArgs {} = args::parse(arguments)?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<axvs_session::session::Progress>();
        let sessions = self.sessions.clone();
        let stopping = tokio::task::spawn_blocking(move || sessions.stop(&mut |p| drop(tx.send(p))));
        let token = context.meta.get_progress_token();
        while let Some(step) = rx.recv().await {
            if let Some(token) = &token {
                let note = ProgressNotificationParam::new(token.clone(), step.done as f64)
                    .with_total(step.total as f64)
                    .with_message(step.message);
                // A client that went away misses its progress; the stop goes on.
                let _ = context.peer.notify_progress(note).await;
            }
        }
        let report = stopping
            .await
            .map_err(|e| ToolError(format!("stopping failed unexpectedly: {e}")))??;
        let text = report_text(&report);
        let value = serde_json::to_value(&report).map_err(|e| ToolError(format!("encoding the result: {e}")))?;
        Ok((text, value))
    }
}

impl ServerHandler for AxvsMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("axvs", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "axvs records many cameras at once with a timestamp logged for every saved frame. Check the machine \
                 (check_runtime_requirements) and whether it keeps up with a rig (check_rig_capacity), find cameras (list_cameras), start a session from a rig or one \
                 camera (start_video_session), watch it (get_session_status), switch saving \
                 (start_frame_saving / stop_frame_saving), stop it (stop_video_session), then read the results \
                 (find_recordings, validate_video_file, extract_timestamps).",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tool_list()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tool_list().into_iter().find(|t| t.name == name)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let arguments = request.arguments.unwrap_or_default();
        let result = match self.call(&request.name, arguments, &context).await {
            Ok((text, value)) => {
                let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
                result.structured_content = Some(value);
                result
            }
            Err(e) => CallToolResult::error(vec![ContentBlock::text(e.0)]),
        };
        Ok(result.into())
    }
}

/// Serves the tools over standard input and output until the client closes them or `shutdown` completes (a
/// signal); a running session is then stopped and its files finished before returning.
pub async fn serve_stdio(server: AxvsMcp, shutdown: impl std::future::Future<Output = ()>) -> Result<(), String> {
    use rmcp::ServiceExt;
    tokio::pin!(shutdown);
    // Every line the client sends is answered: the framing in front of the server answers the ones it
    // cannot take (see `stdio`), and one writer puts every answer on standard output whole.
    let (client_in, server_in) = tokio::io::duplex(1 << 20);
    let (server_out, client_out) = tokio::io::duplex(1 << 20);
    let (replies, to_write) = tokio::sync::mpsc::channel(64);
    tokio::spawn(stdio::filter_input(tokio::io::stdin(), client_in, replies.clone()));
    tokio::spawn(stdio::forward_output(client_out, replies));
    let writer = tokio::spawn(stdio::write_output(tokio::io::stdout(), to_write));
    // A signal before the client's first message ends the server too.
    let running = tokio::select! {
        running = server.clone().serve((server_in, server_out)) => {
            running.map_err(|e| format!("starting the MCP server: {e}"))?
        }
        () = &mut shutdown => return Ok(()),
    };
    let token = running.cancellation_token();
    let waiting = running.waiting();
    tokio::pin!(waiting);
    let waited = tokio::select! {
        waited = &mut waiting => waited,
        () = shutdown => {
            token.cancel();
            waiting.await
        }
    };
    let _ = tokio::task::spawn_blocking(move || server.shutdown()).await;
    // The last answers reach the client (a client that keeps its input open holds the framing's end, so
    // this waits a moment, not for it).
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), writer).await;
    waited.map(drop).map_err(|e| format!("MCP server: {e}"))
}
