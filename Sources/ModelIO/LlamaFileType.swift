/// llama.cpp's `general.file_type` (`enum llama_ftype`): the type most matrices of a file
/// have, for the types lorasb writes.
public enum LlamaFileType {
    static let mostly: [GGMLType: UInt32] = [
        .f32: 0, .f16: 1, .q4_0: 2, .q4_1: 3, .q8_0: 7, .q5_0: 8, .q5_1: 9, .bf16: 32,
    ]

    /// The file type of a file whose matrices are mostly `type`; nil for a type not listed.
    public static func mostly(_ type: GGMLType) -> GGUFValue? { mostly[type].map(GGUFValue.uint32) }
}
