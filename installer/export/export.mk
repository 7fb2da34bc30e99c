# export: its direct dependencies in export_DEPS, its libraries in export_LIBS.
export_SRCS := $(wildcard installer/export/*.c)
export_DEPS := import oci util
export_LIBS := $(PKGS_OSTREE) $(PKGS_ARCHIVE) $(PKGS_JSON)
