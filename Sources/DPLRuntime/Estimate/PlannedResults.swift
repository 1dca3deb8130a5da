import DPLLang

/// What `classify` (or an attack ending in `classify`) hands on while a script is planned: the
/// record with its defense, so `measure` after it can count what it would run again. Of kind
/// `classified batch`, like the real result, so the script's pipelines bind as when run.
final class PlannedResults: RuntimeValue {
    let record: ImageRecord

    init(_ record: ImageRecord) { self.record = record }

    var typeName: String { RuntimeKinds.results.name }

    var description: String { "planned results of \(record.count) \(record.datasetName) images" }
}
