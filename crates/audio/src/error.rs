//! Why decoding can fail, in words a performer can act on.
//!
//! The people who see these errors are rehearsing, not debugging: each message names the file,
//! says what went wrong in plain terms and says what to do next, so the front ends can show
//! `Display` as it is instead of inventing their own wording. The variants stay distinct so a
//! caller can still react differently (for example offer to re-record only on `Silent`).

use std::io;

/// Everything that can stop a recording from becoming usable [`Audio`](crate::Audio).
///
/// `name` is the file as the user gave it (a path or an upload's name), so the message points at
/// the right take when several are processed at once.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AudioError {
    /// The path does not exist.
    #[error("cannot find {name}: there is no such file; check the path and try again")]
    NotFound { name: String },

    /// The file exists but could not be read (permissions, a directory, a failing disk).
    // The io error's text is already part of the message, so it is deliberately not exposed as
    // `source()`: reporters that print the whole chain would otherwise say it twice.
    #[error("cannot read {name}: {error}; check that it is a file you are allowed to read")]
    Io { name: String, error: io::Error },

    /// The file has 0 bytes: usually a recording that never started or a failed copy.
    #[error("cannot read {name}: the file is empty (0 bytes); record again or choose another file")]
    Empty { name: String },

    /// Not a container format we recognise (a text file, an image, random bytes...).
    #[error(
        "cannot read {name}: it is not an audio file Encore can open; \
         use a WAV, FLAC, MP3, OGG Vorbis or M4A/AAC recording"
    )]
    NotAudio { name: String },

    /// A recognised container (for example an MP4 video) with no sound in it.
    #[error("cannot read {name}: the file has no audio track; choose the file with the recording")]
    NoAudioTrack { name: String },

    /// The container is fine but the sound inside is coded in a way we cannot decode.
    #[error(
        "cannot read {name}: its audio is encoded as {codec}, which Encore cannot decode; \
         convert it to WAV, FLAC, MP3, OGG Vorbis or M4A/AAC and try again"
    )]
    UnsupportedCodec { name: String, codec: String },

    /// The file stops before the audio its header announces (an interrupted copy or recording).
    #[error("cannot read {name}: the file ends after {seconds:.1} s; record again or check the file")]
    Truncated { name: String, seconds: f64 },

    /// The audio data is damaged so early that nothing usable could be decoded.
    #[error(
        "cannot read {name}: the audio is damaged after {seconds:.1} s ({detail}); \
         record again or export the file again"
    )]
    Corrupt { name: String, seconds: f64, detail: String },

    /// A complete file, but too short to hold any speech.
    #[error("cannot use {name}: it holds only {seconds:.2} s of audio; record a longer take")]
    TooShort { name: String, seconds: f64 },

    /// A header whose sample rate no recording of speech has: a damaged or mislabelled file,
    /// which decoded as it says would be days long.
    #[error(
        "cannot read {name}: its header says the audio runs at {rate} Hz, which no recording of speech \
         does; the file is damaged or mislabelled: export it again (8 kHz or more)"
    )]
    ImplausibleRate { name: String, rate: u32 },

    /// Longer than Encore hears in one take.
    #[error("cannot use {name}: it is longer than {hours} hours; rehearse the piece in parts, or cut the recording")]
    TooLong { name: String, hours: u32 },

    /// Sound decoded fine but nothing in it rises above the background: a muted or unplugged mic.
    #[error("cannot use {name}: the recording is silent; check the microphone and record again")]
    Silent { name: String },
}

impl AudioError {
    /// The error for a recording at `path` that could not be read from disk.
    pub fn reading(path: &std::path::Path, error: io::Error) -> AudioError {
        let name = path.display().to_string();
        match error.kind() {
            io::ErrorKind::NotFound => AudioError::NotFound { name },
            _ => AudioError::Io { name, error },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file_and_say_what_to_do() {
        let all = [
            AudioError::NotFound { name: "take.wav".into() },
            AudioError::Io { name: "take.wav".into(), error: io::Error::other("boom") },
            AudioError::Empty { name: "take.wav".into() },
            AudioError::NotAudio { name: "take.wav".into() },
            AudioError::NoAudioTrack { name: "take.wav".into() },
            AudioError::UnsupportedCodec { name: "take.wav".into(), codec: "Opus".into() },
            AudioError::Truncated { name: "take.wav".into(), seconds: 0.2 },
            AudioError::Corrupt { name: "take.wav".into(), seconds: 0.0, detail: "x".into() },
            AudioError::TooShort { name: "take.wav".into(), seconds: 0.05 },
            AudioError::ImplausibleRate { name: "take.wav".into(), rate: 1 },
            AudioError::TooLong { name: "take.wav".into(), hours: 4 },
            AudioError::Silent { name: "take.wav".into() },
        ];
        for e in all {
            let msg = e.to_string();
            assert!(msg.contains("take.wav"), "{msg}");
            // Every message ends with advice after a semicolon.
            assert!(msg.contains("; "), "{msg}");
        }
        let t = AudioError::Truncated { name: "take.m4a".into(), seconds: 0.2 };
        assert_eq!(t.to_string(), "cannot read take.m4a: the file ends after 0.2 s; record again or check the file");
    }
}
