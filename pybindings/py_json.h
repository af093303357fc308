// Direct conversion between nlohmann::json values and plain Python objects, without going
// through JSON text. Used wherever a C++ area exposes its JSON form to Python (wire messages,
// configs, reports).
#pragma once

#include <pybind11/pybind11.h>

#include <nlohmann/json.hpp>

namespace failover6::python {

namespace py = pybind11;

/// @brief Converts a JSON value to Python: null -> None, booleans -> bool, integers -> int,
/// floats -> float, strings -> str, arrays -> list, objects -> dict.
///
/// Strings (and object keys) are decoded as UTF-8 with errors="surrogateescape", so octets that
/// are not valid UTF-8 (a STATUS_CODE message is arbitrary octets on the wire) survive as lone
/// surrogates U+DC80..U+DCFF and from_python() turns them back into the same octets.
/// Needs the GIL. @throws py::error_already_set when Python runs out of memory.
py::object to_python(const nlohmann::json& j);

/// @brief Converts a Python object to JSON: None, bool, int (of any size that fits int64 or
/// uint64; non-negative values become unsigned), float, str (encoded as UTF-8 with
/// errors="surrogateescape"), list and tuple, and dict with str keys.
///
/// Needs the GIL. @p root names the argument in error messages.
/// @throws py::type_error for any other type or a non-str key, and py::value_error for an
/// integer out of range or a str that cannot be encoded; the message says where, e.g.
/// "msg['options'][0]['iaid']: integer 2**70 does not fit in 64 bits".
nlohmann::json from_python(py::handle obj, const char* root);

}  // namespace failover6::python
