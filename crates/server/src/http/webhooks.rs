//! Webhook endpoints and deliveries, for a merchant's own session: `POST` and `GET
//! /merchant/webhook-endpoints`, `DELETE /merchant/webhook-endpoints/{id}` (Purse's addition),
//! `GET /merchant/webhook-deliveries`. A URL is checked here, by the parser the delivery uses.

use std::net::IpAddr;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use purse_api::checkout::{URL_MAX_BYTES, WEBHOOK_EVENTS};
use purse_api::{
    CreatedWebhookEndpoint, ErrorCode, NewWebhookEndpoint, WebhookDeliveryList, WebhookEndpointList,
};

use crate::flows::merchants::require_merchant;
use crate::flows::webhooks::{self, allowed};
use crate::http::error::ApiError;
use crate::http::json::ApiJson;
use crate::http::session::CurrentUser;
use crate::http::state::AppState;

/// `POST /merchant/webhook-endpoints`: a new endpoint and its signing secret, shown this once.
pub async fn create_endpoint(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewWebhookEndpoint>,
) -> Result<(StatusCode, Json<CreatedWebhookEndpoint>), ApiError> {
    let merchant = require_merchant(&user.row)?;
    check_endpoint_url(&body.url, state.settings.demo)
        .map_err(|why| ApiError::new(ErrorCode::InvalidUrl, why).with_field("url"))?;
    webhooks::check_host_resolves(&state, &body.url).await.map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidUrl,
            "A webhook URL may not point at a loopback, private or link-local address.",
        )
        .with_field("url")
    })?;
    let events =
        stored_events(&body.events).map_err(|why| ApiError::invalid_request(why).with_field("events"))?;
    Ok((StatusCode::CREATED, Json(webhooks::create_endpoint(&state, merchant, &body.url, &events).await?)))
}

/// `GET /merchant/webhook-endpoints`: the merchant's endpoints (Purse's addition to API.md).
pub async fn list_endpoints(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<WebhookEndpointList>, ApiError> {
    let merchant = require_merchant(&user.row)?;
    Ok(Json(WebhookEndpointList { items: webhooks::endpoints(&state, merchant).await? }))
}

/// `DELETE /merchant/webhook-endpoints/{id}`: no more deliveries to it (Purse's addition);
/// another merchant's endpoint is `404`.
pub async fn remove_endpoint(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    // Someone who is no merchant names another party's object: `404`, as API.md asks for ids.
    let merchant = require_merchant(&user.row).map_err(|_| ApiError::not_found())?;
    let id = state.ids.decode("we", &id).ok_or_else(ApiError::not_found)?;
    webhooks::remove_endpoint(&state, merchant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /merchant/webhook-deliveries`: the merchant's recent deliveries, newest first.
pub async fn deliveries(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<WebhookDeliveryList>, ApiError> {
    let merchant = require_merchant(&user.row)?;
    Ok(Json(WebhookDeliveryList { items: webhooks::deliveries(&state, merchant).await? }))
}

/// Why a webhook URL is refused. Parsed once by the same parser the delivery uses, so the
/// host checked here is the host connected to.
pub fn check_endpoint_url(url: &str, demo: bool) -> Result<(), &'static str> {
    if url.len() > URL_MAX_BYTES || !purse_api::checkout::is_absolute_http_url(url) {
        return Err("A webhook URL must be an absolute https:// URL.");
    }
    let parsed = reqwest::Url::parse(url).map_err(|_| "A webhook URL must be an absolute https:// URL.")?;
    if !demo && parsed.scheme() != "https" {
        return Err("A webhook URL must use https://.");
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("A webhook URL may not carry a user name or password.");
    }
    let refused = "A webhook URL may not point at a loopback, private or link-local address.";
    match parsed.host() {
        None => Err("A webhook URL must name a host."),
        Some(url::Host::Ipv4(ip)) if !allowed(IpAddr::V4(ip), demo) => Err(refused),
        Some(url::Host::Ipv6(ip)) if !allowed(IpAddr::V6(ip), demo) => Err(refused),
        Some(url::Host::Domain(name)) if !demo && is_local_name(name) => {
            Err("A webhook URL may not point at this server's own network.")
        }
        Some(_) => Ok(()),
    }
}

fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// The event types of a subscription, checked, as stored (`",a,b,"`).
pub fn stored_events(events: &[String]) -> Result<String, String> {
    if events.is_empty() {
        return Err(format!("Name at least one event: {}.", WEBHOOK_EVENTS.join(", ")));
    }
    for event in events {
        if !WEBHOOK_EVENTS.contains(&event.as_str()) {
            return Err(format!("Unknown event {event:?}; the events are {}.", WEBHOOK_EVENTS.join(", ")));
        }
    }
    let mut unique: Vec<&str> = events.iter().map(String::as_str).collect();
    unique.sort_unstable();
    unique.dedup();
    Ok(format!(",{},", unique.join(",")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_must_be_https_and_public_outside_demo_mode() {
        for good in ["https://shop.example/hooks", "https://93.184.216.34/h", "https://[2606:4700::1111]/h"] {
            assert_eq!(check_endpoint_url(good, false), Ok(()), "{good}");
        }
        for bad in [
            "http://shop.example/hooks",
            "https://localhost/h",
            "https://api.localhost/h",
            "https://127.0.0.1/h",
            "https://127.0.0.1:8443/h",
            "https://10.1.2.3/h",
            "https://172.16.0.1/h",
            "https://192.168.1.1/h",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/h",
            "https://0.0.0.0/h",
            "https://[::1]/h",
            "https://[fe80::1]/h",
            "https://[fd00::1]/h",
            "https://[::ffff:127.0.0.1]/h",
            "https://[::ffff:0:a00:1]/h",
            "https://[64:ff9b:1::5db8:d822]/h",
            "https://[fec0::1]/h",
            "ftp://shop.example/",
            "/relative",
        ] {
            assert!(check_endpoint_url(bad, false).is_err(), "{bad}");
        }
        assert_eq!(check_endpoint_url("http://127.0.0.1:8080/demo/shop/webhooks", true), Ok(()));
        assert_eq!(check_endpoint_url("http://localhost:8080/demo/shop/webhooks", true), Ok(()));
        for bad_in_demo_too in [
            "not a url",
            "https://10.0.0.5/h",
            "https://169.254.169.254/latest/meta-data",
            "https://user:pass@shop.example/h",
            "https://10.0.0.5\\x.attacker.example/h",
        ] {
            assert!(check_endpoint_url(bad_in_demo_too, true).is_err(), "{bad_in_demo_too}");
        }
    }

    #[test]
    fn events_are_checked_and_stored_once_each() {
        let events = |list: &[&str]| list.iter().map(|e| (*e).to_string()).collect::<Vec<_>>();
        assert_eq!(
            stored_events(&events(&["refund.created", "checkout.session.completed", "refund.created"])),
            Ok(",checkout.session.completed,refund.created,".to_string())
        );
        assert!(stored_events(&[]).is_err());
        assert!(stored_events(&events(&["checkout.session.*"])).is_err());
        assert_eq!(crate::flows::webhooks::listed_events(",a,b,"), ["a", "b"]);
    }
}
