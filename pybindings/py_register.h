// One register_<area>() per bind_<area>.cpp; module.cpp calls each of them once.
#pragma once

#include <pybind11/pybind11.h>

namespace failover6::python {

/// @brief Adds the impl/wire codec (messages, failover framing, name tables, DecodeError,
/// EncodeError) to module @p m. Defined in bind_wire.cpp.
void register_wire(pybind11::module_& m);

/// @brief Adds the toolkit/gen traffic generator (`Generator`) to module @p m. Defined in
/// bind_gen.cpp.
void register_gen(pybind11::module_& m);

/// @brief Adds the trace checker (`check`, `invariant_names`, `TraceError`) to module @p m.
/// Defined in bind_check.cpp.
void register_check(pybind11::module_& m);

/// @brief Adds the toolkit/fault tools (`PartnerProxy`, `UdpProxy`, `Process`, `skew_env`,
/// `NftPartition`, ...) to module @p m. Defined in bind_fault.cpp.
void register_fault(pybind11::module_& m);

}  // namespace failover6::python
