//! Where tools may read and write: anywhere the user can (as the CLI), or with `--root`, only inside one
//! directory: no `..`, no absolute path outside it, no symbolic link that leads out of it.

use std::path::{Component, Path, PathBuf};

use super::args::{tool_error, ToolError};

/// The paths the tools may touch; the default: any path, the user's, as in the CLI.
#[derive(Debug, Clone, Default)]
pub struct PathPolicy {
    root: Option<PathBuf>,
}

impl PathPolicy {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_policy_takes_paths_as_given() {
        let paths = PathPolicy::default();
        assert_eq!(paths.root(), None);
        assert_eq!(paths.resolve("f", "../x").expect("as given"), Path::new("../x"));
        assert!(paths.resolve("f", "").is_err());
        assert!(paths.resolve("f", "a\0b").is_err());
    }

    #[test]
    fn confined_policy_refuses_every_way_out() {
        let root = tempfile::tempdir().expect("root");
        let outside = tempfile::tempdir().expect("outside");
        std::fs::create_dir(root.path().join("inside")).expect("dir");
        std::os::unix::fs::symlink(outside.path(), root.path().join("out")).expect("link");
        std::os::unix::fs::symlink(root.path().join("inside"), root.path().join("in")).expect("link");
        let paths = PathPolicy::confined(root.path()).expect("policy");
        let real = root.path().canonicalize().expect("canonical");
        assert_eq!(paths.root(), Some(real.as_path()));
        assert_eq!(
            paths.check("dir", &real.join("inside")).expect("inside"),
            real.join("inside")
        );
        assert!(paths.check("dir", outside.path()).is_err());
        assert_eq!(
            paths.resolve("f", "inside/new/file.mp4").expect("inside"),
            real.join("inside/new/file.mp4")
        );
        assert_eq!(
            paths.resolve("f", "in/x").expect("a link that stays"),
            real.join("in/x")
        );
        let absolute = real.join("inside").display().to_string();
        assert!(paths.resolve("f", &absolute).is_ok());
        for escape in ["..", "inside/../../x", "out", "out/new/file", "/etc/passwd"] {
            let e = paths.resolve("video_file", escape).expect_err(escape);
            assert!(e.0.starts_with("argument `video_file`: "), "{escape}: {e}");
        }
        let outside_abs = outside.path().display().to_string();
        assert!(paths.resolve("f", &outside_abs).is_err());
        assert!(PathPolicy::confined(&root.path().join("missing")).is_err());
    }
}
