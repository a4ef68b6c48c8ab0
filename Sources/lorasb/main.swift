import LoRASB
print("lorasb")
