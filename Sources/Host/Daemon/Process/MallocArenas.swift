import CMalloc
import Glibc

/// glibc gives each thread that allocates its own malloc arena, up to eight per core, and freed
/// memory stays in the arena of the thread that used it. The daemon's threads (the server's event
/// loops, the HTTP client, the probes, the concurrency pool) each kept such a reserve: at 1,000
/// routes and 1,000 routers one arena holds the private heap at 9.3 MB instead of 13.8 MB. Small
/// allocations still come from each thread's cache without the lock, and the daemon's threads
/// mostly wait, so contention does not show in the benchmarks.
enum MallocArenas {
    /// Limits malloc to one arena unless the operator set MALLOC_ARENA_MAX or the
    /// `glibc.malloc.arena_max` tunable. Call first in `main`, before any other thread exists.
    static func limitToOneUnlessOperatorChose() {
        guard !operatorChose(arenaMax: environment("MALLOC_ARENA_MAX"), tunables: environment("GLIBC_TUNABLES")) else { return }
        _ = mallopt(M_ARENA_MAX, 1)
    }

    private static func operatorChose(arenaMax: String?, tunables: String?) -> Bool {
        arenaMax != nil || (tunables ?? "").contains("glibc.malloc.arena_max")
    }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
