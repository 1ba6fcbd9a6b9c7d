//! `anxin simulate`: a discrete-event simulation of a contact-centre day that routes with the server's own code
//! (`anxin_domain::routing`), to show what each policy does to waiting customers and to the agents.

mod chart;
mod erlang;
mod scenario;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::PathBuf;

use anxin_domain::Policy;
use anxin_domain::routing::{self, AgentState, RoutingSettings, WaitQueue, WaitingConversation};
use anyhow::{Context, Result};
use serde::Serialize;

pub use scenario::Scenario;

#[derive(clap::Args)]
pub struct SimulateArgs {
    /// emotion_aware, least_busy or round_robin; without it, all three on the same day, side by side.
    #[arg(long, value_parser = parse_policy)]
    policy: Option<Policy>,
    #[arg(long, default_value_t = 50)]
    agents: usize,
    #[arg(long, default_value_t = 8.0)]
    hours: f64,
    /// Offered handling work over the scheduled capacity (0.85 = 85%).
    #[arg(long, default_value_t = 0.85)]
    load: f64,
    /// Share of customers who are hostile (anger at or above the hostile threshold).
    #[arg(long, default_value_t = 0.12)]
    hostile_share: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Conversations one agent handles at once.
    #[arg(long, default_value_t = 1)]
    capacity: u16,
    /// Swing of the arrival rate over the day (two peaks).
    #[arg(long, default_value_t = 0.08)]
    variation: f64,
    #[arg(long, default_value_t = 15.0)]
    break_minutes: f64,
    /// Turn the cool-downs off (what a helpdesk without agent protection does).
    #[arg(long)]
    no_cooldown: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Write an SVG chart of each agent's emotional exposure.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// Check the simulator against the Erlang C formula: constant arrivals, exponential service, no breaks, no
    /// cool-downs, emotion-blind routing (`--hours` defaults to 20000 here).
    #[arg(long)]
    validate: bool,
}

fn parse_policy(text: &str) -> Result<Policy, String> {
    Policy::parse(text).ok_or_else(|| format!("expected one of {}", Policy::spellings().join(", ")))
}

/// What one simulated day produced.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub policy: Policy,
    pub conversations: usize,
    /// Realised mean handle time of the day's customers.
    pub mean_handle_s: f64,
    pub mean_wait_s: f64,
    pub p90_wait_s: f64,
    /// Share answered within 30 seconds.
    pub service_level: f64,
    pub hostile_conversations: usize,
    pub hostile_mean_wait_s: f64,
    pub max_hostile_streak: u32,
    /// How many hostile streaks (runs of consecutive hostile assignments to one agent) had each length: index 0
    /// counts runs of 1, the last entry runs of 6 or more.
    pub hostile_streaks: Vec<u32>,
    /// Gini coefficient of the emotional load each agent took over the day (0 = perfectly even).
    pub load_gini: f64,
    /// Each agent's emotional load over the day (sum of `routing::load_of` of what they were assigned).
    pub agent_load: Vec<f64>,
    /// Each agent's count of hostile conversations.
    pub agent_hostile: Vec<u32>,
    /// Busy time (handling conversations) over on-duty capacity (on-duty time × conversations at once).
    pub utilisation: f64,
    pub cooldowns: u32,
    /// Cool-downs ended early because a calm customer had waited too long.
    pub cooldowns_cut_short: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    // Order matters for simultaneous events: work finishing frees agents before new customers are routed.
    Completion { agent: usize, arrival: usize },
    AgentReady { agent: usize },
    BreakStart { agent: usize },
    BreakEnd { agent: usize },
    Arrival { arrival: usize },
    /// A periodic look at the queue, so rules that depend on elapsed time (trigger grace, starvation) act
    /// even when nothing else happens.
    Tick,
}

const TICK_MS: i64 = 5_000;
const SERVICE_LEVEL_SECS: f64 = 30.0;

/// Runs one day under one policy.
pub fn run_day(scenario: &Scenario, policy: Policy, cooldowns: bool) -> Report {
    let day = scenario.draw();
    let mut settings = RoutingSettings::with_policy(policy);
    if !cooldowns {
        settings.protection.cooldown_secs = 0;
        settings.protection.cooldown_after_cap_secs = 0;
    }
    let mut agents: Vec<AgentState> = day.agents.clone();
    let index_of = |id: i64| (id - 1) as usize;
    let mut queue = WaitQueue::new(&settings);
    let mut events: BinaryHeap<Reverse<(i64, Event)>> = BinaryHeap::new();
    for (i, arrival) in day.arrivals.iter().enumerate() {
        events.push(Reverse((arrival.at_ms, Event::Arrival { arrival: i })));
    }
    for (agent, window) in day.breaks.iter().enumerate() {
        if let Some((start, end)) = window {
            events.push(Reverse((*start, Event::BreakStart { agent })));
            events.push(Reverse((*end, Event::BreakEnd { agent })));
        }
    }
    let day_end_ms = (scenario.hours * 3_600_000.0) as i64;
    events.push(Reverse((TICK_MS, Event::Tick)));

    let mut waits = vec![f64::NAN; day.arrivals.len()];
    let mut streak_runs: Vec<u32> = vec![0; agents.len()];
    let mut streak_histogram = vec![0u32; 6];
    let mut max_streak = 0;
    let mut agent_load = vec![0.0; agents.len()];
    let mut agent_hostile = vec![0u32; agents.len()];
    let mut busy_ms = 0i64;
    let mut cooldown_count = 0;
    let mut cut_short = 0;
    let mut waiting = 0usize;

    let close_run = |run: &mut u32, histogram: &mut Vec<u32>| {
        if *run > 0 {
            histogram[(*run as usize).min(6) - 1] += 1;
            *run = 0;
        }
    };

    let mut assign = |agents: &mut Vec<AgentState>,
                      events: &mut BinaryHeap<Reverse<(i64, Event)>>,
                      arrival: usize,
                      agent_id: i64,
                      now: i64| {
        let a = &day.arrivals[arrival];
        let agent = index_of(agent_id);
        if agents[agent].cooling(now) {
            cut_short += 1;
        }
        agents[agent].on_assigned(&a.conversation, &settings, now);
        waits[arrival] = (now - a.at_ms) as f64 / 1000.0;
        agent_load[agent] += routing::load_of(a.conversation.emotion, a.conversation.intensity);
        if a.conversation.hostile {
            agent_hostile[agent] += 1;
            streak_runs[agent] += 1;
            max_streak = max_streak.max(streak_runs[agent]);
        } else {
            close_run(&mut streak_runs[agent], &mut streak_histogram);
        }
        busy_ms += a.handle_ms;
        events.push(Reverse((now + a.handle_ms, Event::Completion { agent, arrival })));
    };

    // Lets a free agent take conversations from the queue until they are full or nothing fits.
    macro_rules! serve_from_queue {
        ($agent:expr, $now:expr) => {
            while let Some(choice) = queue.choose_for(&settings, &agents[$agent], &agents, $now) {
                let conversation = queue.remove(choice.conversation).expect("chosen from the queue");
                waiting -= 1;
                assign(&mut agents, &mut events, (conversation.id - 1) as usize, choice.agent, $now);
            }
        };
    }

    while let Some(Reverse((now, event))) = events.pop() {
        match event {
            Event::Arrival { arrival } => {
                let conversation: &WaitingConversation = &day.arrivals[arrival].conversation;
                match routing::choose_agent(&settings, conversation, &agents, now) {
                    Some(choice) => assign(&mut agents, &mut events, arrival, choice.agent, now),
                    None => {
                        queue.push(conversation.clone());
                        waiting += 1;
                    }
                }
            }
            Event::Completion { agent, arrival } => {
                let hostile = day.arrivals[arrival].conversation.hostile;
                agents[agent].on_released(hostile, &settings, now);
                if agents[agent].cooling(now) {
                    cooldown_count += 1;
                    events.push(Reverse((agents[agent].cooldown_until_ms, Event::AgentReady { agent })));
                } else {
                    serve_from_queue!(agent, now);
                }
            }
            Event::AgentReady { agent } => serve_from_queue!(agent, now),
            Event::BreakStart { agent } => agents[agent].accepting = false,
            Event::BreakEnd { agent } => {
                agents[agent].accepting = true;
                serve_from_queue!(agent, now);
            }
            Event::Tick => {
                if waiting > 0 {
                    for agent in 0..agents.len() {
                        // Cooling agents too: a customer kept waiting may end a cool-down early.
                        if agents[agent].has_room() {
                            serve_from_queue!(agent, now);
                        }
                    }
                }
                if now < day_end_ms || waiting > 0 {
                    events.push(Reverse((now + TICK_MS, Event::Tick)));
                }
            }
        }
    }
    for run in &mut streak_runs {
        close_run(run, &mut streak_histogram);
    }
    let on_duty_ms: i64 = day
        .breaks
        .iter()
        .map(|window| day_end_ms - window.map_or(0, |(start, end)| end - start))
        .sum();
    let hostile_waits: Vec<f64> =
        day.arrivals.iter().zip(&waits).filter(|(a, _)| a.conversation.hostile).map(|(_, w)| *w).collect();
    Report {
        policy,
        conversations: waits.len(),
        mean_handle_s: day.arrivals.iter().map(|a| a.handle_ms as f64 / 1000.0).sum::<f64>()
            / day.arrivals.len().max(1) as f64,
        mean_wait_s: mean(&waits),
        p90_wait_s: percentile(&waits, 0.9),
        service_level: waits.iter().filter(|w| **w <= SERVICE_LEVEL_SECS).count() as f64 / waits.len().max(1) as f64,
        hostile_conversations: hostile_waits.len(),
        hostile_mean_wait_s: mean(&hostile_waits),
        max_hostile_streak: max_streak,
        hostile_streaks: streak_histogram,
        load_gini: gini(&agent_load),
        agent_load,
        agent_hostile,
        utilisation: busy_ms as f64 / (on_duty_ms.max(1) as f64 * f64::from(scenario.capacity)),
        cooldowns: cooldown_count,
        cooldowns_cut_short: cut_short,
    }
}

pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() { 0.0 } else { values.iter().sum::<f64>() / values.len() as f64 }
}

/// Nearest-rank percentile.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Gini coefficient: mean absolute difference over twice the mean (0 even, towards 1 concentrated).
pub fn gini(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let total: f64 = values.iter().sum();
    if values.is_empty() || total <= 0.0 {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    // Sorted form of Σ|xi − xj| / (2 n² mean): Σ (2i − n − 1) xi / (n Σ x), i from 1.
    let weighted: f64 = sorted.iter().enumerate().map(|(i, x)| (2.0 * (i as f64 + 1.0) - n - 1.0) * x).sum();
    weighted / (n * total)
}

pub fn run(args: SimulateArgs) -> Result<()> {
    let mut scenario = Scenario {
        agents: args.agents,
        hours: args.hours,
        load: args.load,
        hostile_share: args.hostile_share,
        seed: args.seed,
        capacity: args.capacity,
        variation: args.variation,
        break_minutes: args.break_minutes,
        ..Scenario::default()
    };
    if args.validate {
        return erlang::validate(scenario, args.hours_given(), args.json);
    }
    scenario.validate()?;
    let policies: Vec<Policy> = match args.policy {
        Some(policy) => vec![policy],
        None => Policy::ALL.to_vec(),
    };
    let reports: Vec<Report> = policies.iter().map(|p| run_day(&scenario, *p, !args.no_cooldown)).collect();
    if let Some(path) = &args.svg {
        std::fs::write(path, chart::exposure_svg(&reports))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    scenario.seed = args.seed;
    if args.json {
        let value = if reports.len() == 1 {
            serde_json::to_value(&reports[0])?
        } else {
            serde_json::Value::Object(
                reports.iter().map(|r| Ok((r.policy.to_string(), serde_json::to_value(r)?))).collect::<Result<_>>()?,
            )
        };
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print_table(&scenario, &reports, !args.no_cooldown);
    }
    Ok(())
}

impl SimulateArgs {
    /// `--hours` as given, or `None` when left at its default (validation then runs longer).
    fn hours_given(&self) -> Option<f64> {
        (self.hours != 8.0).then_some(self.hours)
    }
}

fn print_table(scenario: &Scenario, reports: &[Report], cooldowns: bool) {
    println!(
        "{} agents × {} h, load {:.0}%, hostile {:.0}%, capacity {}, seed {}, cool-downs {}",
        scenario.agents,
        scenario.hours,
        scenario.load * 100.0,
        scenario.hostile_share * 100.0,
        scenario.capacity,
        scenario.seed,
        if cooldowns { "on" } else { "off" }
    );
    println!(
        "{:<14} {:>7} {:>10} {:>9} {:>8} {:>12} {:>10} {:>9} {:>6} {:>10}",
        "policy", "convs", "mean wait", "p90 wait", "SL 30s", "hostile wait", "max streak", "load Gini", "util", "cool-downs (cut short)"
    );
    for r in reports {
        println!(
            "{:<14} {:>7} {:>9.1}s {:>8.1}s {:>7.1}% {:>11.1}s {:>10} {:>9.3} {:>5.1}% {:>10} ({})",
            r.policy.as_str(),
            r.conversations,
            r.mean_wait_s,
            r.p90_wait_s,
            r.service_level * 100.0,
            r.hostile_mean_wait_s,
            r.max_hostile_streak,
            r.load_gini,
            r.utilisation * 100.0,
            r.cooldowns,
            r.cooldowns_cut_short
        );
    }
    println!("hostile streak lengths (runs of 1, 2, 3, 4, 5, 6+):");
    for r in reports {
        println!("  {:<14} {:?}", r.policy.as_str(), r.hostile_streaks);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gini_and_percentiles_match_hand_computed_values() {
        assert_eq!(gini(&[1.0, 1.0, 1.0, 1.0]), 0.0);
        assert!((gini(&[0.0, 0.0, 0.0, 4.0]) - 0.75).abs() < 1e-12);
        assert!((gini(&[1.0, 2.0, 3.0]) - 2.0 / 9.0).abs() < 1e-12);
        assert_eq!(gini(&[]), 0.0);
        assert_eq!(percentile(&[5.0, 1.0, 3.0, 2.0, 4.0], 0.9), 5.0);
        assert_eq!(percentile(&[5.0, 1.0, 3.0, 2.0, 4.0], 0.5), 3.0);
        assert_eq!(mean(&[]), 0.0);
    }

    fn small() -> Scenario {
        Scenario { agents: 12, hours: 4.0, ..Scenario::default() }
    }

    #[test]
    fn every_customer_is_served_and_the_streak_cap_holds_only_under_emotion_aware() {
        let scenario = Scenario { hostile_share: 0.5, ..small() };
        let aware = run_day(&scenario, Policy::EmotionAware, true);
        let blind = run_day(&scenario, Policy::LeastBusy, false);
        for report in [&aware, &blind] {
            assert!(report.conversations > 100);
            assert!(report.agent_hostile.iter().sum::<u32>() as usize == report.hostile_conversations);
            assert!(report.mean_wait_s.is_finite(), "someone was never served");
        }
        assert!(aware.max_hostile_streak <= 3, "{}", aware.max_hostile_streak);
        assert!(blind.max_hostile_streak > 3, "a half-hostile day gives long streaks without the cap");
        assert_eq!(aware.hostile_streaks[3..].iter().sum::<u32>(), 0);
    }

    #[test]
    fn the_same_seed_gives_the_same_report() {
        let a = run_day(&small(), Policy::RoundRobin, true);
        let b = run_day(&small(), Policy::RoundRobin, true);
        assert_eq!(a.mean_wait_s, b.mean_wait_s);
        assert_eq!(a.agent_load, b.agent_load);
    }

    #[test]
    fn cool_downs_cost_capacity() {
        let with = run_day(&small(), Policy::LeastBusy, true);
        let without = run_day(&small(), Policy::LeastBusy, false);
        assert!(with.cooldowns > 0 && without.cooldowns == 0);
        assert!(with.mean_wait_s >= without.mean_wait_s);
    }
}
