// Every policy mock, for unit tests: `#include <zerog/testing/mocks.hpp>`. Each mock models its
// family's concept, records what it was asked and answers from a script; see each header.
#pragma once

#include <zerog/testing/manual_clock.hpp>
#include <zerog/testing/mock_breaker.hpp>
#include <zerog/testing/mock_limiter.hpp>
#include <zerog/testing/mock_persistence.hpp>
#include <zerog/testing/mock_signer.hpp>
#include <zerog/testing/mock_transport.hpp>
#include <zerog/testing/recording_telemetry.hpp>
#include <zerog/testing/scripted_retry.hpp>
