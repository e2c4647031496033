//! The part of an MP4/M4A file's edit list that says which decoded samples are real audio.
//!
//! AAC encoders put "priming" samples before the audio (1024 for FFmpeg, 2112 for Apple's
//! encoder, which is what phone voice memos use) and pad the end to a whole frame; the MP4 edit
//! list records how many to skip and how long the audio really is. Symphonia 0.6 parses the
//! `elst` atom but does not apply it, so without this every word in an M4A take would be
//! timed 23 to 48 ms late. Only the few boxes on the path to the audio track's edit list are
//! read, by seeking, so a long file's media data is never touched.

use std::io::{self, Read, Seek, SeekFrom};

/// Which stretch of the decoded audio track is the real audio, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct EditList {
    /// Decoded audio to drop from the start (encoder priming).
    pub(crate) skip: f64,
    /// How long the audio lasts after that, if the file says.
    pub(crate) keep: Option<f64>,
}

impl EditList {
    /// Reads the edit list of the first audio track. `None` when there is none, or the file is
    /// not a well-formed MP4: then the decoded audio is used as it is.
    pub(crate) fn read<R: Read + Seek>(r: &mut R, len: u64) -> Option<EditList> {
        let found = find_edit(r, len).ok().flatten();
        // Leave the reader where a decoder expects it.
        r.seek(SeekFrom::Start(0)).ok()?;
        found
    }
}

fn find_edit<R: Read + Seek>(r: &mut R, len: u64) -> io::Result<Option<EditList>> {
    let Some((moov_start, moov_end)) = find_box(r, 0, len, b"moov")? else {
        return Ok(None);
    };
    let movie_scale = match find_box(r, moov_start, moov_end, b"mvhd")? {
        Some((at, _)) => read_timescale(r, at)?,
        None => 0,
    };
    let mut at = moov_start;
    while let Some((trak_start, trak_end)) = find_box(r, at, moov_end, b"trak")? {
        at = trak_end;
        let Some((mdia_start, mdia_end)) = find_box(r, trak_start, trak_end, b"mdia")? else {
            continue;
        };
        let Some((hdlr, _)) = find_box(r, mdia_start, mdia_end, b"hdlr")? else {
            continue;
        };
        r.seek(SeekFrom::Start(hdlr + 8))?;
        if read_array::<4, _>(r)? != *b"soun" {
            continue;
        }
        // The first audio track is the one decoded; its edits or none.
        let Some((mdhd, _)) = find_box(r, mdia_start, mdia_end, b"mdhd")? else {
            return Ok(None);
        };
        let media_scale = read_timescale(r, mdhd)?;
        let Some((edts_start, edts_end)) = find_box(r, trak_start, trak_end, b"edts")? else {
            return Ok(None);
        };
        let Some((elst, _)) = find_box(r, edts_start, edts_end, b"elst")? else {
            return Ok(None);
        };
        return read_elst(r, elst, movie_scale, media_scale);
    }
    Ok(None)
}

fn read_elst<R: Read + Seek>(r: &mut R, at: u64, movie_scale: u32, media_scale: u32) -> io::Result<Option<EditList>> {
    if media_scale == 0 {
        return Ok(None);
    }
    r.seek(SeekFrom::Start(at))?;
    let version = read_array::<4, _>(r)?[0];
    let count = u32::from_be_bytes(read_array(r)?);
    for _ in 0..count.min(64) {
        let (duration, media_time) = if version == 1 {
            (u64::from_be_bytes(read_array(r)?), i64::from_be_bytes(read_array(r)?))
        } else {
            (u64::from(u32::from_be_bytes(read_array(r)?)), i64::from(i32::from_be_bytes(read_array(r)?)))
        };
        let _rate = read_array::<4, _>(r)?;
        // An "empty" edit (-1) delays the start of presentation; it removes no samples.
        if media_time < 0 {
            continue;
        }
        let keep = (movie_scale > 0 && duration > 0).then(|| duration as f64 / f64::from(movie_scale));
        return Ok(Some(EditList { skip: media_time as f64 / f64::from(media_scale), keep }));
    }
    Ok(None)
}

/// The timescale of an `mvhd` or `mdhd` box whose payload starts at `at`.
fn read_timescale<R: Read + Seek>(r: &mut R, at: u64) -> io::Result<u32> {
    r.seek(SeekFrom::Start(at))?;
    let version = read_array::<4, _>(r)?[0];
    // Creation and modification times come first: 32-bit in version 0, 64-bit in version 1.
    r.seek(SeekFrom::Current(if version == 1 { 16 } else { 8 }))?;
    Ok(u32::from_be_bytes(read_array(r)?))
}

/// Finds the first box of type `kind` among the boxes between `start` and `end`; returns where
/// its payload starts and ends.
fn find_box<R: Read + Seek>(r: &mut R, start: u64, end: u64, kind: &[u8; 4]) -> io::Result<Option<(u64, u64)>> {
    let mut at = start;
    while at + 8 <= end {
        r.seek(SeekFrom::Start(at))?;
        let size = u64::from(u32::from_be_bytes(read_array(r)?));
        let this: [u8; 4] = read_array(r)?;
        let (header, size) = match size {
            0 => (8, end - at),
            1 => (16, u64::from_be_bytes(read_array(r)?)),
            n => (8, n),
        };
        if size < header || at + size > end {
            return Ok(None);
        }
        if &this == kind {
            return Ok(Some((at + header, at + size)));
        }
        at += size;
    }
    Ok(None)
}

fn read_array<const N: usize, R: Read>(r: &mut R) -> io::Result<[u8; N]> {
    let mut buf = [0u8; N];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn boxed(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut b = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(payload);
        b
    }

    fn header_box(kind: &[u8; 4], timescale: u32) -> Vec<u8> {
        let mut p = vec![0u8; 12];
        p.extend_from_slice(&timescale.to_be_bytes());
        p.extend_from_slice(&[0; 4]);
        boxed(kind, &p)
    }

    fn movie(handler: &[u8; 4], entries: &[(u32, i32)]) -> Vec<u8> {
        let mut elst = vec![0u8; 4];
        elst.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        for &(duration, media_time) in entries {
            elst.extend_from_slice(&duration.to_be_bytes());
            elst.extend_from_slice(&media_time.to_be_bytes());
            elst.extend_from_slice(&[0, 1, 0, 0]);
        }
        let mut hdlr = vec![0u8; 8];
        hdlr.extend_from_slice(handler);
        hdlr.extend_from_slice(&[0; 12]);
        let mdia = [boxed(b"hdlr", &hdlr), header_box(b"mdhd", 44_100)].concat();
        let trak = [boxed(b"edts", &boxed(b"elst", &elst)), boxed(b"mdia", &mdia)].concat();
        let moov = [header_box(b"mvhd", 1000), boxed(b"trak", &trak)].concat();
        [boxed(b"ftyp", b"M4A \0\0\0\0"), boxed(b"mdat", &[0; 100]), boxed(b"moov", &moov)].concat()
    }

    fn read(bytes: Vec<u8>) -> Option<EditList> {
        let len = bytes.len() as u64;
        let mut c = Cursor::new(bytes);
        let found = EditList::read(&mut c, len);
        assert_eq!(c.position(), 0);
        found
    }

    #[test]
    fn reads_priming_and_duration() {
        let e = read(movie(b"soun", &[(3000, 2112)])).unwrap();
        assert!((e.skip - 2112.0 / 44_100.0).abs() < 1e-12);
        assert_eq!(e.keep, Some(3.0));
    }

    #[test]
    fn skips_empty_edits_and_other_tracks() {
        assert_eq!(read(movie(b"soun", &[(500, -1), (3000, 1024)])).unwrap().skip, 1024.0 / 44_100.0);
        assert_eq!(read(movie(b"vide", &[(3000, 1024)])), None);
    }

    #[test]
    fn tolerates_junk() {
        assert_eq!(read(b"not an mp4 at all".to_vec()), None);
        let mut m = movie(b"soun", &[(3000, 1024)]);
        m.truncate(m.len() - 10);
        assert_eq!(read(m), None);
        assert_eq!(read(Vec::new()), None);
    }
}
