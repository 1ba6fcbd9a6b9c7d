//! Criterion benchmark of one analysis on typical 40-character customer messages.

use anxin_text::Analyzer;
use criterion::{Criterion, criterion_group, criterion_main};

const MESSAGES: &[&str] = &[
    "快递已经五天了还没到，物流信息也不更新，到底怎么回事",
    "衣服尺码偏小，平时穿M这次L都穿不上，能换货吗？谢谢",
    "你们这是什么垃圾服务！！！再不处理我就去12315投诉你们",
    "質量很好，物流也快，非常滿意，下次還會再來買的，謝謝",
    "Where is my order?? It's been two weeks and no update!",
];

fn analyze(c: &mut Criterion) {
    let analyzer = Analyzer::embedded().expect("model embedded");
    c.bench_function("analyze/40-char message", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % MESSAGES.len();
            std::hint::black_box(analyzer.analyze(MESSAGES[i]))
        })
    });
}

criterion_group!(benches, analyze);
criterion_main!(benches);
