//! The check that keeps the simulator honest: with constant Poisson arrivals, exponential service, no breaks, no
//! cool-downs and emotion-blind routing it is an M/M/c queue, whose mean wait the Erlang C formula gives exactly.

use anxin_domain::Policy;
use anyhow::Result;
use serde::Serialize;

use super::{Scenario, run_day};

/// Probability that an arriving customer waits, for `servers` servers offered `offered` Erlangs (λ/μ).
/// Erlang B by its stable recurrence, then C from B.
pub fn erlang_c(servers: u32, offered: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=servers {
        b = offered * b / (f64::from(k) + offered * b);
    }
    let rho = offered / f64::from(servers);
    if rho >= 1.0 {
        return 1.0;
    }
    b / (1.0 - rho * (1.0 - b))
}

/// Mean wait in the queue of an M/M/c system, in the unit of `mean_service`.
pub fn mean_wait(servers: u32, arrival_rate: f64, mean_service: f64) -> f64 {
    let offered = arrival_rate * mean_service;
    let capacity_rate = f64::from(servers) / mean_service;
    if arrival_rate >= capacity_rate {
        return f64::INFINITY;
    }
    erlang_c(servers, offered) / (capacity_rate - arrival_rate)
}

#[derive(Serialize)]
struct Validation {
    servers: u32,
    hours: f64,
    conversations: usize,
    utilisation: f64,
    simulated_mean_wait_s: f64,
    /// Erlang C with the scenario's nominal arrival rate and mean service time.
    erlang_c_mean_wait_s: f64,
    /// Erlang C with the arrival rate and mean service time the drawn day realised: the check of the queueing
    /// itself, free of the sampling noise in the inputs (at 85% the wait moves ~10% per point of utilisation).
    erlang_c_realised_mean_wait_s: f64,
    relative_error: f64,
    within_5_percent: bool,
}

pub fn validate(mut scenario: Scenario, hours: Option<f64>, json: bool) -> Result<()> {
    scenario.hours = hours.unwrap_or(20_000.0);
    scenario.variation = 0.0;
    scenario.break_minutes = 0.0;
    scenario.exponential_service = true;
    scenario.new_agent_share = 0.0;
    scenario.trigger_share = 0.0;
    scenario.validate()?;
    let report = run_day(&scenario, Policy::LeastBusy, false);
    let servers = scenario.agents as u32 * u32::from(scenario.capacity);
    let nominal = mean_wait(servers, scenario.mean_rate(), scenario.mean_handle_secs());
    let realised_rate = report.conversations as f64 / (scenario.hours * 3600.0);
    let expected = mean_wait(servers, realised_rate, report.mean_handle_s);
    let error = (report.mean_wait_s - expected) / expected;
    let result = Validation {
        servers,
        hours: scenario.hours,
        conversations: report.conversations,
        utilisation: report.utilisation,
        simulated_mean_wait_s: report.mean_wait_s,
        erlang_c_mean_wait_s: nominal,
        erlang_c_realised_mean_wait_s: expected,
        relative_error: error,
        within_5_percent: error.abs() <= 0.05,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        println!(
            "M/M/{servers}, {} h, {} customers, utilisation {:.1}%: simulated mean wait {:.2} s, Erlang C {:.2} s \
             for the realised arrivals and service ({:.2} s nominal), error {:+.1}% ({})",
            scenario.hours,
            result.conversations,
            result.utilisation * 100.0,
            result.simulated_mean_wait_s,
            expected,
            nominal,
            error * 100.0,
            if result.within_5_percent { "within 5%" } else { "NOT within 5%" }
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_matches_textbook_values() {
        // One server: P(wait) = ρ and Wq = ρ/(μ − λ).
        assert!((erlang_c(1, 0.5) - 0.5).abs() < 1e-12);
        assert!((mean_wait(1, 0.5, 1.0) - 1.0).abs() < 1e-12);
        // Two servers at a = 1: C = 1/3 (closed form 2ρ²/(1+ρ) with ρ = 0.5).
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        // The classic staffing example: 10 Erlangs on 11 servers waits with probability ≈ 0.6821.
        assert!((erlang_c(11, 10.0) - 0.6821).abs() < 1e-3);
        assert_eq!(mean_wait(3, 3.0, 1.0), f64::INFINITY);
    }

    #[test]
    fn the_simulator_agrees_with_erlang_c() {
        // A small, fast system: 5 servers at 80%, long enough to average out.
        let scenario = Scenario {
            agents: 5,
            hours: 3000.0,
            load: 0.8,
            variation: 0.0,
            break_minutes: 0.0,
            exponential_service: true,
            new_agent_share: 0.0,
            trigger_share: 0.0,
            ..Scenario::default()
        };
        let report = run_day(&scenario, Policy::LeastBusy, false);
        let rate = report.conversations as f64 / (scenario.hours * 3600.0);
        let expected = mean_wait(5, rate, report.mean_handle_s);
        let error = (report.mean_wait_s - expected) / expected;
        assert!(error.abs() < 0.05, "simulated {} vs Erlang C {expected}", report.mean_wait_s);
    }
}
