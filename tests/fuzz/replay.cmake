# The fuzz targets as ordinary programs, in every build (any compiler, with or without
# sanitizers): each target linked with replay_main.cc instead of libFuzzer, and registered with
# ctest to run over its seed corpus (each seed must be accepted, or rejected when its name starts
# with "reject-") and, as inputs that must only not crash, the other targets' seeds and
# tests/fuzz/regressions/.
#
# Included from tests/CMakeLists.txt with `include(fuzz/replay.cmake)`; the libFuzzer builds of
# the same targets are in fuzz/CMakeLists.txt (FAILOVER6_FUZZ=ON only). Paths here use
# CMAKE_CURRENT_LIST_DIR because include() keeps the including directory as the source dir.
set(FAILOVER6_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
set(FAILOVER6_FUZZ_TARGETS dhcp6 failover frames json endpoint)

foreach(target IN LISTS FAILOVER6_FUZZ_TARGETS)
  add_executable(fuzz_replay_${target}
    ${FAILOVER6_FUZZ_DIR}/replay_main.cc
    ${FAILOVER6_FUZZ_DIR}/fuzz_${target}.cc)
  target_link_libraries(fuzz_replay_${target} PRIVATE failover6_wire)
  if(target STREQUAL "endpoint")
    target_link_libraries(fuzz_replay_${target} PRIVATE failover6_failover)
  endif()
  if(FAILOVER6_FUZZ)
    # The fuzz build compiles everything with coverage instrumentation
    # (-fsanitize=fuzzer-no-link); its callbacks come from this runtime.
    target_link_options(fuzz_replay_${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()

  set(others "")
  foreach(other IN LISTS FAILOVER6_FUZZ_TARGETS)
    if(NOT other STREQUAL target)
      list(APPEND others ${FAILOVER6_FUZZ_DIR}/corpus/${other})
    endif()
  endforeach()
  add_test(NAME fuzz_replay_${target}
    COMMAND fuzz_replay_${target}
      --seeds ${FAILOVER6_FUZZ_DIR}/corpus/${target}
      --any ${others} ${FAILOVER6_FUZZ_DIR}/regressions)
endforeach()
