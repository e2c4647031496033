//! Byte-level progress for a decode.
//!
//! The demuxer owns the input stream, and not every format knows its duration up front (an MP3
//! without a Xing header, a WAV whose length field is wrong), so the fraction of bytes consumed
//! is the one progress measure that works for every file. This wrapper counts them where the
//! decode loop can see them.

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use symphonia::core::io::MediaSource;

/// A media source that records the position of its last read.
pub(crate) struct CountingSource {
    inner: Box<dyn MediaSource>,
    pos: Arc<AtomicU64>,
}

impl CountingSource {
    /// Wraps `inner`; the returned counter follows the read position.
    pub(crate) fn new(inner: Box<dyn MediaSource>) -> (CountingSource, Arc<AtomicU64>) {
        let pos = Arc::new(AtomicU64::new(0));
        (CountingSource { inner, pos: Arc::clone(&pos) }, pos)
    }
}

impl Read for CountingSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Seek for CountingSource {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let at = self.inner.seek(to)?;
        self.pos.store(at, Ordering::Relaxed);
        Ok(at)
    }
}

impl MediaSource for CountingSource {
    fn is_seekable(&self) -> bool {
        self.inner.is_seekable()
    }

    fn byte_len(&self) -> Option<u64> {
        self.inner.byte_len()
    }
}

/// Turns byte positions into calls of the caller's progress callback: monotonic (formats such
/// as MP4 seek back and forth), and only every percent so a UI is not flooded.
pub(crate) struct Reporter<'a> {
    callback: &'a mut dyn FnMut(f64),
    total: u64,
    last: f64,
}

impl<'a> Reporter<'a> {
    pub(crate) fn new(callback: &'a mut dyn FnMut(f64), total: u64) -> Self {
        callback(0.0);
        Reporter { callback, total: total.max(1), last: 0.0 }
    }

    pub(crate) fn at_byte(&mut self, pos: u64) {
        // Reading is not finished until decoding is, so the last step is left to `done`.
        let fraction = (pos as f64 / self.total as f64).clamp(0.0, 0.99);
        if fraction >= self.last + 0.01 {
            self.last = fraction;
            (self.callback)(fraction);
        }
    }

    pub(crate) fn done(&mut self) {
        (self.callback)(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_reads_and_seeks() {
        let (mut src, pos) = CountingSource::new(Box::new(io::Cursor::new(vec![7u8; 100])));
        let mut buf = [0u8; 30];
        src.read_exact(&mut buf).unwrap();
        assert_eq!(pos.load(Ordering::Relaxed), 30);
        src.seek(SeekFrom::Start(90)).unwrap();
        assert_eq!(src.read(&mut buf).unwrap(), 10);
        assert_eq!(pos.load(Ordering::Relaxed), 100);
        assert_eq!(src.byte_len(), Some(100));
    }

    #[test]
    fn reports_are_monotonic_and_sparse() {
        let mut seen = Vec::new();
        let mut cb = |f: f64| seen.push(f);
        let mut r = Reporter::new(&mut cb, 1000);
        for p in [5, 50, 51, 40, 500, 2000] {
            r.at_byte(p);
        }
        r.done();
        assert_eq!(seen, vec![0.0, 0.05, 0.5, 0.99, 1.0]);
    }
}
