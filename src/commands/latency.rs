//! The latency monitor and LATENCY (Redis's latency.c): with `latency-monitor-threshold` set
//! (in milliseconds; 0, the default, turns it off), every event that takes at least that long
//! is recorded under its name, so an operator can see what made the server slow and when.
//!
//! rredis records the events Redis records for the work it does: `command` and
//! `fast-command` (a command's execution, by its `fast` flag, from `call()`) and
//! `expire-cycle` (one run of the active expiry cycle). Each event keeps the latest
//! [`LATENCY_TS_LEN`] samples, at most one per second (the worst of that second), and its
//! all-time maximum.
//!
//! LATENCY LATEST, HISTORY and GRAPH show the samples; DOCTOR turns them into Redis's
//! report, with its advice. LATENCY HISTOGRAM is a different thing: the per-command latency
//! histograms of `crate::commandstats`, which `call()` fills whether or not the monitor is
//! on (`latency-tracking`).

use std::collections::VecDeque;

use std::fmt::Write as _;

use crate::client::Client;
use crate::commands::{container_command, flags::*, Command, NO_KEYS};
use crate::commandstats::LatencyHistogram;
use crate::server::Server;
use crate::sparkline::Sequence;

/// Samples kept per event (Redis's LATENCY_TS_LEN).
const LATENCY_TS_LEN: usize = 160;

/// One second's worst latency of an event.
#[derive(Debug, Clone, Copy)]
struct LatencySample {
    /// Unix time, seconds.
    time: i64,
    /// Milliseconds.
    latency: u64,
}

/// An event's history (Redis's latencyTimeSeries).
#[derive(Debug, Default)]
struct LatencyTimeSeries {
    /// Oldest first; at most [`LATENCY_TS_LEN`].
    samples: VecDeque<LatencySample>,
    /// The highest latency ever recorded (until LATENCY RESET).
    max: u64,
}

/// Every event's history, owned by the `Server`, in the order the events first occurred.
#[derive(Debug, Default)]
pub struct LatencyMonitor {
    events: Vec<(&'static str, LatencyTimeSeries)>,
}

/// Records that `event` took `ms` milliseconds if that reaches the configured threshold
/// (Redis's latencyAddSampleIfNeeded).
#[inline]
pub fn latency_add_sample_if_needed(srv: &mut Server, event: &'static str, ms: u64) {
    let threshold = srv.config.latency_monitor_threshold;
    if threshold > 0 && ms >= threshold as u64 {
        let now = srv.now_ms.div_euclid(1000);
        latency_add_sample(&mut srv.latency, event, now, ms);
    }
}

/// Adds a sample at unix second `now`, merging with a sample of the same second (Redis's
/// latencyAddSample).
fn latency_add_sample(monitor: &mut LatencyMonitor, event: &'static str, now: i64, ms: u64) {
    let series = match monitor.events.iter().position(|(name, _)| *name == event) {
        Some(i) => &mut monitor.events[i].1,
        None => {
            monitor.events.push((event, LatencyTimeSeries::default()));
            match monitor.events.last_mut() {
                Some((_, series)) => series,
                None => return,
            }
        }
    };
    series.max = series.max.max(ms);
    if let Some(last) = series.samples.back_mut() {
        if last.time == now {
            last.latency = last.latency.max(ms);
            return;
        }
    }
    series.samples.push_back(LatencySample {
        time: now,
        latency: ms,
    });
    if series.samples.len() > LATENCY_TS_LEN {
        series.samples.pop_front();
    }
}

pub static COMMANDS: &[Command] = &[
    Command::new("latency", -2, 0, NO_KEYS, 0, container_command)
        .with_subcommands(LATENCY_SUBCOMMANDS),
];

/// LATENCY's subcommands (Redis lists them in its hash table's order, which varies).
static LATENCY_SUBCOMMANDS: &[Command] = &[
    Command::new(
        "latency|help",
        2,
        LOADING | STALE,
        NO_KEYS,
        0,
        latency_help_command,
    ),
    Command::new(
        "latency|reset",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        0,
        latency_reset_command,
    ),
    Command::new(
        "latency|latest",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        0,
        latency_latest_command,
    ),
    Command::new(
        "latency|history",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        0,
        latency_history_command,
    ),
    Command::new(
        "latency|doctor",
        2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        0,
        latency_doctor_command,
    ),
    Command::new(
        "latency|graph",
        3,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        0,
        latency_graph_command,
    ),
    Command::new(
        "latency|histogram",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        0,
        latency_histogram_command,
    ),
];

/// LATENCY LATEST: per event, its name, the time and latency of its latest sample, and its
/// maximum.
fn latency_latest_command(srv: &mut Server, c: &mut Client) {
    let events = &srv.latency.events;
    c.reply.array_len(events.len());
    for (name, series) in events {
        let last = series.samples.back().copied().unwrap_or(LatencySample {
            time: 0,
            latency: 0,
        });
        c.reply.array_len(4);
        c.reply.bulk(name.as_bytes());
        c.reply.int(last.time);
        c.reply.int(last.latency as i64);
        c.reply.int(series.max as i64);
    }
}

/// LATENCY HISTORY event: the event's samples, oldest first, as (time, latency) pairs; an
/// empty array for an event never seen.
fn latency_history_command(srv: &mut Server, c: &mut Client) {
    let Some((_, series)) = find_event(&srv.latency, c.argv.arg(2)) else {
        return c.reply.array_len(0);
    };
    c.reply.array_len(series.samples.len());
    for sample in &series.samples {
        c.reply.array_len(2);
        c.reply.int(sample.time);
        c.reply.int(sample.latency as i64);
    }
}

/// The series of the event named `name`, if it has samples.
fn find_event<'a>(
    monitor: &'a LatencyMonitor,
    name: &[u8],
) -> Option<&'a (&'static str, LatencyTimeSeries)> {
    monitor
        .events
        .iter()
        .find(|(event, _)| event.as_bytes() == name)
}

/// Width of LATENCY GRAPH's rule and of each block of its graph, in columns (Redis's
/// LATENCY_GRAPH_COLS).
const LATENCY_GRAPH_COLS: usize = 80;

/// Height of LATENCY GRAPH's graph, in text rows.
const LATENCY_GRAPH_ROWS: usize = 4;

/// LATENCY GRAPH event: the event's samples as an ASCII sparkline under a header with the
/// highest and lowest sample and the all-time maximum, each column labelled with how long
/// ago it was (`12s`, `3m`, `2h`, `1d`) — Redis's latencyCommandGenSparkeline. A verbatim
/// string in RESP3.
fn latency_graph_command(srv: &mut Server, c: &mut Client) {
    let Some((event, series)) = find_event(&srv.latency, c.argv.arg(2)) else {
        let name = String::from_utf8_lossy(c.argv.arg(2)).into_owned();
        return c
            .reply
            .error(&format!("ERR No samples available for event '{name}'"));
    };
    let now = srv.now_ms.div_euclid(1000);
    let mut seq = Sequence::default();
    for sample in &series.samples {
        seq.add_sample(sample.latency as f64, elapsed_label(now - sample.time));
    }
    let high = series.samples.iter().map(|s| s.latency).max().unwrap_or(0);
    let low = series.samples.iter().map(|s| s.latency).min().unwrap_or(0);
    let mut graph = format!(
        "{event} - high {high} ms, low {low} ms (all time high {} ms)\n{}\n",
        series.max,
        "-".repeat(LATENCY_GRAPH_COLS)
    );
    graph.push_str(&seq.render(LATENCY_GRAPH_COLS, LATENCY_GRAPH_ROWS));
    c.reply.verbatim(graph.as_bytes());
}

/// How long ago, in the largest unit that is at least 1: seconds below a minute, minutes
/// below an hour, hours below a day, then days.
fn elapsed_label(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

/// LATENCY DOCTOR: Redis's human-readable report on the recorded events
/// ([`create_latency_report`]). A verbatim string in RESP3.
fn latency_doctor_command(srv: &mut Server, c: &mut Client) {
    let report = create_latency_report(srv);
    c.reply.verbatim(report.as_bytes());
}

/// What the report says about one event's samples (Redis's latencyStats).
#[derive(Debug, PartialEq, Eq)]
struct LatencyStats {
    samples: u64,
    /// Mean latency, ms (integer division, as Redis).
    avg: u64,
    /// Mean absolute deviation from `avg`, ms.
    mad: u64,
    /// Seconds from the oldest sample to `now` (at least 1).
    period: i64,
}

/// Redis's analyzeLatencyForEvent over a series' samples at unix second `now`.
fn analyze_latency_for_event(series: &LatencyTimeSeries, now: i64) -> LatencyStats {
    let samples = series.samples.len() as u64;
    if samples == 0 {
        return LatencyStats {
            samples: 0,
            avg: 0,
            mad: 0,
            period: 0,
        };
    }
    let avg = series.samples.iter().map(|s| s.latency).sum::<u64>() / samples;
    let oldest = series.samples.iter().map(|s| s.time).min().unwrap_or(now);
    let period = match now - oldest {
        0 => 1,
        p => p,
    };
    let mad = series
        .samples
        .iter()
        .map(|s| s.latency.abs_diff(avg))
        .sum::<u64>()
        / samples;
    LatencyStats {
        samples,
        avg,
        mad,
        period,
    }
}

/// The advice LATENCY DOCTOR can give, in the order its report lists it: those of Redis's
/// that the events rredis records (`command`, `fast-command`, `expire-cycle`) and the
/// transparent-huge-pages check can call for. (Redis's fork, AOF and eviction advice
/// answers events rredis does not record.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Advice {
    SlowlogEnabled,
    SlowlogTuning,
    SlowlogInspect,
    Scheduler,
    Hz,
    LargeObjects,
    DisableThp,
}

/// The first words of the report when monitoring is off and nothing was ever recorded.
const DOCTOR_DISABLED: &str = "I'm sorry, Dave, I can't do that. Latency monitoring is \
    disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold \
    <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest \
    to take a look at https://redis.io/topics/latency-monitor.\n";

/// LATENCY DOCTOR's text (Redis's createLatencyReport): a line of statistics per event,
/// then the advice those events call for, or Redis's words for having none.
fn create_latency_report(srv: &Server) -> String {
    let threshold = srv.config.latency_monitor_threshold;
    if srv.latency.events.is_empty() && threshold == 0 {
        return DOCTOR_DISABLED.to_string();
    }
    let now = srv.now_ms.div_euclid(1000);
    let mut report = String::new();
    let mut advice: Vec<Advice> = Vec::new();
    // Redis counts advice as it goes; some (hz) are then printed only if still relevant, and
    // the count alone decides whether the advice section appears.
    let mut advice_count = 0;
    for (number, (event, series)) in srv.latency.events.iter().enumerate() {
        if number == 0 {
            report.push_str(
                "Dave, I have observed latency spikes in this Redis instance. You don't mind \
                 talking about it, do you Dave?\n\n",
            );
        }
        let stats = analyze_latency_for_event(series, now);
        let _ = writeln!(
            report,
            "{}. {event}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} \
             sec). Worst all time event {}ms.",
            number + 1,
            stats.samples,
            stats.avg,
            stats.mad,
            stats.period as f64 / stats.samples.max(1) as f64,
            series.max
        );
        match *event {
            "command" => {
                let slowlog = srv.config.slowlog_log_slower_than;
                if slowlog < 0 {
                    advice.push(Advice::SlowlogEnabled);
                    advice_count += 1;
                } else if slowlog / 1000 > threshold {
                    advice.push(Advice::SlowlogTuning);
                    advice_count += 1;
                }
                advice.extend([Advice::SlowlogInspect, Advice::LargeObjects]);
                advice_count += 2;
            }
            "fast-command" => {
                advice.push(Advice::Scheduler);
                advice_count += 1;
            }
            "expire-cycle" => {
                advice.extend([Advice::Hz, Advice::LargeObjects]);
                advice_count += 2;
            }
            _ => {}
        }
    }
    if crate::persist::fork::smap_bytes_by_field("AnonHugePages:") > 0 {
        advice.push(Advice::DisableThp);
        advice_count += 1;
    }
    if srv.latency.events.is_empty() && advice_count == 0 {
        report.push_str(
            "Dave, no latency spike was observed during the lifetime of this Redis instance, \
             not in the slightest bit. I honestly think you ought to sit down calmly, take a \
             stress pill, and think things over.\n",
        );
        return report;
    }
    if advice_count == 0 {
        report.push_str(
            "\nWhile there are latency events logged, I'm not able to suggest any easy fix. \
             Please use the Redis community to get some help, providing this report in your \
             help request.\n",
        );
        return report;
    }
    report.push_str("\nI have a few advices for you:\n\n");
    advice.sort_unstable();
    advice.dedup();
    for item in advice {
        write_advice(&mut report, item, srv);
    }
    report
}

/// Appends one piece of advice in Redis's words.
fn write_advice(report: &mut String, advice: Advice, srv: &Server) {
    let threshold_us = srv.config.latency_monitor_threshold.saturating_mul(1000);
    match advice {
        Advice::SlowlogEnabled => {
            let _ = writeln!(
                report,
                "- There are latency issues with potentially slow commands you are using. Try \
                 to enable the Slow Log Redis feature using the command 'CONFIG SET \
                 slowlog-log-slower-than {threshold_us}'. If the Slow log is disabled Redis is \
                 not able to log slow commands execution for you."
            );
        }
        Advice::SlowlogTuning => {
            let _ = writeln!(
                report,
                "- Your current Slow Log configuration only logs events that are slower than \
                 your configured latency monitor threshold. Please use 'CONFIG SET \
                 slowlog-log-slower-than {threshold_us}'."
            );
        }
        Advice::SlowlogInspect => report.push_str(
            "- Check your Slow Log to understand what are the commands you are running which \
             are too slow to execute. Please check https://redis.io/commands/slowlog for more \
             information.\n",
        ),
        Advice::Scheduler => report.push_str(
            "- The system is slow to execute Redis code paths not containing system calls. \
             This usually means the system does not provide Redis CPU time to run for long \
             periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / \
             VM just for Redis if you are running other software in the same system.\n  3) \
             Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli \
             --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check \
             if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you \
             are using Jemalloc. However this may create fragmentation problems.\n",
        ),
        Advice::Hz => {
            if srv.config.hz < 100 {
                report.push_str(
                    "- In order to make the Redis keys expiring process more incremental, try \
                     to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz \
                     100'.\n",
                );
            }
        }
        Advice::LargeObjects => report.push_str(
            "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a \
             blocking operation. If you have very large objects that are often deleted, \
             expired, or evicted, try to fragment those objects into multiple smaller \
             objects.\n",
        ),
        Advice::DisableThp => report.push_str(
            "- I detected a non zero amount of anonymous huge pages used by your process. This \
             creates very serious latency events in different conditions, especially when \
             Redis is persisting on disk. To disable THP support use the command 'echo never \
             > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into \
             /etc/rc.local so that the command will be executed again after a reboot. Note \
             that even if you have already disabled THP, you still need to restart the Redis \
             process to get rid of the huge pages already created.\n",
        ),
    }
}

/// LATENCY HISTOGRAM [command ...]: for each command with a latency histogram (one that ran
/// while `latency-tracking` was on), a map of its `calls` and `histogram_usec`, the
/// cumulative distribution of its execution times ([`LatencyHistogram::cumulative_distribution`]).
/// Without names, every command; a name may be a subcommand (`config|get`), a container
/// (`config`: its subcommands), or unknown (skipped). Redis's latencyCommand.
fn latency_histogram_command(srv: &mut Server, c: &mut Client) {
    let mut found: Vec<(&'static str, &LatencyHistogram)> = Vec::new();
    let mut add = |cmd: &'static Command| {
        let rows = std::iter::once(cmd).chain(cmd.subcommands);
        for row in rows {
            let stats = srv.command_stats.get(srv.commands.id(row));
            if let Some(histogram) = stats.and_then(|s| s.latency.as_deref()) {
                found.push((row.name, histogram));
            }
        }
    };
    if c.argv.len() == 2 {
        crate::commands::all_commands().for_each(&mut add);
    } else {
        for name in c.argv.get(2..).unwrap_or_default() {
            if let Some(cmd) = srv.commands.get_by_full_name(name) {
                add(cmd);
            }
        }
    }
    c.reply.map_len(found.len());
    for (name, histogram) in found {
        c.reply.bulk(name.as_bytes());
        c.reply.map_len(2);
        c.reply.bulk(b"calls");
        c.reply.int(histogram.total() as i64);
        c.reply.bulk(b"histogram_usec");
        let cdf = histogram.cumulative_distribution();
        c.reply.map_len(cdf.len());
        for (usec, count) in cdf {
            c.reply.int(usec as i64);
            c.reply.int(count as i64);
        }
    }
}

/// LATENCY RESET [event ...]: forgets the named events (all without a name); replies how
/// many existed.
fn latency_reset_command(srv: &mut Server, c: &mut Client) {
    let events = &mut srv.latency.events;
    let before = events.len();
    if c.argv.len() == 2 {
        events.clear();
    } else {
        let names = c.argv.get(2..).unwrap_or_default();
        events.retain(|(event, _)| !names.iter().any(|n| n.as_ref() == event.as_bytes()));
    }
    c.reply.int((before - events.len()) as i64);
}

/// LATENCY HELP: Redis's text, subcommands rredis lacks included.
fn latency_help_command(_srv: &mut Server, c: &mut Client) {
    c.reply.help(
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_per_second_the_worst_kept() {
        let mut m = LatencyMonitor::default();
        latency_add_sample(&mut m, "command", 100, 5);
        latency_add_sample(&mut m, "command", 100, 9);
        latency_add_sample(&mut m, "command", 100, 7);
        latency_add_sample(&mut m, "command", 101, 3);
        latency_add_sample(&mut m, "expire-cycle", 101, 4);
        let (_, series) = &m.events[0];
        let got: Vec<(i64, u64)> = series.samples.iter().map(|s| (s.time, s.latency)).collect();
        assert_eq!(got, [(100, 9), (101, 3)]);
        assert_eq!(series.max, 9);
        for t in 0..200 {
            latency_add_sample(&mut m, "command", 200 + t, 1);
        }
        assert_eq!(m.events[0].1.samples.len(), LATENCY_TS_LEN);
        assert_eq!(m.events[0].1.samples.front().map(|s| s.time), Some(240));
        assert_eq!(m.events[1].0, "expire-cycle");
    }

    #[test]
    fn event_statistics_as_redis_reports_them() {
        // redis-server 7.0 for samples of 10, 50 and 30 ms over 3 seconds: "3 latency
        // spikes (average 30ms, mean deviation 13ms, period 1.00 sec)".
        let mut m = LatencyMonitor::default();
        for (time, ms) in [(100, 10), (101, 50), (102, 30)] {
            latency_add_sample(&mut m, "command", time, ms);
        }
        let stats = analyze_latency_for_event(&m.events[0].1, 103);
        assert_eq!(
            stats,
            LatencyStats {
                samples: 3,
                avg: 30,
                mad: 13,
                period: 3
            }
        );
        // A period of 0 seconds counts as 1.
        assert_eq!(analyze_latency_for_event(&m.events[0].1, 100).period, 1);
        let labels: Vec<String> = [0, 59, 60, 3599, 3600, 86399, 86400]
            .into_iter()
            .map(elapsed_label)
            .collect();
        assert_eq!(labels, ["0s", "59s", "1m", "59m", "1h", "23h", "1d"]);
    }
}
