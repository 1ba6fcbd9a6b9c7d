//! `anxin bench routing`: the latency of one routing decision at contact-centre scale — a new conversation
//! choosing among thousands of agents, and a freed agent choosing from tens of thousands of waiting customers.

use std::time::Instant;

use anxin_domain::routing::{self, AgentState, DecayingLoad, Protection, RoutingSettings, WaitQueue, WaitingConversation};
use anxin_domain::{ChannelKind, ComplaintType, Emotion, Flags, Language, Policy, Priority};
use anyhow::Result;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(clap::Args)]
pub struct RoutingArgs {
    #[arg(long, default_value_t = 5_000)]
    agents: usize,
    #[arg(long, default_value_t = 50_000)]
    waiting: usize,
    /// Decisions of each kind to time.
    #[arg(long, default_value_t = 20_000)]
    decisions: usize,
    #[arg(long, default_value = "emotion_aware", value_parser = |s: &str| Policy::parse(s).ok_or("unknown policy"))]
    policy: Policy,
    #[arg(long)]
    json: bool,
}

const TEAMS: i64 = 20;
const SKILLS: u32 = 16;

fn conversation(rng: &mut ChaCha8Rng, id: i64, now_ms: i64, protection: &Protection) -> WaitingConversation {
    let emotion = Emotion::ALL[rng.random_range(0..Emotion::ALL.len())];
    let intensity = rng.random::<f64>();
    let mut c = WaitingConversation::new(id, now_ms - rng.random_range(0..600_000), emotion, intensity, protection);
    c.team = Some(rng.random_range(0..TEAMS));
    c.language = if rng.random::<f64>() < 0.9 { Language::ZhHans } else { Language::En };
    c.channel = ChannelKind::ALL[rng.random_range(0..ChannelKind::ALL.len())];
    if rng.random::<f64>() < 0.5 {
        c.skills = vec![rng.random_range(0..SKILLS)];
    }
    if emotion.is_negative() {
        c.complaint = Some(ComplaintType::ALL[rng.random_range(0..ComplaintType::ALL.len())]);
    }
    if rng.random::<f64>() < 0.1 {
        c.priority = Priority::High;
    }
    c
}

fn agent(rng: &mut ChaCha8Rng, id: i64, now_ms: i64) -> AgentState {
    let mut a = AgentState::new(id, 3);
    a.active = rng.random_range(0..=3);
    a.accepting = rng.random::<f64>() < 0.9;
    a.teams = vec![rng.random_range(0..TEAMS)];
    if rng.random::<f64>() < 0.3 {
        a.languages = Flags::of([Language::ZhHans, Language::ZhHant]);
    }
    let mut skills: Vec<u32> = (0..4).map(|_| rng.random_range(0..SKILLS)).collect();
    skills.sort_unstable();
    skills.dedup();
    a.skills = skills;
    a.experience = rng.random_range(0..=3);
    a.hostile_streak = rng.random_range(0..=3);
    a.load = DecayingLoad { value: rng.random::<f64>() * 5.0, at_ms: now_ms - rng.random_range(0..3_600_000) };
    if rng.random::<f64>() < 0.05 {
        a.cooldown_until_ms = now_ms + 60_000;
    }
    if rng.random::<f64>() < 0.1 {
        a.triggers = Flags::of([ComplaintType::RefundReturn]);
    }
    a.last_assigned_ms = now_ms - rng.random_range(0..3_600_000);
    a
}

struct Latencies(Vec<u64>);

impl Latencies {
    fn pct(&mut self, p: f64) -> f64 {
        self.0.sort_unstable();
        self.0[((self.0.len() as f64 - 1.0) * p) as usize] as f64 / 1000.0
    }
}

pub fn run(args: RoutingArgs) -> Result<()> {
    anyhow::ensure!(args.agents >= 1 && args.waiting >= 1 && args.decisions >= 1, "sizes must be at least 1");
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let settings = RoutingSettings::with_policy(args.policy);
    let protection = settings.protection;
    let now = 10 * 3_600_000;
    let agents: Vec<AgentState> = (0..args.agents).map(|i| agent(&mut rng, i as i64 + 1, now)).collect();
    let mut queue = WaitQueue::new(&settings);
    let mut next_id = 0;
    for _ in 0..args.waiting {
        next_id += 1;
        queue.push(conversation(&mut rng, next_id, now, &protection));
    }
    let arrivals: Vec<WaitingConversation> =
        (0..args.decisions).map(|i| conversation(&mut rng, -(i as i64) - 1, now, &protection)).collect();

    // A new conversation: choose among all agents.
    let mut arrival = Latencies(Vec::with_capacity(args.decisions));
    let mut assigned = 0;
    for c in &arrivals {
        let t0 = Instant::now();
        let choice = std::hint::black_box(routing::choose_agent(&settings, c, &agents, now));
        arrival.0.push(t0.elapsed().as_nanos() as u64);
        assigned += usize::from(choice.is_some());
    }

    // A freed agent: choose from the queue, take the conversation out, and a new customer joins the queue (so the
    // queue keeps its size and the update cost is timed too).
    let mut freed = Latencies(Vec::with_capacity(args.decisions));
    let mut taken = 0;
    for i in 0..args.decisions {
        let agent = &agents[i % agents.len()];
        next_id += 1;
        let joining = conversation(&mut rng, next_id, now, &protection);
        let t0 = Instant::now();
        if let Some(choice) = queue.choose_for(&settings, agent, &agents, now) {
            queue.remove(choice.conversation);
            taken += 1;
        }
        queue.push(joining);
        let ns = t0.elapsed().as_nanos() as u64;
        if ns > 2_000_000 && std::env::var_os("ANXIN_BENCH_DEBUG").is_some() {
            eprintln!("slow {ns} ns: {agent:?} free={}", agent.free(now));
        }
        freed.0.push(ns);
    }
    let (a50, a99, amax) = (arrival.pct(0.5), arrival.pct(0.99), arrival.pct(1.0));
    let (f50, f99, fmax) = (freed.pct(0.5), freed.pct(0.99), freed.pct(1.0));
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "policy": args.policy, "agents": args.agents, "waiting": args.waiting, "decisions": args.decisions,
                "new_conversation_p50_us": a50, "new_conversation_p99_us": a99, "new_conversation_max_us": amax,
                "assigned_share": assigned as f64 / args.decisions as f64,
                "freed_agent_p50_us": f50, "freed_agent_p99_us": f99, "freed_agent_max_us": fmax,
                "taken_share": taken as f64 / args.decisions as f64,
            })
        );
    } else {
        println!("{} agents, {} waiting, {} decisions of each kind, {}", args.agents, args.waiting, args.decisions, args.policy);
        println!(
            "new conversation → agent:  p50 {a50:>8.1} µs   p99 {a99:>8.1} µs   max {amax:>8.1} µs   ({:.0}% assigned)",
            assigned as f64 * 100.0 / args.decisions as f64
        );
        println!(
            "freed agent → queue:       p50 {f50:>8.1} µs   p99 {f99:>8.1} µs   max {fmax:>8.1} µs   ({:.0}% took one)",
            taken as f64 * 100.0 / args.decisions as f64
        );
    }
    Ok(())
}
