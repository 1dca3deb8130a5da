// MARK: - Scopes

/// A lexical scope of the interpreter: variables bound by `let`, `for` and `def` parameters,
/// and stages made by `def`. Lookups walk outward to the enclosing scopes.
public final class Environment {
    /// The enclosing scope, nil for the global one.
    public let parent: Environment?
    private var variables: [String: Value] = [:]
    private var definitions: [String: UserStage] = [:]

    /// A scope inside `parent` (nil makes a global scope).
    public init(parent: Environment? = nil) { self.parent = parent }

    /// Binds `name` in this scope, replacing an earlier binding here.
    public func define(_ name: String, _ value: Value) { variables[name] = value }

    /// The value bound to `name` here or in an enclosing scope.
    public func lookup(_ name: String) -> Value? { variables[name] ?? parent?.lookup(name) }

    /// Records a `def` stage in this scope.
    func define(stage: UserStage) { definitions[stage.definition.name] = stage }

    /// The `def` stage called `name`, here or outward.
    func userStage(_ name: String) -> UserStage? { definitions[name] ?? parent?.userStage(name) }

    /// Every variable visible from here with its value; inner bindings win.
    public var allVariables: [String: Value] {
        var all = parent?.allVariables ?? [:]
        all.merge(variables) { _, inner in inner }
        return all
    }

    /// Every `def` stage visible from here.
    var allUserStages: [String: UserStage] {
        var all = parent?.allUserStages ?? [:]
        all.merge(definitions) { _, inner in inner }
        return all
    }

    /// Removes every binding and definition of this scope.
    public func removeAll() {
        variables.removeAll()
        definitions.removeAll()
    }
}

/// A stage made with `def`: its definition and the scope it closes over.
struct UserStage {
    let definition: DefStatement
    /// Unowned: a `def` is stored in the scope it closes over, so a strong reference made a
    /// cycle and every scope holding a `def` (the session's globals, each loop iteration's
    /// scope) was never freed. A stage is only reached through that scope, which is then alive.
    unowned let closure: Environment
}
