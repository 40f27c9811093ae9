// Helpers for the configuration tests: temporary directories and files, and problem lookups.
#pragma once

#include <zerog/config/config.hpp>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace zerog::config::testing {

/// A fresh directory under $TMPDIR, removed on destruction.
class temp_dir {
public:
    temp_dir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "zerog-config-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::string& path() const { return path_; }
    /// Write `text` to `name` inside the directory; returns the full path.
    std::string write(const std::string& name, const std::string& text) const {
        const std::string p = path_ + "/" + name;
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }

private:
    std::string path_;
};

/// The problems whose field equals `field`.
inline std::vector<problem> problems_for(const std::vector<problem>& ps, const std::string& field) {
    std::vector<problem> out;
    for (const auto& p : ps)
        if (p.field == field) out.push_back(p);
    return out;
}

/// All problems as one text (what a user would see).
inline std::string all_text(const std::vector<problem>& ps) {
    std::string s;
    for (const auto& p : ps) s += p.to_string() + "\n";
    return s;
}

/// The public anvil/hardhat development keys (well known, never for value; index = account number).
inline const char* const dev_keys[10] = {
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
};

/// A key that is not a development key (keccak("zerog config test") would do; any valid scalar).
inline const char* const other_key = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

/// A valid devnet.json (all fields), with the faucet key = development key #0.
inline std::string valid_devnet_json() {
    return R"({
  "chainId": 31337,
  "rpc": "http://127.0.0.1:18545",
  "indexer": ["http://127.0.0.1:12345"],
  "nodes": ["http://127.0.0.1:5678", "http://127.0.0.1:5679"],
  "flow": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  "market": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
  "ledger": "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
  "inference": "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
  "providers": [{"address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "url": "http://127.0.0.1:18080", "model": "echo-1"}],
  "faucetKey": "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "extraFieldFromANewerTool": true
})";
}

}  // namespace zerog::config::testing
