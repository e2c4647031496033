//! Reading the formats' `f32` numbers. JSON numbers are read as `f64` and narrowed, and a number
//! past an `f32`'s range (`1e39`) narrows to infinity, which JSON cannot write: written back it
//! is `null`, and the report read once could never be read again (the store would lose it). Such
//! a number is refused when read, like any other malformed value.

use serde::de::Error;
use serde::{Deserialize, Deserializer};

pub(crate) fn f32<'de, D: Deserializer<'de>>(reader: D) -> Result<f32, D::Error> {
    narrow(f64::deserialize(reader)?)
}

pub(crate) fn option_f32<'de, D: Deserializer<'de>>(reader: D) -> Result<Option<f32>, D::Error> {
    Option::<f64>::deserialize(reader)?.map(narrow).transpose()
}

pub(crate) fn vec_f32<'de, D: Deserializer<'de>>(reader: D) -> Result<Vec<f32>, D::Error> {
    Vec::<f64>::deserialize(reader)?.into_iter().map(narrow).collect()
}

pub(crate) fn vec_option_f32<'de, D: Deserializer<'de>>(reader: D) -> Result<Vec<Option<f32>>, D::Error> {
    Vec::<Option<f64>>::deserialize(reader)?.into_iter().map(|value| value.map(narrow).transpose()).collect()
}

fn narrow<E: Error>(value: f64) -> Result<f32, E> {
    let narrowed = value as f32;
    if narrowed.is_finite() {
        Ok(narrowed)
    } else {
        Err(E::custom(format_args!(
            "the number {value} is out of range; the file is damaged or was not written by Encore"
        )))
    }
}

#[cfg(test)]
mod tests {
    use crate::TakeReport;
    use crate::testing::take;

    /// Found by the fuzz target `take_report_json`: a confidence of `1e39` was read as infinity
    /// and written back as `null`, so the report could not be read again.
    #[test]
    fn a_number_past_an_f32_is_refused() {
        let (report, _) = take("ask not what your country can do for you", ". . . . . . . .");
        let mut value = serde_json::to_value(&report).unwrap();
        value["words"][0]["confidence"] = serde_json::json!(1e39);
        let error = serde_json::from_value::<TakeReport>(value.clone()).unwrap_err().to_string();
        assert!(error.contains("out of range"), "{error}");

        value["words"][0]["confidence"] = serde_json::json!(0.5);
        value["words"][0]["f0_hz"] = serde_json::json!(-1e40);
        assert!(serde_json::from_value::<TakeReport>(value.clone()).is_err());

        // What a report may leave out is still read as absent.
        value["words"][0].as_object_mut().unwrap().remove("f0_hz");
        let read: TakeReport = serde_json::from_value(value).unwrap();
        assert_eq!(read.words[0].f0_hz, None);
        assert_eq!(read.words[0].confidence, 0.5);
    }
}
