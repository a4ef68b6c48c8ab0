import Foundation

/// The train / validation / test datasets found at a `--data` path (see `DataSplitFiles`).
/// A split without a file is nil; which ones a command needs is up to the command.
public struct DatasetSplits<Dataset: Sendable>: Sendable {
    public var train: Dataset?
    public var validation: Dataset?
    public var test: Dataset?

    public init(train: Dataset?, validation: Dataset?, test: Dataset?) {
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// Loads every split file `files` names with `load`.
    public init(files: DataSplitFiles, load: (URL) throws -> Dataset) throws {
        self.init(train: try files.train.map(load), validation: try files.validation.map(load),
                  test: try files.test.map(load))
    }
}

extension LanguageModelingDataset {
    /// The splits at `path`: a JSONL file (training) or a folder of train/valid/test JSONL files.
    /// With `.automatic`, each file's format is detected from its own first record.
    public static func loadSplits(_ path: URL, format: LanguageModelingFormat = .automatic) throws
        -> DatasetSplits<LanguageModelingDataset>
    {
        try DatasetSplits(files: DataSplitFiles.locate(path, fileExtension: "jsonl")) {
            try load($0, format: format)
        }
    }
}

/// Where a classification file's fields are, by file kind.
public enum ClassificationFileFormat: Equatable, Sendable {
    case tsv(ClassificationTableFormat)
    case jsonl(ClassificationJSONFormat)

    /// The extension of the split files in a `--data` folder.
    public var fileExtension: String {
        switch self {
        case .tsv: return "tsv"
        case .jsonl: return "jsonl"
        }
    }
}

extension ClassificationDataset {
    /// Reads one classification file in `format`.
    public static func load(_ url: URL, format: ClassificationFileFormat) throws -> ClassificationDataset {
        switch format {
        case .tsv(let table): return try loadTSV(url, format: table)
        case .jsonl(let json): return try loadJSONL(url, format: json)
        }
    }

    /// The splits at `path`: one file (training) or a folder of train/dev/test files.
    public static func loadSplits(_ path: URL, format: ClassificationFileFormat) throws
        -> DatasetSplits<ClassificationDataset>
    {
        try DatasetSplits(files: DataSplitFiles.locate(path, fileExtension: format.fileExtension)) {
            try load($0, format: format)
        }
    }
}

extension GLUETask {
    /// The task's train and dev splits from a GLUE distribution folder: either the task's own
    /// folder (`glue_data/RTE`) or the folder holding all tasks (`glue_data`).
    public func loadSplits(_ path: URL) throws -> DatasetSplits<ClassificationDataset> {
        try ClassificationDataset.loadSplits(folder(in: path), format: .tsv(tableFormat))
    }

    /// The class index F1 counts as positive under `vocabulary`, if the task has one.
    public func positiveClass(in vocabulary: LabelVocabulary) -> Int? {
        positiveLabel.flatMap { vocabulary.index(of: $0) }
    }
}
