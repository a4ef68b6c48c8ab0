import LoRASB
print("benchmarks")
runModelBenchmark()
