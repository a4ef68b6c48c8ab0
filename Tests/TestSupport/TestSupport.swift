import Foundation

/// Where the real models and fixtures live for tests.
public enum TestPaths {
    /// The folder holding the unpacked model wheels (`scripts/install.sh` fills it).
    public static var modelCache: URL {
        if let p = ProcessInfo.processInfo.environment["LORASB_MODELS"] {
            return URL(fileURLWithPath: p)
        }
        return FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".cache/lorasb/models")
    }
    public static var smolLM2GGUF: URL {
        modelCache.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.gguf")
    }
    public static var miniLM: URL { modelCache.appendingPathComponent("all-MiniLM-L6-v2") }
    /// Qwen2.5-Coder-Instruct as Q4_K_M GGUF, `size` "0.5B" or "1.5B" (`scripts/fetch-qwen.sh`);
    /// the tests that need them skip when they are absent.
    public static func qwenCoderGGUF(_ size: String) -> URL {
        modelCache.appendingPathComponent("Qwen2.5-Coder-\(size)-Instruct-Q4_K_M.gguf")
    }

    /// The repository root (the folder holding Package.swift).
    public static var repoRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }
    public static var fixtures: URL { repoRoot.appendingPathComponent("Tests/Fixtures") }
    /// The shared datasets (GSM8K, GLUE): `$LORASB_DATA`, else `../shared/data` beside the
    /// checkout, else `/work/shared/data`.
    public static var sharedData: URL {
        if let p = ProcessInfo.processInfo.environment["LORASB_DATA"] { return URL(fileURLWithPath: p) }
        let beside = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
        if FileManager.default.fileExists(atPath: beside.path) { return beside }
        return URL(fileURLWithPath: "/work/shared/data")
    }

    /// Fails loudly (rather than skipping) when a real model is missing.
    public static func require(_ url: URL) throws -> URL {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MissingResource(path: url.path)
        }
        return url
    }
}

public struct MissingResource: Error, CustomStringConvertible {
    public let path: String
    public var description: String { "missing \(path): run scripts/install.sh first" }
}
