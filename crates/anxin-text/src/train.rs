//! Training: multinomial logistic regression per head over the shared hashed features (AdaGrad, L2, seeded
//! shuffling — the same data and seed always give the same model), plus the weak-labelling rules that turn review
//! texts into silver e-commerce emotion and complaint-type examples.

use crate::analyzer::{HEAD_COMPLAINT, HEAD_DOMAIN, HEAD_EMOTION, HEAD_EMOTION_SHOP, HEAD_IS_COMPLAINT, HEAD_SENTIMENT};
use crate::extract::{self, Extracted, FEATURE_FINGERPRINT};
use crate::lexicon::CueCounts;
use crate::model::{Head, LinearModel, columns_for, sigmoid, softmax};
use crate::normalize::Normalized;
use crate::types::{ComplaintType, Emotion};

/// One labelled training text.
#[derive(Debug, Clone)]
pub struct Example {
    pub text: String,
    pub label: usize,
    /// Sample weight (source balancing, class balancing, silver-label confidence).
    pub weight: f32,
}

/// The training set of one head.
#[derive(Debug, Clone)]
pub struct HeadData {
    pub name: String,
    pub classes: Vec<String>,
    pub examples: Vec<Example>,
    /// Passes over the data for this head when it differs from [`TrainConfig::epochs`].
    pub epochs: Option<usize>,
}

#[derive(Debug, Clone, Copy)]
pub struct TrainConfig {
    pub bits: u32,
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self { bits: 19, epochs: 4, learning_rate: 0.1, l2: 1e-6, seed: 20261125 }
    }
}

/// The heads every model must have, in column order, with their classes.
pub fn head_layout() -> Vec<(&'static str, Vec<String>)> {
    let emotions: Vec<String> = Emotion::ALL.iter().map(|e| e.as_str().to_string()).collect();
    vec![
        (HEAD_SENTIMENT, vec!["negative".into(), "positive".into()]),
        (HEAD_EMOTION, emotions.clone()),
        (HEAD_EMOTION_SHOP, emotions),
        (HEAD_COMPLAINT, ComplaintType::ALL.iter().map(|c| c.as_str().to_string()).collect()),
        (HEAD_DOMAIN, vec!["social".into(), "shop".into()]),
        (HEAD_IS_COMPLAINT, vec!["no".into(), "yes".into()]),
    ]
}

/// Progress callback: (head name, examples done, examples total).
pub type Progress<'a> = &'a mut dyn FnMut(&str, usize, usize);

/// Small deterministic PRNG (splitmix64) for shuffling.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        crate::features::mix(self.0)
    }
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// Trains every head in `data` (which must cover [`head_layout`]) and returns the quantised model.
pub fn train(data: &[HeadData], config: TrainConfig, progress: Progress<'_>) -> LinearModel {
    let layout = head_layout();
    let stride: usize = layout.iter().map(|(_, c)| columns_for(c.len())).sum();
    let rows = 1usize << config.bits;
    let mut weights = vec![0f32; rows * stride];
    let mut grad_sq = vec![0f32; rows * stride];
    let mut bias = vec![0f32; stride];
    // Sum of the weights at the end of each epoch: the average generalises better than the last iterate.
    let mut averaged = vec![0f32; rows * stride];
    let mut averaged_bias = vec![0f32; stride];
    let mut heads = Vec::new();
    let mut offset = 0;
    let mut ex = Extracted::default();
    for (name, classes) in layout {
        let k = classes.len();
        let columns = columns_for(k);
        let head_data = data.iter().find(|d| d.name == name).unwrap_or_else(|| panic!("no training data for head {name}"));
        assert_eq!(head_data.classes, classes, "classes of head {name}");
        // Extract once per example: bucket lists.
        let mut docs: Vec<(Vec<u32>, usize, f32)> = Vec::with_capacity(head_data.examples.len());
        for (i, e) in head_data.examples.iter().enumerate() {
            let norm = Normalized::new(&e.text);
            extract::extract(&norm, config.bits, &mut ex);
            docs.push((ex.features.iter().map(|f| f.bucket).collect(), e.label, e.weight));
            if i % 4096 == 0 {
                progress(name, i / 2, head_data.examples.len());
            }
        }
        // Prior-matching bias start speeds convergence.
        let mut class_weight = vec![1e-3f32; k];
        for (_, y, w) in &docs {
            class_weight[*y] += w;
        }
        let total: f32 = class_weight.iter().sum();
        if columns == 1 {
            bias[offset] = (class_weight[1] / class_weight[0]).ln();
        } else {
            for j in 0..k {
                bias[offset + j] = (class_weight[j] / total).ln();
            }
        }
        // A one-column head takes the steps a two-column softmax would take on the difference of its columns (the
        // two move by opposite amounts): twice the step, half the L2 pull. Folding two-class heads into one column
        // shrank the file without changing what they learn.
        let (step, l2) = if columns == 1 { (2.0 * config.learning_rate, config.l2 / 2.0) } else { (config.learning_rate, config.l2) };
        let mut rng = Rng(config.seed ^ crate::features::hash_bytes(name.as_bytes()));
        let mut order: Vec<usize> = (0..docs.len()).collect();
        let mut logits = vec![0f32; columns];
        let mut bias_sq = vec![0f32; columns];
        let epochs = head_data.epochs.unwrap_or(config.epochs).max(1);
        let total_steps = epochs * docs.len();
        let mut step_count = 0;
        for _epoch in 0..epochs {
            rng.shuffle(&mut order);
            for &d in &order {
                let (buckets, y, w) = &docs[d];
                if buckets.is_empty() {
                    continue;
                }
                let value = 1.0 / (buckets.len() as f32).sqrt();
                logits.copy_from_slice(&bias[offset..offset + columns]);
                for &b in buckets {
                    let row = &weights[b as usize * stride + offset..][..columns];
                    for (logit, weight) in logits.iter_mut().zip(row) {
                        *logit += value * weight;
                    }
                }
                // Gradient of the log-loss with respect to each logit, times the sample weight.
                if columns == 1 {
                    logits[0] = (sigmoid(logits[0]) - *y as f32) * w;
                } else {
                    softmax(&mut logits);
                    for (j, logit) in logits.iter_mut().enumerate() {
                        *logit = (*logit - if j == *y { 1.0 } else { 0.0 }) * w;
                    }
                }
                for (j, g) in logits.iter().enumerate() {
                    bias_sq[j] += g * g;
                    bias[offset + j] -= step * g / (bias_sq[j].sqrt() + 1e-6);
                }
                for &b in buckets {
                    let base = b as usize * stride + offset;
                    for (j, logit) in logits.iter().enumerate() {
                        let idx = base + j;
                        let g = logit * value + l2 * weights[idx];
                        grad_sq[idx] += g * g;
                        weights[idx] -= step * g / (grad_sq[idx].sqrt() + 1e-6);
                    }
                }
                step_count += 1;
                if step_count % 8192 == 0 {
                    progress(name, docs.len() / 2 + step_count * docs.len() / 2 / total_steps.max(1), docs.len());
                }
            }
            let share = 1.0 / epochs as f32;
            for (a, w) in averaged.chunks_exact_mut(stride).zip(weights.chunks_exact(stride)) {
                for j in offset..offset + columns {
                    a[j] += share * w[j];
                }
            }
            for j in offset..offset + columns {
                averaged_bias[j] += share * bias[j];
            }
        }
        progress(name, docs.len(), docs.len());
        heads.push(Head { name: name.to_string(), classes, offset });
        offset += columns;
    }
    drop(weights);
    LinearModel::quantize(config.bits, *FEATURE_FINGERPRINT, heads, averaged_bias, &averaged)
}

/// Lexicon evidence for a text (for weak labelling and calibration).
pub fn cue_profile(text: &str) -> (CueCounts, u32, u32) {
    let norm = Normalized::new(text);
    let mut ex = Extracted::default();
    extract::extract(&norm, 12, &mut ex);
    (ex.counts, ex.exclamations, ex.questions)
}

/// Silver emotion of a **negative** shopping review: the emotion its lexicon cues point to, or neutral for a
/// plain factual complaint; `None` when the cues disagree (the example is left out).
pub fn silver_negative_emotion(text: &str) -> Option<Emotion> {
    let (c, excl, ques) = cue_profile(text);
    let mut score = [
        c.emotion[Emotion::Anger.index()] + if excl >= 2 { 1.0 } else { 0.0 },
        c.emotion[Emotion::Anxiety.index()] + if ques >= 2 { 0.5 } else { 0.0 },
        c.emotion[Emotion::Disappointment.index()],
    ];
    // Intensified negativity without an emotion word reads as anger in complaint texts.
    if score.iter().all(|s| *s == 0.0) && c.intensifiers >= 1.0 && c.negative >= 2.0 {
        score[0] += 0.5;
    }
    let max = score.iter().copied().fold(0.0, f32::max);
    if max == 0.0 {
        return if c.negative + c.complaint.iter().sum::<f32>() > 0.0 { Some(Emotion::Neutral) } else { None };
    }
    let winners = score.iter().filter(|s| **s == max).count();
    if winners > 1 {
        return None;
    }
    let best = score.iter().position(|s| *s == max).unwrap_or(0);
    Some([Emotion::Anger, Emotion::Anxiety, Emotion::Disappointment][best])
}

/// Silver complaint type of a negative review: the type with clearly the most lexicon evidence.
pub fn silver_complaint(text: &str) -> Option<ComplaintType> {
    let (c, _, _) = cue_profile(text);
    let mut ranked: Vec<(usize, f32)> = c.complaint.iter().copied().enumerate().take(7).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (best, top) = ranked[0];
    let second = ranked[1].1;
    if top == 0.0 || top < second + 1.0 && top < 2.0 * second {
        return None;
    }
    Some(ComplaintType::ALL[best])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silver_labels_follow_the_cues() {
        let cases: &[(&str, Option<Emotion>)] = &[
            ("太过分了，垃圾商家，骗子！！！", Some(Emotion::Anger)),
            ("快递怎么还没到，急用，什么时候能到", Some(Emotion::Anxiety)),
            ("本来很期待的，结果很失望", Some(Emotion::Disappointment)),
            ("收到的颜色和图片不符", Some(Emotion::Neutral)),
        ];
        for (text, expected) in cases {
            assert_eq!(silver_negative_emotion(text), *expected, "{text}");
        }
        assert_eq!(silver_complaint("快递太慢了，物流一直不更新"), Some(ComplaintType::Logistics));
        assert_eq!(silver_complaint("今天天气很好"), None);
    }

    #[test]
    fn training_is_deterministic_and_learns() {
        let layout = head_layout();
        let data: Vec<HeadData> = layout
            .iter()
            .map(|(name, classes)| HeadData {
                name: name.to_string(),
                classes: classes.clone(),
                examples: (0..40)
                    .map(|i| Example {
                        text: if i % 2 == 0 { format!("很好很满意{i}") } else { format!("太差了垃圾{i}") },
                        label: (i % 2) * (classes.len() - 1),
                        weight: 1.0,
                    })
                    .collect(),
                epochs: None,
            })
            .collect();
        let config = TrainConfig { bits: 12, epochs: 3, ..TrainConfig::default() };
        let a = train(&data, config, &mut |_, _, _| {});
        let b = train(&data, config, &mut |_, _, _| {});
        assert_eq!(a.to_bytes(), b.to_bytes(), "same data and seed give the same bytes");
        let analyzer = crate::Analyzer::from_model(a).expect("fresh model matches the extractor");
        // Class 0 (negative) was the label of the "很好" texts by construction above.
        assert_eq!(analyzer.predict_sentiment("很好很满意"), crate::Polarity::Negative);
        assert_eq!(analyzer.predict_sentiment("太差了垃圾"), crate::Polarity::Positive);
    }
}
