//! What the benches of the built web app share (`embed_size`, `first_paint`): the real app on a
//! fresh SQLite file, serving the SPA built in `dist`.

use std::path::Path;
use std::sync::Arc;

use purse_ledger::{Ledger, SystemClock};
use purse_server::AppState;
use purse_server::flows::people::Passwords;
use purse_server::http::static_site::StaticSite;
use purse_server::store::Db;

/// The app's state serving `dist`, its ledger (to shut down at the end), and the folder of its
/// database (removed when dropped).
pub async fn serving(dist: &Path) -> (AppState, Ledger, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/purse.db", dir.path().display());
    let ledger = Ledger::open(&url).await.unwrap();
    let db = Db::open(&url).await.unwrap();
    let state = AppState::new(
        ledger.clone(),
        db,
        StaticSite::load(dist),
        Arc::new(SystemClock),
        Passwords::for_tests(),
    )
    .await
    .unwrap();
    (state, ledger, dir)
}
