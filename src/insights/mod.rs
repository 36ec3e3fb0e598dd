//! Ranked statistical findings about the incidents of a period: what a problem manager
//! should look at first (`ticketlake insights`, and `build`'s `insights` table).
//!
//! [`series`] computes the aggregates with DataFusion group-bys; [`compare`] tests one value
//! of a dimension against the others; [`time`] looks for trends, spikes and a correlation;
//! [`stats`] holds the tests. Recurring-problem candidates join as `recurring` findings.
//!
//! Many tests are run, so the false-discovery rate is controlled (Benjamini-Hochberg over
//! every test of the run), and a finding must also have a material effect, so a large dataset
//! does not report trivial differences. Too little data gives no finding, never a guess; the
//! same data gives the same findings in the same order.

pub mod compare;
pub mod series;
pub mod stats;
pub mod time;
pub mod words;

use polars::prelude::*;

use crate::dataset::Location;
use crate::error::{Error, Result};
pub use series::Scope;

/// `[insights]` in the config.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct InsightConfig {
    /// Whether `build` writes the `insights` table (default true).
    pub enabled: bool,
    /// Months examined by default, ending with the last complete month (12).
    pub months: u32,
    /// The false-discovery rate: findings need a Benjamini-Hochberg q-value at most this (0.05).
    pub q: f64,
    /// Fewest incidents a value (or a spike window) needs to be tested (10).
    pub min_incidents: u32,
    /// Smallest share effect: a value's count over the mean of the others (1.5).
    pub min_ratio: f64,
    /// Smallest resolution-time effect: the Vargha-Delaney A, the chance that one of the
    /// value's incidents takes longer than one of the others' (0.64, "medium"; its mirror
    /// 0.36 for faster).
    pub min_dominance: f64,
    /// Smallest trend: the fitted change over the months, relative to the level (0.3).
    pub min_change: f64,
    /// Smallest spike: the window's rate over the rate elsewhere (2).
    pub min_spike: f64,
    /// Smallest correlation |ρ| (0.3).
    pub min_correlation: f64,
    /// Findings kept per kind, metric and dimension (3), the strongest first.
    pub per_dimension: usize,
}

impl Default for InsightConfig {
    fn default() -> Self {
        InsightConfig {
            enabled: true,
            months: 12,
            q: 0.05,
            min_incidents: 10,
            min_ratio: 1.5,
            min_dominance: 0.64,
            min_change: 0.3,
            min_spike: 2.0,
            min_correlation: 0.3,
            per_dimension: 3,
        }
    }
}

/// Values tested per dimension: the commonest.
const TOP_VALUES: usize = 25;

/// The settings after [`InsightConfig::params`] has checked them.
pub type Params = InsightConfig;

impl InsightConfig {
    /// Fewest incidents, as the count the tests compare with.
    pub fn min_n(&self) -> f64 {
        self.min_incidents as f64
    }
}

impl InsightConfig {
    /// The parameters, or a usage error naming the key.
    pub fn params(&self) -> Result<Params> {
        let bad = |key: &str, what: &str| Err(Error::Usage(format!("insights {key}: {what}")));
        if !(self.q > 0.0 && self.q <= 1.0) {
            return bad("q", "must be above 0 and at most 1");
        }
        if self.months == 0 || self.months > 120 {
            return bad("months", "must be 1 to 120");
        }
        if self.min_incidents < 2 {
            return bad("min-incidents", "must be at least 2");
        }
        if self.min_ratio < 1.0 || self.min_spike < 1.0 {
            return bad("min-ratio/min-spike", "must be at least 1");
        }
        if !(0.5..1.0).contains(&self.min_dominance) {
            return bad("min-dominance", "must be at least 0.5 and below 1");
        }
        if self.min_change < 0.0 || !(0.0..1.0).contains(&self.min_correlation) {
            return bad(
                "min-change/min-correlation",
                "must be at least 0 (correlation below 1)",
            );
        }
        Ok(InsightConfig {
            per_dimension: self.per_dimension.max(1),
            ..self.clone()
        })
    }
}

/// One finding.
#[derive(Debug, Clone, Default)]
pub struct Finding {
    /// `trend`, `concentration`, `spike`, `correlation`, `imbalance` or `recurring`.
    pub kind: &'static str,
    /// `volume`, `ttr` or `share`.
    pub metric: &'static str,
    /// `overall`, a dimension of [`series::DIMENSIONS`], or `title`.
    pub dimension: &'static str,
    /// The dimension's value (empty for `overall`), or the candidate's label.
    pub value: String,
    /// `up`, `down`, `higher` or `lower`.
    pub direction: &'static str,
    /// Window of a spike: first and last day (µs).
    pub window: Option<(i64, i64)>,
    /// The effect as a number: a ratio (1 = none), or ρ for a correlation.
    pub effect: f64,
    /// The effect in words (`2.3× the others`, `+140 %`).
    pub effect_text: String,
    /// Incidents (or weeks, for a correlation) the finding rests on.
    pub n: f64,
    /// The test's p-value (none for recurring candidates).
    pub p: Option<f64>,
    /// The Benjamini-Hochberg q-value.
    pub q: Option<f64>,
    /// Incidents beyond the ordinary that the finding accounts for: the ranking.
    pub score: f64,
    /// Whether the effect is at least the configured minimum.
    pub material: bool,
    /// The finding in one sentence, with its evidence.
    pub sentence: String,
    /// The service the finding was looked for in (none: the whole desk).
    pub service: Option<String>,
}

/// The recurring-problem candidates last seen in the scope as findings (no p-value:
/// detection has its own rules), ranked by their score.
fn recurring(candidates: &DataFrame, scope: &Scope, p: &Params) -> Result<Vec<Finding>> {
    use crate::dataset::columns::{micros, text};
    if candidates.height() == 0 {
        return Ok(Vec::new());
    }
    let label = text(candidates, "label")?;
    let service = text(candidates, "service")?;
    let last = micros(candidates, "last_seen")?;
    let first = micros(candidates, "first_seen")?;
    let n = candidates
        .column("incidents")
        .and_then(|c| c.cast(&DataType::Float64))
        .map_err(Error::polars("reading candidates"))?;
    let n = n
        .f64()
        .map_err(Error::polars("reading candidates"))?
        .clone();
    let pattern = text(candidates, "pattern").ok();
    let unlinked = crate::dataset::columns::flags(candidates, "unlinked")?;
    let mut out = Vec::new();
    for i in 0..candidates.height() {
        let (Some(l), Some(t), Some(k)) = (label.get(i), last.get(i), n.get(i)) else {
            continue;
        };
        let in_service = scope
            .service
            .as_deref()
            .is_none_or(|s| service.get(i) == Some(s));
        if t < scope.start || t >= scope.end || !in_service || out.len() >= p.per_dimension + 2 {
            continue;
        }
        let pattern = pattern.as_ref().and_then(|c| c.get(i)).unwrap_or("steady");
        out.push(Finding {
            kind: "recurring",
            metric: "volume",
            dimension: "title",
            value: l.to_string(),
            direction: "higher",
            effect: k,
            effect_text: format!("{k:.0} incidents"),
            n: k,
            score: k,
            material: true,
            sentence: format!(
                "A {pattern} recurring problem{}: “{l}”, {k:.0} incidents from {} to {}",
                if unlinked.get(i) == Some(false) {
                    ""
                } else {
                    " with no problem record yet"
                },
                series::day(first.get(i).unwrap_or(t)),
                series::day(t)
            ),
            ..Finding::default()
        });
    }
    Ok(out)
}

/// Every statistical finding candidate of the scope, before the correction.
fn tested(a: &series::Aggregates, p: &Params) -> Vec<Finding> {
    let mut out = Vec::new();
    if a.n < 2.0 * p.min_n() {
        return out;
    }
    for d in &a.dimensions {
        compare::shares(d, p, &mut out);
        compare::resolution(d, a, p, &mut out);
    }
    time::trends(a, p, &mut out);
    time::spikes(a, p, &mut out);
    time::correlation(a, p, &mut out);
    out
}

/// Correct, filter, cap per dimension and rank.
fn select(mut all: Vec<Finding>, extra: Vec<Finding>, p: &Params) -> Vec<Finding> {
    let ps: Vec<f64> = all.iter().map(|f| f.p.unwrap_or(1.0)).collect();
    for (f, q) in all.iter_mut().zip(stats::benjamini_hochberg(&ps)) {
        f.q = Some(q);
    }
    all.retain(|f| f.material && f.q.is_some_and(|q| q <= p.q));
    all.extend(extra);
    all.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.kind.cmp(b.kind))
            .then(a.metric.cmp(b.metric))
            .then(a.dimension.cmp(b.dimension))
            .then(a.value.cmp(&b.value))
    });
    let mut kept: std::collections::HashMap<(&str, &str, &str), usize> = Default::default();
    all.retain(|f| {
        let k = kept.entry((f.kind, f.metric, f.dimension)).or_default();
        *k += 1;
        *k <= p.per_dimension
    });
    for f in &mut all {
        f.score = (f.score * 100.0).round() / 100.0;
    }
    all
}

/// The findings of each scope over the dataset's current `tickets` at `root`, with the
/// recurring candidates of `candidates` (a `problem_candidates` frame).
pub fn detect(
    root: &Location,
    m: &crate::dataset::Manifest,
    cfg: &InsightConfig,
    scopes: &[Scope],
    candidates: &DataFrame,
) -> Result<Vec<Finding>> {
    let p = cfg.params()?;
    if m.tables
        .get(crate::dataset::TICKETS)
        .is_none_or(|t| t.files.is_empty())
    {
        return Ok(Vec::new());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::io(
            "starting the insights runtime",
            root.shown_path(),
        ))?;
    let mut out = Vec::new();
    runtime.block_on(async {
        let ctx = series::session(root, m, 1 << 30).await?;
        for scope in scopes {
            let a = series::aggregates(&ctx, scope, p.min_n(), TOP_VALUES).await?;
            let found = select(tested(&a, &p), recurring(candidates, scope, &p)?, &p);
            out.extend(found.into_iter().map(|mut f| {
                f.service = scope.service.clone();
                f
            }));
        }
        Ok::<(), Error>(())
    })?;
    Ok(out)
}

/// The findings as the `insights` table, ranked within each scope.
pub fn frame(findings: &[Finding]) -> Result<DataFrame> {
    let mut rank = Vec::new();
    let mut last: Option<&Option<String>> = None;
    let mut r = 0i32;
    for f in findings {
        if last != Some(&f.service) {
            r = 0;
            last = Some(&f.service);
        }
        r += 1;
        rank.push(r);
    }
    let s = |g: fn(&Finding) -> String| findings.iter().map(g).collect::<Vec<_>>();
    let window = |k: usize| {
        findings
            .iter()
            .map(|f| {
                f.window
                    .map(|w| series::day(if k == 0 { w.0 } else { w.1 }))
            })
            .collect::<Vec<_>>()
    };
    let round = |x: f64| (x * 1e4).round() / 1e4;
    DataFrame::new_infer_height(vec![
        Column::new(
            "service".into(),
            findings
                .iter()
                .map(|f| f.service.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new("rank".into(), rank),
        Column::new("kind".into(), s(|f| f.kind.to_string())),
        Column::new("metric".into(), s(|f| f.metric.to_string())),
        Column::new("dimension".into(), s(|f| f.dimension.to_string())),
        Column::new("value".into(), s(|f| f.value.clone())),
        Column::new("direction".into(), s(|f| f.direction.to_string())),
        Column::new("window_start".into(), window(0)),
        Column::new("window_end".into(), window(1)),
        Column::new("effect".into(), s(|f| f.effect_text.clone())),
        Column::new(
            "effect_value".into(),
            findings.iter().map(|f| round(f.effect)).collect::<Vec<_>>(),
        ),
        Column::new(
            "n".into(),
            findings
                .iter()
                .map(|f| f.n.round() as i64)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "p_value".into(),
            findings.iter().map(|f| f.p).collect::<Vec<_>>(),
        ),
        Column::new(
            "q_value".into(),
            findings.iter().map(|f| f.q).collect::<Vec<_>>(),
        ),
        Column::new(
            "score".into(),
            findings.iter().map(|f| f.score).collect::<Vec<_>>(),
        ),
        Column::new("sentence".into(), s(|f| f.sentence.clone())),
    ])
    .map_err(Error::polars("building insights"))
}

/// The scope of the default window: `months` months ending with the last complete month
/// before `as_of`, or ending with `end` when given.
pub fn window(as_of: i64, end: Option<i64>, months: u32) -> (i64, i64) {
    let end = end.unwrap_or_else(|| crate::time::Period::last_complete_month(as_of).end);
    (series::months_before(end, months), end)
}
