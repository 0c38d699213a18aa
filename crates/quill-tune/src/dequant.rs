//! Turning GGUF tensors into f32: the frozen base weights of the training graph.
//!
//! One function, so the decoder behind it can be swapped. It uses `quill-kernels`'
//! `dequantize` (bit-exact ports of ggml's `dequantize_row_*`, for every type the runtime
//! supports), fed with the bytes our validated GGUF reader hands out, so the trainer sees
//! exactly the floats llama.cpp and the inference path see.

use quill_llm::gguf::GgufFile;

use crate::{Result, TuneError};

/// A dequantized tensor: row-major values and the (rows, cols) shape of a 2-D weight
/// (`rows == 1` for vectors). `cols` is GGUF's `ne[0]`, the contiguous dimension.
#[derive(Debug, Clone)]
pub struct Dequantized {
    /// Row-major f32 values.
    pub values: Vec<f32>,
    /// Number of rows (output features of a linear layer).
    pub rows: usize,
    /// Row length (input features of a linear layer).
    pub cols: usize,
}

/// Decodes the tensor `name` of `file` to f32.
pub fn dequantize_tensor(file: &GgufFile, name: &str) -> Result<Dequantized> {
    let (info, bytes) = file.tensor(name)?;
    let kind = quill_kernels::GgmlType::from_id(info.ggml_type.id())
        .map_err(|e| TuneError::model(file.path(), format!("tensor {name:?} ({}): {e}", info.ggml_type.name())))?;
    let cols = info.ne0() as usize;
    let rows = info.n_rows() as usize;
    let mut values = vec![0.0f32; rows * cols];
    quill_kernels::dequantize(kind, bytes, rows * cols, &mut values)
        .map_err(|e| TuneError::model(file.path(), format!("tensor {name:?}: {e}")))?;
    Ok(Dequantized { values, rows, cols })
}
