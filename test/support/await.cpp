#include "support/await.hpp"
