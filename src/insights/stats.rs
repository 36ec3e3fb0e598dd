//! The statistics behind the findings, all on small aggregates (one value per month, week or
//! dimension value), never on rows:
//! - the trend test: Theil-Sen slope (the median of pairwise slopes, robust to one bad month)
//!   with Mann-Kendall significance (a rank test with no assumption of normality, the usual
//!   choice for short, noisy operational series), shared with the `trend_*` SQL functions;
//! - one value's share against the rest (a likelihood-ratio G-test, 1 degree of freedom);
//! - one value's resolution times against the rest (Mann-Whitney U from rank sums, with the
//!   Vargha-Delaney A as its effect size);
//! - Spearman's rank correlation (Fisher's z for its p-value);
//! - Benjamini-Hochberg q-values over every test a run makes.

/// Significance level of the verdict.
pub const ALPHA: f64 = 0.05;

/// Fewest points a verdict is given for.
pub const MIN_POINTS: usize = 4;

/// The points of a series that have a value, with their time positions.
fn points(values: &[Option<f64>]) -> Vec<(f64, f64)> {
    values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.filter(|v| v.is_finite()).map(|v| (i as f64, v)))
        .collect()
}

/// Theil-Sen slope per time step, or `None` with fewer than two points.
pub fn theil_sen(values: &[Option<f64>]) -> Option<f64> {
    let p = points(values);
    let mut slopes = Vec::with_capacity(p.len() * p.len() / 2);
    for (i, a) in p.iter().enumerate() {
        for b in &p[i + 1..] {
            slopes.push((b.1 - a.1) / (b.0 - a.0));
        }
    }
    if slopes.is_empty() {
        return None;
    }
    slopes.sort_by(f64::total_cmp);
    let m = slopes.len() / 2;
    Some(if slopes.len() % 2 == 1 {
        slopes[m]
    } else {
        (slopes[m - 1] + slopes[m]) / 2.0
    })
}

/// Mann-Kendall two-sided p-value (normal approximation with the tie correction), or `None`
/// with fewer than [`MIN_POINTS`] points.
pub fn mann_kendall_p(values: &[Option<f64>]) -> Option<f64> {
    let p = points(values);
    let n = p.len();
    if n < MIN_POINTS {
        return None;
    }
    let mut s = 0i64;
    for (i, a) in p.iter().enumerate() {
        for b in &p[i + 1..] {
            s += match b.1.total_cmp(&a.1) {
                std::cmp::Ordering::Greater => 1,
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
            };
        }
    }
    let mut sorted: Vec<f64> = p.iter().map(|x| x.1).collect();
    sorted.sort_by(f64::total_cmp);
    let mut ties = 0.0;
    let mut run = 1usize;
    for w in 1..=sorted.len() {
        if w < sorted.len() && sorted[w] == sorted[w - 1] {
            run += 1;
        } else {
            let t = run as f64;
            ties += t * (t - 1.0) * (2.0 * t + 5.0);
            run = 1;
        }
    }
    let nf = n as f64;
    let var = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - ties) / 18.0;
    if var <= 0.0 {
        return Some(1.0);
    }
    let z = match s.signum() {
        1 => (s as f64 - 1.0) / var.sqrt(),
        -1 => (s as f64 + 1.0) / var.sqrt(),
        _ => 0.0,
    };
    Some((2.0 * normal_sf(z.abs())).clamp(0.0, 1.0))
}

/// The standard normal upper tail `P(Z > z)`, with small relative error deep in the tail
/// (Numerical Recipes' `erfcc`, fractional error < 1.2e-7 everywhere), so that very strong
/// effects keep distinct, ordered p-values instead of all rounding to zero.
pub fn normal_sf(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.5 * a);
    let poly = -1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * (-a * a + poly).exp();
    let erfc = if x >= 0.0 { erfc } else { 2.0 - erfc };
    0.5 * erfc
}

/// Upper tail of the chi-square distribution with one degree of freedom.
pub fn chi2_1_sf(x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    2.0 * normal_sf(x.sqrt())
}

/// Likelihood-ratio (G) test that `x` successes of `n` trials come from rate `p0`:
/// the two-sided p-value. `None` when the test is undefined (no trials, `p0` at 0 or 1).
pub fn binomial_g(x: f64, n: f64, p0: f64) -> Option<f64> {
    if n <= 0.0 || !(p0 > 0.0 && p0 < 1.0) || x < 0.0 || x > n {
        return None;
    }
    let term = |obs: f64, exp: f64| {
        if obs > 0.0 {
            obs * (obs / exp).ln()
        } else {
            0.0
        }
    };
    let g = 2.0 * (term(x, n * p0) + term(n - x, n * (1.0 - p0)));
    Some(chi2_1_sf(g))
}

/// Mann-Whitney U of one group against the rest, from the group's rank sum among all `n`
/// values (ranks from 1, ties averaged) and `ties` = Σ(t³ − t) over the tie groups of all
/// values. Returns the two-sided p-value (normal approximation with the tie correction) and
/// the Vargha-Delaney A, the probability that a value of the group exceeds one of the rest
/// (0.5 = no difference; 0.64 and 0.71 are the customary "medium" and "large").
pub fn mann_whitney(rank_sum: f64, n1: f64, n: f64, ties: f64) -> Option<(f64, f64)> {
    let n2 = n - n1;
    if n1 < 1.0 || n2 < 1.0 {
        return None;
    }
    let u = rank_sum - n1 * (n1 + 1.0) / 2.0;
    let a = u / (n1 * n2);
    let mean = n1 * n2 / 2.0;
    let var = n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
    if var <= 0.0 {
        return Some((1.0, a));
    }
    // Continuity correction towards the mean.
    let z = ((u - mean).abs() - 0.5).max(0.0) / var.sqrt();
    Some(((2.0 * normal_sf(z)).min(1.0), a))
}

/// Average ranks (from 1) of `v`, ties sharing their mean rank.
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]).then(a.cmp(&b)));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = mean;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rho of the pairs and its two-sided p-value (Fisher's z with the 1.06 variance
/// correction of Fieller, Hartley and Pearson), or `None` with fewer than [`MIN_POINTS`]
/// pairs or a constant series.
pub fn spearman(pairs: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = pairs.len();
    if n < MIN_POINTS.max(5) {
        return None;
    }
    let rx = ranks(&pairs.iter().map(|p| p.0).collect::<Vec<_>>());
    let ry = ranks(&pairs.iter().map(|p| p.1).collect::<Vec<_>>());
    let mean = (n as f64 + 1.0) / 2.0;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mean) * (b - mean);
        sxx += (a - mean) * (a - mean);
        syy += (b - mean) * (b - mean);
    }
    if sxx == 0.0 || syy == 0.0 {
        return None;
    }
    let rho = (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0);
    let z = (rho.clamp(-0.999_999, 0.999_999)).atanh() * ((n as f64 - 3.0) / 1.06).sqrt();
    Some((rho, (2.0 * normal_sf(z.abs())).min(1.0)))
}

/// P(X >= k) for X ~ Poisson(`lambda`): the chance of seeing `k` or more events where
/// `lambda` are expected. Summed from the upper tail (term by term from `k`), so tiny
/// p-values keep their precision instead of vanishing in `1 - cdf`.
pub fn poisson_sf(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if lambda <= 0.0 {
        return 0.0;
    }
    let ln_fact: f64 = (2..=k).map(|i| (i as f64).ln()).sum();
    let mut term = (-lambda + k as f64 * lambda.ln() - ln_fact).exp();
    let mut sum = 0.0;
    let mut i = k as f64;
    // Terms fall once i passes lambda; stop when they no longer move the sum.
    while term > 0.0 && (i < lambda || term > sum * 1e-16) && i < k as f64 + 1e6 {
        sum += term;
        i += 1.0;
        term *= lambda / i;
    }
    sum.min(1.0)
}

/// Benjamini-Hochberg q-values, in the order of `p`: the false-discovery rate at which each
/// test would be declared significant.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len() as f64;
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(b.cmp(&a)));
    let mut q = vec![1.0; p.len()];
    let mut running = 1.0f64;
    for (k, &i) in idx.iter().enumerate() {
        let rank = m - k as f64;
        running = running.min(p[i] * m / rank);
        q[i] = running.min(1.0);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[f64]) -> Vec<Option<f64>> {
        v.iter().copied().map(Some).collect()
    }

    #[test]
    fn theil_sen_ignores_one_outlier() {
        // y = 2x with one wild month: least squares would tilt, the median slope does not.
        let mut v = s(&[0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0]);
        v[3] = Some(100.0);
        assert_eq!(theil_sen(&v), Some(2.0));
        assert_eq!(theil_sen(&s(&[5.0])), None);
        // A gap keeps its position in time: 0 at t=0, 4 at t=2 is 2 per step.
        assert_eq!(theil_sen(&[Some(0.0), None, Some(4.0)]), Some(2.0));
    }

    #[test]
    fn mann_kendall_matches_the_textbook_values() {
        // A strictly rising series of 10: S = 45, Var = 10*9*25/18 = 125,
        // z = 44/sqrt(125) = 3.9355, two-sided p = 8.3e-5.
        let p = mann_kendall_p(&s(&[1., 2., 3., 4., 5., 6., 7., 8., 9., 10.])).unwrap();
        assert!((p - 8.3e-5).abs() < 1e-5, "{p}");
        // No trend: S = 0, p = 1.
        let p = mann_kendall_p(&s(&[1., 3., 2., 3., 1., 2.])).unwrap();
        assert!(p > 0.5, "{p}");
        // All ties: variance is zero, no evidence of a trend.
        assert_eq!(mann_kendall_p(&s(&[3.0; 6])), Some(1.0));
        assert_eq!(mann_kendall_p(&s(&[1., 2., 3.])), None);
    }

    #[test]
    fn normal_tail_is_accurate_and_ordered_deep_in_the_tail() {
        assert!((normal_sf(1.959_964) - 0.025).abs() < 1e-7);
        assert!((normal_sf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_sf(-1.0) - 0.841_344_75).abs() < 1e-6);
        // P(Z > 10) = 7.62e-24: relative, not absolute, accuracy.
        assert!((normal_sf(10.0) / 7.619_853e-24 - 1.0).abs() < 1e-5);
        assert!(normal_sf(12.0) < normal_sf(11.0));
        assert!((chi2_1_sf(3.841_459) - 0.05).abs() < 1e-6);
    }

    #[test]
    fn g_test_sees_an_outsized_share_and_not_an_even_one() {
        // 60 of 100 where 20 % is expected: overwhelming.
        assert!(binomial_g(60.0, 100.0, 0.2).unwrap() < 1e-15);
        // 21 of 100 where 20 % is expected: nothing.
        assert!(binomial_g(21.0, 100.0, 0.2).unwrap() > 0.7);
        assert_eq!(binomial_g(1.0, 0.0, 0.2), None);
        assert_eq!(binomial_g(1.0, 10.0, 1.0), None);
    }

    #[test]
    fn mann_whitney_from_rank_sums_matches_a_direct_count() {
        // Group {4,5,6} against {1,2,3}: ranks 4+5+6 = 15, U = 9 = n1*n2, A = 1.
        let (p, a) = mann_whitney(15.0, 3.0, 6.0, 0.0).unwrap();
        assert_eq!(a, 1.0);
        assert!(p < 0.1 && p > 0.04, "{p}");
        // Interleaved {1,3,5} against {2,4,6}: rank sum 9, U = 3, A = 1/3, p large.
        let (p, a) = mann_whitney(9.0, 3.0, 6.0, 0.0).unwrap();
        assert!((a - 1.0 / 3.0).abs() < 1e-12);
        assert!(p > 0.3, "{p}");
        assert_eq!(mann_whitney(3.0, 3.0, 3.0, 0.0), None);
    }

    #[test]
    fn spearman_sees_monotone_relations_and_ties() {
        let up: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, (i * i) as f64)).collect();
        let (rho, p) = spearman(&up).unwrap();
        assert!((rho - 1.0).abs() < 1e-12 && p < 1e-4, "{rho} {p}");
        let down: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, -(i as f64))).collect();
        assert!((spearman(&down).unwrap().0 + 1.0).abs() < 1e-12);
        let flat: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 1.0)).collect();
        assert_eq!(spearman(&flat), None);
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn the_poisson_tail_matches_its_closed_forms() {
        // P(X >= 1) = 1 - e^-l; P(X >= 2) = 1 - e^-l (1 + l).
        for l in [0.05, 0.7, 3.0, 12.5] {
            assert!((poisson_sf(1, l) - (1.0 - (-l).exp())).abs() < 1e-12, "{l}");
            let two = 1.0 - (-l).exp() * (1.0 + l);
            assert!((poisson_sf(2, l) - two).abs() < 1e-12, "{l}");
        }
        assert_eq!(poisson_sf(0, 4.0), 1.0);
        assert_eq!(poisson_sf(3, 0.0), 0.0);
        // Far in the tail, where 1 - cdf would be 0: P(X >= 30 | 4) = 9.134e-17.
        let p = poisson_sf(30, 4.0);
        assert!((p / 9.134_135_6e-17 - 1.0).abs() < 1e-6, "{p}");
        // Below the mean the tail is most of the mass, and it falls as k rises.
        assert!(poisson_sf(5, 40.0) > 0.999_999);
        assert!(poisson_sf(41, 40.0) < poisson_sf(40, 40.0));
    }

    #[test]
    fn benjamini_hochberg_matches_the_textbook_example() {
        // p = 0.01, 0.04, 0.03, 0.005 (m = 4): sorted 0.005, 0.01, 0.03, 0.04 give
        // 0.02, 0.02, 0.04, 0.04, monotone from the top.
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005]);
        let want = [0.02, 0.04, 0.04, 0.02];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
        assert!(benjamini_hochberg(&[]).is_empty());
    }
}
