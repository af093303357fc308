// Helpers shared by every bind_<area>.cpp: borrowing bytes-like arguments and returning bytes.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <span>
#include <vector>

namespace failover6::python {

namespace py = pybind11;

/// A read-only, C-contiguous view of a bytes-like argument (bytes, bytearray, memoryview, ...),
/// held for the lifetime of this object (PEP 3118 buffer export).
///
/// @p immutable() tells whether the octets cannot change while the view is held: true only for
/// `bytes`, whose storage no other thread can write. Only then may a binding release the GIL
/// while it reads the octets; a bytearray could be written to by another thread meanwhile.
class ByteBuffer {
 public:
  /// @throws py::error_already_set (TypeError) when @p obj does not export a contiguous buffer.
  explicit ByteBuffer(py::handle obj) : immutable_(PyBytes_Check(obj.ptr()) != 0) {
    if (PyObject_GetBuffer(obj.ptr(), &view_, PyBUF_SIMPLE) != 0) throw py::error_already_set();
  }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ~ByteBuffer() { PyBuffer_Release(&view_); }

  /// @return the octets; valid while this object lives.
  std::span<const std::uint8_t> view() const {
    return {static_cast<const std::uint8_t*>(view_.buf), static_cast<std::size_t>(view_.len)};
  }
  /// @return true when the octets cannot change while the buffer is held (a `bytes` object).
  bool immutable() const { return immutable_; }

 private:
  Py_buffer view_{};
  bool immutable_;
};

/// @return a new `bytes` object holding a copy of @p b.
inline py::bytes to_bytes(const std::vector<std::uint8_t>& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace failover6::python
