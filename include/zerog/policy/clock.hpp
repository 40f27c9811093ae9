// Clock policy family: the concept and the real clocks live in core/clock.hpp (protocol code needs
// them too); this header names them in the policy vocabulary. Test clock:
// <zerog/testing/manual_clock.hpp>.
#pragma once

#include <zerog/core/clock.hpp>

namespace zerog::policy {

using zerog::Clock;
using zerog::steady_time;
using zerog::system_clock_policy;
using zerog::wall_time;

}  // namespace zerog::policy
