// swift-tools-version:6.0
import PackageDescription

// Compute is fp32 on the CPU. Without a named target CPU, Swift lowers SIMD fused multiply-adds
// to libm calls per lane, so the element-wise kernels name one. It is haswell (x86-64-v3: AVX2 + FMA,
// every x86 server since 2013), not the build machine's own: a binary built on an AVX-512 machine
// must still run on one without it. The kernels that gain from AVX-512 (the bf16 products) are C
// with per-function targets, chosen at run time.
#if arch(x86_64)
let nativeSwift: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
#else
let nativeSwift: [SwiftSetting] = []
#endif

let package = Package(
    name: "lorasb",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "LoRASB", targets: ["LoRASB"]),
        .executable(name: "lorasb", targets: ["CLI"]),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        // Our own bf16 matrix product (AVX-512 BF16), chosen at run time when the CPU has it.
        .target(name: "BF16GEMM", path: "Sources/BF16GEMM", cSettings: [.unsafeFlags(["-O3"])]),
        // Dot products on ggml's quantised blocks (AVX2 when present), for decoding.
        .target(name: "QuantDot", path: "Sources/QuantDot", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "Tensor", dependencies: ["CBLAS", "BF16GEMM", "QuantDot"], swiftSettings: nativeSwift),
        // Open MPI (Debian's libopenmpi-dev; flags from pkg-config `ompi-c`) and a C shim over
        // the macros Swift cannot import. Without the library the shim compiles to a world of
        // one process and `lorasb` runs as before.
        .systemLibrary(
            name: "COpenMPI", path: "Sources/COpenMPI", pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .target(name: "MPIShim", dependencies: ["COpenMPI"], path: "Sources/MPIShim"),
        .target(name: "Distributed", dependencies: ["MPIShim", "Tensor"], swiftSettings: nativeSwift),
        .target(name: "ModelIO", dependencies: ["Tensor", "QuantDot"], swiftSettings: nativeSwift),
        .target(name: "Tokenizers", dependencies: ["ModelIO"], swiftSettings: nativeSwift),
        .target(name: "NN", dependencies: ["Tensor"], swiftSettings: nativeSwift),
        .target(name: "Models", dependencies: ["NN", "ModelIO", "Tokenizers"], swiftSettings: nativeSwift),
        .target(name: "Adapters", dependencies: ["Models", "Distributed"], swiftSettings: nativeSwift),
        .target(name: "Training", dependencies: ["Adapters"], swiftSettings: nativeSwift),
        .target(name: "LoRASB", dependencies: ["Training"], swiftSettings: nativeSwift),
        // The command-line tool: its folder is not `Sources/lorasb`, which would merge with
        // `Sources/LoRASB` on a case-insensitive file system; the product keeps the name.
        .executableTarget(name: "CLI", dependencies: ["LoRASB", "Distributed"], swiftSettings: nativeSwift),
        .executableTarget(name: "Benchmarks", dependencies: ["LoRASB"], path: "Benchmarks",
                          exclude: ["reference"], swiftSettings: nativeSwift),
        .target(name: "TestSupport", dependencies: ["LoRASB"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"]),
        .testTarget(name: "ModelIOTests", dependencies: ["ModelIO", "QuantDot", "TestSupport"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "TestSupport"]),
        .testTarget(name: "LoRASBTests", dependencies: ["LoRASB", "TestSupport"]),
        .testTarget(name: "AdaptersTests", dependencies: ["Adapters", "TestSupport"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["CLI", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
