// One register_<area>() per bind_<area>.cpp; module.cpp calls each of them once.
#pragma once

#include <pybind11/pybind11.h>

namespace failover6::python {

/// @brief Adds the impl/wire codec (messages, failover framing, name tables, DecodeError,
/// EncodeError) to module @p m. Defined in bind_wire.cpp.
void register_wire(pybind11::module_& m);

}  // namespace failover6::python
