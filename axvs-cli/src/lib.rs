//! The library behind the `axvs` command: rig files, camera backends, recording sessions and the MCP server.
//!
//! `axvs run` and `axvs mcp` are two faces of the same [`session::Session`]: a rig becomes running camera
//! systems, saving turns on and off, a status snapshot is read, and a stop writes the archives and returns
//! the final report. Nothing in this library prints; status and errors are data.

pub mod backends;
pub mod capacity;
pub mod mcp;
pub mod memory;
pub mod nodes;
pub mod recovery;
pub mod requirements;
pub mod rig;
pub mod session;
pub mod space;
