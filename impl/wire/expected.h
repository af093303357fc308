// failover6::wire::DecodeError and Expected<T>: how decoders report malformed input.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace failover6::wire {

/// Why a decode failed and where: @p offset is the absolute octet offset in the buffer given to
/// the decoder, @p message says what was wrong there ("option IA_NA (3): length 8 is shorter
/// than its 12-octet fixed part").
struct DecodeError {
  std::size_t offset = 0;
  std::string message;
  /// @return "offset N: message".
  std::string to_string() const { return "offset " + std::to_string(offset) + ": " + message; }
  friend bool operator==(const DecodeError&, const DecodeError&) = default;
};

/// Thrown by Expected::value() when it holds an error.
class DecodeFailure : public std::runtime_error {
 public:
  explicit DecodeFailure(DecodeError e) : std::runtime_error(e.to_string()), error_(std::move(e)) {}
  const DecodeError& error() const { return error_; }

 private:
  DecodeError error_;
};

/// A decoded value or the DecodeError that prevented it (a small std::expected stand-in).
template <class T>
class Expected {
 public:
  Expected(T v) : v_(std::in_place_index<0>, std::move(v)) {}             // NOLINT: implicit
  Expected(DecodeError e) : v_(std::in_place_index<1>, std::move(e)) {}   // NOLINT: implicit

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  /// @throws DecodeFailure when this holds an error.
  T& value() & {
    if (!has_value()) throw DecodeFailure(std::get<1>(v_));
    return std::get<0>(v_);
  }
  const T& value() const& {
    if (!has_value()) throw DecodeFailure(std::get<1>(v_));
    return std::get<0>(v_);
  }
  T&& value() && {
    if (!has_value()) throw DecodeFailure(std::get<1>(v_));
    return std::get<0>(std::move(v_));
  }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  /// @pre !has_value()
  const DecodeError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, DecodeError> v_;
};

}  // namespace failover6::wire
