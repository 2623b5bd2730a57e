// Exposes the libprotobuf-c runtime (Debian libprotobuf-c-dev) to Swift.
#include <protobuf-c/protobuf-c.h>
