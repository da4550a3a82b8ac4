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
}
