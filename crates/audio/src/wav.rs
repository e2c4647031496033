//! Audio written as WAV files, the one place Encore writes audio: 16-bit mono at 16 kHz, the way
//! the stage keeps a recorded take, the way tests make takes, and inside the HTML report as a
//! base64 data URI, so that the page plays on its own with nothing fetched.

use crate::{Audio, SAMPLE_RATE};

impl Audio {
    /// The audio as a canonical 44-byte-header 16-bit PCM WAV file.
    pub fn to_wav(&self) -> Vec<u8> {
        let samples: Vec<i16> = self.samples.iter().map(|&s| (s.clamp(-1.0, 1.0) * 32_767.0).round() as i16).collect();
        pcm16_wav(&samples)
    }

    /// The audio as a `data:audio/wav;base64,...` URI.
    pub fn to_wav_data_uri(&self) -> String {
        let mut uri = String::from("data:audio/wav;base64,");
        base64(&self.to_wav(), &mut uri);
        uri
    }
}

/// A canonical 44-byte-header PCM WAV file of 16 kHz mono 16-bit samples: how the stage keeps
/// a recorded take (the samples the page sent, unchanged, in a file any player opens).
pub fn pcm16_wav(samples: &[i16]) -> Vec<u8> {
    let data_bytes = (samples.len() * 2) as u32;
    let mut bytes = Vec::with_capacity(44 + data_bytes as usize);
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data_bytes).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes()); // PCM
    bytes.extend_from_slice(&1u16.to_le_bytes()); // mono
    bytes.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
    bytes.extend_from_slice(&(SAMPLE_RATE * 2).to_le_bytes()); // bytes per second
    bytes.extend_from_slice(&2u16.to_le_bytes()); // bytes per frame
    bytes.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data_bytes.to_le_bytes());
    for sample in samples {
        bytes.extend_from_slice(&sample.to_le_bytes());
    }
    bytes
}

/// Standard base64 with padding, appended to `out`.
fn base64(bytes: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out.reserve(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        for (input, expected) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")] {
            let mut out = String::new();
            base64(input.as_bytes(), &mut out);
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn wav_header_and_samples() {
        let bytes = Audio { samples: vec![0.0, 1.0, -1.0] }.to_wav();
        assert_eq!(bytes.len(), 44 + 6);
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(bytes[24..28].try_into().unwrap()), 16_000);
        assert_eq!(i16::from_le_bytes([bytes[46], bytes[47]]), 32_767);
        assert_eq!(i16::from_le_bytes([bytes[48], bytes[49]]), -32_767);
        assert!(Audio { samples: vec![] }.to_wav_data_uri().starts_with("data:audio/wav;base64,UklGR"));
    }

    #[test]
    fn a_recorded_take_decodes_to_the_same_samples() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/audio/jfk_inaugural_1961.wav");
        let original = crate::decode_file(std::path::Path::new(path), &mut |_| {}).unwrap();
        let samples: Vec<i16> = original.samples.iter().map(|&s| (s * 32_768.0).round() as i16).collect();
        let audio = crate::decode_bytes(pcm16_wav(&samples), "take.wav", &mut |_| {}).unwrap();
        assert_eq!(audio.samples, original.samples);
        // A recording's samples, taken as they come, are the same as its WAV file decoded.
        assert_eq!(Audio::from_pcm16(&samples, SAMPLE_RATE).samples, original.samples);
    }
}
