//! `AppState`: what every handler can reach. Cheap to clone.

use std::sync::Arc;
use std::time::Instant;

use purse_ledger::Ledger;

use crate::metrics::HttpMetrics;
use crate::static_site::StaticSite;

#[derive(Clone, Debug)]
pub struct AppState {
    pub ledger: Ledger,
    pub site: Arc<StaticSite>,
    pub http_metrics: Arc<HttpMetrics>,
    pub started: Instant,
}

impl AppState {
    pub fn new(ledger: Ledger, site: StaticSite) -> AppState {
        AppState {
            ledger,
            site: Arc::new(site),
            http_metrics: Arc::new(HttpMetrics::default()),
            started: Instant::now(),
        }
    }
}
