//! The MessagePack form in which Terraform passes values to a provider (cty's msgpack
//! encoding): objects and maps are maps with string keys, lists, sets and tuples arrays,
//! numbers integers, floats or (for big ones) strings, null nil, and an unknown value
//! MessagePack extension 0. Decoding keeps the structure as it is, so a value goes back
//! to Terraform exactly as it came unless the planner replaces a part of it.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Bin(Vec<u8>),
    Array(Vec<Value>),
    Map(Vec<(Value, Value)>),
    /// An extension; type 0 (and cty's refined-unknown type 12) is an unknown value.
    Ext(i8, Vec<u8>),
}

/// cty's extension type for an unknown value.
const UNKNOWN_EXT: i8 = 0;
/// cty's extension type for an unknown value with refinements (Terraform 1.6+).
#[cfg(test)]
const REFINED_UNKNOWN_EXT: i8 = 12;

impl Value {
    /// An unknown value, as cty encodes one without refinements.
    pub fn unknown() -> Self {
        Value::Ext(UNKNOWN_EXT, vec![0])
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Nil)
    }

    #[cfg(test)]
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Ext(t, _) if *t == UNKNOWN_EXT || *t == REFINED_UNKNOWN_EXT)
    }

    /// The entry `key` of a map value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(k, Value::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// A JSON scalar (a default from the plan facts) as a value.
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        match value {
            serde_json::Value::Bool(b) => Some(Value::Bool(*b)),
            serde_json::Value::String(s) => Some(Value::Str(s.clone())),
            serde_json::Value::Number(n) => n
                .as_i64()
                .map(Value::Int)
                .or_else(|| n.as_f64().map(Value::Float)),
            _ => None,
        }
    }
}

/// Why bytes from Terraform could not be read as MessagePack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed MessagePack value: {}", self.0)
    }
}

impl std::error::Error for DecodeError {}

pub fn decode(bytes: &[u8]) -> Result<Value, DecodeError> {
    let mut reader = Reader { bytes, at: 0 };
    let value = reader.value(0)?;
    if reader.at != bytes.len() {
        return Err(DecodeError(format!(
            "{} bytes left over after the value",
            bytes.len() - reader.at
        )));
    }
    Ok(value)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// Deeper than any schema nests; a guard against a malicious or corrupt input.
const MAX_DEPTH: usize = 64;

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| DecodeError(format!("truncated at byte {}", self.at)))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn uint(&mut self, n: usize) -> Result<u64, DecodeError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn value(&mut self, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError("nested too deeply".to_string()));
        }
        let marker = self.take(1)?[0];
        Ok(match marker {
            0x00..=0x7f => Value::Int(i64::from(marker)),
            0x80..=0x8f => self.map(usize::from(marker & 0x0f), depth)?,
            0x90..=0x9f => self.array(usize::from(marker & 0x0f), depth)?,
            0xa0..=0xbf => self.string(usize::from(marker & 0x1f))?,
            0xc0 => Value::Nil,
            0xc2 => Value::Bool(false),
            0xc3 => Value::Bool(true),
            0xc4..=0xc6 => {
                let n = self.uint(1 << (marker - 0xc4))? as usize;
                Value::Bin(self.take(n)?.to_vec())
            }
            0xc7..=0xc9 => {
                let n = self.uint(1 << (marker - 0xc7))? as usize;
                let kind = self.take(1)?[0] as i8;
                Value::Ext(kind, self.take(n)?.to_vec())
            }
            0xca => Value::Float(f64::from(f32::from_bits(self.uint(4)? as u32))),
            0xcb => Value::Float(f64::from_bits(self.uint(8)?)),
            0xcc..=0xcf => Value::UInt(self.uint(1 << (marker - 0xcc))?),
            0xd0 => Value::Int(i64::from(self.take(1)?[0] as i8)),
            0xd1 => Value::Int(i64::from(self.uint(2)? as u16 as i16)),
            0xd2 => Value::Int(i64::from(self.uint(4)? as u32 as i32)),
            0xd3 => Value::Int(self.uint(8)? as i64),
            0xd4..=0xd8 => {
                let kind = self.take(1)?[0] as i8;
                Value::Ext(kind, self.take(1 << (marker - 0xd4))?.to_vec())
            }
            0xd9..=0xdb => {
                let n = self.uint(1 << (marker - 0xd9))? as usize;
                self.string(n)?
            }
            0xdc | 0xdd => {
                let n = self.uint(2 << (marker - 0xdc))? as usize;
                self.array(n, depth)?
            }
            0xde | 0xdf => {
                let n = self.uint(2 << (marker - 0xde))? as usize;
                self.map(n, depth)?
            }
            0xe0..=0xff => Value::Int(i64::from(marker as i8)),
            0xc1 => return Err(DecodeError("reserved byte 0xc1".to_string())),
        })
    }

    fn string(&mut self, n: usize) -> Result<Value, DecodeError> {
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec())
            .map(Value::Str)
            .map_err(|_| DecodeError("a string is not UTF-8".to_string()))
    }

    fn array(&mut self, n: usize, depth: usize) -> Result<Value, DecodeError> {
        let mut items = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            items.push(self.value(depth + 1)?);
        }
        Ok(Value::Array(items))
    }

    fn map(&mut self, n: usize, depth: usize) -> Result<Value, DecodeError> {
        let mut entries = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            let key = self.value(depth + 1)?;
            let value = self.value(depth + 1)?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write(value, &mut out);
    out
}

fn write_len(out: &mut Vec<u8>, n: usize, small: Option<(u8, usize)>, markers: [u8; 3]) {
    match small {
        Some((base, limit)) if n < limit => out.push(base | n as u8),
        _ if n <= 0xff && markers[0] != 0 => out.extend([markers[0], n as u8]),
        _ if n <= 0xffff => {
            out.push(markers[1]);
            out.extend((n as u16).to_be_bytes());
        }
        _ => {
            out.push(markers[2]);
            out.extend((n as u32).to_be_bytes());
        }
    }
}

fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Nil => out.push(0xc0),
        Value::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Int(i) => {
            if (0..=0x7f).contains(i) || (-32..0).contains(i) {
                out.push(*i as i8 as u8);
            } else {
                out.push(0xd3);
                out.extend(i.to_be_bytes());
            }
        }
        Value::UInt(u) => {
            out.push(0xcf);
            out.extend(u.to_be_bytes());
        }
        Value::Float(f) => {
            out.push(0xcb);
            out.extend(f.to_bits().to_be_bytes());
        }
        Value::Str(s) => {
            write_len(out, s.len(), Some((0xa0, 32)), [0xd9, 0xda, 0xdb]);
            out.extend(s.as_bytes());
        }
        Value::Bin(b) => {
            write_len(out, b.len(), None, [0xc4, 0xc5, 0xc6]);
            out.extend(b);
        }
        Value::Array(items) => {
            write_len(out, items.len(), Some((0x90, 16)), [0, 0xdc, 0xdd]);
            items.iter().for_each(|item| write(item, out));
        }
        Value::Map(entries) => {
            write_len(out, entries.len(), Some((0x80, 16)), [0, 0xde, 0xdf]);
            for (key, value) in entries {
                write(key, out);
                write(value, out);
            }
        }
        Value::Ext(kind, data) => {
            match data.len() {
                1 => out.push(0xd4),
                2 => out.push(0xd5),
                4 => out.push(0xd6),
                8 => out.push(0xd7),
                16 => out.push(0xd8),
                n => write_len(out, n, None, [0xc7, 0xc8, 0xc9]),
            }
            out.push(*kind as u8);
            out.extend(data);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(value: Value) {
        assert_eq!(decode(&encode(&value)).unwrap(), value);
    }

    #[test]
    fn values_survive_a_roundtrip() {
        roundtrip(Value::Nil);
        roundtrip(Value::Bool(true));
        for i in [0, 1, 127, 128, -1, -32, -33, 65_536, i64::MIN, i64::MAX] {
            roundtrip(Value::Int(i));
        }
        roundtrip(Value::UInt(u64::MAX));
        roundtrip(Value::Float(2.5));
        roundtrip(Value::Str("x".repeat(40)));
        roundtrip(Value::Str("y".repeat(300)));
        roundtrip(Value::Array((0..20).map(Value::Int).collect()));
        roundtrip(Value::Map(
            (0..17)
                .map(|i| (Value::Str(format!("k{i}")), Value::Int(i)))
                .collect(),
        ));
        roundtrip(Value::unknown());
    }

    #[test]
    fn cty_unknown_is_extension_zero() {
        assert_eq!(encode(&Value::unknown()), vec![0xd4, 0x00, 0x00]);
        assert!(decode(&[0xd4, 0x00, 0x00]).unwrap().is_unknown());
        // a refined unknown (ext 12) counts as unknown too
        assert!(decode(&[0xc7, 0x01, 0x0c, 0x80]).unwrap().is_unknown());
    }

    #[test]
    fn truncated_input_is_an_error_not_a_panic() {
        assert!(decode(&[0x92, 0x01]).is_err());
        assert!(decode(&[0xdb, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode(&[0x01, 0x02]).is_err());
    }
}
