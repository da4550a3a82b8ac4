//! Whole numbers as JSON Schema reads them: `30` and `30.0` are the same integer, so a client
//! (or a generator) that writes an integral float is not refused. A fraction or an out-of-range
//! value still is.

use serde::{Deserialize, Deserializer, de::Error};

#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    Int(u64),
    Float(f64),
}

/// A `u32` that may be written as an integral float.
pub fn u32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let value = u64_value(deserializer)?;
    u32::try_from(value).map_err(|_| D::Error::custom(format!("{value} is out of range")))
}

/// A `u64` that may be written as an integral float.
pub fn u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    u64_value(deserializer)
}

/// An optional `u32` (`null` or absent: none) that may be written as an integral float.
pub fn optional_u32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    match Option::<Number>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Number::Int(n)) => u32::try_from(n)
            .map(Some)
            .map_err(|_| D::Error::custom(format!("{n} is out of range"))),
        Some(Number::Float(f)) if f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f) => {
            Ok(Some(f as u32))
        }
        Some(Number::Float(f)) => Err(D::Error::custom(format!(
            "{f} is not a whole number of the allowed range"
        ))),
    }
}

fn u64_value<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    match Number::deserialize(deserializer)? {
        Number::Int(n) => Ok(n),
        Number::Float(f) if f.fract() == 0.0 && (0.0..=9.007_199_254_740_992e15).contains(&f) => {
            Ok(f as u64)
        }
        Number::Float(f) => Err(D::Error::custom(format!(
            "{f} is not a whole number of the allowed range"
        ))),
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(deserialize_with = "super::u32")]
        n: u32,
    }

    fn read(json: &str) -> Option<u32> {
        serde_json::from_str::<Probe>(json).ok().map(|p| p.n)
    }

    #[test]
    fn an_integral_float_is_the_same_whole_number_and_a_fraction_is_refused() {
        assert_eq!(read(r#"{"n": 30}"#), Some(30));
        assert_eq!(read(r#"{"n": 30.0}"#), Some(30));
        assert_eq!(read(r#"{"n": 30.5}"#), None);
        assert_eq!(read(r#"{"n": -1}"#), None);
        assert_eq!(read(r#"{"n": 4294967296}"#), None);
        assert_eq!(read(r#"{"n": "30"}"#), None);
    }

    #[derive(serde::Deserialize)]
    struct Maybe {
        #[serde(default, deserialize_with = "super::optional_u32")]
        n: Option<u32>,
    }

    #[test]
    fn an_optional_whole_number_may_be_null_absent_or_an_integral_float() {
        let read = |json: &str| serde_json::from_str::<Maybe>(json).ok().map(|p| p.n);
        assert_eq!(read(r#"{"n": 1581.0}"#), Some(Some(1581)));
        assert_eq!(read(r#"{"n": 7}"#), Some(Some(7)));
        assert_eq!(read(r#"{"n": null}"#), Some(None));
        assert_eq!(read(r#"{}"#), Some(None));
        assert_eq!(read(r#"{"n": 1.5}"#), None);
        assert_eq!(read(r#"{"n": -3}"#), None);
    }
}
