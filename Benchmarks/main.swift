import LoRASB
print("benchmarks")
if CommandLine.arguments.contains("model-open") { runModelOpenBenchmark() }
if CommandLine.arguments.count == 1 || CommandLine.arguments.contains("tokenizer") { runTokenizerBenchmark() }
