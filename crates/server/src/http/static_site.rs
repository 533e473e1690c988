//! The built SPA: files from the static folder, `index.html` for client-side routes, and the
//! Content-Security-Policy that lets exactly this build run.
//!
//! The CSP allows scripts from our own origin plus the inline loader Trunk writes into
//! `index.html`, by its SHA-256 (read from the file at start-up), and WebAssembly compilation
//! (`'wasm-unsafe-eval'`), never `'unsafe-eval'` or `'unsafe-inline'`. If the folder has not
//! been built, the API still runs and pages answer with a short explanation.
//!
//! The whole folder is read into memory at start-up and served from there: `index.html`, the
//! hashes its policy and `integrity` attributes name, and the scripts and wasm they name are one
//! build, whatever lands in the folder later (a rebuild under a running server once served the
//! old page with the new scripts: a white page). A new build is served after a restart.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

/// What a host page downloads from the built web app to show its Tip buttons: the loader, the
/// embed's JavaScript and WebAssembly, and the stylesheets its shadow roots load. `make bench`
/// weighs them (`embed-size`); the browser test checks that a host page loads exactly these.
pub const EMBED_FILES: [&str; 6] =
    ["embed.js", "purse-embed.js", "purse-embed_bg.wasm", "tokens.css", "main.css", "embed.css"];

/// What the static folder holds, read once at start-up.
#[derive(Debug, Clone)]
pub struct StaticSite {
    pub dir: PathBuf,
    /// `index.html`, if the SPA has been built.
    pub index: Option<axum::body::Bytes>,
    pub csp: HeaderValue,
    /// Every file of the folder by its URL path (`/purse-web.js`), `.gz` files beside theirs.
    files: HashMap<String, Asset>,
}

/// One file of the build, as it is served.
#[derive(Debug, Clone)]
struct Asset {
    body: axum::body::Bytes,
    /// The build's own gzip of it (`name.gz`), for browsers that take gzip.
    gzip: Option<axum::body::Bytes>,
    content_type: HeaderValue,
    /// A strong validator (half the file's SHA-256), so a browser's copy is checked for free.
    etag: HeaderValue,
}

const NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Purse</title></head><body><main><h1>Purse is running</h1>\
<p>The web app has not been built yet, so only the API answers. Run <code>make run</code> \
(or <code>trunk build</code>) and reload.</p></main></body></html>";

impl StaticSite {
    pub fn load(dir: &Path) -> StaticSite {
        let index = std::fs::read(dir.join("index.html")).ok();
        match &index {
            Some(_) => tracing::info!(dir = %dir.display(), "serving the web app"),
            None => {
                tracing::warn!(dir = %dir.display(), "no index.html: the web app is not built; serving the API only")
            }
        }
        let hashes = index.as_deref().map(inline_script_hashes).unwrap_or_default();
        let mut read = Vec::new();
        read_files(dir, "", &mut read);
        StaticSite {
            dir: dir.to_path_buf(),
            index: index.map(Into::into),
            csp: content_security_policy(&hashes),
            files: assets(read),
        }
    }

    /// The answer for the static site: the file at the path (its gzip when the browser takes
    /// it; `304` when the browser has it), else [`StaticSite::fallback`].
    pub fn answer(&self, method: &Method, uri: &Uri, headers: &HeaderMap) -> Response {
        let readable = method == Method::GET || method == Method::HEAD;
        let Some(asset) = self.files.get(uri.path()).filter(|_| readable) else {
            return self.fallback(method, uri);
        };
        let mut response = if headers.get(header::IF_NONE_MATCH) == Some(&asset.etag) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            match (&asset.gzip, takes_gzip(headers)) {
                (Some(gzip), true) => {
                    let mut response = Body::from(gzip.clone()).into_response();
                    response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                    response
                }
                _ => Body::from(asset.body.clone()).into_response(),
            }
        };
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, asset.content_type.clone());
        headers.insert(header::ETAG, asset.etag.clone());
        // Fresh for a few minutes, then revalidated by its ETag: a page with several embeds
        // (each shadow root links the stylesheets) fetches each file once, as it did when files
        // came with a Last-Modified date and browsers kept them by heuristic.
        if !uri.path().ends_with(".html") {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(ASSET_CACHE));
        }
        if asset.gzip.is_some() {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        response
    }

    /// The answer for a path no file matched: `index.html` for a client-side route, 404 for a
    /// missing asset.
    pub fn fallback(&self, method: &Method, uri: &Uri) -> Response {
        if method != Method::GET && method != Method::HEAD {
            return StatusCode::METHOD_NOT_ALLOWED.into_response();
        }
        let last_segment = uri.path().rsplit('/').next().unwrap_or("");
        if last_segment.contains('.') {
            return StatusCode::NOT_FOUND.into_response();
        }
        let (status, body) = match &self.index {
            Some(index) => (StatusCode::OK, Body::from(index.clone())),
            None => (StatusCode::SERVICE_UNAVAILABLE, Body::from(NOT_BUILT)),
        };
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }
}

/// How long a browser keeps a script, stylesheet or wasm file before asking again.
const ASSET_CACHE: &str = "max-age=300";

/// Whether the request's `Accept-Encoding` takes gzip (and does not refuse it with `q=0`).
fn takes_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts
                .any(|p| p.strip_prefix("q=").is_some_and(|q| q.trim_end_matches(['0', '.']).is_empty()));
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// Every file under `dir` (following the folder's own layout), as `(url path, bytes)`.
fn read_files(dir: &Path, prefix: &str, files: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let url = format!("{prefix}/{name}");
        if path.is_dir() {
            read_files(&path, &url, files);
        } else {
            match std::fs::read(&path) {
                Ok(bytes) => files.push((url, bytes)),
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "cannot read a file of the web app")
                }
            }
        }
    }
}

/// The files as served: each with its `.gz` beside it (a `.gz` with no file of its own is
/// served as itself).
fn assets(read: Vec<(String, Vec<u8>)>) -> HashMap<String, Asset> {
    let names: std::collections::HashSet<String> = read.iter().map(|(url, _)| url.clone()).collect();
    let (gzips, plain): (Vec<_>, Vec<_>) = read
        .into_iter()
        .partition(|(url, _)| url.strip_suffix(".gz").is_some_and(|original| names.contains(original)));
    let mut gzips: HashMap<String, Vec<u8>> = gzips
        .into_iter()
        .filter_map(|(url, bytes)| Some((url.strip_suffix(".gz")?.to_string(), bytes)))
        .collect();
    plain
        .into_iter()
        .map(|(url, bytes)| {
            let content_type = mime_guess::from_path(&url).first_or_octet_stream();
            let digest = Sha256::digest(&bytes);
            let etag =
                format!("\"{}\"", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]));
            let asset = Asset {
                gzip: gzips.remove(&url).map(Into::into),
                body: bytes.into(),
                content_type: HeaderValue::from_str(content_type.as_ref())
                    .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
                etag: HeaderValue::from_str(&etag).unwrap_or_else(|_| HeaderValue::from_static("\"0\"")),
            };
            (url, asset)
        })
        .collect()
}

/// `'sha256-…'` sources for every inline `<script>` (one without `src`) in `html`.
pub fn inline_script_hashes(html: &[u8]) -> Vec<String> {
    let html = String::from_utf8_lossy(html);
    let mut hashes = Vec::new();
    let mut rest = html.as_ref();
    while let Some(start) = rest.find("<script") {
        let after_tag = &rest[start..];
        let Some(open_end) = after_tag.find('>') else { break };
        let attributes = &after_tag[..open_end];
        let body_and_more = &after_tag[open_end + 1..];
        let Some(close) = body_and_more.find("</script>") else { break };
        if !attributes.contains("src=") {
            let digest = Sha256::digest(&body_and_more.as_bytes()[..close]);
            hashes.push(format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)));
        }
        rest = &body_and_more[close..];
    }
    hashes
}

/// The policy for every response: our own origin only, the build's inline loader by hash,
/// WebAssembly allowed to compile, nothing else.
pub fn content_security_policy(script_hashes: &[String]) -> HeaderValue {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for hash in script_hashes {
        script_src.push(' ');
        script_src.push_str(hash);
    }
    let policy = format!(
        "default-src 'none'; script-src {script_src}; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = br#"<html><head><script type="module">import init from '/a.js';init();</script>
            <script src="/b.js"></script><script>
x()</script></head></html>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 2);
        let expected = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(b"import init from '/a.js';init();"));
        assert_eq!(hashes[0], format!("'sha256-{expected}'"));
    }

    #[test]
    fn the_policy_allows_wasm_but_never_eval_or_inline() {
        let csp = content_security_policy(&["'sha256-abc'".to_string()]);
        let csp = csp.to_str().unwrap_or_default();
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc';"), "{csp}");
        assert!(!csp.contains("'unsafe-eval'"), "{csp}");
        assert!(!csp.contains("'unsafe-inline'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    }
}
