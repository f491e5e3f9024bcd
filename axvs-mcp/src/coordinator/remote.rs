//! One host of a rig as the coordinator reaches it: an MCP client session with its control server
//! (`axvs mcp --http`), calling the same tools an agent calls.

use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{RoleClient, ServiceExt};
use serde::de::DeserializeOwned;
use std::time::Duration;

use serde_json::Value;

use axvs_session::rig::HostSpec;

use super::CoordinatorError;

/// A connected host.
pub(super) struct Remote {
    /// The host as the rig gives it.
    pub(super) spec: HostSpec,
    /// The axvs version its server runs.
    pub(super) version: String,
    client: RunningService<RoleClient, ()>,
}

impl Remote {
    /// Connects to the host's control server and checks it runs this axvs.
    pub(super) async fn connect(spec: HostSpec) -> Result<Remote, CoordinatorError> {
        let mut config = StreamableHttpClientTransportConfig::with_uri(spec.url.clone());
        if let Some(token) = &spec.token {
            config = config.auth_header(token.clone());
        }
        let transport = StreamableHttpClientTransport::from_config(config);
        let unreachable = |reason: String| CoordinatorError::Unreachable {
            host: spec.name.clone(),
            url: spec.url.clone(),
            reason,
        };
        let limit = Duration::from_secs(super::CALL_TIMEOUT_S);
        let client = tokio::time::timeout(limit, ().serve(transport))
            .await
            .map_err(|_| unreachable(format!("no answer within {} s", limit.as_secs())))?
            .map_err(|e| unreachable(e.to_string()))?;
        let version = client
            .peer_info()
            .and_then(|info| info.server_info.as_ref().map(|s| s.version.clone()))
            .unwrap_or_default();
        if version != env!("CARGO_PKG_VERSION") {
            return Err(CoordinatorError::Version {
                host: spec.name.clone(),
                theirs: version,
                ours: env!("CARGO_PKG_VERSION").into(),
            });
        }
        Ok(Remote { spec, version, client })
    }

    /// Calls `tool` with `arguments` and returns its structured result; a tool's error names the host. A
    /// call without an answer within [`CALL_TIMEOUT_S`](super::CALL_TIMEOUT_S) fails (the host may be
    /// unreachable for now).
    pub(super) async fn call<T: DeserializeOwned>(
        &self,
        tool: &'static str,
        arguments: Value,
    ) -> Result<T, CoordinatorError> {
        self.call_within(tool, arguments, Duration::from_secs(super::CALL_TIMEOUT_S))
            .await
    }

    /// Calls a tool that takes long (a capacity probe): as [`call`](Self::call), within
    /// [`STOP_TIMEOUT_S`](super::STOP_TIMEOUT_S).
    pub(super) async fn call_long<T: DeserializeOwned>(
        &self,
        tool: &'static str,
        arguments: Value,
    ) -> Result<T, CoordinatorError> {
        self.call_within(tool, arguments, Duration::from_secs(super::STOP_TIMEOUT_S))
            .await
    }

    /// Stops the host's session and returns its report.
    pub(super) async fn stop(&self) -> Result<Value, CoordinatorError> {
        self.call_within(
            "stop_video_session",
            serde_json::json!({}),
            Duration::from_secs(super::STOP_TIMEOUT_S),
        )
        .await
    }

    /// Calls `tool`, waiting at most `limit` for the answer.
    pub(super) async fn call_within<T: DeserializeOwned>(
        &self,
        tool: &'static str,
        arguments: Value,
        limit: Duration,
    ) -> Result<T, CoordinatorError> {
        let error = |reason: String| CoordinatorError::Tool {
            host: self.spec.name.clone(),
            tool,
            reason,
        };
        let mut params = CallToolRequestParams::new(tool);
        if let Value::Object(map) = arguments {
            params = params.with_arguments(map);
        }
        let result = tokio::time::timeout(limit, self.client.call_tool(params))
            .await
            .map_err(|_| error(format!("no answer within {:.0} s", limit.as_secs_f64())))?
            .map_err(|e| error(e.to_string()))?;
        if result.is_error == Some(true) {
            let text: Vec<String> = result
                .content
                .iter()
                .filter_map(|c| c.as_text().map(|t| t.text.clone()))
                .collect();
            return Err(error(text.join(" ")));
        }
        let value = result
            .structured_content
            .ok_or_else(|| error("the tool returned no structured result".into()))?;
        serde_json::from_value(value).map_err(|e| error(format!("its result: {e}")))
    }

    /// Ends the MCP session.
    pub(super) async fn close(self) {
        let _ = self.client.cancel().await;
    }
}
