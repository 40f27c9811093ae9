// postgres_server: one throwaway PostgreSQL cluster per test program, started on first use by
// tools/devnet/postgres.sh on a free 127.0.0.1 port and stopped (its folder removed) when the
// program exits. Each test takes a fresh database of its own (`fresh_database()`), so tests never
// see each other's rows.
//
//   auto url = zerog::testing::postgres_server::instance().fresh_database();  // postgresql://…/zt_3
//
// Start-up failure throws std::runtime_error quoting the script's output: a machine without the
// server fails the test instead of skipping it (tools/install-deps.sh installs it).
#pragma once

#include "test_support.hpp"

#include <zerog/devnet/process.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>

namespace zerog::testing {

/// A TCP port on 127.0.0.1 that was free a moment ago (the devnet's picker).
inline int free_loopback_port() {
    auto p = zerog::devnet::free_port();
    if (!p) throw std::runtime_error(p.error().message());
    return *p;
}

class postgres_server {
public:
    static postgres_server& instance() {
        static postgres_server s;
        return s;
    }

    /// postgresql://postgres@127.0.0.1:PORT/postgres
    const std::string& admin_url() const { return url_; }
    int port() const { return port_; }

    /// A new, empty database; its URL.
    std::string fresh_database() {
        const std::string name = "zt_" + std::to_string(::getpid()) + "_" + std::to_string(++n_);
        psql("CREATE DATABASE " + name + " TEMPLATE template0");
        return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + name;
    }

    /// Run one SQL command as the superuser on database `db` (default postgres); stdout.
    std::string psql(const std::string& sql, const std::string& db = "postgres") const {
        auto [rc, out] = run_command("psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " + std::to_string(port_) + " -U postgres -d " + db +
                                     " -tAc \"" + sql + "\" 2>&1");
        if (rc != 0) throw std::runtime_error("psql failed (" + sql + "): " + out);
        return out;
    }

    postgres_server(const postgres_server&) = delete;
    postgres_server& operator=(const postgres_server&) = delete;
    ~postgres_server() { (void)run_command(script() + " stop " + dir_ + " 2>&1"); }

private:
    static std::string script() { return env_dir("ZEROG_SOURCE_DIR", ".") + "/tools/devnet/postgres.sh"; }

    postgres_server() {
        char tmpl[] = "/tmp/zerog-pg-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed for the PostgreSQL cluster");
        dir_ = tmpl;
        for (int attempt = 0; attempt < 3; ++attempt) {
            port_ = free_loopback_port();
            auto [rc, out] = run_command(script() + " start " + dir_ + " " + std::to_string(port_) + " 2>&1");
            if (rc == 0) {
                url_ = "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
                return;
            }
            (void)run_command(script() + " stop " + dir_ + " 2>&1");
            if (attempt == 2) throw std::runtime_error("could not start PostgreSQL: " + out);
            (void)::mkdir(dir_.c_str(), 0700);
        }
    }

    std::string dir_, url_;
    int port_ = 0;
    std::atomic<int> n_{0};
};

}  // namespace zerog::testing
