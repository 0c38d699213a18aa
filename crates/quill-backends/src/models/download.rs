//! Downloads and checksums shared by every source.
//!
//! Downloads go to `<target>.partial` in the target's folder and are renamed into place only after
//! the checksum matched, so an interrupted or corrupt download never looks like a model.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use futures::StreamExt;
use sha2::{Digest, Sha256};

use super::{ModelError, Result};

/// Progress reporting, implemented by the CLI with a progress bar. The library never draws.
pub trait Progress: Sync {
    /// A new step starts (`total` bytes when known).
    fn begin(&self, what: &str, total: Option<u64>);
    /// `n` more bytes done.
    fn advance(&self, n: u64);
    /// The step is over.
    fn finish(&self);
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn begin(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// SHA-256 of a file as lowercase hex, reporting progress.
pub fn sha256_file(path: &Path, progress: &dyn Progress) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|e| ModelError::io("opening", path, e))?;
    let len = f.metadata().map(|m| m.len()).ok();
    progress.begin(&format!("verifying {}", file_name(path)), len);
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| ModelError::io("reading", path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        progress.advance(n as u64);
    }
    progress.finish();
    Ok(hex::encode(h.finalize()))
}

/// Checks a file against an expected SHA-256 (hex, any case).
pub fn verify_sha256(path: &Path, expected: &str, progress: &dyn Progress) -> Result<()> {
    let actual = sha256_file(path, progress)?;
    if !actual.eq_ignore_ascii_case(expected) {
        return Err(ModelError::Checksum {
            what: path.display().to_string(),
            expected: expected.to_lowercase(),
            actual,
        });
    }
    Ok(())
}

pub(crate) fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| p.display().to_string())
}

/// Headers of interest from a download response.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    /// Bytes written.
    pub bytes: u64,
    /// SHA-256 of what was written.
    pub sha256: String,
}

/// Downloads `url` to `dest`, hashing on the way; with `expected_sha256`, a mismatch deletes the
/// partial file and fails. `headers` are sent with the request (Accept, Authorization).
pub fn download(
    url: &str,
    dest: &Path,
    expected_sha256: Option<&str>,
    headers: &[(&str, String)],
    progress: &dyn Progress,
) -> Result<Fetched> {
    crate::openai::block_on(download_async(url, dest, expected_sha256, headers, progress))
        .map_err(|e| ModelError::Download { url: url.to_string(), message: e.to_string() })?
}

fn partial_path(dest: &Path) -> PathBuf {
    let mut s = dest.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

pub(crate) fn client() -> Result<reqwest::Client> {
    crate::openai::http_client(std::time::Duration::from_secs(30), std::time::Duration::from_secs(120))
        .map_err(|message| ModelError::Download { url: String::new(), message })
}

async fn download_async(
    url: &str,
    dest: &Path,
    expected: Option<&str>,
    headers: &[(&str, String)],
    progress: &dyn Progress,
) -> Result<Fetched> {
    let dl_err = |message: String| ModelError::Download { url: url.to_string(), message };
    let mut req = client()?.get(url);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let resp = req.send().await.map_err(|e| dl_err(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(dl_err(format!("HTTP {}", resp.status())));
    }
    let total = resp.content_length();
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(|e| ModelError::io("creating", dir, e))?;
    }
    let part = partial_path(dest);
    let mut file = std::fs::File::create(&part).map_err(|e| ModelError::io("creating", &part, e))?;
    progress.begin(&format!("downloading {}", file_name(dest)), total);
    let mut h = Sha256::new();
    let mut n: u64 = 0;
    let mut body = resp.bytes_stream();
    let result: Result<()> = async {
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| dl_err(format!("connection lost after {n} bytes: {e}")))?;
            file.write_all(&chunk).map_err(|e| ModelError::io("writing", &part, e))?;
            h.update(&chunk);
            n += chunk.len() as u64;
            progress.advance(chunk.len() as u64);
        }
        if let Some(t) = total
            && t != n
        {
            return Err(dl_err(format!("got {n} of {t} bytes")));
        }
        file.sync_all().map_err(|e| ModelError::io("syncing", &part, e))?;
        Ok(())
    }
    .await;
    progress.finish();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&part);
        return Err(e);
    }
    let sha = hex::encode(h.finalize());
    if let Some(exp) = expected
        && !sha.eq_ignore_ascii_case(exp)
    {
        let _ = std::fs::remove_file(&part);
        return Err(ModelError::Checksum { what: url.to_string(), expected: exp.to_lowercase(), actual: sha });
    }
    std::fs::rename(&part, dest).map_err(|e| ModelError::io("renaming into", dest, e))?;
    Ok(Fetched { bytes: n, sha256: sha })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, b"abc").unwrap();
        let want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(sha256_file(&p, &NoProgress).unwrap(), want);
        verify_sha256(&p, &want.to_uppercase(), &NoProgress).unwrap();
        let err = verify_sha256(&p, &"0".repeat(64), &NoProgress).unwrap_err();
        assert!(matches!(err, ModelError::Checksum { .. }), "{err}");
    }
}
