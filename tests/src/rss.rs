//! The process's peak resident memory, for the measurement binaries (`stream-rss`, benchmarks).

/// The peak resident memory of this process in kB: `VmHWM` of `/proc/self/status`, the value
/// `getrusage` reports as `ru_maxrss` on Linux (0 where it cannot be read). Run each measured
/// phase in a process of its own: the peak never goes down.
pub fn peak_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
