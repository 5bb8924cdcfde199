#if os(Linux)
/// glibc's `malloc_trim` (malloc.h, which the Glibc module does not export).
@_silgen_name("malloc_trim") private func mallocTrim(_ pad: Int) -> Int32
#endif

/// The host process's memory, where nmp's own footprint matters (a model of gigabytes).
enum HostMemory {
    /// Returns memory freed to malloc back to the system. glibc keeps freed blocks below
    /// its (adaptive) mmap threshold in its arenas, so freeing a model's trits layer by
    /// layer as they go into DRAM would not lower the resident set without this.
    static func returnFreedMemory() {
        #if os(Linux)
        _ = mallocTrim(0)
        #endif
    }
}
