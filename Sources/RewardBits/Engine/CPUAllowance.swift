import Foundation

/// How many CPUs this process may use, and what said so.
///
/// The machine's processor count is only an upper bound: `taskset`, an MPI
/// launcher's binding of a rank to its cores, Slurm's cgroups and a
/// container's CPU quota all give a process fewer. The allowance is the
/// smallest of the affinity mask (sched_getaffinity), the cgroup quota
/// (cpu.max of the process's cgroup and those above it in cgroup v2,
/// cfs_quota_us / cfs_period_us in v1, rounded up)
/// and `SLURM_CPUS_PER_TASK` when it is set.
public struct CPUAllowance: Sendable, Equatable {
    public let count: Int
    /// Where `count` comes from: "sched_getaffinity", "cgroup cpu.max",
    /// "cgroup cfs_quota", "SLURM_CPUS_PER_TASK" or "processor count".
    public let source: String

    public static let current: CPUAllowance = measure()

    static func measure(environment: [String: String] = ProcessInfo.processInfo.environment) -> CPUAllowance {
        var best = CPUAllowance(count: max(1, ProcessInfo.processInfo.activeProcessorCount), source: "processor count")
        func consider(_ count: Int?, _ source: String) {
            if let count, count >= 1, count < best.count { best = CPUAllowance(count: count, source: source) }
        }
        consider(affinityCount(), "sched_getaffinity")
        let quota = cgroupQuota()
        consider(quota?.count, quota?.source ?? "")
        consider(environment["SLURM_CPUS_PER_TASK"].flatMap { Int($0) }, "SLURM_CPUS_PER_TASK")
        return best
    }

    /// CPUs in this process's affinity mask (nil where it cannot be read).
    /// Glibc declares sched_getaffinity only under _GNU_SOURCE, which Swift's
    /// Glibc module does not set, so it is looked up by name.
    static func affinityCount() -> Int? {
        #if os(Linux)
        typealias GetAffinity = @convention(c) (Int32, Int, UnsafeMutableRawPointer) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sched_getaffinity") else { return nil }
        let getAffinity = unsafeBitCast(symbol, to: GetAffinity.self)
        // 1024 CPUs' bits, glibc's cpu_set_t; a larger machine reports EINVAL.
        var mask = [UInt64](repeating: 0, count: 16)
        let status = mask.withUnsafeMutableBytes { getAffinity(0, $0.count, $0.baseAddress!) }
        guard status == 0 else { return nil }
        return mask.reduce(0) { $0 + $1.nonzeroBitCount }
        #else
        return nil
        #endif
    }

    /// The CPU quota of this process's cgroup, rounded up (nil: no quota).
    static func cgroupQuota() -> (count: Int, source: String)? {
        func read(_ path: String) -> String? {
            (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        func ceilRatio(_ quota: Double, _ period: Double) -> Int? {
            guard quota > 0, period > 0 else { return nil }
            return Int((quota / period).rounded(.up))
        }
        // cgroup v2: "QUOTA PERIOD" or "max PERIOD" in this process's cgroup
        // (the "0::PATH" line of /proc/self/cgroup) and every cgroup above it.
        if FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") {
            let own = (read("/proc/self/cgroup") ?? "").split(separator: "\n")
                .first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) } ?? "/"
            var folder = URL(fileURLWithPath: "/sys/fs/cgroup" + own).standardizedFileURL
            var smallest: Int?
            while folder.path.hasPrefix("/sys/fs/cgroup") {
                let words = (read(folder.appendingPathComponent("cpu.max").path) ?? "").split(separator: " ")
                if words.count == 2, let quota = Double(words[0]), let period = Double(words[1]),
                   let count = ceilRatio(quota, period) {
                    smallest = min(smallest ?? count, count)
                }
                guard folder.path != "/sys/fs/cgroup" else { break }
                folder = folder.deletingLastPathComponent()
            }
            return smallest.map { ($0, "cgroup cpu.max") }
        }
        if let quota = read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").flatMap(Double.init),
           let period = read("/sys/fs/cgroup/cpu/cpu.cfs_period_us").flatMap(Double.init),
           let count = ceilRatio(quota, period) {
            return (count, "cgroup cfs_quota")
        }
        return nil
    }
}
