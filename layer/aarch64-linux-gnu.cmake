# Cross-compiling for arm64 (aarch64) on Debian 12 with its cross compiler and multiarch :arm64
# -dev packages (libraries in /usr/lib/aarch64-linux-gnu, headers shared in /usr/include).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Programs are the build machine's; libraries, headers and packages only the target's.
set(CMAKE_FIND_ROOT_PATH / ${CMAKE_CURRENT_LIST_DIR}/../build/layer-arm64-overlay)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config (FindOpenSSL asks it first) must answer with the arm64 libraries.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)

# Debian 12's libboost-log1.81-dev is not Multi-Arch: same, so its :arm64 package cannot be
# installed next to the amd64 one: layer/build.sh unpacks it into build/layer-arm64-overlay.
set(_ltf_overlay ${CMAKE_CURRENT_LIST_DIR}/../build/layer-arm64-overlay/usr/lib/aarch64-linux-gnu/cmake)
if(EXISTS ${_ltf_overlay}/boost_log-1.81.0)
  set(boost_log_DIR ${_ltf_overlay}/boost_log-1.81.0 CACHE PATH "")
  set(boost_log_setup_DIR ${_ltf_overlay}/boost_log_setup-1.81.0 CACHE PATH "")
endif()

# Test executables built for arm64 run under qemu-user.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
