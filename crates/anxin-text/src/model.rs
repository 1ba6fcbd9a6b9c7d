//! The trained model: several linear classification heads over one shared hashed feature table.
//!
//! Each bucket row holds the weights of every head, so scoring a message costs one memory row per feature for all
//! heads together. Weights are stored as `i16` with a per-column scale (half the size of `f32`, and the
//! quantisation error is far below the model's own noise). A two-class head takes one column: the logit of its
//! second class against its first (a softmax over two classes only ever depends on that difference).

use std::fmt;

const MAGIC: &[u8; 8] = b"ANXINTM2";
/// The most columns a model may have (all heads together).
pub const MAX_STRIDE: usize = 256;

/// One classification head: a named softmax over `classes`, occupying columns `offset .. offset + columns()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    pub name: String,
    pub classes: Vec<String>,
    pub offset: usize,
}

impl Head {
    /// Columns the head occupies: one for a two-class head (the second class's logit against the first's, read
    /// through a sigmoid), one per class otherwise.
    pub fn columns(&self) -> usize {
        columns_for(self.classes.len())
    }
}

/// Columns a head with `classes` classes occupies (see [`Head::columns`]).
pub fn columns_for(classes: usize) -> usize {
    if classes == 2 { 1 } else { classes }
}

#[derive(Clone, PartialEq)]
pub struct LinearModel {
    pub bits: u32,
    /// Fingerprint of the feature extractor the model was trained with (see `Analyzer`).
    pub feature_fingerprint: u64,
    pub heads: Vec<Head>,
    /// Total number of columns over all heads.
    pub stride: usize,
    pub bias: Vec<f32>,
    pub scale: Vec<f32>,
    pub weights: Vec<i16>,
}

impl fmt::Debug for LinearModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinearModel")
            .field("bits", &self.bits)
            .field("heads", &self.heads)
            .field("stride", &self.stride)
            .finish_non_exhaustive()
    }
}

/// Why model bytes could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelError {
    BadMagic,
    Truncated(&'static str),
    Invalid(String),
    FeatureMismatch { model: u64, code: u64 },
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::BadMagic => write!(f, "not an Anxin text model (bad magic bytes)"),
            ModelError::Truncated(what) => write!(f, "model file is truncated while reading {what}"),
            ModelError::Invalid(why) => write!(f, "model file is invalid: {why}"),
            ModelError::FeatureMismatch { model, code } => write!(
                f,
                "model was trained with feature set {model:016x} but this build extracts {code:016x}; \
                 retrain with `anxin train`"
            ),
        }
    }
}

impl std::error::Error for ModelError {}

impl LinearModel {
    /// Builds a quantised model from trained `f32` weights (bucket-major, `stride` columns per bucket).
    pub fn quantize(bits: u32, feature_fingerprint: u64, heads: Vec<Head>, bias: Vec<f32>, weights: &[f32]) -> Self {
        let stride = bias.len();
        assert!((1..=MAX_STRIDE).contains(&stride), "{stride} columns");
        assert_eq!(weights.len(), (1usize << bits) * stride);
        let mut max_abs = vec![0f32; stride];
        for row in weights.chunks_exact(stride) {
            for (m, w) in max_abs.iter_mut().zip(row) {
                *m = m.max(w.abs());
            }
        }
        let scale: Vec<f32> = max_abs.iter().map(|m| if *m > 0.0 { m / 32767.0 } else { 1.0 }).collect();
        let q = weights
            .chunks_exact(stride)
            .flat_map(|row| row.iter().zip(&scale).map(|(w, s)| (w / s).round().clamp(-32767.0, 32767.0) as i16))
            .collect();
        Self { bits, feature_fingerprint, heads, stride, bias, scale, weights: q }
    }

    pub fn head(&self, name: &str) -> Option<&Head> {
        self.heads.iter().find(|h| h.name == name)
    }

    /// Adds the integer row of every feature's bucket into `acc` (length `stride`). Every feature of a message has
    /// the same value, so it is applied once in [`Self::finish`].
    #[inline]
    pub fn accumulate(&self, buckets: impl Iterator<Item = u32>, acc: &mut [i64]) {
        // Partial sums in i32 vectorise (i16 → i32 widening adds); 2^15 rows of |w| ≤ 32767 cannot overflow one,
        // and very long input flushes into the i64 totals block by block.
        const BLOCK: usize = 1 << 15;
        let mut partial = [0i32; MAX_STRIDE];
        let partial = &mut partial[..self.stride];
        let mut flush = |partial: &mut [i32]| {
            for (a, p) in acc.iter_mut().zip(partial.iter_mut()) {
                *a += i64::from(*p);
                *p = 0;
            }
        };
        let mut in_block = 0;
        for b in buckets {
            for (p, w) in partial.iter_mut().zip(self.row(b)) {
                *p += i32::from(*w);
            }
            in_block += 1;
            if in_block == BLOCK {
                flush(partial);
                in_block = 0;
            }
        }
        flush(partial);
    }

    /// Converts integer sums into logits: `bias + scale × value × sum`.
    pub fn finish(&self, acc: &[i64], value: f32, logits: &mut [f32]) {
        for j in 0..self.stride {
            logits[j] = self.bias[j] + self.scale[j] * value * acc[j] as f32;
        }
    }

    /// The quantised weights of one bucket, every column (multiply by [`Self::scale`] per column).
    #[inline]
    pub fn row(&self, bucket: u32) -> &[i16] {
        &self.weights[bucket as usize * self.stride..][..self.stride]
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.weights.len() * 2);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.bits.to_le_bytes());
        out.extend_from_slice(&self.feature_fingerprint.to_le_bytes());
        out.extend_from_slice(&(self.stride as u32).to_le_bytes());
        out.extend_from_slice(&(self.heads.len() as u32).to_le_bytes());
        let put_str = |out: &mut Vec<u8>, s: &str| {
            out.extend_from_slice(&(s.len() as u16).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        for h in &self.heads {
            put_str(&mut out, &h.name);
            out.extend_from_slice(&(h.offset as u32).to_le_bytes());
            out.extend_from_slice(&(h.classes.len() as u16).to_le_bytes());
            for c in &h.classes {
                put_str(&mut out, c);
            }
        }
        for v in self.bias.iter().chain(&self.scale) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for w in &self.weights {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(8, "magic")? != MAGIC {
            return Err(ModelError::BadMagic);
        }
        let bits = r.u32("bits")?;
        if !(8..=24).contains(&bits) {
            return Err(ModelError::Invalid(format!("hash bits {bits} out of range")));
        }
        let feature_fingerprint = r.u64("fingerprint")?;
        let stride = r.u32("stride")? as usize;
        let n_heads = r.u32("head count")? as usize;
        if stride == 0 || stride > MAX_STRIDE || n_heads > 16 {
            return Err(ModelError::Invalid(format!("{n_heads} heads over {stride} columns")));
        }
        let mut heads = Vec::with_capacity(n_heads);
        for _ in 0..n_heads {
            let name = r.string("head name")?;
            let offset = r.u32("head offset")? as usize;
            let n_classes = r.u16("class count")? as usize;
            let classes = (0..n_classes).map(|_| r.string("class name")).collect::<Result<Vec<_>, _>>()?;
            if n_classes < 2 || offset + columns_for(n_classes) > stride {
                return Err(ModelError::Invalid(format!("head {name} with {n_classes} classes does not fit the row")));
            }
            heads.push(Head { name, classes, offset });
        }
        let mut floats = |n: usize, what| -> Result<Vec<f32>, ModelError> {
            let raw = r.take(n * 4, what)?;
            Ok(raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
        };
        let bias = floats(stride, "bias")?;
        let scale = floats(stride, "scale")?;
        let n = (1usize << bits) * stride;
        let raw = r.take(n * 2, "weights")?;
        let weights = raw.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect();
        if r.pos != bytes.len() {
            return Err(ModelError::Invalid("trailing bytes after the weights".into()));
        }
        Ok(Self { bits, feature_fingerprint, heads, stride, bias, scale, weights })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ModelError> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.bytes.len()).ok_or(ModelError::Truncated(what))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u16(&mut self, what: &'static str) -> Result<u16, ModelError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, ModelError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self, what: &'static str) -> Result<u64, ModelError> {
        let b = self.take(8, what)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    fn string(&mut self, what: &'static str) -> Result<String, ModelError> {
        let n = self.u16(what)? as usize;
        let b = self.take(n, what)?;
        String::from_utf8(b.to_vec()).map_err(|_| ModelError::Invalid(format!("{what} is not UTF-8")))
    }
}

/// The logistic function: a two-class head's probability of its second class.
pub fn sigmoid(logit: f32) -> f32 {
    1.0 / (1.0 + (-logit).exp())
}

/// Numerically stable softmax in place.
pub fn softmax(logits: &mut [f32]) {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for l in logits.iter_mut() {
        *l = (*l - max).exp();
        sum += *l;
    }
    for l in logits.iter_mut() {
        *l /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> LinearModel {
        let heads = vec![
            Head { name: "binary".into(), classes: vec!["a".into(), "b".into()], offset: 0 },
            Head { name: "three".into(), classes: vec!["x".into(), "y".into(), "z".into()], offset: 1 },
        ];
        let weights: Vec<f32> = (0..(1 << 8) * 4).map(|i| (i as f32 - 512.0) / 100.0).collect();
        LinearModel::quantize(8, 42, heads, vec![0.5, -0.5, 0.1, 0.2], &weights)
    }

    #[test]
    fn round_trips_through_bytes() {
        let m = tiny();
        let back = LinearModel::from_bytes(&m.to_bytes()).expect("valid bytes");
        assert_eq!(back, m);
        assert!((f32::from(m.row(3)[1]) * m.scale[1] - (13.0 - 512.0) / 100.0).abs() < 1e-3);
        assert_eq!(m.head("binary").map(Head::columns), Some(1));
        assert_eq!(m.head("three").map(Head::columns), Some(3));
    }

    #[test]
    fn rejects_hostile_bytes_without_panicking() {
        let good = tiny().to_bytes();
        assert_eq!(LinearModel::from_bytes(b"nope"), Err(ModelError::Truncated("magic")));
        assert_eq!(LinearModel::from_bytes(b"NOTMODEL12345678"), Err(ModelError::BadMagic));
        for cut in [9, 20, 40, good.len() - 1] {
            assert!(LinearModel::from_bytes(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut extra = good.clone();
        extra.push(0);
        assert!(matches!(LinearModel::from_bytes(&extra), Err(ModelError::Invalid(_))));
        // A head that claims more columns than the row has, or a single class, is refused.
        let mut wide = tiny();
        wide.heads[1].offset = 2;
        assert!(matches!(LinearModel::from_bytes(&wide.to_bytes()), Err(ModelError::Invalid(_))));
        let mut single = tiny();
        single.heads[1].classes.truncate(1);
        assert!(matches!(LinearModel::from_bytes(&single.to_bytes()), Err(ModelError::Invalid(_))));
    }

    #[test]
    fn accumulate_matches_a_plain_sum_beyond_one_block() {
        let m = tiny();
        // 100,000 features (four i32 blocks), most on the row holding the largest weights (about 32,500).
        let buckets: Vec<u32> = (0..100_000u32).map(|i| if i % 10 == 0 { 7 } else { 255 }).collect();
        let mut acc = vec![0i64; m.stride];
        m.accumulate(buckets.iter().copied(), &mut acc);
        let mut expected = vec![0i64; m.stride];
        for b in &buckets {
            for (e, w) in expected.iter_mut().zip(m.row(*b)) {
                *e += i64::from(*w);
            }
        }
        assert_eq!(acc, expected);
        assert!(acc.iter().any(|a| a.abs() > i64::from(i32::MAX)), "the sums leave the i32 range: {acc:?}");
    }

    #[test]
    fn sigmoid_is_the_two_class_softmax() {
        for z in [-30.0f32, -2.0, 0.0, 0.7, 30.0] {
            let mut pair = [0.0, z];
            softmax(&mut pair);
            assert!((sigmoid(z) - pair[1]).abs() < 1e-6, "{z}");
        }
    }

    #[test]
    fn softmax_sums_to_one() {
        let mut l = [1000.0, 0.0, -1000.0];
        softmax(&mut l);
        assert!((l.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(l[0] > 0.99);
    }
}
