// Revert data: Error(string), Panic(uint256) and custom errors, decoded to readable text.
//
// What a reverted eth_call / eth_estimateGas returns as `data`:
//   * empty                              → a bare `revert()` or out-of-gas (nothing to say);
//   * 0x08c379a0 ‖ abi(string)           → `require(cond, "reason")` / `revert("reason")`;
//   * 0x4e487b71 ‖ abi(uint256)          → a compiler-inserted Panic (overflow, division by zero...);
//   * selector ‖ abi(args)               → a custom error such as
//                                          NotEnoughFee(uint256 price, uint256 sectors, uint256 paid).
// `decode_revert` never fails: a payload it cannot decode is still a revert, and its text then
// says what was wrong with it. Custom errors are looked up in an `error_registry`; the built-in
// one knows the 0G Flow/market errors, every error of the compute contracts (0G compute SDK
// 0.9.0 ABIs) and common OpenZeppelin errors. Text looks like
//   "NotEnoughFee(price=30733644962, sectors=4, paid=0)".
//
// Thread safety: `error_registry::builtin()` is built once (thread-safe static) and then only
// read; a registry you build yourself must not be modified while another thread reads it.
#pragma once

#include <zerog/codec/abi.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace zerog::codec::abi {

inline constexpr std::uint32_t error_string_selector = 0x08c379a0;  ///< Error(string)
inline constexpr std::uint32_t panic_selector = 0x4e487b71;         ///< Panic(uint256)

/// The meaning of a Solidity panic code (docs.soliditylang.org, "Panic via assert").
inline std::string_view panic_meaning(const uint256& code) {
    if (!code.fits_u64()) return "unknown panic code";
    switch (code.low64()) {
    case 0x00: return "generic compiler panic";
    case 0x01: return "assert() failed";
    case 0x11: return "arithmetic overflow or underflow";
    case 0x12: return "division or modulo by zero";
    case 0x21: return "conversion to an invalid enum value";
    case 0x22: return "access to an incorrectly encoded storage byte array";
    case 0x31: return "pop() on an empty array";
    case 0x32: return "array index out of bounds";
    case 0x41: return "out of memory (allocation too large)";
    case 0x51: return "call to a zero-initialized internal function variable";
    default: return "unknown panic code";
    }
}

/// Known custom errors by selector.
class error_registry {
public:
    /// Register "Name(type name, ...)" (names make the text readable; types define the selector).
    result<void> add(std::string_view signature) {
        ZEROG_TRY(auto s, parse_signature(signature));
        const selector sel = function_selector(s.canonical());
        by_selector_[key(sel)] = std::move(s);
        return {};
    }
    const signature* find(const selector& sel) const {
        auto it = by_selector_.find(key(sel));
        return it == by_selector_.end() ? nullptr : &it->second;
    }
    std::size_t size() const noexcept { return by_selector_.size(); }

    /// 0G storage, 0G compute 0.9.0 and common OpenZeppelin errors.
    static const error_registry& builtin() {
        static const error_registry r = [] {
            error_registry reg;
            for (const char* s : builtin_signatures) (void)reg.add(s);
            return reg;
        }();
        return r;
    }

private:
    static std::uint32_t key(const selector& s) {
        return std::uint32_t(s[0]) << 24 | std::uint32_t(s[1]) << 16 | std::uint32_t(s[2]) << 8 | s[3];
    }
    static constexpr const char* builtin_signatures[] = {
        // 0G storage (FixedPriceFlow / market)
        "NotEnoughFee(uint256 price, uint256 sectors, uint256 paid)",
        // 0G compute contracts (LedgerManager, InferenceServing; SDK 0.9.0 ABIs)
        "AccountExists(address user, address provider)",
        "AccountNotExists(address user, address provider)",
        "AdditionalInfoTooLong()",
        "AdditionalInfoTooLong(uint256 length, uint256 max)",
        "AlreadyInitialized()",
        "BatchSizeTooLarge(uint256 size, uint256 max)",
        "CallFailed()",
        "CallerNotLedger(address caller)",
        "CallerNotRegisteredService(address caller)",
        "CannotAddStakeWhenUpdating()",
        "CannotRevokeWithNonZeroBalance(address user, address provider, uint256 balance)",
        "DirectDepositsDisabled()",
        "InsufficientAvailableBalance(uint256 available, uint256 required)",
        "InsufficientBalance(address user)",
        "InsufficientStake(uint256 provided, uint256 required)",
        "InvalidAddress(address addr)",
        "InvalidServiceAddress(address serviceAddress)",
        "InvalidServiceType(string serviceType)",
        "InvalidTEESignature(string reason)",
        "LedgerExists(address user)",
        "LedgerLocked()",
        "LedgerNotExists(address user)",
        "LimitTooLarge(uint256 limit, uint256 max)",
        "LockTimeOutOfRange(uint256 lockTime, uint256 min, uint256 max)",
        "MinimumDepositRequired(uint256 provided, uint256 required)",
        "MustWithdrawAllFundsFirst(uint256 remainingBalance)",
        "NoRecommendedService(string serviceType)",
        "NoSettlementsProvided()",
        "ProviderCannotBeUser()",
        "ServiceAlreadyRegistered(address serviceAddress)",
        "ServiceMustImplementIServing(address serviceAddress)",
        "ServiceNameExists(string serviceName)",
        "ServiceNotExist(address provider)",
        "ServiceNotFound(address serviceAddress)",
        "ServiceNotRegistered(address serviceAddress)",
        "ServiceRegistryLimitReached(uint256 limit)",
        "ServiceTypeRequired()",
        "TooManyProviders(uint256 requested, uint256 maximum)",
        "TooManyProvidersForService(uint256 current, uint256 maximum)",
        "TooManyRefunds(address user, address provider)",
        "TooManySettlements(uint256 count, uint256 max)",
        "TransferFailed()",
        "VersionRequired()",
        "ZeroAddressNotAllowed()",
        "ZeroAmountNotAllowed()",
        // OpenZeppelin 5.x
        "OwnableUnauthorizedAccount(address account)",
        "OwnableInvalidOwner(address owner)",
        "InvalidInitialization()",
        "NotInitializing()",
        "ReentrancyGuardReentrantCall()",
        "AddressEmptyCode(address target)",
        "FailedInnerCall()",
        "AccessControlUnauthorizedAccount(address account, bytes32 neededRole)",
        "ERC1967InvalidImplementation(address implementation)",
        "UUPSUnauthorizedCallContext()",
        "EnforcedPause()",
        "ExpectedPause()",
    };
    std::map<std::uint32_t, signature> by_selector_;
};

/// A decoded revert.
struct revert_reason {
    enum class kinds { empty, error_string, panic, custom, unknown };
    kinds kind = kinds::empty;
    std::string message;       ///< readable text (see file comment)
    selector sel{};            ///< first 4 bytes, when present
    uint256 panic_code;        ///< kind == panic
    std::string name;          ///< custom error name, "Error" or "Panic"
    value::list args;          ///< decoded arguments (error_string: the string; panic: the code)
};

/// Decode revert data (see file comment). Pure; never fails.
inline revert_reason decode_revert(byte_span data, const error_registry& registry = error_registry::builtin()) {
    revert_reason r;
    if (data.empty()) {
        r.message = "reverted without data (revert() or out of gas)";
        return r;
    }
    if (data.size() < 4) {
        r.kind = revert_reason::kinds::unknown;
        r.message = "malformed revert data " + to_hex(data) + " (shorter than a selector)";
        return r;
    }
    std::copy(data.begin(), data.begin() + 4, r.sel.begin());
    const byte_span body = data.subspan(4);
    const std::uint32_t s = std::uint32_t(r.sel[0]) << 24 | std::uint32_t(r.sel[1]) << 16 | std::uint32_t(r.sel[2]) << 8 | r.sel[3];
    auto decode_fixed = [&](type t, std::string label) -> bool {
        auto v = decode(std::vector<type>{std::move(t)}, body);
        if (!v) {
            r.kind = revert_reason::kinds::unknown;
            r.message = "malformed " + label + " revert payload: " + v.error().detail();
            return false;
        }
        r.args = std::move(*v);
        return true;
    };
    if (s == error_string_selector) {
        r.name = "Error";
        if (!decode_fixed(type::string(), "Error(string)")) return r;
        r.kind = revert_reason::kinds::error_string;
        r.message = *r.args[0].as_string();
        return r;
    }
    if (s == panic_selector) {
        r.name = "Panic";
        if (!decode_fixed(type::uint(), "Panic(uint256)")) return r;
        r.kind = revert_reason::kinds::panic;
        r.panic_code = *r.args[0].as_uint();
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02llx", static_cast<unsigned long long>(r.panic_code.low64()));
        r.message = "Panic(" + (r.panic_code.fits_u64() && r.panic_code.low64() < 0x100 ? std::string(hex) : r.panic_code.to_decimal()) +
                    "): " + std::string(panic_meaning(r.panic_code));
        return r;
    }
    if (const signature* sig = registry.find(r.sel)) {
        r.name = sig->name;
        const type t = sig->input_tuple();
        auto v = decode(t, body);
        if (!v) {
            r.kind = revert_reason::kinds::unknown;
            r.message = "malformed " + sig->canonical() + " revert payload: " + v.error().detail();
            return r;
        }
        r.kind = revert_reason::kinds::custom;
        r.args = std::move(*v);
        r.message = sig->name + format(t, value::tuple(r.args));
        return r;
    }
    r.kind = revert_reason::kinds::unknown;
    r.message = "unknown custom error " + to_hex(r.sel) + (body.empty() ? "" : " with " + std::to_string(body.size()) + " bytes of arguments");
    return r;
}

/// A zerog::error (errc::reverted) whose detail is the decoded reason, for callers of eth_call /
/// eth_estimateGas (they add their own "while eth_call (to=…)" frame).
inline zerog::error revert_error(byte_span data, const error_registry& registry = error_registry::builtin()) {
    return zerog::error(errc::reverted, decode_revert(data, registry).message);
}

}  // namespace zerog::codec::abi
