//! Turning an audio file, whatever its format, into [`Audio`].
//!
//! Performers record with whatever they have (a phone's M4A, a DAW's 24-bit WAV, an MP3 someone
//! emailed), so decoding must accept all the common formats, and when it cannot, the reason must
//! be clear enough for a non-technical person to fix. Decoding streams packet by packet: each is
//! mixed to mono and resampled straight away, so memory holds only the 16 kHz result, never the
//! source at its original rate and channel count.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::Ordering;

use symphonia::core::codecs::CodecParameters;
use symphonia::core::codecs::audio::well_known::*;
use symphonia::core::codecs::audio::{AudioCodecId, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;

use crate::audio::{Audio, SAMPLE_RATE, clamp_in_place, samples_in, seconds};
use crate::edit_list::EditList;
use crate::error::AudioError;
use crate::progress::{CountingSource, Reporter};
use crate::resample::StreamResampler;
use crate::voice_activity::voice_activity;

/// Less sound than this cannot hold a word; below it a file is reported as short or broken.
const MIN_SECONDS: f64 = 0.1;

/// -60 dBFS. A take whose loudest sample stays below this is a muted or unplugged microphone:
/// even quiet speech on a poor phone microphone peaks far above it.
const SILENCE_PEAK: f32 = 0.001;

/// Packets that fail to decode one after another before the rest of the file is given up as
/// damaged. A few bad packets are skipped (a glitch in a long take should not lose it all).
const MAX_BAD_PACKETS_IN_A_ROW: usize = 100;

/// Never reserve more than this many output samples up front, whatever a header claims
/// (3 hours): a corrupt length field must not make us allocate gigabytes.
const MAX_RESERVE: usize = 3 * 3600 * SAMPLE_RATE as usize;
/// The lowest sample rate taken as speech (telephone audio is 8 kHz).
const LOWEST_RATE: u32 = 4_000;
/// The longest take decoded, in hours: past it decoding stops with an error rather than filling
/// memory (four hours of audio is about 1 GB).
const MOST_HOURS: u32 = 4;

/// Decode a whole file; `progress` is called now and then with the fraction done (0.0..=1.0).
pub fn decode_file(path: &Path, progress: &mut dyn FnMut(f64)) -> Result<Audio, AudioError> {
    let name = path.display().to_string();
    let io_error = |error: io::Error| AudioError::reading(path, error);
    let mut file = File::open(path).map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    if meta.is_dir() {
        return Err(AudioError::Io {
            name,
            error: io::Error::new(io::ErrorKind::IsADirectory, "it is a folder, not a file"),
        });
    }
    if meta.len() == 0 {
        return Err(AudioError::Empty { name });
    }
    let mut head = Vec::with_capacity(HEAD_LEN);
    (&mut file).take(HEAD_LEN as u64).read_to_end(&mut head).map_err(io_error)?;
    file.seek(SeekFrom::Start(0)).map_err(io_error)?;
    let edit = match known_container(&head) {
        Some("mp4") => EditList::read(&mut file, meta.len()),
        _ => None,
    };
    let ext = path.extension().and_then(|e| e.to_str());
    let source = Source { media: Box::new(file), len: meta.len(), head: &head, ext, edit };
    decode_source(source, name, progress)
}

/// Same for bytes in memory (an upload); `name` is used for the format hint (extension) and in
/// messages.
pub fn decode_bytes(bytes: Vec<u8>, name: &str, progress: &mut dyn FnMut(f64)) -> Result<Audio, AudioError> {
    if bytes.is_empty() {
        return Err(AudioError::Empty { name: name.to_string() });
    }
    let head = bytes[..bytes.len().min(HEAD_LEN)].to_vec();
    let len = bytes.len() as u64;
    let edit = match known_container(&head) {
        Some("mp4") => EditList::read(&mut Cursor::new(&bytes[..]), len),
        _ => None,
    };
    let ext = Path::new(name).extension().and_then(|e| e.to_str());
    let source = Source { media: Box::new(Cursor::new(bytes)), len, head: &head, ext, edit };
    decode_source(source, name.to_string(), progress)
}

/// An opened input and what was learnt about it before decoding.
struct Source<'a> {
    media: Box<dyn MediaSource>,
    len: u64,
    /// The first bytes, to explain a failed probe.
    head: &'a [u8],
    /// The file name's extension, a hint for the probe.
    ext: Option<&'a str>,
    /// For MP4, the stretch of decoded audio that is real audio.
    edit: Option<EditList>,
}

/// How much of the start of a file is kept to explain probe failures.
const HEAD_LEN: usize = 4096;

fn decode_source(source: Source<'_>, name: String, progress: &mut dyn FnMut(f64)) -> Result<Audio, AudioError> {
    let Source { media, len, head, ext, edit } = source;
    let mut reporter = Reporter::new(progress, len);
    let (counted, pos) = CountingSource::new(media);
    let mss = MediaSourceStream::new(Box::new(counted), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = ext {
        hint.with_extension(ext);
    }
    let probed =
        symphonia::default::get_probe().probe(&hint, mss, FormatOptions::default(), MetadataOptions::default());
    let mut format = probed.map_err(|e| explain_probe_error(e, head, &name))?;
    let OpenTrack { track_id, mut decoder, promised } = open_decoder(format.as_ref(), &name)?;

    let mut out: Vec<f32> = Vec::new();
    if let Some(secs) = promised {
        out.reserve_exact((samples_in(secs) + 1024).min(MAX_RESERVE));
    }
    let mut resampler: Option<(u32, StreamResampler)> = None;
    let mut interleaved: Vec<f32> = Vec::new();
    let mut mono: Vec<f32> = Vec::new();
    // Why decoding stopped early, if it did.
    let mut cut_short = false;
    let mut damage: Option<String> = None;
    let mut bad_in_a_row = 0;

    loop {
        let packet = match format.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            // A chained OGG stream changing its tracks: what came before is the take.
            Err(SymError::ResetRequired) => break,
            Err(SymError::IoError(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                cut_short = true;
                break;
            }
            Err(SymError::IoError(error)) => return Err(AudioError::Io { name, error }),
            Err(e) => {
                damage = Some(e.to_string());
                break;
            }
        };
        reporter.at_byte(pos.load(Ordering::Relaxed));
        if packet.track_id != track_id {
            continue;
        }
        let buf = match decoder.decode(&packet) {
            Ok(buf) => {
                bad_in_a_row = 0;
                buf
            }
            Err(SymError::DecodeError(e)) => {
                damage.get_or_insert_with(|| e.to_string());
                bad_in_a_row += 1;
                if bad_in_a_row > MAX_BAD_PACKETS_IN_A_ROW {
                    break;
                }
                continue;
            }
            Err(SymError::IoError(e)) => {
                damage.get_or_insert_with(|| e.to_string());
                cut_short = true;
                break;
            }
            // Features of a codec we have but do not fully support (e.g. an AAC profile).
            Err(SymError::Unsupported(what)) if out.is_empty() => {
                return Err(AudioError::UnsupportedCodec {
                    name,
                    codec: format!("{} ({what})", codec_name(decoder.codec_params().codec)),
                });
            }
            Err(e) => {
                damage = Some(e.to_string());
                break;
            }
        };
        let spec = buf.spec();
        let rate = spec.rate();
        let channels = spec.channels().count().max(1);
        if rate == 0 || buf.frames() == 0 {
            continue;
        }
        if rate < LOWEST_RATE {
            return Err(AudioError::ImplausibleRate { name, rate });
        }
        buf.copy_to_vec_interleaved::<f32>(&mut interleaved);
        mono.clear();
        // Average, not sum: a stereo recording of one voice has it in both channels, and the
        // average keeps its level instead of doubling it into clipping.
        mono.extend(interleaved.chunks_exact(channels).map(|f| f.iter().sum::<f32>() / channels as f32));
        // A damaged float file holds NaN, infinities or absurd levels, which the resampler's FFT
        // cannot take (it panics); kept to full scale here as the result is in the end.
        clamp_in_place(&mut mono);
        let r = match &mut resampler {
            Some((r_rate, r)) if *r_rate == rate => r,
            _ => {
                // The rate changed mid-stream (chained streams): close the old one cleanly.
                if let Some((_, old)) = resampler.take() {
                    old.finish(&mut out).map_err(|e| resample_error(&name, &out, e))?;
                }
                let new = StreamResampler::new(rate).map_err(|e| AudioError::UnsupportedCodec {
                    name: name.clone(),
                    codec: format!("audio at {rate} Hz ({e})"),
                })?;
                &mut resampler.insert((rate, new)).1
            }
        };
        r.push(&mono, &mut out).map_err(|e| resample_error(&name, &out, e))?;
        if out.len() > samples_in(f64::from(MOST_HOURS) * 3600.0) {
            return Err(AudioError::TooLong { name, hours: MOST_HOURS });
        }
    }
    if let Some((_, r)) = resampler {
        r.finish(&mut out).map_err(|e| resample_error(&name, &out, e))?;
    }
    if let Some(edit) = edit {
        apply_edit(&mut out, edit);
    }
    // A header that over-promised left a reservation far larger than the audio.
    if out.capacity() - out.len() > SAMPLE_RATE as usize {
        out.shrink_to_fit();
    }
    clamp_in_place(&mut out);
    let audio = Audio { samples: out };
    reporter.done();
    check_usable(audio, name, cut_short, damage, promised)
}

/// Decides whether what came out of the decoder is a take someone can rehearse with.
fn check_usable(
    audio: Audio,
    name: String,
    cut_short: bool,
    damage: Option<String>,
    promised: Option<f64>,
) -> Result<Audio, AudioError> {
    let seconds = audio.duration();
    if seconds < MIN_SECONDS {
        let promised_more = promised.is_some_and(|p| p >= MIN_SECONDS);
        return Err(match damage {
            Some(detail) if !cut_short => AudioError::Corrupt { name, seconds, detail },
            _ if cut_short || promised_more => AudioError::Truncated { name, seconds },
            _ => AudioError::TooShort { name, seconds },
        });
    }
    check_not_silent(&audio, &name)?;
    Ok(audio)
}

/// Refuses audio with no voice in it: a muted or unplugged microphone, an empty room. A take
/// recorded in the stage is checked here as samples, before anything is kept.
pub fn check_not_silent(audio: &Audio, name: &str) -> Result<(), AudioError> {
    let peak = audio.samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    if peak < SILENCE_PEAK || voice_activity(audio).is_empty() {
        return Err(AudioError::Silent { name: name.to_string() });
    }
    Ok(())
}

/// Drops encoder priming and padding as an MP4 edit list says.
fn apply_edit(out: &mut Vec<f32>, edit: EditList) {
    let samples = |seconds: f64| (seconds * f64::from(SAMPLE_RATE)).round() as usize;
    out.drain(..samples(edit.skip).min(out.len()));
    if let Some(keep) = edit.keep {
        out.truncate(samples(keep));
    }
}

fn resample_error(name: &str, out: &[f32], e: rubato::ResampleError) -> AudioError {
    AudioError::Corrupt {
        name: name.to_string(),
        seconds: seconds(out.len()),
        detail: format!("resampling failed: {e}"),
    }
}

/// The audio track chosen for decoding.
struct OpenTrack {
    track_id: u32,
    decoder: Box<dyn AudioDecoder>,
    /// The duration the header promises, in seconds, if it says.
    promised: Option<f64>,
}

/// Picks the first audio track we can decode.
fn open_decoder(format: &dyn FormatReader, name: &str) -> Result<OpenTrack, AudioError> {
    let options = AudioDecoderOptions::default().gapless(true);
    let mut first_unsupported: Option<AudioCodecId> = None;
    let mut first_failure: Option<String> = None;
    // The container's default track first, then any other audio track.
    let default_id = format.default_track(symphonia::core::formats::TrackType::Audio).map(|t| t.id);
    let mut tracks: Vec<_> = format.tracks().iter().collect();
    tracks.sort_by_key(|t| Some(t.id) != default_id);
    for track in tracks {
        let Some(CodecParameters::Audio(params)) = &track.codec_params else {
            continue;
        };
        match symphonia::default::get_codecs().make_audio_decoder(params, &options) {
            Ok(decoder) => {
                let promised = match (track.num_frames, params.sample_rate) {
                    (Some(frames), Some(rate)) if rate > 0 => Some(frames as f64 / f64::from(rate)),
                    _ => None,
                };
                return Ok(OpenTrack { track_id: track.id, decoder, promised });
            }
            Err(SymError::Unsupported(_)) => {
                first_unsupported.get_or_insert(params.codec);
            }
            Err(e) => {
                first_failure.get_or_insert(e.to_string());
            }
        }
    }
    let name = name.to_string();
    Err(match (first_unsupported, first_failure) {
        (Some(codec), _) => AudioError::UnsupportedCodec { name, codec: codec_name(codec) },
        (None, Some(detail)) => AudioError::Corrupt { name, seconds: 0.0, detail },
        (None, None) => AudioError::NoAudioTrack { name },
    })
}

/// Turns a failed probe into the most helpful error: a file that starts like a known audio
/// format but cannot be opened is damaged or uses an unsupported variant, not "not audio".
fn explain_probe_error(e: SymError, head: &[u8], name: &str) -> AudioError {
    let name = name.to_string();
    let container = known_container(head);
    match e {
        SymError::IoError(e) if e.kind() == io::ErrorKind::UnexpectedEof => match container {
            Some(_) => AudioError::Truncated { name, seconds: 0.0 },
            None => AudioError::NotAudio { name },
        },
        SymError::IoError(error) => AudioError::Io { name, error },
        SymError::Unsupported(what) if container == Some("wav") => {
            if what.contains("data chunk") {
                AudioError::Truncated { name, seconds: 0.0 }
            } else {
                AudioError::UnsupportedCodec { name, codec: wav_codec_name(head) }
            }
        }
        // A recognised container that cannot be opened: usually a recording that was never
        // finished (an M4A whose index, the `moov` atom, was to be written at the end).
        SymError::Unsupported(what) if container.is_some() => {
            if what.contains("missing") {
                AudioError::Truncated { name, seconds: 0.0 }
            } else {
                AudioError::Corrupt { name, seconds: 0.0, detail: what.to_string() }
            }
        }
        SymError::Unsupported(_) => AudioError::NotAudio { name },
        other => match container {
            Some(_) => AudioError::Corrupt { name, seconds: 0.0, detail: other.to_string() },
            None => AudioError::NotAudio { name },
        },
    }
}

/// Recognises the magic numbers of the containers we decode.
fn known_container(head: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    if at(0, b"RIFF") && at(8, b"WAVE") {
        Some("wav")
    } else if at(0, b"fLaC") {
        Some("flac")
    } else if at(0, b"OggS") {
        Some("ogg")
    } else if at(4, b"ftyp") {
        Some("mp4")
    } else if at(0, b"ID3") {
        Some("mp3")
    } else {
        None
    }
}

/// Names the codec in a WAV file's `fmt ` chunk, for the formats people actually meet.
fn wav_codec_name(head: &[u8]) -> String {
    let u16_at = |i: usize| head.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |i: usize| head.get(i..i + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let mut at = 12;
    let mut tag = None;
    while let (Some(id), Some(size)) = (head.get(at..at + 4), u32_at(at + 4)) {
        if id == b"fmt " {
            tag = u16_at(at + 8);
            // WAVE_FORMAT_EXTENSIBLE keeps the real tag at the start of its sub-format GUID.
            if tag == Some(0xFFFE) {
                tag = u16_at(at + 8 + 24).or(tag);
            }
            break;
        }
        at += 8 + size as usize + (size as usize & 1);
    }
    match tag {
        Some(0x0050) => "MPEG audio inside WAV".into(),
        Some(0x0055) => "MP3 inside WAV".into(),
        Some(0x0031) => "GSM 6.10".into(),
        Some(0x0022) => "DSP Group TrueSpeech".into(),
        Some(0x0040 | 0x0064 | 0x0065) => "G.721/G.726 ADPCM".into(),
        Some(0x0092 | 0x2000) => "Dolby AC-3".into(),
        Some(0x00FF | 0x1600 | 0x1610) => "AAC inside WAV".into(),
        Some(0x0161..=0x0163) => "Windows Media Audio".into(),
        Some(0x2001) => "DTS".into(),
        Some(tag) => format!("WAV format 0x{tag:04X}"),
        None => "an unknown WAV format".into(),
    }
}

/// A human name for a codec, for error messages.
fn codec_name(id: AudioCodecId) -> String {
    let known = [
        (CODEC_ID_OPUS, "Opus"),
        (CODEC_ID_SPEEX, "Speex"),
        (CODEC_ID_MUSEPACK, "Musepack"),
        (CODEC_ID_MP1, "MPEG Layer 1"),
        (CODEC_ID_MP2, "MPEG Layer 2"),
        (CODEC_ID_MP3, "MP3"),
        (CODEC_ID_AAC, "AAC"),
        (CODEC_ID_AC3, "Dolby AC-3"),
        (CODEC_ID_EAC3, "Dolby E-AC-3"),
        (CODEC_ID_AC4, "Dolby AC-4"),
        (CODEC_ID_DCA, "DTS"),
        (CODEC_ID_ATRAC1, "ATRAC"),
        (CODEC_ID_ATRAC3, "ATRAC3"),
        (CODEC_ID_ATRAC3PLUS, "ATRAC3plus"),
        (CODEC_ID_ATRAC9, "ATRAC9"),
        (CODEC_ID_WMA, "Windows Media Audio"),
        (CODEC_ID_RA10, "RealAudio"),
        (CODEC_ID_RA20, "RealAudio"),
        (CODEC_ID_COOK, "RealAudio Cook"),
        (CODEC_ID_SIPR, "RealAudio Sipro"),
        (CODEC_ID_SBC, "Bluetooth SBC"),
        (CODEC_ID_APTX, "aptX"),
        (CODEC_ID_APTX_HD, "aptX HD"),
        (CODEC_ID_LDAC, "LDAC"),
        (CODEC_ID_FLAC, "FLAC"),
        (CODEC_ID_WAVPACK, "WavPack"),
        (CODEC_ID_MONKEYS_AUDIO, "Monkey's Audio"),
        (CODEC_ID_ALAC, "Apple Lossless (ALAC)"),
        (CODEC_ID_TTA, "True Audio (TTA)"),
        (CODEC_ID_TRUEHD, "Dolby TrueHD"),
        (CODEC_ID_VORBIS, "Vorbis"),
        (CODEC_ID_PCM_ALAW, "A-law PCM"),
        (CODEC_ID_PCM_MULAW, "µ-law PCM"),
        (CODEC_ID_ADPCM_G722, "G.722 ADPCM"),
        (CODEC_ID_ADPCM_G726, "G.726 ADPCM"),
        (CODEC_ID_ADPCM_G726LE, "G.726 ADPCM"),
    ];
    match known.iter().find(|(k, _)| *k == id) {
        Some((_, name)) => (*name).to_string(),
        None => format!("an unknown codec (id {id})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav_header(tag: u16) -> Vec<u8> {
        let mut h = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00".to_vec();
        h.extend_from_slice(&tag.to_le_bytes());
        h.extend_from_slice(&[1, 0, 0x80, 0x3e, 0, 0, 0, 0x7d, 0, 0, 2, 0, 16, 0]);
        h.extend_from_slice(b"data\x00\x00\x00\x00");
        h
    }

    #[test]
    fn recognises_containers() {
        assert_eq!(known_container(&wav_header(1)), Some("wav"));
        assert_eq!(known_container(b"fLaC\0\0\0\x22"), Some("flac"));
        assert_eq!(known_container(b"\0\0\0\x20ftypM4A "), Some("mp4"));
        assert_eq!(known_container(b"hello, world"), None);
        assert_eq!(known_container(b"RI"), None);
    }

    #[test]
    fn names_wav_codecs() {
        assert_eq!(wav_codec_name(&wav_header(0x0055)), "MP3 inside WAV");
        assert_eq!(wav_codec_name(&wav_header(0x1234)), "WAV format 0x1234");
        assert_eq!(wav_codec_name(b"RIFF\0\0\0\0WAVE"), "an unknown WAV format");
    }

    #[test]
    fn names_codecs() {
        assert_eq!(codec_name(CODEC_ID_OPUS), "Opus");
        assert!(codec_name(AudioCodecId::default()).starts_with("an unknown codec"));
    }

    #[test]
    fn short_results_are_explained() {
        let tiny = || Audio { samples: vec![0.5; 100] };
        let name = || "t.wav".to_string();
        assert!(matches!(check_usable(tiny(), name(), true, None, None), Err(AudioError::Truncated { .. })));
        assert!(matches!(
            check_usable(tiny(), name(), false, Some("bad".into()), None),
            Err(AudioError::Corrupt { .. })
        ));
        assert!(matches!(check_usable(tiny(), name(), false, None, Some(10.0)), Err(AudioError::Truncated { .. })));
        assert!(matches!(check_usable(tiny(), name(), false, None, Some(0.006)), Err(AudioError::TooShort { .. })));
        let quiet = Audio { samples: vec![0.0005; 16_000] };
        assert!(matches!(check_usable(quiet, name(), false, None, None), Err(AudioError::Silent { .. })));
    }
}
