//! Splits a byte stream into JSON texts. RFC 7047 §2 sends JSON-RPC objects back to back with no
//! delimiter, so the framer tracks nesting, strings and escapes to find where each object ends.
//!
//! Contract (tokio-util's `Decoder`, without the dependency): [`Framer::decode`] returns
//! `Ok(Some(frame))` for each complete value, `Ok(None)` when it needs more bytes. The scan is
//! resumable, so a value split over many reads is scanned once.

use bytes::{Buf, Bytes, BytesMut};

/// The stream is not a sequence of JSON objects/arrays.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A byte outside any value that cannot start one.
    #[error("unexpected byte 0x{byte:02x} at stream offset {offset} outside a JSON object")]
    UnexpectedByte {
        /// The byte.
        byte: u8,
        /// Offset from the start of the stream.
        offset: u64,
    },
    /// A closing bracket that does not match the innermost opening one.
    #[error("unbalanced '{byte}' at stream offset {offset}", byte = char::from(*byte))]
    Unbalanced {
        /// The byte.
        byte: u8,
        /// Offset from the start of the stream.
        offset: u64,
    },
    /// One value exceeds the configured limit.
    #[error("JSON message exceeds {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
}

/// Resumable JSON value splitter.
#[derive(Debug, Clone)]
pub struct Framer {
    // Open brackets of the current value, innermost last (`true` for `{`), so `[}` is caught at
    // once instead of swallowing the rest of the stream.
    stack: Vec<bool>,
    in_string: bool,
    escape: bool,
    // Bytes of `buf` already scanned for the current value.
    scanned: usize,
    consumed: u64,
    max_len: usize,
}

impl Default for Framer {
    fn default() -> Self {
        Framer::new()
    }
}

impl Framer {
    /// A framer with a 1 GiB message limit (a full Southbound dump at 1M flows is several hundred MB).
    pub fn new() -> Framer {
        Framer::with_limit(1 << 30)
    }

    /// A framer with a message size limit.
    pub fn with_limit(max_len: usize) -> Framer {
        Framer {
            stack: Vec::new(),
            in_string: false,
            escape: false,
            scanned: 0,
            consumed: 0,
            max_len,
        }
    }

    /// Takes the next complete JSON value off the front of `buf`.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        if self.stack.is_empty() {
            // Between values: skip whitespace; anything else must open an object or array.
            let ws = buf
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                .count();
            buf.advance(ws);
            self.consumed += ws as u64;
            self.scanned = 0;
            match buf.first() {
                None => return Ok(None),
                Some(b'{' | b'[') => {}
                Some(&byte) => {
                    return Err(FrameError::UnexpectedByte {
                        byte,
                        offset: self.consumed,
                    });
                }
            }
        }
        let start = self.scanned;
        for (i, &b) in buf.iter().enumerate().skip(start) {
            if self.in_string {
                if self.escape {
                    self.escape = false;
                } else if b == b'\\' {
                    self.escape = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.stack.push(b == b'{'),
                b'}' | b']' => {
                    if self.stack.pop() != Some(b == b'}') {
                        return Err(FrameError::Unbalanced {
                            byte: b,
                            offset: self.consumed + i as u64,
                        });
                    }
                    if self.stack.is_empty() {
                        let frame = buf.split_to(i + 1).freeze();
                        self.consumed += frame.len() as u64;
                        self.scanned = 0;
                        return Ok(Some(frame));
                    }
                }
                _ => {}
            }
        }
        self.scanned = buf.len();
        if buf.len() > self.max_len {
            return Err(FrameError::TooLarge {
                limit: self.max_len,
            });
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all(fr: &mut Framer, buf: &mut BytesMut) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(f) = fr.decode(buf).unwrap() {
            out.push(String::from_utf8(f.to_vec()).unwrap());
        }
        out
    }

    #[test]
    fn back_to_back_with_tricky_strings() {
        let text = r#"{"a":"}\"{"} [1,[2]]
  {"b":"\\"}{}"#;
        let mut fr = Framer::new();
        let mut buf = BytesMut::from(text.as_bytes());
        assert_eq!(
            all(&mut fr, &mut buf),
            [r#"{"a":"}\"{"}"#, "[1,[2]]", r#"{"b":"\\"}"#, "{}"]
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn errors() {
        let mut fr = Framer::new();
        let mut buf = BytesMut::from(&b"{} x"[..]);
        assert!(fr.decode(&mut buf).unwrap().is_some());
        assert_eq!(
            fr.decode(&mut buf),
            Err(FrameError::UnexpectedByte {
                byte: b'x',
                offset: 3
            })
        );
        let mut fr = Framer::with_limit(4);
        let mut buf = BytesMut::from(&b"{\"abcdef"[..]);
        assert_eq!(fr.decode(&mut buf), Err(FrameError::TooLarge { limit: 4 }));
        let mut fr = Framer::new();
        let mut buf = BytesMut::from(&b"{\"a\":[}"[..]);
        assert_eq!(
            fr.decode(&mut buf),
            Err(FrameError::Unbalanced {
                byte: b'}',
                offset: 6
            })
        );
    }

    proptest! {
        // Any split of a stream of values yields the same frames.
        #[test]
        fn split_reads(vals in proptest::collection::vec("[a-z{}\\[\\]\"\\\\ ]{0,12}", 1..5), cuts in proptest::collection::vec(0usize..200, 0..6)) {
            let texts: Vec<String> = vals.iter().map(|s| serde_json::to_string(&serde_json::json!({"k": s, "v": [s]})).unwrap()).collect();
            let stream = texts.join(" ");
            let mut cuts = cuts; cuts.push(stream.len()); cuts.sort();
            let (mut fr, mut buf, mut got, mut prev) = (Framer::new(), BytesMut::new(), Vec::new(), 0);
            for c in cuts {
                let c = c.min(stream.len());
                if c < prev { continue; }
                buf.extend_from_slice(&stream.as_bytes()[prev..c]);
                prev = c;
                got.extend(all(&mut fr, &mut buf));
            }
            prop_assert_eq!(got, texts);
        }

        #[test]
        fn arbitrary_bytes_never_panic(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..8)) {
            let mut fr = Framer::with_limit(256);
            let mut buf = BytesMut::new();
            for c in chunks {
                buf.extend_from_slice(&c);
                while let Ok(Some(_)) = fr.decode(&mut buf) {}
            }
        }
    }
}
