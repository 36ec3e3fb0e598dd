//! Size-checked versions of the functions whose result is not bounded by their input:
//! `repeat`, `lpad`, `rpad` and `array_repeat`. A count argument turns a few bytes of SQL
//! into gigabytes (`repeat('x', 1500000000)`), outside DataFusion's memory pool. The session
//! registers each under its own name, wrapping DataFusion's implementation: before the
//! inner function runs, the result's size is worked out from the arguments, and a result
//! over a quarter of `--memory-mb` is refused with an error instead of allocated. What
//! these checks miss (values grown by `||` over many steps, for example) the allocator cap
//! of [`super::memcap`] still stops.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::{cast, kernels::length::length};
use datafusion::arrow::datatypes::{DataType, FieldRef, Int64Type};
use datafusion::common::Result as DfResult;
use datafusion::error::DataFusionError;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::sort_properties::{ExprProperties, SortProperties};
use datafusion::logical_expr::udf_eq::UdfEq;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature,
};
use datafusion::prelude::SessionContext;

/// What one unit of the count argument costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Unit {
    /// The first argument's bytes (`repeat`).
    Text,
    /// One character, at most four bytes in UTF-8 (`lpad`, `rpad`).
    Char,
    /// One element like the first argument (`array_repeat`).
    Element,
}

/// The functions checked, each with the cost of its count (always the second argument).
const CHECKED: &[(&str, Unit)] = &[
    ("repeat", Unit::Text),
    ("lpad", Unit::Char),
    ("rpad", Unit::Char),
    ("array_repeat", Unit::Element),
];

/// The share of the memory limit one function result may take.
const SHARE: usize = 4;

/// Replace the session's checked functions by size-checked wrappers.
pub fn register(ctx: &SessionContext, memory_bytes: usize) -> DfResult<()> {
    for (name, unit) in CHECKED {
        let inner = ctx.udf(name)?;
        let sized = Sized {
            inner: Arc::clone(inner.inner()).into(),
            unit: *unit,
            max_bytes: memory_bytes / SHARE,
            limit_mb: memory_bytes >> 20,
        };
        ctx.register_udf(ScalarUDF::new_from_impl(sized));
    }
    Ok(())
}

/// A function whose result size is checked before it runs.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Sized {
    inner: UdfEq<Arc<dyn ScalarUDFImpl>>,
    unit: Unit,
    /// The largest result allowed, in bytes.
    max_bytes: usize,
    /// `--memory-mb`, for the message.
    limit_mb: usize,
}

/// An argument as an array (a scalar as one row, which every row then uses).
fn array(v: &ColumnarValue) -> DfResult<ArrayRef> {
    match v {
        ColumnarValue::Array(a) => Ok(Arc::clone(a)),
        ColumnarValue::Scalar(s) => s.to_array_of_size(1),
    }
}

impl Sized {
    /// An upper bound of the result's bytes (saturating).
    fn estimate(&self, args: &[ColumnarValue], rows: usize) -> DfResult<u64> {
        let (Some(first), Some(count)) = (args.first(), args.get(1)) else {
            return Ok(0);
        };
        let count = cast(&array(count)?, &DataType::Int64)?;
        let count = count.as_primitive::<Int64Type>();
        let first = array(first)?;
        let text = match self.unit {
            Unit::Text => Some(cast(&length(&first)?, &DataType::Int64)?),
            _ => None,
        };
        // A fixed-width element costs its width; others what the argument holds per row.
        let element = first
            .data_type()
            .primitive_width()
            .unwrap_or_else(|| (first.get_array_memory_size() / first.len().max(1)).max(1))
            as u64;
        let at = |a: &dyn Array, i: usize| if a.len() == 1 { 0 } else { i };
        let mut total = 0u64;
        for i in 0..rows.max(1) {
            let c = at(count, i);
            if count.is_null(c) {
                continue;
            }
            let n = count.value(c).max(0) as u64;
            let unit = match (&text, self.unit) {
                (Some(t), _) => {
                    let t = t.as_primitive::<Int64Type>();
                    let j = at(t, i);
                    if t.is_null(j) {
                        0
                    } else {
                        t.value(j).max(0) as u64
                    }
                }
                (None, Unit::Char) => 4,
                (None, _) => element,
            };
            total = total.saturating_add(n.saturating_mul(unit));
        }
        Ok(total)
    }
}

impl ScalarUDFImpl for Sized {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> DfResult<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> DfResult<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> DfResult<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> DfResult<ExprSimplifyResult> {
        self.inner.simplify(args, info)
    }

    fn output_ordering(&self, inputs: &[ExprProperties]) -> DfResult<SortProperties> {
        self.inner.output_ordering(inputs)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let bytes = self.estimate(&args.args, args.number_rows)?;
        if bytes > self.max_bytes as u64 {
            return Err(DataFusionError::ResourcesExhausted(format!(
                "{}: the result would take up to {} MiB, over the {} MiB one function result \
                 may use (a quarter of --memory-mb {}); narrow it or raise --memory-mb",
                self.name(),
                bytes.div_ceil(1 << 20),
                self.max_bytes >> 20,
                self.limit_mb
            )));
        }
        self.inner.invoke_with_args(args)
    }
}
