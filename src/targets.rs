//! Service-level targets and the continual-improvement register, as declared in the config
//! (`[targets]`, `[targets.services.NAME]`, `[[improvements]]`), and how a measured value is
//! judged against a target: met, near (within a tenth of the target, or 2 points for a
//! percentage that must be high) or missed. Reports, `check` and `run` all judge with this.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// `[targets]` as written: every key optional; `services.NAME` overrides per service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TargetsConfig {
    /// Minimum SLA attainment, percent (every SLA).
    pub attainment_pct: Option<f64>,
    /// Maximum MTTR median, as a duration ("8h", "2h30m").
    pub mttr_median: Option<String>,
    /// Maximum MTTR p90, as a duration.
    pub mttr_p90: Option<String>,
    /// Maximum reopen rate, percent.
    pub reopen_pct: Option<f64>,
    /// Maximum open incidents and requests at the period's end.
    pub backlog: Option<u64>,
    /// Attainment over fewer counted clocks than this is shown but not judged (a minimum
    /// volume clause); default 1.
    pub min_clocks: Option<u64>,
    /// Per-service overrides.
    #[serde(default)]
    pub services: BTreeMap<String, TargetsConfig>,
}

/// Resolved targets of one scope (seconds for durations).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Targets {
    /// Minimum SLA attainment, percent.
    pub attainment_pct: Option<f64>,
    /// Maximum MTTR median, seconds.
    pub mttr_median_s: Option<f64>,
    /// Maximum MTTR p90, seconds.
    pub mttr_p90_s: Option<f64>,
    /// Maximum reopen rate, percent.
    pub reopen_pct: Option<f64>,
    /// Maximum backlog.
    pub backlog: Option<f64>,
    /// Fewest counted clocks for attainment to be judged.
    pub min_clocks: Option<u64>,
}

/// All targets: the defaults and the per-service overrides.
#[derive(Debug, Clone, Default)]
pub struct TargetSet {
    /// Defaults for every service.
    pub default: Targets,
    /// Overrides (missing keys fall back to the defaults).
    pub services: BTreeMap<String, Targets>,
}

impl TargetSet {
    /// The targets of `service` (or the defaults for other report units).
    pub fn for_unit(&self, service: &str) -> Targets {
        self.services.get(service).copied().unwrap_or(self.default)
    }

    /// Whether any target is set at all.
    pub fn is_empty(&self) -> bool {
        self.default == Targets::default() && self.services.is_empty()
    }
}

/// A duration target in seconds ("8h", "90m", "2h30m"); working days are not a wall time.
pub fn duration_s(text: &str) -> std::result::Result<f64, String> {
    match crate::sla::policy::parse_target(text)? {
        crate::sla::policy::Target::Seconds(s) => Ok(s as f64),
        _ => Err(format!(
            "`{text}` is not a wall-clock duration; write it like \"8h\", \"90m\" or \"2h30m\""
        )),
    }
}

fn resolve_one(
    c: &TargetsConfig,
    base: Targets,
    key: &str,
    cfg: &std::path::Path,
) -> Result<Targets> {
    let err = |k: &str, m: String| Error::Config {
        path: cfg.into(),
        key: format!("{key}.{k}"),
        message: m,
    };
    let dur = |k: &str, v: &Option<String>, d: Option<f64>| -> Result<Option<f64>> {
        match v {
            Some(t) => duration_s(t).map(Some).map_err(|m| err(k, m)),
            None => Ok(d),
        }
    };
    if let Some(p) = c.attainment_pct.filter(|p| !(0.0..=100.0).contains(p)) {
        return Err(err(
            "attainment-pct",
            format!("{p} is not a percentage between 0 and 100"),
        ));
    }
    Ok(Targets {
        attainment_pct: c.attainment_pct.or(base.attainment_pct),
        mttr_median_s: dur("mttr-median", &c.mttr_median, base.mttr_median_s)?,
        mttr_p90_s: dur("mttr-p90", &c.mttr_p90, base.mttr_p90_s)?,
        reopen_pct: c.reopen_pct.or(base.reopen_pct),
        backlog: c.backlog.map(|b| b as f64).or(base.backlog),
        min_clocks: c.min_clocks.or(base.min_clocks),
    })
}

/// Validate and resolve `[targets]`.
pub fn resolve(c: &TargetsConfig, cfg: &std::path::Path) -> Result<TargetSet> {
    let default = resolve_one(c, Targets::default(), "targets", cfg)?;
    let mut services = BTreeMap::new();
    for (name, s) in &c.services {
        if !s.services.is_empty() {
            return Err(Error::Config {
                path: cfg.into(),
                key: format!("targets.services.{name}.services"),
                message: "service targets cannot nest further services".into(),
            });
        }
        services.insert(
            name.clone(),
            resolve_one(s, default, &format!("targets.services.{name}"), cfg)?,
        );
    }
    Ok(TargetSet { default, services })
}

/// How a value compares with its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rag {
    /// On target.
    Met,
    /// Missed by less than a tenth of the target (2 points for attainment).
    Near,
    /// Missed.
    Missed,
    /// No target, or no value.
    None,
    /// Too few clocks to judge (below `min-clocks`).
    TooFew,
}

impl Rag {
    /// The text label shown next to the colour (colour is never the only signal).
    pub fn label(self) -> &'static str {
        match self {
            Rag::Met => "on target",
            Rag::Near => "near target",
            Rag::Missed => "missed",
            Rag::None => "no target",
            Rag::TooFew => "too few to judge",
        }
    }
}

impl Targets {
    /// Judge an attainment over `counted` clocks.
    pub fn attainment(&self, value: Option<f64>, counted: u64) -> Rag {
        if value.is_some()
            && self.attainment_pct.is_some()
            && counted < self.min_clocks.unwrap_or(1)
        {
            return Rag::TooFew;
        }
        judge(value, self.attainment_pct, true, true)
    }
}

/// Judge `value` against `target`; `higher_is_better` for attainment.
pub fn judge(value: Option<f64>, target: Option<f64>, higher_is_better: bool, pct: bool) -> Rag {
    let (Some(v), Some(t)) = (value, target) else {
        return Rag::None;
    };
    let slack = if pct { 2.0 } else { t.abs() * 0.1 };
    let gap = if higher_is_better { t - v } else { v - t };
    if gap <= 1e-9 {
        Rag::Met
    } else if gap <= slack {
        Rag::Near
    } else {
        Rag::Missed
    }
}

/// `[[improvements]]`: one continual-improvement initiative.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Improvement {
    /// What it is called, e.g. "Cut P2 MTTR on Email".
    pub name: String,
    /// The service it is about.
    pub service: String,
    /// The metric: mttr_median, mttr_p90, attainment, volume or reopen_rate.
    pub metric: String,
    /// Only tickets of this priority (1..5).
    pub priority: Option<i32>,
    /// The baseline month, YYYY-MM.
    pub baseline: String,
    /// The target: a duration ("6h") for MTTR, a number for the others.
    pub target: toml::Value,
    /// The due month, YYYY-MM.
    pub due: String,
}

/// The metrics an improvement can track, with whether higher is better.
pub const IMPROVEMENT_METRICS: &[(&str, bool)] = &[
    ("mttr_median", false),
    ("mttr_p90", false),
    ("attainment", true),
    ("volume", false),
    ("reopen_rate", false),
];

impl Improvement {
    /// The target as a number (seconds for MTTR), validated.
    pub fn target_value(&self) -> std::result::Result<f64, String> {
        let mttr = self.metric.starts_with("mttr");
        match (&self.target, mttr) {
            (toml::Value::String(s), true) => duration_s(s),
            (toml::Value::Integer(i), false) => Ok(*i as f64),
            (toml::Value::Float(f), false) => Ok(*f),
            (v, true) => Err(format!("target {v} must be a duration such as \"6h\"")),
            (v, false) => Err(format!("target {v} must be a number")),
        }
    }

    /// Whether a higher value is better for this metric.
    pub fn higher_is_better(&self) -> bool {
        IMPROVEMENT_METRICS
            .iter()
            .find(|(m, _)| *m == self.metric)
            .is_some_and(|(_, h)| *h)
    }
}

/// Validate the register.
pub fn validate_improvements(list: &[Improvement], cfg: &std::path::Path) -> Result<()> {
    for (i, imp) in list.iter().enumerate() {
        let err = |k: &str, m: String| Error::Config {
            path: cfg.into(),
            key: format!("improvements[{i}] ({}).{k}", imp.name),
            message: m,
        };
        if !IMPROVEMENT_METRICS.iter().any(|(m, _)| *m == imp.metric) {
            let names: Vec<&str> = IMPROVEMENT_METRICS.iter().map(|m| m.0).collect();
            return Err(err(
                "metric",
                format!("`{}` is not one of {}", imp.metric, names.join(", ")),
            ));
        }
        imp.target_value().map_err(|m| err("target", m))?;
        let b = crate::time::Period::parse(&imp.baseline)
            .map_err(|e| err("baseline", e.to_string()))?;
        let d = crate::time::Period::parse(&imp.due).map_err(|e| err("due", e.to_string()))?;
        if d.start < b.start {
            return Err(err(
                "due",
                format!("{} is before the baseline {}", imp.due, imp.baseline),
            ));
        }
        if imp.priority.is_some_and(|p| !(1..=5).contains(&p)) {
            return Err(err("priority", "priority must be 1..5".into()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judging_is_direction_aware_with_a_near_band() {
        assert_eq!(judge(Some(96.0), Some(95.0), true, true), Rag::Met);
        assert_eq!(judge(Some(93.5), Some(95.0), true, true), Rag::Near);
        assert_eq!(judge(Some(90.0), Some(95.0), true, true), Rag::Missed);
        assert_eq!(
            judge(Some(7.0 * 3600.0), Some(8.0 * 3600.0), false, false),
            Rag::Met
        );
        assert_eq!(
            judge(Some(8.5 * 3600.0), Some(8.0 * 3600.0), false, false),
            Rag::Near
        );
        assert_eq!(
            judge(Some(10.0 * 3600.0), Some(8.0 * 3600.0), false, false),
            Rag::Missed
        );
        assert_eq!(judge(None, Some(1.0), true, true), Rag::None);
        assert_eq!(duration_s("2h30m"), Ok(9000.0));
        assert!(duration_s("3 working days").is_err());
    }
}
