//! Reads the named-tensor files in `assets/` (see `assets/FORMAT.md`): a magic, a count, then
//! for each tensor its name, its dimensions and its little-endian f32 values.

use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("the weights file does not start with {0}")]
    Magic(&'static str),
    #[error("the weights file ends early")]
    Truncated,
    #[error("tensor {0} is missing from the weights file")]
    Missing(String),
    #[error("tensor {name} has dimensions {found:?}, expected {expected:?}")]
    Shape {
        name: String,
        found: Vec<usize>,
        expected: Vec<usize>,
    },
}

/// A little-endian cursor over a weights file.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8], magic: &'static str) -> Result<Self, WeightsError> {
        let rest = bytes.strip_prefix(magic.as_bytes()).ok_or(WeightsError::Magic(magic))?;
        Ok(Cursor { bytes: rest })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], WeightsError> {
        if self.bytes.len() < n {
            return Err(WeightsError::Truncated);
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub(crate) fn u32(&mut self) -> Result<usize, WeightsError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    pub(crate) fn f32(&mut self) -> Result<f32, WeightsError> {
        let b = self.take(4)?;
        Ok(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn f32s(&mut self, n: usize) -> Result<Vec<f32>, WeightsError> {
        let bytes = self.take(n.checked_mul(4).ok_or(WeightsError::Truncated)?)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    fn string(&mut self) -> Result<String, WeightsError> {
        let n = self.u32()?;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }
}

/// The tensors of a `VRTYFRN1` file by name.
pub(crate) struct Tensors {
    by_name: HashMap<String, (Vec<usize>, Vec<f32>)>,
}

impl Tensors {
    pub(crate) fn parse(bytes: &[u8], magic: &'static str) -> Result<Self, WeightsError> {
        let mut cursor = Cursor::new(bytes, magic)?;
        let count = cursor.u32()?;
        let mut by_name = HashMap::with_capacity(count);
        for _ in 0..count {
            let name = cursor.string()?;
            let ndims = cursor.u32()?;
            let dims = (0..ndims).map(|_| cursor.u32()).collect::<Result<Vec<_>, _>>()?;
            let len = dims.iter().product();
            let values = cursor.f32s(len)?;
            by_name.insert(name, (dims, values));
        }
        Ok(Tensors { by_name })
    }

    /// Takes the tensor `name`, checking its dimensions.
    pub(crate) fn take(&mut self, name: &str, expected: &[usize]) -> Result<Vec<f32>, WeightsError> {
        let (dims, values) = self
            .by_name
            .remove(name)
            .ok_or_else(|| WeightsError::Missing(name.to_owned()))?;
        if dims != expected {
            return Err(WeightsError::Shape {
                name: name.to_owned(),
                found: dims,
                expected: expected.to_vec(),
            });
        }
        Ok(values)
    }
}
