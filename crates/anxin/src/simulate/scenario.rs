//! The simulated contact-centre day: who arrives when, with which emotion, needing how long — drawn once from the
//! seed, so every policy meets exactly the same customers and the same agents (common random numbers).

use anxin_domain::routing::{AgentState, Protection, WaitingConversation};
use anxin_domain::{ComplaintType, Emotion, Flags, Priority};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What the day looks like. `load` is the offered handling work over the scheduled agent capacity.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub agents: usize,
    pub hours: f64,
    pub load: f64,
    pub hostile_share: f64,
    pub seed: u64,
    /// Conversations an agent handles at once.
    pub capacity: u16,
    /// Amplitude of the arrival rate's swing over the day (two peaks): 0.1 means ±10%.
    pub variation: f64,
    /// Each agent's break in the middle of the shift, staggered across agents.
    pub break_minutes: f64,
    /// Exponential handle times with one mean for every emotion (the M/M/c validation).
    pub exponential_service: bool,
    /// Share of agents still new (experience 0: no hostile customers while others can take them).
    pub new_agent_share: f64,
    /// Share of agents who declared refund disputes a personal trigger.
    pub trigger_share: f64,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            agents: 50,
            hours: 8.0,
            load: 0.85,
            hostile_share: 0.12,
            seed: 1,
            capacity: 1,
            variation: 0.08,
            break_minutes: 15.0,
            exponential_service: false,
            new_agent_share: 0.08,
            trigger_share: 0.1,
        }
    }
}

/// The non-hostile part of the day's emotion mix (shares of the customers who are not hostile), with mean handle
/// times in seconds: angry customers take longest, satisfied ones least (our assumption, stated in the model card
/// of the simulator in docs/ROUTING.md).
const CALMER_MIX: [(Emotion, f64, f64); 5] = [
    (Emotion::Anger, 0.05, 480.0),
    (Emotion::Anxiety, 0.30, 330.0),
    (Emotion::Disappointment, 0.18, 390.0),
    (Emotion::Neutral, 0.40, 240.0),
    (Emotion::Satisfied, 0.07, 180.0),
];
const HOSTILE_HANDLE_SECS: f64 = 480.0;
/// Coefficient of variation of handle times (log-normal): chats vary a lot.
const HANDLE_CV: f64 = 0.7;

/// One customer of the day.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub at_ms: i64,
    pub conversation: WaitingConversation,
    pub handle_ms: i64,
}

/// The drawn day: arrivals in time order and the roster.
pub struct Day {
    pub arrivals: Vec<Arrival>,
    pub agents: Vec<AgentState>,
    /// Each agent's break (start, end) in ms, if any.
    pub breaks: Vec<Option<(i64, i64)>>,
}

impl Scenario {
    pub fn validate(&self) -> anyhow::Result<()> {
        let checks = [
            (self.agents >= 1 && self.agents <= 100_000, "--agents must be between 1 and 100000"),
            (self.hours > 0.0 && self.hours <= 100_000.0, "--hours must be above 0 and at most 100000"),
            (self.load > 0.0 && self.load < 1.5, "--load must be above 0 and below 1.5"),
            ((0.0..=1.0).contains(&self.hostile_share), "--hostile-share must be between 0 and 1"),
            (self.capacity >= 1 && self.capacity <= 20, "--capacity must be between 1 and 20"),
            ((0.0..1.0).contains(&self.variation), "--variation must be at least 0 and below 1"),
            ((0.0..=120.0).contains(&self.break_minutes), "--break-minutes must be between 0 and 120"),
        ];
        for (ok, message) in checks {
            anyhow::ensure!(ok, "{message}");
        }
        Ok(())
    }

    /// Mean handle time of the mix, in seconds.
    pub fn mean_handle_secs(&self) -> f64 {
        let calm: f64 = CALMER_MIX.iter().map(|(_, share, secs)| share * secs).sum();
        self.hostile_share * HOSTILE_HANDLE_SECS + (1.0 - self.hostile_share) * calm
    }

    /// Arrival rate (per second) that offers `load` of the scheduled capacity.
    pub fn mean_rate(&self) -> f64 {
        let day_secs = self.hours * 3600.0;
        let on_duty = (day_secs - self.break_minutes * 60.0).max(0.0) / day_secs;
        self.load * self.agents as f64 * f64::from(self.capacity) * on_duty / self.mean_handle_secs()
    }

    /// The arrival rate at a moment: two gentle peaks over the day (late morning, mid-afternoon), averaging to
    /// the mean over the day.
    fn rate_at(&self, t_secs: f64) -> f64 {
        let phase = 2.0 * std::f64::consts::PI * 2.0 * t_secs / (self.hours * 3600.0);
        self.mean_rate() * (1.0 + self.variation * phase.sin())
    }

    pub fn draw(&self) -> Day {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let protection = Protection::default();
        let day_secs = self.hours * 3600.0;
        let peak = self.mean_rate() * (1.0 + self.variation);
        let mean_handle = self.mean_handle_secs();
        // Time-varying Poisson arrivals by thinning: candidates at the peak rate, kept with rate(t)/peak.
        let mut arrivals = Vec::new();
        let mut t = 0.0;
        let mut id = 0;
        loop {
            t += exponential(&mut rng, 1.0 / peak);
            if t >= day_secs {
                break;
            }
            if rng.random::<f64>() * peak > self.rate_at(t) {
                continue;
            }
            id += 1;
            let (emotion, intensity, handle_mean) = if rng.random::<f64>() < self.hostile_share {
                (Emotion::Anger, rng.random_range(protection.hostile_threshold..=1.0), HOSTILE_HANDLE_SECS)
            } else {
                let (emotion, mean) = pick_calmer(rng.random::<f64>());
                let intensity = match emotion {
                    Emotion::Anger => rng.random_range(0.2..protection.hostile_threshold),
                    Emotion::Neutral => rng.random_range(0.0..0.4),
                    _ => rng.random_range(0.2..0.9),
                };
                (emotion, intensity, mean)
            };
            let handle_secs = if self.exponential_service {
                exponential(&mut rng, mean_handle)
            } else {
                log_normal(&mut rng, handle_mean, HANDLE_CV)
            };
            let at_ms = (t * 1000.0) as i64;
            let mut conversation = WaitingConversation::new(id, at_ms, emotion, intensity, &protection);
            if emotion.is_negative() {
                conversation.complaint = Some(ComplaintType::ALL[rng.random_range(0..ComplaintType::ALL.len())]);
            }
            if rng.random::<f64>() < 0.05 {
                conversation.priority = Priority::High;
            }
            arrivals.push(Arrival { at_ms, conversation, handle_ms: (handle_secs * 1000.0).max(1000.0) as i64 });
        }
        let mut agents = Vec::with_capacity(self.agents);
        let mut breaks = Vec::with_capacity(self.agents);
        for index in 0..self.agents {
            let mut agent = AgentState::new(index as i64 + 1, self.capacity);
            agent.experience = if rng.random::<f64>() < self.new_agent_share { 0 } else { rng.random_range(1..=3) };
            if rng.random::<f64>() < self.trigger_share {
                agent.triggers = Flags::of([ComplaintType::RefundReturn]);
            }
            agents.push(agent);
            // Breaks staggered evenly between 30% and 70% of the day.
            breaks.push((self.break_minutes > 0.0).then(|| {
                let share = 0.3 + 0.4 * (index as f64 + 0.5) / self.agents as f64;
                let start = (share * day_secs * 1000.0) as i64;
                (start, start + (self.break_minutes * 60_000.0) as i64)
            }));
        }
        Day { arrivals, agents, breaks }
    }
}

fn pick_calmer(u: f64) -> (Emotion, f64) {
    let mut acc = 0.0;
    for (emotion, share, secs) in CALMER_MIX {
        acc += share;
        if u < acc {
            return (emotion, secs);
        }
    }
    let (emotion, _, secs) = CALMER_MIX[CALMER_MIX.len() - 1];
    (emotion, secs)
}

fn exponential(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    // 1 − U lies in (0, 1], so the logarithm is finite.
    -mean * (1.0 - rng.random::<f64>()).ln()
}

fn log_normal(rng: &mut ChaCha8Rng, mean: f64, cv: f64) -> f64 {
    let sigma2 = (1.0 + cv * cv).ln();
    let mu = mean.ln() - sigma2 / 2.0;
    // Box–Muller.
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    (mu + sigma2.sqrt() * normal).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_offers_the_asked_load_and_hostile_share() {
        let scenario = Scenario { hours: 40.0, ..Scenario::default() };
        let day = scenario.draw();
        let offered: f64 = day.arrivals.iter().map(|a| a.handle_ms as f64 / 1000.0).sum();
        let capacity = scenario.agents as f64 * (scenario.hours * 3600.0 - scenario.break_minutes * 60.0);
        let load = offered / capacity;
        assert!((load - 0.85).abs() < 0.03, "offered load {load}");
        let hostile = day.arrivals.iter().filter(|a| a.conversation.hostile).count() as f64;
        let share = hostile / day.arrivals.len() as f64;
        assert!((share - 0.12).abs() < 0.01, "hostile share {share}");
        assert!(day.arrivals.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
        assert!(day.arrivals.iter().all(|a| a.conversation.hostile == (a.conversation.intensity >= 0.6
            && a.conversation.emotion == Emotion::Anger)));
    }

    #[test]
    fn the_same_seed_draws_the_same_day_and_another_seed_another() {
        let a = Scenario::default().draw();
        let b = Scenario::default().draw();
        let c = Scenario { seed: 2, ..Scenario::default() }.draw();
        let key = |d: &Day| d.arrivals.iter().map(|a| (a.at_ms, a.handle_ms)).collect::<Vec<_>>();
        assert_eq!(key(&a), key(&b));
        assert_ne!(key(&a), key(&c));
    }

    #[test]
    fn arrivals_follow_the_day_curve() {
        let scenario = Scenario { hours: 400.0, variation: 0.5, break_minutes: 0.0, ..Scenario::default() };
        let day = scenario.draw();
        // The first eighth of each quarter-period is near the peak, the fifth eighth near the trough.
        let period_ms = (scenario.hours * 3600.0 * 1000.0 / 2.0) as i64;
        let (mut high, mut low) = (0, 0);
        for a in &day.arrivals {
            match (a.at_ms % period_ms) * 8 / period_ms {
                1 | 2 => high += 1,
                5 | 6 => low += 1,
                _ => {}
            }
        }
        assert!(high as f64 > 1.5 * low as f64, "high {high} low {low}");
    }

    #[test]
    fn bad_scenarios_are_refused_with_the_flag_named() {
        let cases = [
            Scenario { agents: 0, ..Scenario::default() },
            Scenario { load: 0.0, ..Scenario::default() },
            Scenario { load: f64::NAN, ..Scenario::default() },
            Scenario { hostile_share: 1.5, ..Scenario::default() },
            Scenario { hours: -1.0, ..Scenario::default() },
            Scenario { capacity: 0, ..Scenario::default() },
        ];
        for scenario in cases {
            let error = scenario.validate().unwrap_err().to_string();
            assert!(error.starts_with("--"), "{error}");
        }
        Scenario::default().validate().unwrap();
    }
}
