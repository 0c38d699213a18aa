//! Turning GGUF tensors into f32: the frozen base weights of the training graph.
//!
//! One function, so the decoder behind it can be swapped: today it is candle's
//! `QTensor::dequantize` (bit-exact ports of ggml's `dequantize_row_*`), fed with the bytes our
//! own validated GGUF reader hands out. When `quill-kernels` exports its `dequantize` for every
//! GGUF type, only this file changes.

use candle_core::quantized::{GgmlDType, ggml_file::qtensor_from_ggml};
use candle_core::Device;
use quill_llm::gguf::{GgmlType, GgufFile};

use crate::{Result, TuneError};

fn candle_type(t: GgmlType) -> Option<GgmlDType> {
    Some(match t {
        GgmlType::F32 => GgmlDType::F32,
        GgmlType::F16 => GgmlDType::F16,
        GgmlType::BF16 => GgmlDType::BF16,
        GgmlType::Q4_0 => GgmlDType::Q4_0,
        GgmlType::Q4_1 => GgmlDType::Q4_1,
        GgmlType::Q5_0 => GgmlDType::Q5_0,
        GgmlType::Q5_1 => GgmlDType::Q5_1,
        GgmlType::Q8_0 => GgmlDType::Q8_0,
        GgmlType::Q2_K => GgmlDType::Q2K,
        GgmlType::Q3_K => GgmlDType::Q3K,
        GgmlType::Q4_K => GgmlDType::Q4K,
        GgmlType::Q5_K => GgmlDType::Q5K,
        GgmlType::Q6_K => GgmlDType::Q6K,
        _ => return None,
    })
}

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
    let kind = candle_type(info.ggml_type).ok_or_else(|| {
        TuneError::model(
            file.path(),
            format!("tensor {name:?} has type {} which the trainer cannot decode", info.ggml_type.name()),
        )
    })?;
    let cols = info.ne0() as usize;
    let rows = info.n_rows() as usize;
    // candle wants dims outermost first (the reverse of ggml's `ne`).
    let dims: Vec<usize> = info.dims.iter().rev().map(|&d| d as usize).collect();
    let q = qtensor_from_ggml(kind, bytes, dims, &Device::Cpu)?;
    let t = q.dequantize(&Device::Cpu)?.flatten_all()?;
    let values = t.to_vec1::<f32>()?;
    if values.len() != rows * cols {
        return Err(TuneError::model(file.path(), format!("tensor {name:?}: decoded {} values", values.len())));
    }
    Ok(Dequantized { values, rows, cols })
}
