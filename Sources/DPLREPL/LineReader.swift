/// What one attempt to read a line produced.
enum LineEvent: Equatable {
    /// A line of input, without its newline.
    case line(String)
    /// Ctrl-C while waiting for input: the line (and any unfinished statement) is dropped.
    case cancelled
    /// Ctrl-D on an empty line, or the end of piped input.
    case endOfInput
}

/// A source of input lines: the line editor on a terminal, or plain reading otherwise.
protocol LineReader: AnyObject {
    /// Reads the next line, showing `prompt` if the reader shows prompts at all.
    func readLine(prompt: String) -> LineEvent
    /// Remembers a line the user entered, for recall with the arrow keys.
    func recordHistory(_ line: String)
    /// Saves history and gives back the terminal; the reader is not used afterwards.
    func finish()
}
