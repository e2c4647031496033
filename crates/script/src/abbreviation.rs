//! Common abbreviations and the words they are read as: "Mr." is said "mister", "St." either
//! "saint" or "street". The table is small on purpose: only abbreviations a performer reads out as
//! words, not ones spelled letter by letter (those match already, since "FBI" and "F B I" run
//! together to the same key).

/// The spoken forms of an abbreviation (lower case, without its final full stop), if it is one.
pub(crate) fn forms(token: &str) -> Option<Vec<Vec<String>>> {
    let readings: &[&str] = match token {
        "mr" => &["mister"],
        "mrs" => &["missus", "misses", "mistress"],
        "ms" => &["miz", "ms"],
        "dr" => &["doctor", "drive"],
        "st" => &["saint", "street"],
        "prof" => &["professor"],
        "jr" => &["junior"],
        "sr" => &["senior"],
        "mt" => &["mount"],
        "ave" => &["avenue"],
        "rd" => &["road"],
        "etc" => &["et cetera", "etcetera"],
        "vs" => &["versus", "vs"],
        "e.g" => &["for example", "e g"],
        "i.e" => &["that is", "i e"],
        "approx" => &["approximately"],
        "dept" => &["department"],
        "govt" => &["government"],
        "capt" => &["captain"],
        "gen" => &["general", "gen"],
        "lt" => &["lieutenant"],
        "sgt" => &["sergeant"],
        _ => return None,
    };
    Some(readings.iter().map(|reading| reading.split(' ').map(str::to_string).collect()).collect())
}
