// The on-chain half of the compute client: discovery on InferenceServing and the user's ledger,
// sub-accounts, acknowledgement and token revocation (docs/protocol/compute.md §3.2, §4.1–§4.2, §4.8).
//
// Reads are eth_calls; writes are real transactions through chain::tx_sender (chain-id check,
// gas estimation — a revert fails there with the decoded custom error, before anything is sent —,
// nonce allocation, receipt wait). Every network operation runs under client::guarded_call with a
// deadline from the options. Each write carries a fresh idempotency key, so a retry of the same
// logical write inside guarded_call never sends it twice, while two calls are two payments.
// Amounts are exact uint256 neuron; parse user input with parse_token_amount (core/amount.hpp).
//
// Reverts the client turns into precise codes: AccountNotExists / LedgerNotExists /
// ServiceNotExist → errc::not_found (reads answer nullopt instead).
//
// Thread safety: methods may run concurrently (tx_sender allocates nonces for concurrent sends);
// the service-name cache is guarded. The policy set passed in must outlive the object.
#pragma once

#include <zerog/chain/tx_sender.hpp>
#include <zerog/client/compute_types.hpp>
#include <zerog/core/ref.hpp>
#include <zerog/client/endpoint_choice.hpp>
#include <zerog/client/pipeline.hpp>
#include <zerog/policy/endpoint_selector.hpp>

#include <mutex>

namespace zerog::client {

namespace asio = boost::asio;

/// Contract reads and user transactions of the compute client. See the file comment.
template <class Policies>
class compute_chain {
public:
    using transport_type = typename Policies::transport_type;
    using signer_type = typename Policies::signer_type;
    using signer_handle = zerog::ref<const signer_type>;
    using eth_type = chain::eth_client<transport_type>;
    using sender_type = chain::tx_sender<transport_type, signer_handle>;

    using selector_type = policy::endpoint_selector<typename Policies::breaker_type, typename Policies::clock_type>;

    /// `selector` (the client's, outliving this) orders the RPC endpoints of every call.
    compute_chain(Policies& p, const compute_client_options& o, selector_type& selector)
        : p_(p), o_(o), endpoint_(redact_endpoint(o.rpc_urls.empty() ? std::string() : o.rpc_urls.front())),
          eth_(p.transport, rpc_endpoints(o), selected_by(selector)),
          sender_(eth_type(p.transport, rpc_endpoints(o), selected_by(selector)), signer_handle{&p.signer}, tx_options(o)) {}

    /// `rpc_urls` in order: the chain calls fail over across them.
    static std::vector<std::string> rpc_endpoints(const compute_client_options& o) {
        std::vector<std::string> v = o.rpc_urls;
        return v;
    }
    compute_chain(const compute_chain&) = delete;
    compute_chain& operator=(const compute_chain&) = delete;

    crypto::address user() const { return crypto::address(p_.signer.address()); }

    // ---------------------------------------------------------------- discovery

    /// Every registered service (getAllServices, paged by 50 until `total`).
    asio::awaitable<result<std::vector<compute_service>>> services_async() {
        std::vector<compute_service> all;
        for (std::uint64_t offset = 0;;) {
            ZEROG_CO_TRY(auto data, codec::abi::encode_call("getAllServices(uint256,uint256)", uint256(offset), uint256(compute_abi::max_page)));
            ZEROG_CO_TRY(auto ret, co_await view_async("getAllServices", o_.inference, std::move(data)));
            ZEROG_CO_TRY(auto page, compute_abi::decode_service_page(ret));
            const std::size_t n = page.first.size();
            for (auto& s : page.first) all.push_back(std::move(s));
            offset += n;
            if (n == 0 || offset >= page.second) break;
        }
        co_return all;
    }

    /// Usable services (owner-acknowledged TEE signer) serving `model` ("" = any), in contract order.
    asio::awaitable<result<std::vector<compute_service>>> services_for_model_async(std::string model) {
        ZEROG_CO_TRY(auto all, co_await services_async());
        std::vector<compute_service> out;
        for (auto& s : all)
            if (s.usable() && (model.empty() || s.model == model)) out.push_back(std::move(s));
        co_return out;
    }

    /// getService(provider). Errors: errc::not_found (no such service).
    asio::awaitable<result<compute_service>> service_async(crypto::address provider) {
        ZEROG_CO_TRY(auto data, codec::abi::encode_call("getService(address)", provider));
        auto ret = co_await view_async("getService", o_.inference, std::move(data));
        if (!ret) co_return not_found_or(std::move(ret).error(), "ServiceNotExist", "no compute service registered for provider " + provider.to_checksum_hex());
        co_return compute_abi::decode_service(*ret);
    }

    // ---------------------------------------------------------------- reads of the user's state

    /// getLedger(user): nullopt when the user has no ledger.
    asio::awaitable<result<std::optional<compute_ledger>>> ledger_async() {
        ZEROG_CO_TRY(auto data, codec::abi::encode_call("getLedger(address)", user()));
        auto ret = co_await view_async("getLedger", o_.ledger, std::move(data));
        if (!ret) {
            if (mentions(ret.error(), "LedgerNotExists")) co_return std::optional<compute_ledger>();
            co_return fail(std::move(ret).error());
        }
        ZEROG_CO_TRY(auto l, compute_abi::decode_ledger(*ret));
        co_return std::optional<compute_ledger>(std::move(l));
    }

    /// getAccount(user, provider): nullopt when there is no sub-account.
    asio::awaitable<result<std::optional<compute_account>>> account_async(crypto::address provider) {
        ZEROG_CO_TRY(auto data, codec::abi::encode_call("getAccount(address,address)", user(), provider));
        auto ret = co_await view_async("getAccount", o_.inference, std::move(data));
        if (!ret) {
            if (mentions(ret.error(), "AccountNotExists")) co_return std::optional<compute_account>();
            co_return fail(std::move(ret).error());
        }
        ZEROG_CO_TRY(auto a, compute_abi::decode_account(*ret));
        co_return std::optional<compute_account>(std::move(a));
    }

    /// LedgerManager.getServiceInfo(inference).fullName: the `serviceName` of transferFund and
    /// retrieveFund (§1: read, never hard-coded). Cached after the first read.
    asio::awaitable<result<std::string>> service_name_async() {
        {
            std::lock_guard lk(m_);
            if (!service_name_.empty()) co_return service_name_;
        }
        ZEROG_CO_TRY(auto data, codec::abi::encode_call("getServiceInfo(address)", o_.inference));
        ZEROG_CO_TRY(auto ret, co_await view_async("getServiceInfo", o_.ledger, std::move(data)));
        ZEROG_CO_TRY(auto t, codec::abi::decode("((address,address,string,string,string,string,bool,uint256))", ret));
        const auto* f = t.size() == 1 ? t[0].as_list() : nullptr;
        const std::string* name = f && f->size() == 8 ? (*f)[4].as_string() : nullptr;
        if (!name || name->empty()) co_return fail(errc::malformed_response, "getServiceInfo: no fullName for the inference contract");
        std::lock_guard lk(m_);
        service_name_ = *name;
        co_return service_name_;
    }

    // ---------------------------------------------------------------- transactions

    /// addLedger("") with `amount` (≥ 3 0G). Errors: invalid_argument before sending, chain errors.
    asio::awaitable<result<chain::tx_outcome>> add_ledger_async(uint256 amount) {
        if (amount < min_ledger_deposit)
            co_return fail(errc::invalid_argument, "a new ledger needs at least 3 0G (MIN_ACCOUNT_BALANCE), got " + format_token_amount(amount) + " 0G");
        ZEROG_CO_TRY(auto data, codec::abi::encode_call("addLedger(string)", std::string()));
        co_return co_await send_async("addLedger", o_.ledger, std::move(data), amount);
    }
    /// depositFund() with `amount`.
    asio::awaitable<result<chain::tx_outcome>> deposit_fund_async(uint256 amount) {
        if (amount.is_zero()) co_return fail(errc::invalid_argument, "deposit amount must be positive");
        ZEROG_CO_TRY(auto data, codec::abi::encode_call("depositFund()"));
        co_return co_await send_async("depositFund", o_.ledger, std::move(data), amount);
    }
    /// transferFund(provider, serviceName, amount): ledger → sub-account (the first one ≥ 1 0G,
    /// which creates the account and acknowledges the TEE signer).
    asio::awaitable<result<chain::tx_outcome>> transfer_fund_async(crypto::address provider, uint256 amount) {
        if (amount.is_zero()) co_return fail(errc::invalid_argument, "transfer amount must be positive");
        ZEROG_CO_TRY(std::string name, co_await service_name_async());
        ZEROG_CO_TRY(auto data, codec::abi::encode_call("transferFund(address,string,uint256)", provider, name, amount));
        co_return co_await send_async("transferFund", o_.ledger, std::move(data), uint256(0));
    }
    /// retrieveFund(providers, serviceName): start (or collect matured) refunds (≤ 20 providers).
    asio::awaitable<result<chain::tx_outcome>> retrieve_fund_async(std::vector<crypto::address> providers) {
        if (providers.empty() || providers.size() > 20) co_return fail(errc::invalid_argument, "retrieveFund takes 1 to 20 providers");
        ZEROG_CO_TRY(std::string name, co_await service_name_async());
        ZEROG_CO_TRY(auto data, codec::abi::encode_call("retrieveFund(address[],string)", providers, name));
        co_return co_await send_async("retrieveFund", o_.ledger, std::move(data), uint256(0));
    }
    /// refund(amount): ledger → wallet.
    asio::awaitable<result<chain::tx_outcome>> refund_async(uint256 amount) {
        if (amount.is_zero()) co_return fail(errc::invalid_argument, "refund amount must be positive");
        ZEROG_CO_TRY(auto data, codec::abi::encode_call("refund(uint256)", amount));
        co_return co_await send_async("refund", o_.ledger, std::move(data), uint256(0));
    }
    /// acknowledgeTEESigner(provider, true): the user trusts the owner's TEE acknowledgement.
    /// Refused before sending when the owner has not acknowledged the service's TEE signer.
    asio::awaitable<result<chain::tx_outcome>> acknowledge_async(crypto::address provider) {
        ZEROG_CO_TRY(auto svc, co_await service_async(provider));
        if (!svc.usable()) co_return fail(unacknowledged_service(svc));
        ZEROG_CO_TRY(auto data, codec::abi::encode_call("acknowledgeTEESigner(address,bool)", provider, true));
        co_return co_await send_async("acknowledgeTEESigner", o_.inference, std::move(data), uint256(0));
    }
    /// revokeToken(provider, tokenId) (persistent API keys 0–254).
    asio::awaitable<result<chain::tx_outcome>> revoke_token_async(crypto::address provider, std::uint8_t token_id) {
        ZEROG_CO_TRY(auto data, codec::abi::encode_call("revokeToken(address,uint8)", provider, token_id));
        co_return co_await send_async("revokeToken", o_.inference, std::move(data), uint256(0));
    }
    /// revokeAllTokens(provider): generation++, every session token for the provider dies.
    asio::awaitable<result<chain::tx_outcome>> revoke_all_tokens_async(crypto::address provider) {
        ZEROG_CO_TRY(auto data, codec::abi::encode_call("revokeAllTokens(address)", provider));
        co_return co_await send_async("revokeAllTokens", o_.inference, std::move(data), uint256(0));
    }

    /// The error for a service whose TEE signer the contract owner has not acknowledged.
    static zerog::error unacknowledged_service(const compute_service& s) {
        return zerog::error(errc::unauthorized, "the TEE signer of provider " + s.provider.to_checksum_hex() +
                                                    " is not acknowledged by the contract owner (teeSignerAcknowledged=false); "
                                                    "its answers cannot be verified, refusing to use it");
    }

    eth_type& eth() noexcept { return eth_; }
    sender_type& sender() noexcept { return sender_; }

private:
    static chain::tx_sender_options tx_options(const compute_client_options& o) {
        chain::tx_sender_options t;
        t.chain_id = o.chain_id;
        t.timeout = o.finality_timeout;
        return t;
    }
    static bool mentions(const zerog::error& e, std::string_view name) {
        return e.is(errc::reverted) && e.detail().find(name) != std::string::npos;
    }
    static zerog::error not_found_or(zerog::error e, std::string_view revert_name, std::string text) {
        if (mentions(e, revert_name)) return zerog::error(errc::not_found, std::move(text));
        return e;
    }

    asio::awaitable<result<bytes>> view_async(std::string_view op, crypto::address to, bytes data) {
        const auto deadline = p_.clock.now() + o_.rpc_timeout;
        const call_context ctx{op, endpoint_, o_.user, deadline};
        net::request_options ro = eth_.options_until(deadline);
        ro.connect_timeout = std::min(ro.connect_timeout, o_.connect_timeout);
        chain::call_request c;
        c.to = to;
        c.data = std::move(data);
        auto op_fn = [this, &c, &ro]() { return eth_.call_async(c, chain::block_tag::latest(), ro); };
        co_return co_await guarded_call(p_, ctx, op_fn);
    }

    asio::awaitable<result<chain::tx_outcome>> send_async(std::string_view op, crypto::address to, bytes data, uint256 value) {
        chain::tx_request r;
        r.to = to;
        r.value = value;
        r.data = std::move(data);
        // Unique per logical write: retries inside guarded_call find the first attempt's hashes.
        fixed_bytes<16> id;
        if (auto ok = compute::os_random_bytes(std::span<byte>(id.data(), id.size())); !ok) co_return fail(std::move(ok).error());
        r.idempotency_key = "compute:" + std::string(op) + ":" + to_hex(id, false);
        const auto deadline = p_.clock.now() + o_.finality_timeout;
        const call_context ctx{op, endpoint_, o_.user, deadline};
        auto op_fn = [this, &r]() { return sender_.send_async(r); };
        auto out = co_await guarded_call(p_, ctx, op_fn);
        {
            const policy::field l[] = {{"kind", op}, {"outcome", out ? std::string_view("ok") : out.error().code_name()}};
            p_.telemetry.count("zerog_payments_total", 1, l);
        }
        if (!out) co_return fail(std::move(out).error().during(std::string(op)));
        co_return out;
    }

    Policies& p_;
    const compute_client_options& o_;
    std::string endpoint_;
    eth_type eth_;
    sender_type sender_;
    std::mutex m_;
    std::string service_name_;
};

}  // namespace zerog::client
