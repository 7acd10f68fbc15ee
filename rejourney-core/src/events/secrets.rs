//! What looks secret in a recorded string: key names whose values are secrets, and values
//! that are secrets whatever their key (JWTs, e-mail addresses, card- or phone-like numbers,
//! long random-looking tokens). Pure; [`super::urls`] applies it to URLs and error text.
//!
//! Kept readable on purpose: short words and slugs, numeric ids up to 12 digits, and UUIDs
//! (the ordinary REST resource ids the replay's network panel groups by). A UUID (or any
//! value) right after a path segment that names a grant (`reset`, `verify`, `invite`,
//! `token`, `magic`, …) is redacted all the same: that is how magic links carry theirs.

/// Query keys whose values are secrets (compared lowercase, `-` and `_` ignored).
const SECRET_KEYS: &[&str] = &[
    "token",
    "accesstoken",
    "refreshtoken",
    "idtoken",
    "auth",
    "authorization",
    "key",
    "apikey",
    "secret",
    "clientsecret",
    "password",
    "passwd",
    "pwd",
    "pass",
    "session",
    "sessionid",
    "sid",
    "sig",
    "signature",
    "code",
    "oobcode",
    "state",
    "nonce",
    "ticket",
    "samlresponse",
    "relaystate",
    "jwt",
    "credential",
    "credentials",
    "otp",
    "pin",
    "ssn",
    "email",
    "phone",
];

/// Key-name endings that make a value secret (`x_amz_security_token`, `X-Amz-Signature`,
/// `X-Amz-Credential`, `accessKey`, `authCode`).
const SECRET_KEY_ENDINGS: &[&str] = &[
    "token",
    "secret",
    "password",
    "signature",
    "credential",
    "key",
    "code",
];

/// Path segments after which the next segment is a grant, whatever it looks like.
const GRANT_SEGMENTS: &[&str] = &[
    "token",
    "tokens",
    "reset",
    "resetpassword",
    "passwordreset",
    "magic",
    "magiclink",
    "verify",
    "verification",
    "confirm",
    "activate",
    "invite",
    "invitation",
    "unsubscribe",
    "apikey",
    "secret",
];

/// Path segments after which every later segment is secret (webhook URLs are the grant).
const WEBHOOK_SEGMENTS: &[&str] = &["webhook", "webhooks", "hooks"];

fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether the value of a query parameter (or `key=value` in text) named `key` is secret.
pub fn secret_key(key: &str) -> bool {
    let k = normalized(key);
    SECRET_KEYS.contains(&k.as_str()) || SECRET_KEY_ENDINGS.iter().any(|e| k.ends_with(e))
}

/// Whether the next path segment after `segment` is a grant.
pub fn grant_segment(segment: &str) -> bool {
    GRANT_SEGMENTS.contains(&normalized(segment).as_str())
}

/// Whether every later path segment after `segment` is secret.
pub fn webhook_segment(segment: &str) -> bool {
    WEBHOOK_SEGMENTS.contains(&normalized(segment).as_str())
}

/// `8-4-4-4-12` hex digits.
pub fn is_uuid(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Whether a (decoded) value is secret whatever its key: a JWT, an e-mail address, a card-
/// or phone-like number, or a long random-looking token. UUIDs are not (see the module doc).
pub fn secret_value(v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() || is_uuid(v) {
        return false;
    }
    looks_like_jwt(v) || looks_like_email(v) || looks_like_number(v) || looks_like_token(v)
}

/// `eyJ…` (base64url of `{"`): a JWT header, or any base64 JSON blob.
fn looks_like_jwt(v: &str) -> bool {
    v.len() >= 16 && v.starts_with("eyJ")
}

fn looks_like_email(v: &str) -> bool {
    match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains(['/', '@', ' '])
        }
        None => false,
    }
}

/// 13 or more digits (card numbers, long account numbers; 13-digit epoch-ms timestamps too:
/// erring private), or `+` and 7 or more digits (a phone number), separators ignored.
fn looks_like_number(v: &str) -> bool {
    let plus = v.starts_with('+');
    let body = v.trim_start_matches('+');
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
    {
        return false;
    }
    let digits = body.chars().filter(char::is_ascii_digit).count();
    digits >= 13 || (plus && digits >= 7)
}

/// 20 or more characters of a token alphabet mixing at least two of upper case, lower case
/// and digits, or 16 or more hex digits with at least one letter and one digit.
fn looks_like_token(v: &str) -> bool {
    if !v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '/' | '=' | '~'))
    {
        return false;
    }
    let upper = v.chars().any(|c| c.is_ascii_uppercase());
    let lower = v.chars().any(|c| c.is_ascii_lowercase());
    let digit = v.chars().any(|c| c.is_ascii_digit());
    let hex = v.chars().all(|c| c.is_ascii_hexdigit());
    (v.len() >= 20 && [upper, lower, digit].iter().filter(|b| **b).count() >= 2)
        || (v.len() >= 16 && hex && digit && (upper || lower))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        for secret in [
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
            "jane.doe@example.com",
            "4111111111111111",
            "4111 1111 1111 1111",
            "+15551234567",
            "sk_live_51HxY2bC3dE4fG5hI6jK",
            "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
            "d41d8cd98f00b204e9800998ecf8427e",
            "AKIAIOSFODNN7EXAMPLE",
        ] {
            assert!(secret_value(secret), "{secret}");
        }
        for readable in [
            "items",
            "42",
            "123456789012",
            "550e8400-e29b-41d4-a716-446655440000",
            "shoes",
            "my-long-blog-post-title-about-things",
            "v1",
            "2024-05-01",
            "en-US",
        ] {
            assert!(!secret_value(readable), "{readable}");
        }
    }

    #[test]
    fn keys_and_segments() {
        for k in [
            "access_token",
            "API-KEY",
            "X-Amz-Signature",
            "oobCode",
            "state",
            "authCode",
        ] {
            assert!(secret_key(k), "{k}");
        }
        for k in ["page", "q", "limit", "sort", "lang"] {
            assert!(!secret_key(k), "{k}");
        }
        assert!(grant_segment("reset-password") && grant_segment("magic_link"));
        assert!(!grant_segment("users"));
        assert!(webhook_segment("webhooks") && !webhook_segment("api"));
    }
}
