"""valkeygen: Valkey command specs -> typed C++ (generated/). Build-time only."""
