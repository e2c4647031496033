//! An upload as the stage reads it: the `X-Filename`, `X-Upload-Id` and `Range` headers
//! through the stage's own parsing (`encore::stage`), then the body as the named file through
//! `TakeAudio::from_file`, as `POST /api/pieces/{id}/takes` does. A name is always a plain file
//! name, an id is plain or refused, a range lies within the file, and the body gives a take or
//! an `AudioError`, never a panic.
//!
//! The input: a byte for the headers' length, the headers' bytes (split at the first two
//! newlines: the name, the id, the range), then the body.

#![no_main]

use encore::stage::{byte_range, file_name, upload_id};
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&length, rest)) = data.split_first() else { return };
    let (head, body) = rest.split_at(usize::from(length).min(rest.len()));
    let mut fields = head.splitn(3, |&byte| byte == b'\n');
    let (name, id, range) = (fields.next().unwrap_or(&[]), fields.next().unwrap_or(&[]), fields.next().unwrap_or(&[]));

    let mut headers = HeaderMap::new();
    // A value the HTTP parser would refuse never reaches the stage.
    if let Ok(value) = HeaderValue::from_bytes(name) {
        headers.insert("x-filename", value);
    }
    if let Ok(value) = HeaderValue::from_bytes(id) {
        headers.insert("x-upload-id", value);
    }
    let name = file_name(&headers);
    assert!(!name.is_empty() && name.chars().count() <= 200, "name {name:?}");
    assert!(!name.contains(['/', '\\']) && !name.chars().any(char::is_control), "name {name:?} is not plain");
    if let Some(id) = upload_id(&headers) {
        assert!(!id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }

    let size = body.len() as u64;
    if let Ok(range) = std::str::from_utf8(range)
        && let Some((start, end)) = byte_range(range, size)
    {
        assert!(start < end && end <= size, "range {range:?} of {size} bytes gave {start}..{end}");
    }

    match encore_rehearsal::TakeAudio::from_file(body.to_vec(), &name) {
        Ok(take) => assert!(take.duration() >= 0.1),
        Err(error) => {
            let message = error.to_string();
            assert!(message.contains(&name), "the message does not name the file: {message}");
        }
    }
});
