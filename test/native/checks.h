// The checks of the C++ check programs of test/native/ (run by test/helpers/native-check.ts): a failed
// check prints "NAME: WHAT" on stderr and is counted; a group of checks that all passed prints
// "NAME pass" on stdout.
#ifndef NETSNAP_TEST_NATIVE_CHECKS_H_
#define NETSNAP_TEST_NATIVE_CHECKS_H_

#include <cstdio>

namespace {

int failures = 0;

void check(bool ok, const char* name, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "%s: %s\n", name, what);
    failures++;
  }
}

// "NAME pass" when no check failed since `before` (the count of failures then).
[[maybe_unused]] void report(const char* name, int before) {
  if (failures == before) std::printf("%s pass\n", name);
}

}  // namespace

#endif  // NETSNAP_TEST_NATIVE_CHECKS_H_
