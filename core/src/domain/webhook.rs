//! Webhooks: a URL that receives the change feed's events, and the deliveries waiting for it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, Utc};
use strum::VariantNames;
use uuid::Uuid;

use super::{Error, Violations, history::ChangeKind, shown};

/// The longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub description: Option<String>,
    /// The kinds it receives; empty: every kind.
    pub kinds: Vec<ChangeKind>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// Failed attempts in a row.
    pub failures: i32,
    /// The feed position of the last event it took.
    pub feed_position: i64,
    /// Deliveries not yet acknowledged.
    pub pending: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Whether a webhook registered for `kinds` receives events of `kind`: an empty list takes every
/// kind.
pub fn receives(kinds: &[ChangeKind], kind: ChangeKind) -> bool {
    kinds.is_empty() || kinds.contains(&kind)
}

/// A webhook as an admin registers it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookInput {
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
}

/// A registration checked: every field valid.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidWebhook {
    pub url: url::Url,
    pub kinds: Vec<ChangeKind>,
    pub description: Option<String>,
}

impl WebhookInput {
    /// Checks every field, reporting each bad one; `allowed` decides whether a URL naming an
    /// address on a private network is accepted.
    pub fn validate(self, allowed: &AllowedHosts) -> Result<ValidWebhook, Error> {
        let mut v = Violations::default();
        let url = v.check("url", check_url(&self.url, allowed));
        let mut kinds = Vec::new();
        if self.events.len() > ChangeKind::VARIANTS.len() {
            v.push("events", format!("at most {} kinds", ChangeKind::VARIANTS.len()));
        }
        for event in &self.events {
            match event.parse::<ChangeKind>() {
                Ok(kind) if !kinds.contains(&kind) => kinds.push(kind),
                Ok(_) => {}
                Err(_) => v.push(
                    "events",
                    format!("{} is not an event kind; one of {}", shown(event), ChangeKind::VARIANTS.join(", ")),
                ),
            }
        }
        let description = v
            .check(
                "description",
                super::source::optional(self.description, MAX_DESCRIPTION_CHARS)
                    .and_then(|d| d.map(|d| super::visible_text(&d).map(|_| d.clone())).transpose()),
            )
            .flatten();
        v.into_result()?;
        let url = url.ok_or_else(|| Error::Internal("checked but absent".into()))?;
        Ok(ValidWebhook { url, kinds, description })
    }
}

/// An absolute http(s) URL (as a source's homepage) without credentials, whose host, when it
/// is an address, may be reached. A name is checked when it is resolved, at every delivery.
fn check_url(raw: &str, allowed: &AllowedHosts) -> Result<url::Url, String> {
    let url = url::Url::parse(&super::source::web_url(raw)?).map_err(|e| e.to_string())?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not hold credentials: receivers check the signature instead".to_owned());
    }
    allowed.check_host(&url.host().ok_or("must name a host")?)?;
    Ok(url)
}

/// Which hosts a webhook may reach besides the public internet: `CLAIMDESK_WEBHOOK_ALLOWED_HOSTS`,
/// comma-separated host names, addresses and networks (`127.0.0.1`, `hooks.internal`,
/// `10.0.0.0/8`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AllowedHosts {
    names: Vec<String>,
    networks: Vec<ipnet::IpNet>,
}

impl AllowedHosts {
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut allowed = AllowedHosts::default();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if let Ok(net) = entry.parse::<ipnet::IpNet>() {
                allowed.networks.push(net);
            } else if let Ok(ip) = entry.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
                allowed.networks.push(ipnet::IpNet::from(ip));
            } else if url::Host::parse(entry).is_ok() {
                allowed.names.push(entry.to_ascii_lowercase().trim_end_matches('.').to_owned());
            } else {
                return Err(format!("{} is neither a host name, an address nor a network", shown(entry)));
            }
        }
        Ok(allowed)
    }

    /// Whether the host, as named in a URL, is listed by name.
    pub fn names(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let host = host.trim_end_matches('.');
        self.names.iter().any(|n| n == host)
    }

    /// Whether a webhook may connect to `ip`, whose URL names `host`: a public address always;
    /// another one when the host's name or the address is listed.
    pub fn check_address(&self, host: &str, ip: IpAddr) -> Result<(), String> {
        let ip = canonical(ip);
        if is_public(ip) || self.names(host) || self.networks.iter().any(|n| n.contains(&ip)) {
            Ok(())
        } else {
            Err(format!(
                "{ip} is a private, loopback, link-local or reserved address; list it in \
                 CLAIMDESK_WEBHOOK_ALLOWED_HOSTS to allow it"
            ))
        }
    }

    /// A URL's host: an address is checked now; a name is checked when resolved, except
    /// `localhost` (and its subdomains), which is loopback whatever a resolver says.
    pub fn check_host(&self, host: &url::Host<&str>) -> Result<(), String> {
        match host {
            url::Host::Ipv4(ip) => self.check_address(&ip.to_string(), IpAddr::V4(*ip)),
            url::Host::Ipv6(ip) => self.check_address(&ip.to_string(), IpAddr::V6(*ip)),
            url::Host::Domain(name) => {
                let lower = name.to_ascii_lowercase();
                let lower = lower.trim_end_matches('.');
                if (lower == "localhost" || lower.ends_with(".localhost")) && !self.names(lower) {
                    self.check_address(lower, IpAddr::V4(Ipv4Addr::LOCALHOST))
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// An IPv4 address carried in IPv6 (mapped, or NAT64's well-known prefix) as itself.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let s = v6.segments();
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                let [a, b] = s[6].to_be_bytes();
                let [c, d] = s[7].to_be_bytes();
                return IpAddr::V4(Ipv4Addr::new(a, b, c, d));
            }
            IpAddr::V6(v6)
        }
        v4 => v4,
    }
}

/// Whether an address is on the public internet: not private, loopback, link-local (where the
/// clouds' metadata services live), shared, reserved, multicast or documentation space.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => {
            let [a, b, c, _] = ip.octets();
            !(ip.is_unspecified()
                || ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_broadcast()
                || ip.is_documentation()
                || ip.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(ip) => {
            let first = ip.segments()[0];
            !(ip.is_unspecified()
                || ip.is_loopback()
                || ip.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && ip.segments()[1] == 0x0db8)
                || ip == Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0))
        }
    }
}

/// Whether a delivery is acknowledged or waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::VariantNames)]
#[strum(serialize_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Delivered,
}

/// One event on its way to one webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub feed_position: i64,
    pub claim_id: Uuid,
    pub kind: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Delivery {
    pub fn state(&self) -> DeliveryState {
        if self.delivered_at.is_some() { DeliveryState::Delivered } else { DeliveryState::Pending }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(list: &str) -> AllowedHosts {
        AllowedHosts::parse(list).expect("a valid list")
    }

    #[test]
    fn private_and_metadata_addresses_are_refused_unless_listed() {
        let none = allowed("");
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            let ip: IpAddr = ip.parse().expect("an address");
            assert!(none.check_address("example.org", ip).is_err(), "{ip} allowed");
        }
        for ip in ["93.184.215.14", "2606:4700::1111", "8.8.8.8"] {
            let ip: IpAddr = ip.parse().expect("an address");
            assert!(none.check_address("example.org", ip).is_ok(), "{ip} refused");
        }
        let listed = allowed("127.0.0.1, 10.0.0.0/8, hooks.internal");
        assert!(listed.check_address("x", "127.0.0.1".parse().expect("ip")).is_ok());
        assert!(listed.check_address("x", "127.0.0.2".parse().expect("ip")).is_err());
        assert!(listed.check_address("x", "10.9.8.7".parse().expect("ip")).is_ok());
        assert!(listed.check_address("Hooks.Internal.", "192.168.1.1".parse().expect("ip")).is_ok());
        assert!(listed.check_address("x", "169.254.169.254".parse().expect("ip")).is_err());
        assert!(AllowedHosts::parse("not a host!").is_err());
    }

    #[test]
    fn a_registration_reports_every_bad_field() {
        let input = WebhookInput {
            url: "ftp://user:pw@example.org/".into(),
            events: vec!["created".into(), "exploded".into()],
            description: Some("\u{7}".into()),
        };
        let Err(Error::Validation(errors)) = input.validate(&allowed("")) else { panic!("accepted") };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["url", "events", "description"]);
        for url in
            ["http://169.254.169.254/latest", "http://localhost:8080/", "http://[::1]/", "http://user@example.org/"]
        {
            let input = WebhookInput { url: url.into(), ..Default::default() };
            assert!(input.validate(&allowed("")).is_err(), "{url} accepted");
        }
        let ok = WebhookInput {
            url: "https://hooks.example.org/claimdesk".into(),
            events: vec!["created".into(), "status_changed".into(), "created".into()],
            description: None,
        };
        let valid = ok.validate(&allowed("")).expect("valid");
        assert_eq!(valid.kinds, [ChangeKind::Created, ChangeKind::StatusChanged]);
        let local = WebhookInput { url: "http://127.0.0.1:9/hook".into(), ..Default::default() };
        assert!(local.validate(&allowed("127.0.0.1")).is_ok());
    }
}
