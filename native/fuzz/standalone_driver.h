// The main() of a harness built without libFuzzer (-DNETSNAP_STANDALONE_FUZZ, e.g. with
// g++ -fsanitize=address,undefined on a machine without clang): every file named on the command
// line, and every regular file inside a directory named there (one level), goes once through
// LLVMFuzzerTestOneInput(). A failed check aborts, so the exit status says whether all passed.
// Each input is copied into a buffer of exactly its size, so ASan sees a read one byte past it.
#ifndef NETSNAP_FUZZ_STANDALONE_DRIVER_H_
#define NETSNAP_FUZZ_STANDALONE_DRIVER_H_

#ifdef NETSNAP_STANDALONE_FUZZ
#include <dirent.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace netsnap_fuzz {

inline bool run_file(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    return false;
  }
  std::vector<uint8_t> buf;
  uint8_t chunk[65536];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) buf.insert(buf.end(), chunk, chunk + n);
  std::fclose(f);
  std::vector<uint8_t> exact(buf);  // exactly buf.size() bytes (no spare capacity to read into)
  exact.shrink_to_fit();
  LLVMFuzzerTestOneInput(exact.empty() ? nullptr : exact.data(), exact.size());
  return true;
}

// Returns the number of inputs run, or -1 when a path could not be read.
inline long run_paths(int argc, char** argv, int first) {
  long runs = 0;
  for (int a = first; a < argc; a++) {
    struct stat st;
    if (stat(argv[a], &st) != 0) {
      std::fprintf(stderr, "cannot stat %s\n", argv[a]);
      return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
      if (!run_file(argv[a])) return -1;
      runs++;
      continue;
    }
    DIR* d = opendir(argv[a]);
    if (d == nullptr) return -1;
    while (dirent* e = readdir(d)) {
      const std::string p = std::string(argv[a]) + "/" + e->d_name;
      struct stat fs;
      if (stat(p.c_str(), &fs) != 0 || !S_ISREG(fs.st_mode)) continue;
      if (!run_file(p)) {
        closedir(d);
        return -1;
      }
      runs++;
    }
    closedir(d);
  }
  return runs;
}

}  // namespace netsnap_fuzz

#ifndef NETSNAP_FUZZ_OWN_MAIN
int main(int argc, char** argv) {
  const long runs = netsnap_fuzz::run_paths(argc, argv, 1);
  if (runs < 0) return 2;
  std::printf("%s: %ld inputs ok\n", argv[0], runs);
  return 0;
}
#endif

#endif  // NETSNAP_STANDALONE_FUZZ
#endif  // NETSNAP_FUZZ_STANDALONE_DRIVER_H_
