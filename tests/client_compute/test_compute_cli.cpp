// The compute CLI end to end on a CLI-started devnet (`zerog devnet up --providers 2` in a temp
// dir, `down` always): `compute services --json`, idempotent `compute setup`, verified `infer`
// (JSON and stream) with the exact fee from devnet.json's prices, and the bad-signature fault:
// strict failure at that provider, failover to the other one by model; `infer --estimate` (the fee
// compute::estimate_request_fee gives, with both providers down and the nonce unchanged). Runs the built CLI
// ($ZEROG_BUILD_DIR/tools/zerog); skipped with a warning when it is missing. Tag: [compute-client][cli].
#include <zerog/compute/pricing.hpp>
#include <zerog/core/result.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <test_support.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

/// Run a shell command: (exit code, stdout).
std::pair<int, std::string> sh(const std::string& cmd) { return zerog::testing::run_command(cmd); }

struct cli_devnet {
    fs::path exe, dir;
    cli_devnet(fs::path e) : exe(std::move(e)) {
        std::random_device rd;
        dir = fs::temp_directory_path() / ("zerog-compute-cli-test-" + std::to_string(rd()) + std::to_string(rd()));
        fs::create_directories(dir);
        dir = fs::canonical(dir);
    }
    ~cli_devnet() {  // always down (also when a REQUIRE throws)
        sh(devnet("down") + " > /dev/null 2>&1");
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    std::string devnet(const std::string& what) const { return "'" + exe.string() + "' devnet " + what + " --dir '" + dir.string() + "'"; }
    /// A compute command on the devnet profile with the demo account (faucetKey): no key in the environment.
    std::pair<int, std::string> zerog(const std::string& args) const {
        return sh("env -u ZG_PRIVATE_KEY -u ZG_KEYSTORE ZEROG_DEVNET_DIR='" + dir.string() + "' '" + exe.string() + "' " + args +
                  " 2>/dev/null");
    }
};

json::object parse_object(const std::string& s) {
    boost::system::error_code ec;
    auto v = json::parse(s, ec);
    INFO(s);
    REQUIRE_FALSE(ec);
    REQUIRE(v.is_object());
    return v.as_object();
}

std::uint64_t u64(const json::value& v) {
    if (v.is_string()) return std::stoull(std::string(v.get_string()));
    return v.to_number<std::uint64_t>();
}

/// eth_getTransactionCount(addr, "latest") by one plain HTTP/1.0 POST to the devnet RPC
/// (http://127.0.0.1:PORT only; 5 s socket timeouts).
std::uint64_t rpc_nonce(const std::string& url, const std::string& addr) {
    const std::string prefix = "http://127.0.0.1:";
    REQUIRE(url.rfind(prefix, 0) == 0);
    const int port = std::stoi(url.substr(prefix.size()));
    const std::string body = R"({"jsonrpc":"2.0","id":1,"method":"eth_getTransactionCount","params":[")" + addr + R"(","latest"]})";
    const std::string req = "POST / HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body;
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } guard{fd};
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
    std::string res;
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) res.append(buf, static_cast<std::size_t>(n));
    const auto at = res.find("\r\n\r\n");
    INFO(res);
    REQUIRE(at != std::string::npos);
    auto v = json::parse(res.substr(at + 4));
    return std::stoull(std::string(v.at("result").as_string()), nullptr, 16);
}

}  // namespace

TEST_CASE("compute CLI on the devnet: services, setup, infer, failover", "[compute-client][cli]") {
    const char* b = std::getenv("ZEROG_BUILD_DIR");
    const fs::path exe = b ? fs::path(b) / "tools" / "zerog" : fs::path();
    if (exe.empty() || !fs::exists(exe)) {
        WARN("ZEROG_BUILD_DIR/tools/zerog not found: compute CLI test skipped");
        return;
    }
    cli_devnet d(exe);
    {
        auto [rc, out] = sh(d.devnet("up --providers 2") + " 2>&1");
        INFO(out);
        REQUIRE(rc == 0);
    }
    std::ifstream in(d.dir / "devnet.json");
    std::ostringstream ss;
    ss << in.rdbuf();
    const json::object dn = parse_object(ss.str());
    const auto& providers = dn.at("providers").as_array();
    const auto& details = dn.at("providerDetails").as_array();
    REQUIRE(providers.size() == 2);
    REQUIRE(details.size() == 2);
    const std::string p0(providers[0].at("address").as_string()), p1(providers[1].at("address").as_string());
    const std::string model(providers[0].at("model").as_string());
    REQUIRE(std::string(providers[1].at("model").as_string()) == model);  // failover by model needs both

    // services
    {
        auto [rc, out] = d.zerog("compute services --profile devnet --json");
        INFO(out);
        REQUIRE(rc == 0);
        auto v = json::parse(out);
        REQUIRE(v.is_array());
        REQUIRE(v.as_array().size() == 2);
        std::set<std::string> seen;
        for (const auto& s : v.as_array()) {
            seen.insert(std::string(s.at("provider").as_string()));
            CHECK(std::string(s.at("model").as_string()) == model);
            CHECK(s.at("teeSignerAcknowledged").as_bool());
        }
        CHECK(seen == std::set<std::string>{p0, p1});
    }

    // setup: idempotent (the demo account is funded by `up`; a second run sends nothing for sure)
    for (int run = 0; run < 2; ++run) {
        auto [rc, out] = d.zerog("compute setup --profile devnet --deposit 1 --json");
        INFO(out);
        REQUIRE(rc == 0);
        auto o = parse_object(out);
        CHECK(o.at("user").as_string() == dn.at("demoAccount").at("address").as_string());
        if (run == 1) {
            CHECK(o.at("steps").as_array().empty());
            CHECK(o.at("txs").as_array().empty());
        }
    }

    auto price_of = [&](const std::string& provider) {
        for (const auto& dt : details)
            if (std::string(dt.at("address").as_string()) == provider) return std::pair{u64(dt.at("inputPrice")), u64(dt.at("outputPrice"))};
        FAIL("provider " << provider << " not in providerDetails");
        return std::pair<std::uint64_t, std::uint64_t>{};
    };
    auto check_answer = [&](const std::string& out) {
        auto o = parse_object(out);
        for (const char* k : {"content", "provider", "model", "chatId", "usage", "fee", "verified"}) REQUIRE(o.contains(k));
        CHECK(o.at("verified").as_bool());
        CHECK(std::string(o.at("model").as_string()) == model);
        CHECK(std::string(o.at("content").as_string()).find("uryyb") != std::string::npos);  // the emulator answers rot13(prompt)
        CHECK_FALSE(o.at("chatId").as_string().empty());
        const std::uint64_t pt = u64(o.at("usage").at("prompt_tokens")), ct = u64(o.at("usage").at("completion_tokens"));
        CHECK(pt > 0);
        CHECK(ct > 0);
        const auto [in_p, out_p] = price_of(std::string(o.at("provider").as_string()));
        CHECK(std::string(o.at("fee").as_string()) == std::to_string(in_p * pt + out_p * ct));
        return o;
    };
    // infer --estimate: tokens and fee from the chain's prices, exactly what
    // compute::estimate_request_fee gives for the request body; with both providers down (nothing
    // may reach them) and no transaction (the demo account's nonce is unchanged).
    {
        const std::string demo(dn.at("demoAccount").at("address").as_string()), rpc(dn.at("rpc").as_string());
        const std::uint64_t nonce0 = rpc_nonce(rpc, demo);
        REQUIRE(sh(d.devnet("fault --provider 0 --mode down") + " > /dev/null").first == 0);
        REQUIRE(sh(d.devnet("fault --provider 1 --mode down") + " > /dev/null").first == 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        const std::string body = R"({"model":")" + model + R"(","messages":[{"role":"user","content":"hello budget"}],"max_tokens":50})";
        const auto [in_p, out_p] = price_of(p0);
        const auto want = zerog::compute::estimate_request_fee(body, zerog::compute::service_prices{zerog::uint256(in_p), zerog::uint256(out_p)});
        REQUIRE(want);
        REQUIRE(want->tokens.completion_tokens == 50);
        {
            auto [rc, out] = d.zerog("infer --profile devnet --provider " + p0 + " --prompt 'hello budget' --max-tokens 50 --estimate --json");
            INFO(out);
            REQUIRE(rc == 0);
            auto o = parse_object(out);
            CHECK(std::string(o.at("provider").as_string()) == p0);
            CHECK(std::string(o.at("fee").as_string()) == want->total_fee.to_decimal());
            CHECK(std::string(o.at("inputFee").as_string()) == want->input_fee.to_decimal());
            CHECK(u64(o.at("estimatedTokens").at("prompt_tokens")) == want->tokens.prompt_tokens);
            CHECK(u64(o.at("estimatedTokens").at("completion_tokens")) == 50);
            CHECK(std::string(o.at("fee0G").as_string()) == zerog::format_token_amount(want->total_fee));
        }
        {
            auto [rc, out] = d.zerog("infer --profile devnet --model " + model + " --prompt 'hello budget' --max-tokens 50 --estimate");
            INFO(out);
            REQUIRE(rc == 0);
            CHECK(out.find("fee:               " + want->total_fee.to_decimal() + " neuron (" + zerog::format_token_amount(want->total_fee) +
                           " 0G)") != std::string::npos);
            CHECK(out.find("prompt tokens:     " + std::to_string(want->tokens.prompt_tokens) + " (estimated)") != std::string::npos);
            CHECK(out.find("completion tokens: 50 (estimated)") != std::string::npos);
            CHECK(out.find("nothing was sent to the provider") != std::string::npos);
        }
        {  // the providers really are down: a real inference fails
            auto [rc, out] = d.zerog("infer --profile devnet --provider " + p0 + " --prompt hello --json");
            CHECK(rc == 1);
        }
        CHECK(rpc_nonce(rpc, demo) == nonce0);
        REQUIRE(sh(d.devnet("fault --provider 0 --mode none") + " > /dev/null").first == 0);
        REQUIRE(sh(d.devnet("fault --provider 1 --mode none") + " > /dev/null").first == 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }

    {
        auto [rc, out] = d.zerog("infer --profile devnet --model " + model + " --prompt hello --json");
        INFO(out);
        REQUIRE(rc == 0);
        check_answer(out);
    }
    {
        auto [rc, out] = d.zerog("infer --profile devnet --model " + model + " --prompt hello --stream --json");
        INFO(out);
        REQUIRE(rc == 0);
        check_answer(out);
    }
    {
        auto [rc, out] = d.zerog("infer --profile devnet --model " + model + " --prompt hello --stream");
        INFO(out);
        REQUIRE(rc == 0);
        CHECK(out.find("uryyb") != std::string::npos);
        CHECK(out.find("verified yes") != std::string::npos);
    }

    // bad-signature at provider 0: strict failure there, failover by model to provider 1
    REQUIRE(sh(d.devnet("fault --provider 0 --mode bad-signature") + " > /dev/null").first == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    {
        auto [rc, out] = d.zerog("infer --profile devnet --provider " + p0 + " --prompt hello --json");
        INFO(out);
        CHECK(rc == 1);
        auto o = parse_object(out);
        REQUIRE(o.contains("error"));
        CHECK(std::string(o.at("error").at("code").as_string()).find("verif") != std::string::npos);
    }
    {
        auto [rc, out] = d.zerog("infer --profile devnet --model " + model + " --prompt hello --json");
        INFO(out);
        REQUIRE(rc == 0);
        auto o = check_answer(out);
        CHECK(std::string(o.at("provider").as_string()) == p1);
    }
    REQUIRE(sh(d.devnet("fault --provider 0 --mode none") + " > /dev/null").first == 0);
    REQUIRE(sh(d.devnet("down") + " > /dev/null").first == 0);
}
