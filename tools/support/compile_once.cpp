// The one TU of this tree that compiles Boost.JSON/Asio/Beast definitions (see compile_once.hpp).
#include <zerog/compile_once.hpp>
