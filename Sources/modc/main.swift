print("modc")
