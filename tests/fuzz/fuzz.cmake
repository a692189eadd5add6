# The fuzz targets under tests/fuzz/ (docs/reliability.md, "Fuzzing").
#
# With REELQ_FUZZ=ON (clang only; `make fuzz`) each is a libFuzzer binary, fuzz_NAME, and the whole
# library is built with the fuzzer's coverage hooks, ASan and UBSan, so a bug anywhere in the code a
# target reaches is a crash. Without it (the normal GCC build) each target is linked with a small
# replay main instead, and ctest feeds it the seed corpus and tests/fuzz/regressions/NAME, so every
# crasher found stays a regression test in `make test`.
set(REELQ_FUZZ_DIR ${CMAKE_SOURCE_DIR}/tests/fuzz)

# Each target's seed folders, relative to the source root (tests/fuzz/run.sh names the same ones).
set(REELQ_FUZZ_SEEDS_manifest tests/fuzz/seeds/manifest tests/manifests/invalid)
set(REELQ_FUZZ_SEEDS_answer tests/fuzz/seeds/answer)
set(REELQ_FUZZ_SEEDS_callback tests/fuzz/seeds/callback)

foreach(name manifest answer callback)
  if(REELQ_FUZZ)
    add_executable(fuzz_${name} ${REELQ_FUZZ_DIR}/${name}_fuzz.cc)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  else()
    add_executable(fuzz_${name} ${REELQ_FUZZ_DIR}/${name}_fuzz.cc ${REELQ_FUZZ_DIR}/replay_main.cc)
    set(inputs)
    foreach(dir ${REELQ_FUZZ_SEEDS_${name}} tests/fuzz/regressions/${name})
      list(APPEND inputs ${CMAKE_SOURCE_DIR}/${dir})
    endforeach()
    add_test(NAME fuzz.${name} COMMAND fuzz_${name} ${inputs})
    set_tests_properties(fuzz.${name} PROPERTIES TIMEOUT 120 LABELS fuzz)
  endif()
  target_include_directories(fuzz_${name} PRIVATE ${REELQ_FUZZ_DIR})
  target_link_libraries(fuzz_${name} PRIVATE reelq_lib)
endforeach()
