import FuzzDrivers
import LibFuzzerMain

// libFuzzer target for the npz reader chain (`FuzzFormats.npz`).
libFuzzerMain(FuzzFormats.npz)
