import Foundation

/// Prints a line for the person (or script) reading stdout, written at once: stdout is
/// block-buffered when it is a pipe, and `make run` users and tests read it live.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
