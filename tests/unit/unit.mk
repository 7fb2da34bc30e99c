# Unit tests: one GLib g_test program per tests/unit/test-*.c.
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(wildcard tests/unit/test-*.c))
