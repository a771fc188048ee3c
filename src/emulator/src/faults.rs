//! Fault injection: throttling, service errors, slow responses and dropped connections.
//!
//! Syntax (`--faults`, `FaultConfig::from_str`, `POST /_emulator/faults`): a comma-separated list of
//! rules `KIND[=PARAM][:TRIGGER][@SCOPE]`, plus an optional `seed=N` element for the rate RNG.
//!
//! | KIND    | effect                                                             | PARAM                    |
//! |---------|--------------------------------------------------------------------|--------------------------|
//! | `429`   | 429 `TooManyRequests` with `Retry-After`                            | Retry-After seconds (1)  |
//! | `503`   | 503 `ServiceUnavailable` (ARM error body)                           | Retry-After seconds (none)|
//! | `504`   | 504 `GatewayTimeout` (the recorded body, `x-ms-failure-cause`)      | -                        |
//! | `500`   | 500 `InternalServerError`                                           | -                        |
//! | `delay` | answers normally after a delay                                      | milliseconds (2000)      |
//! | `drop`  | sends the headers and part of the body, then aborts the connection | -                        |
//!
//! TRIGGER: `0.1` (probability per request, seeded RNG), `every=N` (the Nth, 2Nth, ... request the rule
//! sees), `next=N` (the next N requests, then the rule is spent), `always` (default).
//! SCOPE: `usage` (default: the data APIs, i.e. the usage APIs and the admin directory), `auth` (metadata + token
//! endpoints), `all`.
//! The first rule that fires wins; every rule's counters advance on each request in its scope.
//! Example: `429=2:0.1,503:every=7,drop:next=2,delay=500:0.05@all,seed=7`.

use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;

use crate::rng::Rng;

/// What a fault does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum FaultKind {
    /// 429 with Retry-After (seconds).
    TooManyRequests {
        /// Retry-After seconds.
        retry_after: u64,
    },
    /// 503 ServiceUnavailable, optional Retry-After.
    ServiceUnavailable {
        /// Retry-After seconds, if any.
        retry_after: Option<u64>,
    },
    /// 504 GatewayTimeout.
    GatewayTimeout,
    /// 500 InternalServerError.
    InternalError,
    /// Answer normally after a delay.
    Delay(Duration),
    /// Headers and part of the body, then abort the connection.
    Drop,
}

/// When a fault fires.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Trigger {
    /// Every request.
    Always,
    /// With this probability.
    Rate(f64),
    /// Every Nth request.
    Every(u64),
    /// The next N requests.
    Next(u64),
}

/// Which endpoints a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Scope {
    /// The data APIs: usage and the admin directory (default).
    Usage,
    /// Metadata and token endpoints.
    Auth,
    /// Both.
    All,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultRule {
    /// Effect.
    pub kind: FaultKind,
    /// Trigger.
    pub trigger: Trigger,
    /// Scope.
    pub scope: Scope,
}

/// A set of fault rules (empty = no faults).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FaultConfig {
    /// Rules in priority order.
    pub rules: Vec<FaultRule>,
    /// Seed of the rate RNG (None = the emulator seed).
    pub seed: Option<u64>,
}

impl FromStr for FaultConfig {
    type Err = anyhow::Error;
    fn from_str(spec: &str) -> anyhow::Result<Self> {
        let mut cfg = FaultConfig::default();
        for raw in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if let Some(v) = raw.strip_prefix("seed=") {
                cfg.seed = Some(v.parse().context("fault seed")?);
                continue;
            }
            let (rest, scope) = match raw.rsplit_once('@') {
                Some((r, s)) => (
                    r,
                    match s.to_ascii_lowercase().as_str() {
                        "usage" => Scope::Usage,
                        "auth" => Scope::Auth,
                        "all" => Scope::All,
                        _ => bail!("unknown fault scope '{s}' in '{raw}' (usage, auth, all)"),
                    },
                ),
                None => (raw, Scope::Usage),
            };
            let (head, trig) = match rest.split_once(':') {
                Some((h, t)) => (h, Some(t)),
                None => (rest, None),
            };
            let (kind, param) = match head.split_once('=') {
                Some((k, p)) => (k, Some(p)),
                None => (head, None),
            };
            let num = |p: Option<&str>| -> anyhow::Result<Option<u64>> {
                p.map(|v| v.parse::<u64>().with_context(|| format!("bad number '{v}' in fault '{raw}'"))).transpose()
            };
            let kind = match kind.to_ascii_lowercase().as_str() {
                "429" => FaultKind::TooManyRequests { retry_after: num(param)?.unwrap_or(1) },
                "503" => FaultKind::ServiceUnavailable { retry_after: num(param)? },
                "504" => FaultKind::GatewayTimeout,
                "500" => FaultKind::InternalError,
                "delay" | "slow" => FaultKind::Delay(Duration::from_millis(num(param)?.unwrap_or(2000))),
                "drop" => FaultKind::Drop,
                other => bail!("unknown fault kind '{other}' in '{raw}' (429, 503, 504, 500, delay, drop)"),
            };
            let trigger = match trig.map(|t| t.to_ascii_lowercase()) {
                None => Trigger::Always,
                Some(t) if t == "always" => Trigger::Always,
                Some(t) => {
                    if let Some(n) = t.strip_prefix("every=") {
                        let n: u64 = n.parse().with_context(|| format!("bad every=N in '{raw}'"))?;
                        if n == 0 {
                            bail!("every=0 in '{raw}'");
                        }
                        Trigger::Every(n)
                    } else if let Some(n) = t.strip_prefix("next=") {
                        Trigger::Next(n.parse().with_context(|| format!("bad next=N in '{raw}'"))?)
                    } else {
                        let p: f64 = t.parse().with_context(|| format!("bad trigger '{t}' in '{raw}'"))?;
                        if !(0.0..=1.0).contains(&p) {
                            bail!("probability {p} out of range in '{raw}'");
                        }
                        Trigger::Rate(p)
                    }
                }
            };
            cfg.rules.push(FaultRule { kind, trigger, scope });
        }
        Ok(cfg)
    }
}

impl std::fmt::Display for FaultConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        for r in &self.rules {
            let head = match r.kind {
                FaultKind::TooManyRequests { retry_after } => format!("429={retry_after}"),
                FaultKind::ServiceUnavailable { retry_after: Some(s) } => format!("503={s}"),
                FaultKind::ServiceUnavailable { retry_after: None } => "503".into(),
                FaultKind::GatewayTimeout => "504".into(),
                FaultKind::InternalError => "500".into(),
                FaultKind::Delay(d) => format!("delay={}", d.as_millis()),
                FaultKind::Drop => "drop".into(),
            };
            let trig = match r.trigger {
                Trigger::Always => "always".to_string(),
                Trigger::Rate(p) => p.to_string(),
                Trigger::Every(n) => format!("every={n}"),
                Trigger::Next(n) => format!("next={n}"),
            };
            let scope = match r.scope {
                Scope::Usage => "",
                Scope::Auth => "@auth",
                Scope::All => "@all",
            };
            parts.push(format!("{head}:{trig}{scope}"));
        }
        if let Some(s) = self.seed {
            parts.push(format!("seed={s}"));
        }
        f.write_str(&parts.join(","))
    }
}

#[derive(Debug)]
struct RuleState {
    rule: FaultRule,
    seen: u64,
    remaining: u64,
}

/// Runtime state: rules with their counters and the seeded RNG.
#[derive(Debug)]
pub(crate) struct FaultEngine {
    config: FaultConfig,
    rules: Vec<RuleState>,
    rng: Rng,
    /// Requests evaluated per scope (usage, auth).
    pub(crate) usage_requests: u64,
    pub(crate) auth_requests: u64,
    /// Faults injected so far.
    pub(crate) fired: u64,
}

impl FaultEngine {
    pub(crate) fn new(config: FaultConfig, default_seed: u64) -> Self {
        let rng = Rng::new(config.seed.unwrap_or(default_seed) ^ 0xFA_017);
        let rules = config
            .rules
            .iter()
            .map(|r| RuleState {
                rule: r.clone(),
                seen: 0,
                remaining: if let Trigger::Next(n) = r.trigger { n } else { 0 },
            })
            .collect();
        FaultEngine { config, rules, rng, usage_requests: 0, auth_requests: 0, fired: 0 }
    }

    pub(crate) fn config(&self) -> &FaultConfig {
        &self.config
    }

    /// Decide the fault (if any) for one request of the given scope (Usage or Auth).
    pub(crate) fn decide(&mut self, scope: Scope) -> Option<FaultKind> {
        match scope {
            Scope::Auth => self.auth_requests += 1,
            _ => self.usage_requests += 1,
        }
        let mut chosen = None;
        for st in &mut self.rules {
            if !(st.rule.scope == Scope::All || st.rule.scope == scope) {
                continue;
            }
            st.seen += 1;
            let fires = match st.rule.trigger {
                Trigger::Always => true,
                Trigger::Rate(p) => self.rng.f64() < p,
                Trigger::Every(n) => st.seen % n == 0,
                Trigger::Next(_) => {
                    if chosen.is_none() && st.remaining > 0 {
                        st.remaining -= 1;
                        true
                    } else {
                        false
                    }
                }
            };
            if fires && chosen.is_none() {
                chosen = Some(st.rule.kind);
            }
        }
        if chosen.is_some() {
            self.fired += 1;
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_round_trips() {
        let c: FaultConfig = "429=2:0.1,503:every=7,drop:next=2,delay=500:0.05@all,504,seed=7".parse().unwrap();
        assert_eq!(c.rules.len(), 5);
        assert_eq!(c.rules[0].kind, FaultKind::TooManyRequests { retry_after: 2 });
        assert_eq!(c.rules[1].trigger, Trigger::Every(7));
        assert_eq!(c.rules[2].trigger, Trigger::Next(2));
        assert_eq!(c.rules[3].scope, Scope::All);
        assert_eq!(c.rules[4].trigger, Trigger::Always);
        assert_eq!(c.seed, Some(7));
        let again: FaultConfig = c.to_string().parse().unwrap();
        assert_eq!(again, c);
        assert!("bogus".parse::<FaultConfig>().is_err());
        assert!("429:2.5".parse::<FaultConfig>().is_err());
        assert!("503:every=0".parse::<FaultConfig>().is_err());
    }

    #[test]
    fn schedules_fire_exactly() {
        let mut e = FaultEngine::new("503:every=3,drop:next=2".parse().unwrap(), 1);
        let got: Vec<_> = (0..7).map(|_| e.decide(Scope::Usage)).collect();
        assert_eq!(got[0], Some(FaultKind::Drop));
        assert_eq!(got[1], Some(FaultKind::Drop));
        assert_eq!(got[2], Some(FaultKind::ServiceUnavailable { retry_after: None }));
        assert_eq!(got[3], None);
        assert_eq!(got[5], Some(FaultKind::ServiceUnavailable { retry_after: None }));
        assert_eq!(got[6], None);
        // Auth requests are not affected by usage-scoped rules.
        assert_eq!(e.decide(Scope::Auth), None);
    }

    #[test]
    fn rate_is_seeded() {
        let run = |seed| {
            let mut e = FaultEngine::new("429:0.3".parse().unwrap(), seed);
            (0..200).map(|_| e.decide(Scope::Usage).is_some()).collect::<Vec<_>>()
        };
        assert_eq!(run(5), run(5));
        let n = run(5).iter().filter(|x| **x).count();
        assert!((30..=90).contains(&n), "{n}");
    }
}
