# Fuzz targets: tests/fuzz/fuzz-NAME.c defines LLVMFuzzerTestOneInput over untrusted bytes.
# Each is built twice:
#   - with gcc and tests/fuzz/replay-main.c as $(B)/tests/fuzz/fuzz-NAME, which replays the
#     corpus in tests/fuzz/corpus/NAME/ (run by the unit tier through tests/fuzz/replay.sh);
#   - with clang -fsanitize=fuzzer,address,undefined for `make fuzz`, which runs each target
#     for FUZZ_SECONDS (default 60) starting from that corpus.
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz-%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_REPLAYS := $(addprefix $(B)/tests/fuzz/fuzz-,$(FUZZ_TARGETS))
FUZZ_SECONDS ?= 60
FUZZ_B := build-fuzz
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
