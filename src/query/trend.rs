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

pub use crate::insights::stats::{ALPHA, MIN_POINTS, mann_kendall_p, theil_sen};

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
