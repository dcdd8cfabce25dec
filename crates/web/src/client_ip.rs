//! The client's IP address: the TCP peer, unless the peer is a trusted proxy, in which case the
//! right-most `X-Forwarded-For` entry that is not itself a trusted proxy. `X-Forwarded-For`
//! from anyone else is ignored, so a client cannot choose the address it is throttled under.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, request::Parts},
};

use crate::AppState;

const FORWARDED_FOR: &str = "x-forwarded-for";

/// The client IP of a request; `None` when the server was not given peer addresses
/// (`into_make_service_with_connect_info::<SocketAddr>()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip());
        Ok(Self(peer.map(|peer| {
            resolve(peer, &parts.headers, &state.site.trusted_proxies)
        })))
    }
}

/// The client address for a connection from `peer` carrying `headers`.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted =
        |address: &IpAddr| trusted.iter().any(|proxy| proxy.to_canonical() == *address);
    if !is_trusted(&peer) {
        return peer;
    }
    // Several headers count as one list, in order (RFC 9110 §5.3).
    let entries: Vec<&str> = headers
        .get_all(FORWARDED_FOR)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut nearest = peer;
    for entry in entries.iter().rev() {
        // An entry a trusted proxy wrote that is not an address: trust stops here.
        let Some(address) = parse_entry(entry) else {
            return nearest;
        };
        if !is_trusted(&address) {
            return address;
        }
        nearest = address;
    }
    nearest
}

/// An `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:80`, `[::1]:80`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|socket| socket.ip()))
        .ok()
        .map(|address| address.to_canonical())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(FORWARDED_FOR, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn forwarded_for_from_an_untrusted_peer_is_ignored() {
        let trusted = [ip("10.0.0.1")];
        let forged = headers(&["203.0.113.9"]);
        assert_eq!(
            resolve(ip("198.51.100.7"), &forged, &trusted),
            ip("198.51.100.7")
        );
        assert_eq!(
            resolve(ip("198.51.100.7"), &forged, &[]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_as_the_rightmost_untrusted_entry() {
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        // The client prepended a forged entry; the proxies appended the real hops.
        let chain = headers(&["1.1.1.1, 203.0.113.9, 10.0.0.2"]);
        assert_eq!(resolve(ip("10.0.0.1"), &chain, &trusted), ip("203.0.113.9"));
        let split = headers(&["1.1.1.1", "203.0.113.9:4711"]);
        assert_eq!(resolve(ip("10.0.0.1"), &split, &trusted), ip("203.0.113.9"));
        let v6 = headers(&["[2001:db8::5]:443"]);
        assert_eq!(resolve(ip("10.0.0.1"), &v6, &trusted), ip("2001:db8::5"));
    }

    #[test]
    fn a_trusted_peer_without_usable_entries_is_the_client() {
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        assert_eq!(
            resolve(ip("10.0.0.1"), &HeaderMap::new(), &trusted),
            ip("10.0.0.1")
        );
        let only_proxies = headers(&["10.0.0.2"]);
        assert_eq!(
            resolve(ip("10.0.0.1"), &only_proxies, &trusted),
            ip("10.0.0.2")
        );
        let garbage = headers(&["203.0.113.9, not-an-address"]);
        assert_eq!(resolve(ip("10.0.0.1"), &garbage, &trusted), ip("10.0.0.1"));
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_proxies() {
        let trusted = [ip("10.0.0.1")];
        let chain = headers(&["203.0.113.9"]);
        assert_eq!(
            resolve(ip("::ffff:10.0.0.1"), &chain, &trusted),
            ip("203.0.113.9")
        );
    }
}
