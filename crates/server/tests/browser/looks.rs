//! What every journey can check about what a person sees, whatever the page: the viewport sizes
//! the journeys run at, no sideways scrolling, no serious accessibility violation (axe-core), and
//! screenshots saved for people to look at.

use std::path::PathBuf;

use fantoccini::Client;

/// A phone (the narrow layout) and a laptop (the wide one), as (width, height) of the viewport.
pub const PHONE: (u32, u32) = (390, 844);
pub const LAPTOP: (u32, u32) = (1280, 800);

/// Resizes the window so the page's viewport is `size` (the window adds its own frame, measured).
pub async fn viewport(client: &Client, (width, height): (u32, u32)) {
    client.set_window_size(width, height).await.unwrap();
    let inner = client.execute("return [window.innerWidth, window.innerHeight];", vec![]).await.unwrap();
    let (inner_w, inner_h) = (inner[0].as_u64().unwrap_or(0), inner[1].as_u64().unwrap_or(0));
    let (extra_w, extra_h) =
        (u64::from(width).saturating_sub(inner_w), u64::from(height).saturating_sub(inner_h));
    if extra_w > 0 || extra_h > 0 {
        let (w, h) = (u64::from(width) + extra_w, u64::from(height) + extra_h);
        client.set_window_size(u32::try_from(w).unwrap(), u32::try_from(h).unwrap()).await.unwrap();
    }
}

/// Fails when the page scrolls sideways: the document is wider than the viewport, or the shell's
/// own scrolling area (`.app-scroll`, between a phone's header and tab bar) is wider than itself,
/// naming the widest elements that stick out.
pub async fn assert_no_sideways_scroll(client: &Client, page: &str) {
    let found = client
        .execute(
            "const width = window.innerWidth; \
             const wide = [...document.querySelectorAll('body *')] \
               .filter(e => e.getBoundingClientRect().right > width + 0.5) \
               .slice(0, 5) \
               .map(e => `${e.tagName.toLowerCase()}${e.className ? '.' + String(e.className).split(' ').join('.') : ''} \
                          ${Math.round(e.getBoundingClientRect().right)}px`); \
             const inner = [...document.querySelectorAll('.app-scroll')] \
               .map(e => e.scrollWidth - e.clientWidth).reduce((a, b) => Math.max(a, b), 0); \
             return [document.documentElement.scrollWidth + Math.max(inner, 0), width, wide];",
            vec![],
        )
        .await
        .unwrap();
    let (scroll, width) = (found[0].as_u64().unwrap_or(0), found[1].as_u64().unwrap_or(0));
    assert!(scroll <= width, "{page}: scrollWidth {scroll} > innerWidth {width}; sticking out: {}", found[2]);
}

/// axe-core, from `~/.cache/purse-tools` (`make setup` installs it), or `PURSE_AXE`.
fn axe_source() -> String {
    let path = std::env::var_os("PURSE_AXE").map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/purse-tools/node_modules/axe-core/axe.min.js")
        },
        PathBuf::from,
    );
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error} (`make setup` installs axe-core)", path.display()))
}

/// Runs axe-core on the page as it is now and fails on any serious or critical violation (or a
/// duplicate landmark, of any impact), listing each with the elements at fault.
pub async fn assert_accessible(client: &Client, page: &str) {
    let installed = client.execute("return typeof window.axe === 'object';", vec![]).await.unwrap();
    if installed != serde_json::json!(true) {
        client.execute(&axe_source(), vec![]).await.unwrap();
    }
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document, { resultTypes: ['violations'] }) \
               .then(r => done(r.violations \
                 .filter(v => v.impact === 'serious' || v.impact === 'critical' || v.id.startsWith('landmark-no-duplicate') || v.id === 'landmark-unique') \
                 .map(v => `${v.id} (${v.impact}): ${v.help}; at ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`))) \
               .catch(e => done([`axe failed: ${e}`]));",
            vec![],
        )
        .await
        .unwrap();
    let violations: Vec<String> = serde_json::from_value(found).unwrap_or_default();
    assert!(violations.is_empty(), "{page}: axe-core found:\n{}", violations.join("\n"));
}

/// Saves a screenshot of the viewport as `target/screenshots/<name>.png` (beside the build, for
/// people to look at; `PURSE_SCREENSHOTS` overrides the folder). Returns where it went.
pub async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let folder = std::env::var_os("PURSE_SCREENSHOTS").map_or_else(
        || {
            std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"), PathBuf::from)
                .join("screenshots")
        },
        PathBuf::from,
    );
    std::fs::create_dir_all(&folder).unwrap();
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: the screenshot is not a PNG");
    let path = folder.join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    path
}
