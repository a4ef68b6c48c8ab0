import LoRASB
print("benchmarks")
if CommandLine.arguments.contains("model-open") { runModelOpenBenchmark() }
