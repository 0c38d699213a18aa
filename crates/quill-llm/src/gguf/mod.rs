//! Our own GGUF (v2/v3) reader over a memory map, and a small writer.
//!
//! Why not candle's `gguf_file`: it allocates whatever lengths the header claims and panics or
//! aborts on hostile files. Every count, length and offset here is checked against the bytes that
//! actually remain in the file *before* anything is allocated, so a truncated or malicious file
//! gives a [`GgufError`] naming the file and the problem, never a panic or a giant allocation.

mod types;
mod value;
mod writer;

pub use types::GgmlType;
pub use value::{GgufArray, GgufValue, GgufValueType};
pub use writer::{GgufWriter, WriterTensor};

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// `GGUF` read as a little-endian u32.
pub const GGUF_MAGIC: u32 = 0x4655_4747;
/// Default tensor-data alignment when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// ggml supports at most four dimensions.
pub const MAX_DIMS: u32 = 4;
/// Longest key or tensor name we accept (llama.cpp caps names at 64; keys are short too). A sane
/// bound that keeps error messages and hash maps small.
pub const MAX_NAME_LEN: u64 = 4096;

/// What went wrong while reading a GGUF file.
#[derive(Debug, Clone, PartialEq)]
pub enum GgufErrorKind {
    Io(String),
    BadMagic([u8; 4]),
    BigEndian,
    UnsupportedVersion(u32),
    Truncated { what: String, offset: u64, need: u64, file_len: u64 },
    TooLarge { what: String, value: u64, limit: u64 },
    UnknownValueType { key: String, type_id: u32 },
    NestedArray { key: String },
    DuplicateKey(String),
    DuplicateTensor(String),
    BadAlignment(String),
    TooManyDims { tensor: String, n_dims: u32 },
    UnknownGgmlType { tensor: String, type_id: u32 },
    NotBlockMultiple { tensor: String, ggml_type: GgmlType, ne0: u64 },
    SizeOverflow { tensor: String },
    MisalignedTensor { tensor: String, offset: u64, alignment: u64 },
    TensorOutOfBounds { tensor: String, start: u64, end: u64, data_len: u64 },
    Invalid(String),
}

impl fmt::Display for GgufErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use GgufErrorKind::*;
        match self {
            Io(e) => write!(f, "cannot read: {e}"),
            BadMagic(m) => write!(
                f,
                "not a GGUF file (starts with {:?}, expected \"GGUF\"); is this a safetensors or old GGML file?",
                String::from_utf8_lossy(m)
            ),
            BigEndian => write!(f, "big-endian GGUF files are not supported"),
            UnsupportedVersion(v) => write!(
                f,
                "unsupported GGUF version {v} (this reader handles v2 and v3; re-convert the model with a current llama.cpp)"
            ),
            Truncated { what, offset, need, file_len } => {
                write!(f, "file is truncated: {what} at byte {offset} needs {need} bytes but the file has {file_len}")
            }
            TooLarge { what, value, limit } => {
                write!(f, "{what} is {value}, more than the {limit} that fit in this file")
            }
            UnknownValueType { key, type_id } => {
                write!(f, "metadata key {key:?} has unknown value type {type_id}")
            }
            NestedArray { key } => write!(f, "metadata key {key:?} holds a nested array (not supported)"),
            DuplicateKey(k) => write!(f, "metadata key {k:?} appears twice"),
            DuplicateTensor(t) => write!(f, "tensor {t:?} appears twice"),
            BadAlignment(s) => write!(f, "bad general.alignment: {s}"),
            TooManyDims { tensor, n_dims } => {
                write!(f, "tensor {tensor:?} has {n_dims} dimensions (at most {MAX_DIMS})")
            }
            UnknownGgmlType { tensor, type_id } => {
                write!(f, "tensor {tensor:?} has unknown ggml type id {type_id}")
            }
            NotBlockMultiple { tensor, ggml_type, ne0 } => write!(
                f,
                "tensor {tensor:?}: row length {ne0} is not a multiple of the {ggml_type} block size {}",
                ggml_type.block_size()
            ),
            SizeOverflow { tensor } => write!(f, "tensor {tensor:?}: size overflows"),
            MisalignedTensor { tensor, offset, alignment } => {
                write!(f, "tensor {tensor:?}: data offset {offset} is not a multiple of the alignment {alignment}")
            }
            TensorOutOfBounds { tensor, start, end, data_len } => write!(
                f,
                "tensor {tensor:?}: data bytes {start}..{end} lie outside the {data_len}-byte data section (truncated download?)"
            ),
            Invalid(s) => write!(f, "{s}"),
        }
    }
}

/// A GGUF error with the file it concerns.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {kind}", path.display())]
pub struct GgufError {
    pub path: PathBuf,
    pub kind: GgufErrorKind,
}

/// One tensor's header entry. `dims` are in ggml order: `dims[0]` is the row length (the
/// contiguous, fastest-varying dimension), so a Linear weight of shape (out, in) has
/// `dims == [in, out]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    pub name: String,
    pub dims: Vec<u64>,
    pub ggml_type: GgmlType,
    /// Offset relative to the start of the data section.
    pub offset: u64,
    /// Validated byte size of the tensor data.
    pub n_bytes: u64,
}

impl TensorInfo {
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }
    /// Row length (`ne[0]`).
    pub fn ne0(&self) -> u64 {
        self.dims.first().copied().unwrap_or(1)
    }
    /// Number of rows (product of the other dims).
    pub fn n_rows(&self) -> u64 {
        self.dims.iter().skip(1).product()
    }
}

enum Bytes {
    Mmap(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Bytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Mmap(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// A parsed GGUF file; tensor data stays in the memory map until asked for.
pub struct GgufFile {
    path: PathBuf,
    bytes: Bytes,
    version: u32,
    metadata: Vec<(String, GgufValue)>,
    key_index: HashMap<String, usize>,
    tensors: Vec<TensorInfo>,
    tensor_index: HashMap<String, usize>,
    alignment: u64,
    data_offset: u64,
}

impl fmt::Debug for GgufFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GgufFile")
            .field("path", &self.path)
            .field("version", &self.version)
            .field("n_metadata", &self.metadata.len())
            .field("n_tensors", &self.tensors.len())
            .field("alignment", &self.alignment)
            .field("data_offset", &self.data_offset)
            .finish()
    }
}

impl GgufFile {
    /// Memory-maps and parses `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, GgufError> {
        let path = path.as_ref().to_path_buf();
        let err = |kind| GgufError { path: path.clone(), kind };
        let file = std::fs::File::open(&path).map_err(|e| err(GgufErrorKind::Io(e.to_string())))?;
        // SAFETY: the map is read-only; a concurrent truncation of the file by another process
        // could fault, which is the accepted contract of every mmap-based model loader (llama.cpp
        // included). We never hand out mutable access.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| err(GgufErrorKind::Io(e.to_string())))?;
        Self::parse(path, Bytes::Mmap(map))
    }

    /// Parses an in-memory GGUF image (tests, adapters built in memory). `name` is used in errors.
    pub fn from_bytes(name: impl Into<PathBuf>, bytes: Vec<u8>) -> Result<Self, GgufError> {
        Self::parse(name.into(), Bytes::Owned(bytes))
    }

    fn parse(path: PathBuf, bytes: Bytes) -> Result<Self, GgufError> {
        let parsed = {
            let mut r = Reader { data: bytes.as_slice(), pos: 0 };
            parse_header(&mut r)
        };
        match parsed {
            Ok(h) => Ok(GgufFile {
                path,
                bytes,
                version: h.version,
                metadata: h.metadata,
                key_index: h.key_index,
                tensors: h.tensors,
                tensor_index: h.tensor_index,
                alignment: h.alignment,
                data_offset: h.data_offset,
            }),
            Err(kind) => Err(GgufError { path, kind }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn version(&self) -> u32 {
        self.version
    }
    pub fn alignment(&self) -> u64 {
        self.alignment
    }
    /// Absolute file offset of the tensor data section.
    pub fn data_offset(&self) -> u64 {
        self.data_offset
    }
    pub fn file_len(&self) -> u64 {
        self.bytes.as_slice().len() as u64
    }

    /// All metadata in file order.
    pub fn metadata(&self) -> &[(String, GgufValue)] {
        &self.metadata
    }
    pub fn get(&self, key: &str) -> Option<&GgufValue> {
        self.key_index.get(key).map(|&i| &self.metadata[i].1)
    }
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(GgufValue::as_str)
    }
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(GgufValue::as_u64)
    }
    pub fn get_f64(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(GgufValue::as_f64)
    }
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(GgufValue::as_bool)
    }
    pub fn get_array(&self, key: &str) -> Option<&GgufArray> {
        self.get(key).and_then(GgufValue::as_array)
    }

    /// All tensor infos in file order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }
    pub fn tensor_info(&self, name: &str) -> Option<&TensorInfo> {
        self.tensor_index.get(name).map(|&i| &self.tensors[i])
    }

    /// The raw bytes of a tensor (bounds were validated at open).
    pub fn tensor_bytes(&self, info: &TensorInfo) -> &[u8] {
        let start = (self.data_offset + info.offset) as usize;
        let end = start + info.n_bytes as usize;
        // Validated in `parse_header`; `get` keeps this panic-free even for a TensorInfo that was
        // not produced by this file.
        self.bytes.as_slice().get(start..end).unwrap_or(&[])
    }

    /// Tells the OS we are done with a tensor's bytes (after copying them into the kernels'
    /// layout), so the file pages stop counting toward this process's resident memory. Without
    /// this, loading peaks at twice the model size (the map plus the copy). Harmless if the
    /// bytes are read again: the pages come back from the page cache.
    pub fn release_tensor(&self, info: &TensorInfo) {
        #[cfg(unix)]
        if let Bytes::Mmap(m) = &self.bytes {
            let start = (self.data_offset + info.offset) as usize;
            let len = info.n_bytes as usize;
            if start.checked_add(len).is_some_and(|end| end <= m.len()) && len > 0 {
                // SAFETY: the map is a read-only, file-backed mapping: MADV_DONTNEED only drops
                // our page-table entries and later reads fault the same file contents back in,
                // so no live `&[u8]` into the map can observe a change.
                let _ = unsafe { m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, len) };
            }
        }
        #[cfg(not(unix))]
        let _ = info;
    }

    /// Looks a tensor up by name and returns its info and bytes, or an error naming the file.
    pub fn tensor(&self, name: &str) -> Result<(&TensorInfo, &[u8]), GgufError> {
        let info = self.tensor_info(name).ok_or_else(|| self.error(format!("tensor {name:?} is missing")))?;
        Ok((info, self.tensor_bytes(info)))
    }

    /// Builds an error about this file (used by the config/tokenizer loaders for semantic problems).
    pub fn error(&self, msg: impl Into<String>) -> GgufError {
        GgufError { path: self.path.clone(), kind: GgufErrorKind::Invalid(msg.into()) }
    }
}

struct Header {
    version: u32,
    metadata: Vec<(String, GgufValue)>,
    key_index: HashMap<String, usize>,
    tensors: Vec<TensorInfo>,
    tensor_index: HashMap<String, usize>,
    alignment: u64,
    data_offset: u64,
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> u64 {
        (self.data.len() - self.pos) as u64
    }

    fn take(&mut self, n: u64, what: &str) -> Result<&'a [u8], GgufErrorKind> {
        if n > self.remaining() {
            return Err(GgufErrorKind::Truncated {
                what: what.to_string(),
                offset: self.pos as u64,
                need: n,
                file_len: self.data.len() as u64,
            });
        }
        let n = n as usize;
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], GgufErrorKind> {
        let s = self.take(N as u64, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u8(&mut self, what: &str) -> Result<u8, GgufErrorKind> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16, GgufErrorKind> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    fn u32(&mut self, what: &str) -> Result<u32, GgufErrorKind> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    fn u64(&mut self, what: &str) -> Result<u64, GgufErrorKind> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// A GGUF string: u64 length + bytes. The length is checked against the remaining bytes (and
    /// `limit`) before anything is allocated.
    fn string(&mut self, what: &str, limit: u64) -> Result<String, GgufErrorKind> {
        let at = self.pos as u64;
        let len = self.u64(what)?;
        if len > limit {
            return Err(GgufErrorKind::TooLarge { what: format!("{what} length at byte {at}"), value: len, limit });
        }
        let bytes = self.take(len, what)?;
        Ok(match std::str::from_utf8(bytes) {
            Ok(s) => s.to_owned(),
            // Token texts in some vocabularies are not valid UTF-8; keep them readable rather than
            // rejecting the whole model.
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        })
    }

    /// Checks that `count` items of at least `min_each` bytes can still fit in the file.
    fn check_count(&self, what: &str, count: u64, min_each: u64) -> Result<(), GgufErrorKind> {
        let limit = self.remaining() / min_each.max(1);
        if count > limit {
            return Err(GgufErrorKind::TooLarge { what: what.to_string(), value: count, limit });
        }
        Ok(())
    }
}

fn read_value(r: &mut Reader<'_>, key: &str, ty: GgufValueType) -> Result<GgufValue, GgufErrorKind> {
    let what = format!("value of {key:?}");
    Ok(match ty {
        GgufValueType::U8 => GgufValue::U8(r.u8(&what)?),
        GgufValueType::I8 => GgufValue::I8(r.u8(&what)? as i8),
        GgufValueType::U16 => GgufValue::U16(r.u16(&what)?),
        GgufValueType::I16 => GgufValue::I16(r.u16(&what)? as i16),
        GgufValueType::U32 => GgufValue::U32(r.u32(&what)?),
        GgufValueType::I32 => GgufValue::I32(r.u32(&what)? as i32),
        GgufValueType::F32 => GgufValue::F32(f32::from_bits(r.u32(&what)?)),
        GgufValueType::U64 => GgufValue::U64(r.u64(&what)?),
        GgufValueType::I64 => GgufValue::I64(r.u64(&what)? as i64),
        GgufValueType::F64 => GgufValue::F64(f64::from_bits(r.u64(&what)?)),
        GgufValueType::Bool => {
            let b = r.u8(&what)?;
            if b > 1 {
                return Err(GgufErrorKind::Invalid(format!("metadata key {key:?}: bool byte is {b}, not 0 or 1")));
            }
            GgufValue::Bool(b == 1)
        }
        GgufValueType::String => GgufValue::String(r.string(&what, r.remaining())?),
        GgufValueType::Array => {
            let et = r.u32(&what)?;
            let et = GgufValueType::from_id(et)
                .ok_or_else(|| GgufErrorKind::UnknownValueType { key: key.to_string(), type_id: et })?;
            if et == GgufValueType::Array {
                return Err(GgufErrorKind::NestedArray { key: key.to_string() });
            }
            let n = r.u64(&what)?;
            r.check_count(&format!("element count of array {key:?}"), n, et.min_bytes())?;
            GgufValue::Array(read_array(r, key, et, n as usize)?)
        }
    })
}

fn read_array(r: &mut Reader<'_>, key: &str, et: GgufValueType, n: usize) -> Result<GgufArray, GgufErrorKind> {
    let what = format!("array {key:?}");
    macro_rules! fixed {
        ($variant:ident, $t:ty, $conv:expr) => {{
            let sz = std::mem::size_of::<$t>();
            let raw = r.take((n * sz) as u64, &what)?;
            GgufArray::$variant(raw.chunks_exact(sz).map($conv).collect())
        }};
    }
    Ok(match et {
        GgufValueType::U8 => GgufArray::U8(r.take(n as u64, &what)?.to_vec()),
        GgufValueType::I8 => GgufArray::I8(r.take(n as u64, &what)?.iter().map(|&b| b as i8).collect()),
        GgufValueType::Bool => {
            let raw = r.take(n as u64, &what)?;
            if let Some(b) = raw.iter().find(|&&b| b > 1) {
                return Err(GgufErrorKind::Invalid(format!("array {key:?}: bool byte is {b}, not 0 or 1")));
            }
            GgufArray::Bool(raw.iter().map(|&b| b == 1).collect())
        }
        GgufValueType::U16 => fixed!(U16, u16, |c| u16::from_le_bytes([c[0], c[1]])),
        GgufValueType::I16 => fixed!(I16, i16, |c| i16::from_le_bytes([c[0], c[1]])),
        GgufValueType::U32 => fixed!(U32, u32, |c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        GgufValueType::I32 => fixed!(I32, i32, |c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        GgufValueType::F32 => fixed!(F32, f32, |c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        GgufValueType::U64 => {
            fixed!(U64, u64, |c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        }
        GgufValueType::I64 => {
            fixed!(I64, i64, |c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        }
        GgufValueType::F64 => {
            fixed!(F64, f64, |c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        }
        GgufValueType::String => {
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(r.string(&what, r.remaining())?);
            }
            GgufArray::String(v)
        }
        GgufValueType::Array => {
            return Err(GgufErrorKind::NestedArray { key: key.to_string() });
        }
    })
}

fn parse_header(r: &mut Reader<'_>) -> Result<Header, GgufErrorKind> {
    let magic: [u8; 4] = r.array("magic")?;
    if u32::from_le_bytes(magic) != GGUF_MAGIC {
        return Err(GgufErrorKind::BadMagic(magic));
    }
    let version = r.u32("version")?;
    if version & 0xFFFF == 0 && version != 0 {
        // A byte-swapped small number: the file was written big-endian.
        return Err(GgufErrorKind::BigEndian);
    }
    if version != 2 && version != 3 {
        return Err(GgufErrorKind::UnsupportedVersion(version));
    }
    let n_tensors = r.u64("tensor count")?;
    let n_kv = r.u64("metadata count")?;
    // A key/value needs at least 8 (key length) + 4 (type) + 1 (value) bytes; a tensor info at
    // least 8 (name length) + 4 (n_dims) + 4 (type) + 8 (offset).
    r.check_count("metadata count", n_kv, 13)?;
    r.check_count("tensor count", n_tensors, 24)?;

    let mut metadata = Vec::with_capacity(n_kv as usize);
    let mut key_index = HashMap::with_capacity(n_kv as usize);
    for _ in 0..n_kv {
        let key = r.string("metadata key", MAX_NAME_LEN)?;
        let type_id = r.u32("metadata value type")?;
        let ty = GgufValueType::from_id(type_id)
            .ok_or_else(|| GgufErrorKind::UnknownValueType { key: key.clone(), type_id })?;
        let value = read_value(r, &key, ty)?;
        if key_index.insert(key.clone(), metadata.len()).is_some() {
            return Err(GgufErrorKind::DuplicateKey(key));
        }
        metadata.push((key, value));
    }

    let alignment = match key_index.get("general.alignment").map(|&i| &metadata[i].1) {
        None => DEFAULT_ALIGNMENT,
        Some(GgufValue::U32(a)) if *a > 0 && a.is_power_of_two() => *a as u64,
        Some(GgufValue::U32(a)) => {
            return Err(GgufErrorKind::BadAlignment(format!("{a} is not a power of two")));
        }
        Some(other) => {
            return Err(GgufErrorKind::BadAlignment(format!("type {} instead of u32", other.value_type().name())));
        }
    };

    let mut tensors = Vec::with_capacity(n_tensors as usize);
    let mut tensor_index = HashMap::with_capacity(n_tensors as usize);
    for _ in 0..n_tensors {
        let name = r.string("tensor name", MAX_NAME_LEN)?;
        let n_dims = r.u32("tensor dimension count")?;
        if n_dims > MAX_DIMS {
            return Err(GgufErrorKind::TooManyDims { tensor: name, n_dims });
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            dims.push(r.u64("tensor dimension")?);
        }
        let type_id = r.u32("tensor type")?;
        let ggml_type = GgmlType::from_id(type_id)
            .ok_or_else(|| GgufErrorKind::UnknownGgmlType { tensor: name.clone(), type_id })?;
        let offset = r.u64("tensor offset")?;

        let ne0 = dims.first().copied().unwrap_or(1);
        if ne0 % ggml_type.block_size() != 0 {
            return Err(GgufErrorKind::NotBlockMultiple { tensor: name, ggml_type, ne0 });
        }
        let overflow = || GgufErrorKind::SizeOverflow { tensor: name.clone() };
        let mut n_elem: u64 = 1;
        for &d in &dims {
            n_elem = n_elem.checked_mul(d).ok_or_else(overflow)?;
        }
        if n_elem > i64::MAX as u64 {
            return Err(overflow());
        }
        let n_bytes = (n_elem / ggml_type.block_size()).checked_mul(ggml_type.block_bytes()).ok_or_else(overflow)?;
        if offset % alignment != 0 {
            return Err(GgufErrorKind::MisalignedTensor { tensor: name, offset, alignment });
        }
        if tensor_index.insert(name.clone(), tensors.len()).is_some() {
            return Err(GgufErrorKind::DuplicateTensor(name));
        }
        tensors.push(TensorInfo { name, dims, ggml_type, offset, n_bytes });
    }

    let header_end = r.pos as u64;
    let data_offset = header_end.div_ceil(alignment) * alignment;
    let file_len = r.data.len() as u64;
    let data_len = file_len.saturating_sub(data_offset);
    if !tensors.is_empty() && data_offset > file_len {
        return Err(GgufErrorKind::Truncated {
            what: "tensor data section".into(),
            offset: header_end,
            need: data_offset - header_end,
            file_len,
        });
    }
    for t in &tensors {
        let end =
            t.offset.checked_add(t.n_bytes).ok_or_else(|| GgufErrorKind::SizeOverflow { tensor: t.name.clone() })?;
        if end > data_len {
            return Err(GgufErrorKind::TensorOutOfBounds { tensor: t.name.clone(), start: t.offset, end, data_len });
        }
    }
    Ok(Header { version, metadata, key_index, tensors, tensor_index, alignment, data_offset })
}

#[cfg(test)]
mod tests;
