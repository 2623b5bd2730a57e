import FuzzDrivers
import LibFuzzerMain

// libFuzzer target for the npy reader chain (`FuzzFormats.npy`).
libFuzzerMain(FuzzFormats.npy)
