//! The accept loop: HTTP/1.1 connections served by hyper with a header-read timeout, under a
//! cap on connections overall and per client address, stopped gracefully.
//!
//! `axum::serve` cannot time out a connection that sends half a request line, or nothing, so
//! ~20,000 idle connections once used up the process's file handles and health checks failed
//! for everyone. Here every connection must finish each request's head within
//! [`Limits::header_timeout`] of starting to wait for it: on a new connection that is from the
//! accept, on a kept-alive one from the end of the previous answer, so the same bound is the
//! keep-alive idle timeout (hyper starts its header timer whenever it waits for a request head).
//! A connection beyond a cap is answered `503` if its socket takes the bytes at once, and closed.
//!
//! HTTP/1.1 only: hyper-util's automatic version detection reads the first bytes with no timeout
//! at all, and HTTP/2 has no header timeout; browsers speak HTTP/2 only over TLS, which a proxy in
//! front of Purse terminates, so nothing that reaches us needs cleartext HTTP/2.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// What one listener allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How long a connection may take to send a request's head, counted from when the server
    /// starts waiting for it (the accept, or the end of the previous answer).
    pub header_timeout: Duration,
    /// Open connections at most, from everyone.
    pub max_connections: usize,
    /// Open connections at most from one client address.
    pub max_connections_per_address: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(DEFAULT_HEADER_TIMEOUT_S),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_address: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
        }
    }
}

pub const DEFAULT_HEADER_TIMEOUT_S: u64 = 5;
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: usize = 256;

/// The answer to a connection beyond a cap, written only if the socket takes it at once.
const REFUSED: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";

/// Serves `app` on `listener` until `stop` resolves, then stops accepting, lets every open
/// connection finish its request in flight (idle ones close at once) and returns.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits, stop: impl Future<Output = ()>) {
    let mut builder = auto::Builder::new(TokioExecutor::new()).http1_only();
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
    let slots = Slots::new(limits);
    let graceful = GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(&error).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let Some(slot) = slots.take(peer.ip()) else {
            refuse(&stream, peer);
            continue;
        };
        let service = app.clone().map_request(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request.map(Body::new)
        });
        let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Closes a connection beyond a cap, telling it why if its socket takes the answer at once.
fn refuse(stream: &TcpStream, peer: SocketAddr) {
    tracing::warn!(%peer, "too many connections: refused");
    // Best effort: a refusal never waits on the client.
    drop(stream.try_write(REFUSED));
}

/// An accept that failed: a connection reset before we took it is nothing; anything else (out
/// of file handles, say) is logged and the loop pauses, so it does not spin while nothing can
/// be accepted. (axum::serve does the same.)
async fn accept_failed(error: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// The open connections, in all and per address.
#[derive(Clone, Debug)]
struct Slots {
    limits: Limits,
    open: Arc<Mutex<Open>>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// One open connection's place; given back when dropped.
#[derive(Debug)]
struct Slot {
    open: Arc<Mutex<Open>>,
    address: IpAddr,
}

impl Slots {
    fn new(limits: Limits) -> Slots {
        Slots { limits, open: Arc::default() }
    }

    /// A place for a connection from `address` (an IPv6 one counted by its /64, which one host
    /// can pick addresses from), unless a cap is reached.
    fn take(&self, address: IpAddr) -> Option<Slot> {
        let address = crate::flows::limits::subject_ip(address);
        let mut open = self.open.lock().ok()?;
        let from_address = open.by_address.get(&address).copied().unwrap_or(0);
        if open.total >= self.limits.max_connections
            || from_address >= self.limits.max_connections_per_address
        {
            return None;
        }
        open.total += 1;
        open.by_address.insert(address, from_address + 1);
        Some(Slot { open: self.open.clone(), address })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Ok(mut open) = self.open.lock() else { return };
        open.total = open.total.saturating_sub(1);
        if let Some(count) = open.by_address.get_mut(&self.address) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.by_address.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_cap_connections_overall_and_per_address_and_come_back_when_dropped() {
        let limits = Limits { max_connections: 3, max_connections_per_address: 2, ..Limits::default() };
        let slots = Slots::new(limits);
        let a: IpAddr = [192, 0, 2, 1].into();
        let b: IpAddr = [192, 0, 2, 2].into();
        let first = slots.take(a);
        let second = slots.take(a);
        assert!(first.is_some() && second.is_some());
        assert!(slots.take(a).is_none(), "a third from one address is refused");
        let third = slots.take(b);
        assert!(third.is_some());
        assert!(slots.take(b).is_none(), "the overall cap is reached");
        drop(first);
        assert!(slots.take(a).is_some(), "a closed connection gives its place back");
        drop((second, third));
    }

    #[test]
    fn an_ipv6_host_counts_by_its_64_whichever_address_it_picks() {
        let limits = Limits { max_connections: 10, max_connections_per_address: 2, ..Limits::default() };
        let slots = Slots::new(limits);
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let other_in_64: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:fffe".parse().unwrap();
        let next_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        let held = (slots.take(one), slots.take(other_in_64));
        assert!(held.0.is_some() && held.1.is_some());
        assert!(slots.take("2001:db8:1:2::9".parse().unwrap()).is_none(), "one /64, one share");
        assert!(slots.take(next_64).is_some());
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        let plain: IpAddr = [192, 0, 2, 1].into();
        let v4 = (slots.take(mapped), slots.take(plain));
        assert!(v4.0.is_some() && v4.1.is_some());
        assert!(slots.take(plain).is_none(), "an IPv4 address written as IPv6 is the same client");
    }
}
