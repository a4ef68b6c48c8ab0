import Foundation
import TestSupport
@testable import Tokenizers
import XCTest

/// Renders against Jinja2 under Transformers' settings (fixture chat_templates.json): SmolLM2's
/// own template through `apply_chat_template` (text and ids), the built-in templates, and a
/// template exercising whitespace control, elif, set, filters and tests.
final class ChatTemplateTests: XCTestCase {
    private struct Render { let template: String; let conversation: String; let generation: Bool; let text: String; let ids: [Int]? }

    private func fixture() throws -> (templates: [String: String], conversations: [String: [ChatMessage]], renders: [Render]) {
        let o = try TokenizerFixtures.object("chat_templates.json")
        let templates = try XCTUnwrap(o["templates"] as? [String: String])
        var conversations: [String: [ChatMessage]] = [:]
        for (name, list) in try XCTUnwrap(o["conversations"] as? [String: [[String: String]]]) {
            conversations[name] = list.map { ChatMessage(role: $0["role"] ?? "", content: $0["content"] ?? "") }
        }
        let renders = try XCTUnwrap(o["renders"] as? [[String: Any]]).map { r in
            Render(template: r["template"] as? String ?? "", conversation: r["conversation"] as? String ?? "",
                   generation: r["add_generation_prompt"] as? Bool ?? false, text: r["text"] as? String ?? "",
                   ids: r["ids"] as? [Int])
        }
        return (templates, conversations, renders)
    }

    func testSmolLM2TemplateMatchesApplyChatTemplate() throws {
        let tok = try TokenizerFixtures.smolLM2()
        let fx = try fixture()
        let renders = fx.renders.filter { $0.template == "smollm2" }
        XCTAssertEqual(renders.count, 10)
        XCTAssertTrue(renders.contains { $0.conversation == "with_system" } && renders.contains { $0.conversation == "user_only" })
        for r in renders {
            let messages = try XCTUnwrap(fx.conversations[r.conversation])
            let text = try tok.applyChatTemplate(messages, addGenerationPrompt: r.generation)
            XCTAssertEqual(text, r.text, "\(r.conversation) generation=\(r.generation)")
            XCTAssertEqual(tok.encode(text, addSpecialTokens: false).ids, r.ids, "\(r.conversation) ids")
        }
    }

    func testBuiltinAndExtraTemplatesMatchJinja() throws {
        let fx = try fixture()
        for name in ["chatml", "llama3"] {
            XCTAssertEqual(try ChatTemplate.builtin(named: name).source, fx.templates[name], "built-in \(name) is the template the fixture rendered")
        }
        var checked = 0
        for r in fx.renders where r.template != "smollm2" {
            let template = try ChatTemplate(source: try XCTUnwrap(fx.templates[r.template]))
            let messages = try XCTUnwrap(fx.conversations[r.conversation])
            let text = try template.render(messages: messages, addGenerationPrompt: r.generation,
                                           bosToken: r.template == "llama3" ? "<|begin_of_text|>" : nil,
                                           eosToken: r.template == "llama3" ? "<|eot_id|>" : nil)
            XCTAssertEqual(text, r.text, "\(r.template) \(r.conversation) generation=\(r.generation)")
            checked += 1
        }
        XCTAssertEqual(checked, 30)
    }

    func testNoneTemplateJoinsContents() throws {
        let t = try ChatTemplate.builtin(named: "none")
        let text = try t.render(messages: [.init(role: "user", content: "a"), .init(role: "assistant", content: "b")], addGenerationPrompt: true)
        XCTAssertEqual(text, "a\nb")
    }

    func testUnrenderableTemplatesGiveClearErrors() throws {
        func message(_ source: String) -> String {
            do { _ = try ChatTemplate(source: source); return "no error" } catch { return "\(error)" }
        }
        let macro = message("{% macro greet(x) %}hi{% endmacro %}{{ greet(1) }}")
        XCTAssertTrue(macro.contains("'macro' statement") && macro.contains("--chat-template chatml|llama3|none"), macro)
        XCTAssertTrue(message("{% if x %}open").contains("endif"), message("{% if x %}open"))
        XCTAssertTrue(message("{{ 'unterminated }}").contains("unterminated string"))
        XCTAssertTrue(message("line\n{{ a $ b }}").contains("line 2"), message("line\n{{ a $ b }}"))

        let raising = try ChatTemplate(source: "{% if messages[0]['role'] != 'system' %}{{ raise_exception('System first') }}{% endif %}")
        XCTAssertThrowsError(try raising.render(messages: [.init(role: "user", content: "x")], addGenerationPrompt: false)) { e in
            XCTAssertEqual("\(e)", "chat template failed: System first")
        }
        XCTAssertTrue(message("{{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}").contains("nested"))
        XCTAssertTrue(message(String(repeating: "{% if x %}", count: 5000)).contains("nested"))
        XCTAssertTrue(message("{{ " + String(repeating: "-", count: 5000) + "1 }}").contains("nested"))
        let unknownFilter = try ChatTemplate(source: "{{ messages | frobnicate }}")
        XCTAssertThrowsError(try unknownFilter.render(messages: [], addGenerationPrompt: false)) { e in
            XCTAssertTrue("\(e)".contains("unknown filter 'frobnicate'") && "\(e)".contains("--chat-template"), "\(e)")
        }
        let undefinedAttr = try ChatTemplate(source: "{{ nothing.here }}")
        XCTAssertThrowsError(try undefinedAttr.render(messages: [], addGenerationPrompt: false))
        XCTAssertThrowsError(try ChatTemplate.builtin(named: "vicuna")) { e in
            XCTAssertTrue("\(e)".contains("vicuna"))
        }
        let tok = try TokenizerFixtures.miniLM()
        XCTAssertThrowsError(try tok.applyChatTemplate([], addGenerationPrompt: true)) { e in
            XCTAssertEqual(e as? ChatTemplateError, .missing)
        }
        XCTAssertEqual(try tok.applyChatTemplate([.init(role: "user", content: "q")], addGenerationPrompt: true, override: "chatml"),
                       "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n")
    }

    func testNamespaceSlicesAndLoopsWithoutLeakingScope() throws {
        let t = try ChatTemplate(source: """
        {%- set ns = namespace(n=0) -%}
        {%- set outer = 'o' -%}
        {%- for m in messages[::-1] if m.role != 'system' -%}
        {%- set outer = 'inner' -%}{%- set ns.n = ns.n + 1 -%}
        {{ loop.index0 }}{{ m.content[:2] }}|
        {%- else -%}empty
        {%- endfor -%}
        {{ outer }}{{ ns.n }}{{ [1, 2] + [3] }}{{ {'a': 1}.get('b', 'z') }}{{ 7 // 2 }}{{ 'x' in 'xyz' }}
        """)
        let text = try t.render(messages: [.init(role: "system", content: "s"), .init(role: "user", content: "hello"),
                                           .init(role: "assistant", content: "world")], addGenerationPrompt: false)
        XCTAssertEqual(text, "0wo|1he|o2[1, 2, 3]z3True")
    }
}
