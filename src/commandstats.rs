//! Per-command statistics (the counters Redis keeps in each `redisCommand`): how often each
//! command ran, how long it took, how often it was refused or failed, and a latency
//! histogram, for INFO's commandstats and latencystats sections.
//!
//! The command table is static data, so the counters live beside it in
//! `Server::command_stats`, one slot per table row (subcommands included), indexed by the
//! row's id (`CommandTable::id`). `call()` updates the slot of every command it runs,
//! `reject_command` the slot of a command refused before running; CONFIG RESETSTAT clears
//! them all.

/// Counters of one command row (Redis's `calls`, `microseconds`, `rejected_calls`,
/// `failed_calls` and `latency_histogram`).
#[derive(Debug, Default, Clone)]
pub struct CommandStats {
    pub calls: u64,
    /// Total execution time, µs.
    pub usec: u64,
    /// Refused before running (arity, authentication, permissions, OOM...).
    pub rejected_calls: u64,
    /// Ran and replied with an error.
    pub failed_calls: u64,
    /// Execution times, created on the command's first call (`latency-tracking`).
    pub latency: Option<Box<LatencyHistogram>>,
}

/// Smallest and largest latency the histograms track, in ns (Redis's
/// LATENCY_HISTOGRAM_MIN_VALUE / _MAX_VALUE); longer executions are counted as the maximum.
const HISTOGRAM_MIN_NS: u64 = 1;
const HISTOGRAM_MAX_NS: u64 = 1_000_000_000;

/// Bits of a value kept exactly within each power of two: 2 significant decimal digits,
/// as Redis's hdr_init(..., 2) gives (a sub-bucket count of 256, half of it per bucket).
const SUB_BUCKET_HALF_COUNT_MAGNITUDE: u32 = 7;
const SUB_BUCKET_HALF_COUNT: u64 = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const SUB_BUCKET_MASK: u64 = (SUB_BUCKET_HALF_COUNT << 1) - 1;

/// An HDR histogram of latencies in ns with Redis's precision (2 significant digits), so
/// the percentiles INFO prints fall on the same bucket boundaries as Redis's (a 2 µs call
/// shows as `2.007`).
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    total: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            counts: vec![0; counts_index(HISTOGRAM_MAX_NS) + 1],
            total: 0,
        }
    }
}

/// The bucket of `value` (a power-of-two range) and its sub-bucket within it.
fn bucket_of(value: u64) -> (u32, u64) {
    let pow2ceiling = 64 - (value | SUB_BUCKET_MASK).leading_zeros();
    let bucket = pow2ceiling - (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1);
    (bucket, value >> bucket)
}

/// Index of `value`'s counter.
fn counts_index(value: u64) -> usize {
    let (bucket, sub) = bucket_of(value);
    (((bucket as u64 + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + sub - SUB_BUCKET_HALF_COUNT)
        as usize
}

/// The bucket and sub-bucket the counter at `index` stands for.
fn bucket_at(index: usize) -> (u64, u64) {
    let index = index as u64;
    let bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) as i64 - 1;
    let sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if bucket < 0 {
        (0, sub - SUB_BUCKET_HALF_COUNT)
    } else {
        (bucket as u64, sub)
    }
}

/// How many values the counter at `index` stands for.
fn bucket_width_at(index: usize) -> u64 {
    1 << bucket_at(index).0
}

/// The highest value counted in the counter at `index` (hdr_value_at_percentile's answer).
fn highest_value_at(index: usize) -> u64 {
    let (bucket, sub) = bucket_at(index);
    (sub << bucket) + (1 << bucket) - 1
}

impl LatencyHistogram {
    /// Counts one execution of `ns` nanoseconds.
    pub fn record(&mut self, ns: u64) {
        let index = counts_index(ns.clamp(HISTOGRAM_MIN_NS, HISTOGRAM_MAX_NS));
        if let Some(count) = self.counts.get_mut(index) {
            *count += 1;
            self.total += 1;
        }
    }

    /// The latency (ns) at or below which `percentile` % of the executions fall; for 0, the
    /// lowest value of the smallest one's bucket.
    pub fn value_at_percentile(&self, percentile: f64) -> u64 {
        if percentile <= 0.0 {
            let first = self.counts.iter().position(|&n| n > 0).unwrap_or(0);
            return highest_value_at(first) + 1 - bucket_width_at(first);
        }
        let wanted = ((percentile / 100.0) * self.total as f64 + 0.5) as u64;
        let wanted = wanted.max(1);
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= wanted {
                return highest_value_at(index);
            }
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_fall_on_redis_bucket_boundaries() {
        let mut h = LatencyHistogram::default();
        h.record(2000);
        assert_eq!(h.value_at_percentile(50.0), 2007);
        for ns in [1, 100, 255, 256, 7000, 1_000_000, 5_000_000_000] {
            let mut h = LatencyHistogram::default();
            h.record(ns);
            let got = h.value_at_percentile(99.0);
            let want = ns.min(HISTOGRAM_MAX_NS);
            // Within one bucket: at most 1% (2 significant digits) above the value.
            assert!(got >= want && got <= want + want / 100 + 1, "{ns} -> {got}");
        }
        let mut h = LatencyHistogram::default();
        for ns in 1..=100 {
            h.record(ns * 1000);
        }
        assert_eq!(h.value_at_percentile(50.0), 50_175);
        assert_eq!(h.value_at_percentile(99.0), 99_327);
        assert_eq!(h.value_at_percentile(100.0), 100_351);
        assert_eq!(h.value_at_percentile(0.0), 1000);
    }
}
