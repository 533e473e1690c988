//! `make bench` (first paint): how soon a person sees something when they open `/wallet`, read
//! from headless Chromium's own paint timing (`performance.getEntriesByType('paint')`): the first
//! contentful paint, and, for comparison, when the full wallet's WebAssembly finished arriving
//! (its resource timing `responseEnd`). Each run is a fresh browser session (an empty cache), so
//! every run downloads the page, the scripts and the wasm as a first visit does. Two settings:
//! as served over loopback, and with the wasm held back a second by the server (about what a
//! megabyte takes on a slow phone connection; the page and stylesheets are not held). Prints
//! `bench: first-paint wasm_delay_ms=<d> runs=<n> fcp_ms_median=<m> fcp_ms_min=<a> fcp_ms_max=<b> …`
//! per setting and one line per run; never asserts on time (the figures depend on the machine).
//!
//! Serves the release build in `dist/` (`make bench` makes it), or the folder named by
//! `PURSE_PAINT_DIST` (to compare two builds back to back); `PURSE_PAINT_RUNS` sets the number of
//! runs (default 9). Needs Chromium and ChromeDriver (`make setup`; `CHROMIUM`, `CHROMEDRIVER`
//! override the paths).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::float_arithmetic
)]

mod site;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::middleware::Next;
use fantoccini::{Client, ClientBuilder};
use purse_server::app;

/// One page load's figures, in milliseconds since navigation started.
struct Run {
    first_contentful_paint: f64,
    wasm_arrived: f64,
}

fn median(sorted: &[f64]) -> f64 {
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 { sorted[middle] } else { f64::midpoint(sorted[middle - 1], sorted[middle]) }
}

async fn session(port: u16) -> Client {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--window-size=390,844"]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a browser session")
}

/// Opens `/wallet` in a fresh session and reads the paint and resource timings once both exist.
async fn measure(port: u16, base: &str) -> Run {
    let client = session(port).await;
    client.goto(&format!("{base}/wallet")).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let figures = loop {
        let read = client
            .execute(
                "const fcp = performance.getEntriesByType('paint') \
                   .find(e => e.name === 'first-contentful-paint'); \
                 const wasm = performance.getEntriesByType('resource') \
                   .find(e => e.name.endsWith('/purse-web_bg.wasm')); \
                 return fcp && wasm && wasm.responseEnd > 0 ? [fcp.startTime, wasm.responseEnd] : null;",
                vec![],
            )
            .await
            .unwrap();
        if let Some(pair) = read.as_array() {
            break (pair[0].as_f64().unwrap_or(f64::NAN), pair[1].as_f64().unwrap_or(f64::NAN));
        }
        assert!(Instant::now() < deadline, "no first contentful paint within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    client.close().await.unwrap();
    Run { first_contentful_paint: figures.0, wasm_arrived: figures.1 }
}

fn main() {
    let dist = std::env::var_os("PURSE_PAINT_DIST")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../dist"), PathBuf::from);
    assert!(
        dist.join("purse-web_bg.wasm").exists(),
        "{} has no web build: run `make web-release` (make bench does)",
        dist.display()
    );
    let runs: usize = std::env::var("PURSE_PAINT_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(9);
    let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut driver = Command::new(&chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {chromedriver} ({e}): `make setup` installs it"));
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (state, ledger, _dir) = site::serving(&dist).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let wasm_delay = Arc::new(AtomicU64::new(0));
        let delay = wasm_delay.clone();
        let served = app(state).layer(axum::middleware::from_fn(move |request: Request, next: Next| {
            let delay = delay.load(Ordering::Relaxed);
            async move {
                if delay > 0 && request.uri().path() == "/purse-web_bg.wasm" {
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                }
                next.run(request).await
            }
        }));
        tokio::spawn(async move {
            axum::serve(listener, served.into_make_service_with_connect_info::<SocketAddr>()).await
        });
        let base = format!("http://{addr}");

        // One load first, not counted: the first Chromium start of a session reads its own files.
        measure(port, &base).await;
        for delay in [0, 1000] {
            wasm_delay.store(delay, Ordering::Relaxed);
            let mut measured = Vec::new();
            for _ in 0..runs {
                measured.push(measure(port, &base).await);
            }
            let mut fcp: Vec<f64> = measured.iter().map(|r| r.first_contentful_paint).collect();
            let mut wasm: Vec<f64> = measured.iter().map(|r| r.wasm_arrived).collect();
            fcp.sort_by(f64::total_cmp);
            wasm.sort_by(f64::total_cmp);
            println!(
                "bench: first-paint wasm_delay_ms={delay} runs={runs} fcp_ms_median={:.0} fcp_ms_min={:.0} \
                 fcp_ms_max={:.0} wasm_arrived_ms_median={:.0}",
                median(&fcp),
                fcp[0],
                fcp[fcp.len() - 1],
                median(&wasm)
            );
            for (index, run) in measured.iter().enumerate() {
                println!(
                    "    run {}: first contentful paint {:.0} ms, wasm arrived {:.0} ms",
                    index + 1,
                    run.first_contentful_paint,
                    run.wasm_arrived
                );
            }
        }
        println!("    (served from {}; every run a fresh browser session)", dist.display());
        ledger.shutdown().await;
    });
    let _ = driver.kill();
    let _ = driver.wait();
}
