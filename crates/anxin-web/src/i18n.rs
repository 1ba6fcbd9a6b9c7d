//! The interface languages: Simplified Chinese (default), Traditional Chinese, English. Choice order:
//! `?lang=`, then the signed-in user's choice (cookie `anxin_lang`), then `Accept-Language`, then zh-Hans.
//! Texts live in one catalog, each key with all three languages (a test checks none is missing).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Lang {
    #[serde(rename = "zh-Hans")]
    ZhHans,
    #[serde(rename = "zh-Hant")]
    ZhHant,
    #[serde(rename = "en")]
    En,
}

pub const LANG_COOKIE: &str = "anxin_lang";

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::ZhHans, Lang::ZhHant, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhHans => "zh-Hans",
            Lang::ZhHant => "zh-Hant",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::ZhHans => "简体中文",
            Lang::ZhHant => "繁體中文",
            Lang::En => "English",
        }
    }

    pub fn parse(text: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code().eq_ignore_ascii_case(text.trim()))
    }

    /// Maps a BCP 47 tag to one of ours: zh-TW/HK/MO and zh-Hant → Traditional, other zh → Simplified, en → English.
    fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        let mut parts = tag.split(['-', '_']);
        match parts.next()? {
            "zh" => {
                let rest: Vec<&str> = parts.collect();
                let traditional = rest.iter().any(|p| matches!(*p, "hant" | "tw" | "hk" | "mo"));
                let simplified = rest.contains(&"hans");
                Some(if traditional && !simplified { Lang::ZhHant } else { Lang::ZhHans })
            }
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The best of our languages in an `Accept-Language` header (by q-value, then order).
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (i, item) in header.split(',').take(32).enumerate() {
            let mut fields = item.split(';');
            let tag = fields.next().unwrap_or("");
            let q = fields
                .find_map(|f| f.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
                .unwrap_or(1.0);
            if let Some(lang) = Lang::from_tag(tag) {
                if q > 0.0 && best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi)) {
                    best = Some((q, i, lang));
                }
            }
        }
        best.map(|(_, _, l)| l)
    }

    pub fn negotiate(query: Option<&str>, chosen: Option<&str>, accept_language: Option<&str>) -> Lang {
        query
            .and_then(Lang::parse)
            .or_else(|| chosen.and_then(Lang::parse))
            .or_else(|| accept_language.and_then(Lang::from_accept_language))
            .unwrap_or(Lang::ZhHans)
    }

    /// The text for `key`; the key itself when it is missing (visible in tests, never a panic in production).
    pub fn t(self, key: &str) -> &'static str {
        let i = self as usize;
        entries().find(|(k, _)| *k == key).map_or("?", |(_, texts)| texts[i])
    }
}

/// Every catalog section: the core one here, and one per feature area kept beside its code.
pub const SECTIONS: &[&[(&str, [&str; 3])]] = &[CATALOG, crate::protection::TEXTS, crate::wellbeing::TEXTS, crate::pages::tickets::TEXTS, crate::admin::sla::TEXTS, crate::admin::complaints::TEXTS];

fn entries() -> impl Iterator<Item = &'static (&'static str, [&'static str; 3])> {
    SECTIONS.iter().flat_map(|section| section.iter())
}

/// key → [简体中文, 繁體中文, English].
pub const CATALOG: &[(&str, [&str; 3])] = &[
    ("app.name", ["安心客服", "安心客服", "Anxin"]),
    ("app.tagline", ["懂情绪的电商客服平台", "懂情緒的電商客服平台", "Emotion-aware customer service"]),
    ("login.title", ["登录", "登入", "Sign in"]),
    ("login.username", ["用户名", "使用者名稱", "Username"]),
    ("login.password", ["密码", "密碼", "Password"]),
    ("login.submit", ["登录", "登入", "Sign in"]),
    ("login.failed", ["用户名或密码错误", "使用者名稱或密碼錯誤", "Wrong username or password"]),
    ("login.throttled", ["尝试次数过多，请稍后再试", "嘗試次數過多，請稍後再試", "Too many attempts; please try again later"]),
    ("login.expired", ["登录已过期，请重新登录", "登入已過期，請重新登入", "Your session has expired; please sign in again"]),
    ("nav.inbox", ["会话", "會話", "Inbox"]),
    ("nav.board", ["实时看板", "即時看板", "Live board"]),
    ("nav.admin", ["管理", "管理", "Admin"]),
    ("nav.logout", ["退出登录", "登出", "Sign out"]),
    ("nav.language", ["语言", "語言", "Language"]),
    ("inbox.mine", ["我的", "我的", "Mine"]),
    ("inbox.unassigned", ["待分配", "待分配", "Unassigned"]),
    ("inbox.all", ["全部", "全部", "All"]),
    ("inbox.empty", ["暂无会话", "暫無會話", "No conversations"]),
    ("inbox.waiting", ["等待", "等待", "waiting"]),
    ("inbox.select", ["请选择左侧的会话", "請選擇左側的會話", "Select a conversation on the left"]),
    ("status.open", ["进行中", "進行中", "Open"]),
    ("status.pending", ["待处理", "待處理", "Pending"]),
    ("status.snoozed", ["已暂停", "已暫停", "Snoozed"]),
    ("status.resolved", ["已解决", "已解決", "Resolved"]),
    ("emotion.anger", ["愤怒", "憤怒", "Angry"]),
    ("emotion.anxiety", ["焦虑", "焦慮", "Anxious"]),
    ("emotion.disappointment", ["失望", "失望", "Disappointed"]),
    ("emotion.neutral", ["平静", "平靜", "Neutral"]),
    ("emotion.satisfied", ["满意", "滿意", "Satisfied"]),
    ("complaint.quality", ["质量问题", "品質問題", "Quality"]),
    ("complaint.logistics", ["物流问题", "物流問題", "Delivery"]),
    ("complaint.price", ["价格问题", "價格問題", "Price"]),
    ("complaint.service", ["服务问题", "服務問題", "Service"]),
    ("complaint.refund_return", ["退换货", "退換貨", "Refund / return"]),
    ("complaint.size_spec", ["尺码规格", "尺碼規格", "Size / spec"]),
    ("complaint.payment", ["支付问题", "支付問題", "Payment"]),
    ("complaint.other", ["其他", "其他", "Other"]),
    ("conversation.risk", ["投诉风险", "投訴風險", "Complaint risk"]),
    ("conversation.trajectory.escalating", ["情绪升级", "情緒升級", "Escalating"]),
    ("conversation.trajectory.calming", ["趋于平复", "趨於平復", "Calming down"]),
    ("conversation.trajectory.stable", ["情绪平稳", "情緒平穩", "Stable"]),
    ("conversation.reply", ["回复顾客", "回覆顧客", "Reply to the customer"]),
    ("conversation.note", ["内部备注", "內部備註", "Internal note"]),
    ("conversation.send", ["发送", "發送", "Send"]),
    ("conversation.intensity", ["强度", "強度", "Intensity"]),
    ("inbox.customer", ["顾客", "顧客", "Customer"]),
    ("inbox.channel", ["渠道", "渠道", "Channel"]),
    ("inbox.assign_me", ["分配给我", "分配給我", "Assign to me"]),
    ("inbox.resolve", ["标记为已解决", "標記為已解決", "Resolve"]),
    ("inbox.reopen", ["重新打开", "重新打開", "Reopen"]),
    ("inbox.live", ["实时连接正常", "即時連線正常", "Live"]),
    ("inbox.offline", ["连接中断，正在重连…", "連線中斷，正在重新連線…", "Disconnected, reconnecting…"]),
    ("inbox.new_message", ["新消息", "新訊息", "New message"]),
    ("inbox.signals", ["升级信号", "升級訊號", "Escalation signals"]),
    ("inbox.placeholder", ["输入回复，Ctrl+Enter 发送", "輸入回覆，Ctrl+Enter 發送", "Type a reply, Ctrl+Enter to send"]),
    ("tone.title", ["发送前语气检查", "發送前語氣檢查", "Tone check before sending"]),
    ("tone.problems", ["需要注意的措辞", "需要注意的措辭", "Wording to reconsider"]),
    ("tone.missing", ["建议补充", "建議補充", "Consider adding"]),
    ("tone.suggestion", ["建议改写", "建議改寫", "Suggested rewrite"]),
    ("tone.use", ["使用建议改写", "使用建議改寫", "Use the rewrite"]),
    ("tone.send_anyway", ["仍然发送", "仍然發送", "Send anyway"]),
    ("tone.edit", ["继续修改", "繼續修改", "Keep editing"]),
    ("tone.missing.acknowledgement", ["认可顾客的感受", "認可顧客的感受", "Acknowledge the customer's feelings"]),
    ("tone.missing.apology", ["真诚的道歉", "真誠的道歉", "A sincere apology"]),
    ("tone.missing.next_step_with_time", ["具体的下一步和时间", "具體的下一步和時間", "A concrete next step with a time"]),
    ("tone.missing.options", ["可供选择的方案", "可供選擇的方案", "Options to choose from"]),
    ("tone.missing.answer", ["直接回答顾客的问题", "直接回答顧客的問題", "An answer to the customer's question"]),
    ("strategy.title", ["应对策略", "應對策略", "How to respond"]),
    ("strategy.anger.1", ["先倾听，让顾客把话说完，不打断、不辩解", "先傾聽，讓顧客把話說完，不打斷、不辯解", "Listen first: let the customer finish, do not interrupt or argue"]),
    ("strategy.anger.2", ["明确认可情绪：“遇到这种情况换谁都会生气”", "明確認可情緒：「遇到這種情況換誰都會生氣」", "Acknowledge the feeling: anyone would be upset by this"]),
    ("strategy.anger.3", ["道歉后立刻给出你能做的具体行动和时间", "道歉後立刻給出你能做的具體行動和時間", "After apologising, say exactly what you will do, and by when"]),
    ("strategy.anxiety.1", ["给准确的信息：物流节点、处理进度、到账时间", "給準確的資訊：物流節點、處理進度、到帳時間", "Give precise facts: tracking status, progress, when money arrives"]),
    ("strategy.anxiety.2", ["说清下一步和时间点，并主动承诺回访", "說清下一步和時間點，並主動承諾回訪", "State the next step with a time, and promise to follow up"]),
    ("strategy.anxiety.3", ["语气平稳笃定，避免“应该”“可能”这类模糊词", "語氣平穩篤定，避免「應該」「可能」這類模糊詞", "Sound calm and certain; avoid vague words like 'maybe'"]),
    ("strategy.disappointment.1", ["真诚致歉，承认没有达到顾客的期待", "真誠致歉，承認沒有達到顧客的期待", "Apologise sincerely: we fell short of what they expected"]),
    ("strategy.disappointment.2", ["给出两到三个可选的解决方案，让顾客选择", "給出兩到三個可選的解決方案，讓顧客選擇", "Offer two or three solutions and let the customer choose"]),
    ("strategy.disappointment.3", ["说明改进措施，重建信任", "說明改進措施，重建信任", "Explain what will change, to rebuild trust"]),
    ("strategy.neutral.1", ["准确、简洁地回答问题", "準確、簡潔地回答問題", "Answer accurately and briefly"]),
    ("strategy.neutral.2", ["确认是否还有其他需要", "確認是否還有其他需要", "Check whether anything else is needed"]),
    ("strategy.neutral.3", ["留意情绪变化，及时调整语气", "留意情緒變化，及時調整語氣", "Watch for a change of mood and adjust your tone"]),
    ("strategy.satisfied.1", ["真诚感谢顾客的认可与耐心", "真誠感謝顧客的認可與耐心", "Thank the customer for their patience and kind words"]),
    ("strategy.satisfied.2", ["确认问题已完全解决", "確認問題已完全解決", "Confirm the problem is fully solved"]),
    ("strategy.satisfied.3", ["适度邀请评价，欢迎再次光临", "適度邀請評價，歡迎再次光臨", "Invite a rating, and welcome them back"]),
    ("strategy.irrational", ["非理性投诉", "非理性投訴", "Irrational complaint"]),
    ("strategy.irrational.1", ["先接纳情绪，不争对错：“您的感受我们非常重视”", "先接納情緒，不爭對錯：「您的感受我們非常重視」", "Accept the emotion first; do not argue about who is right"]),
    ("strategy.irrational.2", ["找到真正的诉求和根源，而不是只回应过激的话", "找到真正的訴求和根源，而不是只回應過激的話", "Find the real need and its root cause, not just the heated words"]),
    ("strategy.irrational.3", ["多用开放式提问，让顾客说出最在意的是什么", "多用開放式提問，讓顧客說出最在意的是什麼", "Ask open questions so the customer can say what matters most"]),
    ("strategy.script", ["参考话术", "參考話術", "Example wording"]),
    ("strategy.anger.script", ["非常理解您现在的心情，换作是我也会生气。这件事是我们没做好，我现在马上为您处理，【时间】前给您结果。", "非常理解您現在的心情，換作是我也會生氣。這件事是我們沒做好，我現在馬上為您處理，【時間】前給您結果。", "I completely understand why you're upset; I would be too. We got this wrong, and I'm handling it now: you'll have an answer by [time]."]),
    ("strategy.anxiety.script", ["请您放心，您的包裹目前在【位置】，预计【时间】前送达；我会在【时间】再帮您跟进一次，有进展第一时间告诉您。", "請您放心，您的包裹目前在【位置】，預計【時間】前送達；我會在【時間】再幫您跟進一次，有進展第一時間告訴您。", "Please don't worry: your parcel is at [location] and should arrive by [time]. I'll check again at [time] and tell you as soon as anything changes."]),
    ("strategy.disappointment.script", ["真的很抱歉让您失望了。我们可以为您提供两个方案：一是【方案一】；二是【方案二】，您看哪个更合适？", "真的很抱歉讓您失望了。我們可以為您提供兩個方案：一是【方案一】；二是【方案二】，您看哪個更合適？", "I'm truly sorry we let you down. We can offer two options: [option one], or [option two]. Which would suit you better?"]),
    ("strategy.irrational.script", ["我能感受到您非常不满，您的感受我们很重视。为了尽快帮您解决，能和我说说最让您不满意的是哪一点吗？", "我能感受到您非常不滿，您的感受我們很重視。為了盡快幫您解決，能和我說說最讓您不滿意的是哪一點嗎？", "I can hear how unhappy you are, and that matters to us. So I can fix this quickly, could you tell me what bothers you most?"]),
    ("strategy.neutral.script", ["您好，关于您的问题：【答复】。请问还有其他可以帮您的吗？", "您好，關於您的問題：【答覆】。請問還有其他可以幫您的嗎？", "Hello! About your question: [answer]. Is there anything else I can help with?"]),
    ("strategy.satisfied.script", ["感谢您的理解和支持！问题已经为您处理好了，欢迎随时再来找我们。", "感謝您的理解和支持！問題已經為您處理好了，歡迎隨時再來找我們。", "Thank you for your patience and kind words! Everything is sorted; we're always here if you need us."]),
    ("strategy.insert", ["插入回复框", "插入回覆框", "Insert into reply"]),
    ("signal.regulator", ["扬言向监管部门投诉（12315 / 消协）", "揚言向監管部門投訴（12315 / 消協）", "Threatens a regulator (12315, consumer association)"]),
    ("signal.platform_complaint", ["扬言平台投诉或差评", "揚言平台投訴或負評", "Threatens a platform complaint or bad review"]),
    ("signal.media", ["扬言媒体曝光", "揚言媒體曝光", "Threatens media exposure"]),
    ("signal.legal", ["扬言法律途径", "揚言法律途徑", "Threatens legal action"]),
    ("signal.urgency", ["要求紧急处理", "要求緊急處理", "Demands urgency"]),
    ("signal.shouting", ["情绪激动（连续感叹号 / 全大写）", "情緒激動（連續驚嘆號 / 全大寫）", "Shouting (!!!, all caps)"]),
    ("signal.profanity", ["辱骂或不文明用语", "辱罵或不文明用語", "Insults or profanity"]),
    ("signal.repeated_contact", ["多次联系仍未解决", "多次聯絡仍未解決", "Has contacted us repeatedly"]),
    ("inbox.customer_typing", ["顾客正在输入…", "顧客正在輸入…", "The customer is typing…"]),
    ("inbox.new_conversations", ["有新的会话，点击刷新", "有新的會話，點擊重新整理", "New conversations: click to refresh"]),
    ("inbox.just_now", ["刚刚", "剛剛", "just now"]),
    ("inbox.team", ["我的团队", "我的團隊", "My teams"]),
    ("inbox.load_more", ["加载更多", "載入更多", "Load more"]),
    ("inbox.conversations", ["会话列表", "會話列表", "Conversations"]),
    ("inbox.has_signals", ["有升级信号", "有升級訊號", "Escalation signals"]),
    ("filter.title", ["筛选", "篩選", "Filter"]),
    ("filter.status", ["状态", "狀態", "Status"]),
    ("filter.emotion", ["情绪", "情緒", "Emotion"]),
    ("filter.complaint", ["投诉类型", "投訴類型", "Complaint type"]),
    ("filter.any", ["全部", "全部", "Any"]),
    ("filter.high_risk", ["仅看高投诉风险", "僅看高投訴風險", "High complaint risk only"]),
    ("filter.apply", ["应用筛选", "套用篩選", "Apply"]),
    ("filter.clear", ["清除", "清除", "Clear"]),
    ("conversation.assignee", ["负责人", "負責人", "Assignee"]),
    ("conversation.team", ["团队", "團隊", "Team"]),
    ("conversation.priority", ["优先级", "優先級", "Priority"]),
    ("conversation.labels", ["标签", "標籤", "Labels"]),
    ("conversation.labels_hint", ["用逗号分隔，例如：催发货, 退款", "用逗號分隔，例如：催發貨, 退款", "Comma-separated, e.g. shipping, refund"]),
    ("conversation.nobody", ["未分配", "未分配", "Unassigned"]),
    ("conversation.no_team", ["无团队", "無團隊", "No team"]),
    ("conversation.actions", ["会话操作", "會話操作", "Conversation actions"]),
    ("conversation.trajectory", ["情绪轨迹", "情緒軌跡", "Emotion trajectory"]),
    ("action.assign", ["分配", "分配", "Assign"]),
    ("action.transfer", ["转给团队", "轉給團隊", "Transfer to team"]),
    ("action.save", ["保存", "儲存", "Save"]),
    ("action.updated", ["已更新", "已更新", "Updated"]),
    ("priority.low", ["低", "低", "Low"]),
    ("priority.normal", ["普通", "普通", "Normal"]),
    ("priority.high", ["高", "高", "High"]),
    ("priority.urgent", ["紧急", "緊急", "Urgent"]),
    ("profile.title", ["顾客档案", "顧客檔案", "Customer profile"]),
    ("profile.contacts", ["联系方式", "聯絡方式", "Contact"]),
    ("profile.since", ["首次联系", "首次聯絡", "Customer since"]),
    ("profile.history", ["历史会话", "歷史會話", "Past conversations"]),
    ("profile.none", ["这是该顾客的第一次会话", "這是該顧客的第一次會話", "This is the customer's first conversation"]),
    ("contact.web_visitor", ["网页访客", "網頁訪客", "Web visitor"]),
    ("contact.email", ["邮箱", "電子郵件", "Email"]),
    ("contact.phone", ["电话", "電話", "Phone"]),
    ("contact.external", ["外部编号", "外部編號", "External id"]),
    ("shortcuts.title", ["快捷键", "快速鍵", "Keyboard shortcuts"]),
    ("shortcuts.next", ["j / k：下一个 / 上一个会话", "j / k：下一個 / 上一個會話", "j / k: next / previous conversation"]),
    ("shortcuts.reply", ["r：写回复；n：写内部备注", "r：寫回覆；n：寫內部備註", "r: reply; n: internal note"]),
    ("shortcuts.send", ["Ctrl+Enter：发送；Esc：离开输入框", "Ctrl+Enter：發送；Esc：離開輸入框", "Ctrl+Enter: send; Esc: leave the text box"]),
    ("shortcuts.actions", ["a：分配给我；e：标记已解决 / 重新打开", "a：分配給我；e：標記已解決 / 重新打開", "a: assign to me; e: resolve / reopen"]),
    ("shortcuts.help", ["?：显示或隐藏快捷键", "?：顯示或隱藏快速鍵", "?: show or hide shortcuts"]),
    ("tone.in_draft", ["您的草稿", "您的草稿", "Your draft"]),
    ("tone.recorded", ["提醒后仍发送的回复会被记录，用于复盘和培训", "提醒後仍發送的回覆會被記錄，用於複盤和培訓", "Replies sent despite a warning are recorded for review and training"]),
    ("tone.checking", ["正在检查语气…", "正在檢查語氣…", "Checking tone…"]),
    ("error.action_failed", ["操作失败，请重试", "操作失敗，請重試", "That did not work; please try again"]),
    ("error.too_long", ["消息过长，无法发送", "訊息過長，無法發送", "The message is too long to send"]),
    ("error.forbidden", ["你的角色无权访问此页面", "你的角色無權存取此頁面", "Your role may not open this page"]),
    ("error.not_found", ["页面不存在", "頁面不存在", "Page not found"]),
    ("nav.sections", ["主导航", "主導覽", "Sections"]),
    ("presence.label", ["我的状态", "我的狀態", "My availability"]),
    ("presence.online", ["在线", "在線", "Online"]),
    ("presence.break", ["小休", "小休", "On a break"]),
    ("presence.offline", ["离线", "離線", "Offline"]),
    ("presence.invalid", ["状态无效，请选择在线、小休或离线", "狀態無效，請選擇在線、小休或離線", "Unknown availability: choose online, on a break or offline"]),
    ("board.live", ["实时连接正常", "即時連線正常", "Live"]),
    ("board.offline", ["连接中断，正在重连…", "連線中斷，正在重新連線…", "Disconnected, reconnecting…"]),
    ("board.connecting", ["正在连接…", "正在連線…", "Connecting…"]),
    ("board.updated", ["更新于", "更新於", "Updated"]),
    ("board.just_now", ["刚刚", "剛剛", "just now"]),
    ("board.now", ["现在", "現在", "now"]),
    ("board.ago", ["{t}前", "{t}前", "{t} ago"]),
    ("board.minutes_ago", ["{n}分钟前", "{n}分鐘前", "{n} min ago"]),
    ("board.summary", ["概况", "概況", "Summary"]),
    ("board.unassigned", ["待分配", "待分配", "Unassigned"]),
    ("board.longest_wait", ["最长等待", "最長等待", "Longest wait"]),
    ("board.open", ["进行中", "進行中", "Open"]),
    ("board.online_agents", ["在线客服", "在線客服", "Agents online"]),
    ("board.queues", ["队列与等待", "佇列與等待", "Queues and waits"]),
    ("board.team", ["团队", "團隊", "Team"]),
    ("board.no_team", ["未分配团队", "未分配團隊", "No team"]),
    ("board.no_queues", ["暂无进行中的会话", "暫無進行中的會話", "No open conversations"]),
    ("board.agents", ["客服状态与接待量", "客服狀態與接待量", "Agents and load"]),
    ("board.agent", ["客服", "客服", "Agent"]),
    ("board.state", ["状态", "狀態", "State"]),
    ("board.since", ["持续", "持續", "For"]),
    ("board.load", ["当前接待", "目前接待", "Open now"]),
    ("board.no_agents", ["暂无客服", "暫無客服", "No agents"]),
    ("board.hot", ["需要关注的会话", "需要關注的會話", "Needs attention"]),
    ("board.last_activity", ["最近消息", "最近訊息", "Last message"]),
    ("board.no_hot", ["目前没有需要特别关注的会话", "目前沒有需要特別關注的會話", "Nothing needs attention right now"]),
    ("board.mix", ["近一小时情绪分布", "近一小時情緒分布", "Emotion mix, last hour"]),
    ("board.mix_desc", ["近一小时共 {n} 条顾客消息：", "近一小時共 {n} 則顧客訊息：", "{n} customer messages in the last hour: "]),
    ("board.list_sep", ["、", "、", ", "]),
    ("board.mix_empty", ["近一小时暂无顾客消息", "近一小時暫無顧客訊息", "No customer messages in the last hour"]),
    ("board.mix_truncated", ["消息过多，仅统计了最新的 5000 条", "訊息過多，僅統計了最新的 5000 則", "A busy hour: only the newest 5,000 messages are counted"]),
    ("form.error.username", ["用户名需为 2–64 个字符，只能包含字母、数字和 . _ -", "使用者名稱需為 2–64 個字元，只能包含字母、數字和 . _ -", "2 to 64 letters, digits, '.', '_' or '-'"]),
    ("form.error.username_taken", ["该用户名已被使用", "此使用者名稱已被使用", "This username is taken"]),
    ("form.error.password", ["密码需为 10–256 个字符", "密碼需為 10–256 個字元", "10 to 256 characters"]),
    ("form.error.role", ["请选择一个有效的角色", "請選擇有效的角色", "Choose one of the roles"]),
    ("form.error.name", ["请填写 1–100 个字符，不能包含控制字符", "請填寫 1–100 個字元，不可包含控制字元", "1 to 100 characters, no control characters"]),
    ("form.error.team_taken", ["已有同名团队", "已有同名團隊", "A team with this name exists"]),
    ("form.error.origin_line", ["第 {line} 行不是有效的网站来源，应形如 https://shop.example.com", "第 {line} 行不是有效的網站來源，應形如 https://shop.example.com", "Line {line} is not an origin like https://shop.example.com"]),
    ("form.error.too_many_origins", ["来源过多（最多 50 个），请从第 {line} 行起删减", "來源過多（最多 50 個），請從第 {line} 行起刪減", "Too many origins (at most 50): remove lines from {line} on"]),
    ("form.error.no_origins", ["请至少填写一个允许嵌入聊天窗口的网站", "請至少填寫一個允許嵌入聊天視窗的網站", "Enter at least one website that may embed the chat"]),
    ("form.error.timezone", ["请填写 IANA 时区名称，例如 Asia/Shanghai", "請填寫 IANA 時區名稱，例如 Asia/Taipei", "An IANA time zone such as Asia/Shanghai"]),
    ("form.error.hours", ["请同时填写开始和结束时间（时:分），且两者不能相同", "請同時填寫開始和結束時間（時:分），且兩者不可相同", "Enter both a start and an end time (HH:MM), not the same"]),
    ("form.error.language", ["请选择列表中的语言", "請選擇清單中的語言", "Choose a language from the list"]),
    ("form.csrf_title", ["表单已失效", "表單已失效", "This form has expired"]),
    ("form.csrf_message", ["为了安全，这次提交没有执行。请返回页面，刷新后再试一次。", "為了安全，這次提交沒有執行。請返回頁面，重新整理後再試一次。", "For your safety, nothing was changed. Go back, reload the page and try again."]),
    ("form.back", ["返回", "返回", "Go back"]),
    ("form.fix_errors", ["有几处需要修改，请查看下面标出的字段", "有幾處需要修改，請查看下方標出的欄位", "Some fields need a fix: see the marked fields below"]),
    ("form.optional", ["（选填）", "（選填）", "(optional)"]),
    ("form.save", ["保存", "儲存", "Save"]),
    ("admin.sections", ["管理分区", "管理分區", "Admin sections"]),
    ("admin.overview", ["概览", "概覽", "Overview"]),
    ("admin.users", ["用户与角色", "使用者與角色", "Users and roles"]),
    ("admin.teams", ["团队", "團隊", "Teams"]),
    ("admin.channels", ["渠道", "渠道", "Channels"]),
    ("admin.settings", ["组织设置", "組織設定", "Organisation settings"]),
    ("admin.users_hint", ["添加账号、分配角色、停用离职人员", "新增帳號、分配角色、停用離職人員", "Add people, set roles, deactivate leavers"]),
    ("admin.inactive_count", ["已停用", "已停用", "deactivated"]),
    ("admin.teams_hint", ["按团队分流会话", "依團隊分流會話", "Route conversations by team"]),
    ("admin.channels_hint", ["网页聊天窗口与嵌入代码", "網頁聊天視窗與嵌入程式碼", "Web chat and its embed tag"]),
    ("admin.settings_hint", ["名称、时区、默认语言、营业时间", "名稱、時區、預設語言、營業時間", "Name, time zone, language, business hours"]),
    ("admin.username", ["用户名", "使用者名稱", "Username"]),
    ("admin.display_name", ["显示名称", "顯示名稱", "Display name"]),
    ("admin.department", ["部门", "部門", "Department"]),
    ("admin.role", ["角色", "角色", "Role"]),
    ("admin.role_of", ["{name} 的角色", "{name} 的角色", "Role of {name}"]),
    ("admin.account", ["账号", "帳號", "Account"]),
    ("admin.you", ["你自己", "你自己", "you"]),
    ("admin.change_role", ["修改", "修改", "Change"]),
    ("admin.active", ["已启用", "已啟用", "Active"]),
    ("admin.inactive", ["已停用", "已停用", "Deactivated"]),
    ("admin.deactivate", ["停用", "停用", "Deactivate"]),
    ("admin.reactivate", ["重新启用", "重新啟用", "Reactivate"]),
    ("admin.new_user", ["添加用户", "新增使用者", "Add a user"]),
    ("admin.username_hint", ["登录时使用；2–64 个字符，可用字母、数字和 . _ -", "登入時使用；2–64 個字元，可用字母、數字和 . _ -", "Used to sign in: 2 to 64 letters, digits, '.', '_' or '-'"]),
    ("admin.password", ["初始密码", "初始密碼", "Initial password"]),
    ("admin.password_hint", ["至少 10 个字符，请通过安全的方式告知本人", "至少 10 個字元，請透過安全的方式告知本人", "At least 10 characters; hand it over safely"]),
    ("admin.password_again", ["为安全起见，请重新输入密码。", "為安全起見，請重新輸入密碼。", "For safety, enter the password again."]),
    ("admin.create_user", ["创建用户", "建立使用者", "Create user"]),
    ("admin.no_teams", ["还没有团队", "還沒有團隊", "No teams yet"]),
    ("admin.no_members", ["暂无成员", "暫無成員", "No members yet"]),
    ("admin.members", ["成员", "成員", "Members"]),
    ("admin.add_member", ["添加成员", "新增成員", "Add member"]),
    ("admin.add", ["添加", "新增", "Add"]),
    ("admin.new_team", ["新建团队", "新建團隊", "New team"]),
    ("admin.team_name", ["团队名称", "團隊名稱", "Team name"]),
    ("admin.create_team", ["创建团队", "建立團隊", "Create team"]),
    ("admin.no_channels", ["还没有渠道", "還沒有渠道", "No channels yet"]),
    ("admin.channel_key", ["渠道标识", "渠道識別碼", "Channel key"]),
    ("admin.allowed_origins", ["允许嵌入的网站", "允許嵌入的網站", "Allowed websites"]),
    ("admin.snippet", ["嵌入代码（放在网站每个页面的 </body> 之前）", "嵌入程式碼（放在網站每個頁面的 </body> 之前）", "Embed tag (put it before </body> on every page of the site)"]),
    ("admin.copy", ["复制", "複製", "Copy"]),
    ("admin.copied", ["已复制到剪贴板", "已複製到剪貼簿", "Copied to the clipboard"]),
    ("admin.copy_select", ["已选中代码，请按 Ctrl+C 复制", "已選取程式碼，請按 Ctrl+C 複製", "Selected: press Ctrl+C to copy"]),
    ("admin.new_channel", ["新建网页聊天渠道", "新建網頁聊天渠道", "New web chat channel"]),
    ("admin.channel_name", ["渠道名称", "渠道名稱", "Channel name"]),
    ("admin.origins_hint", ["每行一个，例如 https://shop.example.com；只有这些网站能使用聊天窗口", "每行一個，例如 https://shop.example.com；只有這些網站能使用聊天視窗", "One per line, e.g. https://shop.example.com; only these sites can use the chat"]),
    ("admin.create_channel", ["创建渠道", "建立渠道", "Create channel"]),
    ("admin.org_name", ["组织名称", "組織名稱", "Organisation name"]),
    ("admin.timezone", ["时区", "時區", "Time zone"]),
    ("admin.timezone_hint", ["IANA 时区名称，例如 Asia/Shanghai", "IANA 時區名稱，例如 Asia/Taipei", "An IANA name such as Asia/Shanghai"]),
    ("admin.default_language", ["默认界面语言", "預設介面語言", "Default interface language"]),
    ("admin.language_auto", ["跟随浏览器", "跟隨瀏覽器", "Follow the browser"]),
    ("admin.business_hours", ["营业时间", "營業時間", "Business hours"]),
    ("admin.hours_start", ["开始", "開始", "From"]),
    ("admin.hours_end", ["结束", "結束", "To"]),
    ("admin.ok.user_created", ["用户已创建。", "使用者已建立。", "User created."]),
    ("admin.ok.role_changed", ["角色已修改。", "角色已修改。", "Role changed."]),
    ("admin.ok.user_deactivated", ["账号已停用，该用户已被登出。", "帳號已停用，該使用者已被登出。", "Account deactivated; they have been signed out."]),
    ("admin.ok.user_reactivated", ["账号已重新启用。", "帳號已重新啟用。", "Account reactivated."]),
    ("admin.ok.team_created", ["团队已创建。", "團隊已建立。", "Team created."]),
    ("admin.ok.member_added", ["成员已添加。", "成員已新增。", "Member added."]),
    ("admin.ok.channel_created", ["渠道已创建，把下面的嵌入代码放到网站上即可。", "渠道已建立，把下方的嵌入程式碼放到網站上即可。", "Channel created: put its embed tag on your site."]),
    ("admin.ok.settings_saved", ["设置已保存。", "設定已儲存。", "Settings saved."]),
    ("admin.error.self", ["不能修改自己的角色，也不能停用自己的账号", "不能修改自己的角色，也不能停用自己的帳號", "You cannot change your own role or deactivate yourself"]),
    ("admin.error.no_user", ["找不到该用户", "找不到該使用者", "No such user"]),
    ("admin.error.bad_form", ["表单内容无效，请刷新页面后重试", "表單內容無效，請重新整理頁面後再試", "The form was not valid: reload the page and try again"]),
    ("admin.error.pick_member", ["请选择要添加的成员", "請選擇要新增的成員", "Choose a person to add"]),
    ("admin.error.no_team_or_user", ["找不到该团队或用户", "找不到該團隊或使用者", "No such team or user"]),
    ("role.admin", ["管理员", "管理員", "Admin"]),
    ("role.supervisor", ["主管", "主管", "Supervisor"]),
    ("role.agent", ["客服", "客服", "Agent"]),
    ("role.handler", ["部门处理人", "部門處理人", "Department handler"]),
    ("role.trainer", ["培训师", "培訓師", "Trainer"]),
    ("channel.web_chat", ["网页聊天", "網頁聊天", "Web chat"]),
    ("channel.email", ["邮件", "郵件", "Email"]),
    ("channel.api", ["API 接入", "API 接入", "API"]),
    ("admin.availability", ["在岗状态", "在崗狀態", "Availability"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_order() {
        type Case<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, Lang);
        let cases: &[Case<'_>] = &[
            (None, None, None, Lang::ZhHans),
            (Some("en"), Some("zh-Hant"), Some("zh-CN"), Lang::En),
            (None, Some("zh-Hant"), Some("en-US"), Lang::ZhHant),
            (None, None, Some("zh-TW,zh;q=0.9,en;q=0.8"), Lang::ZhHant),
            (None, None, Some("en-GB,en;q=0.9,zh-CN;q=0.5"), Lang::En),
            (None, None, Some("fr-FR,de;q=0.9"), Lang::ZhHans),
            (None, None, Some("fr,zh-HK;q=0.3,en;q=0.2"), Lang::ZhHant),
            (None, None, Some("zh-Hans-HK"), Lang::ZhHans),
            (Some("klingon"), None, Some("en"), Lang::En),
            (None, None, Some("en;q=0,zh"), Lang::ZhHans),
        ];
        for (query, chosen, accept, expected) in cases {
            assert_eq!(Lang::negotiate(*query, *chosen, *accept), *expected, "{query:?} {chosen:?} {accept:?}");
        }
    }

    #[test]
    fn every_key_has_three_texts_and_keys_are_unique() {
        let mut keys: Vec<&str> = entries().map(|(k, _)| *k).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate keys");
        for (key, texts) in entries() {
            assert!(texts.iter().all(|t| !t.trim().is_empty()), "{key}");
        }
        assert_eq!(Lang::En.t("login.title"), "Sign in");
        assert_eq!(Lang::ZhHant.t("login.title"), "登入");
        assert_eq!(Lang::ZhHans.t("no.such.key"), "?");
    }
}
