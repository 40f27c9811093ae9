// Transactions: EIP-155 known answer, EIP-1559 and EIP-2930 round trips, validation and hostile raw inputs.
#include <zerog/chain/transaction.hpp>
#include <zerog/crypto/secp256k1_signer.hpp>

#include <catch2/catch.hpp>

using namespace zerog;
using namespace zerog::chain;

namespace {
bytes hx(std::string_view s) { return from_hex(s).value(); }
crypto::address addr(std::string_view s) { return crypto::address::parse(s).value(); }
// anvil/hardhat development key #0 (public, worthless)
constexpr const char* anvil0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// Signs with one key but claims another address: sign_transaction must notice.
struct lying_signer {
    crypto::secp256k1_signer inner;
    crypto::address address() const { return addr("0x1111111111111111111111111111111111111111"); }
    result<crypto::signature> sign_digest(const hash256& d) const { return inner.sign_digest(d); }
};
}  // namespace

TEST_CASE("tx: EIP-155 example from the EIP", "[codec][tx]") {
    // The worked example in EIP-155 (key 0x4646…46 is the EIP's published test key).
    const auto signer = crypto::secp256k1_signer::from_hex("0x4646464646464646464646464646464646464646464646464646464646464646").value();
    legacy_tx t;
    t.chain_id = 1;
    t.nonce = 9;
    t.gas_price = uint256(20000000000ULL);
    t.gas = 21000;
    t.to = addr("0x3535353535353535353535353535353535353535");
    t.value = uint256(1000000000000000000ULL);
    CHECK(to_hex(signing_hash(t).value()) == "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
    const auto s = sign_transaction(t, signer).value();
    CHECK(to_hex(s.raw) ==
          "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff"
          "63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83");
    CHECK(s.sender == signer.address());
    CHECK(s.hash == crypto::keccak256(s.raw));
    const auto d = decode_raw_transaction(s.raw).value();
    CHECK(std::get<legacy_tx>(d.tx) == t);
    CHECK(d.sender == signer.address());
    CHECK(d.hash == s.hash);
}

TEST_CASE("tx: EIP-1559 sign and decode round trip", "[codec][tx]") {
    const auto signer = crypto::secp256k1_signer::from_hex(anvil0).value();
    CHECK(signer.address() == addr("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    eip1559_tx t;
    t.chain_id = 16602;
    t.nonce = 7;
    t.max_priority_fee_per_gas = uint256(2000000000ULL);
    t.max_fee_per_gas = uint256(30000000000ULL);
    t.gas = 300000;
    t.to = addr("0x0460aA47b41a66694c0a73f667a1b795A5ED3556");
    t.value = uint256(30733644962ULL);
    t.data = hx("0xbc8c11f8");
    t.access_list = {{addr("0x1111111111111111111111111111111111111111"), {hash256{}, crypto::keccak256(std::string_view("k"))}}};
    const auto s = sign_transaction(t, signer).value();
    CHECK(s.raw[0] == 0x02);
    const auto d = decode_raw_transaction(s.raw).value();
    CHECK(std::get<eip1559_tx>(d.tx) == t);
    CHECK(d.sender == signer.address());
    CHECK(d.sig == s.sig);
    // contract creation: empty `to`
    t.to.reset();
    t.access_list.clear();
    const auto c = sign_transaction(t, signer).value();
    CHECK_FALSE(std::get<eip1559_tx>(decode_raw_transaction(c.raw)->tx).to.has_value());
}

TEST_CASE("tx: EIP-2930 sign and decode round trip", "[codec][tx]") {
    const auto signer = crypto::secp256k1_signer::from_hex(anvil0).value();
    eip2930_tx t;
    t.chain_id = 16602;
    t.nonce = 4;
    t.gas_price = uint256(3000000000ULL);
    t.gas = 80000;
    t.to = addr("0x1111111111111111111111111111111111111111");
    t.value = uint256(1);
    t.data = hx("0x01020304");
    t.access_list = {{addr("0x2222222222222222222222222222222222222222"), {hash256{}, crypto::keccak256(std::string_view("slot"))}},
                     {addr("0x3333333333333333333333333333333333333333"), {}}};
    const auto s = sign_transaction(t, signer).value();
    CHECK(s.raw[0] == 0x01);
    CHECK(type_of(s.tx) == 1);
    // 0x01 ‖ rlp([chainId, nonce, gasPrice, gas, to, value, data, accessList]) is what was signed
    bytes payload;
    rlp::append_uint(payload, t.chain_id);
    rlp::append_uint(payload, t.nonce);
    rlp::append_uint(payload, t.gas_price);
    rlp::append_uint(payload, t.gas);
    rlp::append_bytes(payload, t.to->bytes());
    rlp::append_uint(payload, t.value);
    rlp::append_bytes(payload, t.data);
    chain::detail::append_access_list(payload, t.access_list);
    bytes preimage{0x01};
    rlp::append_list(preimage, payload);
    CHECK(signing_hash(t).value() == crypto::keccak256(preimage));
    const auto d = decode_raw_transaction(s.raw).value();
    CHECK(std::get<eip2930_tx>(d.tx) == t);
    CHECK(d.sender == signer.address());
    CHECK(d.sig == s.sig);
    CHECK(d.hash == s.hash);
    // chain id 0 is refused both ways; a wrong field count is a parse error
    t.chain_id = 0;
    CHECK(sign_transaction(t, signer).error().is(errc::invalid_argument));
    const auto sig = signer.sign_digest(chain::detail::unchecked_signing_hash(t)).value();
    CHECK(decode_raw_transaction(encode_signed(t, sig)).error().is(errc::invalid_argument));
    bytes fields;
    for (int i = 0; i < 12; ++i) rlp::append_uint(fields, std::uint64_t{1});
    bytes long_tx{0x01};
    rlp::append_list(long_tx, fields);
    CHECK(decode_raw_transaction(long_tx).error().is(errc::parse_error));
}

TEST_CASE("tx: validation rejects inconsistent transactions", "[codec][tx]") {
    const auto signer = crypto::secp256k1_signer::from_hex(anvil0).value();
    legacy_tx l;
    l.chain_id = 0;
    l.gas = 21000;
    CHECK(sign_transaction(l, signer).error().is(errc::invalid_argument));
    l.chain_id = 1;
    l.gas = 20999;
    CHECK(sign_transaction(l, signer).error().is(errc::invalid_argument));
    l.gas = 21000;
    l.nonce = UINT64_MAX;
    CHECK(sign_transaction(l, signer).error().is(errc::invalid_argument));
    l.nonce = 0;
    l.chain_id = UINT64_MAX / 2;
    CHECK_FALSE(sign_transaction(l, signer));
    eip1559_tx e;
    e.chain_id = 1;
    e.gas = 21000;
    e.max_fee_per_gas = uint256(1);
    e.max_priority_fee_per_gas = uint256(2);
    const auto r = sign_transaction(e, signer);
    REQUIRE_FALSE(r);
    CHECK(r.error().detail().find("maxPriorityFeePerGas") != std::string::npos);
    e.max_priority_fee_per_gas = uint256(1);
    CHECK(sign_transaction(e, signer));
    CHECK(sign_transaction(e, lying_signer{crypto::secp256k1_signer::from_hex(anvil0).value()}).error().is(errc::verification_failed));
    CHECK(sign_transaction(e, crypto::null_signer{}).error().is(errc::not_supported));
}

TEST_CASE("tx: hostile raw transactions are rejected", "[codec][tx]") {
    const auto signer = crypto::secp256k1_signer::from_hex(anvil0).value();
    eip1559_tx t;
    t.chain_id = 31337;
    t.gas = 21000;
    t.max_fee_per_gas = uint256(10);
    t.to = addr("0x1111111111111111111111111111111111111111");
    const bytes raw = sign_transaction(t, signer).value().raw;
    CHECK(decode_raw_transaction(bytes{}).error().is(errc::empty_input));
    CHECK(decode_raw_transaction(hx("0x01c0")).error().is(errc::parse_error));  // type 1 with no fields
    CHECK(decode_raw_transaction(hx("0x03c0")).error().is(errc::not_supported));
    CHECK(decode_raw_transaction(hx("0x04c0")).error().is(errc::not_supported));
    CHECK(decode_raw_transaction(hx("0x80")).error().is(errc::parse_error));
    CHECK_FALSE(decode_raw_transaction(byte_span(raw).first(raw.size() - 1)));
    bytes trailing = raw;
    trailing.push_back(0);
    CHECK_FALSE(decode_raw_transaction(trailing));
    // flip a bit in s → either invalid or a different sender, never the original
    bytes flipped = raw;
    flipped[flipped.size() - 1] ^= 1;
    if (auto d = decode_raw_transaction(flipped)) CHECK(d->sender != signer.address());
    // high-s (malleated) signature is rejected
    auto s = sign_transaction(t, signer).value();
    const uint256 n = *uint256::from_be_bytes(byte_span(crypto::detail::secp256k1_order, 32));
    crypto::signature hs = s.sig;
    hs.s = (n - *uint256::from_be_bytes(s.sig.s)).to_be_bytes();
    hs.recovery_id ^= 1;
    const auto r = decode_raw_transaction(encode_signed(t, hs));
    REQUIRE_FALSE(r);
    CHECK(r.error().is(errc::invalid_signature));
    // yParity 2, legacy v 30
    crypto::signature bad = s.sig;
    bad.recovery_id = 2;
    CHECK(decode_raw_transaction(encode_signed(t, bad)).error().is(errc::invalid_signature));
    // wrong field count: a type-2 envelope around an 11-item list
    bytes payload;
    for (int i = 0; i < 11; ++i) rlp::append_uint(payload, std::uint64_t{1});
    bytes short_tx{0x02};
    rlp::append_list(short_tx, payload);
    CHECK(decode_raw_transaction(short_tx).error().is(errc::parse_error));
    // pre-EIP-155 legacy (v = 27/28) decodes with chain_id 0
    legacy_tx l;
    l.gas = 21000;
    l.gas_price = uint256(1);
    const hash256 h = chain::detail::unchecked_signing_hash(l);
    const auto sig = signer.sign_digest(h).value();
    const auto pre = decode_raw_transaction(encode_signed(l, sig)).value();
    CHECK(std::get<legacy_tx>(pre.tx).chain_id == 0);
    CHECK(pre.sender == signer.address());
}
