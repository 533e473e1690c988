//! The browser entry point: mounts [`purse_web::App`] on the page body. (A host page runs the
//! embed instead: `src/bin/purse-embed.rs`.)

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(purse_web::App);
}
