// Built by tests/CMakeLists.txt: the synchronous Client's header compiles no
// Asio header (the asynchronous request path, the connection driver and the
// async cached reads live behind it), which keeps a user's translation unit
// about 0.5 s faster to compile (docs/commands.md "Compile time"). An Asio
// header that comes back through an include breaks this build.
#include <valkey/client.hpp>
#include <valkey/pipeline.hpp>
#include <valkey/transaction.hpp>

#ifdef ASIO_DETAIL_CONFIG_HPP
#error "<valkey/client.hpp>, pipeline.hpp or transaction.hpp includes an Asio header"
#endif
