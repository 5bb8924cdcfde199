/// The native baseline of `nmp bench`: a plain Swift ternary GEMV over contiguous int8
/// weights (-1/0/+1) and int8 activations with int32 accumulation, written the simple
/// way the host compiler auto-vectorizes.
enum NativeGEMV {
    /// y[r] = sum over c of w[r * columns + c] * x[c].
    static func run(weights: UnsafePointer<Int8>, x: UnsafePointer<Int8>, y: UnsafeMutablePointer<Int32>, rows: Int, columns: Int) {
        for r in 0..<rows {
            let row = weights + r * columns
            var sum: Int32 = 0
            for c in 0..<columns { sum &+= Int32(row[c]) &* Int32(x[c]) }
            y[r] = sum
        }
    }
}
