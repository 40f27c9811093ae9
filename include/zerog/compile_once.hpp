// Include this header in exactly ONE translation unit of a program that uses zerog.
//
// Why: zerog is header-only, but Boost.JSON, Boost.Asio and Boost.Beast are compiled in
// "separate compilation" mode (zerog_dep and `pkg-config --cflags zerog` add
// BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION) so that their large
// definitions are compiled once per program instead of once per TU. This header provides those
// definitions. Every TU of the program must be compiled with the same macros (README, "Using
// zerog without Meson").
#pragma once

#if !defined(BOOST_ASIO_SEPARATE_COMPILATION) || !defined(BOOST_BEAST_SEPARATE_COMPILATION)
#error "zerog: compile every translation unit with -DBOOST_ASIO_SEPARATE_COMPILATION -DBOOST_BEAST_SEPARATE_COMPILATION (use dependency('zerog') in Meson, or `pkg-config --cflags zerog`; see README, 'Using zerog without Meson')"
#endif
#if defined(BOOST_ASIO_HEADER_ONLY)
#error "zerog: BOOST_ASIO_HEADER_ONLY is defined; zerog builds Asio in separate-compilation mode (see README)"
#endif

#include <boost/json/src.hpp>
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
