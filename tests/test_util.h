// Assertions shared by the gtest files: checking that a call throws the right ember::Error
// with the right message.
#pragma once
#include <gtest/gtest.h>

#include <exception>
#include <string>

// Expects `statement` to throw E whose message contains every fragment.
#define EXPECT_THROW_MSG(statement, E, ...)                                          \
  do {                                                                               \
    try {                                                                            \
      statement;                                                                     \
      ADD_FAILURE() << "expected " #E " from " #statement;                           \
    } catch (const E& e) {                                                           \
      for (const char* frag : {__VA_ARGS__})                                         \
        EXPECT_NE(std::string(e.what()).find(frag), std::string::npos)              \
            << "message \"" << e.what() << "\" lacks \"" << frag << "\"";            \
    }                                                                                \
  } while (0)

namespace ember::testing {

// Runs f, expects it to throw E, and returns the message ("" after recording a failure).
template <typename E, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw the wrong exception type: " << e.what();
    return {};
  }
  ADD_FAILURE() << "did not throw";
  return {};
}

// Expects f to throw E with exactly `message`.
template <typename E, typename F>
void expect_throw_message(F&& f, const std::string& message) {
  EXPECT_EQ(message_of<E>(f), message);
}

}  // namespace ember::testing
