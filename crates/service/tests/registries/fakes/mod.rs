//! Local fakes that speak the registries' real formats, and what they share: the API key, the
//! timeout, a request counter and a tiny server.

mod companies_house;
mod recherche_entreprises;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub(crate) use companies_house::{companies_house, companies_house_fake};
pub(crate) use recherche_entreprises::recherche_entreprises;

pub(crate) const API_KEY: &str = "3f1e6c2a-5b7d-4e8f-9a0b-1c2d3e4f5a6b";
pub(crate) const TIMEOUT: Duration = Duration::from_millis(300);

/// Requests received, by path.
#[derive(Clone, Default)]
pub(crate) struct Hits(Arc<Mutex<HashMap<String, usize>>>);

impl Hits {
    fn hit(&self, path: &str) {
        *self.0.lock().unwrap().entry(path.to_owned()).or_default() += 1;
    }

    pub(crate) fn count(&self, path: &str) -> usize {
        self.0.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

pub(crate) fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Serves `router` on 127.0.0.1 and returns its base URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn json(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}
