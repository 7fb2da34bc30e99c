# cli: the berth program, linked against the closure of cli_DEPS (see the Makefile).
cli_SRCS := $(wildcard installer/cli/*.c)
cli_DEPS := plan boot deploy disk export import kargs kickstart oci util
