//! Log lines in Redis's format: `pid:M 24 Nov 2026 05:55:00.123 * message`.
//!
//! The character before the message is Redis's level mark: `.` debug, `-` verbose,
//! `*` notice, `#` warning. rredis maps Redis's levels onto the `log` crate's:
//! debug → trace, verbose → debug, notice → info, warning → warn.

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use log::LevelFilter;

use crate::util::now_ms;

/// Month abbreviations for the timestamp.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The `log` crate's filter for a Redis level name.
fn level_filter(loglevel: &str) -> LevelFilter {
    match loglevel {
        "debug" => LevelFilter::Trace,
        "verbose" => LevelFilter::Debug,
        "notice" => LevelFilter::Info,
        // "warning", the only other level the setting admits.
        _ => LevelFilter::Warn,
    }
}

/// Set in a forked child (see [`set_child_role`]): its lines say `pid:C` instead of `pid:M`.
static IN_CHILD: AtomicBool = AtomicBool::new(false);

/// Marks this process as a forked child (BGSAVE), so its log lines carry its own pid and
/// Redis's role letter `C`, telling them apart from the server's in a shared log.
pub fn set_child_role() {
    IN_CHILD.store(true, Ordering::Relaxed);
}

/// Changes the level at run time (CONFIG SET loglevel). The logger itself lets every record
/// through; the `log` crate's global maximum, checked by every logging macro before the
/// logger is called, is the one filter, so moving it is all a change takes.
pub fn set_level(loglevel: &str) {
    log::set_max_level(level_filter(loglevel));
}

/// Installs the global logger for `loglevel` (a Redis level name) writing to `logfile`
/// (standard output when empty).
pub fn init(loglevel: &str, logfile: &str) -> std::io::Result<()> {
    let target = if logfile.is_empty() {
        env_logger::Target::Stdout
    } else {
        let file = OpenOptions::new().create(true).append(true).open(logfile)?;
        env_logger::Target::Pipe(Box::new(file))
    };
    env_logger::Builder::new()
        .filter_level(LevelFilter::Trace)
        .target(target)
        .format(move |out, record| {
            let mark = match record.level() {
                log::Level::Trace => '.',
                log::Level::Debug => '-',
                log::Level::Info => '*',
                log::Level::Warn | log::Level::Error => '#',
            };
            let role = if IN_CHILD.load(Ordering::Relaxed) {
                'C'
            } else {
                'M'
            };
            writeln!(
                out,
                "{}:{role} {} {mark} {}",
                std::process::id(),
                timestamp(now_ms()),
                record.args()
            )
        })
        .try_init()
        .map_err(std::io::Error::other)?;
    set_level(loglevel);
    Ok(())
}

/// `24 Nov 2026 05:55:00.123` (UTC) for a unix time in ms.
fn timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let in_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{day:02} {} {year} {:02}:{:02}:{:02}.{:03}",
        MONTHS[(month - 1) as usize % 12],
        in_day / 3600,
        in_day / 60 % 60,
        in_day % 60,
        ms.rem_euclid(1000)
    )
}

/// Converts days since 1970-01-01 to (year, month 1..=12, day 1..=31) in the proleptic
/// Gregorian calendar, counting in 400-year eras of 146097 days.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(0), "01 Jan 1970 00:00:00.000");
        assert_eq!(timestamp(951_782_400_123), "29 Feb 2000 00:00:00.123");
        assert_eq!(timestamp(1_795_500_000_000), "24 Nov 2026 06:00:00.000");
    }
}
