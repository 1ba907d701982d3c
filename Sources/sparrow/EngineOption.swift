import ArgumentParser
import SparrowInference

/// `--engine sparse|dense` for commands that run `.sparrow` artifacts.
extension InferenceEngine: ExpressibleByArgument {}
