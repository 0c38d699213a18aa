//! A small blocking client for OpenAI's fine-tuning endpoints.
//!
//! Blocking is enough: a fine-tuning session is one upload, one create and a slow poll. Rate
//! limits (429) and server errors (5xx) are retried with backoff (honouring `Retry-After`);
//! every other error comes back as [`HostedError::Api`] carrying the API's own
//! `{"error":{"message","type","param","code"}}` fields and a hint on what to do.

use std::path::Path;
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::HostedError;
use super::types::*;

/// The public API base.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// Connection settings.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Base URL including `/v1`.
    pub base_url: String,
    /// API key.
    pub api_key: String,
    /// Name of the environment variable the key came from (for error hints).
    pub key_env: String,
    /// Retries on 429 and 5xx.
    pub max_retries: u32,
    /// First retry delay (doubles each time; `Retry-After` wins when larger).
    pub retry_delay: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl ClientOptions {
    /// Options from the environment: key from `key_env` (default `OPENAI_API_KEY`), base URL
    /// from `OPENAI_BASE_URL` unless given.
    pub fn from_env(key_env: Option<&str>, base_url: Option<&str>) -> Result<Self, HostedError> {
        let key_env = key_env.unwrap_or("OPENAI_API_KEY").to_string();
        let api_key = std::env::var(&key_env)
            .ok()
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| HostedError::NoKey { var: key_env.clone() })?;
        let base_url = base_url
            .map(str::to_string)
            .or_else(|| std::env::var("OPENAI_BASE_URL").ok().filter(|u| !u.trim().is_empty()))
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        Ok(Self {
            base_url,
            api_key,
            key_env,
            max_retries: 4,
            retry_delay: Duration::from_secs(1),
            timeout: Duration::from_secs(300),
        })
    }
}

/// The client.
pub struct Client {
    opts: ClientOptions,
    base: String,
    http: reqwest::blocking::Client,
}

impl Client {
    /// Builds a client (no request is made).
    pub fn new(opts: ClientOptions) -> Result<Self, HostedError> {
        let base = opts.base_url.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(HostedError::Config(format!("base URL {base:?} must start with http:// or https://")));
        }
        // reqwest is built without a bundled crypto provider; install ring once (an error only
        // means another part of the process installed one first).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .timeout(opts.timeout)
            .user_agent(concat!("quill/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HostedError::Http { url: base.clone(), message: e.to_string() })?;
        Ok(Self { opts, base, http })
    }

    /// The base URL in use.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request (rebuilt for each try), retrying 429/5xx, and decodes the JSON answer.
    fn send<T: DeserializeOwned>(
        &self,
        path: &str,
        build: &dyn Fn(&reqwest::blocking::Client, &str) -> reqwest::blocking::RequestBuilder,
    ) -> Result<T, HostedError> {
        let url = self.url(path);
        let mut delay = self.opts.retry_delay;
        let mut attempt = 0;
        loop {
            let resp = build(&self.http, &url)
                .bearer_auth(&self.opts.api_key)
                .send()
                .map_err(|e| HostedError::Http { url: url.clone(), message: e.to_string() })?;
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .map(Duration::from_secs_f64);
            let body = resp.text().map_err(|e| HostedError::Http { url: url.clone(), message: e.to_string() })?;
            if (200..300).contains(&status) {
                return serde_json::from_str(&body).map_err(|e| HostedError::Decode {
                    url: url.clone(),
                    message: format!("{e}; body: {}", preview(&body)),
                });
            }
            let retryable = status == 429 || status >= 500;
            if retryable && attempt < self.opts.max_retries {
                attempt += 1;
                std::thread::sleep(retry_after.map_or(delay, |r| r.max(delay)).min(Duration::from_secs(60)));
                delay *= 2;
                continue;
            }
            return Err(self.api_error(status, &url, &body, attempt));
        }
    }

    fn api_error(&self, status: u16, url: &str, body: &str, retries: u32) -> HostedError {
        let detail = serde_json::from_str::<ApiErrorBody>(body).ok().map(|b| b.error);
        let message =
            detail.as_ref().map(|d| d.message.clone()).filter(|m| !m.is_empty()).unwrap_or_else(|| preview(body));
        let hint = match status {
            401 => format!("check the API key in ${} (or name another variable with --api-key-env)", self.opts.key_env),
            403 => "this key's organisation or project may not have fine-tuning access".into(),
            404 => "no such file, job or model at this base URL (check the id and OPENAI_BASE_URL)".into(),
            429 => format!("rate limited or out of quota after {retries} retries; wait and run the command again"),
            400 if detail.as_ref().is_some_and(|d| {
                d.param.as_deref() == Some("training_file") || d.code.as_deref() == Some("invalid_file_format")
            }) =>
            {
                "the service rejected the data; run `quill dataset validate FILE` to see why".into()
            }
            s if s >= 500 => format!("the service failed after {retries} retries; try again later"),
            _ => String::new(),
        };
        HostedError::Api {
            status,
            url: url.to_string(),
            message,
            kind: detail.as_ref().and_then(|d| d.kind.clone()),
            param: detail.as_ref().and_then(|d| d.param.clone()),
            code: detail.as_ref().and_then(|d| d.code.clone()),
            hint,
        }
    }

    /// `POST /files` (multipart `purpose=fine-tune`, `file=@…`).
    pub fn upload_file(&self, path: &Path) -> Result<FileObject, HostedError> {
        let bytes =
            std::fs::read(path).map_err(|e| HostedError::Io { path: path.to_path_buf(), message: e.to_string() })?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "train.jsonl".into());
        let (content_type, body) = multipart(&name, &bytes);
        self.send("/files", &|c, u| c.post(u).header("content-type", content_type.clone()).body(body.clone()))
    }

    /// `POST /fine_tuning/jobs`.
    pub fn create_job(&self, req: &CreateJob) -> Result<Job, HostedError> {
        let body = serde_json::to_vec(req).map_err(|e| HostedError::Config(e.to_string()))?;
        self.send("/fine_tuning/jobs", &|c, u| c.post(u).header("content-type", "application/json").body(body.clone()))
    }

    /// `GET /fine_tuning/jobs/{id}`.
    pub fn retrieve_job(&self, id: &str) -> Result<Job, HostedError> {
        self.send(&format!("/fine_tuning/jobs/{}", enc(id)), &|c, u| c.get(u))
    }

    /// `GET /fine_tuning/jobs?after&limit`.
    pub fn list_jobs(&self, after: Option<&str>, limit: u32) -> Result<Page<Job>, HostedError> {
        self.send(&format!("/fine_tuning/jobs{}", query(after, limit)), &|c, u| c.get(u))
    }

    /// `GET /fine_tuning/jobs/{id}/events?after&limit`.
    pub fn list_events(&self, id: &str, after: Option<&str>, limit: u32) -> Result<Page<Event>, HostedError> {
        self.send(&format!("/fine_tuning/jobs/{}/events{}", enc(id), query(after, limit)), &|c, u| c.get(u))
    }

    /// `GET /fine_tuning/jobs/{id}/checkpoints?after&limit`.
    pub fn list_checkpoints(&self, id: &str, after: Option<&str>, limit: u32) -> Result<Page<Checkpoint>, HostedError> {
        self.send(&format!("/fine_tuning/jobs/{}/checkpoints{}", enc(id), query(after, limit)), &|c, u| c.get(u))
    }

    /// `POST /fine_tuning/jobs/{id}/cancel`.
    pub fn cancel_job(&self, id: &str) -> Result<Job, HostedError> {
        self.send(&format!("/fine_tuning/jobs/{}/cancel", enc(id)), &|c, u| c.post(u))
    }
}

fn query(after: Option<&str>, limit: u32) -> String {
    match after {
        Some(a) => format!("?after={}&limit={limit}", enc(a)),
        None => format!("?limit={limit}"),
    }
}

/// Percent-encodes an id for a path segment or query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn preview(body: &str) -> String {
    let t: String = body.chars().take(300).collect();
    if t.is_empty() { "(empty body)".into() } else { t }
}

/// A `multipart/form-data` body with `purpose=fine-tune` and the file. The boundary is derived
/// from the file's hash, so it cannot occur in the file by accident.
pub fn multipart(filename: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = format!("quill-{}", &crate::text::sha256_hex(bytes)[..32]);
    let safe_name: String = filename.chars().map(|c| if c == '"' || c.is_control() { '_' } else { c }).collect();
    let mut body = Vec::with_capacity(bytes.len() + 512);
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n").as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{safe_name}\"\r\nContent-Type: application/jsonl\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
