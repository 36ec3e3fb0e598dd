//! Findings over time: trends (monthly, Mann-Kendall with a Theil-Sen slope), spikes (a run of
//! weeks far above the level elsewhere) and the correlation of weekly volume with weekly
//! resolution time (Spearman).
//!
//! A value's series is measured relative to the whole scope: its share of each month's
//! incidents, and its median resolution time over the scope's median that month. So a
//! desk-wide change is one `overall` finding, not one per category, and a value is reported
//! only when it moves differently from the rest.

use super::series::{Aggregates, Series};
use super::stats::{binomial_g, mann_kendall_p, spearman, theil_sen};
use super::words::{change, duration, pct, subject, times};
use super::{Finding, Params};

/// Fewest months a trend is looked for in, and fewest points with a value it is tested on.
const MIN_MONTHS: usize = 6;

/// Longest spike window, in weeks (a quarter); a longer rise is a trend.
const MAX_SPIKE_WEEKS: usize = 13;

/// Slope, p-value and the level the series moves around, or `None` when too short.
fn trend_of(series: &[Option<f64>]) -> Option<(f64, f64, f64, f64)> {
    let known: Vec<(usize, f64)> = series
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.filter(|v| v.is_finite()).map(|v| (i, v)))
        .collect();
    if known.len() < MIN_MONTHS {
        return None;
    }
    let p = mann_kendall_p(series)?;
    let slope = theil_sen(series)?;
    let mut levels: Vec<f64> = known.iter().map(|k| k.1).collect();
    levels.sort_by(f64::total_cmp);
    let level = levels[levels.len() / 2];
    let span = (known[known.len() - 1].0 - known[0].0) as f64;
    Some((slope, p, level, span))
}

/// What a series is of: the metric, the dimension and value, and its incidents.
struct Of<'a> {
    metric: &'static str,
    dimension: &'static str,
    value: &'a str,
    n: f64,
}

/// One trend finding from a series, when it has one to test.
fn trend(
    series: &[Option<f64>],
    of: &Of<'_>,
    p: &Params,
    words: impl Fn(f64, f64) -> String,
    out: &mut Vec<Finding>,
) {
    let Some((slope, pv, level, span)) = trend_of(series) else {
        return;
    };
    if level <= 0.0 || slope == 0.0 {
        return;
    }
    // The fitted line's start and end, for the sentence and the relative change.
    let mid = span / 2.0;
    let (from, to) = (level - slope * mid, level + slope * mid);
    // Material: the fitted change against the series' level (robust when the start is
    // near zero); shown: the change from the fitted start, as a reader reads "from … to".
    let rel = slope * span / level;
    let shown = if from > 0.0 {
        (to.max(0.0) - from) / from
    } else {
        rel
    };
    out.push(Finding {
        kind: "trend",
        metric: of.metric,
        dimension: of.dimension,
        value: of.value.to_string(),
        direction: if slope > 0.0 { "up" } else { "down" },
        effect: 1.0 + shown,
        effect_text: change(shown),
        n: of.n,
        p: Some(pv),
        score: of.n * rel.abs() / 2.0,
        material: rel.abs() >= p.min_change && from > 0.0,
        sentence: words(from.max(0.0), to.max(0.0)),
        ..Finding::default()
    });
}

/// A value's trend: its series relative to the whole is tested (so it moves differently
/// from the rest), and its own series must move the same way by a material amount too (so
/// a value that merely stays level while another moves is not reported as the mirror image
/// of the mover).
fn value_trend(
    own: &[Option<f64>],
    relative: &[Option<f64>],
    of: &Of<'_>,
    p: &Params,
    words: impl Fn(f64, f64) -> String,
    out: &mut Vec<Finding>,
) {
    let (mut a, mut r) = (Vec::new(), Vec::new());
    trend(own, of, p, |_, _| String::new(), &mut a);
    trend(relative, of, p, words, &mut r);
    if let (Some(a), Some(mut r)) = (a.pop(), r.pop())
        && a.direction == r.direction
    {
        r.material &= a.material;
        out.push(r);
    }
}

/// Whether a series with `n` incidents is tested week by week: when it averages at least
/// `min-incidents` a week, weekly points give the same months four times the points (and
/// the test its power); a thinner series is tested month by month, where its medians are
/// stable.
fn weekly(n: f64, a: &Aggregates, p: &Params) -> bool {
    !a.weeks.is_empty() && n / a.weeks.len() as f64 >= p.min_n()
}

/// Incidents per period: per week adjusted for the partial weeks at the ends of the scope
/// (a gap under half a week), else per month.
fn counts(s: &Series, a: &Aggregates, weekly: bool) -> Vec<Option<f64>> {
    if weekly {
        s.week_n
            .iter()
            .zip(&a.week_exposure)
            .map(|(n, e)| (*e >= 0.5).then(|| n / e))
            .collect()
    } else {
        s.month_n.iter().map(|&n| Some(n)).collect()
    }
}

/// Raw incidents per period (for shares, where the partial weeks cancel out).
fn raw(s: &Series, weekly: bool) -> Vec<Option<f64>> {
    let v = if weekly { &s.week_n } else { &s.month_n };
    v.iter().map(|&n| Some(n)).collect()
}

fn ttrs(s: &Series, weekly: bool) -> &[Option<f64>] {
    if weekly { &s.week_ttr } else { &s.month_ttr }
}

/// The trends of the whole scope and of each value.
pub fn trends(a: &Aggregates, p: &Params, out: &mut Vec<Finding>) {
    if a.months.len() < MIN_MONTHS {
        return;
    }
    let span = format!("{} months", a.months.len());
    let all = weekly(a.n, a, p);
    let unit = if all { "week" } else { "month" };
    trend(
        &counts(&a.overall, a, all),
        &Of {
            metric: "volume",
            dimension: "overall",
            value: "",
            n: a.n,
        },
        p,
        |f, t| format!("Incidents per {unit} went from about {f:.0} to {t:.0} over {span}"),
        out,
    );
    let ttr_weekly = weekly(a.n_ttr, a, p);
    trend(
        ttrs(&a.overall, ttr_weekly),
        &Of {
            metric: "ttr",
            dimension: "overall",
            value: "",
            n: a.n_ttr,
        },
        p,
        |f, t| {
            format!(
                "The median resolution time went from about {} to {} over {span}",
                duration(f),
                duration(t)
            )
        },
        out,
    );
    for d in &a.dimensions {
        // Volume against the whole (a share: the whole is a large, steady denominator);
        // resolution time against the typical value (medians of small groups are noisy, and
        // the whole's median moves with any one large value).
        let bases = [baseline(&d.values, a, false), baseline(&d.values, a, true)];
        for v in &d.values {
            let who = subject(d.name, &v.value);
            let w = weekly(v.n, a, p);
            let share = relative(&raw(&v.series, w), &raw(&a.overall, w), 0.0);
            value_trend(
                &counts(&v.series, a, w),
                &share,
                &Of {
                    metric: "volume",
                    dimension: d.name,
                    value: &v.value,
                    n: v.n,
                },
                p,
                |f, t| {
                    format!(
                        "{who} went from about {} to {} of all incidents over {span}",
                        pct(f),
                        pct(t)
                    )
                },
                out,
            );
            let w = weekly(v.n_ttr, a, p);
            let ttr = relative(ttrs(&v.series, w), &bases[w as usize], 0.0);
            value_trend(
                ttrs(&v.series, w),
                &ttr,
                &Of {
                    metric: "ttr",
                    dimension: d.name,
                    value: &v.value,
                    n: v.n_ttr,
                },
                p,
                |f, t| {
                    format!(
                        "{who} went from {} to {} a typical value's median resolution time over {span}",
                        times(f),
                        times(t)
                    )
                },
                out,
            );
        }
    }
}

/// What a value's resolution time is measured against, per period: the median over the
/// dimension's tested values of their median resolution times. Unlike the whole scope's
/// median it does not move when one value moves, so the others are not reported as its
/// mirror image; with fewer than three values it is the whole scope's.
fn baseline(values: &[super::series::Value], a: &Aggregates, weekly: bool) -> Vec<Option<f64>> {
    let whole = ttrs(&a.overall, weekly).to_vec();
    if values.len() < 3 {
        return whole;
    }
    (0..whole.len())
        .map(|i| {
            let mut x: Vec<f64> = values
                .iter()
                .filter_map(|v| ttrs(&v.series, weekly)[i])
                .collect();
            if x.len() < 3 {
                return None;
            }
            x.sort_by(f64::total_cmp);
            let m = x.len() / 2;
            Some(if x.len() % 2 == 1 {
                x[m]
            } else {
                (x[m - 1] + x[m]) / 2.0
            })
        })
        .collect()
}

/// `part / whole` per period, a gap where the whole is not above `floor`.
fn relative(part: &[Option<f64>], whole: &[Option<f64>], floor: f64) -> Vec<Option<f64>> {
    part.iter()
        .zip(whole)
        .map(|(a, b)| match (a, b) {
            (Some(a), Some(b)) if *b > floor => Some(a / b),
            _ => None,
        })
        .collect()
}

/// The strongest spike of `counts` against `baseline` (the exposure of each week: its share
/// of the scope's days for the whole scope, the scope's own weekly counts for a value).
/// Returns (first week, weeks, inside count, rate ratio, p-value adjusted for the windows
/// scanned).
fn spike_of(
    counts: &[f64],
    baseline: &[f64],
    min_inside: f64,
) -> Option<(usize, usize, f64, f64, f64)> {
    let w = counts.len();
    let (n, total): (f64, f64) = (counts.iter().sum(), baseline.iter().sum());
    let longest = MAX_SPIKE_WEEKS.min(w / 3);
    let mut best: Option<(f64, (usize, usize, f64, f64))> = None;
    let mut scanned = 0usize;
    for len in 2..=longest {
        for start in 0..=(w - len) {
            scanned += 1;
            let x: f64 = counts[start..start + len].iter().sum();
            let e: f64 = baseline[start..start + len].iter().sum();
            if x < min_inside || e <= 0.0 || e >= total || n - x <= 0.0 {
                continue;
            }
            let ratio = (x / e) / ((n - x) / (total - e));
            if ratio <= 1.0 {
                continue;
            }
            // The likelihood-ratio statistic ranks windows; the best one is reported.
            let p0 = e / total;
            let g = 2.0 * (x * (x / (n * p0)).ln() + (n - x) * ((n - x) / (n * (1.0 - p0))).ln());
            if best.is_none_or(|(bg, _)| g > bg) {
                best = Some((g, (start, len, x, ratio)));
            }
        }
    }
    let (_, (start, len, x, ratio)) = best?;
    let pv = binomial_g(
        x,
        n,
        baseline[start..start + len].iter().sum::<f64>() / total,
    )?;
    Some((start, len, x, ratio, (pv * scanned as f64).min(1.0)))
}

/// The spikes of the whole scope and of each value.
pub fn spikes(a: &Aggregates, p: &Params, out: &mut Vec<Finding>) {
    let mut one = |counts: &[f64], baseline: &[f64], dimension: &'static str, value: &str| {
        let Some((start, len, x, ratio, pv)) = spike_of(counts, baseline, p.min_n()) else {
            return;
        };
        let from = a.weeks[start];
        let to = a.weeks[start + len - 1] + 6 * 86_400_000_000;
        let expected = x / ratio;
        out.push(Finding {
            kind: "spike",
            metric: "volume",
            dimension,
            value: value.to_string(),
            direction: "up",
            window: Some((from, to)),
            effect: ratio,
            effect_text: format!("{} the usual rate", times(ratio)),
            n: x,
            p: Some(pv),
            score: x - expected,
            material: ratio >= p.min_spike,
            sentence: format!(
                "{} rose to {} their usual weekly rate from {} to {} ({x:.0} incidents in {len} weeks)",
                subject(dimension, value),
                times(ratio),
                super::series::day(from),
                super::series::day(to),
            ),
            ..Finding::default()
        });
    };
    one(&a.overall.week_n, &a.week_exposure, "overall", "");
    for d in &a.dimensions {
        for v in &d.values {
            one(&v.series.week_n, &a.overall.week_n, d.name, &v.value);
        }
    }
}

/// Weekly volume against weekly median resolution time, over the whole weeks of the scope.
pub fn correlation(a: &Aggregates, p: &Params, out: &mut Vec<Finding>) {
    let s: &Series = &a.overall;
    let pairs: Vec<(f64, f64)> = (0..a.weeks.len())
        .filter(|&i| a.week_exposure[i] >= 1.0)
        .filter_map(|i| Some((s.week_n[i], s.week_ttr[i]?)))
        .collect();
    let Some((rho, pv)) = spearman(&pairs) else {
        return;
    };
    let direction = if rho > 0.0 { "up" } else { "down" };
    out.push(Finding {
        kind: "correlation",
        metric: "ttr",
        dimension: "overall",
        value: "volume".into(),
        direction,
        effect: rho,
        effect_text: format!("ρ = {rho:.2}"),
        n: pairs.len() as f64,
        p: Some(pv),
        score: a.n * rho * rho / 4.0,
        material: rho.abs() >= p.min_correlation,
        sentence: format!(
            "Weeks with more incidents had {} resolution times (Spearman ρ = {rho:.2} over {} weeks)",
            if rho > 0.0 { "longer" } else { "shorter" },
            pairs.len()
        ),
        ..Finding::default()
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spike_is_found_where_it_is_and_a_flat_series_has_none_material() {
        // 40 weeks at 10 a week, weeks 20-25 at 30.
        let mut c = vec![10.0; 40];
        for w in &mut c[20..26] {
            *w = 30.0;
        }
        let e = vec![1.0; 40];
        let (start, len, x, ratio, p) = spike_of(&c, &e, 10.0).unwrap();
        assert_eq!((start, len), (20, 6));
        assert_eq!(x, 180.0);
        assert!((ratio - 3.0).abs() < 1e-9 && p < 1e-10, "{ratio} {p}");
        // Flat: the best window is no spike at all (ratio 1 is skipped).
        assert!(spike_of(&[10.0; 40], &e, 10.0).is_none());
        // Too few incidents inside any window: nothing to report.
        assert!(spike_of(&[1.0; 40], &e, 10.0).is_none());
    }

    #[test]
    fn a_desk_wide_rise_is_one_overall_trend_not_one_per_value() {
        let rising: Vec<Option<f64>> = (0..12).map(|m| Some(100.0 + 20.0 * m as f64)).collect();
        // A value that keeps its share of a rising desk: its relative series is flat.
        let part: Vec<Option<f64>> = rising.iter().map(|v| v.map(|v| v / 4.0)).collect();
        let share = relative(&part, &rising, 0.0);
        assert!(share.iter().all(|s| *s == Some(0.25)));
        let p = crate::insights::InsightConfig::default().params().unwrap();
        let mut out = Vec::new();
        trend(
            &share,
            &Of {
                metric: "volume",
                dimension: "category",
                value: "A",
                n: 300.0,
            },
            &p,
            |_, _| String::new(),
            &mut out,
        );
        assert!(out.is_empty(), "a flat share has no trend: {out:?}");
        trend(
            &rising,
            &Of {
                metric: "volume",
                dimension: "overall",
                value: "",
                n: 3000.0,
            },
            &p,
            |_, _| String::new(),
            &mut out,
        );
        let f = &out[0];
        assert_eq!((f.direction, f.material), ("up", true));
        assert!(f.p.unwrap() < 0.001);
        // Too short a series gives no finding, never a guess.
        let mut none = Vec::new();
        trend(
            &rising[..5],
            &Of {
                metric: "volume",
                dimension: "overall",
                value: "",
                n: 500.0,
            },
            &p,
            |_, _| String::new(),
            &mut none,
        );
        assert!(none.is_empty());
    }
}
