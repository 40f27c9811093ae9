// Where the signing key comes from, and which keys are refused.
//
// Secrets come only from the environment or a keystore, never from a config file (sources.hpp
// refuses files that hold one):
//   * ZG_PRIVATE_KEY                       64 hex digits ("0x" optional), or
//   * ZG_KEYSTORE = path of a V3 keystore  password from ZG_KEYSTORE_PASSWORD (may be empty), else
//                                          an interactive no-echo prompt (only on a terminal).
// Setting both is an error: which key signs must never be a guess. Parsing and decryption are the
// crypto layer's (crypto::private_key, crypto::decrypt_keystore); this file only chooses.
//
// Mainnet safety: the ten default anvil/hardhat accounts (mnemonic "test test … junk") have
// published private keys; anyone can sweep them. They are refused on mainnet and testnet and
// allowed on devnet. The comparison is by derived address, so the keys themselves are not even
// stored here, and no message ever contains key material.
//
// Loaded keys are registered with the log redaction layer (crypto::secret_registry) so that a key
// that leaks into a log line anyway is scrubbed.
//
// Thread safety: pure functions, except that the password prompt touches the terminal.
#pragma once

#include <zerog/config/profile.hpp>
#include <zerog/config/sources.hpp>
#include <zerog/crypto/address.hpp>
#include <zerog/crypto/keystore.hpp>
#include <zerog/crypto/password.hpp>
#include <zerog/crypto/private_key.hpp>
#include <zerog/crypto/secp256k1_context.hpp>
#include <zerog/crypto/secret_registry.hpp>

#include <array>
#include <functional>
#include <optional>

namespace zerog::config {

/// Addresses of the 10 default anvil/hardhat accounts (the public development keys), index = account number.
inline constexpr std::array<std::string_view, 10> development_account_addresses = {
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65", "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9", "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f", "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
};

/// The account number (0..9) if `a` is a default anvil/hardhat account.
inline std::optional<int> development_account_index(const crypto::address& a) {
    for (std::size_t i = 0; i < development_account_addresses.size(); ++i)
        if (auto d = crypto::address::parse(development_account_addresses[i]); d && *d == a) return static_cast<int>(i);
    return std::nullopt;
}

/// Refuse a development account outside devnet. `origin` names where the key came from
/// ("env:ZG_PRIVATE_KEY"). Errors: unauthorized.
inline result<void> check_key_allowed(const crypto::address& a, network net, std::string_view origin) {
    if (net == network::devnet) return {};
    if (auto i = development_account_index(a))
        return fail(zerog::error(errc::unauthorized,
                                 "the key from " + std::string(origin) + " is anvil/hardhat development account #" +
                                     std::to_string(*i) + " (" + a.to_checksum_hex() +
                                     "), whose private key is public; it is refused on " + std::string(to_string(net)) +
                                     " (allowed only on devnet)")
                        .during("checking the signing key"));
    return {};
}

/// Where a signing key is configured.
struct key_origin {
    enum class kind { none, env, keystore };
    kind from = kind::none;
    std::string where;  ///< "env:ZG_PRIVATE_KEY" or "keystore:PATH"
};

/// What `config show` may say about the key: its origin and its address, nothing else.
struct key_description {
    key_origin origin;
    std::optional<crypto::address> address;
    std::string note;      ///< remark or problem about the key (never key material)
    bool refused = false;  ///< the key is unusable here (invalid, ambiguous, or a development key outside devnet)
};

namespace detail {
inline result<key_origin> find_key_origin(const environment& env) {
    const bool has_raw = env.get("ZG_PRIVATE_KEY").has_value();
    const auto ks = env.get("ZG_KEYSTORE");
    if (has_raw && ks)
        return fail(zerog::error(errc::invalid_argument,
                                 "both ZG_PRIVATE_KEY and ZG_KEYSTORE are set; set only one so that the signing key is unambiguous")
                        .during("locating the signing key"));
    if (has_raw) return key_origin{key_origin::kind::env, "env:ZG_PRIVATE_KEY"};
    if (ks) return key_origin{key_origin::kind::keystore, "keystore:" + *ks};
    return key_origin{};
}
}  // namespace detail

/// Describe the configured key without decrypting anything: the address derived from
/// ZG_PRIVATE_KEY, or the (unauthenticated) `address` field of the keystore. Never fails; problems
/// go to `note`. On mainnet/testnet a development account is reported in `note`.
inline key_description describe_key(const environment& env, network net) {
    key_description d;
    auto origin = detail::find_key_origin(env);
    if (!origin) { d.note = origin.error().detail(); d.refused = true; return d; }
    d.origin = *origin;
    if (d.origin.from == key_origin::kind::env) {
        auto key = crypto::private_key::from_hex(*env.get("ZG_PRIVATE_KEY"));
        if (!key) { d.note = "ZG_PRIVATE_KEY is not a valid key: " + key.error().detail(); d.refused = true; return d; }
        crypto::secret_registry::instance().add_key(byte_span(key->unsafe_bytes().data(), 32));
        d.address = crypto::address_of(*key);
    } else if (d.origin.from == key_origin::kind::keystore) {
        const std::string path = *env.get("ZG_KEYSTORE");
        std::ifstream in(path, std::ios::binary);
        std::ostringstream ss;
        if (in) ss << in.rdbuf();
        boost::system::error_code ec;
        const auto doc = boost::json::parse(ss.str(), ec);
        const boost::json::value* a = (!in || ec || !doc.is_object()) ? nullptr : doc.get_object().if_contains("address");
        if (!in) d.note = "cannot open the keystore file";
        else if (!a || !a->is_string()) d.note = "keystore has no address field (decrypt it to learn the address)";
        else if (auto parsed = crypto::address::parse(std::string("0x") + std::string(a->get_string())); parsed) d.address = *parsed;
        else if (auto parsed2 = crypto::address::parse(a->get_string()); parsed2) d.address = *parsed2;
        else d.note = "keystore address field is not an address";
        if (d.address) d.note = "address as declared by the keystore file (not yet decrypted)";
    }
    if (d.address)
        if (auto ok = check_key_allowed(*d.address, net, d.origin.where); !ok) {
            d.note = ok.error().detail();
            d.refused = true;
        }
    return d;
}

/// A loaded signing key with its address and origin.
struct signing_key {
    crypto::private_key key;
    crypto::address address;
    key_origin origin;
};

/// Supplies the keystore password when ZG_KEYSTORE_PASSWORD is unset (default: the terminal prompt).
using password_source = std::function<result<crypto::secret_string>()>;

/// Load the signing key for `net` from the environment: ZG_PRIVATE_KEY, or ZG_KEYSTORE with
/// ZG_KEYSTORE_PASSWORD / `ask_password`. Returns nullopt when no key is configured (read-only use).
/// Errors: invalid_argument (both set), the crypto layer's parse/decrypt errors (no key material),
/// unauthorized (a development key outside devnet).
inline result<std::optional<signing_key>> load_signing_key(const environment& env, network net,
                                                           password_source ask_password = [] { return crypto::prompt_password(); }) {
    ZEROG_TRY(const key_origin origin, detail::find_key_origin(env));
    if (origin.from == key_origin::kind::none) return std::optional<signing_key>{};
    std::optional<crypto::private_key> key;
    if (origin.from == key_origin::kind::env) {
        auto k = crypto::private_key::from_hex(*env.get("ZG_PRIVATE_KEY")).during("loading the key from ZG_PRIVATE_KEY");
        if (!k) return fail(std::move(k).error());
        key.emplace(std::move(*k));
    } else {
        const std::string path = *env.get("ZG_KEYSTORE");
        std::optional<crypto::secret_string> pw;
        if (auto it = env.vars().find("ZG_KEYSTORE_PASSWORD"); it != env.vars().end()) {
            pw.emplace(std::string_view(it->second));  // an empty password is legal for a keystore
        } else {
            auto asked = ask_password();
            if (!asked) return fail(std::move(asked).error());
            pw.emplace(std::move(*asked));
        }
        auto k = crypto::load_keystore_file(path, pw->view());
        if (!k) return fail(std::move(k).error());
        key.emplace(std::move(*k));
    }
    crypto::secret_registry::instance().add_key(byte_span(key->unsafe_bytes().data(), 32));
    const crypto::address addr = crypto::address_of(*key);
    ZEROG_CHECK(check_key_allowed(addr, net, origin.where));
    return std::optional<signing_key>(signing_key{std::move(*key), addr, origin});
}

}  // namespace zerog::config
