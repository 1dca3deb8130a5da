import DPLTensor
import Foundation

// MARK: - The machine a result was computed on

/// The CPU model and operating system, read from /proc/cpuinfo and /etc/os-release. Results
/// are bit-identical across thread counts but not necessarily across CPUs (vector widths and
/// BLAS kernels differ), so provenance names the machine.
public enum MachineDescription {
    /// The first "model name" in /proc/cpuinfo, or "unknown".
    public static let cpuModel: String = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") { return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        return "unknown"
    }()

    /// PRETTY_NAME from /etc/os-release, or "unknown".
    public static let operatingSystem: String = {
        guard let text = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            return String(line.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return "unknown"
    }()

    /// Which kernels computed the numbers: DPL's own vector path (`VectorISA`) and OpenBLAS's
    /// kernel family, e.g. "DPL avx512, OpenBLAS SkylakeX". Two machines with different kernels
    /// may differ in the last bits (another summation order), so a rerun that differs there
    /// can tell why; `DPL_VECTOR_ISA=portable` and `OPENBLAS_CORETYPE` choose them.
    public static var kernels: String { "DPL \(VectorISA.current), OpenBLAS \(BLASKernel.coreName)" }

    /// Cores the operating system reports.
    public static var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}
