#include "py_json.h"

#include <cstdint>
#include <string>
#include <utility>

namespace failover6::python {

namespace {

using nlohmann::json;

py::object steal_or_throw(PyObject* o) {
  if (o == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(o);
}

py::str decode_utf8(const std::string& s) {
  return steal_or_throw(
      PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "surrogateescape"));
}

/// A conversion failure on its way up the recursion: each level prepends its subscript, so
/// the path costs nothing unless something fails.
struct ConvertError {
  bool type_error;  ///< TypeError, else ValueError
  std::string path;
  std::string what;
};

std::string py_str(py::handle o) { return py::str(o).cast<std::string>(); }

std::string encode_utf8(py::handle s) {
  PyObject* b = PyUnicode_AsEncodedString(s.ptr(), "utf-8", "surrogateescape");
  if (b == nullptr) {
    // A lone surrogate outside U+DC80..U+DCFF has no octet to stand for.
    py::error_already_set err;
    throw ConvertError{false, "", std::string("string cannot be encoded as UTF-8: ") + err.what()};
  }
  auto owner = py::reinterpret_steal<py::bytes>(b);
  return {PyBytes_AS_STRING(b), static_cast<std::size_t>(PyBytes_GET_SIZE(b))};
}

/// Deeper than any JSON form our C++ areas produce (a 32-level relay chain is ~100 levels);
/// bounds the recursion for self-referencing or absurdly nested Python input.
constexpr int MAX_DEPTH = 512;

json convert(py::handle o, int depth) {
  if (depth > MAX_DEPTH)
    throw ConvertError{false, "", "nested deeper than " + std::to_string(MAX_DEPTH) + " levels"};
  PyObject* p = o.ptr();
  if (p == Py_None) return nullptr;
  if (PyBool_Check(p)) return p == Py_True;
  if (PyLong_Check(p)) {  // also IntEnum members
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(p, &overflow);
    if (overflow == 0) {
      if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
      if (v >= 0) return static_cast<std::uint64_t>(v);
      return static_cast<std::int64_t>(v);
    }
    if (overflow > 0) {
      unsigned long long u = PyLong_AsUnsignedLongLong(p);
      if (!PyErr_Occurred()) return static_cast<std::uint64_t>(u);
      PyErr_Clear();
    }
    throw ConvertError{false, "", "integer " + py_str(o) + " does not fit in 64 bits"};
  }
  if (PyFloat_Check(p)) return PyFloat_AS_DOUBLE(p);
  if (PyUnicode_Check(p)) return encode_utf8(o);
  if (PyDict_Check(p)) {
    json j = json::object();
    PyObject* key = nullptr;
    PyObject* value = nullptr;
    Py_ssize_t pos = 0;
    while (PyDict_Next(p, &pos, &key, &value)) {
      if (!PyUnicode_Check(key))
        throw ConvertError{true, "", "dict key " + py::repr(key).cast<std::string>() +
                                         " is not a str"};
      std::string k = encode_utf8(key);
      try {
        j[k] = convert(value, depth + 1);
      } catch (ConvertError& e) {
        e.path = "[" + py::repr(key).cast<std::string>() + "]" + e.path;
        throw;
      }
    }
    return j;
  }
  if (PyList_Check(p) || PyTuple_Check(p)) {
    json j = json::array();
    auto seq = py::reinterpret_borrow<py::sequence>(o);
    std::size_t n = seq.size();
    for (std::size_t i = 0; i < n; ++i) {
      try {
        j.push_back(convert(seq[i], depth + 1));
      } catch (ConvertError& e) {
        e.path = "[" + std::to_string(i) + "]" + e.path;
        throw;
      }
    }
    return j;
  }
  std::string hint = PyBytes_Check(p) || PyByteArray_Check(p)
                         ? " (octet strings are hex str in the JSON form)"
                         : "";
  throw ConvertError{true, "",
                     "cannot convert " + std::string(Py_TYPE(p)->tp_name) + " to JSON" + hint};
}

}  // namespace

py::object to_python(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
      return py::none();
    case json::value_t::boolean:
      return py::bool_(j.get<bool>());
    case json::value_t::number_integer:
      return steal_or_throw(PyLong_FromLongLong(j.get<std::int64_t>()));
    case json::value_t::number_unsigned:
      return steal_or_throw(PyLong_FromUnsignedLongLong(j.get<std::uint64_t>()));
    case json::value_t::number_float:
      return steal_or_throw(PyFloat_FromDouble(j.get<double>()));
    case json::value_t::string:
      return decode_utf8(j.get_ref<const std::string&>());
    case json::value_t::binary: {
      const auto& b = j.get_binary();
      return py::bytes(reinterpret_cast<const char*>(b.data()), b.size());
    }
    case json::value_t::array: {
      py::list l(j.size());
      for (std::size_t i = 0; i < j.size(); ++i) l[i] = to_python(j[i]);
      return l;
    }
    case json::value_t::object: {
      py::dict d;
      for (const auto& [k, v] : j.items()) d[decode_utf8(k)] = to_python(v);
      return d;
    }
  }
  return py::none();
}

json from_python(py::handle obj, const char* root) {
  try {
    return convert(obj, 0);
  } catch (const ConvertError& e) {
    std::string msg = std::string(root) + e.path + ": " + e.what;
    if (e.type_error) throw py::type_error(msg);
    throw py::value_error(msg);
  }
}

}  // namespace failover6::python
