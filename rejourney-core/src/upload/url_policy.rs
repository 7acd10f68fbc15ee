//! The one HTTP policy for every request the SDK makes (device auth, presign, complete,
//! session end, faults, the remote-config GET and the PUTs to presigned URLs):
//!
//! - `https` for every host but loopback (`127.0.0.0/8`, `[::1]`, `localhost`), whose
//!   `http` stays allowed for tests and the local ingest server. A host name that merely
//!   *resolves* to loopback is not loopback: the decision is made on the URL, before DNS.
//! - No redirect is followed (the transport returns a 3xx as a failure, never as a
//!   delivery): following one would send a POST's credentials to wherever it points, and
//!   a 301/302/303 would turn a POST into a GET whose 2xx looks like a delivery.
//! - Credentials (`x-rejourney-key`, `x-upload-token`, `x-public-key`, `Authorization`)
//!   travel only to the API's own origin (scheme, host and port).
//!
//! Pure: the transport ([`super::http`]) and the configuration check call it.

use url::{Host, Url};

/// Headers that carry a credential and must never leave the API origin.
pub const CREDENTIAL_HEADERS: &[&str] = &[
    "x-rejourney-key",
    "x-upload-token",
    "x-public-key",
    "authorization",
];

/// Why a URL may not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefused {
    #[error("not a URL with a host: {0}")]
    Unparsable(String),
    #[error("scheme {0:?} is neither https nor http")]
    Scheme(String),
    /// `http` to a host that is not loopback: would travel in clear.
    #[error("http:// to a non-loopback host ({0}) would travel in clear; use https")]
    Cleartext(String),
    /// A request carrying credentials to an origin other than the API's.
    #[error("credentials may only go to the API origin, not to {0}")]
    ForeignOrigin(String),
}

/// Whether the URL's host is loopback (by its literal name or address).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(a)) => a.is_loopback(),
        Some(Host::Ipv6(a)) => a.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Parses `raw` and checks it may be sent to: `https`, or `http` to loopback.
pub fn checked(raw: &str) -> Result<Url, UrlRefused> {
    let url = Url::parse(raw).map_err(|_| UrlRefused::Unparsable(redacted(raw)))?;
    if url.host().is_none() {
        return Err(UrlRefused::Unparsable(redacted(raw)));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(UrlRefused::Cleartext(
            url.host_str().unwrap_or_default().to_owned(),
        )),
        other => Err(UrlRefused::Scheme(other.to_owned())),
    }
}

/// Whether a request to `url` with these header names may go, given the API's origin.
pub fn may_carry(
    url: &Url,
    header_names: &[&str],
    api_origin: &url::Origin,
) -> Result<(), UrlRefused> {
    let carries = header_names
        .iter()
        .any(|h| CREDENTIAL_HEADERS.iter().any(|c| c.eq_ignore_ascii_case(h)));
    if carries && url.origin() != *api_origin {
        return Err(UrlRefused::ForeignOrigin(
            url.origin().ascii_serialization(),
        ));
    }
    Ok(())
}

/// Whether a status is a redirect (never followed, never a delivery).
pub fn is_redirect(status: u16) -> bool {
    (300..400).contains(&status)
}

/// A URL for an error message: scheme and host only (a presigned URL's query is a grant).
fn redacted(raw: &str) -> String {
    let cut = raw.find(['?', '#']).unwrap_or(raw.len());
    raw[..cut].chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_everywhere_but_loopback() {
        for ok in [
            "https://api.rejourney.co",
            "https://10.0.0.2:8443/x",
            "http://127.0.0.1:8787",
            "http://127.8.9.10/x",
            "http://localhost:3000/api",
            "http://LOCALHOST",
            "http://[::1]:8080/",
        ] {
            assert!(checked(ok).is_ok(), "{ok}");
        }
        for (bad, want) in [
            ("http://api.rejourney.co", "cleartext"),
            ("http://192.168.1.5:8787", "cleartext"),
            ("http://localhost.evil.com", "cleartext"),
            ("http://127.0.0.1.nip.io", "cleartext"),
            ("http://[::ffff:8.8.8.8]", "cleartext"),
            ("ftp://127.0.0.1/x", "scheme"),
            ("file:///etc/passwd", "unparsable"),
            ("not a url", "unparsable"),
        ] {
            let got = match checked(bad) {
                Err(UrlRefused::Cleartext(_)) => "cleartext",
                Err(UrlRefused::Scheme(_)) => "scheme",
                Err(UrlRefused::Unparsable(_)) => "unparsable",
                other => panic!("{bad}: {other:?}"),
            };
            assert_eq!(got, want, "{bad}");
        }
    }

    #[test]
    fn credentials_only_to_the_api_origin() {
        let api = Url::parse("https://api.rejourney.co").unwrap().origin();
        let same = Url::parse("https://api.rejourney.co/api/ingest/presign").unwrap();
        let other_port = Url::parse("https://api.rejourney.co:8443/x").unwrap();
        let other_host = Url::parse("https://bucket.s3.amazonaws.com/x?sig=1").unwrap();
        assert!(may_carry(&same, &["x-rejourney-key"], &api).is_ok());
        assert!(may_carry(&other_port, &["X-Upload-Token"], &api).is_err());
        assert!(may_carry(&other_host, &["Authorization"], &api).is_err());
        assert!(may_carry(&other_host, &["content-type"], &api).is_ok());
    }

    #[test]
    fn errors_never_quote_a_query() {
        let e = checked("gopher://h/x?X-Amz-Signature=secret").unwrap_err();
        assert!(!e.to_string().contains("secret"));
        let e = checked("::?token=secret").unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
    }

    #[test]
    fn every_3xx_is_a_redirect() {
        assert!([300, 301, 302, 303, 304, 307, 308]
            .iter()
            .all(|s| is_redirect(*s)));
        assert!(![200, 204, 299, 400, 401].iter().any(|s| is_redirect(*s)));
    }
}
