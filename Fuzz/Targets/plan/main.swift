import FuzzDrivers
import LibFuzzerMain

// libFuzzer target for the plan reader chain (`FuzzFormats.plan`).
libFuzzerMain(FuzzFormats.plan)
