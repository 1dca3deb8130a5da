import Foundation
import _CBLAS

// MARK: - Which OpenBLAS kernels run the matrix products

/// The OpenBLAS kernel family ("core") that runs DPL's matrix products, and the choice of a
/// faster one when OpenBLAS's own detection fell back to its generic kernels.
///
/// Why: Debian's OpenBLAS (0.3.21) picks its kernels from the CPU's family and model numbers.
/// A CPU newer than the library, or one a virtual machine reports under a generic name, is
/// not recognised and gets the SSE3 `Prescott` kernels — measured here on an AVX-512 Xeon
/// that OpenBLAS did not know: sgemm 512³ at 9.7 GFLOP/s, against 99 GFLOP/s with the
/// `SkylakeX` kernels the CPU supports, so every purification and attack ran about 5× slower
/// than it needed to. OpenBLAS reads `OPENBLAS_CORETYPE` only when it is loaded, so the
/// command-line tools re-execute themselves once with it set (`selectFasterKernel`).
///
/// What it never does: override an `OPENBLAS_CORETYPE` that is already set (an administrator
/// may have set it because some OpenBLAS builds compute wrong results on some CPUs), or keep
/// a kernel that fails `selfCheck()`.
public enum BLASKernel {
    /// OpenBLAS's name of the kernels in use (`Prescott`, `Haswell`, `SkylakeX`, …).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// How capable a kernel family is: 0 SSE-only, 1 AVX, 2 AVX2+FMA, 3 AVX-512; nil for a
    /// name this table does not know (then nothing is changed).
    static func rank(ofCore name: String) -> Int? {
        switch name.lowercased() {
        case "katmai", "coppermine", "northwood", "prescott", "banias", "core2", "penryn", "dunnington",
             "nehalem", "atom", "athlon", "opteron", "opteron_sse3", "barcelona", "bobcat":
            return 0
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator":
            return 1
        case "haswell", "zen":
            return 2
        case "skylakex", "cooperlake", "sapphirerapids":
            return 3
        default:
            return nil
        }
    }

    /// The best kernel family the CPU flags (from /proc/cpuinfo) support, with its rank.
    static func bestCore(forFlags flags: Set<String>) -> (name: String, rank: Int)? {
        if ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) { return ("SkylakeX", 3) }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return ("Haswell", 2) }
        if flags.contains("avx") { return ("Sandybridge", 1) }
        return nil
    }

    /// The flags of the first processor in /proc/cpuinfo (empty where there is none).
    static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }

    /// The environment variable that marks a process started by `selectFasterKernel`.
    static let marker = "DPL_OPENBLAS_SELECTED"

    /// Re-executes the running program with `OPENBLAS_CORETYPE` set to the best kernel family
    /// the CPU supports, when OpenBLAS chose a less capable one on its own and nobody set the
    /// variable. In the re-executed process, checks the kernel (`selfCheck`) and, if it fails,
    /// re-executes once more with OpenBLAS's own choice, saying so on standard error. Call it
    /// first thing in `main`, before any output or threads. Returns when nothing is to be done
    /// (or the re-execution itself failed, which leaves the program correct, only slower).
    public static func selectFasterKernel(arguments: [String] = CommandLine.arguments) {
        let environment = ProcessInfo.processInfo.environment
        if let chosen = environment[marker] {
            if chosen != "fallback", !selfCheck() {
                FileHandle.standardError.write(Data("dpl: OpenBLAS's \(coreName) kernels failed a self-check on this CPU; using OpenBLAS's own choice \(chosen) instead (slower)\n".utf8))
                reexecute(arguments, coreType: chosen, marker: "fallback")
            }
            return
        }
        guard environment["OPENBLAS_CORETYPE"] == nil else { return }
        let current = coreName
        guard let currentRank = rank(ofCore: current), let best = bestCore(forFlags: cpuFlags()),
              best.rank > currentRank else { return }
        reexecute(arguments, coreType: best.name, marker: current)
    }

    private static func reexecute(_ arguments: [String], coreType: String, marker value: String) {
        setenv("OPENBLAS_CORETYPE", coreType, 1)
        setenv(marker, value, 1)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &argv)
        // Only reached when exec failed: go on in this process with the kernels it has.
        for pointer in argv { free(pointer) }
        unsetenv(marker)
    }

    /// Whether sgemm agrees with a plain triple loop in Double on a product with every
    /// transposition and an odd size that exercises the kernels' edge handling (relative error
    /// below 1e-4 of the largest term's scale).
    public static func selfCheck() -> Bool {
        let m = 37, n = 29, k = 53
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
        }
        let a = (0..<(m * k)).map { _ in next() }, b = (0..<(k * n)).map { _ in next() }
        for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
            var c = [Float](repeating: 0, count: m * n)
            // Stored so that op(A) is m×k and op(B) is k×n, row-major.
            let storedA = transA ? transpose(a, rows: m, columns: k) : a
            let storedB = transB ? transpose(b, rows: k, columns: n) : b
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), 1, storedA, Int32(transA ? m : k), storedB, Int32(transB ? k : n),
                        0, &c, Int32(n))
            for i in 0..<m {
                for j in 0..<n {
                    var exact = 0.0
                    for p in 0..<k { exact += Double(a[i * k + p]) * Double(b[p * n + j]) }
                    if !(abs(Double(c[i * n + j]) - exact) <= 1e-4 * Double(k)) { return false }
                }
            }
        }
        return true
    }

    private static func transpose(_ x: [Float], rows: Int, columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        for r in 0..<rows { for c in 0..<columns { out[c * rows + r] = x[r * columns + c] } }
        return out
    }
}
