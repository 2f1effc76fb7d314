# Turns INPUT into a C++ header OUTPUT holding its text as a raw string, so
# that the default configuration travels inside the binary.
file(READ ${INPUT} content)
set(delimiter "corvus_conf")
string(FIND "${content}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter")
endif()
file(WRITE ${OUTPUT}.tmp
     "#pragma once\n// Generated from config/node.conf; do not edit.\n"
     "namespace corvus {\n"
     "inline constexpr const char* embedded_node_conf = R\"${delimiter}(${content})${delimiter}\";\n"
     "} // namespace corvus\n")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
