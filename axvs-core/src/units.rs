//! Checked numbers that settings share: frame sizes and rates, validated when a rig or call is read.

use serde::Deserialize;

/// A frame width or height in pixels: 1 to 16384.
///
/// ```
/// use axvs_core::Dimension;
/// assert_eq!(Dimension::try_from(640).unwrap().get(), 640);
/// assert!(Dimension::try_from(0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "i64")]
pub struct Dimension(u32);

impl Dimension {
    /// Largest size accepted.
    pub const MAX: u32 = 16384;

    /// The number of pixels.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for Dimension {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        match u32::try_from(v) {
            Ok(n @ 1..=Self::MAX) => Ok(Dimension(n)),
            _ => Err(format!("{v} is not a valid size (allowed: 1 to {} pixels)", Self::MAX)),
        }
    }
}

/// A region's offset in pixels: 0 to 16383 (an offset of 0 is the sensor's first row or column).
///
/// ```
/// use axvs_core::Offset;
/// assert_eq!(Offset::try_from(0).unwrap().get(), 0);
/// assert!(Offset::try_from(-1).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "i64")]
pub struct Offset(u32);

impl Offset {
    /// Largest offset accepted: one less than the largest [`Dimension`].
    pub const MAX: u32 = Dimension::MAX - 1;

    /// The number of pixels.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for Offset {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        match u32::try_from(v) {
            Ok(n @ 0..=Self::MAX) => Ok(Offset(n)),
            _ => Err(format!(
                "{v} is not a valid offset (allowed: 0 to {} pixels)",
                Self::MAX
            )),
        }
    }
}

/// A positive rate or duration (integer or float), e.g. frames per second: 0.001 to 100000.
///
/// ```
/// use axvs_core::Positive;
/// assert_eq!(Positive::try_from(30.0).unwrap().get(), 30.0);
/// assert!(Positive::try_from(-5.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(try_from = "Number")]
pub struct Positive(f64);

impl Positive {
    /// The value.
    pub fn get(self) -> f64 {
        self.0
    }
}

/// An integer or a float, as rig files write rates; anything else is "expected a number".
#[derive(Debug, Clone, Copy)]
enum Number {
    Int(i64),
    Float(f64),
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Number;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Number, E> {
                Ok(Number::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Number, E> {
                Ok(Number::Float(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Number, E> {
                Ok(Number::Float(v))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl TryFrom<f64> for Positive {
    type Error = String;
    fn try_from(v: f64) -> Result<Self, String> {
        if v.is_finite() && (0.001..=100_000.0).contains(&v) {
            Ok(Positive(v))
        } else {
            // 1e300, not its 301 digits.
            let shown = if v.is_finite() && (v.abs() >= 1e9 || (v != 0.0 && v.abs() < 1e-4)) {
                format!("{v:e}")
            } else {
                v.to_string()
            };
            Err(format!(
                "{shown} is not allowed here (must be a number from 0.001 to 100000)"
            ))
        }
    }
}

impl TryFrom<Number> for Positive {
    type Error = String;
    fn try_from(n: Number) -> Result<Self, String> {
        match n {
            Number::Int(i) => Positive::try_from(i as f64),
            Number::Float(f) => Positive::try_from(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_or_tiny_number_is_named_briefly() {
        let e = Positive::try_from(1e300).expect_err("huge");
        assert!(e.starts_with("1e300 is not allowed here"), "{e}");
        assert!(e.len() < 80, "{e}");
        let e = Positive::try_from(1e-9).expect_err("tiny");
        assert!(e.starts_with("1e-9 is not allowed"), "{e}");
        let e = Positive::try_from(-5.0).expect_err("negative");
        assert!(e.starts_with("-5 is not allowed"), "{e}");
        let e = Positive::try_from(0.0001).expect_err("below 0.001");
        assert!(e.starts_with("0.0001 is not allowed"), "{e}");
    }

    #[test]
    fn bounds_are_inclusive() {
        assert!(Dimension::try_from(1).is_ok() && Dimension::try_from(16384).is_ok());
        assert!(Dimension::try_from(16385).is_err() && Dimension::try_from(-1).is_err());
        assert!(Offset::try_from(0).is_ok() && Offset::try_from(16383).is_ok());
        assert!(Offset::try_from(16384).is_err() && Offset::try_from(-1).is_err());
        assert!(Positive::try_from(0.001).is_ok() && Positive::try_from(100_000.0).is_ok());
        assert!(Positive::try_from(0.0009).is_err() && Positive::try_from(100_000.1).is_err());
        assert!(Positive::try_from(f64::NAN).is_err());
        let p: Positive = toml::Value::Integer(25).try_into().expect("integer rate");
        assert_eq!(p.get(), 25.0);
        assert_eq!(Offset::try_from(16383).map(Offset::get), Ok(16383));
    }

    #[test]
    fn a_rate_that_is_not_a_number_says_a_number_was_expected() {
        let e = toml::Value::String("fast".into())
            .try_into::<Positive>()
            .expect_err("text");
        assert!(e.to_string().contains("expected a number"), "{e}");
    }
}
