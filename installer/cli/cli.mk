# cli: the berth program; links every module (see LINK_ORDER in the Makefile).
cli_SRCS := $(wildcard installer/cli/*.c)
