//! Reports: self-contained HTML for people, with `summary.json` and CSV tables beside it for
//! machines. This stage so far renders the dataset's data-quality report.

pub mod html;
pub mod quality;
