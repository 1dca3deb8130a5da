import DPLAttacks
import DPLLang
import DPLTensor

/// `measure distance|spread|compression` — the study's analyses (docs/analyses.md) as a stage.
/// Each run becomes one result row: the summaries as measurements, the per-sample values for
/// `save`, and, when the record was classified, its accuracy (and robustness) — so a `for`
/// sweep gives "robust accuracy and compression versus t" in one `results` table.
///
/// Where the purification comes from: `spread` and `compression` run the record's pending
/// purification when it has one (`data | purify t=100 | measure compression`), otherwise the
/// one `classify` (or `attack`) ran as the defense, which the record keeps
/// (`… | purify seed=fixed | classify | measure compression`). Either way every call uses
/// analysis-phase call indices, so analyses never reuse an evaluation's draws.
enum MeasureStage {
    static let analyses = ["distance", "spread", "compression"]

    /// Where a parameter applies: giving it to another analysis is an error (at check time
    /// for a literal `what`) rather than silently ignored.
    private static func only(_ analyses: String...) -> ParameterCondition { ParameterCondition("what", in: analyses) }

    static let signature = StageSignature(
        name: "measure", doc: "Measures distances between snapshots, spread across random draws, or compression under fixed randomness, and adds the summaries to the session's results.",
        input: .kinds([RuntimeKinds.batch, RuntimeKinds.results]), output: RuntimeKinds.table,
        parameters: [
            Parameter("what", .choice(analyses), required: true, doc: "distance, spread or compression (definitions in docs/analyses.md)."),
            Parameter("from", .name, doc: "distance: the images measured from (default clean).", appliesWhen: only("distance")),
            Parameter("to", .oneOf([.name, .list(.name)]), doc: "distance: the images measured to, or a list of them (default purified).", appliesWhen: only("distance")),
            Parameter("p", .oneOf([.integer, .choice(["inf"])]), minimum: 2, maximum: 2, doc: "distance, compression: the norm, 2 or inf (default 2).", appliesWhen: only("distance", "compression")),
            Parameter("draws", .integer, minimum: 1, maximum: Double(DefenseCallIndex.maxDraw + 1), doc: "spread: random draws of the purification per input (default 8).",
                      appliesWhen: only("spread"), smoke: .atMost(SmokeMode.spreadDraws, whenAbsent: true)),
            Parameter("of", .name, doc: "spread: the images purified (default: current before classify; after it the defense's input, adversarial or clean).",
                      appliesWhen: only("spread")),
            Parameter("model", .any, doc: "spread: the classifier (default: the one classify used, else the `classifier` setting, else the shipped one).",
                      appliesWhen: only("spread")),
            Parameter("radius", .number, minimum: 0, doc: "compression: length of the random perturbations, in the norm p (default 8/255; set it to the attack's eps).",
                      appliesWhen: only("compression")),
            Parameter("pairs", .integer, minimum: 0, doc: "compression: random pairs per sample (default 4).",
                      appliesWhen: only("compression"), smoke: .atMost(SmokeMode.compressionPairs, whenAbsent: true)),
            Parameter("as", .string, doc: "Title of the result row (default: the analysis and its settings)."),
            Parameter("x", .number, doc: "The row's sweep value, the x coordinate `plot` uses (x=t inside `for t in …`)."),
            Parameter("series", .string, doc: "The plot line the row belongs to (series=\"fixed\"); rows without one share one line."),
        ], positional: ["what"])

    static func register(into registry: inout StageRegistry, state: RuntimeState) throws {
        try registry.register(signature) { input, arguments, _, context in
            let record = try ImageRecord.from(input, stage: "measure")
            let args = ArgumentReader(stage: "measure", arguments: arguments)
            let what = try args.text("what")
            let settings = SessionSettings(context)
            var row = baseRow(record)
            switch what {
            case "distance": try measureDistances(record, args, settings, into: &row)
            case "spread": try measureSpreads(record, args, settings, context, state, into: &row)
            default: try measureCompressions(record, args, settings, context, into: &row)
            }
            // Summaries come from the per-sample values only, as `dpl merge` recomputes them.
            row.measurements += row.sampleMeasurements.summaries()
            if let label = args.optionalText("as") { row.label = label }
            row.x = args.optionalNumber("x")
            row.series = args.optionalText("series")
            state.results.append(row)
            return .runtime(ResultTable(rows: [row]))
        }
    }

    // MARK: - Distance

    /// `measure distance from=A to=B|[B, C] p=2|inf`: per-sample ‖B − A‖ and its summary, one
    /// set of columns per target, so `to=[adversarial, purified]` puts the study's comparison
    /// in one row. Pending purification is run first (analysis phase) to get `purified`.
    static func measureDistances(_ given: ImageRecord, _ args: ArgumentReader, _ settings: SessionSettings,
                                 into row: inout ResultRow) throws {
        let record = ImageRecord(copying: given)
        try record.materialize(batchSize: settings.batchSize, call: DefenseCallIndex.make(.analysis))
        let (norm, normName) = try readNorm(args)
        let from = args.optionalText("from") ?? "clean"
        let targets: [String]
        if let list = args.value("to")?.listValue {
            targets = list.compactMap(\.textValue)
        } else {
            targets = [args.optionalText("to") ?? "purified"]
        }
        guard !targets.isEmpty else { throw RuntimeError("`measure distance to=[]` names no images; give to=purified or a list of snapshot names") }
        let origin = try images(named: from, in: record)
        for target in targets {
            let measured = try measureDistance(from: origin, to: try images(named: target, in: record), norm: norm)
            let name = "\(normName)_\(from)_\(target)"
            row.sampleMeasurements.add(name, measured.perSample)
        }
        row.label = "distance \(normName) \(from)→\(targets.joined(separator: ","))"
    }

    // MARK: - Spread

    /// `measure spread draws=K`: K purifications of each input with analysis-phase call
    /// indices, each classified; per-sample pixel spread, agreement and prediction entropy.
    static func measureSpreads(_ record: ImageRecord, _ args: ArgumentReader, _ settings: SessionSettings,
                               _ context: StageContext, _ state: RuntimeState, into row: inout ResultRow) throws {
        let (transforms, pending) = try purification(of: record, for: "spread")
        let sourceName = args.optionalText("of")
            ?? (pending ? "current" : (record.images(named: "adversarial") != nil ? "adversarial" : "clean"))
        let source = try images(named: sourceName, in: record)
        let setup: ClassifierSetup
        if let model = args.value("model") {
            setup = try ClassifierSetup(arguments: ["model": model, "eval": .string("single")], context: context, state: state)
        } else if let used = record.defenseClassifier {
            setup = used
        } else {
            setup = try ClassifierSetup(arguments: ["eval": .string("single")], context: context, state: state)
        }
        let draws = try args.optionalInteger("draws") ?? 8
        if !transforms.isRandomized {
            context.print("note: the purification uses fixed randomness, so all \(draws) draws are the same and the spread is 0")
        }
        let progress = ProgressReporter("measure spread", total: record.count, unit: "img", quiet: record.count < 2 * settings.batchSize)
        defer { progress.close() }
        let measured = try measureSpread(
            images: source, sampleIDs: record.sampleKeys, batchSize: settings.batchSize, draws: draws,
            purify: { images, ids, call in try transforms.apply(images, sampleIDs: ids, call: call) },
            classify: { images in try setup.classifier.logits(images) },
            progress: { progress.update($0) }, checkCancellation: { try context.checkCancellation() })
        for (name, values) in [("pixel_std", measured.pixelStandardDeviation), ("agreement", measured.agreement),
                               ("entropy", measured.predictionEntropy)] {
            row.sampleMeasurements.add(name, values)
        }
        row.label = "spread of \(sourceName) draws=\(draws)"
        if record.evaluation == nil { row.defense = (transforms.map(\.description) + ["classify \(setup.modelDescription)"]).joined(separator: " | ") }
    }

    // MARK: - Compression

    /// `measure compression radius=r pairs=M p=2|inf`: ratios ‖P(a) − P(b)‖ / ‖a − b‖ for the
    /// (clean, adversarial) pair when an attack ran and M random pairs of radius r around the
    /// clean image, under fixed randomness only.
    static func measureCompressions(_ record: ImageRecord, _ args: ArgumentReader, _ settings: SessionSettings,
                                    _ context: StageContext, into row: inout ResultRow) throws {
        let (transforms, _) = try purification(of: record, for: "compression")
        guard !transforms.isRandomized else {
            throw RuntimeError("`measure compression` is defined under fixed randomness, but this purification uses seed=random; measure it with purify seed=fixed or seed=N")
        }
        let (norm, normName) = try readNorm(args)
        let radius = args.optionalNumber("radius") ?? 8.0 / 255.0
        let pairs = try args.optionalInteger("pairs") ?? 4
        let adversarial = record.images(named: "adversarial")
        let call = DefenseCallIndex.make(.analysis)
        let progress = ProgressReporter("measure compression", total: record.count, unit: "img", quiet: record.count < 2 * settings.batchSize)
        defer { progress.close() }
        let measured = try measureCompression(
            clean: record.clean, adversarial: adversarial, sampleIDs: record.sampleKeys, batchSize: settings.batchSize,
            radius: Float(radius), pairsPerSample: pairs, seed: settings.seed, norm: norm,
            purify: { images, ids in try transforms.apply(images, sampleIDs: ids, call: call) },
            progress: { progress.update($0) }, checkCancellation: { try context.checkCancellation() })
        let (adversarialRatios, randomRatios) = (measured.adversarialRatios, measured.randomRatios)
        if adversarial != nil { row.sampleMeasurements.add("compression_adversarial", adversarialRatios) }
        if pairs > 0 { row.sampleMeasurements.add("compression_random", pairs: randomRatios) }
        // Pairs at distance 0 have no ratio; the summaries count them (`compression_skipped`).
        row.sampleMeasurements.skippedName = SampleMeasurements.compressionSkipped
        row.label = "compression \(normName) r=\(Value.format(radius)) pairs=\(pairs)"
    }
}
