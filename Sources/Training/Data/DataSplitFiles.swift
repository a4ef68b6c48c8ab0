import Foundation

/// The files of a dataset's splits, found the way `mlx_lm.lora --data` finds them: either a single
/// file (used for training) or a folder holding `train.<ext>` and optionally a validation file
/// (`valid`, `validation` or `dev`) and `test.<ext>`.
public struct DataSplitFiles: Equatable, Sendable {
    public var train: URL?
    public var validation: URL?
    public var test: URL?

    public init(train: URL?, validation: URL?, test: URL?) {
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// Names tried for the validation split, in order of preference.
    public static let validationNames = ["valid", "validation", "dev"]

    /// Resolves `path` (a file or a folder). `fileExtension` is the extension the split files
    /// carry in a folder (`jsonl` for language modelling, `tsv` for GLUE).
    /// Throws when the path does not exist or a folder holds no split file at all.
    public static func locate(_ path: URL, fileExtension: String = "jsonl") throws -> DataSplitFiles {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
            throw DataError(path, "no such file or folder")
        }
        if !isDirectory.boolValue {
            return DataSplitFiles(train: path, validation: nil, test: nil)
        }
        func find(_ names: [String]) -> URL? {
            for name in names {
                let url = path.appendingPathComponent("\(name).\(fileExtension)")
                var dir: ObjCBool = false
                if FileManager.default.fileExists(atPath: url.path, isDirectory: &dir), !dir.boolValue {
                    return url
                }
            }
            return nil
        }
        let files = DataSplitFiles(train: find(["train"]), validation: find(validationNames),
                                   test: find(["test"]))
        if files.train == nil && files.validation == nil && files.test == nil {
            let expected = (["train"] + validationNames + ["test"]).map { "\($0).\(fileExtension)" }
            throw DataError(path, "the folder holds none of \(expected.joined(separator: ", "))")
        }
        return files
    }
}
