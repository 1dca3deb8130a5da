/// A `.safetensors` file that cannot be read or written as asked. The description is one
/// sentence that starts with the file name and, where one tensor is at fault, names it.
public struct SafetensorsError: Error, CustomStringConvertible, Equatable {
    /// The file's name (or path), as given to the reader or writer.
    public let file: String
    /// The tensor at fault, if one is.
    public let tensor: String?
    /// What went wrong and, where it helps, how to fix it.
    public let message: String

    /// An error in `file`, optionally about `tensor`.
    public init(file: String, tensor: String? = nil, _ message: String) {
        self.file = file
        self.tensor = tensor
        self.message = message
    }

    /// `file: tensor "name" …` or `file: …`.
    public var description: String {
        if let tensor { return "\(file): tensor \"\(tensor)\" \(message)" }
        return "\(file): \(message)"
    }
}
