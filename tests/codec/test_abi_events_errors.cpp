// ABI events (Flow Submit), revert decoding, and the compute contracts' selectors from their ABIs.
#include <zerog/codec/abi_errors.hpp>
#include <zerog/codec/abi_events.hpp>

#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace zerog;
using abi::value;

namespace {
bytes hx(std::string_view s) { return from_hex(s).value(); }
crypto::address addr(std::string_view s) { return crypto::address::parse(s).value(); }
hash256 h(std::string_view s) { return from_hex_fixed<32>(s).value(); }
bytes cat(std::string_view sel_hex, const bytes& body) {
    bytes out = hx(sel_hex);
    out.insert(out.end(), body.begin(), body.end());
    return out;
}
const char* submit_event =
    "event Submit(address indexed sender, bytes32 indexed identity, uint256 submissionIndex, uint256 startPos, uint256 length, "
    "(uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes) submission)";

// Build a type string for one ABI JSON parameter ("tuple[]" + components → "(...)[]").
std::string json_type(const boost::json::object& p) {
    std::string t(p.at("type").as_string());
    if (!t.starts_with("tuple")) return t;
    std::string s = "(";
    const auto& comps = p.at("components").as_array();
    for (std::size_t i = 0; i < comps.size(); ++i) {
        if (i) s += ',';
        s += json_type(comps[i].as_object());
    }
    return s + ")" + t.substr(5);
}
}  // namespace

TEST_CASE("abi events: Flow Submit log decodes (topics + data)", "[codec][abi][event]") {
    const auto ev = abi::event::parse(submit_event).value();
    CHECK(to_hex(ev.topic0) == "0x167ce04d2aa1981994d3a31695da0d785373335b1078cec239a1a3a2c7675555");
    CHECK(abi::event_topic("Transfer(address,address,uint256)") ==
          h("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"));
    const auto submitter = addr("0x1111111111111111111111111111111111111111");
    const hash256 identity = h("0x67f78b8695da3fabaf59cdf80847f7330063abb0781cbea326f491b92fe21336");
    const value submission = value::tuple({value::uint(257), value::bytes(bytes{}),
                                           value::array({value::tuple({value::bytes(h("0x7ea7520214ca45edb7f0f74f219e68b1c07ccebd02bf44e83503e264733021c6")),
                                                                       value::uint(1)})})});
    const bytes data = abi::encode(ev.data_types, {value::uint(7), value::uint(1024), value::uint(2), submission}).value();
    hash256 sender_topic;
    std::copy(submitter.data(), submitter.data() + 20, sender_topic.begin() + 12);
    const std::vector<hash256> topics{ev.topic0, sender_topic, identity};
    const auto l = ev.decode(topics, data).value();
    REQUIRE(l.size() == 6);
    CHECK(*l[0].as_address() == submitter);
    CHECK(*l[1].as_bytes() == bytes(identity.begin(), identity.end()));
    CHECK(*l[2].as_uint() == uint256(7));  // tx_seq
    CHECK(l[5] == submission);
    // identity = keccak(concatenated node roots), as storage.json says
    CHECK(crypto::keccak256(h("0x7ea7520214ca45edb7f0f74f219e68b1c07ccebd02bf44e83503e264733021c6")) == identity);

    // wrong topic0, wrong topic count, dirty address topic, truncated data
    auto bad_topics = topics;
    bad_topics[0][0] ^= 1;
    CHECK(ev.decode(bad_topics, data).error().is(errc::parse_error));
    CHECK_FALSE(ev.decode(std::span(topics).first(2), data));
    bad_topics = topics;
    bad_topics[1][0] = 1;
    const auto r = ev.decode(bad_topics, data);
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("topics[1]") != std::string::npos);
    CHECK_FALSE(ev.decode(topics, byte_span(data).first(data.size() - 32)));
    // indexed dynamic parameters come back as their hash
    const auto ev2 = abi::event::parse("Named(string indexed name, uint256 v)").value();
    const hash256 name_hash = crypto::keccak256(std::string_view("x"));
    const auto l2 = ev2.decode(std::vector<hash256>{ev2.topic0, name_hash}, abi::encode(ev2.data_types, {value::uint(5)}).value()).value();
    CHECK(*l2[0].as_bytes() == bytes(name_hash.begin(), name_hash.end()));
    CHECK_FALSE(abi::event::parse("E(uint8 indexed a, uint8 indexed b, uint8 indexed c, uint8 indexed d)"));
}

TEST_CASE("abi errors: Error(string), Panic and custom errors", "[codec][abi][revert]") {
    using kinds = abi::revert_reason::kinds;
    // Error("Not enough") as solc emits it
    const bytes err = cat("0x08c379a0", abi::encode(std::vector{abi::type::string()}, {value::string("Not enough")}).value());
    auto r = abi::decode_revert(err);
    CHECK(r.kind == kinds::error_string);
    CHECK(r.message == "Not enough");
    r = abi::decode_revert(cat("0x4e487b71", abi::encode(std::vector{abi::type::uint()}, {value::uint(0x11)}).value()));
    CHECK(r.kind == kinds::panic);
    CHECK(r.message == "Panic(0x11): arithmetic overflow or underflow");
    CHECK(abi::decode_revert(cat("0x4e487b71", abi::encode(std::vector{abi::type::uint()}, {value::uint(0x32)}).value())).message ==
          "Panic(0x32): array index out of bounds");
    // NotEnoughFee(price, sectors, paid)
    const auto sel = abi::function_selector("NotEnoughFee(uint256,uint256,uint256)");
    const bytes nef = cat(to_hex(sel), abi::encode(abi::parse_type("(uint256,uint256,uint256)").value(),
                                                   {value::uint(30733644962ULL), value::uint(4), value::uint(0)}).value());
    r = abi::decode_revert(nef);
    CHECK(r.kind == kinds::custom);
    CHECK(r.name == "NotEnoughFee");
    CHECK(r.message == "NotEnoughFee(price=30733644962, sectors=4, paid=0)");
    const auto e = abi::revert_error(nef);
    CHECK(e.is(errc::reverted));
    CHECK(e.message().find("NotEnoughFee(price=30733644962") != std::string::npos);
    // compute errors from the spec's selector list
    r = abi::decode_revert(cat("0x08ca03ac", abi::encode(abi::parse_type("(address,address)").value(),
                                                         {value::addr(addr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")),
                                                          value::addr(addr("0xf07240Efa67755B5311bc75784a061eDB47165Dd"))}).value()));
    CHECK(r.message == "AccountNotExists(user=0x70997970C51812dc3A010C7d01b50e0d17dc79C8, provider=0xf07240Efa67755B5311bc75784a061eDB47165Dd)");
    CHECK(abi::decode_revert(hx("0x689e300a")).message == "LedgerLocked()");
    for (const char* s : {"0x7d2d536b", "0xcde58aa1", "0x54443ec4", "0xadb9e043", "0xb5365807", "0x098eda7e", "0xfaa23877", "0x062ba4db"}) {
        INFO(s);
        const auto* sig = abi::error_registry::builtin().find(from_hex_fixed<4>(s).value());
        CHECK(sig != nullptr);
    }
    // empty, short, unknown, malformed
    CHECK(abi::decode_revert(bytes{}).kind == kinds::empty);
    CHECK(abi::decode_revert(hx("0x0102")).kind == kinds::unknown);
    r = abi::decode_revert(hx("0xdeadbeef"));
    CHECK(r.kind == kinds::unknown);
    CHECK(r.message.find("0xdeadbeef") != std::string::npos);
    r = abi::decode_revert(cat("0x08c379a0", hx("0x" + std::string(63, '0') + "1")));
    CHECK(r.kind == kinds::unknown);
    CHECK(r.message.find("malformed Error(string)") != std::string::npos);
    r = abi::decode_revert(byte_span(nef).first(nef.size() - 32));
    CHECK(r.kind == kinds::unknown);
    CHECK(r.message.find("offset 64") != std::string::npos);
    // custom registry
    abi::error_registry reg;
    REQUIRE(reg.add("Custom(int8 delta, string why)"));
    CHECK(abi::decode_revert(cat(to_hex(abi::function_selector("Custom(int8,string)")),
                                 abi::encode(abi::parse_type("(int8,string)").value(), {value::integer(-3), value::string("no")}).value()),
                             reg).message == "Custom(delta=-3, why=\"no\")");
}

TEST_CASE("abi: compute contract selectors reproduce from their ABIs", "[codec][abi][compute]") {
    const auto& root = testing::vectors("compute-abis-0.9.0.json").as_object();
    int functions = 0, summaries = 0, errors = 0, events = 0;
    for (const auto& [contract, body] : root) {
        for (const auto& s : body.at("summary").as_array()) {
            const auto& o = s.as_object();
            if (o.contains("event")) {  // "event X(...)" + topic
                INFO(contract << ": " << o.at("event").as_string());
                const auto ev = abi::event::parse(std::string(o.at("event").as_string()));
                REQUIRE(ev);
                CHECK(to_hex(ev->topic0) == std::string(o.at("topic").as_string()));
            } else if (o.contains("error")) {  // "error X(...)" + selector
                INFO(contract << ": " << o.at("error").as_string());
                const auto sig = abi::parse_signature(std::string(o.at("error").as_string()));
                REQUIRE(sig);
                CHECK(to_hex(abi::function_selector(sig->canonical())) == std::string(o.at("selector").as_string()));
                CHECK(abi::error_registry::builtin().find(abi::function_selector(sig->canonical())) != nullptr);
            } else {
                const auto f = abi::function::parse(std::string(o.at("full").as_string()));
                INFO(contract << ": " << o.at("full").as_string());
                REQUIRE(f);
                CHECK(f->sig.canonical() == std::string(o.at("sig").as_string()));
                CHECK(to_hex(f->sel) == std::string(o.at("selector").as_string()));
            }
            ++summaries;
        }
        for (const auto& e : body.at("abi").as_array()) {
            const auto& o = e.as_object();
            const std::string kind(o.at("type").as_string());
            if (kind != "function" && kind != "error" && kind != "event") continue;
            std::string sig = std::string(o.at("name").as_string()) + "(";
            const auto& ins = o.at("inputs").as_array();
            for (std::size_t i = 0; i < ins.size(); ++i) {
                if (i) sig += ',';
                sig += json_type(ins[i].as_object());
                if (ins[i].as_object().contains("indexed") && ins[i].as_object().at("indexed").as_bool()) sig += " indexed";
            }
            sig += ")";
            const auto parsed = abi::parse_signature(sig);
            INFO(sig);
            REQUIRE(parsed);
            if (kind == "function") {
                ++functions;
            } else if (kind == "error") {
                CHECK(abi::error_registry::builtin().find(abi::function_selector(parsed->canonical())) != nullptr);
                ++errors;
            } else {
                CHECK(abi::event::parse(sig));
                ++events;
            }
        }
    }
    CHECK(summaries > 100);
    CHECK(functions > 40);
    CHECK(errors > 40);
    CHECK(events > 5);
    // getService return data produced by ethers decodes to the recorded tuple, and re-encodes exactly
    const auto gs = abi::function::parse("function getService(address provider) view returns ((address provider, string serviceType, "
                                         "string url, uint256 inputPrice, uint256 outputPrice, uint256 updatedAt, string model, "
                                         "string verifiability, string additionalInfo, address teeSignerAddress, bool teeSignerAcknowledged) service)")
                        .value();
    const auto& example = testing::vectors("compute.json").at("abi_calldata").at("current_getService_return_example").as_object();
    const bytes ret = hx(example.at("returndata").as_string());
    const auto out = gs.decode_output(ret).value();
    REQUIRE(out.size() == 1);
    const auto& fields = *out[0].as_list();
    const auto& want = example.at("tuple").as_array();
    REQUIRE(fields.size() == want.size());
    CHECK(fields[0].as_address()->to_checksum_hex() == std::string(want[0].as_string()));
    CHECK(*fields[1].as_string() == std::string(want[1].as_string()));
    CHECK(fields[3].as_uint()->to_decimal() == std::string(want[3].as_string()));
    CHECK(fields[9].as_address()->to_checksum_hex() == std::string(want[9].as_string()));
    CHECK(*fields[10].as_bool() == want[10].as_bool());
    CHECK(abi::encode(gs.out_types, out).value() == ret);
    // calldata vectors from compute.json produced by ethers
    for (const auto& c : testing::vectors("compute.json").at("abi_calldata").at("current").as_array()) {
        const auto& o = c.as_object();
        const auto f = abi::function::parse(std::string(o.at("fn").as_string())).value();
        const auto decoded = f.decode_input(hx(o.at("calldata").as_string()));
        INFO(o.at("fn").as_string());
        REQUIRE(decoded);
        CHECK(to_hex(f.encode_call(*decoded).value()) == std::string(o.at("calldata").as_string()));
    }
}
