//! The MCP server over streamable HTTP: bound to loopback unless told otherwise, a bearer token required
//! off loopback, and the `Origin` header checked as the MCP specification asks (browsers' cross-site requests
//! and DNS rebinding are refused).

use std::future::Future;
use std::net::SocketAddr;

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use super::AxvsMcp;

/// The path the MCP endpoint is served at.
pub const ENDPOINT: &str = axvs_session::rig::MCP_PATH;

/// How to serve over HTTP.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Where to listen.
    pub addr: SocketAddr,
    /// The bearer token every request must carry (`Authorization: Bearer <token>`); required off loopback.
    pub token: Option<String>,
    /// Browser origins allowed besides the loopback ones (e.g. `https://app.example.org`).
    pub allowed_origins: Vec<String>,
}

/// Why the HTTP server could not serve.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// Off loopback without a token.
    #[error("--http {0}: not a loopback address, so a bearer token is required (--token or AXVS_MCP_TOKEN)")]
    TokenRequired(SocketAddr),
    /// The token is unusable.
    #[error("the bearer token must be at least 16 visible ASCII characters")]
    WeakToken,
    /// The address cannot be bound.
    #[error("--http {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("serving MCP over HTTP: {0}")]
    Serve(std::io::Error),
}

/// Binds `options.addr` and serves until `shutdown` completes; then stops a running session. `bound` hears
/// the address actually bound (port 0 picks a free one).
pub async fn serve(
    server: AxvsMcp,
    options: HttpOptions,
    bound: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HttpError> {
    let loopback = options.addr.ip().is_loopback();
    if let Some(token) = &options.token {
        if token.len() < 16 || !token.chars().all(|c| c.is_ascii_graphic()) {
            return Err(HttpError::WeakToken);
        }
    } else if !loopback {
        return Err(HttpError::TokenRequired(options.addr));
    }
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .map_err(|source| HttpError::Bind {
            addr: options.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(HttpError::Serve)?;
    let cancel = CancellationToken::new();
    let mut origins: Vec<String> = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]
        .into_iter()
        .map(String::from)
        .collect();
    origins.extend(options.allowed_origins.iter().cloned());
    let mut config = StreamableHttpServerConfig::default()
        .with_cancellation_token(cancel.child_token())
        .with_allowed_origins(origins)
        .enforce_origin_validation();
    if !loopback {
        // Host names a remote client uses are not known here; the token guards this server instead.
        config = if addr.ip().is_unspecified() {
            config.disable_allowed_hosts()
        } else {
            config.with_allowed_hosts(["localhost".to_string(), "127.0.0.1".into(), addr.ip().to_string()])
        };
    }
    let factory = server.clone();
    let service: StreamableHttpService<AxvsMcp, LocalSessionManager> =
        StreamableHttpService::new(move || Ok(factory.clone()), Default::default(), config);
    let token = options.token.clone();
    let router = axum::Router::new()
        .nest_service(ENDPOINT, service)
        .layer(axum::middleware::from_fn(check_body))
        .layer(axum::middleware::from_fn(move |request: Request, next: Next| {
            let token = token.clone();
            async move { authorize(token.as_deref(), request, next).await }
        }));
    bound(addr);
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown.await;
            cancel.cancel();
        })
        .await;
    let _ = tokio::task::spawn_blocking(move || server.shutdown()).await;
    served.map_err(HttpError::Serve)
}

/// The largest request body read; a larger one is refused (413).
const MAX_BODY: usize = super::stdio::MAX_LINE;

/// Answers a POST whose body is not JSON, or not a JSON-RPC message, with 400 and the JSON-RPC error
/// (parse error, invalid request), as the framing over stdio does; the rest goes on to the server.
async fn check_body(request: Request, next: Next) -> Response {
    if request.method() != axum::http::Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("axvs mcp: a request body is at most {MAX_BODY} bytes"),
        )
            .into_response();
    };
    if let Some(answer) =
        super::stdio::refusal(&bytes).filter(|a| matches!(a["error"]["code"].as_i64(), Some(-32700 | -32600)))
    {
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            answer.to_string(),
        )
            .into_response();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// Lets a request through when no token is set, or when it carries `Authorization: Bearer <token>` (the
/// scheme in any case, as RFC 7235 has it).
async fn authorize(token: Option<&str>, request: Request, next: Next) -> Response {
    if let Some(expected) = token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim_start());
        if !given.is_some_and(|given| same(given.as_bytes(), expected.as_bytes())) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "axvs mcp: a bearer token is required (Authorization: Bearer <token>)",
            )
                .into_response();
        }
    }
    next.run(request).await
}

/// Compares without stopping at the first difference, so that timing does not tell how much matched.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
