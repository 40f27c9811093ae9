// TEE response signatures: the compute.json vector (text, signature), strict parsing of the
// signature endpoint's JSON, and each distinct failure (bad signature, wrong signer, text mismatch).
#include <zerog/compute/response_signature.hpp>
#include <zerog/crypto/secp256k1_signer.hpp>

#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace zerog;
using namespace zerog::compute;

namespace {
const boost::json::value& tee() { return testing::vectors("compute.json").at("current_session_token").at("tee_response_signature"); }
std::string str(const boost::json::value& v, const char* k) { return std::string(v.at(k).as_string()); }
crypto::address tee_addr() { return crypto::address::parse(str(tee(), "tee_signer_address")).value(); }
exchanged_bodies bodies() {
    static const std::string req = str(tee(), "request_body"), resp = str(tee(), "response_body");
    return {req, resp};
}
std::string endpoint_json() { return boost::json::serialize(tee().at("signature_endpoint_json_example")); }
}  // namespace

TEST_CASE("TEE signed text and signature match the vector", "[compute][tee]") {
    CHECK(sha256_hex(str(tee(), "request_body")) == str(tee(), "sha256_request"));
    CHECK(sha256_hex(str(tee(), "response_body")) == str(tee(), "sha256_response"));
    CHECK(response_signed_text(str(tee(), "request_body"), str(tee(), "response_body")) == str(tee(), "signed_text"));
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    auto s = crypto::secp256k1_signer::from_hex(str(tee(), "tee_private_key")).value();
    auto r = sign_response(s, bodies().request, bodies().response).value();
    CHECK(r.text == str(tee(), "signed_text"));
    CHECK(to_hex(r.signature) == str(tee(), "signature"));
    CHECK(r.signing_address == tee_addr());
    CHECK(to_json(r) == endpoint_json());  // same key order as the broker
}

TEST_CASE("signature endpoint answer verifies, with and without the bodies", "[compute][tee]") {
    auto r = parse_signature_response(endpoint_json()).value();
    CHECK(r.signing_algo == "ecdsa");
    CHECK(!r.provider_type);
    CHECK(check_response_signature(r, tee_addr()).ok());
    auto c = check_response_signature(r, tee_addr(), bodies());
    CHECK(c.ok());
    CHECK(c.recovered == tee_addr());
    CHECK(verify_signature_response_json(endpoint_json(), tee_addr(), bodies()));
    // addresses compare as bytes: a lower-case spelling of the expected signer is the same signer
    CHECK(check_response_signature(r, crypto::address::parse(tee_addr().to_lower_hex()).value()).ok());
}

TEST_CASE("each failure is reported distinctly", "[compute][tee]") {
    auto r = parse_signature_response(endpoint_json()).value();

    SECTION("wrong signer") {
        auto user = crypto::address::parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8").value();
        auto c = check_response_signature(r, user, bodies());
        CHECK(c.verdict == response_verdict::wrong_signer);
        CHECK(c.error.is(errc::verification_failed));
        CHECK(c.recovered == tee_addr());
        // a response the user signed themselves, claiming to be the TEE: signing_address is not trusted
        auto u = crypto::secp256k1_signer::from_hex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d").value();
        auto forged = sign_response(u, bodies().request, bodies().response).value();
        forged.signing_address = tee_addr();
        CHECK(check_response_signature(forged, tee_addr(), bodies()).verdict == response_verdict::wrong_signer);
    }
    SECTION("bad signature") {
        auto bad = r;
        bad.signature[64] = 29;
        auto c = check_response_signature(bad, tee_addr());
        CHECK(c.verdict == response_verdict::bad_signature);
        CHECK(c.error.is(errc::invalid_signature));
        CHECK(!c.recovered);
        bad = r;
        std::fill(bad.signature.begin() + 32, bad.signature.begin() + 64, 0xff);  // s ≥ n
        CHECK(check_response_signature(bad, tee_addr()).verdict == response_verdict::bad_signature);
    }
    SECTION("tampered text: another key recovers, so it is a wrong signer") {
        auto t = r;
        t.text[0] = t.text[0] == '1' ? '2' : '1';
        CHECK(check_response_signature(t, tee_addr()).verdict == response_verdict::wrong_signer);
    }
    SECTION("authentic signature over other bodies") {
        std::string resp(bodies().response);
        resp.back() = ' ';
        auto c = check_response_signature(r, tee_addr(), exchanged_bodies{bodies().request, resp});
        CHECK(c.verdict == response_verdict::text_mismatch);
        CHECK(c.error.is(errc::verification_failed));
        CHECK(c.error.detail().find("the response hash") != std::string::npos);
        c = check_response_signature(r, tee_addr(), exchanged_bodies{"{}", bodies().response});
        CHECK(c.error.detail().find("the request hash") != std::string::npos);
        c = check_response_signature(r, tee_addr(), exchanged_bodies{"{}", "{}"});
        CHECK(c.error.detail().find("either") != std::string::npos);
        auto v = verify_response_signature(r, tee_addr(), exchanged_bodies{"{}", "{}"});
        CHECK(!v);
    }
}

TEST_CASE("signature endpoint JSON is parsed strictly", "[compute][tee]") {
    const std::string good = endpoint_json();
    auto with = [&](std::string from, std::string to) {
        std::string s = good;
        auto p = s.find(from);
        REQUIRE(p != std::string::npos);
        s.replace(p, from.size(), to);
        return parse_signature_response(s);
    };
    auto expect = [](const result<signature_response>& r, errc code, std::string_view part) {
        REQUIRE(!r);
        INFO(r.error().message());
        CHECK(r.error().is(code));
        CHECK(r.error().detail().find(part) != std::string::npos);
    };
    expect(with("\"signing_algo\":\"ecdsa\"", "\"signing_algo\":\"ed25519\""), errc::not_supported, "ed25519");
    expect(with(",\"signing_algo\":\"ecdsa\"", ""), errc::malformed_response, "missing field \"signing_algo\"");
    expect(with("{\"text\":", "{\"text\":\"x\",\"text\":"), errc::malformed_response, "duplicate");
    expect(with("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "0x3c44CdDdB6a900fa2b585dd299e03d12FA4293BC"), errc::malformed_response,
           "checksum");
    expect(with("\"signature\":\"0x", "\"signature\":\"0x00"), errc::malformed_response, "signature");
    expect(with("\"signing_algo\":\"ecdsa\"", "\"signing_algo\":1"), errc::malformed_response, "must be a string");
    expect(with("\"signing_algo\":\"ecdsa\"", "\"signing_algo\":\"ecdsa\",\"x\":[1]"), errc::malformed_response, "nested");
    expect(parse_signature_response("not json"), errc::malformed_response, "expected '{'");

    // unknown scalar metadata is ignored; centralized fields are kept and round-trip
    auto r = with("\"signing_algo\":\"ecdsa\"", "\"signing_algo\":\"ecdsa\",\"future\":true,\"provider_type\":\"centralized\","
                                                "\"provider_identity\":\"acme\",\"tls_cert_fingerprint\":\"ab:cd\"")
                 .value();
    CHECK(r.provider_type == "centralized");
    CHECK(r.tls_cert_fingerprint == "ab:cd");
    auto again = parse_signature_response(to_json(r)).value();
    CHECK(again.provider_identity == "acme");
    CHECK(again.signature == r.signature);
    CHECK(again.text == r.text);
}
