//! Where sign-in and sign-up carry a person afterwards: back to exactly the page they were on
//! (a pay link with its amount and note, a checkout, the request page), named by a `next`
//! query parameter.
//!
//! **The rule.** `next` is followed only when it is a path on this origin: it starts with one
//! `/` and is not `//…` (another host), holds no `\` (browsers read `/\evil.example` as
//! `//evil.example`), no control characters or spaces (`/\tevil` is trimmed to `//evil` by
//! some parsers), and is not the sign-in or sign-up page itself (a loop). Anything else is
//! ignored and the person lands on their wallet: `next` is never an open redirect.

/// Where a person lands after signing in when there is no (valid) `next`.
pub const HOME: &str = "/wallet";

/// The pages that ask someone to sign in; never a destination.
const AUTH_PAGES: [&str; 2] = ["/signin", "/signup"];

/// `raw` when it is a same-origin relative path a person may be sent to, else `None`.
pub fn safe_next(raw: &str) -> Option<&str> {
    let path_only = raw.split(['?', '#']).next().unwrap_or_default();
    let acceptable = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.contains('\\')
        && !raw.chars().any(|c| c.is_control() || c.is_whitespace())
        && raw.len() <= 2048
        && !AUTH_PAGES.iter().any(|page| path_only == *page || path_only == format!("{page}/"));
    acceptable.then_some(raw)
}

/// Where to go after signing in or up, given the `next` parameter (if any).
pub fn after_sign_in(next: Option<&str>) -> &str {
    next.and_then(safe_next).unwrap_or(HOME)
}

/// The place to come back to from the page at `path` with query `search` (`?a=b` or empty):
/// the page itself, or, on the sign-in and sign-up pages, the `next` they already carry.
pub fn here(path: &str, search: &str, next_of_page: Option<&str>) -> Option<String> {
    if AUTH_PAGES.contains(&path) {
        return next_of_page.and_then(safe_next).map(str::to_string);
    }
    let here = format!("{path}{search}");
    safe_next(&here).is_some().then_some(here)
}

/// `page` (`/signin` or `/signup`) carrying `next` when there is one to carry.
pub fn auth_href(page: &str, next: Option<&str>) -> String {
    match next.and_then(safe_next) {
        Some(next) if next != HOME => format!("{page}?next={}", encode_component(next)),
        _ => page.to_string(),
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for a query value.
fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, followed: bool) {
        assert_eq!(safe_next(raw).is_some(), followed, "{raw:?}");
        assert_eq!(after_sign_in(Some(raw)), if followed { raw } else { HOME }, "{raw:?}");
    }

    #[test]
    fn only_paths_on_this_origin_are_followed() {
        check("/pay/alice?amount=7.25&note=Lunch%20%F0%9F%8D%95", true);
        check("/checkout/cs_ABC123", true);
        check("/request", true);
        check("/u/lina", true);
        check("/", true);
        // Another origin, spelled every way a browser would still follow.
        check("https://evil.example/", false);
        check("//evil.example", false);
        check("///evil.example", false);
        check("/\\evil.example", false);
        check("\\\\evil.example", false);
        check("/\tevil.example", false);
        check("/ /evil.example", false);
        check("/\n/evil.example", false);
        check("javascript:alert(1)", false);
        check("evil.example", false);
        check("", false);
        // Sign-in itself: a loop.
        check("/signin", false);
        check("/signup?next=/pay/alice", false);
        check("/signin/", false);
        check(&format!("/{}", "a".repeat(3000)), false);
    }

    #[test]
    fn no_next_lands_on_the_wallet() {
        assert_eq!(after_sign_in(None), "/wallet");
    }

    #[test]
    fn here_is_the_page_or_the_next_the_sign_in_page_carries() {
        assert_eq!(here("/pay/alice", "?amount=7.25", None).as_deref(), Some("/pay/alice?amount=7.25"));
        assert_eq!(here("/request", "", None).as_deref(), Some("/request"));
        assert_eq!(
            here("/signin", "?next=/checkout/cs_1", Some("/checkout/cs_1")).as_deref(),
            Some("/checkout/cs_1")
        );
        assert_eq!(here("/signup", "?next=//evil", Some("//evil")), None);
        assert_eq!(here("/signin", "", None), None);
    }

    #[test]
    fn auth_links_carry_next_encoded() {
        assert_eq!(
            auth_href("/signup", Some("/pay/alice?amount=7.25&note=Taxi ride")),
            "/signup",
            "a space is not a valid next: the page's own URL is percent-encoded"
        );
        assert_eq!(
            auth_href("/signup", Some("/pay/alice?amount=7.25&note=Taxi%20ride")),
            "/signup?next=/pay/alice%3Famount%3D7.25%26note%3DTaxi%2520ride"
        );
        assert_eq!(auth_href("/signin", Some("//evil.example")), "/signin");
        assert_eq!(auth_href("/signin", Some("/wallet")), "/signin");
        assert_eq!(auth_href("/signin", None), "/signin");
    }
}
