import Foundation
import TestSupport
@testable import Tokenizers
import XCTest

/// Both Qwen2.5-Coder files' own chat templates (ChatML with a default system message and tool
/// calling) rendered against `apply_chat_template` (fixture qwen2_chat.json): text byte for
/// byte and ids, with and without a system message, multi-turn, with `tools=` and tool calls.
final class QwenChatTemplateTests: XCTestCase {
    /// The fixture read with key order kept: `tojson` prints the tools' keys in that order.
    private func fixture() throws -> ChatValue {
        let url = TokenizerFixtures.folder.appendingPathComponent("qwen2_chat.json")
        return try ChatValue(json: String(contentsOf: url, encoding: .utf8))
    }

    private func messages(_ v: ChatValue) throws -> [ChatMessage] {
        guard case let .array(list) = v else { throw XCTSkip("conversation is not a list") }
        return try list.map { m in
            var calls: [ChatToolCall] = []
            if case let .array(c)? = m["tool_calls"] {
                calls = try c.map { call in
                    let f = try XCTUnwrap(call["function"])
                    guard case let .string(name)? = f["name"] else { throw ChatJSONError(reason: "tool call without a name", offset: 0) }
                    return ChatToolCall(name: name, arguments: try XCTUnwrap(f["arguments"]))
                }
            }
            guard case let .string(role)? = m["role"], case let .string(content)? = m["content"] else {
                throw ChatJSONError(reason: "message without role or content", offset: 0)
            }
            return ChatMessage(role: role, content: content, toolCalls: calls)
        }
    }

    func testTemplatesMatchApplyChatTemplate() throws {
        let fx = try fixture()
        guard case let .array(tools)? = fx["tools"] else { return XCTFail("fixture has no tools") }
        for size in QwenTokenizerTests.sizes {
            let tok = try TokenizerFixtures.qwen(size)
            let model = try XCTUnwrap(fx["models"]?[size])
            XCTAssertEqual(model["template"], tok.chatTemplate.map(ChatValue.string), "\(size): the GGUF's template is the one rendered")
            guard case let .array(renders)? = model["renders"] else { return XCTFail("no renders") }
            var withTools = 0, withCalls = 0
            for r in renders {
                guard case let .string(name)? = r["conversation"], case let .bool(useTools)? = r["tools"],
                      case let .bool(generation)? = r["add_generation_prompt"], case let .string(want)? = r["text"],
                      case let .array(wantIds)? = r["ids"] else { return XCTFail("malformed render") }
                let msgs = try messages(try XCTUnwrap(fx["conversations"]?[name]))
                let text = try tok.applyChatTemplate(msgs, tools: useTools ? tools : nil, addGenerationPrompt: generation)
                XCTAssertEqual(text, want, "\(size) \(name) tools=\(useTools) generation=\(generation)")
                XCTAssertEqual(tok.encode(text, addSpecialTokens: false).ids.map(ChatValue.int), wantIds, "\(size) \(name) ids")
                if useTools { withTools += 1 }
                if msgs.contains(where: { !$0.toolCalls.isEmpty }) { withCalls += 1 }
            }
            XCTAssertEqual(renders.count, 24)
            XCTAssertEqual(withTools, 8)
            XCTAssertEqual(withCalls, 8)
        }
    }

    func testDefaultSystemMessageWhenNoneIsGiven() throws {
        let tok = try TokenizerFixtures.qwen("0.5B")
        let text = try tok.applyChatTemplate([ChatMessage(role: "user", content: "hi")], addGenerationPrompt: true)
        XCTAssertEqual(text, "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                           + "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
    }
}
