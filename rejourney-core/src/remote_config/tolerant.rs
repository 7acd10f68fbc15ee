//! Reads the top-level object of a remote-config answer field by field, so that one value
//! the JSON layer cannot read never hides the others.
//!
//! `serde_json` refuses a whole document for a number out of `f64` range (`1e400`) or a lone
//! surrogate escape (`"\ud800"`, which JavaScript's `JSON.stringify` can emit): read as one
//! document, such an answer would be unreadable as a whole and a `"disabled": true` beside the
//! bad value ignored. Here a small scanner finds the boundaries of each top-level member
//! (strings with their escapes, nested arrays and objects by depth, without recursion) and
//! `serde_json` reads each value alone. A value it cannot read, or a key given twice with two
//! different values, is replaced by [`unreadable`], a value of the wrong type for every field,
//! which each field's reader (`super::RemoteConfig::from_json`) already takes as its most
//! private choice. A key that cannot be read names no field we know and is left out.
//!
//! The structure itself must hold: a body that is not one object (a truncated answer, an HTML
//! error page) is still an error, and the cached answer or the app's own options apply.

use serde_json::{Map, Value};

use super::ParseError;

/// What an unreadable value becomes: no field accepts an empty array.
pub fn unreadable() -> Value {
    Value::Array(Vec::new())
}

/// The top-level object of `body`, each member read on its own.
pub fn read_object(body: &[u8]) -> Result<Value, ParseError> {
    let mut s = Scanner { b: body, i: 0 };
    s.ws();
    match s.peek() {
        Some(b'{') => s.i += 1,
        Some(b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => {
            return Err(ParseError::NotObject)
        }
        _ => return Err(s.broken("an object")),
    }
    let mut map = Map::new();
    s.ws();
    if s.peek() == Some(b'}') {
        s.i += 1;
        return s.end(map);
    }
    loop {
        s.ws();
        let key_raw = s.string()?;
        s.ws();
        if s.peek() != Some(b':') {
            return Err(s.broken("':'"));
        }
        s.i += 1;
        s.ws();
        let value_raw = s.value()?;
        let value = serde_json::from_slice::<Value>(value_raw).unwrap_or_else(|_| unreadable());
        if let Ok(key) = serde_json::from_slice::<String>(key_raw) {
            match map.get(&key) {
                Some(old) if *old != value => {
                    map.insert(key, unreadable());
                }
                _ => {
                    map.insert(key, value);
                }
            }
        }
        s.ws();
        match s.peek() {
            Some(b',') => s.i += 1,
            Some(b'}') => {
                s.i += 1;
                return s.end(map);
            }
            _ => return Err(s.broken("',' or '}'")),
        }
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn broken(&self, wanted: &str) -> ParseError {
        ParseError::NotJson(format!("expected {wanted} at byte {}", self.i))
    }

    /// Only whitespace may follow the object.
    fn end(&mut self, map: Map<String, Value>) -> Result<Value, ParseError> {
        self.ws();
        if self.i < self.b.len() {
            return Err(self.broken("the end of the answer"));
        }
        Ok(Value::Object(map))
    }

    /// A string token, quotes included (its escapes are checked by whoever reads it).
    fn string(&mut self) -> Result<&'a [u8], ParseError> {
        let start = self.i;
        if self.peek() != Some(b'"') {
            return Err(self.broken("a string"));
        }
        self.i += 1;
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'\\' => self.i += 1,
                b'"' => return Ok(&self.b[start..self.i]),
                _ => {}
            }
        }
        Err(self.broken("the end of a string"))
    }

    /// One value's bytes: a string, an array or object (by depth, strings skipped), or a
    /// bare scalar up to the next delimiter.
    fn value(&mut self) -> Result<&'a [u8], ParseError> {
        let start = self.i;
        match self.peek() {
            Some(b'"') => self.string(),
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                while let Some(c) = self.peek() {
                    match c {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Ok(&self.b[start..self.i]);
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
                Err(self.broken("the end of a nested value"))
            }
            _ => {
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.i += 1;
                }
                if self.i == start {
                    return Err(self.broken("a value"));
                }
                Ok(&self.b[start..self.i])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_what_serde_reads() {
        let body = br#" {"a": 1, "b": "x\"}", "c": [1, {"d": "]"}], "e": {"f": null}, "g": true} "#;
        let want: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(read_object(body).unwrap(), want);
        assert_eq!(read_object(b"{}").unwrap(), json!({}));
    }

    #[test]
    fn an_unreadable_value_spoils_only_itself() {
        for bad in [
            r#"1e400"#,
            r#""\ud800""#,
            r#""\ud800 then text""#,
            r#"[1e400]"#,
            r#"{"x": "\udfff"}"#,
            r#"tru"#,
            r#"01"#,
        ] {
            let body = format!(r#"{{"sampleRate": {bad}, "disabled": true, "reason": "admin"}}"#);
            let v = read_object(body.as_bytes()).unwrap_or_else(|e| panic!("{bad}: {e}"));
            assert_eq!(v["sampleRate"], unreadable(), "{bad}");
            assert_eq!(v["disabled"], json!(true), "{bad}");
            assert_eq!(v["reason"], json!("admin"), "{bad}");
        }
        // An unreadable key names nothing we know; its neighbours stand.
        let v = read_object(br#"{"\ud800": 1, "disabled": true}"#).unwrap();
        assert_eq!(v, json!({"disabled": true}));
    }

    #[test]
    fn a_key_given_twice_differently_is_unreadable() {
        let v = read_object(br#"{"disabled": true, "disabled": false, "a": 1, "a": 1}"#).unwrap();
        assert_eq!(v["disabled"], unreadable());
        assert_eq!(v["a"], json!(1));
    }

    #[test]
    fn the_structure_must_hold() {
        for body in [
            &b""[..],
            b"<html>",
            b"{",
            br#"{"a": 1"#,
            br#"{"a" 1}"#,
            br#"{"a": 1,}"#,
            br#"{"a": }"#,
            br#"{"a": "unterminated}"#,
            br#"{"a": [1, 2}"#,
            br#"{"a": 1} trailing"#,
            br#"{a: 1}"#,
        ] {
            assert!(
                matches!(read_object(body), Err(ParseError::NotJson(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert_eq!(read_object(b"[1]"), Err(ParseError::NotObject));
        assert_eq!(read_object(b"\"x\""), Err(ParseError::NotObject));
    }
}
