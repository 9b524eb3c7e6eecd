//! The machine's busy CPU time over a stretch of a benchmark, per operation: steadier than a
//! rate on a shared virtual machine, whose wall-clock figures drift with its neighbours.

/// CPU time every process on the machine has spent working (user, system, interrupts; not
/// idle, I/O wait or time stolen by the hypervisor), read from Linux's `/proc/stat`. It counts
/// the database server too, which a process's own usage would miss.
#[derive(Clone, Copy)]
pub struct BusyMark(Option<u64>);

/// Clock ticks a second in `/proc/stat` (`USER_HZ`, 100 on Linux whatever the kernel's HZ).
const TICKS_PER_SEC: f64 = 100.0;

impl BusyMark {
    pub fn now() -> BusyMark {
        BusyMark(std::fs::read_to_string("/proc/stat").ok().and_then(|s| busy_ticks(&s)))
    }

    /// Microseconds of busy CPU per operation since `self`, or `None` off Linux.
    pub fn per_op_since(self, ops: usize) -> Option<f64> {
        let (start, end) = (self.0?, BusyMark::now().0?);
        Some(end.saturating_sub(start) as f64 / TICKS_PER_SEC * 1e6 / ops.max(1) as f64)
    }
}

/// Busy ticks from the `cpu` line: user, nice, system, irq and softirq.
fn busy_ticks(stat: &str) -> Option<u64> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line.split_whitespace().skip(1).map_while(|f| f.parse().ok()).collect();
    let field = |i: usize| fields.get(i).copied();
    Some(field(0)? + field(1)? + field(2)? + field(5)? + field(6)?)
}

/// `per_op_since`'s figure for a table cell.
pub fn cell(us: Option<f64>) -> String {
    us.map_or_else(|| "-".to_string(), |us| format!("{us:.0} µs"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_ticks_leave_out_idle_iowait_and_steal() {
        let stat = "cpu  100 2 30 9000 50 4 6 700 0 0\ncpu0 50 1 15 4500 25 2 3 350 0 0\n";
        assert_eq!(busy_ticks(stat), Some(100 + 2 + 30 + 4 + 6));
    }

    #[test]
    fn a_missing_cpu_line_gives_nothing() {
        assert_eq!(busy_ticks("intr 5\n"), None);
    }
}
