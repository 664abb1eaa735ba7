// Test entry point: turns on allocation poisoning before anything allocates, so an output
// element a kernel never wrote reads as NaN / -1 and fails its comparison.
#include <gtest/gtest.h>

#include <cstdlib>

int main(int argc, char** argv) {
  setenv("EMBER_DEBUG_POISON", "1", /*overwrite=*/0);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
