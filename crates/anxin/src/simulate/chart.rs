//! The per-agent exposure chart: one panel per policy, agents sorted from most to least emotional load, with the
//! hostile conversations each took marked above the bar. Plain SVG, drawn here (no charting library needed).

use std::fmt::Write;

use super::Report;

const WIDTH: f64 = 960.0;
const PANEL: f64 = 200.0;
const LEFT: f64 = 56.0;
const TOP: f64 = 34.0;

pub fn exposure_svg(reports: &[Report]) -> String {
    let height = reports.len() as f64 * PANEL + 24.0;
    let top_load = reports.iter().flat_map(|r| r.agent_load.iter().copied()).fold(0.0f64, f64::max).max(1e-9);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="12">"##
    );
    svg.push_str(r##"<rect width="100%" height="100%" fill="#fff"/>"##);
    for (panel, report) in reports.iter().enumerate() {
        let y0 = panel as f64 * PANEL;
        let plot_height = PANEL - TOP - 24.0;
        let base = y0 + TOP + plot_height;
        let _ = write!(
            svg,
            r##"<text x="{LEFT}" y="{}" font-weight="bold">{} — load Gini {:.3}, max hostile streak {}, mean wait {:.1} s</text>"##,
            y0 + 20.0,
            report.policy,
            report.load_gini,
            report.max_hostile_streak,
            report.mean_wait_s
        );
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{base}" x2="{}" y2="{base}" stroke="#888"/><text x="{}" y="{}" text-anchor="end">{:.1}</text><text x="{}" y="{}" text-anchor="end">0</text>"##,
            WIDTH - 10.0,
            LEFT - 6.0,
            y0 + TOP + 4.0,
            top_load,
            LEFT - 6.0,
            base
        );
        let mut order: Vec<usize> = (0..report.agent_load.len()).collect();
        order.sort_by(|a, b| report.agent_load[*b].total_cmp(&report.agent_load[*a]));
        let slot = (WIDTH - LEFT - 10.0) / order.len().max(1) as f64;
        for (position, agent) in order.iter().enumerate() {
            let load = report.agent_load[*agent];
            let bar = load / top_load * plot_height;
            let x = LEFT + position as f64 * slot;
            let hostile = report.agent_hostile[*agent];
            let _ = write!(
                svg,
                r##"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{bar:.1}" fill="#4a7bd0"><title>agent {} · load {load:.2} · hostile {hostile}</title></rect>"##,
                base - bar,
                (slot * 0.8).max(1.0),
                agent + 1
            );
            if hostile > 0 {
                let _ = write!(
                    svg,
                    r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="9" fill="#c0392b">{hostile}</text>"##,
                    x + slot * 0.4,
                    base - bar - 3.0
                );
            }
        }
    }
    let _ = write!(
        svg,
        r##"<text x="{LEFT}" y="{}" fill="#555">bars: each agent's emotional load over the day, most to least; red numbers: hostile conversations taken</text></svg>"##,
        height - 8.0
    );
    svg
}
