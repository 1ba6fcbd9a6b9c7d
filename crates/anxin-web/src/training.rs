//! The training academy in the server (issue 8, PRODUCT.md §8): the curriculum in use, quizzes, self-assessments,
//! personal plans and progress — the shared operations of the JSON API (`/api/v1/academy/…`, here) and of the
//! pages (`pages/training.rs`).
//!
//! **The curriculum in use.** An organisation without its own curriculum studies the starter one compiled in from
//! `content/training/modules` (`build.rs`). Its own is stored as files (`anxin_store::training`); parsed
//! curricula are cached by the stored revision, so a page costs one small read to learn the revision. Imports and
//! edits go through [`import_files`] and [`edit_item`]: the domain importer checks the whole set (all or nothing,
//! every problem as `file:line: field: message`), the store keeps the canonical files `export` writes, guarded by
//! the version the editor started from.
//!
//! **Plans.** [`refresh_plan`] gathers the facts (the store's: self-assessment, quizzes, tone flags, complaints
//! handled, CSAT; the role-play store's outcomes), runs the pure engine `anxin_store::training::recommend` over the
//! curriculum and the scenarios one can practise, and merges the result into the stored plan. It runs after a
//! self-assessment, after a quiz, when the person asks, and when a coach asks for a trainee. Items are completed by
//! reading a lesson to its end, passing a module's quiz, or resolving a role-play started after the item.
//!
//! **Who sees what** is the store's rule: a person their own; coaches (trainers, supervisors, admins) their trainees
//! — the agents sharing a team with them (every agent for an admin). Anyone else's records answer 404.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use anxin_domain::training::{self as domain, Choice, Curriculum, ImportError, Module, QuestionType, export, grade, import};
use anxin_domain::Language;
use anxin_store::roleplay::RoleplayOutcome;
use anxin_store::training::{
    self as store, CurriculumChange, CurriculumStamp, NewQuizAttempt, Plan, PlanAdjustment, PlanItemKind, QuestionResult, QuizAttempt,
    Reason, RoleplayFact, SKILL_AREAS, ScenarioFact, SelfAssessment, is_coach,
};
use anxin_store::{Principal, StoreError};

use crate::AppState;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, parse_json, read_limited};
use crate::i18n::Lang;

include!(concat!(env!("OUT_DIR"), "/starter_curriculum.rs"));

/// Largest curriculum import request (all files together).
pub const MAX_IMPORT_BYTES: usize = 16 * 1024 * 1024;

/// UI texts of the academy (see `i18n`).
pub const TEXTS: &[(&str, [&str; 3])] = &[
    ("academy.nav", ["培训", "培訓", "Academy"]),
    ("academy.title", ["培训学院", "培訓學院", "Training academy"]),
    ("academy.intro", [
        "根据你的自评、测验成绩和真实工作中的信号，为你量身定制学习计划：先学课程，再做测验，然后到情景演练里练一练。",
        "根據你的自評、測驗成績和真實工作中的訊號，為你量身訂製學習計畫：先學課程，再做測驗，然後到情境演練裡練一練。",
        "A plan made for you from your self-assessment, quiz results and signals from your real work: study the lessons, take the quiz, then practise in a role-play.",
    ]),
    ("academy.nav.home", ["我的计划", "我的計畫", "My plan"]),
    ("academy.nav.progress", ["我的进度", "我的進度", "My progress"]),
    ("academy.nav.roleplay", ["情景演练", "情境演練", "Role-play"]),
    ("academy.nav.team", ["团队进度", "團隊進度", "Team progress"]),
    ("academy.nav.admin", ["课程管理", "課程管理", "Curriculum"]),
    ("academy.plan", ["我的学习计划", "我的學習計畫", "My learning plan"]),
    ("academy.plan_of", ["{name} 的学习计划", "{name} 的學習計畫", "{name}'s learning plan"]),
    ("academy.plan.empty", ["计划里还没有内容。", "計畫裡還沒有內容。", "Nothing in the plan yet."]),
    ("academy.plan.progress", ["已完成 {done} / {total} 项", "已完成 {done} / {total} 項", "{done} of {total} done"]),
    ("academy.plan.refresh", ["根据最新情况更新计划", "根據最新情況更新計畫", "Update the plan from the latest results"]),
    ("academy.plan.refreshed", ["计划已更新。", "計畫已更新。", "The plan is up to date."]),
    ("academy.plan.why", ["推荐理由", "推薦理由", "Why"]),
    ("academy.plan.done", ["已完成", "已完成", "Done"]),
    ("academy.plan.mark_done", ["标记为完成", "標記為完成", "Mark done"]),
    ("academy.plan.mark_undone", ["改为未完成", "改為未完成", "Mark not done"]),
    ("academy.plan.open", ["去学习", "去學習", "Open"]),
    ("academy.plan.take_quiz", ["去测验", "去測驗", "Take the quiz"]),
    ("academy.plan.practise", ["开始演练", "開始演練", "Start the role-play"]),
    ("academy.plan.added_by", ["{name} 于 {when} 添加", "{name} 於 {when} 新增", "Added by {name} on {when}"]),
    ("academy.plan.note", ["培训师留言", "培訓師留言", "Coach's note"]),
    ("academy.plan.changes", ["计划调整记录", "計畫調整紀錄", "Changes to the plan"]),
    ("academy.plan.changed", ["计划刚被别人修改过，请查看最新内容后再操作。", "計畫剛被別人修改過，請查看最新內容後再操作。", "Someone changed the plan just now: check the latest version and try again."]),
    ("academy.change.generated", ["根据最新情况生成了推荐", "根據最新情況產生了推薦", "recommendations updated"]),
    ("academy.change.added", ["添加了", "新增了", "added"]),
    ("academy.change.removed", ["移除了", "移除了", "removed"]),
    ("academy.change.noted", ["留言于", "留言於", "left a note on"]),
    ("academy.change.done", ["完成了", "完成了", "completed"]),
    ("academy.change.undone", ["重新打开了", "重新打開了", "reopened"]),
    ("academy.kind.module", ["课程模块", "課程模組", "Module"]),
    ("academy.kind.lesson", ["课程", "課程", "Lesson"]),
    ("academy.kind.quiz", ["测验", "測驗", "Quiz"]),
    ("academy.kind.roleplay", ["情景演练", "情境演練", "Role-play"]),
    ("academy.quiz_of", ["{module} 测验", "{module} 測驗", "{module} quiz"]),
    ("academy.reason.self_assessment", ["自评「{area}」为 {level}/5", "自評「{area}」為 {level}/5", "You rated “{area}” {level} of 5"]),
    ("academy.reason.quiz_score", ["「{module}」测验最近一次得分 {percent}%（80% 及格）", "「{module}」測驗最近一次得分 {percent}%（80% 及格）", "Your latest “{module}” quiz scored {percent}% (80% passes)"]),
    ("academy.reason.quiz_missed", ["「{module}」测验中有 {n} 题答错，考的正是这一课", "「{module}」測驗中有 {n} 題答錯，考的正是這一課", "{n} question(s) on this lesson were wrong in the “{module}” quiz"]),
    ("academy.reason.not_quizzed", ["还没有做过「{module}」的测验", "還沒有做過「{module}」的測驗", "You have not taken the “{module}” quiz yet"]),
    ("academy.reason.tone_flags", ["{n} 次回复被语气检查提示「{problem}」", "{n} 次回覆被語氣檢查提示「{problem}」", "{n} replies were flagged by the tone check as “{problem}”"]),
    ("academy.reason.complaints_handled", ["近 90 天处理了 {n} 个「{type}」类会话", "近 90 天處理了 {n} 個「{type}」類會話", "You handled {n} “{type}” conversations in the last 90 days"]),
    ("academy.reason.intense", ["近 90 天遇到 {n} 位情绪强烈的「{emotion}」顾客——照顾好自己也是一项技能", "近 90 天遇到 {n} 位情緒強烈的「{emotion}」顧客——照顧好自己也是一項技能", "{n} customers at high intensity ({emotion}) in 90 days — looking after yourself is a skill too"]),
    ("academy.reason.low_csat", ["近 90 天 {n} 次满意度评价，平均 {avg} 分（满分 5 分）", "近 90 天 {n} 次滿意度評價，平均 {avg} 分（滿分 5 分）", "{n} satisfaction ratings in 90 days averaging {avg} of 5"]),
    ("academy.reason.low_csat_type", ["「{type}」类会话有 {n} 次低分评价（该类平均 {avg} 分）", "「{type}」類會話有 {n} 次低分評價（該類平均 {avg} 分）", "{n} low ratings on “{type}” conversations (average {avg})"]),
    ("academy.reason.roleplay", ["上次练习以「{outcome}」结束，再试一次", "上次練習以「{outcome}」結束，再試一次", "Your last practice ended “{outcome}”: try again"]),
    ("academy.reason.starter", ["从这里开始：每位同事的第一步", "從這裡開始：每位同事的第一步", "Where everyone starts"]),
    ("academy.reason.coach", ["{name} 为你添加", "{name} 為你新增", "Added for you by {name}"]),
    ("academy.reason.coach_anonymous", ["培训师为你添加", "培訓師為你新增", "Added for you by a coach"]),
    ("academy.outcome.resolved", ["已解决", "已解決", "resolved"]),
    ("academy.outcome.escalated", ["升级投诉", "升級投訴", "escalated"]),
    ("academy.outcome.abandoned", ["顾客放弃", "顧客放棄", "abandoned"]),
    ("academy.outcome.ongoing", ["进行中", "進行中", "in progress"]),
    ("academy.tone.impatient", ["不耐烦", "不耐煩", "impatient"]),
    ("academy.tone.blaming", ["指责顾客", "指責顧客", "blaming"]),
    ("academy.tone.dismissive", ["推诿", "推諉", "dismissive"]),
    ("academy.tone.absolute_refusal", ["生硬拒绝", "生硬拒絕", "flat refusal"]),
    ("academy.tone.sarcasm", ["讽刺敷衍", "諷刺敷衍", "sarcastic"]),
    ("academy.tone.cold", ["冷淡生硬", "冷淡生硬", "cold"]),
    ("academy.tone.shouting", ["语气激动", "語氣激動", "shouting"]),
    ("academy.tone.stalling", ["让顾客干等", "讓顧客乾等", "stalling"]),
    ("academy.tone.lecturing", ["说教顾客", "說教顧客", "lecturing"]),
    ("academy.tone.brush_off", ["轻视问题", "輕視問題", "brushing off"]),
    ("academy.area.listening_empathy", ["倾听与共情", "傾聽與共情", "Listening and empathy"]),
    ("academy.area.clear_answers", ["清晰、有条理地回答", "清晰、有條理地回答", "Clear, structured answers"]),
    ("academy.area.anxious_customers", ["安抚焦虑的顾客", "安撫焦慮的顧客", "Reassuring anxious customers"]),
    ("academy.area.product_knowledge", ["产品知识", "產品知識", "Product knowledge"]),
    ("academy.area.order_exceptions", ["处理异常订单（物流、退款、支付）", "處理異常訂單（物流、退款、支付）", "Order exceptions (delivery, refunds, payment)"]),
    ("academy.area.stress_coping", ["管理自己的情绪与压力", "管理自己的情緒與壓力", "Managing my own stress"]),
    ("academy.area.angry_customers", ["应对愤怒的顾客", "應對憤怒的顧客", "Handling angry customers"]),
    ("academy.area.irrational_complaints", ["应对非理性投诉与升级", "應對非理性投訴與升級", "Irrational complaints and escalation"]),
    ("academy.area.teamwork", ["交接与团队协作", "交接與團隊協作", "Handovers and teamwork"]),
    ("academy.sa.title", ["能力自评", "能力自評", "Self-assessment"]),
    ("academy.sa.intro", [
        "对下面每一项，你有多大把握？没有对错，只是为了给你推荐合适的内容。结果只有你和你的培训师能看到。",
        "對下面每一項，你有多大把握？沒有對錯，只是為了給你推薦合適的內容。結果只有你和你的培訓師能看到。",
        "How confident are you in each of these? There are no wrong answers: it only chooses what to recommend. Only you and your coach see it.",
    ]),
    ("academy.sa.level.1", ["完全没把握", "完全沒把握", "Not at all"]),
    ("academy.sa.level.2", ["不太有把握", "不太有把握", "A little"]),
    ("academy.sa.level.3", ["一般", "一般", "Somewhat"]),
    ("academy.sa.level.4", ["比较有把握", "比較有把握", "Fairly"]),
    ("academy.sa.level.5", ["很有把握", "很有把握", "Very"]),
    ("academy.sa.submit", ["提交自评，生成我的计划", "提交自評，產生我的計畫", "Submit and make my plan"]),
    ("academy.sa.missing", ["请为每一项选择一个等级。", "請為每一項選擇一個等級。", "Choose a level for every item."]),
    ("academy.sa.saved", ["自评已保存，计划已根据它更新。", "自評已儲存，計畫已根據它更新。", "Self-assessment saved; your plan follows it."]),
    ("academy.sa.latest", ["最近一次自评：{when}", "最近一次自評：{when}", "Latest self-assessment: {when}"]),
    ("academy.sa.redo", ["重新自评", "重新自評", "Assess again"]),
    ("academy.sa.first", ["先做一次能力自评，我们会据此为你生成学习计划。", "先做一次能力自評，我們會據此為你產生學習計畫。", "Start with a self-assessment: your plan is made from it."]),
    ("academy.modules", ["全部课程模块", "全部課程模組", "All modules"]),
    ("academy.module.lessons", ["课程", "課程", "Lessons"]),
    ("academy.module.cases", ["案例", "案例", "Cases"]),
    ("academy.module.objectives", ["学完后你能", "學完後你能", "After this module you can"]),
    ("academy.module.quiz", ["模块测验（{n} 题）", "模組測驗（{n} 題）", "Module quiz ({n} questions)"]),
    ("academy.module.best", ["最近得分 {percent}%", "最近得分 {percent}%", "Latest score {percent}%"]),
    ("academy.minutes", ["约 {n} 分钟", "約 {n} 分鐘", "about {n} min"]),
    ("academy.lesson.done", ["我学完了", "我學完了", "I've finished this lesson"]),
    ("academy.lesson.marked", ["已记录：这一课学完了。", "已記錄：這一課學完了。", "Noted: lesson finished."]),
    ("academy.lesson.cases", ["相关案例", "相關案例", "Cases for this lesson"]),
    ("academy.lesson.quiz_hint", ["学完后去做「{module}」测验检验一下。", "學完後去做「{module}」測驗檢驗一下。", "Then check yourself with the “{module}” quiz."]),
    ("academy.lesson.prev", ["上一课", "上一課", "Previous"]),
    ("academy.lesson.next", ["下一课", "下一課", "Next"]),
    ("academy.case.conversation", ["对话", "對話", "Conversation"]),
    ("academy.case.happened", ["发生了什么", "發生了什麼", "What happened"]),
    ("academy.case.analysis", ["分析", "分析", "Analysis"]),
    ("academy.case.better", ["更好的做法", "更好的做法", "What good looks like"]),
    ("academy.speaker.customer", ["顾客", "顧客", "Customer"]),
    ("academy.speaker.agent", ["客服", "客服", "Agent"]),
    ("academy.speaker.lead", ["主管", "主管", "Lead"]),
    ("academy.speaker.colleague", ["同事", "同事", "Colleague"]),
    ("academy.lang_note", ["本内容暂无你所选语言的版本，显示的是{lang}版。", "本內容暫無你所選語言的版本，顯示的是{lang}版。", "Not yet written in your language: shown in {lang}."]),
    ("academy.quiz.title", ["{module} · 测验", "{module} · 測驗", "{module} · Quiz"]),
    ("academy.quiz.intro", ["共 {n} 题。单选题选一个答案，多选题选出所有正确答案（多选错选会扣分）。80% 及格。", "共 {n} 題。單選題選一個答案，多選題選出所有正確答案（多選錯選會扣分）。80% 及格。", "{n} questions. Pick one answer for single choice; for multiple choice pick every right one (wrong picks cost points). 80% passes."]),
    ("academy.quiz.single", ["单选", "單選", "Single choice"]),
    ("academy.quiz.multiple", ["多选", "多選", "Multiple choice"]),
    ("academy.quiz.submit", ["交卷", "交卷", "Submit answers"]),
    ("academy.quiz.unanswered", ["有题目没有作答，未作答的题按答错计分。", "有題目沒有作答，未作答的題按答錯計分。", "Unanswered questions count as wrong."]),
    ("academy.quiz.result", ["测验结果", "測驗結果", "Quiz result"]),
    ("academy.quiz.score", ["得分 {percent}%（答对 {correct} / {total} 题）", "得分 {percent}%（答對 {correct} / {total} 題）", "Score {percent}% ({correct} of {total} right)"]),
    ("academy.quiz.passed", ["通过了！", "通過了！", "Passed!"]),
    ("academy.quiz.failed", ["还差一点：复习下面标出的课程后再试一次。", "還差一點：複習下面標出的課程後再試一次。", "Not yet: review the lessons marked below and try again."]),
    ("academy.quiz.right", ["答对", "答對", "Right"]),
    ("academy.quiz.wrong", ["答错", "答錯", "Wrong"]),
    ("academy.quiz.partial", ["部分正确", "部分正確", "Partly right"]),
    ("academy.quiz.your_answer", ["你的答案", "你的答案", "Your answer"]),
    ("academy.quiz.correct_answer", ["正确答案", "正確答案", "Right answer"]),
    ("academy.quiz.none", ["（未作答）", "（未作答）", "(none)"]),
    ("academy.quiz.review", ["复习这一课", "複習這一課", "Review the lesson"]),
    ("academy.quiz.retake", ["再做一次", "再做一次", "Take it again"]),
    ("academy.quiz.removed", ["这道题已从课程中删除。", "這道題已從課程中刪除。", "This question has since been removed."]),
    ("academy.progress", ["学习进度", "學習進度", "Progress"]),
    ("academy.progress_of", ["{name} 的学习进度", "{name} 的學習進度", "{name}'s progress"]),
    ("academy.progress.intro", [
        "培训效果看三个维度：知识（测验）、技能应用（情景演练得分）、顾客满意度（真实会话的评价）。",
        "培訓效果看三個維度：知識（測驗）、技能應用（情境演練得分）、顧客滿意度（真實會話的評價）。",
        "Three dimensions of progress: knowledge (quizzes), skill in use (role-play scores) and customer satisfaction (ratings of real conversations).",
    ]),
    ("academy.progress.quiz", ["测验成绩", "測驗成績", "Quiz scores"]),
    ("academy.progress.roleplay", ["情景演练得分", "情境演練得分", "Role-play scores"]),
    ("academy.progress.csat", ["真实会话满意度（按周平均）", "真實會話滿意度（按週平均）", "Satisfaction with real conversations (weekly average)"]),
    ("academy.progress.no_quiz", ["还没有测验记录。", "還沒有測驗紀錄。", "No quizzes yet."]),
    ("academy.progress.no_roleplay", ["还没有完成的演练。", "還沒有完成的演練。", "No finished role-plays yet."]),
    ("academy.progress.no_csat", ["近 180 天还没有满意度评价。", "近 180 天還沒有滿意度評價。", "No ratings in the last 180 days."]),
    ("academy.progress.chart_quiz", ["测验得分走势（%）", "測驗得分走勢（%）", "Quiz scores over time (%)"]),
    ("academy.progress.chart_quiz_desc", ["共 {n} 次测验，最近一次 {last}%，虚线为 80% 及格线。", "共 {n} 次測驗，最近一次 {last}%，虛線為 80% 及格線。", "{n} quizzes, latest {last}%; the dashed line is the 80% pass mark."]),
    ("academy.progress.chart_roleplay", ["演练总分走势", "演練總分走勢", "Role-play overall scores over time"]),
    ("academy.progress.chart_roleplay_desc", ["共 {n} 次完成的演练，最近一次 {last} 分，虚线为 70 分。", "共 {n} 次完成的演練，最近一次 {last} 分，虛線為 70 分。", "{n} finished role-plays, latest {last}; the dashed line is 70."]),
    ("academy.progress.chart_csat", ["满意度每周平均（1–5）", "滿意度每週平均（1–5）", "Weekly average rating (1–5)"]),
    ("academy.progress.chart_csat_desc", ["共 {n} 次评价，分 {weeks} 周；最近一周平均 {last} 分。", "共 {n} 次評價，分 {weeks} 週；最近一週平均 {last} 分。", "{n} ratings over {weeks} weeks; latest week {last}."]),
    ("academy.col.when", ["时间", "時間", "When"]),
    ("academy.col.module", ["模块", "模組", "Module"]),
    ("academy.col.score", ["得分", "得分", "Score"]),
    ("academy.col.scenario", ["场景", "情境", "Scenario"]),
    ("academy.col.outcome", ["结果", "結果", "Outcome"]),
    ("academy.col.person", ["成员", "成員", "Person"]),
    ("academy.col.teams", ["团队", "團隊", "Teams"]),
    ("academy.col.quiz", ["最近测验", "最近測驗", "Latest quiz"]),
    ("academy.col.roleplay", ["最近演练", "最近演練", "Latest role-play"]),
    ("academy.col.csat", ["满意度（30 天）", "滿意度（30 天）", "CSAT (30 days)"]),
    ("academy.col.plan", ["计划完成", "計畫完成", "Plan done"]),
    ("academy.col.open", ["查看", "查看", "Open"]),
    ("academy.trend.up", ["上升", "上升", "rising"]),
    ("academy.trend.down", ["下降", "下降", "falling"]),
    ("academy.trend.flat", ["持平", "持平", "steady"]),
    ("academy.none", ["—", "—", "—"]),
    ("academy.team.title", ["团队学习进度", "團隊學習進度", "Team learning progress"]),
    ("academy.team.intro", [
        "你能看到与你同在一个团队的客服（管理员可看到全部客服）。点开一位成员可以查看和调整其学习计划。",
        "你能看到與你同在一個團隊的客服（管理員可看到全部客服）。點開一位成員可以查看和調整其學習計畫。",
        "You see the agents who share a team with you (admins see every agent). Open someone to see and adjust their plan.",
    ]),
    ("academy.team.empty", ["还没有与你同组的客服。请管理员把你和他们加入同一个团队。", "還沒有與你同組的客服。請管理員把你和他們加入同一個團隊。", "No agents share a team with you yet: ask an admin to add you to their team."]),
    ("academy.coach.title", ["调整计划", "調整計畫", "Adjust the plan"]),
    ("academy.coach.add", ["添加内容", "新增內容", "Add to the plan"]),
    ("academy.coach.kind", ["类型", "類型", "Kind"]),
    ("academy.coach.target", ["内容", "內容", "Item"]),
    ("academy.coach.note", ["留言（可选，最多 300 字）", "留言（可選，最多 300 字）", "Note (optional, up to 300 characters)"]),
    ("academy.coach.add_submit", ["添加到计划", "新增到計畫", "Add"]),
    ("academy.coach.remove", ["移除", "移除", "Remove"]),
    ("academy.coach.save_note", ["保存留言", "儲存留言", "Save note"]),
    ("academy.coach.regenerate", ["按最新情况重新推荐", "按最新情況重新推薦", "Recommend again from the latest results"]),
    ("academy.coach.saved", ["计划已调整。", "計畫已調整。", "Plan adjusted."]),
    ("academy.coach.bad_target", ["请选择要添加的内容。", "請選擇要新增的內容。", "Choose an item to add."]),
    ("academy.coach.bad_note", ["留言最多 300 字，且不能包含控制字符。", "留言最多 300 字，且不能包含控制字元。", "A note is at most 300 characters, without control characters."]),
    ("academy.coach.no_plan", ["还没有计划：可以直接添加内容，或按最新情况生成推荐。", "還沒有計畫：可以直接新增內容，或按最新情況產生推薦。", "No plan yet: add items, or recommend from the latest results."]),
    ("academy.coach.view_progress", ["查看学习进度", "查看學習進度", "See progress"]),
    ("academy.admin.title", ["课程管理", "課程管理", "Curriculum"]),
    ("academy.admin.intro", [
        "本店使用的课程。可以逐条编辑课程和测验题，也可以整套导入（全部通过校验才会生效）或导出。",
        "本店使用的課程。可以逐條編輯課程和測驗題，也可以整套匯入（全部通過校驗才會生效）或匯出。",
        "The curriculum your team studies. Edit a lesson or a question one at a time, or import a whole set (taken only if every file passes) and export it.",
    ]),
    ("academy.admin.starter", ["当前使用内置的入门课程（尚未导入或修改过）。", "目前使用內建的入門課程（尚未匯入或修改過）。", "The built-in starter curriculum is in use (nothing imported or edited yet)."]),
    ("academy.admin.stored", ["当前为本店课程第 {version} 版（{files} 个文件），{who} 于 {when} 保存。", "目前為本店課程第 {version} 版（{files} 個檔案），{who} 於 {when} 儲存。", "Your curriculum, version {version} ({files} files), saved by {who} on {when}."]),
    ("academy.admin.edit", ["编辑", "編輯", "Edit"]),
    ("academy.admin.import", ["导入课程", "匯入課程", "Import a curriculum"]),
    ("academy.admin.import_hint", [
        "选择课程的全部 Markdown 文件（或导出的 JSON 文件）。导入会替换整套课程：有任何问题则什么都不导入，并列出每个问题所在的文件和行。",
        "選擇課程的全部 Markdown 檔案（或匯出的 JSON 檔案）。匯入會取代整套課程：有任何問題則什麼都不匯入，並列出每個問題所在的檔案和行。",
        "Choose every Markdown file of the curriculum (or an exported JSON file). An import replaces the whole curriculum: with any problem nothing is imported, and each problem is listed with its file and line.",
    ]),
    ("academy.admin.files", ["课程文件", "課程檔案", "Curriculum files"]),
    ("academy.admin.import_submit", ["导入", "匯入", "Import"]),
    ("academy.admin.imported", ["课程已导入：{modules} 个模块、{lessons} 节课、{questions} 道题。", "課程已匯入：{modules} 個模組、{lessons} 節課、{questions} 道題。", "Curriculum imported: {modules} modules, {lessons} lessons, {questions} questions."]),
    ("academy.admin.nothing_imported", ["没有导入任何内容。", "沒有匯入任何內容。", "Nothing was imported."]),
    ("academy.admin.no_files", ["请选择要导入的文件。", "請選擇要匯入的檔案。", "Choose the files to import."]),
    ("academy.admin.not_text", ["不是 UTF-8 文本文件：{name}", "不是 UTF-8 文字檔案：{name}", "Not a UTF-8 text file: {name}"]),
    ("academy.admin.too_large", ["文件总大小超过 {n} MB。", "檔案總大小超過 {n} MB。", "The files are larger than {n} MB together."]),
    ("academy.admin.export", ["导出课程", "匯出課程", "Export the curriculum"]),
    ("academy.admin.export_hint", ["下载当前课程的全部文件（JSON），可以再导入。", "下載目前課程的全部檔案（JSON），可以再匯入。", "Download every file of the current curriculum (JSON); it imports back."]),
    ("academy.admin.reset", ["恢复为内置入门课程", "恢復為內建入門課程", "Go back to the starter curriculum"]),
    ("academy.admin.reset_done", ["已恢复为内置入门课程。", "已恢復為內建入門課程。", "Back to the starter curriculum."]),
    ("academy.admin.changed", ["课程刚被别人修改过，请在最新版本上重新操作。", "課程剛被別人修改過，請在最新版本上重新操作。", "Someone changed the curriculum just now: start again from the latest version."]),
    ("academy.admin.edit_title", ["编辑：{title}", "編輯：{title}", "Edit: {title}"]),
    ("academy.admin.edit_lang", ["语言版本", "語言版本", "Language"]),
    ("academy.admin.field.title", ["标题", "標題", "Title"]),
    ("academy.admin.field.minutes", ["学习时长（分钟，1–120，所有语言共用）", "學習時長（分鐘，1–120，所有語言共用）", "Study time (minutes, 1–120, shared by every language)"]),
    ("academy.admin.field.body", ["正文（Markdown）", "正文（Markdown）", "Text (Markdown)"]),
    ("academy.admin.field.prompt", ["题目", "題目", "Question"]),
    ("academy.admin.field.choices", ["选项（每行一个，2–6 个；第一行为 A）", "選項（每行一個，2–6 個；第一行為 A）", "Choices (one per line, 2 to 6; the first is A)"]),
    ("academy.admin.field.answer", ["正确答案（字母，如 B 或 A C；所有语言共用）", "正確答案（字母，如 B 或 A C；所有語言共用）", "Right answer (letters such as B or A C; shared by every language)"]),
    ("academy.admin.field.type", ["题型（所有语言共用）", "題型（所有語言共用）", "Type (shared by every language)"]),
    ("academy.admin.field.explanation", ["解析（Markdown，答题后显示）", "解析（Markdown，答題後顯示）", "Explanation (Markdown, shown after answering)"]),
    ("academy.admin.save", ["保存", "儲存", "Save"]),
    ("academy.admin.saved", ["已保存，课程已更新。", "已儲存，課程已更新。", "Saved: the curriculum is updated."]),
    ("academy.admin.refused", ["没有保存：课程校验发现以下问题。", "沒有儲存：課程校驗發現以下問題。", "Not saved: the curriculum check found these problems."]),
    ("academy.admin.bad_minutes", ["请填写 1 到 120 之间的整数。", "請填寫 1 到 120 之間的整數。", "Enter a whole number from 1 to 120."]),
    ("academy.admin.new_lang", ["（新增此语言版本）", "（新增此語言版本）", "(adds this language)"]),
    ("academy.not_found", ["找不到该内容。", "找不到該內容。", "Not found."]),
    ("academy.back", ["返回培训首页", "返回培訓首頁", "Back to the academy"]),
];

// ----- the curriculum in use -----

static STARTER: LazyLock<Arc<Curriculum>> = LazyLock::new(|| {
    let files: Vec<(String, String)> = STARTER_CURRICULUM.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())).collect();
    // A test imports the same files; a broken starter curriculum cannot reach a build that passed its tests.
    Arc::new(import(&files).unwrap_or_else(|errors| panic!("starter curriculum: {}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))))
});

/// Parsed organisation curricula by stored revision (a random token per save, so never shared by mistake).
static CACHE: LazyLock<Mutex<HashMap<String, Arc<Curriculum>>>> = LazyLock::new(Mutex::default);

/// The starter curriculum.
pub fn starter() -> Arc<Curriculum> {
    STARTER.clone()
}

/// The curriculum an organisation uses now, with its stamp.
#[derive(Clone)]
pub struct InUse {
    pub stamp: CurriculumStamp,
    pub curriculum: Arc<Curriculum>,
}

pub async fn curriculum(state: &AppState, p: &Principal) -> ApiResult<InUse> {
    let stamp = state.store.curriculum_stamp(p.clone()).await?;
    if stamp.is_starter() {
        return Ok(InUse { stamp, curriculum: starter() });
    }
    if let Some(found) = CACHE.lock().unwrap_or_else(PoisonError::into_inner).get(&stamp.revision) {
        return Ok(InUse { stamp, curriculum: found.clone() });
    }
    let Some(stored) = state.store.curriculum_files(p.clone()).await? else {
        return Ok(InUse { stamp, curriculum: starter() });
    };
    let parsed = match import(&stored.files) {
        Ok(c) => Arc::new(c),
        Err(errors) => {
            // Stored through the importer, so only a stricter importer in a newer release gets here.
            tracing::error!(org_id = p.org_id, problems = errors.len(), first = %errors[0], "stored curriculum no longer imports; using the starter one");
            return Ok(InUse { stamp: stored.stamp, curriculum: starter() });
        }
    };
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if cache.len() >= 64 {
        cache.clear();
    }
    cache.insert(stored.stamp.revision.clone(), parsed.clone());
    Ok(InUse { stamp: stored.stamp, curriculum: parsed })
}

/// The current curriculum's files as export writes them, and its version.
pub async fn current_files(state: &AppState, p: &Principal) -> ApiResult<(CurriculumStamp, Vec<(String, String)>)> {
    let in_use = curriculum(state, p).await?;
    Ok((in_use.stamp, export(&in_use.curriculum)))
}

/// Why a curriculum change was not saved.
pub enum SaveFailure {
    /// The importer's problems, each `file:line: field: message`; nothing was saved.
    Invalid(Vec<ImportError>),
    Api(ApiError),
}

impl From<ApiError> for SaveFailure {
    fn from(e: ApiError) -> Self {
        SaveFailure::Api(e)
    }
}

impl From<StoreError> for SaveFailure {
    fn from(e: StoreError) -> Self {
        SaveFailure::Api(conflict_of(e))
    }
}

/// Store conflicts of the academy keep their names (`training_curriculum_changed`, `training_plan_changed`, …).
pub fn conflict_of(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(what) if what.starts_with("training_") => ApiError::Conflict(what),
        e => e.into(),
    }
}

impl IntoResponse for SaveFailure {
    fn into_response(self) -> Response {
        match self {
            SaveFailure::Invalid(errors) => crate::knowledge::ImportFailure(errors).into_response(),
            SaveFailure::Api(e) => e.into_response(),
        }
    }
}

/// Imports a whole curriculum (coaches), all or nothing, on `expected_version` (the current one when `None`).
pub async fn import_files(state: &AppState, p: &Principal, files: &[(String, String)], expected_version: Option<i64>) -> Result<(CurriculumStamp, Arc<Curriculum>), SaveFailure> {
    if !is_coach(p.role) {
        return Err(ApiError::Forbidden("trainers, supervisors and admins edit the curriculum").into());
    }
    let parsed = import(files).map_err(SaveFailure::Invalid)?;
    let expected = match expected_version {
        Some(v) => v,
        None => state.store.curriculum_stamp(p.clone()).await?.version,
    };
    let stamp = state.store.save_curriculum(p.clone(), export(&parsed), expected, CurriculumChange::Import).await?;
    Ok((stamp, Arc::new(parsed)))
}

/// A trainer's edit of one item in one language. Shared values (a lesson's minutes, a question's type and answer)
/// apply to every language of the item; a language the item lacks is added.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ItemEdit {
    Lesson { title: String, minutes: i64, body: String },
    Question {
        prompt: String,
        choices: Vec<String>,
        /// Letters: `["B"]`, `["A", "C"]`.
        answer: Vec<String>,
        #[serde(rename = "type")]
        question_type: String,
        explanation: String,
    },
}

/// A TOML basic string (every control character escaped).
pub(crate) fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|i| toml_string(i)).collect::<Vec<_>>().join(", "))
}

/// Where an item's file lives (as export writes it).
fn item_path(kind: &str, id: &str, module: &str, lang: Language) -> String {
    let folder = if kind == "lesson" { "lessons" } else { "quiz" };
    format!("modules/{module}/{folder}/{id}.{lang}.md")
}

/// The files of a lesson or question after `edit` in `lang`: every language variant, rewritten.
fn edited_files(curriculum: &Curriculum, id: &str, lang: Language, edit: &ItemEdit) -> ApiResult<Vec<(String, String)>> {
    let mut files = Vec::new();
    match edit {
        ItemEdit::Lesson { title, minutes, body } => {
            let lesson = curriculum.lesson(id).ok_or(ApiError::NotFound)?;
            let module = lesson.module().as_str();
            let mut variants: Vec<(Language, String, String)> =
                lesson.text().iter().map(|(l, t)| (l, t.title.clone(), t.body.clone())).collect();
            match variants.iter_mut().find(|(l, _, _)| *l == lang) {
                Some(v) => (v.1, v.2) = (title.clone(), body.clone()),
                None => variants.push((lang, title.clone(), body.clone())),
            }
            for (l, title, body) in variants {
                let text = format!(
                    "+++\nid = {}\nkind = \"lesson\"\nlang = \"{l}\"\nmodule = {}\norder = {}\ntitle = {}\nminutes = {minutes}\n+++\n{body}\n",
                    toml_string(id),
                    toml_string(module),
                    lesson.order(),
                    toml_string(&title)
                );
                files.push((item_path("lesson", id, module, l), text));
            }
        }
        ItemEdit::Question { prompt, choices, answer, question_type, explanation } => {
            let question = curriculum.question(id).ok_or(ApiError::NotFound)?;
            let module = question.module().as_str();
            let mut variants: Vec<(Language, String, Vec<String>, String)> =
                question.text().iter().map(|(l, t)| (l, t.prompt.clone(), t.choices.clone(), t.explanation.clone())).collect();
            match variants.iter_mut().find(|(l, ..)| *l == lang) {
                Some(v) => (v.1, v.2, v.3) = (prompt.clone(), choices.clone(), explanation.clone()),
                None => variants.push((lang, prompt.clone(), choices.clone(), explanation.clone())),
            }
            for (l, prompt, choices, explanation) in variants {
                let text = format!(
                    "+++\nid = {}\nkind = \"question\"\nlang = \"{l}\"\nmodule = {}\norder = {}\nlesson = {}\ntype = {}\nprompt = {}\nchoices = {}\nanswer = {}\n+++\n{explanation}\n",
                    toml_string(id),
                    toml_string(module),
                    question.order(),
                    toml_string(question.lesson().as_str()),
                    toml_string(question_type),
                    toml_string(&prompt),
                    toml_list(&choices),
                    toml_list(answer)
                );
                files.push((item_path("question", id, module, l), text));
            }
        }
    }
    Ok(files)
}

/// Saves a trainer's edit of one item (coaches): the whole curriculum with that item's files rewritten, checked by
/// the importer as a whole, on `expected_version`.
pub async fn edit_item(state: &AppState, p: &Principal, id: &str, lang: Language, edit: &ItemEdit, expected_version: i64) -> Result<(CurriculumStamp, Arc<Curriculum>), SaveFailure> {
    if !is_coach(p.role) {
        return Err(ApiError::Forbidden("trainers, supervisors and admins edit the curriculum").into());
    }
    let in_use = curriculum(state, p).await?;
    if in_use.stamp.version != expected_version {
        return Err(ApiError::Conflict("training_curriculum_changed".into()).into());
    }
    let replaced = edited_files(&in_use.curriculum, id, lang, edit)?;
    let (module, folder) = match edit {
        ItemEdit::Lesson { .. } => (in_use.curriculum.lesson(id).map(|l| l.module().to_string()), "lessons"),
        ItemEdit::Question { .. } => (in_use.curriculum.question(id).map(|q| q.module().to_string()), "quiz"),
    };
    let prefix = format!("modules/{}/{folder}/{id}.", module.unwrap_or_default());
    let mut files: Vec<(String, String)> = export(&in_use.curriculum).into_iter().filter(|(n, _)| !n.starts_with(&prefix)).collect();
    files.extend(replaced);
    let parsed = import(&files).map_err(SaveFailure::Invalid)?;
    let change = CurriculumChange::Edit { item: id.to_owned(), lang: lang.as_str().to_owned() };
    let stamp = state.store.save_curriculum(p.clone(), export(&parsed), expected_version, change).await?;
    Ok((stamp, Arc::new(parsed)))
}

// ----- scenarios -----

/// A scenario as the academy shows and recommends it.
#[derive(Clone, Debug)]
pub struct ScenarioInfo {
    pub fact: ScenarioFact,
    pub title_zh: String,
    pub title_en: String,
}

impl ScenarioInfo {
    pub fn title(&self, lang: Lang) -> &str {
        if lang == Lang::En { &self.title_en } else { &self.title_zh }
    }
}

/// Every scenario the person may practise (the role-play catalogue: starter ones and the organisation's own).
pub async fn scenarios(state: &AppState, p: &Principal) -> ApiResult<Vec<ScenarioInfo>> {
    let catalog = crate::roleplay::catalog(state, p).await?;
    Ok(catalog
        .iter()
        .filter_map(|playable| {
            let s = &playable.scenario;
            let emotion = anxin_domain::Emotion::parse(s.persona().emotion.as_str())?;
            let complaint_type = anxin_domain::ComplaintType::parse(s.complaint_type().as_str())?;
            Some(ScenarioInfo {
                fact: ScenarioFact { id: s.id().to_owned(), emotion, complaint_type },
                title_zh: s.title().zh_hans.clone(),
                title_en: s.title().en.clone(),
            })
        })
        .collect())
}

// ----- plans -----

/// The person's finished role-plays, the latest per scenario (for the engine), and every session (newest first).
pub async fn roleplays(state: &AppState, viewer: &Principal, user_id: i64) -> ApiResult<Vec<anxin_store::roleplay::RoleplaySummary>> {
    Ok(state.store.roleplays_of(viewer.clone(), vec![user_id], 0, 500).await?)
}

fn roleplay_facts(sessions: &[anxin_store::roleplay::RoleplaySummary]) -> Vec<RoleplayFact> {
    let mut latest: BTreeMap<&str, &anxin_store::roleplay::RoleplaySummary> = BTreeMap::new();
    for s in sessions.iter().filter(|s| s.outcome != RoleplayOutcome::Ongoing) {
        let slot = latest.entry(s.scenario_id.as_str()).or_insert(s);
        if (s.finished_at, s.id) > (slot.finished_at, slot.id) {
            *slot = s;
        }
    }
    latest
        .into_values()
        .map(|s| RoleplayFact { scenario: s.scenario_id.clone(), outcome: s.outcome.as_str().to_owned(), overall: s.scores.map(|sc| sc.overall) })
        .collect()
}

/// Recommends again for `user_id` (the actor themself, or a coach's trainee) and merges it into their plan.
pub async fn refresh_plan(state: &AppState, actor: &Principal, user_id: i64) -> ApiResult<Plan> {
    let mut facts = state.store.plan_facts(actor.clone(), user_id).await?;
    facts.roleplays = roleplay_facts(&roleplays(state, actor, user_id).await?);
    let in_use = curriculum(state, actor).await?;
    let infos = scenarios(state, actor).await?;
    let facts_list: Vec<ScenarioFact> = infos.into_iter().map(|i| i.fact).collect();
    let recs = store::recommend(&facts, &in_use.curriculum, &facts_list);
    state.store.save_generated_plan(actor.clone(), user_id, recs).await.map_err(conflict_of)
}

/// The person's plan, with role-plays resolved since an item was added marked done (their own plan only).
pub async fn my_plan(state: &AppState, p: &Principal, user_id: i64) -> ApiResult<Option<Plan>> {
    let plan = state.store.plan(p.clone(), user_id).await?;
    let Some(plan) = plan else { return Ok(None) };
    if p.user_id != Some(user_id) {
        return Ok(Some(plan));
    }
    let open: Vec<(&str, i64)> = plan
        .items
        .iter()
        .filter(|i| i.kind == PlanItemKind::Roleplay && i.done_at.is_none())
        .map(|i| (i.target.as_str(), i.created_at))
        .collect();
    if open.is_empty() {
        return Ok(Some(plan));
    }
    let sessions = roleplays(state, p, user_id).await?;
    let mut changed = false;
    for (target, since) in open {
        let resolved = sessions.iter().any(|s| s.scenario_id == target && s.outcome == RoleplayOutcome::Resolved && s.finished_at.is_some_and(|f| f >= since));
        if resolved {
            changed |= state.store.complete_plan_items(p.clone(), PlanItemKind::Roleplay, target.to_owned()).await? > 0;
        }
    }
    if changed { Ok(state.store.plan(p.clone(), user_id).await?) } else { Ok(Some(plan)) }
}

// ----- quizzes -----

/// One graded question, with what the result page shows.
pub struct Graded {
    pub result: QuestionResult,
    pub missed: Vec<Choice>,
    pub wrong: Vec<Choice>,
}

/// Parses a question's chosen letters (`"A"` … `"F"`); anything else is a 422 naming the question.
pub fn parse_choices(question: &str, letters: &[String]) -> ApiResult<Vec<Choice>> {
    letters
        .iter()
        .map(|l| Choice::parse(l.trim()).ok_or_else(|| ApiError::invalid(&format!("answers.{question}"), "invalid", "letters A to F")))
        .collect()
}

/// Grades answers to a module's quiz: every question of the module, an unanswered one as wrong. Answers naming a
/// question the module does not have are a 422.
pub fn grade_quiz(module: &Module, answers: &BTreeMap<String, Vec<Choice>>) -> ApiResult<Vec<Graded>> {
    if let Some(unknown) = answers.keys().find(|q| !module.questions().iter().any(|x| x.id().as_str() == q.as_str())) {
        return Err(ApiError::invalid(&format!("answers.{unknown}"), "unknown", "not a question of this module's quiz"));
    }
    Ok(module
        .questions()
        .iter()
        .map(|q| {
            let chosen = answers.get(q.id().as_str()).cloned().unwrap_or_default();
            let g = grade(q, &chosen);
            let mut letters: Vec<Choice> = chosen;
            letters.sort();
            letters.dedup();
            Graded {
                result: QuestionResult {
                    question: q.id().to_string(),
                    lesson: q.lesson().to_string(),
                    chosen: letters.iter().map(ToString::to_string).collect(),
                    correct: g.correct,
                    score: g.score,
                },
                missed: g.missed,
                wrong: g.wrong,
            }
        })
        .collect())
}

/// Grades and records the person's attempt at a module's quiz; a pass completes the plan's quiz item; the plan is
/// recommended again (wrong answers send the learner back to their lessons).
pub async fn submit_quiz(state: &AppState, p: &Principal, module_id: &str, answers: &BTreeMap<String, Vec<Choice>>) -> ApiResult<QuizAttempt> {
    let user_id = p.user_id.ok_or(ApiError::Forbidden("a quiz is taken by a person, not an API token"))?;
    let in_use = curriculum(state, p).await?;
    let module = in_use.curriculum.module(module_id).filter(|m| !m.questions().is_empty()).ok_or(ApiError::NotFound)?;
    let graded = grade_quiz(module, answers)?;
    let attempt = NewQuizAttempt { module: module_id.to_owned(), results: graded.into_iter().map(|g| g.result).collect() };
    let recorded = state.store.record_quiz_attempt(p.clone(), attempt).await.map_err(conflict_of)?;
    if recorded.score >= store::PASS_SCORE {
        // Passing a module's quiz completes the quiz item and the module item.
        state.store.complete_plan_items(p.clone(), PlanItemKind::Quiz, module_id.to_owned()).await?;
        state.store.complete_plan_items(p.clone(), PlanItemKind::Module, module_id.to_owned()).await?;
    }
    refresh_plan(state, p, user_id).await?;
    Ok(recorded)
}

// ----- self-assessment -----

/// Records the person's self-assessment and recommends their plan from it.
pub async fn submit_assessment(state: &AppState, p: &Principal, answers: BTreeMap<String, u8>) -> ApiResult<(SelfAssessment, Plan)> {
    let user_id = p.user_id.ok_or(ApiError::Forbidden("a self-assessment is a person's, not an API token's"))?;
    let saved = state.store.record_self_assessment(p.clone(), answers).await.map_err(|e| match e {
        StoreError::Conflict(w) if w == "training_assessment_areas" => ApiError::invalid("answers", "incomplete", "one level 1-5 for every skill area"),
        StoreError::Conflict(w) if w == "training_assessment_level" => ApiError::invalid("answers", "out_of_range", "levels are 1 to 5"),
        e => e.into(),
    })?;
    let plan = refresh_plan(state, p, user_id).await?;
    Ok((saved, plan))
}

// ----- words -----

/// `{key}` placeholders filled.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values.iter().fold(template.to_owned(), |text, (key, value)| text.replace(&format!("{{{key}}}"), value))
}


pub fn module_title(lang: Lang, curriculum: &Curriculum, id: &str) -> String {
    curriculum.module(id).map_or_else(|| id.to_owned(), |m| m.text().best(lang.content_language()).1.title.clone())
}

pub fn lesson_title(lang: Lang, curriculum: &Curriculum, id: &str) -> String {
    curriculum.lesson(id).map_or_else(|| id.to_owned(), |l| l.text().best(lang.content_language()).1.title.clone())
}

pub fn scenario_title(lang: Lang, scenarios: &[ScenarioInfo], id: &str) -> String {
    scenarios.iter().find(|s| s.fact.id == id).map_or_else(|| id.to_owned(), |s| s.title(lang).to_owned())
}

/// A plan item's title in the reader's language: "沟通技巧：积极倾听…", "沟通技巧 测验", the scenario's title.
pub fn target_title(lang: Lang, kind: PlanItemKind, target: &str, curriculum: &Curriculum, scenarios: &[ScenarioInfo]) -> String {
    match kind {
        PlanItemKind::Module => module_title(lang, curriculum, target),
        PlanItemKind::Lesson => match curriculum.lesson(target) {
            Some(l) => format!("{}{}{}", module_title(lang, curriculum, l.module().as_str()), if lang == Lang::En { ": " } else { "：" }, lesson_title(lang, curriculum, target)),
            None => target.to_owned(),
        },
        PlanItemKind::Quiz => fill(lang.t("academy.quiz_of"), &[("module", &module_title(lang, curriculum, target))]),
        PlanItemKind::Roleplay => scenario_title(lang, scenarios, target),
    }
}

/// Where a plan item leads.
pub fn target_href(kind: PlanItemKind, target: &str) -> String {
    match kind {
        PlanItemKind::Module => format!("/academy/modules/{target}"),
        PlanItemKind::Lesson => format!("/academy/lessons/{target}"),
        PlanItemKind::Quiz => format!("/academy/quiz/{target}"),
        PlanItemKind::Roleplay => format!("/academy/roleplay#rp-start-{target}"),
    }
}

fn number(v: f64) -> String {
    format!("{v:.1}")
}

/// A reason in the reader's language.
pub fn reason_text(lang: Lang, reason: &Reason, curriculum: &Curriculum) -> String {
    let t = |key: &str| lang.t(key);
    match reason {
        Reason::SelfAssessment { area, level } => {
            fill(t("academy.reason.self_assessment"), &[("area", t(&format!("academy.area.{area}"))), ("level", &level.to_string())])
        }
        Reason::QuizScore { module, percent } => {
            fill(t("academy.reason.quiz_score"), &[("module", &module_title(lang, curriculum, module)), ("percent", &percent.to_string())])
        }
        Reason::QuizMissed { module, missed, .. } => {
            fill(t("academy.reason.quiz_missed"), &[("module", &module_title(lang, curriculum, module)), ("n", &missed.to_string())])
        }
        Reason::NotQuizzed { module } => fill(t("academy.reason.not_quizzed"), &[("module", &module_title(lang, curriculum, module))]),
        Reason::ToneFlags { problem, count } => {
            let name = match lang.t(&format!("academy.tone.{problem}")) {
                "?" => problem.as_str(),
                known => known,
            };
            fill(t("academy.reason.tone_flags"), &[("n", &count.to_string()), ("problem", name)])
        }
        Reason::ComplaintsHandled { complaint_type, count } => {
            fill(t("academy.reason.complaints_handled"), &[("n", &count.to_string()), ("type", t(&format!("complaint.{complaint_type}")))])
        }
        Reason::IntenseCustomers { emotion, count } => {
            fill(t("academy.reason.intense"), &[("n", &count.to_string()), ("emotion", t(&format!("emotion.{emotion}")))])
        }
        Reason::LowCsat { complaint_type: None, average, count } => {
            fill(t("academy.reason.low_csat"), &[("n", &count.to_string()), ("avg", &number(*average))])
        }
        Reason::LowCsat { complaint_type: Some(kind), average, count } => fill(
            t("academy.reason.low_csat_type"),
            &[("n", &count.to_string()), ("avg", &number(*average)), ("type", t(&format!("complaint.{kind}")))],
        ),
        Reason::RoleplayOutcome { outcome, .. } => fill(t("academy.reason.roleplay"), &[("outcome", t(&format!("academy.outcome.{outcome}")))]),
        Reason::Starter => t("academy.reason.starter").to_owned(),
        Reason::Coach { .. } => t("academy.reason.coach_anonymous").to_owned(),
    }
}

/// An item's reasons in the reader's language (a coach's item names the coach).
pub fn item_reasons(lang: Lang, item: &anxin_store::training::PlanItem, curriculum: &Curriculum) -> Vec<String> {
    item.reasons
        .iter()
        .map(|r| match (r, item.added_by_name.as_deref()) {
            (Reason::Coach { .. }, Some(name)) => fill(lang.t("academy.reason.coach"), &[("name", name)]),
            (r, _) => reason_text(lang, r, curriculum),
        })
        .collect()
}

// ----- JSON API -----

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/academy/curriculum", get(api_curriculum))
        .route("/api/v1/academy/curriculum/export", get(api_export))
        .route("/api/v1/academy/curriculum/import", post(api_import))
        .route("/api/v1/academy/curriculum/reset", post(api_reset))
        .route("/api/v1/academy/curriculum/items/{id}/{lang}", put(api_edit))
        .route("/api/v1/academy/modules/{id}", get(api_module))
        .route("/api/v1/academy/lessons/{id}", get(api_lesson))
        .route("/api/v1/academy/quiz/{id}", get(api_quiz).post(api_submit_quiz))
        .route("/api/v1/academy/quiz-attempts", get(api_attempts))
        .route("/api/v1/academy/quiz-attempts/{id}", get(api_attempt))
        .route("/api/v1/academy/self-assessment", get(api_assessment).post(api_submit_assessment))
        .route("/api/v1/academy/plan", get(api_plan))
        .route("/api/v1/academy/plan/refresh", post(api_refresh))
        .route("/api/v1/academy/plan/items", post(api_add_item))
        .route("/api/v1/academy/plan/items/{id}", patch(api_patch_item).delete(api_remove_item))
        .route("/api/v1/academy/progress", get(api_progress))
        .route("/api/v1/academy/team", get(api_team))
}

/// The API's language: `Accept-Language`, else Simplified Chinese.
fn api_lang(headers: &axum::http::HeaderMap, query: Option<&str>) -> Lang {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    Lang::negotiate(query, None, accept)
}

fn content_id(text: &str) -> ApiResult<()> {
    if store::valid_id(text) { Ok(()) } else { Err(ApiError::bad_request("invalid_path", "ids are 3-64 lowercase letters, digits and hyphens")) }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LangQuery {
    lang: Option<String>,
}

/// `GET /api/v1/academy/curriculum`: the curriculum in use — its version and modules with their lessons, cases and
/// number of questions (texts in the asked language, falling back like the pages).
async fn api_curriculum(State(state): State<AppState>, staff: Staff, headers: axum::http::HeaderMap, ApiQuery(q): ApiQuery<LangQuery>) -> ApiResult<Json<Value>> {
    let p = staff.0;
    let lang = crate::i18n::Lang::content_language(api_lang(&headers, q.lang.as_deref()));
    let in_use = curriculum(&state, &p).await?;
    let modules: Vec<Value> = in_use
        .curriculum
        .modules()
        .iter()
        .map(|m| {
            let (shown, text) = m.text().best(lang);
            json!({
                "id": m.id().as_str(), "lang": shown, "title": text.title, "summary": text.summary,
                "lessons": m.lessons().iter().map(|l| json!({"id": l.id().as_str(), "title": l.text().best(lang).1.title, "minutes": l.minutes()})).collect::<Vec<_>>(),
                "cases": m.cases().iter().map(|c| json!({"id": c.id().as_str(), "title": c.text().best(lang).1.title, "emotion": c.emotion()})).collect::<Vec<_>>(),
                "questions": m.questions().len(),
            })
        })
        .collect();
    Ok(Json(json!({"stamp": in_use.stamp, "starter": in_use.stamp.is_starter(), "modules": modules})))
}

fn case_json(case: &domain::Case, lang: Language) -> Value {
    let (shown, text) = case.text().best(lang);
    json!({
        "id": case.id().as_str(), "lang": shown, "title": text.title, "emotion": case.emotion(), "complaint_type": case.complaint_type(),
        "lessons": case.lessons().iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "conversation": text.conversation.iter().map(|t| json!({"speaker": format!("{:?}", t.speaker).to_lowercase(), "text": t.text})).collect::<Vec<_>>(),
        "happened_html": crate::markdown::render(&text.happened),
        "analysis_html": crate::markdown::render(&text.analysis),
        "better_html": crate::markdown::render(&text.better),
    })
}

/// `GET /api/v1/academy/modules/{id}`: a module with its introduction (sanitised HTML), lessons and cases.
async fn api_module(State(state): State<AppState>, staff: Staff, headers: axum::http::HeaderMap, ApiPath(id): ApiPath<String>, ApiQuery(q): ApiQuery<LangQuery>) -> ApiResult<Json<Value>> {
    content_id(&id)?;
    let lang = crate::i18n::Lang::content_language(api_lang(&headers, q.lang.as_deref()));
    let in_use = curriculum(&state, &staff.0).await?;
    let m = in_use.curriculum.module(&id).ok_or(ApiError::NotFound)?;
    let (shown, text) = m.text().best(lang);
    Ok(Json(json!({
        "id": m.id().as_str(), "lang": shown, "title": text.title, "summary": text.summary, "objectives": text.objectives,
        "html": crate::markdown::render(&text.body),
        "lessons": m.lessons().iter().map(|l| json!({"id": l.id().as_str(), "title": l.text().best(lang).1.title, "minutes": l.minutes()})).collect::<Vec<_>>(),
        "cases": m.cases().iter().map(|c| case_json(c, lang)).collect::<Vec<_>>(),
        "questions": m.questions().len(),
    })))
}

/// `GET /api/v1/academy/lessons/{id}`: a lesson as sanitised HTML, with the cases that illustrate it.
async fn api_lesson(State(state): State<AppState>, staff: Staff, headers: axum::http::HeaderMap, ApiPath(id): ApiPath<String>, ApiQuery(q): ApiQuery<LangQuery>) -> ApiResult<Json<Value>> {
    content_id(&id)?;
    let lang = crate::i18n::Lang::content_language(api_lang(&headers, q.lang.as_deref()));
    let in_use = curriculum(&state, &staff.0).await?;
    let l = in_use.curriculum.lesson(&id).ok_or(ApiError::NotFound)?;
    let (shown, text) = l.text().best(lang);
    let module = in_use.curriculum.module(l.module().as_str()).ok_or(ApiError::NotFound)?;
    let cases: Vec<Value> = module.cases().iter().filter(|c| c.lessons().contains(l.id())).map(|c| case_json(c, lang)).collect();
    Ok(Json(json!({
        "id": l.id().as_str(), "module": l.module().as_str(), "lang": shown, "title": text.title, "minutes": l.minutes(),
        "markdown": text.body, "html": crate::markdown::render(&text.body), "cases": cases,
    })))
}

/// `GET /api/v1/academy/quiz/{module}`: the module's questions, without their answers.
async fn api_quiz(State(state): State<AppState>, staff: Staff, headers: axum::http::HeaderMap, ApiPath(id): ApiPath<String>, ApiQuery(q): ApiQuery<LangQuery>) -> ApiResult<Json<Value>> {
    content_id(&id)?;
    let lang = crate::i18n::Lang::content_language(api_lang(&headers, q.lang.as_deref()));
    let in_use = curriculum(&state, &staff.0).await?;
    let m = in_use.curriculum.module(&id).filter(|m| !m.questions().is_empty()).ok_or(ApiError::NotFound)?;
    let questions: Vec<Value> = m
        .questions()
        .iter()
        .map(|q| {
            let (shown, text) = q.text().best(lang);
            json!({"id": q.id().as_str(), "lang": shown, "type": q.question_type().as_str(), "prompt": text.prompt, "choices": text.choices, "lesson": q.lesson().as_str()})
        })
        .collect();
    Ok(Json(json!({"module": m.id().as_str(), "title": m.text().best(lang).1.title, "pass_score": store::PASS_SCORE, "questions": questions})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuizBody {
    /// Question id → the letters chosen.
    answers: BTreeMap<String, Vec<String>>,
}

/// An attempt as the API shows it: each question with its explanation (sanitised HTML) and the right answer.
fn attempt_json(lang: Language, attempt: &QuizAttempt, curriculum: &Curriculum) -> Value {
    let results: Vec<Value> = attempt
        .results
        .iter()
        .map(|r| {
            let q = curriculum.question(&r.question);
            json!({
                "question": r.question, "lesson": r.lesson, "chosen": r.chosen, "correct": r.correct, "score": r.score,
                "answer": q.map(|q| q.answer().iter().map(ToString::to_string).collect::<Vec<_>>()),
                "prompt": q.map(|q| q.text().best(lang).1.prompt.clone()),
                "explanation_html": q.map(|q| crate::markdown::render(&q.text().best(lang).1.explanation)),
            })
        })
        .collect();
    json!({
        "id": attempt.id, "user_id": attempt.user_id, "module": attempt.module, "score": attempt.score, "percent": attempt.percent(),
        "passed": attempt.score >= store::PASS_SCORE, "correct": attempt.correct, "total": attempt.total, "created_at": attempt.created_at, "results": results,
    })
}

/// `POST /api/v1/academy/quiz/{module}` `{"answers": {"comm-q-restate": ["B"], …}}`: graded and recorded.
async fn api_submit_quiz(State(state): State<AppState>, staff: Staff, headers: axum::http::HeaderMap, ApiPath(id): ApiPath<String>, ApiJson(body): ApiJson<QuizBody>) -> ApiResult<(StatusCode, Json<Value>)> {
    content_id(&id)?;
    let p = staff.0;
    let mut answers = BTreeMap::new();
    for (question, letters) in &body.answers {
        answers.insert(question.clone(), parse_choices(question, letters)?);
    }
    let attempt = submit_quiz(&state, &p, &id, &answers).await?;
    let in_use = curriculum(&state, &p).await?;
    Ok((StatusCode::CREATED, Json(json!({"attempt": attempt_json(crate::i18n::Lang::content_language(api_lang(&headers, None)), &attempt, &in_use.curriculum)}))))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct UserQuery {
    user_id: Option<i64>,
    lang: Option<String>,
}

fn subject_id(p: &Principal, user_id: Option<i64>) -> ApiResult<i64> {
    match user_id.or(p.user_id) {
        Some(id) => Ok(id),
        None => Err(ApiError::invalid("user_id", "required", "an API token names the person: user_id")),
    }
}

/// `GET /api/v1/academy/quiz-attempts?user_id=`: a person's attempts, newest first (mine by default).
async fn api_attempts(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<UserQuery>) -> ApiResult<Json<Value>> {
    let p = staff.0;
    let user_id = subject_id(&p, q.user_id)?;
    Ok(Json(json!({"attempts": state.store.quiz_attempts(p, user_id).await?})))
}

/// `GET /api/v1/academy/quiz-attempts/{id}`: one attempt with explanations.
async fn api_attempt(State(state): State<AppState>, staff: Staff, headers: axum::http::HeaderMap, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Value>> {
    let p = staff.0;
    let attempt = state.store.quiz_attempt(p.clone(), id).await?;
    let in_use = curriculum(&state, &p).await?;
    Ok(Json(json!({"attempt": attempt_json(crate::i18n::Lang::content_language(api_lang(&headers, None)), &attempt, &in_use.curriculum)})))
}

/// `GET /api/v1/academy/self-assessment?user_id=`: the skill areas and the latest self-assessment.
async fn api_assessment(State(state): State<AppState>, staff: Staff, headers: axum::http::HeaderMap, ApiQuery(q): ApiQuery<UserQuery>) -> ApiResult<Json<Value>> {
    let p = staff.0;
    let lang = api_lang(&headers, q.lang.as_deref());
    let user_id = subject_id(&p, q.user_id)?;
    let latest = state.store.latest_self_assessment(p, user_id).await?;
    let areas: Vec<Value> = SKILL_AREAS.iter().map(|a| json!({"key": a.key, "name": lang.t(&format!("academy.area.{}", a.key)), "module": a.module})).collect();
    Ok(Json(json!({"areas": areas, "levels": [1, 2, 3, 4, 5], "latest": latest})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssessmentBody {
    answers: BTreeMap<String, u8>,
}

/// `POST /api/v1/academy/self-assessment` `{"answers": {"listening_empathy": 3, …}}`: every area, 1–5; the plan
/// is recommended from it.
async fn api_submit_assessment(State(state): State<AppState>, staff: Staff, headers: axum::http::HeaderMap, ApiJson(body): ApiJson<AssessmentBody>) -> ApiResult<(StatusCode, Json<Value>)> {
    let p = staff.0;
    let (saved, plan) = submit_assessment(&state, &p, body.answers).await?;
    let view = plan_json(&state, &p, api_lang(&headers, None), &plan).await?;
    Ok((StatusCode::CREATED, Json(json!({"self_assessment": saved, "plan": view}))))
}

/// A plan with every item's title, link and reasons worded in `lang`.
async fn plan_json(state: &AppState, p: &Principal, lang: Lang, plan: &Plan) -> ApiResult<Value> {
    let in_use = curriculum(state, p).await?;
    let infos = scenarios(state, p).await?;
    let items: Vec<Value> = plan
        .items
        .iter()
        .map(|i| {
            let mut v = serde_json::to_value(i).unwrap_or(Value::Null);
            v["title"] = json!(target_title(lang, i.kind, &i.target, &in_use.curriculum, &infos));
            v["href"] = json!(target_href(i.kind, &i.target));
            v["reason_texts"] = json!(item_reasons(lang, i, &in_use.curriculum));
            v
        })
        .collect();
    Ok(json!({
        "user_id": plan.user_id, "user_name": plan.user_name, "version": plan.version, "generated_at": plan.generated_at,
        "updated_at": plan.updated_at, "done": plan.done_count(), "items": items, "changes": plan.changes,
    }))
}

/// `GET /api/v1/academy/plan?user_id=`: a plan (mine by default; a trainee's for their coach); `null` before the first.
async fn api_plan(State(state): State<AppState>, staff: Staff, headers: axum::http::HeaderMap, ApiQuery(q): ApiQuery<UserQuery>) -> ApiResult<Json<Value>> {
    let p = staff.0;
    let lang = api_lang(&headers, q.lang.as_deref());
    let user_id = subject_id(&p, q.user_id)?;
    let plan = match my_plan(&state, &p, user_id).await? {
        Some(plan) => plan_json(&state, &p, lang, &plan).await?,
        None => Value::Null,
    };
    Ok(Json(json!({"plan": plan})))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    user_id: Option<i64>,
}

/// `POST /api/v1/academy/plan/refresh` `{"user_id"?}`: recommended again from the latest facts.
async fn api_refresh(State(state): State<AppState>, staff: Staff, headers: axum::http::HeaderMap, ApiJson(body): ApiJson<RefreshBody>) -> ApiResult<Json<Value>> {
    let p = staff.0;
    let user_id = subject_id(&p, body.user_id)?;
    let plan = refresh_plan(&state, &p, user_id).await?;
    Ok(Json(json!({"plan": plan_json(&state, &p, api_lang(&headers, None), &plan).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddBody {
    user_id: i64,
    kind: String,
    target: String,
    note: Option<String>,
    expected_version: Option<i64>,
}

/// Checks that a plan item names something that exists: a module, lesson, quiz or scenario.
async fn check_target(state: &AppState, p: &Principal, kind: PlanItemKind, target: &str) -> ApiResult<()> {
    let in_use = curriculum(state, p).await?;
    let exists = match kind {
        PlanItemKind::Module => in_use.curriculum.module(target).is_some(),
        PlanItemKind::Quiz => in_use.curriculum.module(target).is_some_and(|m| !m.questions().is_empty()),
        PlanItemKind::Lesson => in_use.curriculum.lesson(target).is_some(),
        PlanItemKind::Roleplay => scenarios(state, p).await?.iter().any(|s| s.fact.id == target),
    };
    if exists { Ok(()) } else { Err(ApiError::invalid("target", "unknown", "no such module, lesson, quiz or scenario")) }
}

/// A coach's adjustment of a trainee's plan.
pub async fn adjust(state: &AppState, p: &Principal, user_id: i64, expected_version: Option<i64>, change: PlanAdjustment) -> ApiResult<Plan> {
    if let PlanAdjustment::Add { kind, target, .. } = &change {
        // Who may adjust is checked first, so a stranger learns nothing about the curriculum from the answer.
        state.store.training_subject(p.clone(), user_id).await?;
        check_target(state, p, *kind, target).await?;
    }
    state.store.adjust_plan(p.clone(), user_id, expected_version, change).await.map_err(|e| match e {
        StoreError::Conflict(w) if w == "training_plan_note" => ApiError::invalid("note", "invalid", "at most 300 characters, no control characters"),
        StoreError::Conflict(w) if w == "training_plan_target" => ApiError::invalid("target", "invalid", "an id of the curriculum or a scenario"),
        e => conflict_of(e),
    })
}

/// `POST /api/v1/academy/plan/items` `{user_id, kind, target, note?, expected_version?}`: a coach adds an item.
async fn api_add_item(State(state): State<AppState>, staff: Staff, headers: axum::http::HeaderMap, ApiJson(body): ApiJson<AddBody>) -> ApiResult<(StatusCode, Json<Value>)> {
    let p = staff.0;
    let kind = PlanItemKind::parse(&body.kind).ok_or_else(|| ApiError::invalid("kind", "unknown", "module, lesson, quiz or roleplay"))?;
    let plan = adjust(&state, &p, body.user_id, body.expected_version, PlanAdjustment::Add { kind, target: body.target, note: body.note }).await?;
    Ok((StatusCode::CREATED, Json(json!({"plan": plan_json(&state, &p, api_lang(&headers, None), &plan).await?}))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchBody {
    user_id: Option<i64>,
    done: Option<bool>,
    /// A coach's note; `""` clears it.
    note: Option<String>,
    expected_version: Option<i64>,
}

/// `PATCH /api/v1/academy/plan/items/{id}` `{user_id?, done?, note?, expected_version?}`: marks an item done (the
/// person or their coach) or sets its note (a coach).
async fn api_patch_item(State(state): State<AppState>, staff: Staff, headers: axum::http::HeaderMap, ApiPath(id): ApiPath<i64>, ApiJson(body): ApiJson<PatchBody>) -> ApiResult<Json<Value>> {
    let p = staff.0;
    let user_id = subject_id(&p, body.user_id)?;
    let mut plan = None;
    if let Some(done) = body.done {
        plan = Some(adjust(&state, &p, user_id, body.expected_version, PlanAdjustment::Done { item: id, done }).await?);
    }
    if let Some(note) = body.note {
        let expected = plan.as_ref().map(|p: &Plan| p.version).or(body.expected_version);
        plan = Some(adjust(&state, &p, user_id, expected, PlanAdjustment::Note { item: id, note: Some(note) }).await?);
    }
    let plan = plan.ok_or_else(|| ApiError::invalid("body", "empty", "send done or note"))?;
    Ok(Json(json!({"plan": plan_json(&state, &p, api_lang(&headers, None), &plan).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoveQuery {
    user_id: i64,
    expected_version: Option<i64>,
}

/// `DELETE /api/v1/academy/plan/items/{id}?user_id=&expected_version=`: a coach removes an item.
async fn api_remove_item(State(state): State<AppState>, staff: Staff, headers: axum::http::HeaderMap, ApiPath(id): ApiPath<i64>, ApiQuery(q): ApiQuery<RemoveQuery>) -> ApiResult<Json<Value>> {
    let p = staff.0;
    let plan = adjust(&state, &p, q.user_id, q.expected_version, PlanAdjustment::Remove { item: id }).await?;
    Ok(Json(json!({"plan": plan_json(&state, &p, api_lang(&headers, None), &plan).await?})))
}

/// How far back progress reads CSAT.
pub const PROGRESS_WINDOW_MS: i64 = 180 * 86_400_000;

fn roleplay_json(s: &anxin_store::roleplay::RoleplaySummary) -> Value {
    json!({"id": s.id, "scenario": s.scenario_id, "outcome": s.outcome, "overall": s.scores.map(|sc| sc.overall), "started_at": s.started_at, "finished_at": s.finished_at})
}

/// `GET /api/v1/academy/progress?user_id=`: quiz attempts, role-plays and CSAT of real conversations (180 days).
async fn api_progress(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<UserQuery>) -> ApiResult<Json<Value>> {
    let p = staff.0;
    let user_id = subject_id(&p, q.user_id)?;
    let progress = state.store.training_progress(p.clone(), user_id, state.store.now() - PROGRESS_WINDOW_MS).await?;
    let sessions = roleplays(&state, &p, user_id).await?;
    Ok(Json(json!({
        "person": progress.person, "quiz_attempts": progress.quiz_attempts, "csat": progress.csat, "self_assessment": progress.self_assessment,
        "plan": {"items": progress.plan_items, "done": progress.plan_done},
        "roleplays": sessions.iter().map(roleplay_json).collect::<Vec<_>>(),
    })))
}

/// One trainee's figures for the team view.
pub struct TraineeFigures {
    pub progress: anxin_store::training::Progress,
    pub roleplays: Vec<anxin_store::roleplay::RoleplaySummary>,
    /// Average rating over the last 30 days and the 30 before.
    pub csat_recent: Option<f64>,
    pub csat_before: Option<f64>,
}

fn average(points: &[&anxin_store::training::CsatPoint]) -> Option<f64> {
    (!points.is_empty()).then(|| (points.iter().map(|p| f64::from(p.rating)).sum::<f64>() / points.len() as f64 * 10.0).round() / 10.0)
}

/// Every trainee's progress for a coach, with their role-plays (one read each) and CSAT now and before.
pub async fn team_figures(state: &AppState, p: &Principal) -> ApiResult<Vec<TraineeFigures>> {
    let now = state.store.now();
    let team = state.store.team_training_progress(p.clone(), now - PROGRESS_WINDOW_MS).await?;
    let ids: Vec<i64> = team.iter().map(|t| t.person.user_id).collect();
    let mut sessions: HashMap<i64, Vec<anxin_store::roleplay::RoleplaySummary>> = HashMap::new();
    for chunk in ids.chunks(anxin_store::roleplay::USERS_MAX) {
        for s in state.store.roleplays_of(p.clone(), chunk.to_vec(), now - PROGRESS_WINDOW_MS, 1000).await? {
            sessions.entry(s.user_id).or_default().push(s);
        }
    }
    let day = 86_400_000;
    Ok(team
        .into_iter()
        .map(|progress| {
            let recent: Vec<_> = progress.csat.iter().filter(|c| c.rated_at >= now - 30 * day).collect();
            let before: Vec<_> = progress.csat.iter().filter(|c| c.rated_at < now - 30 * day && c.rated_at >= now - 60 * day).collect();
            TraineeFigures {
                csat_recent: average(&recent),
                csat_before: average(&before),
                roleplays: sessions.remove(&progress.person.user_id).unwrap_or_default(),
                progress,
            }
        })
        .collect())
}

/// `GET /api/v1/academy/team`: each trainee's latest quiz, role-play and CSAT figures (coaches; 403 otherwise).
async fn api_team(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Value>> {
    let p = staff.0;
    if !is_coach(p.role) {
        return Err(ApiError::Forbidden("trainers, supervisors and admins follow their trainees' progress"));
    }
    let figures = team_figures(&state, &p).await?;
    let trainees: Vec<Value> = figures
        .iter()
        .map(|f| {
            let finished: Vec<&anxin_store::roleplay::RoleplaySummary> = f.roleplays.iter().filter(|s| s.outcome != RoleplayOutcome::Ongoing).collect();
            json!({
                "person": f.progress.person,
                "latest_quiz": f.progress.quiz_attempts.first().map(|a| json!({"module": a.module, "percent": a.percent(), "at": a.created_at})),
                "quiz_scores": f.progress.quiz_attempts.iter().rev().map(QuizAttempt::percent).collect::<Vec<_>>(),
                "latest_roleplay": finished.first().map(|s| roleplay_json(s)),
                "roleplay_scores": finished.iter().rev().filter_map(|s| s.scores.map(|sc| sc.overall)).collect::<Vec<_>>(),
                "csat_30d": f.csat_recent, "csat_previous_30d": f.csat_before, "csat_count": f.progress.csat.len(),
                "plan": {"items": f.progress.plan_items, "done": f.progress.plan_done},
            })
        })
        .collect();
    Ok(Json(json!({"trainees": trainees})))
}

/// `GET /api/v1/academy/curriculum/export`: every file of the curriculum in use, `{files: [{name, text}]}`, which
/// the import takes back (coaches).
async fn api_export(State(state): State<AppState>, staff: Staff) -> ApiResult<Response> {
    let p = staff.0;
    if !is_coach(p.role) {
        return Err(ApiError::Forbidden("trainers, supervisors and admins export the curriculum"));
    }
    let (stamp, files) = current_files(&state, &p).await?;
    Ok(export_response(&stamp, &files))
}

/// The export file.
pub fn export_response(stamp: &CurriculumStamp, files: &[(String, String)]) -> Response {
    let body = json!({"version": stamp.version, "files": files.iter().map(|(name, text)| json!({"name": name, "text": text})).collect::<Vec<_>>()});
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"anxin-curriculum.json\"")],
        serde_json::to_string_pretty(&body).unwrap_or_default(),
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportFile {
    pub name: String,
    pub text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportBody {
    pub files: Vec<ImportFile>,
    /// The version the import replaces (the current one when left out).
    #[serde(default)]
    pub expected_version: Option<i64>,
    /// An export's own version field, ignored.
    #[serde(default)]
    pub version: Option<i64>,
}

fn counts(curriculum: &Curriculum) -> Value {
    let m = curriculum.modules();
    json!({
        "modules": m.len(),
        "lessons": m.iter().map(|m| m.lessons().len()).sum::<usize>(),
        "cases": m.iter().map(|m| m.cases().len()).sum::<usize>(),
        "questions": m.iter().map(|m| m.questions().len()).sum::<usize>(),
    })
}

/// `POST /api/v1/academy/curriculum/import` `{files: [{name, text}], expected_version?}` (coaches): replaces the
/// whole curriculum, all or nothing; 422 `import_invalid` lists every `file:line: field: message`.
async fn api_import(State(state): State<AppState>, staff: Staff, request: axum::extract::Request) -> Response {
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    // Read before refusing, so a large refused upload gets its answer rather than a reset connection.
    let bytes = read_limited(request.into_body(), MAX_IMPORT_BYTES).await;
    let p = staff.0;
    if !is_coach(p.role) {
        return ApiError::Forbidden("trainers, supervisors and admins edit the curriculum").into_response();
    }
    if !content_type.is_empty() && !content_type.starts_with("application/json") {
        return ApiError::bad_request("unsupported_media_type", "send the body as application/json").into_response();
    }
    let body: ImportBody = match bytes.and_then(|bytes| parse_json(&bytes)) {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    if body.files.is_empty() {
        return ApiError::invalid("files", "empty", "send every file of the curriculum").into_response();
    }
    let files: Vec<(String, String)> = body.files.into_iter().map(|f| (f.name, f.text)).collect();
    match import_files(&state, &p, &files, body.expected_version).await {
        Ok((stamp, parsed)) => Json(json!({"stamp": stamp, "counts": counts(&parsed)})).into_response(),
        Err(failure) => failure.into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetBody {
    expected_version: i64,
}

/// `POST /api/v1/academy/curriculum/reset` `{expected_version}` (coaches): back to the starter curriculum.
async fn api_reset(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<ResetBody>) -> ApiResult<Json<Value>> {
    let stamp = state.store.reset_curriculum(staff.0, body.expected_version).await.map_err(conflict_of)?;
    Ok(Json(json!({"stamp": stamp})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditBody {
    expected_version: i64,
    item: ItemEdit,
}

/// `PUT /api/v1/academy/curriculum/items/{id}/{lang}` `{expected_version, item: {kind: "lesson", title, minutes, body}
/// | {kind: "question", prompt, choices, answer, type, explanation}}` (coaches).
async fn api_edit(State(state): State<AppState>, staff: Staff, ApiPath((id, lang)): ApiPath<(String, String)>, ApiJson(body): ApiJson<EditBody>) -> Response {
    let p = staff.0;
    if let Err(e) = content_id(&id) {
        return e.into_response();
    }
    let Some(lang) = Language::parse(&lang) else {
        return ApiError::bad_request("invalid_path", "language: zh-Hans, zh-Hant or en").into_response();
    };
    match edit_item(&state, &p, &id, lang, &body.item, body.expected_version).await {
        Ok((stamp, parsed)) => Json(json!({"stamp": stamp, "counts": counts(&parsed)})).into_response(),
        Err(failure) => failure.into_response(),
    }
}

/// Checks a question type as a form or request names it.
pub fn question_type(text: &str) -> Option<QuestionType> {
    QuestionType::parse(text.trim())
}

/// Who studies: everyone signed in as a person, whatever their role (an API token is nobody's learner).
pub fn studies(p: &Principal) -> bool {
    p.user_id.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_starter_curriculum_imports() {
        let c = starter();
        assert_eq!(c.modules().len(), 6);
        assert!(c.lesson("comm-listening").is_some());
    }

    #[test]
    fn toml_strings_escape_what_toml_needs() {
        assert_eq!(toml_string("a\"b\\c\nd\te"), "\"a\\\"b\\\\c\\nd\\te\"");
        assert_eq!(toml_string("\u{7}"), "\"\\u0007\"");
        assert_eq!(toml_list(&["A".into(), "“引号”".into()]), "[\"A\", \"“引号”\"]");
    }

    #[test]
    fn an_edited_lesson_and_question_import_back_with_every_language() {
        let c = starter();
        let edit = ItemEdit::Lesson { title: "倾听 \"quoted\" \\ 新".into(), minutes: 15, body: "新的正文\n\n✗ 坏 ✓ 好".into() };
        let files = edited_files(&c, "comm-listening", Language::ZhHans, &edit).unwrap();
        assert_eq!(files.len(), 2, "zh-Hans and en rewritten (minutes are shared)");
        let mut all: Vec<(String, String)> = export(&c).into_iter().filter(|(n, _)| !n.contains("/lessons/comm-listening.")).collect();
        all.extend(files);
        let parsed = import(&all).unwrap();
        let lesson = parsed.lesson("comm-listening").unwrap();
        assert_eq!(lesson.minutes(), 15);
        assert_eq!(lesson.text().get(Language::ZhHans).unwrap().title, "倾听 \"quoted\" \\ 新");
        assert_ne!(lesson.text().get(Language::En).unwrap().body, "新的正文\n\n✗ 坏 ✓ 好", "the other language keeps its text");

        // A Traditional Chinese variant is added alongside.
        let added = edited_files(&c, "comm-listening", Language::ZhHant, &edit).unwrap();
        assert_eq!(added.len(), 3);

        let q = c.question("comm-q-restate").unwrap();
        let choices = q.text().get(Language::En).unwrap().choices.clone();
        let edit = ItemEdit::Question {
            prompt: "Which is best?".into(),
            choices,
            answer: vec!["A".into(), "C".into()],
            question_type: "multiple".into(),
            explanation: "Because.".into(),
        };
        let files = edited_files(&c, "comm-q-restate", Language::En, &edit).unwrap();
        let mut all: Vec<(String, String)> = export(&c).into_iter().filter(|(n, _)| !n.contains("/quiz/comm-q-restate.")).collect();
        all.extend(files);
        let parsed = import(&all).unwrap();
        let q = parsed.question("comm-q-restate").unwrap();
        assert_eq!(q.question_type(), QuestionType::Multiple);
        assert_eq!(q.answer().iter().map(ToString::to_string).collect::<Vec<_>>(), ["A", "C"]);
    }

    #[test]
    fn a_quiz_is_graded_whole_and_unknown_questions_are_refused() {
        let c = starter();
        let m = c.module("communication").unwrap();
        let first = &m.questions()[0];
        let answers = BTreeMap::from([(first.id().to_string(), first.answer().to_vec())]);
        let graded = grade_quiz(m, &answers).unwrap();
        assert_eq!(graded.len(), m.questions().len());
        assert!(graded[0].result.correct);
        assert!(graded[1..].iter().all(|g| !g.result.correct && g.result.chosen.is_empty()), "unanswered is wrong");
        let unknown = BTreeMap::from([("prod-q-plain-words".to_owned(), vec![])]);
        assert!(grade_quiz(m, &unknown).is_err(), "a question of another module");
        assert!(parse_choices("q", &["G".into()]).is_err());
        assert_eq!(parse_choices("q", &[" B ".into()]).unwrap()[0].letter(), 'B');
    }

    #[test]
    fn reasons_are_worded_in_each_language() {
        let c = starter();
        let tone = Reason::ToneFlags { problem: "impatient".into(), count: 3 };
        assert_eq!(reason_text(Lang::ZhHans, &tone, &c), "3 次回复被语气检查提示「不耐烦」");
        assert_eq!(reason_text(Lang::En, &tone, &c), "3 replies were flagged by the tone check as “impatient”");
        let quiz = Reason::QuizScore { module: "communication".into(), percent: 43 };
        assert_eq!(reason_text(Lang::ZhHant, &quiz, &c), "「沟通技巧」測驗最近一次得分 43%（80% 及格）");
        let sa = Reason::SelfAssessment { area: "anxious_customers".into(), level: 2 };
        assert_eq!(reason_text(Lang::ZhHans, &sa, &c), "自评「安抚焦虑的顾客」为 2/5");
        assert_eq!(target_title(Lang::ZhHans, PlanItemKind::Lesson, "comm-empathy", &c, &[]), "沟通技巧：共情：认可感受，也认可需求");
        assert_eq!(target_title(Lang::En, PlanItemKind::Quiz, "communication", &c, &[]), "Communication skills quiz");
        for reason in [
            Reason::QuizMissed { module: "communication".into(), lesson: "comm-empathy".into(), missed: 2 },
            Reason::NotQuizzed { module: "communication".into() },
            Reason::ComplaintsHandled { complaint_type: "logistics".into(), count: 4 },
            Reason::IntenseCustomers { emotion: "anger".into(), count: 6 },
            Reason::LowCsat { complaint_type: None, average: 2.75, count: 5 },
            Reason::LowCsat { complaint_type: Some("size_spec".into()), average: 1.5, count: 2 },
            Reason::RoleplayOutcome { scenario: "x".into(), outcome: "escalated".into() },
            Reason::Starter,
        ] {
            for lang in Lang::ALL {
                let text = reason_text(lang, &reason, &c);
                assert!(!text.contains('{') && !text.contains("「?」") && text != "?", "{lang:?} {reason:?}: {text}");
            }
        }
        // Every kind of problem the tone check reports has a name in each language (not the raw "brush_off").
        for kind in anxin_text::tone::ToneProblemKind::ALL {
            for lang in Lang::ALL {
                let name = lang.t(&format!("academy.tone.{}", kind.as_str()));
                assert!(name != "?" && !name.is_empty(), "{lang:?}: no name for {kind:?}");
            }
        }
    }
}
