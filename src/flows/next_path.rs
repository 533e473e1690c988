//! Where sign-in and sign-up carry a person afterwards: back to exactly the page they were on
//! (a pay link with its amount and note, a checkout, the request page), named by a `next`
//! query parameter.
//!
//! **The rule.** `next` is followed only when it is a path on this origin: it starts with one
//! `/` and is not `//…` (another host), holds no `\` (browsers read `/\evil.example` as
//! `//evil.example`), no control characters or spaces (`/\tevil` is trimmed to `//evil` by
//! some parsers), and is not the sign-in or sign-up page itself (a loop). Anything else is
//! ignored and the person lands on their wallet: `next` is never an open redirect.
//!
//! **Host pages.** The embed's sign-in (the tip sheet, the wallet drawer) sits in someone else's
//! page, which the SPA's router knows nothing of: its `next` names what was open
//! ([`host_return`]: `purse-open=tip&purse-tip=<creator>[&purse-post=<post>]`, or
//! `purse-open=wallet`), the page is loaded again rather than routed ([`is_host_page`]), and the
//! embed opens it again at start and takes the parameters off the address
//! ([`reopen`], [`without_reopen`]).

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

/// What the embed had open when its sign-in sent the person away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reopen {
    /// The tip sheet for a creator's post.
    Tip { creator: String, post: Option<String> },
    /// The wallet drawer.
    Wallet,
}

/// The parameters a host page's return carries (every one starts with this).
const REOPEN_PREFIX: &str = "purse-";

/// The host page at `here` (its path and query) to come back to with `open` open again: any
/// earlier such parameters replaced.
pub fn host_return(here: &str, open: &Reopen) -> String {
    let (path, query) = here.split_once('?').unwrap_or((here, ""));
    let mut params: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with(REOPEN_PREFIX))
        .map(str::to_string)
        .collect();
    match open {
        Reopen::Tip { creator, post } => {
            params.push("purse-open=tip".into());
            params.push(format!("purse-tip={}", encode_component(creator)));
            if let Some(post) = post {
                params.push(format!("purse-post={}", encode_component(post)));
            }
        }
        Reopen::Wallet => params.push("purse-open=wallet".into()),
    }
    format!("{path}?{}", params.join("&"))
}

/// Whether `next` is a host page's (the embed's sign-in sent the person away): loaded again,
/// since the SPA's router would draw its own page at that path.
pub fn is_host_page(next: &str) -> bool {
    let query = next.split_once('?').map_or("", |(_, query)| query);
    query.split('&').any(|pair| pair.starts_with("purse-open="))
}

/// What to open again, from the page's query parameters as `(name, decoded value)` pairs.
pub fn reopen<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<Reopen> {
    let (mut open, mut creator, mut post) = (None, None, None);
    for (name, value) in params {
        match name {
            "purse-open" => open = Some(value),
            "purse-tip" => creator = Some(value.to_string()),
            "purse-post" => post = Some(value.to_string()),
            _ => {}
        }
    }
    match open? {
        "tip" => Some(Reopen::Tip { creator: creator?, post }),
        "wallet" => Some(Reopen::Wallet),
        _ => None,
    }
}

/// The query `search` (`?a=b&…` or empty) without the parameters [`host_return`] adds.
pub fn without_reopen(search: &str) -> String {
    let kept: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with(REOPEN_PREFIX))
        .collect();
    if kept.is_empty() { String::new() } else { format!("?{}", kept.join("&")) }
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

    #[test]
    fn a_host_page_comes_back_with_what_the_embed_had_open() {
        let tip = Reopen::Tip { creator: "lina".into(), post: Some("post 7".into()) };
        let back = host_return("/?theme=dark", &tip);
        assert_eq!(back, "/?theme=dark&purse-open=tip&purse-tip=lina&purse-post=post%207");
        assert_eq!(safe_next(&back), Some(back.as_str()), "still a path on this origin");
        assert!(is_host_page(&back));
        // The sign-up link carries it whole, and it comes back out of it unchanged.
        let href = auth_href("/signup", Some(&back));
        assert_eq!(
            href,
            "/signup?next=/%3Ftheme%3Ddark%26purse-open%3Dtip%26purse-tip%3Dlina%26purse-post%3Dpost%25207"
        );
        // An earlier return's parameters are replaced, not repeated.
        let again = host_return(&back, &Reopen::Wallet);
        assert_eq!(again, "/?theme=dark&purse-open=wallet");
        assert_eq!(
            host_return("/", &Reopen::Tip { creator: "omar".into(), post: None }),
            "/?purse-open=tip&purse-tip=omar"
        );
        // The SPA's own pages are routed, as before.
        assert!(!is_host_page("/pay/alice?amount=7.25"));
        assert!(!is_host_page("/wallet"));
        assert!(!is_host_page("/u/purse-open=tip"), "only a query parameter counts");
    }

    #[test]
    fn the_embed_reopens_only_what_the_parameters_name() {
        let tip =
            |post: Option<&str>| Some(Reopen::Tip { creator: "lina".into(), post: post.map(str::to_string) });
        assert_eq!(
            reopen([("purse-open", "tip"), ("purse-tip", "lina"), ("purse-post", "42")]),
            tip(Some("42"))
        );
        assert_eq!(reopen([("purse-tip", "lina"), ("purse-open", "tip")]), tip(None));
        assert_eq!(reopen([("purse-open", "wallet")]), Some(Reopen::Wallet));
        assert_eq!(reopen([("purse-open", "tip")]), None, "a tip names its creator");
        assert_eq!(reopen([("purse-tip", "lina")]), None, "nothing to open without purse-open");
        assert_eq!(reopen([("purse-open", "admin")]), None);
        assert_eq!(reopen([("theme", "dark")]), None);
        assert_eq!(without_reopen("?theme=dark&purse-open=tip&purse-tip=lina&purse-post=42"), "?theme=dark");
        assert_eq!(without_reopen("?purse-open=wallet"), "");
        assert_eq!(without_reopen(""), "");
    }

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
