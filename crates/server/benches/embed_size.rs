//! `make bench` (embed): the bytes a host page downloads to show Purse's Tip buttons (the
//! loader, the embed's JavaScript and WebAssembly, and the stylesheets of its shadow roots), as
//! the real server sends them: once asked with `Accept-Encoding: gzip`, once without. Prints
//! `bench: embed-size bytes_gzip=<n> bytes_raw=<n>` (target: at most 200 KB gzipped) and one
//! line per file. Needs the release build of the web app in `dist/` (`make bench` makes it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

mod site;

use std::net::SocketAddr;
use std::path::PathBuf;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use purse_server::app;
use purse_server::http::static_site::EMBED_FILES;

fn main() {
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../dist");
    assert!(
        dist.join("purse-embed_bg.wasm").exists(),
        "{} has no embed build: run `make web-release` (make bench does)",
        dist.display()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (state, ledger, _dir) = site::serving(&dist).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let served = state.clone();
        tokio::spawn(async move {
            axum::serve(listener, app(served).into_make_service_with_connect_info::<SocketAddr>()).await
        });

        let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
        let (mut total_gzip, mut total_raw) = (0, 0);
        let mut lines = Vec::new();
        for file in EMBED_FILES {
            let fetch = |gzip: bool| {
                let client = client.clone();
                async move {
                    let mut request = hyper::Request::get(format!("http://{addr}/{file}"));
                    if gzip {
                        request = request.header("accept-encoding", "gzip");
                    }
                    let response = client.request(request.body(Empty::new()).unwrap()).await.unwrap();
                    assert!(response.status().is_success(), "{file}: {}", response.status());
                    let encoding = response.headers().get("content-encoding").cloned();
                    let body = response.into_body().collect().await.unwrap().to_bytes();
                    (body.len(), encoding)
                }
            };
            let (raw, _) = fetch(false).await;
            let (gzip, encoding) = fetch(true).await;
            let compressed = encoding.is_some_and(|e| e == "gzip");
            lines.push(format!(
                "    {file}: {gzip} bytes {} ({raw} raw)",
                if compressed { "gzipped" } else { "sent as is" }
            ));
            total_gzip += gzip;
            total_raw += raw;
        }
        println!("bench: embed-size bytes_gzip={total_gzip} bytes_raw={total_raw}");
        for line in lines {
            println!("{line}");
        }
        println!("    (target: at most 200 KB gzipped; 200 KB = 204,800 bytes)");
        ledger.shutdown().await;
    });
}
