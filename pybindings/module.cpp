// The extension module `failover6._core`. Each area registers itself from its own
// bind_<area>.cpp; the user-facing API is the pure-Python package `failover6` on top.
#include <pybind11/pybind11.h>

#include "py_register.h"

PYBIND11_MODULE(_core, m) {
  m.doc() = "failover6 C++ core: thin bindings, plain Python values in and out. "
            "Use the `failover6` package rather than this module directly.";
  m.attr("__version__") = FAILOVER6_VERSION;
  failover6::python::register_wire(m);
  failover6::python::register_gen(m);
  failover6::python::register_check(m);
  failover6::python::register_fault(m);
}
