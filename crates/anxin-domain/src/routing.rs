//! Who answers which customer (PRODUCT.md §4).
//!
//! Assignment uses what every serious helpdesk uses — availability, capacity, team, language, channel, skills — and
//! what none does: the emotional load of the work. The training decks tell of an agent who met ten angry customers
//! in a row, lost three days and quit. So, under the `emotion_aware` policy:
//! - an agent's **hostile streak** (consecutive assignments of hostile conversations) is capped: the next hostile
//!   customer goes to someone else while anyone else on duty could take them;
//! - after a hostile conversation is resolved the agent **cools down** (longer after reaching the cap) before the
//!   next assignment — a cool-down is an availability state, so every policy respects it;
//! - a decaying **emotional load** steers negative customers to the freshest suitably experienced agent and calm
//!   ones to the most loaded, so the hard conversations rotate instead of landing on the same senior person;
//! - declared **personal triggers** (e.g. refund disputes) are avoided when someone else is free;
//! - customers still wait **fairly**: the queue orders by priority, waiting time and (emotion-aware only)
//!   intensity, and a starvation guard serves anyone who has waited too long first.
//!
//! Pure: states come in as values and time as milliseconds; the server and `anxin simulate` call the same
//! functions. Every decision is a scan over at most the agents or the waiting conversations, in O(n).

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::model::{ChannelKind, ComplaintType, Emotion, Flags, Language, Policy, Priority};

/// The protections a team turns on (defaults follow PRODUCT.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Protection {
    /// Anger at or above this intensity makes a conversation hostile.
    pub hostile_threshold: f64,
    /// Hostile conversations in a row after which the next one goes to someone else.
    pub streak_cap: u16,
    /// Pause after a hostile conversation is resolved, before the next assignment.
    pub cooldown_secs: u32,
    /// Pause after a hostile conversation that reached the streak cap.
    pub cooldown_after_cap_secs: u32,
    /// The part of a cool-down that is never cut short (the breathing exercise).
    pub cooldown_min_secs: u32,
    /// After `cooldown_min_secs`, a calm customer who has waited this long ends the cool-down when nobody else
    /// took them: protection must not leave customers waiting.
    pub cooldown_yield_wait_secs: u32,
    /// Half-life of the emotional load: a very angry customer weighs half as much after this long.
    pub load_half_life_secs: u32,
    /// Emotional load above which the agent's supervisor is told and re-routing is suggested.
    pub load_alert: f64,
    /// Experience level (0 new … 3 senior) an agent needs before receiving hostile conversations.
    pub hostile_min_experience: u8,
    /// How long a conversation touching an agent's personal trigger waits for someone else before the agent takes
    /// it anyway.
    pub trigger_grace_secs: u32,
}

impl Default for Protection {
    fn default() -> Self {
        Protection {
            hostile_threshold: 0.6,
            streak_cap: 3,
            cooldown_secs: 180,
            cooldown_after_cap_secs: 600,
            cooldown_min_secs: 60,
            cooldown_yield_wait_secs: 30,
            load_half_life_secs: 3600,
            load_alert: 4.0,
            hostile_min_experience: 1,
            trigger_grace_secs: 60,
        }
    }
}

impl Protection {
    /// Whether a conversation with this emotion at this (peak) intensity is hostile.
    pub fn is_hostile(&self, emotion: Emotion, intensity: f64) -> bool {
        emotion == Emotion::Anger && intensity >= self.hostile_threshold
    }
}

/// How the waiting line is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueRules {
    /// Anyone who has waited this long is served first, in arrival order, whatever the other rules say.
    pub starvation_secs: u32,
    /// How far forward (in seconds of waiting) the most intense negative customer moves, under `emotion_aware`.
    pub intensity_boost_secs: u32,
    /// How far forward a `high` conversation moves; `urgent` moves five times as far, `low` moves back as far.
    pub priority_boost_secs: u32,
}

impl Default for QueueRules {
    fn default() -> Self {
        QueueRules { starvation_secs: 300, intensity_boost_secs: 30, priority_boost_secs: 120 }
    }
}

/// A team's routing configuration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingSettings {
    pub policy: Policy,
    pub protection: Protection,
    pub queue: QueueRules,
}

impl Default for RoutingSettings {
    fn default() -> Self {
        RoutingSettings { policy: Policy::EmotionAware, protection: Protection::default(), queue: QueueRules::default() }
    }
}

impl RoutingSettings {
    pub fn with_policy(policy: Policy) -> Self {
        RoutingSettings { policy, ..Self::default() }
    }

    fn emotion_aware(&self) -> bool {
        self.policy == Policy::EmotionAware
    }
}

/// How much one conversation weighs on the person who answers it: its intensity, weighted by emotion.
pub fn load_of(emotion: Emotion, intensity: f64) -> f64 {
    let weight = match emotion {
        Emotion::Anger => 1.0,
        Emotion::Disappointment => 0.6,
        Emotion::Anxiety => 0.5,
        Emotion::Neutral => 0.1,
        Emotion::Satisfied => 0.0,
    };
    weight * intensity.clamp(0.0, 1.0)
}

/// A decaying sum: `value` as of `at_ms`, halving every half-life.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct DecayingLoad {
    pub value: f64,
    pub at_ms: i64,
}

impl DecayingLoad {
    pub fn at(self, now_ms: i64, half_life_secs: u32) -> f64 {
        let elapsed = (now_ms - self.at_ms).max(0) as f64 / 1000.0;
        self.value * 0.5f64.powf(elapsed / f64::from(half_life_secs.max(1)))
    }

    #[must_use]
    pub fn plus(self, amount: f64, now_ms: i64, half_life_secs: u32) -> Self {
        DecayingLoad { value: self.at(now_ms, half_life_secs) + amount, at_ms: now_ms.max(self.at_ms) }
    }
}

/// One person who can be assigned conversations, as routing sees them at a moment.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentState {
    pub id: i64,
    /// Online and taking conversations (not away, not on a break, not signed out).
    pub accepting: bool,
    /// Conversations handled at once at most.
    pub capacity: u16,
    /// Conversations assigned and not yet resolved.
    pub active: u16,
    /// Teams the agent belongs to, sorted.
    pub teams: Vec<i64>,
    pub languages: Flags<Language>,
    pub channels: Flags<ChannelKind>,
    /// Skill ids, sorted.
    pub skills: Vec<u32>,
    /// 0 new, 1 trained, 2 experienced, 3 senior.
    pub experience: u8,
    /// Complaint types the agent asked to be spared when someone else can take them.
    pub triggers: Flags<ComplaintType>,
    pub hostile_streak: u16,
    pub load: DecayingLoad,
    pub cooldown_started_ms: i64,
    pub cooldown_until_ms: i64,
    pub last_assigned_ms: i64,
}

impl AgentState {
    /// A trained agent who speaks every language and serves every channel, with no history.
    pub fn new(id: i64, capacity: u16) -> Self {
        AgentState {
            id,
            accepting: true,
            capacity,
            active: 0,
            teams: Vec::new(),
            languages: Flags::of(Language::ALL.iter().copied()),
            channels: Flags::of(ChannelKind::ALL.iter().copied()),
            skills: Vec::new(),
            experience: 1,
            triggers: Flags::empty(),
            hostile_streak: 0,
            load: DecayingLoad::default(),
            cooldown_started_ms: 0,
            cooldown_until_ms: 0,
            last_assigned_ms: i64::MIN,
        }
    }

    pub fn cooling(&self, now_ms: i64) -> bool {
        now_ms < self.cooldown_until_ms
    }

    /// Seconds of cool-down left (0 when none).
    pub fn cooldown_left_secs(&self, now_ms: i64) -> u32 {
        ((self.cooldown_until_ms - now_ms).max(0) as u64).div_ceil(1000) as u32
    }

    /// Can take a new conversation right now.
    pub fn free(&self, now_ms: i64) -> bool {
        self.accepting && !self.cooling(now_ms) && self.active < self.capacity
    }

    /// On duty with room for another conversation, cooling down or not.
    pub fn has_room(&self) -> bool {
        self.accepting && self.active < self.capacity
    }

    /// Whether this waiting conversation may end the agent's cool-down early: it is calm enough (not hostile),
    /// the customer has waited past the yield limit, and the never-cut part of the cool-down is over.
    pub fn cooldown_yields_to(&self, conversation: &WaitingConversation, protection: &Protection, now_ms: i64) -> bool {
        self.cooling(now_ms)
            && !conversation.hostile
            && now_ms - self.cooldown_started_ms >= i64::from(protection.cooldown_min_secs) * 1000
            && now_ms - conversation.waiting_since_ms >= i64::from(protection.cooldown_yield_wait_secs) * 1000
    }

    /// Could serve this conversation by who they are — team, language, channel, skills — whether free or not.
    pub fn qualifies(&self, conversation: &WaitingConversation) -> bool {
        conversation.team.is_none_or(|team| self.teams.binary_search(&team).is_ok())
            && self.languages.contains(conversation.language)
            && self.channels.contains(conversation.channel)
            && conversation.skills.iter().all(|skill| self.skills.binary_search(skill).is_ok())
    }

    /// Whether the emotion-aware protections allow giving this agent this conversation: not past the streak cap
    /// and experienced enough when it is hostile.
    fn protected_from(&self, conversation: &WaitingConversation, protection: &Protection) -> bool {
        conversation.hostile
            && (self.hostile_streak >= protection.streak_cap || self.experience < protection.hostile_min_experience)
    }

    fn utilisation(&self) -> f64 {
        f64::from(self.active) / f64::from(self.capacity.max(1))
    }

    /// Records an assignment: one more active conversation, the streak extended or broken, the load added.
    pub fn on_assigned(&mut self, conversation: &WaitingConversation, settings: &RoutingSettings, now_ms: i64) {
        self.active = self.active.saturating_add(1);
        // Taking a conversation ends a cool-down early (`cooldown_yields_to`).
        self.cooldown_until_ms = self.cooldown_until_ms.min(now_ms);
        self.hostile_streak = if conversation.hostile { self.hostile_streak.saturating_add(1) } else { 0 };
        let amount = load_of(conversation.emotion, conversation.intensity);
        self.load = self.load.plus(amount, now_ms, settings.protection.load_half_life_secs);
        self.last_assigned_ms = now_ms;
    }

    /// Records that an assigned conversation turned hostile mid-way: it joins the streak and the load, and the
    /// answer says whether the supervisor should be offered a re-route.
    pub fn on_turned_hostile(&mut self, intensity: f64, settings: &RoutingSettings, now_ms: i64) -> Option<Reroute> {
        let protection = &settings.protection;
        self.hostile_streak = self.hostile_streak.saturating_add(1);
        self.load = self.load.plus(load_of(Emotion::Anger, intensity), now_ms, protection.load_half_life_secs);
        if self.hostile_streak > protection.streak_cap {
            Some(Reroute::StreakOverCap)
        } else if self.experience < protection.hostile_min_experience {
            Some(Reroute::NeedsExperience)
        } else if self.load.at(now_ms, protection.load_half_life_secs) > protection.load_alert {
            Some(Reroute::LoadHigh)
        } else {
            None
        }
    }

    /// Records a resolved (or transferred-away) conversation; a hostile one starts the cool-down.
    pub fn on_released(&mut self, was_hostile: bool, settings: &RoutingSettings, now_ms: i64) {
        self.active = self.active.saturating_sub(1);
        if was_hostile {
            let protection = &settings.protection;
            let secs = if self.hostile_streak >= protection.streak_cap {
                protection.cooldown_after_cap_secs
            } else {
                protection.cooldown_secs
            };
            let until = now_ms + i64::from(secs) * 1000;
            if until > self.cooldown_until_ms {
                if !self.cooling(now_ms) {
                    self.cooldown_started_ms = now_ms;
                }
                self.cooldown_until_ms = until;
            }
        }
    }
}

/// Why a supervisor is offered to move a conversation that escalated mid-way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reroute {
    StreakOverCap,
    NeedsExperience,
    LoadHigh,
}

/// A conversation waiting for an agent, as routing sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingConversation {
    pub id: i64,
    pub waiting_since_ms: i64,
    pub priority: Priority,
    pub emotion: Emotion,
    /// Peak intensity so far.
    pub intensity: f64,
    /// Decided by the caller with `Protection::is_hostile`.
    pub hostile: bool,
    pub complaint: Option<ComplaintType>,
    pub team: Option<i64>,
    pub language: Language,
    pub channel: ChannelKind,
    /// Skill ids required, sorted.
    pub skills: Vec<u32>,
}

impl WaitingConversation {
    /// A web-chat conversation in Simplified Chinese, for any team.
    pub fn new(id: i64, waiting_since_ms: i64, emotion: Emotion, intensity: f64, protection: &Protection) -> Self {
        WaitingConversation {
            id,
            waiting_since_ms,
            priority: Priority::Normal,
            emotion,
            intensity,
            hostile: protection.is_hostile(emotion, intensity),
            complaint: None,
            team: None,
            language: Language::ZhHans,
            channel: ChannelKind::WebChat,
            skills: Vec::new(),
        }
    }
}

/// Why this agent or conversation was chosen (kept in the audit log, shown to supervisors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// The least busy free agent (ties: longest since the last assignment).
    LeastBusy,
    /// The next free agent in a fixed rotation (by id) after the one assigned last.
    RoundRobin,
    /// A negative customer to the free agent with the lowest emotional load.
    Freshest,
    /// A calm customer to the free agent with the highest emotional load.
    CalmToLoaded,
    /// Nobody else on duty could take this hostile conversation, so a protection was set aside.
    NoOneElse,
    /// Taken from the queue in its order.
    QueueOrder,
    /// Taken first because the customer had waited past the starvation limit.
    Starvation,
    /// Taken during a cool-down, which it ended, because the customer had waited too long.
    CooldownYielded,
}

/// An assignment decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Choice {
    pub agent: i64,
    pub conversation: i64,
    pub why: Why,
}

/// Picks the agent for a conversation that just arrived (or whose agent became free), or `None` to let it wait.
pub fn choose_agent(
    settings: &RoutingSettings,
    conversation: &WaitingConversation,
    agents: &[AgentState],
    now_ms: i64,
) -> Option<Choice> {
    let pick = |agent: &AgentState, why| Some(Choice { agent: agent.id, conversation: conversation.id, why });
    let free = || agents.iter().filter(|a| a.free(now_ms) && a.qualifies(conversation));
    match settings.policy {
        Policy::LeastBusy => {
            let best = free().min_by(|a, b| {
                a.utilisation().total_cmp(&b.utilisation()).then(a.last_assigned_ms.cmp(&b.last_assigned_ms))
            })?;
            pick(best, Why::LeastBusy)
        }
        Policy::RoundRobin => {
            // The rotation resumes after whoever was assigned last.
            let last = agents
                .iter()
                .filter(|a| a.last_assigned_ms > i64::MIN)
                .max_by_key(|a| (a.last_assigned_ms, Reverse(a.id)))
                .map_or(i64::MIN, |a| a.id);
            let next = free().filter(|a| a.id > last).min_by_key(|a| a.id).or_else(|| free().min_by_key(|a| a.id))?;
            pick(next, Why::RoundRobin)
        }
        Policy::EmotionAware => {
            let protection = &settings.protection;
            let allowed = || free().filter(|a| !a.protected_from(conversation, protection));
            if allowed().next().is_none() {
                // Wait for someone the protections allow, unless nobody on duty could ever be that person.
                if someone_else_could_take(conversation, agents, protection, None) {
                    return None;
                }
                let fallback = free().min_by(|a, b| a.utilisation().total_cmp(&b.utilisation()))?;
                return pick(fallback, Why::NoOneElse);
            }
            let untriggered = || allowed().filter(|a| !touches_trigger(a, conversation));
            let best = if untriggered().next().is_some() {
                best_for_emotion(untriggered(), conversation, protection, now_ms)
            } else {
                best_for_emotion(allowed(), conversation, protection, now_ms)
            }?;
            let why = if conversation.emotion.is_negative() { Why::Freshest } else { Why::CalmToLoaded };
            pick(best, why)
        }
    }
}

fn touches_trigger(agent: &AgentState, conversation: &WaitingConversation) -> bool {
    conversation.complaint.is_some_and(|complaint| agent.triggers.contains(complaint))
}

/// Whether another on-duty agent (busy or cooling down, but accepting) qualifies and is not protected from it.
fn someone_else_could_take(
    conversation: &WaitingConversation,
    agents: &[AgentState],
    protection: &Protection,
    except: Option<i64>,
) -> bool {
    agents.iter().any(|a| {
        Some(a.id) != except && a.accepting && a.qualifies(conversation) && !a.protected_from(conversation, protection)
    })
}

/// Negative customers go to the lowest load, calm ones to the highest; capacity use first, so nobody is flooded.
fn best_for_emotion<'a>(
    candidates: impl Iterator<Item = &'a AgentState>,
    conversation: &WaitingConversation,
    protection: &Protection,
    now_ms: i64,
) -> Option<&'a AgentState> {
    let negative = conversation.emotion.is_negative();
    candidates
        .map(|agent| {
            let load = agent.load.at(now_ms, protection.load_half_life_secs);
            (agent, if negative { load } else { -load })
        })
        .min_by(|(a, a_load), (b, b_load)| {
            a.utilisation()
                .total_cmp(&b.utilisation())
                .then(a_load.total_cmp(b_load))
                .then(a.last_assigned_ms.cmp(&b.last_assigned_ms))
        })
        .map(|(agent, _)| agent)
}

#[derive(Debug, Clone, Default)]
struct Lane {
    by_rank: BTreeSet<(i64, i64)>,
    by_arrival: BTreeSet<(i64, i64)>,
}

/// What a conversation asks of whoever takes it (besides the agent being free).
#[derive(PartialEq)]
struct Requirements<'a> {
    hostile: bool,
    team: Option<i64>,
    language: Language,
    channel: ChannelKind,
    skills: &'a [u32],
}

impl<'a> Requirements<'a> {
    fn of(conversation: &'a WaitingConversation) -> Self {
        Requirements {
            hostile: conversation.hostile,
            team: conversation.team,
            language: conversation.language,
            channel: conversation.channel,
            skills: &conversation.skills,
        }
    }
}

/// The conversations waiting for an agent, kept in two orders: by rank (priority, waiting time, intensity) and by
/// arrival (for the starvation guard). The rank key does not change while a conversation waits — everyone's
/// waiting time grows at the same rate — so the order is kept, not recomputed.
#[derive(Debug, Clone)]
pub struct WaitQueue {
    rules: QueueRules,
    emotion_aware: bool,
    by_rank: BTreeSet<(i64, i64)>,
    by_arrival: BTreeSet<(i64, i64)>,
    /// The same two orders per team (`None`: conversations for anyone), so an agent scans only the lanes of the
    /// teams they belong to — a long queue elsewhere costs them nothing.
    lanes: HashMap<Option<i64>, Lane>,
    /// A B-tree rather than a hash map: no occasional whole-table rehash in the middle of a decision.
    items: BTreeMap<i64, (i64, WaitingConversation)>,
}

impl WaitQueue {
    pub fn new(settings: &RoutingSettings) -> Self {
        WaitQueue {
            rules: settings.queue,
            emotion_aware: settings.emotion_aware(),
            by_rank: BTreeSet::new(),
            by_arrival: BTreeSet::new(),
            lanes: HashMap::new(),
            items: BTreeMap::new(),
        }
    }

    /// The time-invariant sort key: the moment the customer counts as having arrived once boosts are applied.
    fn rank_key(&self, conversation: &WaitingConversation) -> i64 {
        let step = i64::from(self.rules.priority_boost_secs) * 1000;
        let priority = match conversation.priority {
            Priority::Low => -step,
            Priority::Normal => 0,
            Priority::High => step,
            Priority::Urgent => 5 * step,
        };
        let intensity = if self.emotion_aware && conversation.emotion.is_negative() {
            (conversation.intensity.clamp(0.0, 1.0) * f64::from(self.rules.intensity_boost_secs) * 1000.0) as i64
        } else {
            0
        };
        conversation.waiting_since_ms - priority - intensity
    }

    /// Adds a conversation, or updates it (its emotion or priority changed while it waited).
    pub fn push(&mut self, conversation: WaitingConversation) {
        self.remove(conversation.id);
        let key = self.rank_key(&conversation);
        self.by_rank.insert((key, conversation.id));
        self.by_arrival.insert((conversation.waiting_since_ms, conversation.id));
        let lane = self.lanes.entry(conversation.team).or_default();
        lane.by_rank.insert((key, conversation.id));
        lane.by_arrival.insert((conversation.waiting_since_ms, conversation.id));
        self.items.insert(conversation.id, (key, conversation));
    }

    pub fn remove(&mut self, id: i64) -> Option<WaitingConversation> {
        let (key, conversation) = self.items.remove(&id)?;
        self.by_rank.remove(&(key, id));
        self.by_arrival.remove(&(conversation.waiting_since_ms, id));
        if let Some(lane) = self.lanes.get_mut(&conversation.team) {
            lane.by_rank.remove(&(key, id));
            lane.by_arrival.remove(&(conversation.waiting_since_ms, id));
            if lane.by_rank.is_empty() {
                self.lanes.remove(&conversation.team);
            }
        }
        Some(conversation)
    }

    pub fn get(&self, id: i64) -> Option<&WaitingConversation> {
        self.items.get(&id).map(|(_, conversation)| conversation)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Waiting conversations in service order (starvation guard aside).
    pub fn ranked(&self) -> impl Iterator<Item = &WaitingConversation> {
        self.by_rank.iter().map(|(_, id)| &self.items[id].1)
    }

    /// Waiting conversations, longest waiting first.
    pub fn oldest_first(&self) -> impl Iterator<Item = &WaitingConversation> {
        self.by_arrival.iter().map(|(_, id)| &self.items[id].1)
    }

    /// The lanes this agent can be served from: their teams' and the one for anyone.
    fn lanes_of(&self, agent: &AgentState) -> Vec<&Lane> {
        std::iter::once(None).chain(agent.teams.iter().map(|team| Some(*team))).filter_map(|t| self.lanes.get(&t)).collect()
    }

    /// The agent's lanes merged in one order (`rank` or `arrival`).
    fn merged<'s>(
        &'s self,
        lanes: &[&'s Lane],
        order: fn(&Lane) -> &BTreeSet<(i64, i64)>,
    ) -> impl Iterator<Item = &'s WaitingConversation> {
        let mut heads: Vec<_> = lanes.iter().map(|lane| order(lane).iter().peekable()).collect();
        std::iter::from_fn(move || {
            // A handful of lanes at most: a linear pick of the smallest head beats a heap.
            let next = heads.iter_mut().filter_map(|h| h.peek().map(|k| **k)).min()?;
            for head in &mut heads {
                if head.peek() == Some(&&next) {
                    head.next();
                    break;
                }
            }
            Some(&self.items[&next.1].1)
        })
    }

    /// Picks the conversation a free agent takes next, or `None`. `agents` is everyone on the team's roster (the
    /// agent included), to know whether someone else could take a conversation the protections keep from them.
    pub fn choose_for<'s>(
        &'s self,
        settings: &RoutingSettings,
        agent: &AgentState,
        agents: &[AgentState],
        now_ms: i64,
    ) -> Option<Choice> {
        if !agent.has_room() {
            return None;
        }
        let protection = &settings.protection;
        if agent.cooling(now_ms) {
            let lanes = self.lanes_of(agent);
            let next = self
                .merged(&lanes, |lane| &lane.by_rank)
                .find(|c| agent.qualifies(c) && agent.cooldown_yields_to(c, protection, now_ms))?;
            return Some(Choice { agent: agent.id, conversation: next.id, why: Why::CooldownYielded });
        }
        let emotion_aware = settings.emotion_aware();
        // Whether someone else could take a conversation depends only on what it requires, so one roster scan
        // answers for every waiting conversation with the same requirements.
        let others: RefCell<Vec<(Requirements<'s>, bool)>> = RefCell::new(Vec::new());
        let allowed = |conversation: &'s WaitingConversation| {
            if !agent.qualifies(conversation) {
                return false;
            }
            if !emotion_aware || !agent.protected_from(conversation, protection) {
                return true;
            }
            let key = Requirements::of(conversation);
            if let Some((_, answer)) = others.borrow().iter().find(|(k, _)| *k == key) {
                return !answer;
            }
            let answer = someone_else_could_take(conversation, agents, protection, Some(agent.id));
            others.borrow_mut().push((key, answer));
            !answer
        };
        let pick = |conversation: &WaitingConversation, why| {
            Some(Choice { agent: agent.id, conversation: conversation.id, why })
        };
        let starved_before = now_ms - i64::from(self.rules.starvation_secs) * 1000;
        let lanes = self.lanes_of(agent);
        let starved = self
            .merged(&lanes, |lane| &lane.by_arrival)
            .take_while(|c| c.waiting_since_ms <= starved_before)
            .find(|c| allowed(c));
        if let Some(conversation) = starved {
            return pick(conversation, Why::Starvation);
        }
        let trigger_grace_before = now_ms - i64::from(protection.trigger_grace_secs) * 1000;
        let next = self.merged(&lanes, |lane| &lane.by_rank).find(|c| {
            allowed(c)
                && !(emotion_aware && touches_trigger(agent, c) && c.waiting_since_ms > trigger_grace_before)
        })?;
        pick(next, Why::QueueOrder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn aware() -> RoutingSettings {
        RoutingSettings::default()
    }

    fn conversation(id: i64, emotion: Emotion, intensity: f64) -> WaitingConversation {
        WaitingConversation::new(id, 0, emotion, intensity, &Protection::default())
    }

    fn angry(id: i64) -> WaitingConversation {
        conversation(id, Emotion::Anger, 0.9)
    }

    fn agents(n: i64) -> Vec<AgentState> {
        (1..=n).map(|id| AgentState::new(id, 1)).collect()
    }

    /// Assigns and resolves at once (so capacity never runs out), returning who got each conversation.
    fn serve_in_turn(settings: &RoutingSettings, roster: &mut [AgentState], list: &[WaitingConversation]) -> Vec<i64> {
        let mut who = Vec::new();
        for (i, conversation) in list.iter().enumerate() {
            let now = i as i64 * 1000;
            let choice = choose_agent(settings, conversation, roster, now).expect("someone is free");
            let agent = roster.iter_mut().find(|a| a.id == choice.agent).unwrap();
            agent.on_assigned(conversation, settings, now);
            agent.active -= 1; // handled at once, without a cool-down, to isolate the streak rule
            who.push(choice.agent);
        }
        who
    }

    #[test]
    fn hostility_is_anger_at_or_above_the_threshold() {
        let protection = Protection::default();
        let cases = [
            (Emotion::Anger, 0.6, true),
            (Emotion::Anger, 0.59, false),
            (Emotion::Disappointment, 1.0, false),
            (Emotion::Anxiety, 0.95, false),
        ];
        for (emotion, intensity, hostile) in cases {
            assert_eq!(protection.is_hostile(emotion, intensity), hostile, "{emotion} {intensity}");
        }
    }

    #[test]
    fn the_fourth_hostile_customer_in_a_row_goes_to_someone_else() {
        let settings = aware();
        let mut roster = agents(2);
        // Agent 1 is by far the freshest, so the load rule alone would keep choosing them.
        roster[1].load = DecayingLoad { value: 50.0, at_ms: 0 };
        let list: Vec<_> = (1..=5).map(angry).collect();
        let who = serve_in_turn(&settings, &mut roster, &list);
        assert_eq!(&who[..3], &[1, 1, 1]);
        assert_eq!(who[3], 2, "the streak cap moved the fourth hostile conversation");
        // A calm conversation breaks the streak.
        roster[0].on_assigned(&conversation(9, Emotion::Neutral, 0.2), &settings, 10_000);
        assert_eq!(roster[0].hostile_streak, 0);
    }

    #[test]
    fn least_busy_ignores_the_streak() {
        let settings = RoutingSettings::with_policy(Policy::LeastBusy);
        let mut roster = agents(2);
        roster[1].last_assigned_ms = 1_000_000; // agent 2 just had a conversation: agent 1 always wins the tie
        let list: Vec<_> = (1..=5).map(angry).collect();
        let mut who = Vec::new();
        for c in &list {
            let choice = choose_agent(&settings, c, &roster, 0).unwrap();
            who.push(choice.agent);
            let agent = roster.iter_mut().find(|a| a.id == choice.agent).unwrap();
            agent.on_assigned(c, &settings, -1);
            agent.active -= 1;
        }
        assert_eq!(who, vec![1, 1, 1, 1, 1]);
        assert_eq!(roster[0].hostile_streak, 5);
    }

    #[test]
    fn a_capped_agent_alone_on_duty_still_serves() {
        let settings = aware();
        let mut roster = agents(2);
        roster[0].hostile_streak = 3;
        roster[1].accepting = false; // on a break: nobody else could take it
        let choice = choose_agent(&settings, &angry(1), &roster, 0).unwrap();
        assert_eq!((choice.agent, choice.why), (1, Why::NoOneElse));
        // With the other agent back but busy, the hostile customer waits for them instead.
        roster[1].accepting = true;
        roster[1].active = 1;
        assert_eq!(choose_agent(&settings, &angry(1), &roster, 0), None);
        // A calm customer is not held back.
        assert_eq!(choose_agent(&settings, &conversation(2, Emotion::Neutral, 0.1), &roster, 0).unwrap().agent, 1);
    }

    #[test]
    fn negative_customers_go_to_the_freshest_and_calm_ones_to_the_most_loaded() {
        let settings = aware();
        let mut roster = agents(3);
        roster[0].load = DecayingLoad { value: 3.0, at_ms: 0 };
        roster[1].load = DecayingLoad { value: 0.5, at_ms: 0 };
        roster[2].load = DecayingLoad { value: 1.5, at_ms: 0 };
        let cases = [
            (conversation(1, Emotion::Anger, 0.9), 2, Why::Freshest),
            (conversation(2, Emotion::Disappointment, 0.5), 2, Why::Freshest),
            (conversation(3, Emotion::Neutral, 0.2), 1, Why::CalmToLoaded),
            (conversation(4, Emotion::Satisfied, 0.6), 1, Why::CalmToLoaded),
        ];
        for (c, agent, why) in cases {
            let choice = choose_agent(&settings, &c, &roster, 0).unwrap();
            assert_eq!((choice.agent, choice.why), (agent, why), "{:?}", c.emotion);
        }
    }

    #[test]
    fn the_freshest_must_still_be_experienced_enough_and_busy_agents_are_not_flooded() {
        let settings = aware();
        let mut roster = vec![AgentState::new(1, 3), AgentState::new(2, 3), AgentState::new(3, 3)];
        roster[0].experience = 0; // new: the freshest of all, but not ready for hostile customers
        roster[1].load = DecayingLoad { value: 2.0, at_ms: 0 };
        roster[2].active = 2;
        assert_eq!(choose_agent(&settings, &angry(1), &roster, 0).unwrap().agent, 2);
        // A negative but not hostile customer may go to the new agent.
        assert_eq!(choose_agent(&settings, &conversation(2, Emotion::Anxiety, 0.7), &roster, 0).unwrap().agent, 1);
    }

    #[test]
    fn load_decays_so_the_same_senior_is_not_always_chosen() {
        let settings = aware();
        let half_life = settings.protection.load_half_life_secs;
        let load = DecayingLoad::default().plus(2.0, 0, half_life);
        assert!((load.at(i64::from(half_life) * 1000, half_life) - 1.0).abs() < 1e-9);
        assert!((load.at(2 * i64::from(half_life) * 1000, half_life) - 0.5).abs() < 1e-9);
        // Round after round of angry customers to two agents alternates between them.
        let mut roster = agents(2);
        let list: Vec<_> = (1..=6).map(|id| conversation(id, Emotion::Anger, 0.5)).collect();
        let who = serve_in_turn(&settings, &mut roster, &list);
        assert_eq!(who, vec![1, 2, 1, 2, 1, 2]);
    }

    #[test]
    fn personal_triggers_are_avoided_when_someone_else_is_free() {
        let settings = aware();
        let mut roster = agents(2);
        roster[0].triggers = Flags::of([ComplaintType::RefundReturn]);
        roster[1].load = DecayingLoad { value: 5.0, at_ms: 0 };
        let mut refund = conversation(1, Emotion::Disappointment, 0.6);
        refund.complaint = Some(ComplaintType::RefundReturn);
        assert_eq!(choose_agent(&settings, &refund, &roster, 0).unwrap().agent, 2);
        roster[1].active = 1;
        assert_eq!(choose_agent(&settings, &refund, &roster, 0).unwrap().agent, 1, "soft: nobody else is free");
    }

    #[test]
    fn team_language_channel_and_skills_must_all_match() {
        let settings = aware();
        let mut agent = AgentState::new(1, 2);
        agent.teams = vec![10];
        agent.languages = Flags::of([Language::ZhHans, Language::ZhHant]);
        agent.channels = Flags::of([ChannelKind::WebChat]);
        agent.skills = vec![3, 7];
        let base = conversation(1, Emotion::Neutral, 0.1);
        let cases: Vec<(WaitingConversation, bool)> = vec![
            (WaitingConversation { team: Some(10), skills: vec![7], ..base.clone() }, true),
            (WaitingConversation { team: Some(11), ..base.clone() }, false),
            (WaitingConversation { language: Language::En, ..base.clone() }, false),
            (WaitingConversation { language: Language::ZhHant, ..base.clone() }, true),
            (WaitingConversation { channel: ChannelKind::Email, ..base.clone() }, false),
            (WaitingConversation { skills: vec![3, 8], ..base.clone() }, false),
        ];
        for (c, expected) in cases {
            assert_eq!(agent.qualifies(&c), expected, "{c:?}");
            assert_eq!(choose_agent(&settings, &c, std::slice::from_ref(&agent), 0).is_some(), expected);
        }
    }

    #[test]
    fn cool_downs_follow_hostile_conversations_and_are_longer_after_the_cap() {
        let settings = aware();
        let mut agent = AgentState::new(1, 2);
        agent.on_assigned(&angry(1), &settings, 0);
        agent.on_released(true, &settings, 10 * MIN);
        assert!(agent.cooling(10 * MIN + 179_000) && !agent.free(10 * MIN + 179_000));
        assert!(agent.free(10 * MIN + 180_000));
        assert_eq!(agent.cooldown_left_secs(10 * MIN), 180);
        // A calm conversation brings no cool-down.
        agent.on_assigned(&conversation(2, Emotion::Neutral, 0.1), &settings, 20 * MIN);
        agent.on_released(false, &settings, 21 * MIN);
        assert!(agent.free(21 * MIN));
        for id in 3..=5 {
            agent.on_assigned(&angry(id), &settings, 30 * MIN);
        }
        agent.on_released(true, &settings, 40 * MIN);
        assert_eq!(agent.cooldown_left_secs(40 * MIN), 600);
        agent.active = 0; // so only the cool-down keeps the agent from new conversations below
        // Every policy respects a cool-down: it is an availability state.
        for policy in Policy::ALL {
            let s = RoutingSettings::with_policy(*policy);
            assert_eq!(choose_agent(&s, &conversation(9, Emotion::Neutral, 0.1), &[agent.clone()], 41 * MIN), None);
        }
    }

    #[test]
    fn a_calm_customer_kept_waiting_ends_a_cool_down_after_its_first_minute() {
        let settings = aware();
        let protection = settings.protection;
        let mut roster = agents(1);
        roster[0].on_assigned(&angry(1), &settings, 0);
        roster[0].on_released(true, &settings, 100_000); // cooling from 100 s to 280 s
        let mut queue = WaitQueue::new(&settings);
        queue.push(WaitingConversation::new(2, 120_000, Emotion::Neutral, 0.2, &protection));
        queue.push(WaitingConversation::new(3, 100_000, Emotion::Anger, 0.9, &protection));
        let agent = &roster[0];
        // Within the first minute of the cool-down: nothing, however long the customer waited.
        assert_eq!(queue.choose_for(&settings, agent, &roster, 159_000), None);
        // Past it, but the calm customer has waited only 29 s.
        assert_eq!(queue.choose_for(&settings, agent, &roster, 149_000 + 10_000), None);
        // Waited 30 s: the cool-down yields to them — never to the hostile customer, who waited longer.
        let choice = queue.choose_for(&settings, agent, &roster, 160_000).unwrap();
        assert_eq!((choice.conversation, choice.why), (2, Why::CooldownYielded));
        let mut agent = roster[0].clone();
        agent.on_assigned(queue.get(2).unwrap(), &settings, 160_000);
        assert!(!agent.cooling(160_000), "taking the customer ended the cool-down");
        // New arrivals never interrupt a cool-down.
        assert_eq!(choose_agent(&settings, &conversation(4, Emotion::Neutral, 0.1), &roster, 200_000), None);
    }

    #[test]
    fn round_robin_rotates_by_id_after_the_last_assigned() {
        let settings = RoutingSettings::with_policy(Policy::RoundRobin);
        let mut roster = agents(4);
        roster[2].active = 1; // agent 3 is busy and skipped
        let mut who = Vec::new();
        for (i, id) in (1..=5).enumerate() {
            let c = conversation(id, Emotion::Neutral, 0.1);
            let choice = choose_agent(&settings, &c, &roster, i as i64).unwrap();
            who.push(choice.agent);
            let agent = roster.iter_mut().find(|a| a.id == choice.agent).unwrap();
            agent.on_assigned(&c, &settings, i as i64);
            agent.active -= 1;
        }
        assert_eq!(who, vec![1, 2, 4, 1, 2]);
    }

    #[test]
    fn escalation_mid_way_suggests_a_reroute() {
        let settings = aware();
        let mut agent = AgentState::new(1, 3);
        for id in 1..=3 {
            agent.on_assigned(&angry(id), &settings, 0);
        }
        assert_eq!(agent.on_turned_hostile(0.8, &settings, 0), Some(Reroute::StreakOverCap));
        let mut fresh = AgentState::new(2, 3);
        assert_eq!(fresh.on_turned_hostile(0.8, &settings, 0), None);
        fresh.experience = 0;
        fresh.hostile_streak = 0;
        assert_eq!(fresh.on_turned_hostile(0.8, &settings, 0), Some(Reroute::NeedsExperience));
        let mut loaded = AgentState::new(3, 3);
        loaded.load = DecayingLoad { value: 4.0, at_ms: 0 };
        assert_eq!(loaded.on_turned_hostile(0.8, &settings, 0), Some(Reroute::LoadHigh));
    }

    #[test]
    fn the_queue_orders_by_priority_waiting_and_intensity_and_guards_against_starvation() {
        let settings = aware();
        let mut queue = WaitQueue::new(&settings);
        let protection = Protection::default();
        let mut calm_early = WaitingConversation::new(1, 0, Emotion::Neutral, 0.1, &protection);
        calm_early.priority = Priority::Low;
        queue.push(calm_early);
        queue.push(WaitingConversation::new(2, 10_000, Emotion::Neutral, 0.1, &protection));
        queue.push(WaitingConversation::new(3, 20_000, Emotion::Anger, 1.0, &protection));
        let mut urgent = WaitingConversation::new(4, 200_000, Emotion::Neutral, 0.1, &protection);
        urgent.priority = Priority::Urgent;
        queue.push(urgent);
        let order: Vec<i64> = queue.ranked().map(|c| c.id).collect();
        // urgent (200 s − 600 s), angry (20 s − 30 s), then 10 s, then low (0 + 120 s)
        assert_eq!(order, vec![4, 3, 2, 1]);
        let blind = WaitQueue { emotion_aware: false, ..WaitQueue::new(&settings) };
        let mut blind = blind;
        for c in queue.ranked() {
            blind.push(c.clone());
        }
        assert_eq!(blind.ranked().map(|c| c.id).collect::<Vec<_>>(), vec![4, 2, 3, 1]);

        let roster = agents(1);
        let agent = &roster[0];
        assert_eq!(queue.choose_for(&settings, agent, &roster, 250_000).unwrap().conversation, 4);
        // Past the starvation limit the low-priority customer who came first is served first.
        let choice = queue.choose_for(&settings, agent, &roster, 300_000).unwrap();
        assert_eq!((choice.conversation, choice.why), (1, Why::Starvation));

        assert_eq!(queue.remove(4).map(|c| c.id), Some(4));
        assert_eq!(queue.remove(4), None);
        assert_eq!(queue.len(), 3);
        // Updating a waiting conversation re-ranks it.
        queue.push(WaitingConversation::new(2, 10_000, Emotion::Anger, 1.0, &protection));
        assert_eq!(queue.ranked().next().unwrap().id, 2);
        assert_eq!(queue.oldest_first().map(|c| c.id).collect::<Vec<_>>(), vec![1, 2, 3]);
    }

    #[test]
    fn a_capped_agent_takes_the_next_calm_customer_from_the_queue() {
        let settings = aware();
        let mut queue = WaitQueue::new(&settings);
        let protection = Protection::default();
        queue.push(WaitingConversation::new(1, 0, Emotion::Anger, 0.9, &protection));
        queue.push(WaitingConversation::new(2, 5_000, Emotion::Neutral, 0.2, &protection));
        let mut roster = agents(2);
        roster[0].hostile_streak = 3;
        roster[1].active = 1;
        assert_eq!(queue.choose_for(&settings, &roster[0], &roster, 10_000).unwrap().conversation, 2);
        // Blind policies take the queue head.
        let blind = RoutingSettings::with_policy(Policy::LeastBusy);
        let mut blind_queue = WaitQueue::new(&blind);
        for c in queue.ranked() {
            blind_queue.push(c.clone());
        }
        assert_eq!(blind_queue.choose_for(&blind, &roster[0], &roster, 10_000).unwrap().conversation, 1);
        // Alone on duty, the capped agent takes the hostile customer rather than leave them waiting.
        roster[1].accepting = false;
        assert_eq!(queue.choose_for(&settings, &roster[0], &roster, 10_000).unwrap().conversation, 1);
        // Busy agents take nothing.
        roster[0].active = 1;
        assert_eq!(queue.choose_for(&settings, &roster[0], &roster, 10_000), None);
    }

    #[test]
    fn an_agent_is_served_from_their_teams_lanes_in_one_merged_order() {
        let settings = aware();
        let protection = Protection::default();
        let mut queue = WaitQueue::new(&settings);
        let in_team = |id, since, team| WaitingConversation {
            team,
            ..WaitingConversation::new(id, since, Emotion::Neutral, 0.1, &protection)
        };
        queue.push(in_team(1, 0, Some(7)));
        queue.push(in_team(2, 1_000, None));
        queue.push(in_team(3, 2_000, Some(8)));
        queue.push(in_team(4, 3_000, Some(9)));
        let mut agent = AgentState::new(1, 9);
        agent.teams = vec![8, 9];
        let roster = [agent.clone()];
        let mut order = Vec::new();
        while let Some(choice) = queue.choose_for(&settings, &agent, &roster, 10_000) {
            order.push(queue.remove(choice.conversation).unwrap().id);
            agent.active += 1;
        }
        assert_eq!(order, vec![2, 3, 4], "team 7's customer is not theirs");
        assert_eq!(queue.len(), 1);
        assert!(queue.lanes.len() == 1, "empty lanes are dropped");
    }

    #[test]
    fn a_triggering_conversation_waits_briefly_for_someone_else() {
        let settings = aware();
        let mut queue = WaitQueue::new(&settings);
        let mut refund = WaitingConversation::new(1, 0, Emotion::Disappointment, 0.5, &Protection::default());
        refund.complaint = Some(ComplaintType::RefundReturn);
        queue.push(refund);
        let mut roster = agents(1);
        roster[0].triggers = Flags::of([ComplaintType::RefundReturn]);
        assert_eq!(queue.choose_for(&settings, &roster[0], &roster, 30_000), None);
        assert_eq!(queue.choose_for(&settings, &roster[0], &roster, 60_000).unwrap().conversation, 1);
    }

    #[test]
    fn settings_parse_with_defaults_and_reject_unknown_fields() {
        let parsed: RoutingSettings =
            serde_json::from_str(r#"{"policy":"least_busy","protection":{"streak_cap":2}}"#).unwrap();
        assert_eq!(parsed.policy, Policy::LeastBusy);
        assert_eq!(parsed.protection.streak_cap, 2);
        assert_eq!(parsed.protection.cooldown_secs, 180);
        assert!(serde_json::from_str::<RoutingSettings>(r#"{"policy":"random"}"#).is_err());
        assert!(serde_json::from_str::<RoutingSettings>(r#"{"protection":{"streak":2}}"#).is_err());
    }
}
