//! Token buckets per key (widget visitor, client address). In memory per node: with several nodes each node
//! enforces the limit on the traffic it sees, which the load balancer spreads.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::Config;
use crate::error::ApiError;

pub struct Bucket {
    per_second: f64,
    burst: f64,
    state: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Bucket {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self { per_second: per_minute as f64 / 60.0, burst: burst.max(1) as f64, state: Mutex::new(HashMap::new()) }
    }

    /// Takes one token for `key`, or says how many seconds until one is available.
    pub fn take(&self, key: &str) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut map = self.state.lock().expect("bucket lock");
        if map.len() > 200_000 {
            let (rate, burst) = (self.per_second, self.burst);
            map.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let (tokens, at) = map.entry(key.to_owned()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - *tokens) / self.per_second.max(1e-9)).ceil() as u64;
            Err(ApiError::RateLimited(wait.max(1)))
        }
    }
}

pub struct Limits {
    pub visitor_messages: Bucket,
    pub ip_requests: Bucket,
}

impl Limits {
    pub fn new(config: &Config) -> Self {
        Self {
            visitor_messages: Bucket::new(config.visitor_messages_per_minute, config.visitor_burst),
            ip_requests: Bucket::new(config.ip_requests_per_minute, (config.ip_requests_per_minute / 6).max(10)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refusal_with_retry_after() {
        let bucket = Bucket::new(60, 3);
        for _ in 0..3 {
            assert!(bucket.take("v").is_ok());
        }
        match bucket.take("v") {
            Err(ApiError::RateLimited(after)) => assert!((1..=2).contains(&after)),
            other => panic!("{other:?}"),
        }
        assert!(bucket.take("another visitor").is_ok());
    }
}
