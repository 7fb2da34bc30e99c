# plan: its direct dependencies in plan_DEPS, its libraries in plan_LIBS.
plan_SRCS := $(wildcard installer/plan/*.c)
plan_DEPS := boot deploy disk import kargs oci util
plan_LIBS :=
