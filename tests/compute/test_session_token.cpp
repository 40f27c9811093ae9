// Session tokens: byte identity with the official SDK's vectors (compute.json), options and limits,
// nonces, and every rejection of the provider-side validator.
#include <zerog/compute/session_token.hpp>
#include <zerog/crypto/cryptopp_signer.hpp>
#include <zerog/crypto/secp256k1_signer.hpp>
#include <zerog/testing/mocks.hpp>

#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <set>

using namespace zerog;
using namespace zerog::compute;

namespace {
const boost::json::value& cst() { return testing::vectors("compute.json").at("current_session_token"); }
std::string str(const boost::json::value& v, const char* k) { return std::string(v.at(k).as_string()); }
crypto::address addr(const std::string& s) { return crypto::address::parse(s).value(); }

crypto::secp256k1_signer user_signer() { return crypto::secp256k1_signer::from_hex(str(cst().at("inputs"), "user_private_key")).value(); }
crypto::address provider() { return addr(str(cst().at("inputs"), "provider_address")); }

constexpr std::int64_t t0 = 1700000000000;
const std::string pinned_nonce = "1700000000000-4fzzzxjylrx0000000";

session_token_options pinned(std::uint8_t token_id = ephemeral_token_id) {
    session_token_options o;
    o.timestamp_ms = t0;
    o.nonce = pinned_nonce;
    o.token_id = token_id;
    if (token_id == ephemeral_token_id) o.expires_at_ms = t0 + 86'400'000;
    return o;
}

std::string b64(std::string_view s) { return base64_encode(as_bytes(s)); }
std::string header_of(std::string_view json, std::string_view sig_hex) {
    return "Bearer app-sk-" + b64(std::string(json) + "|" + std::string(sig_hex));
}

token_requirements reqs(std::int64_t now = t0) {
    token_requirements r;
    r.provider = provider();
    r.now_ms = now;
    r.generation = 0;
    return r;
}
}  // namespace

TEST_CASE("ephemeral session token is byte-identical to the SDK vector", "[compute][token]") {
    const auto& v = cst().at("ephemeral_session");
    auto signer = user_signer();
    auto t = make_session_token(signer, provider(), pinned()).value();
    CHECK(t.json == str(v, "token_json"));
    CHECK(to_hex(t.json_hash) == str(v, "keccak256_of_token_json"));
    CHECK(to_hex(t.digest) == str(v, "personal_sign_digest"));
    CHECK(t.signature_hex() == str(v, "signature"));
    CHECK(t.authorization == str(v.at("headers"), "Authorization"));
    CHECK(t.authorization == str(cst().at("http_request").at("headers"), "Authorization"));
    CHECK(t.raw() == std::string_view(t.authorization).substr(7));

    // The SDK's default 24 h lifetime gives the same bytes without pinning expiresAt.
    auto o = pinned();
    o.expires_at_ms.reset();
    o.lifetime = std::chrono::hours(24);
    CHECK(make_session_token(signer, provider(), o).value().authorization == t.authorization);

    // Crypto++ signs identically (RFC 6979).
    auto cpp = crypto::cryptopp_signer::from_hex(str(cst().at("inputs"), "user_private_key")).value();
    CHECK(make_session_token(cpp, provider(), pinned()).value().authorization == t.authorization);
}

TEST_CASE("API key (tokenId 0, never expires) matches the SDK vector", "[compute][token]") {
    const auto& v = cst().at("api_key_tokenId0_never_expires");
    auto signer = user_signer();
    auto t = make_session_token(signer, provider(), pinned(0)).value();
    CHECK(t.claims.expires_at_ms == 0);
    CHECK(t.json == str(v, "token_json"));
    CHECK(to_hex(t.json_hash) == str(v, "keccak256_of_token_json"));
    CHECK(t.signature_hex() == str(v, "signature"));
    CHECK(t.raw() == str(v, "raw_token"));
}

TEST_CASE("the signer only ever sees the EIP-191 digest", "[compute][token]") {
    auto real = user_signer();
    testing::mock_signer mock(real.address());
    mock.will_return(real.sign_digest(from_hex_fixed<32>(str(cst().at("ephemeral_session"), "personal_sign_digest")).value()).value());
    auto t = make_session_token(mock, provider(), pinned()).value();
    REQUIRE(mock.digests().size() == 1);
    CHECK(to_hex(mock.digests()[0]) == str(cst().at("ephemeral_session"), "personal_sign_digest"));
    CHECK(t.authorization == str(cst().at("ephemeral_session").at("headers"), "Authorization"));

    mock.will_fail(zerog::error(errc::unauthorized, "hardware wallet refused"));
    auto bad = make_session_token(mock, provider(), pinned());
    REQUIRE(!bad);
    CHECK(bad.error().is(errc::unauthorized));
}

TEST_CASE("lifetime and pinned values are checked before signing", "[compute][token]") {
    auto signer = user_signer();
    session_token_options o;
    o.timestamp_ms = t0;
    auto t = make_session_token(signer, provider(), o).value();  // default lifetime: 5 min
    CHECK(t.claims.expires_at_ms == t0 + default_token_lifetime.count());
    CHECK(default_token_lifetime.count() == 300'000);
    CHECK(t.claims.token_id == 255);

    o.lifetime = std::chrono::hours(24);
    CHECK(make_session_token(signer, provider(), o));
    for (auto bad : {std::chrono::milliseconds(86'400'001), std::chrono::milliseconds(0), std::chrono::milliseconds(-5)}) {
        o.lifetime = bad;
        auto r = make_session_token(signer, provider(), o);
        REQUIRE(!r);
        CHECK(r.error().is(errc::invalid_argument));
    }
    o.lifetime = std::chrono::hours(1);
    o.expires_at_ms = t0 + 86'400'001;
    CHECK(make_session_token(signer, provider(), o).error().is(errc::invalid_argument));
    o.expires_at_ms = 0;
    CHECK(make_session_token(signer, provider(), o).error().detail().find("expiration time") != std::string::npos);
    o.expires_at_ms.reset();
    o.nonce = std::string("\xff\xfe");
    CHECK(make_session_token(signer, provider(), o).error().is(errc::invalid_argument));
    o.nonce = std::string();
    CHECK(make_session_token(signer, provider(), o).error().is(errc::invalid_argument));
    o.nonce.reset();
    o.timestamp_ms = INT64_MAX;  // no signed overflow computing expiresAt
    CHECK(make_session_token(signer, provider(), o).error().is(errc::invalid_argument));
    o.timestamp_ms = -1;
    CHECK(make_session_token(signer, provider(), o).error().is(errc::invalid_argument));
    o.timestamp_ms = t0;
    o.generation = 1ULL << 53;
    CHECK(make_session_token(signer, provider(), o).error().is(errc::invalid_argument));

    // API key with an expiry in the past relative to its timestamp
    session_token_options k;
    k.token_id = 7;
    k.timestamp_ms = t0;
    k.expires_at_ms = t0 - 1;
    CHECK(make_session_token(signer, provider(), k).error().is(errc::invalid_argument));
    k.expires_at_ms = t0 + 1000;
    CHECK(make_session_token(signer, provider(), k).value().claims.expires_at_ms == t0 + 1000);
}

TEST_CASE("nonces have the SDK's format and never repeat", "[compute][token][nonce]") {
    const std::regex fmt("^1700000000000-[0-9a-z]{13}0{5}$");
    std::set<std::string> seen;
    for (int i = 0; i < 100'000; ++i) {
        auto n = generate_nonce(t0).value();
        REQUIRE(n.size() == 32);
        if (i < 1000) REQUIRE(std::regex_match(n, fmt));
        REQUIRE(seen.insert(n).second);
    }
    // Whole tokens with the same pinned time still differ by their nonce.
    auto signer = user_signer();
    session_token_options o;
    o.timestamp_ms = t0;
    std::set<std::string> headers;
    for (int i = 0; i < 500; ++i) REQUIRE(headers.insert(make_session_token(signer, provider(), o).value().authorization).second);
}

TEST_CASE("nonce strings are escaped like JSON.stringify and survive decoding", "[compute][token]") {
    auto signer = user_signer();
    auto o = pinned();
    o.nonce = std::string("a\"b\\c\n\x01/\xc3\xa9");
    auto t = make_session_token(signer, provider(), o).value();
    CHECK(t.json.find(R"("nonce":"a\"b\\c\n\u0001/)" "\xc3\xa9\"") != std::string::npos);
    auto d = verify_session_token(t.authorization, reqs()).value();
    CHECK(d.claims.nonce == *o.nonce);
    CHECK(d.json == t.json);
}

TEST_CASE("validator accepts SDK tokens and recovers the signer", "[compute][token][validate]") {
    const std::string hdr = str(cst().at("ephemeral_session").at("headers"), "Authorization");
    auto c = check_session_token(hdr, reqs());
    REQUIRE(c.ok());
    CHECK(c.signer == addr(str(cst().at("inputs"), "user_address")));
    CHECK(c.token.claims.expires_at_ms == 1700086400000);
    CHECK(c.token.claims.nonce == pinned_nonce);
    // raw app-sk form (OpenAI apiKey): refused like the broker does unless asked, then accepted
    auto raw = reqs();
    CHECK(check_session_token(std::string_view(hdr).substr(7), raw).rejection == token_rejection::malformed);
    raw.require_bearer = false;
    CHECK(check_session_token(std::string_view(hdr).substr(7), raw).ok());
    // the never-expiring API key, far in the future
    CHECK(check_session_token("Bearer " + str(cst().at("api_key_tokenId0_never_expires"), "raw_token"), reqs(4'000'000'000'000)).ok());
    // provider compared as an address (the SDK passes it through as typed)
    auto r = reqs();
    r.generation.reset();
    CHECK(check_session_token(hdr, r).ok());
}

TEST_CASE("validator rejections are precise", "[compute][token][validate]") {
    const std::string hdr = str(cst().at("ephemeral_session").at("headers"), "Authorization");
    const std::string json = str(cst().at("ephemeral_session"), "token_json");
    const std::string sig = str(cst().at("ephemeral_session"), "signature");
    auto expect = [](const token_check& c, token_rejection r, errc code, std::string_view detail_part) {
        INFO(c.error.message());
        CHECK(c.rejection == r);
        CHECK(c.error.is(code));
        CHECK(c.error.detail().find(detail_part) != std::string::npos);
    };

    SECTION("expired (broker granularity: whole seconds)") {
        CHECK(check_session_token(hdr, reqs(1700086400999)).ok());
        expect(check_session_token(hdr, reqs(1700086401000)), token_rejection::expired, errc::unauthorized, "session token expired");
    }
    SECTION("foreign provider") {
        auto r = reqs();
        r.provider = addr(str(cst().at("inputs"), "user_address"));
        expect(check_session_token(hdr, r), token_rejection::foreign_provider, errc::unauthorized, "different provider");
    }
    SECTION("tampered payload") {
        std::string j = json;
        j.replace(j.find("4fzz"), 4, "4fzy");
        expect(check_session_token(header_of(j, sig), reqs()), token_rejection::signer_mismatch, errc::verification_failed,
               "address mismatch");
        std::string j2 = json;  // another expiry, re-using the signature
        j2.replace(j2.find("1700086400000"), 13, "1700086399999");
        expect(check_session_token(header_of(j2, sig), reqs()), token_rejection::signer_mismatch, errc::verification_failed,
               "address mismatch");
    }
    SECTION("wrong signer: claims user A, signed by key B") {
        auto b = crypto::secp256k1_signer::from_hex(str(cst().at("tee_response_signature"), "tee_private_key")).value();
        const hash256 h = crypto::keccak256(std::string_view(json));
        auto s = crypto::sign_personal(b, byte_span(h)).value();
        expect(check_session_token(header_of(json, to_hex(s)), reqs()), token_rejection::signer_mismatch, errc::verification_failed,
               "address mismatch");
    }
    SECTION("bad signature values") {
        std::string v29 = sig.substr(0, 130) + "1d";
        expect(check_session_token(header_of(json, v29), reqs()), token_rejection::bad_signature, errc::invalid_signature, "v must be");
        std::string zero_r = "0x" + std::string(64, '0') + sig.substr(66);
        expect(check_session_token(header_of(json, zero_r), reqs()), token_rejection::bad_signature, errc::invalid_signature, "r is zero");
        // high-s twin of a valid signature: n − s, v flipped. Malleable, so refused.
        auto s = uint256::from_quantity_hex("0x" + sig.substr(66, 64)).value();
        const uint256 n = uint256::from_quantity_hex("0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141").value();
        std::string hi = sig.substr(0, 66) + to_hex((n - s).to_be_bytes(), false) + (sig.substr(130) == "1c" ? "1b" : "1c");
        expect(check_session_token(header_of(json, hi), reqs()), token_rejection::bad_signature, errc::invalid_signature, "high-s");
    }
    SECTION("malformed envelopes") {
        expect(check_session_token("Bearer " + b64(json + "|" + sig), reqs()), token_rejection::malformed, errc::parse_error,
               "Bearer app-sk-");
        expect(check_session_token("Bearer app-sk-" + b64(json + "|" + sig) + "!", reqs()), token_rejection::malformed,
               errc::invalid_base64, "not base64");
        expect(check_session_token("Bearer app-sk-" + b64(json + "|" + sig).substr(1), reqs()), token_rejection::malformed,
               errc::invalid_base64, "base64");
        expect(check_session_token(header_of(json, ""), reqs()), token_rejection::malformed, errc::parse_error, "signature");
        expect(check_session_token("Bearer app-sk-" + b64(json + sig), reqs()), token_rejection::malformed, errc::parse_error, "'|'");
        expect(check_session_token(header_of(json, sig.substr(0, 131)), reqs()), token_rejection::malformed, errc::parse_error, "signature");
        expect(check_session_token("", reqs()), token_rejection::malformed, errc::parse_error, "Authorization header");
    }
    SECTION("malformed JSON is refused before any signature work") {
        auto j = [&](std::string from, std::string to) {
            std::string s = json;
            auto p = s.find(from);
            REQUIRE(p != std::string::npos);
            s.replace(p, from.size(), to);
            return check_session_token(header_of(s, sig), reqs());
        };
        expect(j("\"tokenId\":255}", "\"tokenId\":255,\"tokenId\":0}"), token_rejection::malformed, errc::parse_error, "duplicate");
        expect(j("\"tokenId\":255}", "\"tokenId\":255,\"extra\":1}"), token_rejection::malformed, errc::parse_error, "unknown field");
        expect(j(",\"generation\":0", ""), token_rejection::malformed, errc::parse_error, "missing field \"generation\"");
        expect(j("\"generation\":0", "\"generation\":0.0"), token_rejection::malformed, errc::parse_error, "integer");
        expect(j("\"generation\":0", "\"generation\":\"0\""), token_rejection::malformed, errc::parse_error, "number");
        expect(j("\"tokenId\":255", "\"tokenId\":256"), token_rejection::malformed, errc::parse_error, "outside");
        expect(j("\"timestamp\":1700000000000", "\"timestamp\":1.7e12"), token_rejection::malformed, errc::parse_error, "integer");
        expect(j("0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x70997970c51812dc3A010C7d01b50e0d17dc79C8"), token_rejection::malformed,
               errc::parse_error, "checksum");
        expect(j("{", "["), token_rejection::malformed, errc::parse_error, "expected '{'");
        expect(j("\"tokenId\":255}", "\"tokenId\":255} x"), token_rejection::malformed, errc::parse_error, "trailing");
        expect(j("\"nonce\":\"", "\"nonce\":{\"a\":1},\"x\":\""), token_rejection::malformed, errc::parse_error, "nested");
    }
    SECTION("ephemeral expiry rules, generation and revocation") {
        auto signer = user_signer();
        auto make = [&](std::int64_t exp, std::uint64_t gen, std::uint8_t id) {
            session_claims c;
            c.address = signer.address();
            c.provider = provider();
            c.timestamp_ms = t0;
            c.expires_at_ms = exp;
            c.nonce = pinned_nonce;
            c.generation = gen;
            c.token_id = id;
            // Bypass check_issuable: sign the raw JSON as a misbehaving client would.
            const std::string j = session_token_json(c);
            const hash256 h = crypto::keccak256(std::string_view(j));
            return header_of(j, to_hex(crypto::sign_personal(signer, byte_span(h)).value()));
        };
        expect(check_session_token(make(0, 0, 255), reqs()), token_rejection::missing_expiry, errc::unauthorized, "expiration time");
        expect(check_session_token(make(t0 + 86'400'001, 0, 255), reqs()), token_rejection::lifetime_exceeded, errc::unauthorized,
               "cannot exceed 24 hours");
        CHECK(check_session_token(make(t0 + 86'400'000, 0, 255), reqs()).ok());
        auto r = reqs();
        r.generation = 3;
        expect(check_session_token(make(t0 + 1000, 2, 255), r), token_rejection::generation_revoked, errc::unauthorized, "generation expired");
        expect(check_session_token(make(t0 + 1000, 4, 255), r), token_rejection::future_generation, errc::unauthorized, "future generation");
        CHECK(check_session_token(make(t0 + 1000, 3, 255), r).ok());
        r.generation = 0;
        r.revoked_bitmap = uint256(1) << 7;
        expect(check_session_token(make(0, 0, 7), r), token_rejection::token_revoked, errc::unauthorized, "has been revoked");
        CHECK(check_session_token(make(0, 0, 6), r).ok());
        CHECK(check_session_token(make(t0 + 1000, 0, 255), r).ok());  // the bitmap concerns API keys only
    }
}

TEST_CASE("random keys: tokens verify and name their signer", "[compute][token]") {
    std::mt19937_64 rng(42);
    for (int i = 0; i < 50; ++i) {
        fixed_bytes<32> k;
        for (auto& b : k) b = static_cast<byte>(rng());
        auto key = crypto::private_key::from_bytes(k);
        if (!key) continue;
        crypto::secp256k1_signer s(std::move(*key));
        auto t = make_session_token(s, provider()).value();
        auto c = check_session_token(t.authorization, reqs(t.claims.timestamp_ms));
        REQUIRE(c.ok());
        CHECK(c.signer == s.address());
        CHECK(c.token.json == t.json);
    }
}

TEST_CASE("random corruption of a header is never accepted", "[compute][token][validate]") {
    const std::string hdr = str(cst().at("ephemeral_session").at("headers"), "Authorization");
    const std::string payload = str(cst().at("ephemeral_session"), "payload_before_base64");
    std::mt19937_64 rng(7);
    int accepted = 0;
    for (int i = 0; i < 3000; ++i) {
        // half: corrupt the base64 text; half: corrupt the decoded payload and re-encode it
        std::string h;
        if (i % 2) {
            h = hdr;
            const std::size_t pos = 14 + rng() % (h.size() - 14);
            h[pos] = static_cast<char>(h[pos] ^ (1 + rng() % 255));
        } else {
            std::string p = payload;
            const std::size_t pos = rng() % p.size();
            p[pos] = static_cast<char>(p[pos] ^ (1 + rng() % 255));
            h = "Bearer app-sk-" + b64(p);
        }
        if (h == hdr) continue;
        auto c = check_session_token(h, reqs());
        REQUIRE((c.ok() || c.rejection != token_rejection::none));
        if (c.ok()) {
            // Only a change that decodes to the very same signed bytes and signature may pass (a
            // case flip inside the signature's hex digits); anything else must be refused.
            ++accepted;
            INFO(h);
            CHECK(c.token.json == str(cst().at("ephemeral_session"), "token_json"));
            CHECK(to_hex(c.token.signature) == str(cst().at("ephemeral_session"), "signature"));
        }
    }
    CHECK(accepted < 100);
}
