//! The listener: accepts connections up to a limit, and closes the ones that hold resources
//! without using them. A client has `header_timeout` to send its request headers, a connection
//! that moves no byte for `idle_timeout` is closed (between requests, or a body or a response
//! stalled midway), and a request has `request_timeout` from its headers to its response. Past
//! `max_connections`, new clients wait in the kernel's queue rather than take file descriptors,
//! so the server keeps answering the connections it holds. Each limit logs when it bites (at
//! most once a second, with counts) and feeds a metric.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Semaphore;
use tower::{Layer, ServiceExt};
use verity_service::metrics;

use crate::{AppState, error::ApiError, path, router};

/// How the listener treats connections.
#[derive(Clone, Copy, Debug)]
pub struct ListenerLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub request_timeout: Duration,
    pub max_connections: usize,
}

impl Default for ListenerLimits {
    fn default() -> Self {
        ListenerLimits {
            header_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(120),
            max_connections: 1024,
        }
    }
}

/// Logs an event at most once a second, with how many happened since the last line.
struct Throttled {
    last_second: AtomicI64,
    unreported: AtomicU64,
}

impl Throttled {
    const fn new() -> Self {
        Throttled {
            last_second: AtomicI64::new(0),
            unreported: AtomicU64::new(0),
        }
    }

    /// Counts one event; returns how many to report when a line is due.
    fn hit(&self) -> Option<u64> {
        let n = self.unreported.fetch_add(1, Ordering::Relaxed) + 1;
        let now = crate::now();
        let last = self.last_second.load(Ordering::Relaxed);
        if now > last
            && self
                .last_second
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.unreported.fetch_sub(n, Ordering::Relaxed);
            return Some(n);
        }
        None
    }
}

static LIMIT_LOG: Throttled = Throttled::new();
static HEADER_LOG: Throttled = Throttled::new();
static IDLE_LOG: Throttled = Throttled::new();
static REQUEST_LOG: Throttled = Throttled::new();

/// Serves the application on `listener` until `shutdown` resolves, then lets requests in flight
/// finish (for at most `request_timeout`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: ListenerLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let request_timeout = limits.request_timeout;
    let app = router(state).layer(axum::middleware::from_fn(move |req: Request, next: Next| {
        with_timeout(request_timeout, req, next)
    }));
    let app = tower::util::MapRequestLayer::new(path::normalize::<axum::body::Body>).layer(app);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A free slot first: beyond the limit, clients wait in the backlog.
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                metrics::CONNECTION_LIMIT_REACHED.fetch_add(1, Ordering::Relaxed);
                if let Some(n) = LIMIT_LOG.hit() {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        times = n,
                        "connection limit reached: new connections wait until one closes"
                    );
                }
                tokio::select! {
                    slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
                    () = &mut shutdown => break,
                }
            }
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was taken.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let mut io = tokio_io_timeout::TimeoutStream::new(stream);
        io.set_read_timeout(Some(limits.idle_timeout));
        io.set_write_timeout(Some(limits.idle_timeout));
        let service = app.clone().map_request(move |req: Request<hyper::body::Incoming>| {
            let mut req = req.map(axum::body::Body::new);
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .serve_connection(
                TokioIo::new(Box::pin(io)),
                hyper_util::service::TowerToHyperService::new(service),
            );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                closed_with_error(&e, peer, limits);
            }
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.request_timeout) => {
            tracing::warn!("requests still in flight at shutdown were abandoned");
        }
    }
    Ok(())
}

fn closed_with_error(e: &hyper::Error, peer: SocketAddr, limits: ListenerLimits) {
    let io_timeout = std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut);
    if e.is_timeout() {
        metrics::CONNECTIONS_TIMED_OUT.fetch_add(1, Ordering::Relaxed);
        if let Some(n) = HEADER_LOG.hit() {
            tracing::warn!(%peer, times = n, timeout_s = limits.header_timeout.as_secs(), "closed connections whose request headers did not arrive in time");
        }
    } else if io_timeout {
        if let Some(n) = IDLE_LOG.hit() {
            tracing::info!(%peer, times = n, timeout_s = limits.idle_timeout.as_secs(), "closed idle connections");
        }
    } else {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

async fn with_timeout(limit: Duration, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            metrics::REQUESTS_TIMED_OUT.fetch_add(1, Ordering::Relaxed);
            if let Some(n) = REQUEST_LOG.hit() {
                tracing::warn!(path = %path, times = n, timeout_s = limit.as_secs(), "requests ran past the request timeout");
            }
            ApiError::TimedOut.into_response()
        }
    }
}
