//! axvs end to end, against the real components: one module per area, one test binary for all of them.
//!
//! One binary, not one per file: a change in a crate the tests use compiles and links it once instead of
//! twenty-one times (each of 36 MB, 33 MB of it its own copy of the dependencies' line tables), and
//! cargo-nextest still runs every test in a process of its own. `.config/nextest.toml` picks tests by these
//! modules' names (`test(/^genicam::/)`).

mod bad_rigs;
mod bench;
mod book;
mod capacity;
mod cli_run;
mod data_safety;
mod device_clock;
mod genicam;
mod gentl;
mod integrity;
mod live_view;
mod mcp;
mod multihost;
mod nwb;
mod opencv;
mod plugins;
mod process;
mod python;
mod recording;
mod workspace;
mod yaml_compat;
