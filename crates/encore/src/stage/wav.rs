//! A recorded take as the store keeps it: the 16-bit samples the page sent, unchanged, in a
//! canonical WAV file (16 kHz mono), which any player opens and Encore decodes again exactly.

use encore_audio::SAMPLE_RATE;

/// A 44-byte-header PCM WAV file of 16 kHz mono samples.
pub fn wav(samples: &[i16]) -> Vec<u8> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_take_decodes_to_the_same_samples() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/audio/jfk_inaugural_1961.wav");
        let original = encore_audio::decode_file(std::path::Path::new(path), &mut |_| {}).unwrap();
        let samples: Vec<i16> = original.samples.iter().map(|&s| (s * 32_768.0).round() as i16).collect();
        let audio = encore_audio::decode_bytes(wav(&samples), "take.wav", &mut |_| {}).unwrap();
        assert_eq!(audio.samples, original.samples);
    }
}
