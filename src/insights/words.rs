//! How findings read: durations, shares and ratios in words, and each dimension's name in a
//! sentence. One place, so every sentence formats numbers the same way.

/// A duration in seconds, in the unit a reader expects: `42 min`, `5.3 h`, `2.1 d`.
pub fn duration(s: f64) -> String {
    if s < 3600.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 2.0 * 86_400.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} d", s / 86_400.0)
    }
}

/// A share (0-1) as a percentage.
pub fn pct(x: f64) -> String {
    if x < 0.1 {
        format!("{:.1} %", 100.0 * x)
    } else {
        format!("{:.0} %", 100.0 * x)
    }
}

/// A ratio as `2.3×`.
pub fn times(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}×")
    } else {
        format!("{x:.1}×")
    }
}

/// A relative change as `+140 %` or `−35 %`.
pub fn change(x: f64) -> String {
    let v = (100.0 * x).round();
    if v >= 0.0 {
        format!("+{v:.0} %")
    } else {
        format!("−{:.0} %", -v)
    }
}

/// The plural noun for a dimension's values in a sentence.
pub fn plural(dimension: &str) -> &'static str {
    match dimension {
        "category" => "categories",
        "location" => "locations",
        "assignment_group" => "assignment groups",
        "assignee" => "assignees",
        "requester" => "requesters",
        "service" => "services",
        "priority" => "priorities",
        "config_item" => "configuration items",
        _ => "values",
    }
}

/// `Incidents` or `Incidents for <dimension> <value>`: the subject of a series' sentence.
pub fn subject(dimension: &str, value: &str) -> String {
    match dimension {
        "overall" => "Incidents".to_string(),
        "assignee" => format!("Incidents assigned to {value}"),
        "assignment_group" => format!("Incidents assigned to group {value}"),
        "requester" => format!("Incidents raised by {value}"),
        "location" => format!("Incidents in {value}"),
        "config_item" => format!("Incidents on {value}"),
        _ => format!("{value} incidents"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_in_the_units_people_use() {
        assert_eq!(duration(2520.0), "42 min");
        assert_eq!(duration(19_080.0), "5.3 h");
        assert_eq!(duration(3.0 * 86_400.0), "3.0 d");
        assert_eq!(pct(0.672), "67 %");
        assert_eq!(pct(0.052), "5.2 %");
        assert_eq!(times(2.34), "2.3×");
        assert_eq!(times(12.4), "12×");
        assert_eq!(change(1.4), "+140 %");
        assert_eq!(change(-0.35), "−35 %");
        assert_eq!(subject("location", "Australia"), "Incidents in Australia");
    }
}
