//! The trend test: is a monthly metric getting better or worse? Theil-Sen slope (the median of
//! pairwise slopes, robust to one bad month) with Mann-Kendall significance (a rank test with
//! no assumption of normality, the usual choice for short, noisy operational series).
//!
//! Exposed to SQL as `trend_slope(values)`, `trend_p(values)` and
//! `trend_verdict(values, higher_is_better)`, where `values` is a list in time order, usually
//! `array_agg(x ORDER BY month)`. NULL entries are gaps: they keep their position in time.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, ListArray, StringArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Float64Type};
use datafusion::common::Result as DfResult;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

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
    Some((2.0 * (1.0 - normal_cdf(z.abs()))).clamp(0.0, 1.0))
}

/// Standard normal CDF (Abramowitz & Stegun 7.1.26, absolute error < 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    let erf = if x >= 0.0 { erf } else { -erf };
    0.5 * (1.0 + erf)
}

/// `improving`, `worsening`, `no clear trend` or `insufficient data`.
pub fn verdict(values: &[Option<f64>], higher_is_better: bool) -> &'static str {
    match (mann_kendall_p(values), theil_sen(values)) {
        (Some(p), Some(slope)) if p < ALPHA && slope != 0.0 => {
            if (slope > 0.0) == higher_is_better {
                "improving"
            } else {
                "worsening"
            }
        }
        (Some(_), _) => "no clear trend",
        _ => "insufficient data",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Slope,
    P,
    Verdict,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct TrendFn {
    kind: Kind,
    signature: Signature,
}

impl ScalarUDFImpl for TrendFn {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Slope => "trend_slope",
            Kind::P => "trend_p",
            Kind::Verdict => "trend_verdict",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(match self.kind {
            Kind::Verdict => DataType::Utf8,
            _ => DataType::Float64,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let list_type = DataType::List(Arc::new(Field::new("item", DataType::Float64, true)));
        let lists = cast(&arrays[0], &list_type)?;
        let lists: &ListArray = lists.as_list::<i32>();
        let better = match arrays.get(1) {
            Some(a) => cast(a, &DataType::Boolean)?.as_boolean().clone(),
            None => BooleanArray::from(vec![true; lists.len()]),
        };
        let series = |i: usize| -> Option<Vec<Option<f64>>> {
            (!lists.is_null(i)).then(|| {
                let v = lists.value(i);
                v.as_primitive::<Float64Type>().iter().collect()
            })
        };
        let out: ArrayRef =
            match self.kind {
                Kind::Slope => Arc::new(Float64Array::from_iter(
                    (0..lists.len()).map(|i| series(i).and_then(|s| theil_sen(&s))),
                )),
                Kind::P => Arc::new(Float64Array::from_iter(
                    (0..lists.len()).map(|i| series(i).and_then(|s| mann_kendall_p(&s))),
                )),
                Kind::Verdict => Arc::new(StringArray::from_iter((0..lists.len()).map(|i| {
                    series(i).map(|s| verdict(&s, better.is_null(i) || better.value(i)))
                }))),
            };
        Ok(ColumnarValue::Array(out))
    }
}

/// The three trend functions.
pub fn functions() -> Vec<ScalarUDF> {
    [(Kind::Slope, 1), (Kind::P, 1), (Kind::Verdict, 2)]
        .into_iter()
        .map(|(kind, arity)| {
            ScalarUDF::new_from_impl(TrendFn {
                kind,
                signature: Signature::any(arity, Volatility::Immutable),
            })
        })
        .collect()
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
    fn verdict_depends_on_which_way_is_better() {
        let rising = s(&[1., 2., 3., 4., 5., 6., 7., 8.]);
        assert_eq!(verdict(&rising, true), "improving");
        assert_eq!(verdict(&rising, false), "worsening");
        assert_eq!(
            verdict(&s(&[2., 1., 2., 1., 2., 1.]), true),
            "no clear trend"
        );
        assert_eq!(verdict(&s(&[1., 2.]), true), "insufficient data");
    }
}
