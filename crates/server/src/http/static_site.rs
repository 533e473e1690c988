//! The built SPA: files from the static folder, `index.html` for client-side routes, and the
//! Content-Security-Policy that lets exactly this build run.
//!
//! The CSP allows scripts from our own origin plus the inline loader Trunk writes into
//! `index.html`, by its SHA-256 (read from the file at start-up), and WebAssembly compilation
//! (`'wasm-unsafe-eval'`), never `'unsafe-eval'` or `'unsafe-inline'`. If the folder has not
//! been built, the API still runs and pages answer with a short explanation.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
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
        StaticSite {
            dir: dir.to_path_buf(),
            index: index.map(Into::into),
            csp: content_security_policy(&hashes),
        }
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
