//! The calendar functions for SQL, registered wherever ticketlake runs SQL:
//! `business_seconds(start, end, 'calendar')`, `business_add(start, seconds, 'calendar')` and
//! `in_business_hours(ts, 'calendar')`. They use the same laid-out calendars as the SLA
//! engine, so SQL and the `sla` table always agree.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, TimestampMicrosecondArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type, TimeUnit, TimestampMicrosecondType};
use datafusion::common::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::calendar::Calendar;
use super::policy::Policies;

/// Calendars by name, including the built-in `24x7`.
pub type Calendars = BTreeMap<String, Calendar>;

/// Lay out every configured calendar (and `24x7`) over a span wide enough for ad hoc SQL.
pub fn calendars(p: &Policies) -> Arc<Calendars> {
    let d = |y| chrono::NaiveDate::from_ymd_opt(y, 1, 1).expect("valid date");
    let mut out: Calendars = p
        .calendars
        .iter()
        .map(|(n, spec)| (n.clone(), Calendar::build(spec, d(2000), d(2045))))
        .collect();
    out.insert("24x7".into(), Calendar::always("24x7"));
    Arc::new(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    BusinessSeconds,
    BusinessAdd,
    InBusinessHours,
}

/// One of the three calendar functions.
#[derive(Debug)]
struct CalendarFn {
    kind: Kind,
    calendars: Arc<Calendars>,
    signature: Signature,
}

impl PartialEq for CalendarFn {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && Arc::ptr_eq(&self.calendars, &other.calendars)
    }
}

impl Eq for CalendarFn {}

impl Hash for CalendarFn {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
        (Arc::as_ptr(&self.calendars) as usize).hash(state);
    }
}

fn utc_ts() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

impl CalendarFn {
    fn calendar(&self, name: &str) -> DfResult<&Calendar> {
        self.calendars.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.calendars.keys().map(String::as_str).collect();
            DataFusionError::Execution(format!(
                "unknown calendar '{name}'; defined: {} (see [calendars] in ticketlake.toml)",
                known.join(", ")
            ))
        })
    }
}

impl ScalarUDFImpl for CalendarFn {
    fn name(&self) -> &str {
        match self.kind {
            Kind::BusinessSeconds => "business_seconds",
            Kind::BusinessAdd => "business_add",
            Kind::InBusinessHours => "in_business_hours",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(match self.kind {
            Kind::BusinessSeconds => DataType::Int64,
            Kind::BusinessAdd => utc_ts(),
            Kind::InBusinessHours => DataType::Boolean,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let names = cast(
            arrays.last().expect("signature has a calendar argument"),
            &DataType::Utf8,
        )?;
        let names = names.as_string::<i32>();
        let instant = |a: &ArrayRef| -> DfResult<TimestampMicrosecondArray> {
            Ok(cast(a, &utc_ts())?
                .as_primitive::<TimestampMicrosecondType>()
                .clone())
        };
        let a = instant(&arrays[0])?;
        let n = a.len();
        let mut cached: Option<(&str, &Calendar)> = None;
        let mut cal = |i: usize| -> DfResult<Option<&Calendar>> {
            if names.is_null(i) {
                return Ok(None);
            }
            let name = names.value(i);
            match cached {
                Some((c, cal)) if c == name => Ok(Some(cal)),
                _ => {
                    let c = self.calendar(name)?;
                    cached = Some((name, c));
                    Ok(Some(c))
                }
            }
        };
        let out: ArrayRef = match self.kind {
            Kind::BusinessSeconds => {
                let b = instant(&arrays[1])?;
                let mut v = Vec::with_capacity(n);
                for i in 0..n {
                    let c = cal(i)?;
                    v.push(match (c, a.is_valid(i) && b.is_valid(i)) {
                        (Some(c), true) => Some(c.business_seconds(a.value(i), b.value(i))),
                        _ => None,
                    });
                }
                Arc::new(Int64Array::from(v))
            }
            Kind::BusinessAdd => {
                let secs = cast(&arrays[1], &DataType::Int64)?;
                let secs = secs.as_primitive::<Int64Type>();
                let mut v = Vec::with_capacity(n);
                for i in 0..n {
                    let c = cal(i)?;
                    v.push(match (c, a.is_valid(i) && secs.is_valid(i)) {
                        (Some(c), true) => {
                            c.business_add(a.value(i), secs.value(i).saturating_mul(1_000_000))
                        }
                        _ => None,
                    });
                }
                Arc::new(TimestampMicrosecondArray::from(v).with_timezone("UTC"))
            }
            Kind::InBusinessHours => {
                let mut v = Vec::with_capacity(n);
                for i in 0..n {
                    let c = cal(i)?;
                    v.push(
                        c.filter(|_| a.is_valid(i))
                            .map(|c| c.in_business_hours(a.value(i))),
                    );
                }
                Arc::new(BooleanArray::from(v))
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// The three functions over `calendars`.
pub fn functions(calendars: Arc<Calendars>) -> Vec<ScalarUDF> {
    [
        (Kind::BusinessSeconds, 3),
        (Kind::BusinessAdd, 3),
        (Kind::InBusinessHours, 2),
    ]
    .into_iter()
    .map(|(kind, arity)| {
        ScalarUDF::new_from_impl(CalendarFn {
            kind,
            calendars: calendars.clone(),
            signature: Signature::any(arity, Volatility::Immutable),
        })
    })
    .collect()
}
