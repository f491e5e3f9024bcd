//! Recording sessions: a rig file becomes running camera systems, saving turns on and off, a status snapshot
//! is read, and a stop writes the archives and returns the final report.
//!
//! `axvs run`, the MCP server and any Rust program drive the same [`session::Session`]. Beside it: the rig
//! file ([`rig`]), the backends it names ([`backends`]), what the machine can record with ([`requirements`],
//! [`capacity`], [`memory`], [`space`]) and the reconciliation of a killed run ([`recovery`]). Nothing in this
//! crate prints; status and errors are data.
//!
//! ```no_run
//! use axvs_session::backends::Backends;
//! use axvs_session::rig::Rig;
//! use axvs_session::session::{Session, SessionOptions};
//!
//! let rig = Rig::load("rig.toml".as_ref(), &mut Backends::builtin())?;
//! let mut session = Session::start(rig, SessionOptions::default())?;
//! for _ in 0..50 {
//!     std::thread::sleep(std::time::Duration::from_millis(200));
//!     if session.poll().stop.is_some() {
//!         break; // a disk ran low
//!     }
//! }
//! let report = session.stop(&mut |step| eprintln!("{}/{} {}", step.done, step.total, step.message));
//! eprintln!("{} frames saved in {}", report.saved(), report.session_dir.display());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod backends;
pub mod capacity;
pub mod certificate;
pub mod host_clock;
pub mod memory;
pub mod nodes;
pub mod quick;
pub mod recovery;
pub mod requirements;
pub mod rig;
pub mod session;
pub mod space;
