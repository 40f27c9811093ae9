// Test double for the Persistence policy family, NamespaceStore included (unit tests only; no
// production header includes it).
// Moved out of the family's header so that production code never carries mock code.
#pragma once

#include <zerog/policy/persistence.hpp>

#include <concepts>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace zerog::testing {

using namespace zerog::policy;  // mocks are written against the policy vocabulary

/// memory_persistence plus a call log and an injectable failure for every call.
class mock_persistence {
public:
    static constexpr bool durable = false;
    static constexpr bool remembers = true;
    std::vector<std::string> calls;
    std::optional<zerog::error> fail_next;  ///< returned (once) by the next call

    result<submission_claim> claim_submission(const submission_record& r, std::string_view tx_key, std::int64_t stale_before,
                                              std::string_view dead_owner) {
        calls.push_back("claim:" + to_hex(r.root));
        if (auto e = take()) return fail(std::move(*e));
        return mem_.claim_submission(r, tx_key, stale_before, dead_owner);
    }
    result<std::vector<submission_record>> list_submissions(const submission_filter& f) {
        calls.push_back("list");
        if (auto e = take()) return fail(std::move(*e));
        return mem_.list_submissions(f);
    }
    result<void> put_tx(const tx_record& r) {
        calls.push_back("put_tx:" + r.key);
        if (auto e = take()) return fail(std::move(*e));
        return mem_.put_tx(r);
    }
    result<std::optional<tx_record>> find_tx(const std::string& key) {
        calls.push_back("find_tx:" + key);
        if (auto e = take()) return fail(std::move(*e));
        return mem_.find_tx(key);
    }
    result<void> put_submission(const submission_record& r) {
        calls.push_back("put:" + to_hex(r.root));
        if (auto e = take()) return fail(std::move(*e));
        return mem_.put_submission(r);
    }
    result<std::optional<submission_record>> find_submission(const hash256& root, std::string_view n) {
        calls.push_back("find:" + to_hex(root));
        if (auto e = take()) return fail(std::move(*e));
        return mem_.find_submission(root, n);
    }
    result<void> add_spend(std::string_view a, std::string_view p, const uint256& amount) {
        calls.push_back("add_spend:" + std::string(p));
        if (auto e = take()) return fail(std::move(*e));
        return mem_.add_spend(a, p, amount);
    }
    result<uint256> spend(std::string_view a, std::string_view p) {
        calls.push_back("spend:" + std::string(p));
        if (auto e = take()) return fail(std::move(*e));
        return mem_.spend(a, p);
    }
    result<void> add_usage(std::string_view user, std::string_view kind, std::int64_t period, const uint256& amount) {
        calls.push_back("add_usage:" + std::string(user) + ":" + std::string(kind));
        if (auto e = take()) return fail(std::move(*e));
        return mem_.add_usage(user, kind, period, amount);
    }
    result<std::vector<usage_record>> load_usage(std::string_view user) {
        calls.push_back("load_usage:" + std::string(user));
        if (auto e = take()) return fail(std::move(*e));
        return mem_.load_usage(user);
    }
    // ---- the namespace registry (NamespaceStore) ----------------------------------------------
    result<void> add_namespace(const namespace_record& r) {
        calls.push_back("add_namespace:" + r.name);
        if (auto e = take()) return fail(std::move(*e));
        return mem_.add_namespace(r);
    }
    result<void> update_namespace(const namespace_record& r) {
        calls.push_back("update_namespace:" + r.name);
        if (auto e = take()) return fail(std::move(*e));
        return mem_.update_namespace(r);
    }
    result<std::optional<namespace_record>> find_namespace(std::string_view network, std::string_view name) {
        calls.push_back("find_namespace:" + std::string(name));
        if (auto e = take()) return fail(std::move(*e));
        return mem_.find_namespace(network, name);
    }
    result<std::optional<namespace_record>> find_namespace_by_stream(std::string_view network, const hash256& stream) {
        calls.push_back("find_namespace_by_stream:" + to_hex(stream));
        if (auto e = take()) return fail(std::move(*e));
        return mem_.find_namespace_by_stream(network, stream);
    }
    result<std::vector<namespace_record>> list_namespaces(std::string_view network) {
        calls.push_back("list_namespaces:" + std::string(network));
        if (auto e = take()) return fail(std::move(*e));
        return mem_.list_namespaces(network);
    }
    result<bool> remove_namespace(std::string_view network, std::string_view name) {
        calls.push_back("remove_namespace:" + std::string(name));
        if (auto e = take()) return fail(std::move(*e));
        return mem_.remove_namespace(network, name);
    }

private:
    std::optional<zerog::error> take() {
        auto e = std::move(fail_next);
        fail_next.reset();
        return e;
    }
    memory_persistence mem_;
};
static_assert(Persistence<mock_persistence>);
static_assert(NamespaceStore<mock_persistence>);

}  // namespace zerog::testing
