// zerog: command-line interface to the zerog library. See `zerog help`.
#include "cli.hpp"
#include "session.hpp"

#include <zerog/client/metrics_endpoint.hpp>
#include <zerog/client/otlp_exporter.hpp>
#include <zerog/core/version.hpp>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

/// Take `--NAME VALUE` or `--NAME=VALUE` off the command line. nullopt: absent; "" with `missing`
/// set: given without a value.
std::optional<std::string> take_option(std::vector<std::string>& a, std::string_view name, bool& missing) {
    std::optional<std::string> v;
    const std::string flag = "--" + std::string(name), prefix = flag + "=";
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] == flag) {
            if (i + 1 >= a.size() || a[i + 1].empty()) {
                missing = true;
                a.erase(a.begin() + static_cast<std::ptrdiff_t>(i));
                return std::string();
            }
            v = a[i + 1];
            a.erase(a.begin() + static_cast<std::ptrdiff_t>(i), a.begin() + static_cast<std::ptrdiff_t>(i + 2));
            --i;
        } else if (a[i].rfind(prefix, 0) == 0) {
            v = a[i].substr(prefix.size());
            if (v->empty()) missing = true;
            a.erase(a.begin() + static_cast<std::ptrdiff_t>(i));
            --i;
        }
    }
    return v;
}

/// GET /metrics on 127.0.0.1:PORT while the command runs (its own thread), and `linger` after it
/// ends, so that a scraper's next pull sees the final values of a short command.
struct metrics_endpoint_thread {
    zerog::net::io_thread thread;  // destroyed last: the server is stopped before its thread ends
    std::optional<zerog::net::http_server> server;
    std::chrono::milliseconds linger{0};
    ~metrics_endpoint_thread() {
        if (linger.count() > 0) std::this_thread::sleep_for(linger);
        if (server) server->stop();
    }
};

}  // namespace

int main(int argc, char** argv) {
    // Transfers allocate a few ~350 KB buffers per 256 KiB segment (the response body, the parsed
    // JSON string, the decoded bytes). glibc serves blocks that size with mmap, or trims them back
    // to the kernel when freed, so every segment faulted fresh zeroed pages in again: 55 % of the
    // CPU of a 100 MiB download (docs/benchmarks.md). Keep such blocks on the heap and freed
    // memory in the process; peak RSS stays what the transfer needs at once.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    using namespace zerog::cli;
    std::vector<std::string> a(argv + 1, argv + argc);
    // Global option, valid with every command: --log-level LEVEL (or --log-level=LEVEL). The
    // clients log JSON lines to stderr at this level; without it ZEROG_LOG_LEVEL decides (warn).
    bool missing = false;
    if (const auto v = take_option(a, "log-level", missing)) {
        auto level = zerog::policy::parse_log_level(*v);
        if (missing || !level) { std::fprintf(stderr, "zerog: --log-level must be trace|debug|info|warn|error|off\n"); return 2; }
        log_level_option() = *level;
    }
    // Global option: --db PATH|URL (or --db=…): where payments are recorded (session.hpp open_database).
    if (auto v = take_option(a, "db", missing)) {
        if (missing) { std::fprintf(stderr, "zerog: --db needs a value (an SQLite path or a postgresql:// URL)\n"); return 2; }
        db_option() = std::move(*v);
    }
    // Global options: --metrics-textfile PATH (the Prometheus exposition written atomically when
    // the command ends, for node_exporter's textfile collector) and --metrics-port PORT (GET
    // /metrics on 127.0.0.1:PORT while the command runs). Either one turns metrics on.
    // The same three settings may come from the configuration (observability.*, docs/configuration.md);
    // a flag wins over it.
    auto textfile = take_option(a, "metrics-textfile", missing);
    if (missing) { std::fprintf(stderr, "zerog: --metrics-textfile needs a path\n"); return 2; }
    auto port_text = take_option(a, "metrics-port", missing);
    std::uint16_t metrics_port = 0;
    if (port_text) {
        unsigned long p = 0;
        const bool digits = !port_text->empty() && port_text->size() <= 5 && port_text->find_first_not_of("0123456789") == std::string::npos;
        if (digits) p = std::stoul(*port_text);
        if (missing || !digits || p > 65535) { std::fprintf(stderr, "zerog: --metrics-port needs a port number 0..65535 (0: any free port)\n"); return 2; }
        metrics_port = static_cast<std::uint16_t>(p);
    }
    auto otlp = take_option(a, "otlp-endpoint", missing);
    if (otlp && (missing || !zerog::parse_url(*otlp))) {
        std::fprintf(stderr, "zerog: --otlp-endpoint needs an http(s) URL (e.g. http://127.0.0.1:4318)\n");
        return 2;
    }
    if (!textfile || !port_text || !otlp) {
        const auto configured = configured_observability();
        if (!textfile && !configured.metrics_textfile.value.empty()) textfile = configured.metrics_textfile.value;
        if (!port_text && configured.metrics_port.value != 0) {
            port_text = std::to_string(configured.metrics_port.value);
            metrics_port = static_cast<std::uint16_t>(configured.metrics_port.value);
        }
        if (!otlp && !configured.otlp_endpoint.value.empty()) otlp = configured.otlp_endpoint.value;
    }
    const auto linger_text = take_option(a, "metrics-linger", missing);
    unsigned long linger_s = 0;
    if (linger_text) {
        const bool digits = !linger_text->empty() && linger_text->size() <= 4 && linger_text->find_first_not_of("0123456789") == std::string::npos;
        if (missing || !digits || (linger_s = std::stoul(*linger_text)) > 3600) {
            std::fprintf(stderr, "zerog: --metrics-linger needs whole seconds 0..3600\n");
            return 2;
        }
        if (!port_text) { std::fprintf(stderr, "zerog: --metrics-linger needs --metrics-port\n"); return 2; }
    }
    if (textfile || port_text) metrics_option() = std::make_shared<zerog::observe::metrics_registry>();
    std::optional<metrics_endpoint_thread> endpoint;
    if (port_text) {
        endpoint.emplace();
        zerog::net::server_options so;
        so.port = metrics_port;
        auto srv = zerog::client::serve_metrics(endpoint->thread.executor(), metrics_option(), so);
        if (!srv) {
            std::fprintf(stderr, "zerog: %s\n", srv.error().message().c_str());
            return 2;
        }
        endpoint->server.emplace(std::move(*srv));
        endpoint->linger = std::chrono::seconds(linger_s);
        std::fprintf(stderr, "zerog: serving metrics on %s/metrics\n", endpoint->server->url().c_str());
    }
    // Written however the command ends (a failed upload's series are what an operator needs).
    struct write_textfile_at_exit {
        const std::optional<std::string>& path;
        ~write_textfile_at_exit() {
            if (!path || !metrics_option()) return;
            if (auto ok = metrics_option()->write_textfile(*path); !ok)
                std::fprintf(stderr, "zerog: %s\n", ok.error().message().c_str());
        }
    } textfile_writer{textfile};

    // Global option: --otlp-endpoint URL: the spans of every operation (one trace per operation,
    // a child span per network call) to an OTLP/HTTP collector (JSON, POST URL/v1/traces), from a
    // bounded queue on its own thread: a collector that is down or slow never slows the command.
    // The queue is flushed when the command ends (at most 3 s).
    if (otlp) {
        zerog::observe::otlp_resource res;
        res.service_name = "zerog";
        res.service_version = std::string(zerog::version);
        // deployment.environment: the command's --profile, else ZEROG_PROFILE.
        if (const auto at = std::find(a.begin(), a.end(), "--profile"); at != a.end() && at + 1 != a.end()) res.network = *(at + 1);
        else if (const char* p = std::getenv("ZEROG_PROFILE"); p && *p) res.network = p;
        zerog::observe::tracer_options to;
        to.resource = res;
        to.scope_version = res.service_version;
        tracer_option() = std::make_shared<zerog::observe::tracer>(
            std::make_shared<zerog::client::otlp_http_exporter>(*otlp, res, res.service_version), to);
    }
    // Flushed (bounded) when main returns: the last reference is dropped before the statics go;
    // spans the flush could not deliver are counted before the textfile is written.
    struct flush_tracer_at_exit {
        ~flush_tracer_at_exit() {
            if (const auto& t = tracer_option()) {
                t->shutdown();
                if (metrics_option())
                    if (const auto n = t->take_unreported_drops()) metrics_option()->add("zerog_spans_dropped_total", static_cast<double>(n), {});
            }
            tracer_option().reset();
        }
    } tracer_flusher;

    if (a.empty() || a[0] == "help" || a[0] == "--help" || a[0] == "-h") {
        std::printf("zerog: 0G Storage and 0G Compute from the command line\n\ncommands:\n");
        for (auto& [name, c] : registry()) std::printf("  zerog %s\n", c.usage.c_str());
        std::printf("\nglobal options:\n  --log-level trace|debug|info|warn|error|off   JSON-lines logs on stderr (default: ZEROG_LOG_LEVEL, else warn)\n"
                    "  --db PATH|postgresql://…                      where payments are recorded (default: ZEROG_DB, the config's\n"
                    "                                                `database`, the devnet's own file, else $XDG_STATE_HOME/zerog/zerog.db)\n"
                    "  --metrics-textfile PATH                       write the command's Prometheus metrics to PATH when it ends (atomically;\n"
                    "                                                for node_exporter's textfile collector)\n"
                    "  --metrics-port PORT                           serve GET /metrics on 127.0.0.1:PORT while the command runs (0: any free\n"
                    "                                                port; the address is printed on stderr)\n"
                    "  --metrics-linger SECONDS                      with --metrics-port: keep serving that long after the command ends\n"
                    "  --otlp-endpoint URL                           send the command's traces to an OTLP/HTTP collector (JSON, URL/v1/traces)\n"
                    "  --metrics-textfile, --metrics-port and --otlp-endpoint may also come from the configuration (observability.*,\n"
                    "  ZEROG_METRICS_TEXTFILE, ZEROG_METRICS_PORT, ZEROG_OTLP_ENDPOINT; zerog config show); a flag wins\n");
        return a.empty() ? 2 : 0;
    }
    // Longest match first: "devnet up" before "devnet".
    for (std::size_t words = std::min<std::size_t>(a.size(), 2); words >= 1; --words) {
        std::string name = a[0];
        for (std::size_t i = 1; i < words; ++i) name += " " + a[i];
        if (auto it = registry().find(name); it != registry().end()) {
            std::vector<std::string> rest(a.begin() + static_cast<std::ptrdiff_t>(words), a.end());
            try {
                return it->second.run(rest);
            } catch (const zerog::exception& e) {
                return report(name, e.error());
            } catch (const std::exception& e) {
                std::fprintf(stderr, "zerog %s: internal error: %s\n", name.c_str(), e.what());
                return 1;
            }
        }
    }
    std::fprintf(stderr, "zerog: unknown command '%s' (see `zerog help`)\n", a[0].c_str());
    return 2;
}
