/// A PyTorch checkpoint (`torch.save` file) that cannot be read as asked. The description is
/// one sentence that starts with the file name, says where in the file the problem is (zip
/// entry, pickle opcode and byte offset, or state_dict entry) and, where one exists, the fix.
public struct PyTorchError: Error, CustomStringConvertible, Equatable {
    /// The file's name (or path), as given to the reader.
    public let file: String
    /// What went wrong, where, and how to fix it.
    public let message: String

    /// An error in `file`.
    public init(file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    /// `file: …`.
    public var description: String { "\(file): \(message)" }
}
