// ember's exception hierarchy. Messages follow `op(args): what is wrong; what was expected`.
// Lives in kernels/ (the lowest layer) so backends and launchers can raise the same errors.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace ember {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class ShapeError : public Error {
  using Error::Error;
};
class DTypeError : public Error {
  using Error::Error;
};
class DeviceError : public Error {
  using Error::Error;
};
class IndexError : public Error {
  using Error::Error;
};
class ValueError : public Error {  // a bad argument value that is not a shape, dtype or index
  using Error::Error;
};
class IOError : public Error {
  using Error::Error;
};
class OutOfMemoryError : public Error {
  using Error::Error;
};
class NotImplementedError : public Error {
  using Error::Error;
};

// Concatenates anything streamable: str("matmul: ", a, " vs ", b).
template <typename... Args>
std::string str(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}

}  // namespace ember

// Throws ErrorType with the streamed message when `cond` is false.
#define EMBER_CHECK(cond, ErrorType, ...)                   \
  do {                                                      \
    if (!(cond)) throw ErrorType(::ember::str(__VA_ARGS__)); \
  } while (0)
