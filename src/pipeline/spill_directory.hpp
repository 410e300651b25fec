#pragma once
// The spill directory's trust model (private to the pipeline module), shared by the spill store and
// the sandbox's sequence and id files. The directory is trusted only when it is safe: made 0700 by
// us, or else owned by our user and writable by nobody else. It is opened once, without following
// a symlink, and every file in it is reached from that descriptor (openat with O_NOFOLLOW), so
// neither a link planted as the directory nor one planted as a file inside it is ever followed.
//
// The directory's parents are not checked: a symlink among them (macOS's /tmp) is the user's
// choice, and whoever can swap a parent still cannot make us trust a directory we do not own.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace ltf::pipeline {

// Why a directory or a file in it is refused; ec.message() says it plainly.
enum class SpillDirError {
  symlink = 1,         // a symbolic link where a directory or file should be
  not_a_directory,
  foreign_owner,       // owned by another user
  writable_by_others,  // group- or world-writable: anyone could plant files in it
  not_a_regular_file,  // a fifo, device or directory where a file should be
};
const std::error_category& spill_dir_category();
std::error_code make_error_code(SpillDirError error);

class PrivateDirectory {
 public:
  // Creates `path` (mode 0700, parents as needed) or opens it when it is there, then checks it.
  static PrivateDirectory open(const std::filesystem::path& path, std::error_code& ec);

  PrivateDirectory() = default;
  PrivateDirectory(PrivateDirectory&& other) noexcept;
  PrivateDirectory& operator=(PrivateDirectory&& other) noexcept;
  PrivateDirectory(const PrivateDirectory&) = delete;
  PrivateDirectory& operator=(const PrivateDirectory&) = delete;
  ~PrivateDirectory();

  bool is_open() const { return fd_ >= 0; }
  const std::filesystem::path& path() const { return path_; }

  // Opens the regular file `name` in the directory (O_NOFOLLOW, O_CLOEXEC and O_NONBLOCK added:
  // a fifo planted as a file cannot block the thread). -1 and `ec` when it cannot be opened or is
  // not a regular file.
  int open_file(const std::string& name, int flags, std::error_code& ec, mode_t mode = 0600) const;
  // Removes `name` (the link itself, should it be one).
  void remove(const std::string& name) const;
  // The names of the entries in the directory, "." and ".." left out.
  std::vector<std::string> names(std::error_code& ec) const;

 private:
  int fd_ = -1;
  std::filesystem::path path_;
};

}  // namespace ltf::pipeline

template <>
struct std::is_error_code_enum<ltf::pipeline::SpillDirError> : std::true_type {};
