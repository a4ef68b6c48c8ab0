import Foundation
import LoRASB

/// Times opening the real models (mapping + header parsing) and converting every tensor to
/// fp32 (dequantising the GGUF), reporting wall time and fp32 output bandwidth.
func runModelOpenBenchmark() {
    let home = FileManager.default.homeDirectoryForCurrentUser
    let cache = ProcessInfo.processInfo.environment["LORASB_MODELS"].map { URL(fileURLWithPath: $0) }
        ?? home.appendingPathComponent(".cache/lorasb/models")
    let models = [
        cache.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.gguf"),
        cache.appendingPathComponent("all-MiniLM-L6-v2"),
    ]
    print("== model open ==")
    for url in models {
        do {
            var openTimes: [Double] = []
            var model: ModelFiles?
            for _ in 0 ..< 5 {
                let start = DispatchTime.now().uptimeNanoseconds
                model = try ModelFiles(url: url)
                openTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            guard let model else { continue }
            let start = DispatchTime.now().uptimeNanoseconds
            var elements = 0
            var perType: [String: (count: Int, seconds: Double)] = [:]
            for t in model.tensors where t.isParameter {
                let s = DispatchTime.now().uptimeNanoseconds
                let tensor = try model.tensor(named: t.name)
                let dt = Double(DispatchTime.now().uptimeNanoseconds - s) / 1e9
                elements += tensor.count
                perType[t.dataType, default: (0, 0)].count += tensor.count
                perType[t.dataType, default: (0, 0)].seconds += dt
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print(String(format: "%@: open %.2f ms (best of 5), all %d parameters to fp32 in %.3f s (%.2f GB/s of fp32 written)",
                         url.lastPathComponent, (openTimes.min() ?? 0) * 1000, elements, seconds,
                         Double(elements * 4) / seconds / 1e9))
            for (type, v) in perType.sorted(by: { $0.key < $1.key }) {
                print(String(format: "  %@: %d values in %.3f s (%.0f M values/s)", type, v.count, v.seconds,
                             Double(v.count) / v.seconds / 1e6))
            }
        } catch {
            print("\(url.lastPathComponent): \(error)")
        }
    }
}
