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
                let simplified = rest.iter().any(|p| *p == "hans");
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
        CATALOG.iter().find(|(k, _)| *k == key).map_or("?", |(_, texts)| texts[i])
    }
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
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_order() {
        let cases: &[(Option<&str>, Option<&str>, Option<&str>, Lang)] = &[
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
        let mut keys: Vec<&str> = CATALOG.iter().map(|(k, _)| *k).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate keys");
        for (key, texts) in CATALOG {
            assert!(texts.iter().all(|t| !t.trim().is_empty()), "{key}");
        }
        assert_eq!(Lang::En.t("login.title"), "Sign in");
        assert_eq!(Lang::ZhHant.t("login.title"), "登入");
        assert_eq!(Lang::ZhHans.t("no.such.key"), "?");
    }
}
