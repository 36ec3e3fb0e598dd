//! Findings that compare one value of a dimension with the others: an outsized share of the
//! incidents (`concentration`, or `imbalance` for the people dimensions) and an outsized
//! resolution time.
//!
//! - **Share.** The null is an even split over the dimension's values: a value's count is
//!   tested against `1/k` of the incidents with a likelihood-ratio test, and its effect is its
//!   count over the mean count of the other values. Priority is left out: its shares are
//!   unequal by design (few P1s), and saying so is no finding.
//! - **Resolution time.** Mann-Whitney U of the value's resolution times against everyone
//!   else's, from one ranking of the scope; the effect that must be material is the
//!   Vargha-Delaney A (the chance that one of its incidents takes longer than one of the
//!   others'), and the sentence gives the medians.

use super::series::{Aggregates, Dimension};
use super::stats::{binomial_g, mann_whitney};
use super::words::{duration, pct, plural, times};
use super::{Finding, Params};

/// `imbalance` for the dimensions that are people or teams, else `concentration`.
pub fn kind_of(dimension: &str) -> &'static str {
    match dimension {
        "assignee" | "assignment_group" => "imbalance",
        _ => "concentration",
    }
}

/// The share findings of one dimension.
pub fn shares(d: &Dimension, p: &Params, out: &mut Vec<Finding>) {
    if d.name == "priority" || d.distinct < 2 || d.total <= 0.0 {
        return;
    }
    let k = d.distinct as f64;
    for v in &d.values {
        let others = (d.total - v.n) / (k - 1.0);
        if v.n <= d.total / k || others <= 0.0 {
            continue;
        }
        let Some(pv) = binomial_g(v.n, d.total, 1.0 / k) else {
            continue;
        };
        let ratio = v.n / others;
        let share = v.n / d.total;
        let verb = match kind_of(d.name) {
            "imbalance" => "handles",
            _ => "accounts for",
        };
        let sentence = format!(
            "{} {verb} {} of the incidents ({:.0} of {:.0}), {} the average of the other {:.0} {}",
            v.value,
            pct(share),
            v.n,
            d.total,
            times(ratio),
            k - 1.0,
            plural(d.name)
        );
        out.push(Finding {
            kind: kind_of(d.name),
            metric: "share",
            dimension: d.name,
            value: v.value.clone(),
            direction: "higher",
            effect: ratio,
            effect_text: format!("{} the others", times(ratio)),
            n: v.n,
            p: Some(pv),
            score: v.n - d.total / k,
            material: ratio >= p.min_ratio,
            sentence,
            ..Finding::default()
        });
    }
}

/// The resolution-time findings of one dimension.
pub fn resolution(d: &Dimension, a: &Aggregates, p: &Params, out: &mut Vec<Finding>) {
    if d.name == "priority" {
        return;
    }
    let Some(overall) = a.median_ttr.filter(|m| *m > 0.0) else {
        return;
    };
    for v in &d.values {
        if v.n_ttr < p.min_n() || a.n_ttr - v.n_ttr < p.min_n() {
            continue;
        }
        let Some((pv, dominance)) = mann_whitney(v.rank_sum, v.n_ttr, a.n_ttr, a.ties) else {
            continue;
        };
        let Some(median) = v.median_ttr else { continue };
        let higher = dominance > 0.5;
        let ratio = (median / overall).max(f64::MIN_POSITIVE);
        let material = if higher {
            dominance >= p.min_dominance && ratio > 1.0
        } else {
            dominance <= 1.0 - p.min_dominance && ratio < 1.0
        };
        let sentence = format!(
            "{} take a median {} to resolve against {} overall ({:.0} resolved)",
            super::words::subject(d.name, &v.value),
            duration(median),
            duration(overall),
            v.n_ttr
        );
        out.push(Finding {
            kind: kind_of(d.name),
            metric: "ttr",
            dimension: d.name,
            value: v.value.clone(),
            direction: if higher { "higher" } else { "lower" },
            effect: ratio,
            effect_text: format!("{} the median", times(ratio)),
            n: v.n_ttr,
            p: Some(pv),
            score: v.n_ttr * (2.0 * dominance - 1.0).abs(),
            material,
            sentence,
            ..Finding::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::series::Value;
    use super::*;

    fn dim(name: &'static str, counts: &[f64]) -> Dimension {
        Dimension {
            name,
            total: counts.iter().sum(),
            distinct: counts.len(),
            values: counts
                .iter()
                .enumerate()
                .map(|(i, &n)| Value {
                    value: format!("v{i}"),
                    n,
                    n_ttr: 0.0,
                    rank_sum: 0.0,
                    median_ttr: None,
                    series: Default::default(),
                })
                .collect(),
        }
    }

    #[test]
    fn an_outsized_share_is_found_and_an_even_split_is_not() {
        let p = crate::insights::InsightConfig::default().params().unwrap();
        let mut out = Vec::new();
        shares(
            &dim("category", &[300.0, 50.0, 50.0, 50.0, 50.0]),
            &p,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        let f = &out[0];
        assert_eq!(
            (f.kind, f.value.as_str(), f.material),
            ("concentration", "v0", true)
        );
        assert!((f.effect - 6.0).abs() < 1e-9 && f.p.unwrap() < 1e-20);
        assert!((f.score - 200.0).abs() < 1e-9);
        // People are an imbalance; an even split and priority give nothing.
        let mut out = Vec::new();
        shares(&dim("assignee", &[300.0, 50.0, 50.0]), &p, &mut out);
        assert_eq!(out[0].kind, "imbalance");
        let mut out = Vec::new();
        shares(&dim("location", &[100.0; 5]), &p, &mut out);
        shares(&dim("priority", &[300.0, 20.0, 5.0]), &p, &mut out);
        assert!(out.is_empty(), "{out:?}");
    }
}
