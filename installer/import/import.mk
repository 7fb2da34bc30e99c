# import: its direct dependencies in import_DEPS, its libraries in import_LIBS.
import_SRCS := $(wildcard installer/import/*.c)
import_DEPS := oci util
import_LIBS := $(PKGS_OSTREE) $(PKGS_ARCHIVE) $(PKGS_ISAL)
