//! Any bytes as an `encore.take/1` report, as imported or read back from the store: reading
//! gives a report or an error, and a report read, written and read again is the same report
//! (numbers to within the last bits that JSON's decimal text can carry).

#![no_main]

use encore_take::TakeReport;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(report) = serde_json::from_slice::<TakeReport>(data) else { return };
    let written = serde_json::to_vec(&report).expect("a report that was read can be written");
    let again: TakeReport = serde_json::from_slice(&written).expect("a report that was written can be read");
    let (first, second) = (serde_json::to_value(&report).unwrap(), serde_json::to_value(&again).unwrap());
    assert!(same(&first, &second), "written and read again, the report changed:\n{first}\n{second}");
});

/// Equal, with numbers that are not integers equal to a relative 1e-12: JSON's text is decimal,
/// and serde_json's reader may round the last bit differently from the writer.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(key, x)| y.get(key).is_some_and(|y| same(x, y)))
        }
        _ => a == b,
    }
}
