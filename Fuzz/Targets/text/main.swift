import FuzzDrivers
import LibFuzzerMain

// libFuzzer target for the text reader chain (`FuzzFormats.text`).
libFuzzerMain(FuzzFormats.text)
