// The spill directory's trust model: a private directory opened once, files reached from it only.
#include "pipeline/spill_directory.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace ltf::pipeline {

namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "spill directory"; }
  std::string message(int value) const override {
    switch (static_cast<SpillDirError>(value)) {
      case SpillDirError::symlink: return "is a symbolic link, which is never followed";
      case SpillDirError::not_a_directory: return "is not a directory";
      case SpillDirError::foreign_owner: return "is owned by another user";
      case SpillDirError::writable_by_others:
        return "is writable by other users (make it 0700, or choose another LTF_SPILL_DIR)";
      case SpillDirError::not_a_regular_file: return "is not a regular file";
    }
    return "unknown spill directory error";
  }
};

std::error_code last_error() { return {errno, std::generic_category()}; }

// O_NOFOLLOW reports a link as ELOOP, which reads as "too many levels of symbolic links": say
// what it is.
std::error_code open_error() {
  return errno == ELOOP ? make_error_code(SpillDirError::symlink) : last_error();
}

}  // namespace

const std::error_category& spill_dir_category() {
  static const Category category;
  return category;
}

std::error_code make_error_code(SpillDirError error) {
  return {static_cast<int>(error), spill_dir_category()};
}

PrivateDirectory PrivateDirectory::open(const std::filesystem::path& path, std::error_code& ec) {
  ec.clear();
  PrivateDirectory dir;
  dir.path_ = path.empty() ? std::filesystem::path(".") : path;
  // The parents may be shared (/tmp): made with the default mode; only our own directory is private.
  if (dir.path_.has_parent_path()) {
    std::error_code ignored;  // a parent that cannot be made shows as the mkdir's error below
    std::filesystem::create_directories(dir.path_.parent_path(), ignored);
  }
  // Made 0700 from the start: there is no moment when it is open to others.
  if (::mkdir(dir.path_.c_str(), 0700) != 0 && errno != EEXIST) {
    ec = last_error();
    return {};
  }
  const int fd = ::open(dir.path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    struct stat link {};
    if (errno == ENOTDIR && ::lstat(dir.path_.c_str(), &link) == 0 && S_ISLNK(link.st_mode))
      errno = ELOOP;  // a link to something else than a directory
    ec = errno == ENOTDIR ? make_error_code(SpillDirError::not_a_directory) : open_error();
    return {};
  }
  dir.fd_ = fd;
  // Checked on what was opened, not on the name: nothing can be swapped in between.
  struct stat st {};
  if (::fstat(fd, &st) != 0) ec = last_error();
  else if (!S_ISDIR(st.st_mode)) ec = SpillDirError::not_a_directory;
  else if (st.st_uid != ::geteuid()) ec = SpillDirError::foreign_owner;
  else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) ec = SpillDirError::writable_by_others;
  if (ec) return {};
  return dir;
}

PrivateDirectory::PrivateDirectory(PrivateDirectory&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

PrivateDirectory& PrivateDirectory::operator=(PrivateDirectory&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

PrivateDirectory::~PrivateDirectory() {
  if (fd_ >= 0) ::close(fd_);
}

int PrivateDirectory::open_file(const std::string& name, int flags, std::error_code& ec,
                                mode_t mode) const {
  ec.clear();
  const int fd = ::openat(fd_, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode);
  if (fd < 0) {
    ec = open_error();
    return -1;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) ec = last_error();
  else if (!S_ISREG(st.st_mode)) ec = SpillDirError::not_a_regular_file;
  if (!ec) return fd;
  ::close(fd);
  return -1;
}

void PrivateDirectory::remove(const std::string& name) const { ::unlinkat(fd_, name.c_str(), 0); }

std::vector<std::string> PrivateDirectory::names(std::error_code& ec) const {
  ec.clear();
  std::vector<std::string> out;
  // A descriptor of its own for the listing: closedir() closes it, and ours stays.
  const int fd = ::openat(fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* listing = fd >= 0 ? ::fdopendir(fd) : nullptr;
  if (!listing) {
    ec = last_error();
    if (fd >= 0) ::close(fd);
    return out;
  }
  errno = 0;
  while (const dirent* entry = ::readdir(listing)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") out.emplace_back(name);
  }
  if (errno != 0) ec = last_error();
  ::closedir(listing);
  return out;
}

}  // namespace ltf::pipeline
