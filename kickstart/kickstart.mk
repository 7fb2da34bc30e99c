# kickstart: Anaconda kickstart files read as pykickstart reads them (Fedora 45 syntax), the
# typed commands berth installs from, and what it refuses. Depends on util only; used by the
# CLI (berth kickstart), later by the plan.
kickstart_SRCS := $(wildcard kickstart/*.c)
kickstart_DEPS := util
kickstart_LIBS :=
