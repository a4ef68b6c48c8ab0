import Foundation
import Training

extension DataOptions {
    /// The file of `split` at the data path (a file path is used as it is): nil picks the
    /// validation split, else the test split. A GLUE task's own folder inside the path is used
    /// when there is one.
    func splitFile(_ split: DataSplit?, fileExtension: String, glue: GLUETask? = nil) throws -> URL {
        var path = self.path
        if let glue {
            let own = path.appendingPathComponent(glue.folderName)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: own.path, isDirectory: &isDirectory), isDirectory.boolValue { path = own }
        }
        let files = try DataSplitFiles.locate(path, fileExtension: fileExtension)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            return path
        }
        switch split {
        case .train?:
            guard let f = files.train else { throw DataError(path, "no train.\(fileExtension)") }
            return f
        case .valid?:
            guard let f = files.validation else { throw DataError(path, "no valid/validation/dev.\(fileExtension)") }
            return f
        case .test?:
            guard let f = files.test else { throw DataError(path, "no test.\(fileExtension)") }
            return f
        case nil:
            guard let f = files.validation ?? files.test else {
                throw DataError(path, "no validation or test split (choose the train split to evaluate the training file)")
            }
            return f
        }
    }
}
