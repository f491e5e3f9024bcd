//! JSON-RPC framing over standard input and output, in front of the MCP server: every line the client sends
//! gets an answer. Lines that are not JSON (or too long, or too deeply nested) are answered with a parse
//! error (-32700), JSON that is not a JSON-RPC message with an invalid request (-32600), and an MCP method
//! called with parameters that do not fit it with invalid params (-32602); the rest goes to the server.

use rmcp::model::{ClientJsonRpcMessage, ClientRequest, JsonRpcMessage};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// The longest line read; a longer one is answered with a parse error and skipped.
pub const MAX_LINE: usize = 16 << 20;
/// JSON-RPC's codes for what is refused here.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const INVALID_PARAMS: i64 = -32602;

/// The MCP methods a client may call, which the server knows: a call of one whose parameters do not fit
/// it is invalid params, not an unknown method.
const METHODS: &[&str] = &[
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/read",
    "resources/templates/list",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
];

/// The answer to one line (one message), when it does not go to the server.
pub(crate) fn refusal(line: &[u8]) -> Option<Value> {
    let error = |id: Value, code: i64, message: String| {
        Some(json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}))
    };
    let value: Value = match serde_json::from_slice(line) {
        Ok(value) => value,
        Err(e) => return error(Value::Null, PARSE_ERROR, format!("Parse error: {e}")),
    };
    let Some(message) = value.as_object() else {
        let what = if value.is_array() {
            "a batch (MCP 2025-06-18 has none): send one message per line"
        } else {
            "not a JSON-RPC message object"
        };
        return error(Value::Null, INVALID_REQUEST, format!("Invalid request: {what}"));
    };
    let id = message.get("id").cloned();
    if let Some(id) = &id {
        if !(id.is_string() || id.is_i64() || id.is_u64() || id.is_null()) {
            return error(
                Value::Null,
                INVALID_REQUEST,
                "Invalid request: an id is a string or an integer".into(),
            );
        }
    }
    let id = id.unwrap_or(Value::Null);
    if message.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return error(
            id,
            INVALID_REQUEST,
            "Invalid request: \"jsonrpc\" must be \"2.0\"".into(),
        );
    }
    let method = match message.get("method") {
        None if message.contains_key("result") || message.contains_key("error") => return None,
        Some(Value::String(method)) => method.clone(),
        _ => return error(id, INVALID_REQUEST, "Invalid request: no \"method\" string".into()),
    };
    if !message.contains_key("id") || !METHODS.contains(&method.as_str()) {
        return None;
    }
    // A known method that the server's types read as an unknown one: its parameters do not fit.
    match serde_json::from_value::<ClientJsonRpcMessage>(value) {
        Ok(JsonRpcMessage::Request(request)) if !matches!(request.request, ClientRequest::CustomRequest(_)) => None,
        Ok(_) => error(
            id,
            INVALID_PARAMS,
            format!("Invalid params: the params of `{method}` do not fit its schema (MCP 2025-06-18)"),
        ),
        Err(e) => error(id, INVALID_PARAMS, format!("Invalid params for `{method}`: {e}")),
    }
}

/// Reads one line of at most [`MAX_LINE`] bytes into `line` (newline excluded); `Ok(None)` at the end of
/// the input, `Ok(Some(false))` for a line that was longer (the rest is skipped).
async fn read_line<R: AsyncRead + Unpin>(
    input: &mut BufReader<R>,
    line: &mut Vec<u8>,
) -> std::io::Result<Option<bool>> {
    line.clear();
    let mut fits = true;
    loop {
        let buf = input.fill_buf().await?;
        if buf.is_empty() {
            return Ok((!line.is_empty() || !fits).then_some(fits));
        }
        let (take, end) = match buf.iter().position(|&b| b == b'\n') {
            Some(at) => (at, true),
            None => (buf.len(), false),
        };
        if fits && line.len() + take <= MAX_LINE {
            line.extend_from_slice(&buf[..take]);
        } else {
            fits = false;
            line.clear();
        }
        input.consume(take + usize::from(end));
        if end {
            return Ok(Some(fits));
        }
    }
}

/// Passes the client's lines from `input` to the server's end `server`, answering the ones it refuses on
/// `replies`; ends (closing the server's input) at the end of `input`.
pub async fn filter_input<R, W>(input: R, mut server: W, replies: mpsc::Sender<Vec<u8>>)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut input = BufReader::new(input);
    let mut line = Vec::new();
    while let Ok(Some(fits)) = read_line(&mut input, &mut line).await {
        if line.iter().all(u8::is_ascii_whitespace) && fits {
            continue;
        }
        let refused = if fits {
            refusal(&line)
        } else {
            Some(json!({"jsonrpc": "2.0", "id": null, "error": {"code": PARSE_ERROR,
                "message": format!("Parse error: a line longer than {MAX_LINE} bytes")}}))
        };
        match refused {
            Some(answer) => {
                let mut text = answer.to_string().into_bytes();
                text.push(b'\n');
                if replies.send(text).await.is_err() {
                    return;
                }
            }
            None => {
                line.push(b'\n');
                if server.write_all(&line).await.is_err() {
                    return;
                }
            }
        }
    }
    let _ = server.shutdown().await;
}

/// Copies the server's lines from `server` to `replies`, one message each.
pub async fn forward_output<R: AsyncRead + Unpin>(server: R, replies: mpsc::Sender<Vec<u8>>) {
    let mut server = BufReader::new(server);
    loop {
        let mut line = Vec::new();
        match server.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                if replies.send(line).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Writes every message of `replies` to `output`, whole, in order.
pub async fn write_output<W: AsyncWrite + Unpin>(mut output: W, mut replies: mpsc::Receiver<Vec<u8>>) {
    while let Some(line) = replies.recv().await {
        if output.write_all(&line).await.is_err() || output.flush().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(line: &[u8]) -> Option<i64> {
        refusal(line).map(|answer| answer["error"]["code"].as_i64().expect("a code"))
    }

    #[test]
    fn every_line_is_answered_with_the_right_code() {
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#), None);
        assert_eq!(code(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#), None);
        assert_eq!(
            code(br#"{"jsonrpc":"2.0","id":1,"method":"no/such"}"#),
            None,
            "the server's -32601"
        );
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":1,"result":{}}"#), None);
        assert_eq!(code(b"not json"), Some(PARSE_ERROR));
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":8,"#), Some(PARSE_ERROR));
        assert_eq!(
            code(b"{\"jsonrpc\":\"2.0\",\"id\":\"\xff\xfe\",\"method\":\"ping\"}"),
            Some(PARSE_ERROR)
        );
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(code(deep.as_bytes()), Some(PARSE_ERROR));
        assert_eq!(code(br#"{"foo":1}"#), Some(INVALID_REQUEST));
        assert_eq!(code(b"[1,2]"), Some(INVALID_REQUEST));
        assert_eq!(code(b"42"), Some(INVALID_REQUEST));
        assert_eq!(
            code(br#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#),
            Some(INVALID_REQUEST)
        );
        assert_eq!(
            code(br#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#),
            Some(INVALID_REQUEST)
        );
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":1,"method":5}"#), Some(INVALID_REQUEST));
        assert_eq!(
            code(br#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":5}}"#),
            Some(INVALID_PARAMS)
        );
        assert_eq!(
            code(br#"{"jsonrpc":"2.0","id":6,"method":"tools/call"}"#),
            Some(INVALID_PARAMS)
        );
        let answer = refusal(br#"{"jsonrpc":"2.0","id":"x\u0000y","method":"tools/call"}"#).expect("refused");
        assert_eq!(answer["id"], "x\u{0}y", "the id comes back as sent");
    }

    #[tokio::test]
    async fn long_lines_are_skipped_with_a_parse_error_and_the_next_goes_through() {
        let mut input = vec![b'x'; MAX_LINE + 10];
        input.extend_from_slice(b"\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n");
        let (tx, mut rx) = mpsc::channel(4);
        let mut passed = Vec::new();
        filter_input(input.as_slice(), &mut passed, tx).await;
        let answer: Value = serde_json::from_slice(&rx.recv().await.expect("an answer")).expect("json");
        assert_eq!(answer["error"]["code"], PARSE_ERROR);
        assert_eq!(passed, b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n");
    }
}
