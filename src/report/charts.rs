//! Charts as standalone SVG, drawn with plotters: line charts for the 13-month trends, bar
//! charts for weekly flow, aging and breaches, and sparklines for the portfolio. Every chart
//! gets a `<title>` and `<desc>` for screen readers, scales with its container (viewBox) and
//! carries only text that has been cleaned of control characters; plotters escapes markup.

use plotters::prelude::*;

use super::fmt::clean;
use crate::error::{Error, Result};

/// Okabe-Ito colours: distinguishable with colour-vision deficiencies.
pub const PALETTE: [RGBColor; 5] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(230, 159, 0),
    RGBColor(86, 86, 86),
];

/// One named series; `None` leaves a gap.
pub struct Series {
    /// Legend text.
    pub name: String,
    /// One value per x label.
    pub values: Vec<Option<f64>>,
}

const SIZE: (u32, u32) = (720, 280);

fn err(chart: &str) -> impl Fn(String) -> Error + '_ {
    move |message| Error::Chart {
        chart: chart.to_string(),
        message,
    }
}

/// Insert an accessible title and description after the `<svg ...>` tag.
fn accessible(svg: String, title: &str, desc: &str) -> String {
    let esc = super::html::escape;
    match svg.find('>') {
        Some(i) if svg.starts_with("<svg") => format!(
            "<svg role=\"img\"{}><title>{}</title><desc>{}</desc>{}",
            &svg[4..i],
            esc(&clean(title)),
            esc(&clean(desc)),
            &svg[i + 1..]
        ),
        _ => svg,
    }
}

fn y_range(values: impl Iterator<Item = f64>, floor_zero: bool, extra: Option<f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.chain(extra) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if floor_zero {
        lo = lo.min(0.0);
    }
    let pad = ((hi - lo) * 0.1).max(1e-9).max(hi.abs() * 0.02);
    (if floor_zero { lo } else { lo - pad }, hi + pad)
}

/// What a chart is called: file stem, accessible title and description.
pub struct Labels<'a> {
    /// File stem (for error messages).
    pub name: &'a str,
    /// `<title>`.
    pub title: &'a str,
    /// `<desc>`.
    pub desc: &'a str,
}

/// A line chart over labelled x positions, with an optional dashed target line.
pub fn line(
    labels: Labels,
    x: &[String],
    series: &[Series],
    target: Option<f64>,
    y_fmt: &dyn Fn(f64) -> String,
    floor_zero: bool,
) -> Result<String> {
    let Labels { name, title, desc } = labels;
    let e = err(name);
    let mut buf = String::new();
    let all = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied());
    let (lo, hi) = y_range(all, floor_zero, target);
    let n = x.len().max(1);
    {
        let root = SVGBackend::with_string(&mut buf, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(x.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(64)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), lo..hi)
            .map_err(|x| e(x.to_string()))?;
        let labels: Vec<String> = x.iter().map(|l| clean(l)).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .x_labels(n)
            .x_label_formatter(&|v| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| y_fmt(*v))
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(|x| e(x.to_string()))?;
        if let Some(t) = target {
            chart
                .draw_series(DashedLineSeries::new(
                    [(-0.5, t), (n as f64 - 0.5, t)],
                    6,
                    4,
                    PALETTE[4].stroke_width(1),
                ))
                .map_err(|x| e(x.to_string()))?
                .label(format!("target {}", y_fmt(t)))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], PALETTE[4]));
        }
        for (i, s) in series.iter().enumerate() {
            let c = PALETTE[i % 4];
            let pts: Vec<(f64, f64)> = s
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i as f64, v)))
                .collect();
            // Break the line where a month has no value instead of bridging the gap.
            let mut segments: Vec<Vec<(f64, f64)>> = Vec::new();
            for p in &pts {
                match segments.last_mut() {
                    Some(seg) if seg.last().is_some_and(|l| p.0 - l.0 < 1.5) => seg.push(*p),
                    _ => segments.push(vec![*p]),
                }
            }
            for seg in segments {
                chart
                    .draw_series(LineSeries::new(seg, c.stroke_width(2)))
                    .map_err(|x| e(x.to_string()))?;
            }
            chart
                .draw_series(pts.iter().map(|p| Circle::new(*p, 3, c.filled())))
                .map_err(|x| e(x.to_string()))?
                .label(clean(&s.name))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(PALETTE[4])
            .label_font(("sans-serif", 12))
            .draw()
            .map_err(|x| e(x.to_string()))?;
        root.present().map_err(|x| e(x.to_string()))?;
    }
    Ok(accessible(buf, title, desc))
}

/// Grouped bars: one group per x label, one bar per series.
pub fn bars(
    name: &str,
    title: &str,
    desc: &str,
    x: &[String],
    series: &[Series],
) -> Result<String> {
    let e = err(name);
    let mut buf = String::new();
    let all = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied());
    let (_, hi) = y_range(all, true, None);
    let n = x.len().max(1);
    let k = series.len().max(1) as f64;
    {
        let root = SVGBackend::with_string(&mut buf, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(x.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..hi.max(1.0))
            .map_err(|x| e(x.to_string()))?;
        let labels: Vec<String> = x.iter().map(|l| clean(l)).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .x_labels(n)
            .x_label_formatter(&|v| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| {
                // Counts: only whole-number ticks get a label.
                if (v - v.round()).abs() < 1e-9 {
                    format!("{v:.0}")
                } else {
                    String::new()
                }
            })
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(|x| e(x.to_string()))?;
        let width = 0.8 / k;
        for (j, s) in series.iter().enumerate() {
            let c = PALETTE[j % 4];
            let rects = s.values.iter().enumerate().filter_map(|(i, v)| {
                let x0 = i as f64 - 0.4 + j as f64 * width;
                v.map(|v| Rectangle::new([(x0, 0.0), (x0 + width * 0.92, v)], c.filled()))
            });
            let drawn = chart.draw_series(rects).map_err(|x| e(x.to_string()))?;
            if series.len() > 1 {
                drawn.label(clean(&s.name)).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled())
                });
            }
        }
        if series.len() > 1 {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(PALETTE[4])
                .label_font(("sans-serif", 12))
                .draw()
                .map_err(|x| e(x.to_string()))?;
        }
        root.present().map_err(|x| e(x.to_string()))?;
    }
    Ok(accessible(buf, title, desc))
}

/// A small line without axes for the portfolio table.
pub fn sparkline(name: &str, title: &str, values: &[Option<f64>]) -> Result<String> {
    let e = err(name);
    let mut buf = String::new();
    let (lo, hi) = y_range(values.iter().flatten().copied(), false, None);
    {
        let root = SVGBackend::with_string(&mut buf, (120, 28)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(3)
            .build_cartesian_2d(0f64..(values.len().max(2) - 1) as f64, lo..hi)
            .map_err(|x| e(x.to_string()))?;
        let pts = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (i as f64, v)));
        chart
            .draw_series(LineSeries::new(pts, PALETTE[0].stroke_width(2)))
            .map_err(|x| e(x.to_string()))?;
        root.present().map_err(|x| e(x.to_string()))?;
    }
    Ok(accessible(buf, title, title))
}
