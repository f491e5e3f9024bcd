//! The tools: each an input type (its JSON schema, with ranges, is what clients see and what `args::parse`
//! enforces), an output type (its schema is the tool's output schema), and a function that calls the same
//! library code as the matching `axvs` command.

mod files;
mod genicam;
mod integrity;
mod machine;
mod processing;
mod recordings;
mod session;

pub use files::*;
pub use genicam::*;
pub use integrity::*;
pub use machine::*;
pub use processing::*;
pub use recordings::*;
pub use session::*;

use schemars::JsonSchema;
use serde::Deserialize;

use super::args::ToolError;

/// A tool's reply: a short text for people and the structured result.
pub type Reply<T> = Result<(String, T), ToolError>;

/// No arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}
