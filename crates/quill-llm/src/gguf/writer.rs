//! A small GGUF v3 writer.
//!
//! Needed to emit llama.cpp-loadable LoRA adapters (`general.type = "adapter"`, tensors
//! `blk.N.attn_q.weight.lora_a` ...) and to build test fixtures. Files are written atomically:
//! to a temporary file in the target folder, then renamed.

use super::{DEFAULT_ALIGNMENT, GGUF_MAGIC, GgmlType, GgufArray, GgufValue};
use std::io::{self, Write};
use std::path::Path;

/// One tensor to write. `dims` are in ggml order (`dims[0]` = row length); `data` must hold
/// exactly the bytes ggml expects for that type and shape.
#[derive(Debug, Clone)]
pub struct WriterTensor {
    pub name: String,
    pub dims: Vec<u64>,
    pub ggml_type: GgmlType,
    pub data: Vec<u8>,
}

impl WriterTensor {
    /// An F32 tensor of shape (rows, cols) in row-major order — i.e. ggml dims `[cols, rows]`.
    pub fn f32_matrix(name: impl Into<String>, rows: usize, cols: usize, values: &[f32]) -> io::Result<Self> {
        if values.len() != rows * cols {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("f32_matrix: {} values for a {rows}x{cols} matrix", values.len()),
            ));
        }
        let mut data = Vec::with_capacity(values.len() * 4);
        for v in values {
            data.extend_from_slice(&v.to_le_bytes());
        }
        Ok(WriterTensor { name: name.into(), dims: vec![cols as u64, rows as u64], ggml_type: GgmlType::F32, data })
    }
}

/// Collects metadata and tensors, then writes a GGUF v3 file.
#[derive(Debug, Clone, Default)]
pub struct GgufWriter {
    metadata: Vec<(String, GgufValue)>,
    tensors: Vec<WriterTensor>,
}

impl GgufWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a metadata key.
    pub fn set(&mut self, key: impl Into<String>, value: GgufValue) -> &mut Self {
        let key = key.into();
        if let Some(slot) = self.metadata.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            self.metadata.push((key, value));
        }
        self
    }

    pub fn add_tensor(&mut self, t: WriterTensor) -> &mut Self {
        self.tensors.push(t);
        self
    }

    fn alignment(&self) -> u64 {
        match self.metadata.iter().find(|(k, _)| k == "general.alignment") {
            Some((_, GgufValue::U32(a))) if *a > 0 && a.is_power_of_two() => *a as u64,
            _ => DEFAULT_ALIGNMENT,
        }
    }

    /// Serialises to any writer. Errors if a tensor's byte length does not match its type/shape.
    pub fn write_to(&self, w: &mut impl Write) -> io::Result<()> {
        let alignment = self.alignment();
        let mut buf = Vec::new();
        buf.extend_from_slice(&GGUF_MAGIC.to_le_bytes());
        buf.extend_from_slice(&3u32.to_le_bytes());
        buf.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        buf.extend_from_slice(&(self.metadata.len() as u64).to_le_bytes());
        for (k, v) in &self.metadata {
            put_str(&mut buf, k);
            buf.extend_from_slice(&(v.value_type() as u32).to_le_bytes());
            put_value(&mut buf, v);
        }
        let mut offset = 0u64;
        let mut offsets = Vec::with_capacity(self.tensors.len());
        for t in &self.tensors {
            let n: u64 = t.dims.iter().product();
            let expect = t.ggml_type.row_bytes(n).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, format!("tensor {}: bad size for {}", t.name, t.ggml_type))
            })?;
            if expect != t.data.len() as u64 || t.dims.first().is_some_and(|d| d % t.ggml_type.block_size() != 0) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("tensor {}: {} data bytes, expected {expect}", t.name, t.data.len()),
                ));
            }
            put_str(&mut buf, &t.name);
            buf.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
            for d in &t.dims {
                buf.extend_from_slice(&d.to_le_bytes());
            }
            buf.extend_from_slice(&t.ggml_type.id().to_le_bytes());
            buf.extend_from_slice(&offset.to_le_bytes());
            offsets.push(offset);
            offset = (offset + t.data.len() as u64).div_ceil(alignment) * alignment;
        }
        pad_to(&mut buf, alignment);
        w.write_all(&buf)?;
        let mut written = 0u64;
        for (t, &off) in self.tensors.iter().zip(&offsets) {
            let pad = (off - written) as usize;
            w.write_all(&vec![0u8; pad])?;
            w.write_all(&t.data)?;
            written = off + t.data.len() as u64;
        }
        Ok(())
    }

    /// Serialises into memory.
    pub fn to_bytes(&self) -> io::Result<Vec<u8>> {
        let mut v = Vec::new();
        self.write_to(&mut v)?;
        Ok(v)
    }

    /// Writes atomically: temp file in the same folder, fsync, rename.
    pub fn write_file(&self, path: &Path) -> io::Result<()> {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let file_name = path.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("{} has no file name", path.display()))
        })?;
        let tmp = dir.join(format!(".{}.tmp-{}", file_name.to_string_lossy(), std::process::id()));
        let result = (|| {
            let mut f = io::BufWriter::new(std::fs::File::create(&tmp)?);
            self.write_to(&mut f)?;
            let f = f.into_inner().map_err(|e| e.into_error())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

fn pad_to(buf: &mut Vec<u8>, alignment: u64) {
    let len = buf.len() as u64;
    let target = len.div_ceil(alignment) * alignment;
    buf.resize(target as usize, 0);
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
    buf.extend_from_slice(s.as_bytes());
}

fn put_value(buf: &mut Vec<u8>, v: &GgufValue) {
    match v {
        GgufValue::U8(x) => buf.push(*x),
        GgufValue::I8(x) => buf.push(*x as u8),
        GgufValue::U16(x) => buf.extend_from_slice(&x.to_le_bytes()),
        GgufValue::I16(x) => buf.extend_from_slice(&x.to_le_bytes()),
        GgufValue::U32(x) => buf.extend_from_slice(&x.to_le_bytes()),
        GgufValue::I32(x) => buf.extend_from_slice(&x.to_le_bytes()),
        GgufValue::F32(x) => buf.extend_from_slice(&x.to_le_bytes()),
        GgufValue::U64(x) => buf.extend_from_slice(&x.to_le_bytes()),
        GgufValue::I64(x) => buf.extend_from_slice(&x.to_le_bytes()),
        GgufValue::F64(x) => buf.extend_from_slice(&x.to_le_bytes()),
        GgufValue::Bool(x) => buf.push(*x as u8),
        GgufValue::String(s) => put_str(buf, s),
        GgufValue::Array(a) => {
            buf.extend_from_slice(&(a.elem_type() as u32).to_le_bytes());
            buf.extend_from_slice(&(a.len() as u64).to_le_bytes());
            match a {
                GgufArray::U8(v) => buf.extend_from_slice(v),
                GgufArray::I8(v) => buf.extend(v.iter().map(|&x| x as u8)),
                GgufArray::Bool(v) => buf.extend(v.iter().map(|&x| x as u8)),
                GgufArray::U16(v) => v.iter().for_each(|x| buf.extend_from_slice(&x.to_le_bytes())),
                GgufArray::I16(v) => v.iter().for_each(|x| buf.extend_from_slice(&x.to_le_bytes())),
                GgufArray::U32(v) => v.iter().for_each(|x| buf.extend_from_slice(&x.to_le_bytes())),
                GgufArray::I32(v) => v.iter().for_each(|x| buf.extend_from_slice(&x.to_le_bytes())),
                GgufArray::F32(v) => v.iter().for_each(|x| buf.extend_from_slice(&x.to_le_bytes())),
                GgufArray::U64(v) => v.iter().for_each(|x| buf.extend_from_slice(&x.to_le_bytes())),
                GgufArray::I64(v) => v.iter().for_each(|x| buf.extend_from_slice(&x.to_le_bytes())),
                GgufArray::F64(v) => v.iter().for_each(|x| buf.extend_from_slice(&x.to_le_bytes())),
                GgufArray::String(v) => v.iter().for_each(|s| put_str(buf, s)),
            }
        }
    }
}
