//! Reading and writing safetensors files of f32 matrices, atomically.
//!
//! Adapters, checkpoints and optimizer state are all "a few named f32 arrays plus a little
//! JSON", which is exactly safetensors (header metadata holds the JSON). One file per
//! checkpoint means one atomic rename: a kill mid-write leaves the previous checkpoint intact.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::{Result, TuneError};

/// A named f32 array with its shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// Dimensions, outermost first.
    pub shape: Vec<usize>,
    /// Row-major values.
    pub data: Vec<f32>,
}

/// The contents of a safetensors file: arrays by name and the header's string metadata.
#[derive(Debug, Clone, Default)]
pub struct StFile {
    /// Arrays by name (converted to f32 from F16/BF16/F32).
    pub arrays: BTreeMap<String, Array>,
    /// `__metadata__` of the header.
    pub metadata: HashMap<String, String>,
}

/// Reads `path`, converting every floating tensor to f32.
pub fn read(path: &Path) -> Result<StFile> {
    let bytes = std::fs::read(path).map_err(|e| TuneError::io("reading", path, e))?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| TuneError::adapter(path, format!("not a safetensors file: {e}")))?;
    let (_, meta) = SafeTensors::read_metadata(&bytes).map_err(|e| TuneError::adapter(path, e.to_string()))?;
    let mut arrays = BTreeMap::new();
    for (name, view) in st.tensors() {
        let raw = view.data();
        let data: Vec<f32> = match view.dtype() {
            Dtype::F32 => raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
            Dtype::F16 => raw.chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect(),
            Dtype::BF16 => raw.chunks_exact(2).map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32()).collect(),
            other => {
                return Err(TuneError::adapter(
                    path,
                    format!("tensor {name} has dtype {other:?}; expected F32, F16 or BF16"),
                ));
            }
        };
        arrays.insert(name, Array { shape: view.shape().to_vec(), data });
    }
    Ok(StFile { arrays, metadata: meta.metadata().clone().unwrap_or_default() })
}

/// Serialises f32 arrays (and metadata) to safetensors bytes.
pub fn to_bytes(arrays: &BTreeMap<String, Array>, metadata: &HashMap<String, String>) -> Result<Vec<u8>> {
    let raw: Vec<(String, Vec<usize>, Vec<u8>)> = arrays
        .iter()
        .map(|(n, a)| (n.clone(), a.shape.clone(), a.data.iter().flat_map(|v| v.to_le_bytes()).collect()))
        .collect();
    let mut views = Vec::with_capacity(raw.len());
    for (n, shape, bytes) in &raw {
        let v = TensorView::new(Dtype::F32, shape.clone(), bytes)
            .map_err(|e| TuneError::Config(format!("internal: tensor {n}: {e}")))?;
        views.push((n.clone(), v));
    }
    let meta = if metadata.is_empty() { None } else { Some(metadata.clone()) };
    safetensors::serialize(views, meta)
        .map_err(|e| TuneError::Config(format!("internal: serialising safetensors: {e}")))
}

/// Writes arrays to `path` atomically (temp file + rename).
pub fn write(path: &Path, arrays: &BTreeMap<String, Array>, metadata: &HashMap<String, String>) -> Result<()> {
    let bytes = to_bytes(arrays, metadata)?;
    quill_store::atomic_write(path, &bytes)?;
    Ok(())
}
