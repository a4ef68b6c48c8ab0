// lorasb-logits: what llama.cpp computes for given token ids, to check lorasb against.
// Built by scripts/llama-cpp.sh against the vendored llama.cpp's include/llama.h (the API of
// that exact version); nlohmann/json comes from the same vendored tree.
//
//   lorasb-logits --model M.gguf [--lora ADAPTER.gguf] --prompts IN.json --out OUT.json
//                 [--top-k 10] [--probe-ids 0,13,...] [--positions K] [--greedy N]
//                 [--threads 1] [--full-logits DIR]
//
// IN.json: {"prompts": [{"name": "...", "tokens": [ids...], "text": "..."}]}; "tokens" are
// evaluated as given; "text", if present, is also tokenized by llama.cpp (special tokens added
// as the model's metadata says, special tokens in the text parsed) so the caller can check both
// tools see the same ids.
// OUT.json, per prompt: for the last K positions (all if K = 0) the top-k ids and logits and the
// logits at the probe ids; the greedy continuation (argmax, N tokens or up to an end-of-generation
// token, which is included), the margin between the best and second-best logit at each greedy
// step (a small margin means a near-tie, where two correct implementations may part ways), and
// its text, whole and per token. --full-logits writes each prompt's whole last-position row as raw float32
// (DIR/<name>.f32), too big for a fixture but the sharpest comparison.
//
// Deterministic: one context, its memory cleared before each prompt, fixed thread count. The KV
// cache is kept in f32 and flash attention off so that the only approximation left is llama.cpp's
// own matrix products (quantised weights times Q8-quantised activations).
#include "llama.h"
#include "nlohmann/json.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

using json = nlohmann::ordered_json;

namespace {

[[noreturn]] void fail(const std::string & message) {
    std::fprintf(stderr, "lorasb-logits: %s\n", message.c_str());
    std::exit(1);
}

struct Options {
    std::string model, lora, prompts, out, fullLogitsDir;
    int topK = 10, positions = 0, greedy = 16, threads = 1;
    std::vector<llama_token> probeIds;
};

Options parse(int argc, char ** argv) {
    Options o;
    for (int i = 1; i < argc; i++) {
        std::string flag = argv[i];
        if (i + 1 >= argc) fail("missing value after " + flag);
        std::string value = argv[++i];
        if (flag == "--model") o.model = value;
        else if (flag == "--lora") o.lora = value;
        else if (flag == "--prompts") o.prompts = value;
        else if (flag == "--out") o.out = value;
        else if (flag == "--full-logits") o.fullLogitsDir = value;
        else if (flag == "--top-k") o.topK = std::stoi(value);
        else if (flag == "--positions") o.positions = std::stoi(value);
        else if (flag == "--greedy") o.greedy = std::stoi(value);
        else if (flag == "--threads") o.threads = std::stoi(value);
        else if (flag == "--probe-ids") {
            std::stringstream ss(value);
            std::string item;
            while (std::getline(ss, item, ',')) if (!item.empty()) o.probeIds.push_back(std::stoi(item));
        } else fail("unknown flag " + flag);
    }
    if (o.model.empty() || o.prompts.empty() || o.out.empty()) fail("--model, --prompts and --out are required");
    return o;
}

void quietLog(ggml_log_level level, const char * text, void *) {
    if (level >= GGML_LOG_LEVEL_WARN) std::fputs(text, stderr);
}

// The ids of the k largest logits, largest first (ties: smaller id first).
std::vector<llama_token> topIds(const float * row, int nVocab, int k) {
    std::vector<llama_token> ids(nVocab);
    std::iota(ids.begin(), ids.end(), 0);
    k = std::min(k, nVocab);
    std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [row](llama_token a, llama_token b) {
        return row[a] > row[b] || (row[a] == row[b] && a < b);
    });
    ids.resize(k);
    return ids;
}

std::vector<llama_token> tokenize(const llama_vocab * vocab, const std::string & text) {
    int n = -llama_tokenize(vocab, text.c_str(), (int32_t) text.size(), nullptr, 0, true, true);
    std::vector<llama_token> ids(n);
    if (llama_tokenize(vocab, text.c_str(), (int32_t) text.size(), ids.data(), n, true, true) != n)
        fail("tokenizing \"" + text + "\" failed");
    return ids;
}

std::string detokenize(const llama_vocab * vocab, const std::vector<llama_token> & ids) {
    std::string text;
    char buf[256];
    for (llama_token id : ids) {
        int n = llama_token_to_piece(vocab, id, buf, sizeof buf, 0, false);  // special tokens: no text
        if (n < 0) fail("token " + std::to_string(id) + " has a piece longer than 256 bytes");
        text.append(buf, n);
    }
    return text;
}

// Runs `tokens` from position `start`, asking for the logits of every position in `wanted`.
void decode(llama_context * ctx, const std::vector<llama_token> & tokens, int start, const std::vector<bool> & wanted) {
    llama_batch batch = llama_batch_init((int32_t) tokens.size(), 0, 1);
    for (size_t i = 0; i < tokens.size(); i++) {
        batch.token[i] = tokens[i];
        batch.pos[i] = start + (llama_pos) i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = wanted[i];
    }
    batch.n_tokens = (int32_t) tokens.size();
    int rc = llama_decode(ctx, batch);
    llama_batch_free(batch);
    if (rc != 0) fail("llama_decode returned " + std::to_string(rc));
}

}  // namespace

int main(int argc, char ** argv) {
    Options o = parse(argc, argv);
    llama_log_set(quietLog, nullptr);
    llama_backend_init();

    std::ifstream in(o.prompts);
    if (!in) fail("cannot read --prompts " + o.prompts);
    json input = json::parse(in);

    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    mp.progress_callback = [](float, void *) { return true; };  // no progress dots on stderr
    llama_model * model = llama_model_load_from_file(o.model.c_str(), mp);
    if (!model) fail("cannot load --model " + o.model);
    const llama_vocab * vocab = llama_model_get_vocab(model);
    const int nVocab = llama_vocab_n_tokens(vocab);

    size_t longest = 0;
    for (auto & p : input["prompts"]) longest = std::max(longest, p["tokens"].size());
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t) (longest + o.greedy + 16);
    cp.n_batch = cp.n_ubatch = (uint32_t) std::max<size_t>(longest, 32);
    cp.n_seq_max = 1;
    cp.n_threads = cp.n_threads_batch = o.threads;
    cp.type_k = cp.type_v = GGML_TYPE_F32;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.no_perf = true;
    llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) fail("cannot create a context for " + o.model);

    if (!o.lora.empty()) {
        llama_adapter_lora * adapter = llama_adapter_lora_init(model, o.lora.c_str());
        if (!adapter) fail("cannot load --lora " + o.lora);
        float scale = 1.0f;
        if (llama_set_adapters_lora(ctx, &adapter, 1, &scale) != 0) fail("cannot set --lora " + o.lora + " on the context");
    }

    json results = json::array();
    for (auto & p : input["prompts"]) {
        std::string name = p["name"];
        std::vector<llama_token> tokens = p["tokens"].get<std::vector<llama_token>>();
        if (tokens.empty()) fail("prompt " + name + " has no tokens");
        for (llama_token t : tokens) if (t < 0 || t >= nVocab) fail("prompt " + name + ": token " + std::to_string(t) + " out of range");
        llama_memory_clear(llama_get_memory(ctx), true);

        const int n = (int) tokens.size();
        const int first = o.positions > 0 ? std::max(0, n - o.positions) : 0;
        std::vector<bool> wanted(n);
        for (int i = first; i < n; i++) wanted[i] = true;
        decode(ctx, tokens, 0, wanted);

        json positions = json::array();
        std::vector<float> lastRow;
        for (int i = first; i < n; i++) {
            const float * row = llama_get_logits_ith(ctx, i);
            if (!row) fail("no logits for position " + std::to_string(i) + " of " + name);
            std::vector<llama_token> top = topIds(row, nVocab, o.topK);
            json topLogits = json::array(), probes = json::array();
            for (llama_token t : top) topLogits.push_back(row[t]);
            for (llama_token t : o.probeIds) probes.push_back(t < nVocab ? row[t] : 0.0f);
            positions.push_back({{"position", i}, {"top_ids", top}, {"top_logits", topLogits}, {"probe_logits", probes}});
            if (i == n - 1) lastRow.assign(row, row + nVocab);
        }

        json entry = {{"name", name}, {"tokens", tokens}};
        if (p.contains("text")) entry["llama_cpp_tokens"] = tokenize(vocab, p["text"].get<std::string>());
        entry["positions"] = positions;

        if (!o.fullLogitsDir.empty()) {
            std::string path = o.fullLogitsDir + "/" + name + ".f32";
            std::ofstream f(path, std::ios::binary);
            if (!f) fail("cannot write " + path);
            f.write(reinterpret_cast<const char *>(lastRow.data()), (std::streamsize) (lastRow.size() * sizeof(float)));
            entry["full_logits_file"] = path;
        }

        // Greedy continuation from the last position's logits.
        std::vector<llama_token> greedy;
        json margins = json::array();
        std::vector<float> row = lastRow;
        for (int step = 0; step < o.greedy; step++) {
            std::vector<llama_token> best = topIds(row.data(), nVocab, 2);
            greedy.push_back(best[0]);
            margins.push_back(row[best[0]] - row[best[1]]);
            if (llama_vocab_is_eog(vocab, best[0]) || step + 1 == o.greedy) break;
            decode(ctx, {best[0]}, n + step, {true});
            const float * next = llama_get_logits_ith(ctx, -1);
            row.assign(next, next + nVocab);
        }
        entry["greedy_tokens"] = greedy;
        entry["greedy_margins"] = margins;
        entry["greedy_text"] = detokenize(vocab, greedy);
        json pieces = json::array();
        for (llama_token t : greedy) pieces.push_back(detokenize(vocab, {t}));
        entry["greedy_pieces"] = pieces;
        results.push_back(entry);
    }

    json output = {
        {"model", o.model}, {"lora", o.lora.empty() ? json(nullptr) : json(o.lora)},
        {"n_vocab", nVocab}, {"threads", o.threads}, {"kv_cache", "f32"}, {"flash_attention", false},
        {"probe_ids", o.probeIds}, {"prompts", results},
    };
    std::ofstream out(o.out);
    if (!out) fail("cannot write --out " + o.out);
    // A token may end inside a UTF-8 sequence: such bytes become U+FFFD rather than an error.
    out << output.dump(1, ' ', false, json::error_handler_t::replace) << "\n";

    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
