/// Loads and stores of 16 consecutive floats as one vector, the width the element-wise kernels
/// work in (one AVX-512 register, or two AVX2 registers).
///
/// Storage is 64-byte aligned but views (`rows(_:)`, subscripts) start anywhere, so every
/// access is unaligned; on current x86 cores unaligned vector moves cost the same as aligned ones.
let laneCount = 16

@inline(__always)
func loadLanes(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD16<Float> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func loadLanes(_ p: UnsafeMutablePointer<Float>, _ i: Int) -> SIMD16<Float> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func storeLanes(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
    UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD16<Float>.self)
}
