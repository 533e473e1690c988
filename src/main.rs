//! The browser entry point: mounts [`purse_web::App`] on the page body.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(purse_web::App);
}
