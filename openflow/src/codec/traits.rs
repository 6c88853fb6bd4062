//! `Encode` / `Decode` and the OpenFlow 8-byte alignment helpers.

use bytes::BufMut;

use super::{DecodeError, Reader};

/// Something with a wire form that can be appended to a buffer.
pub trait Encode {
    /// Exact number of bytes [`encode`](Encode::encode) appends.
    fn encoded_len(&self) -> usize;
    /// Appends the wire form to `out`.
    fn encode<B: BufMut>(&self, out: &mut B);

    /// Convenience: the wire form as a fresh `Vec`.
    fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.encode(&mut v);
        v
    }
}

/// Something that can be decoded from a [`Reader`]; never panics on any input.
pub trait Decode<'a>: Sized {
    fn decode(r: &mut Reader<'a>) -> Result<Self, DecodeError>;
}

/// Bytes of zero padding that bring `len` to a multiple of 8 (OpenFlow's alignment).
pub const fn pad8(len: usize) -> usize {
    (8 - len % 8) % 8
}

/// `len` rounded up to a multiple of 8.
pub const fn align8(len: usize) -> usize {
    len + pad8(len)
}

/// Appends `n` zero bytes.
pub fn put_zeros<B: BufMut>(out: &mut B, n: usize) {
    out.put_bytes(0, n);
}
