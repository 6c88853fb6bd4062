//! JSON-RPC 1.0 messages as OVSDB uses them (RFC 7047 §4): requests, notifications (`id: null`),
//! responses and errors.
//!
//! Decoding borrows the frame: `params` and `result` stay raw JSON text ([`RawValue`]) so the
//! session can decode big payloads (table updates) directly with a schema-driven seed.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// A frame is not a JSON-RPC message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonRpcError {
    /// Not valid JSON, or not an object.
    #[error("invalid JSON-RPC message: {0}")]
    Syntax(String),
    /// A well-formed object that is none of request, notification, response or error.
    #[error("JSON-RPC message has no \"method\", \"result\" or \"error\": {0}")]
    Shape(String),
}

/// One decoded message, borrowing from its frame.
#[derive(Debug, Clone)]
pub enum Message<'a> {
    /// `{"method", "params", "id"}`.
    Request {
        /// The id (any JSON; echoed back in the response).
        id: &'a RawValue,
        /// Method name.
        method: String,
        /// Parameters (raw).
        params: Option<&'a RawValue>,
    },
    /// `{"method", "params", "id": null}`.
    Notification {
        /// Method name.
        method: String,
        /// Parameters (raw).
        params: Option<&'a RawValue>,
    },
    /// `{"result", "error": null, "id"}`.
    Response {
        /// The request's id.
        id: &'a RawValue,
        /// The result (raw).
        result: &'a RawValue,
    },
    /// `{"result": null, "error", "id"}`.
    Error {
        /// The request's id (may be null for unsolicited errors).
        id: Option<&'a RawValue>,
        /// The error (raw).
        error: &'a RawValue,
    },
}

#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(default)]
    method: Option<String>,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

impl<'a> Message<'a> {
    /// Decodes one frame.
    pub fn decode(frame: &'a [u8]) -> Result<Message<'a>, JsonRpcError> {
        let w: Wire<'a> =
            serde_json::from_slice(frame).map_err(|e| JsonRpcError::Syntax(e.to_string()))?;
        if let Some(method) = w.method {
            return Ok(match w.id {
                Some(id) => Message::Request {
                    id,
                    method,
                    params: w.params,
                },
                None => Message::Notification {
                    method,
                    params: w.params,
                },
            });
        }
        if let Some(error) = w.error {
            return Ok(Message::Error { id: w.id, error });
        }
        match (w.id, w.result) {
            (Some(id), Some(result)) => Ok(Message::Response { id, result }),
            // `"result": null` with `"error": null` is a legal (if odd) response.
            (Some(id), None) if frame_has_result(frame) => Ok(Message::Response {
                id,
                result: null_raw(),
            }),
            _ => Err(JsonRpcError::Shape(
                String::from_utf8_lossy(frame.get(..frame.len().min(120)).unwrap_or(frame))
                    .into_owned(),
            )),
        }
    }
}

fn frame_has_result(frame: &[u8]) -> bool {
    frame.windows(8).any(|w| w == b"\"result\"")
}

fn null_raw() -> &'static RawValue {
    // A literal that is valid JSON by construction.
    static NULL: std::sync::OnceLock<Box<RawValue>> = std::sync::OnceLock::new();
    NULL.get_or_init(|| {
        RawValue::from_string("null".to_string()).unwrap_or_else(|_| unreachable!())
    })
}

/// Encodes a request.
pub fn request(id: u64, method: &str, params: &Value) -> Vec<u8> {
    encode(&serde_json::json!({"id": id, "method": method, "params": params}))
}

/// Encodes a notification.
pub fn notification(method: &str, params: &Value) -> Vec<u8> {
    encode(&serde_json::json!({"id": null, "method": method, "params": params}))
}

/// Encodes a successful response to `id`.
pub fn response(id: &RawValue, result: &Value) -> Vec<u8> {
    let id: Value = serde_json::from_str(id.get()).unwrap_or(Value::Null);
    encode(&serde_json::json!({"id": id, "result": result, "error": null}))
}

fn encode(v: &Value) -> Vec<u8> {
    // Serializing a Value to a Vec cannot fail.
    serde_json::to_vec(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn kinds() {
        let m = Message::decode(br#"{"id":"echo","method":"echo","params":[]}"#).unwrap();
        assert!(matches!(m, Message::Request { ref method, .. } if method == "echo"));
        let m = Message::decode(br#"{"id":null,"method":"update3","params":[1,2,3]}"#).unwrap();
        assert!(matches!(m, Message::Notification { params: Some(p), .. } if p.get() == "[1,2,3]"));
        let m = Message::decode(br#"{"id":7,"result":["x"],"error":null}"#).unwrap();
        assert!(
            matches!(m, Message::Response { id, result } if id.get() == "7" && result.get() == "[\"x\"]")
        );
        let m = Message::decode(br#"{"id":7,"result":null,"error":"unknown method"}"#).unwrap();
        assert!(matches!(m, Message::Error { error, .. } if error.get() == "\"unknown method\""));
        let m = Message::decode(br#"{"id":7,"result":null,"error":null}"#).unwrap();
        assert!(matches!(m, Message::Response { result, .. } if result.get() == "null"));
        assert!(Message::decode(br#"{"id":7}"#).is_err());
        assert!(Message::decode(b"[1]").is_err());
    }

    #[test]
    fn encodes() {
        let v: Value =
            serde_json::from_slice(&request(3, "list_dbs", &serde_json::json!([]))).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"id": 3, "method": "list_dbs", "params": []})
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..128)) {
            let _ = Message::decode(&b);
        }
        #[test]
        fn arbitrary_objects_never_panic(s in r#"\{("(id|method|params|result|error)":(null|1|"x"|\[\]|\{\}),?){0,5}\}"#) {
            let _ = Message::decode(s.as_bytes());
        }
    }
}
