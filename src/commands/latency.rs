//! The latency monitor and LATENCY (Redis's latency.c): with `latency-monitor-threshold` set
//! (in milliseconds; 0, the default, turns it off), every event that takes at least that long
//! is recorded under its name, so an operator can see what made the server slow and when.
//!
//! rredis records the events Redis records for the work it does: `command` and
//! `fast-command` (a command's execution, by its `fast` flag, from `call()`) and
//! `expire-cycle` (one run of the active expiry cycle). Each event keeps the latest
//! [`LATENCY_TS_LEN`] samples, at most one per second (the worst of that second), and its
//! all-time maximum.

use std::collections::VecDeque;

use crate::client::Client;
use crate::commands::{container_command, flags::*, Command, NO_KEYS};
use crate::server::Server;

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

/// In the order Redis 7.0's COMMAND INFO lists them (DOCTOR, GRAPH and HISTOGRAM are not
/// implemented).
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
    let name = c.argv.arg(2);
    let series = srv
        .latency
        .events
        .iter()
        .find(|(event, _)| event.as_bytes() == name);
    let Some((_, series)) = series else {
        return c.reply.array_len(0);
    };
    c.reply.array_len(series.samples.len());
    for sample in &series.samples {
        c.reply.array_len(2);
        c.reply.int(sample.time);
        c.reply.int(sample.latency as i64);
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
}
