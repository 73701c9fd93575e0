//! The Keurmerk HTTP server. [`router`] builds the whole application so tests can call it
//! in-process; [`serve`] binds it and shuts down gracefully on Ctrl-C / SIGTERM.
//!
//! Handlers are thin: they parse the request, call the service layer, and map the result through
//! [`error::ApiError`], the one place where errors become status codes and the JSON envelope.

pub mod error;
mod status;
pub mod trust;
pub mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use keurmerk_service::Registry;
use keurmerk_store::SqlStore;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

/// Shared state of the handlers.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The registry.
    pub registry: Arc<Registry<SqlStore>>,
}

/// Largest request body accepted (SBOMs are uploaded elsewhere).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(get_healthz))
        .route(
            "/api/v1/certificates/{id}/status",
            get(trust::get_certificate_status),
        )
        .route("/api/v1/trust-list", get(trust::get_trust_list))
        .route("/c/{id}/label.svg", get(trust::get_label_svg))
        .route("/c/{id}/label.png", get(trust::get_label_png))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn get_healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<&'static str, error::ApiError> {
    // Healthy means the database answers.
    state.registry.organisations().await?;
    Ok("ok\n")
}

/// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests.
pub async fn serve(addr: SocketAddr, state: AppState) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "keurmerk listening");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
