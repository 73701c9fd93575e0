//! Issue 14: the listener is bounded. Slow or idle clients are disconnected after the header
//! timeout, a body shorter than its Content-Length is answered after the body timeout, a body
//! announcing more than the route takes is refused before it is read, and a shutdown finishes
//! within its grace period even with a half-open request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use keurmerk_server::listen::serve_bounded;
use keurmerk_server::ServeLimits;

const LIMITS: ServeLimits = ServeLimits {
    header_read_timeout: Duration::from_secs(1),
    body_read_timeout: Duration::from_secs(1),
    max_connections: 16,
    shutdown_grace: Duration::from_secs(1),
};

struct Server {
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
    _app: support::App,
}

async fn start() -> Server {
    let app = support::app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let router = app.router.clone();
    let done = tokio::spawn(async move {
        serve_bounded(listener, router, LIMITS, async {
            let _ = rx.await;
        })
        .await
    });
    Server {
        addr,
        stop: Some(tx),
        done,
        _app: app,
    }
}

/// Reads until the server closes the connection or `within` passes; returns what was read and
/// whether the connection was closed by the server.
fn read_until_closed(s: &mut TcpStream, within: Duration) -> (String, bool) {
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while start.elapsed() < within {
        match s.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), true),
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), false)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_header_and_an_idle_keep_alive_connection_are_closed() {
    let srv = start().await;
    let addr = srv.addr;
    let (partial, idle) = blocking(move || {
        let mut a = TcpStream::connect(addr).unwrap();
        a.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        let partial = read_until_closed(&mut a, Duration::from_secs(10));

        let mut b = TcpStream::connect(addr).unwrap();
        b.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let idle = read_until_closed(&mut b, Duration::from_secs(10));
        (partial, idle)
    })
    .await;
    assert!(partial.1, "a partial header kept the connection open");
    assert!(idle.1, "an idle keep-alive connection stayed open");
    assert!(idle.0.starts_with("HTTP/1.1 200"), "{}", idle.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_body_is_answered_and_an_oversized_one_refused_before_reading() {
    let srv = start().await;
    let addr = srv.addr;
    let (short, huge) = blocking(move || {
        let mut a = TcpStream::connect(addr).unwrap();
        a.write_all(
            b"POST /api/v1/watchlists HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":",
        )
        .unwrap();
        let short = read_until_closed(&mut a, Duration::from_secs(10));

        let mut b = TcpStream::connect(addr).unwrap();
        b.write_all(
            b"POST /api/v1/watchlists HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n",
        )
        .unwrap();
        let huge = read_until_closed(&mut b, Duration::from_secs(3));
        (short, huge)
    })
    .await;
    assert!(
        short.0.starts_with("HTTP/1.1 4"),
        "no answer to a short body: {short:?}"
    );
    assert!(huge.0.starts_with("HTTP/1.1 413"), "{huge:?}");
    assert!(huge.0.contains("payload_too_large"), "{huge:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_within_its_grace_period_despite_a_half_open_request() {
    let mut srv = start().await;
    let addr = srv.addr;
    let holder = blocking(move || {
        let mut a = TcpStream::connect(addr).unwrap();
        a.write_all(b"POST /api/v1/watchlists HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            .unwrap();
        a
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    srv.stop.take().unwrap().send(()).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(8), &mut srv.done).await;
    assert!(
        matches!(ended, Ok(Ok(Ok(())))),
        "serve did not end after the shutdown signal: {ended:?}"
    );
    drop(holder);
    // The listener is closed.
    assert!(TcpStream::connect(addr).is_err());
}
