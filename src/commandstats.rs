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

/// Counters per histogram: as many as hdr_init gives Redis's range, whole power-of-two
/// buckets up to the one holding [`HISTOGRAM_MAX_NS`] plus one half-bucket, so that LATENCY
/// HISTOGRAM's walk (see [`LatencyHistogram::cumulative_distribution`]) ends where Redis's
/// does.
const COUNTS_LEN: usize =
    ((bucket_of(HISTOGRAM_MAX_NS).0 as usize) + 2) << SUB_BUCKET_HALF_COUNT_MAGNITUDE;

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            counts: vec![0; COUNTS_LEN],
            total: 0,
        }
    }
}

/// The bucket of `value` (a power-of-two range) and its sub-bucket within it.
const fn bucket_of(value: u64) -> (u32, u64) {
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

/// The lowest value counted in the counter at `index` (hdr_value_at_index).
fn lowest_value_at(index: usize) -> u64 {
    let (bucket, sub) = bucket_at(index);
    sub << bucket
}

/// The lowest value counted with `value` (hdr's lowest_equivalent_value).
fn lowest_equivalent(value: u64) -> u64 {
    let (bucket, sub) = bucket_of(value);
    sub << bucket
}

/// The first level of LATENCY HISTOGRAM's distribution, in ns (Redis walks its histograms
/// from 1024 ns, doubling).
const CDF_FIRST_LEVEL_NS: u64 = 1024;

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

    /// How many executions were counted.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The cumulative distribution LATENCY HISTOGRAM replies (Redis's fillCommandCDF, which
    /// walks the histogram with hdr's logarithmic iterator from 1024 ns, base 2): for each
    /// level 1024 ns, 2048 ns, ... the highest value of the level's counter in whole µs, and
    /// how many executions that counter and all below it hold. Only levels that add
    /// executions are listed, and the walk stops once every execution is counted, so the
    /// first entry gathers everything up to ~1 µs and the last is the slowest one's level.
    pub fn cumulative_distribution(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut level = CDF_FIRST_LEVEL_NS;
        let mut level_lowest = lowest_equivalent(level);
        // The iterator's position: the counter last added (none yet), its lowest and highest
        // values, and the executions counted up to it.
        let mut index: Option<usize> = None;
        let (mut value, mut highest, mut cumulative) = (0, 0, 0);
        let mut reported = 0;
        loop {
            let next = index.map_or(0, |i| i + 1);
            let more_levels = next < self.counts.len() && lowest_value_at(next) > level_lowest;
            if cumulative >= self.total && !more_levels {
                break;
            }
            // Advance to the first counter at or above the level (or the last counter).
            let at_level = loop {
                if value >= level_lowest {
                    break true;
                }
                let next = index.map_or(0, |i| i + 1);
                let Some(&count) = self.counts.get(next) else {
                    break false;
                };
                index = Some(next);
                cumulative += count;
                value = lowest_value_at(next);
                highest = highest_value_at(next);
            };
            if cumulative > reported {
                out.push((highest / 1000, cumulative));
            }
            reported = cumulative;
            if !at_level {
                break;
            }
            level *= 2;
            level_lowest = lowest_equivalent(level);
        }
        out
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

    #[test]
    fn cumulative_distribution_walks_power_of_two_levels_as_redis() {
        let mut h = LatencyHistogram::default();
        for ns in [500, 500, 500, 1500, 1500, 3000] {
            h.record(ns);
        }
        // Each level's counter's highest value in µs (1031 ns, 2063 ns, 4127 ns).
        assert_eq!(h.cumulative_distribution(), [(1, 3), (2, 5), (4, 6)]);
        // Levels that add nothing are left out; past the last counter (commands slower than
        // ~0.54 s) the walk ends on the histogram's top counter, as redis-server 7.0 reports
        // for DEBUG SLEEP 0, 0.6 and 1.5: 132 1 1073741 3.
        let mut h = LatencyHistogram::default();
        for ns in [131_000, 600_000_000, 1_500_000_000] {
            h.record(ns);
        }
        assert_eq!(h.cumulative_distribution(), [(132, 1), (1_073_741, 3)]);
        assert_eq!(h.total(), 3);
    }
}
