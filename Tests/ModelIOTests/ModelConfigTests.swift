import Foundation
import XCTest
import ModelIO
import TestSupport

/// `ModelConfig` from HF config.json (real MiniLM and representative decoder configs) and from
/// GGUF metadata (real SmolLM2).
final class ModelConfigTests: XCTestCase {
    func config(_ json: String) throws -> ModelConfig {
        try ModelConfig(huggingFaceConfig: JSONObject(data: Data(json.utf8), path: "/models/x/config.json"))
    }

    func testMiniLMConfig() throws {
        let url = try TestPaths.require(TestPaths.miniLM.appendingPathComponent("config.json"))
        let c = try ModelConfig(huggingFaceConfigAt: url)
        XCTAssertEqual(c.family, .bert)
        XCTAssertEqual(c.modelType, "bert")
        XCTAssertEqual(c.hiddenSize, 384)
        XCTAssertEqual(c.layerCount, 6)
        XCTAssertEqual(c.headCount, 12)
        XCTAssertEqual(c.kvHeadCount, 12)
        XCTAssertEqual(c.headDimension, 32)
        XCTAssertEqual(c.intermediateSize, 1536)
        XCTAssertEqual(c.vocabularySize, 30522)
        XCTAssertEqual(c.maxPositions, 512)
        XCTAssertEqual(c.normEpsilon, 1e-12, accuracy: 1e-24)
        XCTAssertEqual(c.hiddenActivation, "gelu")
        XCTAssertEqual(c.typeVocabularySize, 2)
        XCTAssertEqual(c.padTokenId, 0)
    }

    func testSmolLM2GGUFConfig() throws {
        let gguf = try GGUFFile(url: TestPaths.require(TestPaths.smolLM2GGUF))
        let c = try ModelConfig(gguf: gguf)
        XCTAssertEqual(c.family, .llama)
        XCTAssertEqual(c.modelType, "llama")
        XCTAssertEqual(c.layerCount, 30)
        XCTAssertEqual(c.hiddenSize, 576)
        XCTAssertEqual(c.headCount, 9)
        XCTAssertEqual(c.kvHeadCount, 3)
        XCTAssertEqual(c.headDimension, 64)
        XCTAssertEqual(c.intermediateSize, 1536)
        XCTAssertEqual(c.vocabularySize, 49152)
        XCTAssertEqual(c.maxPositions, 8192)
        XCTAssertEqual(c.ropeTheta, 100_000)
        XCTAssertEqual(c.normEpsilon, Double(Float(1e-5)))
        XCTAssertTrue(c.tieWordEmbeddings, "SmolLM2 has no output.weight")
        XCTAssertFalse(c.attentionBias)
        XCTAssertEqual(c.bosTokenId, 1)
        XCTAssertEqual(c.eosTokenIds, [2])
        XCTAssertEqual(c.padTokenId, 2)
        XCTAssertNil(c.ropeScaling)
    }

    func testLlama3ConfigWithRopeScaling() throws {
        let c = try config("""
        {"model_type": "llama", "hidden_size": 2048, "num_hidden_layers": 16, "num_attention_heads": 32,
         "num_key_value_heads": 8, "intermediate_size": 8192, "vocab_size": 128256,
         "max_position_embeddings": 131072, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
         "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                          "original_max_position_embeddings": 8192, "rope_type": "llama3"},
         "tie_word_embeddings": true, "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009],
         "head_dim": 64, "hidden_act": "silu"}
        """)
        XCTAssertEqual(c.family, .llama)
        XCTAssertEqual(c.kvHeadCount, 8)
        XCTAssertEqual(c.headDimension, 64)
        XCTAssertEqual(c.ropeTheta, 500_000)
        XCTAssertEqual(c.ropeScaling, RopeScaling(type: "llama3", factor: 32, lowFrequencyFactor: 1,
                                                  highFrequencyFactor: 4, originalMaxPositions: 8192))
        XCTAssertTrue(c.tieWordEmbeddings)
        XCTAssertFalse(c.attentionBias)
        XCTAssertEqual(c.eosTokenIds, [128001, 128008, 128009])
        XCTAssertEqual(c.bosTokenId, 128000)
    }

    func testMistralAndQwen2Defaults() throws {
        let mistral = try config("""
        {"model_type": "mistral", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
         "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 32000, "eos_token_id": 2}
        """)
        XCTAssertEqual(mistral.family, .llama)
        XCTAssertEqual(mistral.headDimension, 128)
        XCTAssertEqual(mistral.ropeTheta, 10_000)
        XCTAssertEqual(mistral.normEpsilon, 1e-6)
        XCTAssertFalse(mistral.tieWordEmbeddings)
        XCTAssertEqual(mistral.eosTokenIds, [2])
        let qwen = try config("""
        {"model_type": "qwen2", "hidden_size": 896, "num_hidden_layers": 24, "num_attention_heads": 14,
         "num_key_value_heads": 2, "intermediate_size": 4864, "vocab_size": 151936, "rope_theta": 1000000.0,
         "tie_word_embeddings": true, "rope_scaling": null}
        """)
        XCTAssertTrue(qwen.attentionBias, "Qwen2 projections carry q/k/v biases")
        XCTAssertEqual(qwen.headDimension, 64)
        XCTAssertEqual(qwen.ropeTheta, 1_000_000)
        XCTAssertNil(qwen.ropeScaling)
    }

    func testRobertaDefaults() throws {
        let c = try config("""
        {"model_type": "roberta", "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
         "intermediate_size": 3072, "vocab_size": 50265, "max_position_embeddings": 514, "type_vocab_size": 1,
         "layer_norm_eps": 1e-05}
        """)
        XCTAssertEqual(c.family, .bert)
        XCTAssertEqual(c.padTokenId, 1)
        XCTAssertEqual(c.maxPositions, 514)
        XCTAssertEqual(c.typeVocabularySize, 1)
    }

    func testErrorsNameTheFileAndTheProblem() {
        let cases: [(String, String)] = [
            (#"{"model_type": "gpt_neox", "hidden_size": 8}"#, "unsupported model_type \"gpt_neox\""),
            (#"{"hidden_size": 8}"#, "\"model_type\" is missing"),
            (#"{"model_type": "llama", "hidden_size": "big", "num_attention_heads": 2}"#, "\"hidden_size\" should be a whole number"),
            (#"{"model_type": "llama", "hidden_size": 8.5, "num_attention_heads": 2}"#, "\"hidden_size\" should be a whole number"),
            (#"{"model_type": "llama", "hidden_size": 10, "num_attention_heads": 3, "num_hidden_layers": 1, "intermediate_size": 4, "vocab_size": 5}"#, "not divisible"),
            (#"{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 1, "intermediate_size": 4}"#, "\"vocab_size\" is missing"),
            (#"{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 4, "num_key_value_heads": 3, "num_hidden_layers": 1, "intermediate_size": 4, "vocab_size": 5}"#, "not a multiple"),
            (#"{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": -1, "intermediate_size": 4, "vocab_size": 5}"#, "layer count must be positive"),
            (#"{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 0}"#, "must be positive"),
            (#"{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 1, "intermediate_size": 4, "vocab_size": 5, "rope_scaling": {"rope_type": "llama3", "factor": 8}}"#, "llama3 rope_scaling needs"),
            (#"{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 1, "intermediate_size": 4, "vocab_size": 5, "tie_word_embeddings": 1}"#, "should be true or false"),
            (#"{"model_type": "llama", "hidden_size": 99999999999, "num_attention_heads": 1, "num_hidden_layers": 1, "intermediate_size": 4, "vocab_size": 5}"#, "implausibly large"),
            (#"["llama"]"#, "JSON object"),
            (#"{"model_type": "#, "not valid JSON"),
        ]
        for (json, expected) in cases {
            XCTAssertThrowsError(try config(json), json) { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix("/models/x/config.json: "), message)
                XCTAssertTrue(message.contains(expected), "expected \(expected) in: \(message)")
            }
        }
    }
}
