import LoRASB
print("benchmarks")
