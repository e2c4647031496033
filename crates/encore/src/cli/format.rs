//! Moments and lengths as a performer reads them in a terminal.

/// A moment as the user reads it: local date and time, to the minute.
pub fn when(unix_seconds: i64) -> String {
    jiff::Timestamp::from_second(unix_seconds)
        .map(|moment| moment.to_zoned(jiff::tz::TimeZone::system()).strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| unix_seconds.to_string())
}

/// A length of audio as "1:05".
pub fn minutes(seconds: f64) -> String {
    let whole = seconds.round() as u64;
    format!("{}:{:02}", whole / 60, whole % 60)
}
