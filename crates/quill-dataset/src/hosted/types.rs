//! The OpenAI fine-tuning wire format (files, fine_tuning/jobs, events, checkpoints), as the
//! official client's types describe it. Unknown fields are ignored and most fields are optional,
//! so a newer server never breaks an older Quill.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /v1/files` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileObject {
    /// `file-…`.
    pub id: String,
    /// Size in bytes.
    #[serde(default)]
    pub bytes: Option<u64>,
    /// Unix seconds.
    #[serde(default)]
    pub created_at: Option<i64>,
    /// The uploaded name.
    #[serde(default)]
    pub filename: Option<String>,
    /// `fine-tune`.
    #[serde(default)]
    pub purpose: Option<String>,
    /// Processing status, when reported.
    #[serde(default)]
    pub status: Option<String>,
}

/// Supervised hyperparameters (each may be `"auto"` or a number on the wire).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Hyperparameters {
    /// Epochs.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub n_epochs: Option<Value>,
    /// Batch size.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub batch_size: Option<Value>,
    /// Learning-rate multiplier.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub learning_rate_multiplier: Option<Value>,
}

/// `method: {type: "supervised", supervised: {hyperparameters}}` (top-level `hyperparameters`
/// is deprecated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Method {
    /// `supervised`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervised: Option<Supervised>,
}

/// The supervised method's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Supervised {
    /// Hyperparameters.
    #[serde(default)]
    pub hyperparameters: Hyperparameters,
}

/// `POST /v1/fine_tuning/jobs` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreateJob {
    /// Base model, e.g. `gpt-4o-mini-2024-07-18`.
    pub model: String,
    /// Uploaded training file id.
    pub training_file: String,
    /// Uploaded validation file id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation_file: Option<String>,
    /// Up to 64 characters added to the fine-tuned model's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
    /// Seed for reproducibility.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// The training method.
    pub method: Method,
}

/// A job's error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobError {
    /// Machine-readable code.
    #[serde(default)]
    pub code: Option<String>,
    /// Human message.
    #[serde(default)]
    pub message: Option<String>,
    /// The offending parameter.
    #[serde(default)]
    pub param: Option<String>,
}

/// A fine-tuning job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// `ftjob-…`.
    pub id: String,
    /// Base model.
    #[serde(default)]
    pub model: Option<String>,
    /// `validating_files`, `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    pub status: String,
    /// Unix seconds.
    #[serde(default)]
    pub created_at: Option<i64>,
    /// Unix seconds, when finished.
    #[serde(default)]
    pub finished_at: Option<i64>,
    /// The resulting model name, once succeeded.
    #[serde(default)]
    pub fine_tuned_model: Option<String>,
    /// Training file id.
    #[serde(default)]
    pub training_file: Option<String>,
    /// Validation file id.
    #[serde(default)]
    pub validation_file: Option<String>,
    /// Tokens trained.
    #[serde(default)]
    pub trained_tokens: Option<u64>,
    /// Result file ids.
    #[serde(default)]
    pub result_files: Vec<String>,
    /// Failure details.
    #[serde(default)]
    pub error: Option<JobError>,
    /// The method and its resolved hyperparameters.
    #[serde(default)]
    pub method: Option<Method>,
    /// Suffix.
    #[serde(default)]
    pub suffix: Option<String>,
    /// Estimated finish, Unix seconds.
    #[serde(default)]
    pub estimated_finish: Option<i64>,
}

impl Job {
    /// Whether the job can no longer change.
    pub fn is_terminal(&self) -> bool {
        matches!(self.status.as_str(), "succeeded" | "failed" | "cancelled")
    }
}

/// A job event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `ftevent-…`.
    pub id: String,
    /// Unix seconds.
    #[serde(default)]
    pub created_at: Option<i64>,
    /// `info`, `warn` or `error`.
    #[serde(default)]
    pub level: Option<String>,
    /// The message.
    #[serde(default)]
    pub message: String,
    /// `message` or `metrics`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Metrics payload (`step`, `total_steps`, `train_loss`, …).
    #[serde(default)]
    pub data: Option<Value>,
}

/// A checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// `ftckpt_…`.
    pub id: String,
    /// Unix seconds.
    #[serde(default)]
    pub created_at: Option<i64>,
    /// The checkpoint's model name (usable like the final model).
    #[serde(default)]
    pub fine_tuned_model_checkpoint: Option<String>,
    /// Step number.
    #[serde(default)]
    pub step_number: Option<u64>,
    /// Metrics at that step.
    #[serde(default)]
    pub metrics: Option<Value>,
    /// Its job.
    #[serde(default)]
    pub fine_tuning_job_id: Option<String>,
}

/// A page of a list endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub data: Vec<T>,
    /// Whether more pages follow (`after` = last id).
    #[serde(default)]
    pub has_more: bool,
}

/// The API's error body: `{"error": {"message", "type", "param", "code"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// The error.
    pub error: ApiErrorDetail,
}

/// The error's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiErrorDetail {
    /// Human message.
    #[serde(default)]
    pub message: String,
    /// `invalid_request_error`, `authentication_error`, …
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The offending parameter.
    #[serde(default)]
    pub param: Option<String>,
    /// Machine-readable code.
    #[serde(default)]
    pub code: Option<String>,
}
