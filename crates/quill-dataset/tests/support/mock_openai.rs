//! A local server speaking OpenAI's documented fine-tuning wire format, for tests only: files
//! (multipart upload), fine_tuning/jobs (create, retrieve, list, cancel), events and checkpoints,
//! with the job state machine validating_files → queued → running → succeeded advancing one step
//! per retrieve, and the API's error shape `{"error":{"message","type","param","code"}}` for
//! 401 (bad key), 400 (bad file / bad request), 404 and 429 (rate limit, with Retry-After).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// The key the server accepts.
pub const KEY: &str = "sk-test-good";

#[derive(Default)]
pub struct Inner {
    pub files: HashMap<String, (String, Vec<u8>)>,
    pub jobs: HashMap<String, Value>,
    pub events: HashMap<String, Vec<Value>>,
    pub checkpoints: HashMap<String, Vec<Value>>,
    pub next: u64,
    /// Answer the next N job creations with 429.
    pub rate_limit_creates: u32,
    /// Requests seen, as "METHOD path".
    pub log: Vec<String>,
}

type St = Arc<Mutex<Inner>>;

fn err(status: StatusCode, message: &str, kind: &str, param: Option<&str>, code: Option<&str>) -> Response {
    (status, axum::Json(json!({"error": {"message": message, "type": kind, "param": param, "code": code}})))
        .into_response()
}

fn auth(h: &HeaderMap) -> Result<(), Box<Response>> {
    match h.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(v) if v == format!("Bearer {KEY}") => Ok(()),
        _ => Err(Box::new(err(
            StatusCode::UNAUTHORIZED,
            "Incorrect API key provided: sk-wr***ng.",
            "invalid_request_error",
            None,
            Some("invalid_api_key"),
        ))),
    }
}

fn lock(s: &St) -> std::sync::MutexGuard<'_, Inner> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// One multipart field: (name, filename, bytes).
type Part = (String, Option<String>, Vec<u8>);

/// Parses a multipart body.
fn multipart(h: &HeaderMap, body: &[u8]) -> Option<Vec<Part>> {
    let ct = h.get("content-type")?.to_str().ok()?;
    let boundary = ct.split("boundary=").nth(1)?.trim().to_string();
    let delim = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut rest = body;
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let start = find(rest, &delim)?;
    rest = &rest[start + delim.len()..];
    loop {
        if rest.starts_with(b"--") {
            break;
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&rest[..head_end]).to_string();
        rest = &rest[head_end + 4..];
        let end = find(rest, &[b"\r\n".as_slice(), &delim].concat())?;
        let data = rest[..end].to_vec();
        rest = &rest[end + 2 + delim.len()..];
        let name = head.split("name=\"").nth(1)?.split('"').next()?.to_string();
        let filename = head.split("filename=\"").nth(1).and_then(|x| x.split('"').next()).map(str::to_string);
        parts.push((name, filename, data));
    }
    Some(parts)
}

async fn upload(State(s): State<St>, h: HeaderMap, body: Bytes) -> Response {
    if let Err(e) = auth(&h) {
        return *e;
    }
    let Some(parts) = multipart(&h, &body) else {
        return err(StatusCode::BAD_REQUEST, "Could not parse multipart form", "invalid_request_error", None, None);
    };
    let purpose = parts.iter().find(|p| p.0 == "purpose").map(|p| String::from_utf8_lossy(&p.2).to_string());
    if purpose.as_deref() != Some("fine-tune") {
        return err(
            StatusCode::BAD_REQUEST,
            "purpose must be fine-tune",
            "invalid_request_error",
            Some("purpose"),
            None,
        );
    }
    let Some((_, Some(filename), data)) = parts.into_iter().find(|p| p.0 == "file") else {
        return err(StatusCode::BAD_REQUEST, "missing file", "invalid_request_error", Some("file"), None);
    };
    let text = String::from_utf8_lossy(&data).to_string();
    for (i, line) in text.lines().enumerate() {
        let ok =
            serde_json::from_str::<Value>(line).ok().is_some_and(|v| v.get("messages").is_some_and(Value::is_array));
        if !ok {
            return err(
                StatusCode::BAD_REQUEST,
                &format!("Invalid file format for Fine-Tuning API. Line {} is not a valid chat example.", i + 1),
                "invalid_request_error",
                Some("file"),
                Some("invalid_file_format"),
            );
        }
    }
    let mut st = lock(&s);
    st.log.push("POST /v1/files".into());
    st.next += 1;
    let id = format!("file-{}", st.next);
    st.files.insert(id.clone(), (filename.clone(), data.clone()));
    axum::Json(json!({"id": id, "object": "file", "bytes": data.len(), "created_at": 1_700_000_000, "filename": filename, "purpose": "fine-tune"}))
        .into_response()
}

fn event(st: &mut Inner, job: &str, level: &str, message: &str, data: Option<Value>) {
    st.next += 1;
    let e = json!({"id": format!("ftevent-{}", st.next), "object": "fine_tuning.job.event", "created_at": 1_700_000_000 + st.next,
                   "level": level, "message": message, "type": if data.is_some() { "metrics" } else { "message" }, "data": data});
    st.events.entry(job.to_string()).or_default().push(e);
}

async fn create(State(s): State<St>, h: HeaderMap, body: Bytes) -> Response {
    if let Err(e) = auth(&h) {
        return *e;
    }
    let mut st = lock(&s);
    st.log.push("POST /v1/fine_tuning/jobs".into());
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return err(
            StatusCode::BAD_REQUEST,
            "We could not parse the JSON body of your request.",
            "invalid_request_error",
            None,
            None,
        );
    };
    if req["model"] == "rate-limited-model" || st.rate_limit_creates > 0 {
        st.rate_limit_creates = st.rate_limit_creates.saturating_sub(1);
        let mut r = err(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit reached for requests",
            "requests",
            None,
            Some("rate_limit_exceeded"),
        );
        r.headers_mut().insert("retry-after", axum::http::HeaderValue::from_static("0"));
        return r;
    }
    let train = req["training_file"].as_str().unwrap_or("");
    if !st.files.contains_key(train) {
        return err(
            StatusCode::BAD_REQUEST,
            &format!("invalid training_file: {train}"),
            "invalid_request_error",
            Some("training_file"),
            None,
        );
    }
    if req["method"]["type"] != "supervised" {
        return err(
            StatusCode::BAD_REQUEST,
            "method.type must be supervised",
            "invalid_request_error",
            Some("method"),
            None,
        );
    }
    if req.get("hyperparameters").is_some() {
        return err(
            StatusCode::BAD_REQUEST,
            "use method.supervised.hyperparameters",
            "invalid_request_error",
            Some("hyperparameters"),
            None,
        );
    }
    st.next += 1;
    let id = format!("ftjob-{:06}", st.next);
    let job = json!({
        "id": id, "object": "fine_tuning.job", "model": req["model"], "created_at": 1_700_000_000, "finished_at": null,
        "fine_tuned_model": null, "organization_id": "org-test", "result_files": [], "status": "validating_files",
        "validation_file": req.get("validation_file").cloned().unwrap_or(Value::Null), "training_file": train,
        "suffix": req.get("suffix").cloned().unwrap_or(Value::Null), "seed": req.get("seed").cloned().unwrap_or(json!(42)),
        "method": req["method"], "trained_tokens": null, "error": null, "estimated_finish": null
    });
    st.jobs.insert(id.clone(), job.clone());
    event(&mut st, &id, "info", &format!("Created fine-tuning job: {id}"), None);
    event(&mut st, &id, "info", "Validating training file", None);
    axum::Json(job).into_response()
}

/// Advances a job one state per retrieve, with the events and checkpoints a real job produces.
fn advance(st: &mut Inner, id: &str) {
    let Some(status) = st.jobs.get(id).and_then(|j| j["status"].as_str()).map(str::to_string) else {
        return;
    };
    let next = match status.as_str() {
        "validating_files" => "queued",
        "queued" => "running",
        "running" => {
            let steps = st.checkpoints.get(id).map_or(0, Vec::len);
            if steps < 2 { "running" } else { "succeeded" }
        }
        _ => return,
    };
    match next {
        "queued" => event(st, id, "info", "Files validated, moving job to queued state", None),
        "running" if status == "queued" => event(st, id, "info", "Fine-tuning job started", None),
        "running" => {
            let step = (st.checkpoints.get(id).map_or(0, Vec::len) as u64 + 1) * 10;
            let loss = 2.0 / step as f64;
            event(
                st,
                id,
                "info",
                &format!("Step {step}/30: training loss={loss:.4}"),
                Some(json!({"step": step, "total_steps": 30, "train_loss": loss})),
            );
            st.next += 1;
            let model = st.jobs[id]["model"].as_str().unwrap_or("").to_string();
            let c = json!({"id": format!("ftckpt_{}", st.next), "object": "fine_tuning.job.checkpoint", "created_at": 1_700_000_000 + st.next,
                           "fine_tuned_model_checkpoint": format!("ft:{model}:org-test::{id}:ckpt-step-{step}"), "step_number": step,
                           "metrics": {"step": step, "train_loss": loss, "valid_loss": loss * 1.1}, "fine_tuning_job_id": id});
            st.checkpoints.entry(id.to_string()).or_default().push(c);
        }
        "succeeded" => {
            event(st, id, "info", "The job has successfully completed", None);
            if let Some(j) = st.jobs.get_mut(id) {
                let suffix = j["suffix"].as_str().unwrap_or("").to_string();
                j["fine_tuned_model"] =
                    json!(format!("ft:{}:org-test:{suffix}:{id}", j["model"].as_str().unwrap_or("")));
                j["trained_tokens"] = json!(12345);
                j["finished_at"] = json!(1_700_000_999);
            }
        }
        _ => {}
    }
    if let Some(j) = st.jobs.get_mut(id) {
        j["status"] = json!(next);
    }
}

async fn retrieve(State(s): State<St>, h: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(e) = auth(&h) {
        return *e;
    }
    let mut st = lock(&s);
    st.log.push(format!("GET /v1/fine_tuning/jobs/{id}"));
    if !st.jobs.contains_key(&id) {
        return err(
            StatusCode::NOT_FOUND,
            &format!("No such fine-tuning job: {id}"),
            "invalid_request_error",
            Some("id"),
            None,
        );
    }
    advance(&mut st, &id);
    axum::Json(st.jobs[&id].clone()).into_response()
}

fn page(mut items: Vec<Value>, q: &HashMap<String, String>) -> Value {
    items.reverse(); // newest first, as the API lists them
    if let Some(after) = q.get("after")
        && let Some(p) = items.iter().position(|x| x["id"] == after.as_str())
    {
        items.drain(..=p);
    }
    let limit = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(20usize);
    let has_more = items.len() > limit;
    items.truncate(limit);
    json!({"object": "list", "data": items, "has_more": has_more})
}

async fn list_jobs(State(s): State<St>, h: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(e) = auth(&h) {
        return *e;
    }
    let st = lock(&s);
    let mut jobs: Vec<Value> = st.jobs.values().cloned().collect();
    jobs.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    axum::Json(page(jobs, &q)).into_response()
}

async fn events(
    State(s): State<St>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(e) = auth(&h) {
        return *e;
    }
    let st = lock(&s);
    if !st.jobs.contains_key(&id) {
        return err(
            StatusCode::NOT_FOUND,
            &format!("No such fine-tuning job: {id}"),
            "invalid_request_error",
            Some("id"),
            None,
        );
    }
    axum::Json(page(st.events.get(&id).cloned().unwrap_or_default(), &q)).into_response()
}

async fn checkpoints(
    State(s): State<St>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(e) = auth(&h) {
        return *e;
    }
    let st = lock(&s);
    axum::Json(page(st.checkpoints.get(&id).cloned().unwrap_or_default(), &q)).into_response()
}

async fn cancel(State(s): State<St>, h: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(e) = auth(&h) {
        return *e;
    }
    let mut st = lock(&s);
    let Some(status) = st.jobs.get(&id).map(|j| j["status"].as_str().unwrap_or("").to_string()) else {
        return err(
            StatusCode::NOT_FOUND,
            &format!("No such fine-tuning job: {id}"),
            "invalid_request_error",
            Some("id"),
            None,
        );
    };
    if matches!(status.as_str(), "succeeded" | "failed" | "cancelled") {
        return err(
            StatusCode::BAD_REQUEST,
            &format!("Job {id} has already completed."),
            "invalid_request_error",
            None,
            None,
        );
    }
    if let Some(j) = st.jobs.get_mut(&id) {
        j["status"] = json!("cancelled");
    }
    event(&mut st, &id, "info", "Fine-tuning job cancelled", None);
    axum::Json(st.jobs[&id].clone()).into_response()
}

/// A running server: its base URL (with /v1) and its state.
pub struct Server {
    pub base_url: String,
    pub state: St,
    _thread: std::thread::JoinHandle<()>,
}

/// Starts the server on 127.0.0.1 (a free port) in a background thread.
pub fn start() -> Server {
    let state: St = Arc::new(Mutex::new(Inner::default()));
    let app = Router::new()
        .route("/v1/files", post(upload))
        .route("/v1/fine_tuning/jobs", post(create).get(list_jobs))
        .route("/v1/fine_tuning/jobs/{id}", get(retrieve))
        .route("/v1/fine_tuning/jobs/{id}/events", get(events))
        .route("/v1/fine_tuning/jobs/{id}/checkpoints", get(checkpoints))
        .route("/v1/fine_tuning/jobs/{id}/cancel", post(cancel))
        .with_state(state.clone());
    let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
            tx.send(listener.local_addr().expect("local addr")).expect("send addr");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    let addr = rx.recv().expect("server address");
    Server { base_url: format!("http://{addr}/v1"), state, _thread: thread }
}

/// The server's state, for assertions and for arranging errors.
pub fn lock_state(s: &Server) -> std::sync::MutexGuard<'_, Inner> {
    lock(&s.state)
}
