//! A rig's `[[host]]` tables: the PCs whose cameras a coordinator drives through their control servers
//! (`axvs mcp --http`). A camera with `host = "name"` is configured and validated by that host, not here:
//! the host has the camera's SDK and device; the coordinator sends it the rig's shared tables and its
//! cameras, as a rig of its own.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

/// Keys of the rig's top level that every host's rig shares.
const SHARED_KEYS: [&str; 5] = ["encoder", "queue_depth", "overflow", "min_free_space", "session"];

/// A `[[host]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HostTable {
    name: Spanned<String>,
    address: Spanned<String>,
    token_file: Option<Spanned<String>>,
    token_env: Option<Spanned<String>>,
    output_dir: Option<String>,
}

/// One host of a rig, ready to drive.
#[derive(Debug, Clone)]
pub struct HostSpec {
    /// Its name in the rig.
    pub name: String,
    /// Its control server's endpoint (`http://ADDR:PORT/mcp`).
    pub url: String,
    /// The bearer token its server wants, from `token_file` or `token_env`.
    pub token: Option<String>,
    /// The rig the host runs: the shared tables and its cameras.
    pub rig_toml: String,
    /// Its cameras: id and name.
    pub cameras: Vec<(u8, String)>,
    /// `file:line:column` of its table, for messages.
    pub location: String,
}

/// An error at a span of the rig text.
pub(super) type Located = (Option<std::ops::Range<usize>>, String);

/// The hosts of `tables`, checked (unique names, a usable address, a readable token); `base` resolves a
/// relative `token_file`.
pub(super) fn hosts(
    tables: &[Spanned<HostTable>],
    base: &Path,
    location: impl Fn(std::ops::Range<usize>) -> String,
) -> Result<Vec<HostSpec>, Located> {
    let mut out: Vec<HostSpec> = Vec::new();
    for table in tables {
        let host = table.get_ref();
        let name = host.name.get_ref().trim().to_string();
        if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
            return Err((
                Some(host.name.span()),
                format!("host name '{name}': a plain name (it names the host's folder in `axvs collect`)"),
            ));
        }
        if let Some(first) = out.iter().find(|h| h.name == name) {
            return Err((
                Some(host.name.span()),
                format!(
                    "host name '{name}' is used twice (first at {}); names must be unique",
                    first.location
                ),
            ));
        }
        let url = endpoint(host.address.get_ref()).map_err(|e| (Some(host.address.span()), e))?;
        let token = match (&host.token_file, &host.token_env) {
            (Some(_), Some(env)) => {
                return Err((Some(env.span()), "give token_file or token_env, not both".into()));
            }
            (Some(file), None) => {
                let path = base.join(file.get_ref());
                let text = axvs_core::read_text_file(&path)
                    .map_err(|e| (Some(file.span()), format!("token_file {}: {e}", path.display())))?;
                Some(text.trim().to_string())
            }
            (None, Some(env)) => Some(std::env::var(env.get_ref()).map_err(|_| {
                (
                    Some(env.span()),
                    format!("token_env: the environment variable {} is not set", env.get_ref()),
                )
            })?),
            (None, None) => None,
        };
        if token.as_deref().is_some_and(str::is_empty) {
            return Err((Some(table.span()), format!("host '{name}': its token is empty")));
        }
        out.push(HostSpec {
            name,
            url,
            token,
            rig_toml: String::new(),
            cameras: Vec::new(),
            location: location(table.span()),
        });
    }
    Ok(out)
}

/// `http://ADDR:PORT/mcp` from an address (`ADDR:PORT`, or a URL of the server or its endpoint).
fn endpoint(address: &str) -> Result<String, String> {
    let address = address.trim().trim_end_matches('/');
    let rest = address.strip_prefix("http://").unwrap_or(address);
    if address.starts_with("https://") {
        return Err(
            "address: axvs' control server speaks plain HTTP (put TLS in front of it, and give that \
                    proxy's http:// address)"
                .into(),
        );
    }
    let authority = rest.strip_suffix(MCP_PATH).unwrap_or(rest);
    let (host, port) = authority
        .rsplit_once(':')
        .ok_or_else(|| format!("address '{address}': expected HOST:PORT (axvs mcp --http's address)"))?;
    if host.is_empty() || host.contains('/') || port.parse::<u16>().is_err() {
        return Err(format!(
            "address '{address}': expected HOST:PORT (axvs mcp --http's address)"
        ));
    }
    Ok(format!("http://{authority}{MCP_PATH}"))
}

/// The control server's endpoint path (`axvs mcp --http`).
pub const MCP_PATH: &str = "/mcp";

/// Fills each host's rig: the shared top-level keys of `rig` (its whole table), the host's `output_dir`,
/// and `cameras` (each camera's table, without its `host` key, with the host's name).
pub(super) fn host_rigs(
    hosts: &mut [HostSpec],
    tables: &[Spanned<HostTable>],
    rig: &toml::Table,
    cameras: Vec<(String, u8, String, toml::Table)>,
) -> Result<(), String> {
    for (host, table) in hosts.iter_mut().zip(tables) {
        let mut text = toml::Table::new();
        for key in SHARED_KEYS {
            if let Some(value) = rig.get(key) {
                text.insert(key.to_string(), value.clone());
            }
        }
        if let Some(dir) = &table.get_ref().output_dir {
            text.insert("output_dir".into(), toml::Value::String(dir.clone()));
        }
        let mine: Vec<toml::Value> = cameras
            .iter()
            .filter(|(h, ..)| *h == host.name)
            .map(|(_, id, name, table)| {
                host.cameras.push((*id, name.clone()));
                toml::Value::Table(table.clone())
            })
            .collect();
        if mine.is_empty() {
            return Err(format!(
                "host '{}' ({}) has no camera: give one `host = \"{}\"`",
                host.name, host.location, host.name
            ));
        }
        text.insert("camera".into(), toml::Value::Array(mine));
        host.rig_toml = toml::to_string(&text).map_err(|e| format!("host '{}': {e}", host.name))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_become_the_control_servers_endpoint() {
        for given in [
            "10.0.0.2:8765",
            "http://10.0.0.2:8765",
            "http://10.0.0.2:8765/",
            "http://10.0.0.2:8765/mcp",
        ] {
            assert_eq!(endpoint(given).as_deref(), Ok("http://10.0.0.2:8765/mcp"), "{given}");
        }
        assert_eq!(endpoint("rig-pc.lab:9000").as_deref(), Ok("http://rig-pc.lab:9000/mcp"));
        for bad in ["10.0.0.2", "https://x:1", ":80", "a:b", "a/b:80", "x:99999"] {
            assert!(endpoint(bad).is_err(), "{bad}");
        }
    }
}
