//! Pulls over HTTP without the internet: a loopback server speaks the Ollama registry protocol and
//! the Hugging Face `resolve` protocol (HEAD with `X-Repo-Commit`/`X-Linked-Etag`, redirect to a
//! CDN path) with small bytes. Checks the store/cache layouts written and that a digest mismatch
//! is refused and leaves nothing behind.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::Path as UrlPath;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use quill_backends::models::{ModelError, NoProgress, hf, ollama};
use sha2::{Digest, Sha256};

const MODEL: &[u8] = b"GGUF pretend model bytes";
const CORRUPT: &[u8] = b"GGUF pretend model bytez";

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn manifest(digest_of: &[u8]) -> String {
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": ollama::MANIFEST_MEDIA_TYPE,
        "layers": [{"mediaType": ollama::MODEL_MEDIA_TYPE, "digest": format!("sha256:{}", sha(digest_of)), "size": digest_of.len()}]
    })
    .to_string()
}

/// Starts the server on a thread; returns its base URL.
fn serve() -> String {
    let app = Router::new()
        // Ollama registry: `good` serves matching bytes, `bad` serves bytes that miss the digest.
        .route(
            "/v2/library/{model}/manifests/{tag}",
            get(|UrlPath((_m, _t)): UrlPath<(String, String)>| async { manifest(MODEL) }),
        )
        .route(
            "/v2/library/{model}/blobs/{digest}",
            get(|UrlPath((m, _d)): UrlPath<(String, String)>| async move { if m == "bad" { CORRUPT } else { MODEL } }),
        )
        // Hugging Face: metadata on the hub, bytes on the "CDN".
        .route(
            "/owner/repo/resolve/{rev}/{file}",
            get(|| async {
                let mut h = HeaderMap::new();
                h.insert("x-repo-commit", HeaderValue::from_static("0123456789abcdef0123456789abcdef01234567"));
                h.insert("x-linked-etag", HeaderValue::from_str(&format!("\"{}\"", sha(MODEL))).unwrap());
                h.insert("location", HeaderValue::from_static("/cdn/model"));
                (StatusCode::FOUND, h).into_response()
            }),
        )
        .route("/cdn/model", get(|| async { MODEL }));
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let addr: SocketAddr = std_listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(std_listener).unwrap();
            axum::serve(l, app).await.unwrap();
        });
    });
    format!("http://{addr}")
}

#[test]
fn ollama_pull_verifies_digests_and_writes_the_store() {
    let base = serve();
    let store = tempfile::tempdir().unwrap();
    let n = ollama::OllamaName::parse("good:v1").unwrap();
    let p = ollama::pull(store.path(), &n, &base, &NoProgress).unwrap();
    assert_eq!(p.downloaded, 1);
    assert_eq!(std::fs::read(&p.path).unwrap(), MODEL);
    assert_eq!(p.path, store.path().join("blobs").join(format!("sha256-{}", sha(MODEL))));
    assert_eq!(ollama::resolve(store.path(), &n).unwrap(), p.path);
    // Again: nothing downloaded, the blob re-verified.
    let again = ollama::pull(store.path(), &n, &base, &NoProgress).unwrap();
    assert_eq!((again.downloaded, again.verified), (0, 1));

    // Bytes that do not match the digest: refused, and neither blob nor manifest is left.
    let bad = ollama::OllamaName::parse("bad:v1").unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let err = ollama::pull(fresh.path(), &bad, &base, &NoProgress).unwrap_err();
    assert!(matches!(err, ModelError::Checksum { .. }), "{err}");
    assert!(!ollama::manifest_path(fresh.path(), &bad).exists());
    let blobs: Vec<_> =
        std::fs::read_dir(fresh.path().join("blobs")).map(|d| d.flatten().collect()).unwrap_or_default();
    assert!(blobs.is_empty(), "{blobs:?}");
}

#[cfg(unix)]
#[test]
fn hf_pull_writes_the_hf_hub_cache_layout() {
    let base = serve();
    let cache = tempfile::tempdir().unwrap();
    let f = hf::HfFile::parse("owner/repo/model.gguf").unwrap();
    let p = hf::pull_from(cache.path(), &f, &base, &NoProgress).unwrap();
    let repo = cache.path().join("models--owner--repo");
    assert_eq!(p, repo.join("snapshots/0123456789abcdef0123456789abcdef01234567/model.gguf"));
    assert_eq!(std::fs::read(&p).unwrap(), MODEL);
    assert_eq!(std::fs::read_link(&p).unwrap(), std::path::Path::new("../../blobs").join(sha(MODEL)));
    assert_eq!(std::fs::read_to_string(repo.join("refs/main")).unwrap(), "0123456789abcdef0123456789abcdef01234567");
    // Found offline afterwards, by name and by listing.
    assert_eq!(hf::resolve(cache.path(), &f).unwrap(), p);
    assert_eq!(hf::list(cache.path()).unwrap()[0].name, "hf://owner/repo/model.gguf");
    // A second pull verifies the cached blob instead of downloading.
    assert_eq!(hf::pull_from(cache.path(), &f, "http://127.0.0.1:9", &NoProgress).unwrap(), p);
}
