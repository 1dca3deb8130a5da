import DPLTensor

// MARK: - Finding the weights inside a checkpoint

// Where a model's weights are inside a `torch.save` checkpoint. A checkpoint is a state_dict
// (`torch.save(model.state_dict())`), or a dict around one: `{"model": …, "optimizer": …}`,
// `{"state_dict": …}`, score_sde's `{"model": …, "ema": {"decay", "num_updates",
// "shadow_params": […]}, "step": …}`. `key` names the entry to read; without it a bare
// state_dict is read, or the one entry that holds weights, and anything ambiguous is an error
// listing the entries. Each look goes one level into a dict, never recursively, so a pickle
// that made a container hold itself cannot make it loop.
extension TorchCheckpoint {
    /// The tensors of the selected state_dict by name, each still a reference into the file
    /// (read none until the names and shapes fit a model); `module.` prefixes (from
    /// `nn.DataParallel`) are removed.
    ///
    /// With `key` naming score_sde's EMA (a dict with `shadow_params`), the parameters come from
    /// the shadow list, matched in order to `parameterNames` (the model's parameters in
    /// registration order, as PyTorch's `model.parameters()`), and the buffers from the
    /// checkpoint's `model` state_dict when it has one.
    /// - Throws: `PyTorchError` naming the file and entry: no such key (listing the keys), an
    ///   ambiguous or missing state_dict, or an EMA list whose length differs from the model's.
    public func selectStateDict(key: String?, parameterNames: [String]) throws -> [(name: String, tensor: TorchTensorReference)] {
        guard case .dict(let root) = root else {
            throw PyTorchError(file: fileName, "holds a \(root.kindName), not a dict; DPL reads a state_dict or a dict around one (torch.save(model.state_dict(), path))")
        }
        if let key {
            guard let value = root[key] else {
                throw PyTorchError(file: fileName, "has no entry `\(key)`; its entries are \(describe(root)); choose one with key=")
            }
            if let ema = emaList(value) {
                return try emaStateDict(ema, key: key, root: root, parameterNames: parameterNames)
            }
            guard let entries = stateDictEntries(value) else {
                throw PyTorchError(file: fileName, "has entry `\(key)` holding a \(value.kindName) that is not a state_dict (a dict of tensors) nor score_sde's EMA (a dict with `shadow_params`); its entries are \(describe(root))")
            }
            return strippingDataParallel(entries)
        }
        if let entries = stateDictEntries(.dict(root)) { return strippingDataParallel(entries) }
        let candidates = root.entries.filter { entry in
            stateDictEntries(entry.value) != nil || emaList(entry.value) != nil
        }.compactMap { $0.key.stringValue }
        if candidates.count == 1, let only = candidates.first, let value = root[only], let entries = stateDictEntries(value) {
            return strippingDataParallel(entries)
        }
        let hint = candidates.isEmpty
            ? "none of them is a state_dict (a dict of tensors); save one with torch.save(model.state_dict(), path)"
            : "\(candidates.count == 1 ? "it holds weights only under" : "weights are under") \(candidates.map { "`\($0)`" }.joined(separator: ", ")); name one with key= (e.g. key=\(candidates[0]))"
        throw PyTorchError(file: fileName, "is a dict of \(describe(root)), not a state_dict; \(hint)")
    }

    /// The entries of a state_dict: a dict whose keys are strings and whose values are all tensors.
    private func stateDictEntries(_ value: PickleValue) -> [(name: String, tensor: TorchTensorReference)]? {
        guard case .dict(let dict) = value, !dict.entries.isEmpty else { return nil }
        var entries: [(name: String, tensor: TorchTensorReference)] = []
        for (key, value) in dict.entries {
            guard let name = key.stringValue, case .tensor(let tensor) = value else { return nil }
            entries.append((name, tensor))
        }
        return entries
    }

    /// score_sde's `ExponentialMovingAverage.state_dict()`: `shadow_params`, a list of tensors.
    private func emaList(_ value: PickleValue) -> [PickleValue]? {
        guard case .dict(let dict) = value, let shadow = dict["shadow_params"], case .list(let list) = shadow else { return nil }
        return list.items
    }

    private func emaStateDict(_ shadow: [PickleValue], key: String, root: PickleDict,
                              parameterNames: [String]) throws -> [(name: String, tensor: TorchTensorReference)] {
        var parameters: [TorchTensorReference] = []
        for (index, item) in shadow.enumerated() {
            guard case .tensor(let tensor) = item else {
                throw PyTorchError(file: fileName, "has a \(item.kindName) at `\(key).shadow_params[\(index)]`; the EMA's shadow parameters are tensors")
            }
            parameters.append(tensor)
        }
        guard parameters.count == parameterNames.count else {
            throw PyTorchError(file: fileName, "has \(parameters.count) tensors in `\(key).shadow_params` but the model has \(parameterNames.count) parameters; the EMA is matched to the parameters in order, so the architecture (arch=) must be the one that was trained")
        }
        var entries = Array(zip(parameterNames, parameters)).map { (name: $0.0, tensor: $0.1) }
        // Buffers (BatchNorm statistics) are not averaged; score_sde restores them from `model`.
        let named = Set(parameterNames)
        if let model = root["model"], let modelEntries = stateDictEntries(model) {
            entries += strippingDataParallel(modelEntries).filter { !named.contains($0.name) }
        }
        return entries
    }

    /// The names without `nn.DataParallel`'s `module.` prefix.
    private func strippingDataParallel(_ entries: [(name: String, tensor: TorchTensorReference)]) -> [(name: String, tensor: TorchTensorReference)] {
        entries.map { entry in
            entry.name.hasPrefix("module.") ? (String(entry.name.dropFirst("module.".count)), entry.tensor) : entry
        }
    }

    /// `` `model` (state_dict of 12 tensors), `step` (int) `` for the first entries of `dict`.
    private func describe(_ dict: PickleDict) -> String {
        let shown = dict.entries.prefix(12).map { entry -> String in
            let name = entry.key.stringValue.map { "`\($0)`" } ?? entry.key.kindName
            if let tensors = stateDictEntries(entry.value) { return "\(name) (state_dict of \(tensors.count) tensors)" }
            if let ema = emaList(entry.value) { return "\(name) (EMA of \(ema.count) parameters)" }
            return "\(name) (\(entry.value.kindName))"
        }
        let more = dict.entries.count > 12 ? ", and \(dict.entries.count - 12) more" : ""
        return shown.isEmpty ? "none" : shown.joined(separator: ", ") + more
    }
}

// MARK: - Loading into a model

extension Module {
    /// Loads the weights of a `torch.save` checkpoint (see `TorchCheckpoint.selectStateDict`),
    /// all or nothing. Names and shapes are checked from the file's tensor descriptions before
    /// any tensor is read, so a checkpoint of the wrong architecture allocates nothing.
    /// BatchNorm's `num_batches_tracked` counters are ignored: a checkpoint may lack them
    /// (PyTorch < 0.4.1) or have them where the model has none, and they do not change outputs.
    /// - Throws: `PyTorchError` for a checkpoint without a usable state_dict;
    ///   `StateDictError` listing the first missing, unexpected and wrong-shaped tensors.
    public func loadTorchCheckpoint(_ checkpoint: TorchCheckpoint, key: String? = nil) throws {
        let slots = stateDict()
        let selected = try checkpoint.selectStateDict(key: key, parameterNames: namedParameters().map(\.name))
        let counter = "num_batches_tracked"
        let isCounter = { (name: String) in name == counter || name.hasSuffix("." + counter) }
        let known = Dictionary(slots.map { ($0.name, $0.tensor.shape) }, uniquingKeysWith: { first, _ in first })
        var given: [String: TorchTensorReference] = [:]
        var error = StateDictError()
        for (name, tensor) in selected {
            if known[name] == nil {
                if !isCounter(name) { error.unexpected.append(name) }
                continue
            }
            if given.updateValue(tensor, forKey: name) != nil { error.duplicate.append(name) }
        }
        var state: [(name: String, tensor: Tensor)] = []
        for slot in slots {
            guard let reference = given[slot.name] else {
                if isCounter(slot.name) { state.append(slot) } else { error.missing.append(slot.name) }
                continue
            }
            if reference.shape != slot.tensor.shape {
                error.wrongShapes.append(.init(name: slot.name, expected: slot.tensor.shape, found: reference.shape))
            }
        }
        guard error.isEmpty else { throw error.firstProblems(limit: 8) }
        for slot in slots {
            guard let reference = given[slot.name] else { continue }
            state.append((slot.name, try checkpoint.tensor(reference, name: slot.name)))
        }
        try loadStateDict(state)
    }
}

extension StateDictError {
    /// The same error with at most `limit` names in each list, and how many were left out,
    /// so loading the wrong architecture gives a readable message rather than hundreds of names.
    func firstProblems(limit: Int) -> StateDictError {
        func cut(_ names: [String]) -> [String] {
            names.count <= limit ? names : Array(names.prefix(limit)) + ["… \(names.count - limit) more"]
        }
        var shortened = self
        shortened.missing = cut(missing)
        shortened.unexpected = cut(unexpected)
        shortened.duplicate = cut(duplicate)
        if wrongShapes.count > limit { shortened.wrongShapes = Array(wrongShapes.prefix(limit)) }
        return shortened
    }
}
