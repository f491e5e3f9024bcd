//! A GenTL device's features: its GenApi description file, read through the producer's port URL, and
//! evaluated by `cameleon-genapi` (a GenApi parser and interpreter: SwissKnives, converters, selectors,
//! caching), with register reads and writes going through the producer's `GCReadPort`/`GCWritePort`.

use std::ffi::c_void;
use std::io::Read;

use cameleon_genapi::builder::GenApiBuilder;
use cameleon_genapi::interface::{IBoolean, ICategory, ICommand, IEnumeration, IFloat, IInteger, ISelector, IString};
use cameleon_genapi::store::{DefaultCacheStore, DefaultNodeStore, DefaultValueStore, NodeStore};
use cameleon_genapi::{Device, ValueCtxt};

use crate::ffi::{self, Functions, Handle};

/// `URL_INFO_URL`.
const URL_INFO_URL: i32 = 0;

/// Why a feature cannot be read or written; one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct GenApiError(pub String);

/// Reads and writes a device's registers through the producer.
struct Port {
    fns: Functions,
    port: Handle,
}

// SAFETY: the port handle is an opaque value; GenTL functions are thread-safe by the standard.
unsafe impl Send for Port {}

impl Device for Port {
    fn read_mem(&mut self, address: i64, buf: &mut [u8]) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let mut size = buf.len();
        // SAFETY: `buf` holds `size` bytes; the port is open.
        let code = unsafe { (self.fns.GCReadPort)(self.port, address as u64, buf.as_mut_ptr().cast(), &mut size) };
        if code != ffi::GC_ERR_SUCCESS {
            return Err(format!("GCReadPort at {address:#x}: {}", ffi::error_name(code)).into());
        }
        Ok(())
    }

    fn write_mem(&mut self, address: i64, data: &[u8]) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let mut size = data.len();
        // SAFETY: `data` holds `size` bytes; the port is open.
        let code = unsafe { (self.fns.GCWritePort)(self.port, address as u64, data.as_ptr().cast(), &mut size) };
        if code != ffi::GC_ERR_SUCCESS {
            return Err(format!("GCWritePort at {address:#x}: {}", ffi::error_name(code)).into());
        }
        Ok(())
    }
}

/// A device's node map.
pub struct NodeMap {
    port: Port,
    store: DefaultNodeStore,
    cx: ValueCtxt<DefaultValueStore, DefaultCacheStore>,
}

/// Where a description file is, from its port URL.
#[derive(Debug, PartialEq, Eq)]
enum Location {
    /// In the device's register map: file name, address, length.
    Local(String, u64, usize),
    /// On this machine.
    File(String),
}

/// Parses `local:[///]name.xml|zip;address;length[?...]` and `file:///path[?...]`.
fn parse_url(url: &str) -> Result<Location, GenApiError> {
    let bad = |why: &str| GenApiError(format!("GenApi description URL '{url}': {why}"));
    let url = url.split('?').next().unwrap_or(url);
    if let Some(rest) = url
        .get(..6)
        .filter(|s| s.eq_ignore_ascii_case("local:"))
        .map(|_| &url[6..])
    {
        let mut parts = rest.trim_start_matches('/').split(';');
        let name = parts.next().unwrap_or_default().to_string();
        let hex = |s: Option<&str>| {
            s.map(|s| s.trim_start_matches("0x").trim_start_matches("0X"))
                .and_then(|s| u64::from_str_radix(s, 16).ok())
        };
        let address = hex(parts.next()).ok_or_else(|| bad("no hexadecimal address"))?;
        let length = hex(parts.next()).ok_or_else(|| bad("no hexadecimal length"))?;
        return Ok(Location::Local(name, address, length as usize));
    }
    if let Some(path) = url
        .get(..5)
        .filter(|s| s.eq_ignore_ascii_case("file:"))
        .map(|_| &url[5..])
    {
        let path = path.strip_prefix("//").unwrap_or(path);
        return Ok(Location::File(path.to_string()));
    }
    Err(bad("only local: and file: descriptions are supported (not http:)"))
}

/// The XML text of a description file's bytes (a ZIP archive's first `.xml` member, or the XML itself).
fn xml_text(name: &str, bytes: Vec<u8>) -> Result<String, GenApiError> {
    let bytes = if name.to_ascii_lowercase().ends_with(".zip") || bytes.starts_with(b"PK\x03\x04") {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| GenApiError(format!("description archive {name}: {e}")))?;
        let index = (0..archive.len())
            .find(|&i| {
                archive
                    .by_index(i)
                    .is_ok_and(|f| f.name().to_ascii_lowercase().ends_with(".xml"))
            })
            .ok_or_else(|| GenApiError(format!("description archive {name} holds no .xml file")))?;
        let mut xml = Vec::new();
        archive
            .by_index(index)
            .and_then(|mut f| f.read_to_end(&mut xml).map_err(Into::into))
            .map_err(|e| GenApiError(format!("description archive {name}: {e}")))?;
        xml
    } else {
        bytes
    };
    String::from_utf8(bytes).map_err(|_| GenApiError(format!("description {name} is not UTF-8 text")))
}

impl NodeMap {
    /// Reads the description file of the device behind `port` and builds its node map.
    pub(crate) fn load(fns: Functions, port: Handle) -> Result<NodeMap, GenApiError> {
        let mut kind = 0i32;
        let mut size = 0usize;
        // SAFETY: size query with a null buffer, on an open port.
        let code = unsafe { (fns.GCGetPortURLInfo)(port, 0, URL_INFO_URL, &mut kind, std::ptr::null_mut(), &mut size) };
        if code != ffi::GC_ERR_SUCCESS {
            return Err(GenApiError(format!("GCGetPortURLInfo: {}", ffi::error_name(code))));
        }
        let mut buf = vec![0u8; size.max(1)];
        // SAFETY: `buf` holds `size` bytes.
        let code = unsafe {
            (fns.GCGetPortURLInfo)(
                port,
                0,
                URL_INFO_URL,
                &mut kind,
                buf.as_mut_ptr().cast::<c_void>(),
                &mut size,
            )
        };
        if code != ffi::GC_ERR_SUCCESS {
            return Err(GenApiError(format!("GCGetPortURLInfo: {}", ffi::error_name(code))));
        }
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        let url = String::from_utf8_lossy(&buf[..end]).into_owned();
        let mut device = Port { fns, port };
        let xml = match parse_url(&url)? {
            Location::Local(name, address, length) => {
                let mut bytes = vec![0u8; length];
                device
                    .read_mem(address as i64, &mut bytes)
                    .map_err(|e| GenApiError(format!("reading the description {name}: {e}")))?;
                xml_text(&name, bytes)?
            }
            Location::File(path) => {
                let bytes = std::fs::read(&path).map_err(|e| GenApiError(format!("description file {path}: {e}")))?;
                xml_text(&path, bytes)?
            }
        };
        let (_, store, cx) = GenApiBuilder::<DefaultNodeStore, DefaultValueStore, DefaultCacheStore>::default()
            .build(&xml)
            .map_err(|e| GenApiError(format!("the device's GenApi description: {e}")))?;
        Ok(NodeMap {
            port: device,
            store,
            cx,
        })
    }

    fn id(&self, name: &str) -> Result<cameleon_genapi::store::NodeId, GenApiError> {
        self.store
            .id_by_name(name)
            .ok_or_else(|| GenApiError(format!("the camera has no node {name}")))
    }

    /// Whether the camera has this node.
    pub fn has(&self, name: &str) -> bool {
        self.store.id_by_name(name).is_some()
    }

    /// An integer feature's value.
    pub fn integer(&mut self, name: &str) -> Result<i64, GenApiError> {
        let node = self
            .id(name)?
            .as_iinteger_kind(&self.store)
            .ok_or_else(|| not(name, "an integer"))?;
        node.value(&mut self.port, &self.store, &mut self.cx)
            .map_err(|e| failed(name, e))
    }

    /// Sets an integer feature.
    pub fn set_integer(&mut self, name: &str, value: i64) -> Result<(), GenApiError> {
        let node = self
            .id(name)?
            .as_iinteger_kind(&self.store)
            .ok_or_else(|| not(name, "an integer"))?;
        node.set_value(value, &mut self.port, &self.store, &mut self.cx)
            .map_err(|e| failed(name, e))
    }

    /// A float feature's value.
    pub fn float(&mut self, name: &str) -> Result<f64, GenApiError> {
        let node = self
            .id(name)?
            .as_ifloat_kind(&self.store)
            .ok_or_else(|| not(name, "a float"))?;
        node.value(&mut self.port, &self.store, &mut self.cx)
            .map_err(|e| failed(name, e))
    }

    /// Sets a float feature.
    pub fn set_float(&mut self, name: &str, value: f64) -> Result<(), GenApiError> {
        let node = self
            .id(name)?
            .as_ifloat_kind(&self.store)
            .ok_or_else(|| not(name, "a float"))?;
        node.set_value(value, &mut self.port, &self.store, &mut self.cx)
            .map_err(|e| failed(name, e))
    }

    /// An enumeration's current entry, by its symbolic name.
    pub fn enumeration(&mut self, name: &str) -> Result<String, GenApiError> {
        let node = self
            .id(name)?
            .as_ienumeration_kind(&self.store)
            .ok_or_else(|| not(name, "an enumeration"))?;
        let entry = node
            .current_entry(&mut self.port, &self.store, &mut self.cx)
            .map_err(|e| failed(name, e))?;
        entry
            .expect_enum_entry(&self.store)
            .map(|e| e.symbolic().to_string())
            .map_err(|e| failed(name, e))
    }

    /// Sets an enumeration by an entry's symbolic name; names the entries on a miss.
    pub fn set_enumeration(&mut self, name: &str, symbolic: &str) -> Result<(), GenApiError> {
        let node = self
            .id(name)?
            .as_ienumeration_kind(&self.store)
            .ok_or_else(|| not(name, "an enumeration"))?;
        if node.entry_by_symbolic(symbolic, &self.store).is_none() {
            let entries: Vec<String> = node
                .entries(&self.store)
                .iter()
                .filter_map(|e| e.expect_enum_entry(&self.store).ok().map(|e| e.symbolic().to_string()))
                .collect();
            return Err(GenApiError(format!(
                "{name} has no entry {symbolic} (entries: {})",
                entries.join(", ")
            )));
        }
        node.set_entry_by_symbolic(symbolic, &mut self.port, &self.store, &mut self.cx)
            .map_err(|e| failed(name, e))
    }

    /// Runs a command feature.
    pub fn execute(&mut self, name: &str) -> Result<(), GenApiError> {
        let node = self
            .id(name)?
            .as_icommand_kind(&self.store)
            .ok_or_else(|| not(name, "a command"))?;
        node.execute(&mut self.port, &self.store, &mut self.cx)
            .map_err(|e| failed(name, e))
    }
}

/// The kinds of value node axvs reads and writes as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An integer.
    Integer,
    /// A float.
    Float,
    /// A boolean.
    Boolean,
    /// A string.
    String,
    /// An enumeration (read and written by its entries' symbolic names).
    Enumeration,
}

impl NodeMap {
    /// The kind of value node `name` is, if it is one.
    pub fn kind(&self, name: &str) -> Option<Kind> {
        let id = self.store.id_by_name(name)?;
        if id.as_ienumeration_kind(&self.store).is_some() {
            Some(Kind::Enumeration)
        } else if id.as_iinteger_kind(&self.store).is_some() {
            Some(Kind::Integer)
        } else if id.as_ifloat_kind(&self.store).is_some() {
            Some(Kind::Float)
        } else if id.as_iboolean_kind(&self.store).is_some() {
            Some(Kind::Boolean)
        } else if id.as_istring_kind(&self.store).is_some() {
            Some(Kind::String)
        } else {
            None
        }
    }

    /// The features of category `name`, if it is one.
    pub fn category(&self, name: &str) -> Option<Vec<String>> {
        let category = self.store.id_by_name(name)?.as_icategory_kind(&self.store)?;
        Some(
            category
                .nodes(&self.store)
                .iter()
                .filter_map(|id| self.store.name_by_id(*id).map(str::to_string))
                .collect(),
        )
    }

    /// Whether value node `name` can be written now.
    pub fn is_writable(&mut self, name: &str) -> bool {
        let Some(id) = self.store.id_by_name(name) else {
            return false;
        };
        let kind = self.kind(name);
        let (port, store, cx) = (&mut self.port, &self.store, &mut self.cx);
        let writable = match kind {
            Some(Kind::Enumeration) => id.as_ienumeration_kind(store).map(|n| n.is_writable(port, store, cx)),
            Some(Kind::Integer) => id.as_iinteger_kind(store).map(|n| n.is_writable(port, store, cx)),
            Some(Kind::Float) => id.as_ifloat_kind(store).map(|n| n.is_writable(port, store, cx)),
            Some(Kind::Boolean) => id.as_iboolean_kind(store).map(|n| n.is_writable(port, store, cx)),
            Some(Kind::String) => id.as_istring_kind(store).map(|n| n.is_writable(port, store, cx)),
            None => None,
        };
        matches!(writable, Some(Ok(true)))
    }

    /// A value node's value as text (an enumeration's entry by its symbolic name).
    pub fn read_text(&mut self, name: &str) -> Result<String, GenApiError> {
        match self.kind(name).ok_or_else(|| not(name, "a value node"))? {
            Kind::Enumeration => self.enumeration(name),
            Kind::Integer => self.integer(name).map(|v| v.to_string()),
            Kind::Float => self.float(name).map(|v| v.to_string()),
            Kind::Boolean => {
                let node = self
                    .id(name)?
                    .as_iboolean_kind(&self.store)
                    .ok_or_else(|| not(name, "a boolean"))?;
                node.value(&mut self.port, &self.store, &mut self.cx)
                    .map(|v| v.to_string())
                    .map_err(|e| failed(name, e))
            }
            Kind::String => {
                let node = self
                    .id(name)?
                    .as_istring_kind(&self.store)
                    .ok_or_else(|| not(name, "a string"))?;
                node.value(&mut self.port, &self.store, &mut self.cx)
                    .map_err(|e| failed(name, e))
            }
        }
    }

    /// Writes a value node from text.
    pub fn write_text(&mut self, name: &str, value: &str) -> Result<(), GenApiError> {
        let bad = |what: &str| GenApiError(format!("'{value}' is not {what}"));
        match self.kind(name).ok_or_else(|| not(name, "a value node"))? {
            Kind::Enumeration => self.set_enumeration(name, value),
            Kind::Integer => self.set_integer(name, value.trim().parse().map_err(|_| bad("an integer"))?),
            Kind::Float => self.set_float(name, value.trim().parse().map_err(|_| bad("a number"))?),
            Kind::Boolean => {
                let v = match value.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" => false,
                    _ => return Err(bad("a boolean (true/false, 1/0, yes/no)")),
                };
                let node = self
                    .id(name)?
                    .as_iboolean_kind(&self.store)
                    .ok_or_else(|| not(name, "a boolean"))?;
                node.set_value(v, &mut self.port, &self.store, &mut self.cx)
                    .map_err(|e| failed(name, e))
            }
            Kind::String => {
                let node = self
                    .id(name)?
                    .as_istring_kind(&self.store)
                    .ok_or_else(|| not(name, "a string"))?;
                node.set_value(value.to_string(), &mut self.port, &self.store, &mut self.cx)
                    .map_err(|e| failed(name, e))
            }
        }
    }

    /// An enumeration's entries' symbolic names (empty for other nodes).
    pub fn entries(&self, name: &str) -> Vec<String> {
        let Some(node) = self
            .store
            .id_by_name(name)
            .and_then(|id| id.as_ienumeration_kind(&self.store))
        else {
            return Vec::new();
        };
        node.entries(&self.store)
            .iter()
            .filter_map(|e| e.expect_enum_entry(&self.store).ok().map(|e| e.symbolic().to_string()))
            .collect()
    }

    /// The nodes selector `name` selects (empty when it is no selector).
    pub fn selected(&self, name: &str) -> Vec<String> {
        let Some(selector) = self
            .store
            .id_by_name(name)
            .and_then(|id| id.as_iselector_kind(&self.store))
        else {
            return Vec::new();
        };
        selector
            .selecting_nodes(&self.store)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| self.store.name_by_id(*id).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn not(name: &str, kind: &str) -> GenApiError {
    GenApiError(format!("node {name} is not {kind}"))
}

fn failed(name: &str, e: impl std::fmt::Display) -> GenApiError {
    GenApiError(format!("{name}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_urls_name_where_the_description_is() {
        assert_eq!(
            parse_url("local:///Viky.zip;7000000;1F64B?SchemaVersion=1.1.0"),
            Ok(Location::Local("Viky.zip".into(), 0x7000000, 0x1f64b))
        );
        assert_eq!(
            parse_url("Local:cam.xml;0x10;0x20"),
            Ok(Location::Local("cam.xml".into(), 0x10, 0x20))
        );
        assert_eq!(
            parse_url("file:///opt/cam.xml"),
            Ok(Location::File("/opt/cam.xml".into()))
        );
        assert!(parse_url("http://example.com/cam.xml").is_err());
        assert!(parse_url("local:cam.xml;zz;10").is_err());
    }
}
