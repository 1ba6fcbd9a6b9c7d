//! Criterion benchmarks of one analysis on typical 40-character customer messages, and of the reply tone check
//! (which runs on every keystroke pause) on typical agent drafts.

use anxin_text::tone::{CustomerContext, check_reply_with_question};
use anxin_text::{Analyzer, ComplaintType, Emotion};
use criterion::{Criterion, criterion_group, criterion_main};

const MESSAGES: &[&str] = &[
    "快递已经五天了还没到，物流信息也不更新，到底怎么回事",
    "衣服尺码偏小，平时穿M这次L都穿不上，能换货吗？谢谢",
    "你们这是什么垃圾服务！！！再不处理我就去12315投诉你们",
    "質量很好，物流也快，非常滿意，下次還會再來買的，謝謝",
    "Where is my order?? It's been two weeks and no update!",
];

fn analyze(c: &mut Criterion) {
    c.bench_function("analyze/40-char message", |b| {
        // Loaded only when this benchmark runs: the tone benchmark needs no model.
        let analyzer = Analyzer::embedded().expect("model embedded");
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % MESSAGES.len();
            std::hint::black_box(analyzer.analyze(MESSAGES[i]))
        })
    });
}

const DRAFTS: &[&str] = &[
    "非常理解您的心情，给您添麻烦了，抱歉。我已经为您申请补发，今天18:00前会把快递单号发给您。",
    "不是跟你说了吗，订单123456789今天下午发货，你自己看物流，请耐心等待。",
    "这是正常现象，别人用都没问题，请您冷静一点，过几天就到了。",
    "您好，退款会在仓库签收后3-5个工作日内处理，您也可以选择换货，您看哪种更方便？",
    "I already told you, please be patient. That's normal, it ships tomorrow at 10:30.",
];

fn tone(c: &mut Criterion) {
    let customer = CustomerContext { emotion: Emotion::Anger, intensity: 0.8, complaint: Some(ComplaintType::Logistics) };
    c.bench_function("tone/check_reply 40-char draft", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % DRAFTS.len();
            std::hint::black_box(check_reply_with_question(DRAFTS[i], Some(&customer), true))
        })
    });
}

criterion_group!(benches, analyze, tone);
criterion_main!(benches);
