//! The hosted fine-tuning client against a local server speaking OpenAI's wire format
//! (tests/support/mock_openai.rs): the whole job life cycle, recording the model in a workspace,
//! and the API's error responses.

mod support {
    pub mod mock_openai;
}

use std::time::Duration;

use quill_dataset::hosted::{self, Client, ClientOptions, HostedError, StartOptions};
use support::mock_openai::{self, KEY};

fn client(base: &str, key: &str) -> Client {
    Client::new(ClientOptions {
        base_url: base.to_string(),
        api_key: key.to_string(),
        key_env: "QUILL_TEST_OPENAI_KEY".into(),
        max_retries: 2,
        retry_delay: Duration::from_millis(5),
        timeout: Duration::from_secs(10),
    })
    .unwrap()
}

const GOOD: &str = r#"{"messages":[{"role":"system","content":"You are Maya."},{"role":"user","content":"Write a hook."},{"role":"assistant","content":"Boring systems win.","weight":1}]}
"#;

fn dataset(dir: &std::path::Path) -> std::path::PathBuf {
    let d = dir.join("ds");
    std::fs::create_dir_all(d.join("openai")).unwrap();
    std::fs::write(d.join("openai/train.jsonl"), GOOD.repeat(12)).unwrap();
    std::fs::write(d.join("openai/validation.jsonl"), GOOD).unwrap();
    std::fs::write(d.join("manifest.json"), "{}").unwrap();
    d
}

fn start_opts() -> StartOptions {
    StartOptions {
        model: "gpt-4o-mini-2024-07-18".into(),
        epochs: Some(3),
        batch_size: None,
        learning_rate_multiplier: Some(1.8),
        suffix: Some("maya".into()),
        seed: Some(7),
    }
}

#[test]
fn job_life_cycle_and_the_model_is_recorded() {
    let server = mock_openai::start();
    let c = client(&server.base_url, KEY);
    let tmp = tempfile::tempdir().unwrap();
    let files = hosted::find_data(&dataset(tmp.path())).unwrap();
    assert!(files.validation.is_some());
    // One rate-limited create: the client waits and retries.
    mock_openai::lock_state(&server).rate_limit_creates = 1;
    let mut steps = Vec::new();
    let (job, train_id, val_id) = hosted::start(&c, &files, &start_opts(), &mut |m| steps.push(m.to_string())).unwrap();
    assert_eq!(job.status, "validating_files");
    assert!(train_id.starts_with("file-") && val_id.is_some());
    assert_eq!(steps.len(), 3, "{steps:?}");
    {
        let st = mock_openai::lock_state(&server);
        let creates = st.log.iter().filter(|l| *l == "POST /v1/fine_tuning/jobs").count();
        assert_eq!(creates, 2, "a 429, then the retry that created the job");
        assert_eq!(st.jobs.len(), 1);
        let job = &st.jobs[&job.id];
        assert_eq!(job["method"]["supervised"]["hyperparameters"]["n_epochs"], 3);
        assert_eq!(job["method"]["supervised"]["hyperparameters"]["learning_rate_multiplier"], 1.8);
        let (name, bytes) = &st.files[&train_id];
        assert_eq!(name, "train.jsonl");
        assert_eq!(bytes.len(), GOOD.len() * 12, "the multipart upload carries the file unchanged");
    }

    let ws = quill_store::Workspace::init(&tmp.path().join("ws"), Some("Maya")).unwrap();
    let mut db = ws.open_db().unwrap();
    hosted::record(&mut db, c.base_url(), &job, Some((&files, &train_id, val_id.as_deref()))).unwrap();

    let mut statuses = Vec::new();
    let mut messages = Vec::new();
    let done = hosted::follow(&c, &job.id, Duration::from_millis(1), Some(50), &mut |j, ev| {
        statuses.push(j.status.clone());
        messages.extend(ev.iter().map(|e| e.message.clone()));
    })
    .unwrap();
    assert_eq!(done.status, "succeeded");
    let mut order: Vec<String> = statuses.clone();
    order.dedup();
    assert_eq!(order, ["queued", "running", "succeeded"]);
    assert_eq!(messages.first().map(String::as_str), Some(format!("Created fine-tuning job: {}", job.id).as_str()));
    assert_eq!(messages.last().map(String::as_str), Some("The job has successfully completed"));
    assert!(messages.iter().any(|m| m.starts_with("Step 10/30")), "{messages:?}");
    let model = done.fine_tuned_model.clone().unwrap();
    assert!(model.starts_with("ft:gpt-4o-mini-2024-07-18:org-test:maya:"), "{model}");

    let cps = c.list_checkpoints(&job.id, None, 10).unwrap();
    assert!(cps.data.len() >= 2);
    assert!(cps.data[0].step_number > cps.data[1].step_number, "newest first");
    let page = c.list_events(&job.id, None, 2).unwrap();
    assert_eq!(page.data.len(), 2);
    assert!(page.has_more);
    let after = c.list_events(&job.id, Some(&page.data[1].id), 100).unwrap();
    assert!(!after.data.iter().any(|e| e.id == page.data[0].id || e.id == page.data[1].id));
    assert_eq!(c.list_jobs(None, 10).unwrap().data.len(), 1);

    // Recorded: the job, its model, and a backend drafts can use.
    hosted::record(&mut db, c.base_url(), &done, None).unwrap();
    let name = hosted::add_backend(&ws, &mut db, c.base_url(), "OPENAI_API_KEY", &done).unwrap().unwrap();
    assert_eq!(name, "openai-ft-maya");
    let ws = quill_store::Workspace::open(ws.root()).unwrap();
    let b = &ws.config().backends["openai-ft-maya"];
    assert_eq!(
        (b.model.as_str(), b.base_url.as_str(), b.api_key_env.as_deref()),
        (model.as_str(), c.base_url(), Some("OPENAI_API_KEY"))
    );
    let rec = hosted::recorded(&db).unwrap();
    assert_eq!(rec.len(), 1);
    assert_eq!(rec[0].fine_tuned_model.as_deref(), Some(model.as_str()));
    assert_eq!(rec[0].backend_name.as_deref(), Some("openai-ft-maya"));
    assert!(rec[0].dataset_dir.is_some());
    // Adding it again leaves quill.toml alone.
    let before = std::fs::read_to_string(ws.config_path()).unwrap();
    hosted::add_backend(&ws, &mut db, c.base_url(), "OPENAI_API_KEY", &done).unwrap();
    assert_eq!(std::fs::read_to_string(ws.config_path()).unwrap(), before);
}

#[test]
fn cancel_stops_a_running_job() {
    let server = mock_openai::start();
    let c = client(&server.base_url, KEY);
    let tmp = tempfile::tempdir().unwrap();
    let files = hosted::find_data(&dataset(tmp.path())).unwrap();
    let (job, _, _) = hosted::start(&c, &files, &start_opts(), &mut |_| {}).unwrap();
    let j = c.cancel_job(&job.id).unwrap();
    assert_eq!(j.status, "cancelled");
    let done = hosted::follow(&c, &job.id, Duration::from_millis(1), Some(5), &mut |_, _| {}).unwrap();
    assert_eq!(done.status, "cancelled");
    let e = c.cancel_job(&job.id).unwrap_err();
    assert!(matches!(e, HostedError::Api { status: 400, .. }), "{e}");
}

#[test]
fn error_responses_come_back_with_the_apis_fields_and_a_hint() {
    let server = mock_openai::start();
    let tmp = tempfile::tempdir().unwrap();
    let files = hosted::find_data(&dataset(tmp.path())).unwrap();

    // 401: wrong key.
    let e = hosted::start(&client(&server.base_url, "sk-wrong"), &files, &start_opts(), &mut |_| {}).unwrap_err();
    let quill_dataset::Error::Hosted(HostedError::Api { status, code, message, hint, .. }) = &e else { panic!("{e}") };
    assert_eq!(*status, 401);
    assert_eq!(code.as_deref(), Some("invalid_api_key"));
    assert!(message.contains("Incorrect API key"));
    assert!(hint.contains("QUILL_TEST_OPENAI_KEY"), "{hint}");

    // 400: a file the service refuses.
    let c = client(&server.base_url, KEY);
    let bad = tmp.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"prompt\": \"x\"}\n").unwrap();
    let e = c.upload_file(&bad).unwrap_err();
    let HostedError::Api { status, param, code, hint, message, .. } = &e else { panic!("{e}") };
    assert_eq!((*status, param.as_deref(), code.as_deref()), (400, Some("file"), Some("invalid_file_format")));
    assert!(message.contains("Line 1"), "{message}");
    assert!(hint.contains("quill dataset validate"), "{hint}");

    // 400 on create: an unknown training file.
    let req = hosted::types::CreateJob {
        model: "gpt-4o-mini-2024-07-18".into(),
        training_file: "file-nope".into(),
        validation_file: None,
        suffix: None,
        seed: None,
        method: hosted::types::Method { kind: "supervised".into(), supervised: None },
    };
    let e = c.create_job(&req).unwrap_err();
    assert!(matches!(&e, HostedError::Api { status: 400, param: Some(p), .. } if p == "training_file"), "{e}");

    // 429 that does not go away: retried, then reported.
    let e =
        hosted::start(&c, &files, &StartOptions { model: "rate-limited-model".into(), ..start_opts() }, &mut |_| {})
            .unwrap_err();
    let quill_dataset::Error::Hosted(HostedError::Api { status, hint, .. }) = &e else { panic!("{e}") };
    assert_eq!(*status, 429);
    assert!(hint.contains("after 2 retries"), "{hint}");

    // 404: unknown job.
    let e = c.retrieve_job("ftjob-missing").unwrap_err();
    assert!(matches!(e, HostedError::Api { status: 404, .. }));

    // An unreachable server is an Http error naming the URL.
    let e = client("http://127.0.0.1:9/v1", KEY).retrieve_job("ftjob-1").unwrap_err();
    assert!(matches!(e, HostedError::Http { .. }), "{e}");
    // No key in the environment.
    let e = ClientOptions::from_env(Some("QUILL_TEST_UNSET_KEY_VAR"), None).err().unwrap();
    assert!(e.to_string().contains("QUILL_TEST_UNSET_KEY_VAR"));
}

#[test]
fn multipart_body_is_well_formed() {
    let (ct, body) = quill_dataset::hosted::client::multipart("train.jsonl", b"{\"a\":1}\n");
    let boundary = ct.split("boundary=").nth(1).unwrap();
    let text = String::from_utf8(body).unwrap();
    assert!(text.starts_with(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
    )));
    assert!(
        text.contains(
            "name=\"file\"; filename=\"train.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n{\"a\":1}\n\r\n"
        )
    );
    assert!(text.ends_with(&format!("--{boundary}--\r\n")));
}
