import Foundation
import Training

/// Which split of a data folder to read.
public enum DataSplit: String, Sendable, CaseIterable {
    case train, valid, test
}

/// The one split lookup: where the train / validation / test files of a `--data` path are, for
/// training (`FineTuneJob`), evaluation (`EvaluationJob`) and the experiment plans alike.
extension DataOptions {
    /// The folder (or file) the split files are looked up in: a GLUE task's own folder when the
    /// path is a whole GLUE distribution (`glue_data` holding `RTE/`), else the path.
    var splitRoot: URL { resolvedGLUETask?.folder(in: path) ?? path }

    /// The split files carrying `fileExtension` (a file path is the training file).
    public func splitFiles(fileExtension: String) throws -> DataSplitFiles {
        try DataSplitFiles.locate(splitRoot, fileExtension: fileExtension)
    }

    /// The file of `split`; nil asks for the validation split, else the test split. A file path
    /// is used as it is, whatever the split.
    public func file(of split: DataSplit?, fileExtension: String) throws -> URL {
        let root = splitRoot
        let files = try DataSplitFiles.locate(root, fileExtension: fileExtension)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            return root
        }
        switch split {
        case .train?:
            guard let f = files.train else { throw DataError(root, "no train.\(fileExtension)") }
            return f
        case .valid?:
            guard let f = files.validation else { throw DataError(root, "no valid/validation/dev.\(fileExtension)") }
            return f
        case .test?:
            guard let f = files.test else { throw DataError(root, "no test.\(fileExtension)") }
            return f
        case nil:
            guard let f = files.validation ?? files.test else {
                throw DataError(root, "no validation or test split (choose the train split to evaluate the training file)")
            }
            return f
        }
    }

    /// Language-modelling splits; validation falls back to the test split.
    func languageModelingSplits() throws -> (train: [LanguageModelingExample], validation: [LanguageModelingExample], validationName: String) {
        let splits = try LanguageModelingDataset.loadSplits(splitRoot, format: languageModelingFormat)
        guard let train = splits.train, !train.examples.isEmpty else {
            throw DataError(path, "no training examples (expected a JSONL file or a folder with train.jsonl)")
        }
        let validation = splits.validation ?? splits.test
        let name = splits.validation.map { $0.path } ?? splits.test.map { $0.path } ?? "none"
        return (limit(train.examples, maxTrainExamples),
                limit(validation?.examples ?? [], maxValidationExamples), name)
    }

    /// The extension of a classification data set's files: TSV for a GLUE task or a `.tsv` file
    /// or a folder holding `train.tsv`, JSONL otherwise.
    var classificationFileExtension: String {
        if resolvedGLUETask != nil || path.pathExtension.lowercased() == "tsv" { return "tsv" }
        return (try? splitFiles(fileExtension: "tsv").train) != nil ? "tsv" : "jsonl"
    }

    /// How `file` is read and which GLUE task it holds: the named or folder-implied preset;
    /// else, for a TSV file read with the default columns, the GLUE layout its first line shows
    /// (whatever the folder is called); else the named TSV columns or JSONL fields.
    func classificationFormat(of file: URL) -> (format: ClassificationFileFormat, task: GLUETask?) {
        if let task = resolvedGLUETask { return (.tsv(task.tableFormat), task) }
        let tsv = file.pathExtension.lowercased() == "tsv"
        let defaults = DataOptions(path: path)
        let defaultColumns = classificationText == defaults.classificationText
            && classificationLabel == defaults.classificationLabel && classificationTextPair == nil
        if tsv, defaultColumns, let layout = try? GLUETableLayout.detect(file) {
            return (.tsv(layout.format), layout.task)
        }
        return (tsv ? .tsv(ClassificationTableFormat(hasHeader: true, text: .name(classificationText),
                                                     textPair: classificationTextPair.map { .name($0) },
                                                     label: .name(classificationLabel)))
                    : .jsonl(ClassificationJSONFormat(textField: classificationText,
                                                      textPairField: classificationTextPair,
                                                      labelField: classificationLabel)),
                nil)
    }

    /// Classification (or regression) splits in the training file's format; validation falls
    /// back to the test split, which is only read when there is no validation file (GLUE's test
    /// files carry no labels).
    func classificationSplits() throws -> (train: ClassificationDataset, validation: ClassificationDataset?, task: GLUETask?) {
        let files = try splitFiles(fileExtension: classificationFileExtension)
        guard let trainFile = files.train else { throw DataError(splitRoot, "no training examples (no train file)") }
        let (format, task) = classificationFormat(of: trainFile)
        let train = try ClassificationDataset.load(trainFile, format: format)
        guard train.count > 0 else { throw DataError(trainFile, "no training examples") }
        let validation = try (files.validation ?? files.test).map { try ClassificationDataset.load($0, format: format) }
        return (train.prefix(maxTrainExamples), validation?.prefix(maxValidationExamples), task)
    }

    private func limit<T>(_ xs: [T], _ n: Int?) -> [T] {
        guard let n, n >= 0 else { return xs }
        return Array(xs.prefix(n))
    }
}

extension ClassificationDataset {
    /// The first `n` examples (all when nil).
    func prefix(_ n: Int?) -> ClassificationDataset {
        guard let n, n >= 0, n < count else { return self }
        return ClassificationDataset(path: path, examples: Array(examples.prefix(n)), lines: Array(lines.prefix(n)))
    }
}
