//! What of a URL may be recorded: no user info, no fragment, no secret-looking query
//! values; and which URLs are not recorded at all (deny list).

use url::Url;

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
    "jwt",
    "credential",
    "credentials",
    "otp",
    "pin",
    "ssn",
    "email",
    "phone",
];

/// The URL as recorded: no user info, no fragment, and secret-looking query values replaced
/// by `[redacted]` (by key name, or any value that looks like a token: 24+ chars of
/// base64/hex). Unparseable URLs are reduced to `[invalid url]` rather than sent raw.
pub fn sanitize_url(raw: &str) -> String {
    let Ok(mut url) = Url::parse(raw) else {
        return "[invalid url]".to_owned();
    };
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_fragment(None);
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let norm: String = k
                    .chars()
                    .filter(|c| *c != '_' && *c != '-')
                    .flat_map(char::to_lowercase)
                    .collect();
                let secret = SECRET_KEYS.contains(&norm.as_str())
                    || norm.ends_with("token")
                    || norm.ends_with("secret")
                    || norm.ends_with("password")
                    || looks_like_token(&v);
                let v = if secret {
                    "[redacted]".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

fn looks_like_token(v: &str) -> bool {
    v.len() >= 24
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '/' | '='))
        && v.chars().any(|c| c.is_ascii_digit())
}

/// Whether a URL is on the deny list (host or subdomain, or URL prefix).
pub fn url_denied(raw: &str, deny: &[String]) -> bool {
    let host = Url::parse(raw)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    deny.iter().any(|d| {
        if d.contains("://") {
            raw.starts_with(d.as_str())
        } else {
            let d = d.trim_start_matches('.').to_ascii_lowercase();
            host.as_deref()
                .is_some_and(|h| h == d || h.ends_with(&format!(".{d}")))
        }
    })
}
