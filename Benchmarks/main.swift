import LoRASB
print("benchmarks")
runTokenizerBenchmark()
