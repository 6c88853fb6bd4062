//! A bounds-checked big-endian cursor over a byte slice.

use super::{DecodeError, DecodeErrorKind};

/// Reads big-endian integers and byte runs from a `&[u8]`, tracking the absolute offset so
/// errors can say where they happened. Every method returns an error instead of panicking.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Absolute offset of `buf[0]` in the outermost buffer.
    base: usize,
    context: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over all of `buf`, offsets counted from its start.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            base: 0,
            context: "message",
        }
    }

    /// Sets the description used in errors produced from now on (the structure being read).
    pub fn set_context(&mut self, context: &'static str) {
        self.context = context;
    }

    pub fn context(&self) -> &'static str {
        self.context
    }

    /// Absolute offset of the next byte.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The unread bytes, without consuming them.
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// An error of `kind` at the current offset, in the current context.
    pub fn error(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError::new(kind, self.offset(), self.context)
    }

    /// An error of `kind` at absolute offset `offset`.
    pub fn error_at(&self, kind: DecodeErrorKind, offset: usize) -> DecodeError {
        DecodeError::new(kind, offset, self.context)
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.buf.get(self.pos..end)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(self.error(DecodeErrorKind::Truncated {
                needed: n,
                available: self.remaining(),
            })),
        }
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let s = self.bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    pub fn u128(&mut self) -> Result<u128, DecodeError> {
        Ok(u128::from_be_bytes(self.array()?))
    }

    /// Peeks at the next big-endian u16 without consuming it.
    pub fn peek_u16(&self) -> Result<u16, DecodeError> {
        self.clone().u16()
    }

    /// Skips `n` bytes (padding); their content is ignored, as OVS does.
    pub fn skip(&mut self, n: usize) -> Result<(), DecodeError> {
        self.bytes(n).map(|_| ())
    }

    /// Splits off the next `n` bytes as a reader of their own (same absolute offsets).
    pub fn sub(&mut self, n: usize) -> Result<Reader<'a>, DecodeError> {
        let base = self.offset();
        let buf = self.bytes(n)?;
        Ok(Reader {
            buf,
            pos: 0,
            base,
            context: self.context,
        })
    }

    /// Fails with `TrailingBytes` unless everything was consumed.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.error(DecodeErrorKind::TrailingBytes {
                len: self.remaining(),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_big_endian_and_reports_offsets() {
        let mut r = Reader::new(&[1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(r.u8().unwrap(), 1);
        assert_eq!(r.u16().unwrap(), 0x0203);
        let mut s = r.sub(2).unwrap();
        assert_eq!(s.offset(), 3);
        assert_eq!(s.u16().unwrap(), 0x0405);
        let e = r.u32().unwrap_err();
        assert_eq!(e.offset, 5);
        assert_eq!(
            e.kind,
            DecodeErrorKind::Truncated {
                needed: 4,
                available: 2
            }
        );
        assert!(r.bytes(usize::MAX).is_err());
    }
}
