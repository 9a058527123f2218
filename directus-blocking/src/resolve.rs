//! Name resolution without a thread per request.
//!
//! ureq resolves the host of **every** request, pooled connection or not, and its default
//! resolver, once a connect timeout is set (this client always sets one), does it on a fresh
//! thread so that it can give up when the timeout passes. Measured on a 100-row read against a
//! local server, that thread alone made a request cost 1.67× the client CPU of a plain agent.
//!
//! [`Resolver`] keeps the timeout meaningful where a lookup can hang and spends nothing where
//! it cannot:
//! - an IP literal (`127.0.0.1`, `[::1]`) and `localhost` (RFC 6761: always the loopback
//!   addresses) are answered inline, nothing to look up;
//! - any other name is looked up by ureq's default resolver (on its thread, within the connect
//!   timeout) and its addresses are kept for [`TTL`], the default positive cache of the JVM and
//!   of systemd-resolved's lower bound, so a client talking to one host looks it up twice a
//!   minute at most instead of once per request. A failed lookup is not kept.
//!
//! A caller who passes their own agent ([`crate::Builder::agent`]) keeps its resolver.
//!
//! ureq's `Resolver` trait lives in its `unversioned` module, which may change in a minor ureq
//! release: a ureq upgrade must build this module (the compiler says so if it does not).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use http::Uri;
use ureq::config::{Config, IpFamily};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver as Resolve};
use ureq::unversioned::transport::NextTimeout;

/// How long the addresses of a name are kept.
pub(crate) const TTL: Duration = Duration::from_secs(30);

/// At most this many names are kept (a client talks to one host; the bound is for a caller
/// who points one agent at many).
const MAX_NAMES: usize = 8;

/// The agent's resolver: see the module docs.
#[derive(Debug, Default)]
pub(crate) struct Resolver {
    names: Mutex<Vec<Kept>>,
    lookup: DefaultResolver,
}

/// The addresses of one name as looked up at `at`.
#[derive(Debug)]
struct Kept {
    host: String,
    port: u16,
    family: IpFamily,
    addrs: ResolvedSocketAddrs,
    at: Instant,
}

impl Resolve for Resolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let Some((host, port)) = host_and_port(uri) else {
            // No host, or a scheme without a known port: ureq's own answer (its error).
            return self.lookup.resolve(uri, config, timeout);
        };
        let family = config.ip_family();
        if let Some(ips) = literal(host) {
            let mut addrs = self.empty();
            for ip in ips.into_iter().flatten() {
                let addr = SocketAddr::new(ip, port);
                if family.keep_wanted(std::iter::once(addr)).next().is_some() {
                    addrs.push(addr);
                }
            }
            return if addrs.is_empty() {
                Err(ureq::Error::HostNotFound)
            } else {
                Ok(addrs)
            };
        }
        let now = Instant::now();
        if let Some(addrs) = self.kept(host, port, family, now) {
            return Ok(addrs);
        }
        let addrs = self.lookup.resolve(uri, config, timeout)?;
        self.keep(host, port, family, &addrs, now);
        Ok(addrs)
    }
}

impl Resolver {
    fn kept(
        &self,
        host: &str,
        port: u16,
        family: IpFamily,
        now: Instant,
    ) -> Option<ResolvedSocketAddrs> {
        let names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        let kept = names
            .iter()
            .find(|k| k.port == port && k.family == family && k.host == host)?;
        let fresh = now
            .checked_duration_since(kept.at)
            .is_some_and(|age| age < TTL);
        fresh.then(|| copy(&kept.addrs, self.empty()))
    }

    fn keep(
        &self,
        host: &str,
        port: u16,
        family: IpFamily,
        addrs: &ResolvedSocketAddrs,
        now: Instant,
    ) {
        let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        names.retain(|k| !(k.port == port && k.family == family && k.host == host));
        if names.len() >= MAX_NAMES {
            // The oldest goes.
            names.remove(0);
        }
        names.push(Kept {
            host: host.to_owned(),
            port,
            family,
            addrs: copy(addrs, self.empty()),
            at: now,
        });
    }
}

fn copy(from: &ResolvedSocketAddrs, mut to: ResolvedSocketAddrs) -> ResolvedSocketAddrs {
    for addr in from.iter() {
        to.push(*addr);
    }
    to
}

/// The host (IPv6 brackets removed) and port of `uri`; `None` without a host or a known port.
fn host_and_port(uri: &Uri) -> Option<(&str, u16)> {
    let authority = uri.authority()?;
    let port = match authority.port_u16() {
        Some(port) => port,
        None => match uri.scheme_str()? {
            "http" | "ws" => 80,
            "https" | "wss" => 443,
            _ => return None,
        },
    };
    let host = authority.host();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Some((host, port))
}

/// The addresses of a host that needs no lookup: an IP literal, or `localhost` (IPv4 first).
fn literal(host: &str) -> Option<[Option<IpAddr>; 2]> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some([Some(ip), None]);
    }
    host.eq_ignore_ascii_case("localhost").then_some([
        Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        Some(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(resolver: &Resolver, uri: &str) -> Result<Vec<SocketAddr>, ureq::Error> {
        let uri: Uri = uri.parse().unwrap();
        let config = Config::default();
        let timeout = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::from_secs(5),
            reason: ureq::Timeout::Connect,
            per_read: None,
            per_write: None,
        };
        resolver
            .resolve(&uri, &config, timeout)
            .map(|a| a.iter().copied().collect())
    }

    #[test]
    fn ip_literals_and_localhost_need_no_lookup() {
        let r = Resolver::default();
        assert_eq!(
            resolve(&r, "http://127.0.0.1:8055/items").unwrap(),
            ["127.0.0.1:8055".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            resolve(&r, "https://[::1]/").unwrap(),
            ["[::1]:443".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            resolve(&r, "http://LocalHost/").unwrap(),
            [
                "127.0.0.1:80".parse::<SocketAddr>().unwrap(),
                "[::1]:80".parse().unwrap()
            ]
        );
        // Nothing was looked up, so nothing was kept.
        assert!(r.names.lock().unwrap().is_empty());
    }

    #[test]
    fn a_name_is_looked_up_once_and_kept() {
        let r = Resolver::default();
        // A made-up name kept by hand: answered from the cache, never looked up.
        let mut addrs = r.empty();
        addrs.push("10.1.2.3:8055".parse().unwrap());
        r.keep("cms.invalid", 8055, IpFamily::Any, &addrs, Instant::now());
        assert_eq!(
            resolve(&r, "http://cms.invalid:8055/").unwrap(),
            ["10.1.2.3:8055".parse::<SocketAddr>().unwrap()]
        );
        // Another port is another entry: looked up, and `.invalid` never resolves.
        assert!(resolve(&r, "http://cms.invalid:9000/").is_err());
    }

    #[test]
    fn kept_addresses_expire_and_the_cache_is_bounded() {
        let r = Resolver::default();
        let mut addrs = r.empty();
        addrs.push("10.1.2.3:80".parse().unwrap());
        let long_ago = Instant::now().checked_sub(TTL * 2);
        if let Some(at) = long_ago {
            r.keep("old.invalid", 80, IpFamily::Any, &addrs, at);
            assert!(
                r.kept("old.invalid", 80, IpFamily::Any, Instant::now())
                    .is_none()
            );
        }
        for i in 0..MAX_NAMES * 3 {
            r.keep(
                &format!("h{i}.invalid"),
                80,
                IpFamily::Any,
                &addrs,
                Instant::now(),
            );
        }
        assert_eq!(r.names.lock().unwrap().len(), MAX_NAMES);
        let last = format!("h{}.invalid", MAX_NAMES * 3 - 1);
        assert!(r.kept(&last, 80, IpFamily::Any, Instant::now()).is_some());
        assert!(
            r.kept("h0.invalid", 80, IpFamily::Any, Instant::now())
                .is_none()
        );
    }
}
