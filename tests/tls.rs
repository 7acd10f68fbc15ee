//! The SDK's TLS against a real TLS server on 127.0.0.1 (rustls with its full default suite
//! set, a self-signed P-256 certificate in `tests/fixtures/tls`): the handshake gets as far
//! as the certificate (the AES-GCM-only provider of `upload::tls` agrees on a suite with a
//! stock server), and the certificate, issued by no root the SDK trusts, is refused. A
//! client that skipped verification, or could not negotiate, fails this test.

use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;

use rejourney_core::upload::http::{Timeouts, Transport, TransportError};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

const CERT: &[u8] = include_bytes!("fixtures/tls/cert.pem");
const KEY: &[u8] = include_bytes!("fixtures/tls/key.pem");

/// Serves one TLS connection; returns its port and what the server saw.
fn serve_once() -> (u16, std::thread::JoinHandle<String>) {
    let certs = vec![CertificateDer::from_pem_slice(CERT).expect("cert")];
    let key = PrivateKeyDer::from_pem_slice(KEY).expect("key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        let conn = rustls::ServerConnection::new(Arc::new(config)).expect("conn");
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut buf = [0u8; 64];
        let outcome = match tls.read(&mut buf) {
            Ok(n) => format!("read {n} bytes"),
            Err(e) => e.to_string(),
        };
        let suite = tls
            .conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()));
        format!("{outcome}; suite {suite:?}")
    });
    (port, server)
}

#[test]
fn an_untrusted_certificate_is_refused_after_a_normal_handshake() {
    let (port, server) = serve_once();
    let api = format!("https://127.0.0.1:{port}");
    let t = Transport::new(Timeouts::default(), "rejourney-test", &api).expect("transport");
    let got = t.get(&format!("https://127.0.0.1:{port}/api/sdk/config"), &[]);
    // ureq reports rustls' verdict as an I/O error of the connection.
    let err = match got {
        Err(TransportError::Connect(e) | TransportError::Io(e)) => e,
        other => panic!("expected a refused certificate, got {other:?}"),
    };
    assert!(
        err.contains("invalid peer certificate") && err.contains("UnknownIssuer"),
        "refused for its issuer, not for the handshake: {err}"
    );
    let seen = server.join().expect("server thread");
    assert!(seen.contains("GCM"), "a suite was agreed: {seen}");
    assert!(
        !seen.contains("read"),
        "the client sent no request over an unverified connection: {seen}"
    );
}
