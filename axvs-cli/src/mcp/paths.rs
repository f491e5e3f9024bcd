//! Where tools may read and write: anywhere the user can (as the CLI), or with `--root`, only inside one
//! directory: no `..`, no absolute path outside it, no symbolic link that leads out of it.

use std::path::{Component, Path, PathBuf};

use super::args::{tool_error, ToolError};

/// The paths the tools may touch.
#[derive(Debug, Clone, Default)]
pub struct PathPolicy {
    root: Option<PathBuf>,
}

impl PathPolicy {
    /// Paths are the user's, as in the CLI.
    pub fn open() -> Self {
        PathPolicy { root: None }
    }

    /// Every path must lie inside `root` (an existing directory); relative paths are taken from it.
    pub fn confined(root: &Path) -> Result<Self, String> {
        let root = root
            .canonicalize()
            .map_err(|e| format!("--root {}: {e}", root.display()))?;
        if !root.is_dir() {
            return Err(format!("--root {}: not a directory", root.display()));
        }
        Ok(PathPolicy { root: Some(root) })
    }

    /// The root, when paths are confined.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// Resolves the path a client gave for argument `arg`; refused when it leaves the root.
    pub fn resolve(&self, arg: &str, given: &str) -> Result<PathBuf, ToolError> {
        if given.is_empty() || given.contains('\0') {
            return Err(tool_error!("argument `{arg}`: not a usable path: {given:?}"));
        }
        let path = Path::new(given);
        let Some(root) = &self.root else {
            return Ok(path.to_path_buf());
        };
        let outside = || {
            tool_error!(
                "argument `{arg}`: {given} is outside the server's root {}",
                root.display()
            )
        };
        if path.components().any(|c| c == Component::ParentDir) {
            return Err(tool_error!(
                "argument `{arg}`: {given}: `..` is not allowed (paths stay inside the server's root)"
            ));
        }
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            root.join(path)
        };
        if !joined.starts_with(root) {
            return Err(outside());
        }
        // The deepest part that exists must, with every link followed, still be inside the root; what does
        // not exist yet will be created under it.
        let mut existing = joined.as_path();
        loop {
            if std::fs::symlink_metadata(existing).is_ok() {
                let real = existing
                    .canonicalize()
                    .map_err(|_| tool_error!("argument `{arg}`: {given}: a link in it leads nowhere"))?;
                if !real.starts_with(root) {
                    return Err(tool_error!(
                        "argument `{arg}`: {given} leads outside the server's root {} (through a symbolic link)",
                        root.display()
                    ));
                }
                break;
            }
            match existing.parent() {
                Some(parent) => existing = parent,
                None => break,
            }
        }
        Ok(joined)
    }

    /// Checks that a path taken from elsewhere (a rig file's `output_dir`) stays inside the root.
    pub fn check(&self, what: &str, path: &Path) -> Result<PathBuf, ToolError> {
        let text = path.to_string_lossy();
        self.resolve(what, &text)
    }
}
