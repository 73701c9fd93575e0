//! The HTTP listener, bounded (issue 14): no client can hold a connection, a request or the
//! server's shutdown for longer than the settings allow.
//!
//! - **Header read timeout**, which is also the **idle keep-alive timeout**: a client must send a
//!   request's complete header within it, counted from the connection's start or from the end of
//!   the previous response (hyper's `header_read_timeout`, timed from idle since hyper 1.6).
//! - **Body read timeout**: reading a request body stops with an error after it (a body shorter
//!   than its `Content-Length` no longer keeps a handler waiting), and the request is answered.
//! - **Max connections**: past it, new connections wait in the kernel's accept queue instead of
//!   taking memory and file descriptors here.
//! - **Graceful shutdown with a deadline**: on the shutdown signal the listener closes, every
//!   connection is asked to finish its in-flight request and close, and whatever is still open
//!   after the grace period is dropped, so a rolling restart never waits on a slow client.
//!
//! axum's `serve` has none of these settings, so this is the accept loop from axum's own
//! "serve with hyper" example plus the bounds, using hyper-util's connection builder.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tower::Service;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// The listener's bounds (`[serve]` settings of `keurmerk serve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// A request's header must arrive within this, counted from the connection's start or the
    /// end of the previous response (so it is also the idle keep-alive timeout).
    pub header_read_timeout: Duration,
    /// Reading a request's body fails after this.
    pub body_read_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// How long in-flight requests get to finish after the shutdown signal.
    pub shutdown_grace: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` resolves, then shuts down
/// gracefully within `limits.shutdown_grace`. Client addresses reach handlers as
/// `ConnectInfo<SocketAddr>`.
pub async fn serve_bounded<F>(
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send,
{
    let app = app.layer(RequestBodyTimeoutLayer::new(limits.body_read_timeout));
    let mut make = app.into_make_service_with_connect_info::<SocketAddr>();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
        };
        let (stream, addr) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let service = match make.call(addr).await {
            Ok(s) => s,
            Err(e) => match e {},
        };
        let mut stop = stop_rx.clone();
        connections.spawn(async move {
            let _slot = slot;
            let mut builder = Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .keep_alive(true);
            builder.http2().timer(TokioTimer::new());
            let conn = builder.serve_connection_with_upgrades(
                TokioIo::new(stream),
                TowerToHyperService::new(service),
            );
            tokio::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, %addr, "connection ended with an error");
                    }
                }
                () = stopping(&mut stop) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
        // Reap finished connections so the set holds only open ones.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let open = connections.len();
    if tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            of = open,
            grace_secs = limits.shutdown_grace.as_secs(),
            "closing connections still open after the shutdown grace period"
        );
        connections.abort_all();
    }
    Ok(())
}

/// Resolves once the shutdown flag is set (or its sender is gone).
async fn stopping(stop: &mut watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// Refuses a request whose `Content-Length` exceeds `max` (the route's limit) with 413 before
/// any of its body is read, and one whose `Content-Length` is not a number with 400.
///
/// A tower layer, not `middleware::from_fn`: it runs on every request of every route of the
/// table, and a `from_fn` layer clones its inner service and boxes two futures each time.
#[derive(Debug, Clone, Copy)]
pub struct ContentLengthGuardLayer {
    max: usize,
}

impl ContentLengthGuardLayer {
    /// A guard for bodies of at most `max` bytes.
    pub fn new(max: usize) -> Self {
        Self { max }
    }
}

impl<S> tower::Layer<S> for ContentLengthGuardLayer {
    type Service = ContentLengthGuard<S>;
    fn layer(&self, inner: S) -> Self::Service {
        ContentLengthGuard {
            inner,
            max: self.max,
        }
    }
}

/// The service of [`ContentLengthGuardLayer`].
#[derive(Debug, Clone)]
pub struct ContentLengthGuard<S> {
    inner: S,
    max: usize,
}

impl<S> tower::Service<axum::extract::Request> for ContentLengthGuard<S>
where
    S: tower::Service<axum::extract::Request, Response = axum::response::Response>,
{
    type Response = axum::response::Response;
    type Error = S::Error;
    type Future = futures_util::future::Either<
        std::future::Ready<Result<axum::response::Response, S::Error>>,
        S::Future,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: axum::extract::Request) -> Self::Future {
        use futures_util::future::Either;
        match refusal(self.max, req.headers()) {
            Some(res) => Either::Left(std::future::ready(Ok(res))),
            None => Either::Right(self.inner.call(req)),
        }
    }
}

/// The answer refusing a request with these headers under a limit of `max` bytes, if any.
fn refusal(max: usize, headers: &axum::http::HeaderMap) -> Option<axum::response::Response> {
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse;
    let v = headers.get(header::CONTENT_LENGTH)?;
    match v.to_str().ok().and_then(|s| s.trim().parse::<u64>().ok()) {
        Some(n) if n > max as u64 => Some(
            crate::error::ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body announces {n} bytes; this endpoint takes at most {max}"),
            )
            .into_response(),
        ),
        Some(_) => None,
        None => Some(
            crate::error::ApiError::bad_request("Content-Length is not a number").into_response(),
        ),
    }
}
