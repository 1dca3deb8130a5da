import DPLAttacks
import DPLLang
import DPLTensor

/// The three analyses, each from its arguments to the engine's batched analysis and the row's
/// per-sample columns (docs/analyses.md).
extension MeasureStage {
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
        let setup = try spreadClassifier(args, record, context, state)
        let draws = try spreadDraws(args)
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
        let pairs = try compressionPairs(args)
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
