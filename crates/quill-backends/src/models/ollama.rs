//! The Ollama model store, read in place.
//!
//! Layout (`$OLLAMA_MODELS`, default `~/.ollama/models`):
//! ```text
//! manifests/<host>/<namespace>/<model>/<tag>     JSON: {"layers": [{"mediaType", "digest", "size"}, ...]}
//! blobs/sha256-<hex>                             content-addressed files; the model layer is a GGUF
//! ```
//! A name is `[host/][namespace/]model[:tag]` with defaults `registry.ollama.ai`, `library`,
//! `latest`, exactly as Ollama parses it. The layer whose mediaType is
//! `application/vnd.ollama.image.model` is the GGUF; Quill opens that blob directly, so a model
//! a creator already pulled with Ollama costs no disk space.
//!
//! `pull` speaks the registry protocol (`/v2/<ns>/<model>/manifests/<tag>`, `/v2/<ns>/<model>/blobs/<digest>`)
//! and verifies every blob against its digest. The registry base defaults to
//! `https://<host>` and can be overridden with `$QUILL_OLLAMA_REGISTRY` (a mirror, or a test server).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::download::{self, Progress};
use super::{ModelEntry, ModelError, Result, SourceKind};

/// Default registry host.
pub const DEFAULT_HOST: &str = "registry.ollama.ai";
/// Default namespace.
pub const DEFAULT_NAMESPACE: &str = "library";
/// Default tag.
pub const DEFAULT_TAG: &str = "latest";
/// mediaType of the GGUF layer.
pub const MODEL_MEDIA_TYPE: &str = "application/vnd.ollama.image.model";
/// mediaType of the manifest itself (docker v2 schema 2, which Ollama uses).
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// A parsed Ollama model name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OllamaName {
    /// Registry host.
    pub host: String,
    /// Namespace (`library` for official models).
    pub namespace: String,
    /// Model.
    pub model: String,
    /// Tag.
    pub tag: String,
}

fn valid_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 80
        && s != "."
        && s != ".."
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl OllamaName {
    /// Parses `[host/][namespace/]model[:tag]`. Only the characters Ollama allows are accepted,
    /// which also keeps a name from escaping the store with `..` or an absolute path.
    pub fn parse(s: &str) -> Result<Self> {
        let invalid = |message: &str| ModelError::InvalidName { name: s.to_string(), message: message.to_string() };
        let s = s.trim();
        let (path, tag) = match s.rfind(':') {
            Some(i) if !s[i..].contains('/') => (&s[..i], &s[i + 1..]),
            _ => (s, DEFAULT_TAG),
        };
        let parts: Vec<&str> = path.split('/').collect();
        let (host, namespace, model) = match parts.as_slice() {
            [m] => (DEFAULT_HOST, DEFAULT_NAMESPACE, *m),
            [ns, m] => (DEFAULT_HOST, *ns, *m),
            [h, ns, m] => (*h, *ns, *m),
            _ => return Err(invalid("expected [host/][namespace/]model[:tag]")),
        };
        let host_ok = !host.is_empty()
            && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
            && host != "."
            && host != "..";
        if !host_ok || !valid_part(namespace) || !valid_part(model) || !valid_part(tag) {
            return Err(invalid("names use letters, digits, '_', '-' and '.'; example: llama3.2:1b"));
        }
        Ok(Self { host: host.into(), namespace: namespace.into(), model: model.into(), tag: tag.into() })
    }

    /// The short form Ollama prints: `model:tag` for official models.
    pub fn display(&self) -> String {
        match (self.host.as_str(), self.namespace.as_str()) {
            (DEFAULT_HOST, DEFAULT_NAMESPACE) => format!("{}:{}", self.model, self.tag),
            (DEFAULT_HOST, ns) => format!("{ns}/{}:{}", self.model, self.tag),
            (h, ns) => format!("{h}/{ns}/{}:{}", self.model, self.tag),
        }
    }
}

/// The manifest path of a name.
pub fn manifest_path(store: &Path, n: &OllamaName) -> PathBuf {
    store.join("manifests").join(&n.host).join(&n.namespace).join(&n.model).join(&n.tag)
}

/// The blob path of a digest (`sha256:<hex>` → `blobs/sha256-<hex>`).
pub fn blob_path(store: &Path, digest: &str) -> Result<PathBuf> {
    let hex = digest_hex(digest)?;
    Ok(store.join("blobs").join(format!("sha256-{hex}")))
}

fn digest_hex(digest: &str) -> Result<&str> {
    let hex = digest.strip_prefix("sha256:").or_else(|| digest.strip_prefix("sha256-"));
    match hex {
        Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => Ok(h),
        _ => Err(ModelError::InvalidName {
            name: digest.to_string(),
            message: "a digest is sha256:<64 hex digits>".into(),
        }),
    }
}

/// A manifest (only the parts Quill uses).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// 2.
    #[serde(default)]
    pub schema_version: u32,
    /// The manifest's media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The config blob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Layer>,
    /// Model, template, params, license, ... layers.
    #[serde(default)]
    pub layers: Vec<Layer>,
}

/// One layer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Layer {
    /// What it is.
    pub media_type: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Bytes.
    #[serde(default)]
    pub size: u64,
}

impl Manifest {
    /// Reads and parses a manifest file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| ModelError::io("reading", path, e))?;
        serde_json::from_str(&text).map_err(|e| ModelError::BadFile {
            path: path.to_path_buf(),
            message: format!("not an Ollama manifest ({e}); `ollama pull` the model again"),
        })
    }

    /// The GGUF layer.
    pub fn model_layer(&self) -> Option<&Layer> {
        self.layers.iter().find(|l| l.media_type == MODEL_MEDIA_TYPE)
    }

    fn all_digests(&self) -> impl Iterator<Item = &str> {
        self.config.iter().chain(self.layers.iter()).map(|l| l.digest.as_str())
    }
}

/// The GGUF blob of a pulled model.
pub fn resolve(store: &Path, n: &OllamaName) -> Result<PathBuf> {
    let mpath = manifest_path(store, n);
    if !mpath.is_file() {
        return Err(ModelError::NotFound {
            name: n.display(),
            hint: format!(
                "not in the Ollama store {} (run `ollama pull {}` or `quill models pull ollama:{}`)",
                store.display(),
                n.display(),
                n.display()
            ),
        });
    }
    let m = Manifest::load(&mpath)?;
    let layer = m.model_layer().ok_or_else(|| ModelError::BadFile {
        path: mpath.clone(),
        message: format!("no layer of type {MODEL_MEDIA_TYPE} (is this an embedding or adapter-only manifest?)"),
    })?;
    let blob = blob_path(store, &layer.digest)?;
    let meta = std::fs::metadata(&blob).map_err(|e| ModelError::io("opening the model blob", &blob, e))?;
    if layer.size != 0 && meta.len() != layer.size {
        return Err(ModelError::BadFile {
            path: blob,
            message: format!(
                "is {} bytes but the manifest says {} (an interrupted pull?); pull it again",
                meta.len(),
                layer.size
            ),
        });
    }
    Ok(blob)
}

/// Every model in the store whose GGUF blob is present.
pub fn list(store: &Path) -> Result<Vec<ModelEntry>> {
    let root = store.join("manifests");
    let mut out = Vec::new();
    // manifests/<host>/<ns>/<model>/<tag>: exactly four levels.
    for host in read_dirs(&root) {
        for ns in read_dirs(&host) {
            for model in read_dirs(&ns) {
                let Ok(tags) = std::fs::read_dir(&model) else { continue };
                for tag in tags.flatten() {
                    let tpath = tag.path();
                    if !tpath.is_file() {
                        continue;
                    }
                    let name = OllamaName {
                        host: file_str(&host),
                        namespace: file_str(&ns),
                        model: file_str(&model),
                        tag: file_str(&tpath),
                    };
                    // A manifest that does not parse or misses its blob is skipped: `list` shows
                    // what works, `info`/`--model` report what is wrong with a given name.
                    if let Ok(blob) = resolve(store, &name) {
                        out.push(ModelEntry {
                            name: name.display(),
                            source: SourceKind::Ollama,
                            size: super::size_on_disk(&blob),
                            path: blob,
                            origin: format!("{}/{}/{}:{}", name.host, name.namespace, name.model, name.tag),
                        });
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn read_dirs(p: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(p)
        .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn file_str(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Removes a manifest and the blobs no other manifest references.
pub fn remove(store: &Path, n: &OllamaName) -> Result<Vec<PathBuf>> {
    let mpath = manifest_path(store, n);
    let m = Manifest::load(&mpath)?;
    std::fs::remove_file(&mpath).map_err(|e| ModelError::io("removing", &mpath, e))?;
    let mut removed = vec![mpath];
    let still_used = referenced_digests(store);
    for d in m.all_digests() {
        if still_used.contains(d) {
            continue;
        }
        let b = blob_path(store, d)?;
        if b.is_file() {
            std::fs::remove_file(&b).map_err(|e| ModelError::io("removing", &b, e))?;
            removed.push(b);
        }
    }
    Ok(removed)
}

fn referenced_digests(store: &Path) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    let root = store.join("manifests");
    for host in read_dirs(&root) {
        for ns in read_dirs(&host) {
            for model in read_dirs(&ns) {
                let Ok(tags) = std::fs::read_dir(&model) else { continue };
                for tag in tags.flatten() {
                    if let Ok(m) = Manifest::load(&tag.path()) {
                        set.extend(m.all_digests().map(str::to_string));
                    }
                }
            }
        }
    }
    set
}

/// The registry base URL for a host.
pub fn registry_base(host: &str) -> String {
    match std::env::var("QUILL_OLLAMA_REGISTRY") {
        Ok(v) if !v.is_empty() => v.trim_end_matches('/').to_string(),
        _ => format!("https://{host}"),
    }
}

/// What a pull did.
#[derive(Debug, Clone, Serialize)]
pub struct Pulled {
    /// The model blob.
    pub path: PathBuf,
    /// Blobs downloaded (0 when everything was present and verified).
    pub downloaded: usize,
    /// Blobs whose digest was checked.
    pub verified: usize,
}

/// Pulls a model into the store (or, when it is already there, verifies every blob against its
/// digest). Blobs already present with the right digest are not downloaded again; the manifest
/// is written last, atomically, so an interrupted pull leaves no half model behind.
pub fn pull(store: &Path, n: &OllamaName, base: &str, progress: &dyn Progress) -> Result<Pulled> {
    let mpath = manifest_path(store, n);
    let (manifest, fetched_manifest) = if mpath.is_file() {
        (Manifest::load(&mpath)?, None)
    } else {
        let url = format!("{base}/v2/{}/{}/manifests/{}", n.namespace, n.model, n.tag);
        let text = fetch_text(&url)?;
        let m: Manifest = serde_json::from_str(&text)
            .map_err(|e| ModelError::Download { url: url.clone(), message: format!("not an Ollama manifest: {e}") })?;
        (m, Some(text))
    };
    if manifest.model_layer().is_none() {
        return Err(ModelError::BadFile { path: mpath, message: format!("no layer of type {MODEL_MEDIA_TYPE}") });
    }
    let mut downloaded = 0;
    let mut verified = 0;
    for layer in manifest.config.iter().chain(manifest.layers.iter()) {
        let hex = digest_hex(&layer.digest)?.to_string();
        let blob = blob_path(store, &layer.digest)?;
        if blob.is_file() {
            download::verify_sha256(&blob, &hex, progress)?;
            verified += 1;
            continue;
        }
        let url = format!("{base}/v2/{}/{}/blobs/{}", n.namespace, n.model, layer.digest);
        download::download(&url, &blob, Some(&hex), &[], progress)?;
        downloaded += 1;
        verified += 1;
    }
    if let Some(text) = fetched_manifest {
        quill_store::atomic_write(&mpath, text.as_bytes())
            .map_err(|e| ModelError::BadFile { path: mpath.clone(), message: e.to_string() })?;
    }
    Ok(Pulled { path: resolve(store, n)?, downloaded, verified })
}

fn fetch_text(url: &str) -> Result<String> {
    let url_owned = url.to_string();
    let fut = async move {
        let resp = download::client()?
            .get(&url_owned)
            .header("Accept", MANIFEST_MEDIA_TYPE)
            .send()
            .await
            .map_err(|e| ModelError::Download { url: url_owned.clone(), message: e.to_string() })?;
        if !resp.status().is_success() {
            return Err(ModelError::Download { url: url_owned.clone(), message: format!("HTTP {}", resp.status()) });
        }
        resp.text().await.map_err(|e| ModelError::Download { url: url_owned.clone(), message: e.to_string() })
    };
    crate::openai::block_on(fut).map_err(|e| ModelError::Download { url: url.to_string(), message: e.to_string() })?
}

/// Writes a manifest + blob for a GGUF file (used by tests and by creators who want to hand a
/// local file to Ollama-aware tools). The blob is a hard link when possible, else a copy.
pub fn install_blob(store: &Path, n: &OllamaName, gguf: &Path) -> Result<PathBuf> {
    let digest = format!("sha256:{}", download::sha256_file(gguf, &download::NoProgress)?);
    let blob = blob_path(store, &digest)?;
    if !blob.is_file() {
        if let Some(dir) = blob.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ModelError::io("creating", dir, e))?;
        }
        if std::fs::hard_link(gguf, &blob).is_err() {
            std::fs::copy(gguf, &blob).map_err(|e| ModelError::io("copying into", &blob, e))?;
        }
    }
    let size = std::fs::metadata(&blob).map_err(|e| ModelError::io("reading", &blob, e))?.len();
    let m = Manifest {
        schema_version: 2,
        media_type: Some(MANIFEST_MEDIA_TYPE.into()),
        config: None,
        layers: vec![Layer { media_type: MODEL_MEDIA_TYPE.into(), digest, size }],
    };
    let mpath = manifest_path(store, n);
    let text =
        serde_json::to_string(&m).map_err(|e| ModelError::BadFile { path: mpath.clone(), message: e.to_string() })?;
    quill_store::atomic_write(&mpath, text.as_bytes())
        .map_err(|e| ModelError::BadFile { path: mpath.clone(), message: e.to_string() })?;
    Ok(blob)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_like_ollama() {
        let n = OllamaName::parse("llama3.2").unwrap();
        assert_eq!(
            (n.host.as_str(), n.namespace.as_str(), n.model.as_str(), n.tag.as_str()),
            (DEFAULT_HOST, "library", "llama3.2", "latest")
        );
        assert_eq!(n.display(), "llama3.2:latest");
        let n = OllamaName::parse("smollm2:135m").unwrap();
        assert_eq!(n.tag, "135m");
        let n = OllamaName::parse("hf.co/bartowski/SmolLM2-GGUF:Q4_K_M").unwrap();
        assert_eq!((n.host.as_str(), n.namespace.as_str(), n.model.as_str()), ("hf.co", "bartowski", "SmolLM2-GGUF"));
        let n = OllamaName::parse("localhost:5000/me/mine:v1").unwrap();
        assert_eq!((n.host.as_str(), n.tag.as_str()), ("localhost:5000", "v1"));
        assert_eq!(n.display(), "localhost:5000/me/mine:v1");
        for bad in ["", "../etc/passwd", "a/b/c/d", "x:..", "/abs", "a b"] {
            assert!(OllamaName::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn blob_paths() {
        let hex = "a".repeat(64);
        assert_eq!(
            blob_path(Path::new("/s"), &format!("sha256:{hex}")).unwrap(),
            Path::new("/s/blobs").join(format!("sha256-{hex}"))
        );
        assert!(blob_path(Path::new("/s"), "sha256:../../x").is_err());
    }

    #[test]
    fn store_round_trip_list_resolve_remove() {
        let store = tempfile::tempdir().unwrap();
        let src = tempfile::tempdir().unwrap();
        let gguf = src.path().join("m.gguf");
        std::fs::write(&gguf, b"GGUF-not-really").unwrap();
        let a = OllamaName::parse("tiny:v1").unwrap();
        let b = OllamaName::parse("me/tiny-copy").unwrap();
        let blob = install_blob(store.path(), &a, &gguf).unwrap();
        install_blob(store.path(), &b, &gguf).unwrap();
        assert_eq!(resolve(store.path(), &a).unwrap(), blob);
        let names: Vec<String> = list(store.path()).unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["me/tiny-copy:latest", "tiny:v1"]);
        // The blob is shared: removing one manifest keeps it.
        let removed = remove(store.path(), &a).unwrap();
        assert_eq!(removed.len(), 1);
        assert!(blob.is_file());
        let removed = remove(store.path(), &b).unwrap();
        assert_eq!(removed.len(), 2);
        assert!(!blob.exists());
        assert!(matches!(resolve(store.path(), &a), Err(ModelError::NotFound { .. })));
    }

    #[test]
    fn wrong_blob_size_is_reported() {
        let store = tempfile::tempdir().unwrap();
        let src = tempfile::tempdir().unwrap();
        let gguf = src.path().join("m.gguf");
        std::fs::write(&gguf, b"0123456789").unwrap();
        let n = OllamaName::parse("cut").unwrap();
        let blob = install_blob(store.path(), &n, &gguf).unwrap();
        std::fs::remove_file(&blob).unwrap();
        std::fs::write(&blob, b"01234").unwrap();
        let err = resolve(store.path(), &n).unwrap_err().to_string();
        assert!(err.contains("manifest says 10"), "{err}");
    }
}
