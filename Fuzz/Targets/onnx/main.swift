import FuzzDrivers
import LibFuzzerMain

// libFuzzer target for the onnx reader chain (`FuzzFormats.onnx`).
libFuzzerMain(FuzzFormats.onnx)
