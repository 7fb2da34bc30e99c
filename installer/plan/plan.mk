# plan: depends on boot deploy disk import oci util.
plan_SRCS := $(wildcard installer/plan/*.c)
plan_LIBS := $(PKGS_JSON)
