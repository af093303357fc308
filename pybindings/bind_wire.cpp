// Python bindings for impl/wire: DHCPv6 and RFC 8156 messages to and from their JSON form
// (wire/json.h) as plain Python dicts, the failover TCP framing, and the name tables.
//
// Errors: malformed input raises failover6.DecodeError (a ValueError with .offset and
// .reason); a dict that does not describe a message raises ValueError naming the field
// (std::invalid_argument from *_from_json); a value that cannot go on the wire raises
// failover6.EncodeError (a ValueError).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <nlohmann/json.hpp>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "py_common.h"
#include "py_json.h"
#include "py_register.h"
#include "wire/constants.h"
#include "wire/describe.h"
#include "wire/duid.h"
#include "wire/failover_message.h"
#include "wire/json.h"
#include "wire/message.h"

namespace failover6::python {

namespace {

namespace wire = failover6::wire;
using nlohmann::json;
using namespace pybind11::literals;

// The exception classes, created once in register_wire(); the module keeps them alive.
PyObject* g_decode_error = nullptr;
PyObject* g_encode_error = nullptr;

PyObject* new_exception(const char* name, const char* doc) {
  PyObject* t = PyErr_NewExceptionWithDoc(name, doc, PyExc_ValueError, nullptr);
  if (t == nullptr) throw py::error_already_set();
  return t;
}

/// Error text as str; octets that are not UTF-8 (user strings echoed in a message) are shown
/// as \xNN escapes rather than making the translation itself fail.
py::object text(const char* s) {
  PyObject* o = PyUnicode_DecodeUTF8(s, static_cast<Py_ssize_t>(std::strlen(s)), "backslashreplace");
  if (o == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(o);
}

void set_error(PyObject* type, const char* what) { PyErr_SetObject(type, text(what).ptr()); }

void translate(std::exception_ptr p) {
  try {
    try {
      std::rethrow_exception(p);
    } catch (const wire::DecodeFailure& e) {
      // DecodeError(text) with the structured parts as attributes, so callers need not parse
      // "offset N: reason".
      py::object exc = py::reinterpret_borrow<py::object>(g_decode_error)(text(e.what()));
      exc.attr("offset") = e.error().offset;
      exc.attr("reason") = text(e.error().message.c_str());
      PyErr_SetObject(g_decode_error, exc.ptr());
    } catch (const wire::EncodeError& e) {
      set_error(g_encode_error, e.what());
    } catch (const std::invalid_argument& e) {
      // *_from_json: the text names the option and the field.
      set_error(PyExc_ValueError, e.what());
    } catch (const json::exception& e) {
      // json.cc checks types before it reads; this only guards against a gap there.
      set_error(PyExc_ValueError, e.what());
    }
  } catch (py::error_already_set& e) {
    e.restore();  // out of memory while building the exception
  }
}

/// Runs @p decode on the octets of @p data, without the GIL when they cannot change meanwhile,
/// and returns the JSON form as Python objects. @p decode returns an Expected<T>.
template <class Decode>
py::dict decode_to_python(const py::buffer& data, Decode decode) {
  ByteBuffer buf(data);
  json j;
  auto run = [&] {
    auto r = decode(buf.view());
    if (!r) throw wire::DecodeFailure(r.error());
    j = wire::to_json(*r);
  };
  if (buf.immutable()) {
    py::gil_scoped_release release;
    run();
  } else {
    run();
  }
  return py::reinterpret_borrow<py::dict>(to_python(j));
}

/// Converts @p msg to JSON (with the GIL), then builds and encodes it without the GIL.
template <class Encode>
py::bytes encode_from_python(const py::dict& msg, Encode encode) {
  json j = from_python(msg, "msg");
  wire::Bytes out;
  {
    py::gil_scoped_release release;
    out = encode(j);
  }
  return to_bytes(out);
}

template <class T>
T checked(long long v, long long max, const char* what) {
  if (v < 0 || v > max)
    throw py::value_error(std::string(what) + " " + std::to_string(v) + " is outside 0.." +
                          std::to_string(max));
  return static_cast<T>(v);
}

py::object optional_int(std::optional<unsigned> v) {
  if (!v) return py::none();
  return py::int_(*v);
}

/// FrameSplitter for Python: also an iterator over the complete frames buffered so far.
/// The methods keep the GIL: they are short, and the splitter is not safe to share between
/// threads without it.
void bind_frame_splitter(py::module_& m) {
  py::class_<wire::FrameSplitter>(m, "FrameSplitter",
                                  "Splits the failover TCP byte stream into message bodies by "
                                  "their 2-octet length prefix (RFC 8156 §5.1).\n\n"
                                  "feed() any octets as they arrive, then take frames with "
                                  "next() or by iterating.")
      .def(py::init<>())
      .def(
          "feed",
          [](wire::FrameSplitter& s, const py::buffer& data) {
            ByteBuffer buf(data);
            s.feed(buf.view());
          },
          "data"_a, "Appends received octets (any split, even one octet at a time).")
      .def(
          "next",
          [](wire::FrameSplitter& s) -> py::object {
            auto f = s.next();
            if (!f) return py::none();
            return to_bytes(*f);
          },
          "Returns the next complete frame (without its length prefix), or None.")
      .def_property_readonly("pending", &wire::FrameSplitter::pending,
                             "Octets buffered that do not yet form a complete frame.")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", [](wire::FrameSplitter& s) -> py::bytes {
        auto f = s.next();
        if (!f) throw py::stop_iteration();
        return to_bytes(*f);
      });
}

}  // namespace

void register_wire(py::module_& m) {
  g_decode_error = new_exception(
      "failover6.DecodeError",
      "Malformed DHCPv6 or failover octets. str() is 'offset N: reason'; .offset is the "
      "absolute octet offset where decoding failed and .reason says what was wrong there.");
  g_encode_error = new_exception(
      "failover6.EncodeError",
      "A message that cannot be put on the wire (an option longer than 65535 octets, a "
      "domain name with an empty or too long label, ...). The text names the field.");
  m.attr("DecodeError") = py::handle(g_decode_error);
  m.attr("EncodeError") = py::handle(g_encode_error);
  py::register_local_exception_translator(&translate);

  m.attr("FAILOVER_EPOCH_UNIX") = wire::FAILOVER_EPOCH_UNIX;
  m.attr("MAX_RELAY_DEPTH") = wire::MAX_RELAY_DEPTH;
  m.attr("MAX_NESTING") = wire::MAX_NESTING;

  m.def(
      "decode_message",
      [](const py::buffer& data) {
        return decode_to_python(data, [](wire::ByteView v) { return wire::decode_message(v); });
      },
      "data"_a,
      "Decodes one DHCPv6 message (a UDP payload, RFC 8415 §8/§9) into its JSON form as a "
      "dict. Raises DecodeError on malformed input.");
  m.def(
      "encode_message",
      [](const py::dict& msg) {
        return encode_from_python(
            msg, [](const json& j) { return wire::encode_message(wire::message_from_json(j)); });
      },
      "msg"_a,
      "Encodes a DHCPv6 message given in its JSON form. Raises ValueError naming the field "
      "for a bad dict, EncodeError when the message cannot be put on the wire.");
  m.def(
      "decode_failover",
      [](const py::buffer& data) {
        return decode_to_python(data, [](wire::ByteView v) { return wire::decode_failover(v); });
      },
      "data"_a,
      "Decodes one RFC 8156 failover message (without its 2-octet length prefix) into its "
      "JSON form as a dict. Raises DecodeError on malformed input.");
  m.def(
      "encode_failover",
      [](const py::dict& msg, bool framed) {
        return encode_from_python(msg, [framed](const json& j) {
          auto f = wire::failover_from_json(j);
          return framed ? wire::encode_failover_framed(f) : wire::encode_failover(f);
        });
      },
      "msg"_a, py::kw_only(), "framed"_a = false,
      "Encodes a failover message given in its JSON form; with framed=True, prefixed with its "
      "2-octet length for the TCP stream. Raises ValueError or EncodeError like "
      "encode_message.");
  m.def(
      "split_frames",
      [](const py::buffer& data) {
        wire::FrameSplitter s;
        std::size_t total = 0;
        {
          ByteBuffer buf(data);
          total = buf.view().size();
          s.feed(buf.view());
        }
        py::list frames;
        while (auto f = s.next()) frames.append(to_bytes(*f));
        return py::make_tuple(frames, total - s.pending());
      },
      "data"_a,
      "Splits length-prefixed failover frames. Returns (frames, consumed): the complete frame "
      "bodies and the number of octets they used; data[consumed:] is an incomplete frame.");
  bind_frame_splitter(m);
  m.def(
      "describe_message",
      [](const py::dict& msg) {
        json j = from_python(msg, "msg");
        return wire::describe(wire::message_from_json(j));
      },
      "msg"_a,
      "One line describing a DHCPv6 message given in its JSON form: type, xid, client DUID, "
      "IAs with addresses/prefixes and lifetimes, status codes, relay hops.");
  m.def(
      "describe_failover",
      [](const py::dict& msg) {
        json j = from_python(msg, "msg");
        return wire::describe(wire::failover_from_json(j));
      },
      "msg"_a,
      "One line describing a failover message given in its JSON form: type, xid, sent-time "
      "and the options that matter for the type.");

  m.def(
      "message_type_name",
      [](long long v) { return wire::to_string(checked<wire::MessageType>(v, 0xFF, "message type")); },
      "value"_a, "IANA name of a message type ('SOLICIT', 'BNDUPD'), or 'MSG-<n>'.");
  m.def(
      "parse_message_type",
      [](const std::string& name) {
        auto t = wire::parse_message_type(name);
        return optional_int(t ? std::optional<unsigned>(static_cast<unsigned>(*t)) : std::nullopt);
      },
      "name"_a, "Message type named 'SOLICIT' (any case), 'MSG-<n>' or '<n>'; None if unknown.");
  m.def(
      "option_name",
      [](long long code) { return wire::option_name(checked<std::uint16_t>(code, 0xFFFF, "option code")); },
      "code"_a, "Option name without OPTION_ ('IA_NA', 'F_MCLT'), or 'OPTION-<n>'.");
  m.def(
      "parse_option_code",
      [](const std::string& name) {
        auto c = wire::parse_option_code(name);
        return optional_int(c ? std::optional<unsigned>(*c) : std::nullopt);
      },
      "name"_a, "Option code named 'IA_NA' (any case), 'OPTION-<n>' or '<n>'; None if unknown.");
  m.def(
      "status_name",
      [](long long code) { return wire::status_name(checked<std::uint16_t>(code, 0xFFFF, "status code")); },
      "code"_a, "RFC name of a status code ('NoAddrsAvail'), or 'Status-<n>'.");
  m.def(
      "binding_status_name",
      [](long long v) { return wire::binding_status_name(checked<std::uint8_t>(v, 0xFF, "binding status")); },
      "value"_a, "RFC 8156 binding status name ('ACTIVE', 'FREE-BACKUP'), or 'BINDING-<n>'.");
  m.def(
      "server_state_name",
      [](long long v) { return wire::server_state_name(checked<std::uint8_t>(v, 0xFF, "server state")); },
      "value"_a, "RFC 8156 server state name ('NORMAL', 'PARTNER-DOWN'), or 'STATE-<n>'.");
  m.def(
      "describe_duid",
      [](const py::buffer& raw) {
        ByteBuffer buf(raw);
        wire::Duid d;
        d.raw.assign(buf.view().begin(), buf.view().end());
        return d.describe();
      },
      "raw"_a, "Short description of a DUID's octets: 'LL hw=1 ll=..', 'EN 9 id=..', ...");
}

}  // namespace failover6::python
