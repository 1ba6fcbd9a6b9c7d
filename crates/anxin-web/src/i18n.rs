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

    /// The content language with the same code (knowledge, curriculum and scenario texts come in these three).
    pub fn content_language(self) -> anxin_domain::Language {
        anxin_domain::Language::parse(self.code()).unwrap_or(anxin_domain::Language::ZhHans)
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
            if let Some(lang) = Lang::from_tag(tag)
                && q > 0.0 && best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi)) {
                    best = Some((q, i, lang));
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
pub const SECTIONS: &[&[(&str, [&str; 3])]] = &[CATALOG, crate::protection::TEXTS, crate::wellbeing::TEXTS, crate::pages::tickets::TEXTS, crate::admin::sla::TEXTS, crate::admin::complaints::TEXTS, crate::assist::TEXTS, crate::roleplay::TEXTS, crate::training::TEXTS, crate::pages::training_cases::TEXTS];

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
    ("tone.problem.impatient", ["不要流露不耐烦或责怪客户重复提问，耐心地把信息再说明一遍。", "不要流露不耐煩或責怪客戶重複提問，耐心地把資訊再說明一遍。", "Don't sound impatient or blame the customer for asking again; explain it once more, patiently."]),
    ("tone.problem.blaming", ["避免把责任推给客户，用中性的方式描述情况，先解决问题。", "避免把責任推給客戶，用中性的方式描述情況，先解決問題。", "Don't put the blame on the customer; describe the situation neutrally and solve the problem first."]),
    ("tone.problem.dismissive", ["不要推脱，主动说明由谁、怎样来跟进处理。", "不要推託，主動說明由誰、怎樣來跟進處理。", "Don't pass the problem on; say who will follow it up and how."]),
    ("tone.problem.absolute_refusal", ["避免绝对化的拒绝，说明原因并给出可行的替代方案。", "避免絕對化的拒絕，說明原因並給出可行的替代方案。", "Avoid a flat refusal; give the reason and a workable alternative."]),
    ("tone.problem.sarcasm", ["去掉带讽刺或敷衍意味的措辞，保持真诚。", "去掉帶諷刺或敷衍意味的措辭，保持真誠。", "Drop the sarcastic or perfunctory wording; keep it sincere."]),
    ("tone.problem.cold", ["回复过于简短生硬，请补充礼貌用语和具体信息。", "回覆過於簡短生硬，請補充禮貌用語和具體資訊。", "The reply is curt; add a courteous word and the concrete details."]),
    ("tone.problem.shouting", ["避免连续感叹号或全大写，语气会显得激动。", "避免連續感嘆號或全大寫，語氣會顯得激動。", "Avoid strings of exclamation marks or ALL CAPS; they sound agitated."]),
    ("tone.problem.stalling", ["不要只让客户等，给出具体的下一步和明确时间（如“明天18:00前给您回复”）。", "不要只讓客戶等，給出具體的下一步和明確時間（如「明天18:00前給您回覆」）。", "Don't just ask the customer to wait; give a concrete next step and a time (\"I'll reply by 6 pm tomorrow\")."]),
    ("tone.problem.lecturing", ["不要纠正客户的措辞或让客户冷静，先接纳情绪，再解决问题。", "不要糾正客戶的措辭或讓客戶冷靜，先接納情緒，再解決問題。", "Don't correct the customer's words or tell them to calm down; accept the feeling first, then solve the problem."]),
    ("tone.problem.brush_off", ["不要把客户遇到的问题说成“正常”“都这样”，先确认问题，再说明原因和处理办法。", "不要把客戶遇到的問題說成「正常」「都這樣」，先確認問題，再說明原因和處理辦法。", "Don't call the customer's problem \"normal\" or \"always like that\"; confirm it, then explain the cause and the fix."]),
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
    // The knowledge base and script library pages (pages/knowledge.rs).
    ("kb.nav", ["知识库", "知識庫", "Knowledge"]),
    ("kb.title", ["知识库与话术", "知識庫與話術", "Knowledge and scripts"]),
    ("kb.nav.list", ["全部条目", "全部條目", "All entries"]),
    ("kb.nav.new", ["新建条目", "新增條目", "New entry"]),
    ("kb.nav.propose", ["提交新话术", "提交新話術", "Propose a script"]),
    ("kb.nav.import", ["导入与导出", "匯入與匯出", "Import and export"]),
    ("kb.nav.synonyms", ["搜索同义词", "搜尋同義詞", "Search synonyms"]),
    ("kb.nav.stats", ["话术效果", "話術成效", "Script outcomes"]),
    ("kb.kind.faq", ["常见问题", "常見問題", "FAQ"]),
    ("kb.kind.article", ["知识文章", "知識文章", "Articles"]),
    ("kb.kind.script", ["话术", "話術", "Scripts"]),
    ("kb.situation.opening", ["开场", "開場", "Opening"]),
    ("kb.situation.apology", ["致歉", "致歉", "Apology"]),
    ("kb.situation.explanation", ["解释说明", "解釋說明", "Explanation"]),
    ("kb.situation.options", ["提供方案", "提供方案", "Options"]),
    ("kb.situation.closing", ["结束语", "結束語", "Closing"]),
    ("kb.situation.follow_up", ["回访跟进", "回訪跟進", "Follow-up"]),
    ("kb.situation.competitor", ["竞品比较", "競品比較", "Competitor comparison"]),
    ("kb.var.customer_name", ["顾客称呼", "顧客稱呼", "Customer's name"]),
    ("kb.var.order_no", ["订单号", "訂單號", "Order number"]),
    ("kb.var.date", ["日期", "日期", "Date"]),
    ("kb.var.time", ["时间", "時間", "Time"]),
    ("kb.var.product", ["商品", "商品", "Product"]),
    ("kb.var.amount", ["金额", "金額", "Amount"]),
    ("kb.var.agent_name", ["客服姓名", "客服姓名", "Agent's name"]),
    ("kb.any", ["不限", "不限", "Any"]),
    ("kb.choose", ["请选择", "請選擇", "Choose"]),
    ("kb.state.published", ["已发布", "已發布", "Published"]),
    ("kb.state.draft", ["草稿（未发布）", "草稿（未發布）", "Draft (not published)"]),
    ("kb.state.pending", ["待审核", "待審核", "Awaiting review"]),
    ("kb.search.label", ["搜索知识库", "搜尋知識庫", "Search the knowledge base"]),
    ("kb.search.placeholder", ["例如：七天无理由退货", "例如：七天無理由退貨", "e.g. return within 7 days"]),
    ("kb.search.submit", ["搜索", "搜尋", "Search"]),
    ("kb.search.hint", ["搜索已发布的条目；简繁体、全半角和同义词都能找到。", "搜尋已發布的條目；簡繁體、全半形和同義詞都能找到。", "Searches published entries; Simplified or Traditional, full- or half-width and synonyms all match."]),
    ("kb.search.filters_hint", ["情绪、投诉类型和场景只筛选话术。", "情緒、投訴類型和情境只篩選話術。", "Emotion, complaint type and situation filter scripts only."]),
    ("kb.search.results", ["搜索结果", "搜尋結果", "Results"]),
    ("kb.search.none", ["没有找到匹配的已发布条目，换个说法试试", "沒有找到符合的已發布條目，換個說法試試", "No published entry matches; try other words"]),
    ("kb.search.failed", ["搜索暂时不可用，请稍后再试", "搜尋暫時無法使用，請稍後再試", "Search is unavailable right now; please try again shortly"]),
    ("kb.list.empty", ["暂无条目", "暫無條目", "No entries"]),
    ("kb.list.more", ["条目较多，只显示前 500 条；请用搜索或筛选缩小范围。", "條目較多，只顯示前 500 條；請用搜尋或篩選縮小範圍。", "Only the first 500 are shown; search or filter to narrow the list."]),
    ("kb.col.title", ["标题", "標題", "Title"]),
    ("kb.col.id", ["编号", "編號", "Id"]),
    ("kb.col.language", ["语言", "語言", "Language"]),
    ("kb.col.facets", ["情绪 · 投诉类型 · 场景", "情緒 · 投訴類型 · 情境", "Emotion · complaint type · situation"]),
    ("kb.col.version", ["版本", "版本", "Version"]),
    ("kb.col.state", ["状态", "狀態", "State"]),
    ("kb.col.proposed_by", ["提交人", "提交人", "Proposed by"]),
    ("kb.col.actions", ["操作", "操作", "Actions"]),
    ("kb.col.author", ["修改人", "修改人", "Author"]),
    ("kb.col.time", ["时间", "時間", "Time"]),
    ("kb.col.updated", ["最后更新", "最後更新", "Last updated"]),
    ("kb.pending.title", ["待审核的话术", "待審核的話術", "Scripts awaiting review"]),
    ("kb.pending.mine", ["我提交的话术（待审核）", "我提交的話術（待審核）", "My proposed scripts (awaiting review)"]),
    ("kb.pending.none", ["没有待审核的话术", "沒有待審核的話術", "No scripts are waiting for review"]),
    ("kb.pending.approve", ["审核通过并发布", "審核通過並發布", "Approve and publish"]),
    ("kb.facts", ["条目信息", "條目資訊", "About this entry"]),
    ("kb.facets", ["适用场景", "適用情境", "When it fits"]),
    ("kb.script.text", ["话术内容", "話術內容", "Script text"]),
    ("kb.script.placeholder_hint", ["带框的 {变量} 在会话中会自动填入；无法自动填入的会原样保留，发送前请补全。", "帶框的 {變數} 在會話中會自動填入；無法自動填入的會原樣保留，發送前請補全。", "Boxed {placeholders} are filled in for the conversation; any left as they are must be completed before sending."]),
    ("kb.variants", ["其他语言版本", "其他語言版本", "Language versions"]),
    ("kb.variants.this", ["当前", "目前", "this one"]),
    ("kb.variants.add", ["添加版本：", "新增版本：", "Add a version: "]),
    ("kb.history.link", ["修改历史", "修改歷史", "History"]),
    ("kb.edit", ["编辑", "編輯", "Edit"]),
    ("kb.download", ["下载 Markdown 文件", "下載 Markdown 檔案", "Download as Markdown"]),
    ("kb.publish", ["发布", "發布", "Publish"]),
    ("kb.publish_hint", ["发布后客服可以搜索和使用该条目。", "發布後客服可以搜尋和使用該條目。", "Once published, agents can find and use it."]),
    ("kb.unpublish", ["撤回发布", "撤回發布", "Unpublish"]),
    ("kb.unpublish_hint", ["撤回后客服将搜索不到该条目，内容和历史保留。", "撤回後客服將搜尋不到該條目，內容和歷史保留。", "Agents will no longer find it; its content and history are kept."]),
    ("kb.ok.created", ["条目已创建（草稿）。检查无误后请发布。", "條目已建立（草稿）。檢查無誤後請發布。", "Entry created as a draft: publish it when it is ready."]),
    ("kb.ok.proposed", ["话术已提交，等待班长审核。审核前你仍可修改。", "話術已提交，等待班長審核。審核前你仍可修改。", "Script proposed: a lead will review it. You can still revise it until then."]),
    ("kb.ok.saved", ["已保存为新版本", "已儲存為新版本", "Saved as a new version"]),
    ("kb.ok.unchanged", ["内容没有变化，未创建新版本", "內容沒有變化，未建立新版本", "Nothing changed, so no new version was saved"]),
    ("kb.ok.published", ["已发布，客服现在可以搜索到它", "已發布，客服現在可以搜尋到它", "Published: agents can find it now"]),
    ("kb.ok.unpublished", ["已撤回发布", "已撤回發布", "Unpublished"]),
    ("kb.ok.synonyms", ["同义词已保存，搜索立即生效", "同義詞已儲存，搜尋立即生效", "Synonyms saved; search uses them now"]),
    ("kb.error.not_found", ["条目不存在或你无权查看", "條目不存在或你無權檢視", "No such entry, or you may not see it"]),
    ("kb.error.bad_form", ["表单内容无效，请刷新页面后重试", "表單內容無效，請重新整理頁面後重試", "The form is not valid; reload the page and try again"]),
    ("kb.error.changed", ["在你编辑期间，其他人保存了新版本。你填写的内容已保留；请查看修改历史，确认后再保存。", "在你編輯期間，其他人儲存了新版本。你填寫的內容已保留；請查看修改歷史，確認後再儲存。", "Someone saved a new version while you were editing. What you typed is kept: check the history, then save again."]),
    ("kb.error.exists", ["该编号和语言的条目已存在，请打开它进行编辑", "該編號和語言的條目已存在，請打開它進行編輯", "An entry with this id and language exists: open it to edit it"]),
    ("kb.error.id_taken", ["该编号已被其他条目使用，请换一个编号", "該編號已被其他條目使用，請換一個編號", "This id belongs to another entry: choose another"]),
    ("kb.error.kind_conflict", ["该编号的其他语言版本是另一种类型；同一编号的各语言版本类型必须相同", "該編號的其他語言版本是另一種類型；同一編號的各語言版本類型必須相同", "This id's other language versions are of another kind; all versions of an id share its kind"]),
    ("kb.rule.id", ["编号：3–64 个小写英文字母、数字或连字符，首尾为字母或数字", "編號：3–64 個小寫英文字母、數字或連字號，首尾為字母或數字", "Id: 3 to 64 lowercase letters, digits or hyphens, starting and ending with a letter or digit"]),
    ("kb.rule.kind", ["类型无效", "類型無效", "Not a valid kind"]),
    ("kb.rule.lang", ["请选择语言", "請選擇語言", "Choose a language"]),
    ("kb.rule.title", ["标题必填，最多 120 个字，不能包含控制字符", "標題必填，最多 120 個字，不可包含控制字元", "A title is required: up to 120 characters, no control characters"]),
    ("kb.rule.category", ["分类必填，最多 30 个字", "分類必填，最多 30 個字", "A category is required: up to 30 characters"]),
    ("kb.rule.tags", ["标签每行一个，最多 20 个，每个最多 30 个字，不能重复", "標籤每行一個，最多 20 個，每個最多 30 個字，不可重複", "One tag per line: up to 20, each up to 30 characters, no repeats"]),
    ("kb.rule.questions", ["常见问法每行一个，最多 10 个，每个最多 200 个字，不能重复", "常見問法每行一個，最多 10 個，每個最多 200 個字，不可重複", "One question per line: up to 10, each up to 200 characters, no repeats"]),
    ("kb.rule.emotion", ["请选择适用的顾客情绪", "請選擇適用的顧客情緒", "Choose the customer's emotion this script fits"]),
    ("kb.rule.complaint_type", ["请选择投诉类型或“不限”", "請選擇投訴類型或「不限」", "Choose a complaint type, or any"]),
    ("kb.rule.situation", ["请选择使用场景", "請選擇使用情境", "Choose the situation"]),
    ("kb.rule.channel", ["请选择渠道或“不限”", "請選擇渠道或「不限」", "Choose a channel, or any"]),
    ("kb.rule.variables", ["勾选的变量必须与话术内容中的 {变量} 完全一致", "勾選的變數必須與話術內容中的 {變數} 完全一致", "The ticked variables must be exactly the {placeholders} the text uses"]),
    ("kb.rule.competitor", ["竞品名称只用于“竞品比较”场景，且在该场景下必填（最多 60 个字）", "競品名稱只用於「競品比較」情境，且在該情境下必填（最多 60 個字）", "A competitor is named for the competitor situation only, and is required there (up to 60 characters)"]),
    ("kb.rule.body", ["内容必填（最多 20000 字）；话术中的 {变量} 必须已勾选，字面花括号写作 {{ 或 }}", "內容必填（最多 20000 字）；話術中的 {變數} 必須已勾選，字面大括號寫作 {{ 或 }}", "Text is required (up to 20,000 characters); every {placeholder} must be ticked, and a literal brace is written {{ or }}"]),
    ("kb.rule.change_note", ["修改说明为一行，最多 500 个字", "修改說明為一行，最多 500 個字", "One line of up to 500 characters"]),
    ("kb.rule.form", ["表单内容无效", "表單內容無效", "The form is not valid"]),
    ("kb.rule.synonyms", ["同义词最多 64 KB，不能包含控制字符", "同義詞最多 64 KB，不可包含控制字元", "Up to 64 KB, without control characters"]),
    ("kb.field.id", ["编号", "編號", "Id"]),
    ("kb.field.kind", ["类型", "類型", "Kind"]),
    ("kb.field.lang", ["语言", "語言", "Language"]),
    ("kb.field.title", ["标题", "標題", "Title"]),
    ("kb.field.category", ["分类", "分類", "Category"]),
    ("kb.field.tags", ["标签", "標籤", "Tags"]),
    ("kb.field.questions", ["顾客的常见问法", "顧客的常見問法", "Ways customers ask it"]),
    ("kb.field.emotion", ["顾客情绪", "顧客情緒", "Customer emotion"]),
    ("kb.field.complaint_type", ["投诉类型", "投訴類型", "Complaint type"]),
    ("kb.field.situation", ["场景", "情境", "Situation"]),
    ("kb.field.channel", ["渠道", "渠道", "Channel"]),
    ("kb.field.variables", ["变量", "變數", "Variables"]),
    ("kb.field.competitor", ["竞品名称", "競品名稱", "Competitor"]),
    ("kb.field.body", ["正文（Markdown）", "正文（Markdown）", "Text (Markdown)"]),
    ("kb.field.script_text", ["话术内容", "話術內容", "Script text"]),
    ("kb.field.change_note", ["修改说明", "修改說明", "Change note"]),
    ("kb.hint.id", ["同一条目的各语言版本共用编号，例如 returns-7-days；保存后不能修改。", "同一條目的各語言版本共用編號，例如 returns-7-days；儲存後不能修改。", "The language versions of an entry share its id, e.g. returns-7-days; it cannot change later."]),
    ("kb.hint.tags", ["每行一个标签", "每行一個標籤", "One tag per line"]),
    ("kb.hint.questions", ["每行一个问法，用顾客自己的话写，帮助识别重复提问", "每行一個問法，用顧客自己的話寫，幫助辨識重複提問", "One per line, in the customer's own words: helps spot repeated questions"]),
    ("kb.hint.competitor", ["仅“竞品比较”场景填写，例如：某平台同款", "僅「競品比較」情境填寫，例如：某平台同款", "Only for the competitor situation, e.g. the same item on another platform"]),
    ("kb.hint.variables", ["勾选话术内容中用到的每个 {变量}，不多不少。", "勾選話術內容中用到的每個 {變數}，不多不少。", "Tick every {placeholder} the text uses, and no other."]),
    ("kb.hint.body", ["支持 Markdown（标题、列表、加粗、表格、链接）；HTML 会按原文显示，不会执行。", "支援 Markdown（標題、清單、粗體、表格、連結）；HTML 會按原文顯示，不會執行。", "Markdown (headings, lists, bold, tables, links); HTML is shown as text, never run."]),
    ("kb.hint.script_text", ["客服发送给顾客的文字。变量写作 {order_no} 等，字面花括号写作 {{ 或 }}。", "客服傳送給顧客的文字。變數寫作 {order_no} 等，字面大括號寫作 {{ 或 }}。", "What the agent sends. Write variables as {order_no} and so on; a literal brace is {{ or }}."]),
    ("kb.hint.change_note", ["简要说明改了什么、为什么改，会显示在修改历史中。", "簡要說明改了什麼、為什麼改，會顯示在修改歷史中。", "What changed and why, in a line: shown in the history."]),
    ("kb.new.title", ["新建条目", "新增條目", "New entry"]),
    ("kb.new.propose", ["提交新话术", "提交新話術", "Propose a script"]),
    ("kb.new.propose_hint", ["你提交的话术需要班长审核发布后，其他客服才能使用；审核前你可以继续修改。", "你提交的話術需要班長審核發布後，其他客服才能使用；審核前你可以繼續修改。", "A lead reviews and publishes your script before others can use it; you can revise it until then."]),
    ("kb.new.choose_kind", ["要新建的类型：", "要新增的類型：", "Kind of entry:"]),
    ("kb.edit.title", ["编辑条目", "編輯條目", "Edit entry"]),
    ("kb.save", ["保存", "儲存", "Save"]),
    ("kb.save.propose", ["提交审核", "提交審核", "Submit for review"]),
    ("kb.save.draft_hint", ["新条目保存为草稿，发布后客服才能搜索到。", "新條目儲存為草稿，發布後客服才能搜尋到。", "A new entry is saved as a draft; agents find it once it is published."]),
    ("kb.cancel", ["取消", "取消", "Cancel"]),
    ("kb.history.title", ["修改历史", "修改歷史", "History"]),
    ("kb.history.versions", ["全部版本", "全部版本", "Versions"]),
    ("kb.history.compare_previous", ["与上一版比较", "與上一版比較", "Compare with the previous"]),
    ("kb.history.diff", ["版本差异", "版本差異", "Differences"]),
    ("kb.history.from", ["从版本", "從版本", "From version"]),
    ("kb.history.to", ["到版本", "到版本", "To version"]),
    ("kb.history.show", ["显示", "顯示", "Show"]),
    ("kb.history.only_one", ["目前只有一个版本", "目前只有一個版本", "There is only one version so far"]),
    ("kb.diff.added", ["新增", "新增", "added"]),
    ("kb.diff.removed", ["删除", "刪除", "removed"]),
    ("kb.diff.same", ["未变", "未變", "unchanged"]),
    ("kb.diff.legend", ["“+”开头的行为新增，“−”开头的行为删除，其余未变。比较的是完整文件（含标题、标签等信息）。", "「+」開頭的行為新增，「−」開頭的行為刪除，其餘未變。比較的是完整檔案（含標題、標籤等資訊）。", "Lines marked + were added, lines marked − removed, the rest is unchanged. The whole file is compared, title and tags included."]),
    ("kb.import.title", ["导入与导出", "匯入與匯出", "Import and export"]),
    ("kb.import.files", ["选择文件（可多选）", "選擇檔案（可多選）", "Files (choose one or more)"]),
    ("kb.import.files_hint", ["Markdown 文件（<编号>.<语言>.md，开头为 +++ 包围的 TOML 信息）或 JSON 文件（{\"entries\": [...]}）。", "Markdown 檔案（<編號>.<語言>.md，開頭為 +++ 包圍的 TOML 資訊）或 JSON 檔案（{\"entries\": [...]}）。", "Markdown files (<id>.<lang>.md, starting with TOML front matter between +++ lines) or JSON files ({\"entries\": [...]})."]),
    ("kb.import.limit", ["合计不超过 {n} MB。", "合計不超過 {n} MB。", "At most {n} MB in total."]),
    ("kb.import.choose_again", ["出于安全原因，浏览器不会保留已选的文件，请重新选择。", "基於安全原因，瀏覽器不會保留已選的檔案，請重新選擇。", "For safety, browsers do not keep chosen files: choose them again."]),
    ("kb.import.or", ["或者粘贴一个文件的内容：", "或者貼上一個檔案的內容：", "Or paste one file's text:"]),
    ("kb.import.name", ["文件名", "檔案名稱", "File name"]),
    ("kb.import.name_hint", ["例如 returns-7-days.zh-Hans.md；不填时按内容自动命名。", "例如 returns-7-days.zh-Hant.md；不填時按內容自動命名。", "e.g. returns-7-days.en.md; left empty, it is named after its content."]),
    ("kb.import.text", ["文件内容", "檔案內容", "File text"]),
    ("kb.import.all_or_nothing", ["导入是“全部或全不”：只要有一处错误，就不会导入任何内容。新条目导入后直接发布；内容相同的条目不会产生新版本。", "匯入是「全部或全不」：只要有一處錯誤，就不會匯入任何內容。新條目匯入後直接發布；內容相同的條目不會產生新版本。", "All or nothing: one problem anywhere and nothing is imported. New entries are published at once; unchanged ones get no new version."]),
    ("kb.import.submit", ["导入", "匯入", "Import"]),
    ("kb.import.done", ["导入完成：", "匯入完成：", "Imported:"]),
    ("kb.import.created", ["新建", "新增", "created"]),
    ("kb.import.updated", ["更新（新版本）", "更新（新版本）", "updated (new version)"]),
    ("kb.import.unchanged", ["内容未变", "內容未變", "unchanged"]),
    ("kb.import.nothing_imported", ["未导入任何内容。", "未匯入任何內容。", "Nothing was imported."]),
    ("kb.import.fix_and_retry", ["请按下面的文件名、行号和字段修改后重新导入：", "請按下方的檔案名稱、行號和欄位修改後重新匯入：", "Fix each problem below (file, line, field), then import again:"]),
    ("kb.import.too_large", ["文件合计超过 {n} MB 上限", "檔案合計超過 {n} MB 上限", "The files together are over the {n} MB limit"]),
    ("kb.import.bad_upload", ["上传内容无法读取，请刷新页面后重试", "上傳內容無法讀取，請重新整理頁面後重試", "The upload could not be read; reload the page and try again"]),
    ("kb.import.not_utf8", ["不是 UTF-8 编码的文本文件", "不是 UTF-8 編碼的文字檔", "is not a UTF-8 text file"]),
    ("kb.import.nothing_given", ["请选择文件或粘贴文件内容", "請選擇檔案或貼上檔案內容", "Choose a file or paste a file's text"]),
    ("kb.import.kind_conflict", ["某个编号在知识库中已是另一种类型（同一编号的各语言版本类型必须相同）", "某個編號在知識庫中已是另一種類型（同一編號的各語言版本類型必須相同）", "An id already exists in the library as another kind (all language versions of an id share its kind)"]),
    ("kb.import.duplicate", ["同一编号和语言出现了两次", "同一編號和語言出現了兩次", "One id and language appears twice"]),
    ("kb.import.failed", ["导入失败，请稍后再试", "匯入失敗，請稍後再試", "The import failed; please try again later"]),
    ("kb.export.title", ["导出", "匯出", "Export"]),
    ("kb.export.hint", ["把全部条目（含草稿）导出为一个 JSON 文件，可以直接再导入。", "把全部條目（含草稿）匯出為一個 JSON 檔案，可以直接再匯入。", "Every entry, drafts included, as one JSON file that imports back unchanged."]),
    ("kb.export.link", ["下载全部条目（JSON）", "下載全部條目（JSON）", "Download every entry (JSON)"]),
    ("kb.synonyms.title", ["搜索同义词", "搜尋同義詞", "Search synonyms"]),
    ("kb.synonyms.label", ["同义词组", "同義詞組", "Synonym groups"]),
    ("kb.synonyms.hint", ["每行一组可以互相替换的词，用空格分隔，例如：退款 退钱 返款。以 # 开头的行是注释。保存后所有搜索立即使用。", "每行一組可以互相替換的詞，用空格分隔，例如：退款 退錢 返款。以 # 開頭的行是註解。儲存後所有搜尋立即使用。", "One group of interchangeable words per line, separated by spaces, e.g. refund money-back reimburse. Lines starting with # are comments. Search uses them as soon as they are saved."]),
    ("kb.synonyms.read_only", ["只有班长和管理员可以修改同义词。", "只有班長和管理員可以修改同義詞。", "Only leads and admins edit synonyms."]),
    ("kb.synonyms.custom", ["本组织自定义的同义词", "本組織自訂的同義詞", "Your organisation's own list"]),
    ("kb.synonyms.builtin", ["内置同义词（尚未修改）", "內建同義詞（尚未修改）", "The built-in list (not yet edited)"]),
    ("kb.synonyms.groups", ["共 {n} 组", "共 {n} 組", "{n} groups"]),
    ("kb.stats.title", ["话术效果", "話術成效", "Script outcomes"]),
    ("kb.stats.period", ["统计范围", "統計範圍", "Period"]),
    ("kb.stats.days", ["最近 {n} 天", "最近 {n} 天", "Last {n} days"]),
    ("kb.stats.scripts", ["各话术使用情况", "各話術使用情況", "How each script fared"]),
    ("kb.stats.used", ["使用次数", "使用次數", "Used"]),
    ("kb.stats.sent", ["发送次数", "傳送次數", "Sent"]),
    ("kb.stats.edited", ["发送前修改比例", "傳送前修改比例", "Edited before sending"]),
    ("kb.stats.negative", ["顾客随后仍为负面情绪", "顧客隨後仍為負面情緒", "Customer negative afterwards"]),
    ("kb.stats.csat", ["满意度均分（评价数）", "滿意度均分（評價數）", "CSAT average (ratings)"]),
    ("kb.stats.empty", ["这段时间没有使用话术的记录", "這段時間沒有使用話術的紀錄", "No script was used in this period"]),
    ("kb.stats.explain", ["“随后仍为负面情绪”= 顾客在收到该话术后的下一条消息为愤怒、焦虑或失望的比例；满意度为发送过该话术的会话的评分。", "「隨後仍為負面情緒」= 顧客在收到該話術後的下一則訊息為憤怒、焦慮或失望的比例；滿意度為傳送過該話術的會話的評分。", "'Negative afterwards' = the share of the customer's next messages after the script that were angry, anxious or disappointed; CSAT is the rating of the conversations it was sent in."]),
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

    #[test]
    fn tone_advice_in_simplified_chinese_is_the_engines_own() {
        // The API returns the engine's advice; the workspace shows these texts: the Simplified column must not drift.
        for kind in anxin_text::tone::ToneProblemKind::ALL {
            let key = format!("tone.problem.{}", kind.as_str());
            assert_eq!(Lang::ZhHans.t(&key), kind.advice(), "{key}");
            assert_ne!(Lang::En.t(&key), "?", "{key}");
        }
    }
}
