//! The embed's entry point: Purse inside a host page (Tip buttons, the wallet drawer), started
//! by the loader `/embed.js`. Its own binary, so a host page downloads only what the embed uses,
//! not every page of the app.

fn main() {
    // Panics explained in the console while developing; release builds leave the hook out.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    purse_web::embed::start(purse_web::embed::base_url());
}
