//! The HTTP stack's ceiling on this machine, for `bench/ceiling.sh`: the same 1,000-byte body on
//! every path, answered by hyper alone (`hyper`), or by an axum router with one route and no
//! middleware (`axum`), on the same multi-thread tokio runtime `keurmerk serve` uses. Set against
//! nginx and `keurmerk serve` in one run, it says how much of the gap to nginx is the HTTP stack
//! and how much is ours (middleware, handler, database).
//!
//! `cargo run --release -p keurmerk-server --example http_ceiling -- hyper|axum PORT`

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;

const BODY: [u8; 1000] = [b'a'; 1000];

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(mode), Some(port)) = (args.next(), args.next()) else {
        return Err(usage());
    };
    let port: u16 = port.parse().map_err(|_| usage())?;
    if mode != "hyper" && mode != "axum" {
        return Err(usage());
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(
            mode == "hyper",
            SocketAddr::from(([127, 0, 0, 1], port)),
        ))
}

fn usage() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "usage: http_ceiling hyper|axum PORT",
    )
}

async fn serve(bare: bool, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let app = axum::Router::new().fallback(|| async { axum::body::Bytes::from_static(&BODY) });
    loop {
        let (stream, _) = listener.accept().await?;
        let io = TokioIo::new(stream);
        let app = app.clone();
        tokio::spawn(async move {
            let builder = Builder::new(TokioExecutor::new());
            // Errors are the client closing its connection at the end of a run.
            if bare {
                let svc = hyper::service::service_fn(|_: Request<hyper::body::Incoming>| async {
                    Ok::<_, Infallible>(Response::new(Body::from(&BODY[..])))
                });
                let _ = builder.serve_connection(io, svc).await;
            } else {
                let _ = builder
                    .serve_connection(io, TowerToHyperService::new(app))
                    .await;
            }
        });
    }
}
