//! What of a URL may be recorded: no user info, no fragment, no secret-looking path segment
//! or query value (by key name or by the value itself, [`super::secrets`]), a URL inside a
//! query value sanitised in turn; and which URLs are not recorded at all (deny list). Error
//! text is sanitised too ([`sanitize_text`]): the URLs and secret-looking words in it.

use url::Url;

use super::secrets::{grant_segment, secret_key, secret_value, webhook_segment};

/// What replaces a secret path segment (kept literal: `[` and `]` are valid in a path).
pub const REDACTED: &str = "[redacted]";
/// What replaces a secret query value or bare query part (form-encoded, as queries are).
const REDACTED_QUERY: &str = "%5Bredacted%5D";

/// How deep URLs inside query values are followed (a Firebase dynamic link's `link`, an
/// OAuth `redirect_uri`); deeper ones are redacted whole.
const MAX_NESTING: usize = 2;

/// The URL as recorded: no user info, no fragment; each path segment and query value that
/// looks secret replaced by `[redacted]` (a bare query part like `?<JWT>` stays bare: no `=`
/// is added). Unparseable URLs are reduced to `[invalid url]` rather than sent raw.
pub fn sanitize_url(raw: &str) -> String {
    sanitize_at(raw, 0)
}

/// Percent-decoded (an invalid escape is kept as it is), for judging a value only.
fn decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn sanitize_at(raw: &str, depth: usize) -> String {
    let Ok(mut url) = Url::parse(raw) else {
        return "[invalid url]".to_owned();
    };
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_fragment(None);
    if !url.cannot_be_a_base() {
        let hook_host = url.host_str().is_some_and(|h| h.starts_with("hooks."));
        let path = sanitize_path(url.path(), hook_host);
        url.set_path(&path);
    }
    if let Some(q) = url.query() {
        let q = sanitize_query(q, depth);
        url.set_query(Some(&q));
    }
    url.to_string()
}

/// Each segment judged on its decoded value; after a grant segment (`/reset/<x>`) the next
/// one, after a webhook segment (or on a `hooks.` host) every later one, is redacted.
fn sanitize_path(path: &str, hook_host: bool) -> String {
    let mut all_after = hook_host;
    let mut next = false;
    let mut out = Vec::new();
    for seg in path.split('/') {
        let value = decoded(seg);
        let secret = !seg.is_empty() && (all_after || next || secret_value(&value));
        next = grant_segment(&value);
        all_after |= webhook_segment(&value);
        out.push(if secret { REDACTED } else { seg });
    }
    out.join("/")
}

/// `key=value` parts keep their key and lose a secret value; a bare part (no `=`) is judged
/// as a value and stays bare; a value that is itself a URL is sanitised in turn.
fn sanitize_query(query: &str, depth: usize) -> String {
    let part = |p: &str| -> String {
        match p.split_once('=') {
            Some((k, v)) => {
                let value = decoded(&v.replace('+', " "));
                let v = if secret_key(&decoded(k)) || secret_value(&value) {
                    REDACTED_QUERY.to_owned()
                } else if value.starts_with("http://") || value.starts_with("https://") {
                    if depth + 1 >= MAX_NESTING {
                        REDACTED_QUERY.to_owned()
                    } else {
                        form_encoded(&sanitize_at(&value, depth + 1))
                    }
                } else {
                    v.to_owned()
                };
                format!("{k}={v}")
            }
            None if secret_value(&decoded(p)) => REDACTED_QUERY.to_owned(),
            None => p.to_owned(),
        }
    };
    query.split('&').map(part).collect::<Vec<_>>().join("&")
}

fn form_encoded(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Error text as recorded: every URL in it sanitised, and every word that looks secret (by
/// itself, or as the value of a secret-named `key=value` / `key: value`) replaced by
/// `[redacted]`. Transport errors quote the URL they failed on, and servers echo tokens.
pub fn sanitize_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut key_before = false;
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        // Punctuation around a word is kept as it is: `(https://…)`, `"token",`.
        let punct = |c: char| {
            matches!(
                c,
                '(' | ')' | '"' | '\'' | ',' | ';' | '<' | '>' | '[' | ']'
            )
        };
        let end_punct = |c: char| punct(c) || matches!(c, ':' | '.' | '!' | '?');
        let start = word.len() - word.trim_start_matches(punct).len();
        let core = word[start..].trim_end_matches(end_punct);
        let (lead, trail) = (&word[..start], &word[start + core.len()..]);
        let clean = if core.contains("://") {
            sanitize_url(core)
        } else if let Some((k, v)) = core.split_once('=') {
            if !v.is_empty() && (secret_key(k) || secret_value(v)) {
                format!("{k}={REDACTED}")
            } else {
                core.to_owned()
            }
        } else if key_before || secret_value(core) {
            REDACTED.to_owned()
        } else {
            core.to_owned()
        };
        // `token: abc`, `Bearer abc`: the word after a secret name.
        key_before = (trail.starts_with(':') && secret_key(core))
            || core.eq_ignore_ascii_case("bearer")
            || core.eq_ignore_ascii_case("basic");
        out.push_str(lead);
        out.push_str(&clean);
        out.push_str(trail);
    }
    out
}

/// Whether a URL is on the deny list (host or subdomain, or URL prefix).
pub fn url_denied(raw: &str, deny: &[String]) -> bool {
    let parsed = Url::parse(raw).ok();
    let host = parsed
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    // Prefixes compare with the URL as parsed (host lower case, default port dropped), so
    // `HTTPS://API.example.com:443/x` is the same place as `https://api.example.com/x`.
    let normal = parsed.as_ref().map(Url::as_str).unwrap_or(raw);
    deny.iter().any(|d| {
        if d.contains("://") {
            normal.starts_with(d.as_str()) || raw.starts_with(d.as_str())
        } else {
            let d = d.trim_start_matches('.').to_ascii_lowercase();
            host.as_deref()
                .is_some_and(|h| h == d || h.ends_with(&format!(".{d}")))
        }
    })
}

/// The prefix of the SDK's own API, as a deny entry: scheme, host, port and path (as a
/// directory) of `api_url`. Only its own requests are left out, not every request to a host
/// it shares with the app (a self-hosted backend behind the app's API domain), nor other
/// ports of that host. `None` for a URL that does not parse (nothing is left out then).
pub fn own_api_prefix(api_url: &str) -> Option<String> {
    let mut u = Url::parse(api_url).ok()?;
    u.host_str()?;
    u.set_query(None);
    u.set_fragment(None);
    if !u.path().ends_with('/') {
        let dir = format!("{}/", u.path());
        u.set_path(&dir);
    }
    Some(u.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_own_api_is_its_origin_and_path_not_its_host() {
        let own = vec![own_api_prefix("https://API.example.com/rejourney").unwrap()];
        for url in [
            "https://api.example.com/rejourney/api/ingest/presign",
            "HTTPS://api.example.com:443/rejourney/",
        ] {
            assert!(url_denied(url, &own), "{url}");
        }
        for url in [
            "https://api.example.com/orders",
            "https://api.example.com/rejourneyx",
            "https://api.example.com:8443/rejourney/x",
            "http://api.example.com/rejourney/x",
            "https://api.example.com.evil.test/rejourney/x",
        ] {
            assert!(!url_denied(url, &own), "{url}");
        }
        let root = vec![own_api_prefix("http://127.0.0.1:3000").unwrap()];
        assert!(url_denied("http://127.0.0.1:3000/api/x", &root));
        assert!(!url_denied("http://127.0.0.1:3001/api/x", &root));
        assert_eq!(own_api_prefix("not a url"), None);
    }

    /// Real-world shapes: what must lose its secret, and what must stay as it was.
    #[test]
    fn urls_as_recorded() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXZhbHVl";
        let rows: Vec<(String, String)> = vec![
            // Magic links and password resets: the grant is a path segment.
            (
                format!("https://app.example.com/auth/magic/{jwt}"),
                "https://app.example.com/auth/magic/[redacted]".into(),
            ),
            (
                format!("https://app.example.com/login/{jwt}?next=%2Fhome"),
                "https://app.example.com/login/[redacted]?next=%2Fhome".into(),
            ),
            (
                "https://app.example.com/invite/550e8400-e29b-41d4-a716-446655440000".into(),
                "https://app.example.com/invite/[redacted]".into(),
            ),
            (
                "https://app.example.com/reset-password/k9Xq2?email=jane%40example.com".into(),
                "https://app.example.com/reset-password/[redacted]?email=%5Bredacted%5D".into(),
            ),
            // Webhooks: the URL is the credential.
            (
                "https://hooks.slack.com/services/T024BE7LD/B08CG2ZQK/XXXXXXXXXXXXXXXXXXXXXXXX".into(),
                "https://hooks.slack.com/[redacted]/[redacted]/[redacted]/[redacted]".into(),
            ),
            (
                "https://discord.com/api/webhooks/123456789012345678/AbCdEf_gHiJ-kLmNoPqRsT".into(),
                "https://discord.com/api/webhooks/[redacted]/[redacted]".into(),
            ),
            // An S3 presigned URL: credential and signature go, the rest stays readable.
            (
                "https://bucket.s3.amazonaws.com/uploads/photo.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256\
                 &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240501%2Fus-east-1%2Fs3%2Faws4_request\
                 &X-Amz-Date=20240501T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host\
                 &X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
                    .into(),
                "https://bucket.s3.amazonaws.com/uploads/photo.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256\
                 &X-Amz-Credential=%5Bredacted%5D&X-Amz-Date=20240501T000000Z&X-Amz-Expires=3600\
                 &X-Amz-SignedHeaders=host&X-Amz-Signature=%5Bredacted%5D"
                    .into(),
            ),
            // OAuth callbacks, in an app scheme and on the web.
            (
                "com.example.app://oauth/callback?code=4%2F0AX4XfWh&state=af0ifjsldkj&scope=email%20profile"
                    .into(),
                "com.example.app://oauth/callback?code=%5Bredacted%5D&state=%5Bredacted%5D&scope=email%20profile"
                    .into(),
            ),
            // A Firebase dynamic link: the link inside is sanitised in turn.
            (
                "https://example.page.link/?link=https%3A%2F%2Fexample.com%2Freset%3FoobCode%3DAbC123xYz456%26mode%3DresetPassword&apn=com.example.app"
                    .into(),
                "https://example.page.link/?link=https%3A%2F%2Fexample.com%2Freset%3FoobCode%3D%255Bredacted%255D%26mode%3DresetPassword&apn=com.example.app"
                    .into(),
            ),
            // E-mail addresses in the path, encoded or not.
            (
                "https://api.example.com/v1/users/jane.doe%40example.com/profile".into(),
                "https://api.example.com/v1/users/[redacted]/profile".into(),
            ),
            (
                "https://api.example.com/v1/users/jane@example.com".into(),
                "https://api.example.com/v1/users/[redacted]".into(),
            ),
            // A bare query: redacted, and no `=` appears.
            (
                format!("https://x.io/cb?{jwt}"),
                "https://x.io/cb?%5Bredacted%5D".into(),
            ),
            ("https://x.io/search?shoes".into(), "https://x.io/search?shoes".into()),
            // Card numbers and tokens in paths.
            (
                "https://pay.example.com/cards/4111111111111111/charge".into(),
                "https://pay.example.com/cards/[redacted]/charge".into(),
            ),
            (
                "https://api.example.com/v1/keys/sk_live_51HxY2bC3dE4fG5hI6jK".into(),
                "https://api.example.com/v1/keys/[redacted]".into(),
            ),
            // Stays readable: REST paths with numeric ids and UUIDs, slugs, plain queries.
            (
                "https://api.example.com/v1/orders/12345/items?page=2&limit=50".into(),
                "https://api.example.com/v1/orders/12345/items?page=2&limit=50".into(),
            ),
            (
                "https://api.example.com/v1/users/550e8400-e29b-41d4-a716-446655440000/orders".into(),
                "https://api.example.com/v1/users/550e8400-e29b-41d4-a716-446655440000/orders".into(),
            ),
            (
                "https://cdn.example.com/images/products/red-running-shoes-large.jpg".into(),
                "https://cdn.example.com/images/products/red-running-shoes-large.jpg".into(),
            ),
            (
                "https://api.example.com/v2/search?q=red+shoes&sort=price".into(),
                "https://api.example.com/v2/search?q=red+shoes&sort=price".into(),
            ),
        ];
        for (raw, want) in rows {
            assert_eq!(sanitize_url(&raw), want, "{raw}");
        }
    }

    #[test]
    fn error_text_loses_urls_secrets_and_tokens() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXZhbHVl";
        for (raw, want) in [
            (
                "error sending request for url (https://bob:pw@api.example.com/v1/me?access_token=abc123): connection refused".to_owned(),
                "error sending request for url (https://api.example.com/v1/me?access_token=%5Bredacted%5D): connection refused".to_owned(),
            ),
            (
                format!("401: invalid token {jwt} for jane@example.com."),
                "401: invalid token [redacted] for [redacted].".to_owned(),
            ),
            (
                "Authorization: Bearer abc.def failed; token=hunter2, retry".to_owned(),
                "Authorization: [redacted] [redacted] failed; token=[redacted], retry".to_owned(),
            ),
            (
                "The request timed out.".to_owned(),
                "The request timed out.".to_owned(),
            ),
            (
                "HTTP 500 from https://api.example.com/v1/orders/42".to_owned(),
                "HTTP 500 from https://api.example.com/v1/orders/42".to_owned(),
            ),
        ] {
            assert_eq!(sanitize_text(&raw), want, "{raw}");
        }
    }
}
