use anxin_text::Analyzer;
use proptest::prelude::*;

use crate::analyzer;

fn text_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[退款快递太慢了气死我！？!?😡a-zA-Z0-9 ，。\u{3000}０-９]{0,80}",
        proptest::collection::vec(prop_oneof![Just("不"), Just("满意"), Just("！"), Just("138"), Just("@qq.com"), Just("投诉")], 0..30)
            .prop_map(|v| v.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn analysis_never_panics_and_is_consistent(text in text_strategy()) {
        let a = analyzer().analyze(&text);
        let sum: f32 = a.emotion.scores.to_array().iter().sum();
        prop_assert!((sum - 1.0).abs() < 1e-4);
        prop_assert!((0.0..=1.0).contains(&a.emotion.intensity));
        prop_assert!((-1.0..=1.0).contains(&a.sentiment.valence));
        let n = text.chars().count();
        for s in &a.signals {
            prop_assert!(s.span.start <= s.span.end && s.span.end <= n);
        }
        for p in &a.pii.spans {
            prop_assert!(p.span.start <= p.span.end && p.span.end <= n);
            if p.text.chars().filter(|c| c.is_alphanumeric()).count() >= 6 {
                let shown: String = a.pii.masked.chars().skip(p.span.start).take(p.span.len()).collect();
                prop_assert_ne!(&shown, &p.text, "masking left {} visible", p.text);
                prop_assert!(shown.contains('*'));
            }
        }
        // Deterministic: the same text always gives the same analysis.
        prop_assert_eq!(&a, &analyzer().analyze(&text));
        // Read as a customer's message, only the emotion and what derives from it (valence, intensity, complaint) may
        // differ, and the emotion is still a distribution.
        let inbox = analyzer().analyze_customer_message(&text);
        let sum: f32 = inbox.emotion.scores.to_array().iter().sum();
        prop_assert!((sum - 1.0).abs() < 1e-4);
        prop_assert!((0.0..=1.0).contains(&inbox.emotion.intensity));
        prop_assert!((-1.0..=1.0).contains(&inbox.sentiment.valence));
        prop_assert_eq!(inbox.sentiment.label, a.sentiment.label);
        prop_assert_eq!(&inbox.pii, &a.pii);
        prop_assert_eq!(&inbox.signals, &a.signals);
        prop_assert_eq!(&inbox, &analyzer().analyze_customer_message(&text));
    }
}

#[test]
fn hostile_model_bytes_are_errors() {
    assert!(Analyzer::from_bytes(b"").is_err());
    assert!(Analyzer::from_bytes(&[0u8; 1024]).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// The server keeps a `ConversationState` per conversation instead of every analysis; folding messages into it
    /// must give the same trajectory and risk as analysing the whole list, and survive a JSON round trip.
    #[test]
    fn incremental_conversation_state_matches_full_analysis(picks in proptest::collection::vec(0usize..10, 0..12)) {
        const POOL: [&str; 10] = [
            "你好，请问这款有货吗", "快递五天了还没到！！！", "再不处理我就去12315投诉", "谢谢，问题解决了，很满意",
            "这是我第三次联系你们了", "质量太差了，很失望", "急！明天就要用", "好的", "你们什么垃圾服务，骗子", "退款什么时候到账？",
        ];
        let analyses: Vec<_> = picks.iter().map(|&i| analyzer().analyze(POOL[i])).collect();
        let mut state = anxin_text::conversation::ConversationState::default();
        for a in &analyses {
            state = serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
            state.push(a);
        }
        let full = analyzer().conversation(&analyses);
        let incremental = state.analysis();
        prop_assert_eq!(incremental.trajectory, full.trajectory);
        prop_assert_eq!(incremental.complaint_risk, full.complaint_risk);
        prop_assert_eq!(incremental.current_emotion, full.current_emotion);
        prop_assert_eq!(incremental.peak_intensity, full.peak_intensity);
    }
}
