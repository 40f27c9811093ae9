// Include this header in exactly ONE translation unit of a program that uses zerog.
//
// Why: zerog is header-only, but Boost.JSON, Boost.Asio and Boost.Beast are compiled in
// "separate compilation" mode (zerog_dep adds BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION) so that their large definitions are compiled once per
// program instead of once per TU. This header provides those definitions.
#pragma once

#include <boost/json/src.hpp>
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
