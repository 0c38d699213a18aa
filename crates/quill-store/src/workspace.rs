use std::path::{Path, PathBuf};

use crate::{Config, Db, Error, Result, atomic_write};

/// Name of the settings file at a workspace's root.
pub const CONFIG_FILE: &str = "quill.toml";
/// Folder inside the workspace holding Quill's own data.
pub const DATA_DIR: &str = ".quill";
/// The database file inside [`DATA_DIR`].
pub const DB_FILE: &str = "quill.db";

/// A creator's workspace: a root folder, its settings, and the path to its database.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    config: Config,
}

impl Workspace {
    /// Creates a workspace in `dir` (created if missing): `quill.toml` and `.quill/quill.db`.
    ///
    /// Refuses to overwrite an existing workspace, so `init` run twice never loses settings.
    pub fn init(dir: &Path, name: Option<&str>) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
        let root = dir.canonicalize().map_err(|e| Error::io("resolving", dir, e))?;
        let cfg_path = root.join(CONFIG_FILE);
        if cfg_path.exists() {
            return Err(Error::AlreadyExists(root));
        }
        let name = name.map(str::to_string).unwrap_or_else(|| {
            root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "workspace".into())
        });
        let data = root.join(DATA_DIR);
        std::fs::create_dir_all(&data).map_err(|e| Error::io("creating", &data, e))?;
        atomic_write(&cfg_path, crate::config::template(&name).as_bytes())?;
        let ws = Self::open(&root)?;
        ws.open_db()?; // creates the database and applies the migrations now, not on first use
        Ok(ws)
    }

    /// Opens the workspace rooted exactly at `root`.
    pub fn open(root: &Path) -> Result<Self> {
        let cfg_path = root.join(CONFIG_FILE);
        if !cfg_path.is_file() {
            return Err(Error::NotFound { start: root.to_path_buf() });
        }
        let config = Config::load(&cfg_path)?;
        Ok(Self { root: root.to_path_buf(), config })
    }

    /// Finds the workspace from `start` upward, like git finds a repository.
    pub fn discover(start: &Path) -> Result<Self> {
        let start_abs = start.canonicalize().map_err(|e| Error::io("resolving", start, e))?;
        let mut dir: Option<&Path> = Some(&start_abs);
        while let Some(d) = dir {
            if d.join(CONFIG_FILE).is_file() && d.join(DATA_DIR).is_dir() {
                return Self::open(d);
            }
            dir = d.parent();
        }
        Err(Error::NotFound { start: start_abs })
    }

    /// The lookup every command uses: `-C DIR` if given, else `$QUILL_WORKSPACE`, else discovery
    /// from the current folder.
    pub fn locate(explicit: Option<&Path>) -> Result<Self> {
        if let Some(dir) = explicit {
            return Self::discover(dir);
        }
        if let Some(env) = std::env::var_os("QUILL_WORKSPACE").filter(|v| !v.is_empty()) {
            return Self::discover(Path::new(&env));
        }
        let cwd = std::env::current_dir().map_err(|e| Error::io("reading", ".", e))?;
        Self::discover(&cwd)
    }

    /// The workspace's root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The parsed `quill.toml`.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Path of `quill.toml`, for error messages.
    pub fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    /// `.quill/` — where crates keep files that do not belong in SQLite (adapters, run folders).
    pub fn data_dir(&self) -> PathBuf {
        self.root.join(DATA_DIR)
    }

    /// Path of the SQLite database.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir().join(DB_FILE)
    }

    /// Opens the database (creating it and applying migrations as needed).
    pub fn open_db(&self) -> Result<Db> {
        Db::open(&self.db_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_then_discover_from_subfolder() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::init(&dir.path().join("client-a"), None).unwrap();
        assert_eq!(ws.config().workspace.name, "client-a");
        let sub = ws.root().join("drafts/2025");
        std::fs::create_dir_all(&sub).unwrap();
        let found = Workspace::discover(&sub).unwrap();
        assert_eq!(found.root(), ws.root());
        assert!(found.db_path().is_file());
    }

    #[test]
    fn init_twice_refuses() {
        let dir = tempfile::tempdir().unwrap();
        Workspace::init(dir.path(), Some("x")).unwrap();
        assert!(matches!(Workspace::init(dir.path(), Some("y")), Err(Error::AlreadyExists(_))));
    }

    #[test]
    fn not_found_has_hint() {
        let dir = tempfile::tempdir().unwrap();
        let err = Workspace::discover(dir.path()).unwrap_err();
        assert!(err.to_string().contains("quill init"));
    }
}
