import Foundation

/// Reads a results document (ResultWriter's format) back into result rows, so `dpl merge` can
/// combine shards with the same code that wrote them. Summaries are read only to be checked;
/// the merge recomputes them from the per-sample values and counts.
enum ResultReader {
    /// The rows of `document`'s `results`; `file` names the document in errors.
    /// - Throws: `RuntimeError` naming the file and the result whose field is malformed.
    static func rows(of document: ResultsDocument, file: String) throws -> [ResultRow] {
        try document.results.enumerated().map { position, record in
            try record.row(place: "\(file): result \(position + 1)")
        }
    }

    /// The rows of the results file at `path`.
    static func rows(ofFile path: String) throws -> [ResultRow] {
        try rows(of: try ResultsDocument.read(path: path), file: path)
    }
}
