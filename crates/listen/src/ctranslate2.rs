//! Reads a CTranslate2 `model.bin`, the format in which the Whisper weights reach us.
//!
//! The file is a flat list of named tensors. We read it ourselves (rather than through
//! Python) so that Encore can convert the weights once, at install time, and so that a user
//! can point `--model` straight at any CTranslate2 Whisper directory.
//!
//! Layout (little-endian): u32 version; spec name and u32 revision (version ≥ 2); u32 variable
//! count, then for each variable a string name, u8 rank, u32 dims, u8 dtype, u32 byte count and
//! the data; then (version ≥ 3) u32 alias count and (alias, target) string pairs. A string is a
//! u16 length that counts a trailing NUL, then the bytes.

use std::collections::HashMap;

use crate::ListenError;

/// The element types CTranslate2 writes, by their code in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementType {
    F32,
    I8,
    I16,
    I32,
    F16,
    BF16,
}

impl ElementType {
    fn from_code(code: u8) -> Option<ElementType> {
        Some(match code {
            0 => ElementType::F32,
            1 => ElementType::I8,
            2 => ElementType::I16,
            3 => ElementType::I32,
            4 => ElementType::F16,
            5 => ElementType::BF16,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            ElementType::I8 => 1,
            ElementType::I16 | ElementType::F16 | ElementType::BF16 => 2,
            ElementType::F32 | ElementType::I32 => 4,
        }
    }
}

/// One named variable of the model.
#[derive(Debug, Clone)]
pub struct Variable {
    pub shape: Vec<usize>,
    pub element_type: ElementType,
    pub bytes: Vec<u8>,
}

impl Variable {
    /// The values widened to f32, whatever the stored type (integers keep their value).
    pub fn to_f32(&self) -> Vec<f32> {
        let chunks = self.bytes.chunks_exact(self.element_type.size());
        match self.element_type {
            ElementType::F32 => chunks.map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect(),
            ElementType::F16 => chunks.map(|c| half::f16::from_le_bytes(c.try_into().unwrap()).to_f32()).collect(),
            ElementType::BF16 => chunks.map(|c| half::bf16::from_le_bytes(c.try_into().unwrap()).to_f32()).collect(),
            ElementType::I8 => self.bytes.iter().map(|&b| b as i8 as f32).collect(),
            ElementType::I16 => chunks.map(|c| i16::from_le_bytes(c.try_into().unwrap()) as f32).collect(),
            ElementType::I32 => chunks.map(|c| i32::from_le_bytes(c.try_into().unwrap()) as f32).collect(),
        }
    }
}

/// The variables of a CTranslate2 model, aliases resolved.
#[derive(Debug, Default)]
pub struct Checkpoint {
    pub spec: String,
    pub variables: HashMap<String, Variable>,
}

/// Parses the bytes of a `model.bin`. `origin` names the file in error messages.
pub fn parse(bytes: &[u8], origin: &str) -> Result<Checkpoint, ListenError> {
    let mut reader = Reader { bytes, at: 0, origin };
    let version = reader.u32()?;
    if !(1..=6).contains(&version) {
        return Err(reader.broken(format!("unknown CTranslate2 format version {version}")));
    }
    let mut checkpoint = Checkpoint::default();
    if version >= 2 {
        checkpoint.spec = reader.string()?;
        let _revision = reader.u32()?;
    }
    let count = reader.u32()?;
    for _ in 0..count {
        let name = reader.string()?;
        let rank = reader.u8()? as usize;
        let shape = (0..rank).map(|_| reader.u32().map(|d| d as usize)).collect::<Result<Vec<_>, _>>()?;
        let code = reader.u8()?;
        let element_type = ElementType::from_code(code)
            .ok_or_else(|| reader.broken(format!("variable {name} has unknown type code {code}")))?;
        let length = reader.u32()? as usize;
        let expected = shape.iter().product::<usize>() * element_type.size();
        if length != expected {
            return Err(reader.broken(format!("variable {name} holds {length} bytes, its shape needs {expected}")));
        }
        let bytes = reader.take(length)?.to_vec();
        checkpoint.variables.insert(name, Variable { shape, element_type, bytes });
    }
    if version >= 3 {
        let aliases = reader.u32()?;
        for _ in 0..aliases {
            let alias = reader.string()?;
            let target = reader.string()?;
            let variable = checkpoint
                .variables
                .get(&target)
                .ok_or_else(|| reader.broken(format!("alias {alias} points at missing {target}")))?
                .clone();
            checkpoint.variables.insert(alias, variable);
        }
    }
    Ok(checkpoint)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    origin: &'a str,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ListenError> {
        let end = self.at.checked_add(n).filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| self.broken(format!("the file ends early, at byte {}", self.bytes.len())))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }
    fn u8(&mut self) -> Result<u8, ListenError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, ListenError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn string(&mut self) -> Result<String, ListenError> {
        let length = u16::from_le_bytes(self.take(2)?.try_into().unwrap()) as usize;
        let raw = self.take(length)?;
        let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
        String::from_utf8(raw.to_vec()).map_err(|_| self.broken("a name is not UTF-8".into()))
    }
    fn broken(&self, reason: String) -> ListenError {
        ListenError::BrokenModel { path: self.origin.into(), reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(out: &mut Vec<u8>, text: &str) {
        out.extend_from_slice(&((text.len() + 1) as u16).to_le_bytes());
        out.extend_from_slice(text.as_bytes());
        out.push(0);
    }

    fn tiny_model() -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&6u32.to_le_bytes());
        string(&mut out, "WhisperSpec");
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        string(&mut out, "decoder/embeddings/weight");
        out.push(2);
        out.extend_from_slice(&2u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.push(4);
        out.extend_from_slice(&4u32.to_le_bytes());
        out.extend_from_slice(&half::f16::from_f32(1.5).to_le_bytes());
        out.extend_from_slice(&half::f16::from_f32(-2.0).to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        string(&mut out, "decoder/projection/weight");
        string(&mut out, "decoder/embeddings/weight");
        out
    }

    #[test]
    fn reads_variables_and_aliases() {
        let checkpoint = parse(&tiny_model(), "model.bin").unwrap();
        assert_eq!(checkpoint.spec, "WhisperSpec");
        let projection = &checkpoint.variables["decoder/projection/weight"];
        assert_eq!(projection.shape, vec![2, 1]);
        assert_eq!(projection.to_f32(), vec![1.5, -2.0]);
    }

    #[test]
    fn a_cut_file_is_a_clear_error() {
        let bytes = tiny_model();
        let error = parse(&bytes[..30], "model.bin").unwrap_err().to_string();
        assert!(error.contains("model.bin") && error.contains("ends early"), "{error}");
    }
}
