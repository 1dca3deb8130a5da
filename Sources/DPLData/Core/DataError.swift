import Foundation

/// An error from reading or writing a data file: the file involved and one plain sentence
/// saying what is wrong and, where it helps, how to fix it.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file (or folder) the error is about; empty when no file is involved.
    public let path: String
    /// What went wrong, e.g. `label 12 at byte 8 is outside 0...9`.
    public let message: String

    /// An error about `path`.
    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    /// An error that concerns no particular file, e.g. a bad subset range.
    public init(_ message: String) {
        self.path = ""
        self.message = message
    }

    /// `path: message`, or just the message when there is no path.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}
