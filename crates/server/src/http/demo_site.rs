//! The demo timeline: a page of a made-up social app ("Agora"), plain HTML, CSS and JavaScript
//! that Purse did not build with Trunk, served at `/` in demo mode. It embeds Purse exactly as
//! the README tells a host to (the loader script and `data-purse-*` mount points), loads more
//! posts as the reader scrolls, and listens for `purse:tip-sent`. The files are compiled into
//! the binary, so `--demo` works from any directory.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::http::state::AppState;

const INDEX: &[u8] = include_bytes!("../../demo/timeline/index.html");

/// `(name, content type, bytes)` of everything the page loads besides Purse itself.
const FILES: [(&str, &str, &[u8]); 10] = [
    ("timeline.css", "text/css; charset=utf-8", include_bytes!("../../demo/timeline/timeline.css")),
    ("timeline.js", "text/javascript; charset=utf-8", include_bytes!("../../demo/timeline/timeline.js")),
    ("agora.svg", "image/svg+xml", include_bytes!("../../demo/timeline/agora.svg")),
    ("lina.svg", "image/svg+xml", include_bytes!("../../demo/timeline/lina.svg")),
    ("omar.svg", "image/svg+xml", include_bytes!("../../demo/timeline/omar.svg")),
    ("bob.svg", "image/svg+xml", include_bytes!("../../demo/timeline/bob.svg")),
    ("harbour.svg", "image/svg+xml", include_bytes!("../../demo/timeline/harbour.svg")),
    ("oud.svg", "image/svg+xml", include_bytes!("../../demo/timeline/oud.svg")),
    ("market.svg", "image/svg+xml", include_bytes!("../../demo/timeline/market.svg")),
    ("dunes.svg", "image/svg+xml", include_bytes!("../../demo/timeline/dunes.svg")),
];

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(index)).route("/demo/timeline/{file}", get(file))
}

/// The timeline, once the web app is built (without it the page could not embed Purse: it gets
/// the same explanation as every page).
async fn index(State(state): State<AppState>, method: Method, uri: Uri) -> Response {
    match state.site().index {
        Some(_) => answer("text/html; charset=utf-8", INDEX),
        None => state.site().fallback(&method, &uri),
    }
}

async fn file(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(file, _, _)| *file == name) {
        Some((_, content_type, bytes)) => answer(content_type, bytes),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn answer(content_type: &'static str, bytes: &'static [u8]) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
